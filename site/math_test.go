package site

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const mathCourse = `
-- course.toml --
title = "Maths"
base_url = "https://example.org/"
-- content/01-m/_index.md --
+++
title = "M"
+++
-- content/01-m/euler.md --
+++
title = "Euler"
+++
The identity $e^{i\pi}+1=0$ costs $5 and $10 to learn.

$$
\sum_{k=1}^n k = \frac{n(n+1)}{2}
$$
-- content/01-m/flow.md --
+++
title = "Flow"
+++
` + "```mermaid\ngraph LR\n  A --> B\n```\n" + `
-- content/01-m/plain.md --
+++
title = "Plain"
+++
No formulas, $5.
`

// TestMathAndDiagramPages: formulas are in the page as HTML and MathML with no
// script, their positions in a math.css beside the page, KaTeX's CSS linked only
// where there is math and Mermaid loaded only where there is a diagram.
func TestMathAndDiagramPages(t *testing.T) {
	dir := course(t, mathCourse)
	mustBuild(t, dir)
	pub := filepath.Join(dir, "public")
	euler := read(t, pub, "01-m/euler/index.html")
	for _, want := range []string{`<link rel="stylesheet" href="/katex/katex.min.css">`, `<link rel="stylesheet" href="/01-m/euler/math.css">`,
		"<math", `class="katex-display"`, "costs $5 and $10 to learn"} {
		if !strings.Contains(euler, want) {
			t.Errorf("math page lacks %q", want)
		}
	}
	if strings.Contains(euler, "mermaid") || strings.Contains(euler, "<script>") || regexp.MustCompile(`<[^>]+ style="`).MatchString(euler) {
		t.Error("math page has a script, Mermaid or a style attribute")
	}
	css := read(t, pub, "01-m/euler/math.css")
	for _, class := range regexp.MustCompile(`\bk[0-9a-f]{10}\b`).FindAllString(euler, -1) {
		if !strings.Contains(css, "."+class+"{") {
			t.Errorf("class %s has no rule in math.css", class)
		}
	}
	for _, f := range []string{"katex/katex.min.css", "katex/fonts/KaTeX_Main-Regular.woff2", "mermaid/mermaid.min.js", "js/mermaid-init.js"} {
		if _, err := os.Stat(filepath.Join(pub, f)); err != nil {
			t.Errorf("%s not published: %v", f, err)
		}
	}

	flow := read(t, pub, "01-m/flow/index.html")
	for _, want := range []string{`<script src="/mermaid/mermaid.min.js" defer></script>`, `<script src="/js/mermaid-init.js" defer></script>`, `<pre class="mermaid">graph LR`} {
		if !strings.Contains(flow, want) {
			t.Errorf("diagram page lacks %q", want)
		}
	}
	if strings.Contains(flow, "katex") {
		t.Error("diagram page links KaTeX")
	}
	plain := read(t, pub, "01-m/plain/index.html")
	if strings.Contains(plain, "katex") || strings.Contains(plain, "mermaid") {
		t.Error("a page with neither loads KaTeX or Mermaid")
	}
	if _, err := os.Stat(filepath.Join(pub, "01-m/plain/math.css")); err == nil {
		t.Error("a page without math has a math.css")
	}

	// A rebuild that renders nothing keeps math.css; one that drops the math drops it.
	if res := mustBuild(t, dir); res.Removed != 0 {
		t.Errorf("a rebuild without change removed %d files", res.Removed)
	}
	if _, err := os.Stat(filepath.Join(pub, "01-m/euler/math.css")); err != nil {
		t.Errorf("math.css gone after a rebuild without change: %v", err)
	}
	writeArchive(t, dir, "-- content/01-m/euler.md --\n+++\ntitle = \"Euler\"\n+++\nNo more maths.\n")
	mustBuild(t, dir)
	if _, err := os.Stat(filepath.Join(pub, "01-m/euler/math.css")); err == nil {
		t.Error("math.css left after the page lost its formulas")
	}
	if strings.Contains(read(t, pub, "01-m/euler/index.html"), "katex") {
		t.Error("a page that lost its formulas still links KaTeX")
	}
}

// TestMathErrorNamesTheLine: TeX that KaTeX cannot read fails the build at its line.
func TestMathErrorNamesTheLine(t *testing.T) {
	dir := course(t, mathCourse+"-- content/01-m/bad.md --\n+++\ntitle = \"Bad\"\n+++\nFine.\n\nThen $\\frac{1$ breaks.\n")
	_, err := build(t, dir)
	var e *Error
	if !errors.As(err, &e) || e.File != "content/01-m/bad.md" || e.Line != 6 {
		t.Fatalf("err = %v, want content/01-m/bad.md:6", err)
	}
	if !strings.Contains(err.Error(), `math "\\frac{1"`) {
		t.Errorf("error %q does not quote the formula", err)
	}
}

// TestFormulasCached: formulas are kept in the build cache folder, so the next
// process does not run KaTeX for them again.
func TestFormulasCached(t *testing.T) {
	dir := course(t, mathCourse)
	mustBuild(t, dir)
	entries, err := os.ReadDir(filepath.Join(dir, ".cohort", "math"))
	if err != nil || len(entries) != 2 {
		t.Fatalf("%d formulas in the cache (err %v), want 2", len(entries), err)
	}
}

// TestKaTeXAndMermaidOnlyWhenUsed: the theme's KaTeX (336 KB) and Mermaid
// (3.5 MB) are published only while some page has formulas or a diagram, and a
// rebuild that renders none of those pages again still knows they have them,
// in a new process (the rest from the cache) as in serve (one builder). A
// course's own file under katex/ is always published.
func TestKaTeXAndMermaidOnlyWhenUsed(t *testing.T) {
	t.Run("new process", func(t *testing.T) {
		testAssetsWhenUsed(t, func(dir string) error { _, err := build(t, dir); return err })
	})
	t.Run("serve", func(t *testing.T) {
		var b *Builder
		testAssetsWhenUsed(t, func(dir string) error {
			if b == nil {
				b = NewBuilder(Options{Source: dir, Out: filepath.Join(dir, "public"), CacheDir: filepath.Join(dir, ".cohort")})
			}
			_, err := b.Build(context.Background())
			return err
		})
	})
}

func testAssetsWhenUsed(t *testing.T, build func(dir string) error) {
	const plain = `
-- course.toml --
title = "Plain"
base_url = "https://example.org/"
-- content/01-m/_index.md --
+++
title = "M"
+++
-- content/01-m/a.md --
+++
title = "A"
+++
No formulas, $5.
-- static/katex/own.txt --
the course's own
`
	dir := course(t, plain)
	pub := filepath.Join(dir, "public")
	has := func(rel string) bool {
		_, err := os.Stat(filepath.Join(pub, filepath.FromSlash(rel)))
		return err == nil
	}
	check := func(step string, math, diagram bool) {
		t.Helper()
		if err := build(dir); err != nil {
			t.Fatalf("%s: build: %v", step, err)
		}
		if got := has("katex/katex.min.css"); got != math {
			t.Errorf("%s: KaTeX published = %v, want %v", step, got, math)
		}
		if got := has("mermaid/mermaid.min.js") || has("js/mermaid-init.js"); got != diagram {
			t.Errorf("%s: Mermaid published = %v, want %v", step, got, diagram)
		}
		if !has("katex/own.txt") {
			t.Errorf("%s: the course's own katex/own.txt is not published", step)
		}
	}
	check("no formulas, no diagrams", false, false)

	writeArchive(t, dir, "-- content/01-m/euler.md --\n+++\ntitle = \"Euler\"\n+++\nSee $e^{i\\pi}+1=0$.\n")
	check("a page with a formula added", true, false)
	writeArchive(t, dir, "-- content/01-m/flow.md --\n+++\ntitle = \"Flow\"\n+++\n```mermaid\ngraph LR\n  A --> B\n```\n")
	check("a page with a diagram added", true, true)
	writeArchive(t, dir, "-- content/01-m/a.md --\n+++\ntitle = \"A\"\n+++\nStill no formulas, but longer.\n")
	check("another page edited", true, true)
	check("nothing changed", true, true)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "content/01-m/euler.md"), later, later); err != nil {
		t.Fatal(err)
	}
	check("the formula's page touched, not changed", true, true)
	writeArchive(t, dir, "-- content/01-m/euler.md --\n+++\ntitle = \"Euler\"\n+++\nNo more maths, none at all.\n")
	check("the formula removed", false, true)
	if err := os.Remove(filepath.Join(dir, "content/01-m/flow.md")); err != nil {
		t.Fatal(err)
	}
	check("the diagram page deleted", false, false)
}
