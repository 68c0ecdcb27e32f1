package activitypub

import (
	"context"
	"time"
)

// DirectNote is a direct message the course account sent: a Note addressed
// to its recipients alone. The Store keeps the document as it was
// delivered, so a recipient's server that fetches the id gets the same
// bytes, and keeps who may read it.
type DirectNote struct {
	ID         string    // the Note's id, on the companion's host
	Recipients []string  // the actor IRIs it is addressed to
	Body       []byte    // the Note document (JSON-LD), as served at ID
	Created    time.Time // when it was sent
}

// DirectStore keeps the course account's direct messages (issue 14; its
// own block to ease merging).
type DirectStore interface {
	// SaveDirectNote stores n, or returns ErrDuplicate, changing nothing,
	// when a note with its ID is stored: a message is written once.
	SaveDirectNote(ctx context.Context, n DirectNote) error

	// DirectNote returns the direct note with that id, or ErrNotFound.
	DirectNote(ctx context.Context, id string) (DirectNote, error)
}
