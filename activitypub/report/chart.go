package report

import (
	"fmt"
	"strings"
)

// chart is the geometry of one SVG chart, computed here so the template
// only places what it is given. Coordinates are in SVG user units.
type chart struct {
	ID, Title, Desc string
	Width, Height   int
	Bars            []chartBar
	Line            string  // polyline points of a line chart, "" for a bar chart
	Base            float64 // y of the horizontal axis (vertical charts)
	Left            float64 // x of the vertical axis
	Empty           bool    // nothing to draw
}

// chartBar is one bar or one point: its shape, its value and its label.
type chartBar struct {
	X, Y, W, H     float64
	Label          string
	LabelX, LabelY float64
	Value          int
	ValueX, ValueY float64
}

// Chart sizes: wide enough for a lesson title, narrow enough for A4 paper.
const (
	chartWidth  = 640
	labelWidth  = 220 // room for a shortened lesson title left of its bar
	rowHeight   = 22
	plotHeight  = 180
	titleLength = 32 // characters of a lesson title shown in the chart; the table has them whole
)

// lessonChart draws replies per lesson as horizontal bars, one per lesson.
func lessonChart(r *Report) chart {
	c := chart{ID: "lessons", Title: "Replies per lesson",
		Desc:  fmt.Sprintf("Horizontal bar chart of the counted replies in each of the %s, in course order. The table beside it gives the same figures.", lessonCount(len(r.Lessons))),
		Width: chartWidth, Height: len(r.Lessons)*rowHeight + 10, Left: labelWidth}
	top := 0
	for _, l := range r.Lessons {
		top = max(top, l.Replies)
	}
	c.Empty = top == 0
	room := float64(chartWidth - labelWidth - 40)
	for i, l := range r.Lessons {
		y := float64(i*rowHeight + 5)
		w := 0.0
		if top > 0 {
			w = room * float64(l.Replies) / float64(top)
		}
		c.Bars = append(c.Bars, chartBar{X: labelWidth, Y: y, W: w, H: rowHeight - 6,
			Label: shorten(l.Title), LabelX: labelWidth - 6, LabelY: y + rowHeight - 10,
			Value: l.Replies, ValueX: labelWidth + w + 4, ValueY: y + rowHeight - 10})
	}
	return c
}

// shorten cuts a title to titleLength characters with an ellipsis.
func shorten(s string) string {
	rs := []rune(strings.TrimSpace(s))
	if len(rs) <= titleLength {
		return string(rs)
	}
	return string(rs[:titleLength-1]) + "…"
}

// weekValues are the figures a week chart plots.
type weekValues func(WeekFigures) int

// weekChart draws replies per week as vertical bars.
func weekChart(r *Report) chart {
	c := verticalChart(r, "weeks", "Replies per week",
		"Bar chart of the counted replies in each week of the cohort, week 1 being its first seven days.",
		func(w WeekFigures) int { return w.Replies })
	return c
}

// activeChart draws active participants per week as a line.
func activeChart(r *Report) chart {
	c := verticalChart(r, "active", "Active participants per week",
		"Line chart of how many participants (moderators not counted) replied at least once in each week.",
		func(w WeekFigures) int { return w.Active })
	var pts []string
	for i, b := range c.Bars {
		cx, cy := b.X+b.W/2, b.Y
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", cx, cy))
		c.Bars[i].X, c.Bars[i].W, c.Bars[i].H = cx, 0, 0
	}
	c.Line = strings.Join(pts, " ")
	if c.Line == "" {
		c.Line = " " // a line chart even when empty
	}
	return c
}

// verticalChart lays out one slot per week: a bar from the axis up to the
// value, the week's number below and the value above.
func verticalChart(r *Report, id, title, desc string, value weekValues) chart {
	const left, bottom, top = 30.0, 30.0, 20.0
	c := chart{ID: id, Title: title, Desc: desc + " The table beside it gives the same figures.",
		Width: chartWidth, Height: int(plotHeight + top + bottom), Base: top + plotHeight, Left: left}
	highest := 0
	for _, w := range r.Weeks {
		highest = max(highest, value(w))
	}
	c.Empty = highest == 0
	if len(r.Weeks) == 0 {
		return c
	}
	slot := (chartWidth - left - 10) / float64(len(r.Weeks))
	for i, w := range r.Weeks {
		v := value(w)
		h := 0.0
		if highest > 0 {
			h = plotHeight * float64(v) / float64(highest)
		}
		x := left + float64(i)*slot + slot*0.15
		c.Bars = append(c.Bars, chartBar{X: x, Y: c.Base - h, W: slot * 0.7, H: h,
			Label: fmt.Sprintf("W%d", w.Number), LabelX: x + slot*0.35, LabelY: c.Base + 18,
			Value: v, ValueX: x + slot*0.35, ValueY: c.Base - h - 5})
	}
	return c
}

// lessonCount writes "1 lesson" or "n lessons".
func lessonCount(n int) string {
	if n == 1 {
		return "1 lesson"
	}
	return fmt.Sprintf("%d lessons", n)
}
