package moderation

// SetCompare replaces the handler's bcrypt check, so that tests can count
// which hashes a login checks.
func SetCompare(h *Handler, compare func(hash, password []byte) error) { h.compare = compare }

// SetGlobalLimit lowers the handler's limit on wrong passwords per minute
// across all names, so that a test trips it with a few logins.
func SetGlobalLimit(h *Handler, n int) { h.logins.global = n }
