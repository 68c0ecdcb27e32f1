package as

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"github.com/cohort-course/cohort/activitypub"
)

// actorTypes are the types ParseActor accepts as an account.
var actorTypes = []string{"Person", "Service", "Application", "Group", "Organization"}

// actorView is the part of every go-fed actor type ParseActor reads.
type actorView interface {
	vocab.Type
	GetActivityStreamsInbox() vocab.ActivityStreamsInboxProperty
	GetActivityStreamsFollowers() vocab.ActivityStreamsFollowersProperty
	GetActivityStreamsPreferredUsername() vocab.ActivityStreamsPreferredUsernameProperty
	GetActivityStreamsName() vocab.ActivityStreamsNameProperty
	GetActivityStreamsIcon() vocab.ActivityStreamsIconProperty
	GetActivityStreamsUrl() vocab.ActivityStreamsUrlProperty
	GetUnknownProperties() map[string]interface{}
}

// singleIRI is a functional property that holds an IRI or an object.
type singleIRI interface {
	IsIRI() bool
	GetIRI() *url.URL
	GetType() vocab.Type
}

func iriOf(p singleIRI) string {
	switch {
	case p == nil:
		return ""
	case p.IsIRI():
		return p.GetIRI().String()
	default:
		return idOf(p.GetType())
	}
}

// ParseActor reads a remote actor document (Person, Service, Application,
// Group or Organization) into an Actor, with its public key. It returns an
// error wrapping ErrInvalid when the document is not an actor, has no id or
// inbox, or its key is not owned by the actor, and for a document over
// KeyLimits (then wrapping ErrLimit too). Fetched is left for the caller.
func ParseActor(ctx context.Context, data []byte) (activitypub.Actor, error) {
	m, err := decode(data, KeyLimits)
	if err != nil {
		return activitypub.Actor{}, err
	}
	return parseActor(ctx, m)
}

// parseActor is ParseActor on a decoded document.
func parseActor(ctx context.Context, m map[string]any) (a activitypub.Actor, err error) {
	defer func() {
		if r := recover(); r != nil {
			a, err = activitypub.Actor{}, fmt.Errorf("%w: deserialize actor: %v", ErrInvalid, r)
		}
	}()
	if t := typeOf(m); !slices.Contains(actorTypes, t) {
		return a, fmt.Errorf("%w: type %q is not an actor", ErrInvalid, t)
	}
	t, err := streams.ToType(ctx, m)
	if err != nil {
		return a, fmt.Errorf("%w: actor: %w", ErrInvalid, err)
	}
	v, ok := t.(actorView)
	if !ok {
		return a, fmt.Errorf("%w: %s cannot be read as an actor", ErrInvalid, t.GetTypeName())
	}
	a = activitypub.Actor{
		ID:        idOf(v),
		Type:      v.GetTypeName(),
		Inbox:     iriOf(v.GetActivityStreamsInbox()),
		Followers: iriOf(v.GetActivityStreamsFollowers()),
		Name:      text(v.GetActivityStreamsName()),
	}
	if a.ID == "" || a.Inbox == "" {
		return activitypub.Actor{}, fmt.Errorf("%w: actor needs an id and an inbox", ErrInvalid)
	}
	if p := v.GetActivityStreamsPreferredUsername(); p != nil && p.IsXMLSchemaString() {
		a.PreferredUsername = p.GetXMLSchemaString()
	}
	if u := urls(v.GetActivityStreamsUrl()); len(u) > 0 {
		a.URL = u[0]
	}
	a.IconURL = icon(v.GetActivityStreamsIcon())
	if ep, ok := v.GetUnknownProperties()["endpoints"].(map[string]any); ok {
		a.SharedInbox, _ = ep["sharedInbox"].(string)
	}
	keys, err := actorKeys(m, a.ID)
	if err != nil {
		return activitypub.Actor{}, err
	}
	for _, k := range keys {
		// A key on another host than the actor's is not the actor's to
		// claim, whatever its document says.
		if activitypub.SameHost(k.ID, a.ID) {
			a.Keys = append(a.Keys, k)
		}
	}
	if pk := firstPublicKey(a.Keys, m); pk.ID != "" {
		a.PublicKeyID, a.PublicKeyPEM = pk.ID, pk.PEM
	}
	return a, nil
}

func icon(p vocab.ActivityStreamsIconProperty) string {
	if p == nil {
		return ""
	}
	for it := p.Begin(); it != p.End(); it = it.Next() {
		switch {
		case it.IsIRI():
			return it.GetIRI().String()
		case it.IsActivityStreamsImage():
			if u := urls(it.GetActivityStreamsImage().GetActivityStreamsUrl()); len(u) > 0 {
				return u[0]
			}
		}
	}
	return ""
}

// WebFingerActor returns the actor URL of a WebFinger JRD: the href of its
// "self" link whose type is application/activity+json or
// application/ld+json with the ActivityStreams profile.
func WebFingerActor(data []byte) (string, error) {
	if err := KeyLimits.Check(data); err != nil {
		return "", fmt.Errorf("webfinger: %w", err)
	}
	var jrd struct {
		Links []struct {
			Rel  string `json:"rel"`
			Type string `json:"type"`
			Href string `json:"href"`
		} `json:"links"`
	}
	if err := json.Unmarshal(data, &jrd); err != nil {
		return "", fmt.Errorf("%w: webfinger: %w", ErrInvalid, err)
	}
	for _, l := range jrd.Links {
		if l.Rel != "self" || l.Href == "" {
			continue
		}
		if IsActivityJSON(l.Type) {
			return l.Href, nil
		}
	}
	return "", fmt.Errorf("%w: webfinger has no ActivityPub self link", ErrInvalid)
}

// IsActivityJSON reports whether a media type (a Content-Type or a JRD link
// type) is ActivityStreams JSON: application/activity+json, or
// application/ld+json with the ActivityStreams profile. The HTTP handlers
// use it; Parse itself does not look at media types.
func IsActivityJSON(mediaType string) bool {
	mt, params, _ := strings.Cut(mediaType, ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case "application/activity+json":
		return true
	case "application/ld+json":
		return strings.Contains(params, "https://www.w3.org/ns/activitystreams")
	}
	return false
}

// firstPublicKey returns the key of the actor's publicKey property (its
// first entry), the one most servers sign with; else the first key listed.
func firstPublicKey(keys []activitypub.ActorKey, m map[string]any) activitypub.ActorKey {
	if l := asList(m["publicKey"]); len(l) > 0 {
		if id := firstID(l[0]); id != "" {
			for _, k := range keys {
				if k.ID == id {
					return k
				}
			}
		}
	}
	if len(keys) > 0 {
		return keys[0]
	}
	return activitypub.ActorKey{}
}
