package site

import (
	"bytes"
	"context"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// tokenizerSearchText is searchText as x/net/html's tokenizer reads the
// HTML: what appendSearchText must match.
func tokenizerSearchText(buf []byte, rendered string) []byte {
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
			if hidden > 0 || (tt == html.StartTagToken && hasAttr && tokenizerHidden(z, a)) {
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

// tokenizerHidden tells an element whose text is not what a reader reads: one
// marked aria-hidden (KaTeX's drawing of a formula, whose words are in its MathML,
// itself left out above as markup), and a Mermaid diagram's source, which the reader
// sees as a drawing. It reads the attributes of the tag z is at.
func tokenizerHidden(z *html.Tokenizer, a atom.Atom) bool {
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

// TestSearchTextMatchesTokenizer: the text appendSearchText reads is the text
// x/net/html's tokenizer gives, on the golden course's pages and on markup
// that tests the edges of HTML's syntax.
func TestSearchTextMatchesTokenizer(t *testing.T) {
	inputs := []string{
		"plain", "a < b and c<d", "<", "</", "</>x", "<!---->a", "<!-->a", "<!--->a", "<!-- a -- b -->c", "<!-- unterminated",
		"<!DOCTYPE html><p>x</p>", "<?xml x?>y", "</ p>z", "<p>a</p >b", "<P CLASS=x>Up</P>", "<a href=/x/>l</a>",
		"<div aria-hidden=\"true\">no<div>nested</div></div>yes", "<span aria-hidden=true><br>hid</span>shown",
		"<span aria-hidden=\"false\">shown</span>", "<pre class=\"x mermaid\">graph</pre>after", "<pre class='mermaid'>g</pre>a",
		"<div class=mermaid>kept</div>", "<script>if (a<b) {}</script>after", "<script>x</SCRIPT >after", "<style>p{}</style>s",
		"<textarea>a &amp; <b>b</b></textarea>t", "<title>T &lt; U</title>", "<xmp><b>raw</b></xmp>", "<noscript><p>n</p></noscript>",
		"<svg><text>drawing</text></svg>after", "<math><mi>x</mi></math>after", "<template><p>t</p></template>after",
		"a&amp;b &lt;c&gt; &nbsp;d &#x41; &copy &bogus;", "caf\u00e9 na\u00efve \u00a0nb\u2003sp", "bad \xff byte",
		"<p title=\"a>b\">q</p>", "<p title='x\">'>q</p>", "<img src=x alt=y>after<br/>more<hr>", "<a\nhref=x\n>multi</a>",
		"<p>one</p><p>two</p>", "x<em>y</em>z", "<ul><li>one<li>two</ul>", "<p>trailing   </p>   ", "<iframe>f</iframe>after",
		"<plaintext><b>all the rest", "<a", "<a href=\"x", "text <3 and <= 4", "<!x>y", "<p =x>odd</p>", "<p a b=c / >s</p>",
		"<span aria-hidden=\"true\"/>after", "<div aria-hidden=\"true\"><img src=x><br/></div>after",
	}
	inputs = append(inputs, goldenHTML(t)...)
	for _, in := range inputs {
		want := string(tokenizerSearchText(nil, in))
		if got := searchText(in); got != want {
			if len(in) > 200 {
				in = in[:200] + "…"
			}
			t.Errorf("%q:\n got %q\nwant %q", in, got, want)
		}
	}
}

// FuzzSearchTextMatchesTokenizer looks for markup on which appendSearchText
// and the tokenizer disagree: go test ./site -run '^$' -fuzz SearchTextMatches
func FuzzSearchTextMatchesTokenizer(f *testing.F) {
	for _, s := range []string{"<p>a</p>", "<div aria-hidden=\"true\">x</div>y", "<script>a</script>b", "<!-- c -->d", "a &amp; b", "<pre class=mermaid>g</pre>",
		"it&rsquo;s &AMP; &amp &#39;q&#39; &notit; x", "a  b\t\n c\u2003d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !utf8.ValidString(in) || strings.ContainsRune(in, 0) || strings.Contains(strings.ToLower(in), "<script") {
			return // invalid text and NULs are not what goldmark writes; a script's escapes are read only approximately
		}
		if got, want := searchText(in), string(tokenizerSearchText(nil, in)); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	})
}

// BenchmarkSearchBody reads the search text of built lesson pages and counts
// its words (searchBodyOfHTML), as each page's render does with the page's
// body: here the whole page, whose markup is of the same kind.
func BenchmarkSearchBody(b *testing.B) {
	src := benchCourse(b, 200)
	out := filepath.Join(b.TempDir(), "public")
	if _, err := Build(context.Background(), Options{Source: src, Out: out}); err != nil {
		b.Fatal(err)
	}
	var pages []string
	size := 0
	filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "index.html" && strings.Count(path, string(filepath.Separator)) > strings.Count(out, string(filepath.Separator))+1 {
			data, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			pages = append(pages, string(data))
			size += len(data)
		}
		return nil
	})
	b.SetBytes(int64(size))
	for b.Loop() {
		for _, p := range pages {
			searchBodyOfHTML(p)
		}
	}
}

// TestEachRawWordMatchesFields: the words eachRawWord finds in random text
// (ASCII, accented and other scripts' letters, combining marks, digits of
// other scripts, punctuation, invalid bytes) are strings.FieldsFunc's runs of
// isWordRune, whose rune-by-rune reading is the definition.
func TestEachRawWordMatchesFields(t *testing.T) {
	pieces := []string{"a", "Z", "7", " ", "-", ".", "'", "é", "ß", "ﬁ", "e\u0301", "\u0301", "٣", "日本", "—", "\u00a0",
		"\xff", "\xe2\x82", "🙂", "Ω", "_", "\t", "x"}
	x := uint32(1)
	for n := range 2000 {
		var b strings.Builder
		for range n % 40 {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			b.WriteString(pieces[x%uint32(len(pieces))])
		}
		text := b.String()
		var got []string
		eachRawWord([]byte(text), func(w []byte) { got = append(got, string(w)) })
		want := strings.FieldsFunc(text, func(r rune) bool { return !isWordRune(r) })
		if !slices.Equal(got, want) {
			t.Fatalf("%q: words %q, want %q", text, got, want)
		}
	}
}

// mapSearchBody is searchBodyOfHTML as its definition reads: the text's
// words are strings.FieldsFunc's runs of isWordRune, each folded by fold
// (and dropped when fold drops it), counted in a Go map and listed in the
// order they first appear. The word counter must give the same bytes.
func mapSearchBody(rendered string) []byte {
	text := searchText(rendered)
	count := map[string]int{}
	var order []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !isWordRune(r) }) {
		f := fold(w)
		if f == "" || len(f) > wordMax {
			continue
		}
		if count[f] == 0 {
			order = append(order, f)
		}
		count[f]++
	}
	excerpt := clipText([]byte(text), searchExcerptMax)
	b := binary.AppendUvarint(nil, uint64(len(excerpt)))
	b = append(b, excerpt...)
	b = binary.AppendUvarint(b, uint64(len(order)))
	for _, w := range order {
		b = appendStr(b, w)
		b = binary.AppendUvarint(b, uint64(count[w]))
	}
	return b
}

// randomMarkup strings together n pieces of text in several scripts, character
// references known and unknown, and tags of the kinds searchText treats apart
// (inline, block, skipped, hidden, raw text), from the state x.
func randomMarkup(x *uint32, n int, invalid bool) string {
	pieces := []string{"a", "Z", "7", " ", "  ", "\n", "-", ".", "'", "é", "ß", "ﬁ", "e\u0301", "\u0301", "٣", "日本", "—",
		"\u00a0", "🙂", "Ω", "_", "\t", "word", "Straße", "CAFÉ", "наука", "Ελλάδα", "עברית", "ไทย", "x\u200by",
		"&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#34;", "&#160;", "&nbsp;", "&rsquo;", "&ldquo;", "&rdquo;", "&hellip;",
		"&mdash;", "&AMP;", "&amp", "&ampx;", "&notin;", "&notit;", "&#x41;", "&#0;", "&#128;", "&", "&;", "&#;", "&#x;",
		"&eacute;", "&Eacute", "&lt", "&gtx", "&raquo;&laquo;", "&ndash;&lsquo;",
		"<p>", "</p>", "<em>", "</em>", "<code>", "</code>", "<br>", "<br/>", "<div class=\"x\">", "</div>",
		"<span aria-hidden=\"true\">", "</span>", "<pre class=\"mermaid\">", "</pre>", "<script>", "</script>",
		"<style>", "</style>", "<svg>", "</svg>", "<!-- c -->", "<textarea>", "</textarea>", "<a href='&amp;q'>", "</a>",
		"<li>", "<h2 id=x>", "</h2>", "<img alt=\"a&amp;b\">", "<", "</", "<!x>", "<?p?>",
	}
	if invalid {
		pieces = append(pieces, "\xff", "\xe2\x82", "\xc3", "\xa9")
	}
	var b strings.Builder
	for range n {
		*x ^= *x << 13
		*x ^= *x >> 17
		*x ^= *x << 5
		b.WriteString(pieces[*x%uint32(len(pieces))])
	}
	return b.String()
}

// TestSearchTextRandomMarkup: on random markup of many scripts and
// references, appendSearchText gives the tokenizer's text.
func TestSearchTextRandomMarkup(t *testing.T) {
	x := uint32(7)
	for n := range 3000 {
		in := randomMarkup(&x, n%60, false)
		if strings.Contains(strings.ToLower(in), "<script") {
			continue // a script's escapes are read only approximately (see FuzzSearchTextMatchesTokenizer)
		}
		if got, want := searchText(in), string(tokenizerSearchText(nil, in)); got != want {
			t.Fatalf("%q:\n got %q\nwant %q", in, got, want)
		}
	}
}

// TestSearchTextEntitiesAsUnescape: text with character references, known
// and not, and invalid bytes, comes out of appendSearchText as it did when
// the whole text was decoded by html.UnescapeString and then read rune by rune.
func TestSearchTextEntitiesAsUnescape(t *testing.T) {
	x := uint32(11)
	for n := range 3000 {
		in := randomMarkup(&x, n%40, true)
		in = strings.NewReplacer("<", "", ">", "").Replace(in) // text only
		got := searchText(in)
		if old := string(byteWiseSearchText(in)); got != old {
			t.Fatalf("%q:\n got %q\nwant %q (unescaped whole, then rune by rune)", in, got, old)
		}
	}
}

// byteWiseSearchText is searchText of text without markup as it was read
// before runs were copied whole: the whole text unescaped, then rune by rune.
func byteWiseSearchText(text string) []byte {
	if strings.IndexByte(text, '&') >= 0 {
		text = html.UnescapeString(text)
	}
	var buf []byte
	space := true
	for _, r := range text {
		if unicode.IsSpace(r) {
			if !space {
				buf = append(buf, ' ')
				space = true
			}
			continue
		}
		buf = utf8.AppendRune(buf, r)
		space = false
	}
	for len(buf) > 0 && buf[len(buf)-1] == ' ' {
		buf = buf[:len(buf)-1]
	}
	return buf
}

// TestCommonEntities: each reference commonEntity decodes is decoded as
// html.UnescapeString decodes it, whatever follows; the ones it leaves are
// not taken for one it knows.
func TestCommonEntities(t *testing.T) {
	for _, ref := range []string{"&amp;", "&lt;", "&gt;", "&quot;", "&#34;", "&apos;", "&#39;", "&nbsp;", "&#160;",
		"&lsquo;", "&rsquo;", "&ldquo;", "&rdquo;", "&ndash;", "&mdash;", "&hellip;", "&laquo;", "&raquo;"} {
		for _, after := range []string{"", "x", ";", "amp;", " ", "1", "&amp;"} {
			r, n := commonEntity(ref + after)
			if n != len(ref) || string(r)+html.UnescapeString(after) != html.UnescapeString(ref+after) {
				t.Errorf("%q: %q, %d; want %q", ref+after, r, n, html.UnescapeString(ref+after))
			}
		}
	}
	for _, s := range []string{"&", "&;", "&AMP;", "&amp", "&ampx;", "&Lt;", "&#x27;", "&#039;", "&notin;", "&hellip", "&verylongname;"} {
		if r, n := commonEntity(s); n != 0 {
			t.Errorf("%q: decoded as %q, %d; left to html.UnescapeString", s, r, n)
		}
	}
}

// TestSearchBodyMatchesMap: the word counter gives the bytes its definition
// (mapSearchBody) gives, on the golden pages and random markup of many
// scripts, one page after another as a worker counts them.
func TestSearchBodyMatchesMap(t *testing.T) {
	inputs := goldenHTML(t)
	x := uint32(3)
	for n := range 2000 {
		inputs = append(inputs, randomMarkup(&x, n%80, n%2 == 0))
	}
	inputs = append(inputs, strings.Repeat("x", rawWordMax)+" "+strings.Repeat("é", rawWordMax/2)+" "+strings.Repeat("y", rawWordMax+1))
	for _, in := range inputs {
		if got, want := searchBodyOfHTML(in), mapSearchBody(in); !bytes.Equal(got, want) {
			if len(in) > 200 {
				in = in[:200] + "…"
			}
			t.Fatalf("%q:\n got %q\nwant %q", in, got, want)
		}
	}
}

// TestWordCounterForgets: a counter that has remembered more words than
// wordCounterMax starts again between pages, and counts as before.
func TestWordCounterForgets(t *testing.T) {
	c := new(wordCounter)
	var b strings.Builder
	for i := range wordCounterMax + 10 {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(' ')
	}
	c.text = append(c.text[:0], b.String()...)
	eachRawWord(c.text, c.add)
	if c.raw.used <= wordCounterMax {
		t.Fatalf("counter holds %d words, want more than %d", c.raw.used, wordCounterMax)
	}
	clear(c.count)
	c.seen = c.seen[:0]
	c.forget()
	if c.raw.used != 0 || len(c.words) != 0 {
		t.Fatalf("after forget: %d words as written, %d folded", c.raw.used, len(c.words))
	}
	c.text = append(c.text[:0], "two one two"...)
	eachRawWord(c.text, c.add)
	var got []string
	for _, i := range c.seen {
		got = append(got, c.words[i]+"="+strconv.Itoa(int(c.count[i])))
	}
	if want := []string{"two=2", "one=1"}; !slices.Equal(got, want) {
		t.Errorf("counts %q, want %q", got, want)
	}
}

// FuzzSearchBodyMatchesMap looks for text on which the word counter and its
// definition disagree: go test ./site -run '^$' -fuzz SearchBodyMatchesMap
func FuzzSearchBodyMatchesMap(f *testing.F) {
	for _, s := range []string{"<p>a b a</p>", "Café cafe CAFE", "&amp;x &rsquo;y", "日本 日本", "e\u0301te\u0301", "\xff word"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if got, want := searchBodyOfHTML(in), mapSearchBody(in); !bytes.Equal(got, want) {
			t.Errorf("%q:\n got %q\nwant %q", in, got, want)
		}
	})
}

// TestIsWordRuneTable: the looked-up isWordRune is its definition on every
// rune, and isSpace is unicode.IsSpace.
func TestIsWordRuneTable(t *testing.T) {
	for r := rune(-1); r <= unicode.MaxRune+1; r++ {
		if isWordRune(r) != isWordRuneSlow(r) {
			t.Fatalf("%U: %v, by definition %v", r, isWordRune(r), isWordRuneSlow(r))
		}
		if isSpace(r) != unicode.IsSpace(r) {
			t.Fatalf("%U: space %v, unicode.IsSpace %v", r, isSpace(r), unicode.IsSpace(r))
		}
	}
}

// goldenHTML returns the golden files' built pages, real pages of the
// example course to hold the search text to.
func goldenHTML(t *testing.T) []string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.html"))
	if len(names) == 0 {
		t.Fatal("no golden pages in testdata/golden")
	}
	var pages []string
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, string(data))
	}
	return pages
}
