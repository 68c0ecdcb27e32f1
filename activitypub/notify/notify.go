// Package notify tells the course's moderators what needs them, by direct
// message from the course account: replies held for approval, reports
// (Flags) that arrived, and participants' questions that have waited a day
// without an answer. Each moderator hears of each item once and gets at
// most one message per Gap, listing everything that accumulated; what was
// told, and when, is kept in the store, so several companion processes on
// one database message no one twice.
//
// It reads the store on a timer instead of hooking into the inbox: a
// moderator is told within ScanInterval of the item, well inside the hour a
// message may wait anyway. It is not the moderation queue itself
// (activitypub/moderation) nor the sending of messages (publish.Direct).
package notify

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/publish"
	"github.com/cohort-course/cohort/activitypub/weave"
)

// Gap is the least time between two messages to one moderator: an hour, so
// a busy day makes a handful of messages, not a stream.
const Gap = time.Hour

// QuestionWait is how long a question waits for an answer before the
// moderators hear of it: a day, long enough for participants to answer
// each other first.
const QuestionWait = 24 * time.Hour

// Window is how far back notify looks for reports and questions: an older
// one was told about, or is past helping. Told items are forgotten after
// twice as long (Retention), so the store stays small.
const (
	Window    = 7 * 24 * time.Hour
	Retention = 2 * Window
)

// ScanInterval is how often Run looks for what needs the moderators.
const ScanInterval = time.Minute

// FlagLimit bounds the reports read per scan: the newest are enough, a
// flood of reports is one message anyway.
const FlagLimit = 100

// ItemsPerMessage bounds the items one message lists in full; the rest are
// counted, with the link to the moderation page.
const ItemsPerMessage = 20

// Store is the part of the companion's store notify reads and writes.
type Store interface {
	Replies(ctx context.Context, f activitypub.ReplyFilter) ([]activitypub.Reply, error)
	Flags(ctx context.Context, limit int) ([]activitypub.Flag, error)
	Actor(ctx context.Context, id string) (activitypub.Actor, error)
	ActorByHandle(ctx context.Context, handle string) (activitypub.Actor, error)
	Moderators(ctx context.Context) ([]activitypub.Moderator, error)
	ClaimNotice(ctx context.Context, moderator string, items []string, now time.Time, gap time.Duration) ([]string, error)
	ForgetNoticesBefore(ctx context.Context, t time.Time) error
}

// Sender sends a direct message; *publish.Publisher is one.
type Sender interface {
	Direct(ctx context.Context, m publish.DirectMessage) (string, error)
}

// Resolver finds the actor id of a handle (@user@host) the store does not
// know, by WebFinger; see WebFinger.
type Resolver func(ctx context.Context, handle string) (string, error)

// Recipient is a moderator to tell: a handle from course.toml or a
// moderator account, and the cohort they moderate ("" for the course:
// they hear of every cohort).
type Recipient struct {
	Handle string
	Cohort string
}

// Options configure a Notifier.
type Options struct {
	Store  Store
	Sender Sender
	// Resolve finds handles the store has no actor for; nil tells only
	// moderators the store knows.
	Resolve Resolver
	// Moderators are course.toml's moderators; the moderator accounts'
	// handles in the store are added to them at each scan.
	Moderators []Recipient
	// Rules tell moderators' own questions, which wait for no one, apart.
	Rules  activitypub.Moderation
	Title  string // the course's title, in the message
	Queue  string // the moderation page's URL, in the message
	Logger *slog.Logger
	Now    func() time.Time
}

// Notifier tells moderators what needs them.
type Notifier struct {
	o   Options
	log *slog.Logger
}

// New returns a Notifier; Run or Check do the work.
func New(o Options) *Notifier {
	n := &Notifier{o: o, log: o.Logger}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	if n.o.Now == nil {
		n.o.Now = time.Now
	}
	return n
}

// Run checks every ScanInterval until ctx is done; a failed check is
// logged and tried again at the next.
func (n *Notifier) Run(ctx context.Context) {
	t := time.NewTicker(ScanInterval)
	defer t.Stop()
	for {
		if err := n.Check(ctx); err != nil && ctx.Err() == nil {
			n.log.Warn("moderators not told", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// item is one thing a moderator is told of.
type item struct {
	key    string // held:<id>, flag:<id>, question:<id>: what the store remembers
	cohort string // the cohort it is in, "" for a report
	at     time.Time
	html   string // one line of the message
}

// Check reads what needs the moderators and messages each moderator whose
// gap has passed about what they were not told yet.
func (n *Notifier) Check(ctx context.Context) error {
	now := n.o.Now().UTC()
	items, err := n.items(ctx, now)
	if err != nil {
		return err
	}
	if err := n.o.Store.ForgetNoticesBefore(ctx, now.Add(-Retention)); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if len(items) == 0 {
		return nil
	}
	recipients, err := n.recipients(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range recipients {
		if err := n.tell(ctx, r, items, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// tell messages one moderator about the items of their cohort not told yet.
func (n *Notifier) tell(ctx context.Context, r Recipient, items []item, now time.Time) error {
	var mine []item
	for _, it := range items {
		if r.Cohort == "" || it.cohort == "" || it.cohort == r.Cohort {
			mine = append(mine, it)
		}
	}
	if len(mine) == 0 {
		return nil
	}
	actorID, err := n.actorID(ctx, r.Handle)
	if err != nil {
		return fmt.Errorf("notify %s: %w", r.Handle, err)
	}
	keys := make([]string, len(mine))
	for i, it := range mine {
		keys[i] = it.key
	}
	fresh, err := n.o.Store.ClaimNotice(ctx, actorID, keys, now, Gap)
	if err != nil || len(fresh) == 0 {
		return err
	}
	// Told is recorded before the message is queued: a crash in between
	// loses one message rather than sending two. The message's key is
	// made of what it tells, so a retry of Direct sends it once.
	told := map[string]bool{}
	for _, k := range fresh {
		told[k] = true
	}
	var lines []string
	for _, it := range mine {
		if told[it.key] {
			lines = append(lines, it.html)
		}
	}
	sum := sha256.Sum256([]byte(actorID + "\x00" + strings.Join(fresh, "\x00")))
	id, err := n.o.Sender.Direct(ctx, publish.DirectMessage{To: []string{actorID}, Content: n.message(lines),
		Key: "notice-" + hex.EncodeToString(sum[:12])})
	if err != nil {
		return fmt.Errorf("notify %s: %w", r.Handle, err)
	}
	n.log.Info("moderator told", "moderator", r.Handle, "items", len(lines), "object_id", id)
	return nil
}

// message is the HTML of a message listing lines.
func (n *Notifier) message(lines []string) string {
	var b strings.Builder
	title := n.o.Title
	if title == "" {
		title = "the course"
	}
	b.WriteString("<p>Waiting for a moderator in " + html.EscapeString(title) + ":</p><ul>")
	for i, l := range lines {
		if i == ItemsPerMessage {
			fmt.Fprintf(&b, "<li>and %d more</li>", len(lines)-i)
			break
		}
		b.WriteString("<li>" + l + "</li>")
	}
	b.WriteString("</ul>")
	if n.o.Queue != "" {
		q := html.EscapeString(n.o.Queue)
		b.WriteString(`<p>Moderation: <a href="` + q + `">` + q + `</a></p>`)
	}
	return b.String()
}

// items lists what needs the moderators at now, oldest first.
func (n *Notifier) items(ctx context.Context, now time.Time) ([]item, error) {
	var out []item
	held, err := n.o.Store.Replies(ctx, activitypub.ReplyFilter{State: activitypub.Held})
	if err != nil {
		return nil, fmt.Errorf("notify: held replies: %w", err)
	}
	for _, r := range held {
		out = append(out, item{key: "held:" + r.ID, cohort: r.CohortID, at: r.Published,
			html: "held for approval: " + n.describe(ctx, r)})
	}
	flags, err := n.o.Store.Flags(ctx, FlagLimit)
	if err != nil {
		return nil, fmt.Errorf("notify: reports: %w", err)
	}
	for _, f := range flags {
		if f.Received.Before(now.Add(-Window)) {
			continue
		}
		line := "a report from " + html.EscapeString(n.handle(ctx, f.Actor)) + " about " + fmt.Sprint(len(f.Objects)) + " item(s)"
		if f.Content != "" {
			line += ": “" + html.EscapeString(f.Content) + "”"
		}
		out = append(out, item{key: "flag:" + f.ID, at: f.Received, html: line})
	}
	// Questions and their answers from within the window only: reading every
	// reply of the course each minute would grow with the course's age.
	shown, err := n.o.Store.Replies(ctx, activitypub.ReplyFilter{State: activitypub.Shown, Since: now.Add(-Window)})
	if err != nil {
		return nil, fmt.Errorf("notify: replies: %w", err)
	}
	answeredBy := map[string]map[string]bool{} // reply id → actors who answered it
	for _, r := range shown {
		if answeredBy[r.InReplyTo] == nil {
			answeredBy[r.InReplyTo] = map[string]bool{}
		}
		answeredBy[r.InReplyTo][r.Actor] = true
	}
	for _, r := range shown {
		if r.Published.After(now.Add(-QuestionWait)) || r.Published.Before(now.Add(-Window)) || !weave.IsQuestion(r.Content) {
			continue
		}
		if others := answeredBy[r.ID]; len(others) > 1 || (len(others) == 1 && !others[r.Actor]) {
			continue
		}
		if n.o.Rules.IsModerator(r.Actor, n.handle(ctx, r.Actor)) {
			continue
		}
		out = append(out, item{key: "question:" + r.ID, cohort: r.CohortID, at: r.Published,
			html: "a question unanswered for a day: " + n.describe(ctx, r)})
	}
	slices.SortStableFunc(out, func(a, b item) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.key, b.key)) })
	return out, nil
}

// describe is a reply as a message line: its author, its lesson and a link.
func (n *Notifier) describe(ctx context.Context, r activitypub.Reply) string {
	link := r.URL
	if link == "" {
		link = r.ID
	}
	text := weave.Text(r.Content)
	if len([]rune(text)) > excerptLength {
		text = string([]rune(text)[:excerptLength]) + "…"
	}
	return html.EscapeString(n.handle(ctx, r.Actor)) + " on " + html.EscapeString(r.LessonID) + ": “" + html.EscapeString(text) +
		`” <a href="` + html.EscapeString(link) + `">` + html.EscapeString(link) + "</a>"
}

// excerptLength is how much of a reply a message quotes, in characters.
const excerptLength = 140

// handle is an actor's handle, or its id when it is not known.
func (n *Notifier) handle(ctx context.Context, id string) string {
	if a, err := n.o.Store.Actor(ctx, id); err == nil && a.Handle() != "" {
		return a.Handle()
	}
	return id
}

// recipients are the configured moderators and the moderator accounts
// with a handle, once each (a course-wide entry wins over a cohort's).
func (n *Notifier) recipients(ctx context.Context) ([]Recipient, error) {
	all := slices.Clone(n.o.Moderators)
	accounts, err := n.o.Store.Moderators(ctx)
	if err != nil {
		return nil, fmt.Errorf("notify: moderators: %w", err)
	}
	for _, m := range accounts {
		if m.Handle != "" {
			all = append(all, Recipient{Handle: m.Handle})
		}
	}
	var out []Recipient
	seen := map[string]int{}
	for _, r := range all {
		if strings.HasPrefix(r.Handle, "*@") {
			continue // a whole domain marks replies, it cannot be messaged
		}
		k := strings.ToLower(strings.TrimPrefix(r.Handle, "@"))
		if i, ok := seen[k]; ok {
			if r.Cohort == "" {
				out[i].Cohort = ""
			}
			continue
		}
		seen[k] = len(out)
		out = append(out, r)
	}
	return out, nil
}

// actorID finds a moderator's actor: the store's copy, else by WebFinger.
func (n *Notifier) actorID(ctx context.Context, handle string) (string, error) {
	a, err := n.o.Store.ActorByHandle(ctx, handle)
	if err == nil {
		return a.ID, nil
	}
	if !errors.Is(err, activitypub.ErrNotFound) {
		return "", err
	}
	if n.o.Resolve == nil {
		return "", fmt.Errorf("%s: %w", handle, activitypub.ErrNotFound)
	}
	return n.o.Resolve(ctx, handle)
}
