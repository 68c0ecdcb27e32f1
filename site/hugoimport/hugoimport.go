// Package hugoimport turns a Hugo site, or one section of it, into a cohort course:
// sections become modules, front matter is mapped to cohort's keys, shortcodes are kept
// (cohort renders Hugo's built-ins) or converted, links are rewritten to the new
// places, and the site's config becomes course.toml. What it cannot convert it lists
// as warnings with file and line; it never drops content silently.
//
// It is for a one-time move from Hugo, not for building Hugo sites: it reads Hugo's
// files only to write cohort's.
package hugoimport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Options say what to import and where to write the course.
type Options struct {
	// Source is the Hugo site's root folder (with hugo.toml or config.toml and content/).
	Source string
	// Section is the folder under content/ that holds the course; "" takes all of content/.
	Section string
	// Out is the folder the course is written to; it must be absent or empty.
	Out string
}

// Warning is something the import could not convert, at a place in the Hugo site.
type Warning struct {
	File string // relative to the Hugo site's root, slash-separated
	Line int    // 1-based; 0 when the whole file is meant
	Msg  string
}

// String formats the warning as file:line: message.
func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Msg)
	}
	return fmt.Sprintf("%s: %s", w.File, w.Msg)
}

// Report tells what an import did.
type Report struct {
	Pages    int // Markdown pages written
	Modules  int // sections that became modules
	Files    int // other files copied (static/, page resources, shortcode templates)
	Warnings []Warning
}

// Import reads the Hugo site in o.Source and writes a cohort course to o.Out.
// Warnings are in the report; an error means nothing usable was written.
func Import(ctx context.Context, o Options) (*Report, error) {
	if entries, err := os.ReadDir(o.Out); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%s is not empty; import will not write over anything", o.Out)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	im := &importer{src: os.DirFS(o.Source), section: strings.Trim(o.Section, "/"), out: o.Out, rep: &Report{}}
	cfg, err := im.config() // config.go
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := im.walk(ctx); err != nil { // below
		return nil, fmt.Errorf("content: %w", err)
	}
	for _, p := range im.pages { // frontmatter.go, body.go
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := im.page(p); err != nil {
			return nil, fmt.Errorf("%s: %w", p.file, err)
		}
	}
	if err := im.writeConfig(cfg); err != nil {
		return nil, fmt.Errorf("course.toml: %w", err)
	}
	if err := im.copyFiles(); err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	sort.SliceStable(im.rep.Warnings, func(i, j int) bool {
		a, b := im.rep.Warnings[i], im.rep.Warnings[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return im.rep, nil
}

// importer is one import's state.
type importer struct {
	src     fs.FS
	section string
	out     string
	rep     *Report
	theme   string // the Hugo theme named in the config, for its shortcodes

	pages []*page
	byURL map[string]string // a Hugo URL path ("/docs/week-1/intro/") → new content path
	byKey map[string]string // a Hugo content path without .md, section-relative → new content path
	// copies are files to copy: new path under Out → path in the Hugo site.
	copies map[string]string
	// shortcodes are the course's own shortcode templates used by the pages.
	shortcodes map[string]string
}

// page is one Markdown file of the Hugo section.
type page struct {
	file   string // in the Hugo site, e.g. content/docs/week-1/intro.md
	rel    string // relative to the section: week-1/intro.md
	newRel string // relative to the course's content/: week-1/intro.md
	url    string // the URL path Hugo gave it: /docs/week-1/intro/
	bundle bool   // a leaf bundle's index.md: its folder's files are its resources
	opens  time.Time
}

func (im *importer) warn(file string, line int, format string, args ...any) {
	im.rep.Warnings = append(im.rep.Warnings, Warning{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// contentRoot is the section's folder in the Hugo site.
func (im *importer) contentRoot() string {
	if im.section == "" {
		return "content"
	}
	return "content/" + im.section
}

// walk finds the section's pages and files and decides where each goes.
func (im *importer) walk(ctx context.Context) error {
	root := im.contentRoot()
	if _, err := fs.Stat(im.src, root); err != nil {
		return fmt.Errorf("no folder %s in the Hugo site: %w", root, err)
	}
	im.byURL, im.byKey = map[string]string{}, map[string]string{}
	im.copies, im.shortcodes = map[string]string{}, map[string]string{}
	bundles := map[string]bool{} // section-relative folders that are leaf bundles
	var files []string
	err := fs.WalkDir(im.src, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && p != root {
				return fs.SkipDir
			}
			return nil
		}
		rel := strings.TrimPrefix(p, root+"/")
		if path.Base(rel) == "index.md" {
			bundles[path.Dir(rel)] = true
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		return err
	}
	inBundle := func(rel string) (string, bool) {
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			if bundles[d] {
				return d, true
			}
		}
		return "", false
	}
	modules := map[string]bool{}
	for _, rel := range files {
		file := root + "/" + rel
		bundle, isRes := inBundle(rel)
		if strings.HasSuffix(rel, ".md") && path.Base(rel) != "index.md" && isRes {
			im.warn(file, 0, "a Markdown file inside a page bundle is a resource in Hugo; not imported")
			continue
		}
		if !strings.HasSuffix(rel, ".md") {
			newPath := im.placeFile(rel, bundle, isRes, file)
			im.copies["content/"+newPath] = file
			im.byURL[im.oldURL(rel)] = newPath
			continue
		}
		p := &page{file: file, rel: rel, bundle: path.Base(rel) == "index.md"}
		p.newRel = im.placePage(p)
		if dir := path.Dir(p.newRel); dir != "." {
			modules[dir] = true
		}
		im.pages = append(im.pages, p)
	}
	// Hugo URLs may depend on slug and url keys in front matter; read them first so
	// that links between pages can be rewritten whatever their order.
	for _, p := range im.pages {
		p.url = im.pageURL(p)
		im.byURL[p.url] = p.newRel
		key := strings.TrimSuffix(p.rel, ".md")
		key = strings.TrimSuffix(strings.TrimSuffix(key, "/_index"), "/index")
		im.byKey[key] = p.newRel
	}
	im.rep.Modules = len(modules)
	return nil
}

// placePage says where a Hugo page goes in the course. The course has two levels:
// modules hold lessons. A leaf bundle becomes a lesson file beside its resources;
// a section deeper than a module is folded into its module with a warning.
func (im *importer) placePage(p *page) string {
	rel := p.rel
	if p.bundle {
		if path.Dir(rel) == "." {
			return "_index.md" // content/index.md: Hugo's home as a leaf bundle
		}
		rel = path.Dir(rel) + ".md"
	}
	parts := strings.Split(rel, "/")
	switch {
	case len(parts) <= 2:
		return rel
	case parts[len(parts)-1] == "_index.md" && len(parts) == 3:
		im.warn(p.file, 0, "section %s is deeper than a module: its page became a lesson of module %s", strings.Join(parts[:2], "/"), parts[0])
		return parts[0] + "/" + parts[1] + ".md"
	default:
		flat := strings.Join(parts[1:], "-")
		if strings.HasSuffix(flat, "-_index.md") {
			flat = strings.TrimSuffix(flat, "-_index.md") + ".md"
		}
		im.warn(p.file, 0, "%s is deeper than a module: it became the lesson %s/%s", rel, parts[0], flat)
		return parts[0] + "/" + flat
	}
}

// placeFile says where a file that is not Markdown goes: a bundle's resources keep
// their folder (the lesson's URL is that folder), other files stay beside their pages.
func (im *importer) placeFile(rel, bundle string, isRes bool, file string) string {
	parts := strings.Split(rel, "/")
	if isRes || len(parts) <= 2 {
		if isRes && strings.Count(bundle, "/") >= 2 {
			im.warn(file, 0, "a resource of a bundle deeper than a module; copied to %s", rel)
		}
		return rel
	}
	return parts[0] + "/" + strings.Join(parts[1:], "-")
}

// oldURL is the URL Hugo gives a file of the section (pages without slug or url).
func (im *importer) oldURL(rel string) string {
	prefix := "/"
	if im.section != "" {
		prefix += im.section + "/"
	}
	if !strings.HasSuffix(rel, ".md") {
		return prefix + rel
	}
	rel = strings.TrimSuffix(rel, ".md")
	rel = strings.TrimSuffix(strings.TrimSuffix(rel, "_index"), "index")
	rel = strings.TrimSuffix(rel, "/")
	if rel == "" {
		return prefix
	}
	return strings.ToLower(prefix + rel + "/")
}

// copyFiles copies static/, the pages' resources and the shortcode templates used.
func (im *importer) copyFiles() error {
	if _, err := fs.Stat(im.src, "static"); err == nil {
		err := fs.WalkDir(im.src, "static", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			im.copies[p] = p
			return nil
		})
		if err != nil {
			return err
		}
	}
	for name, from := range im.shortcodes {
		im.copies["layouts/shortcodes/"+name+".html"] = from
	}
	targets := slices.Sorted(func(yield func(string) bool) {
		for k := range im.copies {
			if !yield(k) {
				return
			}
		}
	})
	for _, to := range targets {
		data, err := fs.ReadFile(im.src, im.copies[to])
		if err != nil {
			return err
		}
		if err := im.write(to, data); err != nil {
			return err
		}
		im.rep.Files++
	}
	return nil
}

// write writes one file of the course.
func (im *importer) write(rel string, data []byte) error {
	target := filepath.Join(im.out, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	return os.WriteFile(target, data, 0o644)
}
