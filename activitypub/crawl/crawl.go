// Package crawl finds the replies that never reach the inbox. Mastodon
// delivers a reply only to the accounts it mentions and to the replier's
// followers, so when a participant answers another participant without
// mentioning the course, the course does not hear of it. The Crawler walks
// the replies collections of a thread's known posts, fetched from their
// origin, and stores the posts it finds, sanitized as the inbox would.
//
// Every walk is bounded in depth, in posts fetched and in time. It runs when
// the inbox stores a reply (Trigger, in the background) and periodically
// over every lesson (Run). It does not walk other servers' threads that do
// not start at one of our lessons.
package crawl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	// MaxTime bounds a walk's duration.
	MaxTime = 60 * time.Second
	// maxPages is how many pages of one replies collection are read.
	maxPages = 5
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
	Changed func(lessonID string) // called when a walk stored new posts; may be nil
	// Moderation decides the state a found reply starts in, as in the
	// inbox; blocked authors' posts are not stored.
	Moderation activitypub.Moderation
}

// Crawler walks threads.
type Crawler struct {
	o       Options
	log     *slog.Logger
	mu      sync.Mutex
	pending map[string]bool
	wake    chan struct{}
}

// New returns a Crawler.
func New(o Options) *Crawler {
	c := &Crawler{o: o, log: o.Logger, pending: map[string]bool{}, wake: make(chan struct{}, 1)}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.o.Now == nil {
		c.o.Now = time.Now
	}
	return c
}

// Trigger asks for a walk of lessonID's thread soon. It never blocks; a
// lesson already waiting is walked once.
func (c *Crawler) Trigger(lessonID string) {
	c.mu.Lock()
	c.pending[lessonID] = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run walks triggered lessons as they come and every lesson each Interval,
// until ctx is done.
func (c *Crawler) Run(ctx context.Context) {
	tick := time.NewTicker(Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			objs, err := c.o.Store.LessonObjects(ctx)
			if err != nil {
				c.log.Error("crawl lessons not listed", "error", err)
				continue
			}
			for _, o := range objs {
				c.Trigger(o.LessonID)
			}
		case <-c.wake:
		}
		for _, lesson := range c.take() {
			if _, err := c.Lesson(ctx, lesson); err != nil && ctx.Err() == nil {
				c.log.Warn("crawl failed", "lesson_id", lesson, "error", err)
			}
		}
	}
}

func (c *Crawler) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.pending))
	for l := range c.pending {
		out = append(out, l)
	}
	clear(c.pending)
	return out
}

// walk is the state of one walk.
type walk struct {
	lesson  string
	cohort  string
	fetches int
	stored  int
	known   map[string]bool
}

// Lesson walks the replies collections of the known public posts of the
// lesson's threads, one per cohort's post, and stores the replies found; it
// returns how many posts it stored.
func (c *Crawler) Lesson(ctx context.Context, lessonID string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, MaxTime)
	defer cancel()
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
	stored := 0
	for _, cohort := range cohorts {
		n, err := c.thread(ctx, lessonID, cohort)
		stored += n
		if err != nil {
			return stored, err
		}
	}
	return stored, nil
}

// thread walks one cohort's thread of a lesson.
func (c *Crawler) thread(ctx context.Context, lessonID, cohortID string) (int, error) {
	thread, err := c.o.Store.Thread(ctx, lessonID, cohortID)
	if err != nil {
		return 0, fmt.Errorf("crawl %s: %w", lessonID, err)
	}
	w := &walk{lesson: lessonID, cohort: cohortID, known: map[string]bool{}}
	for _, r := range thread {
		w.known[r.ID] = true
	}
	for _, r := range thread {
		if c.o.URLs.IsLocal(r.ID) {
			continue
		}
		if err := c.post(ctx, w, r.ID, nil, 0); err != nil {
			if ctx.Err() != nil || errors.Is(err, errBudget) {
				break
			}
			c.log.Debug("crawl post skipped", "reply_id", r.ID, "error", err)
		}
	}
	if w.stored > 0 {
		c.log.Info("crawl stored replies", "lesson_id", lessonID, "count", w.stored, "fetches", w.fetches)
		if c.o.Changed != nil {
			c.o.Changed(lessonID)
		}
	}
	return w.stored, ctx.Err()
}

var errBudget = errors.New("fetch budget spent")

// post walks the replies collection of post id (whose document is doc when
// already at hand) down to MaxDepth.
func (c *Crawler) post(ctx context.Context, w *walk, id string, doc []byte, depth int) error {
	if doc == nil {
		if err := w.spend(); err != nil {
			return err
		}
		b, err := c.o.Fetch.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("post %s: %w", id, err)
		}
		doc = b
	}
	page, err := as.RepliesOf(doc)
	if err != nil {
		return fmt.Errorf("post %s: %w", id, err)
	}
	for pages := 0; pages < maxPages; pages++ {
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
		if page.Next == "" || !activitypub.SameHost(page.Next, id) {
			return nil
		}
		if err := w.spend(); err != nil {
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

// reply fetches one item of parent's replies from its origin, stores it
// when it really answers parent, and walks its own replies.
func (c *Crawler) reply(ctx context.Context, w *walk, parent string, it as.CollectionItem, depth int) error {
	w.known[it.ID] = true
	if err := w.spend(); err != nil {
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
	clean.LessonID, clean.CohortID = w.lesson, w.cohort
	clean.Visibility = clean.VisibilityFor(author.Followers) // "" when not fetched: the suffix rule stands
	clean.State = c.o.Moderation.StateIn(w.cohort, clean.Actor, author.Handle())
	if err := c.o.Store.SaveReply(ctx, clean); err != nil {
		return fmt.Errorf("save %s: %w", r.ID, err)
	}
	w.stored++
	if depth+1 >= MaxDepth || !clean.Visibility.Listable() {
		return nil
	}
	return c.post(ctx, w, r.ID, doc, depth+1)
}

func (w *walk) spend() error {
	if w.fetches >= MaxFetches {
		return errBudget
	}
	w.fetches++
	return nil
}
