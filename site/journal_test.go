package site

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// journalDiscussion is tableDiscussion with reflection journals: a test
// double that injects entries into a build (the real one, over the
// companion's store, is tested in activitypub/server).
type journalDiscussion struct {
	*tableDiscussion
	mu      sync.Mutex
	journal *Journal
}

func (d *journalDiscussion) Journal(context.Context) (*Journal, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	j := &Journal{}
	for _, e := range d.journal.Entries {
		c := *e
		j.Entries = append(j.Entries, &c)
	}
	return j, nil
}

// storedJournal is two participants' entries over the first two weeks of
// the example course's cohort (it starts 7 September 2026, 09:00 in
// Amsterdam), one with a content warning and one whose every field but its
// (sanitized) content is hostile.
func storedJournal() *Journal {
	alice := Author{Name: "Alice Example", Handle: "@alice@mastodon.example", URL: "https://mastodon.example/@alice",
		Avatar: "https://files.mastodon.example/avatars/alice.png"}
	bob := Author{Name: "Bob", Handle: "@bob@social.example", URL: "https://social.example/@bob"}
	hostile := Author{Name: `<script>alert("name")</script>`, Handle: `@"onmouseover=alert(1)@evil.example`,
		URL: "javascript:alert('profile')"}
	return &Journal{Entries: []*Reply{
		{ID: "https://mastodon.example/users/alice/statuses/11", URL: "https://mastodon.example/@alice/11", Author: alice,
			Published: at("2026-09-08T18:00:00Z"), Attachments: []Attachment{},
			Content: `<p>Week one: I listened more than I spoke. <a href="https://mastodon.example/tags/socialcourse" class="mention hashtag" rel="nofollow noopener ugc">#<span>socialcourse</span></a></p>`},
		{ID: "https://social.example/users/bob/statuses/12", URL: "https://social.example/@bob/12", Author: bob,
			Published: at("2026-09-10T07:30:00Z"), Edited: at("2026-09-10T08:00:00Z"), Summary: "a hard week", Attachments: []Attachment{},
			Content: `<p>Giving feedback was harder than I thought. #socialcourse</p>`},
		{ID: "https://evil.example/notes/13", URL: "javascript:alert('entry')", Author: hostile,
			Published: at("2026-09-11T09:00:00Z"), Content: `<p>HOSTILE-ENTRY</p>`, Attachments: []Attachment{}},
		{ID: "https://mastodon.example/users/alice/statuses/14", URL: "https://mastodon.example/@alice/14", Author: alice,
			Published: at("2026-09-15T19:00:00Z"), Content: `<p>Week two: stories beat opinions. #socialcourse</p>`, Attachments: []Attachment{}},
	}}
}

// journalGoldens are the journal pages kept under testdata/golden/.
var journalGoldens = map[string]string{
	"journal/index.html":                         "journal__index.html",
	"journal/@alice@mastodon.example/index.html": "journal__alice.html",
	"journal/week-1/index.html":                  "journal__week-1.html",
}

// TestJournalGolden builds the example course with two participants'
// journals and compares the journal pages with their goldens, then checks
// what must hold whatever the markup: each participant's entries in order
// on their page, each week's on its page, hostile fields escaped, the
// lesson page's replies linking their author's journal, and a participant
// who left gone from the pages at the next build.
func TestJournalGolden(t *testing.T) {
	dir := threadCourse(t)
	d := &journalDiscussion{tableDiscussion: &tableDiscussion{threads: map[string]*Thread{"writing-prompts": storedThread()}}, journal: storedJournal()}
	out := filepath.Join(dir, "public")
	b := NewBuilder(Options{Source: dir, Out: out, Discussion: d, Now: goldenNow})
	if _, err := b.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	for name, g := range journalGoldens {
		page := readFile(t, filepath.Join(out, name))
		golden := filepath.Join("testdata", "golden", g)
		if *update {
			if err := os.WriteFile(golden, []byte(page), 0o644); err != nil {
				t.Fatal(err)
			}
		} else if d := lineDiff(readFile(t, golden), page); d != "" {
			t.Errorf("%s differs from %s (-want +got):\n%s", name, golden, d)
		}
	}
	alice := readFile(t, filepath.Join(out, "journal/@alice@mastodon.example/index.html"))
	week1 := readFile(t, filepath.Join(out, "journal/week-1/index.html"))
	week2 := readFile(t, filepath.Join(out, "journal/week-2/index.html"))
	index := readFile(t, filepath.Join(out, "journal/index.html"))
	lesson := readFile(t, filepath.Join(out, promptsPage))
	checks := []struct {
		name string
		ok   bool
	}{
		{"alice's page has her two entries, oldest first", regexp.MustCompile(`(?s)Week one.*Week two`).MatchString(alice) && !strings.Contains(alice, "Giving feedback")},
		{"alice's page asks the API for her entries", strings.Contains(alice, `data-api="https://course.example.org/api/journal?author=%40alice%40mastodon.example"`)},
		{"week 1 has three entries of three people", strings.Count(week1, `<article class="reply-body">`) == 3+1 /* and the script's template */ && !strings.Contains(week1, "Week two")},
		{"week 1 asks the API for its week", strings.Contains(week1, `data-api="https://course.example.org/api/journal?from=2026-09-07T07%3A00%3A00Z&amp;to=2026-09-14T07%3A00%3A00Z"`)},
		{"week 2 has alice's second entry", strings.Contains(week2, "Week two") && !strings.Contains(week2, "Week one")},
		{"weeks link each other", strings.Contains(week1, `href="/journal/week-2/" rel="next"`) && strings.Contains(week2, `href="/journal/week-1/" rel="prev"`)},
		{"index lists participants and weeks", strings.Contains(index, `href="/journal/@alice@mastodon.example/"`) && strings.Contains(index, `href="/journal/week-4/"`) && strings.Contains(index, "#socialcourse")},
		{"the content warning folds the entry", regexp.MustCompile(`(?s)<details class="reply-cw"><summary>.*a hard week</span></summary><div class="reply-content"><p>Giving feedback`).MatchString(week1)},
		{"hostile name escaped", strings.Contains(week1, `&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;`)},
		{"no javascript: URL", !strings.Contains(strings.ToLower(week1), "javascript:")},
		{"no event handler attribute", !regexp.MustCompile(`(?i)<[^>]+\son\w+\s*=`).MatchString(week1)},
		{"content only in .reply-content", strings.Count(week1, "HOSTILE-ENTRY") == 1 && strings.Contains(week1, `<div class="reply-content"><p>HOSTILE-ENTRY</p></div>`)},
		{"alice's replies link her journal", strings.Count(lesson, `<a class="reply-journal" href="/journal/@alice@mastodon.example/">Reflection journal</a>`) == 2},
		{"bob's reply links his", strings.Contains(lesson, `<a class="reply-journal" href="/journal/@bob@social.example/">`)},
		{"maria keeps no journal", !strings.Contains(lesson, `/journal/@maria@uni.example/`)},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: not so", c.name)
		}
	}

	// Alice leaves: at the next build her page is gone, the weeks and the
	// lesson page no longer show or link her.
	d.mu.Lock()
	kept := d.journal.Entries[:0]
	for _, e := range d.journal.Entries {
		if e.Author.Handle != "@alice@mastodon.example" {
			kept = append(kept, e)
		}
	}
	d.journal.Entries = kept
	d.mu.Unlock()
	if _, err := b.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "journal/@alice@mastodon.example/index.html")); !os.IsNotExist(err) {
		t.Errorf("alice's journal page after she left: %v", err)
	}
	for _, name := range []string{"journal/week-1/index.html", "journal/week-2/index.html", "journal/index.html", promptsPage} {
		if page := readFile(t, filepath.Join(out, name)); strings.Contains(page, "Week one") || strings.Contains(page, "/journal/@alice@mastodon.example/") {
			t.Errorf("%s still shows alice's journal after she left", name)
		}
	}
}
