-- Cohorts: each cohort has its own post of a lesson, so a reply's thread is
-- a (lesson, cohort) pair; and a course with a private cohort approves its
-- followers, keeping the Follows that wait for a moderator.

ALTER TABLE replies ADD COLUMN cohort_id TEXT NOT NULL DEFAULT '';
CREATE INDEX replies_cohort_thread ON replies (lesson_id, cohort_id, published, id);

ALTER TABLE features ADD COLUMN cohort_id TEXT NOT NULL DEFAULT '';
CREATE INDEX features_cohort ON features (lesson_id, cohort_id, position);

CREATE TABLE pending_follows (
	actor_id  TEXT PRIMARY KEY,
	handle    TEXT NOT NULL,
	inbox     TEXT NOT NULL,
	follow_id TEXT NOT NULL,
	requested INTEGER NOT NULL
);
CREATE INDEX pending_follows_requested ON pending_follows (requested, actor_id);
