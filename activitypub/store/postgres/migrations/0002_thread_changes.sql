-- Thread changes (issue 11; the SQLite store's 0007): every change to what
-- a thread shows of a reply (it arrives, is edited, deleted, hidden or
-- shown, featured or unfeatured, liked or boosted) gives the reply the next
-- number of one counter, so the live script asks for what changed since
-- the number it last saw.
--
-- The numbers must follow commit order: a reader that saw n must never
-- later find a change below n. A sequence gives numbers when a transaction
-- asks, not when it commits, so two writers could commit out of order.
-- Here the triggers are deferred constraint triggers: they run as their
-- transaction commits, take the counter's one row (its lock is held to the
-- commit's end), and number the reply. Writers wait on each other only for
-- that last moment of their commits.

ALTER TABLE replies ADD COLUMN seq bigint NOT NULL DEFAULT 0;
CREATE INDEX replies_thread_seq ON replies (lesson_id, cohort_id, seq);

CREATE TABLE change_seq (
	one boolean PRIMARY KEY DEFAULT true CHECK (one), -- a single row
	n   bigint NOT NULL
);
INSERT INTO change_seq (n) SELECT count(*) FROM replies;
UPDATE replies r SET seq = o.n FROM (SELECT id, row_number() OVER (ORDER BY published, id) AS n FROM replies) o WHERE r.id = o.id;

CREATE FUNCTION cohort_thread_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	reply text;
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
		UPDATE replies SET seq = (SELECT n FROM c) WHERE id = reply;
	END IF;
	RETURN NULL;
END
$$;

-- Updates of seq alone are not changes: the trigger's own update does not
-- fire it again.
CREATE CONSTRAINT TRIGGER replies_change AFTER INSERT OR UPDATE OF
	lesson_id, cohort_id, in_reply_to, actor, url, published, updated, content, summary, sensitive, attachments, visibility, deleted, state
	ON replies DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cohort_thread_change();
CREATE CONSTRAINT TRIGGER features_change AFTER INSERT OR DELETE
	ON features DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cohort_thread_change();
CREATE CONSTRAINT TRIGGER reactions_change AFTER INSERT OR DELETE
	ON reactions DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cohort_thread_change();
