-- Thread changes (issue 11): every change to what a thread shows of a reply
-- (it arrives, is edited, deleted, hidden or shown, featured or unfeatured,
-- liked or boosted) gives the reply the next number of one sequence, so the
-- live script can ask for what changed since the number it last saw instead
-- of the whole thread. Triggers keep it, so no write path can forget it.
-- SQLite commits one writer at a time, so numbers are given in commit order:
-- a reader that saw number n never later finds a change numbered below it.

ALTER TABLE replies ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE replies SET seq = rowid;
CREATE INDEX replies_seq ON replies (seq);
CREATE INDEX replies_thread_seq ON replies (lesson_id, cohort_id, seq);
-- Answers are found by their parent when a thread is read a page at a time.
CREATE INDEX replies_parent ON replies (in_reply_to);

CREATE TRIGGER replies_seq_insert AFTER INSERT ON replies BEGIN
	UPDATE replies SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM replies) WHERE id = new.id;
END;
CREATE TRIGGER replies_seq_update AFTER UPDATE OF
	lesson_id, cohort_id, in_reply_to, actor, url, published, updated, content, summary, sensitive, attachments, visibility, deleted, state
	ON replies BEGIN
	UPDATE replies SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM replies) WHERE id = new.id;
END;
CREATE TRIGGER features_seq_insert AFTER INSERT ON features BEGIN
	UPDATE replies SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM replies) WHERE id = new.reply_id;
END;
CREATE TRIGGER features_seq_delete AFTER DELETE ON features BEGIN
	UPDATE replies SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM replies) WHERE id = old.reply_id;
END;
CREATE TRIGGER reactions_seq_insert AFTER INSERT ON reactions BEGIN
	UPDATE replies SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM replies) WHERE id = new.object;
END;
CREATE TRIGGER reactions_seq_delete AFTER DELETE ON reactions BEGIN
	UPDATE replies SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM replies) WHERE id = old.object;
END;
