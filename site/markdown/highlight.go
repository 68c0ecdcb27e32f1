package markdown

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/alecthomas/chroma/v2"
	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
)

// Code is highlighted with CSS classes, never inline styles, so one stylesheet serves
// light and dark readers (and a strict Content-Security-Policy). These are the chroma
// styles HighlightCSS writes for the two.
const (
	lightStyle = "github"
	darkStyle  = "github-dark"
)

// highlighter is the goldmark extension for fenced code blocks.
func highlighter() goldmark.Extender { return codeExtension{} }

type codeExtension struct{}

// classFormatter is the chroma formatter of every code block without options of
// its own. Safe for concurrent use: its one mutable part, the cache of its
// styles' classes, has a lock.
var classFormatter = chromahtml.New(chromahtml.WithClasses(true))

func (codeExtension) Extend(m goldmark.Markdown) {
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(newCodeRenderer(), 200)))
}

// codeRenderer renders fenced code blocks as goldmark-highlighting does
// (yuin/goldmark-highlighting, highlighting.go, renderFencedCodeBlock), with one
// chroma formatter shared by every block: the extension makes a formatter, and
// so works out its style's classes again, for every block (a sixth of the time
// spent highlighting, in a cold build's profile). A block whose info string has
// attributes ("```go {linenos=table}") needs a formatter of its own: the
// extension renders those, as it reads them. TestCodeBlocksAsTheExtension
// holds the two to the same bytes.
type codeRenderer struct {
	formatter *chromahtml.Formatter
	style     *chroma.Style
	// withAttrs is goldmark-highlighting's renderer, for blocks with attributes
	// and the rare block chroma fails to read.
	withAttrs renderer.NodeRendererFunc
}

func newCodeRenderer() *codeRenderer {
	opts := []highlighting.Option{
		highlighting.WithStyle(lightStyle),
		highlighting.WithFormatOptions(chromahtml.WithClasses(true)),
	}
	r := &codeRenderer{formatter: classFormatter, style: styles.Get(lightStyle)}
	highlighting.NewHTMLRenderer(opts...).RegisterFuncs(captureFunc{&r.withAttrs})
	return r
}

// lexerCache keeps chroma's lexer of each fence language, coalesced, or nil for a
// language it does not know: looking up such a name matches it against every
// lexer's file patterns.
var lexerCache sync.Map // string → chroma.Lexer, nil for none

// lexerFor returns the coalesced lexer for a fence's language, or nil.
func lexerFor(lang []byte) chroma.Lexer {
	if lang == nil {
		return nil
	}
	if l, ok := lexerCache.Load(string(lang)); ok {
		lexer, _ := l.(chroma.Lexer)
		return lexer
	}
	var lexer chroma.Lexer
	if l := lexers.Get(string(lang)); l != nil {
		if rl, ok := l.(*chroma.RegexLexer); ok {
			lexer = &warmingLexer{Lexer: chroma.Coalesce(loopGuard{rl}), rl: rl}
		} else {
			lexer = chroma.Coalesce(l)
		}
	}
	l, _ := lexerCache.LoadOrStore(string(lang), lexer)
	lexer, _ = l.(chroma.Lexer)
	return lexer
}

// fastAfter is how many code blocks of one language are highlighted with chroma's
// own lexer before its first-character tables (lexer.go) are made. Making them
// costs about twice what chroma takes to compile the lexer (SQL's 25 ms, Python's
// 10), and they lex about twice as fast: worth it in a build with many blocks, not
// in one that renders the one lesson an author just edited.
const fastAfter = 16

// warmingLexer lexes with chroma's lexer until it has lexed fastAfter blocks,
// then with a firstCharLexer of the same rules, which gives the same tokens.
type warmingLexer struct {
	chroma.Lexer // chroma's, guarded and coalesced
	rl           *chroma.RegexLexer
	uses         atomic.Int64
	fast         atomic.Pointer[chroma.Lexer] // set once made
}

func (w *warmingLexer) Tokenise(options *chroma.TokeniseOptions, text string) (chroma.Iterator, error) {
	if fast := w.fast.Load(); fast != nil {
		return (*fast).Tokenise(options, text)
	}
	if w.uses.Add(1) == fastAfter { // one goroutine makes it; the others go on with chroma's meanwhile
		if fl := newFirstCharLexer(w.rl, lexers.GlobalLexerRegistry); fl != nil {
			fast := chroma.Coalesce(fl)
			w.fast.Store(&fast)
		}
	}
	return w.Lexer.Tokenise(options, text)
}

// captureFunc keeps the function a node renderer registers for fenced code.
type captureFunc struct{ fn *renderer.NodeRendererFunc }

func (c captureFunc) Register(k ast.NodeKind, fn renderer.NodeRendererFunc) {
	if k == ast.KindFencedCodeBlock {
		*c.fn = fn
	}
}

func (r *codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, r.render)
}

func (r *codeRenderer) render(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	if n.Attributes() != nil || n.Info != nil && bytes.IndexByte(n.Info.Segment.Value(source), '{') >= 0 {
		return r.withAttrs(w, source, node, entering)
	}
	lang := n.Language(source)
	lexer := lexerFor(lang)
	if lexer == nil { // not a language chroma knows: escaped, as the extension writes it
		_, _ = w.WriteString("<pre><code")
		if lang != nil {
			_, _ = w.WriteString(` class="language-`)
			html.DefaultWriter.Write(w, lang)
			_ = w.WriteByte('"')
		}
		_ = w.WriteByte('>')
		for i := range n.Lines().Len() {
			line := n.Lines().At(i)
			html.DefaultWriter.RawWrite(w, line.Value(source))
		}
		_, _ = w.WriteString("</code></pre>\n")
		return ast.WalkContinue, nil
	}
	var code strings.Builder
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		code.Write(line.Value(source))
	}
	it, err := lexer.Tokenise(nil, code.String())
	if err != nil {
		return r.withAttrs(w, source, node, entering)
	}
	// Format writes to memory here (goldmark's writer reports errors on flush),
	// and the extension ignores its error as well.
	_ = r.formatter.Format(w, r.style, it)
	return ast.WalkContinue, nil
}

var highlightCSS = sync.OnceValue(func() []byte {
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
})

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

// HighlightCSS returns the stylesheet for highlighted code: the light theme, then the
// dark theme inside @media (prefers-color-scheme: dark). The caller may modify it.
func HighlightCSS() []byte {
	return bytes.Clone(highlightCSS())
}
