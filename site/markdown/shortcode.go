package markdown

// Shortcodes, as a Hugo course writes them: {{< youtube ID >}}, {{% notice tip %}}…
// {{% /notice %}}. A block parser takes a tag alone on its line (and, for a pair, the
// lines up to its closing tag: as Markdown children for {{% %}} and the callouts, as
// raw lines for {{< >}}); an inline parser takes a tag inside a paragraph. An AST
// transformer then turns each call into cohort's own nodes: callouts, video facades,
// <details>, figures, highlighted code, links. A caller's own shortcodes
// (Options.Shortcodes) are run by the renderer, with the Markdown between their tags
// already rendered. An unknown name, or a built-in used wrongly, is a *ShortcodeError.

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Shortcode renders a caller-defined shortcode: it returns HTML, written as it is.
type Shortcode func(c *ShortcodeCall) (string, error)

// ShortcodeError is a shortcode that cannot be rendered: Line is 1-based within the
// Markdown given to Render.
type ShortcodeError struct {
	Line int
	Name string
	Err  error
}

// Error says which shortcode and why.
func (e *ShortcodeError) Error() string {
	return fmt.Sprintf("line %d: shortcode %q: %v", e.Line, e.Name, e.Err)
}

// Unwrap returns the cause.
func (e *ShortcodeError) Unwrap() error { return e.Err }

// builtinShortcodes are the Hugo shortcodes rendered as cohort's equivalents.
var builtinShortcodes = map[string]bool{
	"youtube": true, "vimeo": true, "figure": true, "ref": true, "relref": true,
	"highlight": true, "param": true, "details": true, "notice": true, "hint": true,
}

// inlineOnly are the built-ins whose output is text in a sentence: alone on a line
// they still make a paragraph.
var inlineOnly = map[string]bool{"ref": true, "relref": true, "param": true}

var (
	kindShortcode       = ast.NewNodeKind("Shortcode")
	kindShortcodeInline = ast.NewNodeKind("ShortcodeInline")
	kindRawHTML         = ast.NewNodeKind("ShortcodeHTML")
	kindDetails         = ast.NewNodeKind("Details")
	kindCustom          = ast.NewNodeKind("CustomShortcode")
)

// shortcodeBlock is a call alone on its line, with, for a pair, its inner lines:
// as children (Markdown) or as Lines (raw).
type shortcodeBlock struct {
	ast.BaseBlock
	Call     *ShortcodeCall
	Offset   int  // of the opening tag in the source
	raw      bool // inner lines kept as text, not parsed
	closeAt  int  // offset of the closing tag; -1 without one
	unclosed bool // a built-in that needs a closing tag has none
}

func (n *shortcodeBlock) Kind() ast.NodeKind { return kindShortcode }
func (n *shortcodeBlock) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Name": n.Call.Name}, nil)
}

// shortcodeInline is a call inside a paragraph; Err is set for a malformed tag.
type shortcodeInline struct {
	ast.BaseInline
	Call   *ShortcodeCall
	Offset int
	End    int // offset just past the call
	Err    error
}

func (n *shortcodeInline) Kind() ast.NodeKind { return kindShortcodeInline }
func (n *shortcodeInline) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Name": n.Call.Name}, nil)
}

// rawHTML is what a shortcode rendered to; Block says whether it stands alone.
type rawHTML struct {
	ast.BaseBlock
	HTML  string
	Block bool
}

func (n *rawHTML) Kind() ast.NodeKind { return kindRawHTML }
func (n *rawHTML) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"HTML": n.HTML}, nil)
}
func (n *rawHTML) Type() ast.NodeType {
	if n.Block {
		return ast.TypeBlock
	}
	return ast.TypeInline
}

// detailsNode is <details>: its children are the body.
type detailsNode struct {
	ast.BaseBlock
	Summary string // plain text
	Open    bool
	// Class, Name and Title are the element's attributes, when given.
	Class, Name, Title string
}

func (n *detailsNode) Kind() ast.NodeKind { return kindDetails }
func (n *detailsNode) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Summary": n.Summary}, nil)
}

// customNode is a call of a caller's shortcode, run when it renders, so that its
// Markdown children are HTML by then.
type customNode struct {
	ast.BaseBlock
	Call *ShortcodeCall
	Fn   Shortcode
	Line int
	st   *renderState
}

func (n *customNode) Kind() ast.NodeKind { return kindCustom }
func (n *customNode) Dump(src []byte, level int) {
	ast.DumpHelper(n, src, level, map[string]string{"Name": n.Call.Name}, nil)
}

// shortcodeBlockParser opens a shortcodeBlock for a tag alone on its line.
type shortcodeBlockParser struct {
	custom map[string]Shortcode
}

func (p *shortcodeBlockParser) Trigger() []byte { return []byte{'{'} }

func (p *shortcodeBlockParser) Open(_ ast.Node, reader text.Reader, _ parser.Context) (ast.Node, parser.State) {
	line, seg := reader.PeekLine()
	lead := len(line) - len(bytes.TrimLeft(line, " \t"))
	call, n, err := parseTag(line[lead:])
	if err != nil || call.closing || len(bytes.TrimSpace(line[lead+n:])) > 0 {
		return nil, parser.NoChildren // inline, malformed or stray: the inline parser reports it
	}
	_, custom := p.custom[call.Name]
	if !custom && inlineOnly[call.Name] {
		return nil, parser.NoChildren
	}
	node := &shortcodeBlock{Call: call, Offset: seg.Start + lead, closeAt: -1}
	advanceLine(reader, line, seg)
	if call.self {
		return node, parser.NoChildren
	}
	src := reader.Source()
	at, _ := findClose(src, seg.Stop, call.Name)
	if at < 0 {
		_, paired := pairedOnly[call.Name]
		node.unclosed = paired && !custom
		return node, parser.NoChildren
	}
	call.Paired = true
	node.closeAt = at
	switch {
	case custom:
		node.raw = !call.Markdown
	case builtinShortcodes[call.Name]:
		node.raw = call.Name == "highlight"
	default:
		node.raw = true // unknown: reported by the transformer; its lines are not Markdown
	}
	if node.raw {
		return node, parser.NoChildren
	}
	return node, parser.HasChildren
}

func (p *shortcodeBlockParser) Continue(node ast.Node, reader text.Reader, _ parser.Context) parser.State {
	n := node.(*shortcodeBlock)
	if n.closeAt < 0 {
		return parser.Close
	}
	line, seg := reader.PeekLine()
	if n.closeAt >= seg.Start && n.closeAt < seg.Stop {
		advanceLine(reader, line, seg)
		return parser.Close
	}
	if seg.Start > n.closeAt {
		return parser.Close // the closing tag was taken by a block inside
	}
	if n.raw {
		if len(line) > 0 {
			n.Lines().Append(seg)
		}
		advanceLine(reader, line, seg)
		return parser.Continue | parser.NoChildren
	}
	return parser.Continue | parser.HasChildren
}

func (p *shortcodeBlockParser) Close(ast.Node, text.Reader, parser.Context) {}

// advanceLine moves the reader to the end of the line, leaving its newline, as
// goldmark's own block parsers do; a last line without one is taken whole.
func advanceLine(reader text.Reader, line []byte, seg text.Segment) {
	n := seg.Len()
	if len(line) > 0 && line[len(line)-1] == '\n' {
		n--
	}
	reader.Advance(n)
}
func (p *shortcodeBlockParser) CanInterruptParagraph() bool { return true }
func (p *shortcodeBlockParser) CanAcceptIndentedLine() bool { return false }

// shortcodeInlineParser takes a tag inside a paragraph, with its inner text and
// closing tag when both are on the same line.
type shortcodeInlineParser struct{}

func (shortcodeInlineParser) Trigger() []byte { return []byte{'{'} }

func (shortcodeInlineParser) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	line, seg := block.PeekLine()
	if shown, n := escapedTag(line); n > 0 {
		block.Advance(n)
		return &rawHTML{HTML: template.HTMLEscapeString(shown)}
	}
	call, n, err := parseTag(line)
	if err == errNotTag {
		return nil
	}
	node := &shortcodeInline{Call: call, Offset: seg.Start, End: seg.Start + n, Err: err}
	if err != nil {
		node.Call = &ShortcodeCall{Name: tagName(line)}
		if end := bytes.Index(line, []byte("}}")); end >= 0 {
			n = end + 2
		} else {
			n = len(line)
		}
		block.Advance(n)
		return node
	}
	if call.closing {
		node.Err = fmt.Errorf("closing tag without an opening {{%c %s %c}} before it", line[2], call.Name, line[2])
	} else if !call.self {
		if at, cn := findClose(line, n, call.Name); at >= 0 {
			call.Paired = true
			call.Inner = string(line[n:at])
			n = at + cn
		}
	}
	node.End = seg.Start + n
	block.Advance(n)
	return node
}

// escapedTag reads Hugo's way of showing a tag as text, {{</* name */>}}, and
// returns the tag it shows, {{< name >}}, and how many bytes it took; 0 for none.
func escapedTag(line []byte) (string, int) {
	if !isTagStart(line) {
		return "", 0
	}
	delim := line[2]
	rest := bytes.TrimLeft(line[3:], " ")
	if !bytes.HasPrefix(rest, []byte("/*")) {
		return "", 0
	}
	start := len(line) - len(rest) + 2
	closer := "*/" + string(closeDelim(&ShortcodeCall{Markdown: delim == '%'})) + "}}"
	end := bytes.Index(line[start:], []byte(closer))
	if end < 0 || bytes.IndexByte(line[start:start+end], '\n') >= 0 {
		return "", 0
	}
	inner := line[start : start+end]
	return "{{" + string(delim) + string(inner) + string(closeDelim(&ShortcodeCall{Markdown: delim == '%'})) + "}}", start + end + len(closer)
}

// tagName guesses the name in a malformed tag, for its error.
func tagName(line []byte) string {
	i := skipBlanks(line, 3)
	if i < len(line) && line[i] == '/' {
		i = skipBlanks(line, i+1)
	}
	j := i
	for j < len(line) && isNameByte(line[j]) {
		j++
	}
	return string(line[i:j])
}

// shortcodeExtension is the goldmark.Extender for shortcodes.
type shortcodeExtension struct {
	labels *labels
	custom map[string]Shortcode
}

// Extend implements goldmark.Extender.
func (e *shortcodeExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(
		parser.WithBlockParsers(util.Prioritized(&shortcodeBlockParser{custom: e.custom}, 150)),
		parser.WithInlineParsers(util.Prioritized(shortcodeInlineParser{}, 150)),
		// After link resolution (120): the links it makes are resolved already.
		parser.WithASTTransformers(util.Prioritized(&shortcodeTransformer{labels: e.labels, custom: e.custom}, 130)),
	)
	m.Renderer().AddOptions(renderer.WithNodeRenderers(
		util.Prioritized(&shortcodeRenderer{md: m}, 500),
	))
}

// shortcodeRenderer writes what the transformer left: raw HTML, <details>, and the
// calls of a caller's shortcodes.
type shortcodeRenderer struct {
	md goldmark.Markdown
}

// RegisterFuncs implements renderer.NodeRenderer.
func (r *shortcodeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindRawHTML, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			_, _ = w.WriteString(n.(*rawHTML).HTML)
		}
		return ast.WalkSkipChildren, nil
	})
	reg.Register(kindDetails, func(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
		n := node.(*detailsNode)
		if !entering {
			_, _ = w.WriteString("</details>\n")
			return ast.WalkContinue, nil
		}
		_, _ = w.WriteString("<details")
		for _, a := range [][2]string{{"class", n.Class}, {"name", n.Name}, {"title", n.Title}} {
			if a[1] != "" {
				_, _ = w.WriteString(" " + a[0] + `="` + template.HTMLEscapeString(a[1]) + `"`)
			}
		}
		if n.Open {
			_, _ = w.WriteString(" open")
		}
		_, _ = w.WriteString("><summary>")
		_, _ = w.WriteString(template.HTMLEscapeString(n.Summary))
		_, _ = w.WriteString("</summary>\n")
		return ast.WalkContinue, nil
	})
	reg.Register(kindCustom, r.renderCustom)
	// Left only when the transformer did not run (no state): render nothing.
	reg.Register(kindShortcode, func(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
		return ast.WalkSkipChildren, nil
	})
	reg.Register(kindShortcodeInline, func(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
		return ast.WalkSkipChildren, nil
	})
}

// renderCustom renders the Markdown children into Inner, then runs the shortcode.
func (r *shortcodeRenderer) renderCustom(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*customNode)
	if n.Call.Markdown && n.HasChildren() {
		doc := ast.NewDocument()
		for c := n.FirstChild(); c != nil; {
			next := c.NextSibling()
			doc.AppendChild(doc, c)
			c = next
		}
		var buf bytes.Buffer
		if err := r.md.Renderer().Render(&buf, src, doc); err != nil {
			return ast.WalkStop, err
		}
		n.Call.Inner = buf.String()
	}
	out, err := n.Fn(n.Call)
	if err != nil {
		n.st.fail(&ShortcodeError{Line: n.Line, Name: n.Call.Name, Err: err})
		return ast.WalkSkipChildren, nil
	}
	_, _ = w.WriteString(out)
	if n.Type() == ast.TypeBlock && !strings.HasSuffix(out, "\n") {
		_ = w.WriteByte('\n')
	}
	return ast.WalkSkipChildren, nil
}
