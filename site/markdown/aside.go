package markdown

// Callouts and discussion prompts: a blockquote whose first line is a marker such as
// "[!NOTE]" or "[!DISCUSS]" becomes an <aside>. The marker is recognised in the parsed
// tree by an AST transformer, and the new nodes have their own renderer.

import (
	"bytes"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// calloutKinds are the GitHub alert types, lower case, in the order GitHub lists them.
var calloutKinds = []string{"note", "tip", "important", "warning", "caution"}

// promptKind is the marker of a discussion prompt.
const promptKind = "discuss"

var (
	kindCallout   = ast.NewNodeKind("Callout")
	kindPrompt    = ast.NewNodeKind("Prompt")
	kindAsideHead = ast.NewNodeKind("AsideTitle")
)

// calloutNode is a callout block: its first child is an asideTitle, the rest is the body
// of the blockquote it replaced.
type calloutNode struct {
	ast.BaseBlock
	Callout string // one of calloutKinds
}

func (n *calloutNode) Kind() ast.NodeKind { return kindCallout }

func (n *calloutNode) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Callout": n.Callout}, nil)
}

// promptNode is a discussion prompt: an asideTitle, then the body of the blockquote.
type promptNode struct {
	ast.BaseBlock
}

func (n *promptNode) Kind() ast.NodeKind { return kindPrompt }

func (n *promptNode) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

// asideTitle is the title line of a callout or prompt. Its children are the inlines of
// an author's own title; without children the renderer writes Label.
type asideTitle struct {
	ast.BaseBlock
	Class string // "callout-title" or "prompt-title"
	Label string // HTML-escaped default title
}

func (n *asideTitle) Kind() ast.NodeKind { return kindAsideHead }

func (n *asideTitle) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Class": n.Class, "Label": n.Label}, nil)
}

// parseMarker reads "[!KIND]" at the start of line. It returns the kind in lower case
// and how many bytes the marker and the blanks after it take. A marker must be followed
// by a blank or the end of the line, so "[!NOTE](x)" stays a link.
func parseMarker(line []byte) (kind string, n int, ok bool) {
	if !bytes.HasPrefix(line, []byte("[!")) {
		return "", 0, false
	}
	end := bytes.IndexByte(line, ']')
	if end < 3 {
		return "", 0, false
	}
	word := bytes.ToLower(line[2:end])
	n = end + 1
	if n < len(line) && !util.IsSpace(line[n]) {
		return "", 0, false
	}
	for n < len(line) && util.IsSpace(line[n]) && line[n] != '\n' && line[n] != '\r' {
		n++
	}
	switch string(word) {
	case "note", "tip", "important", "warning", "caution", promptKind:
		return string(word), n, true
	}
	return "", 0, false
}

// asideTransformer turns marked blockquotes into callout and prompt nodes.
type asideTransformer struct {
	labels *labels
}

// Transform implements parser.ASTTransformer.
func (t *asideTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	var quotes []*ast.Blockquote
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if q, ok := n.(*ast.Blockquote); ok && entering {
			quotes = append(quotes, q)
		}
		if c := n.FirstChild(); c != nil && c.Type() == ast.TypeInline {
			return ast.WalkSkipChildren, nil // a paragraph's text holds no blockquote
		}
		return ast.WalkContinue, nil
	})
	src := reader.Source()
	for _, q := range quotes {
		t.transform(q, src)
	}
}

func (t *asideTransformer) transform(q *ast.Blockquote, src []byte) {
	para, ok := q.FirstChild().(*ast.Paragraph)
	if !ok || para.Lines().Len() == 0 {
		return
	}
	first := para.Lines().At(0)
	line := first.Value(src)
	lead := len(line) - len(bytes.TrimLeft(line, " \t"))
	kind, n, ok := parseMarker(line[lead:])
	if !ok {
		return
	}
	markerEnd := first.Start + lead + n
	titleNodes, ok := takeFirstLine(para, markerEnd, first.Stop)
	if !ok {
		return
	}

	title := &asideTitle{}
	var aside ast.Node
	if kind == promptKind {
		title.Class, title.Label = "prompt-title", t.labels.prompt
		aside = &promptNode{}
	} else {
		title.Class, title.Label = "callout-title", t.labels.callout[kind]
		aside = &calloutNode{Callout: kind}
	}
	if hasText(titleNodes, src) {
		for _, c := range titleNodes {
			title.AppendChild(title, c)
		}
	}
	if para.ChildCount() == 0 {
		q.RemoveChild(q, para)
	}
	aside.AppendChild(aside, title)
	for c := q.FirstChild(); c != nil; {
		next := c.NextSibling()
		aside.AppendChild(aside, c) // AppendChild detaches c from q
		c = next
	}
	aside.SetBlankPreviousLines(q.HasBlankPreviousLines())
	q.Parent().ReplaceChild(q.Parent(), q, aside)
}

// takeFirstLine detaches the inlines of para's first line, which ends at lineEnd. Those
// before markerEnd (the marker) are dropped; the rest, the author's title, are returned.
// An inline that starts on the first line goes with it whole, even if it runs on. It
// reports false, and changes nothing, when the marker is not plain text (for example a
// reference link).
func takeFirstLine(para *ast.Paragraph, markerEnd, lineEnd int) ([]ast.Node, bool) {
	for c := para.FirstChild(); c != nil; c = c.NextSibling() {
		t, ok := c.(*ast.Text)
		if !ok {
			return nil, false
		}
		if t.Segment.Stop >= markerEnd || t.SoftLineBreak() || t.HardLineBreak() {
			break
		}
	}
	var title []ast.Node
	for c := para.FirstChild(); c != nil; {
		if firstTextStart(c) >= lineEnd {
			break
		}
		next := c.NextSibling()
		t, isText := c.(*ast.Text)
		endsLine := isText && (t.SoftLineBreak() || t.HardLineBreak())
		para.RemoveChild(para, c)
		switch {
		case isText && t.Segment.Stop <= markerEnd:
			// all marker: dropped
		case isText && t.Segment.Start < markerEnd:
			t.Segment = t.Segment.WithStart(markerEnd)
			title = append(title, t)
		default:
			title = append(title, c)
		}
		if endsLine {
			t.SetSoftLineBreak(false)
			t.SetHardLineBreak(false)
			break
		}
		c = next
	}
	return title, true
}

// hasText reports whether nodes hold anything but blanks.
func hasText(nodes []ast.Node, src []byte) bool {
	for _, n := range nodes {
		t, ok := n.(*ast.Text)
		if !ok || len(bytes.TrimSpace(t.Segment.Value(src))) > 0 {
			return true
		}
	}
	return false
}

// asideRenderer writes callouts, prompts and their titles.
type asideRenderer struct {
	labels *labels
}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *asideRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindCallout, r.renderCallout)
	reg.Register(kindPrompt, r.renderPrompt)
	reg.Register(kindAsideHead, r.renderTitle)
}

func (r *asideRenderer) renderCallout(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</aside>\n")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<aside class="callout callout-`)
	_, _ = w.WriteString(n.(*calloutNode).Callout) // one of calloutKinds: nothing to escape
	_, _ = w.WriteString("\" role=\"note\">\n")
	return ast.WalkContinue, nil
}

func (r *asideRenderer) renderPrompt(w util.BufWriter, _ []byte, _ ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString(`<p class="prompt-more"><a href="#discussion">`)
		_, _ = w.WriteString(r.labels.join)
		_, _ = w.WriteString("</a></p>\n</aside>\n")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<aside class="prompt" aria-label="`)
	_, _ = w.WriteString(r.labels.prompt)
	_, _ = w.WriteString("\">\n")
	return ast.WalkContinue, nil
}

func (r *asideRenderer) renderTitle(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*asideTitle)
	if !entering {
		_, _ = w.WriteString("</p>\n")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<p class="`)
	_, _ = w.WriteString(n.Class)
	_, _ = w.WriteString(`">`)
	if !n.HasChildren() {
		_, _ = w.WriteString(n.Label)
	}
	return ast.WalkContinue, nil
}

// asideExtension is the goldmark.Extender for callouts and discussion prompts.
type asideExtension struct {
	labels *labels
}

// Extend implements goldmark.Extender.
func (e *asideExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithASTTransformers(
		util.Prioritized(&asideTransformer{labels: e.labels}, 100),
	))
	m.Renderer().AddOptions(renderer.WithNodeRenderers(
		util.Prioritized(&asideRenderer{labels: e.labels}, 500),
	))
}
