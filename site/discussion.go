package site

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Discussion gives the build the replies that may appear on a lesson page. The
// companion's store implements it (activitypub/discovery), and so does
// RemoteDiscussion over a running companion's threads API. cohortID names the
// cohort whose post the thread is under ("" for a course without cohorts). A
// lesson without a thread yet gives an empty Thread, not an error.
type Discussion interface {
	Thread(ctx context.Context, lessonID, cohortID string) (*Thread, error)
}

// Thread is a lesson post's public replies as a tree, with its counts. Its JSON
// is the companion's threads API (/api/threads/<lesson-id>).
type Thread struct {
	Lesson  string   `json:"lesson"`
	Object  string   `json:"object"` // the lesson post people reply to
	Likes   int      `json:"likes"`
	Boosts  int      `json:"boosts"`
	Count   int      `json:"count"` // replies in the whole tree
	Replies []*Reply `json:"replies"`
	// Since is the cursor of the thread's changes as read: the live script
	// asks the threads API for what changed after it (?since=).
	Since string `json:"since,omitempty"`
	// Next is the cursor of the threads API's next page (?after=), "" on
	// the last page and in a whole thread.
	Next string `json:"next,omitempty"`

	keyMemo string // key(), computed once
}

// Reply is one public reply, with the replies to it.
type Reply struct {
	ID          string       `json:"id"`
	URL         string       `json:"url"` // the reply on its author's server
	Author      Author       `json:"author"`
	Published   time.Time    `json:"published"`
	Edited      time.Time    `json:"edited,omitzero"`
	Content     string       `json:"content"`           // HTML, sanitized by the companion (and again by RemoteDiscussion)
	Summary     string       `json:"summary,omitempty"` // content warning, plain text
	Sensitive   bool         `json:"sensitive,omitempty"`
	Attachments []Attachment `json:"attachments"`
	Likes       int          `json:"likes"`
	Boosts      int          `json:"boosts"`
	// Featured replies were pinned on top of the thread by a moderator.
	Featured bool `json:"featured,omitempty"`
	// Submission marks a participant's work on an assignment lesson (their
	// first reply to its post), Review a peer's answer to it (issue 14).
	Submission bool     `json:"submission,omitempty"`
	Review     bool     `json:"review,omitempty"`
	Replies    []*Reply `json:"replies"`
	// More counts the answers below this reply that Replies leaves out: a
	// page of a thread shows a top-level reply's first few answers.
	More int `json:"more,omitempty"`
	// MoreURL is the root-relative URL of the page that lists them all (site
	// pages only).
	MoreURL string `json:"-"`
	// Journal is the root-relative URL of the author's reflection journal,
	// "" when they keep none (site pages only; in the JSON for the page's
	// key, which the API never sets).
	Journal string `json:"journal,omitempty"`
	// ReplyingTo names the author of the reply this one answers when a page
	// shows it elsewhere than right under that reply: deeper than
	// MaxReplyIndent levels of indentation, or under a top-level reply whose
	// answer it answers is on another page (site pages only).
	ReplyingTo string `json:"-"`
}

// Author is who wrote a reply.
type Author struct {
	Name      string `json:"name"`
	Handle    string `json:"handle"` // @user@instance
	Avatar    string `json:"avatar,omitempty"`
	URL       string `json:"url"` // profile page
	Moderator bool   `json:"moderator,omitempty"`
}

// Attachment is a file attached to a reply: pages link it with its alt text.
type Attachment struct {
	URL       string `json:"url"`
	MediaType string `json:"media_type,omitempty"`
	Alt       string `json:"alt"`
}

// HTML returns the reply's content for a template. The companion sanitized it
// to Mastodon's allow-list before storing it, and RemoteDiscussion does again
// on reading; nothing else may be put here.
func (r *Reply) HTML() template.HTML { return template.HTML(r.Content) }

// Latest is the time of the newest reply or edit in the thread: the moment the
// page's snapshot shows. It is zero for a thread without replies. (Not the time
// of the build, which would make every build differ.)
func (t *Thread) Latest() time.Time {
	var latest time.Time
	var walk func([]*Reply)
	walk = func(rs []*Reply) {
		for _, r := range rs {
			for _, at := range []time.Time{r.Published, r.Edited} {
				if at.After(latest) {
					latest = at
				}
			}
			walk(r.Replies)
		}
	}
	if t != nil {
		walk(t.Replies)
	}
	return latest
}

// key is a digest of everything a page shows of the thread; every thread
// without replies or reactions shows the same.
func (t *Thread) key() string {
	if t == nil {
		return ""
	}
	if len(t.Replies) == 0 && t.Likes == 0 && t.Boosts == 0 {
		return "empty"
	}
	if t.keyMemo == "" { // a Thread is not changed once read; a new reading is a new Thread
		data, _ := json.Marshal(t)
		sum := sha256.Sum256(data)
		t.keyMemo = hex.EncodeToString(sum[:16])
	}
	return t.keyMemo
}

// maxThreadBytes bounds a thread read from a remote companion: 50,000 replies
// of a few KB each stay well below it, a hostile answer cannot fill memory.
const maxThreadBytes = 64 << 20

// RemoteDiscussion reads threads from a running companion's threads API, for
// `cohort build --threads-from URL`. What it reads is another server's
// answer, trusted no more than a reply from the fediverse: every reply's
// content is sanitized again, and links other than http(s) are dropped.
type RemoteDiscussion struct {
	// Base is the companion's public origin, such as https://course.example.org.
	Base   string
	Client *http.Client
	// Sanitize reduces a reply's content HTML to what may go into a page: the
	// companion's own sanitizer, which cmd wires in (site does not import
	// activitypub). Without it, content is shown as plain text.
	Sanitize func(html string) string
}

// Thread GETs /api/threads/<lessonID>?all=1, the whole thread rather than its
// first page (compressed: the client asks for gzip); a lesson the companion does not know has
// no thread yet.
func (d *RemoteDiscussion) Thread(ctx context.Context, lessonID, cohortID string) (*Thread, error) {
	u := strings.TrimSuffix(d.Base, "/") + "/api/threads/" + url.PathEscape(lessonID) + "?all=1"
	if cohortID != "" {
		u += "&cohort=" + url.QueryEscape(cohortID)
	}
	var t Thread
	status, err := d.getJSON(ctx, u, &t)
	switch {
	case err != nil:
		return nil, fmt.Errorf("threads of %s: %w", lessonID, err)
	case status == http.StatusNotFound || status == http.StatusGone:
		return &Thread{Lesson: lessonID}, nil
	}
	cleanReplies(t.Replies, d.sanitizer())
	return &t, nil
}

// getJSON GETs u from the companion and decodes its JSON answer, at most
// maxThreadBytes, into v. It returns the answer's status: 200 when v was
// filled, 404 or 410 when the companion has no such thing (v untouched).
func (d *RemoteDiscussion) getJSON(ctx context.Context, u string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
	client := d.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return resp.StatusCode, nil
	case resp.StatusCode != http.StatusOK:
		return 0, fmt.Errorf("%s answered %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxThreadBytes+1))
	if err != nil {
		return 0, err
	}
	if len(data) > maxThreadBytes {
		return 0, errors.New("answer too large")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// sanitizer is what cleans reply content read from the companion:
// d.Sanitize, else escaping.
func (d *RemoteDiscussion) sanitizer() func(string) string {
	if d.Sanitize != nil {
		return d.Sanitize
	}
	return html.EscapeString
}

// cleanReplies makes replies read from another server safe for a page: content
// through clean, and every link that is not http(s) (javascript:, data:)
// removed. Pages escape everything else (names, summaries, alt texts).
func cleanReplies(rs []*Reply, clean func(string) string) {
	for _, r := range rs {
		if r == nil {
			continue
		}
		r.Content = clean(r.Content)
		r.URL = webURL(r.URL)
		r.Author.URL = webURL(r.Author.URL)
		r.Author.Avatar = webURL(r.Author.Avatar)
		r.Attachments = slices.DeleteFunc(r.Attachments, func(a Attachment) bool { return webURL(a.URL) == "" })
		r.Replies = slices.DeleteFunc(r.Replies, func(c *Reply) bool { return c == nil })
		cleanReplies(r.Replies, clean)
	}
}

// webURL returns u when it is an absolute http or https URL, else "".
func webURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return u
}

// markModerators marks the replies written by the course's moderators.
func markModerators(lessons []*Page, moderators []string) {
	if len(moderators) == 0 {
		return
	}
	is := map[string]bool{}
	for _, m := range moderators {
		is[strings.ToLower(strings.TrimPrefix(m, "@"))] = true
	}
	var walk func([]*Reply)
	walk = func(rs []*Reply) {
		for _, r := range rs {
			r.Author.Moderator = is[strings.ToLower(strings.TrimPrefix(r.Author.Handle, "@"))]
			walk(r.Replies)
		}
	}
	for _, l := range lessons {
		if l.Thread != nil {
			walk(l.Thread.Replies)
		}
		for _, a := range l.Archive {
			if a.Thread != nil {
				walk(a.Thread.Replies)
			}
		}
	}
}
