package hugoimport

// The Hugo site's configuration → course.toml. Key names follow Hugo's documentation
// of its configuration (gohugoio/hugo docs content/en/configuration/all.md): keys are
// case-insensitive there, so they are compared in lower case here.

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

// configNames are the files Hugo reads its configuration from, in Hugo's order,
// then the same names in the configuration folder config/_default/.
var configNames = func() []string {
	names := []string{"hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml", "config.json"}
	for _, n := range names[:8] {
		names = append(names, "config/_default/"+n)
	}
	return names
}()

// hugoConfig is the Hugo configuration as read.
type hugoConfig struct {
	file   string
	values map[string]any
	data   []byte
}

// courseConfig is course.toml as the import writes it.
type courseConfig struct {
	Title       string         `toml:"title"`
	Description string         `toml:"description,omitempty"`
	Language    string         `toml:"language"`
	BaseURL     string         `toml:"base_url"`
	Author      string         `toml:"author,omitempty"`
	Params      map[string]any `toml:"params,omitempty"`
}

// ignoredConfig are Hugo settings a course does without; they are not reported.
var ignoredConfig = map[string]bool{
	"theme": true, "enablerobotstxt": true, "enablegitinfo": true, "canonifyurls": true,
	"relativeurls": true, "pygmentsusecssclasses": true, "pygmentscodefences": true,
	"disablekinds": true, "summarylength": true, "enableemoji": true, "publishdir": true,
	"buildfuture": true, "builddrafts": true, "module": true, "outputs": true,
}

// config reads the Hugo site's configuration file.
func (im *importer) config() (*hugoConfig, error) {
	for _, name := range configNames {
		data, err := fs.ReadFile(im.src, name)
		if err != nil {
			continue
		}
		c := &hugoConfig{file: name, values: map[string]any{}, data: data}
		switch {
		case strings.HasSuffix(name, ".toml"):
			err = toml.Unmarshal(data, &c.values)
		case strings.HasSuffix(name, ".json"):
			err = json.Unmarshal(data, &c.values)
		default:
			err = yaml.Unmarshal(data, &c.values)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if t, ok := lower(c.values)["theme"].(string); ok {
			im.theme = t
		}
		if strings.HasPrefix(name, "config/_default/") {
			im.configFolder(c)
		}
		return c, nil
	}
	im.warn(".", 0, "no hugo.toml or config.toml (nor .yaml, .json): course.toml has defaults to fill in")
	return &hugoConfig{file: "hugo.toml", values: map[string]any{}}, nil
}

// configFolder reads config/_default/params.* into the configuration's params, as
// Hugo does, and lists the folder's other files (menus, languages, markup) as not
// converted.
func (im *importer) configFolder(c *hugoConfig) {
	entries, _ := fs.ReadDir(im.src, "config/_default")
	for _, e := range entries {
		name := "config/_default/" + e.Name()
		if name == c.file || e.IsDir() {
			continue
		}
		stem := strings.TrimSuffix(e.Name(), path.Ext(e.Name()))
		if stem != "params" {
			im.warn(name, 0, "not converted: course.toml has no %s", stem)
			continue
		}
		data, err := fs.ReadFile(im.src, name)
		params := map[string]any{}
		switch {
		case err != nil:
		case strings.HasSuffix(name, ".toml"):
			err = toml.Unmarshal(data, &params)
		case strings.HasSuffix(name, ".json"):
			err = json.Unmarshal(data, &params)
		default:
			err = yaml.Unmarshal(data, &params)
		}
		if err != nil {
			im.warn(name, 0, "not converted: %v", err)
			continue
		}
		merged, _ := c.values["params"].(map[string]any)
		if merged == nil {
			merged = map[string]any{}
		}
		maps.Copy(merged, params)
		c.values["params"] = merged
	}
}

// writeConfig writes course.toml from the Hugo configuration, with a cohort when
// pages have opening dates (opens means nothing without one).
func (im *importer) writeConfig(hc *hugoConfig) error {
	cc := courseConfig{Language: "en"}
	params := map[string]any{}
	rf := rawFront{block: hc.data, line: 1}
	values := lower(hc.values)
	for _, key := range slices.Sorted(maps.Keys(values)) {
		v := values[key]
		line := rf.keyLine(originalKey(hc.values, key))
		switch key {
		case "title":
			cc.Title, _ = v.(string)
		case "baseurl":
			cc.BaseURL, _ = v.(string)
		case "languagecode", "defaultcontentlanguage":
			s, _ := v.(string)
			lang := strings.ToLower(s)
			if i := strings.IndexAny(lang, "-_"); i >= 0 {
				lang = lang[:i]
			}
			if lang != "en" && lang != "nl" {
				im.warn(hc.file, line, "%s %q: cohort's theme speaks en and nl; language set to en", key, s)
				continue
			}
			cc.Language = lang
		case "params":
			m, ok := v.(map[string]any)
			if !ok {
				im.warn(hc.file, line, "params is not a table; not converted")
				continue
			}
			for k, pv := range m {
				switch s, _ := pv.(string); strings.ToLower(k) {
				case "description":
					cc.Description = s
				case "author":
					cc.Author = s
				default:
					params[k] = pv
				}
			}
		case "author":
			switch a := v.(type) {
			case string:
				cc.Author = a
			case map[string]any:
				cc.Author, _ = lower(a)["name"].(string)
			}
		case "copyright":
			params["copyright"] = v
		default:
			if !ignoredConfig[key] {
				im.warn(hc.file, line, "%s not converted: course.toml has no such setting", originalKey(hc.values, key))
			}
		}
	}
	if cc.Title == "" {
		cc.Title = "Imported course"
		im.warn(hc.file, 0, "no title: course.toml says %q", cc.Title)
	}
	if !strings.HasPrefix(cc.BaseURL, "http://") && !strings.HasPrefix(cc.BaseURL, "https://") {
		im.warn(hc.file, 0, "baseURL %q is not an absolute http(s) URL: course.toml says https://course.example.org/", cc.BaseURL)
		cc.BaseURL = "https://course.example.org/"
	}
	if len(params) > 0 {
		cc.Params = params
	}
	var b bytes.Buffer
	b.WriteString("# course.toml: made by cohort import hugo from " + hc.file + ".\n")
	if err := toml.NewEncoder(&b).Encode(cc); err != nil {
		return err
	}
	if first, ok := im.firstOpening(); ok {
		// Written by hand: a cohort starts on a day, and TOML has local dates.
		fmt.Fprintf(&b, "\n# Pages had publish dates, which became their opening dates: they need a cohort.\n"+
			"[[cohorts]]\nid = \"first\"\nname = \"First cohort\"\nstart = %s\n", first.Format("2006-01-02"))
	}
	return im.write("course.toml", b.Bytes())
}

// firstOpening is the day of the earliest opens the pages were given.
func (im *importer) firstOpening() (time.Time, bool) {
	var first time.Time
	for _, p := range im.pages {
		if p.opens.IsZero() {
			continue
		}
		if first.IsZero() || p.opens.Before(first) {
			first = p.opens
		}
	}
	return first, !first.IsZero()
}

// lower returns m with its keys in lower case, as Hugo compares them.
func lower(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// originalKey returns the key of m as written that matches lower-case k.
func originalKey(m map[string]any, k string) string {
	for key := range m {
		if strings.ToLower(key) == k {
			return key
		}
	}
	return k
}
