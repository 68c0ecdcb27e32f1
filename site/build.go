package site

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cohort-course/cohort/site/markdown"
)

// Version is cohort's version; it is part of every cache key.
var Version = "0.1.0-dev"

// Options say what to build and where.
type Options struct {
	// Source is the course folder: course.toml, content/, layouts/, static/, i18n/.
	Source string
	// FS reads the course instead of os.DirFS(Source), for tests.
	FS fs.FS
	// Out is the output folder.
	Out string
	// CacheDir keeps the incremental build cache; empty means no persistent cache.
	CacheDir string
	// Drafts includes pages with draft = true.
	Drafts bool
	// BaseURL overrides course.toml's base_url when set.
	BaseURL string
	// Now is the clock: lessons that have not opened for any cohort at Now show
	// only their title, summary and opening date. nil means time.Now; --now sets
	// it for previews and tests.
	Now func() time.Time
	// Discussion, when set, gives each lesson page its thread of replies.
	Discussion Discussion
	// ThreadPaging cuts each thread into pages: the lesson page shows the
	// first, the others are pages of their own (zero: the defaults).
	ThreadPaging ThreadPaging
	// Domain, when set, replaces [federation] domain and allows plain http: serve
	// previews the whole course, companion included, at the address it listens on.
	Domain string
	// Live is injected at the end of every page's <body> (serve's reload script).
	Live template.HTML
	// DeferCacheSave leaves writing the cache to SaveCache, so that a long-running
	// builder (serve) does not pay for it on every rebuild.
	DeferCacheSave bool
	// LimitMemory sets, for a one-shot build, a soft limit on the process's
	// memory in proportion to the course (memoryBudget): the collector then
	// works harder instead of letting the heap double. A GOMEMLIMIT in the
	// environment wins.
	LimitMemory bool
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
	// Progress, when set, is told how many pages of the build are rendered: once
	// with 0 as rendering starts, then as pages finish, from many goroutines
	// (calls never overlap), ending with done == total.
	Progress func(done, total int)
}

// Result tells what a build did.
type Result struct {
	Pages    int // pages in the course
	Rendered int // pages whose layout ran in this build
	// Markdown is how many of those had their Markdown rendered too: the
	// others took the last build's body, only what is around it changed.
	Markdown int
	// Looked is how many pages the build checked for a change: all of them,
	// or after a narrow edit only those that read what changed (affected.go).
	Looked   int
	Written  []string      // output files whose bytes changed, relative to Out
	Removed  int           // output files removed because the course no longer makes them
	Duration time.Duration // wall time of the build
	Course   *Course
	// Steps times each step of the pipeline, in order, for -v output and tuning.
	Steps []Step
	// NextOpening is when the next lesson opens for a cohort (zero if none is
	// waiting): the site changes then, without any file changing.
	NextOpening time.Time
}

// Step is one timed step of a build.
type Step struct {
	Name     string
	Duration time.Duration
}

// stepTimer times the steps of one build, each from the end of the last.
type stepTimer struct {
	steps []Step
	mark  time.Time
}

func (t *stepTimer) done(name string) {
	now := time.Now()
	t.steps = append(t.steps, Step{name, now.Sub(t.mark)})
	t.mark = now
}

// Build turns the course in o.Source into a static site in o.Out, in one go.
// Use a Builder to rebuild the same course again and again (serve does).
func Build(ctx context.Context, o Options) (*Result, error) {
	b := NewBuilder(o)
	b.once = true
	return b.Build(ctx)
}

// Builder builds one course repeatedly, redoing only what changed since its last
// successful build (kept in memory, and in o.CacheDir between runs).
type Builder struct {
	o     Options
	fsys  fs.FS
	log   *slog.Logger
	state *state // the last successful build; nil before the first
	tree  *tree  // content/ as the last successful build found it
	saved *state // the state as the cache folder holds it, for writing only deltas
	// cfg and theme are what the last build loaded (configAndTheme).
	cfg   *Config
	theme *Theme
	md    *markdown.Renderer
	mdKey string // language and theme the renderer was built for
	// pages are the last successful build's pages: a source that did not change
	// is that same page again, without a copy (serve's rebuilds).
	pages map[string]*Page
	// searchAhead gives the search state a new process began reading from the
	// cache folder before its first build needed it; nil once taken.
	searchAhead func() *searchState
	// live is the last successful build's page of each of b.tree.markdown's
	// files, by index, drafts too: serve's rebuild finds its unchanged pages
	// there without looking each one up by path, twice.
	live []*Page
	// course is the last successful build's course graph, which the next
	// reuses when no page moved (reuseGraph); nil after a failed build.
	course *Course
	// settled numbers the last successful build (0 after a failed one): the
	// pages it left carry the number (Page.settled), and match its record
	// (affected.go). gens counts the successful builds.
	settled, gens int
	// once says the builder builds once and is dropped (Build): what only a
	// next build in the same process would read of this one is not kept.
	once bool
	mu   sync.Mutex
	// releaseGC ends the collector's pause that loading the cache began
	// (holdGC, cache.go), at the end of that build or once it is known to
	// render every page; nil when none is held.
	releaseGC func()

	// threads keeps each lesson's thread between builds; stale lists the lessons
	// whose thread changed since (ThreadChanged), "" meaning all.
	threadMu sync.Mutex
	threads  map[threadKey]*Thread
	stale    map[string]bool
	// threadsRedone lists the lessons whose thread the last lessonThreads read
	// anew; nil when it read every one (affected.go).
	threadsRedone map[string]bool

	// images are the last build's image sizes by output path (images.go).
	imageMu sync.Mutex
	images  map[string]*imageMeta
	// ogPNG is the last drawn OpenGraph image and ogKey what it shows (ogimage.go).
	ogMu  sync.Mutex
	ogPNG []byte
	ogKey string
	// search is the search index's working state after the last build (search_state.go).
	search *searchState
	// searchSaved is closed once the search state is written to the cache
	// folder, which goes on beside the end of the build that made it; nil
	// when no write is under way (writeSearchIndex).
	searchSaved chan struct{}
	// rename, when set, replaces os.Rename in the output's commit: tests make it
	// fail midway.
	rename func(from, to string) error
}

// NewBuilder prepares a builder; nothing is read until Build.
func NewBuilder(o Options) *Builder {
	fsys := o.FS
	if fsys == nil {
		fsys = os.DirFS(o.Source)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Builder{o: o, fsys: fsys, log: log}
}

// Build runs the pipeline. On error nothing in the output folder has changed.
func (b *Builder) Build(ctx context.Context) (*Result, error) {
	return b.BuildChanged(ctx, nil)
}

// BuildChanged is Build when the caller knows which files changed since the last
// build (paths relative to the course folder, slash-separated, as a watcher
// reports them): content/ is then not walked again, only those paths looked at,
// and the config and theme are loaded again only when a path outside content/
// changed. nil means unknown: everything is looked at.
func (b *Builder) BuildChanged(ctx context.Context, changed []string) (*Result, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.endGCHold()
	defer b.waitSearchSaved()
	start := time.Now()
	timer := &stepTimer{mark: start}
	step := timer.done
	settled := b.settled
	b.settled = 0 // known again once this build succeeds

	// A new process loads the last build's state from the cache folder while
	// it reads the config and parses the layouts: neither needs the other, and
	// each took a tenth or more of a one-edit build at 10,000 lessons.
	var prev *state
	loaded := make(chan struct{})
	if b.state == nil {
		go func() { prev = b.previous(); close(loaded) }()
	} else {
		prev = b.state
		close(loaded)
	}
	cfg, theme, err := b.configAndTheme(changed) // config.go, theme.go
	step("config+theme")
	<-loaded
	if err != nil {
		return nil, err
	}
	if b.state != nil && changed != nil && b.releaseGC == nil {
		// serve, told what changed: most likely one edit, which allocates
		// little; a collection that starts during it (the heap is the whole
		// course's) slows every step by its write barriers. It waits for the
		// build's end, or for render to find that every page is looked at.
		b.releaseGC = holdGC() // cache.go
	}
	step("cache load (its wait after config+theme)")
	// A new process reads the search index's last state beside the steps up
	// to the index, which leave a core idle at times: updating the index after
	// one edit needs it, and reading it was most of that step.
	if b.search == nil && b.searchAhead == nil && b.o.CacheDir != "" && prev.special(searchStateKey) != "" {
		ahead := make(chan *searchState, 1)
		go func() {
			st, err := loadSearchState(filepath.Join(b.o.CacheDir, searchStateFile)) // search_state.go
			if err != nil {
				st = nil
			}
			ahead <- st
		}()
		b.searchAhead = sync.OnceValue(func() *searchState { return <-ahead })
	}
	key := buildKey(cfg, theme, b.o)
	if prev != nil && prev.Key != key {
		prev = prev.withoutPages() // layouts or config changed: every page renders again
	}
	if _, err := os.Stat(b.o.Out); err != nil && prev != nil {
		prev = nil // the output folder is gone: write everything
	}
	if interrupted(b.o.Out) { // output.go
		prev = nil // a commit was cut short: compare every file with what is there
	}

	tree, err := b.contentTree(changed, prev) // content.go
	if err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	step("walk")
	if b.o.LimitMemory && os.Getenv("GOMEMLIMIT") == "" {
		capMemory(memoryBudget(tree.markdown)) // cache.go
	}
	// A file the watcher names is read again whatever its size and time say: an
	// edit within the file system's clock tick that keeps the size looks unchanged.
	named := make(map[string]bool, len(changed))
	for _, p := range changed {
		if rel, ok := strings.CutPrefix(p, ContentDir+"/"); ok {
			named[rel] = true
		}
	}
	pages, all, err := readPages(ctx, b.fsys, tree.markdown, b.o.Drafts, func(lo, hi int, pages []*Page) {
		r := prev.reuser() // cache.go
		shift := 0         // where the last build's list had the chunk's last file, less i
		for i := lo; i < hi; i++ {
			src := tree.markdown[i]
			if named[src.path] {
				continue
			}
			if p := b.livePage(i, src, &shift); p != nil {
				pages[i] = p
			} else {
				pages[i] = r.reuse(src) // the record's own page, lent (cache.go)
			}
		}
	}) // content.go
	if err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	step("read")
	course := reuseGraph(b.course, cfg, pages, b.pages) // graph.go
	b.course = nil                                      // linked anew below, or relinked: known again once this build succeeds
	if course == nil {
		if course, err = buildGraph(cfg, pages, prev.sameKey(key)); err != nil {
			return nil, fmt.Errorf("course: %w", err)
		}
	}
	step("graph")
	now := time.Now()
	if b.o.Now != nil {
		now = b.o.Now()
	}
	scheds, err := buildSchedules(b.fsys, course, now) // schedule.go
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	if err := b.lessonThreads(ctx, course.Lessons); err != nil { // discussion.go
		return nil, fmt.Errorf("discussion: %w", err)
	}
	journal, err := b.readJournal(ctx, course.Lessons, cfg) // journal.go
	if err != nil {
		return nil, fmt.Errorf("discussion: %w", err)
	}
	markModerators(course.Lessons, cfg.AllModerators())
	markAssignments(course.Lessons) // assignment.go
	for _, l := range course.Lessons {
		l.ThreadPages = paginate(l.Thread, l.URL, b.o.ThreadPaging) // threadpages.go
	}
	step("discussion")

	out := newOutput(b.o.Out, prev.outputs())
	out.rename = b.rename
	r := &run{
		b: b, ctx: ctx, cfg: cfg, theme: theme, course: course, tree: tree,
		out: out, prev: prev, key: key, schedules: scheds, timer: timer,
		md: b.renderer(cfg, theme), journal: journal, settled: settled,
	}
	next, err := r.render() // pages.go → extras.go
	if err != nil {
		out.abort()
		return nil, err
	}
	removed, err := out.commit() // output.go: only files whose bytes changed
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", b.o.Out, err)
	}
	step("commit")
	next.Outputs = out.next
	if out.goneKnown {
		next.outputsFrom, next.outputsChanged, next.outputsGone = out.prev, out.changed, out.gone
	}
	next.Dirs = tree.dirs
	b.gens++
	b.settled = b.gens
	if !b.once {
		// For the next build in this process (serve): a map of ten thousand
		// pages that a one-off build (Build) would make and drop.
		b.tree, b.course = tree, course
		b.live = all
		b.pages = make(map[string]*Page, len(pages))
		for _, p := range course.All() {
			p.settled = b.settled
			p.rec, p.recOf = nil, nil // the record it came from: serve keeps no past state alive through it
			if p.Hash != "" {
				b.pages[p.File] = p
			}
		}
	}
	next.size, next.blobSize = prev.encodedSize()
	next.dirty = prev == nil || prev.dirty || r.rendered > 0 || len(out.written) > 0 || removed > 0 || r.reread
	b.state = next
	if !b.o.DeferCacheSave {
		if err := b.saveCache(); err != nil {
			b.log.Warn("build cache not saved", "err", err)
		}
	}
	step("cache save")
	return &Result{
		Pages: len(course.All()), Rendered: r.rendered, Markdown: r.markdown, Looked: r.looked, Written: out.written, Removed: removed,
		Duration: time.Since(start), Course: course, Steps: timer.steps, NextOpening: nextOpening(course, now),
	}, nil
}

// configAndTheme loads course.toml and the theme with the course's layouts,
// static files and UI strings laid over it, or returns the last build's when
// the changed paths are known and all lie in content/: neither reads anything
// there, and parsing and escaping every layout again was a tenth of a one-edit
// rebuild.
func (b *Builder) configAndTheme(changed []string) (*Config, *Theme, error) {
	if b.cfg != nil && changed != nil && !slices.ContainsFunc(changed, func(p string) bool {
		return !strings.HasPrefix(p, ContentDir+"/")
	}) {
		return b.cfg, b.theme, nil
	}
	b.cfg, b.theme = nil, nil
	cfg, err := LoadConfig(b.fsys, "course.toml") // config.go
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	if b.o.Domain != "" && cfg.Federation.Handle != "" {
		cfg.Federation.Domain, cfg.Federation.AllowInsecure = b.o.Domain, true
	}
	if b.o.BaseURL != "" {
		cfg.BaseURL = b.o.BaseURL
		if err := cfg.Validate(); err != nil {
			return nil, nil, fmt.Errorf("config: --base-url: %w", err)
		}
	}
	theme, err := LoadTheme(b.fsys, cfg) // theme.go
	if err != nil {
		return nil, nil, fmt.Errorf("theme: %w", err)
	}
	b.cfg, b.theme = cfg, theme
	return cfg, theme, nil
}

// renderer returns the Markdown renderer for the course's language and UI
// strings, built once and again only when they change (goldmark is built once,
// not per build).
func (b *Builder) renderer(cfg *Config, theme *Theme) *markdown.Renderer {
	key := cfg.Language + "\x00" + theme.Key
	if b.md == nil || b.mdKey != key {
		var formulas markdown.FormulaCache
		if b.o.CacheDir != "" {
			formulas = formulaDir{filepath.Join(b.o.CacheDir, "math")} // formulas.go
		}
		b.md = markdown.New(markdown.Options{Lang: cfg.Language, Labels: theme.strings, Unsafe: true, SkipWords: true,
			Shortcodes: theme.shortcodes(), // shortcodes.go: the course's layouts/shortcodes/
			Formulas:   formulas})
		b.mdKey = key
	}
	return b.md
}

// ThreadChanged tells the builder that a lesson's thread changed (a reply came,
// was edited or deleted), so the next build reads it again and re-renders that
// page; "" means every thread. Safe to call at any time.
func (b *Builder) ThreadChanged(lessonID string) {
	b.threadMu.Lock()
	defer b.threadMu.Unlock()
	if b.stale == nil {
		b.stale = map[string]bool{}
	}
	b.stale[lessonID] = true
}

// lessonThreads gives every lesson its thread: from the builder's memory when it
// did not change, else from o.Discussion, in parallel.
func (b *Builder) lessonThreads(ctx context.Context, lessons []*Page) error {
	if b.o.Discussion == nil {
		return nil
	}
	b.threadMu.Lock()
	b.threadsRedone = nil
	if b.threads == nil || b.stale[""] {
		b.threads = map[threadKey]*Thread{}
	} else {
		b.threadsRedone = maps.Clone(b.stale)
		if b.threadsRedone == nil {
			b.threadsRedone = map[string]bool{}
		}
	}
	if len(b.stale) > 0 {
		for k := range b.threads {
			if b.stale[k.lesson] {
				delete(b.threads, k)
			}
		}
	}
	clear(b.stale)
	cached := b.threads
	b.threadMu.Unlock()

	// Every thread a page shows: the current cohort's, then the archived ones.
	var keys []threadKey
	for _, l := range lessons {
		keys = append(keys, threadKey{l.ID, l.Cohort})
		for _, a := range l.Archive {
			keys = append(keys, threadKey{l.ID, a.Cohort.ID})
		}
	}
	got := make([]*Thread, len(keys))
	err := parallel(ctx, len(keys), func(i int) error {
		k := keys[i]
		if t, ok := cached[k]; ok {
			got[i] = t
			return nil
		}
		t, err := b.o.Discussion.Thread(ctx, k.lesson, k.cohort)
		if err != nil {
			return fmt.Errorf("discussion of %s: %w", k.lesson, err)
		}
		if t == nil {
			t = &Thread{Lesson: k.lesson}
		}
		got[i] = t
		return nil
	})
	if err != nil {
		return err
	}
	b.threadMu.Lock()
	defer b.threadMu.Unlock()
	i := 0
	for _, l := range lessons {
		l.Thread = got[i]
		b.threads[keys[i]] = got[i]
		i++
		for _, a := range l.Archive {
			a.Thread = got[i]
			b.threads[keys[i]] = got[i]
			i++
		}
	}
	return nil
}

// threadKey names a thread: a lesson's discussion in one cohort.
type threadKey struct{ lesson, cohort string }

// livePage returns the page the last build made of src, the walk's file i,
// when src has not changed since; the graph then updates it in place. shift
// is where the last file asked for was in the last build's list, less its
// index in this one: after a file came or went, the files after it are
// found there, not searched for.
func (b *Builder) livePage(i int, src source, shift *int) *Page {
	if b.pages == nil || b.tree == nil {
		return nil
	}
	var p *Page
	if i < len(b.live) && b.tree.markdown[i].path == src.path { // the usual case: no file came or went
		if old := b.tree.markdown[i]; old.size != src.size || !old.mtime.Equal(src.mtime) || old.ctime != src.ctime {
			return nil
		}
		if p = b.live[i]; p != nil && p.File != src.path {
			p = nil // not that file's page: nothing may reorder the list, but a wrong page would be a wrong site
		}
	} else {
		j, ok := i+*shift, false
		if ok = j >= 0 && j < len(b.tree.markdown) && b.tree.markdown[j].path == src.path; !ok {
			_, j, ok = b.tree.source(src.path) // content.go
		}
		if !ok {
			return nil
		}
		*shift = j - i
		old := b.tree.markdown[j]
		if old.size != src.size || !old.mtime.Equal(src.mtime) || old.ctime != src.ctime {
			return nil
		}
		if j < len(b.live) {
			p = b.live[j]
		}
		if p != nil && p.File != src.path {
			p = nil // as above
		}
	}
	if p == nil {
		return nil
	}
	p.reused = p.src == nil // rendered and let go: read again if it must render
	return p
}

// contentTree walks content/, or, when the changed paths are known, updates the
// last build's walk with just those. A walk lists again only the folders whose
// time changed since the last (in memory, else in the cache), on the OS's file
// system; a course read through Options.FS is listed whole.
func (b *Builder) contentTree(changed []string, prev *state) (*tree, error) {
	var dirs map[string]*dirRecord
	var root string // the course on the OS's file system, walked by name (content.go)
	if b.o.FS == nil {
		root = b.o.Source
	}
	switch {
	case b.o.FS != nil:
	case b.tree != nil:
		dirs = b.tree.dirs
	case prev != nil:
		dirs = prev.Dirs
	}
	walkContent := func(fsys fs.FS) (*tree, error) { return walkContent(fsys, root, dirs) }
	if b.tree == nil || changed == nil {
		return walkContent(b.fsys)
	}
	t := b.tree.clone()
	for _, p := range changed {
		rel, ok := strings.CutPrefix(p, ContentDir+"/")
		if !ok {
			if p == ContentDir || p == "." {
				return walkContent(b.fsys) // the folder itself, or lost events
			}
			continue // not content: configAndTheme loaded the config, layouts, static again
		}
		if !t.update(b.fsys, rel) {
			return walkContent(b.fsys) // a folder appeared, went or moved
		}
	}
	return t, nil
}

// SaveCache writes the state of the last successful build to the cache folder,
// if it changed since it was last written.
func (b *Builder) SaveCache() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.saveCache()
}

func (b *Builder) saveCache() error {
	if b.o.CacheDir == "" || b.state == nil || !b.state.dirty {
		return nil
	}
	if err := b.state.save(filepath.Join(b.o.CacheDir, cacheFile), b.saved); err != nil {
		b.saved = nil // unknown now: the next save writes a whole base
		return fmt.Errorf("build cache: %w", err)
	}
	b.state.dirty = false
	b.saved = b.state
	return nil
}

// waitSearchSaved waits for the search state's write that a build began, if any:
// the state is the next build's, and the caller of a build expects the cache
// folder written when it returns.
func (b *Builder) waitSearchSaved() {
	if b.searchSaved != nil {
		<-b.searchSaved
		b.searchSaved = nil
	}
}

// previous is the last successful build: in memory, else from the cache folder.
func (b *Builder) previous() *state {
	if b.state != nil {
		return b.state
	}
	if b.o.CacheDir == "" {
		return nil
	}
	// The loaded cache stays live for the build: collecting it would free
	// nothing, so the collector waits for the build's end (cache.go).
	b.endGCHold()
	b.releaseGC = holdGC()
	s, err := loadState(filepath.Join(b.o.CacheDir, cacheFile))
	if err != nil {
		b.endGCHold()
		if !errors.Is(err, fs.ErrNotExist) {
			b.log.Warn("build cache ignored", "err", err)
		}
		return nil
	}
	b.saved = s
	return s
}

// endGCHold ends the collector's pause begun by loading the cache, if any.
func (b *Builder) endGCHold() {
	if b.releaseGC != nil {
		b.releaseGC()
		b.releaseGC = nil
	}
}

// buildKey covers everything that every page depends on.
func buildKey(cfg *Config, theme *Theme, o Options) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%t\x00%s\x00%#v\x00%#v\x00", Version, theme.Key, o.Drafts, o.Live, *cfg, o.ThreadPaging.withDefaults())
	return fmt.Sprintf("%x", h.Sum(nil)[:16])
}

// workers is how many pages render at once: one per core. More workers, to
// overlap rendering with the writes' system calls, measured slower here: the
// kernel time of parallel creates grew faster than the overlap saved.
func workers() int { return runtime.GOMAXPROCS(0) }

// parallelChunks runs fn on all cores over [0, n) cut in chunks of size: fn
// gets one chunk's bounds, lo inclusive, hi exclusive. For work too small per
// index to hand out one at a time.
func parallelChunks(ctx context.Context, n, size int, fn func(lo, hi int) error) error {
	return parallel(ctx, (n+size-1)/size, func(c int) error {
		return fn(c*size, min((c+1)*size, n))
	})
}

// parallel runs fn for every index below n on all cores and returns the errors
// joined, in index order, so the same broken course always gives the same message.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	return parallelOn(ctx, workers(), n, fn)
}

// writerWorkers is how many goroutines render and write pages: twice the cores.
// A page's worker spends part of its time in the kernel creating folders and
// files, where it may wait on the file system's locks; with only one worker per
// core, that core stood idle meanwhile. On 2 cores and 10,000 lessons, four
// workers made cold builds about a second (7%) faster than two, and took no more
// memory to speak of.
func writerWorkers() int { return 2 * runtime.GOMAXPROCS(0) }

// parallelOn is parallel with a given number of goroutines.
func parallelOn(ctx context.Context, goroutines, n int, fn func(i int) error) error {
	errs := make([]error, n)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(goroutines, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				errs[i] = fn(i)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}
