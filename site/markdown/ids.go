package markdown

import (
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
)

// reservedIDs are ids the theme puts on every lesson page; a heading never takes them,
// so the prompt's "#discussion" link always reaches the discussion.
var reservedIDs = []string{"discussion", "main", "discussion-title", "objectives-title", "toc-title", "lessons-title",
	"modules-title", "fediverse-title", "cohorts-title", "outline-title", "search-input", "search-nojs",
	"search-status", "search-results", "search-outline", "footnotes",
	"search-more", "site-search-input", "site-search-panel", "site-search-status", "site-search-list"}

// headingIDs gives headings their ids, one set per document. goldmark hands it the
// heading's Markdown source; it keeps letters and digits of any script (so Dutch and
// other languages keep readable anchors), turns blanks into '-', and drops link
// destinations and HTML tags. A repeated id gets "-1", "-2", … in document order.
type headingIDs struct {
	used map[string]bool
	last map[string]int // last suffix given to a repeated id, so a repeat costs one lookup
	buf  []byte
}

func newHeadingIDs() *headingIDs {
	s := &headingIDs{used: make(map[string]bool, 8)}
	for _, id := range reservedIDs {
		s.used[id] = true
	}
	return s
}

// Generate implements parser.IDs.
func (s *headingIDs) Generate(value []byte, kind ast.NodeKind) []byte {
	b := s.buf[:0]
	for i := 0; i < len(value); {
		c := value[i]
		switch {
		case c == ']' && i+1 < len(value) && value[i+1] == '(': // skip a link's "(destination)"
			i = skipParens(value, i+1)
			continue
		case c == '<' && i+1 < len(value) && (isAlnumByte(value[i+1]) || value[i+1] == '/'): // skip a tag
			if j := indexByteFrom(value, i, '>'); j >= 0 {
				i = j + 1
				continue
			}
		}
		r, size := utf8.DecodeRune(value[i:])
		i += size
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			b = utf8.AppendRune(b, unicode.ToLower(r))
		case r == ' ' || r == '\t' || r == '-' || r == '_':
			if r == '_' {
				b = append(b, '_')
			} else {
				b = append(b, '-')
			}
		}
	}
	// No '-' at either end: "## — Intro" gets "intro", not "-intro".
	start, end := 0, len(b)
	for start < end && b[start] == '-' {
		start++
	}
	for end > start && b[end-1] == '-' {
		end--
	}
	id := string(b[start:end])
	s.buf = b
	if id == "" {
		id = "heading"
		if kind != ast.KindHeading {
			id = "id"
		}
	}
	if !s.used[id] {
		s.used[id] = true
		return []byte(id)
	}
	if s.last == nil {
		s.last = map[string]int{}
	}
	for n := s.last[id] + 1; ; n++ {
		next := id + "-" + strconv.Itoa(n)
		if !s.used[next] {
			s.used[next] = true
			s.last[id] = n
			return []byte(next)
		}
	}
}

// Put implements parser.IDs.
func (s *headingIDs) Put(value []byte) {
	s.used[string(value)] = true
}

// skipParens returns the index after the parenthesis group that opens at value[i].
func skipParens(value []byte, i int) int {
	depth := 0
	for ; i < len(value); i++ {
		switch value[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(value)
}

func indexByteFrom(b []byte, from int, c byte) int {
	for i := from; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}
