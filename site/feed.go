package site

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// feedEntries is how many of the newest lessons the Atom feed carries.
const feedEntries = 50

// atomFeed is an Atom 1.0 feed of the newest lessons.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	Title   string      `xml:"title"`
	Sub     string      `xml:"subtitle,omitempty"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  *atomPerson `xml:"author,omitempty"`
	Rights  string      `xml:"rights,omitempty"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	Title     string    `xml:"title"`
	ID        string    `xml:"id"`
	Link      atomLink  `xml:"link"`
	Updated   string    `xml:"updated"`
	Published string    `xml:"published,omitempty"`
	Summary   string    `xml:"summary,omitempty"`
	Category  []atomCat `xml:"category"`
}

type atomCat struct {
	Term string `xml:"term,attr"`
}

func atomTime(t time.Time) string {
	if t.IsZero() {
		t = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return t.UTC().Format(time.RFC3339)
}

// feed writes the Atom feed of the newest lessons (by date, then course order).
func (r *run) feed() ([]byte, error) {
	lessons, ok := r.keptNewest(feedEntries)
	if !ok {
		lessons = newestLessons(r.course.Lessons, feedEntries)
	}
	r.setSpecial(newestKey, encodeNewest(lessons, r.course.Lessons, feedEntries))
	f := atomFeed{
		Lang: r.cfg.Language, Title: r.cfg.Title, Sub: r.cfg.Description, ID: r.cfg.BaseURL,
		Updated: atomTime(r.site.BuildDate), Rights: r.cfg.License,
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: r.abs("feed.xml")},
			{Rel: "alternate", Type: "text/html", Href: r.cfg.BaseURL}},
	}
	if r.cfg.Author != "" {
		f.Author = &atomPerson{Name: r.cfg.Author}
	}
	for _, l := range lessons {
		e := atomEntry{Title: l.Title, ID: l.Permalink, Link: atomLink{Rel: "alternate", Type: "text/html", Href: l.Permalink},
			Updated: atomTime(l.Date), Summary: l.Summary}
		if !l.Date.IsZero() {
			e.Published = atomTime(l.Date)
		}
		for _, t := range l.Tags {
			e.Category = append(e.Category, atomCat{Term: t})
		}
		f.Entries = append(f.Entries, e)
	}
	return marshalXML(f)
}

// newestLessons returns the n newest lessons that have opened (a lesson not
// open yet is announced when it opens), by date, then course order. It keeps
// the n best while passing over the course once: sorting every lesson for
// fifty of them was most of the feed's time at 10,000 lessons.
func newestLessons(all []*Page, n int) []*Page {
	best := make([]*Page, 0, n+1)
	for _, l := range all {
		if l.Locked {
			continue
		}
		if len(best) == n && newer(l, best[n-1]) >= 0 {
			continue // older than the n kept: the usual case, one comparison
		}
		i, _ := slices.BinarySearchFunc(best, l, newer)
		best = slices.Insert(best, i, l)
		if len(best) > n {
			best = best[:n]
		}
	}
	return best
}

func marshalXML(v any) ([]byte, error) {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(append([]byte(xml.Header), b...), '\n'), nil
}

// newer orders lessons for the feed: the newest first, then in course order.
func newer(a, b *Page) int { return cmp.Or(b.Date.Compare(a.Date), cmp.Compare(a.Order, b.Order)) }

// newestKey names, among the special keys, the feed's lessons as the last
// build chose them (encodeNewest).
const newestKey = "feed.xml newest"

// encodeNewest records the feed's lessons when there are n of them (with
// fewer, any lesson that opens joins them: nothing to keep): the last one's
// date and order and the number of lessons, then each one's order and
// file, a line each.
func encodeNewest(lessons, all []*Page, n int) string {
	if len(lessons) != n || n == 0 {
		return ""
	}
	last := lessons[n-1]
	var b strings.Builder
	fmt.Fprintf(&b, "%d %d %d %d\n", last.Date.Unix(), last.Date.Nanosecond(), last.Order, len(all))
	for _, l := range lessons {
		b.WriteString(strconv.Itoa(l.Order) + " " + l.File + "\n")
	}
	return b.String()
}

// keptNewest returns the feed's n lessons without a pass over the course when
// the last build's still hold: the pages are the last build's in the same
// order (visit), the only ones that may have changed are those looked at, and
// of those none of the last build's n fell behind its n-th (by date, then
// order: the threshold) or closed, and none of the others opened before it.
func (r *run) keptNewest(n int) ([]*Page, bool) {
	if r.visit == nil || r.prev == nil {
		return nil, false
	}
	lines := strings.Split(r.prev.special(newestKey), "\n")
	if len(lines) != n+2 || lines[n+1] != "" {
		return nil, false
	}
	var sec, nsec int64
	var order, count int
	if _, err := fmt.Sscanf(lines[0], "%d %d %d %d", &sec, &nsec, &order, &count); err != nil || count != len(r.course.Lessons) {
		return nil, false
	}
	threshold := &Page{Date: time.Unix(sec, nsec), Order: order}
	lessons := r.course.Lessons
	kept := make([]*Page, 0, n)
	in := make(map[*Page]bool, n)
	for _, line := range lines[1 : n+1] {
		o, file, _ := strings.Cut(line, " ")
		i, err := strconv.Atoi(o)
		if err != nil || i < 1 || i > len(lessons) || lessons[i-1].File != file || in[lessons[i-1]] {
			return nil, false
		}
		kept = append(kept, lessons[i-1])
		in[lessons[i-1]] = true
	}
	all := r.course.All()
	for _, i := range r.lookedAt {
		l := all[i]
		if l.Kind != KindLesson {
			continue
		}
		ahead := !l.Locked && newer(l, threshold) <= 0 // as new as the threshold, or newer
		if ahead != in[l] {
			return nil, false // one enters or leaves
		}
	}
	slices.SortFunc(kept, newer) // a kept lesson's date may have moved within them
	if patchedHook != nil {
		patchedHook(newestKey)
	}
	return kept, true
}
