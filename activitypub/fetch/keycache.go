package fetch

import (
	"crypto"
	"sync"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// KeyCacheTTL is how long a key KeyOwner found (in the Store or at its
// URL) is answered from memory. Every signed request looks its key up:
// from the Store that is a query and a PEM parse per request, a tenth of
// the inbox's work per reply. Five minutes keeps a busy sender's key in
// memory between its deliveries. A key rotated meanwhile fails to verify
// and is refetched (KeyOwner with refresh), which replaces it here; a
// companion process sharing the database sees another's refetch at the
// latest after the TTL.
const KeyCacheTTL = 5 * time.Minute

// maxCachedKeys bounds the cache: an actor with its keys is about 2 KiB, so
// the cache stays under 10 MiB. Past it, expired entries are dropped, and
// if that is not enough, all of them.
const maxCachedKeys = 4096

// keyCache holds the keys KeyOwner returned, by key id.
type keyCache struct {
	mu sync.Mutex
	m  map[string]cachedKey
}

type cachedKey struct {
	owner activitypub.Actor
	pub   crypto.PublicKey
	at    time.Time
}

func (c *keyCache) get(keyID string, now time.Time) (cachedKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[keyID]
	if !ok || now.Sub(k.at) >= KeyCacheTTL || now.Before(k.at) {
		return cachedKey{}, false
	}
	return k, true
}

func (c *keyCache) put(keyID string, k cachedKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedKey{}
	}
	if _, ok := c.m[keyID]; !ok && len(c.m) >= maxCachedKeys {
		for id, e := range c.m {
			if k.at.Sub(e.at) >= KeyCacheTTL {
				delete(c.m, id)
			}
		}
		if len(c.m) >= maxCachedKeys {
			clear(c.m)
		}
	}
	c.m[keyID] = k
}

func (c *keyCache) forget(keyID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, keyID)
}
