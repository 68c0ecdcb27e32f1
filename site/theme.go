package site

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"text/template/parse"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/cohort-course/cohort/themes"
)

// Theme is the layouts, static files and UI strings a build uses: the named built-in
// theme with the course's own layouts/, static/ and i18n/ laid over it.
type Theme struct {
	templates *template.Template
	strings   map[string]string
	// static maps an output path ("css/style.css") to the file system holding it.
	static map[string]staticFile
	// Key changes whenever any layout or UI string changes.
	Key string
	// ReadsCourse is set when one of the course's own layouts may read other
	// pages than the ones a page's render key covers (readsCourse).
	ReadsCourse bool
	// themeHeader is set when partials/header.html and the search box it calls
	// are the built-in theme's, which read nothing of a page but its URL, and
	// only to mark the link to the current page: every lesson page has the same
	// header, executed once per build (PageData.Header).
	themeHeader bool
	// ownShortcodes is set when the theme or course defines shortcodes
	// (layouts/shortcodes/): they see the whole page and site, so a page's
	// body depends on all its page's render key covers (pages.go, renderKey).
	ownShortcodes bool
	// escaped names the layouts escaped at load, the only ones the build may
	// execute by name (executeLayout): executing any other would escape again
	// the partials it calls, whose escapers fuseEscapers already replaced.
	escaped map[string]bool
	// moduleParts names, in order, the partials the layouts call with
	// modulePart: the build renders each once per module (run.moduleParts).
	moduleParts []string
}

// modulePartFunc is the template function that puts one module's part of a
// whole-course list into a layout: {{modulePart "partials/outline-module.html" .}}
// with dot a *Module. The build renders each such partial once per module and
// keeps it while the module's key is unchanged (run.moduleParts), so a list of
// every lesson costs one module's lessons after an edit, not the course's.
const modulePartFunc = "modulePart"

// modulePart is modulePartFunc: m's part in this build (run.moduleParts), or,
// outside a build, the partial executed now. Either way the bytes are the
// partial's with m as dot.
func (t *Theme) modulePart(name string, m *Module) (template.HTML, error) {
	if m != nil {
		if p := m.parts[name]; p != nil && p.r.theme == t {
			return p.get()
		}
	}
	return t.executeHTML(name, m)
}

// standaloneLayouts are the partials the build executes by themselves, not
// only from a page's layout (pages.go), each with whether its data is a
// page's PageData.
var standaloneLayouts = map[string]bool{"partials/header.html": true, "partials/module-nav.html": false,
	"partials/sidebar.html": false, "partials/outline.html": false}

// executeLayout executes the layout name with data into w, refusing one not
// escaped at load (Theme.escaped): its output would be escaped twice.
func (t *Theme) executeLayout(w io.Writer, name string, data any) error {
	if !t.escaped[name] {
		return fmt.Errorf("executed by itself, but not escaped with the theme at load (standaloneLayouts)")
	}
	return t.templates.ExecuteTemplate(w, name, data)
}

// headerPartials are the layouts a page's header is made of.
var headerPartials = []string{"partials/header.html", "partials/search-box.html"}

// reachesPages matches, in a layout's text, the fields and methods through which
// a template reaches other pages: the course, a page's neighbours and module, a
// module's lessons, the schedules, the archive, and the site's date (the newest
// of every page's). The theme's own layouts are
// covered by the render keys written for them (render.go, renderKey), which the
// property test checks; a course's own layout may read anything, so when it
// names one of these, every page depends on every page (pages.go, courseKey).
// A match in a comment costs only speed; a template cannot reach a page
// without naming one of these, as no template function returns pages.
var reachesPages = lazyRegexp(`\.(Course|Prev|Next|Module|Lessons|Modules|Pages|Home|All|Schedules|Archive|Archived|BuildDate)\b`)

type staticFile struct {
	fsys fs.FS
	name string
	// theme tells that the file comes from the built-in theme, not the course.
	theme bool
}

// requiredLayouts are the layouts every theme must have.
var requiredLayouts = []string{"home.html", "module.html", "lesson.html", "page.html", "404.html", "search.html", "alias.html", "schedule.html", "archive.html"}

// LoadTheme reads the theme named in cfg, with the course's overrides from fsys.
func LoadTheme(fsys fs.FS, cfg *Config) (*Theme, error) {
	base, ok := themes.Get(cfg.Theme)
	if !ok {
		return nil, &Error{File: cfg.File, Err: fmt.Errorf("theme %q is not built in (have: %s)",
			cfg.Theme, strings.Join(themes.Names(), ", "))}
	}
	layers := []fs.FS{base, fsys} // later layers win
	h := sha256.New()
	t := &Theme{static: map[string]staticFile{}, strings: map[string]string{}}

	layouts := map[string]staticFile{}
	fromCourse := map[string]bool{} // layouts the course overrides or adds
	for i, layer := range layers {
		err := walkFiles(layer, "layouts", func(rel string) {
			layouts[rel] = staticFile{fsys: layer, name: path.Join("layouts", rel)}
			fromCourse[rel] = i == len(layers)-1
		})
		if err != nil {
			return nil, err
		}
		if err := walkFiles(layer, "static", func(rel string) {
			t.static[rel] = staticFile{fsys: layer, name: path.Join("static", rel), theme: i == 0}
		}); err != nil {
			return nil, err
		}
	}
	// UI strings: English first, so a missing translation shows English, not a key.
	for _, lang := range []string{"en", cfg.Language} {
		for _, layer := range layers {
			name := path.Join("i18n", lang+".toml")
			if err := checkLink(layer, name); err != nil { // symlink.go
				return nil, err
			}
			data, err := fs.ReadFile(layer, name)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			} else if err != nil {
				return nil, &Error{File: name, Err: err}
			}
			var m map[string]string
			if _, err := toml.Decode(string(data), &m); err != nil {
				return nil, tomlError(name, 0, err)
			}
			for k, v := range m {
				t.strings[k] = v
			}
			h.Write([]byte(name))
			h.Write(data)
		}
	}

	funcs := funcMap(cfg, t.strings)
	t.templates = template.New("").Funcs(funcs).Funcs(escapeFuncs()). // theme_escape.go
										Funcs(template.FuncMap{modulePartFunc: t.modulePart})
	names := make([]string, 0, len(layouts))
	for name := range layouts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f := layouts[name]
		data, err := fs.ReadFile(f.fsys, f.name)
		if err != nil {
			return nil, &Error{File: f.name, Err: err}
		}
		h.Write([]byte(name))
		h.Write(data)
		if fromCourse[name] && reachesPages().Match(data) {
			t.ReadsCourse = true
		}
		if _, err := t.templates.New(name).Parse(string(data)); err != nil {
			if line, what := unclosedAction(data); line > 0 {
				// text/template says where it noticed, at the end or on a later line.
				return nil, &Error{File: f.name, Line: line, Err: fmt.Errorf("%s: %w", what, err)}
			}
			return nil, &Error{File: f.name, Err: fmt.Errorf("template: %w", err)}
		}
	}
	for _, name := range requiredLayouts {
		if t.templates.Lookup(name) == nil {
			return nil, &Error{File: path.Join("layouts", name), Err: fmt.Errorf("theme %q has no layout %s", cfg.Theme, name)}
		}
	}
	parts, err := modulePartsIn(t.templates)
	if err != nil {
		return nil, err
	}
	t.moduleParts = parts
	t.themeHeader = !slices.ContainsFunc(headerPartials, func(name string) bool {
		// Defined by a file of the course: its own partial, or a {{define}} in another layout.
		tmpl := t.templates.Lookup(name)
		return tmpl != nil && tmpl.Tree != nil && fromCourse[tmpl.Tree.ParseName]
	})
	var pageLayouts, entries []string // pages execute those not in partials/ or shortcodes/
	notPageData := map[string]bool{}
	for _, name := range names {
		if !strings.Contains(name, "/") {
			pageLayouts = append(pageLayouts, name)
		}
		// The build executes standaloneLayouts and shortcodes by themselves
		// too: escaped now, after the page layouts (as before they are
		// executed), no later Execute escapes again a template whose
		// escapers fuseEscapers replaced, which would add them once more.
		pageData, standalone := standaloneLayouts[name]
		if slices.Contains(t.moduleParts, name) {
			standalone = true // executed with a *Module
		}
		shortcode := strings.HasPrefix(name, shortcodeDir)
		t.ownShortcodes = t.ownShortcodes || shortcode
		if standalone || shortcode {
			entries = append(entries, name)
			notPageData[name] = !pageData
		}
	}
	foldSite(t.templates, cfg, pageLayouts, notPageData) // theme_site.go
	foldConstants(t.templates, funcs)                    // theme_fold.go
	simplifySite(t.templates)                            // theme_site.go
	escapeAndFold(t.templates, pageLayouts, entries)
	t.escaped = map[string]bool{}
	for _, name := range slices.Concat(pageLayouts, entries) {
		t.escaped[name] = true
	}
	fuseEscapers(t.templates) // theme_escape.go
	t.Key = fmt.Sprintf("%x", h.Sum(nil))
	return t, nil
}

// modulePartsIn returns the partials the templates of ts call with
// modulePartFunc, sorted. The name must be a quoted string naming a layout:
// the build renders those partials ahead, escaped at load, and one named by
// a variable would be known only while a page executes.
func modulePartsIn(ts *template.Template) ([]string, error) {
	var names []string
	var bad error
	for _, tmpl := range ts.Templates() {
		if tmpl.Tree == nil || tmpl.Tree.Root == nil {
			continue
		}
		inspect(tmpl.Tree.Root, func(n parse.Node) { // theme_site.go
			c, ok := n.(*parse.CommandNode)
			if !ok || len(c.Args) == 0 {
				return
			}
			if id, ok := c.Args[0].(*parse.IdentifierNode); !ok || id.Ident != modulePartFunc {
				return
			}
			if bad != nil {
				return // said once, for the first
			}
			var name string
			if len(c.Args) == 3 {
				if s, ok := c.Args[1].(*parse.StringNode); ok {
					name = s.Text
				}
			}
			at, _ := tmpl.Tree.ErrorContext(c) // "partials/x.html:3:14"
			switch {
			case name == "":
				bad = fmt.Errorf("%s: %s takes a partial's name as a quoted string, then the module: {{%s \"partials/x.html\" .}}", at, modulePartFunc, modulePartFunc)
			case ts.Lookup(name) == nil:
				bad = fmt.Errorf("%s: %s: no layout %s", at, modulePartFunc, name)
			default:
				names = append(names, name)
			}
			if bad != nil {
				bad = &Error{File: path.Join("layouts", tmpl.Tree.ParseName), Err: bad}
			}
		})
	}
	if bad != nil {
		return nil, bad
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// walkFiles calls fn with the path below dir of every regular file in fsys; a
// missing dir is no error. A symlink that leads outside the course, or to a
// folder, is (symlink.go).
func walkFiles(fsys fs.FS, dir string, fn func(rel string)) error {
	if err := checkLink(fsys, dir); err != nil {
		return err
	}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if err := checkLink(fsys, p); err != nil {
				return err
			}
			if info, err := fs.Stat(fsys, p); err == nil && info.IsDir() {
				return &Error{File: p, Err: errLinkedFolder}
			}
		}
		fn(strings.TrimPrefix(p, dir+"/"))
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// T returns the UI string for key, or the key itself when the theme has none.
func (t *Theme) T(key string) string {
	if s, ok := t.strings[key]; ok {
		return s
	}
	return key
}

// uiOr returns the UI string for key, or def when the theme has none.
func uiOr(ui map[string]string, key, def string) string {
	if s, ok := ui[key]; ok {
		return s
	}
	return def
}

var monthNames = map[string][12]string{
	"en": {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
}

// funcMap is what templates can call besides the builtins.
func funcMap(cfg *Config, ui map[string]string) template.FuncMap {
	base := cfg.BasePath()
	abs := cfg.Origin()
	months := monthNames[cfg.Language]
	csp := template.HTMLAttr(`content="` + ContentSecurityPolicy(cfg.Federation.Base()) + `"`) // the same on every page
	return template.FuncMap{
		// T "key" args... : a UI string, formatted with args when given.
		"T": func(key string, args ...any) string {
			s, ok := ui[key]
			if !ok {
				s = key
			}
			if len(args) > 0 {
				return fmt.Sprintf(s, args...)
			}
			return s
		},
		// relURL "css/style.css": the root-relative URL under the base path.
		"relURL": func(p string) string { return base + strings.TrimPrefix(p, "/") },
		// absURL "feed.xml": the absolute URL.
		"absURL": func(p string) string { return abs + base + strings.TrimPrefix(p, "/") },
		// date t: a long date in the course language.
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
		},
		"isoDate": func(t time.Time) string { return t.Format("2006-01-02") },
		// datetime t: the machine-readable instant for <time datetime>, in UTC.
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		// dateTime t: a long date and a UTC clock time ("3 May 2026, 14:05 UTC"),
		// the same on every build, whatever the builder's time zone.
		"dateTime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			t = t.UTC()
			return fmt.Sprintf("%d %s %d, %s UTC", t.Day(), months[t.Month()-1], t.Year(), t.Format("15:04"))
		},
		// zonedTime t: a long date and clock time in t's own time zone ("14 September
		// 2026, 09:00 CEST"): when something opens for a cohort, in its time zone.
		"zonedTime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return fmt.Sprintf("%d %s %d, %s", t.Day(), months[t.Month()-1], t.Year(), t.Format("15:04 MST"))
		},
		// csp: the content attribute of the pages' Content-Security-Policy (csp.go);
		// it has quotes but nothing from an author.
		"csp": func() template.HTMLAttr { return csp },
		// plural n "key": the UI string key_one for 1, else key_many filled with n.
		"plural": func(n int, key string) string {
			if n == 1 {
				return uiOr(ui, key+"_one", "1")
			}
			return fmt.Sprintf(uiOr(ui, key+"_many", "%d"), n)
		},
		// duration d: "25 min", "1 h 10 min", in the UI strings' words.
		"duration": func(d time.Duration) string {
			m := int((d + time.Minute - 1) / time.Minute)
			switch {
			case m < 60:
				return fmt.Sprintf(uiOr(ui, "duration_minutes", "%d min"), m)
			case m%60 == 0:
				return fmt.Sprintf(uiOr(ui, "duration_hours", "%d h"), m/60)
			default:
				return fmt.Sprintf(uiOr(ui, "duration_hours_minutes", "%d h %d min"), m/60, m%60)
			}
		},
		"minutes": func(d time.Duration) int { return int((d + time.Minute - 1) / time.Minute) },
	}
}

// blockActions are the actions that need an {{end}}.
var blockActions = []string{"if", "range", "with", "define", "block"}

// unclosedAction finds, in a template that failed to parse, the action the mistake
// most likely starts at: an {{ without its }} (on the line it opens), else the
// innermost {{if}}, {{range}}, {{with}}, {{define}} or {{block}} without an {{end}}.
// It returns 0 when it finds neither.
func unclosedAction(src []byte) (line int, what string) {
	text := string(src)
	type open struct {
		word string
		line int
	}
	var stack []open
	for i := 0; ; {
		j := strings.Index(text[i:], "{{")
		if j < 0 {
			break
		}
		start := i + j
		at := 1 + strings.Count(text[:start], "\n")
		body := strings.TrimLeft(strings.TrimPrefix(text[start+2:], "-"), " \t\r\n")
		if strings.HasPrefix(body, "/*") { // a comment: ends at */}}
			end := strings.Index(text[start:], "*/")
			if end < 0 {
				return at, "{{/* is never closed with */}}"
			}
			i = start + end + 2
			continue
		}
		end := strings.Index(text[start+2:], "}}")
		next := strings.Index(text[start+2:], "{{")
		if end < 0 || next >= 0 && next < end {
			return at, "{{ is not closed with }} on this line or before the next {{"
		}
		action := strings.Fields(strings.Trim(text[start+2:start+2+end], "- \t\r\n"))
		if len(action) > 0 {
			switch w := action[0]; {
			case slices.Contains(blockActions, w):
				stack = append(stack, open{w, at})
			case w == "end" && len(stack) > 0:
				stack = stack[:len(stack)-1]
			}
		}
		i = start + 2 + end + 2
	}
	if len(stack) > 0 {
		o := stack[len(stack)-1]
		return o.line, fmt.Sprintf("{{%s}} has no {{end}}", o.word)
	}
	return 0, ""
}
