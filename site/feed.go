package site

import (
	"cmp"
	"encoding/xml"
	"slices"
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
	lessons := newestLessons(r.course.Lessons, feedEntries)
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
	newer := func(a, b *Page) int { return cmp.Or(b.Date.Compare(a.Date), cmp.Compare(a.Order, b.Order)) }
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
