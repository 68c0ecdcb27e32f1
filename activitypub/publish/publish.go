// Package publish turns the lessons manifest that the site build writes
// (lessons.json) into posts of the course actor: a Create for each released
// lesson not yet published, an Update when a lesson's text hash changed, a
// Delete when a lesson left the manifest. Each is queued for every
// follower's (shared) inbox; the delivery worker sends them.
//
// It never reads Markdown: what a lesson post says comes from the manifest
// (title, summary, discussion prompt, page URL). It is also where the
// lesson's Note is built, so the document served at the lesson's id is the
// one that was delivered.
package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/delivery"
	"github.com/cohort-course/cohort/site"
)

// DeletedHash is the ContentHash of a lesson object whose lesson was
// removed: the object is kept, so its id answers as a Tombstone and is
// never reused for another lesson.
const DeletedHash = "deleted"

// ErrDeleted is returned by Note for a lesson that was removed.
var ErrDeleted = errors.New("lesson deleted")

// WatchInterval is how often Watch looks at the manifest for a change: a
// build writes it at most every few seconds while an author edits.
const WatchInterval = 2 * time.Second

// RepliesPage is how many replies one page of a lesson's replies collection
// lists. A Note embeds its first page, so this also bounds what a Create or
// Update carries: 50 ids are a few kilobytes.
const RepliesPage = 50

// Replies reads the direct replies of a post a page at a time;
// activitypub.Store is one.
type Replies interface {
	RepliesTo(ctx context.Context, lessonID, cohortID, parentID string, offset, limit int) ([]string, error)
}

// RepliesPageOf returns page n (from 1) of lesson object o's replies
// collection, the ids of the public replies that answer o itself (answers
// to them are in their own collections, on their servers), and whether
// another page follows. It reads one page, not the thread.
func RepliesPageOf(ctx context.Context, st Replies, o activitypub.LessonObject, n int) ([]string, bool, error) {
	ids, err := st.RepliesTo(ctx, o.LessonID, o.CohortID, o.ObjectID, (n-1)*RepliesPage, RepliesPage+1)
	if err != nil {
		return nil, false, fmt.Errorf("replies of %s, page %d: %w", o.ObjectID, n, err)
	}
	if len(ids) > RepliesPage {
		return ids[:RepliesPage], true, nil
	}
	return ids, false, nil
}

// RepliesPageURL is the URL of page n (from 1) of a replies collection.
func RepliesPageURL(collection string, n int) string {
	return collection + "?page=" + strconv.Itoa(n)
}

// Options configure a Publisher.
type Options struct {
	Store  activitypub.Store
	URLs   activitypub.URLs
	Logger *slog.Logger
	Now    func() time.Time
	// Enqueued is called after deliveries were queued. May be nil.
	Enqueued func()
	// Actors resolves the recipients of a direct message (Direct). Nil
	// reads them from the Store only.
	Actors Actors
}

// Publisher keeps the course actor's lesson posts in step with the
// manifest.
type Publisher struct {
	o   Options
	log *slog.Logger

	mu       sync.RWMutex
	manifest *site.Manifest
	lessons  map[string]site.ManifestLesson
	private  map[string]bool // the private cohorts' ids

	// syncing makes one Sync run at a time: two at once (a build's and the
	// watcher's) would both see a lesson unpublished and both send its Create.
	syncing sync.Mutex
}

// New returns a Publisher with no manifest yet.
func New(o Options) *Publisher {
	p := &Publisher{o: o, log: o.Logger, lessons: map[string]site.ManifestLesson{}}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.o.Now == nil {
		p.o.Now = time.Now
	}
	return p
}

// released reports whether a lesson is to be posted at now: once it has
// opened for at least one cohort (its Releases in the manifest, computed by the
// build from the cohorts' rhythm), or at once for a course without cohorts.
func released(l site.ManifestLesson, now time.Time) bool {
	if len(l.Releases) == 0 {
		return true
	}
	for _, at := range l.Releases {
		if !now.Before(at) {
			return true
		}
	}
	return false
}

// nextRelease is the first moment after now at which a lesson of m opens
// for a cohort, or zero: Watch publishes it then by itself, with no new
// build.
func nextRelease(m *site.Manifest, now time.Time) time.Time {
	var next time.Time
	if m == nil {
		return next
	}
	for _, l := range m.Lessons {
		for _, at := range l.Releases {
			if at.After(now) && (next.IsZero() || at.Before(next)) {
				next = at
			}
		}
	}
	return next
}

// posts returns the cohorts whose post of lesson l is due at now: for a
// course with cohorts, each cohort the lesson has opened for (a lesson with
// no release dates at all is open for every cohort); for a course without,
// the one cohort-less post ("") once the lesson is released.
func posts(m *site.Manifest, l site.ManifestLesson, now time.Time) []string {
	if len(m.Cohorts) == 0 {
		if released(l, now) {
			return []string{""}
		}
		return nil
	}
	var out []string
	for _, c := range m.Cohorts {
		at, ok := l.Releases[c.ID]
		if (!ok && len(l.Releases) > 0) || (ok && now.Before(at)) {
			continue
		}
		out = append(out, c.ID)
	}
	return out
}

// postKey names one post: a lesson in a cohort.
type postKey struct{ lesson, cohort string }

// Load reads a lessons manifest.
func Load(path string) (*site.Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	var m site.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", path, err)
	}
	return &m, nil
}

// Private reports whether cohortID is a private cohort in the manifest of
// the last Sync: its posts go to the followers only.
func (p *Publisher) Private(cohortID string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.private[cohortID]
}

// Lesson returns the lesson lessonID of the last Sync's manifest.
func (p *Publisher) Lesson(lessonID string) (site.ManifestLesson, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	l, ok := p.lessons[lessonID]
	return l, ok
}

// Manifest returns the manifest of the last Sync, or nil.
func (p *Publisher) Manifest() *site.Manifest {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.manifest
}

// Sync publishes what changed between the store's lesson objects and m:
// Creates, Updates and Deletes (of a lesson gone from m, and of the posts of a
// cohort gone from it), each queued for every follower inbox
// before the lesson object is saved, so a crash in between re-sends rather
// than loses. It remembers m for Note.
func (p *Publisher) Sync(ctx context.Context, m *site.Manifest) error {
	p.syncing.Lock()
	defer p.syncing.Unlock()
	lessons, private := lessonsOf(m), privateOf(m)
	p.mu.Lock()
	p.manifest, p.lessons, p.private = m, lessons, private
	p.mu.Unlock()

	objs, err := p.o.Store.LessonObjects(ctx)
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	byPost := make(map[postKey]activitypub.LessonObject, len(objs))
	for _, o := range objs {
		byPost[postKey{o.LessonID, o.CohortID}] = o
	}
	var inboxes []string
	loadInboxes := func() error {
		if inboxes != nil {
			return nil
		}
		inboxes, err = p.o.Store.FollowerInboxes(ctx)
		return err
	}
	now := p.o.Now().UTC().Truncate(time.Second)
	queued := 0
	for _, l := range m.Lessons {
		for _, cohort := range posts(m, l, now) {
			o, ok := byPost[postKey{l.ID, cohort}]
			if ok && o.ContentHash == l.Hash {
				continue
			}
			if err := loadInboxes(); err != nil {
				return fmt.Errorf("publish: followers: %w", err)
			}
			var n int
			if !ok || o.ContentHash == DeletedHash {
				o = activitypub.LessonObject{LessonID: l.ID, CohortID: cohort, ObjectID: p.o.URLs.CohortLesson(cohort, l.ID),
					Published: now, ContentHash: l.Hash}
				n, err = p.send(ctx, "Create", o, l, inboxes)
			} else {
				o.Updated, o.ContentHash = now, l.Hash
				n, err = p.send(ctx, "Update", o, l, inboxes)
			}
			if err != nil {
				return fmt.Errorf("publish %s/%s: %w", l.ID, cohort, err)
			}
			if err := p.o.Store.SaveLessonObject(ctx, o); err != nil {
				return fmt.Errorf("publish %s/%s: %w", l.ID, cohort, err)
			}
			queued += n
		}
	}
	cohorts := map[string]bool{}
	for _, c := range m.Cohorts {
		cohorts[c.ID] = true
	}
	for _, o := range objs {
		_, lessonKept := lessons[o.LessonID]
		cohortKept := o.CohortID == "" || cohorts[o.CohortID]
		if (lessonKept && cohortKept) || o.ContentHash == DeletedHash {
			continue
		}
		if err := loadInboxes(); err != nil {
			return fmt.Errorf("publish: followers: %w", err)
		}
		deleteOf := as.Delete
		if private[o.CohortID] || !cohortKept {
			// A cohort no longer in the manifest may have been private: its
			// posts are withdrawn from followers only, never announced to all.
			deleteOf = as.DeleteFollowersOnly
		}
		body, err := deleteOf(o.ObjectID+"#delete", p.o.URLs.Actor(), o.ObjectID, p.o.URLs.Followers())
		if err != nil {
			return fmt.Errorf("delete %s: %w", o.LessonID, err)
		}
		n, err := delivery.Enqueue(ctx, p.o.Store, o.ObjectID+"#delete", body, inboxes)
		if err != nil {
			return fmt.Errorf("delete %s: %w", o.LessonID, err)
		}
		o.ContentHash, o.Updated = DeletedHash, now
		if err := p.o.Store.SaveLessonObject(ctx, o); err != nil {
			return fmt.Errorf("delete %s: %w", o.LessonID, err)
		}
		p.log.Info("lesson deleted", "lesson_id", o.LessonID, "cohort_id", o.CohortID, "deliveries", n)
		queued += n
	}
	if queued > 0 && p.o.Enqueued != nil {
		p.o.Enqueued()
	}
	return nil
}

// send queues a Create or Update of lesson l's Note.
func (p *Publisher) send(ctx context.Context, kind string, o activitypub.LessonObject, l site.ManifestLesson, inboxes []string) (int, error) {
	note, quotes, err := p.quotingNote(ctx, l, o)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", kind, err)
	}
	if len(quotes) > 0 {
		inboxes = append(mentionedInboxes(quotes), inboxes...)
	}
	var (
		id   string
		body []byte
	)
	if kind == "Create" {
		id = o.ObjectID + "#create"
		body, err = as.Create(id, note)
	} else {
		id = o.ObjectID + "#updates/" + strconv.FormatInt(o.Updated.Unix(), 10)
		body, err = as.Update(id, note)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", kind, err)
	}
	n, err := delivery.Enqueue(ctx, p.o.Store, id, body, inboxes)
	if err != nil {
		return n, fmt.Errorf("%s: %w", kind, err)
	}
	p.log.Info("lesson published", "lesson_id", l.ID, "cohort_id", o.CohortID, "kind", kind, "deliveries", n)
	return n, nil
}

// Note returns the Note of a lesson's post in a cohort ("" for a course
// without cohorts), as served at its id: from the last manifest and the
// stored lesson object. It returns an error wrapping activitypub.ErrNotFound
// for an unknown lesson or a cohort it was not posted to, and ErrDeleted
// for a removed one.
func (p *Publisher) Note(ctx context.Context, lessonID, cohortID string) (as.LessonNote, error) {
	o, err := p.o.Store.LessonObject(ctx, lessonID, cohortID)
	if err != nil {
		return as.LessonNote{}, fmt.Errorf("note %s: %w", lessonID, err)
	}
	if o.ContentHash == DeletedHash {
		return as.LessonNote{}, fmt.Errorf("note %s: %w", lessonID, ErrDeleted)
	}
	p.mu.RLock()
	l, ok := p.lessons[lessonID]
	p.mu.RUnlock()
	if !ok {
		return as.LessonNote{}, fmt.Errorf("note %s: not in the manifest: %w", lessonID, activitypub.ErrNotFound)
	}
	return p.note(ctx, l, o)
}

// note builds the lesson's post: the title as a bold first line, the
// summary, the discussion prompt and a link to the page, which Mastodon 4
// shows as they are; and the first page of its replies, embedded. A private
// cohort's post lists no replies: its Note may be read by anyone who asks.
func (p *Publisher) note(ctx context.Context, l site.ManifestLesson, o activitypub.LessonObject) (as.LessonNote, error) {
	n, _, err := p.quotingNote(ctx, l, o)
	return n, err
}

// quotingNote is note, with the replies the lesson quotes (a weave): the
// post links each and mentions their authors (mentions.go).
func (p *Publisher) quotingNote(ctx context.Context, l site.ManifestLesson, o activitypub.LessonObject) (as.LessonNote, []quoted, error) {
	var b strings.Builder
	b.WriteString("<p><strong>" + html.EscapeString(l.Title) + "</strong></p>")
	if l.Summary != "" {
		b.WriteString("<p>" + html.EscapeString(l.Summary) + "</p>")
	}
	if l.Discussion != "" {
		b.WriteString("<p>" + html.EscapeString(l.Discussion) + "</p>")
	}
	u := html.EscapeString(l.URL)
	b.WriteString(`<p><a href="` + u + `">` + u + `</a></p>`)
	lang := ""
	if m := p.Manifest(); m != nil {
		lang = m.Language
	}
	p.mu.RLock()
	followersOnly := p.private[o.CohortID]
	p.mu.RUnlock()
	replies := p.o.URLs.CohortReplies(o.CohortID, l.ID)
	n := as.LessonNote{
		ID: o.ObjectID, URL: l.URL, AttributedTo: p.o.URLs.Actor(), Followers: p.o.URLs.Followers(),
		FollowersOnly: followersOnly,
		Content:       b.String(), Language: lang, Published: o.Published, Updated: o.Updated,
		Replies: replies, RepliesFirst: RepliesPageURL(replies, 1), RepliesItems: []string{},
	}
	quotes, err := p.quotedReplies(ctx, l, o.CohortID)
	if err != nil {
		return as.LessonNote{}, nil, fmt.Errorf("note %s: %w", l.ID, err)
	}
	mention(&n, quotes)
	if followersOnly {
		return n, quotes, nil
	}
	ids, more, err := RepliesPageOf(ctx, p.o.Store, o, 1)
	if err != nil {
		return as.LessonNote{}, nil, fmt.Errorf("note %s: %w", l.ID, err)
	}
	if more {
		n.RepliesNext = RepliesPageURL(replies, 2)
	}
	n.RepliesItems = append(n.RepliesItems, ids...)
	return n, quotes, nil
}

// Watch syncs the manifest at path now and whenever its modification time
// or size changes, until ctx is done. A missing or broken manifest is
// logged and retried: the site may not be built yet.
func (p *Publisher) Watch(ctx context.Context, path string) { p.watch(ctx, path, true) }

// Follow reloads the manifest at path when it changes, as Watch does, but
// only remembers it (Keep), publishing nothing: a process that stands by
// while another leads "publish" (issue 11) still serves the lesson posts.
func (p *Publisher) Follow(ctx context.Context, path string) { p.watch(ctx, path, false) }

// Keep remembers m for Note and Private without publishing anything.
func (p *Publisher) Keep(m *site.Manifest) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.manifest, p.lessons, p.private = m, lessonsOf(m), privateOf(m)
}

func (p *Publisher) watch(ctx context.Context, path string, publish bool) {
	var lastMod time.Time
	var lastSize int64 = -1
	t := time.NewTicker(WatchInterval)
	defer t.Stop()
	var due time.Time // when the next lesson opens for a cohort
	for {
		if fi, err := os.Stat(path); err == nil && (!fi.ModTime().Equal(lastMod) || fi.Size() != lastSize) {
			if err := p.load(ctx, path, publish); err != nil {
				p.log.Warn("manifest not published", "path", path, "error", err)
			} else {
				lastMod, lastSize = fi.ModTime(), fi.Size()
				due = nextRelease(p.Manifest(), p.o.Now())
			}
		} else if publish && !due.IsZero() && !p.o.Now().Before(due) {
			if m := p.Manifest(); m != nil {
				if err := p.Sync(ctx, m); err != nil {
					p.log.Warn("opened lesson not published", "error", err)
				}
				due = nextRelease(m, p.o.Now())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// load reads the manifest at path and syncs it, or only keeps it.
func (p *Publisher) load(ctx context.Context, path string, publish bool) error {
	if publish {
		return p.SyncFile(ctx, path)
	}
	m, err := Load(path)
	if err != nil {
		return err
	}
	p.Keep(m)
	return nil
}

// SyncFile loads the manifest at path and syncs it.
func (p *Publisher) SyncFile(ctx context.Context, path string) error {
	m, err := Load(path)
	if err != nil {
		return err
	}
	return p.Sync(ctx, m)
}

// lessonsOf indexes a manifest's lessons by id.
func lessonsOf(m *site.Manifest) map[string]site.ManifestLesson {
	lessons := make(map[string]site.ManifestLesson, len(m.Lessons))
	for _, l := range m.Lessons {
		lessons[l.ID] = l
	}
	return lessons
}

// privateOf returns the set of a manifest's private cohorts.
func privateOf(m *site.Manifest) map[string]bool {
	private := map[string]bool{}
	for _, c := range m.Cohorts {
		if c.Audience == "private" {
			private[c.ID] = true
		}
	}
	return private
}
