-- Tombstones: Deletes that arrived before the post they delete, so a late
-- Create cannot bring it back; pruned after activitypub.TombstoneRetention.
-- Flags: reports other servers send about a reply or an account here.
-- Times are Unix nanoseconds in UTC.

CREATE TABLE tombstones (
	id      TEXT NOT NULL,
	actor   TEXT NOT NULL,
	deleted INTEGER NOT NULL,
	PRIMARY KEY (id, actor)
);
CREATE INDEX tombstones_deleted ON tombstones (deleted);

CREATE TABLE flags (
	id       TEXT PRIMARY KEY,
	actor    TEXT NOT NULL,
	content  TEXT NOT NULL,
	objects  TEXT NOT NULL, -- JSON array of the reported ids
	received INTEGER NOT NULL
);
CREATE INDEX flags_received ON flags (received, id);
