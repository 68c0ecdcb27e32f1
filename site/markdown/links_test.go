package markdown

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

// lessonResolver maps "other.md" to "../other/" and refuses "missing.md", as the site's
// resolver does for lessons.
func lessonResolver(calls *[]string) Resolver {
	return func(dest string) (string, error) {
		if calls != nil {
			*calls = append(*calls, dest)
		}
		switch {
		case strings.HasPrefix(dest, "missing"):
			return "", fs.ErrNotExist
		case strings.HasSuffix(dest, ".md"):
			return "../" + strings.TrimSuffix(dest, ".md") + "/", nil
		}
		return dest, nil
	}
}

func TestResolveLinks(t *testing.T) {
	r := New(Options{})
	tests := []struct {
		name      string
		src       string
		wantHTML  string   // a fragment of the output
		wantCalls []string // destinations given to the resolver, in order
	}{
		{"inline link is rewritten", "[next](next.md)\n", `<a href="../next/">next</a>`, []string{"next.md"}},
		{"image is rewritten", "![chart](chart.png)\n", `<img src="chart.png" alt="chart" loading="lazy" decoding="async">`, []string{"chart.png"}},
		{"reference link is rewritten", "[next][n]\n\n[n]: next.md\n", `<a href="../next/">next</a>`, []string{"next.md"}},
		{"link title is kept", "[next](next.md \"Next lesson\")\n", `<a href="../next/" title="Next lesson">next</a>`, []string{"next.md"}},
		{"fragment reaches the resolver", "[see](#goals)\n", `<a href="#goals">see</a>`, []string{"#goals"}},
		{"bare autolinks are left alone", "https://example.org and <https://example.net>\n", `<a href="https://example.org">`, nil},
		{"video links are embeds, not links", "https://youtu.be/dQw4w9WgXcQ\n", `<figure class="video`, nil},
		{"links in callouts, tables and footnotes, in document order",
			"> [!NOTE] See [a](a.md)\n> and [b](b.md)\n\n| x |\n|---|\n| [c](c.md) |\n\nNote.[^1]\n\n[^1]: [d](d.md)\n\n[e](e.md)\n",
			`<a href="../a/">a</a>`, []string{"a.md", "b.md", "c.md", "d.md", "e.md"}},
		{"resolved URL is escaped", "[x](x.md)\n", `href="../x/"`, []string{"x.md"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			res, err := r.Render([]byte(tt.src), lessonResolver(&calls))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if !strings.Contains(string(res.HTML), tt.wantHTML) {
				t.Errorf("HTML lacks %s:\n%s", tt.wantHTML, res.HTML)
			}
			if !slices.Equal(calls, tt.wantCalls) {
				t.Errorf("resolver calls = %q, want %q", calls, tt.wantCalls)
			}
		})
	}
}

func TestResolverResultIsEscaped(t *testing.T) {
	res, err := New(Options{}).Render([]byte("[x](x.md)\n"), func(string) (string, error) {
		return `"><script>alert(1)</script>`, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(res.HTML), "<script>") {
		t.Errorf("resolver output not escaped: %s", res.HTML)
	}
}

func TestLinkErrorLine(t *testing.T) {
	r := New(Options{})
	tests := []struct {
		name string
		src  string
		line int
	}{
		{"first line", "[gone](missing.md)\n", 1},
		{"later paragraph", "# Title\n\nIntro.\n\nSee [gone](missing.md).\n", 5},
		{"second line of a paragraph", "Some text\nand [gone](missing.md)\n", 2},
		{"empty link text after a line break", "Some text\n[](missing.md)\n", 2},
		{"empty link text alone", "Intro.\n\n[](missing.md)\n", 3},
		{"image", "Intro.\n\n![a chart](missing.png)\n", 3},
		{"in a list item", "- one\n- two\n- [gone](missing.md)\n", 3},
		{"in a callout", "> [!NOTE]\n> Read\n> [gone](missing.md)\n", 3},
		{"in a callout title", "> [!NOTE] See [gone](missing.md)\n> body\n", 1},
		{"in a table cell", "| a |\n|---|\n| x |\n| [gone](missing.md) |\n", 4},
		{"in a heading", "Intro\n\n## See [gone](missing.md)\n", 3},
		{"in a footnote", "Text.[^1]\n\n[^1]: [gone](missing.md)\n", 3},
		{"reference link reports its use", "Intro\n\n[gone][g]\n\n[g]: missing.md\n", 3},
		{"first broken link wins", "[ok](a.md)\n\n[one](missing1.md)\n\n[two](missing2.md)\n", 3},
		{"after a code block", "```\n[not](missing.md)\n```\n\n[gone](missing.md)\n", 5},
		{"windows line ends", "a\r\n\r\n[gone](missing.md)\r\n", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Render([]byte(tt.src), lessonResolver(nil))
			var le *LinkError
			if !errors.As(err, &le) {
				t.Fatalf("Render error = %v, want a *LinkError", err)
			}
			if le.Line != tt.line {
				t.Errorf("Line = %d, want %d (%v)", le.Line, tt.line, le)
			}
			if !strings.HasPrefix(le.Dest, "missing") {
				t.Errorf("Dest = %q", le.Dest)
			}
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %v does not wrap the resolver's error", err)
			}
			if len(res.HTML) == 0 {
				t.Error("a broken link lost the rest of the page")
			}
		})
	}
}

func TestLinkErrorMessage(t *testing.T) {
	e := &LinkError{Line: 7, Dest: "missing.md", Err: fs.ErrNotExist}
	if got, want := e.Error(), `line 7: link "missing.md": file does not exist`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestNilResolverLeavesLinks(t *testing.T) {
	res, err := New(Options{}).Render([]byte("[a](a.md) ![b](b.png)\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<p><a href="a.md">a</a> <img src="b.png" alt="b" loading="lazy" decoding="async"></p>`; strings.TrimSpace(string(res.HTML)) != want {
		t.Errorf("HTML = %s, want %s", res.HTML, want)
	}
}
