package site

// The search body as it was made before the text and its words were read in
// one pass (search_text.go): kept as the reference the new code must match
// byte for byte (TestSearchBodyMatchesOld, FuzzSearchBodyMatchesOld). Only
// the names differ; it shares wordCounter, commonEntity, hiddenAttr and the
// tables, which the change left as they were.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// oldScannedTag is scannedTag as oldReadTag fills it.
type oldScannedTag = scannedTag

func oldAppendSearchText(buf []byte, rendered string) []byte {
	t := oldTextOut{buf: buf, space: true, start: len(buf)}
	s := rendered
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			t.text(s[i:], true)
			break
		}
		t.text(s[i:i+j], true)
		i += j
		tag, next, ok := oldScanTag(s, i)
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

type oldTextOut struct {
	buf    []byte
	start  int
	skip   int // depth inside elements whose text is not read
	hidden int // depth inside an element a reader does not read (see hiddenFromReaders)
	space  bool
}

func (t *oldTextOut) end() []byte {
	for len(t.buf) > t.start && t.buf[len(t.buf)-1] == ' ' {
		t.buf = t.buf[:len(t.buf)-1]
	}
	return t.buf
}

func (t *oldTextOut) tag(g oldScannedTag) {
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
		t.buf = append(t.buf, ' ')
		t.space = true
	}
}

func (t *oldTextOut) text(text string, entities bool) {
	if t.skip > 0 || t.hidden > 0 || text == "" {
		return
	}
	for i := 0; i < len(text); {
		c := text[i]
		if textPlain[c] {
			// A run of them, and of single spaces between them, is
			// copied whole: the text as rune makes it.
			j := i + 1
			for {
				for j < len(text) && textPlain[text[j]] {
					j++
				}
				if j+1 < len(text) && text[j] == ' ' && textPlain[text[j+1]] {
					j += 2
					continue
				}
				break
			}
			t.buf = append(t.buf, text[i:j]...)
			t.space = false
			i = j
			continue
		}
		if c == '&' {
			if !entities {
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

func (t *oldTextOut) rune(r rune) {
	if r < utf8.RuneSelf {
		if !asciiSpace[r] {
			t.buf = append(t.buf, byte(r))
			t.space = false
			return
		}
	} else if !isSpace(r) {
		t.buf = utf8.AppendRune(t.buf, r)
		t.space = false
		return
	}
	if !t.space {
		t.buf = append(t.buf, ' ')
		t.space = true
	}
}

// oldScanTag is scanTag with the old readTag: markup that is no tag, which
// the change left as it was, is read by scanTag itself.
func oldScanTag(s string, i int) (tag oldScannedTag, next int, ok bool) {
	switch {
	case i+1 < len(s) && isASCIILetter(s[i+1]):
		return oldReadTag(s, i+1, startTag)
	case i+2 < len(s) && s[i+1] == '/' && isASCIILetter(s[i+2]):
		return oldReadTag(s, i+2, endTag)
	}
	_, next, ok = scanTag(s, i)
	return tag, next, ok
}

func oldReadTag(s string, i, kind int) (tag oldScannedTag, next int, ok bool) {
	j := i
	for j < len(s) && !isHTMLSpace(s[j]) && s[j] != '/' && s[j] != '>' {
		j++
	}
	var lower [16]byte
	name := s[i:j]
	if len(name) <= len(lower) {
		for k := range len(name) {
			c := name[k]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower[k] = c
		}
		tag.atom = atom.Lookup(lower[:len(name)])
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

func oldEachRawWord(text []byte, fn func(word []byte)) {
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

func oldSearchBodyOfHTML(rendered string) []byte {
	c := wordCounters.Get().(*wordCounter)
	defer wordCounters.Put(c)
	c.forget()
	c.text = oldAppendSearchText(c.text[:0], rendered)
	oldEachRawWord(c.text, c.add)
	return c.body() // the same encoding: the test is of the text and its words
}

// trickySearchHTML is markup that tests where words begin and end: references
// in and between words, non-ASCII letters and marks, Dutch diacritics and
// apostrophes, hyphens, numbers, code, tags inside words, skipped and hidden
// elements, and words too long to index.
var trickySearchHTML = []string{
	"", "a", " a ", "<p>één twee</p>", "<p>coördinator, naïeve, reële; ideeën</p>", "zo&rsquo;n &lsquo;s avonds 's avonds zo'n",
	"it&#39;s it&apos;s don&rsquo;t", "e-mail well-known co&#8209;op x&ndash;y x&mdash;y", "3.14 1,000 42% v2 2nd 1e",
	"<code>hoe_server_platform</code> <pre><code class=\"language-go\"><span class=\"kd\">func</span> <span class=\"nx\">main</span>()</code></pre>",
	"ab<em>cd</em>ef g<strong>h</strong>i <a href=\"/x/\">jk</a>l", "x<br>y x<br/>y x<hr>y", "in<script>skip</script>side in<style>s</style>side",
	"<p>a</p><p>b</p>", "word&amp;word word&ampword word&notit;word", "caf&eacute; Caf\u00e9 cafe\u0301 CAF\u00c9", "Stra\u00dfe STRASSE \ufb01ne",
	"\u65e5\u672c\u8a9e \u0394\u03b5\u03bb\u03c4\u03b1 \u043d\u0430\u0443\u043a\u0430 \u05e2\u05d1\u05e8\u05d9\u05ea", "x\u200by x\u00a0y x\u2003y",
	"<span aria-hidden=\"true\">hid</span>den <pre class=\"mermaid\">graph</pre>after", "<svg><text>t</text></svg>w<math><mi>x</mi></math>v",
	"a&lt;b&gt;c &quot;q&quot; &#x41;&#66;C", "<img alt=\"alt text\" src=x>after", "<textarea>t&amp;a</textarea><title>T&lt;i</title>",
	"bad\xffbyte \xe2\x82 \xc3", strings.Repeat("lang", 20) + " " + strings.Repeat("\u00e9", 41) + " " + strings.Repeat("x", 81),
	"<!-- c -->d<!--->e<!x>f<?p?>g", "a < b <3 c<d", "&", "&;", "word&", "end&amp;", "<p>trailing   </p>   ",
	"Ma\u0301xima M\u00e1xima MAXIMA", "\u0130stanbul \u0131 K\u212a", "\u00bd \u00b2 \u2460 \u0663\u0664", "don't-stop 'quoted' \"dq\"",
}

// TestSearchBodyMatchesOld: the search body made in one pass is the one the
// reference (the two passes before it) made, byte for byte, on the golden
// course's pages, hand-written markup, random markup of many scripts, and,
// when ../shared/bench is there, the bodies of a generated 200-lesson course.
// Pages are read one after another, as a worker reads them, so the counter's
// memory of earlier pages is exercised too.
func TestSearchBodyMatchesOld(t *testing.T) {
	inputs := append(goldenHTML(t), trickySearchHTML...)
	x := uint32(5)
	for n := range 3000 {
		inputs = append(inputs, randomMarkup(&x, n%90, n%3 == 0))
	}
	if _, err := os.Stat(filepath.Join("..", "..", "shared", "bench", "gencourse")); err == nil {
		inputs = append(inputs, renderedBodies(t, 200)...)
	} else {
		t.Logf("no generated course: %v", err)
	}
	for _, in := range inputs {
		got, want := searchBodyOfHTML(in), oldSearchBodyOfHTML(in)
		if !bytes.Equal(got, want) {
			if len(in) > 300 {
				in = in[:300] + "…"
			}
			t.Fatalf("%q:\n got %q\nwant %q", in, got, want)
		}
		if got, want := searchText(in), string(oldAppendSearchText(nil, in)); got != want {
			t.Fatalf("%q: text %q, want %q", in, got, want)
		}
	}
}

// FuzzSearchBodyMatchesOld looks for markup on which the one-pass search body
// and the reference disagree: go test ./site -run '^$' -fuzz SearchBodyMatchesOld
func FuzzSearchBodyMatchesOld(f *testing.F) {
	for _, s := range trickySearchHTML {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if got, want := searchBodyOfHTML(in), oldSearchBodyOfHTML(in); !bytes.Equal(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", in, got, want)
		}
	})
}

// TestTagAtom: tagAtom is atom.Lookup on the names it answers itself (any
// other it passes to atom.Lookup), and on names near them.
func TestTagAtom(t *testing.T) {
	names := []string{"span", "p", "a", "em", "strong", "code", "pre", "li", "ul", "td", "tr", "h2", "h3", "", "x", "spa", "spans", "h7", "mark", "SPAN", "h1", "ol", "th"}
	for _, n := range names {
		if got, want := tagAtom([]byte(n)), atom.Lookup([]byte(n)); got != want {
			t.Errorf("%q: %v, atom.Lookup %v", n, got, want)
		}
	}
}
