package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCarriedPagesKeepTheirFiles edits one lesson at a time of a course
// whose other pages are carried over (their files counted, not recorded one
// by one: output.inherit), in a fresh process and in serve, and compares the
// output with a clean build's each time: a page that loses its formulas
// loses its math.css, one that gains them gets it, and the carried pages'
// files, formulas' stylesheets among them, stay.
func TestCarriedPagesKeepTheirFiles(t *testing.T) {
	dir := course(t, mathCourse+`-- content/01-m/more.md --
+++
title = "More"
+++
Also $x^2$ here.
`)
	pub := filepath.Join(dir, "public")
	opts := Options{Source: dir, Out: pub, CacheDir: filepath.Join(dir, ".cohort")}
	if _, err := Build(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	served := NewBuilder(opts)
	if _, err := served.Build(t.Context()); err != nil {
		t.Fatal(err)
	}
	edit := func(file, from, to string) {
		name := filepath.Join(dir, "content", "01-m", file)
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(strings.Replace(string(src), from, to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name     string
		do       func()
		mathCSS  bool // 01-m/euler/math.css after the step
		moreMath bool // 01-m/more/math.css
	}{
		{"plain text edited", func() { edit("plain.md", "No formulas", "Still no formulas") }, true, true},
		{"formulas gone", func() { edit("euler.md", `$e^{i\pi}+1=0$`, "Euler's identity") }, true, true},
		{"display formula gone too", func() { edit("euler.md", `$$`, "``") }, false, true},
		{"formulas back", func() { edit("plain.md", "Still no formulas", `Now $y$ formulas`) }, false, true},
	}
	for k, step := range steps {
		step.do()
		if k%2 == 0 { // a fresh process, which serve goes on from
			served = NewBuilder(opts)
			if _, err := served.Build(t.Context()); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		} else {
			if _, err := served.BuildChanged(t.Context(), nil); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		clean := filepath.Join(t.TempDir(), "public")
		if _, err := Build(t.Context(), Options{Source: dir, Out: clean}); err != nil {
			t.Fatal(err)
		}
		if d := diffTrees(outSnapshot(t, clean), outSnapshot(t, pub), false); d != "" {
			t.Errorf("%s: the incremental build differs from a clean one (-clean +incremental):\n%s", step.name, d)
		}
		for file, want := range map[string]bool{"01-m/euler/math.css": step.mathCSS, "01-m/more/math.css": step.moreMath} {
			if _, err := os.Stat(filepath.Join(pub, file)); (err == nil) != want {
				t.Errorf("%s: %s there: %v, want %v", step.name, file, err == nil, want)
			}
		}
	}
}
