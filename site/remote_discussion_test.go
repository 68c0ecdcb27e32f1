package site

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRemoteDiscussionCleans: a thread read from another companion has every
// reply's content, nested ones too, through Sanitize (escaped as text when
// none is wired), and its links other than http(s) dropped.
func TestRemoteDiscussionCleans(t *testing.T) {
	const answer = `{"lesson":"a","replies":[{"id":"1","url":"javascript:alert(1)","content":"<b>one</b>",
		"author":{"name":"M","url":"vbscript:x","avatar":"https://files.example/m.png"},
		"attachments":[{"url":"data:text/html,x","alt":"bad"},{"url":"https://files.example/a.png","alt":"good"}],
		"replies":[null,{"id":"2","url":"https://m.example/2","content":"<i>two</i>","replies":[]}]}]}`
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(answer))
	}))
	defer api.Close()
	for _, tt := range []struct {
		name     string
		sanitize func(string) string
		one, two string
	}{
		{"the sanitizer wired in", func(s string) string { return "clean:" + s }, "clean:<b>one</b>", "clean:<i>two</i>"},
		{"none wired: plain text", nil, "&lt;b&gt;one&lt;/b&gt;", "&lt;i&gt;two&lt;/i&gt;"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := &RemoteDiscussion{Base: api.URL, Sanitize: tt.sanitize}
			th, err := d.Thread(context.Background(), "a", "")
			if err != nil {
				t.Fatal(err)
			}
			one := th.Replies[0]
			if one.Content != tt.one || len(one.Replies) != 1 || one.Replies[0].Content != tt.two {
				t.Fatalf("contents %q and %+v, want %q and %q", one.Content, one.Replies, tt.one, tt.two)
			}
			if one.URL != "" || one.Author.URL != "" || one.Author.Avatar != "https://files.example/m.png" || one.Replies[0].URL != "https://m.example/2" {
				t.Errorf("links: reply %q, author %q, avatar %q, child %q", one.URL, one.Author.URL, one.Author.Avatar, one.Replies[0].URL)
			}
			if len(one.Attachments) != 1 || !strings.HasPrefix(one.Attachments[0].URL, "https://") {
				t.Errorf("attachments: %+v, want only the https one", one.Attachments)
			}
		})
	}
}
