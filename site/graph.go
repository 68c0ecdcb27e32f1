package site

import (
	"cmp"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
)

// buildGraph links pages into the course: modules in order, lessons in order, URLs,
// prev/next, durations. Duplicate ids and duplicate URLs are errors naming both files.
// names, when not empty, is the key of the pages' names (Course.pageNamesKey)
// that the last successful build made of these same pages (state.sameNames):
// their ids and URLs are then as unique as that build found them, and are not
// checked again (two maps of ten thousand long strings, in a fresh process).
// The course's link index is made on another core meanwhile (indexLinks).
func buildGraph(cfg *Config, pages []*Page, names string) (*Course, error) {
	c := &Course{Config: cfg}
	base := cfg.BasePath()
	abs := cfg.Origin()
	byDir := map[string]*Module{}
	// A module's lessons come one after another (the walk's order): the last
	// one found is most often the one asked for, without hashing its folder.
	var last *Module
	module := func(dir string) *Module {
		if last != nil && last.Dir == dir {
			return last
		}
		m := byDir[dir]
		if m == nil {
			m = &Module{Dir: dir}
			byDir[dir] = m
		}
		last = m
		return m
	}
	// A page taken from the cache has its URLs already: they are kept when
	// they are what would be made (concatOr), not made again, which was most
	// of linking ten thousand lessons in a fresh process.
	fed := cfg.Federation.Base()
	for _, p := range pages {
		switch p.Kind {
		case KindHome:
			p.URL = base
			c.Home = p
		case KindModule:
			dir := path.Dir(p.File)
			p.URL = concatOr(p.URL, base, dir, "/")
			m := module(dir)
			m.Page = p
			p.Module = m
		case KindLesson:
			dir := path.Dir(p.File)
			p.URL = concatOr(p.URL, base, dir, "/", strings.TrimSuffix(path.Base(p.File), ".md"), "/")
			old := p.ActivityURL
			p.ActivityURL = ""
			if fed != "" { // Federation.LessonURL, with its base made once
				p.ActivityURL = concatOr(old, fed, lessonsPath, url.PathEscape(p.ID))
			}
			m := module(dir)
			m.Lessons = append(m.Lessons, p)
			p.Module = m
		case KindPage:
			p.URL = concatOr(p.URL, base, strings.TrimSuffix(p.File, ".md"), "/")
			c.Pages = append(c.Pages, p)
		}
		p.Permalink = concatOr(p.Permalink, abs, p.URL)
	}
	if c.Home == nil {
		c.Home = &Page{Kind: KindHome, File: "_index.md", ID: "home", Title: cfg.Title,
			Summary: cfg.Description, URL: base, Permalink: abs + base}
	}
	for dir, m := range byDir {
		if m.Page == nil {
			m.Page = &Page{Kind: KindModule, File: dir + "/_index.md", ID: deriveID(dir),
				Title: titleFromName(dir + "/_index.md"), URL: base + dir + "/", Module: m}
			m.Page.Permalink = abs + m.Page.URL
		}
		slices.SortFunc(m.Lessons, byWeight)
		c.Modules = append(c.Modules, m)
	}
	slices.SortFunc(c.Modules, func(a, b *Module) int { return byWeight(a.Page, b.Page) })
	slices.SortFunc(c.Pages, byWeight)

	for i, m := range c.Modules {
		m.Number = i + 1
		m.Duration = 0
		for j, l := range m.Lessons {
			l.Number = j + 1
			l.Order = len(c.Lessons) + 1
			m.Duration += l.ReadingTime
			c.Lessons = append(c.Lessons, l)
		}
		c.Duration += m.Duration
	}
	for i, l := range c.Lessons {
		l.Prev, l.Next = nil, nil
		if i > 0 {
			l.Prev = c.Lessons[i-1]
		}
		if i+1 < len(c.Lessons) {
			l.Next = c.Lessons[i+1]
		}
	}
	if names != "" {
		c.namesKey = names
	} else if err := checkUnique(c); err != nil {
		return nil, err
	}
	c.indexLinks() // links.go
	return c, nil
}

// sameNames tells whether pages are the pages of the build s recorded, each
// with the same file, kind, id, weight and aliases, under the same build key
// (config, base URL, drafts): what buildGraph makes their URLs, order and
// module pages of. That build succeeded, so no two of them share an id or a
// URL; and the key of their names it kept (namesSpecial) is theirs. It returns
// that key, or "" when unknown.
func (s *state) sameNames(key string, pages []*Page) string {
	if s == nil || s.Key != key || len(pages) != len(s.Files) {
		return ""
	}
	names := s.special(namesSpecial)
	if names == "" {
		return "" // a cache from before it was kept
	}
	// Every page has a source (Hash), hence a record if the last build had
	// it: with as many pages as records, files one to one.
	for _, p := range pages {
		c := s.record(p) // cache.go
		if c == nil || c.Page.Kind != p.Kind || c.Page.ID != p.ID || c.Page.Weight != p.Weight ||
			!slices.Equal(c.Page.Aliases, p.Aliases) {
			return ""
		}
	}
	return names
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
