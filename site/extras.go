package site

import (
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cohort-course/cohort/site/markdown"
)

// generatedFiles are the files made from the whole course, besides pages.
var generatedFiles = []string{
	"404.html", "feed.xml", "sitemap.xml", "robots.txt", "search.json", "search/index.html",
	"lessons.json", "css/highlight.css", "_headers",
}

// feedEntries is how many of the newest lessons the Atom feed carries.
const feedEntries = 50

func (r *run) siteData() *SiteData {
	c := r.cfg
	s := &SiteData{
		Title: c.Title, Description: c.Description, Language: c.Language,
		BaseURL: c.BaseURL, BasePath: c.BasePath(), Author: c.Author, Organisation: c.Organisation,
		License: c.License, Params: c.Params, Federation: c.Federation, Cohorts: c.Cohorts,
		Course: r.course, Generator: "cohort " + Version, Schedules: r.schedules,
	}
	if c.Logo != "" {
		s.Logo = s.BasePath + strings.TrimPrefix(c.Logo, "/")
	}
	for _, p := range r.course.All() {
		if p.Date.After(s.BuildDate) {
			s.BuildDate = p.Date
		}
	}
	return s
}

// extras writes what is made from the whole course: aliases, 404, search, feed,
// sitemap, robots.txt, the lessons manifest, and static files.
func (r *run) extras() error {
	c := r.course
	base := PageData{Site: r.site, Live: r.b.o.Live}
	for _, p := range c.All() {
		for _, a := range p.Aliases {
			data := base
			data.Page = p
			html, err := r.theme.execute("alias.html", data)
			if err != nil {
				return fmt.Errorf("render alias %s: %w", a, err)
			}
			if err := r.out.write(r.outPath(aliasURL(r.cfg.BasePath(), a)), html); err != nil {
				return err
			}
		}
	}
	if err := r.archivePages(base); err != nil {
		return err
	}
	if err := r.discussionPages(base); err != nil {
		return err
	}
	special := []struct{ layout, out, title string }{
		{"404.html", "404.html", r.theme.T("not_found_title")},
		{"search.html", "search/index.html", r.theme.T("search_title")},
	}
	if len(r.schedules) > 0 {
		special = append(special, struct{ layout, out, title string }{"schedule.html", "schedule/index.html", r.theme.T("schedule_title")})
	}
	sk := newKeyer().str(r.key, r.outline, r.pagesKey)
	for _, s := range r.schedules {
		for _, m := range s.Modules {
			sk.str(fmt.Sprint(m.Current))
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
	if err := r.makeFrags(); err != nil {
		return err
	}
	files := []struct {
		name string
		make func() ([]byte, error)
	}{
		{"feed.xml", r.feed},
		{"sitemap.xml", r.sitemap},
		{"robots.txt", func() ([]byte, error) {
			return []byte("User-agent: *\nAllow: /\n\nSitemap: " + r.abs("sitemap.xml") + "\n"), nil
		}},
		{"search.json", r.searchIndex},
		{"lessons.json", r.manifest},
		{"css/highlight.css", func() ([]byte, error) { return markdown.HighlightCSS(), nil }},
		{"_headers", r.headersFile}, // csp.go
	}
	r.timer.done("aliases, 404, search page, entries")
	for _, f := range files {
		switch f.name {
		case "sitemap.xml", "search.json", "lessons.json":
			if r.assembled(f.name) {
				continue
			}
		}
		data, err := f.make()
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if err := r.out.write(f.name, data); err != nil {
			return err
		}
		r.timer.done(f.name)
	}
	defer r.timer.done("static")
	return r.copyStatic()
}

// archivePages writes, for each lesson, a page per earlier cohort's discussion
// (layout archive.html, with .Page the lesson and .Archived the cohort's).
func (r *run) archivePages(base PageData) error {
	for _, l := range r.course.Lessons {
		for _, a := range l.Archive {
			rel := r.outPath(a.URL)
			key := newKeyer().str(r.key, r.pagesKey, l.cardKey, l.ActivityURL, a.Cohort.ID, a.Thread.key()).sum()
			r.next.Special[rel] = key
			if r.prev.special(rel) == key && r.out.keep(rel) {
				continue
			}
			data := base
			data.Page, data.Archived = l, a
			if l.Module != nil {
				data.Nav = markCurrent(r.navs[l.Module], l.URL)
			}
			html, err := r.theme.execute("archive.html", data)
			if err != nil {
				return &Error{File: path.Join(ContentDir, l.File), Err: fmt.Errorf("archive of %s: %w", a.Cohort.ID, err)}
			}
			if err := r.out.write(rel, html); err != nil {
				return err
			}
		}
	}
	return nil
}

// discussionPages writes, for each open lesson, the pages of its thread after
// the first (which is on the lesson page) and the pages of answers to its
// top-level replies (layout discussion.html, with .Page the lesson and
// .ThreadPage the page). Each page is written again only when what it shows
// changed: a new reply on page 1 leaves a reply's pages as they were.
func (r *run) discussionPages(base PageData) error {
	for _, l := range r.course.Lessons {
		if l.Locked {
			continue
		}
		for _, tp := range l.ThreadPages {
			if tp.Number == 1 && tp.Reply == nil {
				continue // the lesson page
			}
			rel := r.outPath(tp.URL)
			shown, err := json.Marshal(tp)
			if err != nil {
				return fmt.Errorf("discussion of %s: %w", l.ID, err)
			}
			key := newKeyer().str(r.key, r.pagesKey, r.modKeys[l.Module], l.cardKey, l.ActivityURL, l.Cohort, string(shown)).sum()
			r.next.Special[rel] = key
			if r.prev.special(rel) == key && r.out.keep(rel) {
				continue
			}
			data := base
			data.Page, data.ThreadPage = l, tp
			if l.Module != nil {
				data.Nav = markCurrent(r.navs[l.Module], l.URL)
			}
			html, err := r.theme.execute("discussion.html", data)
			if err != nil {
				return &Error{File: path.Join(ContentDir, l.File), Err: fmt.Errorf("discussion page %s: %w", tp.URL, err)}
			}
			if err := r.out.write(rel, html); err != nil {
				return err
			}
		}
	}
	return nil
}

// prevSize guesses the size of a whole-course file from the fragments it is
// assembled from, so its buffer grows once.
func (r *run) prevSize(name string) int {
	n := 4096
	for _, f := range r.fragsOf {
		switch name {
		case "sitemap.xml":
			n += len(f.Sitemap)
		case "search.json":
			n += len(f.Search) + 1
		case "lessons.json":
			n += len(f.Manifest) + 6
		}
	}
	return n
}

func (r *run) abs(rel string) string {
	return r.cfg.Origin() + r.cfg.BasePath() + rel
}

// copyStatic copies the theme's and the course's static files, and the files
// beside the Markdown in content/, to the output.
func (r *run) copyStatic() error {
	names := make([]string, 0, len(r.theme.static))
	for rel := range r.theme.static {
		names = append(names, rel)
	}
	slices.Sort(names)
	for _, rel := range names {
		f := r.theme.static[rel]
		version, err := fileVersion(f)
		if err != nil {
			return fmt.Errorf("static %s: %w", f.name, err)
		}
		if err := r.out.copyFile(rel, f.fsys, f.name, version); err != nil {
			return err
		}
	}
	for _, a := range r.tree.assets {
		version := strconv.FormatInt(a.size, 10) + "-" + strconv.FormatInt(a.mtime.UnixNano(), 10)
		if err := r.out.copyFile(a.path, r.b.fsys, path.Join(ContentDir, a.path), version); err != nil {
			return err
		}
	}
	return nil
}

// fileVersion identifies a static file's content: size and time on disk, or a hash
// for embedded files, which have no time.
func fileVersion(f staticFile) (string, error) {
	info, err := fs.Stat(f.fsys, f.name)
	if err != nil {
		return "", err
	}
	if !info.ModTime().IsZero() {
		return strconv.FormatInt(info.Size(), 10) + "-" + strconv.FormatInt(info.ModTime().UnixNano(), 10), nil
	}
	data, err := fs.ReadFile(f.fsys, f.name)
	if err != nil {
		return "", err
	}
	return hashBytes(data), nil
}

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
	var lessons []*Page
	for _, l := range r.course.Lessons {
		if !l.Locked { // not open yet: the feed announces it when it opens
			lessons = append(lessons, l)
		}
	}
	slices.SortStableFunc(lessons, func(a, b *Page) int {
		return cmp.Or(b.Date.Compare(a.Date), cmp.Compare(a.Order, b.Order))
	})
	lessons = lessons[:min(len(lessons), feedEntries)]
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

// sitemap lists every page, assembled from each page's cached entry.
func (r *run) sitemap() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(r.prevSize("sitemap.xml"))
	b.WriteString(xml.Header)
	b.WriteString(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	for _, p := range r.course.All() {
		b.Write(r.frags(p).Sitemap)
	}
	b.WriteString("</urlset>\n")
	return b.Bytes(), nil
}

func marshalXML(v any) ([]byte, error) {
	b, err := xml.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(append([]byte(xml.Header), b...), '\n'), nil
}

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

// pageFrags are a page's entries in the files made from the whole course, kept
// between builds so that a rebuild only re-encodes the pages that changed.
type pageFrags struct {
	Key      string
	Sitemap  []byte
	Search   []byte
	Manifest []byte // lessons only
}

// frags returns p's entries, made by makeFrags.
func (r *run) frags(p *Page) *pageFrags { return r.fragsOf[p] }

// makeFrags makes every page's entries, in parallel, reusing the last build's
// where nothing they show changed.
func (r *run) makeFrags() error {
	all := r.course.All()
	made := make([]*pageFrags, len(all))
	err := parallel(r.ctx, len(all), func(i int) error {
		made[i] = r.pageFrags(all[i])
		return nil
	})
	r.fragsOf = make(map[*Page]*pageFrags, len(all))
	order := newKeyer()
	r.fragsSame = r.prev != nil
	for i, p := range all {
		r.fragsOf[p] = made[i]
		r.next.Frags[p.File] = made[i]
		order.str(p.File)
		if r.prev != nil && r.prev.Frags[p.File] != made[i] {
			r.fragsSame = false
		}
	}
	r.fragsOrder = order.sum()
	r.next.Special[fragsOrderKey] = r.fragsOrder
	if r.prev.special(fragsOrderKey) != r.fragsOrder {
		r.fragsSame = false
	}
	return err
}

// fragsOrderKey records, among the special keys, the order of the pages the
// whole-course files list.
const fragsOrderKey = "frags-order"

// assembled tells whether a whole-course file can stay as the last build wrote
// it: no page's entry changed and the pages are in the same order.
func (r *run) assembled(name string) bool {
	return r.fragsSame && r.out.keep(name)
}

func (r *run) pageFrags(p *Page) *pageFrags {
	key := p.Hash + "|" + p.Permalink + "|" + strconv.Itoa(p.Order) + "|" + p.Title + "|" + strconv.FormatBool(p.Locked)
	if p.Module != nil {
		key += "|" + p.Module.Page.ID + "|" + p.Module.Page.Title
	}
	for _, o := range p.releases { // a module's opens moves its lessons' releases
		key += "|" + o.cohort + "@" + strconv.FormatInt(o.at.Unix(), 10)
	}
	if r.prev != nil {
		if f, ok := r.prev.Frags[p.File]; ok && f.Key == key {
			return f
		}
	}
	f := &pageFrags{Key: key}
	lastmod := ""
	if !p.Date.IsZero() {
		lastmod = "<lastmod>" + p.Date.Format("2006-01-02") + "</lastmod>"
	}
	var loc bytes.Buffer
	xml.EscapeText(&loc, []byte(p.Permalink))
	f.Sitemap = []byte("  <url><loc>" + loc.String() + "</loc>" + lastmod + "</url>\n")

	e := searchEntry{Title: p.Title, URL: p.URL, Summary: p.Summary, Tags: p.Tags}
	if p.Kind == KindLesson {
		e.Module = p.Module.Page.Title
	}
	if !p.Locked { // a lesson not open yet is findable by its title and summary only
		for _, h := range p.TOC {
			e.Headings = append(e.Headings, h.Text)
		}
	}
	f.Search, _ = json.Marshal(e)
	if p.Kind == KindLesson {
		f.Manifest, _ = json.Marshal(ManifestLesson{ID: p.ID, Title: p.Title, Summary: p.Summary,
			Discussion: p.Discussion, URL: p.Permalink, Module: p.Module.Page.ID, Order: p.Order,
			Date: p.Date, Opens: p.Opens, Tags: p.Tags, Hash: p.Hash, Releases: releases(p)})
	}
	return f
}

// Manifest is lessons.json: what the companion needs to know of the course,
// without ever reading Markdown.
type Manifest struct {
	Title      string           `json:"title"`
	BaseURL    string           `json:"base_url"`
	Language   string           `json:"language"`
	Federation Federation       `json:"federation"`
	Cohorts    []Cohort         `json:"cohorts"`
	Modules    []ManifestModule `json:"modules"`
	Lessons    []ManifestLesson `json:"lessons"`
}

// ManifestModule is a module as the companion sees it.
type ManifestModule struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
	Order int    `json:"order"`
	Opens string `json:"opens,omitempty"`
}

// ManifestLesson is a lesson as the companion sees it: enough to post it and
// to know when its text changed (Hash).
type ManifestLesson struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Summary    string    `json:"summary,omitempty"`
	Discussion string    `json:"discussion,omitempty"`
	URL        string    `json:"url"`
	Module     string    `json:"module"`
	Order      int       `json:"order"`
	Date       time.Time `json:"date,omitzero"`
	Opens      string    `json:"opens,omitempty"`
	Tags       []string  `json:"tags,omitempty"`
	Hash       string    `json:"hash"`
	// Releases says when the lesson opens for each cohort, by cohort id: the
	// companion publishes the cohort's post then.
	Releases map[string]time.Time `json:"releases,omitempty"`
}

// releases gives a lesson's opening time for each cohort, as the schedule
// computed it, or nil for a course without cohorts.
func releases(p *Page) map[string]time.Time {
	if len(p.releases) == 0 {
		return nil
	}
	out := make(map[string]time.Time, len(p.releases))
	for _, o := range p.releases {
		out[o.cohort] = o.at
	}
	return out
}

// manifest is lessons.json. The lessons are assembled from each lesson's cached
// entry; the rest is small.
func (r *run) manifest() ([]byte, error) {
	m := Manifest{Title: r.cfg.Title, BaseURL: r.cfg.BaseURL, Language: r.cfg.Language,
		Federation: r.cfg.Federation, Cohorts: r.cfg.Cohorts,
		Modules: []ManifestModule{}, Lessons: []ManifestLesson{}}
	for _, mod := range r.course.Modules {
		m.Modules = append(m.Modules, ManifestModule{ID: mod.Page.ID, Title: mod.Page.Title,
			URL: mod.Page.Permalink, Order: mod.Number, Opens: mod.Page.Opens})
	}
	head, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	// head ends with `"lessons": []` + "\n}": put the lessons between the brackets.
	cut := bytes.LastIndex(head, []byte("[]"))
	var b bytes.Buffer
	b.Grow(r.prevSize("lessons.json"))
	b.Write(head[:cut+1])
	for i, l := range r.course.Lessons {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		b.Write(r.frags(l).Manifest)
	}
	if len(r.course.Lessons) > 0 {
		b.WriteString("\n  ")
	}
	b.Write(head[cut+1:])
	b.WriteByte('\n')
	return b.Bytes(), nil
}
