package discovery

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/sig"
)

// KeyOwners finds the actor that owns a signature's key and the key;
// fetch.Client is one.
type KeyOwners interface {
	KeyOwner(ctx context.Context, keyID string, refresh bool) (activitypub.Actor, crypto.PublicKey, error)
}

// direct serves a direct message of the course account (publish.Direct) to
// its recipients alone: the GET must carry an HTTP Signature whose key
// belongs to one of the actors the Note is addressed to. Anyone else, a
// request without a signature included, gets 404, as if there were no such
// note: Mastodon answers a status its StatusPolicy#show? refuses (a direct
// one unless the reader is mentioned; app/policies/status_policy.rb) with
// 404 (app/controllers/statuses_controller.rb turns NotPermittedError into
// RecordNotFound), and GoToSocial does the same for a status its
// visibility filter hides from the requester
// (internal/processing/fedi/status.go, StatusGet;
// internal/filter/visibility/status.go lets a non-public status be seen by
// its author and the accounts it mentions).
func (h *Handler) direct(w http.ResponseWriter, r *http.Request) error {
	id := h.o.URLs.Direct(r.PathValue("key"))
	if !wantsActivity(r) {
		return notFound(fmt.Errorf("direct note %s: asked for HTML", id))
	}
	n, err := h.o.Store.DirectNote(r.Context(), id)
	if err != nil {
		return notFound(err)
	}
	reader, err := h.signer(r)
	if err != nil {
		return notFound(fmt.Errorf("direct note %s: %w", id, err))
	}
	if !slices.Contains(n.Recipients, reader) {
		return notFound(fmt.Errorf("direct note %s: %s is not a recipient", id, reader))
	}
	w.Header().Set("Content-Type", activityJSON)
	w.Header().Set("Vary", "Accept, Signature")
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = w.Write(n.Body)
	return err
}

// signer returns the actor whose key signed r, or an error when r carries
// no signature that verifies.
func (h *Handler) signer(r *http.Request) (string, error) {
	if h.o.Keys == nil {
		return "", errors.New("no key lookup configured")
	}
	v := sig.Verifier{Now: h.o.Now, Host: h.o.URLs.Host()}
	s, err := v.Parse(r, nil)
	if err != nil {
		return "", fmt.Errorf("signature: %w", err)
	}
	owner, pub, err := h.o.Keys.KeyOwner(r.Context(), s.KeyID, false)
	if err != nil {
		return "", fmt.Errorf("signature key: %w", err)
	}
	if err := s.Verify(pub); err != nil {
		return "", fmt.Errorf("signature: %w", err)
	}
	return owner.ID, nil
}
