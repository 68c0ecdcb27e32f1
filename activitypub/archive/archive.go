// Package archive writes a course's discussion as one JSON document, and
// reads it back: what `cohort export` writes and `cohort import` reads. The
// document is meant to be read by people and scripts too: replies are
// grouped in their lesson's thread, with the thread's featured replies;
// reactions, blocks, the moderation audit log and reports follow.
//
// It holds the discussion only: no followers, keys, sessions, moderator
// accounts or delivery queue (a backup of the store keeps those). It does
// not talk to a store: activitypub.Archiver gives and takes what it
// converts.
package archive

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// Format names this version of the document; Read refuses any other.
const Format = "cohort-discussion/1"

// Document is the JSON document.
type Document struct {
	Format    string     `json:"format"`
	Course    string     `json:"course,omitempty"` // the course account, @handle@domain
	Exported  time.Time  `json:"exported"`
	Threads   []Thread   `json:"threads"`
	Reactions []Reaction `json:"reactions"`
	Blocks    []Block    `json:"blocks"`
	Audit     []Audit    `json:"audit_log"`
	Flags     []Flag     `json:"flags"`
}

// Thread is one lesson's thread in one cohort: the lesson's post and its
// replies, as a flat list whose tree is in each reply's in_reply_to.
type Thread struct {
	Lesson      string     `json:"lesson"`
	Cohort      string     `json:"cohort,omitempty"`
	Object      string     `json:"object,omitempty"` // the lesson's post; "" when only replies are known
	Published   time.Time  `json:"published,omitzero"`
	Updated     time.Time  `json:"updated,omitzero"`
	ContentHash string     `json:"content_hash,omitempty"`
	Featured    []Featured `json:"featured,omitempty"`
	Replies     []Reply    `json:"replies"`
}

// Featured is a reply pinned at the top of its thread.
type Featured struct {
	Reply    string    `json:"reply"`
	Position int       `json:"position"`
	Since    time.Time `json:"since"`
}

// Reply is one reply, in whatever state or visibility it is.
type Reply struct {
	ID          string       `json:"id"`
	InReplyTo   string       `json:"in_reply_to"`
	Actor       string       `json:"actor"`
	URL         string       `json:"url,omitempty"`
	Published   time.Time    `json:"published"`
	Updated     time.Time    `json:"updated,omitzero"`
	Content     string       `json:"content"`
	Summary     string       `json:"summary,omitempty"`
	Sensitive   bool         `json:"sensitive,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	Visibility  string       `json:"visibility"`
	State       string       `json:"state"`
	Deleted     bool         `json:"deleted,omitempty"`
}

// Attachment is a reply's media.
type Attachment struct {
	URL       string `json:"url"`
	MediaType string `json:"media_type,omitempty"`
	Alt       string `json:"alt,omitempty"`
}

// Reaction is a like or a boost.
type Reaction struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Actor  string `json:"actor"`
	Object string `json:"object"`
}

// Block is a blocked actor or domain.
type Block struct {
	Target  string    `json:"target"`
	Domain  bool      `json:"domain,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	By      string    `json:"by"`
	Created time.Time `json:"created"`
}

// Audit is one entry of the moderation audit log.
type Audit struct {
	ID     int64     `json:"id"`
	Who    string    `json:"who"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Lesson string    `json:"lesson,omitempty"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// Flag is a report sent by another server.
type Flag struct {
	ID       string    `json:"id"`
	Actor    string    `json:"actor"`
	Content  string    `json:"content,omitempty"`
	Objects  []string  `json:"objects"`
	Received time.Time `json:"received"`
}

// threadKey names a thread.
type threadKey struct{ lesson, cohort string }

// From arranges a store's discussion as a Document.
func From(a activitypub.DiscussionArchive, course string, now time.Time) Document {
	d := Document{Format: Format, Course: course, Exported: now.UTC(), Threads: []Thread{}, Reactions: []Reaction{},
		Blocks: []Block{}, Audit: []Audit{}, Flags: []Flag{}}
	index := map[threadKey]int{}
	thread := func(k threadKey) *Thread {
		i, ok := index[k]
		if !ok {
			i = len(d.Threads)
			index[k] = i
			d.Threads = append(d.Threads, Thread{Lesson: k.lesson, Cohort: k.cohort, Replies: []Reply{}})
		}
		return &d.Threads[i]
	}
	for _, o := range a.Lessons {
		th := thread(threadKey{o.LessonID, o.CohortID})
		th.Object, th.Published, th.Updated, th.ContentHash = o.ObjectID, o.Published, o.Updated, o.ContentHash
	}
	for _, r := range a.Replies {
		th := thread(threadKey{r.LessonID, r.CohortID})
		rp := Reply{ID: r.ID, InReplyTo: r.InReplyTo, Actor: r.Actor, URL: r.URL, Published: r.Published, Updated: r.Updated,
			Content: r.Content, Summary: r.Summary, Sensitive: r.Sensitive, Visibility: string(r.Visibility), State: string(r.State), Deleted: r.Deleted}
		for _, at := range r.Attachments {
			rp.Attachments = append(rp.Attachments, Attachment(at))
		}
		th.Replies = append(th.Replies, rp)
	}
	for _, f := range a.Features {
		th := thread(threadKey{f.LessonID, f.CohortID})
		th.Featured = append(th.Featured, Featured{Reply: f.ReplyID, Position: f.Position, Since: f.Since})
	}
	for _, r := range a.Reactions {
		d.Reactions = append(d.Reactions, Reaction{ID: r.ID, Kind: string(r.Kind), Actor: r.Actor, Object: r.Object})
	}
	for _, b := range a.Blocks {
		d.Blocks = append(d.Blocks, Block(b))
	}
	for _, e := range a.Audit {
		d.Audit = append(d.Audit, Audit{ID: e.ID, Who: e.Who, Action: e.Action, Target: e.Target, Lesson: e.LessonID, Reason: e.Reason, At: e.At})
	}
	for _, f := range a.Flags {
		d.Flags = append(d.Flags, Flag{ID: f.ID, Actor: f.Actor, Content: f.Content, Objects: f.Objects, Received: f.Received})
	}
	return d
}

// Discussion turns a Document back into what a store imports.
func (d Document) Discussion() activitypub.DiscussionArchive {
	var a activitypub.DiscussionArchive
	for _, th := range d.Threads {
		if th.Object != "" {
			a.Lessons = append(a.Lessons, activitypub.LessonObject{LessonID: th.Lesson, CohortID: th.Cohort, ObjectID: th.Object,
				Published: th.Published, Updated: th.Updated, ContentHash: th.ContentHash})
		}
		for _, r := range th.Replies {
			rp := activitypub.Reply{ID: r.ID, LessonID: th.Lesson, CohortID: th.Cohort, InReplyTo: r.InReplyTo, Actor: r.Actor, URL: r.URL,
				Published: r.Published, Updated: r.Updated, Content: r.Content, Summary: r.Summary, Sensitive: r.Sensitive,
				Visibility: activitypub.Visibility(r.Visibility), State: activitypub.ReplyState(r.State), Deleted: r.Deleted}
			for _, at := range r.Attachments {
				rp.Attachments = append(rp.Attachments, activitypub.Attachment(at))
			}
			a.Replies = append(a.Replies, rp)
		}
		for _, f := range th.Featured {
			a.Features = append(a.Features, activitypub.Feature{ReplyID: f.Reply, LessonID: th.Lesson, CohortID: th.Cohort,
				Position: f.Position, Since: f.Since})
		}
	}
	for _, r := range d.Reactions {
		a.Reactions = append(a.Reactions, activitypub.Reaction{ID: r.ID, Kind: activitypub.ReactionKind(r.Kind), Actor: r.Actor, Object: r.Object})
	}
	for _, b := range d.Blocks {
		a.Blocks = append(a.Blocks, activitypub.Block(b))
	}
	for _, e := range d.Audit {
		a.Audit = append(a.Audit, activitypub.AuditEntry{ID: e.ID, Who: e.Who, Action: e.Action, Target: e.Target, LessonID: e.Lesson,
			Reason: e.Reason, At: e.At})
	}
	for _, f := range d.Flags {
		a.Flags = append(a.Flags, activitypub.Flag{ID: f.ID, Actor: f.Actor, Content: f.Content, Objects: f.Objects, Received: f.Received})
	}
	return a
}

// Write writes d as indented JSON.
func Write(w io.Writer, d Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // replies are HTML; keep them readable
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}

// Read reads a document written by Write. A document of another format, or
// with fields this version does not know, is refused rather than half read.
func Read(r io.Reader) (Document, error) {
	var d Document
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("archive: %w", err)
	}
	if d.Format != Format {
		return d, fmt.Errorf("archive: format %q, want %q", d.Format, Format)
	}
	if dec.More() {
		return d, errors.New("archive: more than one document")
	}
	for _, th := range d.Threads {
		if th.Lesson == "" {
			return d, errors.New("archive: a thread without a lesson")
		}
	}
	return d, nil
}
