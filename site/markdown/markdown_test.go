package markdown

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func render(t *testing.T, o Options, src string) Result {
	t.Helper()
	res, err := New(o).Render([]byte(src), nil)
	if err != nil {
		t.Fatalf("Render(%q): %v", src, err)
	}
	return res
}

func TestCallouts(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		class string // class of the aside; "" when it must stay a blockquote
		title string // text of the title paragraph
	}{
		{"note", "> [!NOTE]\n> x\n", "callout callout-note", "Note"},
		{"tip", "> [!TIP]\n> x\n", "callout callout-tip", "Tip"},
		{"important", "> [!IMPORTANT]\n> x\n", "callout callout-important", "Important"},
		{"warning", "> [!WARNING]\n> x\n", "callout callout-warning", "Warning"},
		{"caution", "> [!CAUTION]\n> x\n", "callout callout-caution", "Caution"},
		{"lower case marker", "> [!warning]\n> x\n", "callout callout-warning", "Warning"},
		{"mixed case marker", "> [!Tip]\n> x\n", "callout callout-tip", "Tip"},
		{"marker after indentation in the quote", ">   [!NOTE]\n> x\n", "callout callout-note", "Note"},
		{"trailing blanks after the marker", "> [!NOTE]   \n> x\n", "callout callout-note", "Note"},
		{"own title", "> [!TIP] Try this first\n> x\n", "callout callout-tip", "Try this first"},
		{"own title with markup", "> [!TIP] Try `go vet`\n> x\n", "callout callout-tip", "Try <code>go vet</code>"},
		{"own title with typography", "> [!NOTE] \"Quoted\"\n> x\n", "callout callout-note", "&ldquo;Quoted&rdquo;"},
		{"discussion prompt", "> [!DISCUSS]\n> x\n", "prompt", "Discuss"},
		{"unknown marker", "> [!HINT]\n> x\n", "", ""},
		{"empty marker", "> [!]\n> x\n", "", ""},
		{"marker without bang", "> [NOTE]\n> x\n", "", ""},
		{"marker glued to text", "> [!NOTE]: x\n", "", ""},
		{"marker later in the line", "> See [!NOTE]\n", "", ""},
		{"marker on the second line", "> Hello\n> [!NOTE]\n", "", ""},
		{"marker in bold", "> **[!NOTE]**\n> x\n", "", ""},
		{"escaped marker", "> \\[!NOTE]\n> x\n", "", ""},
		{"marker that is a reference link", "> [!note]\n> x\n\n[!note]: https://example.org\n", "", ""},
		{"marker in a heading", "> # [!NOTE]\n> x\n", "", ""},
		{"marker outside a blockquote", "[!NOTE]\nx\n", "", ""},
		{"plain blockquote", "> A quote.\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html := string(render(t, Options{}, tt.src).HTML)
			if tt.class == "" {
				if strings.Contains(html, "<aside") || !strings.Contains(html, "<blockquote") && strings.HasPrefix(tt.src, ">") {
					t.Errorf("want a blockquote, got:\n%s", html)
				}
				return
			}
			if !strings.HasPrefix(html, `<aside class="`+tt.class+`"`) {
				t.Errorf("want <aside class=%q>, got:\n%s", tt.class, html)
			}
			titleClass := "callout-title"
			if tt.class == "prompt" {
				titleClass = "prompt-title"
			}
			if want := `<p class="` + titleClass + `">` + tt.title + "</p>"; !strings.Contains(html, want) {
				t.Errorf("want title %s, got:\n%s", want, html)
			}
			if strings.Contains(html, "[!") || strings.Contains(html, "blockquote") {
				t.Errorf("marker or blockquote left in:\n%s", html)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want []string
	}{
		{"English by default", Options{}, []string{">Note<", ">Discuss<", ">Join the discussion<", "Play video", "watch on"}},
		{"Dutch", Options{Lang: "nl"}, []string{">Opmerking<", ">Bespreek<", ">Doe mee aan de discussie<", "Video afspelen", "bekijk op"}},
		{"Dutch by region", Options{Lang: "nl-BE"}, []string{">Opmerking<"}},
		{"unknown language falls back to English", Options{Lang: "fy"}, []string{">Note<", ">Discuss<"}},
		{"theme labels win", Options{Lang: "nl", Labels: map[string]string{"callout_note": "NB", "video_play": "Kijk"}}, []string{">NB<", ">Bespreek<", "Kijk"}},
		{"empty theme label is ignored", Options{Labels: map[string]string{"callout_note": ""}}, []string{">Note<"}},
	}
	src := "> [!NOTE]\n> a\n\n> [!DISCUSS]\n> b\n\nhttps://youtu.be/dQw4w9WgXcQ\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html := string(render(t, tt.o, src).HTML)
			for _, w := range tt.want {
				if !strings.Contains(html, w) {
					t.Errorf("HTML lacks %q:\n%s", w, html)
				}
			}
		})
	}
}

func TestHeadingIDs(t *testing.T) {
	tests := []struct {
		name string
		src  string
		ids  []string // every heading's id, in order
	}{
		{"repeated headings get suffixes", "## A\n\n## A\n\n### A\n", []string{"a", "a-1", "a-2"}},
		{"a heading that looks like a suffix stays unique", "## A 1\n\n## A\n\n## A\n", []string{"a-1", "a", "a-2"}},
		{"the theme's discussion anchor is reserved", "## Discussion\n", []string{"discussion-1"}},
		{"letters of any script are kept", "## Één vraag\n\n## Ça va\n\n## 日本語\n", []string{"één-vraag", "ça-va", "日本語"}},
		{"link destinations and tags are left out", "## See [the API](https://x.org/a?b=c) <em>now</em>\n", []string{"see-the-api-now"}},
		{"punctuation is dropped", "## What's new? (2024)\n", []string{"whats-new-2024"}},
		{"no leading or trailing dashes", "## — Intro —\n", []string{"intro"}},
		{"a heading with no letters", "## ???\n\n## ...\n", []string{"heading", "heading-1"}},
		{"setext headings too", "Title\n=====\n\nSub\n---\n", []string{"title", "sub"}},
		{"ids are per document, from scratch", "## A\n", []string{"a"}},
	}
	r := New(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Render([]byte(tt.src), nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, part := range strings.Split(string(res.HTML), ` id="`)[1:] {
				id, _, _ := strings.Cut(part, `"`)
				got = append(got, id)
			}
			if !slices.Equal(got, tt.ids) {
				t.Errorf("ids = %q, want %q\n%s", got, tt.ids, res.HTML)
			}
		})
	}
}

func TestTOC(t *testing.T) {
	src := "# Lesson\n\n## Goals\n\nText.\n\n### Why *this* matters\n\n#### Too deep\n\n## Goals\n\n## `code` & \"quotes\"\n"
	got := render(t, Options{}, src).TOC
	want := []Heading{
		{2, "goals", "Goals"},
		{3, "why-this-matters", "Why this matters"},
		{2, "goals-1", "Goals"},
		{2, "code--quotes", "code & “quotes”"}, // like GitHub: one dash per blank
	}
	if !slices.Equal(got, want) {
		t.Errorf("TOC = %+v\nwant  %+v", got, want)
	}
}

func TestWordsAndText(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		words int
		text  string
	}{
		{"plain prose", "One two three.\n\nFour five.\n", 5, "One two three."},
		{"markup inside a word is one word", "co*op* **bold** text\n", 3, "coop bold text"},
		{"code blocks do not count", "Two words.\n\n```go\nfunc main() { a b c d e }\n```\n\n    indented code here\n", 2, "Two words."},
		{"inline code counts", "Run `go test` now.\n", 4, "Run go test now."},
		{"dashes and punctuation are no words", "a -- b — c !!\n", 3, "a – b — c !!"},
		{"line breaks separate words", "one\ntwo\\\nthree\n", 3, "one two three"},
		{"headings, lists and tables count", "## Title here\n\n- item one\n\n| a | b |\n|---|---|\n| c | d |\n", 8, ""},
		{"image alt text and raw HTML do not count", "![alt words](a.png) <span>x</span> y\n", 2, "x y"},
		{"summary skips a leading callout", "> [!NOTE]\n> Aside.\n\nThe real start.\n", 4, "The real start."},
		{"summary falls back to a nested paragraph", "> Only a quote.\n", 3, "Only a quote."},
		{"entities and escapes are resolved", "Fish &amp; chips \\*now\\*\n", 3, "Fish & chips *now*"},
		{"empty document", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := render(t, Options{}, tt.src)
			if res.Words != tt.words {
				t.Errorf("Words = %d, want %d", res.Words, tt.words)
			}
			if res.Text != tt.text {
				t.Errorf("Text = %q, want %q", res.Text, tt.text)
			}
		})
	}
}

func TestTextIsTrimmedAtAWord(t *testing.T) {
	long := strings.Repeat("lorem ipsum dolor ", 40) // 720 bytes
	got := render(t, Options{}, long+"\n").Text
	if len(got) > summaryMax {
		t.Errorf("len(Text) = %d, want at most %d", len(got), summaryMax)
	}
	if !strings.HasSuffix(got, "…") {
		t.Errorf("Text = %q, want it to end in …", got)
	}
	if w := strings.TrimSuffix(got, "…"); !strings.HasPrefix(long, w+" ") {
		t.Errorf("Text = %q, not cut at a word boundary", got)
	}

	oneWord := strings.Repeat("é", 400) // no blank to cut at: cut at a rune boundary
	got = truncate(oneWord, summaryMax)
	if len(got) > summaryMax || !strings.HasSuffix(got, "…") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("truncate of one long word = %q", got)
	}
}

func TestHighlightUsesClasses(t *testing.T) {
	html := string(render(t, Options{}, "```go\npackage main\n```\n\n| a |\n|:-:|\n| b |\n").HTML)
	if !strings.Contains(html, `<span class="kn">package</span>`) {
		t.Errorf("want chroma classes:\n%s", html)
	}
	if strings.Contains(html, "style=") {
		t.Errorf("want no inline styles:\n%s", html)
	}
}

func TestHighlightCSS(t *testing.T) {
	css := string(HighlightCSS())
	light, dark, ok := strings.Cut(css, "@media (prefers-color-scheme: dark) {")
	if !ok {
		t.Fatalf("no dark block:\n%s", css)
	}
	for _, want := range []string{".chroma .kd {", ".chroma .s {"} {
		if !strings.Contains(light, want) || !strings.Contains(dark, want) {
			t.Errorf("%q missing from the light or the dark theme", want)
		}
	}
	// github colours punctuation dark; github-dark leaves it to the text colour, so the
	// dark block must undo the light rule.
	if !strings.Contains(light, ".chroma .p { color: #1f2328 }") || !strings.Contains(dark, ".chroma .p { color: inherit }") {
		t.Errorf("dark theme does not reset light punctuation colour:\n%s", css)
	}
	// The reader's choice on the theme's toggle wins over the system's setting.
	if !strings.Contains(dark, `:root:not([data-theme="light"]) .chroma .kd {`) || !strings.Contains(dark, `:root[data-theme="dark"] .chroma .kd {`) {
		t.Errorf("the dark rules do not follow the theme's data-theme:\n%s", css)
	}
	if strings.Contains(css, ".bg ") {
		t.Error("the standalone .bg rule would style the site's own .bg elements")
	}
	if strings.Count(css, "{") != strings.Count(css, "}") {
		t.Error("unbalanced braces")
	}
	b := HighlightCSS()
	b[0] = 'X'
	if HighlightCSS()[0] == 'X' {
		t.Error("HighlightCSS shares its bytes with callers")
	}
}

// TestRenderConcurrent renders many documents from many goroutines with one Renderer and
// checks each against a render done alone; run with -race.
func TestRenderConcurrent(t *testing.T) {
	r := New(Options{Lang: "nl", Unsafe: true})
	docs := [][]byte{[]byte(benchLesson)}
	for i := range 8 {
		docs = append(docs, fmt.Appendf(nil, "# Les %d\n\n## Doel\n\n> [!TIP]\n> Tip %d [x](x%d.md)\n\n```go\nvar x = %d\n```\n", i, i, i, i))
	}
	want := make([][]byte, len(docs))
	for i, d := range docs {
		res, err := r.Render(d, lessonResolver(nil))
		if err != nil {
			t.Fatal(err)
		}
		want[i] = res.HTML
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 20 {
				k := (g + i) % len(docs)
				res, err := r.Render(docs[k], lessonResolver(nil))
				if err != nil {
					t.Error(err)
					return
				}
				if !bytes.Equal(res.HTML, want[k]) {
					t.Errorf("doc %d rendered differently under concurrency", k)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestSkipWords: a caller that counts words itself still gets the same HTML and
// table of contents.
func TestSkipWords(t *testing.T) {
	src := []byte("# Title\n\n## One\n\nSome words here.\n\n> ## Quoted\n\n### Two\n\n```go\n// ## not a heading\n```\n")
	full, err := New(Options{}).Render(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	lean, err := New(Options{SkipWords: true}).Render(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(full.HTML) != string(lean.HTML) || fmt.Sprint(full.TOC) != fmt.Sprint(lean.TOC) {
		t.Errorf("SkipWords changed the output:\n%s %v\n%s %v", full.HTML, full.TOC, lean.HTML, lean.TOC)
	}
	if lean.Words != 0 || full.Words == 0 {
		t.Errorf("words: full %d, lean %d", full.Words, lean.Words)
	}
}
