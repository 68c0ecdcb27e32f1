package markdown

// The plain-text side of a Result: table of contents, word count and summary, read
// from the parsed tree in one walk.

import (
	"bytes"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/util"
)

// summaryMax is the most bytes of Result.Text: about two lines of a search result or a
// feed entry's summary, the places it is shown.
const summaryMax = 300

// summarize fills res.TOC, res.Words and res.Text from doc.
func summarize(doc ast.Node, src []byte, res *Result, words bool) {
	var wc wordCounter
	var first, firstTop string // first paragraph anywhere, first one not nested in a block
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !words { // headings only: the TOC
			switch h := n.(type) {
			case *ast.Heading:
				if entering && (h.Level == 2 || h.Level == 3) {
					id, _ := h.AttributeString("id")
					idb, _ := id.([]byte)
					res.TOC = append(res.TOC, Heading{Level: h.Level, ID: string(idb), Text: plainText(h, src)})
				}
				return ast.WalkSkipChildren, nil
			case *ast.Paragraph, *ast.FencedCodeBlock, *ast.CodeBlock, *ast.HTMLBlock:
				return ast.WalkSkipChildren, nil
			}
			return ast.WalkContinue, nil
		}
		if n.Type() == ast.TypeBlock {
			wc.endWord()
		}
		switch n := n.(type) {
		case *ast.Heading:
			if entering && (n.Level == 2 || n.Level == 3) {
				id, _ := n.AttributeString("id")
				idb, _ := id.([]byte)
				res.TOC = append(res.TOC, Heading{Level: n.Level, ID: string(idb), Text: plainText(n, src)})
			}
		case *ast.Paragraph:
			if entering && firstTop == "" {
				if _, top := n.Parent().(*ast.Document); top || first == "" {
					if s := plainText(n, src); s != "" {
						if first == "" {
							first = s
						}
						if top {
							firstTop = s
						}
					}
				}
			}
		case *ast.Text:
			if entering {
				wc.add(unescape(n.Segment.Value(src)))
				if n.SoftLineBreak() || n.HardLineBreak() {
					wc.endWord()
				}
			}
		case *ast.String:
			if entering {
				v := n.Value
				if n.IsCode() { // typographer entities such as "&rsquo;"
					v = []byte(html.UnescapeString(string(v)))
				}
				wc.add(v)
			}
		case *ast.AutoLink:
			if entering {
				wc.endWord()
				wc.add(n.Label(src))
				wc.endWord()
			}
			return ast.WalkSkipChildren, nil
		case *ast.Image, *ast.RawHTML:
			return ast.WalkSkipChildren, nil // alt text and markup are not prose
		}
		return ast.WalkContinue, nil
	})
	wc.endWord()
	res.Words = wc.n
	if firstTop == "" {
		firstTop = first
	}
	res.Text = truncate(firstTop, summaryMax)
}

// wordCounter counts words across text pieces: a word is a run of non-blank characters
// with at least one letter or digit in it, so "—" is no word and "co*op*" is one.
type wordCounter struct {
	n                int
	inWord, hasAlnum bool
}

func (w *wordCounter) add(b []byte) {
	for len(b) > 0 {
		r, size := rune(b[0]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(b)
		}
		b = b[size:]
		if unicode.IsSpace(r) {
			w.endWord()
			continue
		}
		w.inWord = true
		if !w.hasAlnum && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			w.hasAlnum = true
		}
	}
}

func (w *wordCounter) endWord() {
	if w.inWord && w.hasAlnum {
		w.n++
	}
	w.inWord, w.hasAlnum = false, false
}

// plainText returns the text of n's inlines without markup, blanks collapsed.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(unescape(c.Segment.Value(src)))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			if c.IsCode() {
				b.WriteString(html.UnescapeString(string(c.Value)))
			} else {
				b.Write(c.Value)
			}
		case *ast.AutoLink:
			b.Write(c.Label(src))
			return ast.WalkSkipChildren, nil
		case *ast.Image, *ast.RawHTML:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

// unescape resolves backslash escapes and entities in a piece of Markdown text, as the
// HTML renderer does; it returns b itself when there is nothing to resolve.
func unescape(b []byte) []byte {
	if bytes.IndexByte(b, '\\') >= 0 {
		b = util.UnescapePunctuations(b)
	}
	if bytes.IndexByte(b, '&') >= 0 {
		b = []byte(html.UnescapeString(string(b)))
	}
	return b
}

// truncate shortens s to at most max bytes, at a word boundary, ending in "…".
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const ellipsis = "…"
	cut := max - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if i := strings.LastIndexByte(s[:cut+1], ' '); i > 0 {
		cut = i
	}
	return strings.TrimRight(s[:cut], " ,;:.-–—") + ellipsis
}
