-- A claimed delivery is marked as such, so the claims a stopped or crashed
-- process left can be given back when the companion starts, instead of
-- waiting for their lease to run out, and so a worker can give back a
-- claim it will not attempt now.
ALTER TABLE deliveries ADD COLUMN claimed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX deliveries_claimed ON deliveries (id) WHERE claimed = 1;
