-- Verified key bindings: a key id belongs to an actor only after the key's
-- document named the actor as owner and the actor's own document listed
-- the key, both on one host. Looking a key up by actors.public_key_id
-- could return whichever actor last claimed it; this table names exactly
-- one owner per key id. It starts empty: each key is fetched once again.

CREATE TABLE actor_keys (
	key_id   TEXT PRIMARY KEY,
	actor_id TEXT NOT NULL,
	pem      TEXT NOT NULL
);
CREATE INDEX actor_keys_actor ON actor_keys (actor_id);
