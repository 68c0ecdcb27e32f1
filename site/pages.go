package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/cohort-course/cohort/site/deps"

	"github.com/cohort-course/cohort/site/markdown"
)

// run is one build in progress: everything read, nothing yet committed.
type run struct {
	b      *Builder
	ctx    context.Context
	cfg    *Config
	theme  *Theme
	course *Course
	tree   *tree
	out    *output
	prev   *state
	key    string
	md     *markdown.Renderer

	site      *SiteData
	schedules []*Schedule

	ix *linkIndex
	// basePath is r.cfg.BasePath(), which parses the base URL: made once per
	// build rather than once per page's output path.
	basePath string
	navs     map[*Module]template.HTML // per module: rendered once, or kept from the last build
	modKeys  map[*Module]string
	pagesKey string
	outline  string // key of the course outline: every module's key
	// imagesKey covers every image's size and copies: pages show them (images.go).
	imagesKey string

	outlineOnce sync.Once
	outlineHTML template.HTML
	outlineErr  error

	// lessonHeader is every lesson page's header, when the theme's own (Theme.themeHeader).
	lessonHeader template.HTML

	rendered int  // pages whose layout ran
	markdown int  // of those, pages whose Markdown ran too (the others' body was the last build's)
	looked   int  // pages renderPage checked
	reread   bool // some source was read again: its size or time changed
	// visit holds the pages this build looked at (affected.go); nil: all of them.
	visit map[*Page]bool
	// changed holds the pages whose source or thread changed, when visit is set.
	changed []*Page
	// touched names, when visit is set, the files whose entries in r.next.Files
	// or r.next.Frags may differ from the last build's (state.from).
	touched []string
	// fragsSame: every page's entry in the whole-course files is the last build's,
	// in the same order (fragsOrder), so those files need not be assembled again.
	fragsSame bool
	// sitemapSame and manifestSame: no page's entry in sitemap.xml or
	// lessons.json changed its bytes, in the same order (frags.go).
	sitemapSame, manifestSame bool
	// manifestHead digests lessons.json without its lessons (manifest.go).
	manifestHead string
	fragsOrder   string
	// carried holds, by index in Course.All, how many of the last build's
	// files each page carried over was counted as making (carry: 1 or 0);
	// nil when every page is looked at.
	carried []int8
	// looked lists, by index in Course.All, the pages whose entries makeFrags
	// made or checked again: the others' are the last build's (frags.go).
	lookedAt []int
	// settled is the number of the last successful build (Builder.settled),
	// 0 when unknown: a page that carries it is that build's, unchanged.
	settled int
	timer   *stepTimer
	journal *Journal // the reflection journals, nil without (journal.go)
	mu      sync.Mutex
	next    *state
}

// linkLog is what rendering one page learned about its links.
type linkLog struct {
	frags []fragmentRef
	reads deps.Recorder // every page, URL and file its links looked up, with the answer
}

// render renders every page whose inputs changed, and the files made from the whole
// course, into r.out. It returns the state to keep for the next build.
func (r *run) render() (*state, error) {
	c := r.course
	step := r.timer.done
	// The records of pages and their entries start empty: a build that looks
	// at only some pages copies the last build's maps whole (below, and
	// makeFrags), and one that looks at every page sizes them then.
	r.next = &state{Version: Version, Key: r.key, Files: map[string]*cachedPage{},
		Navs: map[string]template.HTML{}, Special: map[string]string{}, Frags: map[string]*pageFrags{}}
	r.basePath = r.cfg.BasePath()
	r.site = r.siteData()
	r.ix = c.pageLinks() // links.go: this build's URLs; its pages' are added below (withPages)
	for _, a := range r.tree.assets {
		r.ix.assets[a.path] = true
		r.ix.addURL(a.path)
	}
	for rel := range r.theme.static {
		r.ix.addURL(rel)
	}
	for _, rel := range generatedFiles {
		r.ix.addURL(rel)
	}
	if len(r.schedules) > 0 {
		r.ix.addURL("schedule/index.html")
	}
	if err := r.scanImages(); err != nil { // images.go
		return nil, err
	}
	for _, l := range c.Lessons {
		for _, a := range l.Archive {
			r.ix.addURL(r.outPath(a.URL))
		}
		for _, tp := range l.ThreadPages {
			if tp.Number > 1 || tp.Reply != nil {
				r.ix.addURL(r.outPath(tp.URL))
			}
		}
	}

	if err := cardKeys(r.ctx, c.All()); err != nil {
		return nil, err
	}
	r.navs = map[*Module]template.HTML{}
	r.modKeys = map[*Module]string{}
	everything := ""
	if r.theme.ReadsCourse {
		everything = courseKey(c)
	}
	outlineKey, modulesKey := newKeyer(), newKeyer()
	modKeys := make([]string, len(c.Modules)) // each module's, made once for the outline and its navigation
	for i, m := range c.Modules {
		modKeys[i] = moduleKey(m)
		outlineKey.str(modKeys[i] + everything)
		// Exactly what partials/sidebar.html shows of another module when it
		// does not list lessons: a wider key (the module's card, its total
		// time) made one lesson's new reading time re-render every page. A
		// course's own sidebar that reads more sets ReadsCourse (everything).
		modulesKey.str(m.Page.Title, m.Page.URL).int(int64(m.Number))
	}
	r.outline = outlineKey.sum()
	// The sidebar lists every module: a lesson page depends on the others'
	// numbers and titles, and on their lessons' when it lists those too.
	sidebar := SidebarData{Course: c, AllLessons: len(c.Lessons) <= MaxSidebarLessons}
	sidebarKey := modulesKey.sum()
	if sidebar.AllLessons {
		sidebarKey = r.outline
	}
	r.moduleParts(modKeys, everything) // before anything that may call modulePart, the sidebars too
	// Each module's sidebar, rendered on all cores when the last build's does
	// not do (a cold build: a hundred templates, a tenth of a second on one core).
	navs, navKeys := make([]template.HTML, len(c.Modules)), make([]string, len(c.Modules))
	var redo []int
	for i := range c.Modules {
		navKeys[i] = newKeyer().str(modKeys[i], everything, sidebarKey).sum()
		var ok bool
		if navs[i], ok = r.prev.nav(navKeys[i]); !ok {
			redo = append(redo, i)
		}
	}
	errs := make([]error, len(redo))
	if err := parallel(r.ctx, len(redo), func(j int) error {
		navs[redo[j]], errs[j] = r.sidebar(sidebar, c.Modules[redo[j]])
		return nil
	}); err != nil {
		return nil, err
	}
	for _, err := range errs { // a broken partial: said once, for the first module
		if err != nil {
			return nil, err
		}
	}
	for i, m := range c.Modules {
		r.modKeys[m] = navKeys[i]
		r.navs[m] = navs[i]
		r.next.Navs[navKeys[i]] = navs[i]
	}
	pk := newKeyer().str(everything)
	for _, p := range c.Pages {
		pk.card(p)
	}
	r.pagesKey = pk.sum()
	step("navigation")

	all := c.All()
	for _, p := range all {
		if !p.reused && p.Hash != "" {
			r.reread = true
			break
		}
	}
	if r.theme.themeHeader {
		// The header marks the current page's link; no lesson is linked from it.
		h, err := r.theme.executeHTML("partials/header.html", PageData{Site: r.site, Live: r.b.o.Live})
		if err != nil {
			return nil, fmt.Errorf("render header: %w", err)
		}
		r.lessonHeader = h
	}
	// Only the pages that read what changed are looked at (affected.go); the
	// others keep their record and output as the last build left them.
	look := all
	var olds []*cachedPage
	if r.visit, olds = r.affected(all); r.visit != nil {
		// The pages not looked at keep the last build's records, taken over
		// whole: the map is copied in one go, and the looked-at pages
		// overwrite their entries (the page set is the last build's, or the
		// wide key would have differed).
		cloned := make(chan struct{})
		go func() { r.next.Files = maps.Clone(r.prev.Files); close(cloned) }()
		// So are the output's records of their files, on the other core
		// meanwhile, and the files of a page carried over as the last
		// build made it are only counted (carry, output.inherit).
		r.carried = make([]int8, len(all))
		r.out.inherit(func() []string { return r.carriedFiles(all) })
		<-cloned
		// The others are carried over on all cores, a chunk at a time; the
		// pages that cannot be are marked here, in page order.
		miss := make([]bool, len(all))
		if err := parallelChunks(r.ctx, len(all), carryChunk, func(lo, hi int) error {
			k := r.out.keeper()
			n := 0
			for i := lo; i < hi; i++ {
				if r.visit[all[i]] {
					miss[i] = true
					continue
				}
				files := r.carry(all[i], olds[i], k)
				miss[i] = files < 0
				if files > 0 {
					r.carried[i] = int8(files)
					n += files
				}
			}
			k.flush()
			r.out.carry(n)
			return nil
		}); err != nil {
			return nil, err
		}
		look = make([]*Page, 0, len(r.visit))
		for i, p := range all {
			if miss[i] {
				r.visit[p] = true
				look = append(look, p)
			}
		}
	}
	if r.visit == nil {
		// Sized as the last build's: growing maps of ten thousand entries,
		// rehashing as they go, was much of a build's time among the pages
		// carried over.
		if r.prev != nil {
			r.next.Files = make(map[string]*cachedPage, len(r.prev.Files))
			r.next.Frags = make(map[string]*pageFrags, len(r.prev.Frags))
		}
		r.out.sized()
		r.b.endGCHold() // every page is looked at: a build that allocates, and collects as usual
	}
	r.looked = len(look)
	// Rendering looks links up: the pages' index, made on another core since
	// the graph was (indexLinks), is needed from here on.
	r.ix.withPages(c)
	step("readers")
	logs, err := r.renderPages(look)
	if err != nil {
		return nil, err
	}
	if r.visit != nil {
		// A changed page whose headings moved: the pages linking into it check
		// their links again.
		if more := r.readersOfHeadings(); len(more) > 0 {
			r.uncarry(all, more)
			moreLogs, err := r.renderPages(more)
			if err != nil {
				return nil, err
			}
			look, logs = append(look, more...), append(logs, moreLogs...)
			r.looked = len(look)
		}
	}
	if err := r.checkFragments(look, logs); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	if r.visit != nil {
		for _, p := range look { // what r.next.Files may differ in from the last build's
			r.touched = append(r.touched, p.File)
		}
	}
	step("pages")
	if err := r.extras(); err != nil { // extras.go: times its own steps
		return nil, err
	}
	return r.next, nil
}

// renderPages renders pages in parallel and returns what each learned of its links.
func (r *run) renderPages(pages []*Page) ([]*linkLog, error) {
	logs := make([]*linkLog, len(pages))
	var layoutErrs layoutErrors // a broken layout fails every page that uses it: said once
	progress := r.progress(len(pages))
	err := parallelOn(r.ctx, writerWorkers(), len(pages), func(i int) error {
		var err error
		logs[i], err = r.renderPage(pages[i], PageData{Site: r.site, Live: r.b.o.Live})
		progress()
		return layoutErrs.add(err)
	})
	if err = errors.Join(err, layoutErrs.err()); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return logs, nil
}

// progress tells Options.Progress that rendering total pages starts, and returns
// the function to call as each one is done.
func (r *run) progress(total int) func() {
	report := r.b.o.Progress
	if report == nil {
		return func() {}
	}
	var mu sync.Mutex
	done := 0
	report(0, total)
	return func() {
		mu.Lock()
		defer mu.Unlock()
		done++
		report(done, total)
	}
}

// outPath is where a page's HTML goes under the output folder.
func (r *run) outPath(url string) string {
	base := r.basePath
	if base == "" {
		base = r.cfg.BasePath()
	}
	return strings.TrimPrefix(url, base) + "index.html"
}

// mathCSSPath is where the stylesheet of a page's formulas goes: beside the page,
// as math.css, which the page links as {{.Page.URL}}math.css.
func mathCSSPath(pageRel string) string {
	if dir, ok := strings.CutSuffix(pageRel, "/index.html"); ok && dir != "" && path.Clean(dir) == dir {
		return dir + "/math.css" // as below, without path.Join's allocations: once per page carried
	}
	return path.Join(path.Dir(pageRel), "math.css")
}

// renderKey hashes everything page p's output depends on (page), and the part
// of it that its body's Markdown depends on (body): the source, its place, the
// images, whether it is locked (a locked page's search entry has no text), and
// the configuration and theme whole (r.key, which holds the language, the UI
// strings, the base URL and the params the Markdown reads). What the Markdown
// read of other pages, their URLs, is not in either key: the reads recorded
// beside them are checked (deps.Reads). The page key is the body key's inputs
// followed by what the layout shows around the body (neighbours, module,
// thread, opening). A course's own shortcodes see the whole page and site:
// with them, the body key is the page key.
func (r *run) renderKey(p *Page) (page, body string) {
	k := newKeyer().str(r.key, string(p.Kind), p.Hash, p.File, r.imagesKey, strconv.FormatBool(p.Locked))
	if !r.theme.ownShortcodes {
		body = k.sum()
	}
	k.str(r.pagesKey)
	switch p.Kind {
	case KindHome:
		k.str(r.outline)
	case KindModule:
		k.str(r.modKeys[p.Module])
	case KindLesson:
		k.str(r.modKeys[p.Module]).card(p.Prev).card(p.Next).int(int64(p.Order), int64(p.Number)).str(p.Thread.key())
		k.int(p.OpensAt.UnixNano()).str(p.OpensAt.Location().String(), p.Cohort, p.ActivityURL)
		for _, a := range p.Archive {
			k.str(a.Cohort.ID, a.URL, a.Thread.key())
		}
	}
	page = p.keyMemo.sum(k.buf)
	if body == "" {
		body = page
	}
	return page, body
}

// carry keeps page p as the last build made it, without looking at it, since
// nothing it reads changed (affected.go); c is its record from the last build
// (nil for a page the graph made up, or the last build's own page, settled),
// k what keeps its files. It returns -1 when the last build left no output
// for it: p must then render; 1 when it counted its page's file as made
// without recording it (output.inherit); 0 when it kept its files through k.
// Safe for concurrent use on different pages.
func (r *run) carry(p *Page, c *cachedPage, k *keeper) int {
	// A page at the URL of its record made the file there in the last build,
	// whose record of files is prev, or it would have no record; a settled
	// page is the last build's, whose URLs this build has (the wide key).
	// Neither is looked up in prev: ten thousand cache misses in a new
	// process, for the page's path and its look-up. A page with formulas,
	// one of a few, keeps its files through k: its stylesheet is looked up.
	known := false
	switch {
	case !r.out.inherited:
	case c != nil:
		known = c.Last.URL == p.URL
	case p.Hash != "" && r.isSettled(p):
		known = p.outURL == p.URL && p.outRel != ""
	}
	if known && (c == nil || !c.Last.HasMath) && (c != nil || !p.HasMath) {
		if c != nil {
			r.carriedRecord(p, c)
		}
		return 1
	}
	if p.outURL != p.URL || p.outRel == "" { // made once per page and URL: serve carries the same pages again and again
		p.outRel, p.outURL = r.outPath(p.URL), p.URL
	}
	rel := p.outRel
	if c == nil { // made up by the graph, or the last build's page as it left it: its output only
		if p.Hash != "" && !r.isSettled(p) {
			return -1
		}
		if !k.keep(rel) {
			return -1
		}
		if p.HasMath {
			k.keep(mathCSSPath(rel))
		}
		return 0
	}
	if !k.keep(rel) {
		return -1
	}
	if c.Last.HasMath { // its formulas' stylesheet: written exactly when it has formulas (render.go)
		k.keep(mathCSSPath(rel))
	}
	r.carriedRecord(p, c)
	return 0
}

// carriedRecord gives page p, carried over, what rendering added to it in
// the last build, from its record c.
func (r *run) carriedRecord(p *Page, c *cachedPage) {
	p.TOC, p.VideoEmbed = c.Last.TOC, c.Last.VideoEmbed         // as rendered last time: links into it are checked against them
	p.HasMath, p.HasDiagram = c.Last.HasMath, c.Last.HasDiagram // static.go: KaTeX and Mermaid (a source read again lacks them)
	if !p.reused {
		// Read again, the same bytes under a new time: the record takes the
		// new time, or the next process would read it again too.
		if s, _, ok := r.tree.source(p.File); ok && (c.Size != s.size || c.ModTime != s.mtime.UnixNano() || c.Change != s.ctime) {
			again := *c
			again.Size, again.ModTime, again.Change = s.size, s.mtime.UnixNano(), s.ctime
			r.mu.Lock()
			r.next.Files[p.File] = &again
			r.touched = append(r.touched, p.File)
			r.mu.Unlock()
		}
	}
	// Its record is already in r.next.Files (render).
}

// carriedFiles lists the files of the last build that the pages carried
// over were counted as making (carry), for the commit that must find which
// files are gone among all of the last build's.
func (r *run) carriedFiles(all []*Page) []string {
	var files []string
	for i, n := range r.carried {
		if n > 0 {
			files = append(files, r.outPath(all[i].URL))
		}
	}
	return files
}

// uncarry takes back the pages of more, carried over, which render after
// all: they record their files as they render.
func (r *run) uncarry(all, more []*Page) {
	again := make(map[*Page]bool, len(more))
	for _, p := range more {
		again[p] = true
	}
	for i, p := range all {
		if n := r.carried[i]; n > 0 && again[p] {
			r.out.carry(-int(n))
			r.carried[i] = 0
		}
	}
}

// carryChunk is how many pages one goroutine carries over at a time.
const carryChunk = 1024

// renderPage renders one page unless its output is known to be unchanged. When
// only what the layout shows around the body changed (a neighbour's title, the
// module's reading times), the body is the last build's (lastBody) and the
// Markdown does not run.
func (r *run) renderPage(p *Page, data PageData) (*linkLog, error) {
	key, bodyKey := r.renderKey(p)
	rel := r.outPath(p.URL)
	c := r.prev.record(p)
	if c != nil && c.RenderKey == key && c.readsUnchanged(r.ix.current) && r.out.keep(rel) {
		p.TOC, p.VideoEmbed = c.Last.TOC, c.Last.VideoEmbed         // as rendered last time
		p.HasMath, p.HasDiagram = c.Last.HasMath, c.Last.HasDiagram // static.go: KaTeX and Mermaid
		r.out.keep(mathCSSPath(rel))                                // the page's formulas, if it has any
		log := r.lastLinks(c)
		if p.reused && c.Last.Order == p.Order && c.Last.URL == p.URL && c.Last.Number == p.Number {
			r.mu.Lock()
			r.next.Files[p.File] = c // nothing about it changed: keep the record as it is
			r.mu.Unlock()
		} else {
			for k, v := range c.reads() {
				log.reads.Read(k, v)
			}
			r.remember(p, key, log, c.Body)
		}
		return log, nil
	}
	log, err := r.lastBody(p, c, bodyKey, rel)
	if err != nil {
		return nil, err
	}
	fresh := log == nil
	if fresh {
		if log, err = r.renderMarkdown(p); err != nil {
			return nil, err
		}
	}
	// Executed into a pooled buffer and written from it: a copy of every page
	// would be a third of a cold build's allocations.
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if err := r.executeLayout(buf, p, data); err != nil {
		return nil, err
	}
	span := bodySpan{Key: bodyKey, At: -1}
	if at := bodyIn(buf.Bytes(), string(p.Content)); at >= 0 {
		span.At, span.Len = int64(at), int64(len(p.Content))
		if fresh {
			span.Hash = hashBytes(buf.Bytes()[at : at+len(p.Content)])
		} else {
			span.Hash = c.Body.Hash // the same bytes, read back and checked
		}
	}
	if err := r.out.write(rel, buf.Bytes()); err != nil {
		return nil, err
	}
	if p.mathCSS != nil {
		if err := r.out.write(mathCSSPath(rel), p.mathCSS); err != nil {
			return nil, err
		}
	} else if !fresh && p.HasMath {
		r.out.keep(mathCSSPath(rel)) // the last build's formulas: the same body (lastBody checked it is there)
	}
	r.mu.Lock()
	r.rendered++
	if fresh && p.Hash != "" { // a page the graph made up has no Markdown to speak of
		r.markdown++
	}
	r.mu.Unlock()
	r.remember(p, key, log, span)
	p.src, p.Content, p.mathCSS = nil, "", nil // written: let the memory go
	return log, nil
}

// renderMarkdown renders p's body, reading its source again if it was let go
// or taken from the cache, and returns what its links looked up.
func (r *run) renderMarkdown(p *Page) (*linkLog, error) {
	if p.letGo { // read in this build, and let go until now
		if err := bodyAgain(r.b.fsys, p); err != nil {
			return nil, err
		}
	}
	if p.reused { // parsed from the cache, but it must render: read it again
		fresh, err := readPage(r.b.fsys, p.File)
		if err != nil {
			return nil, err
		}
		p.src, p.bodyLine, p.Params = fresh.src, fresh.bodyLine, fresh.Params
	}
	log := &linkLog{}
	if err := renderBody(r.md, r.ix, r.cfg, r.site, p, log, r.theme.T("video_watch")+": "); err != nil {
		return nil, err
	}
	p.searchBody, p.bodyRead = searchBodyOf(p), true // search_index.go
	return log, nil
}

// lastBody gives p the body the last build rendered, read back from where its
// record says it lies in the page's output file, when nothing the Markdown read
// changed: the same body key, and every recorded read answering as it did. It
// also takes what else the Markdown made from the record: headings, formulas,
// diagrams, and the links (returned as the log, which is nil when the body
// must render). The page's words and reading time come from its source, which
// is the same; its search entry's text is the last build's (pageBody).
func (r *run) lastBody(p *Page, c *cachedPage, bodyKey, rel string) (*linkLog, error) {
	if c == nil || c.Body.Key != bodyKey || c.Body.At < 0 || !c.readsUnchanged(r.ix.current) {
		return nil, nil
	}
	if c.Last.HasMath && !r.out.had(mathCSSPath(rel)) {
		return nil, nil // its formulas' stylesheet is not where the last build's record says
	}
	if p.reused && len(p.Params) > 0 {
		// The layout reads the params, which the cache keeps as JSON (numbers
		// become floats, dates strings): the source's own, as a render reads them.
		fresh, err := readPage(r.b.fsys, p.File)
		if err != nil {
			return nil, err
		}
		p.Params = fresh.Params
	}
	body, ok := r.out.readBack(rel, c.Body.At, c.Body.Len, c.Body.Hash) // output.go
	if !ok {
		return nil, nil
	}
	p.Content = template.HTML(unsafe.String(unsafe.SliceData(body), len(body))) // body is this page's own copy
	p.TOC, p.HasMath, p.HasDiagram = c.Last.TOC, c.Last.HasMath, c.Last.HasDiagram
	if err := embedVideo(r.md, p, r.theme.T("video_watch")+": "); err != nil { // render.go: it shows the title
		return nil, err
	}
	log := r.lastLinks(c)
	for k, v := range c.reads() {
		log.reads.Read(k, v)
	}
	return log, nil
}

// lastLinks returns the links to headings a page's record lists, to the pages
// this build has: what checkFragments checks of it.
func (r *run) lastLinks(c *cachedPage) *linkLog {
	log := &linkLog{}
	for _, f := range c.Frags {
		if t := r.ix.byFile[f.Target]; t != nil {
			log.frags = append(log.frags, fragmentRef{target: t, fragment: f.Fragment, dest: f.Dest})
		}
	}
	return log
}

// bodyIn returns where a page's output holds its body, or -1. The layout
// writes Content as it is (template.HTML): its first copy is looked for, by its
// first bytes and then whole.
func bodyIn(out []byte, body string) int {
	if body == "" {
		return 0
	}
	head := []byte(body[:min(len(body), 31)]) // short enough for the vector search (bytealg.MaxLen)
	for from := 0; ; {
		i := bytes.Index(out[from:], head)
		if i < 0 {
			return -1
		}
		i += from
		if len(out)-i >= len(body) && string(out[i:i+len(body)]) == body {
			return i
		}
		from = i + 1
	}
}

// executeLayout executes p's layout into buf, with the parts made once per
// module or build (navigation, outline, header) filled in data.
func (r *run) executeLayout(buf *bytes.Buffer, p *Page, data PageData) error {
	if p.Module != nil {
		data.Nav = r.navs[p.Module] // the module's own: the page's link is marked in the output below
	}
	if p.Kind == KindHome {
		var err error
		if data.Outline, err = r.courseOutline(); err != nil {
			return err
		}
	}
	data.Page = p
	if p.Kind == KindLesson {
		data.Header = r.lessonHeader
	}
	layout := string(p.Kind) + ".html"
	if err := r.theme.executeLayout(buf, layout, data); err != nil {
		return &layoutError{page: path.Join(ContentDir, p.File), layout: layout, err: err}
	}
	if data.Nav != "" && !markCurrentIn(buf, data.Nav, p.URL) {
		// The layout changed the navigation on its way out: it gets a marked copy.
		buf.Reset()
		data.Nav = markCurrent(data.Nav, p.URL)
		if err := r.theme.executeLayout(buf, layout, data); err != nil {
			return &layoutError{page: path.Join(ContentDir, p.File), layout: layout, err: err}
		}
	}
	return nil
}

// MaxSidebarLessons is how many lessons a course may have for the sidebar of
// its lesson pages to list every lesson of every module. A larger course lists
// the other modules by title only: with every lesson, each page would carry the
// whole course (a megabyte at 10,000 lessons), and one lesson's new title
// would rewrite every page.
const MaxSidebarLessons = 300

// SidebarData is what partials/sidebar.html executes with: the course outline
// beside a module's pages, rendered once per module.
type SidebarData struct {
	Course *Course
	// Current is the module whose pages show the sidebar: its list is open.
	Current *Module
	// Nav is Current's lesson list (partials/module-nav.html).
	Nav template.HTML
	// AllLessons says the other modules list their lessons too (a course of
	// at most MaxSidebarLessons lessons).
	AllLessons bool
}

// sidebar renders the navigation beside m's pages: its lesson list inside the
// course outline.
func (r *run) sidebar(d SidebarData, m *Module) (template.HTML, error) {
	nav, err := r.theme.executeHTML("partials/module-nav.html", m)
	if err != nil {
		return "", fmt.Errorf("render navigation of %s: %w", m.Dir, err)
	}
	d.Current, d.Nav = m, nav
	out, err := r.theme.executeHTML("partials/sidebar.html", d)
	if err != nil {
		return "", fmt.Errorf("render sidebar of %s: %w", m.Dir, err)
	}
	return out, nil
}

// markCurrentIn marks the link to url in each copy of nav that out holds, as
// markCurrent would have in nav before it was written: the page's output gets
// the mark, and no page makes its own copy of its module's sidebar (27 KB each at
// 10,000 lessons, most of a cold build's bytes allocated outside Markdown). It
// returns false when out holds no copy of nav as it is: the layout escaped or
// cut it.
func markCurrentIn(out *bytes.Buffer, nav template.HTML, url string) bool {
	link := `<a href="` + template.HTMLEscapeString(url) + `">`
	at := strings.Index(string(nav), link)
	if at < 0 {
		return true // nothing to mark: markCurrent leaves it as it is
	}
	const mark = ` aria-current="page"`
	n := []byte(nav[:min(len(nav), 64)]) // the copy's start is looked for, then the rest compared
	found := false
	for from := 0; ; {
		b := out.Bytes()
		i := bytes.Index(b[from:], n)
		if i < 0 {
			return found
		}
		i += from
		if len(b)-i < len(nav) || string(b[i:i+len(nav)]) != string(nav) {
			from = i + 1
			continue
		}
		// Insert the mark before the link's ">": the buffer grows by its length
		// and the rest moves up.
		gt := i + at + len(link) - 1
		out.WriteString(mark)
		b = out.Bytes()
		copy(b[gt+len(mark):], b[gt:len(b)-len(mark)])
		copy(b[gt:], mark)
		found, from = true, i+len(nav)+len(mark)
	}
}

// markCurrent marks the link to url in a navigation rendered once per module,
// for screen readers and the theme's highlight. The partial writes each link as
// exactly <a href="URL">.
func markCurrent(nav template.HTML, url string) template.HTML {
	link := `<a href="` + template.HTMLEscapeString(url) + `">`
	return template.HTML(strings.Replace(string(nav), link,
		`<a href="`+template.HTMLEscapeString(url)+`" aria-current="page">`, 1))
}

// moduleParts gives every module this build's parts (Module.parts): for
// each partial the layouts call with modulePart (Theme.moduleParts), the last
// build's output when the module's key (modKeys: what its navigation shows,
// with everything when a course's layout reads any page) is unchanged, else
// the partial executed the first time a layout asks for it. After one edit, a
// list of every lesson (the outline, the home page's module cards) executes
// one module's lessons again, not ten thousand (6 µs each), in serve and in a
// new process alike; a part no layout asks for (the sidebars' entries of a
// large course) is never executed. Every part is kept in the state, used in
// this build or not, for the next build that shows it.
func (r *run) moduleParts(modKeys []string, everything string) {
	names := r.theme.moduleParts
	for i, m := range r.course.Modules {
		ps := make(map[string]*modulePart, len(names))
		for _, name := range names {
			p := &modulePart{r: r, m: m, name: name, key: newKeyer().str(modulePartFunc, name, modKeys[i], everything).sum()}
			if h, ok := r.prev.nav(p.key); ok {
				p.html, p.done = h, true
				r.next.Navs[p.key] = h
			}
			ps[name] = p
		}
		m.parts = ps
	}
}

// modulePart is one module's part of a whole-course list in one build
// (run.moduleParts), rendered at most once and only when a layout asks.
type modulePart struct {
	r    *run
	m    *Module
	name string // the partial
	key  string // its key among the state's Navs
	once sync.Once
	done bool // html is the last build's (set before any page renders)
	html template.HTML
	err  error
}

// get returns the part, executing the partial the first time it is asked for
// when the last build's cannot do. Safe for concurrent use.
func (p *modulePart) get() (template.HTML, error) {
	if p.done {
		return p.html, nil
	}
	p.once.Do(func() {
		p.html, p.err = p.r.theme.executeHTML(p.name, p.m)
		if p.err != nil {
			p.err = fmt.Errorf("render %s of %s: %w", p.name, p.m.Dir, p.err)
			return
		}
		p.r.mu.Lock()
		p.r.next.Navs[p.key] = p.html
		p.r.mu.Unlock()
	})
	return p.html, p.err
}

// courseOutline renders partials/outline.html once per build, and only for the
// pages that show it (home, search, 404): it lists every lesson, each module's
// through its part when the outline calls modulePart (run.moduleParts).
func (r *run) courseOutline() (template.HTML, error) {
	r.outlineOnce.Do(func() {
		r.outlineHTML, r.outlineErr = r.theme.executeHTML("partials/outline.html", r.course)
		if r.outlineErr != nil {
			r.outlineErr = fmt.Errorf("render outline: %w", r.outlineErr)
		}
	})
	return r.outlineHTML, r.outlineErr
}

// remember records p in the state for the next build, with where its body
// lies in its output.
func (r *run) remember(p *Page, key string, log *linkLog, body bodySpan) {
	if p.Hash == "" {
		return // made up by the graph (a module folder without _index.md): no source
	}
	c := newRecord(pageSnapshot(p)) // cache.go
	c.RenderKey, c.Body = key, body
	if r.b.once {
		// A one-off build keeps its records only to save them: encoded now,
		// as the cache holds them, a page's reads are one block of bytes the
		// collector passes over, not a map of strings it marks on every
		// cycle: 10 MB less live heap at the end of a cold build of 10,000
		// lessons.
		c.readsRaw = encodeReads(log.reads.Reads()) // codec.go
	} else {
		c.Reads = log.reads.Reads()
	}
	for _, f := range log.frags {
		c.Frags = append(c.Frags, cachedFrag{Target: f.target.File, Fragment: f.fragment, Dest: f.dest})
	}
	if s, _, ok := r.tree.source(p.File); ok {
		c.Size, c.ModTime, c.Change = s.size, s.mtime.UnixNano(), s.ctime
	}
	r.mu.Lock()
	r.next.Files[p.File] = c
	r.mu.Unlock()
}

// checkFragments reports links to a heading that the target page does not have.
func (r *run) checkFragments(all []*Page, logs []*linkLog) error {
	var errs []error
	for i, log := range logs {
		for _, f := range log.frags {
			ids := map[string]bool{}
			for _, h := range f.target.TOC {
				ids[h.ID] = true
			}
			if ids[f.fragment] || strings.HasPrefix(f.fragment, "fn:") || strings.HasPrefix(f.fragment, "fnref:") ||
				f.fragment == "discussion" || f.fragment == "main" {
				continue
			}
			p := all[i]
			line := 0
			if data, err := readSource(r.b.fsys, p.File); err == nil {
				line = lineOf(data, f.dest)
			}
			have := slices.Sorted(maps.Keys(ids))
			errs = append(errs, &Error{File: path.Join(ContentDir, p.File), Line: line,
				Err: fmt.Errorf("link %s: %w: %s has no heading #%s (it has: %s)", f.dest, errBrokenLink,
					path.Join(ContentDir, f.target.File), f.fragment, strings.Join(have, ", "))})
		}
	}
	return errors.Join(errs...)
}

// layoutError is a layout that failed to execute for one page.
type layoutError struct {
	page, layout string
	err          error
}

func (e *layoutError) Error() string {
	return fmt.Sprintf("%s: layouts/%s: %v", e.page, e.layout, e.err)
}

func (e *layoutError) Unwrap() error { return e.err }

// layoutErrors gathers layout errors across pages rendered in parallel, so that
// one mistake in a layout is reported once, with the number of pages it broke,
// not once per page.
type layoutErrors struct {
	mu    sync.Mutex
	order []string
	seen  map[string]*layoutCount
}

type layoutCount struct {
	first *layoutError
	pages int
}

// add keeps err if it is a layout error and returns nil; other errors come back.
func (l *layoutErrors) add(err error) error {
	var le *layoutError
	if !errors.As(err, &le) {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]*layoutCount{}
	}
	key := le.err.Error()
	c, ok := l.seen[key]
	if !ok {
		c = &layoutCount{first: le}
		l.seen[key] = c
		l.order = append(l.order, key)
	}
	c.pages++
	if le.page < c.first.page {
		c.first = le // the same page named whatever the order pages ran in
	}
	return nil
}

// templateErrorAt finds the template and line in html/template's messages:
// "template: lesson.html:12:5: executing ...".
var templateErrorAt = lazyRegexp(`^template: ([^:]+):(\d+)(?::(\d+))?: (.*)$`)

// err returns one *Error per distinct layout error, at the layout's line.
func (l *layoutErrors) err() error {
	slices.Sort(l.order)
	var errs []error
	for _, key := range l.order {
		c := l.seen[key]
		where := "on " + c.first.page
		if c.pages > 1 {
			where = fmt.Sprintf("on %d pages, the first %s", c.pages, c.first.page)
		}
		e := &Error{File: path.Join("layouts", c.first.layout), Err: fmt.Errorf("%w (%s)", c.first.err, where)}
		if m := templateErrorAt().FindStringSubmatch(key); m != nil {
			e.File = path.Join("layouts", m[1])
			e.Line, _ = strconv.Atoi(m[2])
			e.Col, _ = strconv.Atoi(m[3])
			e.Err = &reworded{msg: m[4] + " (" + where + ")", cause: c.first.err}
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// reworded is an error told in other words than its cause's, which it still wraps.
type reworded struct {
	msg   string
	cause error
}

func (e *reworded) Error() string { return e.msg }
func (e *reworded) Unwrap() error { return e.cause }
