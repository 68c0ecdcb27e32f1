package markdown

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// The gate in front of Linkify changes nothing it links: the same Markdown
// gives the same HTML with goldmark's own extension and with the gated one.
func TestLinkifyGateSame(t *testing.T) {
	inputs := []string{
		"see http://example.org/a?b=c. and https://example.com/x_(y) now",
		"www.example.net, (www.example.org) *www.example.com* _https://a.example/_ ~ftp://f.example/~",
		"mail anke@example.org or <noor@example.com>; not @handle or a@b or x@y.",
		"a.b-c+d@sub.example.org. trailing, user_name@example.org-",
		"https: http:// www. ftp:x @ @@ a@ @a.b",
		"![img](http://example.org/i.png) [link www.example.org](/x) `http://code.example`",
		"line one\nhttp://start.example/ at a line head\n  www.indented.example",
		"Bekijk https://video.example.org/w/abc123 en mail naar info@cursus.example.nl!",
		"ünïcödé@example.org and ü http://ünï.example/ and 日本 www.例え.jp",
		string(bytes.Repeat([]byte("a"), 70)) + "@example.org " + string(bytes.Repeat([]byte("b"), 63)) + "@example.org",
	}
	if files, _ := filepath.Glob(filepath.Join("testdata", "*.md")); len(files) > 0 {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, string(data))
		}
	}
	plain := goldmark.New(goldmark.WithExtensions(extension.Linkify))
	gated := goldmark.New(goldmark.WithExtensions(linkifyExtension{}))
	for _, in := range inputs {
		var want, got bytes.Buffer
		if err := plain.Convert([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		if err := gated.Convert([]byte(in), &got); err != nil {
			t.Fatal(err)
		}
		if want.String() != got.String() {
			t.Errorf("%q:\ngoldmark's Linkify: %s\ngated:              %s", in, want.String(), got.String())
		}
	}
}

// FuzzLinkifyGate checks the same on any input.
func FuzzLinkifyGate(f *testing.F) {
	f.Add("x http://a.example/ y@z.example www.b.example")
	f.Add("(ftp://c.example) _d@e.example_")
	plain := goldmark.New(goldmark.WithExtensions(extension.Linkify))
	gated := goldmark.New(goldmark.WithExtensions(linkifyExtension{}))
	f.Fuzz(func(t *testing.T, in string) {
		var want, got bytes.Buffer
		if plain.Convert([]byte(in), &want) != nil || gated.Convert([]byte(in), &got) != nil {
			return
		}
		if want.String() != got.String() {
			t.Errorf("%q:\ngoldmark's Linkify: %s\ngated:              %s", in, want.String(), got.String())
		}
	})
}
