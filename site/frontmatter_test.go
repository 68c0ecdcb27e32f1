package site

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFrontMatter(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		title    string
		body     string
		bodyLine int
		err      string
	}{
		{"plain", "+++\ntitle = \"A\"\n+++\nBody\n", "A", "Body\n", 4, ""},
		{"no front matter", "# Just Markdown\n", "", "# Just Markdown\n", 1, ""},
		{"CRLF line ends", "+++\r\ntitle = \"A\"\r\n+++\r\nBody\r\n", "A", "Body\r\n", 4, ""},
		{"byte order mark", "\ufeff+++\ntitle = \"A\"\n+++\n", "A", "", 4, ""},
		{"empty front matter", "+++\n+++\ntext", "", "text", 3, ""},
		{"fence with trailing spaces", "+++  \ntitle = \"A\"\n+++ \nB", "A", "B", 4, ""},
		{"plus signs in the body", "+++\ntitle = \"A\"\n+++\n+++ not a fence\n", "A", "+++ not a fence\n", 4, ""},
		{"unclosed", "+++\ntitle = \"A\"\n", "", "", 0, "f.md:1:1: front matter opened with +++ is never closed"},
		{"syntax error has the file's line", "+++\ntitle = \"A\"\n\nweight = ]\n+++\n", "", "", 0, "f.md:4:"},
		{"wrong type", "+++\nweight = \"ten\"\n+++\n", "", "", 0, "f.md:2"},
		{"unknown key", "+++\ntitle = \"A\"\nsumary = \"x\"\n+++\n", "", "", 0, `f.md:3:1: unknown front matter key "sumary"`},
		{"unknown key in a table", "+++\ntitle = \"A\"\n[extra]\nx = 1\n+++\n", "", "", 0, `f.md:3:1: unknown front matter key "extra`},

		{"YAML plain", "---\ntitle: A\n---\nBody\n", "A", "Body\n", 4, ""},
		{"YAML CRLF line ends", "---\r\ntitle: A\r\nweight: 2\r\n---\r\nBody\r\n", "A", "Body\r\n", 5, ""},
		{"YAML byte order mark", "\ufeff---\ntitle: \"A\"\n---\n", "A", "", 4, ""},
		{"YAML empty", "---\n---\ntext", "", "text", 3, ""},
		{"YAML only a comment", "---\n# nothing yet\n---\ntext", "", "text", 4, ""},
		{"YAML horizontal rule in the body", "---\ntitle: A\n---\nx\n\n---\n", "A", "x\n\n---\n", 4, ""},
		{"YAML unclosed", "---\ntitle: A\n", "", "", 0, "f.md:1:1: front matter opened with --- is never closed"},
		{"YAML syntax error has the file's line", "---\ntitle: A\ntags: [a, b\n---\n", "", "", 0, "f.md:"},
		{"YAML wrong type", "---\ntitle: A\nweight: ten\n---\n", "", "", 0, `f.md:3:9: weight: want a whole number, not "ten"`},
		{"YAML list where text belongs", "---\ntitle:\n  - a\n---\n", "", "", 0, `f.md:3:3: title: want text, not a list`},
		{"YAML unknown key", "---\ntitle: A\n  \nsumary: x\n---\n", "", "", 0, `f.md:4:1: unknown front matter key "sumary"`},
		{"YAML not a mapping", "---\n- a\n---\n", "", "", 0, "f.md:2:1: front matter must be keys with values"},
		{"YAML bad date", "---\ndate: soon\n---\n", "", "", 0, `f.md:2:7: date: "soon" is not a date`},

		{"JSON plain", "{\"title\": \"A\"}\nBody\n", "A", "Body\n", 2, ""},
		{"JSON over lines", "{\n  \"title\": \"A\",\n  \"weight\": 2\n}\n\nBody\n", "A", "\nBody\n", 5, ""},
		{"JSON CRLF line ends", "{\r\n\"title\": \"A\"\r\n}\r\nBody\r\n", "A", "Body\r\n", 4, ""},
		{"JSON byte order mark", "\ufeff{\"title\": \"A\"}\n", "A", "", 2, ""},
		{"JSON unclosed", "{\n\"title\": \"A\"\n", "", "", 0, "f.md:1:1: front matter opened with { is never closed"},
		{"JSON syntax error", "{\n\"title\": \"A\"\n\"weight\": 2}\n", "", "", 0, "f.md:3:1: front matter: invalid character"},
		{"JSON wrong type", "{\n  \"weight\": \"ten\"\n}\n", "", "", 0, `f.md:2:13: weight: want a whole number, not "ten"`},
		{"JSON unknown key", "{\n  \"title\": \"A\",\n  \"sumary\": \"x\"\n}\n", "", "", 0, `f.md:3:3: unknown front matter key "sumary"`},
		{"a shortcode on the first line is not JSON", "{{< youtube x >}}\n", "", "{{< youtube x >}}\n", 1, ""},
		{"JSON text after the brace", "{\"title\": \"A\"} Body\n", "", "", 0, "f.md:1:15: the body starts on the line after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fm, body, line, err := ParseFrontMatter("f.md", []byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Errorf("error is %T, want *site.Error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fm.Title != tt.title || string(body) != tt.body || line != tt.bodyLine {
				t.Errorf("got title %q body %q line %d; want %q %q %d", fm.Title, body, line, tt.title, tt.body, tt.bodyLine)
			}
		})
	}
}

// TestFrontMatterFormatsAgree: the same keys written in TOML, YAML and JSON fill the
// same struct, dates and free-form params included.
func TestFrontMatterFormatsAgree(t *testing.T) {
	inputs := map[string]string{
		"TOML": `+++
title = "Prompts"
id = "prompts"
weight = 3
date = 2026-01-31
summary = "How to ask"
draft = true
tags = ["a", "b"]
objectives = ["Ask well"]
discussion = "What worked?"
video = "https://youtu.be/dQw4w9WgXcQ"
duration = "25m"
opens = "+1w"
aliases = ["/old/"]
[params]
level = "intro"
nested = { n = 2 }
+++
`,
		"YAML": `---
title: Prompts
id: prompts
weight: 3
date: 2026-01-31
summary: How to ask
draft: true
tags: [a, b]
objectives:
  - Ask well
discussion: "What worked?"
video: https://youtu.be/dQw4w9WgXcQ
duration: 25m
opens: "+1w"
aliases: [/old/]
params:
  level: intro
  nested:
    n: 2
---
`,
		"JSON": `{
  "title": "Prompts", "id": "prompts", "weight": 3, "date": "2026-01-31",
  "summary": "How to ask", "draft": true, "tags": ["a", "b"], "objectives": ["Ask well"],
  "discussion": "What worked?", "video": "https://youtu.be/dQw4w9WgXcQ", "duration": "25m",
  "opens": "+1w", "aliases": ["/old/"],
  "params": {"level": "intro", "nested": {"n": 2}}
}
`,
	}
	got := map[string]FrontMatter{}
	for name, in := range inputs {
		fm, _, _, err := ParseFrontMatter("f.md", []byte(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// Numbers inside params keep their format's own type (int64, int, float64).
		if n, ok := fm.Params["nested"].(map[string]any); ok {
			n["n"] = fmt.Sprint(n["n"])
		}
		got[name] = fm
	}
	for _, name := range []string{"YAML", "JSON"} {
		if !reflect.DeepEqual(got[name], got["TOML"]) {
			t.Errorf("%s gives\n%+v\nTOML gives\n%+v", name, got[name], got["TOML"])
		}
	}
	if !got["TOML"].Date.Equal(got["YAML"].Date) || got["TOML"].Date.Format(time.DateOnly) != "2026-01-31" {
		t.Errorf("dates differ: TOML %v, YAML %v", got["TOML"].Date, got["YAML"].Date)
	}
}

// TestFrontMatterDates: a date written as text means the same moment as TOML's date.
func TestFrontMatterDates(t *testing.T) {
	for _, d := range []string{"2026-01-31", "2026-01-31T09:30:00", "2026-01-31T09:30:00Z", "2026-01-31T09:30:00+01:00", "2026-01-31 09:30:00Z"} {
		toml, _, _, err := ParseFrontMatter("f.md", []byte("+++\ndate = "+d+"\n+++\n"))
		if err != nil {
			t.Fatalf("TOML %s: %v", d, err)
		}
		yaml, _, _, err := ParseFrontMatter("f.md", []byte("---\ndate: "+d+"\n---\n"))
		if err != nil {
			t.Fatalf("YAML %s: %v", d, err)
		}
		json, _, _, err := ParseFrontMatter("f.md", []byte(`{"date": "`+d+`"}`))
		if err != nil {
			t.Fatalf("JSON %s: %v", d, err)
		}
		if !yaml.Date.Equal(toml.Date) || !json.Date.Equal(toml.Date) {
			t.Errorf("%s: TOML %v, YAML %v, JSON %v", d, toml.Date, yaml.Date, json.Date)
		}
	}
}

// FuzzFrontMatter: parsing never panics, in any of the three formats; on success the
// body is the end of the input and starts at the line reported; on failure the error
// says where, on a line of the file.
func FuzzFrontMatter(f *testing.F) {
	f.Add([]byte("+++\ntitle = \"A\"\nweight = 3\ntags = [\"a\", \"b\"]\n+++\nBody\n"))
	f.Add([]byte("+++\ntitle = \"A\n+++\n"))
	f.Add([]byte("+++\r\n[x]\r\n+++\r\n"))
	f.Add([]byte("no front matter"))
	f.Add([]byte("+++\ndate = 2026-01-02T03:04:05Z\nobjectives = ['''a''']\n+++\n"))
	f.Add([]byte("---\ntitle: A\nweight: 3\ntags: [a, b]\nparams:\n  x: &a [1]\n  y: *a\n---\nBody\n"))
	f.Add([]byte("---\r\ndate: 2026-01-02\r\nweight: x\r\n---\r\n"))
	f.Add([]byte("---\ntitle: \"A\n---\n"))
	f.Add([]byte("{\"title\": \"A\", \"weight\": 3, \"tags\": [\"a\"], \"params\": {\"x\": null}}\nBody\n"))
	f.Add([]byte("{\r\n\"date\": \"2026-01-02\",\r\n\"nope\": 1}\r\n"))
	f.Add([]byte("{\"title\": "))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, body, line, err := ParseFrontMatter("f.md", data)
		lines := bytes.Count(data, []byte("\n")) + 1
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not a *site.Error: %v", err, err)
			}
			if e.File != "f.md" || e.Line < 1 || e.Line > lines || e.Col < 0 {
				t.Fatalf("error at line %d of a %d-line file: %v", e.Line, lines, err)
			}
			return
		}
		if !bytes.HasSuffix(data, body) {
			t.Fatalf("body is not the end of the input")
		}
		if line < 1 || line > lines+1 {
			t.Fatalf("body line %d of a %d-line file", line, lines)
		}
		if len(body) > 0 {
			before := data[:len(data)-len(body)]
			if got := bytes.Count(before, []byte("\n")) + 1; got != line && !bytes.HasPrefix(data, []byte("\ufeff")) {
				t.Fatalf("body starts on line %d, reported %d", got, line)
			}
		}
	})
}

// TestCountWordsSkipsShortcodes: a line that is only a shortcode tag is not prose,
// so it adds nothing to the reading time; the text between tags does.
func TestCountWordsSkipsShortcodes(t *testing.T) {
	tests := []struct {
		body string
		want int
	}{
		{"One two three.\n", 3},
		{"{{< youtube dQw4w9WgXcQ >}}\nOne two.\n", 2},
		{"{{% notice tip \"A title\" %}}\r\nOne two three.\r\n{{% /notice %}}\r\n", 3},
		{"Say {{< param venue >}} now.\n", 6}, // inside a sentence: counted as written, tag and all
	}
	for _, tt := range tests {
		if got := countWords([]byte(tt.body)); got != tt.want {
			t.Errorf("countWords(%q) = %d, want %d", tt.body, got, tt.want)
		}
	}
}
