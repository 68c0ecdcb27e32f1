-- The course account's direct messages (issue 14): the Note as delivered,
-- served at its id only to a signed request from one of its recipients.
CREATE TABLE direct_notes (
	id         TEXT PRIMARY KEY,
	recipients TEXT NOT NULL, -- JSON array of actor IRIs
	body       BLOB NOT NULL,
	created    INTEGER NOT NULL -- Unix nanoseconds
);
