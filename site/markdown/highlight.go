package markdown

import (
	"bytes"
	_ "embed" // highlight.css
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Code is highlighted with CSS classes, never inline styles, so one stylesheet serves
// light and dark readers (and a strict Content-Security-Policy). These are the chroma
// styles of that stylesheet, highlight.css: see HighlightCSS.
const (
	lightStyle = "github"
	darkStyle  = "github-dark"
)

// highlighter is the goldmark extension for fenced code blocks.
func highlighter() goldmark.Extender { return codeExtension{} }

type codeExtension struct{}

func (codeExtension) Extend(m goldmark.Markdown) {
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(codeRenderer{}, 200)))
}

// codeRenderer renders fenced code blocks as goldmark-highlighting did for cohort
// (yuin/goldmark-highlighting, highlighting.go, renderFencedCodeBlock, with
// chroma's HTML formatter in class mode), with writeCode (highlight_html.go) in
// place of chroma's formatter: the extension, the formatter and chroma's styles
// registry they import cost every cohort process 9 ms of package init, decoding
// 74 styles of which the formatter reads none in class mode.
// TestCodeBlocksAsTheExtension and TestCodeCorpusAsChroma hold the bytes to theirs.
type codeRenderer struct{}

func (codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, renderCodeBlock)
}

func renderCodeBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	lang := n.Language(source)
	format, nohl := plainFormat, false
	if attr := fenceAttributes(n, source); attr != nil {
		format, nohl = fenceFormat(attr)
	}
	if !nohl {
		if lexer := lexerFor(lang); lexer != nil {
			var code strings.Builder
			for i := range n.Lines().Len() {
				line := n.Lines().At(i)
				code.Write(line.Value(source))
			}
			// A lexer that fails is written as an unknown language is, below.
			if it, err := lexer.Tokenise(nil, code.String()); err == nil {
				// Writes to memory here: goldmark's writer reports errors on flush.
				_ = writeCode(w, it.Tokens(), format)
				return ast.WalkContinue, nil
			}
		}
	}
	// Not a language chroma knows, or nohl: escaped, as the extension writes it.
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

// fenceAttributes returns the lookup of a block's attributes, "```go
// {linenos=table,hl_lines=[2]}", or nil when it has none: the node's own, or
// those of its info string from the first '{' on, when that is not its first
// character and they parse (as goldmark-highlighting, getAttributes). A name
// given twice has its last value, as when goldmark sets them on a node.
func fenceAttributes(n *ast.FencedCodeBlock, source []byte) func(name string) (any, bool) {
	if n.Attributes() != nil {
		return n.AttributeString
	}
	if n.Info == nil {
		return nil
	}
	info := n.Info.Segment.Value(source)
	at := bytes.IndexByte(info, '{')
	if at <= 0 {
		return nil
	}
	attrs, ok := parser.ParseAttributes(text.NewReader(info[at:]))
	if !ok {
		return nil
	}
	return func(name string) (any, bool) {
		for _, a := range slices.Backward(attrs) {
			if string(a.Name) == name {
				return a.Value, true
			}
		}
		return nil, false
	}
}

// fenceFormat reads the attributes goldmark-highlighting reads into a block's
// format: linenos (true, false, "table", "inline", any other word as true),
// linenostart (a number), hl_lines (numbers and "from-to" ranges, both counted
// from linenostart), and nohl, which leaves the block
// unhighlighted. Values of other types are ignored, as the extension ignores
// them; so is hl_style, a style changing nothing in class mode.
func fenceFormat(attr func(name string) (any, bool)) (f codeFormat, nohl bool) {
	f = plainFormat
	if v, ok := attr("linenostart"); ok {
		if n, ok := v.(float64); ok {
			f.base = int(n)
		}
	}
	if v, ok := attr("hl_lines"); ok {
		if list, ok := v.([]any); ok {
			var ranges [][2]int
			for _, l := range list {
				switch l := l.(type) {
				case float64:
					n := int(l) + f.base - 1
					ranges = append(ranges, [2]int{n, n})
				case []byte: // "from-to"; a range the extension cannot read it leaves out
					parts := strings.Split(string(l), "-")
					from, err := strconv.Atoi(parts[0])
					if err != nil {
						continue
					}
					to := from
					if len(parts) > 1 {
						if to, err = strconv.Atoi(parts[1]); err != nil {
							continue
						}
					}
					ranges = append(ranges, [2]int{from + f.base - 1, to + f.base - 1})
				}
			}
			f.setHighlight(ranges)
		}
	}
	_, nohl = attr("nohl")
	if v, ok := attr("linenos"); ok {
		switch v := v.(type) {
		case bool:
			f.lineNumbers = v
		case []byte:
			if v != nil {
				f.lineNumbers = true
			}
			switch string(v) {
			case "table":
				f.table = true
			case "inline":
				f.table = false
			}
		}
	}
	return f, nohl
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

// highlightCSS is the stylesheet of chroma's two styles, made from chroma's
// styles registry by TestHighlightCSSAsChroma (go test -run HighlightCSS
// -update): importing the registry costs every process 9 ms of package init.
//
//go:embed highlight.css
var highlightCSS []byte

// HighlightCSS returns the stylesheet for highlighted code: the light theme, then the
// dark theme inside @media (prefers-color-scheme: dark). The caller may modify it.
func HighlightCSS() []byte {
	return bytes.Clone(highlightCSS)
}
