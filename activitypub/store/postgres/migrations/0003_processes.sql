-- Several companion processes on one database (issue 11).
--
-- A claim names the Store that made it (claimed_by, its instance id; 0 for
-- none). Each Store holds a session advisory lock on its id while it runs,
-- so a claim whose id's lock another session can take is a dead process's
-- and is given back at once.
ALTER TABLE deliveries ADD COLUMN claimed_by bigint NOT NULL DEFAULT 0;

-- Every change to a thread is announced on the channel cohort_threads as
-- "<schema>\t<lesson id>", by the deferred trigger that numbers it: NOTIFY
-- is sent when its transaction commits and never when it rolls back, so
-- another process drops its cached thread exactly when there is something
-- new to read. An empty lesson id means any thread (a block or unblock,
-- which the audit log records).
CREATE OR REPLACE FUNCTION cohort_thread_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	reply  text;
	lesson text;
BEGIN
	IF TG_TABLE_NAME = 'replies' THEN
		reply := NEW.id;
	ELSIF TG_TABLE_NAME = 'features' THEN
		IF TG_OP = 'DELETE' THEN reply := OLD.reply_id; ELSE reply := NEW.reply_id; END IF;
	ELSE -- reactions
		IF TG_OP = 'DELETE' THEN reply := OLD.object; ELSE reply := NEW.object; END IF;
	END IF;
	IF EXISTS (SELECT 1 FROM replies WHERE id = reply) THEN
		WITH c AS (UPDATE change_seq SET n = n + 1 RETURNING n)
		UPDATE replies SET seq = (SELECT n FROM c) WHERE id = reply RETURNING lesson_id INTO lesson;
		PERFORM pg_notify('cohort_threads', TG_TABLE_SCHEMA || E'\t' || lesson);
	END IF;
	RETURN NULL;
END
$$;

CREATE FUNCTION cohort_block_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.action IN ('block', 'unblock') THEN
		PERFORM pg_notify('cohort_threads', TG_TABLE_SCHEMA || E'\t');
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER audit_block_change AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION cohort_block_change();

-- Queued deliveries are announced on cohort_queued as "<schema>\t", once
-- per statement, so the delivery workers of the other processes wake and
-- share the sending instead of waiting for their next look at the queue.
CREATE FUNCTION cohort_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('cohort_queued', TG_TABLE_SCHEMA || E'\t');
	RETURN NULL;
END
$$;
CREATE TRIGGER deliveries_queued AFTER INSERT ON deliveries FOR EACH STATEMENT EXECUTE FUNCTION cohort_queued();
