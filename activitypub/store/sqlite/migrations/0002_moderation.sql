-- Moderation: reply states, featured replies, blocks, moderator accounts,
-- their sessions and the audit log. Times are Unix nanoseconds in UTC.

ALTER TABLE replies ADD COLUMN state TEXT NOT NULL DEFAULT 'shown'; -- shown, held or hidden
CREATE INDEX replies_state ON replies (state, published);

CREATE TABLE features (
	reply_id  TEXT PRIMARY KEY REFERENCES replies (id),
	lesson_id TEXT NOT NULL,
	position  INTEGER NOT NULL, -- 1, 2, ... within the lesson
	since     INTEGER NOT NULL
);
CREATE INDEX features_lesson ON features (lesson_id, position);

CREATE TABLE blocks (
	target     TEXT PRIMARY KEY, -- an actor id, or a host when domain = 1
	domain     INTEGER NOT NULL,
	reason     TEXT NOT NULL,
	blocked_by TEXT NOT NULL,
	created    INTEGER NOT NULL
);

CREATE TABLE moderators (
	name          TEXT PRIMARY KEY,
	handle        TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created       INTEGER NOT NULL
);

CREATE TABLE sessions (
	id_hash   TEXT PRIMARY KEY, -- SHA-256 of the cookie's token; the token itself is never stored
	moderator TEXT NOT NULL REFERENCES moderators (name) ON DELETE CASCADE,
	created   INTEGER NOT NULL,
	expires   INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE audit_log (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	who       TEXT NOT NULL,
	action    TEXT NOT NULL,
	target    TEXT NOT NULL,
	lesson_id TEXT NOT NULL,
	reason    TEXT NOT NULL,
	at        INTEGER NOT NULL
);
