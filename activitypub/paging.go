package activitypub

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cursor is a place in a list ordered by a time, then an id: the last item
// a page showed. A page that starts from it stays right while items arrive
// or leave, where an offset would skip or repeat them (keyset pagination).
type Cursor struct {
	At time.Time
	ID string
}

// IsZero reports whether c names no place: the start of the list.
func (c Cursor) IsZero() bool { return c.At.IsZero() && c.ID == "" }

// String encodes c for a link's query: the time in Unix nanoseconds, a
// dot, the id. The zero Cursor gives "".
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.At.UnixNano(), 10) + "." + c.ID
}

// ParseCursor reads what Cursor.String wrote; "" gives the zero Cursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	nanos, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(nanos, 10, 64)
	if !ok || err != nil || id == "" {
		return Cursor{}, fmt.Errorf("cursor %q: want nanoseconds, a dot and an id", s)
	}
	return Cursor{At: time.Unix(0, n).UTC(), ID: id}, nil
}

// PageQuery asks for one page of a list: the Limit items that follow
// After in the list's order or, when Before is set, the Limit items just
// before Before, still in the list's order. Both zero asks for the first
// page. Ask for one more item than a page shows to learn whether there is
// another page that way.
type PageQuery struct {
	After, Before Cursor
	Limit         int
}
