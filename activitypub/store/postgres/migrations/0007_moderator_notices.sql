-- What each moderator was told by direct message, and when the last
-- message went out (issue 14; the SQLite store's 0012).
CREATE TABLE notices_told (
	moderator text COLLATE "C" NOT NULL,
	item      text COLLATE "C" NOT NULL,
	told      timestamptz NOT NULL,
	PRIMARY KEY (moderator, item)
);
CREATE INDEX notices_told_told ON notices_told (told);
CREATE TABLE notice_messages (
	moderator text COLLATE "C" PRIMARY KEY,
	sent      timestamptz NOT NULL
);
