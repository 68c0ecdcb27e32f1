package site

import (
	"strings"
	"testing"

	"github.com/cohort-course/cohort/site/markdown"
)

// TestSearchTextLeavesOutFormulasAndDiagrams: the words of a page with a formula
// and a diagram are the prose around them, not KaTeX's glyph boxes, its TeX or a
// diagram's source; text after them is still read.
func TestSearchTextLeavesOutFormulasAndDiagrams(t *testing.T) {
	res, err := markdown.New(markdown.Options{Unsafe: true}).Render([]byte("Euler wrote $e^{i\\pi}+1=0$ once.\n\n```mermaid\ngraph TD\n  Alpha --> Beta\n```\n\nAfter<br>the diagram.\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := searchText(string(res.HTML))
	if want := "Euler wrote once. After the diagram."; got != want {
		t.Errorf("searchText = %q, want %q", got, want)
	}
	if strings.Contains(got, "Alpha") || strings.Contains(got, "pi") {
		t.Errorf("diagram source or TeX in the text: %q", got)
	}
}
