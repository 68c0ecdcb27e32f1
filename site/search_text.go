package site

// The words of the search index: a lesson's rendered text as a reader sees it,
// cut into words, folded and stemmed for the course's language. The browser's
// search.js cuts and folds a query the same way (see its fold and words), but
// never stems: the index maps every word it holds to its stem.

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/dutch"
	"github.com/blevesearch/snowballstem/english"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"
)

// searchExcerptMax is the most bytes of a page's text kept for excerpts. The
// browser fetches the pages it shows in bundles of searchBundle (see
// search_index.go), so what one result costs is a bundle: sixteen pages of
// 1.5 KB keep a query that shows six results from six bundles under the 300 KB
// a query may cost at 10,000 lessons. Words past it are still indexed; a match
// only there is shown with the page's summary.
const searchExcerptMax = 1536

// searchText returns the text a reader sees in rendered HTML, with runs of
// white space made one space: no tags, no entities, nothing from scripts,
// styles or SVG drawings.
func searchText(rendered string) string {
	return string(appendSearchText(nil, rendered))
}

// appendSearchText appends searchText(rendered) to buf. It reads the HTML in
// one pass over the string, as x/net/html's tokenizer cuts it (tags,
// comments, raw text of script, style and the like; see scanTag), but without
// copying it into tokens: on a cold build this was a tenth of the time.
func appendSearchText(buf []byte, rendered string) []byte {
	t := textOut{buf: buf, space: true, start: len(buf), word: -1}
	return t.read(rendered)
}

// read appends the text of rendered to t.buf, as appendSearchText describes.
func (t *textOut) read(s string) []byte {
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			t.text(s[i:], true)
			break
		}
		t.text(s[i:i+j], true)
		i += j
		tag, next, ok := scanTag(s, i)
		if !ok { // not markup: the '<' is text
			t.text("<", false)
			i++
			continue
		}
		if next < 0 { // the input ends inside markup
			break
		}
		i = next
		if tag.kind == 0 {
			continue // a comment or the like
		}
		t.tag(tag)
		if tag.kind == startTag && tag.raw != "" {
			end := rawTextEnd(s, i, tag.raw)
			t.text(s[i:end], tag.raw == "textarea" || tag.raw == "title")
			i = end
		}
	}
	return t.end()
}

// textOut collects the text as searchText keeps it. Given a counter, it also
// counts the text's words as they are written (eachRawWord's words of the
// text, folded as wordCounter.add folds them), so the text is not read a
// second time: a word is a run of isWordRune in buf, whatever markup or
// references the bytes came from, and each byte enters buf once.
type textOut struct {
	buf    []byte
	start  int
	skip   int // depth inside elements whose text is not read
	hidden int // depth inside an element a reader does not read (see hiddenFromReaders)
	space  bool
	count  *wordCounter // nil: the words are not counted
	word   int          // where in buf the word being written began, or -1
}

func (t *textOut) end() []byte {
	t.endWord(len(t.buf))
	for len(t.buf) > t.start && t.buf[len(t.buf)-1] == ' ' {
		t.buf = t.buf[:len(t.buf)-1]
	}
	return t.buf
}

// endWord ends the word being written, if any, at buf[end].
func (t *textOut) endWord(end int) {
	if t.word < 0 {
		return
	}
	if t.count != nil {
		t.count.add(t.buf[t.word:end])
	}
	t.word = -1
}

func (t *textOut) tag(g scannedTag) {
	if t.hidden > 0 || (g.kind == startTag && g.hidden) {
		switch {
		case g.kind == selfClosingTag || voidElements[g.atom]:
		case g.kind == startTag:
			t.hidden++
		default:
			t.hidden--
		}
		return
	}
	switch g.atom {
	case atom.Script, atom.Style, atom.Svg, atom.Template, atom.Math:
		if g.kind == startTag {
			t.skip++
		} else if g.kind == endTag && t.skip > 0 {
			t.skip--
		}
		return
	case atom.A, atom.Em, atom.Strong, atom.Code, atom.B, atom.I, atom.Mark, atom.Span,
		atom.Sub, atom.Sup, atom.Abbr, atom.Kbd, atom.Q, atom.S, atom.Del, atom.Ins, atom.Small:
		return // inline: a word may go on across it
	}
	if !t.space { // a block's edge ends a word
		t.endWord(len(t.buf))
		t.buf = append(t.buf, ' ')
		t.space = true
	}
}

// text adds text, its entities decoded when entities is set, its runs of
// white space made one space. Runs of ASCII that is neither space nor '&'
// are copied whole, and the references goldmark and html/template write
// (commonEntity) are decoded where they stand; at any other '&' the rest of
// the text is decoded by html.UnescapeString, which decodes each reference
// from where it begins and copies the bytes between: the same text as
// decoding it all.
func (t *textOut) text(text string, entities bool) {
	if t.skip > 0 || t.hidden > 0 || text == "" {
		return
	}
	for i := 0; i < len(text); {
		c := text[i]
		if textPlain[c] {
			i = t.plain(text, i)
			continue
		}
		if c == '&' {
			if !entities {
				t.endWord(len(t.buf))
				t.buf = append(t.buf, '&')
				t.space = false
				i++
				continue
			}
			if r, n := commonEntity(text[i:]); n > 0 {
				t.rune(r)
				i += n
				continue
			}
			t.text(html.UnescapeString(text[i:]), false)
			return
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		t.rune(r) // an invalid byte becomes U+FFFD, as ranging over a string does
		i += n
	}
}

// plain copies the run of textPlain bytes from text[i], and of single spaces
// between them, as text describes, and returns where it ends. On its way it
// finds the run's words: ASCII letters and digits (wordByte), the first one
// perhaps begun before the run, the last perhaps going on after it. A word
// that begins in the run is counted from text, not from its copy; one that
// began before is counted once the run so far is copied after it.
func (t *textOut) plain(text string, i int) int {
	done := i              // text[i:done] is in buf already
	base := len(t.buf) - i // text[k] is, or will be, buf[base+k]
	word := t.word         // as t.word, kept here while the run is read
	j := i
	for j < len(text) {
		switch plainByte[text[j]] {
		case plainWord:
			if word < 0 {
				word = base + j
			}
			for j++; j < len(text) && plainByte[text[j]] == plainWord; j++ {
			}
			continue
		case plainOther:
		case plainSpace:
			if j+1 < len(text) && textPlain[text[j+1]] {
				break
			}
			t.buf = append(t.buf, text[done:j]...)
			t.word, t.space = word, false
			return j
		default:
			t.buf = append(t.buf, text[done:j]...)
			t.word, t.space = word, false
			return j
		}
		// text[j] ends the word, if one is being written.
		if word >= 0 && t.count != nil {
			if word >= base+i { // add neither keeps w nor writes to it: a view of text will do
				t.count.add(unsafe.Slice(unsafe.StringData(text[word-base:]), base+j-word))
			} else {
				t.buf = append(t.buf, text[done:j]...)
				done = j
				t.count.add(t.buf[word:])
			}
		}
		word = -1
		j++
	}
	t.buf = append(t.buf, text[done:j]...)
	t.word, t.space = word, false
	return j
}

// The kinds of byte plain reads.
const (
	plainStop  = iota // not textPlain: white space but ' ', '&', or not ASCII
	plainWord         // a letter or digit: wordASCII
	plainOther        // other textPlain bytes
	plainSpace        // ' ', in the run when textPlain follows it
)

// plainByte tells each byte's kind for plain.
var plainByte = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c == ' ':
			t[c] = plainSpace
		case !textPlain[c]:
		case wordByte[c] == wordASCII:
			t[c] = plainWord
		default:
			t[c] = plainOther
		}
	}
	return t
}()

// textPlain marks the bytes text copies in runs: ASCII that is neither
// white space nor '&'.
var textPlain = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = !asciiSpace[c] && c != '&'
	}
	return t
}()

// rune adds one character of text.
func (t *textOut) rune(r rune) {
	if r < utf8.RuneSelf {
		if !asciiSpace[r] {
			if wordByte[r] == wordASCII {
				if t.word < 0 {
					t.word = len(t.buf)
				}
			} else {
				t.endWord(len(t.buf))
			}
			t.buf = append(t.buf, byte(r))
			t.space = false
			return
		}
	} else if !isSpace(r) {
		if isWordRune(r) {
			if t.word < 0 {
				t.word = len(t.buf)
			}
		} else {
			t.endWord(len(t.buf))
		}
		t.buf = utf8.AppendRune(t.buf, r)
		t.space = false
		return
	}
	t.endWord(len(t.buf))
	if !t.space {
		t.buf = append(t.buf, ' ')
		t.space = true
	}
}

// isSpace is unicode.IsSpace, with the white space past Latin-1 listed: it
// is asked of every quote and dash.
func isSpace(r rune) bool {
	if r <= 0xff {
		return unicode.IsSpace(r)
	}
	switch {
	case r < 0x1680:
		return false
	case r <= 0x200a:
		return r == 0x1680 || r >= 0x2000
	}
	return r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000
}

// commonEntity decodes the character reference at the start of s (s[0] is
// '&') when it is one goldmark or html/template writes, returning its
// character and length, or n 0 for any other. Each is decoded as
// html.UnescapeString decodes it (TestCommonEntities): a name or number
// ended by ';' stands for one character, whatever follows.
func commonEntity(s string) (r rune, n int) {
	end := strings.IndexByte(s[:min(len(s), 8)], ';')
	if end < 0 {
		return 0, 0
	}
	switch s[1:end] {
	case "amp":
		r = '&'
	case "lt":
		r = '<'
	case "gt":
		r = '>'
	case "quot", "#34":
		r = '"'
	case "apos", "#39":
		r = '\''
	case "nbsp", "#160":
		r = '\u00a0'
	case "lsquo":
		r = '\u2018'
	case "rsquo":
		r = '\u2019'
	case "ldquo":
		r = '\u201c'
	case "rdquo":
		r = '\u201d'
	case "ndash":
		r = '\u2013'
	case "mdash":
		r = '\u2014'
	case "hellip":
		r = '\u2026'
	case "laquo":
		r = '\u00ab'
	case "raquo":
		r = '\u00bb'
	default:
		return 0, 0
	}
	return r, end + 1
}

const (
	startTag = iota + 1
	endTag
	selfClosingTag
)

// scannedTag is a tag as searchText needs it.
type scannedTag struct {
	kind   int // startTag, endTag, selfClosingTag; 0 for a comment, doctype or the like
	atom   atom.Atom
	hidden bool   // a start tag hiddenFromReaders
	raw    string // for a start tag whose content is raw text: its name
}

// scanTag reads the markup at s[i] == '<' as x/net/html's tokenizer does:
// a start or end tag (a letter after '<' or "</"), a comment ("<!--" to "-->"),
// or a bogus comment ("<!", "<?", "</" and another character, to '>'). ok is
// false when the '<' begins no markup; next is -1 when s ends inside it.
func scanTag(s string, i int) (tag scannedTag, next int, ok bool) {
	if i+1 >= len(s) {
		return tag, 0, false
	}
	c := s[i+1]
	switch {
	case isASCIILetter(c):
		return readTag(s, i+1, startTag)
	case c == '/':
		if i+2 >= len(s) {
			return tag, 0, false
		}
		switch d := s[i+2]; {
		case isASCIILetter(d):
			return readTag(s, i+2, endTag)
		case d == '>':
			return tag, i + 3, true // "</>" is nothing
		}
		return tag, toGT(s, i+2), true
	case c == '!':
		if strings.HasPrefix(s[i:], "<!--") {
			j := i + 4
			switch { // "<!-->" and "<!--->" are empty comments
			case strings.HasPrefix(s[j:], ">"):
				return tag, j + 1, true
			case strings.HasPrefix(s[j:], "->"):
				return tag, j + 2, true
			}
			k := strings.Index(s[j:], "-->")
			if k < 0 {
				return tag, -1, true
			}
			return tag, j + k + 3, true
		}
		return tag, toGT(s, i+2), true
	case c == '?':
		return tag, toGT(s, i+1), true
	}
	return tag, 0, false
}

// toGT returns the index after the first '>' from i, or -1.
func toGT(s string, i int) int {
	if k := strings.IndexByte(s[i:], '>'); k >= 0 {
		return i + k + 1
	}
	return -1
}

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isHTMLSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' }

// readTag reads a tag's name and attributes from s[i], its name's first
// letter, to the '>' that ends it, outside quotes.
func readTag(s string, i, kind int) (tag scannedTag, next int, ok bool) {
	var lower [16]byte
	j := i
	for j < len(s) && !tagNameEnd[s[j]] {
		if k := j - i; k < len(lower) {
			lower[k] = asciiLower[s[j]]
		}
		j++
	}
	if n := j - i; n <= len(lower) {
		tag.atom = tagAtom(lower[:n])
	}
	tag.kind = kind
	gt, hidden := readAttrs(s, j, tag.atom, kind == startTag)
	if gt < 0 {
		return tag, -1, true
	}
	tag.hidden, j = hidden, gt
	if kind == startTag {
		switch tag.atom {
		case atom.Iframe, atom.Noembed, atom.Noframes, atom.Noscript, atom.Plaintext, atom.Script,
			atom.Style, atom.Textarea, atom.Title, atom.Xmp:
			tag.raw = tag.atom.String()
		}
		if s[j-1] == '/' {
			tag.kind = selfClosingTag
		}
	}
	return tag, j + 1, true
}

// readAttrs reads a tag's attributes, each a name and perhaps '=' and a value,
// quoted or not, from s[j] to the '>' that ends the tag, outside quotes. It
// returns that '>”s index, -1 when the tag does not end, and whether an
// attribute hides the element (hiddenAttr, of a start tag only).
func readAttrs(s string, j int, a atom.Atom, start bool) (gt int, hidden bool) {
	for {
		for j < len(s) && (isHTMLSpace(s[j]) || s[j] == '/') {
			j++
		}
		if j >= len(s) {
			return -1, hidden
		}
		if s[j] == '>' {
			return j, hidden
		}
		k := j + 1 // an attribute's name may begin with '='
		for k < len(s) && !isHTMLSpace(s[k]) && s[k] != '/' && s[k] != '>' && s[k] != '=' {
			k++
		}
		key := s[j:k]
		for k < len(s) && isHTMLSpace(s[k]) {
			k++
		}
		val := ""
		if k < len(s) && s[k] == '=' {
			k++
			for k < len(s) && isHTMLSpace(s[k]) {
				k++
			}
			if k < len(s) && (s[k] == '"' || s[k] == '\'') {
				q := strings.IndexByte(s[k+1:], s[k])
				if q < 0 {
					return -1, hidden
				}
				val = s[k+1 : k+1+q]
				k += q + 2
			} else {
				v := k
				for k < len(s) && !isHTMLSpace(s[k]) && s[k] != '>' {
					k++
				}
				val = s[v:k]
			}
		}
		if start && !hidden {
			hidden = hiddenAttr(key, val, a)
		}
		j = k
	}
}

// tagNameEnd marks the bytes that end a tag's name: HTML white space, '/'
// and '>'.
var tagNameEnd = [256]bool{' ': true, '\n': true, '\r': true, '\t': true, '\f': true, '/': true, '>': true}

// asciiLower lower-cases ASCII letters and leaves other bytes.
var asciiLower = func() (t [256]byte) {
	for c := range t {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] += 'a' - 'A'
		}
	}
	return t
}()

// tagAtom is atom.Lookup(name) for a lower-case name, with the names goldmark
// and chroma write most answered by a switch: atom.Lookup hashes the name,
// which was a quarter of reading a tag (TestTagAtom).
func tagAtom(name []byte) atom.Atom {
	switch string(name) {
	case "span":
		return atom.Span
	case "p":
		return atom.P
	case "a":
		return atom.A
	case "em":
		return atom.Em
	case "strong":
		return atom.Strong
	case "code":
		return atom.Code
	case "pre":
		return atom.Pre
	case "li":
		return atom.Li
	case "ul":
		return atom.Ul
	case "td":
		return atom.Td
	case "tr":
		return atom.Tr
	case "h2":
		return atom.H2
	case "h3":
		return atom.H3
	}
	return atom.Lookup(name)
}

// rawTextEnd returns where the raw text from i of an element named name
// ends: at "</name" followed by white space, '/' or '>', in any case; at the
// end of s for plaintext, or when there is no such end tag.
func rawTextEnd(s string, i int, name string) int {
	if name == "plaintext" {
		return len(s)
	}
	for j := i; ; {
		k := strings.Index(s[j:], "</")
		if k < 0 {
			return len(s)
		}
		j += k
		e := j + 2 + len(name)
		if e <= len(s) && strings.EqualFold(s[j+2:e], name) && (e == len(s) || isHTMLSpace(s[e]) || s[e] == '/' || s[e] == '>') {
			return j
		}
		j += 2
	}
}

// asciiSpace marks the ASCII bytes unicode.IsSpace reports.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// hiddenAttr tells an attribute of an element whose text is not what a
// reader reads: aria-hidden (KaTeX's drawing of a formula, whose words are in
// its MathML, itself left out above as markup), and a Mermaid diagram's source,
// which the reader sees as a drawing.
func hiddenAttr(key, val string, a atom.Atom) bool {
	switch {
	case strings.EqualFold(key, "aria-hidden"):
		return unescapedIs(val, "true")
	case strings.EqualFold(key, "class") && a == atom.Pre:
		if strings.IndexByte(val, '&') >= 0 {
			val = html.UnescapeString(val)
		}
		return strings.Contains(" "+val+" ", " mermaid ")
	}
	return false
}

func unescapedIs(val, want string) bool {
	if strings.IndexByte(val, '&') >= 0 {
		val = html.UnescapeString(val)
	}
	return val == want
}

// voidElements have no end tag, so they do not nest.
var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true, atom.Hr: true,
	atom.Img: true, atom.Input: true, atom.Link: true, atom.Meta: true, atom.Source: true,
	atom.Track: true, atom.Wbr: true,
}

// clipText cuts s to at most max bytes at a word boundary.
func clipText(s []byte, max int) []byte {
	if len(s) <= max {
		return s
	}
	s = s[:max]
	if i := bytes.LastIndexByte(s, ' '); i > 0 {
		return s[:i]
	}
	for len(s) > 0 && !utf8.RuneStart(s[len(s)-1]) { // no space: at least not inside a letter
		s = s[:len(s)-1]
	}
	if len(s) > 0 {
		s = s[:len(s)-1]
	}
	return s
}

// isWordRune tells what a word is made of: letters, digits and the marks that
// combine with them. search.js uses the same classes (\p{L}\p{N}\p{M}).
// Below wordRuneTableMax the answer is looked up: punctuation such as the
// typographic quotes goldmark writes otherwise costs four searches of
// unicode's tables.
func isWordRune(r rune) bool {
	if uint32(r) < wordRuneTableMax {
		return wordRuneTable[r>>6]&(1<<(r&63)) != 0
	}
	return isWordRuneSlow(r)
}

// isWordRuneSlow is isWordRune by its definition.
func isWordRuneSlow(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

// wordRuneTableMax is where wordRuneTable ends: past the alphabets and the
// general punctuation, 1.5 KB made when the program starts.
const wordRuneTableMax = 0x3000

// wordRuneTable holds isWordRuneSlow of each rune below wordRuneTableMax,
// a bit each.
var wordRuneTable = func() (t [wordRuneTableMax / 64]uint64) {
	for r := range rune(wordRuneTableMax) {
		if isWordRuneSlow(r) {
			t[r>>6] |= 1 << (r & 63)
		}
	}
	return t
}()

// searchWords calls fn with each word of s, folded (see fold).
func searchWords(s string, fn func(word string)) {
	var scratch [wordMax]byte
	eachWord([]byte(s), scratch[:0], func(w []byte) { fn(string(w)) })
}

// eachWord calls fn with each word of text, folded into scratch (fn must copy
// it to keep it).
func eachWord(text, scratch []byte, fn func(word []byte)) {
	eachRawWord(text, func(w []byte) {
		if f := foldWord(w, scratch); f != nil {
			fn(f)
		}
	})
}

// foldWord returns fold(w) in scratch, or nil when w is not indexed. Words of
// ASCII letters and digits, most words of most courses, are lower-cased in
// place of fold's normalisation, which gives the same bytes.
func foldWord(w, scratch []byte) []byte {
	b := scratch[:0]
	for _, c := range w {
		if c >= utf8.RuneSelf {
			f := fold(string(w))
			if f == "" {
				return nil
			}
			return append(scratch[:0], f...)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	if len(b) > wordMax || len(b) == 0 {
		return nil
	}
	return b
}

// eachRawWord calls fn with each word of text as it is written: each run of
// letters, digits and marks (isWordRune). It skips to a word, then reads to
// its end, each in a loop of its own that takes ASCII bytes one look-up at a
// time.
func eachRawWord(text []byte, fn func(word []byte)) {
	for i := 0; i < len(text); {
		// Outside a word.
		switch wordByte[text[i]] {
		case wordNot:
			i++
			continue
		case wordMulti:
			if r, n := utf8.DecodeRune(text[i:]); !isWordRune(r) {
				i += n
				continue
			}
		}
		// Inside one.
		start := i
	word:
		for i < len(text) {
			switch wordByte[text[i]] {
			case wordASCII:
				i++
			case wordNot:
				break word
			default:
				r, n := utf8.DecodeRune(text[i:])
				if !isWordRune(r) {
					break word
				}
				i += n
			}
		}
		fn(text[start:i])
	}
}

// The kinds of byte eachRawWord reads.
const (
	wordNot   = iota // ASCII that isWordRune refuses
	wordASCII        // a letter or digit
	wordMulti        // the start or a later byte of a longer UTF-8 sequence
)

// wordByte tells each byte's kind for eachRawWord.
var wordByte = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = wordMulti
		case isWordRune(rune(c)):
			t[c] = wordASCII
		}
	}
	return t
}()

// wordMax is the longest word indexed, in bytes: longer runs are hashes, URLs
// without punctuation and the like, which nobody types.
const wordMax = 40

// fold lower-cases a word and strips its accents, so that "Café" and "cafe"
// are one word, as search.js does with normalize("NFD") and lower-casing.
func fold(w string) string {
	if len(w) > wordMax*2 {
		return ""
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(w) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	if b.Len() > wordMax {
		return ""
	}
	return b.String()
}

// stemmer returns the stemming function for a course language ("en", "nl-BE"):
// Snowball's English or Dutch stemmer, or none (each word its own stem) for
// other languages.
func stemmer(lang string) func(string) string {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	var stem func(*snowballstem.Env) bool
	switch base {
	case "en":
		stem = english.Stem
	case "nl":
		stem = dutch.Stem
	default:
		return func(w string) string { return w }
	}
	return func(w string) string {
		env := snowballstem.NewEnv(w)
		stem(env)
		if s := env.Current(); s != "" {
			return s
		}
		return w
	}
}
