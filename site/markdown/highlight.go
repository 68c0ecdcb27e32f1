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
			if tokens, ok := lexCode(lexer, code.String()); ok {
				// Writes to memory here: goldmark's writer reports errors on flush.
				_ = writeCode(w, tokens, format)
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

// lexCode returns the tokens of code, false when the lexer fails: its
// Tokenise returns an error, or one of its rules turns out not to compile when
// it is first tried (brokenRule, lexer.go).
func lexCode(lexer chroma.Lexer, code string) (tokens []chroma.Token, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, broken := r.(*brokenRule); !broken {
				panic(r)
			}
			tokens, ok = nil, false
		}
	}()
	it, err := lexer.Tokenise(nil, code)
	if err != nil {
		return nil, false
	}
	return it.Tokens(), true
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

// lexerCache keeps the coalesced lexer of each fence language, or nil for a
// language chroma does not know: looking up such a name matches it against
// every lexer's file patterns.
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
		lexer = chroma.Coalesce(ours(l))
	}
	l, _ := lexerCache.LoadOrStore(string(lang), lexer)
	lexer, _ = l.(chroma.Lexer)
	return lexer
}

// fallbackLexer is chroma's lexer for text of no known language, coalesced.
var fallbackLexer = sync.OnceValue(func() chroma.Lexer { return chroma.Coalesce(ours(lexers.Fallback)) })

// Code is lexed by ruleLexer, not by chroma's tokenizer, whose regular
// expressions stop any rule that runs for 250 ms at one position by a clock
// (regexp2's, fastclock.go) that counts time the process did not run. A pause
// of the whole process (a busy virtual machine, or a SIGSTOP) made rules in
// progress fail, and the code came out with other tokens (a keyword as a
// name): the same page differed from one build to the next. ruleLexer runs
// the same expressions with a limit no pause reaches (ruleTimeout). So every
// regex lexer is used as its warmingLexer, also where a language hands part of
// a block to another (HTML's scripts to JavaScript: ruleLexers) or to itself.
// The lexers chroma made in Go keep its tokenizer, with that limit set on the
// regex lexers they are made of; what they look up by name while they run
// (a Markdown block's fenced code) still has chroma's.

// warming holds the warmingLexer of each chroma regex lexer used so far.
var warming sync.Map // *chroma.RegexLexer → *warmingLexer

// untimedInside holds the lexers made in Go whose regex lexers got ruleTimeout.
var untimedInside sync.Map // chroma.Lexer → true

// ours returns l's warmingLexer when l is a regex lexer; l itself when it is
// a lexer made in Go.
func ours(l chroma.Lexer) chroma.Lexer {
	rl, ok := l.(*chroma.RegexLexer)
	if !ok {
		// It keeps chroma's tokenizer; the regex lexers it is made of get
		// ruleTimeout before it is first used (lexer.go).
		if _, done := untimedInside.Load(l); !done {
			for _, inner := range regexLexersIn(l) {
				chromaRules(inner)
			}
			untimedInside.Store(l, true)
		}
		return l
	}
	if w, ok := warming.Load(rl); ok {
		return w.(*warmingLexer)
	}
	w := &warmingLexer{Lexer: rl, rl: rl}
	w.plain = sync.OnceValue(func() chroma.Lexer {
		if l := newRuleLexer(rl, false); l != nil {
			return l
		}
		return rl // its rules do not compile: chroma's own says so
	})
	got, _ := warming.LoadOrStore(rl, w)
	return got.(*warmingLexer)
}

// ruleLexers is chroma's registry of lexers with each regex lexer in it
// replaced by its warmingLexer: where a rule hands text to a language by name,
// ruleLexer finds it here. It is made when a lexer that does so is first
// used (a millisecond or more), not by the others.
func ruleLexers() *chroma.LexerRegistry {
	ruleRegistry.once.Do(func() {
		reg := chroma.NewLexerRegistry()
		for _, l := range lexers.GlobalLexerRegistry.Lexers {
			if _, ok := l.(*chroma.RegexLexer); ok {
				reg.Register(keptRegistry{ours(l)})
			} else {
				// Not ours(l) here: it compiles the regex lexers inside, and for
				// all nine that made the registry take 30 ms instead of 2.
				reg.Register(keptRegistry{madeInGo{l}})
			}
		}
		ruleRegistry.reg = reg
	})
	return ruleRegistry.reg
}

var ruleRegistry struct {
	once sync.Once
	reg  *chroma.LexerRegistry
}

// madeInGo is a lexer chroma made in Go, which ours prepares when it is first
// used, not when it is put in ruleLexers.
type madeInGo struct{ chroma.Lexer }

func (m madeInGo) Tokenise(options *chroma.TokeniseOptions, text string) (chroma.Iterator, error) {
	return ours(m.Lexer).Tokenise(options, text)
}

// keptRegistry is a lexer that keeps its registry when put in another.
type keptRegistry struct{ chroma.Lexer }

func (k keptRegistry) SetRegistry(*chroma.LexerRegistry) chroma.Lexer { return k }

// fastAfter is how many code blocks of one language are highlighted with its
// rules alone before their first-character tables (lexer.go) are made. Making
// them parses every rule that is not a list of words, which a block without
// them only compiles as it tries it: Python's lexer took 3.0 ms to make
// without tables, 5.1 ms with them, and lexed a 420-byte block of the
// generated course in 1.2 ms without them, 0.45 ms with them (SQL's, whose
// big rule is a list of words, took 0.9 ms either way). Worth it after a few
// blocks, not in a build that renders the one lesson an author just edited.
const fastAfter = 4

// warmingLexer lexes with a ruleLexer of chroma's regex lexer rl, without
// first-character tables until it has lexed fastAfter blocks, then with them:
// the tokens are the same.
type warmingLexer struct {
	chroma.Lexer // rl, for its name, configuration and analyser
	rl           *chroma.RegexLexer
	plain        func() chroma.Lexer
	uses         atomic.Int64                 // blocks and parts of blocks lexed
	fast         atomic.Pointer[chroma.Lexer] // set once made
}

func (w *warmingLexer) Tokenise(options *chroma.TokeniseOptions, text string) (chroma.Iterator, error) {
	n := w.uses.Add(1)
	if fast := w.fast.Load(); fast != nil {
		return (*fast).Tokenise(options, text)
	}
	if n == fastAfter { // one goroutine makes it; the others go on without meanwhile
		if fl := newRuleLexer(w.rl, true); fl != nil {
			var fast chroma.Lexer = fl
			w.fast.Store(&fast)
		}
	}
	return w.plain().Tokenise(options, text)
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
