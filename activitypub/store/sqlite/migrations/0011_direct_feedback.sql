-- The course account's direct messages (issue 14): the Note as delivered,
-- served at its id only to a signed request from one of its recipients.
CREATE TABLE direct_notes (
	id         TEXT PRIMARY KEY,
	recipients TEXT NOT NULL, -- JSON array of actor IRIs
	body       BLOB NOT NULL,
	created    INTEGER NOT NULL -- Unix nanoseconds
);

-- Who reviews whose submission to an assignment lesson (issue 14).
CREATE TABLE feedback_assignments (
	submission_id TEXT NOT NULL,
	reviewer      TEXT NOT NULL,
	lesson_id     TEXT NOT NULL,
	cohort_id     TEXT NOT NULL,
	submitter     TEXT NOT NULL,
	round         INTEGER NOT NULL,
	seq           INTEGER NOT NULL,
	slot          INTEGER NOT NULL,
	assigned      INTEGER NOT NULL, -- Unix nanoseconds
	notified      INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (submission_id, reviewer)
);
CREATE INDEX feedback_assignments_lesson ON feedback_assignments (lesson_id, cohort_id);
