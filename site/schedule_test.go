package site

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zone data in the test binary: these tests never skip for want of it
)

func TestParseOpens(t *testing.T) {
	start := time.Date(2026, 9, 7, 9, 0, 0, 0, mustZone(t, "Europe/Amsterdam"))
	tests := []struct {
		in   string
		want string // in the cohort's zone
	}{
		{"week 1", "2026-09-07 09:00 CEST"},
		{"week 2", "2026-09-14 09:00 CEST"},
		{"Week 3", "2026-09-21 09:00 CEST"},
		{"day 1", "2026-09-07 09:00 CEST"},
		{"day 10", "2026-09-16 09:00 CEST"},
		{"week 8", "2026-10-26 09:00 CET"}, // after the clocks go back on 25 October: still 09:00
		{"2026-10-01", "2026-10-01 00:00 CEST"},
		{"2026-10-01T18:30", "2026-10-01 18:30 CEST"},
		{"2026-11-02 08:15", "2026-11-02 08:15 CET"},
	}
	for _, tt := range tests {
		o, err := ParseOpens(tt.in)
		if err != nil {
			t.Errorf("ParseOpens(%q): %v", tt.in, err)
			continue
		}
		if got := o.At(start).Format("2006-01-02 15:04 MST"); got != tt.want {
			t.Errorf("%q opens %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "week", "week 0", "next week", "2026-13-01", "day -1", "fortnight 2"} {
		if _, err := ParseOpens(bad); err == nil {
			t.Errorf("ParseOpens(%q) accepted", bad)
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	return loc
}

const cohortCourse = `
-- course.toml --
title = "Course"
base_url = "https://example.org/"
[[cohorts]]
id = "autumn"
name = "Autumn"
start = 2026-09-07T09:00:00
time_zone = "Europe/Amsterdam"
[[cohorts]]
id = "spring"
name = "Spring"
start = 2027-03-01T09:00:00
time_zone = "America/New_York"
-- content/_index.md --
+++
title = "Course"
+++
-- content/01-one/_index.md --
+++
title = "Week 1"
weight = 1
+++
-- content/01-one/a.md --
+++
title = "Lesson A"
summary = "About A."
+++
The text of A.
-- content/01-one/b.md --
+++
title = "Lesson B"
summary = "About B."
opens = "day 3"
+++
The text of B.
-- content/02-two/_index.md --
+++
title = "Week 2"
weight = 2
+++
-- content/02-two/c.md --
+++
title = "Lesson C"
summary = "About C."
+++
## Secret heading

The text of C.
-- content/03-three/_index.md --
+++
title = "Week 3"
weight = 3
opens = "2026-10-01T12:00"
+++
-- content/03-three/d.md --
+++
title = "Lesson D"
summary = "About D."
+++
The text of D.
`

// TestScheduleAndLocking: what a build shows depends on the moment it shows the
// course at, for the earliest cohort a lesson opened for.
func TestScheduleAndLocking(t *testing.T) {
	dir := course(t, cohortCourse)
	ams := mustZone(t, "Europe/Amsterdam")
	at := func(s string) func() time.Time {
		return func() time.Time {
			tm, err := time.ParseInLocation("2006-01-02 15:04", s, ams)
			if err != nil {
				t.Fatal(err)
			}
			return tm
		}
	}
	build := func(now string) (*Result, string) {
		out := filepath.Join(t.TempDir(), "public")
		res, err := Build(context.Background(), Options{Source: dir, Out: out, Now: at(now)})
		if err != nil {
			t.Fatal(err)
		}
		return res, out
	}
	tests := []struct {
		now    string
		open   []string
		locked []string
	}{
		{"2026-09-07 08:59", nil, []string{"01-one/a", "01-one/b", "02-two/c", "03-three/d"}},
		{"2026-09-07 09:00", []string{"01-one/a"}, []string{"01-one/b", "02-two/c"}},
		{"2026-09-09 09:00", []string{"01-one/a", "01-one/b"}, []string{"02-two/c"}},
		{"2026-09-14 09:00", []string{"02-two/c"}, []string{"03-three/d"}},
		{"2026-10-01 12:00", []string{"03-three/d"}, nil},
	}
	for _, tt := range tests {
		res, out := build(tt.now)
		for _, p := range tt.open {
			if page := read(t, out, p+"/index.html"); !strings.Contains(page, "The text of") || strings.Contains(page, `class="locked"`) {
				t.Errorf("at %s %s should be open", tt.now, p)
			}
		}
		for _, p := range tt.locked {
			page := read(t, out, p+"/index.html")
			if strings.Contains(page, "The text of") || !strings.Contains(page, `class="locked"`) || !strings.Contains(page, "About ") {
				t.Errorf("at %s %s should show only its title, summary and opening date", tt.now, p)
			}
		}
		if tt.now == "2026-09-09 09:00" {
			if !strings.Contains(read(t, out, "02-two/c/index.html"), "It opens on 14 September 2026, 09:00 CEST.") {
				t.Error("locked page does not say when it opens, in the cohort's zone")
			}
			if strings.Contains(read(t, out, "search/index.json"), "Secret heading") || strings.Contains(read(t, out, "feed.xml"), "Lesson C") {
				t.Error("a lesson not open yet leaks its headings into search or appears in the feed")
			}
			if want := time.Date(2026, 9, 14, 9, 0, 0, 0, ams); !res.NextOpening.Equal(want) {
				t.Errorf("next opening %v, want %v", res.NextOpening, want)
			}
		}
	}
	_, out := build("2026-09-09 09:00")
	sched := read(t, out, "schedule/index.html")
	for _, want := range []string{"Autumn", "Spring", "America/New_York", "1 March 2027, 09:00 EST", "3 March 2027, 09:00 EST", "8 March 2027, 09:00 EST", "1 October 2026, 12:00 CEST"} {
		if !strings.Contains(sched, want) {
			t.Errorf("schedule page lacks %q", want)
		}
	}
	manifest := read(t, out, "lessons.json")
	if !strings.Contains(manifest, `"releases":{"autumn":"2026-09-14T09:00:00+02:00","spring":"2027-03-08T09:00:00-05:00"}`) {
		t.Errorf("manifest lacks lesson C's release per cohort:\n%s", manifest)
	}
}

func TestOpensError(t *testing.T) {
	dir := course(t, cohortCourse)
	writeArchive(t, dir, "-- content/02-two/c.md --\n+++\ntitle = \"Lesson C\"\nopens = \"next week\"\n+++\n")
	_, err := Build(context.Background(), Options{Source: dir, Out: filepath.Join(dir, "public")})
	if err == nil || !strings.Contains(err.Error(), "content/02-two/c.md:3") || !strings.Contains(err.Error(), `"next week"`) {
		t.Fatalf("error does not say where: %v", err)
	}
	if _, serr := os.Stat(filepath.Join(dir, "public")); serr == nil {
		t.Error("a failed build wrote public/")
	}
}

// TestCurrentCohort: a page shows the discussion of the cohort the lesson opened
// for most recently, or, before it opens for anyone, of the first to get it.
func TestCurrentCohort(t *testing.T) {
	d := func(s string) time.Time { tm, _ := time.Parse("2006-01-02", s); return tm }
	opens := []cohortOpening{{"autumn", d("2026-09-14")}, {"spring", d("2027-03-08")}, {"summer", d("2027-06-07")}}
	tests := []struct{ now, want string }{
		{"2026-09-01", "autumn"}, // not open yet: the first to open
		{"2026-09-14", "autumn"},
		{"2027-03-07", "autumn"},
		{"2027-03-08", "spring"}, // spring's thread starts fresh
		{"2027-12-01", "summer"},
	}
	for _, tt := range tests {
		if got := currentCohort(opens, d(tt.now)); got != tt.want {
			t.Errorf("at %s: %q, want %q", tt.now, got, tt.want)
		}
	}
	if got := currentCohort(nil, d("2026-01-01")); got != "" {
		t.Errorf("without cohorts: %q", got)
	}
}

// cohortDiscussion gives each (lesson, cohort) a thread with one reply naming it.
type cohortDiscussion struct{}

func (cohortDiscussion) Thread(_ context.Context, lessonID, cohortID string) (*Thread, error) {
	return &Thread{Lesson: lessonID, Count: 1, Replies: []*Reply{{
		ID: "https://social.example/notes/" + cohortID, URL: "https://social.example/@a/" + cohortID,
		Author:    Author{Name: "A", Handle: "@a@social.example", URL: "https://social.example/@a"},
		Published: time.Date(2026, 9, 8, 9, 0, 0, 0, time.UTC), Content: "<p>REPLY-OF-" + cohortID + "</p>",
	}}}, nil
}

// TestArchiveOfEarlierCohorts: once a second cohort reaches a lesson, its page
// shows that cohort's fresh thread and links the earlier cohort's discussion,
// kept on a page of its own; a private cohort's stays out unless shown.
func TestArchiveOfEarlierCohorts(t *testing.T) {
	dir := course(t, cohortCourse)
	// The same cohorts, a fediverse account, and a private cohort in between.
	config := read(t, dir, "course.toml") + `[[cohorts]]
id = "staff"
name = "Staff"
start = 2026-10-05T09:00:00
audience = "private"
`
	config = strings.Replace(config, "[[cohorts]]", "[federation]\nhandle = \"course\"\ndomain = \"example.org\"\n\n[[cohorts]]", 1)
	writeArchive(t, dir, "-- course.toml --\n"+config)
	out := filepath.Join(t.TempDir(), "public")
	now := func() time.Time { return time.Date(2027, 4, 1, 12, 0, 0, 0, time.UTC) }
	if _, err := Build(context.Background(), Options{Source: dir, Out: out, Now: now, Discussion: cohortDiscussion{}}); err != nil {
		t.Fatal(err)
	}
	page := read(t, out, "01-one/a/index.html")
	for _, want := range []string{"REPLY-OF-spring", `href="/01-one/a/cohorts/autumn/"`, "https://example.org/cohorts/spring/lessons/01-one-a"} {
		if !strings.Contains(page, want) {
			t.Errorf("lesson page lacks %q", want)
		}
	}
	if strings.Contains(page, "REPLY-OF-autumn") || strings.Contains(page, "cohorts/staff/") {
		t.Error("the lesson page shows an earlier or a private cohort's thread")
	}
	arch := read(t, out, "01-one/a/cohorts/autumn/index.html")
	if !strings.Contains(arch, "REPLY-OF-autumn") || !strings.Contains(arch, "the discussion of Autumn") {
		t.Error("the archive page does not show the autumn cohort's discussion")
	}
	if _, err := os.Stat(filepath.Join(out, "01-one/a/cohorts/staff/index.html")); err == nil {
		t.Error("a private cohort's discussion was archived without show_discussion")
	}
}

// TestReleaseFollowsModuleOpens: moving a module's opening moves its lessons'
// releases in lessons.json, though no lesson file changed.
func TestReleaseFollowsModuleOpens(t *testing.T) {
	dir := course(t, cohortCourse)
	o := Options{Source: dir, Out: filepath.Join(dir, "public"), CacheDir: filepath.Join(dir, ".cohort")}
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	writeArchive(t, dir, "-- content/02-two/_index.md --\n+++\ntitle = \"Week 2\"\nweight = 2\nopens = \"week 5\"\n+++\n")
	if _, err := Build(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if m := read(t, o.Out, "lessons.json"); !strings.Contains(m, `"autumn":"2026-10-05T09:00:00+02:00"`) {
		t.Errorf("lesson C's release did not follow its module's new opens:\n%s", m)
	}
}

// TestWakeAtEveryCohortsOpening: serve rebuilds at the next opening of a lesson
// for any cohort, not only at a lesson's first. Between the last autumn opening
// and spring's start every lesson has opened once, yet spring's first opening is
// still ahead: the build must name it, and the rebuild then (same Builder, the
// clock moved) switches the lesson page to spring's post.
func TestWakeAtEveryCohortsOpening(t *testing.T) {
	dir := course(t, cohortCourse)
	config := strings.Replace(read(t, dir, "course.toml"), "[[cohorts]]",
		"[federation]\nhandle = \"course\"\ndomain = \"example.org\"\n\n[[cohorts]]", 1)
	writeArchive(t, dir, "-- course.toml --\n"+config)
	ny := mustZone(t, "America/New_York")
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) // autumn has every lesson, spring none
	b := NewBuilder(Options{Source: dir, Out: filepath.Join(t.TempDir(), "public"), Now: func() time.Time { return now }})
	res, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	springStart := time.Date(2027, 3, 1, 9, 0, 0, 0, ny)
	if !res.NextOpening.Equal(springStart) {
		t.Fatalf("next opening %v, want spring's first opening %v", res.NextOpening, springStart)
	}
	const autumnPost, springPost = "https://example.org/cohorts/autumn/lessons/01-one-a", "https://example.org/cohorts/spring/lessons/01-one-a"
	if page := read(t, b.o.Out, "01-one/a/index.html"); !strings.Contains(page, autumnPost) || strings.Contains(page, springPost) {
		t.Fatalf("before spring, lesson A does not show autumn's post")
	}

	now = res.NextOpening // the wake-up serve arranged
	res, err = b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if page := read(t, b.o.Out, "01-one/a/index.html"); !strings.Contains(page, springPost) {
		t.Errorf("at spring's opening, lesson A still shows autumn's post")
	}
	if want := time.Date(2027, 3, 3, 9, 0, 0, 0, ny); !res.NextOpening.Equal(want) {
		t.Errorf("next opening %v, want spring's lesson B at %v", res.NextOpening, want)
	}
}

// TestCurrentWeek: the schedule marks the module a cohort is in: none before
// the start, the latest opened while it runs, none a week after the last opened.
func TestCurrentWeek(t *testing.T) {
	d := func(s string) time.Time { tm, _ := time.Parse("2006-01-02", s); return tm }
	sched := func() *Schedule {
		return &Schedule{Modules: []ScheduledModule{{Opens: d("2026-09-14")}, {Opens: d("2026-09-21")}, {Opens: d("2026-09-28")}}}
	}
	tests := []struct {
		now  string
		want int // index of the current module, -1 for none
	}{
		{"2026-09-01", -1},
		{"2026-09-14", 0},
		{"2026-09-20", 0},
		{"2026-09-22", 1},
		{"2026-10-04", 2},
		{"2026-10-05", -1}, // a week after the last opened: the course is over
	}
	for _, tt := range tests {
		s := sched()
		markCurrentWeek(s, d(tt.now))
		got := -1
		for i, m := range s.Modules {
			if m.Current {
				if got >= 0 {
					t.Errorf("at %s: two current modules", tt.now)
				}
				got = i
			}
		}
		if got != tt.want {
			t.Errorf("at %s: module %d is current, want %d", tt.now, got, tt.want)
		}
	}
}

// TestOneCohortsLesson: a lesson whose front matter names a cohort (a weekly
// weave) opens for that cohort only, so the companion posts it to that
// cohort alone; lessons.json carries the replies it quotes; a cohort
// course.toml lacks is an error at its line.
func TestOneCohortsLesson(t *testing.T) {
	dir := course(t, cohortCourse)
	writeArchive(t, dir, "-- content/01-one/w.md --\n+++\ntitle = \"Weave\"\ncohort = \"spring\"\nquotes = [\"https://a.example/notes/1\"]\n+++\nText.\n")
	mustBuild(t, dir)
	var m Manifest
	if err := json.Unmarshal([]byte(read(t, filepath.Join(dir, "public"), "lessons.json")), &m); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(m.Lessons, func(l ManifestLesson) bool { return l.Title == "Weave" })
	if i < 0 {
		t.Fatal("the weave is not in lessons.json")
	}
	w := m.Lessons[i]
	if _, ok := w.Releases["autumn"]; ok || len(w.Releases) != 1 {
		t.Errorf("releases = %v, want spring's only", w.Releases)
	}
	if !slices.Equal(w.Quotes, []string{"https://a.example/notes/1"}) {
		t.Errorf("quotes = %v", w.Quotes)
	}

	writeArchive(t, dir, "-- content/01-one/w.md --\n+++\ntitle = \"Weave\"\ncohort = \"winter\"\n+++\nText.\n")
	_, err := Build(context.Background(), Options{Source: dir, Out: filepath.Join(dir, "public")})
	if err == nil || !strings.Contains(err.Error(), "content/01-one/w.md:3") || !strings.Contains(err.Error(), `"winter"`) {
		t.Fatalf("error does not say where: %v", err)
	}
}
