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

// appendSearchText appends searchText(rendered) to buf. It reads tag names and
// attributes in place (no token is built), so a page costs one pass and no
// allocation beyond buf's growth.
func appendSearchText(buf []byte, rendered string) []byte {
	z := html.NewTokenizer(strings.NewReader(rendered))
	skip := 0   // depth inside elements whose text is not read
	hidden := 0 // depth inside an element a reader does not read (see hiddenFromReaders)
	space := true
	start := len(buf)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			for len(buf) > start && buf[len(buf)-1] == ' ' {
				buf = buf[:len(buf)-1]
			}
			return buf
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if hidden > 0 || (tt == html.StartTagToken && hasAttr && hiddenFromReaders(z, a)) {
				switch {
				case tt == html.SelfClosingTagToken || voidElements[a]:
				case tt == html.StartTagToken:
					hidden++
				default:
					hidden--
				}
				continue
			}
			switch a {
			case atom.Script, atom.Style, atom.Svg, atom.Template, atom.Math:
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			case atom.A, atom.Em, atom.Strong, atom.Code, atom.B, atom.I, atom.Mark, atom.Span,
				atom.Sub, atom.Sup, atom.Abbr, atom.Kbd, atom.Q, atom.S, atom.Del, atom.Ins, atom.Small:
				continue // inline: a word may go on across it
			}
			if !space { // a block's edge ends a word
				buf = append(buf, ' ')
				space = true
			}
		case html.TextToken:
			if skip > 0 || hidden > 0 {
				continue
			}
			text := z.Text()
			for i := 0; i < len(text); {
				c := text[i]
				if c < utf8.RuneSelf {
					i++
					if asciiSpace[c] {
						if !space {
							buf = append(buf, ' ')
							space = true
						}
						continue
					}
					buf = append(buf, c)
					space = false
					continue
				}
				r, n := utf8.DecodeRune(text[i:])
				if unicode.IsSpace(r) {
					if !space {
						buf = append(buf, ' ')
						space = true
					}
				} else {
					buf = utf8.AppendRune(buf, r) // an invalid byte becomes U+FFFD, as ranging over a string does
					space = false
				}
				i += n
			}
		}
	}
}

// asciiSpace marks the ASCII bytes unicode.IsSpace reports.
var asciiSpace = [utf8.RuneSelf]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// hiddenFromReaders tells an element whose text is not what a reader reads: one
// marked aria-hidden (KaTeX's drawing of a formula, whose words are in its MathML,
// itself left out above as markup), and a Mermaid diagram's source, which the reader
// sees as a drawing. It reads the attributes of the tag z is at.
func hiddenFromReaders(z *html.Tokenizer, a atom.Atom) bool {
	for {
		key, val, more := z.TagAttr()
		switch {
		case string(key) == "aria-hidden" && string(val) == "true":
			return true
		case string(key) == "class" && a == atom.Pre && strings.Contains(" "+string(val)+" ", " mermaid "):
			return true
		}
		if !more {
			return false
		}
	}
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
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

// searchWords calls fn with each word of s, folded (see fold).
func searchWords(s string, fn func(word string)) {
	var scratch [wordMax]byte
	eachWord([]byte(s), scratch[:0], func(w []byte) { fn(string(w)) })
}

// eachWord calls fn with each word of text, folded into scratch (fn must copy
// it to keep it). Words of ASCII letters and digits, most words of most courses,
// are lower-cased in place of fold's normalisation, which gives the same bytes.
func eachWord(text, scratch []byte, fn func(word []byte)) {
	start, ascii := -1, true
	emit := func(w []byte) {
		if !ascii {
			if f := fold(string(w)); f != "" {
				fn(append(scratch[:0], f...))
			}
			return
		}
		if len(w) > wordMax {
			return
		}
		b := scratch[:0]
		for _, c := range w {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		fn(b)
	}
	for i := 0; i < len(text); {
		c := text[i]
		var word bool
		n := 1
		if c < utf8.RuneSelf {
			word = asciiWord[c]
		} else {
			var r rune
			r, n = utf8.DecodeRune(text[i:])
			word = isWordRune(r)
		}
		switch {
		case word && start < 0:
			start, ascii = i, c < utf8.RuneSelf
		case word:
			ascii = ascii && c < utf8.RuneSelf
		case start >= 0:
			emit(text[start:i])
			start = -1
		}
		i += n
	}
	if start >= 0 {
		emit(text[start:])
	}
}

// asciiWord marks the ASCII bytes isWordRune reports: letters and digits.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = isWordRune(rune(c))
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
