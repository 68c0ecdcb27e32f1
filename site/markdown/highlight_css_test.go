package markdown

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/styles"
)

// TestHighlightCSSAsChroma checks that highlight.css, which HighlightCSS serves,
// is the stylesheet chroma's styles registry gives for the two styles today: a
// chroma upgrade that changes one fails here until the file is made again with
// go test ./site/markdown -run HighlightCSSAsChroma -update
func TestHighlightCSSAsChroma(t *testing.T) {
	want := chromaHighlightCSS()
	if *update {
		if err := os.WriteFile("highlight.css", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := HighlightCSS(); !bytes.Equal(got, want) {
		t.Errorf("highlight.css is not what chroma's styles %s and %s give: run this test with -update\n got %q\nwant %q", lightStyle, darkStyle, got, want)
	}
}

// chromaHighlightCSS makes highlight.css from chroma's styles: the light style's
// rules, then the dark style's inside @media (prefers-color-scheme: dark) and
// again for a reader who chose dark.
func chromaHighlightCSS() []byte {
	light, dark := themeRules(lightStyle), themeRules(darkStyle)
	var b bytes.Buffer
	b.WriteString("/* Code highlighting: chroma styles " + lightStyle + " and " + darkStyle + ". */\n")
	for _, r := range light {
		fmt.Fprintf(&b, "%s { %s }\n", r.selector, strings.Join(r.decls, "; "))
	}
	// The dark rules must undo whatever the light ones set that the dark theme leaves
	// alone, or dark text from the light theme would sit on the dark background.
	// They apply with the system's dark setting unless the reader chose light
	// with the theme's toggle, and whenever the reader chose dark (data-theme
	// on <html>, set by the default theme's scripts).
	var dk bytes.Buffer
	darkSel := map[string]int{}
	for i, r := range dark {
		darkSel[r.selector] = i
	}
	lightSel := map[string]int{}
	for i, r := range light {
		lightSel[r.selector] = i
	}
	write := func(sel string, decls []string, lightDecls []string) {
		for _, d := range lightDecls {
			prop := property(d)
			reset, ok := cssResets[prop]
			if !ok || slices.ContainsFunc(decls, func(d string) bool { return property(d) == prop }) {
				continue
			}
			decls = append(decls, prop+": "+reset)
		}
		if len(decls) > 0 {
			fmt.Fprintf(&dk, "%s%s { %s }\n", darkPrefix, sel, strings.Join(decls, "; "))
		}
	}
	for _, r := range dark {
		var ld []string
		if i, ok := lightSel[r.selector]; ok {
			ld = light[i].decls
		}
		write(r.selector, slices.Clone(r.decls), ld)
	}
	for _, r := range light {
		if _, ok := darkSel[r.selector]; !ok {
			write(r.selector, nil, r.decls)
		}
	}
	b.WriteString("@media (prefers-color-scheme: dark) {\n")
	b.WriteString(strings.ReplaceAll(dk.String(), darkPrefix, `:root:not([data-theme="light"]) `))
	b.WriteString("}\n")
	b.WriteString(strings.ReplaceAll(dk.String(), darkPrefix, `:root[data-theme="dark"] `))
	return b.Bytes()
}

// darkPrefix stands for the selector that scopes a dark rule, until written.
const darkPrefix = "\x00"

// cssResets are the values that undo a light-theme declaration the dark theme lacks.
var cssResets = map[string]string{
	"color":            "inherit",
	"background-color": "transparent",
	"font-weight":      "inherit",
	"font-style":       "inherit",
	"text-decoration":  "none",
}

// cssRule is one rule of a chroma stylesheet.
type cssRule struct {
	selector string
	decls    []string // "color: #fff"
}

// themeRules returns the rules chroma writes for a style, without the ".bg" rule, which
// is for standalone pages and would style any element of the site with class "bg".
func themeRules(style string) []cssRule {
	f := chromahtml.New(chromahtml.WithClasses(true), chromahtml.WithCSSComments(false))
	var b bytes.Buffer
	if err := f.WriteCSS(&b, styles.Get(style)); err != nil {
		panic(fmt.Errorf("highlight css %s: %w", style, err)) // writes to memory: cannot fail
	}
	var rules []cssRule
	for line := range strings.Lines(b.String()) {
		sel, body, ok := strings.Cut(line, " { ")
		if !ok || sel == ".bg" {
			continue
		}
		var decls []string
		for d := range strings.SplitSeq(strings.TrimSuffix(strings.TrimSpace(body), "}"), ";") {
			if d = strings.TrimSpace(d); d != "" {
				decls = append(decls, d)
			}
		}
		rules = append(rules, cssRule{selector: sel, decls: decls})
	}
	return rules
}

func property(decl string) string {
	p, _, _ := strings.Cut(decl, ":")
	return strings.TrimSpace(p)
}
