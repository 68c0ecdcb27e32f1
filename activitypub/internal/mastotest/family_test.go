package mastotest

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub/sig"
)

// TestInboxRules checks each family's rules against what the course's
// signer sends (accepted everywhere) and against one request each rule
// exists to refuse.
func TestInboxRules(t *testing.T) {
	key := Key(t)
	now := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"http://course.example/activities/1","type":"Accept"}`)
	const host = "peer.example"
	course := func(method string, edit func(*http.Request)) *http.Request {
		var req *http.Request
		var b []byte
		if method == http.MethodPost {
			req, _ = http.NewRequest(method, "http://"+host+"/users/alice/inbox", bytes.NewReader(body))
			b = body
		} else {
			req, _ = http.NewRequest(method, "http://"+host+"/users/alice", nil)
		}
		if err := (sig.Signer{Now: func() time.Time { return now }}).Sign(req, "http://course.example/actor#main-key", key.PrivateKey(), b); err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(req)
		}
		return req
	}
	for _, f := range Families() {
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			if err := f.Inbox.check(course(method, nil), body, host, now); err != nil {
				t.Errorf("%s refuses the course's %s: %v", f.Name, method, err)
			}
		}
	}
	resign := func(headers string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `headers="(request-target) host date digest content-type"`, `headers="`+headers+`"`, 1))
		}
	}
	other := []byte(`{"id":"http://elsewhere.example/1","type":"Accept"}`)
	refused := []struct {
		family, method, why string
		edit                func(*http.Request)
		now                 time.Time
		body                []byte
	}{
		{"mastodon", http.MethodPost, "digest not signed", resign("(request-target) host date content-type"), now, body},
		{"mastodon", http.MethodPost, "host not signed", resign("(request-target) date digest"), now, body},
		{"mastodon", http.MethodPost, "Date 2 hours old", nil, now.Add(2 * time.Hour), body},
		{"mastodon", http.MethodPost, "unknown algorithm", func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "rsa-sha256", "rsa-sha512", 1))
		}, now, body},
		{"gotosocial", http.MethodPost, "plain JSON", func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, now, body},
		{"misskey", http.MethodPost, "Host not its own", func(r *http.Request) { r.Host = "other.example" }, now, body},
		{"peertube", http.MethodPost, "Date 31 minutes ahead", nil, now.Add(-31 * time.Minute), body},
		{"lemmy", http.MethodPost, "key id without fragment", func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "#main-key", "/main-key", 1))
		}, now, body},
		{"pixelfed", http.MethodPost, "an activity id on another host", nil, now, other},
		{"friendica", http.MethodPost, "Date 6 minutes old", nil, now.Add(6 * time.Minute), body},
	}
	for _, c := range refused {
		f := FamilyByName(c.family)
		if err := f.Inbox.check(course(c.method, c.edit), c.body, host, c.now); err == nil {
			t.Errorf("%s accepts a %s with %s", c.family, c.method, c.why)
		}
	}
}

// TestFamiliesHashtagOrReason: every family either writes a hashtag the
// journal can read (a Hashtag named "#" + the tag in any case, linking to
// its own server) or says, citing its source, why its users cannot post
// to a journal; the journal's whole loop runs the first and logs the second.
func TestFamiliesHashtagOrReason(t *testing.T) {
	const base = "https://peer.example"
	for _, f := range Families() {
		if f.Hashtag == nil {
			if !strings.Contains(f.NoHashtagPost, "/") {
				t.Errorf("%s: no hashtag shape and no reason citing a source file (%q)", f.Name, f.NoHashtagPost)
			}
			continue
		}
		tag := f.Hashtag(base, "SocialCourse")
		name, _ := tag["name"].(string)
		href, _ := tag["href"].(string)
		if tag["type"] != "Hashtag" || !strings.EqualFold(name, "#SocialCourse") || !strings.HasPrefix(href, base+"/") {
			t.Errorf("%s: hashtag = %v", f.Name, tag)
		}
	}
}
