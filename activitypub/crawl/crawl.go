// Package crawl finds the replies that never reach the inbox. Mastodon
// delivers a reply only to the accounts it mentions and to the replier's
// followers, so when a participant answers another participant without
// mentioning the course, the course does not hear of it. The Crawler reads
// the replies collections of known posts, fetched from their origin, and
// stores the posts it finds, sanitized as the inbox would.
//
// A reply the inbox stores asks (Trigger) for one small look at its own
// replies collection: the post and one more page, at most
// MaxTriggerFetches GETs, never a walk of its whole thread, so a peer that
// sends thousands of replies gets a few GETs back for each, at the pace
// fetch allows its host. Every Interval, Run walks every lesson's thread:
// bounded in depth, in posts fetched per walk and per host per round, and
// in time. That walk also checks again that the posts it reads still
// exist: a post whose origin answers 404 or 410 was deleted there, and is
// removed here (a deletion reaches our inbox only when the post mentioned
// the course). It does not walk other servers' threads that do not start
// at one of our lessons.
package crawl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/inbox"
)

// Bounds of one walk of a lesson's thread.
const (
	// MaxDepth is how many levels below a known post are followed: answers
	// to answers to answers are rare in a course discussion.
	MaxDepth = 3
	// MaxFetches bounds the documents fetched per walk, so a thread with a
	// runaway side conversation cannot keep the crawler busy.
	MaxFetches = 200
	// MaxHostFetches bounds the documents fetched from one host in one
	// periodic round over every lesson: a server with thousands of posts in
	// our threads has them checked over several rounds (each round starts
	// where the last one stopped), never in one burst.
	MaxHostFetches = 300
	// MaxTime bounds a walk's duration.
	MaxTime = 60 * time.Second
	// maxPages is how many pages of one replies collection are read.
	maxPages = 5
)

// Bounds of the look a stored reply triggers.
const (
	// MaxTriggerFetches bounds the GETs one new reply causes: its own
	// document (Mastodon embeds the first page of its replies), one more
	// page, and a few answers found there. A brand-new post rarely has any.
	MaxTriggerFetches = 5
	// triggerPages is how many pages of the new reply's replies are read:
	// the one its document embeds and the next.
	triggerPages = 2
	// maxPending bounds the triggered replies waiting for their look;
	// past it, new ones are dropped and the periodic walk finds their
	// answers instead.
	maxPending = 1000
	// maxPendingPerHost bounds one host's share of maxPending, so a
	// server sending replies in bulk does not push out everybody else's.
	maxPendingPerHost = 50
)

// Interval is how often Run walks every lesson's thread.
const Interval = 30 * time.Minute

// Options configure a Crawler.
type Options struct {
	Store   activitypub.Store
	Fetch   *fetch.Client
	URLs    activitypub.URLs
	Logger  *slog.Logger
	Now     func() time.Time
	Changed func(lessonID string) // called when a walk stored or removed posts; may be nil
	// Moderation decides the state a found reply starts in, as in the
	// inbox; blocked authors' posts are not stored.
	Moderation activitypub.Moderation
}

// Crawler walks threads.
type Crawler struct {
	o    Options
	log  *slog.Logger
	wake chan struct{}

	mu      sync.Mutex
	pending []string          // triggered reply ids, oldest first
	queued  map[string]bool   // the ids in pending
	perHost map[string]int    // pending ids per host
	resume  map[thread]string // where the next walk of a thread starts, when the last one ran out of budget
}

// thread names one cohort's thread of a lesson.
type thread struct{ lesson, cohort string }

// New returns a Crawler.
func New(o Options) *Crawler {
	c := &Crawler{o: o, log: o.Logger, wake: make(chan struct{}, 1),
		queued: map[string]bool{}, perHost: map[string]int{}, resume: map[thread]string{}}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.o.Now == nil {
		c.o.Now = time.Now
	}
	return c
}

// Trigger asks for a look at the replies of the stored reply replyID soon.
// It never blocks; a reply already waiting is looked at once, and when
// too many wait (from its host, or in all) it is dropped.
func (c *Crawler) Trigger(replyID string) {
	host := hostOf(replyID)
	c.mu.Lock()
	drop := c.queued[replyID] || len(c.pending) >= maxPending || c.perHost[host] >= maxPendingPerHost
	if !drop {
		c.pending = append(c.pending, replyID)
		c.queued[replyID] = true
		c.perHost[host]++
	}
	c.mu.Unlock()
	if drop {
		c.log.Debug("crawl trigger dropped", "reply_id", replyID)
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run looks at triggered replies as they come and walks every lesson each
// Interval, until ctx is done: RunTriggered and RunRounds together, for a
// process that runs alone.
func (c *Crawler) Run(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.RunRounds(ctx)
	}()
	c.RunTriggered(ctx)
	<-done
}

// RunTriggered looks at triggered replies as they come, until ctx is done.
// Each process that stores replies runs it: a look is a few GETs about a
// reply this process stored.
func (c *Crawler) RunTriggered(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
			c.Drain(ctx)
		}
	}
}

// RunRounds walks every lesson each Interval, until ctx is done. Among
// processes sharing a store, only the one that leads "crawl" runs it
// (issue 11), so no thread is walked twice at once.
func (c *Crawler) RunRounds(ctx context.Context) {
	tick := time.NewTicker(Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := c.Round(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("crawl round failed", "error", err)
			}
		}
	}
}

// Drain looks at every triggered reply now, one after the other, and
// returns how many posts it stored.
func (c *Crawler) Drain(ctx context.Context) int {
	stored := 0
	for ctx.Err() == nil {
		id, ok := c.next()
		if !ok {
			break
		}
		n, err := c.Replies(ctx, id)
		stored += n
		if err != nil && ctx.Err() == nil {
			c.log.Debug("crawl of new reply failed", "reply_id", id, "error", err)
		}
	}
	return stored
}

// next takes the oldest triggered reply.
func (c *Crawler) next() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) == 0 {
		return "", false
	}
	id := c.pending[0]
	c.pending = c.pending[1:]
	delete(c.queued, id)
	if host := hostOf(id); c.perHost[host] <= 1 {
		delete(c.perHost, host)
	} else {
		c.perHost[host]--
	}
	return id, true
}

// Replies reads the replies collection of the stored reply replyID once
// (at most MaxTriggerFetches GETs) and stores the direct answers found;
// their own answers, and checking that the reply still exists, are left to
// the periodic walk. It returns how many posts it stored.
func (c *Crawler) Replies(ctx context.Context, replyID string) (int, error) {
	r, err := c.o.Store.Reply(ctx, replyID)
	if err != nil {
		return 0, fmt.Errorf("crawl replies of %s: %w", replyID, err)
	}
	if r.Deleted || !r.Visibility.Listable() || c.o.URLs.IsLocal(r.ID) {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, MaxTime)
	defer cancel()
	w := &walk{th: thread{r.LessonID, r.CohortID}, budget: MaxTriggerFetches, pages: triggerPages, known: map[string]bool{r.ID: true}}
	err = c.post(ctx, w, r.ID, nil, MaxDepth-1)
	c.done(w)
	if err != nil && !errors.Is(err, errBudget) {
		return w.stored, fmt.Errorf("crawl replies of %s: %w", replyID, err)
	}
	return w.stored, nil
}

// Round walks every lesson's threads once, with MaxHostFetches per host
// for the whole round, and returns how many posts it stored.
func (c *Crawler) Round(ctx context.Context) (int, error) {
	objs, err := c.o.Store.LessonObjects(ctx)
	if err != nil {
		return 0, fmt.Errorf("crawl round: %w", err)
	}
	hosts := map[string]int{}
	stored := 0
	for _, o := range objs {
		n, err := c.thread(ctx, thread{o.LessonID, o.CohortID}, hosts)
		stored += n
		if err != nil {
			return stored, err
		}
	}
	return stored, nil
}

// walk is the state of one walk.
type walk struct {
	th      thread
	budget  int            // documents it may fetch
	pages   int            // pages of one replies collection it reads
	hosts   map[string]int // documents fetched per host in this round; nil for no per-host bound
	recheck bool           // a known post whose origin answers 404 or 410 is removed
	fetches int
	stored  int
	removed int
	known   map[string]bool
}

// Lesson walks the replies collections of the known public posts of the
// lesson's threads, one per cohort's post, and stores the replies found; it
// returns how many posts it stored. Posts whose origin answers 404 or 410
// are removed.
func (c *Crawler) Lesson(ctx context.Context, lessonID string) (int, error) {
	objs, err := c.o.Store.LessonObjects(ctx)
	if err != nil {
		return 0, fmt.Errorf("crawl %s: %w", lessonID, err)
	}
	cohorts := []string{}
	for _, o := range objs {
		if o.LessonID == lessonID {
			cohorts = append(cohorts, o.CohortID)
		}
	}
	if len(cohorts) == 0 {
		cohorts = append(cohorts, "")
	}
	hosts := map[string]int{}
	stored := 0
	for _, cohort := range cohorts {
		n, err := c.thread(ctx, thread{lessonID, cohort}, hosts)
		stored += n
		if err != nil {
			return stored, err
		}
	}
	return stored, nil
}

// thread walks one cohort's thread of a lesson, starting after the post
// where the last walk of it ran out of budget.
func (c *Crawler) thread(parent context.Context, th thread, hosts map[string]int) (int, error) {
	ctx, cancel := context.WithTimeout(parent, MaxTime)
	defer cancel()
	posts, err := c.o.Store.Thread(ctx, th.lesson, th.cohort)
	if err != nil {
		return 0, fmt.Errorf("crawl %s: %w", th.lesson, err)
	}
	w := &walk{th: th, budget: MaxFetches, pages: maxPages, hosts: hosts, recheck: true, known: map[string]bool{}}
	for _, r := range posts {
		w.known[r.ID] = true
	}
	c.mu.Lock()
	from := c.resume[th]
	c.mu.Unlock()
	start := 0
	for i, r := range posts {
		if r.ID == from {
			start = i
		}
	}
	stopped := "" // the first post left unchecked
	for i := range posts {
		r := posts[(start+i)%len(posts)]
		if c.o.URLs.IsLocal(r.ID) {
			continue
		}
		err := c.post(ctx, w, r.ID, nil, 0)
		if err == nil {
			continue
		}
		if ctx.Err() != nil || errors.Is(err, errBudget) || errors.Is(err, errHostBudget) {
			if stopped == "" {
				stopped = r.ID
			}
			if errors.Is(err, errHostBudget) {
				continue // other hosts' posts still get their turn
			}
			break
		}
		c.log.Debug("crawl post skipped", "reply_id", r.ID, "error", err)
	}
	c.mu.Lock()
	if stopped == "" {
		delete(c.resume, th)
	} else {
		c.resume[th] = stopped
	}
	c.mu.Unlock()
	c.done(w)
	return w.stored, parent.Err() // a walk out of time lets the next thread have its turn
}

// done logs a walk's outcome and reports a changed thread.
func (c *Crawler) done(w *walk) {
	if w.stored == 0 && w.removed == 0 {
		return
	}
	c.log.Info("crawl changed thread", "lesson_id", w.th.lesson, "cohort_id", w.th.cohort,
		"stored", w.stored, "removed", w.removed, "fetches", w.fetches)
	if c.o.Changed != nil {
		c.o.Changed(w.th.lesson)
	}
}

var (
	errBudget     = errors.New("fetch budget spent")
	errHostBudget = errors.New("fetch budget of the host spent this round")
)

// post walks the replies collection of the stored post id (whose document
// is doc when already at hand) down to MaxDepth. In a walk that rechecks,
// a stored post whose origin answers 404 or 410 is removed; the look a new
// reply triggers does not remove it, so a server that is slow to serve a
// post it just sent cannot have it removed at once.
func (c *Crawler) post(ctx context.Context, w *walk, id string, doc []byte, depth int) error {
	if doc == nil {
		if err := w.spend(id); err != nil {
			return err
		}
		b, err := c.o.Fetch.Get(ctx, id)
		if errors.Is(err, fetch.ErrGone) && w.recheck {
			return c.gone(ctx, w, id)
		}
		if err != nil {
			return fmt.Errorf("post %s: %w", id, err)
		}
		doc = b
	}
	page, err := as.RepliesOf(doc)
	if err != nil {
		return fmt.Errorf("post %s: %w", id, err)
	}
	for pages := 0; pages < w.pages; pages++ {
		for _, it := range page.Items {
			if w.known[it.ID] {
				continue
			}
			if err := c.reply(ctx, w, id, it, depth); err != nil {
				if ctx.Err() != nil || errors.Is(err, errBudget) {
					return err
				}
				c.log.Debug("crawl reply skipped", "reply_id", it.ID, "error", err)
			}
		}
		if page.Next == "" || !activitypub.SameHost(page.Next, id) || pages+1 == w.pages {
			return nil
		}
		if err := w.spend(page.Next); err != nil {
			return err
		}
		b, err := c.o.Fetch.Get(ctx, page.Next)
		if err != nil {
			return fmt.Errorf("replies of %s: %w", id, err)
		}
		if page, err = as.ParseCollectionPage(b); err != nil {
			return fmt.Errorf("replies of %s: %w", id, err)
		}
	}
	return nil
}

// gone removes the stored post id, which its origin says no longer
// exists. Only a 404 or 410 from the post's own URL means that; a 5xx or
// a timeout says nothing about the post. Its answers stay, under a
// tombstone.
func (c *Crawler) gone(ctx context.Context, w *walk, id string) error {
	if err := c.o.Store.DeleteReply(ctx, id); err != nil && !errors.Is(err, activitypub.ErrNotFound) {
		return fmt.Errorf("remove %s: %w", id, err)
	}
	w.removed++
	c.log.Info("crawl removed a post deleted at its origin", "lesson_id", w.th.lesson, "reply_id", id)
	return nil
}

// reply fetches one item of parent's replies from its origin, stores it
// when it really answers parent, and walks its own replies. A post the
// Store already has (shown, held or deleted) is left alone.
func (c *Crawler) reply(ctx context.Context, w *walk, parent string, it as.CollectionItem, depth int) error {
	w.known[it.ID] = true
	if _, err := c.o.Store.Reply(ctx, it.ID); err == nil {
		return nil
	} else if !errors.Is(err, activitypub.ErrNotFound) {
		return fmt.Errorf("reply %s: %w", it.ID, err)
	}
	if err := w.spend(it.ID); err != nil {
		return err
	}
	// Always from the origin: an embedded copy is the parent's server's
	// word about someone else's post.
	r, doc, err := c.o.Fetch.Note(ctx, it.ID)
	if err != nil {
		return err
	}
	if r.InReplyTo != parent {
		return fmt.Errorf("reply %s answers %s, not %s", r.ID, r.InReplyTo, parent)
	}
	if b, err := c.o.Store.Blocked(ctx, r.Actor); err == nil {
		return fmt.Errorf("reply %s: author blocked by %s", r.ID, b.Target)
	} else if !errors.Is(err, activitypub.ErrNotFound) {
		return fmt.Errorf("reply %s: %w", r.ID, err)
	}
	author, err := c.o.Fetch.Actor(ctx, r.Actor, false)
	if err != nil {
		c.log.Debug("crawl author not fetched", "actor", r.Actor, "error", err)
	}
	clean := inbox.Clean(*r)
	clean.LessonID, clean.CohortID = w.th.lesson, w.th.cohort
	clean.Visibility = clean.VisibilityFor(author.Followers) // "" when not fetched: the suffix rule stands
	clean.State = c.o.Moderation.StateIn(w.th.cohort, clean.Actor, author.Handle())
	if err := c.o.Store.SaveReply(ctx, clean); err != nil {
		return fmt.Errorf("save %s: %w", r.ID, err)
	}
	w.stored++
	if depth+1 >= MaxDepth || !clean.Visibility.Listable() {
		return nil
	}
	return c.post(ctx, w, r.ID, doc, depth+1)
}

// spend counts one fetch of rawURL against the walk's budget and, in a
// round, against its host's.
func (w *walk) spend(rawURL string) error {
	if w.fetches >= w.budget {
		return errBudget
	}
	if w.hosts != nil {
		host := hostOf(rawURL)
		if w.hosts[host] >= MaxHostFetches {
			return fmt.Errorf("%s: %w", host, errHostBudget)
		}
		w.hosts[host]++
	}
	w.fetches++
	return nil
}

// hostOf returns the host (and port) of a URL, or the URL itself when it
// has none.
func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Host
	}
	return rawURL
}
