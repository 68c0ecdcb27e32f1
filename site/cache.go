package site

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"

	"github.com/cohort-course/cohort/site/deps"
)

// cacheFile is the incremental build cache, under Options.CacheDir.
const cacheFile = "build.cache"

// state is what one successful build leaves for the next: each source's parsed
// page and render key, and each output file's hash.
type state struct {
	Version string
	Key     string
	Files   map[string]*cachedPage // by content-relative path
	Outputs map[string]string      // output path → hash
	// Navs holds what is rendered once per module, by key: its navigation
	// (by its module key), and its parts of whole-course lists (run.moduleParts).
	Navs map[string]template.HTML
	// Special holds the render key of outputs that are not pages (search, 404).
	Special map[string]string
	// Frags holds each page's entries in sitemap.xml, the search index and lessons.json.
	Frags map[string]*pageFrags
	// Dirs is the walk of content/ by folder (content.go), so that the next
	// walk lists again only the folders whose time changed.
	Dirs map[string]*dirRecord

	// names and ordered are Files in path order, for matching the walk's
	// files, also in path order, with their records in one pass (reuser)
	// instead of ten thousand look-ups; nil when not kept (only a state
	// loaded from the cache keeps them, and keeps them up to date with the
	// deltas it applies).
	names   []string
	ordered []*cachedPage

	// from, when set, is a state this one was made from by copying its Files
	// and Frags whole and then overwriting only the entries named in touched
	// (the pages a one-edit build looked at): a delta against from compares
	// those, not every page (codec.go).
	from    *state
	touched []string
	// outputsFrom, when set, is the Outputs map this state's was made from by
	// the output step, which lists what it changed (outputsChanged) and
	// dropped (outputsGone): a delta against a state holding that same map
	// writes those alone, without comparing every output file's entry.
	outputsFrom                 map[string]string
	outputsChanged, outputsGone []string

	size     int  // bytes of the encoded base, when read or written
	blobSize int  // of which in the second section (codec.go)
	logSize  int  // bytes of deltas appended after that base
	dirty    bool // differs from what is in the cache folder
}

// encodedSize is the size of the state's last encoding, and how much of it
// was blobs: how large its log may grow (save).
func (s *state) encodedSize() (size, blobs int) {
	if s == nil {
		return 0, 0
	}
	return s.size, s.blobSize
}

// nav returns the navigation rendered for a module key in the last build.
func (s *state) nav(key string) (template.HTML, bool) {
	if s == nil {
		return "", false
	}
	h, ok := s.Navs[key]
	return h, ok
}

// special returns the render key an output had in the last build.
func (s *state) special(rel string) string {
	if s == nil {
		return ""
	}
	return s.Special[rel]
}

// cachedPage is a page as of the last build, without its rendered body.
type cachedPage struct {
	Size    int64
	ModTime int64
	Change  int64 // the source's changeStamp
	// Page is the page as recorded, but a new process lends it to its build
	// as the unchanged source's page (reuser.reuse) rather than copying it:
	// the graph and rendering then change it. What a build compares with the
	// last build's page is therefore read from Last, which nothing changes.
	Page *Page
	Last recorded
	// lent tells that Page is some build's page now (reuser.reuse): it is
	// lent once, and copied for any build that asks again.
	lent      bool
	RenderKey string
	// Reads are what rendering the page's Markdown read of the rest of the
	// course (deps.go): the pages, URLs and files its links looked up. A page
	// loaded from the cache file has them still encoded, in readsRaw, until
	// something needs the map (reads): checking them needs no map.
	Reads    deps.Reads
	readsRaw []byte
	Frags    []cachedFrag
	// Body is where the page's rendered body lies in its output file, so that
	// a build whose page key changed but whose body key did not takes it from
	// there rather than running the Markdown again (pages.go, lastBody).
	Body bodySpan
}

// recorded holds the fields of a recorded page that the build sets (its place
// in the course, what rendering found) and that the next build compares with
// its own page's: as the build that recorded the page left them. The cache
// writes them from here, not from Page (codec.go).
type recorded struct {
	URL                 string
	Order, Number       int
	TOC                 []Heading
	VideoEmbed          template.HTML
	HasMath, HasDiagram bool
}

// recordedOf returns what a record keeps apart of page p (recorded).
func recordedOf(p *Page) recorded {
	return recorded{URL: p.URL, Order: p.Order, Number: p.Number, TOC: p.TOC, VideoEmbed: p.VideoEmbed,
		HasMath: p.HasMath, HasDiagram: p.HasDiagram}
}

// newRecord returns a record of page p, a snapshot the record owns.
func newRecord(p Page) *cachedPage {
	return &cachedPage{Page: &p, Last: recordedOf(&p)}
}

// bodySpan locates a page's rendered body (Page.Content) in the page's output
// file as the build that recorded it wrote it.
type bodySpan struct {
	// Key is the body key it was rendered under (run.renderKey): what the
	// Markdown read, but for the reads the record keeps beside it.
	Key string
	// At is the body's byte offset in the output file, -1 when the output
	// does not hold it (a layout that leaves the body out, or changes it).
	At, Len int64
	// Hash is the digest of the body's bytes: those read back must match it.
	Hash string
}

// reads returns the page's recorded reads, decoding them if they were loaded.
func (c *cachedPage) reads() deps.Reads {
	if c.Reads != nil || c.readsRaw == nil {
		return c.Reads
	}
	d := &decoder{b: c.readsRaw}
	return d.strMap()
}

// readsUnchanged tells whether every read recorded for the page gives the same
// answer now, as current answers them. The reads are checked in the order they
// were written, not sorted (deps.Reads.Changed): only the yes or no is wanted.
func (c *cachedPage) readsUnchanged(current func(key string) string) bool {
	if c.readsRaw == nil {
		_, changed := c.Reads.Changed(current)
		return !changed
	}
	d := &decoder{b: c.readsRaw}
	for range d.uint() {
		k, v := d.str(), d.str()
		if d.err != nil || current(k) != v {
			return false
		}
	}
	return d.err == nil
}

type cachedFrag struct {
	Target, Fragment, Dest string
}

// reuser takes the pages of unchanged files from a state (reuse), for files
// given in path order: it walks the state's records in that order beside
// them. It is safe on a nil state. One reuser serves one goroutine.
type reuser struct {
	s       *state
	j       int  // where in s.names the last file was looked for
	started bool // j is set
}

func (s *state) reuser() *reuser { return &reuser{s: s} }

// record returns the record of the file at path, which comes after (in path
// order) every path this reuser was asked for before.
func (r *reuser) record(path string) *cachedPage {
	s := r.s
	if s.names == nil {
		return s.Files[path]
	}
	if !r.started {
		r.j, r.started = sort.SearchStrings(s.names, path), true
	}
	for ; r.j < len(s.names); r.j++ {
		switch name := s.names[r.j]; {
		case name == path: // the usual case, asked first: no file came or went
			return s.ordered[r.j]
		case name > path:
			return nil // a file the last build did not have
		}
	}
	return nil
}

// reuse returns the cached page for a source file that has not changed since the
// last build, or nil. The page is the record's own (cachedPage.Page), lent to
// the build, which links it into its own graph: copying ten thousand of them,
// a kilobyte each, was most of a new process's read step, in page faults on
// fresh memory. A record lent before (a build that failed, or a record taken
// again by serve) gives a copy.
func (r *reuser) reuse(src source) *Page {
	s := r.s
	if s == nil {
		return nil
	}
	c := r.record(src.path)
	if c == nil || c.Size != src.size || c.ModTime != src.mtime.UnixNano() || c.Change != src.ctime {
		return nil
	}
	p := c.Page
	if c.lent {
		p = c.pageCopy()
	}
	c.lent = true // each record is one file's: no other goroutine looks at it
	// p.TOC shares the cached headings: nothing writes into a page's TOC, a
	// render gives it a new one (render.go).
	p.reused = true
	p.rec, p.recOf = c, s
	return p
}

// pageCopy returns a copy of the record's page as it was recorded, for a
// build when the page itself is lent to another (lent): without what a build
// linked to it or made of it, and with the fields the record keeps apart
// (Last) as the record has them.
func (c *cachedPage) pageCopy() *Page {
	p := pageSnapshot(c.Page)
	p.URL, p.Order, p.Number, p.TOC = c.Last.URL, c.Last.Order, c.Last.Number, c.Last.TOC
	p.VideoEmbed, p.HasMath, p.HasDiagram = c.Last.VideoEmbed, c.Last.HasMath, c.Last.HasDiagram
	p.settled, p.frags = 0, nil
	p.Thread, p.ThreadPages, p.Archive, p.releases = nil, nil, nil, nil
	return &p
}

// pageSnapshot returns a copy of p as a record keeps it: without the links into
// the build's graph, its rendered body or the source's bytes, so that the
// record keeps none of them alive.
func pageSnapshot(p *Page) Page {
	snap := *p
	snap.Module, snap.Prev, snap.Next = nil, nil, nil
	snap.Content, snap.src, snap.reused, snap.letGo = "", nil, false, false
	// The search text goes into the page's entry (frags.go); a copy here would keep
	// every page's words alive to the end of the build, and in the cache.
	snap.searchBody, snap.bodyRead, snap.mathCSS = nil, false, nil
	snap.rec, snap.recOf = nil, nil // no chain of past states kept alive
	return snap
}

// record returns the last build's record of page p, as s.page(p.File) does,
// without looking it up when p was taken from it (reuse).
func (s *state) record(p *Page) *cachedPage {
	if s != nil && p.recOf == s {
		return p.rec
	}
	return s.page(p.File)
}

// withoutPages keeps the record of outputs but forgets every page's render key,
// so that every page renders again while unchanged files are still not rewritten.
func (s *state) withoutPages() *state {
	t := *s
	t.Navs, t.Special, t.Frags = nil, nil, nil
	t.names, t.ordered = nil, nil // the records below are new: looked up in Files
	t.Files = map[string]*cachedPage{}
	for k, c := range s.Files {
		c2 := *c
		c2.RenderKey, c2.Body = "", bodySpan{} // the body too: config and theme are in its key
		c2.lent = true                         // its Page is c's too, which s may lend: this one copies
		t.Files[k] = &c2
	}
	return &t
}

func (s *state) outputs() map[string]string {
	if s == nil {
		return nil
	}
	return s.Outputs
}

func (s *state) page(file string) *cachedPage {
	if s == nil {
		return nil
	}
	return s.Files[file]
}

// minLogLimit is how large the delta log may grow before it is folded into a new
// base, however small the base: below it, reading the log costs nothing to notice.
// Above it, the log may grow to a quarter of the base's first section, the part
// every load decodes as it decodes the whole log.
const minLogLimit = 256 << 10

// loadState reads the base snapshot and applies the deltas logged after it.
// The base is memory-mapped, not read (mmap_unix.go): the state's strings and
// slices share the mapping, which stays for the life of the process (a save
// replaces the file by renaming a new one over it, so the mapped one never
// changes).
func loadState(name string) (*state, error) {
	data, err := mapFile(name)
	if err != nil {
		return nil, err
	}
	s, err := withoutGC(func() (*state, error) { return decodeState(data) })
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", name, err)
	}
	s.size = len(data)
	if log, err := os.ReadFile(name + ".log"); err == nil {
		if err := s.applyDeltas(records(log)); err != nil {
			return nil, fmt.Errorf("cache %s.log: %w", name, err)
		}
		s.logSize = len(log)
	}
	if s.Version != Version {
		return nil, errors.New("cache from another cohort version")
	}
	return s, nil
}

// withoutGC runs decode with the garbage collector paused. Decoding a state
// makes tens of thousands of small objects that all stay live: a collection
// during it would scan them and free nothing (it took a third of a load).
func withoutGC(decode func() (*state, error)) (*state, error) {
	release := holdGC()
	defer release()
	return decode()
}

// gcHoldHeadroom is how much a build may allocate beyond what the process held
// when the collector was paused (holdGC) before it collects anyway: a
// one-edit build allocates a few tens of MiB; a build that renders every page
// more, and then collects as usual.
const gcHoldHeadroom = 256 << 20

// gcHolds counts the pauses in force, so that overlapping ones (two builders
// in one process, a load within a build) restore the collector's settings
// once, when the last ends.
var gcHolds struct {
	sync.Mutex
	n       int
	percent int
	limit   int64
}

// holdGC pauses the garbage collector until release is called, except that
// it still collects when the heap grows gcHoldHeadroom past its size now (a
// memory limit). A fresh process that loads the cache and redoes one page
// allocates little more than the cache itself, which stays live: without the
// pause, the first collection, due at once because nothing was collected yet,
// marked all of it during the build and slowed every step by its write
// barriers (about a third of a one-edit build at 10,000 lessons).
func holdGC() (release func()) {
	gcHolds.Lock()
	if gcHolds.n == 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		gcHolds.percent = debug.SetGCPercent(-1)
		gcHolds.limit = debug.SetMemoryLimit(-1) // -1 reads it
		debug.SetMemoryLimit(min(gcHolds.limit, int64(ms.Sys)+gcHoldHeadroom))
	}
	gcHolds.n++
	gcHolds.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			gcHolds.Lock()
			defer gcHolds.Unlock()
			if gcHolds.n--; gcHolds.n == 0 {
				debug.SetMemoryLimit(gcHolds.limit)
				debug.SetGCPercent(gcHolds.percent)
			}
		})
	}
}

// Memory a one-shot build may use (Options.LimitMemory): memoryBase, plus
// memoryPerSourceByte for each byte of Markdown. What a cold build keeps to its
// end (each page's record, search entry and links) is about twice its Markdown:
// 200 MB at the generated course's 10,000 lessons (92 MB of sources), where this
// budget is 280 MiB, 1.4 times that. Without a limit the collector lets the heap
// grow to twice what is live, and the build peaked at 620 MB; with it, near
// 310 MB for about 5% more CPU. A course bigger than its budget still builds: the
// runtime caps the collector at half the CPU.
const (
	memoryBase          = 96 << 20
	memoryPerSourceByte = 2
)

// memoryBudget is the soft memory limit of a one-shot build of these sources.
func memoryBudget(markdown []source) int64 {
	var n int64
	for _, s := range markdown {
		n += s.size
	}
	return memoryBase + memoryPerSourceByte*n
}

// capMemory sets the process's soft memory limit, also as the one a collector's
// pause (holdGC) restores when it ends, and turns off the collector's other
// trigger, a heap twice its live size: the build may use its budget, and the
// collector runs when the heap reaches it. Early in a cold build, with little
// live yet, doubling triggered a collection every few megabytes.
func capMemory(limit int64) {
	gcHolds.Lock()
	defer gcHolds.Unlock()
	if gcHolds.n > 0 {
		gcHolds.limit, gcHolds.percent = limit, -1
		return
	}
	debug.SetMemoryLimit(limit)
	debug.SetGCPercent(-1)
}

// save writes s to the cache folder, where old is what the folder holds now
// (nil when unknown): as a delta appended to the log when that is small, else as
// a new base, written atomically, which also empties the log.
func (s *state) save(name string, old *state) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	if old != nil && old.Version == s.Version {
		if rec := s.delta(old); rec == nil {
			s.size, s.blobSize, s.logSize = old.size, old.blobSize, old.logSize
			return nil
		} else if old.logSize+len(rec) < max((old.size-old.blobSize)/4, minLogLimit) {
			f, err := os.OpenFile(name+".log", os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
			if err != nil {
				return err
			}
			framed := appendRecord(nil, rec)
			_, err = f.Write(framed)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				s.size, s.blobSize, s.logSize = old.size, old.blobSize, old.logSize+len(framed)
				return nil
			}
			// A failed append: fall through to a full write, which replaces the log.
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".build-*.cache")
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(tmp, 256<<10)
	headSize, blobSize, err := s.encodeTo(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		_, err = tmp.WriteAt(binary.LittleEndian.AppendUint64(nil, uint64(headSize-headSizeAt-8)), int64(headSizeAt))
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	s.size, s.blobSize, s.logSize = headSize+blobSize, blobSize, 0
	if err := os.Remove(name + ".log"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
