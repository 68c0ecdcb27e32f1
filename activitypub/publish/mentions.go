package publish

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strings"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/site"
)

// quoted is a reply a lesson quotes (a weekly weave), as its post names it.
type quoted struct {
	reply  activitypub.Reply
	author activitypub.Actor
}

// quotedReplies reads the replies lesson l quotes that may still be named
// in public: stored, not deleted, public or unlisted, shown, in the post's
// cohort, by an author no block covers, with their authors. The others are left out, so a reply deleted
// or hidden after the weave was drafted is neither linked nor its author
// mentioned.
func (p *Publisher) quotedReplies(ctx context.Context, l site.ManifestLesson, cohortID string) ([]quoted, error) {
	var out []quoted
	for _, id := range l.Quotes {
		r, err := p.o.Store.Reply(ctx, id)
		if errors.Is(err, activitypub.ErrNotFound) {
			p.log.Warn("quoted reply not stored", "lesson_id", l.ID, "reply_id", id)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("quoted reply %s: %w", id, err)
		}
		if r.Deleted || !r.Visibility.Listable() || r.State != activitypub.Shown || r.CohortID != cohortID {
			continue
		}
		if _, err := p.o.Store.Blocked(ctx, r.Actor); err == nil {
			continue
		} else if !errors.Is(err, activitypub.ErrNotFound) {
			return nil, fmt.Errorf("quoted reply %s: block: %w", id, err)
		}
		a, err := p.o.Store.Actor(ctx, r.Actor)
		if errors.Is(err, activitypub.ErrNotFound) {
			a = activitypub.Actor{ID: r.Actor}
		} else if err != nil {
			return nil, fmt.Errorf("author of quoted reply %s: %w", id, err)
		}
		out = append(out, quoted{r, a})
	}
	return out, nil
}

// mention adds the quoted replies to a post: a paragraph linking back to
// each, and a Mention tag and a cc address for each author once, which is
// what makes Mastodon notify them. Mastodon turns a Mention tag into a
// mention that notifies, and an address in to or cc without one into a
// silent mention (mastodon/mastodon app/lib/activitypub/activity/create.rb,
// process_tags and process_mention, then process_audience).
func mention(n *as.LessonNote, quotes []quoted) {
	if len(quotes) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("<p>Quoted:")
	seen := map[string]bool{}
	for i, q := range quotes {
		if i > 0 {
			b.WriteString(",")
		}
		name := q.author.Handle()
		if name == "" {
			name = q.author.ID
		}
		link := q.reply.URL
		if link == "" {
			link = q.reply.ID
		}
		b.WriteString(` <a href="` + html.EscapeString(link) + `">` + html.EscapeString(name) + `</a>`)
		if seen[q.author.ID] || q.author.Handle() == "" {
			continue // a Mention needs the handle Mastodon shows
		}
		seen[q.author.ID] = true
		n.Tags = append(n.Tags, as.Tag{Type: "Mention", Href: q.author.ID, Name: q.author.Handle()})
		n.Mentioned = append(n.Mentioned, q.author.ID)
	}
	b.WriteString("</p>")
	n.Content += b.String()
}

// mentionedInboxes returns the inboxes of the quoted authors, so that a
// Create reaches the servers of those who do not follow the course.
func mentionedInboxes(quotes []quoted) []string {
	var out []string
	for _, q := range quotes {
		if in := q.author.DeliveryInbox(); in != "" {
			out = append(out, in)
		}
	}
	return out
}
