package discovery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/site"
)

// Thread gives the build a lesson's thread exactly as the threads API serves it
// (the same tree, the same filtering of non-public replies), so that the static
// page and the live script never disagree. A lesson not published yet has an
// empty thread.
func (h *Handler) Thread(ctx context.Context, lessonID string) (*site.Thread, error) {
	t, err := h.readThread(ctx, lessonID)
	if errors.Is(err, activitypub.ErrNotFound) {
		return &site.Thread{Lesson: lessonID}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("thread %s: %w", lessonID, err)
	}
	// The same fields as the JSON, without writing and reading it (a build
	// reads thousands of replies).
	st := &site.Thread{Lesson: t.Lesson, Object: t.Object, Likes: t.Likes, Boosts: t.Boosts, Count: t.Count,
		Replies: siteReplies(t.Replies)}
	return st, nil
}

func siteReplies(rs []ThreadReply) []*site.Reply {
	out := make([]*site.Reply, len(rs))
	for i, r := range rs {
		sr := &site.Reply{ID: r.ID, URL: r.URL, Published: unstamp(r.Published), Edited: unstamp(r.Edited),
			Content: r.Content, Summary: r.Summary, Sensitive: r.Sensitive, Likes: r.Likes, Boosts: r.Boosts, Featured: r.Featured,
			Author: site.Author{Name: r.Author.Name, Handle: r.Author.Handle, Avatar: r.Author.Avatar, URL: r.Author.URL,
				Moderator: r.Author.Moderator},
			Attachments: make([]site.Attachment, len(r.Attachments)), Replies: siteReplies(r.Replies)}
		for j, a := range r.Attachments {
			sr.Attachments[j] = site.Attachment{URL: a.URL, MediaType: a.MediaType, Alt: a.Alt}
		}
		out[i] = sr
	}
	return out
}

func unstamp(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s) // written by stamp; "" is zero
	return t
}

var _ site.Discussion = (*Handler)(nil)

// Threads returns a Discussion over a store alone, for `cohort build` reading
// the threads of a companion that is not running. It reads each author once:
// use it for one build.
func Threads(course *site.Config, st activitypub.Store) site.Discussion {
	f := course.Federation
	h := New(Options{Course: course, Store: st, URLs: activitypub.NewURLs(f.Domain, f.AllowInsecure)})
	h.actors = &sync.Map{}
	return h
}
