package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/cohort-course/cohort/activitypub"
)

// directTests check the course account's direct messages (issue 14).
var directTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"DirectNotes", testDirectNotes},
}

// testDirectNotes: a direct note comes back with its recipients and the
// exact bytes delivered; it is written once; a missing one is ErrNotFound.
func testDirectNotes(t *testing.T, s activitypub.Store) {
	n := activitypub.DirectNote{ID: "https://course.example.org/direct/a1", Recipients: []string{alice, bob},
		Body: []byte(`{"type":"Note","content":"<p>hi</p>"}`), Created: base}
	must(t, s.SaveDirectNote(ctx, n))
	got, err := s.DirectNote(ctx, n.ID)
	must(t, err)
	if got.ID != n.ID || !slices.Equal(got.Recipients, n.Recipients) || !bytes.Equal(got.Body, n.Body) || !got.Created.Equal(base) {
		t.Fatalf("DirectNote = %+v, want %+v", got, n)
	}
	again := n
	again.Recipients, again.Body = []string{bob}, []byte(`{}`)
	if err := s.SaveDirectNote(ctx, again); !errors.Is(err, activitypub.ErrDuplicate) {
		t.Fatalf("second SaveDirectNote: %v, want ErrDuplicate", err)
	}
	if got, _ := s.DirectNote(ctx, n.ID); !slices.Equal(got.Recipients, n.Recipients) {
		t.Fatalf("a second save changed the recipients to %v", got.Recipients)
	}
	if _, err := s.DirectNote(ctx, n.ID+"x"); !errors.Is(err, activitypub.ErrNotFound) {
		t.Fatalf("missing DirectNote: %v, want ErrNotFound", err)
	}
}
