package markdown

import (
	"flag"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected HTML in testdata/*.txt with what Render gives, and highlight.css with what chroma gives")

// Case files follow goldmark's extension/_test/*.txt: each case is a name line,
// optional "key: value" option lines (lang, unsafe, labels as key=value,…), then the
// Markdown and the expected HTML, each opened by caseSep, and the case closed by caseEnd.
const (
	caseSep = "//- - - - - - - - -//"
	caseEnd = "//= = = = = = = = = = = = = = = = = = = = = = = =//"
)

type testCase struct {
	name    string
	options []string // the option lines, as written
	input   string
	want    string
}

func parseCaseFile(t *testing.T, data string) []testCase {
	t.Helper()
	var cases []testCase
	for chunk := range strings.SplitSeq(data, caseEnd+"\n") {
		if strings.TrimSpace(chunk) == "" {
			continue
		}
		parts := strings.Split(chunk, caseSep+"\n")
		if len(parts) != 3 {
			t.Fatalf("case %q: want a header, %s, Markdown, %s, HTML", firstLine(chunk), caseSep, caseSep)
		}
		head := strings.Split(strings.TrimSpace(parts[0]), "\n")
		cases = append(cases, testCase{name: head[0], options: head[1:], input: parts[1], want: parts[2]})
	}
	return cases
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// caseEnv is the page a case renders for with "env: page": two lessons to refer to
// and a param.
var caseEnv = Env{
	Ref: func(target string, absolute bool) (string, error) {
		urls := map[string]string{"intro.md": "/course/intro/", "week-1/prompts.md": "/course/week-1/prompts/"}
		u, ok := urls[target]
		if !ok {
			return "", fmt.Errorf("no page content/%s", target)
		}
		if absolute {
			u = "https://example.org" + u
		}
		return u, nil
	},
	Param: func(key string) (any, bool) {
		v, ok := map[string]any{"level": "intro", "minutes": 25}[key]
		return v, ok
	},
	Resolve: func(dest string) (string, error) {
		if strings.Contains(dest, "missing") {
			return "", fmt.Errorf("no file %s", dest)
		}
		return dest, nil
	},
}

// echoShortcode is the caller's shortcode of the "shortcodes: echo" option: it shows
// what it was given.
func echoShortcode(c *ShortcodeCall) (string, error) {
	if c.Get("fail") != "" {
		return "", fmt.Errorf("asked to fail")
	}
	return fmt.Sprintf("<div class=\"echo\" data-args=\"%s\" data-first=\"%s\" data-paired=\"%t\">%s</div>",
		template.HTMLEscapeString(strings.Join(c.Args, "|")), template.HTMLEscapeString(c.Get("0")), c.Paired, c.Inner), nil
}

// caseOptions turns option lines into Options.
func caseOptions(t *testing.T, lines []string) (Options, Env) {
	t.Helper()
	var o Options
	var env Env
	for _, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("option line %q: want key: value", l)
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "lang":
			o.Lang = v
		case "unsafe":
			o.Unsafe = v == "true"
		case "env":
			env = caseEnv
		case "shortcodes":
			o.Shortcodes = map[string]Shortcode{}
			for name := range strings.SplitSeq(v, ",") {
				o.Shortcodes[strings.TrimSpace(name)] = echoShortcode
			}
		case "labels":
			o.Labels = map[string]string{}
			for kv := range strings.SplitSeq(v, ",") {
				lk, lv, _ := strings.Cut(kv, "=")
				o.Labels[strings.TrimSpace(lk)] = strings.TrimSpace(lv)
			}
		default:
			t.Fatalf("unknown option %q", k)
		}
	}
	return o, env
}

func writeCaseFile(cases []testCase) string {
	var b strings.Builder
	for i, c := range cases {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(c.name + "\n")
		for _, o := range c.options {
			b.WriteString(o + "\n")
		}
		b.WriteString(caseSep + "\n" + c.input + caseSep + "\n" + c.want)
		if !strings.HasSuffix(c.want, "\n") {
			b.WriteString("\n")
		}
		b.WriteString(caseEnd + "\n")
	}
	return b.String()
}

// TestCaseFiles renders every case in testdata/*.txt and compares the HTML; with
// -update it writes what Render gives back into the files instead.
func TestCaseFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no case files: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cases := parseCaseFile(t, string(data))
			for i, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					o, env := caseOptions(t, c.options)
					res, err := New(o).RenderPage([]byte(c.input), env)
					got := string(res.HTML)
					if err != nil {
						// A case may expect an error: it is written after the HTML.
						got += "error: " + err.Error() + "\n"
					}
					if *update {
						cases[i].want = got
						return
					}
					if strings.TrimSuffix(got, "\n") != strings.TrimSuffix(c.want, "\n") {
						t.Errorf("%s: %s\nMarkdown:\n%s\ngot:\n%s\nwant:\n%s", file, c.name, c.input, got, c.want)
					}
				})
			}
			if *update {
				if err := os.WriteFile(file, []byte(writeCaseFile(cases)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
