-- Reflection journals (issue 14): the participants the course follows back,
-- and their public posts with the course hashtag. Nothing else of theirs is
-- stored.
CREATE TABLE journal_participants (
	actor_id  TEXT PRIMARY KEY,
	handle    TEXT NOT NULL,
	inbox     TEXT NOT NULL,
	follow_id TEXT NOT NULL,
	accepted  INTEGER NOT NULL DEFAULT 0,
	left_at   INTEGER NOT NULL DEFAULT 0, -- Unix nanoseconds; 0 while in the journal
	joined    INTEGER NOT NULL -- Unix nanoseconds
);
CREATE INDEX journal_participants_follow ON journal_participants (follow_id);

CREATE TABLE journal_entries (
	id          TEXT PRIMARY KEY,
	actor       TEXT NOT NULL,
	url         TEXT NOT NULL,
	published   INTEGER NOT NULL, -- Unix nanoseconds
	updated     INTEGER NOT NULL, -- 0 when never edited
	content     TEXT NOT NULL,
	summary     TEXT NOT NULL,
	sensitive   INTEGER NOT NULL,
	attachments TEXT NOT NULL, -- JSON
	state       TEXT NOT NULL
);
CREATE INDEX journal_entries_actor ON journal_entries (actor, published, id);
CREATE INDEX journal_entries_published ON journal_entries (published, id);
