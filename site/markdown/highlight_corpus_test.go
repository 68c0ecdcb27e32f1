package markdown

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
)

// The tests here hold writeCode and the code renderer to what chroma's HTML
// formatter and goldmark-highlighting write, which cohort used before: they are
// imported by the tests only, as the reference.

// formatVariants are the layouts the tests write each token stream in, as our
// format and as chroma's formatter options.
var formatVariants = []struct {
	name string
	f    codeFormat
	opts []chromahtml.Option
}{
	{"plain", plainFormat, nil},
	{"numbers", codeFormat{lineNumbers: true, base: 1}, []chromahtml.Option{chromahtml.WithLineNumbers(true)}},
	{"table", codeFormat{lineNumbers: true, table: true, base: 1},
		[]chromahtml.Option{chromahtml.WithLineNumbers(true), chromahtml.LineNumbersInTable(true)}},
	{"table flag alone", codeFormat{table: true, base: 1}, []chromahtml.Option{chromahtml.LineNumbersInTable(true)}},
	{"from 98", codeFormat{lineNumbers: true, base: 98}, []chromahtml.Option{chromahtml.WithLineNumbers(true), chromahtml.BaseLineNumber(98)}},
	{"from -3 in a table", codeFormat{lineNumbers: true, table: true, base: -3},
		[]chromahtml.Option{chromahtml.WithLineNumbers(true), chromahtml.LineNumbersInTable(true), chromahtml.BaseLineNumber(-3)}},
	{"marked", withHighlight(codeFormat{base: 1}, [][2]int{{4, 5}, {2, 2}}),
		[]chromahtml.Option{chromahtml.HighlightLines([][2]int{{4, 5}, {2, 2}})}},
	{"marked, overlapping, in a table", withHighlight(codeFormat{lineNumbers: true, table: true, base: 0}, [][2]int{{3, 3}, {1, 6}, {1, 2}, {9, 4}, {2, 3}}),
		[]chromahtml.Option{chromahtml.WithLineNumbers(true), chromahtml.LineNumbersInTable(true), chromahtml.BaseLineNumber(0),
			chromahtml.HighlightLines([][2]int{{3, 3}, {1, 6}, {1, 2}, {9, 4}, {2, 3}})}},
	{"many marked", withHighlight(codeFormat{lineNumbers: true, base: 1}, manyRanges()),
		[]chromahtml.Option{chromahtml.WithLineNumbers(true), chromahtml.HighlightLines(manyRanges())}},
}

func withHighlight(f codeFormat, ranges [][2]int) codeFormat {
	f.setHighlight(ranges)
	return f
}

// manyRanges are more ranges than the sort's insertion sort takes, some with the
// same first line, so that the order its unstable sort leaves them in counts.
func manyRanges() [][2]int {
	var r [][2]int
	for i := range 40 {
		r = append(r, [2]int{(i * 7) % 13, (i*7)%13 + i%4})
	}
	return r
}

// chromaHTML is what chroma's formatter writes for tokens with the options
// cohort gives it, and the light style.
func chromaHTML(t *testing.T, tokens []chroma.Token, opts []chromahtml.Option) string {
	t.Helper()
	var b bytes.Buffer
	f := chromahtml.New(append([]chromahtml.Option{chromahtml.WithClasses(true)}, opts...)...)
	if err := f.Format(&b, styles.Get(lightStyle), chroma.Literator(tokens...)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func ourHTML(t *testing.T, tokens []chroma.Token, f codeFormat) string {
	t.Helper()
	var b strings.Builder
	if err := writeCode(&b, tokens, f); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestCodeWriterAsChroma writes the tokens of every lexer chroma has, on the
// lexer samples and on chroma's own test files of each language (its module's
// lexers/testdata), in every layout, and compares the bytes with chroma's
// formatter's.
func TestCodeWriterAsChroma(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/alecthomas/chroma/v2").Output()
	if err != nil {
		t.Fatalf("finding chroma's module for its test files: %v", err)
	}
	testdata := filepath.Join(strings.TrimSpace(string(out)), "lexers", "testdata")
	files, err := filepath.Glob(filepath.Join(testdata, "*.actual"))
	if err != nil || len(files) < 100 {
		t.Fatalf("chroma's test files in %s: %d, %v", testdata, len(files), err)
	}
	// Every layout on a few inputs; on the many others, the plain one and the
	// one with the most parts (numbers, table, marked lines): the token
	// classes are what differs between languages, and comparing every layout
	// of every language made this test take half a minute.
	few := []int{0, 7}
	compare := func(what string, tokens []chroma.Token, which []int) {
		for i, v := range formatVariants {
			if which != nil && !slices.Contains(which, i) {
				continue
			}
			if got, want := ourHTML(t, tokens, v.f), chromaHTML(t, tokens, v.opts); got != want {
				t.Errorf("%s, %s:\n got %q\nwant %q", what, v.name, got, want)
			}
		}
	}
	checked := 0
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".actual")
		lexer := lexerFor([]byte(name))
		if lexer == nil {
			continue // a test file named for no lexer chroma finds by name
		}
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		tokens, err := chroma.Tokenise(lexer, nil, string(text))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		compare(file, tokens, few)
		checked++
	}
	if checked < 100 {
		t.Errorf("only %d of chroma's %d test files have a lexer by their name", checked, len(files))
	}
	for _, l := range lexers.GlobalLexerRegistry.Lexers {
		name := l.Config().Name
		for i, text := range lexerSamples {
			tokens, err := chroma.Tokenise(lexerFor([]byte(name)), nil, text)
			if err != nil {
				t.Errorf("%s, sample %d: %v", name, i, err)
				continue
			}
			which := few
			if name == "Go" {
				which = nil
			}
			compare(fmt.Sprintf("%s, sample %d", name, i), tokens, which)
		}
	}
	// Tokens no lexer makes: every type chroma has a class for and its
	// neighbours, empty values, and text to escape.
	var odd []chroma.Token
	for tt := range chroma.StandardTypes {
		for _, d := range []chroma.TokenType{0, 1, 7, 99} {
			odd = append(odd, chroma.Token{Type: tt + d, Value: "<a href='x'>&\"" + strconv.Itoa(int(tt+d)) + "\n"})
		}
	}
	odd = append(odd, chroma.Token{Type: chroma.Keyword, Value: ""}, chroma.Token{Type: chroma.Text, Value: "\n\n\n"},
		chroma.Token{Type: chroma.TokenType(123456), Value: "x"}, chroma.Token{Type: chroma.TokenType(-1234), Value: "y\n"})
	compare("odd tokens", odd, nil)
	compare("no tokens", nil, nil)
	compare("one empty token", []chroma.Token{{Type: chroma.Text, Value: ""}}, nil)
	t.Logf("%d of chroma's test files, %d lexers on %d samples", checked, len(lexers.GlobalLexerRegistry.Lexers), len(lexerSamples))
}

// fenceLanguages are the languages of the fenced blocks the tests render: those
// of the generated course (bench/gencourse: go, python, bash, toml, json, yaml,
// html, sql) and of cohort's own content, other common ones, aliases and file
// extensions, and names chroma does not know.
var fenceLanguages = []string{
	"go", "python", "bash", "toml", "json", "yaml", "html", "sql",
	"Python", "py", "sh", "shell", "console", "js", "javascript", "typescript", "ts", "tsx", "jsx",
	"c", "cpp", "c++", "rust", "java", "kotlin", "ruby", "php", "css", "scss", "diff", "markdown", "md",
	"dockerfile", "makefile", "text", "plaintext", "txt", "xml", "svg", "ini", "r", "haskell", "elixir",
	"erlang", "lua", "perl", "powershell", "swift", "latex", "tex", "nginx", "graphql", "proto", "hcl",
	"nosuchlanguage", "a&b\"c", "go{linenos=true}", "{go}", "",
}

// fenceAttributeVariants follow a block's language in its info string: the
// attributes goldmark-highlighting reads, values of types it ignores, repeats,
// and attribute lists it cannot parse.
var fenceAttributeVariants = []string{
	"",
	" {linenos=true}",
	" {linenos=table}",
	" {linenos=inline,linenostart=5}",
	" {linenostart=98 linenos=table}",
	" {linenostart=-3 linenos=true hl_lines=[1]}",
	` {hl_lines=[2,"4-5"]}`,
	` {hl_lines=["3-1", 2, "x", "2-x", "1-2-3", 9] linenos=table linenostart=2}`,
	` {hl_lines=[[1,2]] linenos=inline}`,
	" {hl_lines=2}",
	` {hl_lines="2-3"}`,
	" {nohl}",
	" {nohl linenos=table}",
	" {linenos=false}",
	` {linenos="yes"}`,
	" {linenos=7}",
	" {linenos=table linenos=inline}",
	" {linenos=inline linenos=table}",
	" {linenostart=2.7 linenos=true}",
	" {hl_style=monokai hl_lines=[1]}",
	" {}",
	" {broken",
	" {.class #id linenos=true}",
	"   {linenos=true}",
	" x {linenos=table}",
}

// fenceBodies are the blocks' texts: the lexer samples, and a few shapes of
// their own.
var fenceBodies = append(slices.Clone(lexerSamples),
	"",
	"one line without an end",
	"\n\n\n",
	"a\tb\r\nc\rd\n",
	strings.Repeat("x := 1 // line\n", 120),
)

// failingLexerName is the language of a lexer whose rules do not compile, so
// that Tokenise fails: the block is written as one in an unknown language.
const failingLexerName = "cohort-test-failing"

// registerFailingLexer adds that lexer to chroma's registry for the test, and
// takes it out of the registry's list when the test ends, for the tests that
// go over every lexer.
func registerFailingLexer(t *testing.T) {
	l := lexers.Register(chroma.MustNewLexer(
		&chroma.Config{Name: failingLexerName},
		func() chroma.Rules { return chroma.Rules{"root": {{Pattern: `(`, Type: chroma.Text}}} },
	))
	t.Cleanup(func() {
		r := lexers.GlobalLexerRegistry
		r.Lexers = slices.DeleteFunc(r.Lexers, func(x chroma.Lexer) bool { return x == l })
	})
	if _, err := l.Tokenise(nil, "x"); err == nil {
		t.Fatal("the failing lexer lexes")
	}
}

// everyVariant are the languages whose blocks the tests render with every
// attribute variant: two of the generated course's and the failing lexer. The
// others get a few: the attributes are read the same whatever the language,
// and the extension looks a name it does not know up in every lexer's file
// patterns, which made every variant of those most of this test's time.
var everyVariant = map[string]bool{
	"go": true, "sql": true, failingLexerName: true,
}

// TestCodeCorpusAsChroma renders fenced blocks in every language, attribute
// variant and body above, the fences of cohort's own content, and the shapes
// of the generated course's, with our renderer and with goldmark-highlighting
// as cohort configured it, and compares the HTML.
func TestCodeCorpusAsChroma(t *testing.T) {
	same := asTheExtension(t) // highlight_test.go
	registerFailingLexer(t)
	blocks := 0
	for _, lang := range append(fenceLanguages, failingLexerName) {
		variants := fenceAttributeVariants
		if !everyVariant[lang] {
			variants = []string{"", " {linenos=table,hl_lines=[2]}", " {nohl}"}
		}
		for _, attrs := range variants {
			var doc strings.Builder
			for _, body := range fenceBodies {
				fence := "~~~~~~~~~~"
				if strings.Contains(body, fence) {
					t.Fatalf("a body holds the fence %q", fence)
				}
				if body != "" && !strings.HasSuffix(body, "\n") {
					body += "\n"
				}
				doc.WriteString(fence + lang + attrs + "\n" + body + fence + "\n\ntext\n\n")
				blocks++
			}
			same(fmt.Sprintf("```%s%s", lang, attrs), doc.String())
		}
	}
	// The last block of a document may end without its fence or a newline.
	same("open block", "```go {linenos=table}\nfunc f() {}")
	// Blocks in lists and quotes, indented: their lines lose the indent.
	same("nested", "- item\n\n  ```python {hl_lines=[2]}\n  def f():\n      return 1\n  ```\n\n> ```sql\n> SELECT 1;\n> ```\n")
	// cohort's own content, whole pages: their other Markdown renders as goldmark
	// renders it either way.
	pages := 0
	err := fs.WalkDir(os.DirFS("../../content"), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		src, err := fs.ReadFile(os.DirFS("../../content"), path)
		if err != nil {
			return err
		}
		same(path, string(src))
		pages++
		return nil
	})
	if err != nil || pages == 0 {
		t.Fatalf("cohort's content: %d pages, %v", pages, err)
	}
	t.Logf("%d blocks, %d pages of content", blocks, pages)
}

// TestHighlightShortcodeAsChroma holds the highlight shortcode to what it wrote
// with chroma's formatter, for languages known and not, and its options.
func TestHighlightShortcodeAsChroma(t *testing.T) {
	options := []string{
		"", "linenos=true", "linenos=table", "linenos=inline", "linenos=false", `linenos="table"`,
		"linenos=table,linenos=inline", "linenos=inline, linenos=table",
		"hl_lines=2", `hl_lines="2 4-5"`, "hl_lines=4-5 1, linenos=table", "hl_lines=1-3 2-2 2",
		"linenostart=98,linenos=true", "linenostart=-2, linenos=table, hl_lines=1 3",
		"style=monokai", "noclasses=true,lineanchors=x", "linenostart=0,hl_lines=1",
	}
	for _, lang := range []string{"go", "python", "sql", "html", "bash", "nosuch", ""} {
		for _, opt := range options {
			for i, inner := range append(slices.Clone(lexerSamples), "\nsecond line first\n", "\r\nafter cr\n", "") {
				c := &ShortcodeCall{Name: "highlight", Args: []string{lang, opt}, Inner: inner, Paired: true}
				got, gerr := highlightCall(c)
				want, werr := chromaHighlightCall(c)
				if (gerr == nil) != (werr == nil) || got != want {
					t.Errorf("highlight %q %q, text %d:\n got %q, %v\nwant %q, %v", lang, opt, i, got, gerr, want, werr)
				}
			}
		}
	}
}

// chromaHighlightCall is highlightCall as it was with chroma's formatter: the
// options read the same way, given to the formatter.
func chromaHighlightCall(c *ShortcodeCall) (string, error) {
	lexer := lexerFor([]byte(c.arg("lang", 0)))
	if lexer == nil {
		lexer = chroma.Coalesce(lexers.Fallback)
	}
	opts := []chromahtml.Option{chromahtml.WithClasses(true)}
	for opt := range strings.SplitSeq(c.arg("options", 1), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(opt), "=")
		v = strings.Trim(strings.TrimSpace(v), `"`)
		switch strings.TrimSpace(k) {
		case "linenos":
			switch v {
			case "table":
				opts = append(opts, chromahtml.WithLineNumbers(true), chromahtml.LineNumbersInTable(true))
			case "true", "inline":
				opts = append(opts, chromahtml.WithLineNumbers(true))
			}
		case "hl_lines":
			ranges, err := lineRanges(v)
			if err != nil {
				return "", err
			}
			opts = append(opts, chromahtml.HighlightLines(ranges))
		case "linenostart":
			n, err := strconv.Atoi(v)
			if err != nil {
				return "", err
			}
			opts = append(opts, chromahtml.BaseLineNumber(n))
		}
	}
	it, err := lexer.Tokenise(nil, strings.TrimPrefix(strings.TrimPrefix(c.Inner, "\r"), "\n"))
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := chromahtml.New(opts...).Format(&b, styles.Get(lightStyle), it); err != nil {
		return "", err
	}
	return b.String(), nil
}
