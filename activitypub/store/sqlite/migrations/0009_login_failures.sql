-- The moderators' wrong passwords (issue 11), kept in the store so every
-- process that shares it throttles a guesser alike. name is lower-cased.
CREATE TABLE login_failures (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	at   INTEGER NOT NULL -- Unix nanoseconds
);
CREATE INDEX login_failures_name ON login_failures (name, at);
CREATE INDEX login_failures_at ON login_failures (at);
