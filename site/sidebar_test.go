package site

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"testing"
)

// sidebarCourse is a course of two modules with n lessons in all.
func sidebarCourse(n int) string {
	var b strings.Builder
	b.WriteString("-- course.toml --\ntitle = \"C\"\nbase_url = \"https://example.org/\"\n")
	b.WriteString("-- content/_index.md --\n+++\ntitle = \"C\"\n+++\n")
	for m := 1; m <= 2; m++ {
		fmt.Fprintf(&b, "-- content/0%d-m/_index.md --\n+++\ntitle = \"Module %d\"\nweight = %d\n+++\n", m, m, m)
	}
	for i := range n {
		m := 1 + i%2
		fmt.Fprintf(&b, "-- content/0%d-m/l%03d.md --\n+++\ntitle = \"Lesson %d\"\nweight = %d\n+++\nText.\n", m, i, i, i+1)
	}
	return b.String()
}

// TestSidebarOutline: beside a lesson the sidebar lists every module, its own
// open with the lesson marked; the other modules' lessons are listed (folded)
// up to MaxSidebarLessons in the course, and left out above it, so that a big
// course's pages stay small. A lesson's new title rewrites the other
// module's pages in a small course only.
func TestSidebarOutline(t *testing.T) {
	for _, tt := range []struct {
		lessons    int
		allLessons bool
	}{{4, true}, {MaxSidebarLessons + 1, false}} {
		dir := course(t, sidebarCourse(tt.lessons))
		mustBuild(t, dir)
		page := read(t, dir, "public/01-m/l000/index.html")
		side := page[strings.Index(page, `<aside class="sidebar"`):]
		side = side[:strings.Index(side, "</aside>")]
		if !strings.Contains(side, `<a href="/01-m/l000/" aria-current="page">Lesson 0</a>`) {
			t.Errorf("%d lessons: the sidebar does not mark the lesson:\n%s", tt.lessons, side)
		}
		folded := strings.Contains(side, `<summary>Module 2: Module 2</summary>`) && strings.Contains(side, `<a href="/02-m/l001/">Lesson 1</a>`)
		linked := strings.Contains(side, `<li><a href="/02-m/">Module 2: Module 2</a></li>`)
		if folded != tt.allLessons || linked == tt.allLessons {
			t.Errorf("%d lessons: the other module is folded with its lessons: %v, a link only: %v; want lessons listed: %v",
				tt.lessons, folded, linked, tt.allLessons)
		}

		// Lesson 3 (module 2, no neighbour of lesson 0) gets a new title: is
		// lesson 0 (module 1) rewritten?
		before := read(t, dir, "public/01-m/l000/index.html")
		writeArchive(t, dir, "-- content/02-m/l003.md --\n+++\ntitle = \"Lesson Three\"\nweight = 4\n+++\nText.\n")
		mustBuild(t, dir)
		after := read(t, dir, "public/01-m/l000/index.html")
		if changed := before != after; changed != tt.allLessons {
			t.Errorf("%d lessons: a lesson of the other module renamed, this page changed: %v, want %v", tt.lessons, changed, tt.allLessons)
		}
	}
}

// TestMarkCurrentIn: marking the page's link in the written page gives what
// marking it in the navigation before writing gave, wherever the layout put the
// navigation, and touches no other link to the page.
func TestMarkCurrentIn(t *testing.T) {
	nav := template.HTML(`<nav class="module-nav"><ol><li><a href="/m/a/">A</a></li><li><a href="/m/b/">B &amp; C</a></li></ol></nav>` + strings.Repeat(" ", 100))
	marked := string(markCurrent(nav, "/m/b/"))
	tests := []struct {
		name, page string // page: the layout's output, NAV where it wrote the navigation
		ok         bool
	}{
		{"once", `<main><a href="/m/b/">self link in the text</a></main><aside>NAV</aside>`, true},
		{"twice", `<header>NAV</header><main></main><aside>NAV</aside>`, true},
		{"at the start and end", `NAVNAV`, true},
		{"not written", `<main>no navigation</main>`, false},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		out.WriteString(strings.ReplaceAll(tt.page, "NAV", string(nav)))
		if got := markCurrentIn(&out, nav, "/m/b/"); got != tt.ok {
			t.Errorf("%s: markCurrentIn = %v, want %v", tt.name, got, tt.ok)
		}
		if !tt.ok {
			continue
		}
		if want := strings.ReplaceAll(tt.page, "NAV", marked); out.String() != want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, out.String(), want)
		}
	}
	// A page whose link the navigation does not hold: nothing to mark, nothing changed.
	var out bytes.Buffer
	out.WriteString("<aside>" + string(nav) + "</aside>")
	if !markCurrentIn(&out, nav, "/elsewhere/") || out.String() != "<aside>"+string(nav)+"</aside>" {
		t.Errorf("a page not in the navigation: %q", out.String())
	}
}
