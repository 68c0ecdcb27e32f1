package discovery

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/site"
)

// Thread gives the build a lesson's thread exactly as the threads API serves it
// (the same tree, the same filtering of non-public replies), so that the static
// page and the live script never disagree. A lesson not published yet has an
// empty thread.
func (h *Handler) Thread(ctx context.Context, lessonID, cohortID string) (*site.Thread, error) {
	// The number first, as the threads API reads it: the page's live script
	// asks for the changes after it and misses nothing the page lacks.
	seq, err := h.o.Store.ThreadSeq(ctx, lessonID, cohortID)
	if err != nil {
		return nil, fmt.Errorf("thread %s: %w", lessonID, err)
	}
	t, err := h.readCohortThread(ctx, lessonID, cohortID)
	if errors.Is(err, activitypub.ErrNotFound) {
		return &site.Thread{Lesson: lessonID}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("thread %s: %w", lessonID, err)
	}
	t.Since = sinceCursor(seq)
	return t, nil
}

var _ site.Discussion = (*Handler)(nil)

// Threads returns a Discussion over a store alone, for `cohort build` reading
// the threads of a companion that is not running. It reads each author once,
// and which lessons have a post once: use it for one build.
func Threads(course *site.Config, st activitypub.Store) site.Discussion {
	f := course.Federation
	h := New(Options{Course: course, Store: st, URLs: activitypub.NewURLs(f.Domain, f.AllowInsecure)})
	h.actors = &sync.Map{}
	return &buildThreads{Handler: h}
}

// buildThreads is the Handler for one build, which asks the store once for
// every lesson post (LessonObjects) and gives a lesson without one the empty
// thread Thread would give it, without asking again: on a course whose
// lessons are not all published, most of the thousands of lessons. A post
// made during the build shows at the next, as if the build had read its
// lesson a moment earlier.
type buildThreads struct {
	*Handler // the rest, Journal included, as the Handler does it
	once     sync.Once
	posted   map[[2]string]bool // by lesson and cohort
	err      error
}

// Thread implements site.Discussion.
func (b *buildThreads) Thread(ctx context.Context, lessonID, cohortID string) (*site.Thread, error) {
	b.once.Do(func() {
		objects, err := b.o.Store.LessonObjects(ctx)
		if err != nil {
			b.err = fmt.Errorf("lesson posts: %w", err)
			return
		}
		b.posted = make(map[[2]string]bool, len(objects))
		for _, o := range objects {
			b.posted[[2]string{o.LessonID, o.CohortID}] = true
		}
	})
	if b.err != nil {
		return nil, b.err
	}
	if !b.posted[[2]string{lessonID, cohortID}] {
		return &site.Thread{Lesson: lessonID}, nil // as Thread says a thread under no post
	}
	return b.Handler.Thread(ctx, lessonID, cohortID)
}

// readCohortThread reads the thread under a cohort's post of a lesson. A
// private cohort whose discussion is not shown has none to give (ErrNotFound,
// so the page shows an empty thread): nothing private reaches a page.
func (h *Handler) readCohortThread(ctx context.Context, lessonID, cohortID string) (*site.Thread, error) {
	if h.private(cohortID) {
		return nil, fmt.Errorf("thread of private cohort %s: %w", cohortID, activitypub.ErrNotFound)
	}
	return h.readCohort(ctx, lessonID, cohortID)
}
