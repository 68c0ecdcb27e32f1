package weave

import (
	"fmt"
	"strconv"
	"strings"
)

// File returns the page's path under content/ for a cohort's week.
func File(cohortID string, week int) string {
	return Module + "/" + cohortID + "-week-" + strconv.Itoa(week) + ".md"
}

// ID returns the page's stable lesson id for a cohort's week.
func ID(cohortID string, week int) string {
	return Module + "-" + cohortID + "-week-" + strconv.Itoa(week)
}

// ModuleIndex returns content/weave/_index.md in the course's language,
// written with the first weave: the module is open from the cohort's first
// week and comes after the course's own modules.
func ModuleIndex(language string) string {
	t := wordsFor(language)
	return "+++\ntitle = " + strconv.Quote(t.IndexTitle) + "\nsummary = " + strconv.Quote(t.IndexSummary) +
		"\nweight = 1000\nopens = \"week 1\"\n+++\n\n" + t.IndexBody + "\n"
}

// Markdown returns the draft page: TOML front matter (draft = true, the
// cohort, the opening at the start of the next week, the quoted replies'
// ids, which the companion's post links and whose authors it mentions)
// and a section per kind of quote. The same Weave gives the same bytes.
func (w *Weave) Markdown() []byte {
	var b strings.Builder
	t := wordsFor(w.Language)
	name := w.Cohort.Name
	if name == "" {
		name = w.Cohort.ID
	}
	last := w.End.AddDate(0, 0, -1)
	fmt.Fprintf(&b, "+++\n")
	fmt.Fprintf(&b, "# "+t.Drafted+"\n", w.Week, w.Cohort.ID, w.Start.Format("2006-01-02"), last.Format("2006-01-02"))
	b.WriteString("# " + strings.ReplaceAll(t.DraftNotes, "\n", "\n# ") + "\n")
	fmt.Fprintf(&b, "title = %s\n", strconv.Quote(fmt.Sprintf(t.Title, w.Week, name)))
	fmt.Fprintf(&b, "id = %s\n", strconv.Quote(ID(w.Cohort.ID, w.Week)))
	fmt.Fprintf(&b, "summary = %s\n", strconv.Quote(fmt.Sprintf(t.Summary, w.Week)))
	fmt.Fprintf(&b, "draft = true\n")
	fmt.Fprintf(&b, "cohort = %s\n", strconv.Quote(w.Cohort.ID))
	fmt.Fprintf(&b, "weight = %d\n", w.Week)
	fmt.Fprintf(&b, "opens = %s\n", strconv.Quote("week "+strconv.Itoa(w.Week+1)))
	b.WriteString("quotes = [")
	for i, id := range w.Quotes() {
		if i == 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "  %s,\n", strconv.Quote(id))
	}
	b.WriteString("]\n+++\n\n")
	fmt.Fprintf(&b, t.Intro+"\n", w.Week)

	section(&b, t, t.Featured, t.NoFeatured, w.Featured, func(q Quote) string { return "" })
	noThreads := t.NoDiscussed
	if w.DiscussedAbove > 0 {
		noThreads = t.DiscussedAbove
	}
	section(&b, t, t.Discussed, noThreads, w.Discussed, func(q Quote) string {
		return fmt.Sprintf(t.MoreThisWeek, q.Replies)
	})
	section(&b, t, t.Questions, t.NoQuestions, w.Questions, func(q Quote) string {
		return t.CanYouHelp
	})
	return []byte(b.String())
}

// section writes a heading and its quotes, or none when there are none.
func section(b *strings.Builder, t words, heading, none string, quotes []Quote, extra func(Quote) string) {
	fmt.Fprintf(b, "\n## %s\n\n", heading)
	if len(quotes) == 0 {
		fmt.Fprintf(b, "%s\n", none)
		return
	}
	for i, q := range quotes {
		if i > 0 {
			b.WriteString("\n")
		}
		for j, para := range strings.Split(q.Text, "\n\n") {
			if j > 0 {
				b.WriteString(">\n")
			}
			for _, line := range strings.Split(para, "\n") {
				fmt.Fprintf(b, "> %s\n", escape(line))
			}
		}
		who := q.Handle
		if q.Name != "" {
			who = q.Name + " (" + q.Handle + ")"
		}
		on := escape(q.LessonTitle)
		if q.LessonURL != "" {
			on = "[" + on + "](" + destination(q.LessonURL) + ")"
		}
		fmt.Fprintf(b, "\n[%s](%s), %s %s%s\n", escape(who), destination(q.URL), t.On, on, extra(q))
	}
}

// markdownSpecial are the characters that could make a quoted text more
// than text in CommonMark: emphasis, links, code, HTML, headings, tables.
const markdownSpecial = "\\`*_[]<>#|~!&{}"

// escape backslash-escapes Markdown's special characters, so a reply is
// quoted as it was written and never becomes markup on the course's page:
// also a line's opening - + = or "1." that would start a list or a heading.
func escape(s string) string {
	var b strings.Builder
	digits := strings.TrimLeft(s, "0123456789")
	switch {
	case strings.HasPrefix(s, "-"), strings.HasPrefix(s, "+"), strings.HasPrefix(s, "="):
		b.WriteByte('\\')
	case len(digits) < len(s) && (strings.HasPrefix(digits, ".") || strings.HasPrefix(digits, ")")):
		b.WriteString(s[:len(s)-len(digits)] + "\\")
		s = digits
	}
	for _, r := range s {
		if strings.ContainsRune(markdownSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// destination writes a URL as a link destination: in angle brackets, which
// allow parentheses and spaces, with the brackets themselves escaped.
func destination(u string) string {
	return "<" + strings.NewReplacer("<", "%3C", ">", "%3E", "\n", "").Replace(u) + ">"
}
