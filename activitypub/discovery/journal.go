package discovery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/site"
)

// JournalPath is the journal API (issue 14): the public entries of the
// reflection journals, as the journal pages show them.
const JournalPath = "/api/journal"

// Journal gives the build every public journal entry, as the journal API
// serves them, so the pages and the live script never disagree.
func (h *Handler) Journal(ctx context.Context) (*site.Journal, error) {
	return h.readJournal(ctx, activitypub.JournalFilter{})
}

var _ site.Journals = (*Handler)(nil)

// readJournal reads the entries f selects with their authors.
func (h *Handler) readJournal(ctx context.Context, f activitypub.JournalFilter) (*site.Journal, error) {
	es, err := h.o.Store.JournalEntries(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &site.Journal{Entries: make([]*site.Reply, 0, len(es))}
	authors := map[string]ThreadAuthor{}
	for _, e := range es {
		a, ok := authors[e.Actor]
		if !ok {
			if a, err = h.author(ctx, e.Actor); err != nil {
				return nil, fmt.Errorf("journal: %w", err)
			}
			a.Moderator = false // a journal is the participant's own, moderator or not
			authors[e.Actor] = a
		}
		j.Entries = append(j.Entries, threadReply(activitypub.Reply{ID: e.ID, URL: e.URL, Published: e.Published, Updated: e.Updated,
			Content: e.Content, Summary: e.Summary, Sensitive: e.Sensitive, Attachments: e.Attachments}, a, activitypub.Counts{}))
	}
	return j, nil
}

// maxJournalSpan bounds the from-to window one request may ask for: a
// week page asks for a week; a year is more than any cohort lasts.
const maxJournalSpan = 366 * 24 * time.Hour

// journal answers /api/journal with every public entry (?all=1, for a
// build on another machine), or those of one
// participant (?author=@user@host) or of one stretch of time
// (?from=RFC3339&to=RFC3339, a week page's), oldest first, read from the
// store at every request: an entry deleted, hidden or of a participant who
// left is gone from the answer at once. It sets CORS for the site's
// origin and an ETag, and answers 304 when nothing changed.
func (h *Handler) journal(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f activitypub.JournalFilter
	switch {
	case q.Get("all") != "": // every entry: a build on another machine
	case q.Has("author"):
		handle := strings.TrimPrefix(q.Get("author"), "@")
		ps, err := h.o.Store.JournalParticipants(r.Context())
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.Left.IsZero() && strings.EqualFold(strings.TrimPrefix(p.Handle, "@"), handle) {
				f.Actor = p.ActorID
			}
		}
		if f.Actor == "" {
			return writeJournal(w, r, h, &site.Journal{Entries: []*site.Reply{}}) // left, or never in
		}
	case q.Has("from") && q.Has("to"):
		from, err1 := time.Parse(time.RFC3339, q.Get("from"))
		to, err2 := time.Parse(time.RFC3339, q.Get("to"))
		if err1 != nil || err2 != nil || !to.After(from) || to.Sub(from) > maxJournalSpan {
			return badRequest(fmt.Errorf("journal: from %q to %q", q.Get("from"), q.Get("to")))
		}
		f.From, f.To = from, to
	default:
		return badRequest(fmt.Errorf("journal: ask for ?author=, ?from=&to= or ?all=1"))
	}
	j, err := h.readJournal(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJournal(w, r, h, j)
}

func writeJournal(w http.ResponseWriter, r *http.Request, h *Handler, j *site.Journal) error {
	body, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	hdr := w.Header()
	h.cors(hdr)
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatch(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	_, err = w.Write(body)
	return err
}
