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
	GetW3IDSecurityV1PublicKey() vocab.W3IDSecurityV1PublicKeyProperty
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
	if keys := v.GetW3IDSecurityV1PublicKey(); keys != nil {
		for it := keys.Begin(); it != keys.End(); it = it.Next() {
			k := it.Get()
			if k == nil {
				continue
			}
			owner := ""
			if o := k.GetW3IDSecurityV1Owner(); o != nil && o.Get() != nil {
				owner = o.Get().String()
			}
			if owner != "" && owner != a.ID {
				return activitypub.Actor{}, fmt.Errorf("%w: key %s is owned by %s, not %s", ErrInvalid, idOf(k), owner, a.ID)
			}
			a.PublicKeyID = idOf(k)
			if p := k.GetW3IDSecurityV1PublicKeyPem(); p != nil {
				a.PublicKeyPEM = p.Get()
			}
			break
		}
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

// Key is a public key as found at a keyId: its id, the actor that owns it,
// and the PEM.
type Key struct {
	ID    string
	Owner string
	PEM   string
}

// ParseKey reads what a keyId points at: either an actor document with an
// embedded publicKey (the "#main-key" form) or a bare key document with id,
// owner and publicKeyPem (the plain-path form some servers use). keyID must
// be the key's id.
func ParseKey(ctx context.Context, data []byte, keyID string) (Key, error) {
	m, err := decode(data, KeyLimits)
	if err != nil {
		return Key{}, err
	}
	if slices.Contains(actorTypes, typeOf(m)) {
		a, err := parseActor(ctx, m)
		if err != nil {
			return Key{}, err
		}
		if a.PublicKeyID != keyID {
			return Key{}, fmt.Errorf("%w: actor %s has key %q, not %q", ErrInvalid, a.ID, a.PublicKeyID, keyID)
		}
		return Key{ID: a.PublicKeyID, Owner: a.ID, PEM: a.PublicKeyPEM}, nil
	}
	var k struct {
		ID           string `json:"id"`
		Owner        string `json:"owner"`
		PublicKeyPem string `json:"publicKeyPem"`
	}
	if err := json.Unmarshal(data, &k); err != nil {
		return Key{}, fmt.Errorf("%w: key: %w", ErrInvalid, err)
	}
	if k.ID != keyID || k.Owner == "" || k.PublicKeyPem == "" {
		return Key{}, fmt.Errorf("%w: key document for %q needs that id, an owner and a publicKeyPem", ErrInvalid, keyID)
	}
	return Key{ID: k.ID, Owner: k.Owner, PEM: k.PublicKeyPem}, nil
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
