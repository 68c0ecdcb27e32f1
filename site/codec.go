package site

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"html/template"
	"io"
	"maps"
	"math/bits"
	"reflect"
	"slices"
	"time"
	"unsafe"
)

// The build cache is written in a small binary format of its own: gob took over
// 100 ms for a 10,000-lesson course, longer than the rebuild it serves. Every
// value is length-prefixed. Maps are written in Go's order: the cache need not
// be byte-identical from run to run, only the site.
//
// A base file has two sections: the records a rebuild reads (pages, outputs,
// navigation, entries of the whole-course files, the walk), then the blobs it
// reads only for pages that changed (each page's search document, nine tenths
// of the file at 10,000 lessons). A record names its blob by offset and length
// in the second section. The file is memory-mapped (mmap_unix.go) and decoded
// into strings and slices that share the mapping, so loading it costs the
// first section only: a blob's pages are read from disk when something looks
// at it, and never otherwise.
//
// Each page's record and each page's entries follow their name with their
// length (a fixed four bytes, so that the encoder can fill it in after the
// record): a load finds every record's bounds in one quick pass, then decodes
// the records on all cores (decodeState).
//
//	magic | uint64 length of section 1 (little-endian) | section 1 | blobs

// cacheMagic starts every cache file; change it when the layout changes.
const cacheMagic = "cohort-cache-15\n"

// encoder appends to b. With blobs set (a base file), large values go to the
// second section and b holds their place; without (a delta), they are inline.
type encoder struct {
	b     []byte
	blobs *blobList
}

func (e *encoder) uint(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int64)    { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) str(s string)   { e.uint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bytes(p []byte) { e.uint(uint64(len(p))); e.b = append(e.b, p...) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.str("")
		return
	}
	data, _ := t.MarshalBinary()
	e.bytes(data)
}

func (e *encoder) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}

func (e *encoder) strMap(m map[string]string) {
	e.uint(uint64(len(m)))
	for k, v := range m {
		e.str(k)
		e.str(v)
	}
}

// encodeReads encodes a page's reads as a cache record holds them
// (cachedPage.readsRaw), in a slice of their size.
func encodeReads(m map[string]string) []byte {
	uvarintLen := func(x int) int { return (bits.Len64(uint64(x)|1) + 6) / 7 }
	n := uvarintLen(len(m))
	for k, v := range m {
		n += uvarintLen(len(k)) + len(k) + uvarintLen(len(v)) + len(v)
	}
	e := &encoder{b: make([]byte, 0, n)}
	e.strMap(m)
	return e.b
}

// decoder reads b; blobs is a base file's second section (nil for a delta).
type decoder struct {
	b     []byte
	blobs []byte
	err   error
}

var errCorrupt = errors.New("cache file is damaged")

func (d *decoder) uint() uint64 {
	// Most values are lengths and counts below 128, one byte: taken without
	// Uvarint's loop, which was a sixth of loading the cache.
	if len(d.b) > 0 && d.b[0] < 0x80 {
		v := uint64(d.b[0])
		d.b = d.b[1:]
		return v
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int64 {
	if len(d.b) > 0 && d.b[0] < 0x80 { // a small value: see uint
		u := d.b[0]
		d.b = d.b[1:]
		return int64(u>>1) ^ -int64(u&1) // zig-zag, as binary.Varint
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) raw() []byte {
	if len(d.b) > 0 && uint64(d.b[0]) < min(0x80, uint64(len(d.b))) { // a short value: see uint
		n := d.b[0]
		p := d.b[1 : 1+n : 1+n]
		d.b = d.b[1+n:]
		return p
	}
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

// str returns a string that shares the cache file's bytes: decoding 10,000
// pages makes some 300,000 strings, and copying each one was most of the cost.
// The file's buffer is never written to after it is read, so sharing is safe.
func (d *decoder) str() string {
	b := d.raw()
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// bytes returns a slice of the cache file's bytes, capped so an append copies.
func (d *decoder) bytes() []byte { return d.raw() }

func (d *decoder) bool() bool {
	if len(d.b) == 0 {
		d.fail()
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

func (d *decoder) time() time.Time {
	var t time.Time
	if data := d.raw(); len(data) > 0 {
		if err := t.UnmarshalBinary(data); err != nil {
			d.fail()
		}
	}
	return t
}

func (d *decoder) strs() []string {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

func (d *decoder) strMap() map[string]string { return strMapOf[string](d) }

// strMapOf reads what encoder.strMap wrote into a map of values of type V.
func strMapOf[V ~string](d *decoder) map[string]V {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	m := make(map[string]V, n)
	for range n {
		k := d.str()
		m[k] = V(d.str())
	}
	return m
}

// params writes a page's free-form params as JSON: they are rare and small. A date
// among them comes back as text.
func (e *encoder) params(m map[string]any) {
	if len(m) == 0 {
		e.str("")
		return
	}
	data, err := json.Marshal(m)
	if err != nil {
		data = nil // a value JSON cannot hold: the page is read again when it renders
	}
	e.bytes(data)
}

func (d *decoder) params() map[string]any {
	data := d.str()
	if data == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		d.fail()
	}
	return m
}

// page writes a record's page: the fields the record keeps apart from Page
// (recorded) from last, as the build that made the record left them.
func (e *encoder) page(p *Page, last *recorded) {
	e.str(string(p.Kind))
	for _, s := range []string{p.File, p.ID, last.URL, p.Permalink, p.Title, p.Summary, p.Discussion,
		p.Video, p.Opens, string(last.VideoEmbed), p.Hash, p.ActivityURL, p.OnlyCohort} {
		e.str(s)
	}
	e.time(p.Date)
	e.bool(p.Draft)
	e.bool(last.HasMath)
	e.bool(last.HasDiagram)
	for _, v := range []int64{int64(p.Weight), int64(p.Duration), int64(p.Words), int64(p.ReadingTime),
		int64(last.Order), int64(last.Number)} {
		e.int(v)
	}
	e.strs(p.Tags)
	e.strs(p.Objectives)
	e.strs(p.Aliases)
	e.strs(p.Quotes)
	e.params(p.Params)
	e.uint(uint64(len(last.TOC)))
	for _, h := range last.TOC {
		e.int(int64(h.Level))
		e.str(h.ID)
		e.str(h.Text)
	}
	e.bool(p.Assignment)
	e.strs(p.Feedback)
}

func (d *decoder) page(p *Page) {
	p.Kind = Kind(d.str())
	for _, s := range []*string{&p.File, &p.ID, &p.URL, &p.Permalink, &p.Title, &p.Summary, &p.Discussion,
		&p.Video, &p.Opens} {
		*s = d.str()
	}
	p.VideoEmbed = template.HTML(d.str())
	p.Hash = d.str()
	p.ActivityURL = d.str()
	p.OnlyCohort = d.str()
	p.Date = d.time()
	p.Draft = d.bool()
	p.HasMath = d.bool()
	p.HasDiagram = d.bool()
	p.Weight = int(d.int())
	p.Duration = time.Duration(d.int())
	p.Words = int(d.int())
	p.ReadingTime = time.Duration(d.int())
	p.Order = int(d.int())
	p.Number = int(d.int())
	p.Tags = d.strs()
	p.Objectives = d.strs()
	p.Aliases = d.strs()
	p.Quotes = d.strs()
	p.Params = d.params()
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail()
		return
	}
	if n > 0 {
		p.TOC = make([]Heading, n)
	}
	for i := range p.TOC {
		p.TOC[i] = Heading{Level: int(d.int()), ID: d.str(), Text: d.str()}
	}
	p.Assignment = d.bool()
	p.Feedback = d.strs()
}

// encodeTo writes s as a base file to w and returns the sizes of its two
// sections. The first section's length, in its first bytes after the magic,
// is left zero: the caller, who can seek, writes it there (headSizeAt).
//
// The records are encoded on all cores, a few chunks at a time, each into a
// buffer that the next chunks reuse once it is written: at 10,000 lessons the
// first section is tens of MB, and encoding it whole into fresh buffers, at the
// end of a cold build whose heap is at its limit, had the collector assist most
// of the save.
func (s *state) encodeTo(w io.Writer) (headSize, blobSize int, err error) {
	write := func(p []byte) {
		if err == nil {
			_, err = w.Write(p)
		}
	}
	e := &encoder{}
	e.b = append(e.b, cacheMagic...)
	e.b = binary.LittleEndian.AppendUint64(e.b, 0) // section 1's length, set by the caller
	e.str(s.Version)
	e.str(s.Key)
	e.uint(uint64(len(s.Files)))
	write(e.b)
	headSize = len(e.b)
	files := slices.Sorted(maps.Keys(s.Files)) // in path order, as a load keeps them (state.names)
	frags := slices.Collect(maps.Keys(s.Frags))
	nFiles, nFrags := chunks(len(files), encodeChunk), chunks(len(frags), encodeChunk)
	// The entries' blobs are numbered by their place in the second section:
	// each chunk of entries starts where the blobs of those before it end.
	fragBlobs := make([]*blobList, nFrags)
	at := 0
	for c := range fragBlobs {
		fragBlobs[c] = &blobList{size: at}
		for _, name := range frags[c*encodeChunk : min((c+1)*encodeChunk, len(frags))] {
			at += len(s.Frags[name].Search)
		}
	}
	// The tasks, in the order of their bytes: the chunks of pages' records;
	// outputs, navigation, special keys and the number of entries; the
	// chunks of entries; the folders.
	tasks := nFiles + 1 + nFrags + 1
	// Two sets of buffers: one set's bytes are written, in order, on another
	// goroutine while the next tasks are encoded into the other set. Written
	// between the batches, the writes (tens of MB into the file) left a core
	// idle for about half of the save.
	var sets [2][]encoder
	var free [2]chan struct{} // a token when the set's bytes are written
	for i := range sets {
		sets[i] = make([]encoder, workers())
		free[i] = make(chan struct{}, 1)
		free[i] <- struct{}{}
	}
	type batch struct{ set, n int }
	batches := make(chan batch, 1)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for bt := range batches {
			for j := range bt.n {
				write(sets[bt.set][j].b)
				headSize += len(sets[bt.set][j].b)
			}
			free[bt.set] <- struct{}{}
		}
	}()
	for k, lo := 0, 0; lo < tasks; k, lo = k+1, lo+len(sets[0]) {
		set := k % 2
		encs := sets[set]
		<-free[set]
		n := min(len(encs), tasks-lo)
		parallel(context.Background(), n, func(j int) error {
			e := &encs[j]
			e.b, e.blobs = e.b[:0], nil
			switch t := lo + j; {
			case t < nFiles:
				for _, name := range files[t*encodeChunk : min((t+1)*encodeChunk, len(files))] {
					e.file(name, s.Files[name])
				}
			case t == nFiles:
				e.strMap(s.Outputs)
				navs := make(map[string]string, len(s.Navs))
				for k, v := range s.Navs {
					navs[k] = string(v)
				}
				e.strMap(navs)
				e.strMap(s.Special)
				e.uint(uint64(len(s.Frags)))
			case t < nFiles+1+nFrags:
				c := t - nFiles - 1
				e.blobs = fragBlobs[c]
				for _, name := range frags[c*encodeChunk : min((c+1)*encodeChunk, len(frags))] {
					e.frag(name, s.Frags[name])
				}
			default:
				e.dirs(s.Dirs)
			}
			return nil // encoding only reads the state: nothing to cancel or to fail
		})
		batches <- batch{set, n}
	}
	close(batches)
	<-writerDone // write and headSize are the writer's until here
	for _, l := range fragBlobs {
		for _, p := range l.parts {
			write(p)
			blobSize += len(p)
		}
	}
	return headSize, blobSize, err
}

// headSizeAt is where a base file holds the length of its first section.
const headSizeAt = len(cacheMagic)

// encodeChunk is how many records one task of encode takes.
const encodeChunk = 512

// chunks is how many chunks of size n things make.
func chunks(n, size int) int { return (n + size - 1) / size }

// blobList is the second section of a base file, in order.
type blobList struct {
	parts [][]byte
	size  int
}

// add appends a blob and returns its offset in the section.
func (l *blobList) add(p []byte) int {
	off := l.size
	l.parts = append(l.parts, p)
	l.size += len(p)
	return off
}

// decodeState reads what encode wrote. The state shares data's bytes, which
// must therefore never change or be unmapped while it is in use.
func decodeState(data []byte) (*state, error) {
	if len(data) < len(cacheMagic)+8 || string(data[:len(cacheMagic)]) != cacheMagic {
		return nil, errors.New("not a cache file of this cohort version")
	}
	data = data[len(cacheMagic):]
	n1 := binary.LittleEndian.Uint64(data)
	data = data[8:]
	if n1 > uint64(len(data)) {
		return nil, fmt.Errorf("decode: %w", errCorrupt)
	}
	d := &decoder{b: data[:n1], blobs: data[n1:]}
	s := &state{Version: d.str(), Key: d.str(), blobSize: len(d.blobs)}
	// A first pass finds each record (its name and bounds) and gives it its
	// place, all records of a kind in one allocation; the records are then
	// decoded on all cores, into those places.
	n := d.uint()
	if n > uint64(len(d.b)) {
		return nil, fmt.Errorf("decode: %w", errCorrupt)
	}
	files := make([]cachedPage, n)
	pages := make([]Page, n) // lent to the build as they are (reuser.reuse)
	// Where each record starts in section 1, its length before it (sized):
	// a tenth of the memory of a slice per record.
	fileAt := make([]int, n)
	section := d.b
	s.Files = make(map[string]*cachedPage, n) // sized once, not grown through ten thousand entries
	s.names, s.ordered = make([]string, n), make([]*cachedPage, n)
	sorted := true
	for i := range files {
		name := d.str()
		fileAt[i] = len(section) - len(d.b)
		d.sized()
		files[i].Page = &pages[i]
		s.Files[name] = &files[i]
		s.names[i], s.ordered[i] = name, &files[i]
		sorted = sorted && (i == 0 || s.names[i-1] < name)
	}
	if !sorted { // not written in path order: looked up by name instead
		s.names, s.ordered = nil, nil
	}
	s.Outputs = d.strMap()
	s.Navs = strMapOf[template.HTML](d) // read as it is, not into a map of strings copied over
	s.Special = d.strMap()
	n = d.uint()
	if n > uint64(len(d.b)) {
		return nil, fmt.Errorf("decode: %w", errCorrupt)
	}
	frags := make([]pageFrags, n)
	fragAt := make([]int, n)
	s.Frags = make(map[string]*pageFrags, n)
	for i := range frags {
		name := d.str()
		fragAt[i] = len(section) - len(d.b)
		d.sized()
		s.Frags[name] = &frags[i]
	}
	s.Dirs = d.dirs()
	if d.err != nil {
		return nil, fmt.Errorf("decode: %w", d.err)
	}
	err := parallelChunks(context.Background(), len(files)+len(frags), decodeChunk, func(lo, hi int) error {
		r := &decoder{blobs: d.blobs} // its own: it reports the chunk's first error
		for i := lo; i < hi && r.err == nil; i++ {
			if i < len(files) {
				r.fileBody(bodyAt(section, fileAt[i]), &files[i])
			} else {
				r.fragBody(bodyAt(section, fragAt[i-len(files)]), &frags[i-len(files)])
			}
		}
		return r.err
	}) // build.go
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return s, nil
}

// bodyAt returns the record that starts at offset at of section: its length,
// in four bytes (sized), then its bytes. decodeState found its bounds valid.
func bodyAt(section []byte, at int) []byte {
	n := int(binary.LittleEndian.Uint32(section[at:]))
	return section[at+4 : at+4+n : at+4+n]
}

// decodeChunk is how many records a decoding goroutine takes at a time:
// enough that handing them out costs nothing beside decoding them.
const decodeChunk = 256

// The cache is a base snapshot plus a log of deltas appended after it: a
// one-lesson rebuild of a 10,000-lesson course writes a few kilobytes instead of
// re-encoding tens of megabytes. The log is folded into a new base when it grows
// past a quarter of the base.

// deltaMagic starts every delta record; records are length-prefixed and end in a
// CRC, so a record torn by a crash is recognised and ignored.
const deltaMagic = "cohort-delta-1\n"

// sized writes what body appends to e, preceded by its length in four bytes.
func (e *encoder) sized(body func()) {
	at := len(e.b)
	e.b = binary.LittleEndian.AppendUint32(e.b, 0)
	body()
	binary.LittleEndian.PutUint32(e.b[at:], uint32(len(e.b)-at-4))
}

// sized reads what encoder.sized wrote: the bytes of one record.
func (d *decoder) sized() []byte {
	if len(d.b) < 4 {
		d.fail()
		return nil
	}
	n := binary.LittleEndian.Uint32(d.b)
	if uint64(n) > uint64(len(d.b)-4) {
		d.fail()
		return nil
	}
	p := d.b[4 : 4+n : 4+n]
	d.b = d.b[4+n:]
	return p
}

func (e *encoder) file(name string, c *cachedPage) {
	e.str(name)
	e.sized(func() { e.fileBody(c) })
}

func (e *encoder) fileBody(c *cachedPage) {
	e.int(c.Size)
	e.int(c.ModTime)
	e.int(c.Change)
	e.str(c.RenderKey)
	e.page(c.Page, &c.Last)
	// A page lent to a build (reuser.reuse) may have moved since the record
	// was made: its card key then is not the recorded page's.
	if p := c.Page; p.URL == c.Last.URL && p.Order == c.Last.Order {
		e.str(storedCardKey(p)) // render.go
	} else {
		e.str("")
	}
	// The reads follow their length, so that a load passes over them in one
	// step: walking their strings only to find their end was a tenth of
	// loading the cache.
	e.sized(func() {
		if c.Reads == nil && c.readsRaw != nil {
			e.b = append(e.b, c.readsRaw...) // as loaded: the same encoding
		} else {
			e.strMap(c.Reads)
		}
	})
	e.uint(uint64(len(c.Frags)))
	for _, f := range c.Frags {
		e.str(f.Target)
		e.str(f.Fragment)
		e.str(f.Dest)
	}
	e.str(c.Body.Key)
	e.int(c.Body.At)
	e.int(c.Body.Len)
	e.str(c.Body.Hash)
}

func (d *decoder) file() (string, *cachedPage) {
	name, body := d.str(), d.sized()
	c := &cachedPage{Page: new(Page)}
	if d.err == nil {
		d.fileBody(body, c)
	}
	return name, c
}

// fileBody decodes one page's record, body, into c, whose Page is set.
func (d *decoder) fileBody(body []byte, c *cachedPage) {
	r := &decoder{b: body}
	c.Size, c.ModTime, c.Change, c.RenderKey = r.int(), r.int(), r.int(), r.str()
	r.page(c.Page)
	c.Last = recordedOf(c.Page) // the same strings and headings, shared
	if key := r.str(); key != "" {
		c.Page.cardKey, c.Page.cardIn = key, cardInputsOf(c.Page) // as storedCardKey wrote it
	}
	c.readsRaw = r.sized()
	nf := r.uint()
	if nf > uint64(len(r.b)) {
		r.fail()
	} else if nf > 0 {
		c.Frags = make([]cachedFrag, 0, nf)
	}
	for j := uint64(0); j < nf && r.err == nil; j++ {
		c.Frags = append(c.Frags, cachedFrag{Target: r.str(), Fragment: r.str(), Dest: r.str()})
	}
	c.Body.Key, c.Body.At, c.Body.Len, c.Body.Hash = r.str(), r.int(), r.int(), r.str()
	if r.err != nil || len(r.b) != 0 {
		d.fail()
	}
}

func (e *encoder) frag(name string, f *pageFrags) {
	e.str(name)
	e.sized(func() {
		e.str(f.Key)
		e.bytes(f.Sitemap)
		e.blob(f.Search)
		e.bytes(f.Manifest)
	})
}

func (d *decoder) frag() (string, *pageFrags) {
	name, body := d.str(), d.sized()
	f := &pageFrags{}
	if d.err == nil {
		d.fragBody(body, f)
	}
	return name, f
}

// fragBody decodes one page's entries, body, into f; blobs are the base
// file's second section, as in d.
func (d *decoder) fragBody(body []byte, f *pageFrags) {
	r := &decoder{b: body, blobs: d.blobs}
	f.Key, f.Sitemap, f.Search, f.Manifest = r.str(), r.bytes(), r.blob(), r.bytes()
	if r.err != nil || len(r.b) != 0 {
		d.fail()
	}
}

// blob writes a value a rebuild seldom reads: in a base file, its place in the
// second section; in a delta, the value itself.
func (e *encoder) blob(p []byte) {
	if e.blobs == nil {
		e.bytes(p)
		return
	}
	e.uint(uint64(e.blobs.add(p)))
	e.uint(uint64(len(p)))
}

// blob reads what encoder.blob wrote, as a slice of the second section: with
// the file mapped, nothing is read from disk until the slice is looked at.
func (d *decoder) blob() []byte {
	if d.blobs == nil {
		return d.bytes()
	}
	off, n := d.uint(), d.uint()
	if off > uint64(len(d.blobs)) || n > uint64(len(d.blobs))-off {
		d.fail()
		return nil
	}
	if n == 0 {
		return nil
	}
	return d.blobs[off : off+n : off+n]
}

// delta encodes what changed from old (the state as the cache folder has it) to
// s, or returns nil when nothing did. Entries a build kept are the same pointers
// as in old, so comparing them is cheap.
func (s *state) delta(old *state) []byte {
	e := &encoder{b: make([]byte, 0, 64<<10)}
	e.str(s.Version)
	e.str(s.Key)
	var changed, gone []string
	if s.from == old {
		changed, gone = diffTouched(old.Files, s.Files, s.touched)
	} else {
		changed, gone = diffKeys(old.Files, s.Files)
	}
	e.uint(uint64(len(changed)))
	for _, name := range changed {
		e.file(name, s.Files[name])
	}
	e.strs(gone)
	n := len(changed) + len(gone)
	if s.outputsFrom != nil && sameMap(s.outputsFrom, old.Outputs) {
		n += writeDelta(e, s.Outputs, s.outputsChanged, s.outputsGone)
	} else {
		n += strDelta(e, old.Outputs, s.Outputs)
	}
	n += strDelta(e, old.Navs, s.Navs)
	n += strDelta(e, old.Special, s.Special)
	if s.from == old {
		changed, gone = diffTouched(old.Frags, s.Frags, s.touched)
	} else {
		changed, gone = diffKeys(old.Frags, s.Frags)
	}
	e.uint(uint64(len(changed)))
	for _, name := range changed {
		e.frag(name, s.Frags[name])
	}
	e.strs(gone)
	n += len(changed) + len(gone)
	changed, gone = diffKeys(old.Dirs, s.Dirs)
	e.uint(uint64(len(changed)))
	for _, name := range changed {
		e.dir(name, s.Dirs[name])
	}
	e.strs(gone)
	n += len(changed) + len(gone)
	if n == 0 {
		return nil
	}
	return e.b
}

// diffKeys lists the keys of next whose value is not old's (new ones too), and
// the keys of old that next no longer has.
func diffKeys[V comparable](old, next map[string]V) (changed, gone []string) {
	for k, v := range next {
		if ov, ok := old[k]; !ok || ov != v {
			changed = append(changed, k)
		}
	}
	for k := range old {
		if _, ok := next[k]; !ok {
			gone = append(gone, k)
		}
	}
	return changed, gone
}

// diffTouched is diffKeys for a map made from old by changing only the keys in
// touched (state.from): it looks at those alone, each once.
func diffTouched[V comparable](old, next map[string]V, touched []string) (changed, gone []string) {
	touched = slices.Compact(slices.Sorted(slices.Values(touched)))
	for _, k := range touched {
		nv, nok := next[k]
		ov, ook := old[k]
		switch {
		case !nok && ook:
			gone = append(gone, k)
		case nok && (!ook || ov != nv):
			changed = append(changed, k)
		}
	}
	return changed, gone
}

// sameMap tells whether a and b are the same map, not merely equal ones.
func sameMap(a, b map[string]string) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// writeDelta writes, as strDelta does, the entries of next named in changed
// and the keys in gone, and returns how many it wrote.
func writeDelta(e *encoder, next map[string]string, changed, gone []string) int {
	e.uint(uint64(len(changed)))
	for _, k := range changed {
		e.str(k)
		e.str(next[k])
	}
	e.strs(gone)
	return len(changed) + len(gone)
}

// strDelta writes, as strMap then strs, the entries of next that differ from
// old and the keys gone, and returns how many it wrote.
func strDelta[V ~string](e *encoder, old, next map[string]V) int {
	changed, gone := diffKeys(old, next)
	e.uint(uint64(len(changed)))
	for _, k := range changed {
		e.str(k)
		e.str(string(next[k]))
	}
	e.strs(gone)
	return len(changed) + len(gone)
}

// applyDeltas applies the log's delta records to s, in order. A page's record,
// or its entries, that a later delta replaces is only passed over, not
// decoded: a session of edits logs the same pages again and again (a module's
// hundred lessons after each change of a title), and decoding every version
// was most of the time a long log took to load (9-10 ms for 5.4 MB).
func (s *state) applyDeltas(recs [][]byte) error {
	// The last version of each file's record and entries the log holds; nil
	// for one it removes.
	files, frags := map[string][]byte{}, map[string][]byte{}
	for _, data := range recs {
		d := &decoder{b: data}
		s.Version, s.Key = d.str(), d.str()
		lastOf(files, d)
		applyMap(s.Outputs, d)
		applyMap(s.Navs, d)
		applyMap(s.Special, d)
		lastOf(frags, d)
		if s.Dirs == nil {
			s.Dirs = map[string]*dirRecord{}
		}
		n := d.uint()
		for i := uint64(0); i < n && d.err == nil; i++ {
			name, r := d.dir()
			s.Dirs[name] = r
		}
		for _, name := range d.strs() {
			delete(s.Dirs, name)
		}
		if d.err != nil {
			return fmt.Errorf("decode delta: %w", d.err)
		}
	}
	d := &decoder{} // no blobs: a delta holds its values itself
	for _, name := range slices.Sorted(maps.Keys(files)) {
		j, found := slices.BinarySearch(s.names, name)
		body := files[name]
		if body == nil {
			delete(s.Files, name)
			if found {
				s.names, s.ordered = slices.Delete(s.names, j, j+1), slices.Delete(s.ordered, j, j+1)
			}
			continue
		}
		c := &cachedPage{Page: new(Page)}
		if d.fileBody(body, c); d.err != nil {
			return fmt.Errorf("decode delta: %s: %w", name, d.err)
		}
		s.Files[name] = c
		if found {
			s.ordered[j] = c
		} else if s.names != nil {
			s.names, s.ordered = slices.Insert(s.names, j, name), slices.Insert(s.ordered, j, c)
		}
	}
	for name, body := range frags {
		if body == nil {
			delete(s.Frags, name)
			continue
		}
		f := &pageFrags{}
		if d.fragBody(body, f); d.err != nil {
			return fmt.Errorf("decode delta: %s: %w", name, d.err)
		}
		s.Frags[name] = f
	}
	return nil
}

// lastOf reads a delta's records of one kind (files' or entries': each a
// name and a sized body) and then the names it removes, into last: a later
// delta's body or removal replaces an earlier one's.
func lastOf(last map[string][]byte, d *decoder) {
	n := d.uint()
	for i := uint64(0); i < n && d.err == nil; i++ {
		name, body := d.str(), d.sized()
		last[name] = body
	}
	for _, name := range d.strs() {
		last[name] = nil
	}
}

func applyMap[V ~string](m map[string]V, d *decoder) {
	for k, v := range d.strMap() {
		m[k] = V(v)
	}
	for _, k := range d.strs() {
		delete(m, k)
	}
}

// appendRecord frames a delta for the log: magic, length, payload, CRC-32C.
func appendRecord(b, payload []byte) []byte {
	b = append(b, deltaMagic...)
	b = binary.AppendUvarint(b, uint64(len(payload)))
	b = append(b, payload...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(payload, crcTable))
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// records splits a log into its intact delta payloads; a torn or damaged record,
// and everything after it, is left out.
func records(log []byte) [][]byte {
	var out [][]byte
	for len(log) > 0 {
		if len(log) < len(deltaMagic) || string(log[:len(deltaMagic)]) != deltaMagic {
			break
		}
		log = log[len(deltaMagic):]
		n, k := binary.Uvarint(log)
		if k <= 0 || uint64(len(log)-k) < n+4 {
			break
		}
		payload := log[k : k+int(n)]
		sum := binary.LittleEndian.Uint32(log[k+int(n):])
		if crc32.Checksum(payload, crcTable) != sum {
			break
		}
		out = append(out, payload)
		log = log[k+int(n)+4:]
	}
	return out
}

func (e *encoder) dirs(m map[string]*dirRecord) {
	e.uint(uint64(len(m)))
	for name, d := range m {
		e.dir(name, d)
	}
}

func (e *encoder) dir(name string, d *dirRecord) {
	e.str(name)
	e.int(d.Mtime)
	e.int(d.Change)
	e.int(d.Listed)
	e.bool(d.Links)
	e.strs(d.Files)
	e.strs(d.Dirs)
}

func (d *decoder) dirs() map[string]*dirRecord {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	m := make(map[string]*dirRecord, n)
	for range n {
		name, r := d.dir()
		m[name] = r
	}
	return m
}

func (d *decoder) dir() (string, *dirRecord) {
	name := d.str()
	r := &dirRecord{Mtime: d.int(), Change: d.int(), Listed: d.int(), Links: d.bool()}
	r.Files = d.strs()
	r.Dirs = d.strs()
	return name, r
}
