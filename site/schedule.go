package site

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A cohort's rhythm: module n opens n-1 weeks after the cohort starts, unless its
// _index.md says otherwise with `opens`; a lesson opens with its module unless it
// says otherwise. `opens` is "week N", "day N" (both counted from the start: week
// 1 and day 1 are the start), or a date or date and time in the cohort's time zone.
// Offsets move the calendar date and keep the wall-clock time, so a module that
// opens at 09:00 opens at 09:00 on both sides of a daylight-saving change.

// Opening is an `opens` value, parsed.
type Opening struct {
	Week, Day int       // one of them set for an offset
	Date      time.Time // a wall-clock date and time (its location is ignored)
	HasDate   bool
}

var offsetPattern = lazyRegexp(`^(?i)(week|day)\s+(\d{1,3})$`)

// ParseOpens reads an `opens` value: "week 2", "day 10", "2026-09-21" or
// "2026-09-21T09:00".
func ParseOpens(s string) (Opening, error) {
	s = strings.TrimSpace(s)
	if m := offsetPattern().FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[2])
		if n < 1 {
			return Opening{}, fmt.Errorf("opens: %q: weeks and days count from 1", s)
		}
		if strings.EqualFold(m[1], "week") {
			return Opening{Week: n}, nil
		}
		return Opening{Day: n}, nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return Opening{Date: t, HasDate: true}, nil
		}
	}
	return Opening{}, fmt.Errorf("opens: %q is not \"week N\", \"day N\" or a date like 2026-09-21 or 2026-09-21T09:00", s)
}

// At returns when o opens for a cohort that starts at start (a time in the
// cohort's location).
func (o Opening) At(start time.Time) time.Time {
	loc := start.Location()
	switch {
	case o.HasDate:
		d := o.Date
		return time.Date(d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), d.Second(), 0, loc)
	case o.Week > 0:
		return start.AddDate(0, 0, 7*(o.Week-1))
	default:
		return start.AddDate(0, 0, o.Day-1)
	}
}

// Location returns the cohort's time zone (UTC when none is set).
func (c Cohort) Location() *time.Location {
	if c.TimeZone == "" {
		return time.UTC
	}
	if loc, err := time.LoadLocation(c.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// StartTime is the cohort's start as a moment: the date and time written in
// course.toml, read as wall-clock time in the cohort's time zone.
func (c Cohort) StartTime() time.Time {
	s := c.Start
	return time.Date(s.Year(), s.Month(), s.Day(), s.Hour(), s.Minute(), s.Second(), 0, c.Location())
}

// Schedule is one cohort's calendar: when each module and lesson opens.
type Schedule struct {
	Cohort  Cohort
	Start   time.Time
	Modules []ScheduledModule
}

// ScheduledModule is a module with its opening time and its lessons'.
type ScheduledModule struct {
	Module  *Module
	Opens   time.Time
	Lessons []ScheduledLesson
	// Current marks the module the cohort is in at the build's time: the one
	// opened most recently, until a week after the last one opened.
	Current bool
}

// weekLength is how long the last module of a cohort stays current: modules
// are the course's weeks.
const weekLength = 7 * 24 * time.Hour

// ScheduledLesson is a lesson with its opening time for one cohort.
type ScheduledLesson struct {
	Page  *Page
	Opens time.Time
}

// buildSchedules computes every cohort's calendar and gives each lesson the
// first moment it opens for any cohort (Page.OpensAt), locking the lessons that
// have not opened at now. A bad `opens` is an error at its file and line.
func buildSchedules(fsys fs.FS, c *Course, now time.Time) ([]*Schedule, error) {
	openings := map[*Page]Opening{}
	var errs []error
	for _, p := range c.All() {
		if p.OnlyCohort != "" && !slices.ContainsFunc(c.Config.Cohorts, func(co Cohort) bool { return co.ID == p.OnlyCohort }) {
			errs = append(errs, onlyCohortError(fsys, c.Config, p))
		}
		if p.Opens == "" || (p.Kind != KindModule && p.Kind != KindLesson) {
			continue
		}
		o, err := ParseOpens(p.Opens)
		if err != nil {
			line := 0
			if data, rerr := readSource(fsys, p.File); rerr == nil {
				line = fieldLine(data, "opens")
			}
			errs = append(errs, &Error{File: path.Join(ContentDir, p.File), Line: line, Err: err})
			continue
		}
		openings[p] = o
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var all []*Schedule
	for _, co := range c.Config.Cohorts {
		s := &Schedule{Cohort: co, Start: co.StartTime()}
		for _, m := range c.Modules {
			o, ok := openings[m.Page]
			if !ok {
				o = Opening{Week: m.Number}
			}
			sm := ScheduledModule{Module: m, Opens: o.At(s.Start)}
			for _, l := range m.Lessons {
				if l.OnlyCohort != "" && l.OnlyCohort != co.ID {
					continue // another cohort's own lesson
				}
				at := sm.Opens
				if lo, ok := openings[l]; ok {
					at = lo.At(s.Start)
				}
				sm.Lessons = append(sm.Lessons, ScheduledLesson{Page: l, Opens: at})
			}
			s.Modules = append(s.Modules, sm)
		}
		markCurrentWeek(s, now)
		all = append(all, s)
	}
	for _, l := range c.Lessons {
		l.OpensAt, l.Locked = time.Time{}, false
	}
	for _, s := range all {
		for _, m := range s.Modules {
			for _, sl := range m.Lessons {
				if l := sl.Page; l.OpensAt.IsZero() || sl.Opens.Before(l.OpensAt) {
					l.OpensAt = sl.Opens
				}
			}
		}
	}
	opens := map[*Page][]cohortOpening{}
	for _, s := range all {
		for _, m := range s.Modules {
			for _, sl := range m.Lessons {
				opens[sl.Page] = append(opens[sl.Page], cohortOpening{s.Cohort.ID, sl.Opens})
			}
		}
	}
	for _, l := range c.Lessons {
		l.releases = opens[l]
		l.Locked = !l.OpensAt.IsZero() && now.Before(l.OpensAt)
		l.Cohort = currentCohort(opens[l], now)
		if l.Cohort != "" {
			l.ActivityURL = c.Config.Federation.CohortLessonURL(l.Cohort, l.ID)
		}
		l.Archive = archive(c.Config, l, opens[l], now)
	}
	return all, nil
}

// onlyCohortError says that a page's front matter names a cohort that
// course.toml does not have.
func onlyCohortError(fsys fs.FS, cfg *Config, p *Page) error {
	line := 0
	if data, err := readSource(fsys, p.File); err == nil {
		line = fieldLine(data, "cohort")
	}
	var ids []string
	for _, co := range cfg.Cohorts {
		ids = append(ids, co.ID)
	}
	err := fmt.Errorf("cohort: %q is not a cohort of course.toml (cohorts: %s)", p.OnlyCohort, strings.Join(ids, ", "))
	if len(ids) == 0 {
		err = fmt.Errorf("cohort: %q: course.toml has no [[cohorts]]", p.OnlyCohort)
	}
	return &Error{File: path.Join(ContentDir, p.File), Line: line, Err: err}
}

// markCurrentWeek marks the module of s that opened last at now, if any has and
// the last one opened less than a week ago or some are still to open.
func markCurrentWeek(s *Schedule, now time.Time) {
	cur, later := -1, false
	for i, m := range s.Modules {
		if now.Before(m.Opens) {
			later = true
		} else if cur < 0 || m.Opens.After(s.Modules[cur].Opens) {
			cur = i
		}
	}
	if cur >= 0 && (later || now.Sub(s.Modules[cur].Opens) < weekLength) {
		s.Modules[cur].Current = true
	}
}

// archive lists the cohorts a lesson opened for before its current one, newest
// first, whose discussion may be shown: public ones, and private ones whose
// participants agreed (show_discussion).
func archive(cfg *Config, l *Page, opens []cohortOpening, now time.Time) []*Archived {
	var out []*Archived
	for _, o := range opens {
		if o.cohort == l.Cohort || now.Before(o.at) {
			continue
		}
		for _, co := range cfg.Cohorts {
			if co.ID == o.cohort && (co.Audience != "private" || co.ShowDiscussion) {
				out = append(out, &Archived{Cohort: co, URL: l.URL + "cohorts/" + url.PathEscape(co.ID) + "/"})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *Archived) int { return b.Cohort.StartTime().Compare(a.Cohort.StartTime()) })
	return out
}

// currentCohort is the cohort whose discussion a lesson's page shows at now: the
// one it opened for most recently, or, when it has opened for none yet, the one
// it opens for first.
func currentCohort(opens []cohortOpening, now time.Time) string {
	var best string
	var bestAt time.Time
	opened := false
	for _, o := range opens {
		isOpen := !now.Before(o.at)
		switch {
		case isOpen && (!opened || o.at.After(bestAt)):
			best, bestAt, opened = o.cohort, o.at, true
		case !isOpen && !opened && (best == "" || o.at.Before(bestAt)):
			best, bestAt = o.cohort, o.at
		}
	}
	return best
}

// cohortOpening is when a lesson opens for one cohort.
type cohortOpening struct {
	cohort string
	at     time.Time
}

// nextOpening is the first moment after now at which a lesson opens for any
// cohort, or zero: serve rebuilds then, so the page opens without a save. Every
// cohort's opening counts, not only a lesson's first (OpensAt): when a later
// cohort reaches a lesson, its page switches to that cohort's post and thread.
func nextOpening(c *Course, now time.Time) time.Time {
	var next time.Time
	for _, l := range c.Lessons {
		for _, o := range l.releases {
			if o.at.After(now) && (next.IsZero() || o.at.Before(next)) {
				next = o.at
			}
		}
	}
	return next
}
