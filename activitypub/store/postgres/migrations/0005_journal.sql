-- Reflection journals (issue 14; the SQLite store's 0010): the participants
-- the course follows back, and their public posts with the course hashtag.
-- Nothing else of theirs is stored.
CREATE TABLE journal_participants (
	actor_id  text COLLATE "C" PRIMARY KEY,
	handle    text COLLATE "C" NOT NULL,
	inbox     text NOT NULL,
	follow_id text COLLATE "C" NOT NULL,
	accepted  boolean NOT NULL DEFAULT false,
	left_at   timestamptz NOT NULL, -- the zero time (0001-01-01) while in the journal
	joined    timestamptz NOT NULL
);
CREATE INDEX journal_participants_follow ON journal_participants (follow_id);

CREATE TABLE journal_entries (
	id          text COLLATE "C" PRIMARY KEY,
	actor       text COLLATE "C" NOT NULL,
	url         text NOT NULL,
	published   timestamptz NOT NULL,
	updated     timestamptz NOT NULL,
	content     text NOT NULL,
	summary     text NOT NULL,
	sensitive   boolean NOT NULL,
	attachments jsonb NOT NULL, -- array of {url, media_type, alt}
	state       text NOT NULL
);
CREATE INDEX journal_entries_actor ON journal_entries (actor, published, id);
CREATE INDEX journal_entries_published ON journal_entries (published, id);
