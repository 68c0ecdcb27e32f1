package site

// The search index: the full text of every page but the home, stemmed and
// ranked at build time, split so that the browser downloads only what a query
// needs. The layout follows the idea of Pagefind (CloudCannon/pagefind, its
// index chunks and per-page fragments), in our own format:
//
//	search/index.json     the metadata: which file holds which words; for a
//	                      small course also the words and the pages themselves
//	search/t/HASH.json    a chunk of the words, in sorted order: each word's stem
//	                      and each stem's ranked list of pages
//	search/d/B.json       pages 16B to 16B+15 (course order): title, URL, module,
//	                      summary and the start of the text, for the result list
//	                      and its excerpts
//
// A chunk's name is its content's hash, so an unchanged chunk keeps its name and
// browsers may keep it; the output writer rewrites only files whose bytes changed.
//
// Ranking is BM25 over a page's text, summary, tags and headings (headings count
// twice, as in BM25F), plus a bonus when the word is in the title; the score of
// each stem on each page is computed here, so the browser only adds them up.
// Lessons not open yet contribute their title and summary only.

import (
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Where the index goes, relative to the output folder.
const (
	searchMetaFile = "search/index.json"
	searchChunkDir = "search/t/"
	searchDocDir   = "search/d/"
)

// searchFormat is the index format's version, in index.json; search.js reads 2.
const searchFormat = 2

// Size limits of the split. A query of three words at 10,000 lessons must
// download under 300 KB: index.json, at most one chunk per word (two for the
// word being typed) and the pages shown.
const (
	// searchChunkTarget is the size a chunk is cut at. A single stem's list of
	// pages may make a chunk larger: a word in every one of 10,000 lessons
	// takes about 20 KB.
	searchChunkTarget = 40 << 10
	// searchInlineMax: a term index this small goes inside index.json, so a
	// small course's search loads one file.
	searchInlineMax = 160 << 10
	// searchSingleMax: when the term index and every page's text together are
	// this small, the pages go inside index.json too.
	searchSingleMax = 200 << 10
)

// Ranking constants: BM25's usual k1 and b.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
	// headingWeight is how many times a word in a heading counts (its one
	// occurrence in the text included).
	headingWeight = 2
	// titleBonus is added to a stem's term score when it is in the title: as
	// much as the most the text can give, so a title match outranks a page that
	// only mentions the word, however often.
	titleBonus = bm25K1 + 1
	// scoreScale turns scores into the small integers the index stores
	// (quarter points: finer differences are not worth the bytes).
	scoreScale = 4
)

// A word typed that the course does not have (so the index cannot say its
// stem) matches the longest stem of at least searchStemMin bytes that begins it,
// when what is left is at most searchRestMax bytes: "groups" finds "group",
// "moderating" finds "moderation" (both "moder"). search.js does this; the
// constants are repeated there.
const (
	searchStemMin = 3
	searchRestMax = 5
)

// searchDoc is what the index knows of one page. It is kept, encoded (see
// encode), in the page's cached fragments (pageFrags.Search), so a rebuild reads
// only the pages that changed and never their text again.
type searchDoc struct {
	Hash     string // of the source: Body belongs to this version
	Title    string
	URL      string
	Module   string
	Summary  string
	Tags     []string
	Headings []string
	// Body is what the index needs of the rendered text, made by searchBodyOf:
	// the excerpt shown in results and each word's count, never the whole text.
	Body []byte
}

// searchDocOf makes p's entry in the index. A lesson not open yet gives its
// title, summary and tags only.
func (r *run) searchDocOf(p *Page) []byte {
	d := searchDoc{Hash: p.Hash, Title: p.Title, URL: p.URL, Summary: p.Summary, Tags: p.Tags}
	if p.Kind == KindLesson && p.Module != nil {
		d.Module = p.Module.Page.Title
	}
	if !p.Locked {
		for _, h := range p.TOC {
			d.Headings = append(d.Headings, h.Text)
		}
		d.Body = r.pageBody(p)
	}
	p.searchBody, p.bodyRead = nil, false // in the entry now: read from there if asked again
	return d.encode()
}

// pageBody returns p's searchBodyOf: made while it rendered in this build, or
// kept from the last build when the source is the same, or else rendered again.
func (r *run) pageBody(p *Page) []byte {
	if p.bodyRead {
		return p.searchBody
	}
	if f := r.prev.frag(p.File); f != nil {
		if d, ok := decodeSearchDoc(f.Search); ok && d.Hash == p.Hash && p.Hash != "" {
			return d.Body
		}
	}
	if p.Hash == "" {
		return nil // a module folder without _index.md: no text
	}
	fresh, err := readPage(r.b.fsys, p.File)
	if err != nil {
		return nil
	}
	q := *p
	q.src, q.bodyLine, q.Params = fresh.src, fresh.bodyLine, fresh.Params
	q.TOC = nil
	if err := renderBody(r.md, r.ix, r.cfg, r.site, &q, &linkLog{}, ""); err != nil {
		return nil // it rendered before in this build; the page itself reports errors
	}
	return searchBodyOf(&q)
}

// searchDocFormat is the first byte of an encoded searchDoc; a cached entry
// of another format is not read (the page's text is read again instead).
const searchDocFormat = 3

// encode writes d compactly: its strings with their lengths, then Body.
func (d *searchDoc) encode() []byte {
	n := 16 + len(d.Hash) + len(d.Title) + len(d.URL) + len(d.Module) + len(d.Summary) + len(d.Body)
	for _, t := range d.Tags {
		n += len(t) + 2
	}
	for _, h := range d.Headings {
		n += len(h) + 2
	}
	b := make([]byte, 0, n)
	b = append(b, searchDocFormat)
	for _, s := range [...]string{d.Hash, d.Title, d.URL, d.Module, d.Summary} {
		b = appendStr(b, s)
	}
	for _, list := range [...][]string{d.Tags, d.Headings} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, s := range list {
			b = appendStr(b, s)
		}
	}
	return append(b, d.Body...)
}

// decodeSearchDoc reads what encode wrote; ok is false for anything else.
func decodeSearchDoc(b []byte) (d searchDoc, ok bool) {
	if len(b) == 0 || b[0] != searchDocFormat {
		return d, false
	}
	r := byteReader{b: b[1:], ok: true}
	d.Hash, d.Title, d.URL, d.Module, d.Summary = r.str(), r.str(), r.str(), r.str(), r.str()
	for _, list := range [...]*[]string{&d.Tags, &d.Headings} {
		n := r.uint()
		for i := uint64(0); i < n && r.ok; i++ {
			*list = append(*list, r.str())
		}
	}
	d.Body = r.b
	return d, r.ok
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// byteReader reads uvarints and strings; ok turns false at the first thing
// that does not fit, and stays false.
type byteReader struct {
	b  []byte
	ok bool
}

func (r *byteReader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.ok, r.b = false, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *byteReader) bytes() []byte {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.ok, r.b = false, nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *byteReader) str() string { return string(r.bytes()) }

// The body of a page in the index (searchDoc.Body): its excerpt, then its
// distinct words in the order they first appear, each with its count.

// wordCounter counts the words of one page at a time. Its slots outlive the
// page, so a word the worker has seen before costs one look-up in raw: no
// allocation, and no folding again (raw maps the word as written to its
// folded word's slot).
type wordCounter struct {
	raw     wordTable // a word as written → its slot, or -1 when not indexed
	slot    wordTable // a folded word → its slot
	words   []string  // by slot: the folded word
	count   []int32   // by slot, for the page being counted
	seen    []int32   // the slots the page has
	text    []byte
	scratch [wordMax * 4]byte
}

// wordCounterMax is how many words a pooled counter remembers before it
// starts again, so that a long-running server's counters stay small.
const wordCounterMax = 1 << 17

// rawWordMax is the longest word as written that may fold to an indexed
// word: foldWord refuses longer ones (fold, past wordMax*2 bytes, and the
// ASCII path past wordMax), so the counter neither looks them up nor keeps them.
const rawWordMax = wordMax * 2

var wordCounters = sync.Pool{New: func() any { return new(wordCounter) }}

// forget empties the counter when it remembers too much (between pages).
func (c *wordCounter) forget() {
	if c.raw.used > wordCounterMax || c.raw.size() > wordCounterMax*8 {
		c.raw.reset()
		c.slot.reset()
		c.words, c.count = c.words[:0], c.count[:0]
	}
}

func (c *wordCounter) add(w []byte) {
	if len(w) > rawWordMax {
		return
	}
	i, ok := c.raw.get(w)
	if !ok {
		i = -1
		if f := foldWord(w, c.scratch[:0]); f != nil {
			var known bool
			if i, known = c.slot.get(f); !known {
				i = int32(len(c.words))
				c.slot.put(f, i)
				c.words = append(c.words, string(f))
				c.count = append(c.count, 0)
			}
		}
		c.raw.put(w, i)
	}
	if i < 0 {
		return
	}
	if c.count[i] == 0 {
		c.seen = append(c.seen, i)
	}
	c.count[i]++
}

// searchBodyOf returns what the index keeps of p's rendered text, or nil for
// a lesson not open yet, whose text is not in the index.
func searchBodyOf(p *Page) []byte {
	if p.Locked {
		return nil
	}
	return searchBodyOfHTML(string(p.Content))
}

// searchBodyOfHTML reads the text of rendered HTML (see searchText) and
// returns what the index keeps of it: the excerpt and each word's count. The
// words are counted as the text is read (textOut), in one pass over the HTML
// rather than a second one over the text; TestSearchBodyMatchesOld holds it
// to the bytes the two passes made.
func searchBodyOfHTML(rendered string) []byte {
	c := wordCounters.Get().(*wordCounter)
	defer wordCounters.Put(c)
	c.forget()
	t := textOut{buf: c.text[:0], space: true, word: -1, count: c}
	c.text = t.read(rendered)
	return c.body()
}

// body encodes what the index keeps of the text c read: its excerpt, then
// each word with its count, in the order the words first appear (the same
// text gives the same bytes, with no sort). It leaves the counts at zero.
func (c *wordCounter) body() []byte {
	excerpt := clipText(c.text, searchExcerptMax)
	b := make([]byte, 0, len(excerpt)+8+len(c.seen)*10)
	b = binary.AppendUvarint(b, uint64(len(excerpt)))
	b = append(b, excerpt...)
	b = binary.AppendUvarint(b, uint64(len(c.seen)))
	for _, i := range c.seen {
		b = appendStr(b, c.words[i])
		b = binary.AppendUvarint(b, uint64(c.count[i]))
		c.count[i] = 0
	}
	c.seen = c.seen[:0]
	return b
}

// bodyExcerpt returns the excerpt of a body searchBodyOf made, not reading
// its words.
func bodyExcerpt(body []byte) string {
	r := byteReader{b: body, ok: true}
	return string(r.bytes())
}

// bodyWords calls fn with the excerpt of a body, then with each word and its
// count (word is only valid during the call). It returns false when body is not
// one searchBodyOf made.
func bodyWords(body []byte, excerpt func(string), fn func(word []byte, n int)) bool {
	if len(body) == 0 {
		return true
	}
	r := byteReader{b: body, ok: true}
	x := r.bytes()
	if excerpt != nil {
		excerpt(string(x))
	}
	n := r.uint()
	for i := uint64(0); i < n && r.ok; i++ {
		w := r.bytes()
		count := r.uint()
		if len(w) > wordMax {
			return false
		}
		if fn != nil && r.ok {
			fn(w, int(count))
		}
	}
	return r.ok
}

// frag returns the cached fragments of a page file, or nil.
func (s *state) frag(file string) *pageFrags {
	if s == nil {
		return nil
	}
	return s.Frags[file]
}

// searchKeyName records, among the special keys, what the search index was
// last made from, with searchFilesName listing its files.
const searchKeyName = "search-index"

// writeSearchIndex writes the split index from every page's cached entry,
// unless nothing it is made from changed.
func (r *run) writeSearchIndex() error {
	key := newKeyer().str(r.fragsOrder, r.cfg.Language, strconv.Itoa(searchFormat)).sum()
	r.setSpecial(searchKeyName, key) // extras.go: the files made beside the index set theirs too
	if r.fragsSame && r.prev.special(searchKeyName) == key && r.keepSearchIndex() {
		if t := r.prev.special(searchStateKey); t != "" {
			r.setSpecial(searchStateKey, t)
		}
		return nil
	}
	var pages []*Page
	var looked []int // the pages makeFrags looked at, by index in pages; nil: all
	next := 0        // in r.lookedAt, which is in course order
	for i, p := range r.course.All() {
		if r.visit != nil && next < len(r.lookedAt) && r.lookedAt[next] == i {
			next++
			if p.Kind != KindHome {
				looked = append(looked, len(pages))
			}
		}
		if p.Kind != KindHome {
			pages = append(pages, p)
		}
	}
	if r.visit != nil && looked == nil {
		looked = []int{} // none: no entry changed
	}
	// A whole new index is written as it is made; an updated one is a few files.
	files, err := r.searchIndexFiles(pages, looked, r.out.write) // search_state.go
	if err != nil {
		return err
	}
	for _, name := range files.keep {
		r.out.keep(name)
	}
	r.out.mayBeGone(files.dropped...)
	names := slices.Sorted(maps.Keys(files.write))
	err = parallel(r.ctx, len(names), func(i int) error {
		return r.out.write(names[i], files.write[names[i]])
	})
	if err != nil {
		return err
	}
	st := r.b.search
	st.token = newSearchToken()
	if r.b.o.CacheDir != "" {
		// Written beside the output's commit and the build cache's save, which
		// wait for it before the build returns (Builder.searchSaved): on a
		// cold build it is a serial encode and write of several MB, and it
		// was the last step of the index. The token goes into the build cache
		// whether or not the write succeeds: a next build that finds another
		// token in the file (or none) makes the index from every page, as it
		// would without the key.
		saved := make(chan struct{})
		r.b.searchSaved = saved
		go func() {
			defer close(saved)
			if err := st.save(filepath.Join(r.b.o.CacheDir, searchStateFile)); err != nil {
				r.b.log.Warn("search index: its state is not kept for the next build", "err", err)
			}
		}()
	}
	r.setSpecial(searchStateKey, st.token)
	return nil
}

// keepSearchIndex keeps the last build's index files, or returns false when
// the last build's record of them is missing.
func (r *run) keepSearchIndex() bool {
	if !r.out.keep(searchMetaFile) {
		return false
	}
	for name := range r.prev.outputs() {
		if strings.HasPrefix(name, searchChunkDir) || strings.HasPrefix(name, searchDocDir) {
			r.out.keep(name)
		}
	}
	return true
}

// searchChunk is one chunk of the term index: each word (folded, as typed) with
// its stem ("" when the word is its own stem), and each of those stems with its
// posting list.
type searchChunk struct {
	Words    map[string]string `json:"w"`
	Postings map[string]string `json:"p"`
}

// searchMeta is index.json.
type searchMeta struct {
	Format int `json:"v"`
	Pages  int `json:"n"`
	// Chunks lists each chunk's first word and file (relative to index.json),
	// in word order; empty when Index is inline.
	Chunks [][2]string  `json:"chunks,omitempty"`
	Index  *searchChunk `json:"index,omitempty"`
	// Docs holds the pages inline, for a small course. Else page N is entry
	// N mod Bundle of the list in d/⌊N/Bundle⌋.json.
	Docs   []json.RawMessage `json:"docs,omitempty"`
	Bundle int               `json:"b,omitempty"`
}

// searchPage is a page as the browser shows it in the results.
type searchPage struct {
	Title   string `json:"t"`
	URL     string `json:"u"`
	Module  string `json:"m,omitempty"`
	Summary string `json:"s,omitempty"`
	Text    string `json:"x,omitempty"`
}

// searchBundle is how many pages one file of d/ holds, in course order. One
// file per page wrote as many files as the site has pages (half of a cold
// build's file creations); a bundle of sixteen writes a sixteenth of that,
// while a result still costs only its bundle's excerpts (see searchExcerptMax).
// An edit to one page rewrites its bundle alone.
const searchBundle = 16

// searchBundleFile is the file of d/ that holds page n.
func searchBundleFile(n int) string {
	return searchDocDir + strconv.Itoa(n/searchBundle) + ".json"
}

// chunkEnds tells whether a chunk past half its target ends after word w,
// which added size bytes: with a chance of size in searchChunkTarget/4, so that
// chunks average about three quarters of the target.
func chunkEnds(w string, size int) bool {
	h := fnv.New32a()
	h.Write([]byte(w))
	return int(h.Sum32()%(searchChunkTarget/4)) < size
}

// The posting alphabet: a number is written in base 32, most significant digit
// first; its last digit is one of numLast, the others of numMore. search.js
// decodes the same alphabet.
const (
	numLast = "0123456789abcdefghijklmnopqrstuv"
	numMore = "ABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%()"
)

// appendNum appends v (≥ 0) in the posting alphabet.
func appendNum(b []byte, v int) []byte {
	var digits [14]byte
	i := len(digits) - 1
	digits[i] = numLast[v%32]
	for v /= 32; v > 0; v /= 32 {
		i--
		digits[i] = numMore[v%32]
	}
	return append(b, digits[i:]...)
}

// decodeNums reads numbers written by appendNum; the tests use it.
func decodeNums(s string) []int {
	var out []int
	n := 0
	for i := 0; i < len(s); i++ {
		if d := strings.IndexByte(numLast, s[i]); d >= 0 {
			out = append(out, n*32+d)
			n = 0
			continue
		}
		n = n*32 + strings.IndexByte(numMore, s[i])
	}
	return out
}
