package site

// The search index's working state: each word's stem and each stem's pages
// with their counts, from which the index files are made. A clean build makes
// it from every page's entry; a build after an edit updates the lists of the
// edited pages' words (old and new) and writes again only the chunks holding
// those words and the bundles of those pages. Both paths make the files with
// the same code (emit), so they give the same bytes.
//
// The state is kept in memory while serving and in the cache folder
// (searchStateFile) between processes; a token in the build cache's special
// keys says which build it belongs to, so a state a failed build left behind
// is never used. An update is saved as a record appended to the file's log
// (what changed: a few stems and words), and the state is written whole only
// when it was made from every page or the log has grown (save).

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// searchStateFile holds the state under Options.CacheDir.
const searchStateFile = "search.state"

// searchStateKey records, among the special keys, the token of the state the
// last build left.
const searchStateKey = "search-state"

// searchStateFormat is the first byte of searchStateFile.
const searchStateFormat = 2

// searchIncrementalMax: when more than this share of the pages changed, the
// state is made again from every page, which costs no more.
const searchIncrementalMax = 8 // one page in 8

// searchState is what the index files are made from (see the top of this file).
type searchState struct {
	token  string
	lang   string
	lens   []int32 // each page's length in words (weighted), in course order
	total  int64
	words  map[string]*searchWord
	sorted []string // the words, in byte order
	stems  map[string]*searchStem
	// chunks are the chunk files as last written; nil when the index went
	// inside index.json.
	chunks []searchChunkRef
	// updated tells that the last build updated the state rather than make it
	// again (the tests ask).
	updated bool
	// qlens is each page's length as BM25 is told it (searchLen), for the
	// lengths in qlensOf: kept between builds, as a one-edit build changes one.
	qlens   []float64
	qlensOf []int32

	// What the cache folder holds (see save): whole is true when the state
	// must be written whole; else base is the token of the state written
	// whole, of baseSize bytes, followed by logSize bytes of log, and the
	// changed fields are what changed since.
	whole             bool
	base              string
	baseSize, logSize int
	changedStems      map[string]bool // present or gone
	changedWords      map[string]bool // present or gone
	changedLens       map[int]bool

	// lastFiles is the folder that holds the chunk files as last written
	// (the output folder's search/), "" when unknown: an emit that is not
	// full takes from them the lists it has not encoded since (emitTo).
	lastFiles string
}

// searchWord is a word of the course: its stem, and on how many pages it is.
type searchWord struct {
	stem string
	docs int32 // how many pages have it
}

// searchStem is a stem's pages: for each, in page order, the page number less
// the one before and tf<<1 | in-title, as uvarints.
type searchStem struct {
	raw    []byte
	encLen int // bytes of its encoded postings as last written; -1 when not known
	// enc is the encoded postings as an emit that was not full last made
	// them (kept says so), for the next such emit: a chunk written again
	// holds many stems besides the one that changed, some on every page.
	// A full emit keeps none, so a cold build holds no second copy.
	enc  string
	kept bool
	df   int32 // on how many pages it is: the entries in raw
}

// searchChunkRef is a chunk file as written: its words' range, and its name.
type searchChunkRef struct {
	first, last string
	count       int
	name        string // under search/
}

// searchTerms calls fn with each word of d as the index counts it: the text's
// words with their counts, the summary's and tags' once, the headings' once
// more than in the text, and the title's with weight 0 and title set.
func searchTerms(d *searchDoc, fn func(w []byte, weight int32, title bool)) {
	bodyWords(d.Body, nil, func(w []byte, c int) { fn(w, int32(c), false) })
	var scratch [wordMax]byte
	words := func(s string, weight int32, title bool) {
		eachWord([]byte(s), scratch[:0], func(w []byte) { fn(w, weight, title) })
	}
	words(d.Summary, 1, false)
	for _, t := range d.Tags {
		words(t, 1, false)
	}
	for _, h := range d.Headings {
		words(h, headingWeight-1, false) // once more than in the text
	}
	words(d.Title, 0, true)
}

// newSearchState makes the state from every page. The pages are counted on
// all cores, in parts of consecutive pages (searchPartPages), and the parts
// then merged in page order: a stem's entries of one part follow those of
// the parts before it, so the state is the same however the pages were cut.
func newSearchState(docs []searchDoc, stem func(string) string, lang string) *searchState {
	return newSearchStateIn(docs, stem, lang, searchPartPages)
}

// searchPartPages is how many pages one part of newSearchState counts. Each
// part has most of the course's common words, which the merge looks up once
// per part: parts of a few hundred pages make the merge a small share of the
// counting, and still give each core several parts to balance.
const searchPartPages = 256

// newSearchStateIn is newSearchState with parts of size pages (the tests
// check that the size changes nothing).
func newSearchStateIn(docs []searchDoc, stem func(string) string, lang string, size int) *searchState {
	st := &searchState{lang: lang, lens: make([]int32, len(docs)), whole: true}
	parts := make([]*searchPart, (len(docs)+size-1)/size)
	// Counting only reads docs and writes each part's own pages' lengths:
	// nothing to cancel or to fail.
	parallel(context.Background(), len(parts), func(k int) error {
		parts[k] = countSearchPart(docs, k*size, min((k+1)*size, len(docs)), stem, st.lens)
		return nil
	})
	for _, l := range st.lens {
		st.total += int64(l)
	}
	// The merge: each part's words and stems looked up once, its entries of a
	// stem appended to those before, the first one's gap made from the stem's
	// last page rather than from page -1.
	stemNum := map[string]int32{}
	var (
		raws [][]byte
		last []int32 // by stem: the last page it is on so far
		dfs  []int32
	)
	st.words = map[string]*searchWord{}
	for k, p := range parts {
		for si, s := range p.stems {
			gi, ok := stemNum[s]
			if !ok {
				gi = int32(len(raws))
				stemNum[s] = gi
				raws, last, dfs = append(raws, p.raw[si]), append(last, p.last[si]), append(dfs, p.df[si])
				continue
			}
			raw := p.raw[si]
			gap, n := binary.Uvarint(raw) // from page -1: the page plus one
			raws[gi] = binary.AppendUvarint(raws[gi], gap-1-uint64(last[gi]))
			raws[gi] = append(raws[gi], raw[n:]...)
			last[gi] = p.last[si]
			dfs[gi] += p.df[si]
		}
		for wi, w := range p.words {
			sw := st.words[w]
			if sw == nil {
				sw = &searchWord{stem: p.stems[p.wordStem[wi]]}
				st.words[w] = sw
			}
			sw.docs += p.wordDocs[wi]
		}
		parts[k] = nil // merged: let its lists go
	}
	st.stems = make(map[string]*searchStem, len(stemNum))
	for s, gi := range stemNum {
		st.stems[s] = &searchStem{raw: raws[gi], encLen: -1, df: dfs[gi]}
	}
	st.sorted = slices.Sorted(maps.Keys(st.words))
	return st
}

// searchPart is what pages lo to hi add to the state, their words and stems
// numbered in the order the part meets them.
type searchPart struct {
	words    []string
	wordStem []int32 // by word: its stem
	wordDocs []int32 // by word: on how many of the part's pages
	stems    []string
	// raw is each stem's entries, as searchStem.raw holds them, on the
	// part's pages; the first entry's gap is from page -1.
	raw  [][]byte
	last []int32 // by stem: the last page it is on
	df   []int32 // by stem: on how many pages
}

// countSearchPart counts the terms of docs[lo:hi] and sets their lengths in lens.
func countSearchPart(docs []searchDoc, lo, hi int, stem func(string) string, lens []int32) *searchPart {
	p := &searchPart{}
	// Every word gets a number, and its stem one: a word is stemmed once, and
	// a page's counts are kept by number.
	var wordNum wordTable
	var wordSeen []int32 // by word: the last page (+1) that had it
	stemNum := map[string]int32{}
	var (
		tf      []int32 // by stem, for the page being counted; -1 when not on it
		inTitle []bool
		has     []int32
	)
	for i := lo; i < hi; i++ {
		n := int32(0)
		searchTerms(&docs[i], func(w []byte, weight int32, title bool) {
			wi, ok := wordNum.get(w)
			if !ok {
				word := string(w)
				s := stem(word)
				si, ok := stemNum[s]
				if !ok {
					si = int32(len(p.stems))
					stemNum[s] = si
					p.stems = append(p.stems, s)
					p.raw, p.last, p.df = append(p.raw, nil), append(p.last, -1), append(p.df, 0)
					tf, inTitle = append(tf, -1), append(inTitle, false)
				}
				wi = int32(len(p.words))
				wordNum.put(w, wi)
				p.words = append(p.words, word)
				p.wordStem, p.wordDocs, wordSeen = append(p.wordStem, si), append(p.wordDocs, 0), append(wordSeen, 0)
			}
			if wordSeen[wi] != int32(i+1) {
				wordSeen[wi] = int32(i + 1)
				p.wordDocs[wi]++
			}
			si := p.wordStem[wi]
			if tf[si] < 0 {
				tf[si] = 0
				has = append(has, si)
			}
			tf[si] += weight
			inTitle[si] = inTitle[si] || title
			n += weight
		})
		for _, si := range has {
			v := uint64(tf[si]) << 1
			if inTitle[si] {
				v |= 1
			}
			p.raw[si] = binary.AppendUvarint(p.raw[si], uint64(int32(i)-p.last[si]))
			p.raw[si] = binary.AppendUvarint(p.raw[si], v)
			p.last[si] = int32(i)
			p.df[si]++
			tf[si], inTitle[si] = -1, false
		}
		has = has[:0]
		lens[i] = n
	}
	return p
}

// pageTerms is what one page adds to the state: each stem's count and title
// flag, each distinct word, and the page's length.
type pageTerms struct {
	stems map[string]uint64 // tf<<1 | title
	words []string
	len   int32
}

// termsOf counts page d's terms, stemming words the state does not know.
func (st *searchState) termsOf(d *searchDoc, stem func(string) string) pageTerms {
	t := pageTerms{stems: map[string]uint64{}}
	seen := map[string]bool{}
	searchTerms(d, func(w []byte, weight int32, title bool) {
		word := string(w)
		s := ""
		if sw, ok := st.words[word]; ok {
			s = sw.stem
		} else {
			s = stem(word)
		}
		if !seen[word] {
			seen[word] = true
			t.words = append(t.words, word)
		}
		v := t.stems[s] + uint64(weight)<<1
		if title {
			v |= 1
		}
		t.stems[s] = v
		t.len += weight
	})
	return t
}

// update replaces the terms of the pages in changed (page number → old and
// new entry). It returns the words whose chunk must be made again (those
// added, removed, or whose stem's postings changed) and those stems; ok is
// false when the state cannot be updated, and then the state is spoilt.
func (st *searchState) update(changed map[int][2]*searchDoc, stem func(string) string) (words, stems map[string]bool, ok bool) {
	const noEntry = math.MaxUint64
	n := len(st.lens)
	avg := max(math.Round(float64(st.total)/float64(max(n, 1))), 1)
	oldLens := map[int]int32{}
	edits := map[string]map[int]uint64{} // stem → page → tf<<1|title, or noEntry
	// was is what the old entries of the pages say the lists hold for them:
	// a stem whose entries stay as they were needs its list not read.
	was := map[string]map[int]uint64{}
	words = map[string]bool{}
	for i, pair := range changed {
		old, cur := st.termsOf(pair[0], stem), st.termsOf(pair[1], stem)
		for s := range old.stems {
			if edits[s] == nil {
				edits[s] = map[int]uint64{}
			}
			edits[s][i] = noEntry
		}
		for s, v := range old.stems {
			if was[s] == nil {
				was[s] = map[int]uint64{}
			}
			was[s][i] = v
		}
		for s, v := range cur.stems {
			if edits[s] == nil {
				edits[s] = map[int]uint64{}
			}
			edits[s][i] = v
		}
		for _, w := range old.words {
			sw := st.words[w]
			if sw == nil {
				return nil, nil, false // the state does not hold the old page as its entry says
			}
			if sw.docs--; sw.docs == 0 {
				words[w] = true // perhaps gone
			}
		}
		for _, w := range cur.words {
			sw := st.words[w]
			if sw == nil {
				sw = &searchWord{stem: stem(w)}
				st.words[w] = sw
			}
			if sw.docs++; sw.docs == 1 {
				words[w] = true // new
			}
		}
		st.total += int64(cur.len - old.len)
		// The words on one of the two only: the others' counts are as they were.
		st.noteChanged([]int{i}, nil, symmetricDifference(old.words, cur.words))
		oldLens[i] = st.lens[i]
		st.lens[i] = cur.len
	}
	stems = map[string]bool{}
	for s, e := range edits {
		// The list again, the changed pages' entries replaced, taken out or
		// put in at their place, and the runs between them copied as they are.
		docs := slices.Sorted(maps.Keys(e))
		var old []byte
		if ss := st.stems[s]; ss != nil {
			old = ss.raw
		}
		dfBefore := int(st.stems[s].dfOr(0))
		rawSame := old != nil
		for doc, v := range e {
			if w, had := was[s][doc]; had != (v != noEntry) || (had && w != v) {
				rawSame = false
			}
		}
		raw, before, df := old, was[s], dfBefore
		if !rawSame {
			raw, before, df, ok = spliceRaw(old, dfBefore, docs, e)
			if !ok {
				return nil, nil, false
			}
			st.noteChanged(nil, []string{s}, nil)
		}
		// The stem's postings change when its pages do, or when a changed
		// page's score does; the other pages' scores depend only on df.
		same := df == dfBefore
		if same {
			idf := searchIDF(n, dfBefore)
			for doc, v := range e {
				w, had := before[doc]
				has := v != noEntry
				if had != has || (has && searchScore(idf, w, oldLens[doc], avg) != searchScore(idf, v, st.lens[doc], avg)) {
					same = false
					break
				}
			}
		}
		if df == 0 {
			delete(st.stems, s)
			stems[s] = true
			continue
		}
		encLen := st.stems[s].encLenOr(-1)
		next := &searchStem{raw: raw, df: int32(df)}
		if old := st.stems[s]; same && old != nil {
			next.enc, next.kept = old.enc, old.kept // the same scores on the same pages: the same bytes
		}
		if !same {
			stems[s] = true
			encLen = -1
		}
		next.encLen = encLen
		st.stems[s] = next
	}
	for w := range words {
		if sw := st.words[w]; sw != nil && sw.docs <= 0 {
			delete(st.words, w)
		}
	}
	// The words of a changed stem are changed too, wherever they are.
	if len(stems) > 0 {
		for w, sw := range st.words {
			if stems[sw.stem] {
				words[w] = true
			}
		}
	}
	// The sorted words: those gone taken out, those new put in, each where it
	// is (a move of the words after it, not a sort of them all).
	var added, gone []string
	for w := range words {
		_, found := slices.BinarySearch(st.sorted, w)
		if has := st.words[w] != nil; has && !found {
			added = append(added, w)
		} else if !has && found {
			gone = append(gone, w)
		}
	}
	for _, w := range gone {
		i, _ := slices.BinarySearch(st.sorted, w)
		st.sorted = slices.Delete(st.sorted, i, i+1)
	}
	if len(added) > searchInsertMax {
		st.sorted = append(st.sorted, added...)
		slices.Sort(st.sorted)
	} else {
		for _, w := range added {
			i, _ := slices.BinarySearch(st.sorted, w)
			st.sorted = slices.Insert(st.sorted, i, w)
		}
	}
	return words, stems, true
}

// searchInsertMax: when an update adds more words than this, they are put
// among the sorted words by sorting them all, which costs less than moving
// the words after each.
const searchInsertMax = 64

// symmetricDifference returns the strings in one of a and b only.
func symmetricDifference(a, b []string) []string {
	in := make(map[string]int, len(a)+len(b))
	for _, s := range a {
		in[s]++
	}
	for _, s := range b {
		in[s]--
	}
	var out []string
	for s, n := range in {
		if n != 0 {
			out = append(out, s)
		}
	}
	return out
}

// spliceRaw returns the raw list old, on dfBefore pages, with the entries of
// the pages in docs (ascending) made those of e: an entry noEntry
// (math.MaxUint64) takes the page out. It also returns the entries the pages
// had before, and on how many pages the stem now is. Between the changed
// pages, and after the last, the entries are copied as bytes, but for the
// first of each run, whose gap is to a page that may have changed: an edit
// costs a scan of the list up to its last changed page, not its encoding again.
func spliceRaw(old []byte, dfBefore int, docs []int, e map[int]uint64) (raw []byte, before map[int]uint64, df int, ok bool) {
	raw = make([]byte, 0, len(old)+len(docs)*2*binary.MaxVarintLen64)
	before = map[int]uint64{}
	prev := -1 // the last page put in raw
	doc := -1  // the page of the last entry read from old
	pos := 0   // where the next entry of old starts
	read := 0  // entries read from old
	put := func(d int, v uint64) {
		raw = binary.AppendUvarint(raw, uint64(d-prev))
		raw = binary.AppendUvarint(raw, v)
		prev = d
	}
	removed, added := 0, 0
	for k := 0; k <= len(docs); k++ {
		target := math.MaxInt
		if k < len(docs) {
			target = docs[k]
		}
		// The entries before target: the first put again, the rest copied.
		run := -1
		for pos < len(old) {
			g, n := binary.Uvarint(old[pos:])
			if n <= 0 {
				return nil, nil, 0, false
			}
			v, m := binary.Uvarint(old[pos+n:])
			if m <= 0 {
				return nil, nil, 0, false
			}
			d := doc + int(g)
			if d >= target {
				break
			}
			if run < 0 {
				put(d, v)
				run = pos + n + m
			}
			doc, pos = d, pos+n+m
			read++
			if target == math.MaxInt {
				break // past the last changed page, the rest is copied unread
			}
		}
		if run >= 0 {
			if target == math.MaxInt {
				pos = len(old)
			}
			raw = append(raw, old[run:pos]...)
			prev = doc
		}
		if k == len(docs) {
			break
		}
		if pos < len(old) {
			g, n := binary.Uvarint(old[pos:])
			v, m := binary.Uvarint(old[pos+n:])
			if n <= 0 || m <= 0 {
				return nil, nil, 0, false
			}
			if d := doc + int(g); d == target { // its entry is replaced
				before[d] = v
				doc, pos = d, pos+n+m
				read++
				removed++
			}
		}
		if v := e[target]; v != math.MaxUint64 {
			put(target, v)
			added++
		}
	}
	if read > dfBefore {
		return nil, nil, 0, false // the list is not on dfBefore pages
	}
	return raw, before, dfBefore - removed + added, true
}

// dfOr is on how many pages the stem is, or or for a stem not there.
func (ss *searchStem) dfOr(or int32) int32 {
	if ss == nil {
		return or
	}
	return ss.df
}

// encLenOr is the stem's encLen, or or for a stem not there.
func (ss *searchStem) encLenOr(or int) int {
	if ss == nil {
		return or
	}
	return ss.encLen
}

// eachRaw calls fn with each page of a stem's raw list; false when it is
// not one.
func eachRaw(raw []byte, fn func(doc int, v uint64)) bool {
	doc := -1
	for len(raw) > 0 {
		d, n := binary.Uvarint(raw)
		if n <= 0 {
			return false
		}
		v, m := binary.Uvarint(raw[n:])
		if m <= 0 {
			return false
		}
		raw = raw[n+m:]
		doc += int(d)
		fn(doc, v)
	}
	return true
}

// searchScore is the stored score of a page for a stem: BM25 of its count
// (v>>1) in a page of length l, plus the title bonus (v&1), times the stem's
// idf, in quarter points.
func searchScore(idf float64, v uint64, l int32, avg float64) int {
	return scoreOf(idf, v, searchLen(l), avg)
}

// scoreOf is searchScore for a length already made searchLen.
func scoreOf(idf float64, v uint64, l, avg float64) int {
	tf := float64(v >> 1)
	norm := bm25K1 * (1 - bm25B + bm25B*l/avg)
	score := tf * (bm25K1 + 1) / (tf + norm)
	if v&1 != 0 {
		score += titleBonus
	}
	return max(1, int(math.Round(idf*score*scoreScale)))
}

// searchLenStep is the ratio between the page lengths BM25 is told: a
// page's length is rounded to a power of it, so that an edit of a sentence
// mostly leaves the length, and so every score of the page, as it was, and
// only the chunks of the words whose counts changed are written again. Five
// per cent of a page's length moves a score by less than the quarter point
// it is stored in, mostly.
const searchLenStep = 1.05

// searchLenMemo bounds the lengths whose searchLen quantisedLens remembers
// while it passes over the pages: a table of 64 Ki lengths is half a MB, and
// longer pages are rare.
const searchLenMemo = 1 << 16

// searchLen is the length of a page of l words as BM25 is told it.
func searchLen(l int32) float64 {
	if l <= 1 {
		return float64(l)
	}
	return math.Pow(searchLenStep, math.Round(math.Log(float64(l))/math.Log(searchLenStep)))
}

// quantisedLens returns searchLen of every page's length, made again only
// for the lengths that changed since the last call: ten thousand logarithms
// and powers were a fifth of a one-edit build's search index. The first call
// (a new process's) makes each distinct length's once: pages of a course
// share a few thousand lengths.
func (st *searchState) quantisedLens() []float64 {
	if len(st.qlens) != len(st.lens) {
		st.qlens, st.qlensOf = make([]float64, len(st.lens)), make([]int32, len(st.lens))
		longest := int32(0)
		for _, l := range st.lens {
			longest = max(longest, min(l, searchLenMemo-1))
		}
		known := make([]float64, longest+1) // by length: its searchLen, or 0 when not yet made
		for i, l := range st.lens {
			var q float64
			switch {
			case l <= 1 || l >= searchLenMemo:
				q = searchLen(l)
			case known[l] != 0:
				q = known[l]
			default:
				q = searchLen(l)
				known[l] = q
			}
			st.qlens[i], st.qlensOf[i] = q, l
		}
		return st.qlens
	}
	for i, l := range st.lens {
		if st.qlensOf[i] != l {
			st.qlens[i], st.qlensOf[i] = searchLen(l), l
		}
	}
	return st.qlens
}

// searchIDF is the inverse document frequency of a stem on df of n pages.
func searchIDF(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// searchFiles is what emit makes: files to write and files kept as the last
// build wrote them.
type searchFiles struct {
	write map[string][]byte
	keep  []string
	// dropped are the chunk files the last build wrote that this one does
	// not: an updated index tells the output where to look for files gone.
	dropped []string
	// put, when set, takes each file as it is made instead of write: a full
	// index at 10,000 lessons is 27 MB that need not all be in memory at once.
	put func(name string, data []byte) error
	err error // put's first error
}

// addAll makes n files on all cores, file(i) giving the name and bytes of
// the i-th, and hands each to put as it is made, or keeps them in write.
func (f *searchFiles) addAll(n int, file func(i int) (name string, data []byte)) {
	if f.put == nil {
		names, data := make([]string, n), make([][]byte, n)
		parallel(context.Background(), n, func(i int) error {
			names[i], data[i] = file(i)
			return nil
		})
		for i, name := range names {
			f.write[name] = data[i]
		}
		return
	}
	if f.err != nil {
		return
	}
	errs := make([]error, n)
	// Each file's error is kept, and the first of them (in file order, as
	// one at a time would have met it) is put's first error.
	parallel(context.Background(), n, func(i int) error {
		errs[i] = f.put(file(i))
		return nil
	})
	for _, err := range errs {
		if err != nil {
			f.err = err
			return
		}
	}
}

// add hands a made file to put, or keeps it in write.
func (f *searchFiles) add(name string, data []byte) {
	if f.put == nil {
		f.write[name] = data
	} else if f.err == nil {
		f.err = f.put(name, data)
	}
}

// emit makes the index files from the state. page returns page i's entry in
// the results (JSON); it is called on several cores at once, for different pages. With a previous build's chunks, and affected the words
// whose chunk changed, a chunk with the same words none of which is affected
// is kept, and only the bundles of the pages in changedPages are made; with
// affected nil, every file is made. It returns ok false when the index would
// now go inside index.json, which only a full emit makes.
func (st *searchState) emit(page func(i int) []byte, affected, affectedStems map[string]bool, changedPages []int) (files searchFiles, ok bool) {
	return st.emitTo(nil, page, affected, affectedStems, changedPages)
}

// emitTo is emit handing each file to put as it is made, when put is not nil.
func (st *searchState) emitTo(put func(name string, data []byte) error, page func(i int) []byte, affected, affectedStems map[string]bool, changedPages []int) (files searchFiles, ok bool) {
	files.put = put
	full := affected == nil
	n := len(st.lens)
	avg := max(math.Round(float64(st.total)/float64(max(n, 1))), 1)
	qlens := st.quantisedLens()
	encoded := map[string]string{}
	var made map[string]string // a full emit's postings, made on all cores first
	if full {
		made = st.allPostings(n, qlens, avg)
	}
	encode := func(s string) string {
		if e, ok := encoded[s]; ok {
			return e
		}
		ss := st.stems[s]
		if !full && ss.kept && !affectedStems[s] {
			encoded[s] = ss.enc
			return ss.enc
		}
		e, ok := made[s]
		if !ok {
			e = ss.postings(n, qlens, avg)
		}
		encoded[s] = e
		ss.enc, ss.kept = e, !full
		if full {
			ss.enc = ""
		}
		if ss.encLen != len(e) {
			ss.encLen = len(e)
			st.noteChanged(nil, []string{s}, nil)
		}
		return e
	}
	postingLen := func(s string) int {
		if ss := st.stems[s]; !full && ss.encLen >= 0 && !affectedStems[s] {
			return ss.encLen
		}
		return len(encode(s))
	}
	of := func(w string) (string, int) {
		s := st.words[w].stem
		return s, postingLen(s)
	}
	var ranges [][2]int
	var reused []int // by range: the old chunk it is, or -1
	if full || len(st.chunks) == 0 || len(st.sorted) == 0 {
		ranges = splitChunks(st.sorted, of)
	} else {
		ranges, reused = st.rechunk(affected, of)
		for k, r := range ranges {
			if j := reused[k]; j >= 0 {
				if c := st.chunks[j]; c.first != st.sorted[r[0]] || c.last != st.sorted[r[1]-1] || c.count != r[1]-r[0] {
					// Not the words it held: the last chunks were not cut
					// from these words. Cut them all again.
					ranges, reused = splitChunks(st.sorted, of), nil
					break
				}
			}
		}
	}
	// encodeAll encodes the postings of the words of r, so that makeChunk
	// only reads what encode made, and may run on several cores.
	encodeAll := func(r [2]int) {
		for _, w := range st.sorted[r[0]:r[1]] {
			encode(st.words[w].stem)
		}
	}
	makeChunk := func(r [2]int) []byte {
		c := searchChunk{Words: map[string]string{}, Postings: map[string]string{}}
		for _, w := range st.sorted[r[0]:r[1]] {
			s := st.words[w].stem
			if s == w {
				c.Words[w] = ""
			} else {
				c.Words[w] = s
			}
			c.Postings[s] = encoded[s]
		}
		data, _ := json.Marshal(c)
		return data
	}
	files.write = map[string][]byte{}
	meta := searchMeta{Format: searchFormat, Pages: n}
	if len(ranges) == 1 {
		encodeAll(ranges[0])
		data := makeChunk(ranges[0])
		if len(data) <= searchInlineMax {
			if !full {
				return files, false
			}
			var c searchChunk
			json.Unmarshal(data, &c)
			meta.Index = &c
			size := len(data)
			pages := make([]json.RawMessage, n)
			for i := range pages {
				pages[i] = page(i)
				size += len(pages[i])
			}
			if size <= searchSingleMax {
				meta.Docs = pages
			} else {
				meta.Bundle = searchBundle
				for first := 0; first < n; first += searchBundle {
					files.add(searchBundleFile(first), bundleOf(page, first, n))
				}
			}
			st.chunks = nil
			data, _ := json.Marshal(meta)
			files.add(searchMetaFile, data)
			return files, true
		}
	}
	prev := map[searchChunkRef]bool{}
	for _, c := range st.chunks {
		prev[c] = true
	}
	chunks := make([]searchChunkRef, len(ranges))
	var redoChunks []int // the ranges whose chunk is made again
	for k, r := range ranges {
		if reused != nil && reused[k] >= 0 {
			ref := st.chunks[reused[k]] // its words checked above
			files.keep = append(files.keep, "search/"+ref.name)
			chunks[k] = ref
			continue
		}
		ref := searchChunkRef{first: st.sorted[r[0]], last: st.sorted[r[1]-1], count: r[1] - r[0]}
		same := !full
		for _, w := range st.sorted[r[0]:r[1]] {
			if !same || affected[w] {
				same = false
				break
			}
		}
		if same {
			for c := range prev { // the same words, none affected: the same bytes
				if c.first == ref.first && c.last == ref.last && c.count == ref.count {
					ref.name = c.name
					break
				}
			}
		}
		if ref.name != "" {
			files.keep = append(files.keep, "search/"+ref.name)
		} else {
			redoChunks = append(redoChunks, k)
		}
		chunks[k] = ref
	}
	if !full && st.lastFiles != "" {
		made = st.lastPostings(redoChunks, ranges, encoded, affectedStems)
	}
	for _, k := range redoChunks {
		encodeAll(ranges[k])
	}
	files.addAll(len(redoChunks), func(j int) (string, []byte) {
		k := redoChunks[j]
		data := makeChunk(ranges[k])
		chunks[k].name = strings.TrimPrefix(searchChunkDir, "search/") + hashBytes(data)[:16] + ".json"
		return "search/" + chunks[k].name, data
	})
	for k, ref := range chunks {
		first := ref.first
		if k == 0 {
			first = "" // the first chunk also holds every word before its first
		}
		meta.Chunks = append(meta.Chunks, [2]string{first, ref.name})
	}
	if !full {
		names := make(map[string]bool, len(chunks))
		for _, c := range chunks {
			names[c.name] = true
		}
		for _, c := range st.chunks {
			if !names[c.name] {
				files.dropped = append(files.dropped, "search/"+c.name)
			}
		}
	}
	st.chunks = chunks
	meta.Bundle = searchBundle
	redo := map[int]bool{}
	for _, i := range changedPages {
		redo[i/searchBundle] = true
	}
	var redoBundles []int // the first page of each bundle made again
	for first := 0; first < n; first += searchBundle {
		if full || redo[first/searchBundle] {
			redoBundles = append(redoBundles, first)
		} else {
			files.keep = append(files.keep, searchBundleFile(first))
		}
	}
	files.addAll(len(redoBundles), func(j int) (string, []byte) {
		first := redoBundles[j]
		return searchBundleFile(first), bundleOf(page, first, n)
	})
	data, _ := json.Marshal(meta)
	files.add(searchMetaFile, data)
	return files, true
}

// lastPostings returns the encoded lists of the stems of the chunks to be
// made again (redo, by index in ranges) that encode would make, read back
// from the chunk files the last build wrote (lastFiles), for the stems not
// affected: their lists are as that build encoded them, as a kept list
// (searchStem.enc) is. A new process keeps no list: each chunk made again
// after one edit had every list of its words encoded again, words on every
// page among them, most of this step. A file whose bytes are not what its
// name says, or a list of another length than the one last written, is not
// taken: encode makes that list.
func (st *searchState) lastPostings(redo []int, ranges [][2]int, encoded map[string]string, affectedStems map[string]bool) map[string]string {
	want := map[string]bool{}
	for _, k := range redo {
		for _, w := range st.sorted[ranges[k][0]:ranges[k][1]] {
			s := st.words[w].stem
			if _, done := encoded[s]; !done && !affectedStems[s] && !st.stems[s].kept && st.stems[s].encLen >= 0 {
				want[s] = true
			}
		}
	}
	found := map[string]string{}
	if len(want) == 0 {
		return found
	}
	read := map[string]bool{}
	for _, k := range redo {
		first, last := st.sorted[ranges[k][0]], st.sorted[ranges[k][1]-1]
		for _, c := range st.chunks { // the last build's chunks that held any of these words
			if c.first > last || c.last < first || read[c.name] {
				continue
			}
			read[c.name] = true
			data, err := os.ReadFile(filepath.Join(st.lastFiles, filepath.FromSlash(c.name)))
			if err != nil || strings.TrimSuffix(path.Base(c.name), ".json") != hashBytes(data)[:16] {
				continue
			}
			chunkPostings(data, func(stem, enc string) {
				if want[stem] && len(enc) == st.stems[stem].encLen {
					found[stem] = enc
				}
			})
		}
	}
	return found
}

// chunkPostings calls fn with each stem and encoded list of a chunk file as
// emit writes it, {"w":{…},"p":{"stem":"list",…}}: the lists' alphabet
// needs no escapes in JSON, and a stem that has any is passed over (its
// list is then encoded again). The strings share data.
func chunkPostings(data []byte, fn func(stem, enc string)) {
	at := bytes.Index(data, []byte(`},"p":{`)) // a quote inside a string is escaped: only the boundary has it
	if at < 0 {
		return
	}
	b := data[at+len(`},"p":{`):]
	for len(b) > 0 && b[0] == '"' {
		end := bytes.IndexByte(b[1:], '"') + 1
		if end <= 0 {
			return
		}
		key := b[1:end]
		escaped := bytes.IndexByte(key, '\\') >= 0
		if escaped { // the key's own closing quote is one not escaped
			end = 1
			for end < len(b) && b[end] != '"' {
				if b[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(b) {
				return
			}
		}
		b = b[end+1:]
		if len(b) < 2 || b[0] != ':' || b[1] != '"' {
			return
		}
		vend := bytes.IndexByte(b[2:], '"')
		if vend < 0 {
			return
		}
		val := b[2 : 2+vend]
		if !escaped && bytes.IndexByte(val, '\\') < 0 {
			fn(unsafe.String(unsafe.SliceData(key), len(key)), unsafe.String(unsafe.SliceData(val), len(val)))
		}
		b = b[2+vend+1:]
		if len(b) > 0 && b[0] == ',' {
			b = b[1:]
		}
	}
}

// postings encodes the stem's list as the index has it: each page less the
// one before, and the page's score, in the posting alphabet.
func (ss *searchStem) postings(n int, qlens []float64, avg float64) string {
	idf := searchIDF(n, int(ss.df))
	enc := make([]byte, 0, 4*int(ss.df)) // a gap and a score take about four
	prev := -1
	eachRaw(ss.raw, func(doc int, v uint64) {
		enc = appendNum(enc, doc-prev)
		enc = appendNum(enc, scoreOf(idf, v, qlens[doc], avg))
		prev = doc
	})
	return string(enc)
}

// allPostings encodes every stem's list (postings), on all cores: a full
// emit writes them all.
func (st *searchState) allPostings(n int, qlens []float64, avg float64) map[string]string {
	stems := make([]string, 0, len(st.stems))
	lists := make([]*searchStem, 0, len(st.stems))
	for s, ss := range st.stems {
		stems, lists = append(stems, s), append(lists, ss)
	}
	enc := make([]string, len(stems))
	// Reads the state only, into enc: nothing to cancel or to fail.
	parallelChunks(context.Background(), len(lists), searchPostingsBatch, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			enc[i] = lists[i].postings(n, qlens, avg)
		}
		return nil
	})
	out := make(map[string]string, len(stems))
	for i, s := range stems {
		out[s] = enc[i]
	}
	return out
}

// searchPostingsBatch is how many stems one task of allPostings encodes:
// most lists are a few entries long, too little work to hand out one by one.
const searchPostingsBatch = 512

// bundleOf is the file of the pages from first on: a JSON list, made at its
// size. Grown page by page, the bundles of a cold build at 10,000 lessons
// allocated 130 MB for 22 MB of files; made at their size, 59 MB.
func bundleOf(page func(i int) []byte, first, n int) []byte {
	var parts [searchBundle][]byte
	count := max(0, min(searchBundle, n-first))
	size := 2 // the brackets
	for k := range count {
		parts[k] = page(first + k)
		size += len(parts[k]) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, '[')
	for k, p := range parts[:count] {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, p...)
	}
	return append(b, ']')
}

// splitChunks cuts the sorted words into chunks of at most about
// searchChunkTarget bytes and returns each chunk's range of words; of gives a
// word's stem and the length of that stem's postings. A chunk holds the
// postings of every stem of its words, so a stem whose words fall in two
// chunks is in both.
//
// Where a chunk ends depends on the words themselves, not only on the sizes
// before them (content-defined, as in rsync's and restic's chunking): past half
// the target, a word ends its chunk when its hash says so, each byte it adds
// having the same chance. A word added or a list grown then moves the ends of
// its own chunk and perhaps the next, and the chunks after keep their bytes and
// names, so an edit rewrites a few chunks instead of all that follow it.
func splitChunks(sorted []string, of func(w string) (stem string, postings int)) [][2]int {
	out, _ := cutChunks(sorted, 0, of, nil)
	return out
}

// cutChunks is splitChunks from the word at from, where a chunk starts; it
// stops when stop, called with where each chunk ends, says so, and then tells
// that it stopped.
func cutChunks(sorted []string, from int, of func(w string) (stem string, postings int), stop func(end int) bool) (out [][2]int, stopped bool) {
	in := map[string]bool{} // the stems of the chunk being filled
	start, size := from, 0
	for i := from; i < len(sorted); i++ {
		w := sorted[i]
		s, list := of(w)
		add := len(w) + 6
		if s != w {
			add += len(s)
		}
		if !in[s] {
			add += len(s) + list + 6
		}
		if size > 0 && size+add > searchChunkTarget {
			out = append(out, [2]int{start, i})
			if stop != nil && stop(i) {
				return out, true
			}
			clear(in)
			start, size = i, 0
			add = len(w) + 6 + len(s) + list + 6
			if s != w {
				add += len(s)
			}
		}
		in[s] = true
		size += add
		if size >= searchChunkTarget/2 && chunkEnds(w, add) {
			out = append(out, [2]int{start, i + 1})
			if stop != nil && stop(i+1) {
				return out, true
			}
			clear(in)
			start, size = i+1, 0
		}
	}
	if size > 0 || (len(out) == 0 && from == 0) {
		out = append(out, [2]int{start, len(sorted)})
	}
	return out, false
}

// rechunk is splitChunks for the words of the state, of which only those in
// affected (present or gone) changed since st.chunks were cut. The chunks
// before the first affected word are as they were; the words are cut again
// from there until a chunk ends past the last affected word where an old
// chunk started, from which on the chunks are as they were too: where a chunk
// ends depends only on the words since the chunk began. reused gives, for
// each range, the old chunk it is, or -1.
func (st *searchState) rechunk(affected map[string]bool, of func(w string) (stem string, postings int)) (ranges [][2]int, reused []int) {
	lo, hi := len(st.sorted), -1
	for w := range affected {
		i, _ := slices.BinarySearch(st.sorted, w)
		lo, hi = min(lo, i), max(hi, i)
	}
	oldStart := make([]int, len(st.chunks)+1) // by old chunk, where it started among the old words
	for j, c := range st.chunks {
		oldStart[j+1] = oldStart[j] + c.count
	}
	shift := len(st.sorted) - oldStart[len(st.chunks)] // words added less words gone, all at lo..hi
	j := 0
	for ; j < len(st.chunks) && oldStart[j+1] <= lo; j++ {
		ranges = append(ranges, [2]int{oldStart[j], oldStart[j+1]})
		reused = append(reused, j)
	}
	from := oldStart[j]
	if j == len(st.chunks) && from == len(st.sorted) {
		return ranges, reused
	}
	resume := -1
	cut, stopped := cutChunks(st.sorted, from, of, func(end int) bool {
		if end <= hi {
			return false
		}
		k, found := slices.BinarySearch(oldStart[:len(st.chunks)], end-shift)
		if found && st.chunks[k].first == st.sorted[end] {
			resume = k
			return true
		}
		return false
	})
	for _, r := range cut {
		ranges = append(ranges, r)
		reused = append(reused, -1)
	}
	if stopped {
		for k := resume; k < len(st.chunks); k++ {
			ranges = append(ranges, [2]int{oldStart[k] + shift, oldStart[k+1] + shift})
			reused = append(reused, k)
		}
	}
	return ranges, reused
}

// buildSearchIndex makes the index files (by output path) for docs in course
// order, from nothing. The same docs give the same bytes.
func buildSearchIndex(docs []searchDoc, stem func(string) string) map[string][]byte {
	st := newSearchState(docs, stem, "")
	files, _ := st.emit(func(i int) []byte { return searchPageJSON(&docs[i]) }, nil, nil, nil)
	return files.write
}

// searchPageJSON is page d's entry in the results.
func searchPageJSON(d *searchDoc) []byte {
	b, _ := json.Marshal(searchPage{Title: d.Title, URL: d.URL, Module: d.Module, Summary: d.Summary, Text: bodyExcerpt(d.Body)})
	return b
}

// newSearchToken names a state.
func newSearchToken() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// searchLogMin is how large the state's log of changes may grow before the
// next save writes the state whole, however small the state: reading that
// much costs nothing to notice. Above it, the log may grow to a quarter of the
// state, as the build cache's does (cache.go).
const searchLogMin = 256 << 10

// stateWriter encodes the state's file and its log records.
type stateWriter struct{ b []byte }

func (w *stateWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *stateWriter) str(s string)  { w.uint(uint64(len(s))); w.b = append(w.b, s...) }

func (w *stateWriter) chunks(cs []searchChunkRef) {
	w.uint(uint64(len(cs)))
	for _, c := range cs {
		w.str(c.first)
		w.str(c.last)
		w.uint(uint64(c.count))
		w.str(c.name)
	}
}

// noteChanged records what update changed, for the next save's log record.
func (st *searchState) noteChanged(lens []int, stems, words []string) {
	if st.whole {
		return
	}
	if st.changedStems == nil {
		st.changedStems, st.changedWords, st.changedLens = map[string]bool{}, map[string]bool{}, map[int]bool{}
	}
	for _, i := range lens {
		st.changedLens[i] = true
	}
	for _, s := range stems {
		st.changedStems[s] = true
	}
	for _, w := range words {
		st.changedWords[w] = true
	}
}

// save writes the state to file: what changed since the last save appended
// to file's log when the log is small, else the state whole, by way of a
// temporary file, which empties the log.
func (st *searchState) save(file string) error {
	if !st.whole {
		rec := st.logRecord()
		if st.logSize+len(rec) < max(st.baseSize/4, searchLogMin) {
			f, err := os.OpenFile(file+".log", os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err == nil {
				framed := appendRecord(nil, rec) // codec.go
				_, err = f.Write(framed)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err == nil {
					st.logSize += len(framed)
					st.changedStems, st.changedWords, st.changedLens = nil, nil, nil
					return nil
				}
			}
			// A failed append: write the state whole, which replaces the log.
		}
	}
	w := &stateWriter{b: []byte{searchStateFormat}}
	w.str(st.token)
	w.str(st.lang)
	w.uint(uint64(len(st.lens)))
	for _, l := range st.lens {
		w.uint(uint64(l))
	}
	stemList := slices.Sorted(maps.Keys(st.stems))
	stemNum := make(map[string]int, len(stemList))
	w.uint(uint64(len(stemList)))
	for i, s := range stemList {
		stemNum[s] = i
		ss := st.stems[s]
		w.str(s)
		w.uint(uint64(ss.encLen + 1))
		w.uint(uint64(ss.df))
		w.str(string(ss.raw))
	}
	w.uint(uint64(len(st.sorted)))
	for _, word := range st.sorted {
		sw := st.words[word]
		w.str(word)
		w.uint(uint64(stemNum[sw.stem]))
		w.uint(uint64(sw.docs))
	}
	w.chunks(st.chunks)
	st.whole = true // until the file is written
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmpFile := file + ".tmp"
	if err := os.WriteFile(tmpFile, w.b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmpFile, file); err != nil {
		return err
	}
	// The log's records name the state they follow (its token), so a log a
	// crash left here is not applied to this state.
	if err := os.Remove(file + ".log"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	st.base, st.baseSize, st.logSize, st.whole = st.token, len(w.b), 0, false
	st.changedStems, st.changedWords, st.changedLens = nil, nil, nil
	return nil
}

// logRecord encodes what changed since the last save: the state it follows,
// its token now, the changed page lengths, stems and words (each present or
// gone), and the list of chunks.
func (st *searchState) logRecord() []byte {
	w := &stateWriter{}
	w.str(st.base)
	w.str(st.token)
	w.uint(uint64(len(st.changedLens)))
	for _, i := range slices.Sorted(maps.Keys(st.changedLens)) {
		w.uint(uint64(i))
		w.uint(uint64(st.lens[i]))
	}
	w.uint(uint64(len(st.changedStems)))
	for _, s := range slices.Sorted(maps.Keys(st.changedStems)) {
		w.str(s)
		ss := st.stems[s]
		if ss == nil {
			w.uint(0)
			continue
		}
		w.uint(uint64(ss.encLen + 2))
		w.uint(uint64(ss.df))
		w.str(string(ss.raw))
	}
	w.uint(uint64(len(st.changedWords)))
	for _, word := range slices.Sorted(maps.Keys(st.changedWords)) {
		w.str(word)
		sw := st.words[word]
		if sw == nil {
			w.uint(0)
			continue
		}
		w.uint(uint64(sw.docs) + 1)
		w.str(sw.stem)
	}
	w.chunks(st.chunks)
	return w.b
}

// applyLog applies a log's records to the state they follow, in order.
func (st *searchState) applyLog(log []byte) error {
	var added []string
	removed := false
	for _, rec := range records(log) { // codec.go
		r := byteReader{b: rec, ok: true}
		if r.str() != st.base {
			break // not what follows this state: a log a crash left
		}
		st.token = r.str()
		for range r.uint() {
			i, l := r.uint(), int32(r.uint())
			if !r.ok || i >= uint64(len(st.lens)) {
				return errors.New("search state log: a page out of range")
			}
			st.total += int64(l - st.lens[i])
			st.lens[i] = l
		}
		for range r.uint() {
			s := r.str()
			encLen := int(r.uint()) - 2
			if encLen < -1 {
				delete(st.stems, s)
				continue
			}
			df := int32(r.uint())
			st.stems[s] = &searchStem{encLen: encLen, df: df, raw: r.bytes()}
		}
		for range r.uint() {
			w := r.str()
			docs := r.uint()
			if docs == 0 {
				if st.words[w] != nil {
					delete(st.words, w)
					removed = true
				}
				continue
			}
			if st.words[w] == nil {
				added = append(added, w)
			}
			st.words[w] = &searchWord{stem: r.str(), docs: int32(docs - 1)}
		}
		var cs []searchChunkRef
		for i, nc := uint64(0), r.uint(); i < nc && r.ok; i++ {
			cs = append(cs, searchChunkRef{first: r.str(), last: r.str(), count: int(r.uint()), name: r.str()})
		}
		st.chunks = cs
		if !r.ok {
			return errors.New("search state log: a record cut short")
		}
	}
	if removed {
		st.sorted = slices.DeleteFunc(st.sorted, func(w string) bool { return st.words[w] == nil })
	}
	if len(added) > 0 {
		// A word added, taken out and added again is in added twice.
		slices.Sort(added)
		added = slices.Compact(added)
		added = slices.DeleteFunc(added, func(w string) bool {
			_, found := slices.BinarySearch(st.sorted, w)
			return found || st.words[w] == nil
		})
		st.sorted = append(st.sorted, added...)
		slices.Sort(st.sorted)
	}
	for _, w := range st.sorted {
		if st.stems[st.words[w].stem] == nil {
			return errors.New("search state log: a word's stem is missing")
		}
	}
	return nil
}

// loadSearchState reads what save wrote: the state, then its log. The file
// is memory-mapped, not read (mmap_unix.go), and the state's words, stems and
// lists share the mapping, as the build cache's strings do (cache.go): a save
// replaces the file by renaming a new one over it, so the mapped one never
// changes.
func loadSearchState(file string) (*searchState, error) {
	data, err := mapFile(file)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 || data[0] != searchStateFormat {
		return nil, errors.New("not a search state of this version")
	}
	// Decoding makes a few hundred thousand map entries that all stay live: a
	// collection during it would free nothing.
	release := holdGC() // cache.go
	defer release()
	r := byteReader{b: data[1:], ok: true}
	st := &searchState{token: r.str(), lang: r.str(), baseSize: len(data)}
	st.base = st.token
	n := r.uint()
	if n > uint64(len(r.b)) {
		return nil, errors.New("search state: cut short")
	}
	st.lens = make([]int32, n)
	for i := range st.lens {
		l := int32(r.uint())
		st.lens[i] = l
		st.total += int64(l)
	}
	ns := r.uint()
	if ns > uint64(len(r.b)) {
		return nil, errors.New("search state: cut short")
	}
	stemList := make([]string, ns)
	stems := make([]searchStem, ns) // one allocation for all
	st.stems = make(map[string]*searchStem, ns)
	for i := range stemList {
		s := r.sharedStr()
		encLen := int(r.uint()) - 1
		df := int32(r.uint())
		stemList[i] = s
		stems[i] = searchStem{encLen: encLen, df: df, raw: r.bytes()}
		st.stems[s] = &stems[i]
	}
	nw := r.uint()
	if nw > uint64(len(r.b)) {
		return nil, errors.New("search state: cut short")
	}
	words := make([]searchWord, nw)
	st.words = make(map[string]*searchWord, nw)
	st.sorted = make([]string, 0, nw)
	for i := range words {
		w := r.sharedStr()
		si := r.uint()
		docs := int32(r.uint())
		if si >= uint64(len(stemList)) {
			return nil, errors.New("search state: a word's stem is missing")
		}
		words[i] = searchWord{stem: stemList[si], docs: docs}
		st.words[w] = &words[i]
		st.sorted = append(st.sorted, w)
	}
	nc := r.uint()
	for i := uint64(0); i < nc && r.ok; i++ {
		st.chunks = append(st.chunks, searchChunkRef{first: r.str(), last: r.str(), count: int(r.uint()), name: r.str()})
	}
	if !r.ok {
		return nil, errors.New("search state: cut short")
	}
	// The log is mapped too (up to a quarter of the state's size, mostly
	// lists of every page for common words): a save only appends to it or
	// removes it, so the mapped bytes never change.
	if log, err := mapFile(file + ".log"); err == nil {
		if err := st.applyLog(log); err != nil {
			return nil, err
		}
		st.logSize = len(log)
	}
	return st, nil
}

// sharedStr is str sharing the reader's bytes, which must never change.
func (r *byteReader) sharedStr() string {
	b := r.bytes()
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// recorded tells whether the last build recorded writing every one of names.
func (r *run) recorded(names []string) bool {
	out := r.prev.outputs()
	for _, name := range names {
		if _, ok := out[name]; !ok {
			return false
		}
	}
	return true
}

// lastSearchState returns the state the last build left, or nil.
func (r *run) lastSearchState() *searchState {
	token := r.prev.special(searchStateKey)
	if token == "" {
		return nil
	}
	if st := r.b.search; st != nil && st.token == token {
		return st
	}
	if ahead := r.b.searchAhead; ahead != nil {
		r.b.searchAhead = nil
		if st := ahead(); st != nil && st.token == token {
			return st
		}
	}
	if r.b.o.CacheDir == "" {
		return nil
	}
	st, err := loadSearchState(filepath.Join(r.b.o.CacheDir, searchStateFile))
	if err != nil || st.token != token {
		return nil
	}
	return st
}

// searchDecodeBatch is how many pages' entries one task of searchIndexFiles
// decodes: a decode is too little work to hand out one at a time.
const searchDecodeBatch = 64

// searchIndexFiles makes the index files, by updating the last build's state
// when only a few pages changed, or from every page. An index made from every
// page goes to put file by file (its files are then not in the result).
// looked lists the pages whose entries may differ from the last build's (by
// index in pages, ascending); nil means any may.
func (r *run) searchIndexFiles(pages []*Page, looked []int, put func(name string, data []byte) error) (searchFiles, error) {
	stem := stemmer(r.cfg.Language)
	// The pages' entries, decoded when first asked for. emit asks on
	// several cores at once, each page from one of them.
	var mu sync.Mutex
	docs := make([]*searchDoc, len(pages))
	doc := func(i int) (*searchDoc, error) {
		mu.Lock()
		d := docs[i]
		mu.Unlock()
		if d != nil {
			return d, nil
		}
		p := pages[i]
		decoded, ok := decodeSearchDoc(r.frags(p).Search)
		if !ok { // not made by this version: make it again
			if decoded, ok = decodeSearchDoc(r.searchDocOf(p)); !ok {
				return nil, fmt.Errorf("the entry of %s does not decode", p.File)
			}
		}
		mu.Lock()
		docs[i] = &decoded
		mu.Unlock()
		return &decoded, nil
	}
	var pageErr error
	page := func(i int) []byte {
		d, err := doc(i)
		if err != nil {
			mu.Lock()
			pageErr = cmp.Or(pageErr, err)
			mu.Unlock()
			return []byte("{}")
		}
		return searchPageJSON(d)
	}
	if st := r.lastSearchState(); st != nil && st.lang == r.cfg.Language && len(st.lens) == len(pages) &&
		st.chunks != nil && r.prev.special(fragsOrderKey) == r.fragsOrder {
		changed := map[int][2]*searchDoc{}
		var changedPages []int
		if looked == nil {
			looked = make([]int, len(pages))
			for i := range looked {
				looked[i] = i
			}
		}
		// The others have the last build's entries (frags.go): not compared,
		// nor looked up, one by one.
		for _, i := range looked {
			p := pages[i]
			old, cur := r.prev.frag(p.File), r.frags(p)
			if old == cur || (old != nil && bytes.Equal(old.Search, cur.Search)) {
				continue // the same entry (made again when the sitemap's or manifest's part changed)
			}
			if old == nil || len(changed) > len(pages)/searchIncrementalMax {
				changed = nil
				break
			}
			od, ok := decodeSearchDoc(old.Search)
			if !ok {
				changed = nil
				break
			}
			d, err := doc(i)
			if err != nil {
				return searchFiles{}, err
			}
			changed[i] = [2]*searchDoc{&od, d}
			changedPages = append(changedPages, i)
		}
		if changed != nil {
			oldAvg := math.Round(float64(st.total) / float64(max(len(st.lens), 1)))
			words, stems, ok := st.update(changed, stem)
			if ok && math.Round(float64(st.total)/float64(max(len(st.lens), 1))) != oldAvg {
				words, stems = nil, nil // every score moved: every file again
			}
			if ok {
				st.lastFiles = filepath.Join(r.out.dir, "search")
				files, ok := st.emit(page, words, stems, changedPages)
				st.lastFiles = ""
				if ok && pageErr == nil && r.recorded(files.keep) {
					st.updated = true
					r.b.search = st
					return files, nil
				}
			}
		}
		r.b.search = nil // partly updated: not to be used again
	}
	all := make([]searchDoc, len(pages))
	err := parallelChunks(r.ctx, len(pages), searchDecodeBatch, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			d, err := doc(i)
			if err != nil {
				return err
			}
			all[i] = *d
		}
		return nil
	})
	if err != nil {
		return searchFiles{}, err
	}
	st := newSearchState(all, stem, r.cfg.Language)
	all = nil
	files, _ := st.emitTo(put, page, nil, nil, nil)
	r.b.search = st
	if files.err != nil {
		return files, files.err
	}
	return files, pageErr
}
