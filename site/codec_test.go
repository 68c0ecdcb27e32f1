package site

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"html/template"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/site/deps"
)

// codecState makes a state of n pages whose records use every field the
// cache keeps, each page's different from the others'.
func codecState(n int) *state {
	s := &state{Version: Version, Key: "key", Files: map[string]*cachedPage{}, Frags: map[string]*pageFrags{},
		Outputs: map[string]string{"index.html": "h0"}, Special: map[string]string{"search": "s"},
		Navs: map[string]template.HTML{"m": "<nav>m</nav>"}, Dirs: map[string]*dirRecord{".": {Mtime: 1, Change: 2, Listed: 3, Dirs: []string{"m"}}}}
	for i := range n {
		file := fmt.Sprintf("m%02d/l%04d.md", i%7, i)
		c := &cachedPage{Size: int64(100 + i), ModTime: int64(i) * 1e9, Change: int64(i)*1e9 + 5, RenderKey: fmt.Sprint("rk", i),
			Page: &Page{Kind: KindLesson, File: file, ID: fmt.Sprint("id", i), URL: fmt.Sprintf("/m/l%d/", i), Title: fmt.Sprint("Lesson ", i),
				Date: time.Date(2026, 1, 1+i%28, 9, 0, 0, 0, time.UTC), Weight: i % 5, Words: 3 * i, HasMath: i%3 == 0,
				Tags: []string{"t", fmt.Sprint(i)}, TOC: []Heading{{Level: 2, ID: fmt.Sprint("h", i), Text: "Heading"}}},
			Reads: deps.Reads{fmt.Sprint("page:", i+1): "title"}}
		c.Last = recordedOf(c.Page)
		if i%4 == 0 {
			c.Frags = []cachedFrag{{Target: "other.md", Fragment: "x", Dest: "/other/#x"}}
		}
		s.Files[file] = c
		s.Frags[file] = &pageFrags{Key: fmt.Sprint("fk", i), Sitemap: []byte(fmt.Sprint("<url>", i, "</url>")),
			Search: []byte(fmt.Sprintf(`{"t":"lesson %d"}`, i)), Manifest: []byte(fmt.Sprint(`{"id":`, i, `}`))}
	}
	return s
}

// TestCacheRoundTrip: a saved cache, loaded again (its records decoded on all
// cores, many chunks of them), gives back every page's record and entries as
// they were, and so do the records of a delta logged after it.
func TestCacheRoundTrip(t *testing.T) {
	name := filepath.Join(t.TempDir(), cacheFile)
	want := codecState(5*decodeChunk + 17)
	if err := want.save(name, nil); err != nil {
		t.Fatal(err)
	}
	got, err := loadState(name)
	if err != nil {
		t.Fatal(err)
	}
	sameState(t, got, want)

	// One page changed and one gone, written as a delta against the base: the
	// next build keeps the loaded records it did not change, as a build does.
	next := &state{Version: got.Version, Key: got.Key, Files: maps.Clone(got.Files), Frags: maps.Clone(got.Frags),
		Outputs: got.Outputs, Navs: got.Navs, Special: got.Special, Dirs: got.Dirs}
	edited := *next.Files["m01/l0001.md"]
	edited.Page = &Page{}
	*edited.Page = *next.Files["m01/l0001.md"].Page
	edited.Page.Title, edited.RenderKey = "Edited", "rk-edited"
	next.Files["m01/l0001.md"] = &edited
	next.Frags["m01/l0001.md"] = &pageFrags{Key: "fk-edited", Sitemap: []byte("<url/>"), Search: []byte("{}"), Manifest: []byte("{}")}
	added := *next.Files["m03/l0003.md"]
	added.Page = &Page{}
	*added.Page = *next.Files["m03/l0003.md"].Page
	added.Page.File = "m03/added.md"
	next.Files["m03/added.md"] = &added // a new page: its record joins those in path order
	delete(next.Files, "m02/l0002.md")
	delete(next.Frags, "m02/l0002.md")
	if err := next.save(name, got); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(name + ".log"); err != nil {
		t.Fatalf("the change was not logged as a delta: %v", err)
	}
	again, err := loadState(name)
	if err != nil {
		t.Fatal(err)
	}
	sameState(t, again, next)

	// Two more deltas, as a session of edits logs them: the edited page
	// edited again, twice (the load decodes only its last version), the added
	// page gone, and the page that went back again. The load applies the last
	// of each.
	last := again
	for round, title := range []string{"Edited again", "Edited a third time"} {
		more := &state{Version: last.Version, Key: last.Key, Files: maps.Clone(last.Files), Frags: maps.Clone(last.Frags),
			Outputs: last.Outputs, Navs: last.Navs, Special: last.Special, Dirs: last.Dirs}
		edited := *more.Files["m01/l0001.md"]
		edited.Page = &Page{}
		*edited.Page = *more.Files["m01/l0001.md"].Page
		edited.Page.Title, edited.RenderKey = title, fmt.Sprint("rk-edited-", round)
		more.Files["m01/l0001.md"] = &edited
		more.Frags["m01/l0001.md"] = &pageFrags{Key: fmt.Sprint("fk-edited-", round), Sitemap: []byte("<url/>"), Search: []byte("{}"), Manifest: []byte("{}")}
		if round == 0 {
			delete(more.Files, "m03/added.md")
			more.Files["m02/l0002.md"], more.Frags["m02/l0002.md"] = want.Files["m02/l0002.md"], want.Frags["m02/l0002.md"]
		}
		if err := more.save(name, last); err != nil {
			t.Fatal(err)
		}
		if last, err = loadState(name); err != nil {
			t.Fatal(err)
		}
		sameState(t, last, more)
	}
	if last.logSize == 0 {
		t.Fatal("the edits were not logged as deltas")
	}
}

func sameState(t *testing.T, got, want *state) {
	t.Helper()
	if len(got.Files) != len(want.Files) || len(got.Frags) != len(want.Frags) {
		t.Fatalf("loaded %d pages and %d entries, saved %d and %d", len(got.Files), len(got.Frags), len(want.Files), len(want.Frags))
	}
	// The records in path order, as the read step walks them beside the
	// walk's files (state.reuser), are those of Files, deltas applied.
	if got.names == nil {
		t.Fatal("a loaded state keeps no records in path order")
	}
	if !slices.IsSorted(got.names) || len(got.names) != len(got.Files) {
		t.Fatalf("%d records in path order (sorted: %t), %d pages", len(got.names), slices.IsSorted(got.names), len(got.Files))
	}
	r := got.reuser()
	for _, f := range slices.Sorted(maps.Keys(want.Files)) {
		if c := r.record(f); c == nil || c != got.Files[f] {
			t.Fatalf("%s: in path order, record %p; by name, %p", f, c, got.Files[f])
		}
	}
	for f, w := range want.Files {
		g := got.Files[f]
		if g == nil {
			t.Fatalf("%s: not loaded", f)
		}
		if !reflect.DeepEqual(g.reads(), w.reads()) {
			t.Errorf("%s: reads %v, saved %v", f, g.reads(), w.reads())
		}
		gc, wc := *g, *w
		gc.Reads, gc.readsRaw, wc.Reads, wc.readsRaw = nil, nil, nil, nil
		gp, wp := *g.Page, *w.Page // compared as copies: the dates are set aside below
		gc.Page, wc.Page = &gp, &wp
		if !gp.Date.Equal(wp.Date) {
			t.Errorf("%s: date %v, saved %v", f, gp.Date, wp.Date)
		}
		gp.Date, wp.Date = time.Time{}, time.Time{}
		if !reflect.DeepEqual(gc, wc) {
			t.Errorf("%s: loaded\n%+v\nsaved\n%+v", f, gc, wc)
		}
	}
	for f, w := range want.Frags {
		if g := got.Frags[f]; g == nil || !reflect.DeepEqual(*g, *w) {
			t.Errorf("%s: entries loaded %+v, saved %+v", f, g, w)
		}
	}
}

// TestDamagedCacheIsRefused: a cache file whose record lengths lie is refused
// with an error, not read past its end, wherever the damage is.
func TestDamagedCacheIsRefused(t *testing.T) {
	head, blobs := encodeBase(t, codecState(3*decodeChunk))
	d := &decoder{b: head[len(cacheMagic)+8:]}
	d.str()  // version
	d.str()  // key
	d.uint() // how many pages
	at := func() int { return len(head) - len(d.b) }
	d.str() // the first page's name, then its record's length
	firstPage := at()
	d.sized()
	for range 3*decodeChunk - 1 {
		d.str()
		d.sized()
	}
	d.strMap() // outputs
	d.strMap() // navigation
	d.strMap() // special
	d.uint()   // how many pages' entries
	d.str()    // the first page's name, then its entries' length
	firstEntries := at()
	if d.err != nil {
		t.Fatal(d.err)
	}
	for _, at := range []int{firstPage, firstEntries} {
		damaged := append([]byte(nil), head...)
		binary.LittleEndian.PutUint32(damaged[at:], 0xfffffff0)
		damaged = append(damaged, blobs...)
		if _, err := decodeState(damaged); err == nil {
			t.Errorf("damage at byte %d of %d: the cache was accepted", at, len(head))
		}
	}
}

// encodeBase returns s encoded as save writes it: the first section, its length
// filled in, and the blobs.
func encodeBase(t *testing.T, s *state) (head, blobs []byte) {
	t.Helper()
	var b bytes.Buffer
	headSize, _, err := s.encodeTo(&b)
	if err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	binary.LittleEndian.PutUint64(data[headSizeAt:], uint64(headSize-headSizeAt-8))
	return data[:headSize], data[headSize:]
}

// TestEncodeReads: a page's reads encoded at once (a one-off build) come back
// as recorded, from a slice made at their size.
func TestEncodeReads(t *testing.T) {
	long := strings.Repeat("x", 300) // a length of two bytes
	for _, m := range []map[string]string{
		nil,
		{},
		{"page:01/a.md": "/01/a/"},
		{"url:/about/": "", "asset:01/fig.svg": "1", "card:" + long: long, "": ""},
	} {
		b := encodeReads(m)
		if len(b) != cap(b) {
			t.Errorf("%v: %d bytes in a slice of %d", m, len(b), cap(b))
		}
		c := &cachedPage{readsRaw: b}
		got := c.reads()
		if len(got) != len(m) || (len(m) > 0 && !reflect.DeepEqual(map[string]string(got), m)) {
			t.Errorf("encoded %v, decoded %v", m, got)
		}
		if !c.readsUnchanged(func(k string) string { return m[k] }) {
			t.Errorf("%v: reads changed against themselves", m)
		}
	}
}
