package markdown

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// The tests here hold linkifyExtension (linkify.go) to goldmark's extension.Linkify:
// for every input, the same tree and the same HTML.

// linkifyTricky are inputs at the edges of what goldmark's Linkify accepts.
var linkifyTricky = []string{
	"a@b.co\n",
	"first.last+tag@sub-domain.example.org.\n",
	"x-y_z@e.org-\n",
	"a@b.c_\n",
	"a@b\n",
	"@b.org\n",
	"a@@b.org\n",
	"x@y.z@w.org\n",
	"\"q\"@x.org <a@b.org> (c@d.org) *e@f.org* _g@h.org_ ~i@j.org~ ~~k@l.org~~\n",
	strings.Repeat("a", 63) + "@x.org " + strings.Repeat("b", 64) + "@x.org " + strings.Repeat("c", 65) + "@x.org\n",
	"a@" + strings.Repeat("d", 260) + ".org\n",
	"mailto:a@b.org xmpp:c@d.org/e\n",
	"www.example.org\n",
	"see www.example.org\nwww.\nwww.x\nwww.x.\nwww.x.y.\n",
	"end of line www.example.org",
	"(www.example.org) (www.example.org/a_(b)) www.example.org/a_(b))) www.x.org/a?b=c&amp; www.x.org/a&b;\n",
	"http://example.org https://example.org/a/b?c=d#e ftp://files.example.org/x.tgz\n",
	"http:/example.org https:example.org ftp:// http:// HTTP://EXAMPLE.ORG Http://x.org\n",
	"http://localhost http://127.0.0.1:8080/x http://x.org:80/ http://x.org:/\n",
	"trailing http://x.org. http://x.org, http://x.org: http://x.org! http://x.org? http://x.org;\n",
	"*http://x.org* _http://x.org_ ~http://x.org~ **https://x.org/a** __www.x.org__ ~~www.x.org~~\n",
	"(http://x.org) ((http://x.org/(a))) [http://x.org] [link http://x.org](http://y.org)\n",
	"[www.x.org][r] ![http://x.org](i.png)\n\n[r]: http://y.org\n",
	"`http://x.org` <http://x.org> <a href=\"http://x.org\">http://y.org</a>\n",
	"\\http://x.org \\*http://x.org \\(www.x.org\n",
	"http://x.org/\"quoted\" http://x.org/'s http://x.org/<b> http://x.org/{a}[b]^c\n",
	"http://x.org/a*b*c_d_e~f~ http://x.org/_ http://x.org/*\n",
	"https://例え.jp http://x.org/ü www.münchen.de café@x.org x@café.org é@x.org\n",
	"\tindented www.x.org\n\ttab\thttp://x.org\ta@b.org\n",
	"line one\nhttp://x.org at a line start\n  www.x.org after spaces\n",
	"- http://x.org\n- [ ] www.x.org\n1. a@b.org\n",
	"> quoted http://x.org\n> www.x.org\n",
	"| a | b |\n|---|---|\n| http://x.org | a@b.org |\n| www.x.org|x|\n",
	"# http://x.org\n\nTerm www.x.org\n: def a@b.org\n",
	"x[^1]\n\n[^1]: http://x.org\n",
	"hard  \nhttp://x.org\\\nwww.x.org\n",
	"\"http://x.org\" 'www.x.org' -- http://x.org... ---\n",
	"{{< youtube id >}} http://x.org $x$ www.x.org\n",
	"http://x.org\r\nwww.x.org\r\n",
	"http://" + strings.Repeat("a", 300) + ".org\n",
	"www." + strings.Repeat("b", 257) + ".org\n",
	"\x00http://x.org \x7fwww.x.org \xff a@b.org\n",
	"(\n*\n_\n~\n( \n",
}

// linkifyPair renders Markdown with cohort's Renderer as New builds it and with the
// same Renderer built with goldmark's extension.Linkify, and reports any
// difference in the tree (including where each text segment starts and ends), the
// HTML or the error; what names the case in a failure.
func linkifyPair(t *testing.T) func(what, src string) {
	ours := New(Options{Unsafe: true})
	stock := newWith(Options{Unsafe: true}, extension.Linkify)
	return func(what, src string) {
		t.Helper()
		if a, b := dumpTree(parsePage(ours, []byte(src)), []byte(src)), dumpTree(parsePage(stock, []byte(src)), []byte(src)); a != b {
			t.Errorf("%s: trees differ for %q:\n got %s\nwant %s", what, src, a, b)
			return
		}
		got, gotErr := ours.RenderPage([]byte(src), Env{})
		want, wantErr := stock.RenderPage([]byte(src), Env{})
		if !bytes.Equal(got.HTML, want.HTML) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Errorf("%s: for %q\n got %q, %v\nwant %q, %v", what, src, got.HTML, gotErr, want.HTML, wantErr)
		}
	}
}

// parsePage parses src as RenderPage does, and returns the tree.
func parsePage(r *Renderer, src []byte) ast.Node {
	pc := parser.NewContext(parser.WithIDs(newHeadingIDs()))
	pc.Set(stateKey, &renderState{})
	return r.md.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
}

// dumpTree writes the tree n as text: each node's kind, position, lines and
// attributes, a text's segment and line breaks, an autolink's kind, protocol and URL.
func dumpTree(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			b.WriteString(")")
			return ast.WalkContinue, nil
		}
		fmt.Fprintf(&b, "\n(%s pos=%d", n.Kind(), n.Pos())
		if n.Type() == ast.TypeBlock {
			for i := 0; i < n.Lines().Len(); i++ {
				s := n.Lines().At(i)
				fmt.Fprintf(&b, " line=%d:%d+%d", s.Start, s.Stop, s.Padding)
			}
		}
		for _, a := range n.Attributes() {
			fmt.Fprintf(&b, " %s=%v", a.Name, a.Value)
		}
		switch n := n.(type) {
		case *ast.Text:
			fmt.Fprintf(&b, " seg=%d:%d soft=%t hard=%t raw=%t %q",
				n.Segment.Start, n.Segment.Stop, n.SoftLineBreak(), n.HardLineBreak(), n.IsRaw(), n.Segment.Value(src))
		case *ast.String:
			fmt.Fprintf(&b, " %q", n.Value)
		case *ast.AutoLink:
			fmt.Fprintf(&b, " type=%d protocol=%q url=%q label=%q", n.AutoLinkType, n.Protocol, n.URL(src), n.Label(src))
		case *ast.Link:
			fmt.Fprintf(&b, " dest=%q title=%q", n.Destination, n.Title)
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// TestLinkifyAsGoldmark compares the two on the tricky inputs above, the example
// course, this package's case files and benchmark lesson, and goldmark's own test
// inputs (its module's Linkify cases, the other extensions' cases and the CommonMark
// spec examples).
func TestLinkifyAsGoldmark(t *testing.T) {
	same := linkifyPair(t)
	for i, src := range linkifyTricky {
		same(fmt.Sprintf("tricky %d", i), src)
	}
	same("benchLesson", benchLesson)

	course := 0
	err := filepath.WalkDir(filepath.Join("..", "..", "content"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".md" {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		course++
		same(path, string(src))
		return nil
	})
	if err != nil || course < 10 {
		t.Fatalf("example course: %d pages, %v", course, err)
	}

	ours, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(ours) == 0 {
		t.Fatalf("case files: %v, %v", ours, err)
	}
	for _, f := range ours {
		linkifyCaseFile(t, same, f)
	}

	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/yuin/goldmark").Output()
	if err != nil {
		t.Fatalf("finding goldmark's module for its test files: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	theirs, err := filepath.Glob(filepath.Join(dir, "extension", "_test", "*.txt"))
	if err != nil || !strings.Contains(strings.Join(theirs, " "), "linkify.txt") {
		t.Fatalf("goldmark's extension cases in %s: %v, %v", dir, theirs, err)
	}
	theirs = append(theirs, filepath.Join(dir, "_test", "extra.txt"), filepath.Join(dir, "_test", "options.txt"))
	for _, f := range theirs {
		linkifyCaseFile(t, same, f)
	}
	data, err := os.ReadFile(filepath.Join(dir, "_test", "spec.json"))
	if err != nil {
		t.Fatalf("CommonMark examples: %v", err)
	}
	var spec []struct {
		Markdown string `json:"markdown"`
		Example  int    `json:"example"`
	}
	if err := json.Unmarshal(data, &spec); err != nil || len(spec) < 500 {
		t.Fatalf("CommonMark examples: %d, %v", len(spec), err)
	}
	for _, ex := range spec {
		same(fmt.Sprintf("spec example %d", ex.Example), ex.Markdown)
	}
}

// linkifyCaseFile compares the two on the Markdown of every case of a case file in
// goldmark's format (see caseSep), whatever its header or expected HTML.
func linkifyCaseFile(t *testing.T, same func(what, src string), path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for chunk := range strings.SplitSeq(string(data), caseEnd) {
		parts := strings.Split(chunk, caseSep+"\n")
		if len(parts) < 2 {
			continue
		}
		n++
		same(fmt.Sprintf("%s: %s", path, firstLine(parts[0])), parts[1])
	}
	if n == 0 {
		t.Errorf("%s: no cases", path)
	}
}

// TestMayLinkifyEveryByte holds mayLinkify's e-mail scan to the fact it
// relies on: a local part that util.FindEmailIndex accepts is printable ASCII
// without space, so every byte the scan stops at is one the stock parser stops at.
func TestMayLinkifyEveryByte(t *testing.T) {
	same := linkifyPair(t)
	for c := 0; c < 256; c++ {
		b := string([]byte{byte(c)})
		same(fmt.Sprintf("byte %#x", c), "x a"+b+"@b.org y a"+b+"b@c.org\n")
		same(fmt.Sprintf("byte %#x first", c), b+"a@b.org "+b+"http://x.org "+b+"www.x.org\n")
	}
}

// FuzzLinkifyAsGoldmark compares linkifyExtension with goldmark's extension.Linkify
// on any input, tree and HTML, among the goldmark extensions New uses (cohort's own,
// with KaTeX, would slow the fuzzer down and share no trigger with Linkify).
func FuzzLinkifyAsGoldmark(f *testing.F) {
	for _, seed := range linkifyTricky[:20] {
		f.Add(seed)
	}
	build := func(linkify goldmark.Extender) goldmark.Markdown {
		return goldmark.New(goldmark.WithExtensions(
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			linkify,
			extension.TaskList,
			extension.Footnote,
			extension.Typographer,
			extension.DefinitionList,
		), goldmark.WithParserOptions(parser.WithAutoHeadingID()))
	}
	ours, stock := build(linkifyExtension{}), build(extension.Linkify)
	f.Fuzz(func(t *testing.T, src string) {
		a := dumpTree(ours.Parser().Parse(text.NewReader([]byte(src))), []byte(src))
		b := dumpTree(stock.Parser().Parse(text.NewReader([]byte(src))), []byte(src))
		if a != b {
			t.Fatalf("trees differ for %q:\n got %s\nwant %s", src, a, b)
		}
		var got, want bytes.Buffer
		if err := ours.Convert([]byte(src), &got); err != nil {
			t.Fatal(err)
		}
		if err := stock.Convert([]byte(src), &want); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("for %q\n got %q\nwant %q", src, got.String(), want.String())
		}
	})
}

// BenchmarkLinkify renders the benchmark lesson with each Linkify, to show what the
// test in front of goldmark's parser saves.
func BenchmarkLinkify(b *testing.B) {
	for _, c := range []struct {
		name    string
		linkify goldmark.Extender
	}{{"guarded", linkifyExtension{}}, {"stock", extension.Linkify}} {
		b.Run(c.name, func(b *testing.B) {
			renderBench(b, newWith(Options{Lang: "en", Unsafe: true}, c.linkify)) // bench_test.go
		})
	}
}
