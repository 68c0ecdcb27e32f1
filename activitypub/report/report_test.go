package report_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/report"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// start is the spring cohort's first moment; now is four weeks later.
var (
	start = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	now   = start.Add(28 * 24 * time.Hour)
)

const (
	alice = "https://mastodon.example/users/alice"
	bob   = "https://social.example/users/bob"
	carol = "https://mastodon.example/users/carol"
	dave  = "https://quiet.example/users/dave" // never cached: no handle
	mia   = "https://mod.example/users/mia"    // the moderator
	zed   = "https://spam.example/users/zed"   // on a blocked domain
	base  = "https://course.example/lessons/"
)

var manifest = site.Manifest{
	Title:   "Learning together",
	Modules: []site.ManifestModule{{ID: "m2", Order: 2}, {ID: "m1", Order: 1}},
	Lessons: []site.ManifestLesson{ // out of order on purpose
		{ID: "closing", Title: "Closing", Module: "m2", Order: 2},
		{ID: "tools", Title: "Tools", Module: "m2", Order: 1},
		{ID: "why", Title: "Why cohorts", Module: "m1", Order: 2},
		{ID: "intro", Title: "Welcome", Module: "m1", Order: 1},
	},
}

// seed writes the known data set into a real SQLite store: ten counted
// replies in four weeks, and one each of every kind that must not count.
func seed(t *testing.T) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []string{"intro", "why", "tools", "closing"} {
		must(st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: l, CohortID: "spring", ObjectID: base + l, ContentHash: "h"}))
	}
	must(st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "intro", CohortID: "autumn", ObjectID: base + "intro-autumn", ContentHash: "h"}))
	for _, a := range []activitypub.Actor{
		{ID: alice, PreferredUsername: "alice", Name: "Alice A"},
		{ID: bob, PreferredUsername: "bob", Name: "Bob"},
		{ID: carol, PreferredUsername: "carol"},
		{ID: mia, PreferredUsername: "mia", Name: "Mia (moderator)"},
		{ID: zed, PreferredUsername: "zed"},
	} {
		a.Inbox = a.ID + "/inbox"
		must(st.SaveActor(ctx, a))
	}
	h, d := time.Hour, 24*time.Hour
	type R = activitypub.Reply
	for _, r := range []R{
		{ID: "a1", Actor: alice, LessonID: "intro", InReplyTo: base + "intro", Published: start.Add(1 * h)},
		{ID: "m1", Actor: mia, LessonID: "intro", InReplyTo: "a1", Published: start.Add(3 * h)}, // answers a1 after 2h
		{ID: "b1", Actor: bob, LessonID: "intro", InReplyTo: "m1", Published: start.Add(4 * h)}, // never answered
		{ID: "b2", Actor: bob, LessonID: "why", InReplyTo: base + "why", Published: start.Add(8 * d)},
		{ID: "m2", Actor: mia, LessonID: "why", InReplyTo: "b2", Published: start.Add(8*d + 30*time.Minute)}, // answers b2 after 30 min
		{ID: "c1", Actor: carol, LessonID: "why", InReplyTo: "b2", Published: start.Add(8*d + h)},            // after the answer: never answered
		{ID: "a2", Actor: alice, LessonID: "tools", InReplyTo: base + "tools", Published: start.Add(15 * d)},
		{ID: "a3", Actor: alice, LessonID: "tools", InReplyTo: "a2", Published: start.Add(22 * d)},
		{ID: "d1", Actor: dave, LessonID: "tools", InReplyTo: base + "tools", Published: start.Add(22*d + 2*h)},
		{ID: "m3", Actor: mia, LessonID: "tools", InReplyTo: "d1", Published: start.Add(22*d + 8*h)}, // answers d1 after 6h

		// Kept off the pages: listed apart.
		{ID: "h1", Actor: carol, LessonID: "intro", InReplyTo: base + "intro", Published: start.Add(2 * d), State: activitypub.Hidden},
		{ID: "x1", Actor: zed, LessonID: "intro", InReplyTo: base + "intro", Published: start.Add(3 * d)},
		{ID: "q1", Actor: bob, LessonID: "why", InReplyTo: base + "why", Published: start.Add(9 * d), State: activitypub.Held},
		// Never counted: private, deleted, another cohort's thread, after now.
		{ID: "f1", Actor: alice, LessonID: "intro", InReplyTo: base + "intro", Published: start.Add(5 * h), Visibility: activitypub.FollowersOnly},
		{ID: "gone", Actor: alice, LessonID: "intro", InReplyTo: base + "intro", Published: start.Add(6 * h)},
		{ID: "aut", Actor: alice, LessonID: "intro", InReplyTo: base + "intro-autumn", Published: start.Add(5 * d)},
		{ID: "aut2", Actor: mia, LessonID: "intro", InReplyTo: "aut", Published: start.Add(5*d + h)},
		{ID: "late", Actor: bob, LessonID: "intro", InReplyTo: base + "intro", Published: now.Add(time.Minute)},
	} {
		if r.Visibility == "" {
			r.Visibility = activitypub.Public
		}
		if r.ID == "c1" {
			r.Visibility = activitypub.Unlisted
		}
		r.ID = "https://x.example/" + r.ID
		if !strings.HasPrefix(r.InReplyTo, base) {
			r.InReplyTo = "https://x.example/" + r.InReplyTo
		}
		must(st.SaveReply(ctx, r))
	}
	must(st.DeleteReply(ctx, "https://x.example/gone"))
	must(st.SaveBlock(ctx, activitypub.Block{Target: "spam.example", Domain: true}, activitypub.AuditEntry{Who: "test", Action: activitypub.ActionBlock, Target: "spam.example"}))
	return st
}

var spring = site.Cohort{ID: "spring", Name: "Spring 2026", Start: start}

func TestComputeKnownDataSet(t *testing.T) {
	st := seed(t)
	r, err := report.Compute(context.Background(), st, manifest, spring, []string{"@mia@mod.example"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Replies != 10 {
		t.Errorf("Replies = %d, want 10", r.Replies)
	}
	at := func(d time.Duration) time.Time { return start.Add(d) }
	h, d := time.Hour, 24*time.Hour
	wantPeople := []report.Participant{
		{Actor: alice, Handle: "@alice@mastodon.example", Name: "Alice A", First: at(h), Replies: 3, Lessons: 2},
		{Actor: bob, Handle: "@bob@social.example", Name: "Bob", First: at(4 * h), Replies: 2, Lessons: 2},
		{Actor: carol, Handle: "@carol@mastodon.example", First: at(8*d + h), Replies: 1, Lessons: 1},
		{Actor: dave, Handle: dave, First: at(22*d + 2*h), Replies: 1, Lessons: 1},
	}
	check(t, "Participants", r.Participants, wantPeople)
	check(t, "Moderators", r.Moderators, []report.Participant{
		{Actor: mia, Handle: "@mia@mod.example", Name: "Mia (moderator)", First: at(3 * h), Replies: 3, Lessons: 3},
	})
	intro := report.Lesson{ID: "intro", Title: "Welcome", Module: "m1", Replies: 3, Participants: 2, ModeratorReplies: 1}
	why := report.Lesson{ID: "why", Title: "Why cohorts", Module: "m1", Replies: 3, Participants: 2, ModeratorReplies: 1}
	tools := report.Lesson{ID: "tools", Title: "Tools", Module: "m2", Replies: 4, Participants: 2, ModeratorReplies: 1}
	closing := report.Lesson{ID: "closing", Title: "Closing", Module: "m2"}
	check(t, "Lessons", r.Lessons, []report.Lesson{intro, why, tools, closing})
	check(t, "MostDiscussed", r.MostDiscussed, []report.Lesson{tools, intro, why}) // a tie keeps course order
	check(t, "Weeks", r.Weeks, []report.WeekFigures{
		{Number: 1, Start: at(0), Replies: 3, Active: 2},
		{Number: 2, Start: at(7 * d), Replies: 3, Active: 2},
		{Number: 3, Start: at(14 * d), Replies: 1, Active: 1},
		{Number: 4, Start: at(21 * d), Replies: 3, Active: 2},
	})
	// Answers after 2h (a1), 30 min (b2) and 6h (d1): the median is 2h.
	check(t, "Response", r.Response, report.Response{ParticipantReplies: 7, Answered: 3, Median: 2 * h})
	var states []string
	for _, m := range r.Moderated {
		states = append(states, strings.TrimPrefix(m.ID, "https://x.example/")+" "+m.State)
	}
	check(t, "Moderated", states, []string{"h1 hidden", "x1 " + r.Moderated[1].State, "q1 held"})
	if s := r.Moderated[1].State; s != "hidden" && s != "blocked" {
		t.Errorf("a blocked author's reply is %q, want hidden or blocked", s)
	}
}

func TestComputeWithoutCohort(t *testing.T) {
	st := seed(t)
	r, err := report.Compute(context.Background(), st, manifest, site.Cohort{}, []string{"@mia@mod.example"}, now)
	if err != nil {
		t.Fatal(err)
	}
	// The autumn thread counts too: alice's reply and mia's answer an hour later.
	if r.Replies != 12 {
		t.Errorf("Replies = %d, want 12", r.Replies)
	}
	if !r.Start.Equal(start) {
		t.Errorf("Start = %v, want the first reply's day %v", r.Start, start)
	}
	check(t, "Response", r.Response, report.Response{ParticipantReplies: 8, Answered: 4, Median: (time.Hour + 2*time.Hour) / 2})
}

func TestComputeEmptyStore(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, err := report.Compute(context.Background(), st, manifest, spring, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Replies != 0 || len(r.Participants) != 0 || len(r.Weeks) != 0 || len(r.MostDiscussed) != 0 || r.Response != (report.Response{}) {
		t.Errorf("empty store gives %+v", r)
	}
	if len(r.Lessons) != 4 {
		t.Errorf("%d lessons, want the manifest's 4 with no replies", len(r.Lessons))
	}
	if err := report.Write(t.TempDir(), r); err != nil {
		t.Fatal(err)
	}
}

func TestWrite(t *testing.T) {
	st := seed(t)
	r, err := report.Compute(context.Background(), st, manifest, spring, []string{"@mia@mod.example"}, now)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "report")
	if err := report.Write(dir, r); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	wantFile(t, "participants.csv", read("participants.csv"), `handle,name,first_reply,replies,lessons_replied_to
alice@mastodon.example,Alice A,2026-03-02T01:00:00Z,3,2
bob@social.example,Bob,2026-03-02T04:00:00Z,2,2
carol@mastodon.example,,2026-03-10T01:00:00Z,1,1
https://quiet.example/users/dave,,2026-03-24T02:00:00Z,1,1
`)
	wantFile(t, "weeks.csv", read("weeks.csv"), "week,start,replies,active_participants\n1,2026-03-02,3,2\n2,2026-03-09,3,2\n3,2026-03-16,1,1\n4,2026-03-23,3,2\n")
	wantFile(t, "response-time.csv", read("response-time.csv"), "participant_replies,answered_by_a_moderator,median_minutes_to_answer\n7,3,120.0\n")
	wantFile(t, "most-discussed.csv", read("most-discussed.csv"), "rank,lesson_id,title,replies,participants\n1,tools,Tools,4,2\n2,intro,Welcome,3,2\n3,why,Why cohorts,3,2\n")
	wantFile(t, "moderators.csv", read("moderators.csv"), "handle,name,first_reply,replies,lessons_replied_to\nmia@mod.example,Mia (moderator),2026-03-02T03:00:00Z,3,3\n")
	if got := strings.Count(read("moderated.csv"), "\n"); got != 4 {
		t.Errorf("moderated.csv has %d lines, want a header and 3", got)
	}

	html := read("index.html")
	for _, want := range []string{
		`<title id="lessons-title">Replies per lesson</title>`,
		`<title id="weeks-title">Replies per week</title>`,
		`<title id="active-title">Active participants per week</title>`,
		`aria-labelledby="active-title active-desc"`,
		`<caption>Active participants per week</caption>`,
		"Figures as at 2026-03-30 00:00 UTC",
		"Spring 2026",
		"3 of 7",
		"2 h 00 min",
		"@media print",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if n := strings.Count(html, "<svg"); n != 3 {
		t.Errorf("%d charts, want 3", n)
	}
	if n := strings.Count(html, "<table"); n < 3 {
		t.Errorf("%d tables, want one beside each of the 3 charts", n)
	}
	// Nothing loads from elsewhere: no scripts, no src, no stylesheet links.
	if m := regexp.MustCompile(`<script|\ssrc=|<link|@import|url\(`).FindString(html); m != "" {
		t.Errorf("index.html makes a request or runs a script: %q", m)
	}
	// The same figures give the same bytes.
	again, err := report.HTML(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != html {
		t.Error("HTML differs between two runs on the same figures")
	}
}

// TestCSVDefusesFormulas checks that a name a remote server chose cannot
// become a spreadsheet formula.
func TestCSVDefusesFormulas(t *testing.T) {
	r := &report.Report{Participants: []report.Participant{{Handle: "@=cmd@evil.example", Name: "=HYPERLINK(\"x\")"}}}
	dir := t.TempDir()
	if err := report.Write(dir, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "participants.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `'=cmd@evil.example,"'=HYPERLINK(""x"")"`) {
		t.Errorf("participants.csv:\n%s", b)
	}
}

// check compares figures exactly, times included.
func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func wantFile(t *testing.T, name, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got %q\nwant %q", name, got, want)
	}
}
