package site

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// searchClient reads a built index the way js/search.js does: index.json first,
// then the chunks of the query's words, then the pages it shows, counting the
// bytes of each file it fetches once.
type searchClient struct {
	t       testing.TB
	pub     string
	meta    searchMeta
	chunks  map[int]*searchChunk
	bundles map[string][]searchPage
	fetched map[string]int // file → bytes
}

func openSearch(t testing.TB, pub string) *searchClient {
	t.Helper()
	c := &searchClient{t: t, pub: pub, chunks: map[int]*searchChunk{}, bundles: map[string][]searchPage{}, fetched: map[string]int{}}
	c.get(searchMetaFile, &c.meta)
	if c.meta.Format != searchFormat {
		t.Fatalf("index.json format %d", c.meta.Format)
	}
	return c
}

func (c *searchClient) get(rel string, v any) {
	c.t.Helper()
	data, err := os.ReadFile(filepath.Join(c.pub, filepath.FromSlash(rel)))
	if err != nil {
		c.t.Fatal(err)
	}
	c.fetched[rel] = len(data)
	if err := json.Unmarshal(data, v); err != nil {
		c.t.Fatalf("%s: %v", rel, err)
	}
}

// bytes is how much the client has downloaded so far.
func (c *searchClient) bytes() int {
	n := 0
	for _, b := range c.fetched {
		n += b
	}
	return n
}

func (c *searchClient) chunkOf(w string) int {
	if c.meta.Index != nil {
		return 0
	}
	i, found := slices.BinarySearchFunc(c.meta.Chunks, w, func(ch [2]string, w string) int { return strings.Compare(ch[0], w) })
	if !found {
		i--
	}
	return i
}

func (c *searchClient) chunk(i int) *searchChunk {
	if c.meta.Index != nil {
		return c.meta.Index
	}
	if ch, ok := c.chunks[i]; ok {
		return ch
	}
	ch := &searchChunk{}
	c.get("search/"+c.meta.Chunks[i][1], ch)
	c.chunks[i] = ch
	return ch
}

func (c *searchClient) page(n int) searchPage {
	var p searchPage
	if c.meta.Docs != nil {
		if err := json.Unmarshal(c.meta.Docs[n], &p); err != nil {
			c.t.Fatal(err)
		}
		return p
	}
	name := searchDocDir + strconv.Itoa(n/c.meta.Bundle) + ".json"
	if _, ok := c.bundles[name]; !ok {
		var b []searchPage
		c.get(name, &b)
		c.bundles[name] = b
	}
	return c.bundles[name][n%c.meta.Bundle]
}

// typing fetches, for the last word of q, the chunks search.js reads while it
// is typed (the word's and, for completions, the next one).
func (c *searchClient) typing(q string) {
	var last string
	searchWords(q, func(w string) { last = w })
	if last == "" || c.meta.Index != nil {
		return
	}
	first := c.chunkOf(last)
	for i := first; i <= min(c.chunkOf(last+"\uffff"), first+1); i++ {
		c.chunk(i)
	}
}

// query returns the titles of the pages that have every word of q, best first,
// fetching the pages of the first shown.
func (c *searchClient) query(q string, shown int) []string {
	var total map[int]int
	searchWords(q, func(w string) {
		ch := c.chunk(c.chunkOf(w))
		best := map[int]int{}
		if s, ok := stemIn(ch, w); ok {
			nums := decodeNums(ch.Postings[s])
			doc := -1
			for i := 0; i+1 < len(nums); i += 2 {
				doc += nums[i]
				best[doc] = nums[i+1]
			}
		}
		if total == nil {
			total = best
			return
		}
		for d := range total {
			if b, ok := best[d]; ok {
				total[d] += b
			} else {
				delete(total, d)
			}
		}
	})
	hits := slices.SortedFunc(maps.Keys(total), func(a, b int) int {
		if total[a] != total[b] {
			return total[b] - total[a]
		}
		return a - b
	})
	var titles []string
	for i, h := range hits {
		if i < shown {
			titles = append(titles, c.page(h).Title)
		} else {
			titles = append(titles, fmt.Sprint(h))
		}
	}
	return titles
}

// stemIn finds the stem of a typed word in a chunk as search.js does: the
// word's own, or for a word the course does not have, the longest stem that
// begins it (see searchStemMin).
func stemIn(ch *searchChunk, w string) (string, bool) {
	if s, ok := ch.Words[w]; ok {
		if s == "" {
			s = w
		}
		return s, true
	}
	best := ""
	for s := range ch.Postings {
		if len(s) >= searchStemMin && len(s) > len(best) && strings.HasPrefix(w, s) && len(w)-len(s) <= searchRestMax {
			best = s
		}
	}
	return best, best != ""
}

func TestSearchStemmer(t *testing.T) {
	tests := []struct{ lang, word, stem string }{
		{"en", "running", "run"},
		{"en", "lessons", "lesson"},
		{"en", "moderation", "moder"},
		{"en-GB", "replies", "repli"},
		{"nl", "boeken", "boek"},
		{"nl", "gesprekken", "gesprek"},
		{"nl-BE", "deelnemers", "deelnemer"},
		{"fr", "leçons", "leçons"}, // no stemmer: each word its own stem
	}
	for _, tt := range tests {
		if got := stemmer(tt.lang)(tt.word); got != tt.stem {
			t.Errorf("%s %q → %q, want %q", tt.lang, tt.word, got, tt.stem)
		}
	}
}

func TestSearchWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Café au lait", "cafe au lait"},
		{"Don't PANIC—it's 2026!", "don t panic it s 2026"},
		{"ÉÉN  coöperatie", "een cooperatie"},
		{"one" + strings.Repeat("x", 60) + " two", "two"}, // no word is longer than wordMax
	}
	for _, tt := range tests {
		var got []string
		searchWords(tt.in, func(w string) { got = append(got, w) })
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%q → %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSearchText(t *testing.T) {
	in := `<h2 id="x">Why <em>peer</em>review</h2><p>Give &amp; take.</p><script>alert("no")</script>` +
		`<pre><code>go test</code></pre><svg><text>drawing</text></svg><ul><li>one</li><li>two</li></ul>`
	want := "Why peerreview Give & take. go test one two"
	if got := searchText(in); got != want {
		t.Errorf("searchText = %q, want %q", got, want)
	}
}

// searchCourse has lessons that use "feedback" in their title, in a heading,
// once in the text, and in an inflected form; and a lesson not open yet.
const searchCourse = `
-- course.toml --
title = "Course"
base_url = "https://example.org/"
[[cohorts]]
id = "autumn"
name = "Autumn"
start = 2026-09-07T09:00:00
time_zone = "Europe/Amsterdam"
-- content/_index.md --
+++
title = "Course"
+++
Welcome to the course about feedback.
-- content/01-one/_index.md --
+++
title = "Week 1"
weight = 1
+++
-- content/01-one/a.md --
+++
title = "Mentioned once"
summary = "A lesson."
+++
Groups meet each week. Someone gives feedback at the end, and the moderators are **running** the session.
-- content/01-one/b.md --
+++
title = "Feedback that helps"
summary = "Another lesson."
+++
Be specific and kind.
-- content/01-one/c.md --
+++
title = "Working in groups"
summary = "A third lesson."
+++
## Asking for feedback

Ask a question and wait.
-- content/02-two/_index.md --
+++
title = "Week 2"
weight = 2
opens = "2026-10-01T12:00"
+++
-- content/02-two/d.md --
+++
title = "Closed lesson"
summary = "Opens later."
+++
The zebrafish protocol is a secret until October.
`

func TestSearchRanking(t *testing.T) {
	dir := course(t, searchCourse)
	now := func() time.Time { return time.Date(2026, 9, 8, 12, 0, 0, 0, time.UTC) }
	pub := filepath.Join(dir, "public")
	if _, err := Build(t.Context(), Options{Source: dir, Out: pub, Now: now}); err != nil {
		t.Fatal(err)
	}
	c := openSearch(t, pub)
	tests := []struct {
		q    string
		want []string
	}{
		// Title first, then a heading, then a mention in the text.
		{"feedback", []string{"Feedback that helps", "Working in groups", "Mentioned once"}},
		{"Feedback", []string{"Feedback that helps", "Working in groups", "Mentioned once"}},
		// Stemmed: "run" finds "running", "group" finds "Groups" and "groups".
		{"run", []string{"Mentioned once"}},
		{"group", []string{"Working in groups", "Mentioned once"}},
		// Every word must be there.
		{"feedback question", []string{"Working in groups"}},
		{"feedback zebra", nil},
		// A lesson not open yet is found by its title and summary, never its text.
		{"zebrafish", nil},
		{"secret", nil},
		{"closed", []string{"Closed lesson"}},
		{"later", []string{"Closed lesson"}},
	}
	for _, tt := range tests {
		if got := c.query(tt.q, 10); !slices.Equal(got, tt.want) {
			t.Errorf("%q → %q, want %q", tt.q, got, tt.want)
		}
	}
	// The home page is not a result, and a small course loads one file.
	if got := c.query("welcome", 10); got != nil {
		t.Errorf("the home page is a result: %q", got)
	}
	if len(c.fetched) != 1 || c.meta.Docs == nil {
		t.Errorf("a small course's search fetched %v, want index.json alone", slices.Sorted(maps.Keys(c.fetched)))
	}
	// The closed lesson's page in the index has no text either.
	for i := range c.meta.Pages {
		if p := c.page(i); p.Title == "Closed lesson" && p.Text != "" {
			t.Errorf("closed lesson's text in the index: %q", p.Text)
		}
	}
	raw := read(t, pub, searchMetaFile)
	if strings.Contains(raw, "zebrafish") {
		t.Error("index.json holds a word of a lesson not open yet")
	}
}

// TestSearchOpens: when a lesson opens, its text enters the index, although
// its source did not change.
func TestSearchOpens(t *testing.T) {
	dir := course(t, searchCourse)
	pub := filepath.Join(dir, "public")
	at := func(day int) Options {
		return Options{Source: dir, Out: pub, CacheDir: filepath.Join(dir, ".cohort"),
			Now: func() time.Time { return time.Date(2026, 10, day, 12, 0, 0, 0, time.UTC) }}
	}
	if _, err := Build(t.Context(), Options{Source: dir, Out: pub, CacheDir: filepath.Join(dir, ".cohort"),
		Now: func() time.Time { return time.Date(2026, 9, 8, 12, 0, 0, 0, time.UTC) }}); err != nil {
		t.Fatal(err)
	}
	if got := openSearch(t, pub).query("zebrafish", 10); got != nil {
		t.Fatalf("before it opens: %q", got)
	}
	if _, err := Build(t.Context(), at(2)); err != nil {
		t.Fatal(err)
	}
	if got := openSearch(t, pub).query("zebrafish", 10); !slices.Equal(got, []string{"Closed lesson"}) {
		t.Errorf("after it opened: %q, want the lesson", got)
	}
}

// genDoc is a generated page: a title and a text of words.
type genDoc struct{ Title, URL, Text string }

// genDocs makes n pages of words drawn from a vocabulary of about vocab words,
// deterministically.
func genDocs(n, vocab, words int) []genDoc {
	docs := make([]genDoc, n)
	x := uint32(1)
	next := func() int {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return int(x)
	}
	word := func() string {
		// A skewed draw: some words are in every page, most in a few.
		k := next() % vocab
		k = k * (next() % vocab) / vocab
		return "w" + strconv.FormatInt(int64(k)*7919%1_000_003, 36)
	}
	for i := range docs {
		var b strings.Builder
		for range words {
			b.WriteString(word())
			b.WriteByte(' ')
		}
		docs[i] = genDoc{Title: word() + " " + word(), URL: fmt.Sprintf("/m/l%d/", i), Text: b.String()}
	}
	return docs
}

// indexDocs makes the index's entries of generated pages, their text as one paragraph.
func indexDocs(gen []genDoc) []searchDoc {
	docs := make([]searchDoc, len(gen))
	for i, g := range gen {
		docs[i] = searchDoc{Title: g.Title, URL: g.URL, Body: searchBodyOfHTML("<p>" + html.EscapeString(g.Text) + "</p>")}
	}
	return docs
}

func TestSearchSplit(t *testing.T) {
	docs := indexDocs(genDocs(2000, 20000, 200))
	files := buildSearchIndex(docs, stemmer("en"))
	var meta searchMeta
	if err := json.Unmarshal(files[searchMetaFile], &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Index != nil || meta.Docs != nil || len(meta.Chunks) < 4 {
		t.Fatalf("2,000 pages not split: %d chunks, inline index %v", len(meta.Chunks), meta.Index != nil)
	}
	if n := len(files[searchMetaFile]); n > 8<<10 {
		t.Errorf("index.json is %d bytes for %d chunks", n, len(meta.Chunks))
	}
	seen := map[string]bool{}
	for i, ch := range meta.Chunks {
		data := files["search/"+ch[1]]
		if data == nil {
			t.Fatalf("chunk %s not written", ch[1])
		}
		var c searchChunk
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatal(err)
		}
		// Over the target only when one stem's pages alone are that large.
		if len(data) > searchChunkTarget+searchChunkTarget/4 {
			longest := 0
			for _, p := range c.Postings {
				longest = max(longest, len(p))
			}
			if len(data)-longest > searchChunkTarget {
				t.Errorf("chunk %d is %d bytes", i, len(data))
			}
		}
		// Every word of a chunk sorts at or after its first and before the next chunk's.
		for w := range c.Words {
			if (i > 0 && w < ch[0]) || (i+1 < len(meta.Chunks) && w >= meta.Chunks[i+1][0]) {
				t.Errorf("word %q in chunk %d [%q, next)", w, i, ch[0])
			}
			if seen[w] {
				t.Errorf("word %q in two chunks", w)
			}
			seen[w] = true
		}
	}
	// Pages come in bundles of searchBundle, each page in its place.
	if meta.Bundle != searchBundle {
		t.Fatalf("index.json says bundles of %d", meta.Bundle)
	}
	for i, d := range docs {
		var bundle []searchPage
		if err := json.Unmarshal(files[searchBundleFile(i)], &bundle); err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if p := bundle[i%searchBundle]; p.URL != d.URL {
			t.Fatalf("page %d is %s in its bundle, want %s", i, p.URL, d.URL)
		}
	}
	if n := len(files) - len(meta.Chunks) - 1; n != (len(docs)+searchBundle-1)/searchBundle {
		t.Errorf("%d bundle files for %d pages", n, len(docs))
	}
	// The same pages give the same bytes.
	again := buildSearchIndex(indexDocs(genDocs(2000, 20000, 200)), stemmer("en"))
	if !maps.EqualFunc(files, again, bytes.Equal) {
		t.Error("two builds of the same pages differ")
	}
}

func TestSearchPostingNumbers(t *testing.T) {
	nums := []int{0, 1, 31, 32, 33, 1023, 1024, 99999}
	var b []byte
	for _, n := range nums {
		b = appendNum(b, n)
	}
	if got := decodeNums(string(b)); !slices.Equal(got, nums) {
		t.Errorf("decode(encode(%v)) = %v (%s)", nums, got, b)
	}
}

// TestSearchIncremental: a rebuild with nothing changed writes no index file;
// an edit to one lesson rewrites index.json and some chunks, not every page.
func TestSearchIncremental(t *testing.T) {
	var b strings.Builder
	b.WriteString("-- course.toml --\ntitle = \"C\"\nbase_url = \"https://example.org/\"\n-- content/_index.md --\n+++\ntitle = \"C\"\n+++\n")
	b.WriteString("-- content/01-m/_index.md --\n+++\ntitle = \"M\"\n+++\n")
	for i, d := range genDocs(300, 20000, 200) {
		fmt.Fprintf(&b, "-- content/01-m/l%03d.md --\n+++\ntitle = %q\n+++\n%s\n", i, d.Title, d.Text)
	}
	dir := course(t, b.String())
	mustBuild(t, dir)
	pub := filepath.Join(dir, "public")
	c := openSearch(t, pub)
	if c.meta.Index != nil {
		t.Fatal("300 long pages not split")
	}
	res := mustBuild(t, dir)
	for _, w := range res.Written {
		if strings.HasPrefix(w, "search/") {
			t.Errorf("a rebuild with nothing changed wrote %s", w)
		}
	}
	lesson := filepath.Join(dir, "content", "01-m", "l007.md")
	src, _ := os.ReadFile(lesson)
	if err := os.WriteFile(lesson, append(src, "\nquetzalcoatl\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	res = mustBuild(t, dir)
	var docs []string
	chunks := 0
	for _, w := range res.Written {
		if strings.HasPrefix(w, searchDocDir) {
			docs = append(docs, path.Base(w))
		}
		if strings.HasPrefix(w, searchChunkDir) {
			chunks++
		}
	}
	t.Logf("the edit rewrote %d of %d chunks", chunks, len(c.meta.Chunks))
	if chunks > len(c.meta.Chunks)/2 {
		t.Errorf("an edit to one lesson rewrote %d of %d chunks", chunks, len(c.meta.Chunks))
	}
	if want := path.Base(searchBundleFile(8)); !slices.Equal(docs, []string{want}) { // page 0 is the module
		t.Errorf("an edit to one lesson rewrote page bundles %v, want %s alone", docs, want)
	}
	if got := openSearch(t, pub).query("quetzalcoatl", 10); len(got) != 1 {
		t.Errorf("the edited lesson's new word finds %q", got)
	}
}

// TestSearchIncrementalMatchesClean edits a course with a split index again
// and again, each time rebuilding from the last build (in the same process,
// as serve does, and in a fresh one, from the cache folder) and from nothing,
// and wants the same search files, byte for byte; the rebuilds after one or
// two edits update the index instead of making it again.
func TestSearchIncrementalMatchesClean(t *testing.T) {
	var b strings.Builder
	b.WriteString("-- course.toml --\ntitle = \"C\"\nbase_url = \"https://example.org/\"\n-- content/_index.md --\n+++\ntitle = \"C\"\n+++\n")
	b.WriteString("-- content/01-m/_index.md --\n+++\ntitle = \"M\"\nweight = 1\n+++\n-- content/02-n/_index.md --\n+++\ntitle = \"N\"\nweight = 2\n+++\n")
	gen := genDocs(240, 20000, 150)
	for i, d := range gen {
		fmt.Fprintf(&b, "-- content/0%d-%s/l%03d.md --\n+++\ntitle = %q\nsummary = \"Summary %d.\"\n+++\n%s\n", 1+i%2, []string{"m", "n"}[i%2], i, d.Title, i, d.Text)
	}
	dir := course(t, b.String())
	pub := filepath.Join(dir, "public")
	opts := Options{Source: dir, Out: pub, CacheDir: filepath.Join(dir, ".cohort")}
	served := NewBuilder(opts)
	if _, err := served.Build(t.Context()); err != nil {
		t.Fatal(err)
	}
	if openSearch(t, pub).meta.Index != nil {
		t.Fatal("the index is not split")
	}
	file := func(i int) string {
		return filepath.Join(dir, "content", fmt.Sprintf("0%d-%s", 1+i%2, []string{"m", "n"}[i%2]), fmt.Sprintf("l%03d.md", i))
	}
	edit := func(i int, f func(string) string) {
		src, err := os.ReadFile(file(i))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file(i), []byte(f(string(src))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	appendText := func(s string) func(string) string { return func(src string) string { return src + "\n" + s + "\n" } }
	steps := []struct {
		name string
		do   func()
	}{
		{"a new word", func() { edit(7, appendText("quetzalcoatl")) }},
		{"words another page has", func() { edit(8, appendText(gen[9].Text)) }},
		{"half the text gone", func() { edit(9, func(src string) string { return src[:len(src)/2] }) }},
		{"a new title", func() {
			edit(10, func(src string) string { return strings.Replace(src, "title = ", "title = \"Axolotl care\" #", 1) })
		}},
		{"a heading", func() { edit(11, appendText("## Feedback loops\n\nMore text.")) }},
		{"a new summary", func() {
			edit(12, func(src string) string { return strings.Replace(src, "Summary 12.", "Moderating groups.", 1) })
		}},
		{"two pages at once", func() { edit(20, appendText("zanzibar feedback")); edit(200, appendText("zanzibar")) }},
		{"the new word gone again", func() { edit(7, func(src string) string { return strings.Replace(src, "quetzalcoatl", "", 1) }) }},
		{"a page's only word of a stem gone", func() {
			edit(20, func(src string) string { return strings.Replace(src, "zanzibar", "", 1) })
		}},
	}
	updated := 0
	for k, step := range steps {
		step.do()
		var st *searchState
		if k%2 == 0 { // serve: the same builder
			if _, err := served.Build(t.Context()); err != nil {
				t.Fatal(err)
			}
			st = served.search
		} else { // a fresh process: the state from the cache folder
			fresh := NewBuilder(opts)
			if _, err := fresh.Build(t.Context()); err != nil {
				t.Fatal(err)
			}
			st = fresh.search
			served = fresh
		}
		if st != nil && st.updated {
			updated++
		}
		clean := filepath.Join(t.TempDir(), "public")
		if _, err := Build(t.Context(), Options{Source: dir, Out: clean}); err != nil {
			t.Fatal(err)
		}
		want, got := searchFilesIn(t, clean), searchFilesIn(t, pub)
		if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
			t.Errorf("%s: search files %d, clean build %d", step.name, len(got), len(want))
		}
		for name, data := range want {
			if got[name] != data {
				t.Errorf("%s: %s differs from a clean build's", step.name, name)
			}
		}
	}
	t.Logf("%d of %d rebuilds updated the index", updated, len(steps))
	if updated < len(steps)-2 {
		t.Errorf("%d of %d rebuilds updated the index; the others made it again", updated, len(steps))
	}
	if got := openSearch(t, pub).query("axolotl", 10); !slices.Equal(got, []string{"Axolotl care"}) {
		t.Errorf("the new title finds %q", got)
	}
}

// searchFilesIn reads every file under pub/search but the page.
func searchFilesIn(t *testing.T, pub string) map[string]string {
	t.Helper()
	files := map[string]string{}
	root := filepath.Join(pub, "search")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestSearchStateParts makes the state of the same pages counted in parts
// of different sizes, on all cores, and wants the same index files and the
// same state file each time: the parts' merge must not show in the output.
func TestSearchStateParts(t *testing.T) {
	gen := genDocs(700, 5000, 120)
	gen[3].Title = "Ünïcode Straße " + gen[3].Title // folded words, and stems, met in several parts
	gen[650].Text += " strasse ünicode"
	docs := indexDocs(gen)
	stem := stemmer("en")
	pageOf := func(i int) []byte { return searchPageJSON(&docs[i]) }
	made := func(size int) (map[string][]byte, []byte) {
		st := newSearchStateIn(docs, stem, "en", size)
		files, _ := st.emit(pageOf, nil, nil, nil)
		file := filepath.Join(t.TempDir(), searchStateFile)
		if err := st.save(file); err != nil {
			t.Fatal(err)
		}
		saved, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return files.write, saved
	}
	want, wantState := made(len(docs)) // one part: the pages counted in order
	for _, size := range []int{1, 7, 64, searchPartPages} {
		got, gotState := made(size)
		if !maps.EqualFunc(got, want, bytes.Equal) {
			t.Errorf("parts of %d pages: the index files differ from those of one part", size)
		}
		if !bytes.Equal(gotState, wantState) {
			t.Errorf("parts of %d pages: the state file differs from that of one part", size)
		}
	}
}

// TestSearchStateUpdate updates the state of a large index after small edits
// (a word or ten added or taken out, a title), in memory, and wants each time
// the files a clean build makes: those written and those kept from before.
// Most chunks are kept.
func TestSearchStateUpdate(t *testing.T) {
	gen := genDocs(2000, 20000, 200)
	docs := indexDocs(gen)
	stem := stemmer("en")
	st := newSearchState(docs, stem, "en")
	pageOf := func(i int) []byte { return searchPageJSON(&docs[i]) }
	first, _ := st.emit(pageOf, nil, nil, nil)
	have := first.write // every file as it is now
	x := uint32(7)
	next := func(n int) int {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return int(x % uint32(n))
	}
	kept, made := 0, 0
	for step := range 12 {
		changed := map[int][2]*searchDoc{}
		var pages []int
		for range 1 + step%3 {
			i := next(len(docs))
			if _, ok := changed[i]; ok {
				continue
			}
			old := docs[i]
			g := gen[i]
			switch step % 4 {
			case 0:
				g.Text += " quetzal" + strconv.Itoa(step)
			case 1: // the last ten words gone
				f := strings.Fields(g.Text)
				g.Text = strings.Join(f[:len(f)-10], " ")
			case 2:
				g.Title = "Axolotl " + g.Title
			case 3: // ten words of another page
				g.Text += " " + strings.Join(strings.Fields(gen[next(len(gen))].Text)[:10], " ")
			}
			gen[i] = g
			docs[i] = indexDocs([]genDoc{g})[0]
			changed[i] = [2]*searchDoc{&old, &docs[i]}
			pages = append(pages, i)
		}
		words, stems, ok := st.update(changed, stem)
		if !ok {
			t.Fatalf("step %d: the state does not update", step)
		}
		files, ok := st.emit(pageOf, words, stems, pages)
		if !ok {
			t.Fatalf("step %d: not emitted", step)
		}
		got := map[string][]byte{}
		for _, name := range files.keep {
			if have[name] == nil {
				t.Fatalf("step %d: keeps %s, which is not there", step, name)
			}
			got[name] = have[name]
		}
		maps.Copy(got, files.write)
		want := buildSearchIndex(docs, stem)
		if !maps.EqualFunc(got, want, bytes.Equal) {
			for name := range want {
				if !bytes.Equal(got[name], want[name]) {
					t.Errorf("step %d: %s differs from a clean build's", step, name)
				}
			}
			for name := range got {
				if want[name] == nil {
					t.Errorf("step %d: %s, which a clean build does not make", step, name)
				}
			}
			t.FailNow()
		}
		k, m := 0, 0
		for _, name := range files.keep {
			if strings.HasPrefix(name, searchChunkDir) {
				k++
			}
		}
		for name := range files.write {
			if strings.HasPrefix(name, searchChunkDir) {
				m++
			}
		}
		t.Logf("step %d (%d pages): chunks kept %d, made again %d", step, len(pages), k, m)
		if step%2 == 0 { // a word added, or a title changed: its stems' chunks, few of them
			kept, made = kept+k, made+m
		}
		have = got
	}
	if kept < 2*made {
		t.Errorf("edits of a word make many chunks again: %d kept, %d made", kept, made)
	}
}

// BenchmarkSearchIndexCold makes the index of COHORT_BENCH_LESSONS generated
// pages (1,000 unless set) from their entries: the index's part of a cold
// build after the pages rendered.
func BenchmarkSearchIndexCold(b *testing.B) {
	docs := indexDocs(genDocs(benchLessons(), 20000, 300))
	stem := stemmer("en")
	for b.Loop() {
		buildSearchIndex(docs, stem)
	}
}

// BenchmarkSearchIndexEdit updates the index of the same pages after one
// page's edit (a word added, then taken out again), as a one-edit rebuild does.
func BenchmarkSearchIndexEdit(b *testing.B) {
	gen := genDocs(benchLessons(), 20000, 300)
	docs := indexDocs(gen)
	stem := stemmer("en")
	st := newSearchState(docs, stem, "en")
	page := func(i int) []byte { return searchPageJSON(&docs[i]) }
	st.emit(page, nil, nil, nil)
	i := len(docs) / 2
	texts := [2]string{gen[i].Text, gen[i].Text + " quetzalcoatl"}
	written, k := 0, 0
	for b.Loop() {
		k++
		old := docs[i]
		g := gen[i]
		g.Text = texts[k%2]
		docs[i] = indexDocs([]genDoc{g})[0]
		words, stems, ok := st.update(map[int][2]*searchDoc{i: {&old, &docs[i]}}, stem)
		if !ok {
			b.Fatal("not updated")
		}
		files, ok := st.emit(page, words, stems, []int{i})
		if !ok {
			b.Fatal("not emitted")
		}
		written += len(files.write)
	}
	b.ReportMetric(float64(written)/float64(k), "files/op")
}

// TestSearchStateLog saves a state whole, then each update as a record of its
// log, and loads it after each: the state loaded is the state saved. A log
// left from before the state was last written whole (a crash between the
// two) is not applied.
func TestSearchStateLog(t *testing.T) {
	gen := genDocs(500, 5000, 150)
	docs := indexDocs(gen)
	stem := stemmer("en")
	st := newSearchState(docs, stem, "en")
	pageOf := func(i int) []byte { return searchPageJSON(&docs[i]) }
	st.emit(pageOf, nil, nil, nil)
	file := filepath.Join(t.TempDir(), searchStateFile)
	st.token = newSearchToken()
	if err := st.save(file); err != nil {
		t.Fatal(err)
	}
	same := func(step string) {
		t.Helper()
		got, err := loadSearchState(file)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if got.token != st.token || got.total != st.total || !slices.Equal(got.lens, st.lens) ||
			!slices.Equal(got.sorted, st.sorted) || !slices.Equal(got.chunks, st.chunks) {
			t.Fatalf("%s: the state loaded differs in its token, lengths, words or chunks", step)
		}
		if !maps.EqualFunc(got.words, st.words, func(a, b *searchWord) bool { return *a == *b }) {
			t.Fatalf("%s: the words loaded differ", step)
		}
		if !maps.EqualFunc(got.stems, st.stems, func(a, b *searchStem) bool {
			return a.df == b.df && a.encLen == b.encLen && bytes.Equal(a.raw, b.raw)
		}) {
			t.Fatalf("%s: the stems loaded differ", step)
		}
	}
	same("written whole")
	for step := range 6 {
		i := (step*97 + 13) % len(docs)
		old := docs[i]
		g := gen[i]
		if step%2 == 0 {
			g.Text += " quetzal" + strconv.Itoa(step) + " axolotl"
		} else { // the last ten words gone
			f := strings.Fields(g.Text)
			g.Text = strings.Join(f[:len(f)-10], " ")
		}
		gen[i] = g
		docs[i] = indexDocs([]genDoc{g})[0]
		words, stems, ok := st.update(map[int][2]*searchDoc{i: {&old, &docs[i]}}, stem)
		if !ok {
			t.Fatalf("step %d: the state does not update", step)
		}
		if _, ok := st.emit(pageOf, words, stems, []int{i}); !ok {
			t.Fatalf("step %d: not emitted", step)
		}
		st.token = newSearchToken()
		if err := st.save(file); err != nil {
			t.Fatal(err)
		}
		if st.logSize == 0 {
			t.Fatalf("step %d: an update of one page wrote the state whole", step)
		}
		same(fmt.Sprintf("step %d", step))
	}
	stale, err := os.ReadFile(file + ".log")
	if err != nil {
		t.Fatal(err)
	}
	st.whole = true
	st.token = newSearchToken()
	if err := st.save(file); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file + ".log"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("writing the state whole left its log: %v", err)
	}
	if err := os.WriteFile(file+".log", stale, 0o644); err != nil {
		t.Fatal(err)
	}
	same("with a log from before the state was written whole")
}

// BenchmarkSearchStateLoad loads the state of COHORT_BENCH_LESSONS generated
// pages (1,000 unless set) from its file, as a build in a new process does.
func BenchmarkSearchStateLoad(b *testing.B) {
	docs := indexDocs(genDocs(benchLessons(), 20000, 300))
	st := newSearchState(docs, stemmer("en"), "en")
	st.emit(func(i int) []byte { return searchPageJSON(&docs[i]) }, nil, nil, nil)
	file := filepath.Join(b.TempDir(), searchStateFile)
	st.token = newSearchToken()
	if err := st.save(file); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := loadSearchState(file); err != nil {
			b.Fatal(err)
		}
	}
}
