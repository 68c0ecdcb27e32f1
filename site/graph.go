package site

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
)

// buildGraph links pages into the course: modules in order, lessons in order, URLs,
// prev/next, durations. Duplicate ids and duplicate URLs are errors naming both files.
// last, when not nil, is the last successful build's state under the same
// build key (config, base URL, drafts): when every page has the file, kind,
// id, weight and aliases of its record there, and no page is missing, the ids
// and URLs are as unique as that build found them and are not checked again
// (two maps of ten thousand long strings, in a fresh process), and the key of
// the names it kept is theirs (sameName). The course's link index is made on
// another core meanwhile (indexLinks).
func buildGraph(cfg *Config, pages []*Page, last *state) (*Course, error) {
	c := &Course{Config: cfg}
	base := cfg.BasePath()
	abs := cfg.Origin()
	names := last.special(namesSpecial)
	if last == nil || len(pages) != len(last.Files) || names == "" { // "": a cache from before it was kept
		last = nil
	}
	// What each page is made of its own fields, on all cores a chunk at a
	// time: at ten thousand lessons, reading the pages (each a cache miss)
	// was most of this step. The pages are grouped below from kinds and dirs
	// alone, without reading them again.
	kinds, dirs := make([]Kind, len(pages)), make([]string, len(pages))
	renamed := make([]bool, (len(pages)+graphChunk-1)/graphChunk)
	fed := cfg.Federation.Base()
	parallelChunks(context.Background(), len(pages), graphChunk, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			p := pages[i]
			if last != nil && !last.sameName(p) {
				renamed[lo/graphChunk] = true
			}
			kinds[i] = p.Kind
			// A page taken from the cache has its URLs already: they are kept
			// when they are what would be made (concatOr), not made again,
			// which was most of linking ten thousand lessons in a fresh process.
			switch p.Kind {
			case KindHome:
				p.URL = base
			case KindModule:
				dirs[i] = path.Dir(p.File)
				p.URL = concatOr(p.URL, base, dirs[i], "/")
			case KindLesson:
				dirs[i] = path.Dir(p.File)
				p.URL = concatOr(p.URL, base, dirs[i], "/", strings.TrimSuffix(path.Base(p.File), ".md"), "/")
				old := p.ActivityURL
				p.ActivityURL = ""
				if fed != "" { // Federation.LessonURL, with its base made once
					p.ActivityURL = concatOr(old, fed, lessonsPath, url.PathEscape(p.ID))
				}
			case KindPage:
				p.URL = concatOr(p.URL, base, strings.TrimSuffix(p.File, ".md"), "/")
			}
			p.Permalink = concatOr(p.Permalink, abs, p.URL)
		}
		return nil
	})
	if slices.Contains(renamed, true) {
		last = nil
	}
	byDir := map[string]*Module{}
	// A module's lessons come one after another (the walk's order): the last
	// one found is most often the one asked for, without hashing its folder.
	var cur *Module
	module := func(dir string) *Module {
		if cur != nil && cur.Dir == dir {
			return cur
		}
		m := byDir[dir]
		if m == nil {
			m = &Module{Dir: dir}
			byDir[dir] = m
		}
		cur = m
		return m
	}
	for i, p := range pages {
		switch kinds[i] {
		case KindHome:
			c.Home = p
		case KindModule:
			module(dirs[i]).Page = p
		case KindLesson:
			m := module(dirs[i])
			m.Lessons = append(m.Lessons, p)
		case KindPage:
			c.Pages = append(c.Pages, p)
		}
	}
	if c.Home == nil {
		c.Home = &Page{Kind: KindHome, File: "_index.md", ID: "home", Title: cfg.Title,
			Summary: cfg.Description, URL: base, Permalink: abs + base}
	}
	for dir, m := range byDir {
		if m.Page == nil {
			m.Page = &Page{Kind: KindModule, File: dir + "/_index.md", ID: deriveID(dir),
				Title: titleFromName(dir + "/_index.md"), URL: base + dir + "/"}
			m.Page.Permalink = abs + m.Page.URL
		}
		m.Page.Module = m
		slices.SortFunc(m.Lessons, byWeight)
		c.Modules = append(c.Modules, m)
	}
	slices.SortFunc(c.Modules, func(a, b *Module) int { return byWeight(a.Page, b.Page) })
	slices.SortFunc(c.Pages, byWeight)

	c.Lessons = make([]*Page, 0, len(pages))
	var prev *Page
	for i, m := range c.Modules {
		m.Number = i + 1
		m.Duration = 0
		for j, l := range m.Lessons {
			l.Module = m
			l.Number = j + 1
			l.Order = len(c.Lessons) + 1
			m.Duration += l.ReadingTime
			c.Lessons = append(c.Lessons, l)
			l.Prev, l.Next = prev, nil
			if prev != nil {
				prev.Next = l
			}
			prev = l
		}
		c.Duration += m.Duration
	}
	if last != nil {
		c.namesKey = names
	} else if err := checkUnique(c); err != nil {
		return nil, err
	}
	c.indexLinks() // links.go
	return c, nil
}

// graphChunk is how many pages one goroutine of buildGraph reads at a time.
const graphChunk = 1024

// sameKey returns s when it was made under the build key key, else nil: the
// state whose pages' names buildGraph may take as the new build's.
func (s *state) sameKey(key string) *state {
	if s == nil || s.Key != key {
		return nil
	}
	return s
}

// sameName tells whether p has the file, kind, id, weight and aliases of its
// record in s: all that buildGraph makes its URLs, its place and the course's
// made-up module pages of. A page taken from that record (reuser.reuse) is
// its page, lent, or a copy of it, and is not compared field by field; the
// fields compared come from the source, which no build changes in a page
// (not kept apart, cachedPage.Last). With as many pages as
// records, each with its own, the pages are the records' (every page has a
// source, hence a record if the last build had it).
func (s *state) sameName(p *Page) bool {
	if p.recOf == s && p.rec != nil {
		return true
	}
	c := s.page(p.File) // cache.go
	return c != nil && c.Page.Kind == p.Kind && c.Page.ID == p.ID && c.Page.Weight == p.Weight &&
		slices.Equal(c.Page.Aliases, p.Aliases)
}

// concatOr returns the parts joined, or old when it already is that string,
// without joining them.
func concatOr(old string, parts ...string) string {
	rest := old
	for _, s := range parts {
		if !strings.HasPrefix(rest, s) {
			return strings.Join(parts, "")
		}
		rest = rest[len(s):]
	}
	if rest != "" {
		return strings.Join(parts, "")
	}
	return old
}

// byWeight orders pages by weight (unweighted last), then by file name.
func byWeight(a, b *Page) int {
	wa, wb := a.Weight, b.Weight
	if (wa == 0) != (wb == 0) {
		if wa == 0 {
			return 1
		}
		return -1
	}
	return cmp.Or(cmp.Compare(wa, wb), cmp.Compare(a.File, b.File))
}

// checkUnique reports two pages with one id, or two pages (or an alias) at one URL.
// The maps hold pages, not file names: a file name per page, made for an error
// that almost never comes, was half of this check's time at 10,000 lessons.
func checkUnique(c *Course) error {
	all := c.All()
	ids := make(map[string]*Page, len(all))
	urls := make(map[string]*Page, len(all))
	for _, p := range all {
		if q, ok := ids[p.ID]; ok {
			return &Error{File: path.Join(ContentDir, p.File),
				Err: fmt.Errorf("id %q is also used by %s; ids must be unique", p.ID, path.Join(ContentDir, q.File))}
		}
		ids[p.ID] = p
		if q, ok := urls[p.URL]; ok {
			return &Error{File: path.Join(ContentDir, p.File),
				Err: fmt.Errorf("URL %s is also the URL of %s", p.URL, path.Join(ContentDir, q.File))}
		}
		urls[p.URL] = p
	}
	aliases := map[string]bool{} // the URLs in urls that are aliases
	base := c.Config.BasePath()
	for _, p := range all {
		for _, a := range p.Aliases {
			u := aliasURL(base, a)
			if q, ok := urls[u]; ok {
				f := path.Join(ContentDir, q.File)
				if aliases[u] {
					f += " (alias)"
				}
				return &Error{File: path.Join(ContentDir, p.File),
					Err: fmt.Errorf("alias %s is already the URL of %s", a, f)}
			}
			urls[u], aliases[u] = p, true
		}
	}
	return nil
}

// aliasURL turns an alias as written ("/old/place", "old/place/") into a page URL.
func aliasURL(base, alias string) string {
	a := strings.Trim(alias, "/")
	if strings.HasSuffix(a, ".html") {
		return base + a
	}
	return base + a + "/"
}

// reuseGraph returns last, the course the last build linked, with the pages of
// this build put in place of their old selves, when it is known to be what
// buildGraph would make: the same config, the same source files, and no page
// read again with another kind, id, weight, reading time or aliases (all that
// buildGraph reads of a page). It returns nil otherwise. old holds the last
// build's pages by file; a page not read again is that same page. Relinking
// ten thousand lessons for an edit of one body was a tenth of serve's rebuild.
func reuseGraph(last *Course, cfg *Config, pages []*Page, old map[string]*Page) *Course {
	if last == nil || last.Config != cfg || len(pages) != len(old) {
		return nil
	}
	var fresh []*Page
	for _, p := range pages {
		o, ok := old[p.File]
		if !ok {
			return nil
		}
		if o == p {
			continue
		}
		if o.Kind != p.Kind || o.ID != p.ID || o.Weight != p.Weight || o.ReadingTime != p.ReadingTime ||
			!slices.Equal(o.Aliases, p.Aliases) {
			return nil
		}
		fresh = append(fresh, p)
	}
	if ix := last.pageIndex(); ix != nil { // links.go: the same URLs, now to the fresh pages
		for _, p := range fresh {
			ix.byFile[p.File], ix.byURL[p.URL] = p, p
		}
	}
	for _, p := range fresh {
		o := old[p.File]
		p.URL, p.Permalink, p.ActivityURL = o.URL, o.Permalink, o.ActivityURL
		p.Module, p.Prev, p.Next, p.Order, p.Number = o.Module, o.Prev, o.Next, o.Order, o.Number
		switch p.Kind {
		case KindHome:
			last.Home = p
		case KindModule:
			p.Module.Page = p
		case KindLesson:
			p.Module.Lessons[p.Number-1] = p
			last.Lessons[p.Order-1] = p
			if p.Prev != nil {
				p.Prev.Next = p
			}
			if p.Next != nil {
				p.Next.Prev = p
			}
		case KindPage:
			last.Pages[slices.Index(last.Pages, o)] = p
		}
	}
	return last
}
