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
//	search/d/N.json       page N (course order): title, URL, module, summary and
//	                      text, for the result list and its excerpts
//
// A chunk's name is its content's hash, so an unchanged chunk keeps its name and
// browsers may keep it; the output writer rewrites only files whose bytes changed.
//
// Ranking is BM25 over a page's text, summary, tags and headings (headings count
// twice, as in BM25F), plus a bonus when the word is in the title; the score of
// each stem on each page is computed here, so the browser only adds them up.
// Lessons not open yet contribute their title and summary only.

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Where the index goes, relative to the output folder.
const (
	searchMetaFile = "search/index.json"
	searchChunkDir = "search/t/"
	searchDocDir   = "search/d/"
)

// searchFormat is the index format's version, in index.json; search.js reads 1.
const searchFormat = 1

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

// searchDoc is what the index knows of one page. It is kept in the page's
// cached fragments (pageFrags.Search), so a rebuild reads only the pages that
// changed.
type searchDoc struct {
	Hash     string   `json:"hash"` // of the source: Text belongs to this version
	Title    string   `json:"t"`
	URL      string   `json:"u"`
	Module   string   `json:"m,omitempty"`
	Summary  string   `json:"s,omitempty"`
	Tags     []string `json:"k,omitempty"`
	Headings []string `json:"h,omitempty"`
	Text     string   `json:"x,omitempty"`
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
		d.Text = r.pageText(p)
	}
	b, _ := json.Marshal(d)
	return b
}

// pageText returns p's rendered text: read while it rendered in this build, or
// kept from the last build when the source is the same, or else rendered again.
func (r *run) pageText(p *Page) string {
	if p.textRead {
		return p.searchText
	}
	if f := r.prev.frag(p.File); f != nil {
		var d searchDoc
		if json.Unmarshal(f.Search, &d) == nil && d.Hash == p.Hash && p.Hash != "" {
			return d.Text
		}
	}
	if p.Hash == "" {
		return "" // a module folder without _index.md: no text
	}
	fresh, err := readPage(r.b.fsys, p.File)
	if err != nil {
		return ""
	}
	q := *p
	q.src, q.bodyLine, q.Params = fresh.src, fresh.bodyLine, fresh.Params
	q.TOC = nil
	if err := renderBody(r.md, r.ix, r.cfg, r.site, &q, &linkLog{}, ""); err != nil {
		return "" // it rendered before in this build; the page itself reports errors
	}
	return searchText(string(q.Content))
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
	r.next.Special[searchKeyName] = key
	if r.fragsSame && r.prev.special(searchKeyName) == key && r.keepSearchIndex() {
		return nil
	}
	var docs []searchDoc
	for _, p := range r.course.All() {
		if p.Kind == KindHome {
			continue
		}
		var d searchDoc
		if err := json.Unmarshal(r.frags(p).Search, &d); err != nil {
			return err
		}
		docs = append(docs, d)
	}
	files := buildSearchIndex(docs, stemmer(r.cfg.Language))
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := r.out.write(name, files[name]); err != nil {
			return err
		}
	}
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
	// Docs holds the pages inline, for a small course; else page N is in d/N.json.
	Docs []json.RawMessage `json:"docs,omitempty"`
}

// searchPage is a page as the browser shows it in the results.
type searchPage struct {
	Title   string `json:"t"`
	URL     string `json:"u"`
	Module  string `json:"m,omitempty"`
	Summary string `json:"s,omitempty"`
	Text    string `json:"x,omitempty"`
}

// buildSearchIndex makes the index files (by output path) for docs in course
// order. The same docs give the same bytes.
func buildSearchIndex(docs []searchDoc, stem func(string) string) map[string][]byte {
	words := map[string]string{} // folded word → stem
	stemOf := func(w string) string {
		s, ok := words[w]
		if !ok {
			s = stem(w)
			words[w] = s
		}
		return s
	}
	// Each stem's pages, in page order, with its weighted count and whether the
	// title has it.
	type posting struct {
		doc, tf int
		title   bool
	}
	lists := map[string][]posting{}
	lens := make([]int, len(docs))
	total := 0
	for i, d := range docs {
		tf := map[string]int{}
		count := func(s string, weight int) {
			searchWords(s, func(w string) {
				tf[stemOf(w)] += weight
				lens[i] += weight
			})
		}
		count(d.Text, 1)
		count(d.Summary, 1)
		for _, t := range d.Tags {
			count(t, 1)
		}
		for _, h := range d.Headings {
			count(h, headingWeight-1) // once more than in the text
		}
		title := map[string]bool{}
		searchWords(d.Title, func(w string) { title[stemOf(w)] = true })
		for s := range title {
			if _, ok := tf[s]; !ok {
				tf[s] = 0 // in the title only
			}
		}
		for s, n := range tf {
			lists[s] = append(lists[s], posting{doc: i, tf: n, title: title[s]})
		}
		total += lens[i]
	}
	avg := max(float64(total)/float64(max(len(docs), 1)), 1)
	n := float64(len(docs))

	// Each stem's postings: (page, score) in page order, encoded.
	postings := make(map[string][]byte, len(lists))
	var enc []byte
	for s, list := range lists {
		df := float64(len(list))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		enc = enc[:0]
		prev := -1
		for _, p := range list {
			tf := float64(p.tf)
			norm := float64(bm25K1 * (1 - bm25B + bm25B*float64(lens[p.doc])/avg))
			score := float64(tf * (bm25K1 + 1) / (tf + norm))
			if p.title {
				score += titleBonus
			}
			q := max(1, int(math.Round(float64(idf*score)*scoreScale)))
			enc = appendNum(enc, p.doc-prev)
			enc = appendNum(enc, q)
			prev = p.doc
		}
		postings[s] = bytes.Clone(enc)
	}

	files := map[string][]byte{}
	meta := searchMeta{Format: searchFormat, Pages: len(docs)}
	chunks := splitChunks(slices.Sorted(maps.Keys(words)), words, postings)
	size := 0
	for _, c := range chunks {
		size += len(c.data)
	}
	if len(chunks) == 1 && size <= searchInlineMax {
		meta.Index = chunks[0].chunk
	} else {
		for _, c := range chunks {
			name := searchChunkDir + hashBytes(c.data)[:16] + ".json"
			files[name] = c.data
			meta.Chunks = append(meta.Chunks, [2]string{c.first, strings.TrimPrefix(name, "search/")})
		}
	}
	pages := make([][]byte, len(docs))
	for i, d := range docs {
		pages[i], _ = json.Marshal(searchPage{Title: d.Title, URL: d.URL, Module: d.Module,
			Summary: d.Summary, Text: clipText(d.Text, searchTextMax)})
		size += len(pages[i])
	}
	if meta.Index != nil && size <= searchSingleMax {
		for _, p := range pages {
			meta.Docs = append(meta.Docs, p)
		}
	} else {
		for i, p := range pages {
			files[searchDocDir+strconv.Itoa(i)+".json"] = p
		}
	}
	files[searchMetaFile], _ = json.Marshal(meta)
	return files
}

type builtChunk struct {
	first string // its first word
	chunk *searchChunk
	data  []byte
}

// splitChunks cuts the sorted words into chunks of about searchChunkTarget
// bytes. A chunk holds the postings of every stem of its words, so a stem whose
// words fall in two chunks is in both.
func splitChunks(sorted []string, words map[string]string, postings map[string][]byte) []builtChunk {
	var out []builtChunk
	cur := &searchChunk{Words: map[string]string{}, Postings: map[string]string{}}
	first, size := "", 0
	flush := func() {
		data, _ := json.Marshal(cur)
		out = append(out, builtChunk{first: first, chunk: cur, data: data})
		cur = &searchChunk{Words: map[string]string{}, Postings: map[string]string{}}
		size = 0
	}
	for _, w := range sorted {
		s := words[w]
		add := len(w) + 6
		if s != w {
			add += len(s)
		}
		if _, ok := cur.Postings[s]; !ok {
			add += len(s) + len(postings[s]) + 6
		}
		if size > 0 && size+add > searchChunkTarget {
			flush()
		}
		if size == 0 {
			first = w
		}
		if s == w {
			cur.Words[w] = ""
		} else {
			cur.Words[w] = s
		}
		cur.Postings[s] = string(postings[s])
		size += add
	}
	if size > 0 || len(out) == 0 {
		flush()
	}
	if len(out) > 0 {
		out[0].first = "" // the first chunk also holds every word before its first
	}
	return out
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
