package site

import (
	"fmt"
	"strings"

	"github.com/cohort-course/cohort/site/markdown"
)

// generatedFiles are the files made from the whole course, besides pages.
var generatedFiles = []string{
	"404.html", "feed.xml", "sitemap.xml", "robots.txt", searchMetaFile, "search/index.html",
	"lessons.json", "css/highlight.css", "_headers",
}

// siteData is what every page of this build shares: the course and its config.
func (r *run) siteData() *SiteData {
	s := configSite(r.cfg)
	s.Course, s.Schedules = r.course, r.schedules
	for _, p := range r.course.All() {
		if p.Locked {
			continue // its date would tell the feed of a lesson nobody can read yet
		}
		if p.Date.After(s.BuildDate) {
			s.BuildDate = p.Date
		}
	}
	return &s
}

// configSite is the part of SiteData that comes from the config alone: the
// same for every build with this config. A theme's layouts print these fields
// as constants (theme_site.go).
func configSite(c *Config) SiteData {
	s := SiteData{
		Title: c.Title, Description: c.Description, Language: c.Language,
		BaseURL: c.BaseURL, BasePath: c.BasePath(), Author: c.Author, Organisation: c.Organisation,
		License: c.License, Params: c.Params, Federation: c.Federation, Cohorts: c.Cohorts,
		Generator: "cohort " + Version,
	}
	if c.Logo != "" {
		s.Logo = s.BasePath + strings.TrimPrefix(c.Logo, "/")
	}
	s.OGImage, s.OGImageOwn = ogImageURL(c), c.OGImage != "" // ogimage.go
	return s
}

// extras writes what is made from the whole course: aliases, 404, search, feed,
// sitemap, robots.txt, the lessons manifest, and static files.
func (r *run) extras() error {
	base := PageData{Site: r.site, Live: r.b.o.Live}
	if err := r.aliasPages(base); err != nil { // aliases.go
		return err
	}
	if err := r.archivePages(base); err != nil { // archive.go
		return err
	}
	if err := r.discussionPages(base); err != nil { // threadpages.go
		return err
	}
	if err := r.specialPages(base); err != nil { // special.go
		return err
	}
	r.timer.done("aliases, 404, archive, discussion")
	if err := r.journalPages(base, r.journal); err != nil { // journal.go
		return err
	}
	if err := r.makeFrags(); err != nil { // frags.go
		return err
	}
	r.timer.done("entries")
	// The search index is made beside the other whole-course files and the
	// static files, which share with it only the output (safe for concurrent
	// use) and the special keys (setSpecial): on a cold build it is most of
	// this tail, and they are mostly waits on the file system.
	searchErr := make(chan error, 1)
	go func() { searchErr <- r.writeSearchIndex() }() // search_index.go
	err := r.courseFiles()
	if serr := <-searchErr; serr != nil {
		return fmt.Errorf("search index: %w", serr) // its error first, as when it ran first
	}
	r.timer.done("search index (its wait after static)")
	return err
}

// courseFiles writes the whole-course files other than the search index: the
// feed, sitemap, robots.txt, the lessons manifest and the headers, then the
// OpenGraph image and the static files.
func (r *run) courseFiles() error {
	files := []struct {
		name string
		make func() ([]byte, error)
	}{
		{"feed.xml", r.feed},         // feed.go
		{"sitemap.xml", r.sitemap},   // sitemap.go
		{"robots.txt", r.robots},     // sitemap.go
		{"lessons.json", r.manifest}, // manifest.go
		{"css/highlight.css", func() ([]byte, error) { return markdown.HighlightCSS(), nil }},
		{"_headers", r.headersFile}, // csp.go
	}
	for _, f := range files {
		switch f.name {
		case "sitemap.xml", "lessons.json":
			if r.assembled(f.name) {
				// The next build patches the file kept: its entries are where they were.
				r.setSpecial(entriesKey(f.name), r.prev.special(entriesKey(f.name)))
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
	if err := r.writeOGImage(); err != nil { // ogimage.go
		return err
	}
	return r.copyStatic() // static.go
}

// setSpecial records one of the special keys of the next build's state; the
// search index and the files made beside it set theirs at the same time.
func (r *run) setSpecial(name, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next.Special[name] = value
}

// abs is the absolute URL of a file under the output folder.
func (r *run) abs(rel string) string {
	return r.cfg.Origin() + r.cfg.BasePath() + rel
}
