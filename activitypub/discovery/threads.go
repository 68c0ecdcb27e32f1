package discovery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

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

// threadCache keeps each lesson's rendered thread until it changes, so
// pages read it without touching the database.
type threadCache struct {
	mu      sync.RWMutex
	gen     uint64 // bumped by every invalidation
	entries map[string]threadEntry
}

type threadEntry struct {
	body []byte
	etag string
}

func newThreadCache() *threadCache { return &threadCache{entries: map[string]threadEntry{}} }

// Invalidate drops the cached threads of lessonID, in every cohort, or
// every thread when lessonID is "". The inbox calls it after a change is
// committed.
func (h *Handler) Invalidate(lessonID string) {
	c := h.threads
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if lessonID == "" {
		clear(c.entries)
		return
	}
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

func (c *threadCache) get(lessonID string) (threadEntry, uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[lessonID]
	return e, c.gen, ok
}

// put stores a thread built when the generation was gen; if anything was
// invalidated since, the build may be stale and is not kept.
func (c *threadCache) put(lessonID string, gen uint64, e threadEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.entries[lessonID] = e
	}
}

// thread answers /api/threads/{id}?cohort={cohort} with the Thread of the
// cohort's post of the lesson (no cohort: the course's one post), CORS for
// the site's origin, an ETag and 304 when it did not change. A private
// cohort's thread is 404 unless its discussion is shown.
func (h *Handler) thread(w http.ResponseWriter, r *http.Request) error {
	lessonID, cohortID := r.PathValue("id"), r.URL.Query().Get("cohort")
	if h.private(cohortID) {
		return notFound(fmt.Errorf("thread of private cohort %s: %w", cohortID, activitypub.ErrNotFound))
	}
	key := threadKey(lessonID, cohortID)
	e, gen, ok := h.threads.get(key)
	if !ok {
		body, err := h.buildThread(r.Context(), lessonID, cohortID)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		e = threadEntry{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		h.threads.put(key, gen, e)
	}
	hdr := w.Header()
	h.cors(hdr)
	hdr.Set("ETag", e.etag)
	hdr.Set("Cache-Control", "no-cache")
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatch(match, e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(e.body)
	return err
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

// buildThread reads a lesson's public, shown replies, their authors and
// counts, and lays them out as a tree. A reply whose parent is not listed
// (deleted, hidden, held or not public) is shown at the top level. Featured
// replies come first, at the top level in pinned order, with the replies
// to them.
func (h *Handler) buildThread(ctx context.Context, lessonID, cohortID string) ([]byte, error) {
	t, err := h.readCohort(ctx, lessonID, cohortID)
	if err != nil {
		return nil, err
	}
	return json.Marshal(t)
}

// readThread is the thread of a course without cohorts.
func (h *Handler) readThread(ctx context.Context, lessonID string) (*Thread, error) {
	return h.readCohort(ctx, lessonID, "")
}

// readCohort is buildThread before it is written as JSON: the thread of
// cohortID's post of the lesson ("" for the course's one post). It does not
// check privacy; its callers do, with private.
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
	for _, r := range replies {
		if featured[r.ID] {
			continue
		}
		if _, ok := nodes[r.InReplyTo]; ok && r.InReplyTo != r.ID {
			children[r.InReplyTo] = append(children[r.InReplyTo], r.ID)
		} else {
			roots = append(roots, r.ID)
		}
	}
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
	return &t, nil
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
