package site

// A course's own shortcodes: layouts/shortcodes/NAME.html (in the course or its
// theme) defines {{< NAME >}} as Hugo does, overriding a built-in of the same name.
// The template sees a ShortcodeContext as ".". The built-ins and the syntax are in
// site/markdown (shortcode*.go).

import (
	"bytes"
	"fmt"
	"html/template"
	"path"
	"strconv"
	"strings"

	"github.com/cohort-course/cohort/site/markdown"
)

// shortcodeDir is where shortcode templates live under layouts/.
const shortcodeDir = "shortcodes/"

// ShortcodeContext is what a shortcode template sees as ".": .Get 0 or .Get "name"
// for an argument, .Inner for the text between the tags, .Page for the page.
type ShortcodeContext struct {
	// Name is the shortcode's name.
	Name string
	// Page is the page the shortcode is used on; Site the whole site, as layouts see it.
	Page *Page
	Site *SiteData
	// Inner is what lies between the tags: rendered Markdown for {{% %}}, the text as
	// written for {{< >}} (as in Hugo, it is not escaped).
	Inner template.HTML
	// Params are the arguments: a []string, or a map[string]string for named ones.
	Params any
	// IsNamedParams tells which of the two Params is.
	IsNamedParams bool

	call *markdown.ShortcodeCall
}

// Get returns the argument at a position (a number) or by name (a string); "" when
// there is none, as in Hugo.
func (c *ShortcodeContext) Get(key any) string {
	switch k := key.(type) {
	case int:
		return c.call.Get(strconv.Itoa(k))
	case string:
		return c.call.Get(k)
	}
	return ""
}

// shortcodes returns the theme's and course's shortcode templates, by name, as
// markdown shortcodes.
func (t *Theme) shortcodes() map[string]markdown.Shortcode {
	m := map[string]markdown.Shortcode{}
	for _, tpl := range t.templates.Templates() {
		name := tpl.Name()
		if !strings.HasPrefix(name, shortcodeDir) || path.Ext(name) != ".html" {
			continue
		}
		short := strings.TrimSuffix(strings.TrimPrefix(name, shortcodeDir), ".html")
		m[short] = func(c *markdown.ShortcodeCall) (string, error) {
			ctx := &ShortcodeContext{Name: c.Name, Inner: template.HTML(c.Inner), call: c}
			if scope, ok := c.Page.(shortcodeScope); ok {
				ctx.Page, ctx.Site = scope.page, scope.site
			}
			if c.Named != nil {
				ctx.Params, ctx.IsNamedParams = c.Named, true
			} else {
				ctx.Params = c.Args
			}
			var b bytes.Buffer
			if err := t.executeLayout(&b, name, ctx); err != nil {
				return "", fmt.Errorf("layouts/%s: %w", name, err)
			}
			return b.String(), nil
		}
	}
	return m
}

// shortcodeScope is what a render hands the course's shortcodes, through
// markdown.Env.Page.
type shortcodeScope struct {
	page *Page
	site *SiteData
}

// refResolver finds the page a ref or relref shortcode names, from page p, as Hugo
// looks: relative to p's folder, then from content/, with or without ".md", and
// by a file name that only one page has. It logs the link as a Markdown link is.
func (ix *linkIndex) refResolver(p *Page, log *linkLog) func(target string, absolute bool) (string, error) {
	dir := path.Dir(p.File)
	return func(target string, absolute bool) (string, error) {
		file, frag, _ := strings.Cut(target, "#")
		var q *Page
		if file == "" {
			q = p
		}
		rel := strings.TrimPrefix(file, "/")
		var bases []string
		if !strings.HasPrefix(file, "/") {
			bases = append(bases, path.Join(dir, rel))
		}
		bases = append(bases, rel)
	find:
		for _, base := range bases {
			if file == "" {
				break
			}
			for _, name := range []string{base, base + ".md", path.Join(base, "_index.md")} {
				if found, ok := ix.byFile[name]; ok {
					q = found
					break find
				}
			}
		}
		if q == nil && file != "" && !strings.Contains(rel, "/") {
			var matches []*Page
			for f, page := range ix.byFile {
				if path.Base(f) == rel || path.Base(f) == rel+".md" {
					matches = append(matches, page)
				}
			}
			if len(matches) > 1 {
				return "", fmt.Errorf("%w: %q names %d pages: write its folder too", errBrokenLink, file, len(matches))
			}
			if len(matches) == 1 {
				q = matches[0]
			}
		}
		if q == nil {
			return "", fmt.Errorf("%w: no page %s (looked in content/%s and content/)", errBrokenLink, file, dir)
		}
		log.reads.Read(readLinkedPage+q.File, q.URL)
		url := q.URL
		if absolute {
			url = q.Permalink
		}
		if frag != "" {
			log.frags = append(log.frags, fragmentRef{target: q, fragment: frag, dest: target})
			url += "#" + frag
		}
		return url, nil
	}
}

// paramLookup finds a param shortcode's key in the page's params, then the course's;
// a dotted key ("a.b") looks inside tables.
func paramLookup(p *Page, cfg *Config) func(key string) (any, bool) {
	return func(key string) (any, bool) {
		for _, m := range []map[string]any{p.Params, cfg.Params} {
			if v, ok := lookupDotted(m, key); ok {
				return v, true
			}
		}
		return nil, false
	}
}

func lookupDotted(m map[string]any, key string) (any, bool) {
	var v any = m
	for part := range strings.SplitSeq(key, ".") {
		tbl, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = tbl[part]; !ok {
			if v, ok = tbl[strings.ToLower(part)]; !ok {
				return nil, false
			}
		}
	}
	return v, true
}
