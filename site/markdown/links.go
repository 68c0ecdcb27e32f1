package markdown

// Link resolution: an AST transformer hands every link and image destination to the
// Resolver of the current Render call, and writes back what it returns.

import (
	"bytes"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// linkTransformer calls the Resolver found in the parser context, and sets each
// image's attributes once its link is resolved (images.go), in one walk.
type linkTransformer struct{}

// Transform implements parser.ASTTransformer.
func (linkTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	st, _ := pc.Get(stateKey).(*renderState)
	resolve := st != nil && st.resolve != nil
	src := reader.Source()
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var dest *[]byte
		img, isImage := n.(*ast.Image)
		switch l := n.(type) {
		case *ast.Link:
			dest = &l.Destination
		case *ast.Image:
			dest = &l.Destination
		default:
			return ast.WalkContinue, nil
		}
		if resolve {
			got, err := st.resolve(string(*dest))
			if err != nil {
				st.err = &LinkError{Line: lineAt(src, offsetOf(n, src)), Dest: string(*dest), Err: err}
				resolve = false // the first broken link is the one reported; the rest stay as written
			} else {
				*dest = []byte(got)
			}
		}
		if isImage {
			setImageAttrs(st, img)
		}
		return ast.WalkContinue, nil
	})
}

// offsetOf finds where in the source n is: the start of its first text, else the
// nearest text before or after it in the same block, else the first line of that block,
// going up the tree until something has a position.
// It returns -1 when nothing in the tree has a position.
func offsetOf(n ast.Node, src []byte) int {
	for c := n; c != nil; c = c.Parent() {
		if off := firstTextStart(c); off >= 0 {
			return off
		}
		if c.Type() == ast.TypeBlock && c.Lines().Len() > 0 {
			return c.Lines().At(0).Start
		}
		for s := c.PreviousSibling(); s != nil; s = s.PreviousSibling() {
			if off := lastTextStop(s, src); off >= 0 {
				return off
			}
		}
		for s := c.NextSibling(); s != nil; s = s.NextSibling() {
			if off := firstTextStart(s); off >= 0 {
				return off
			}
		}
	}
	return -1
}

func firstTextStart(n ast.Node) int {
	if t, ok := n.(*ast.Text); ok {
		return t.Segment.Start
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if off := firstTextStart(c); off >= 0 {
			return off
		}
	}
	return -1
}

// lastTextStop returns where the last text in n ends; when that text ends its line, the
// start of the next line, since what follows it is there.
func lastTextStop(n ast.Node, src []byte) int {
	if t, ok := n.(*ast.Text); ok {
		off := t.Segment.Stop
		if t.SoftLineBreak() || t.HardLineBreak() {
			if i := bytes.IndexByte(src[min(off, len(src)):], '\n'); i >= 0 {
				off += i + 1
			}
		}
		return off
	}
	for c := n.LastChild(); c != nil; c = c.PreviousSibling() {
		if off := lastTextStop(c, src); off >= 0 {
			return off
		}
	}
	return -1
}

// lineAt returns the 1-based line of byte offset off in src; 1 when off is unknown.
func lineAt(src []byte, off int) int {
	if off < 0 {
		return 1
	}
	off = min(off, len(src))
	return 1 + bytes.Count(src[:off], []byte("\n"))
}

// linkExtension is the goldmark.Extender for link resolution.
type linkExtension struct{}

// Extend implements goldmark.Extender.
func (linkExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithASTTransformers(
		util.Prioritized(linkTransformer{}, 120),
	))
}
