package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/cohort-course/cohort/activitypub"
)

// Getter fetches a document; fetch.Client is one.
type Getter interface {
	Get(ctx context.Context, rawURL string) ([]byte, error)
}

// WebFinger returns a Resolver that asks a handle's server for its actor
// (RFC 7033: the "self" link of type application/activity+json in
// /.well-known/webfinger?resource=acct:user@host), over http when insecure
// (tests and local use), else https.
func WebFinger(g Getter, insecure bool) Resolver {
	scheme := "https://"
	if insecure {
		scheme = "http://"
	}
	return func(ctx context.Context, handle string) (string, error) {
		user, host, ok := strings.Cut(strings.TrimPrefix(handle, "@"), "@")
		if !ok || user == "" || host == "" {
			return "", fmt.Errorf("webfinger %s: not a handle like @user@host", handle)
		}
		body, err := g.Get(ctx, scheme+host+"/.well-known/webfinger?resource="+url.QueryEscape("acct:"+user+"@"+host))
		if err != nil {
			return "", fmt.Errorf("webfinger %s: %w", handle, err)
		}
		var jrd struct {
			Links []struct {
				Rel, Type, Href string
			} `json:"links"`
		}
		if err := json.Unmarshal(body, &jrd); err != nil {
			return "", fmt.Errorf("webfinger %s: %w", handle, err)
		}
		for _, l := range jrd.Links {
			if l.Rel == "self" && (strings.HasPrefix(l.Type, "application/activity+json") || strings.HasPrefix(l.Type, "application/ld+json")) {
				return l.Href, nil
			}
		}
		return "", fmt.Errorf("webfinger %s: no ActivityPub actor: %w", handle, activitypub.ErrNotFound)
	}
}
