package site

// The words of the search index: a lesson's rendered text as a reader sees it,
// cut into words, folded and stemmed for the course's language. The browser's
// search.js cuts and folds a query the same way (see its fold and words), but
// never stems: the index maps every word it holds to its stem.

import (
	"strings"
	"unicode"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/dutch"
	"github.com/blevesearch/snowballstem/english"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"
)

// searchTextMax is the most bytes of a page's text kept for excerpts: the
// browser downloads the text of each result it shows, and ten long lessons
// must stay well under the 300 KB a query may cost. Words past it are still
// indexed; a match only there is shown with the page's summary.
const searchTextMax = 24 << 10

// searchText returns the text a reader sees in rendered HTML, with runs of
// white space made one space: no tags, no entities, nothing from scripts,
// styles or SVG drawings.
func searchText(rendered string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(rendered))
	skip := 0   // depth inside elements whose text is not read
	hidden := 0 // depth inside an element a reader does not read (see hiddenFromReaders)
	space := true
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimRight(b.String(), " ")
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			tt := z.Token()
			if hidden > 0 || (tt.Type == html.StartTagToken && hiddenFromReaders(tt)) {
				switch {
				case tt.Type == html.SelfClosingTagToken || voidElements[tt.DataAtom]:
				case tt.Type == html.StartTagToken:
					hidden++
				default:
					hidden--
				}
				continue
			}
			switch tt.DataAtom {
			case atom.Script, atom.Style, atom.Svg, atom.Template, atom.Math:
				if tt.Type == html.StartTagToken {
					skip++
				} else if tt.Type == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			case atom.A, atom.Em, atom.Strong, atom.Code, atom.B, atom.I, atom.Mark, atom.Span,
				atom.Sub, atom.Sup, atom.Abbr, atom.Kbd, atom.Q, atom.S, atom.Del, atom.Ins, atom.Small:
				continue // inline: a word may go on across it
			}
			if !space { // a block's edge ends a word
				b.WriteByte(' ')
				space = true
			}
		case html.TextToken:
			if skip > 0 || hidden > 0 {
				continue
			}
			for _, r := range string(z.Text()) {
				if unicode.IsSpace(r) {
					if !space {
						b.WriteByte(' ')
						space = true
					}
					continue
				}
				b.WriteRune(r)
				space = false
			}
		}
	}
}

// hiddenFromReaders tells an element whose text is not what a reader reads: one
// marked aria-hidden (KaTeX's drawing of a formula, whose words are in its MathML,
// itself left out above as markup), and a Mermaid diagram's source, which the reader
// sees as a drawing.
func hiddenFromReaders(t html.Token) bool {
	for _, a := range t.Attr {
		switch {
		case a.Key == "aria-hidden" && a.Val == "true":
			return true
		case a.Key == "class" && t.DataAtom == atom.Pre && strings.Contains(" "+a.Val+" ", " mermaid "):
			return true
		}
	}
	return false
}

// voidElements have no end tag, so they do not nest.
var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true, atom.Hr: true,
	atom.Img: true, atom.Input: true, atom.Link: true, atom.Meta: true, atom.Source: true,
	atom.Track: true, atom.Wbr: true,
}

// clipText cuts s to at most max bytes at a word boundary.
func clipText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = s[:max]
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		s = s[:i]
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
	start := -1
	for i, r := range s {
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			if w := fold(s[start:i]); w != "" {
				fn(w)
			}
			start = -1
		}
	}
	if start >= 0 {
		if w := fold(s[start:]); w != "" {
			fn(w)
		}
	}
}

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
