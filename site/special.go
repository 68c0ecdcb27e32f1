package site

import (
	"fmt"
	"strings"
)

// specialPages writes the pages that are not made from content/: 404.html, the
// search page and, for a course with cohorts, the schedule. They show the course
// outline, so they render again whenever any page's card or the schedule changes.
func (r *run) specialPages(base PageData) error {
	special := []struct{ layout, out, title string }{
		{"404.html", "404.html", r.theme.T("not_found_title")},
		{"search.html", "search/index.html", r.theme.T("search_title")},
	}
	if len(r.schedules) > 0 {
		special = append(special, struct{ layout, out, title string }{"schedule.html", "schedule/index.html", r.theme.T("schedule_title")})
	}
	sk := newKeyer().str(r.key, r.outline, r.pagesKey)
	for _, s := range r.schedules { // everything schedule.html shows of a cohort's calendar
		sk.str(s.Cohort.ID, s.Cohort.Name).int(s.Start.UnixNano())
		for _, m := range s.Modules {
			// A module's own opening heads its week (data-opens): a module whose
			// `opens` moved, with its lessons' times unchanged, left it stale.
			sk.str(fmt.Sprint(m.Current)).int(m.Opens.UnixNano(), int64(len(m.Lessons)))
			for _, l := range m.Lessons {
				sk.int(l.Opens.UnixNano())
			}
		}
	}
	specialKey := sk.sum()
	for _, s := range special {
		r.next.Special[s.out] = specialKey
		if r.prev.special(s.out) == specialKey && r.out.keep(s.out) {
			continue
		}
		outline, err := r.courseOutline()
		if err != nil {
			return err
		}
		data := base
		data.Outline = outline
		data.Page = &Page{Kind: KindPage, ID: strings.TrimSuffix(s.layout, ".html"), Title: s.title,
			URL: r.cfg.BasePath() + strings.TrimSuffix(s.out, "index.html"), Module: nil}
		data.Page.Permalink = r.cfg.Origin() + data.Page.URL
		html, err := r.theme.execute(s.layout, data)
		if err != nil {
			return fmt.Errorf("render %s: %w", s.out, err)
		}
		if err := r.out.write(s.out, html); err != nil {
			return err
		}
	}
	return nil
}
