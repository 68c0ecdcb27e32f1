-- Times are Unix nanoseconds in UTC; 0 stands for the zero time.

CREATE TABLE replies (
	id          TEXT PRIMARY KEY,
	lesson_id   TEXT NOT NULL,
	in_reply_to TEXT NOT NULL,
	actor       TEXT NOT NULL,
	url         TEXT NOT NULL,
	published   INTEGER NOT NULL,
	updated     INTEGER NOT NULL,
	content     TEXT NOT NULL,
	summary     TEXT NOT NULL,
	sensitive   INTEGER NOT NULL,
	attachments TEXT NOT NULL, -- JSON array of {url, media_type, alt}
	visibility  TEXT NOT NULL,
	deleted     INTEGER NOT NULL
);
CREATE INDEX replies_thread ON replies (lesson_id, published, id);
CREATE INDEX replies_actor ON replies (actor);

CREATE TABLE followers (
	actor_id  TEXT PRIMARY KEY,
	inbox     TEXT NOT NULL,
	follow_id TEXT NOT NULL,
	since     INTEGER NOT NULL
);
CREATE INDEX followers_inbox ON followers (inbox);

CREATE TABLE actors (
	id                 TEXT PRIMARY KEY,
	type               TEXT NOT NULL,
	inbox              TEXT NOT NULL,
	shared_inbox       TEXT NOT NULL,
	followers          TEXT NOT NULL,
	preferred_username TEXT NOT NULL,
	name               TEXT NOT NULL,
	icon_url           TEXT NOT NULL,
	url                TEXT NOT NULL,
	public_key_id      TEXT NOT NULL,
	public_key_pem     TEXT NOT NULL,
	fetched            INTEGER NOT NULL
);
CREATE INDEX actors_key ON actors (public_key_id);

CREATE TABLE reactions (
	id     TEXT PRIMARY KEY,
	kind   TEXT NOT NULL,
	actor  TEXT NOT NULL,
	object TEXT NOT NULL,
	UNIQUE (kind, actor, object)
);
CREATE INDEX reactions_object ON reactions (object);
CREATE INDEX reactions_actor ON reactions (actor);

CREATE TABLE seen_activities (
	id   TEXT PRIMARY KEY,
	seen INTEGER NOT NULL
);
CREATE INDEX seen_activities_seen ON seen_activities (seen);

CREATE TABLE deliveries (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	activity_id  TEXT NOT NULL,
	inbox        TEXT NOT NULL,
	body         BLOB NOT NULL,
	attempts     INTEGER NOT NULL,
	next_attempt INTEGER NOT NULL,
	last_error   TEXT NOT NULL,
	created      INTEGER NOT NULL,
	UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt, id);

CREATE TABLE lesson_objects (
	lesson_id    TEXT NOT NULL,
	cohort_id    TEXT NOT NULL,
	object_id    TEXT NOT NULL UNIQUE,
	published    INTEGER NOT NULL,
	updated      INTEGER NOT NULL,
	content_hash TEXT NOT NULL,
	PRIMARY KEY (lesson_id, cohort_id)
);

CREATE TABLE keys (
	owner       TEXT PRIMARY KEY,
	key_id      TEXT NOT NULL,
	public_pem  TEXT NOT NULL,
	private_pem TEXT NOT NULL
);
