package hugoimport

// Hugo's front matter keys and what cohort makes of them. The keys and their meaning
// follow Hugo's documentation of front matter (gohugoio/hugo docs
// content/en/content-management/front-matter.md): top-level keys Hugo does not know
// are the page's params there too, so they go to params here.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// rawFront is a page's front matter as Hugo wrote it.
type rawFront struct {
	values map[string]any
	block  []byte // the text of the front matter, for finding a key's line
	line   int    // the file's line where block starts
	body   []byte
	bodyAt int // the file's line where the body starts
}

// splitFront reads the front matter (TOML +++, YAML ---, or a JSON object) of data.
func splitFront(data []byte) (rawFront, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	rf := rawFront{values: map[string]any{}, body: data, bodyAt: 1}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	opener := string(bytes.TrimSpace(first))
	switch {
	case opener == "+++" || opener == "---":
		rest := data[len(first)+1:]
		lines := bytes.SplitAfter(rest, []byte("\n"))
		n := 0
		for i, l := range lines {
			if string(bytes.TrimSpace(l)) == opener {
				rf.block = rest[:n]
				rf.body = rest[n+len(l):]
				rf.line, rf.bodyAt = 2, i+3
				var err error
				if opener == "+++" {
					err = toml.Unmarshal(rf.block, &rf.values)
				} else {
					err = yaml.Unmarshal(rf.block, &rf.values)
				}
				if err != nil {
					return rf, fmt.Errorf("front matter: %w", err)
				}
				return rf, nil
			}
			n += len(l)
		}
		return rf, fmt.Errorf("front matter opened with %s is never closed", opener)
	case strings.HasPrefix(opener, "{") && !strings.HasPrefix(opener, "{{"):
		dec := json.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&rf.values); err != nil {
			return rf, fmt.Errorf("front matter: %w", err)
		}
		end := int(dec.InputOffset())
		rf.block, rf.line = data[:end], 1
		if i := bytes.IndexByte(data[end:], '\n'); i >= 0 {
			end += i + 1
		}
		rf.body = data[end:]
		rf.bodyAt = bytes.Count(data[:end], []byte("\n")) + 1
	}
	return rf, nil
}

// keyLine returns the file's line of the top-level key in the front matter, or 0.
func (rf rawFront) keyLine(key string) int {
	for i, l := range strings.Split(string(rf.block), "\n") {
		t := strings.TrimLeft(l, " \t")
		if s := strings.TrimLeft(t, "["); s != t && (strings.HasPrefix(s, key+"]") || strings.HasPrefix(s, key+".")) {
			return rf.line + i // a TOML table: [key] or [[key.sub]]
		}
		t = strings.TrimLeft(t, `"'`)
		if rest, ok := strings.CutPrefix(t, key); ok {
			rest = strings.TrimLeft(rest, `"' `+"\t")
			if strings.HasPrefix(rest, "=") || strings.HasPrefix(rest, ":") {
				return rf.line + i
			}
		}
	}
	return 0
}

// frontMatter is cohort's front matter, in the order it is written.
type frontMatter struct {
	Title   string         `toml:"title,omitempty"`
	Weight  int            `toml:"weight,omitzero"`
	Date    time.Time      `toml:"date,omitempty"`
	Opens   string         `toml:"opens,omitempty"`
	Summary string         `toml:"summary,omitempty"`
	Draft   bool           `toml:"draft,omitempty"`
	Tags    []string       `toml:"tags,omitempty"`
	Aliases []string       `toml:"aliases,omitempty"`
	Params  map[string]any `toml:"params,omitempty"`
}

// unconverted are Hugo's own front matter keys that have no cohort equivalent, with
// what an author should know.
var unconverted = map[string]string{
	"lastmod":        "cohort has no last-modified date",
	"expirydate":     "cohort pages do not expire",
	"layout":         "cohort picks the layout by the page's kind",
	"type":           "cohort picks the layout by the page's kind",
	"outputs":        "cohort has one output per page",
	"menu":           "cohort's navigation is the course outline",
	"markup":         "cohort reads Markdown only",
	"cascade":        "cohort does not cascade front matter to sub-pages",
	"build":          "cohort has no build options per page",
	"resources":      "page resources are copied, without their metadata",
	"headless":       "cohort has no headless pages",
	"translationkey": "cohort courses have one language",
	"sitemap":        "cohort writes the sitemap itself",
	"linktitle":      "cohort shows the title everywhere",
	"keywords":       "cohort has no keywords (use tags)",
	"series":         "cohort has one taxonomy, tags",
	"images":         "cohort has one OpenGraph image per course (og_image)",
	"url":            "the page moved to the course's URL; its Hugo URL is kept as an alias",
	"slug":           "the page moved to the course's URL; its Hugo URL is kept as an alias",
	"iscjklanguage":  "cohort counts words the same for every language",
	"toc":            "cohort shows a table of contents when a lesson has two headings or more",
}

// pageURL is the URL Hugo gives p, from its place, slug and url.
func (im *importer) pageURL(p *page) string {
	u := im.oldURL(p.rel)
	data, err := fs.ReadFile(im.src, p.file)
	if err != nil {
		return u
	}
	rf, err := splitFront(data)
	if err != nil {
		return u
	}
	if s, ok := rf.values["url"].(string); ok && s != "" {
		return "/" + strings.Trim(s, "/") + "/"
	}
	if s, ok := rf.values["slug"].(string); ok && s != "" {
		return path.Dir(strings.TrimSuffix(u, "/")) + "/" + s + "/"
	}
	return u
}

// newURL is the root-relative URL cohort gives a content path.
func newURL(rel string) string {
	rel = strings.TrimSuffix(strings.TrimSuffix(rel, ".md"), "_index")
	rel = strings.TrimSuffix(rel, "/")
	if rel == "" {
		return "/"
	}
	return "/" + rel + "/"
}

// frontMatter maps a Hugo page's front matter to cohort's, with warnings for the
// keys it cannot map.
func (im *importer) frontMatter(p *page, rf rawFront) (frontMatter, error) {
	var fm frontMatter
	params := map[string]any{}
	keys := slices.Sorted(maps.Keys(rf.values))
	for _, key := range keys {
		v := rf.values[key]
		line := rf.keyLine(key)
		bad := func(want string) {
			im.warn(p.file, line, "%s: want %s, not %v; moved to params", key, want, v)
			params[key] = v
		}
		switch k := strings.ToLower(key); k {
		case "title":
			if s, ok := v.(string); ok {
				fm.Title = s
			} else {
				bad("text")
			}
		case "weight":
			if n, ok := number(v); ok {
				fm.Weight = n
			} else {
				bad("a whole number")
			}
		case "date":
			if t, ok := date(v); ok {
				fm.Date = t
			} else {
				bad("a date")
			}
		case "publishdate", "pubdate":
			t, ok := date(v)
			if !ok {
				bad("a date")
				continue
			}
			// A future publishDate hides a page in Hugo until then: in a course that
			// is the lesson's opening, for every cohort (in the cohort's time zone).
			p.opens = t
			fm.Opens = t.Format("2006-01-02T15:04")
			if t.Hour() == 0 && t.Minute() == 0 {
				fm.Opens = t.Format("2006-01-02")
			}
			if _, off := t.Zone(); off != 0 {
				im.warn(p.file, line, "%s: its time zone is dropped; opens is read in each cohort's time zone", key)
			}
		case "draft":
			if b, ok := v.(bool); ok {
				fm.Draft = b
			} else {
				bad("true or false")
			}
		case "summary", "description":
			s, ok := v.(string)
			if !ok {
				bad("text")
				continue
			}
			if fm.Summary == "" || k == "summary" {
				if fm.Summary != "" {
					params["description"] = fm.Summary
				}
				fm.Summary = s
			} else {
				params[key] = s
			}
		case "tags", "categories":
			list, ok := strings_(v)
			if !ok {
				bad("a list of text")
				continue
			}
			for _, t := range list {
				if !slices.Contains(fm.Tags, t) {
					fm.Tags = append(fm.Tags, t)
				}
			}
		case "aliases":
			list, ok := strings_(v)
			if !ok {
				bad("a list of text")
				continue
			}
			for _, a := range list {
				if !strings.HasPrefix(a, "/") { // relative to the page's section, as Hugo reads it
					a = path.Join(path.Dir(strings.TrimSuffix(p.url, "/")), a)
				}
				fm.Aliases = append(fm.Aliases, a)
			}
		case "params":
			m, ok := v.(map[string]any)
			if !ok {
				bad("a table of keys")
				continue
			}
			maps.Copy(params, m)
		default:
			if why, ok := unconverted[k]; ok {
				if k != "url" && k != "slug" || p.url != newURL(p.newRel) {
					im.warn(p.file, line, "%s not converted: %s", key, why)
				}
				continue
			}
			params[key] = v // a page param in Hugo too
		}
	}
	if u := newURL(p.newRel); p.url != u && p.file != im.contentRoot()+"/_index.md" {
		fm.Aliases = append(fm.Aliases, p.url) // old links and bookmarks keep working
	}
	if len(params) > 0 {
		fm.Params = params
	}
	return fm, nil
}

// encodeFront writes fm as TOML front matter between +++ lines.
func encodeFront(fm frontMatter) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("+++\n")
	if err := toml.NewEncoder(&b).Encode(fm); err != nil {
		return nil, err
	}
	b.WriteString("+++\n")
	return b.Bytes(), nil
}

func number(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case uint64:
		return int(n), true
	case float64:
		return int(n), n == float64(int(n))
	}
	return 0, false
}

// date reads a date as TOML and YAML decode it, or as text in JSON.
func date(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case string:
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
			if d, err := time.Parse(layout, t); err == nil {
				return d, true
			}
		}
	}
	return time.Time{}, false
}

// strings_ reads a list of text (or one text, as Hugo also accepts).
func strings_(v any) ([]string, bool) {
	switch l := v.(type) {
	case string:
		return []string{l}, true
	case []string:
		return l, true
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}
