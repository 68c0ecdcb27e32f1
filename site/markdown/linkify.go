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

// Bare URLs, www. addresses and e-mail addresses become links by goldmark's own
// Linkify parser; linkifyExtension only puts a cheap test in front of it. goldmark
// calls that parser at every space of every paragraph, and it tries its URL, www and
// e-mail matches each time (a tenth of a build's inline parsing, at 10,000 lessons).
// Almost no word can start a link, and the test below turns those away with a
// prefix check and, in the few blocks that have an '@' at all, a short scan of
// the word.
//
// What it relies on, from goldmark v1.8.7's extension/linkify.go (linkifyParser.Parse,
// with the default configuration: no allowed protocols, no own regexps, which is
// all extension.Linkify ever uses):
//   - Parse first skips one byte if the line starts with ' ', '*', '_', '~' or '('
//     (its triggers), then can return a link only (a) when the rest starts with
//     "http:", "https:" or "ftp:" and its URL regexp matches, (b) when the rest starts
//     with "www." and its www regexp matches, or (c) when util.FindEmailIndex finds
//     an address at its start; util/util.go's FindEmailIndex needs an '@' at index 1
//     to 64, preceded only by bytes of its local-part table, which are all printable
//     ASCII other than space.
//   - When Parse returns nil it has changed nothing: it appends a text segment and
//     advances the reader only on the way to returning a link, and parser.go's
//     parseBlock puts the reader back after a nil. So turning a position away here
//     is the same as goldmark's parser turning it away.
//   - parser.go's parseBlock hands inline parsers the block node being parsed as
//     parent, with the reader set to that node's lines, so the line Parse reads
//     is part of them: a block whose lines hold no '@' has no e-mail address.
//
// linkifyParser keeps the same triggers and is added at the same priority, in the
// same place among the extensions, so the inline parsers run in the same order.
// linkify_test.go checks the output against the stock extension, AST and HTML.
type linkifyExtension struct{}

// linkifyPriority is the priority goldmark's extension.Linkify gives its parser.
const linkifyPriority = 999

// Extend adds the guarded Linkify parser to m's parser.
func (linkifyExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithInlineParsers(
		util.Prioritized(linkifyParser{stock: extension.NewLinkifyParser()}, linkifyPriority),
	))
}

// linkifyParser hands goldmark's Linkify parser only the positions where a link can
// start. It does not take parser options (goldmark's does, but cohort sets none of
// Linkify's), so the stock parser keeps its defaults, as it does in extension.Linkify.
type linkifyParser struct {
	stock parser.InlineParser
}

// Trigger is goldmark's: a space (any white space, and a line's start), '*', '_', '~', '('.
func (p linkifyParser) Trigger() []byte { return p.stock.Trigger() }

// Parse returns what goldmark's Linkify parser returns, asking it only where a
// link can start: after a URL's or www's prefix, or, when the block has an '@' at
// all, before an '@' close enough to be an e-mail address's.
func (p linkifyParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, _ := block.PeekLine()
	if len(line) == 0 {
		return p.stock.Parse(parent, block, pc) // never at a trigger; goldmark decides
	}
	switch line[0] {
	case ' ', '*', '_', '~', '(':
		line = line[1:]
	}
	if !linkPrefix(line) && (!blockHasAt(parent, block.Source(), pc) || !emailAhead(line)) {
		return nil
	}
	return p.stock.Parse(parent, block, pc)
}

// linkifyKey holds a document's linkifyBlock in its parser context.
var linkifyKey = parser.NewContextKey()

// linkifyBlock remembers whether the lines of the block being parsed hold an '@':
// most paragraphs have none, and then no word of theirs needs the e-mail scan.
type linkifyBlock struct {
	node ast.Node
	at   bool
}

// blockHasAt reports whether the lines of block node n, which goldmark's parser
// is reading inline, hold an '@'; it scans them once per block.
func blockHasAt(n ast.Node, source []byte, pc parser.Context) bool {
	b, _ := pc.Get(linkifyKey).(*linkifyBlock)
	if b == nil {
		b = &linkifyBlock{}
		pc.Set(linkifyKey, b)
	}
	if b.node != n {
		b.node, b.at = n, false
		lines := n.Lines()
		for i := 0; i < lines.Len() && !b.at; i++ {
			seg := lines.At(i)
			b.at = bytes.IndexByte(source[seg.Start:seg.Stop], '@') >= 0
		}
	}
	return b.at
}

// maxEmailAt is the farthest index at which util.FindEmailIndex accepts the '@':
// it reads at most 64 bytes of local part.
const maxEmailAt = 64

var (
	prefixHTTP = []byte("http")
	prefixFTP  = []byte("ftp:")
	prefixWWW  = []byte("www.")
)

// linkPrefix reports whether line, from after the trigger on, starts as the URLs
// and www. addresses goldmark's Linkify parser looks for.
func linkPrefix(line []byte) bool {
	if len(line) == 0 {
		return false
	}
	switch line[0] {
	case 'h':
		return bytes.HasPrefix(line, prefixHTTP)
	case 'f':
		return bytes.HasPrefix(line, prefixFTP)
	case 'w':
		return bytes.HasPrefix(line, prefixWWW)
	}
	return false
}

// emailAhead reports whether line, from after the trigger on, might start an
// e-mail address: an '@' after 1 to 64 printable ASCII bytes.
func emailAhead(line []byte) bool {
	for i := 0; i < len(line) && i <= maxEmailAt; i++ {
		c := line[i]
		if c == '@' {
			return i > 0
		}
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return false
}
