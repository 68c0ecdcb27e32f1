package server

import (
	"context"

	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/moderation"
	"github.com/cohort-course/cohort/activitypub/notify"
)

// startNotifier runs the moderators' notices (issue 14) in the one process
// that leads "notify", unless course.toml turns them off.
func (s *Server) startNotifier(ctx context.Context, client *fetch.Client) {
	course := s.cfg.Course
	if !course.Federation.NotifiesModerators() {
		return
	}
	var recipients []notify.Recipient
	for _, h := range s.cfg.Moderation.Moderators {
		recipients = append(recipients, notify.Recipient{Handle: h})
	}
	for _, co := range course.Cohorts {
		for _, h := range co.Moderators {
			recipients = append(recipients, notify.Recipient{Handle: h, Cohort: co.ID})
		}
	}
	s.notifier = notify.New(notify.Options{Store: s.cfg.Store, Sender: s.publisher,
		Resolve: notify.WebFinger(client, course.Federation.AllowInsecure), Moderators: recipients, Rules: s.cfg.Moderation,
		Title: course.Title, Queue: s.urls.Base + moderation.Prefix, Logger: s.log.With("room", "notify"), Now: s.cfg.Now})
	s.start(ctx, func(ctx context.Context) { s.lead(ctx, "notify", s.notifier.Run, nil) })
}

// Notifier returns the moderators' notifier, or nil when they are off;
// tests call its Check instead of waiting for its timer.
func (s *Server) Notifier() *notify.Notifier { return s.notifier }
