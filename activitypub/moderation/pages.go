package moderation

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/cohort-course/cohort/activitypub"
)

// queueLimit bounds the held replies on one page: a moderator works
// through them from the top; more appear as these are decided.
const queueLimit = 200

// auditPage is how many audit entries one page shows.
const auditPage = 100

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) error {
	if s, err := h.session(r); err == nil && s != nil {
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return nil
	}
	return h.render(w, "login", http.StatusOK, page{Heading: "Log in to moderate"})
}

func (h *Handler) loginPost(w http.ResponseWriter, r *http.Request) error {
	if !h.sameOrigin(r) {
		return fail(http.StatusForbidden, "request not from the moderation page", errors.New("origin"))
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	name, password := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	wait, d, err := h.logins.blocked(r.Context(), name, r.RemoteAddr, h.o.Now())
	if err != nil {
		return err
	}
	if wait {
		h.log.Warn("moderator login throttled", "name", name, "remote_host", r.RemoteAddr)
		w.Header().Set("Retry-After", fmt.Sprint(int(d.Seconds())+1))
		return h.render(w, "login", http.StatusTooManyRequests, page{Heading: "Log in to moderate",
			Error: fmt.Sprintf("Too many wrong passwords. Try again in %s.", minutes(int(d.Minutes())+1)), Data: name})
	}
	err = h.login(r.Context(), w, name, password)
	if errors.Is(err, errLogin) {
		if err := h.logins.fail(r.Context(), name, r.RemoteAddr, h.o.Now()); err != nil {
			return err
		}
		h.log.Warn("moderator login failed", "name", name, "remote_host", r.RemoteAddr)
		return h.render(w, "login", http.StatusUnauthorized, page{Heading: "Log in to moderate", Error: "Wrong name or password.", Data: name})
	}
	if err != nil {
		return err
	}
	if err := h.logins.succeed(r.Context(), name); err != nil {
		h.log.Warn("wrong passwords not forgotten after a login", "name", name, "error", err)
	}
	h.log.Info("moderator logged in", "name", name)
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
	return nil
}

func (h *Handler) logoutPost(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := h.logout(r.Context(), w, s); err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
	return nil
}

// replyView is a reply as the moderation pages show it.
type replyView struct {
	activitypub.Reply
	Author   string // the handle, or the actor id when the actor is unknown
	Featured bool
	Blocked  string // the block that hides it, if any
}

func (h *Handler) views(r *http.Request, replies []activitypub.Reply, featured map[string]bool) ([]replyView, error) {
	ctx := r.Context()
	blocks, err := h.o.Store.Blocks(ctx)
	if err != nil {
		return nil, err
	}
	handles := map[string]string{}
	out := make([]replyView, 0, len(replies))
	for _, rep := range replies {
		hd, ok := handles[rep.Actor]
		if !ok {
			hd = rep.Actor
			if a, err := h.o.Store.Actor(ctx, rep.Actor); err == nil && a.Handle() != "" {
				hd = a.Handle()
			} else if err != nil && !errors.Is(err, activitypub.ErrNotFound) {
				return nil, err
			}
			handles[rep.Actor] = hd
		}
		v := replyView{Reply: rep, Author: hd, Featured: featured[rep.ID]}
		if b, ok := activitypub.BlockedBy(blocks, rep.Actor); ok {
			v.Blocked = b.Target
		}
		out = append(out, v)
	}
	return out, nil
}

type queueData struct {
	Reports []reportView
	Held    []replyView
	Lessons []activitypub.LessonObject
}

// reportLimit bounds the reports on the queue page, newest first.
const reportLimit = 50

// reportView is a report (Flag) as the queue shows it: the comment, the
// reported replies we hold (with their actions), and any other ids it
// names (accounts, posts we do not have).
type reportView struct {
	activitypub.Flag
	Replies []replyView
	Others  []string
}

func (h *Handler) reports(r *http.Request) ([]reportView, error) {
	ctx := r.Context()
	flags, err := h.o.Store.Flags(ctx, reportLimit)
	if err != nil {
		return nil, err
	}
	out := make([]reportView, 0, len(flags))
	for _, f := range flags {
		v := reportView{Flag: f}
		var replies []activitypub.Reply
		for _, id := range f.Objects {
			rep, err := h.o.Store.Reply(ctx, id)
			if errors.Is(err, activitypub.ErrNotFound) {
				v.Others = append(v.Others, id)
				continue
			}
			if err != nil {
				return nil, err
			}
			replies = append(replies, rep)
		}
		if v.Replies, err = h.views(r, replies, nil); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (h *Handler) queue(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	held, err := h.o.Store.Replies(ctx, activitypub.ReplyFilter{State: activitypub.Held, Limit: queueLimit})
	if err != nil {
		return err
	}
	views, err := h.views(r, held, nil)
	if err != nil {
		return err
	}
	lessons, err := h.o.Store.LessonObjects(ctx)
	if err != nil {
		return err
	}
	reports, err := h.reports(r)
	if err != nil {
		return err
	}
	return h.render(w, "queue", http.StatusOK, page{Heading: "Held replies", Moderator: s.moderator, CSRF: s.csrf,
		Current: "queue", Notice: r.URL.Query().Get("notice"), Data: queueData{Reports: reports, Held: views, Lessons: lessons}})
}

type lessonData struct {
	LessonID string
	Replies  []replyView
	Pages    pageLinks
}

// lesson is a lesson's thread, every public reply whatever its state,
// newest first, a page at a time.
func (h *Handler) lesson(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	id := r.PathValue("id")
	q, err := pageQuery(r, threadPage)
	if err != nil {
		return err
	}
	replies, err := h.o.Store.RepliesPage(ctx, activitypub.ReplyFilter{LessonID: id}, q)
	if err != nil {
		return err
	}
	replies, pages := paged(replies, q, threadPage, func(r activitypub.Reply) activitypub.Cursor {
		return activitypub.Cursor{At: r.Published, ID: r.ID}
	}, true)
	featured := map[string]bool{}
	cohorts := map[string]bool{}
	for _, rep := range replies {
		cohorts[rep.CohortID] = true
	}
	for cohort := range cohorts { // each cohort's thread has its own featured replies
		features, err := h.o.Store.Features(ctx, id, cohort)
		if err != nil {
			return err
		}
		for _, f := range features {
			featured[f.ReplyID] = true
		}
	}
	views, err := h.views(r, replies, featured)
	if err != nil {
		return err
	}
	return h.render(w, "lesson", http.StatusOK, page{Heading: "Thread of " + id, Moderator: s.moderator, CSRF: s.csrf,
		Current: "lesson", Notice: r.URL.Query().Get("notice"), Data: lessonData{LessonID: id, Replies: views, Pages: pages}})
}

// replyAction does one action on one reply: approve, hide, show, feature
// or unfeature.
func (h *Handler) replyAction(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	id, reason, action := r.PostFormValue("reply"), strings.TrimSpace(r.PostFormValue("reason")), r.PostFormValue("action")
	if id == "" {
		return fail(http.StatusBadRequest, "no reply given", nil)
	}
	var err error
	switch action {
	case activitypub.ActionApprove:
		_, err = h.o.Actions.Approve(ctx, s.moderator, id, reason)
	case activitypub.ActionHide:
		_, err = h.o.Actions.Hide(ctx, s.moderator, id, reason)
	case activitypub.ActionShow:
		_, err = h.o.Actions.Show(ctx, s.moderator, id, reason)
	case activitypub.ActionFeature:
		_, err = h.o.Actions.Feature(ctx, s.moderator, id, reason)
	case activitypub.ActionUnfeature:
		_, err = h.o.Actions.Unfeature(ctx, s.moderator, id, reason)
	default:
		return fail(http.StatusBadRequest, "unknown action", fmt.Errorf("action %q", action))
	}
	if err := userError(err); err != nil {
		return err
	}
	redirect(w, r, back(r), actionNotice(action))
	return nil
}

func actionNotice(action string) string {
	switch action {
	case activitypub.ActionApprove:
		return "Reply approved: it is on the page."
	case activitypub.ActionHide:
		return "Reply hidden."
	case activitypub.ActionShow:
		return "Reply shown again."
	case activitypub.ActionFeature:
		return "Reply featured: pinned on top and boosted to the followers."
	case activitypub.ActionUnfeature:
		return "Reply no longer featured; its boost is undone."
	case activitypub.ActionBlock:
		return "Blocked."
	case activitypub.ActionUnblock:
		return "Unblocked."
	case activitypub.ActionApproveFollow:
		return "Follow approved: they receive the course's posts."
	case activitypub.ActionRejectFollow:
		return "Follow rejected."
	}
	return "Done."
}

// userError turns a missing or duplicate item into a status the moderator
// understands.
func userError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, activitypub.ErrNotFound):
		return fail(http.StatusNotFound, "no such reply or block (already undone?)", err)
	case errors.Is(err, activitypub.ErrDuplicate):
		return fail(http.StatusConflict, "already done", err)
	case errors.Is(err, ErrNotFeaturable):
		return fail(http.StatusBadRequest, "only a public reply can be featured", err)
	}
	return err
}

func (h *Handler) blocks(w http.ResponseWriter, r *http.Request, s *session) error {
	bs, err := h.o.Store.Blocks(r.Context())
	if err != nil {
		return err
	}
	return h.render(w, "blocks", http.StatusOK, page{Heading: "Blocks", Moderator: s.moderator, CSRF: s.csrf,
		Current: "blocks", Notice: r.URL.Query().Get("notice"), Data: bs})
}

func (h *Handler) blockAction(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	target, reason, action := strings.TrimSpace(r.PostFormValue("target")), strings.TrimSpace(r.PostFormValue("reason")), r.PostFormValue("action")
	if target == "" {
		return fail(http.StatusBadRequest, "say whom to block: an actor URL, a handle or a domain", nil)
	}
	var err error
	switch action {
	case activitypub.ActionBlock:
		_, err = h.o.Actions.Block(ctx, s.moderator, target, reason)
	case activitypub.ActionUnblock:
		_, err = h.o.Actions.Unblock(ctx, s.moderator, target, reason)
	default:
		return fail(http.StatusBadRequest, "unknown action", fmt.Errorf("action %q", action))
	}
	if err != nil {
		if errors.Is(err, activitypub.ErrNotFound) || errors.Is(err, activitypub.ErrDuplicate) {
			return userError(err)
		}
		return fail(http.StatusBadRequest, "give an actor URL, a handle the course has seen, or a domain", err)
	}
	to := Prefix + "blocks"
	if r.PostFormValue("back") != "" { // a block from a list goes back to it
		to = back(r)
	}
	redirect(w, r, to, actionNotice(action))
	return nil
}

type auditData struct {
	Entries []activitypub.AuditEntry
	Older   int64 // the before= of the next page, 0 when none
}

func (h *Handler) audit(w http.ResponseWriter, r *http.Request, s *session) error {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	es, err := h.o.Store.AuditLog(r.Context(), before, auditPage)
	if err != nil {
		return err
	}
	d := auditData{Entries: es}
	if len(es) == auditPage {
		d.Older = es[len(es)-1].ID
	}
	return h.render(w, "audit", http.StatusOK, page{Heading: "Audit log", Moderator: s.moderator, CSRF: s.csrf,
		Current: "audit", Data: d})
}

// minutes writes "1 minute" or "n minutes".
func minutes(n int) string {
	if n == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", n)
}
