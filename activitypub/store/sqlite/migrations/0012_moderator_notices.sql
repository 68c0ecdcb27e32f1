-- What each moderator was told by direct message, and when the last
-- message went out (issue 14): a moderator hears of an item once, and at
-- most one message an hour.
CREATE TABLE notices_told (
	moderator TEXT NOT NULL,
	item      TEXT NOT NULL,
	told      INTEGER NOT NULL, -- Unix nanoseconds
	PRIMARY KEY (moderator, item)
);
CREATE INDEX notices_told_told ON notices_told (told);
CREATE TABLE notice_messages (
	moderator TEXT PRIMARY KEY,
	sent      INTEGER NOT NULL -- Unix nanoseconds
);
