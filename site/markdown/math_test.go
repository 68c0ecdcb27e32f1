package markdown

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// TestMathDelimiters: the dollar rules of pandoc's tex_math_dollars; prices stay text.
func TestMathDelimiters(t *testing.T) {
	r := New(Options{})
	for _, tc := range []struct {
		name string
		md   string
		tex  []string // the formulas KaTeX got, by their TeX annotation
		text string   // text that must stay as written
	}{
		{"prices are text", "It costs $5 and $10.", nil, "$5 and $10"},
		{"a formula", "Let $x^2$ be.", []string{"x^2"}, "Let "},
		{"closing $ before a digit is not one", "From $x$5 on.", nil, "$x$5"},
		{"space after the opening $", "a $ x$ b", nil, "$ x$"},
		{"space before the closing $", "a $x $ b", nil, "$x $"},
		{"a price beside a formula", "Pay $5, then $y$.", []string{"y"}, "Pay $5, then "},
		{"escaped dollars", `a \$x\$ b`, nil, "$x$"},
		{"a code span keeps its dollars", "Type `$x$` here.", nil, "<code>$x$</code>"},
		{"display inline", `So $$\sum_i i$$ holds.`, []string{`\sum_i i`}, "So "},
		{"a dollar sign inside TeX", `$\$3$ ok`, []string{`\$3`}, " ok"},
		{"a block", "$$\n\\int_0^1 x\\,dx\n$$\n", []string{`\int_0^1 x\,dx`}, `<div class="math">`},
		{"a one-line block", "$$ a+b $$\n", []string{"a+b"}, `<div class="math">`},
		{"display math that starts a paragraph", "$$a$$ is b.\n\nNext.\n", []string{"a"}, "<p>Next.</p>"},
		{"a block never closed is text", "$$\nx\n\nMore.\n", nil, "<p>More.</p>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.Render([]byte(tc.md), nil)
			if err != nil {
				t.Fatal(err)
			}
			html := string(res.HTML)
			got := annotations(html)
			if fmt.Sprint(got) != fmt.Sprint(tc.tex) {
				t.Errorf("formulas %q, want %q in\n%s", got, tc.tex, html)
			}
			if !strings.Contains(html, tc.text) {
				t.Errorf("%q not in\n%s", tc.text, html)
			}
			if (res.MathCSS != nil) != (len(tc.tex) > 0) {
				t.Errorf("MathCSS set = %t, want %t", res.MathCSS != nil, len(tc.tex) > 0)
			}
			if strings.Contains(tc.md, "$$") && len(tc.tex) > 0 && !strings.Contains(html, "katex-display") {
				t.Errorf("$$ not rendered in display style:\n%s", html)
			}
		})
	}
}

var annotationPattern = regexp.MustCompile(`<annotation encoding="application/x-tex">([^<]*)</annotation>`)

func annotations(html string) []string {
	var out []string
	for _, m := range annotationPattern.FindAllStringSubmatch(html, -1) {
		out = append(out, strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`).Replace(m[1]))
	}
	return out
}

// TestMathNoInlineStyles: the page's policy forbids style attributes, so KaTeX's
// styles are classes whose rules are in MathCSS, one for each class used.
func TestMathNoInlineStyles(t *testing.T) {
	res, err := New(Options{}).Render([]byte(`$\frac{a}{b} + \sqrt{x^2} + \overrightarrow{AB}$`), nil)
	if err != nil {
		t.Fatal(err)
	}
	html := string(res.HTML)
	if strings.Contains(html, "style=") {
		t.Errorf("a style attribute is left:\n%s", html)
	}
	if !strings.Contains(html, "<math") {
		t.Error("no MathML for screen readers")
	}
	classes := regexp.MustCompile(`\bk[0-9a-f]{10}\b`).FindAllString(html, -1)
	if len(classes) == 0 {
		t.Fatal("no style classes: KaTeX's positions are lost")
	}
	for _, c := range classes {
		if !strings.Contains(string(res.MathCSS), ".katex ."+c+"{") {
			t.Errorf("class %s has no rule in MathCSS", c)
		}
	}
}

// TestMathError: TeX KaTeX cannot read is an error at its line, and the rest of
// the page is still there.
func TestMathError(t *testing.T) {
	res, err := New(Options{}).Render([]byte("Fine.\n\nBroken $\\frac{a$ here.\n"), nil)
	var me *MathError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want a *MathError", err)
	}
	if me.Line != 3 || !strings.Contains(me.Error(), "line 3") {
		t.Errorf("error %q: want line 3", me)
	}
	if !strings.Contains(string(res.HTML), "Fine.") {
		t.Error("the rest of the page is lost")
	}
}

// TestMermaid: a mermaid block is left as its source for the browser, and the
// result says the page has a diagram.
func TestMermaid(t *testing.T) {
	res, err := New(Options{}).Render([]byte("```mermaid\ngraph TD\n  A-->B & C\n```\n\n```go\nx := 1\n```\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	html := string(res.HTML)
	if !res.Diagram {
		t.Error("Diagram = false")
	}
	if !strings.Contains(html, "<pre class=\"mermaid\">graph TD\n  A--&gt;B &amp; C\n</pre>") {
		t.Errorf("mermaid source not kept as text:\n%s", html)
	}
	if !strings.Contains(html, `class="chroma"`) {
		t.Errorf("other code blocks are no longer highlighted:\n%s", html)
	}
	if res, _ := New(Options{}).Render([]byte("```go\nx\n```\n"), nil); res.Diagram {
		t.Error("Diagram = true without a diagram")
	}
}

// mapCache is a FormulaCache in memory that counts its use.
type mapCache struct {
	mu   sync.Mutex
	m    map[string][]byte
	hits int
}

func (c *mapCache) Get(k string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	if ok {
		c.hits++
	}
	return v, ok
}

func (c *mapCache) Put(k string, v []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[k] = v
}

// TestFormulaCache: a second renderer (the next build) takes formulas from the
// cache, with the same bytes.
func TestFormulaCache(t *testing.T) {
	c := &mapCache{m: map[string][]byte{}}
	src := []byte("$a^2+b^2=c^2$ and $$e^{i\\pi}+1=0$$")
	first, err := New(Options{Formulas: c}).Render(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.m) != 2 {
		t.Fatalf("%d formulas cached, want 2", len(c.m))
	}
	second, err := New(Options{Formulas: c}).Render(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.hits != 2 {
		t.Errorf("%d cache hits, want 2", c.hits)
	}
	if string(first.HTML) != string(second.HTML) || string(first.MathCSS) != string(second.MathCSS) {
		t.Error("a formula from the cache differs from the one rendered")
	}
}

// BenchmarkKaTeX reports what a formula costs the first time (KaTeX in goja) and
// again (from memory). The lead measures on a quiet machine.
func BenchmarkKaTeX(b *testing.B) {
	b.Run("cold", func(b *testing.B) {
		e := newMathEngine(nil)
		if _, err := e.Render("x", false); err != nil { // the runtime's start is not per formula
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			if _, err := e.Render(fmt.Sprintf(`\frac{a_%d}{b} + \sqrt{x^2+%d}`, i, i), false); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "formulas/s")
	})
	b.Run("start", func(b *testing.B) {
		for range b.N {
			if _, err := newKatexRuntime(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memo", func(b *testing.B) {
		e := newMathEngine(nil)
		if _, err := e.Render(`\frac{a}{b} + \sqrt{x^2}`, false); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if _, err := e.Render(`\frac{a}{b} + \sqrt{x^2}`, false); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzMath checks, for any input with dollars, that rendering does not panic, that
// an error is a formula on a line of the input, that no style attribute reaches the
// page (the site's policy would drop it) and that every formula class has its rule.
func FuzzMath(f *testing.F) {
	for _, seed := range []string{
		"$x$ and $5 and $10\n",
		"$$\n\\frac{a}{b}\n$$\n",
		"$$ a $$\n\n> $\\sqrt{2}$\n",
		"- $a_1$\n- $$b$$\n",
		"`$x$` \\$y\\$ $\\$$\n",
		"$\\frac{1$\n",
		"{{% notice tip %}}\n$x^2$\n{{% /notice %}}\n",
		"```mermaid\ngraph TD\nA-->B\n```\n",
	} {
		f.Add(seed)
	}
	r := New(Options{})
	classes := regexp.MustCompile(`\bk[0-9a-f]{10}\b`)
	f.Fuzz(func(t *testing.T, src string) {
		res, err := r.Render([]byte(src), nil)
		var me *MathError
		var se *ShortcodeError
		switch {
		case err == nil, errors.As(err, &se):
		case errors.As(err, &me):
			if lines := 1 + strings.Count(src, "\n"); me.Line < 1 || me.Line > lines {
				t.Errorf("MathError.Line = %d, input has %d lines", me.Line, lines)
			}
		default:
			t.Fatalf("Render: %v", err)
		}
		html := string(res.HTML)
		if strings.Contains(html, `<span class="katex`) && regexp.MustCompile(`<span[^>]* style="`).MatchString(html) {
			t.Errorf("a style attribute in a formula:\n%s", html)
		}
		for _, c := range classes.FindAllString(html, -1) {
			if !strings.Contains(string(res.MathCSS), "."+c+"{") {
				t.Errorf("class %s has no rule", c)
			}
		}
	})
}
