-- The course account's direct messages (issue 14; the SQLite store's
-- 0011): the Note as delivered, served at its id only to a signed request
-- from one of its recipients.
CREATE TABLE direct_notes (
	id         text COLLATE "C" PRIMARY KEY,
	recipients jsonb NOT NULL,
	body       bytea NOT NULL,
	created    timestamptz NOT NULL
);

-- Who reviews whose submission to an assignment lesson (issue 14).
CREATE TABLE feedback_assignments (
	submission_id text COLLATE "C" NOT NULL,
	reviewer      text COLLATE "C" NOT NULL,
	lesson_id     text COLLATE "C" NOT NULL,
	cohort_id     text COLLATE "C" NOT NULL,
	submitter     text NOT NULL,
	round         integer NOT NULL,
	seq           integer NOT NULL,
	slot          integer NOT NULL,
	assigned      timestamptz NOT NULL,
	notified      boolean NOT NULL DEFAULT false,
	PRIMARY KEY (submission_id, reviewer)
);
CREATE INDEX feedback_assignments_lesson ON feedback_assignments (lesson_id, cohort_id);
