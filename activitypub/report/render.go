package report

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed templates/report.html
var templates embed.FS

// page is the report's template, parsed when a report is first written, not
// as the binary starts: every command (a build too) paid for it at start.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report.html").Funcs(template.FuncMap{
		"date":     func(t time.Time) string { return t.Format("2006-01-02") }, // in the cohort's zone
		"datetime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"duration": humanDuration,
	}).ParseFS(templates, "templates/report.html"))
})

// Files are the names Write gives the report's files, page first.
var Files = []string{
	"index.html",
	"participants.csv",
	"lessons.csv",
	"weeks.csv",
	"moderators.csv",
	"response-time.csv",
	"most-discussed.csv",
	"moderated.csv",
}

// Write writes the report into dir, creating it: index.html and the CSV
// files named in Files. Existing files of the same names are replaced;
// nothing else in dir is touched.
func Write(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	html, err := HTML(r)
	if err != nil {
		return err
	}
	files := map[string][]byte{"index.html": html}
	for name, rows := range tables(r) {
		b, err := csvBytes(rows)
		if err != nil {
			return fmt.Errorf("report: %s: %w", name, err)
		}
		files[name] = b
	}
	for _, name := range Files {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

// HTML returns the report page: one document with inline SVG charts, each
// with a title, a description and a table of the same figures beside it.
// It loads nothing from elsewhere and needs no script.
func HTML(r *Report) ([]byte, error) {
	var b bytes.Buffer
	data := struct {
		*Report
		LessonChart, WeekChart, ActiveChart chart
	}{r, lessonChart(r), weekChart(r), activeChart(r)}
	if err := page().Execute(&b, data); err != nil {
		return nil, fmt.Errorf("report: page: %w", err)
	}
	return b.Bytes(), nil
}

// humanDuration prints a duration as "2 h 05 min", "12 min" or "45 s".
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%d h %02d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
	case d >= time.Minute:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return fmt.Sprintf("%d s", int(d/time.Second))
}

// tables returns the rows of each CSV file, header first.
func tables(r *Report) map[string][][]string {
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	itoa := strconv.Itoa
	people := func(ps []Participant) [][]string {
		rows := [][]string{{"handle", "name", "first_reply", "replies", "lessons_replied_to"}}
		for _, p := range ps {
			rows = append(rows, []string{csvHandle(p.Handle), cell(p.Name), stamp(p.First), itoa(p.Replies), itoa(p.Lessons)})
		}
		return rows
	}
	lessons := [][]string{{"lesson_id", "title", "module", "replies", "participants", "moderator_replies"}}
	for _, l := range r.Lessons {
		lessons = append(lessons, []string{cell(l.ID), cell(l.Title), cell(l.Module), itoa(l.Replies), itoa(l.Participants), itoa(l.ModeratorReplies)})
	}
	weeks := [][]string{{"week", "start", "replies", "active_participants"}}
	for _, w := range r.Weeks {
		weeks = append(weeks, []string{itoa(w.Number), w.Start.Format("2006-01-02"), itoa(w.Replies), itoa(w.Active)})
	}
	median := ""
	if r.Response.Answered > 0 {
		median = strconv.FormatFloat(r.Response.Median.Minutes(), 'f', 1, 64)
	}
	response := [][]string{
		{"participant_replies", "answered_by_a_moderator", "median_minutes_to_answer"},
		{itoa(r.Response.ParticipantReplies), itoa(r.Response.Answered), median},
	}
	most := [][]string{{"rank", "lesson_id", "title", "replies", "participants"}}
	for i, l := range r.MostDiscussed {
		most = append(most, []string{itoa(i + 1), cell(l.ID), cell(l.Title), itoa(l.Replies), itoa(l.Participants)})
	}
	moderated := [][]string{{"reply_id", "lesson_id", "handle", "published", "state"}}
	for _, m := range r.Moderated {
		moderated = append(moderated, []string{cell(m.ID), cell(m.LessonID), csvHandle(m.Handle), stamp(m.Published), m.State})
	}
	return map[string][][]string{
		"participants.csv":   people(r.Participants),
		"lessons.csv":        lessons,
		"weeks.csv":          weeks,
		"moderators.csv":     people(r.Moderators),
		"response-time.csv":  response,
		"most-discussed.csv": most,
		"moderated.csv":      moderated,
	}
}

// csvHandle writes a handle without its leading @, which a spreadsheet
// would read as the start of a formula.
func csvHandle(h string) string { return cell(strings.TrimPrefix(h, "@")) }

// cell defuses text that remote servers chose (names, handles): a
// spreadsheet runs a cell starting with = + - @ or a tab as a formula, so
// such a cell gets a leading apostrophe (OWASP's advice on CSV injection).
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvBytes(rows [][]string) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
