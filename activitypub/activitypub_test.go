package activitypub_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/cohort-course/cohort/activitypub"
)

func TestVisibilityOf(t *testing.T) {
	const (
		pub       = activitypub.PublicCollection
		followers = "https://mastodon.example/users/alice/followers"
		course    = "https://course.example.org/actor"
	)
	tests := []struct {
		name      string
		to, cc    []string
		followers string
		want      activitypub.Visibility
	}{
		{"public in to is public", []string{pub}, []string{followers}, followers, activitypub.Public},
		{"compact as:Public in to is public", []string{"as:Public"}, nil, "", activitypub.Public},
		{"bare Public in to is public", []string{"Public"}, nil, "", activitypub.Public},
		{"public in cc is unlisted", []string{followers}, []string{pub}, followers, activitypub.Unlisted},
		{"followers without public is followers-only", []string{followers}, []string{course}, followers, activitypub.FollowersOnly},
		{"followers guessed from path when unknown", []string{followers}, nil, "", activitypub.FollowersOnly},
		{"someone else's followers is not the author's", []string{"https://other.example/users/bob/followers"}, nil, followers, activitypub.Direct},
		{"only actors is direct", []string{course}, nil, followers, activitypub.Direct},
		{"nothing is direct", nil, nil, "", activitypub.Direct},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := activitypub.VisibilityOf(tt.to, tt.cc, tt.followers); got != tt.want {
				t.Errorf("VisibilityOf(%q, %q) = %q, want %q", tt.to, tt.cc, got, tt.want)
			}
		})
	}
}

// TestReplyVisibilityFor: with the author's followers collection known, a
// reply is classified by it, not by the "/followers" suffix; without it,
// or without the addresses (a reply read back from the store), the parsed
// visibility stands.
func TestReplyVisibilityFor(t *testing.T) {
	const (
		course = "https://course.example.org/actor"
		fans   = "https://friendica.example/followers/alice" // a real collection not ending in /followers
	)
	parsed := func(to, cc []string) activitypub.Reply {
		return activitypub.Reply{To: to, Cc: cc, Visibility: activitypub.VisibilityOf(to, cc, "")}
	}
	tests := []struct {
		name      string
		r         activitypub.Reply
		followers string
		want      activitypub.Visibility
	}{
		{"the author's collection, whatever its URL, is followers-only", parsed([]string{fans}, []string{course}), fans, activitypub.FollowersOnly},
		{"the same reply with the author unknown is direct (suffix rule)", parsed([]string{fans}, []string{course}), "", activitypub.Direct},
		{"another actor's followers is direct once the author is known", parsed([]string{"https://other.example/users/bob/followers"}, nil),
			"https://mastodon.example/users/alice/followers", activitypub.Direct},
		{"the same with the author unknown is followers-only (suffix rule)", parsed([]string{"https://other.example/users/bob/followers"}, nil),
			"", activitypub.FollowersOnly},
		{"public stays public", parsed([]string{activitypub.PublicCollection}, []string{fans}), fans, activitypub.Public},
		{"a stored reply has no addresses: its visibility stands", activitypub.Reply{Visibility: activitypub.FollowersOnly}, fans, activitypub.FollowersOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.VisibilityFor(tt.followers); got != tt.want {
				t.Errorf("VisibilityFor(%q) of to %q cc %q = %q, want %q", tt.followers, tt.r.To, tt.r.Cc, got, tt.want)
			}
		})
	}
}

func TestVisibilityListable(t *testing.T) {
	for v, want := range map[activitypub.Visibility]bool{
		activitypub.Public: true, activitypub.Unlisted: true,
		activitypub.FollowersOnly: false, activitypub.Direct: false, "": false,
	} {
		if got := v.Listable(); got != want {
			t.Errorf("%q.Listable() = %v, want %v", v, got, want)
		}
	}
}

func TestActorHandleAndInbox(t *testing.T) {
	a := activitypub.Actor{ID: "https://mastodon.example/users/alice", PreferredUsername: "alice", Inbox: "https://mastodon.example/users/alice/inbox"}
	if got := a.Handle(); got != "@alice@mastodon.example" {
		t.Errorf("Handle() = %q", got)
	}
	if got := a.DeliveryInbox(); got != a.Inbox {
		t.Errorf("DeliveryInbox() without shared inbox = %q", got)
	}
	a.SharedInbox = "https://mastodon.example/inbox"
	if got := a.DeliveryInbox(); got != a.SharedInbox {
		t.Errorf("DeliveryInbox() with shared inbox = %q", got)
	}
	if got := (activitypub.Actor{ID: "https://x.example/a"}).Handle(); got != "" {
		t.Errorf("Handle() without username = %q, want empty", got)
	}
}

func TestKeyNeverPrintsPrivateKey(t *testing.T) {
	k := activitypub.Key{Owner: "https://course.example.org/actor", ID: "https://course.example.org/actor#main-key", PrivatePEM: "-----BEGIN RSA PRIVATE KEY-----\nSECRET\n"}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("key", "key", k)
	for _, s := range []string{buf.String(), fmt.Sprint(k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k)} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("private key printed: %s", s)
		}
	}
	if !strings.Contains(buf.String(), "main-key") {
		t.Errorf("log does not name the key: %s", buf.String())
	}
}
