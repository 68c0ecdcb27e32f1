-- The course account's direct messages (issue 14; the SQLite store's
-- 0011): the Note as delivered, served at its id only to a signed request
-- from one of its recipients.
CREATE TABLE direct_notes (
	id         text COLLATE "C" PRIMARY KEY,
	recipients jsonb NOT NULL,
	body       bytea NOT NULL,
	created    timestamptz NOT NULL
);
