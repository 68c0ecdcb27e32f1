-- A claim names the Store that made it (issue 11), so a companion gives
-- back at start only what an earlier process claimed, never its own claims
-- in flight. Claims made before this column have 0, no Store's id.
ALTER TABLE deliveries ADD COLUMN claimed_by INTEGER NOT NULL DEFAULT 0;
