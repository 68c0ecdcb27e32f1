package markdown

import (
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// writeCode writes chroma tokens as HTML in the layout of chroma's HTML formatter
// with classes (alecthomas/chroma, formatters/html/html.go, writeHTML, with
// WithClasses(true) and the options codeFormat holds), byte for byte: the pages
// keep their markup, and highlight.css its selectors. In class mode the
// formatter reads nothing of a style, so neither does this.
// TestCodeCorpusAsChroma holds the two to the same bytes.
//
// A block is one <pre class="chroma"><code>, one <span class="line"> per line,
// and in it a <span class="cl"> of the line's tokens, each in a span of its
// type's class. Line numbers go in a <span class="ln"> before the "cl" span, or,
// in table layout, in a column of their own, a <pre> of "lnt" spans.
func writeCode(w io.StringWriter, tokens []chroma.Token, f codeFormat) error {
	cw := codeWriter{w: w}
	lines := chroma.SplitTokensIntoLines(tokens)
	// Numbers are padded to the width of the last one, as "%*d" pads them.
	width := len(strconv.Itoa(f.base + len(lines) - 1))
	inTable := f.lineNumbers && f.table
	if inTable {
		cw.str(`<div class="` + classPreWrapper + "\">\n")
		cw.str(`<table class="` + classLineTable + `"><tr>`)
		cw.str(`<td class="` + classLineTableTD + "\">\n")
		cw.str(`<pre class="` + classPreWrapper + `">`)
		for i, hl := range f.lines(len(lines)) {
			if hl {
				cw.str(`<span class="` + classLineHighlight + `">`)
			}
			cw.str(`<span class="` + classLineNumbersTable + `">`)
			cw.number(f.base+i, width)
			cw.str("\n</span>")
			if hl {
				cw.str("</span>")
			}
		}
		cw.str("</pre></td>\n")
		cw.str(`<td class="` + classLineTableTD + "\">\n")
	}
	cw.str(`<pre class="` + classPreWrapper + `"><code>`)
	for i, hl := range f.lines(len(lines)) {
		if hl {
			cw.str(`<span class="` + classLine + " " + classLineHighlight + `">`)
		} else {
			cw.str(`<span class="` + classLine + `">`)
		}
		if f.lineNumbers && !inTable {
			cw.str(`<span class="` + classLineNumbers + `">`)
			cw.number(f.base+i, width)
			cw.str("</span>")
		}
		cw.str(`<span class="` + classCodeLine + `">`)
		for _, t := range lines[i] {
			if class := tokenClass(t.Type); class != "" {
				cw.str(`<span class="` + class + `">`)
				cw.escaped(t.Value)
				cw.str("</span>")
			} else {
				cw.escaped(t.Value)
			}
		}
		cw.str("</span></span>")
	}
	cw.str("</code></pre>")
	if inTable {
		cw.str("</td></tr></table>\n</div>\n")
	}
	return cw.err
}

// codeFormat is how a block is laid out: the options of chroma's HTML formatter
// that change what it writes in class mode.
type codeFormat struct {
	lineNumbers bool
	table       bool // line numbers in a column of their own, when lineNumbers
	base        int  // the first line's number
	// highlight holds the ranges of lines, first and last, to mark with class
	// "hl", sorted by their first line.
	highlight highlightRanges
}

// plainFormat is the format of a block without options: no line numbers, none
// marked.
var plainFormat = codeFormat{base: 1}

// setHighlight sets the lines to mark, as chroma's HighlightLines option does.
func (f *codeFormat) setHighlight(ranges [][2]int) {
	f.highlight = ranges
	sort.Sort(f.highlight)
}

// lines yields, for each of n lines, its index and whether it is marked: as
// chroma's formatter decides (shouldHighlight), when it lies in the first of the
// sorted ranges that has not ended before it. That is any range's line, but
// for a range written backwards ("9-4"), which marks none.
func (f codeFormat) lines(n int) func(yield func(int, bool) bool) {
	return func(yield func(int, bool) bool) {
		at := 0 // the first range that has not ended
		for i := range n {
			line := f.base + i
			for at < len(f.highlight) && line > f.highlight[at][1] {
				at++
			}
			hl := at < len(f.highlight) && line >= f.highlight[at][0]
			if !yield(i, hl) {
				return
			}
		}
	}
}

// highlightRanges sorts line ranges by their first line.
type highlightRanges [][2]int

func (h highlightRanges) Len() int           { return len(h) }
func (h highlightRanges) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h highlightRanges) Less(i, j int) bool { return h[i][0] < h[j][0] }

// The classes of the formatter's own elements.
var (
	classPreWrapper       = tokenClass(chroma.PreWrapper)
	classLine             = tokenClass(chroma.Line)
	classLineHighlight    = tokenClass(chroma.LineHighlight)
	classLineNumbers      = tokenClass(chroma.LineNumbers)
	classLineNumbersTable = tokenClass(chroma.LineNumbersTable)
	classLineTable        = tokenClass(chroma.LineTable)
	classLineTableTD      = tokenClass(chroma.LineTableTD)
	classCodeLine         = tokenClass(chroma.CodeLine)
)

// tokenClass returns the CSS class of a token type, "" for none: its own in
// chroma's table of classes, or else its sub-category's, or else its
// category's (as chroma's formatter, class). A type in the table with no class
// (chroma.Text, say) has none, whatever its category's.
func tokenClass(t chroma.TokenType) string {
	for {
		if class, ok := chroma.StandardTypes[t]; ok || t == 0 {
			return class
		}
		t = t.Parent()
	}
}

// codeWriter writes to w and keeps its first error.
type codeWriter struct {
	w   io.StringWriter
	err error
}

func (c *codeWriter) str(s string) {
	if c.err == nil {
		_, c.err = c.w.WriteString(s)
	}
}

// number writes n padded with spaces on the left to width.
func (c *codeWriter) number(n, width int) {
	s := strconv.Itoa(n)
	if pad := width - len(s); pad > 0 {
		c.str(strings.Repeat(" ", pad))
	}
	c.str(s)
}

// escaped writes s escaped as html.EscapeString escapes it, which chroma's
// formatter uses: the five characters &'<>" as &amp; &#39; &lt; &gt; &#34;.
func (c *codeWriter) escaped(s string) {
	from := 0
	for i := 0; i < len(s); i++ {
		var e string
		switch s[i] {
		case '&':
			e = "&amp;"
		case '\'':
			e = "&#39;"
		case '<':
			e = "&lt;"
		case '>':
			e = "&gt;"
		case '"':
			e = "&#34;"
		default:
			continue
		}
		c.str(s[from:i])
		c.str(e)
		from = i + 1
	}
	c.str(s[from:])
}
