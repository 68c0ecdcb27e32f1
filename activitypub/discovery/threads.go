package discovery

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/site"
)

// Thread is the JSON the lesson pages load from /api/threads/<lesson-id>: the
// public replies of a lesson as a tree, ready to show. It is site.Thread, so the
// API and the built pages have one shape.
type Thread = site.Thread

// ThreadReply is one reply in a Thread, with the replies to it.
type ThreadReply = site.Reply

// ThreadAuthor is who wrote a reply.
type ThreadAuthor = site.Author

// ThreadAttachment is a media file of a reply, as a link with its description.
type ThreadAttachment = site.Attachment

// threadCache keeps each lesson's thread, read once, and the answers made
// from it (pages, changes, the whole thread) until the thread changes, so
// readers do not touch the database for what they were already given.
//
// A MOOC's thread of 30,000 replies takes about half a second to read, and
// a busy lesson changes several times a second: so concurrent readers of a
// thread that is not cached wait for one read (flight) instead of each
// making their own, and a change to one lesson does not throw away a read
// of another that was under way.
type threadCache struct {
	mu      sync.RWMutex
	all     uint64            // bumped when every thread is invalidated
	gens    map[string]uint64 // by lesson id: bumped when its threads are
	entries map[string]*cachedThread
	flight  singleflight.Group // by thread key: one read at a time
}

// cachedThread is one thread as read, and the answers made from it.
type cachedThread struct {
	t      *Thread
	cohort string
	seq    int64 // ThreadSeq read before t
	mu     sync.Mutex
	made   map[string]threadEntry // by the query that asked for it
}

// threadEntry is one answer of the threads API, plain and gzipped.
type threadEntry struct {
	body, gz []byte
	etag     string
}

// maxAnswersPerThread bounds the answers one cached thread keeps: a few pages
// and the cursors of the pages open on it; more are made again when asked.
const maxAnswersPerThread = 256

func newThreadCache() *threadCache {
	return &threadCache{gens: map[string]uint64{}, entries: map[string]*cachedThread{}}
}

// Invalidate drops the cached threads of lessonID, in every cohort, or
// every thread when lessonID is "". The inbox calls it after a change is
// committed.
func (h *Handler) Invalidate(lessonID string) {
	c := h.threads
	c.mu.Lock()
	defer c.mu.Unlock()
	if lessonID == "" {
		c.all++
		clear(c.entries)
		return
	}
	c.gens[lessonID]++
	for k := range c.entries {
		if k == lessonID || strings.HasPrefix(k, lessonID+cohortSep) {
			delete(c.entries, k)
		}
	}
}

// cohortSep joins a lesson id and a cohort id into a cache key; lesson ids
// are slugs and never hold it.
const cohortSep = "\x00"

// threadKey is the cache key of a lesson's thread in a cohort.
func threadKey(lessonID, cohortID string) string {
	if cohortID == "" {
		return lessonID
	}
	return lessonID + cohortSep + cohortID
}

func (c *threadCache) get(key string) (*cachedThread, uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[key]
	return e, c.gen(key), ok
}

// gen is the generation of a thread: it grows with every invalidation that
// covers it. Call with c.mu held.
func (c *threadCache) gen(key string) uint64 {
	lesson, _, _ := strings.Cut(key, cohortSep)
	return c.all + c.gens[lesson]
}

// put stores a thread read when its generation was gen; if it was
// invalidated since, the read may be stale and is not kept.
func (c *threadCache) put(key string, gen uint64, e *cachedThread) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen(key) == gen {
		c.entries[key] = e
	}
}

// cached returns the thread of a lesson in a cohort, read once until it
// changes.
func (h *Handler) cached(ctx context.Context, lessonID, cohortID string) (*cachedThread, error) {
	key := threadKey(lessonID, cohortID)
	if ct, _, ok := h.threads.get(key); ok {
		return ct, nil
	}
	// Readers that miss together wait for one read. Its result goes to all
	// of them even when a change landed meanwhile (they see that change at
	// their next look), but it is kept only if none did.
	shared := context.WithoutCancel(ctx) // one reader leaving must not fail the others
	v, err, _ := h.threads.flight.Do(key, func() (any, error) {
		ctx := shared
		ct, gen, ok := h.threads.get(key)
		if ok {
			return ct, nil
		}
		// The number first: a change after it is numbered above it, so
		// asking for the changes after it misses nothing the thread read
		// leaves out.
		seq, err := h.o.Store.ThreadSeq(ctx, lessonID, cohortID)
		if err != nil {
			return nil, err
		}
		t, err := h.readCohort(ctx, lessonID, cohortID)
		if err != nil {
			return nil, err
		}
		t.Since = sinceCursor(seq)
		ct = &cachedThread{t: t, cohort: cohortID, seq: seq, made: map[string]threadEntry{}}
		h.threads.put(key, gen, ct)
		return ct, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*cachedThread), nil
}

// answer returns the cached answer to query, making it with mk the first
// time.
func (ct *cachedThread) answer(query string, mk func() (any, error)) (threadEntry, error) {
	ct.mu.Lock()
	e, ok := ct.made[query]
	ct.mu.Unlock()
	if ok {
		return e, nil
	}
	v, err := mk()
	if err != nil {
		return e, err
	}
	body, err := json.Marshal(v)
	if err != nil {
		return e, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed) // a valid level: no error
	zw.Write(body)
	if err := zw.Close(); err != nil {
		return e, err
	}
	sum := sha256.Sum256(body)
	e = threadEntry{body: body, gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	ct.mu.Lock()
	if len(ct.made) >= maxAnswersPerThread {
		clear(ct.made)
	}
	ct.made[query] = e
	ct.mu.Unlock()
	return e, nil
}

// Paging of the threads API (issue 11). A lesson's thread of 30,000 replies
// was one answer of 11 MB; now the API gives it as the site does, a page at
// a time, and an open page asks only for what changed.
const (
	// threadPageSize and threadAnswers shape a page as the site's lesson page:
	// so many top-level replies, each with its first few answers.
	threadPageSize = site.DefaultThreadPageSize
	threadAnswers  = site.DefaultThreadAnswers
	// maxChanges bounds one answer to ?since=; more are in the next
	// (the answer says so with "more").
	maxChanges = 100
)

// thread answers /api/threads/{id}?cohort={cohort} with a page of the
// Thread of the cohort's post of the lesson (no cohort: the course's one
// post): featured replies, then the newest top-level replies, each with its
// first answers, and the cursor of the next page. ?after= asks for the page
// after a cursor, ?since= for what changed since the thread was read (the
// live script), ?all=1 for the whole thread (a build from another machine).
// It sets CORS for the site's origin, an ETag per answer and 304 when it
// did not change, and gzips for a client that accepts it. A private
// cohort's thread is 404 unless its discussion is shown.
func (h *Handler) thread(w http.ResponseWriter, r *http.Request) error {
	lessonID, cohortID := r.PathValue("id"), r.URL.Query().Get("cohort")
	if h.private(cohortID) {
		return notFound(fmt.Errorf("thread of private cohort %s: %w", cohortID, activitypub.ErrNotFound))
	}
	ct, err := h.cached(r.Context(), lessonID, cohortID)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var e threadEntry
	switch {
	case q.Has("since"):
		since := q.Get("since")
		e, err = ct.answer("since="+since, func() (any, error) { return h.changes(r.Context(), ct, since) })
	case q.Get("all") != "":
		e, err = ct.answer("all", func() (any, error) { return ct.t, nil })
	default:
		after := q.Get("after")
		e, err = ct.answer("after="+after, func() (any, error) { return threadPage(ct.t, after) })
	}
	if err != nil {
		return err
	}
	hdr := w.Header()
	h.cors(hdr)
	hdr.Add("Vary", "Accept-Encoding")
	hdr.Set("Cache-Control", "no-cache")
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	etag := e.etag
	if gz {
		etag = strings.TrimSuffix(etag, `"`) + `-gz"` // another representation, another tag
	}
	hdr.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && (etagMatch(match, e.etag) || etagMatch(match, etag)) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	body := e.body
	if gz {
		hdr.Set("Content-Encoding", "gzip")
		body = e.gz
	}
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) listed without
// q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			return false
		}
		return true
	}
	return false
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// cors allows the course site's origin to read the API.
func (h *Handler) cors(hdr http.Header) {
	hdr.Set("Access-Control-Allow-Origin", h.o.Course.Origin())
	hdr.Set("Access-Control-Expose-Headers", "ETag")
	hdr.Add("Vary", "Origin")
}

// threadPreflight answers the CORS preflight of a conditional GET.
func (h *Handler) threadPreflight(w http.ResponseWriter, r *http.Request) error {
	hdr := w.Header()
	h.cors(hdr)
	hdr.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	hdr.Set("Access-Control-Allow-Headers", "If-None-Match")
	hdr.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// A page cursor names the last top-level reply of a page, opaquely: "f" and
// its position among the featured replies, which come first in pinned
// order, or "r" and its (published, id), a keyset place among the others,
// newest first, that stays right while replies arrive and leave.

func pageCursor(t *Thread, i int) string {
	r := t.Replies[i]
	raw := "f" + strconv.Itoa(i)
	if !r.Featured {
		raw = "r" + activitypub.Cursor{At: r.Published, ID: r.ID}.String()
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// pageStart finds where the page after cursor starts in t.Replies.
func pageStart(t *Thread, cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) < 2 {
		return 0, badRequest(fmt.Errorf("page cursor %q: not one this API gave", cursor))
	}
	if raw[0] == 'f' {
		n, err := strconv.Atoi(string(raw[1:]))
		if err != nil || n < 0 {
			return 0, badRequest(fmt.Errorf("page cursor %q: not one this API gave", cursor))
		}
		i := 0
		for i < len(t.Replies) && t.Replies[i].Featured && i <= n {
			i++
		}
		return i, nil
	}
	c, err := activitypub.ParseCursor(string(raw[1:]))
	if err != nil || raw[0] != 'r' {
		return 0, badRequest(fmt.Errorf("page cursor %q: not one this API gave", cursor))
	}
	for i, r := range t.Replies {
		if r.Featured {
			continue
		}
		if r.Published.Before(c.At) || (r.Published.Equal(c.At) && r.ID < c.ID) {
			return i, nil
		}
	}
	return len(t.Replies), nil
}

// threadPage is the page of t after cursor: the shape the lesson page shows.
func threadPage(t *Thread, cursor string) (*Thread, error) {
	start, err := pageStart(t, cursor)
	if err != nil {
		return nil, err
	}
	end := min(start+threadPageSize, len(t.Replies))
	p := *t
	p.Replies = make([]*ThreadReply, 0, end-start)
	for _, r := range t.Replies[start:end] {
		p.Replies = append(p.Replies, site.FirstAnswers(r, threadAnswers))
	}
	if end < len(t.Replies) {
		p.Next = pageCursor(t, end-1)
	}
	return &p, nil
}

// A changes cursor is the number of the newest change a reader saw.
func sinceCursor(seq int64) string { return "c" + strconv.FormatInt(seq, 10) }

func parseSince(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "c"), 10, 64)
	if err != nil || !strings.HasPrefix(s, "c") || n < 0 {
		return 0, badRequest(fmt.Errorf("changes cursor %q: not one this API gave", s))
	}
	return n, nil
}

// threadChanges is the answer to ?since=: the thread's counts, the replies
// changed after the cursor (new, edited, reacted to, featured), those to
// remove, and the cursor to ask with next.
type threadChanges struct {
	Lesson  string         `json:"lesson"`
	Object  string         `json:"object"`
	Likes   int            `json:"likes"`
	Boosts  int            `json:"boosts"`
	Count   int            `json:"count"`
	Changes []threadChange `json:"changes"`
	Since   string         `json:"since"`
	More    bool           `json:"more,omitempty"` // ask again with Since: there are more
}

// threadChange is a changed reply without its answers, with the post it
// answers (the lesson's post, or a reply), or just the id of one to remove.
type threadChange struct {
	ID string `json:"id"`
	*ThreadReply
	InReplyTo string `json:"in_reply_to,omitempty"`
	Removed   bool   `json:"removed,omitempty"`
}

// changes reads what changed in ct's thread after the cursor since.
func (h *Handler) changes(ctx context.Context, ct *cachedThread, since string) (*threadChanges, error) {
	after, err := parseSince(since)
	if err != nil {
		return nil, err
	}
	t := ct.t
	out := &threadChanges{Lesson: t.Lesson, Object: t.Object, Likes: t.Likes, Boosts: t.Boosts, Count: t.Count,
		Changes: []threadChange{}, Since: since}
	cs, err := h.o.Store.ThreadChanges(ctx, t.Lesson, ct.cohort, after, maxChanges)
	if err != nil {
		return nil, err
	}
	out.More = len(cs) == maxChanges
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	counts, err := h.o.Store.Counts(ctx, ids)
	if err != nil {
		return nil, err
	}
	featured := map[string]bool{}
	for _, r := range t.Replies {
		if r.Featured {
			featured[r.ID] = true
		}
	}
	marked := marks(t)
	for _, c := range cs {
		out.Since = sinceCursor(c.Seq)
		if !c.Listed {
			out.Changes = append(out.Changes, threadChange{ID: c.ID, Removed: true})
			continue
		}
		a, err := h.author(ctx, c.Actor)
		if err != nil {
			return nil, err
		}
		tr := threadReply(c.Reply, a, counts[c.ID])
		tr.Featured = featured[c.ID]
		if m, ok := marked[c.ID]; ok {
			tr.Submission, tr.Review = m.Submission, m.Review
		}
		out.Changes = append(out.Changes, threadChange{ID: c.ID, ThreadReply: tr, InReplyTo: c.InReplyTo})
	}
	return out, nil
}

// readCohort reads a lesson's public, shown replies, their authors and
// counts, and lays them out as a tree: the thread of cohortID's post of the
// lesson ("" for the course's one post). A reply whose parent is not listed
// (deleted, hidden, held or not public) is shown at the top level. Featured
// replies come first, at the top level in pinned order, with the replies to
// them; then the other top-level replies, newest first. It does not check
// privacy; its callers do, with private.
func (h *Handler) readCohort(ctx context.Context, lessonID, cohortID string) (*Thread, error) {
	o, err := h.o.Store.LessonObject(ctx, lessonID, cohortID)
	if err != nil {
		return nil, notFound(err)
	}
	replies, err := h.o.Store.Thread(ctx, lessonID, cohortID)
	if err != nil {
		return nil, err
	}
	features, err := h.o.Store.Features(ctx, lessonID, cohortID)
	if err != nil {
		return nil, err
	}
	featured := make(map[string]bool, len(features))
	for _, f := range features {
		featured[f.ReplyID] = true
	}
	ids := make([]string, 0, len(replies)+1)
	ids = append(ids, o.ObjectID)
	for _, r := range replies {
		ids = append(ids, r.ID)
	}
	counts, err := h.o.Store.Counts(ctx, ids)
	if err != nil {
		return nil, err
	}
	authors := map[string]ThreadAuthor{}
	nodes := make(map[string]*ThreadReply, len(replies))
	for _, r := range replies {
		a, ok := authors[r.Actor]
		if !ok {
			if a, err = h.author(ctx, r.Actor); err != nil {
				return nil, err
			}
			authors[r.Actor] = a
		}
		nodes[r.ID] = threadReply(r, a, counts[r.ID])
		nodes[r.ID].Featured = featured[r.ID]
	}
	t := Thread{Lesson: lessonID, Object: o.ObjectID, Likes: counts[o.ObjectID].Likes, Boosts: counts[o.ObjectID].Announces,
		Count: len(replies), Replies: []*ThreadReply{}}
	// Replies come in published order, so each list of children does too.
	children := map[string][]string{}
	var roots []string
	for _, f := range features {
		if _, ok := nodes[f.ReplyID]; ok {
			roots = append(roots, f.ReplyID)
		}
	}
	var others []string
	for _, r := range replies {
		if featured[r.ID] {
			continue
		}
		if _, ok := nodes[r.InReplyTo]; ok && r.InReplyTo != r.ID {
			children[r.InReplyTo] = append(children[r.InReplyTo], r.ID)
		} else {
			others = append(others, r.ID)
		}
	}
	// The newest top-level replies first: a new one shows on top, where its
	// author looks for it, and a page's cursor is a keyset place that stays
	// right as replies arrive (the most-replied order would move as answers
	// come, so a page could skip or repeat replies).
	slices.Reverse(others)
	roots = append(roots, others...)
	var build func(id string, depth int) *ThreadReply
	build = func(id string, depth int) *ThreadReply {
		n := *nodes[id] // a copy: the depth bound holds whatever a hostile server sent
		if depth < maxTreeDepth {
			for _, c := range children[id] {
				n.Replies = append(n.Replies, build(c, depth+1))
			}
		}
		return &n
	}
	for _, id := range roots {
		t.Replies = append(t.Replies, build(id, 0))
	}
	if h.o.Assignment != nil && h.o.Assignment(lessonID) {
		site.MarkAssignment(&t) // as the build marks the page (site/assignment.go)
	}
	return &t, nil
}

// marks returns the submission and review marks of the replies of t by
// id, for the changes the live script asks for.
func marks(t *Thread) map[string]*ThreadReply {
	out := map[string]*ThreadReply{}
	var walk func(rs []*ThreadReply)
	walk = func(rs []*ThreadReply) {
		for _, r := range rs {
			if r.Submission || r.Review {
				out[r.ID] = r
			}
			walk(r.Replies)
		}
	}
	walk(t.Replies)
	return out
}

// maxTreeDepth bounds the nesting of the tree, so a reply cycle sent by a
// hostile server cannot recurse forever.
const maxTreeDepth = 64

func threadReply(r activitypub.Reply, a ThreadAuthor, c activitypub.Counts) *ThreadReply {
	tr := &ThreadReply{ID: r.ID, URL: r.URL, Author: a, Published: second(r.Published), Edited: second(r.Updated),
		Content: r.Content, Summary: r.Summary, Sensitive: r.Sensitive, Attachments: []ThreadAttachment{},
		Likes: c.Likes, Boosts: c.Announces, Replies: []*ThreadReply{}}
	if tr.URL == "" {
		tr.URL = r.ID
	}
	for _, at := range r.Attachments {
		tr.Attachments = append(tr.Attachments, ThreadAttachment{URL: at.URL, MediaType: at.MediaType, Alt: at.Alt})
	}
	return tr
}

// author describes an actor from the Store's copy; an actor never fetched
// is shown by its id.
func (h *Handler) author(ctx context.Context, id string) (ThreadAuthor, error) {
	if h.actors != nil {
		if t, ok := h.actors.Load(id); ok {
			return t.(ThreadAuthor), nil
		}
	}
	t, err := h.readAuthor(ctx, id)
	if err == nil && h.actors != nil {
		h.actors.Store(id, t)
	}
	return t, err
}

func (h *Handler) readAuthor(ctx context.Context, id string) (ThreadAuthor, error) {
	a, err := h.o.Store.Actor(ctx, id)
	if errors.Is(err, activitypub.ErrNotFound) {
		return ThreadAuthor{Name: id, URL: webURL(id)}, nil // no handle: never marked a moderator
	}
	if err != nil {
		return ThreadAuthor{}, err
	}
	t := ThreadAuthor{Name: a.Name, Handle: a.Handle(), Avatar: webURL(a.IconURL), URL: webURL(a.URL)}
	t.Moderator = activitypub.Moderation{Moderators: h.o.Moderators}.IsModerator(a.ID, t.Handle)
	if t.Name == "" {
		t.Name = a.PreferredUsername
	}
	if t.URL == "" {
		t.URL = webURL(a.ID)
	}
	return t, nil
}

// webURL returns s when it is an absolute http(s) URL, else "": what a
// remote server wrote goes into href and src attributes of the page.
func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return s
}

// second is t in UTC to the second: what the API shows of a time.
func second(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Second)
}
