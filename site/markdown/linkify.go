package markdown

import (
	"bytes"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// linkifyExtension is goldmark's Linkify (bare URLs, www. names and e-mail
// addresses become links) behind a cheap look at the word first. Linkify is
// asked at every space, so at every word of a lesson, and about a quarter of
// all inline parsing went into it; a word that cannot start a link (no URL
// prefix, and no '@' after an address's first part) is now turned away before
// it is called. What it links is unchanged (TestLinkifyGateSame).
type linkifyExtension struct{}

// Extend puts the gated parser where goldmark's extension puts its own.
func (linkifyExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithInlineParsers(
		util.Prioritized(&linkifyGate{inner: extension.NewLinkifyParser()}, 999),
	))
}

type linkifyGate struct{ inner parser.InlineParser }

func (g *linkifyGate) Trigger() []byte { return g.inner.Trigger() }

func (g *linkifyGate) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, _ := block.PeekLine()
	if !mayLinkify(line) {
		return nil
	}
	return g.inner.Parse(parent, block, pc)
}

// mayLinkify reports whether goldmark's linkify parser could make a link of
// line, at a trigger: after the trigger byte, the line must start with a
// scheme it links or "www.", or with an address's local part and '@'
// (util.FindEmailIndex scans at most 64 bytes of it).
func mayLinkify(line []byte) bool {
	if len(line) > 0 {
		switch line[0] {
		case ' ', '*', '_', '~', '(':
			line = line[1:]
		}
	}
	if bytes.HasPrefix(line, []byte("http:")) || bytes.HasPrefix(line, []byte("https:")) ||
		bytes.HasPrefix(line, []byte("ftp:")) || bytes.HasPrefix(line, []byte("www.")) {
		return true
	}
	for i := 0; i < len(line) && i <= emailLocalMax; i++ {
		c := line[i]
		if c == '@' {
			return i > 0
		}
		if !emailLocal(c) {
			return false
		}
	}
	return false
}

// emailLocalMax is how far util.FindEmailIndex looks for the '@'.
const emailLocalMax = 64

// emailLocal reports whether c may be in an address's local part as
// util.FindEmailIndex reads it (a superset is safe: the parser decides).
func emailLocal(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return bytes.IndexByte([]byte(".!#$%&'*+/=?^_`{|}~-"), c) >= 0
}
