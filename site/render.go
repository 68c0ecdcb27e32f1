package site

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"path"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/cohort-course/cohort/site/markdown"
)

// bufPool recycles the buffers pages are executed into.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// execute runs the named layout with data and returns a copy of the bytes.
func (t *Theme) execute(name string, data any) ([]byte, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if err := t.executeLayout(buf, name, data); err != nil {
		return nil, fmt.Errorf("layouts/%s: %w", name, err)
	}
	return bytes.Clone(buf.Bytes()), nil
}

// executeHTML runs a partial once, for output shared by many pages.
func (t *Theme) executeHTML(name string, data any) (template.HTML, error) {
	if t.templates.Lookup(name) == nil {
		return "", nil
	}
	b, err := t.execute(name, data)
	return template.HTML(b), err
}

// renderBody renders p's Markdown into p.Content and p.TOC, and its video into
// p.VideoEmbed. Broken links become an *Error at the file's own line.
func renderBody(md *markdown.Renderer, ix *linkIndex, cfg *Config, sd *SiteData, p *Page, log *linkLog, watchLabel string) error {
	file := path.Join(ContentDir, p.File)
	res, err := md.RenderPage(p.src, markdown.Env{
		Resolve: ix.resolver(p, log),
		Ref:     ix.refResolver(p, log), // shortcodes.go
		Param:   paramLookup(p, cfg),
		Page:    shortcodeScope{page: p, site: sd}, // for the course's own shortcodes
		Image:   ix.imageLookup,                    // images.go
	})
	if err != nil {
		var le *markdown.LinkError
		if errors.As(err, &le) {
			return &Error{File: file, Line: p.bodyLine + le.Line - 1, Err: fmt.Errorf("link %s: %w", le.Dest, le.Err)}
		}
		var se *markdown.ShortcodeError
		if errors.As(err, &se) {
			return &Error{File: file, Line: p.bodyLine + se.Line - 1, Err: fmt.Errorf("shortcode %q: %w", se.Name, se.Err)}
		}
		var me *markdown.MathError
		if errors.As(err, &me) {
			return &Error{File: file, Line: p.bodyLine + me.Line - 1, Err: fmt.Errorf("math %q: %w", me.TeX, me.Err)}
		}
		return &Error{File: file, Err: fmt.Errorf("markdown: %w", err)}
	}
	// res.HTML is this render's own copy, never written to again: the page's
	// Content shares it rather than copying every page's body once more.
	p.Content = template.HTML(unsafe.String(unsafe.SliceData(res.HTML), len(res.HTML)))
	p.HasMath, p.HasDiagram, p.mathCSS = res.MathCSS != nil, res.Diagram, res.MathCSS
	p.TOC = nil // a new slice: a reused page's TOC is the cache's (cache.go, reuse)
	for _, h := range res.TOC {
		p.TOC = append(p.TOC, Heading{Level: h.Level, ID: h.ID, Text: h.Text})
	}
	return embedVideo(md, p, watchLabel)
}

// embedVideo sets p.VideoEmbed from p.Video. It is not Markdown, and reads the
// page's title: a page whose body is the last build's (pages.go, lastBody)
// makes it again.
func embedVideo(md *markdown.Renderer, p *Page, watchLabel string) error {
	p.VideoEmbed = ""
	if p.Video != "" {
		file := path.Join(ContentDir, p.File)
		embed, ok := md.VideoEmbed(p.Video, p.Title)
		if !ok {
			// Not a player cohort knows: the author said it is the lesson's video, so link it.
			u, err := url.Parse(p.Video)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return &Error{File: file, Err: fmt.Errorf("video: %q is not an http(s) URL", p.Video)}
			}
			embed = template.HTML(`<figure class="video"><a class="video-link" href="` +
				template.HTMLEscapeString(p.Video) + `">` + template.HTMLEscapeString(watchLabel+p.Title) +
				` (` + template.HTMLEscapeString(u.Host) + `)</a></figure>`)
		}
		p.VideoEmbed = embed
	}
	return nil
}

// keyer builds render keys: a hash of everything that goes into one output, so
// that a page whose key did not change need not be rendered again. It collects
// bytes and hashes them once, which is much cheaper than many small writes.
type keyer struct{ buf []byte }

func newKeyer() *keyer { return &keyer{buf: make([]byte, 0, 512)} }

func (k *keyer) str(ss ...string) *keyer {
	for _, s := range ss {
		k.buf = binary.LittleEndian.AppendUint64(k.buf, uint64(len(s)))
		k.buf = append(k.buf, s...)
	}
	return k
}

func (k *keyer) int(is ...int64) *keyer {
	for _, i := range is {
		k.buf = binary.LittleEndian.AppendUint64(k.buf, uint64(i))
	}
	return k
}

// card adds what a list or a neighbour shows of a page: its card digest,
// computed once per page and build by cardKeys.
func (k *keyer) card(p *Page) *keyer {
	if p == nil {
		return k.str("")
	}
	return k.str(p.cardKey)
}

// cardKeys gives every page the digest of what lists and neighbours show of it,
// in parallel, so that render keys hash 16 bytes per neighbour rather than titles
// and summaries again and again.
func cardKeys(ctx context.Context, all []*Page) error {
	// A page whose card shows what it showed in the last build keeps its key:
	// comparing the fields (the same strings, mostly, compared by pointer) is
	// what a serve rebuild pays for ten thousand unchanged cards.
	// The comparison too runs on all cores, a chunk at a time: each page is
	// a cache miss or two.
	redoIn := make([][]*Page, (len(all)+cardChunk-1)/cardChunk)
	if err := parallelChunks(ctx, len(all), cardChunk, func(lo, hi int) error {
		var redo []*Page
		for _, p := range all[lo:hi] {
			in := cardInputsOf(p)
			if p.cardKey == "" || p.cardIn != in {
				p.cardIn = in
				redo = append(redo, p)
			}
		}
		redoIn[lo/cardChunk] = redo
		return nil
	}); err != nil {
		return err
	}
	redo := slices.Concat(redoIn...)
	return parallel(ctx, len(redo), func(i int) error {
		p := redo[i]
		k := cardKeyers.Get().(*keyer)
		defer cardKeyers.Put(k)
		k.buf = k.buf[:0]
		k.str(p.Title, p.URL, p.Summary, p.ID).int(int64(p.ReadingTime), p.Date.Unix(), int64(p.Order))
		if p.Locked {
			k.str("locked").int(p.OpensAt.UnixNano())
		}
		p.cardKey = p.cardMemo.sum(k.buf)
		return nil
	})
}

// cardChunk is how many pages one goroutine of cardKeys compares at a time.
const cardChunk = 1024

// cardInputs are what a page's card key is made of, as they were when it was
// last made.
type cardInputs struct {
	title, url, summary, id string
	readingTime             time.Duration
	date                    int64
	order                   int
	locked                  bool
	opens                   int64
}

// cardInputsOf returns what p's card key is made of now.
func cardInputsOf(p *Page) cardInputs {
	in := cardInputs{p.Title, p.URL, p.Summary, p.ID, p.ReadingTime, p.Date.Unix(), p.Order, p.Locked, 0}
	if p.Locked {
		in.opens = p.OpensAt.UnixNano()
	}
	return in
}

// storedCardKey is the card key a page's record keeps in the cache: its key
// when it was made of the record's own fields, as a page decoded from the
// record has them (an open page: whether a lesson is locked is not recorded),
// else "". A fresh process then hashes again only the cards that differ from
// the last build's (cardKeys), not ten thousand.
func storedCardKey(p *Page) string {
	if p.cardKey == "" || p.Locked || p.cardIn != cardInputsOf(p) {
		return ""
	}
	return p.cardKey
}

// cardKeyers are the scratch buffers of cardKeys, so that the cards made
// again allocate only when their bytes differ from the memo's.
var cardKeyers = sync.Pool{New: func() any { return newKeyer() }}

// keyMemo remembers the last bytes hashed for a key and the digest: a page that
// serve builds again with the same inputs gets its key without hashing.
type keyMemo struct {
	in  []byte
	out string
}

// sum returns the digest of in; in is copied, not kept, so the caller may
// reuse it. The copy is a new slice, never m.in written over: a page's copies
// (the cache's snapshot, cache.go) share the memo's bytes.
func (m *keyMemo) sum(in []byte) string {
	if m.out != "" && bytes.Equal(m.in, in) {
		return m.out
	}
	m.in, m.out = bytes.Clone(in), digest(in) // digest.go
	return m.out
}

func (k *keyer) sum() string {
	return digest(k.buf) // digest.go
}

// courseKey covers everything a template can read of every page, but the
// rendered body (which other pages cannot rely on: pages render in parallel): it
// goes into every output's key when a course's own layout reaches other pages
// (Theme.ReadsCourse).
func courseKey(c *Course) string {
	k := newKeyer()
	for _, p := range c.All() {
		k.str(p.File, p.Hash, p.cardKey, p.Cohort, p.ActivityURL, p.Thread.key()).int(int64(p.Number), p.OpensAt.UnixNano())
		for _, a := range p.Archive {
			k.str(a.Cohort.ID, a.URL, a.Thread.key())
		}
	}
	return k.sum()
}

// moduleKey covers what a module's navigation shows.
func moduleKey(m *Module) string {
	k := newKeyer().card(m.Page).int(int64(m.Number), int64(m.Duration))
	for _, l := range m.Lessons {
		k.card(l)
	}
	return k.sum()
}
