package markdown

import (
	"bytes"
	"testing"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
)

// TestCodeBlocksAsTheExtension checks that code blocks come out byte for byte
// as goldmark-highlighting writes them with the options cohort used to give it:
// the shared formatter must change nothing a reader or a stylesheet sees.
func TestCodeBlocksAsTheExtension(t *testing.T) {
	same := asTheExtension(t)
	for name, src := range map[string]string{
		"go":              "```go\nfunc main() {\n\tfmt.Println(\"<hi> & bye\")\n}\n```\n",
		"two blocks":      "```python\ndef f(x):\n    return x * 2\n```\n\ntext\n\n```sql\nSELECT 1;\n```\n",
		"no language":     "```\n<b>plain</b>\n```\n",
		"unknown":         "```nosuchlanguage\na < b\n```\n",
		"empty":           "```go\n```\n",
		"attributes":      "```go {linenos=table,hl_lines=[2]}\na := 1\nb := 2\n```\n",
		"inline numbers":  "```go {linenos=inline,linenostart=5}\na := 1\n```\n",
		"no highlighting": "```go {nohl}\na := 1\n```\n",
		"tilde fence":     "~~~bash\necho \"$HOME\" > /dev/null\n~~~\n",
		"in a list":       "- item\n\n  ```json\n  {\"a\": [1, 2]}\n  ```\n",
		"no newline":      "```yaml\nkey: value",
		"odd language":    "```a&b\"c\n<x> & \"y\"\n```\n",
		"upper case":      "```Python\nprint(1)\n```\n",
		"by extension":    "```py\nprint(1)\n```\n",
		"twice unknown":   "```zzz\n1\n```\n\n```zzz\n2\n```\n",
	} {
		same(name, src)
	}
}

// asTheExtension returns a check that Markdown src renders to the same bytes
// with cohort's code blocks as with goldmark-highlighting configured as cohort
// configured it (classes, the light style); what names the case in a failure.
func asTheExtension(t *testing.T) func(what, src string) {
	ext := goldmark.New(goldmark.WithExtensions(highlighting.NewHighlighting(
		highlighting.WithStyle(lightStyle),
		highlighting.WithFormatOptions(chromahtml.WithClasses(true)),
	)))
	ours := goldmark.New(goldmark.WithExtensions(highlighter()))
	return func(what, src string) {
		t.Helper()
		var want, got bytes.Buffer
		if err := ext.Convert([]byte(src), &want); err != nil {
			t.Fatal(err)
		}
		if err := ours.Convert([]byte(src), &got); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s:\n got %q\nwant %q", what, got.String(), want.String())
		}
	}
}
