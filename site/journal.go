package site

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reflection journals (issue 14): participants' public posts with the
// course hashtag, a page per participant (/journal/@user@host/, their
// entries in order) and a page per week of each cohort (/journal/week-N/,
// or /journal/COHORT/week-N/ when the course has several cohorts), with
// /journal/ listing both. The companion decides what is an entry; the
// build only lays the entries out, and the pages' script keeps them live
// from the journal API as the lesson pages do from the threads API.

// Journals is what a Discussion offers when the course keeps reflection
// journals: the companion's store (activitypub/discovery) and
// RemoteDiscussion do. A Discussion without it makes no journal pages.
type Journals interface {
	// Journal returns every entry that may appear on a public page.
	Journal(ctx context.Context) (*Journal, error)
}

// Journal is the public entries of the reflection journals. Its JSON is
// the companion's journal API (/api/journal).
type Journal struct {
	// Entries are in published order (then id), each a Reply without
	// answers or reactions.
	Entries []*Reply `json:"entries"`
}

// JournalPage is one page of the journals: the index, a participant's
// journal, or a week's entries of all participants.
type JournalPage struct {
	URL   string // root-relative
	Title string
	// Author is whose journal this is (a participant's page only).
	Author *Author
	// Week and Cohort name a week's page: its number and cohort; From and
	// To bound it.
	Week     int
	Cohort   *Cohort
	From, To time.Time
	// Prev and Next link the neighbouring weeks, "" at the ends.
	Prev, Next string
	// Entries are the page's entries, oldest first.
	Entries []*Reply
	// API is the journal API's URL for this page's entries, for the live
	// script; "" without a companion.
	API string
	// Participants and Weeks list the other pages (the index only).
	Participants []JournalLink
	Weeks        []JournalLink
}

// JournalLink is a link to a journal page, with how many entries it shows.
type JournalLink struct {
	URL, Label string
	Entries    int
}

// journalURL returns the root-relative URL of handle's journal page.
func journalURL(basePath, handle string) string {
	return basePath + "journal/" + url.PathEscape("@"+strings.TrimPrefix(handle, "@")) + "/"
}

// readJournal reads the journals, when the course has a hashtag and the
// Discussion keeps them, and links each reply whose author keeps one to
// their journal page. A reply whose link changes gets a new key, so its
// page is rendered again.
func (b *Builder) readJournal(ctx context.Context, lessons []*Page, cfg *Config) (*Journal, error) {
	js, ok := b.o.Discussion.(Journals)
	if !ok {
		return nil, nil
	}
	basePath, on := cfg.BasePath(), cfg.Federation.JournalTag() != ""
	j := &Journal{}
	if on { // else the links a former build set are taken off
		var err error
		if j, err = js.Journal(ctx); err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
	}
	keeps := map[string]bool{}
	for _, e := range j.Entries {
		if e.Author.Handle != "" {
			keeps[strings.ToLower(e.Author.Handle)] = true
		}
	}
	link := func(t *Thread) bool {
		if t == nil {
			return false
		}
		changed := false
		var walk func([]*Reply, int)
		walk = func(rs []*Reply, depth int) {
			if depth >= maxAnswerDepth {
				return
			}
			for _, r := range rs {
				want := ""
				if r.Author.Handle != "" && keeps[strings.ToLower(r.Author.Handle)] {
					want = journalURL(basePath, r.Author.Handle)
				}
				if r.Journal != want {
					r.Journal, changed = want, true
				}
				walk(r.Replies, depth+1)
			}
		}
		walk(t.Replies, 0)
		if changed {
			t.keyMemo = "" // what the page shows changed: a new key
		}
		return changed
	}
	for _, l := range lessons {
		changed := link(l.Thread)
		for _, a := range l.Archive {
			changed = link(a.Thread) || changed
		}
		if changed && b.threadsRedone != nil {
			b.threadsRedone[l.ID] = true // the page reads its thread: look at it (affected.go)
		}
	}
	if !on {
		return nil, nil
	}
	return j, nil
}

// journalPages lays out the journal pages (layout journal.html, with
// .Journal the page). Each is written again only when what it shows
// changed; a participant who left has no page, and the build removes it.
func (r *run) journalPages(base PageData, j *Journal) error {
	if j == nil {
		return nil
	}
	bp := r.cfg.BasePath()
	apiBase := ""
	if b := r.cfg.Federation.Base(); b != "" {
		apiBase = b + "/api/journal"
	}
	api := func(q url.Values) string {
		if apiBase == "" {
			return ""
		}
		return apiBase + "?" + q.Encode()
	}
	index := &JournalPage{URL: bp + "journal/", Title: r.theme.T("journal_title"), Participants: []JournalLink{}, Weeks: []JournalLink{}}
	pages := []*JournalPage{index}

	// A page per participant, by handle.
	byAuthor := map[string]*JournalPage{}
	for _, e := range j.Entries {
		h := strings.ToLower(e.Author.Handle)
		if h == "" {
			continue
		}
		e.Journal = journalURL(bp, e.Author.Handle)
		p := byAuthor[h]
		if p == nil {
			a := e.Author
			p = &JournalPage{URL: journalURL(bp, a.Handle), Title: fmt.Sprintf(r.theme.T("journal_of"), cmp.Or(a.Name, a.Handle)), Author: &a,
				API: api(url.Values{"author": {a.Handle}})}
			byAuthor[h] = p
			pages = append(pages, p)
		}
		p.Entries = append(p.Entries, e)
	}
	for _, p := range pages[1:] {
		index.Participants = append(index.Participants, JournalLink{URL: p.URL, Label: p.Author.Name + " " + p.Author.Handle, Entries: len(p.Entries)})
	}
	slices.SortFunc(index.Participants, func(a, b JournalLink) int { return cmp.Compare(strings.ToLower(a.Label), strings.ToLower(b.Label)) })

	// A page per week of each cohort.
	for _, s := range r.schedules {
		prefix := bp + "journal/"
		if len(r.schedules) > 1 {
			prefix += url.PathEscape(s.Cohort.ID) + "/"
		}
		weeks := cohortWeeks(s)
		var prev *JournalPage
		for n := 1; n <= weeks; n++ {
			from := s.Start.AddDate(0, 0, 7*(n-1))
			to := s.Start.AddDate(0, 0, 7*n)
			co := s.Cohort
			title := fmt.Sprintf(r.theme.T("journal_week"), n)
			if len(r.schedules) > 1 {
				title = fmt.Sprintf(r.theme.T("journal_cohort_week"), cmp.Or(co.Name, co.ID), n)
			}
			p := &JournalPage{URL: prefix + "week-" + strconv.Itoa(n) + "/", Title: title, Week: n, Cohort: &co, From: from, To: to,
				API: api(url.Values{"from": {from.UTC().Format(time.RFC3339)}, "to": {to.UTC().Format(time.RFC3339)}})}
			for _, e := range j.Entries {
				if !e.Published.Before(from) && e.Published.Before(to) {
					p.Entries = append(p.Entries, e)
				}
			}
			if prev != nil {
				prev.Next, p.Prev = p.URL, prev.URL
			}
			prev = p
			pages = append(pages, p)
			index.Weeks = append(index.Weeks, JournalLink{URL: p.URL, Label: title, Entries: len(p.Entries)})
		}
	}

	for _, p := range pages {
		if p.Entries == nil {
			p.Entries = []*Reply{}
		}
		shown, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("journal page %s: %w", p.URL, err)
		}
		rel := r.outPath(p.URL)
		key := newKeyer().str(r.key, r.outline, string(shown)).sum()
		r.next.Special[rel] = key
		if r.prev.special(rel) == key && r.out.keep(rel) {
			continue
		}
		outline, err := r.courseOutline()
		if err != nil {
			return err
		}
		data := base
		data.Outline, data.Journal = outline, p
		data.Page = &Page{Kind: KindPage, ID: "journal", Title: p.Title, URL: p.URL, Permalink: r.cfg.Origin() + p.URL}
		html, err := r.theme.execute("journal.html", data)
		if err != nil {
			return fmt.Errorf("render %s: %w", rel, err)
		}
		if err := r.out.write(rel, html); err != nil {
			return err
		}
	}
	return nil
}

// cohortWeeks is how many weeks a cohort's journal pages cover: to the
// week its last module opens, at least one.
func cohortWeeks(s *Schedule) int {
	weeks := 1
	for _, m := range s.Modules {
		if w := int(m.Opens.Sub(s.Start)/weekLength) + 1; w > weeks {
			weeks = w
		}
	}
	return weeks
}

// Journal GETs the companion's /api/journal?all=1, for `cohort build
// --threads-from URL`; every entry is cleaned as a reply read from there
// is. A companion without journals (404) has none.
func (d *RemoteDiscussion) Journal(ctx context.Context) (*Journal, error) {
	u := strings.TrimSuffix(d.Base, "/") + "/api/journal?all=1"
	var j Journal
	status, err := d.getJSON(ctx, u, &j) // discussion.go
	switch {
	case err != nil:
		return nil, fmt.Errorf("journal: %w", err)
	case status == http.StatusGone: // only threads read 410 as "none"
		return nil, fmt.Errorf("journal: %s answered %d %s", u, status, http.StatusText(status))
	case status != http.StatusOK:
		return &Journal{Entries: []*Reply{}}, nil
	}
	j.Entries = slices.DeleteFunc(j.Entries, func(e *Reply) bool { return e == nil })
	cleanReplies(j.Entries, d.sanitizer())
	for _, e := range j.Entries {
		e.Replies = nil // an entry has no answers on a journal page
	}
	return &j, nil
}
