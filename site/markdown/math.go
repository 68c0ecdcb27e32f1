package markdown

// Math in Markdown: $…$ inline and $$…$$ as a block (or inline, in display style),
// rendered at build time by KaTeX (katex.go), and ```mermaid blocks, left for the
// browser. The delimiter rule is the one of pandoc's tex_math_dollars (and
// GitHub's): an opening $ is not followed by a space, a closing $ is not preceded
// by one and not followed by a digit, so "$5 and $10" stays text. A formula fits on
// one line inside a paragraph; a $$ block may span lines. One step stricter than
// pandoc: a $ that cannot close ends the attempt, so in "Pay $5, then $y$." only
// y is math.

import (
	"bytes"
	"html/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

var (
	kindMath    = ast.NewNodeKind("Math")
	kindMathBlk = ast.NewNodeKind("MathBlock")
	kindMermaid = ast.NewNodeKind("Mermaid")
)

// mathInline is $…$ or $$…$$ inside a paragraph.
type mathInline struct {
	ast.BaseInline
	TeX     string
	Display bool
	Offset  int
	HTML    string // set by the transformer
}

func (n *mathInline) Kind() ast.NodeKind { return kindMath }
func (n *mathInline) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"TeX": n.TeX}, nil)
}

// mathBlock is a $$ … $$ block.
type mathBlock struct {
	ast.BaseBlock
	Offset int
	closed bool
	HTML   string // set by the transformer
}

func (n *mathBlock) Kind() ast.NodeKind { return kindMathBlk }
func (n *mathBlock) IsRaw() bool        { return true }
func (n *mathBlock) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, nil, nil)
}

// tex returns the block's TeX: its lines without the $$ fences.
func (n *mathBlock) tex(src []byte) string {
	var b bytes.Buffer
	for i := range n.Lines().Len() {
		seg := n.Lines().At(i)
		b.Write(seg.Value(src))
	}
	s := bytes.TrimSpace(b.Bytes())
	s = bytes.TrimPrefix(s, []byte("$$"))
	s = bytes.TrimSuffix(s, []byte("$$"))
	return string(bytes.TrimSpace(s))
}

// mermaidBlock is a ```mermaid fenced block: its source goes to the page for the
// browser's Mermaid to draw.
type mermaidBlock struct {
	ast.BaseBlock
	Source string
}

func (n *mermaidBlock) Kind() ast.NodeKind { return kindMermaid }
func (n *mermaidBlock) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, nil, nil)
}

// mathBlockParser opens a block at a line that starts with $$.
type mathBlockParser struct{}

func (mathBlockParser) Trigger() []byte { return []byte{'$'} }

func (mathBlockParser) Open(_ ast.Node, reader text.Reader, _ parser.Context) (ast.Node, parser.State) {
	line, seg := reader.PeekLine()
	pos, _ := util.IndentWidth(line, 0)
	if pos > 3 || !bytes.HasPrefix(line[pos:], []byte("$$")) {
		return nil, parser.NoChildren
	}
	rest := bytes.TrimSpace(line[pos+2:])
	if i := bytes.Index(rest, []byte("$$")); i >= 0 && i+2 < len(rest) {
		return nil, parser.NoChildren // $$a$$ and more text: display math inside a paragraph
	}
	if !bytes.HasSuffix(rest, []byte("$$")) || len(rest) < 2 {
		if !bytes.Contains(reader.Source()[seg.Stop:], []byte("$$")) {
			return nil, parser.NoChildren // never closed: text, as pandoc reads it
		}
	}
	n := &mathBlock{Offset: seg.Start + pos}
	n.Lines().Append(seg)
	advanceLine(reader, line, seg)
	if len(rest) >= 2 && bytes.HasSuffix(rest, []byte("$$")) {
		n.closed = true // $$ x $$ on one line
		return n, parser.Close
	}
	return n, parser.NoChildren
}

func (mathBlockParser) Continue(node ast.Node, reader text.Reader, _ parser.Context) parser.State {
	n := node.(*mathBlock)
	if n.closed {
		return parser.Close
	}
	line, seg := reader.PeekLine()
	if line == nil {
		return parser.Close
	}
	n.Lines().Append(seg)
	advanceLine(reader, line, seg)
	if bytes.HasSuffix(bytes.TrimSpace(line), []byte("$$")) {
		n.closed = true
		return parser.Close
	}
	return parser.Continue | parser.NoChildren
}

func (mathBlockParser) Close(ast.Node, text.Reader, parser.Context) {}
func (mathBlockParser) CanInterruptParagraph() bool                 { return true }
func (mathBlockParser) CanAcceptIndentedLine() bool                 { return false }

// mathInlineParser takes $…$ and $$…$$ within a line.
type mathInlineParser struct{}

func (mathInlineParser) Trigger() []byte { return []byte{'$'} }

func (mathInlineParser) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	line, seg := block.PeekLine()
	delim := 1
	if len(line) > 1 && line[1] == '$' {
		delim = 2
	}
	open := line[delim:]
	if len(open) == 0 || open[0] == ' ' || open[0] == '\t' || open[0] == '\n' || open[0] == '$' {
		return nil
	}
	for i := 0; i < len(open); i++ {
		switch open[i] {
		case '\\':
			i++ // \$ inside TeX is a dollar sign
			continue
		case '\n':
			return nil
		case '$':
		default:
			continue
		}
		if delim == 2 {
			if i+1 >= len(open) || open[i+1] != '$' {
				continue
			}
		}
		prev, after := open[i-1], byte(' ')
		if i+delim < len(open) {
			after = open[i+delim]
		}
		if delim == 1 && (prev == ' ' || prev == '\t' || (after >= '0' && after <= '9')) {
			return nil // not a closing $, and TeX has no bare $: this one was money
		}
		block.Advance(delim + i + delim)
		return &mathInline{TeX: string(open[:i]), Display: delim == 2, Offset: seg.Start}
	}
	return nil
}

// mathTransformer renders every formula with KaTeX, and marks the document's
// diagrams, so that the page knows which stylesheet and script it needs.
type mathTransformer struct{ engine *mathEngine }

func (t *mathTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	st, _ := pc.Get(stateKey).(*renderState)
	if st == nil {
		st = &renderState{}
	}
	src := reader.Source()
	var fences []*ast.FencedCodeBlock
	_ = ast.Walk(doc, func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := node.(type) {
		case *mathInline:
			n.HTML = t.render(st, src, n.TeX, n.Display, n.Offset)
		case *mathBlock:
			n.HTML = t.render(st, src, n.tex(src), true, n.Offset)
		case *ast.FencedCodeBlock:
			if string(n.Language(src)) == "mermaid" {
				fences = append(fences, n)
			}
		}
		return ast.WalkContinue, nil
	})
	for _, f := range fences {
		var b bytes.Buffer
		for i := range f.Lines().Len() {
			seg := f.Lines().At(i)
			b.Write(seg.Value(src))
		}
		f.Parent().ReplaceChild(f.Parent(), f, &mermaidBlock{Source: b.String()})
		st.diagram = true
	}
}

// render renders one formula, recording its rules, or its error at its line.
func (t *mathTransformer) render(st *renderState, src []byte, tex string, display bool, off int) string {
	f, err := t.engine.Render(tex, display)
	if err != nil {
		if st.mathErr == nil {
			st.mathErr = &MathError{Line: lineAt(src, off), TeX: tex, Err: err}
		}
		return `<code class="math-error">` + template.HTMLEscapeString(tex) + `</code>`
	}
	if st.mathRules == nil {
		st.mathRules = map[string]bool{}
	}
	for _, r := range f.Rules {
		st.mathRules[r] = true
	}
	st.math = true
	return f.HTML
}

// mathExtension is math and Mermaid as one goldmark extension.
type mathExtension struct{ engine *mathEngine }

// Extend implements goldmark.Extender.
func (e *mathExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithBlockParsers(util.Prioritized(mathBlockParser{}, 160)),
		parser.WithInlineParsers(util.Prioritized(mathInlineParser{}, 160)),
		parser.WithASTTransformers(util.Prioritized(&mathTransformer{engine: e.engine}, 140)),
	)
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(mathRenderer{}, 500)))
}

// mathRenderer writes formulas as KaTeX made them and diagrams as their source.
type mathRenderer struct{}

// RegisterFuncs implements renderer.NodeRenderer.
func (mathRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindMath, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString(n.(*mathInline).HTML)
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(kindMathBlk, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString(`<div class="math">` + n.(*mathBlock).HTML + "</div>\n")
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(kindMermaid, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			// Mermaid reads the text of the element, so the source is escaped once.
			_, _ = w.WriteString(`<pre class="mermaid">` + template.HTMLEscapeString(n.(*mermaidBlock).Source) + "</pre>\n")
		}
		return ast.WalkSkipChildren, nil
	})
}
