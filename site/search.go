package site

import (
	"bytes"
	"encoding/json"
)

// searchEntry is one page in search.json; short keys keep the index compact.
type searchEntry struct {
	Title    string   `json:"t"`
	URL      string   `json:"u"`
	Summary  string   `json:"s,omitempty"`
	Module   string   `json:"m,omitempty"`
	Tags     []string `json:"k,omitempty"`
	Headings []string `json:"h,omitempty"`
}

// searchIndex is search.json: one entry per page but the home, from each page's
// cached entry.
func (r *run) searchIndex() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(r.prevSize("search.json"))
	b.WriteByte('[')
	first := true
	for _, p := range r.course.All() {
		if p.Kind == KindHome {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.Write(r.frags(p).Search)
	}
	b.WriteString("]")
	return b.Bytes(), nil
}

// searchEntryOf is a page's entry in search.json. A lesson not open yet is
// findable by its title and summary only.
func searchEntryOf(p *Page) []byte {
	e := searchEntry{Title: p.Title, URL: p.URL, Summary: p.Summary, Tags: p.Tags}
	if p.Kind == KindLesson {
		e.Module = p.Module.Page.Title
	}
	if !p.Locked {
		for _, h := range p.TOC {
			e.Headings = append(e.Headings, h.Text)
		}
	}
	b, _ := json.Marshal(e) // strings and slices of strings: cannot fail
	return b
}
