package site

import (
	"slices"
	"strconv"
	"strings"
)

// A one-edit rebuild should cost what the edit touches, not what the course
// holds. affected finds, from what changed and who reads it, the few pages that
// must go through renderPage's check; every other page keeps the last build's
// record and output untouched, without its render key being hashed or its reads
// decoded (which, at 10,000 lessons, was most of a serve rebuild).
//
// The readers of an input, as the render key and the recorded reads name them:
//
//	a page's source (its Hash)  → the page itself
//	its card (title, summary…)  → its neighbours (Prev, Next), its module's
//	                              navigation, the outline
//	a module's navigation       → the module page and its lessons
//	the outline                 → the home page
//	a page's headings           → the pages whose links point into it (Frags),
//	                              found after the changed pages rendered, and
//	                              only when their headings differ from the last
//	                              build's (readersOfHeadings)
//	a lesson's thread           → the lesson
//
// Everything else a page may read is folded into one "wide" key, compared with
// the last build's; when it differs, every page is checked as before: the
// config and layouts, the plain pages the header lists, images, the files
// and URLs links may resolve to (which pages exist, in which order, their
// aliases, the course's other files, static files), the cohorts' clock (which
// lessons are locked and when they open), and which threads have pages of
// their own. A false positive redoes a page whose key then proves unchanged;
// a false negative would be a stale page, so whatever is not named above
// widens the check to all.

// wideKey names, among the state's special keys, the digest of the inputs that
// every page may read (above).
const wideKey = "wide"

// outlineKey names the outline's key among the special keys: the home page
// reads it.
const outlineKey = "outline"

// namesSpecial names, among the special keys, the key of the pages' names
// (Course.pageNamesKey): a build whose pages have the last build's names
// takes it from there (buildGraph) rather than hashing every file name.
const namesSpecial = "page-names"

// affected returns the pages renderPage must look at in this build, or nil
// when every page must be (a first build, a wide change, a course layout that
// reaches other pages, threads read afresh). It records in r.next what the
// next build compares. all is the course's pages (Course.All); olds, when
// visit is not nil, holds each one's record from the last build (nil for the
// pages the graph made up and for the last build's own pages, isSettled), so that carrying the others over looks none up again.
func (r *run) affected(all []*Page) (visit map[*Page]bool, olds []*cachedPage) {
	c := r.course
	wide := r.wideKey()
	r.next.Special[wideKey] = wide
	r.next.Special[namesSpecial] = c.pageNamesKey()
	r.next.Special[outlineKey] = r.outline
	switch {
	case r.prev == nil, r.theme.ReadsCourse:
		return nil, nil
	case r.prev.special(wideKey) != wide:
		return nil, nil
	case r.b.o.Discussion != nil && r.b.threadsRedone == nil:
		return nil, nil // every thread read anew (a new process): which changed is unknown
	}
	visit = map[*Page]bool{}
	olds = make([]*cachedPage, len(all))
	// On all cores, a chunk at a time: each page is a cache miss or two, and
	// in a new process none is settled, so each has its record compared.
	chunks := (len(all) + carryChunk - 1) / carryChunk
	changedIn, unknown := make([][]*Page, chunks), make([]bool, chunks)
	parallelChunks(r.ctx, len(all), carryChunk, func(lo, hi int) error {
		var changed []*Page
		for i := lo; i < hi; i++ {
			p := all[i]
			if p.Hash == "" {
				continue // made up by the graph: covered by its module's key
			}
			if r.isSettled(p) {
				// The last build's page, its source unchanged: it matches its
				// record, not looked up (ten thousand look-ups, each a cache miss).
				if p.Kind == KindLesson && r.b.threadsRedone[p.ID] {
					changed = append(changed, p)
				}
				continue
			}
			old := r.prev.record(p) // cache.go
			if old == nil || old.RenderKey == "" {
				unknown[lo/carryChunk] = true // unknown to the last build (the wide key should have said)
				return nil
			}
			olds[i] = old
			// A source read again whose bytes are the last build's (touched, or
			// put back as it was) is not a change: carry gives it what rendering
			// added to the cached page.
			if old.Page.Hash != p.Hash || (p.Kind == KindLesson && r.b.threadsRedone[p.ID]) {
				changed = append(changed, p)
			}
		}
		changedIn[lo/carryChunk] = changed
		return nil
	})
	if slices.Contains(unknown, true) || r.ctx.Err() != nil {
		return nil, nil
	}
	var changed []*Page // in page order
	for _, c := range changedIn {
		changed = append(changed, c...)
	}
	for _, p := range changed {
		visit[p] = true
		if p.Prev != nil {
			visit[p.Prev] = true
		}
		if p.Next != nil {
			visit[p.Next] = true
		}
	}
	for _, m := range c.Modules {
		if _, ok := r.prev.nav(r.modKeys[m]); ok {
			continue
		}
		visit[m.Page] = true
		for _, l := range m.Lessons {
			visit[l] = true
		}
	}
	if r.prev.special(outlineKey) != r.outline {
		visit[c.Home] = true
	}
	// The pages whose links point into a changed page are looked at only if
	// its headings changed, which is known once it rendered (readersOfHeadings).
	r.changed = changed
	return visit, olds
}

// isSettled tells that p is the page the last successful build left, with
// the fields its record holds (Hash, TOC, HasMath…): a source that did not
// change is that same page again (Builder.livePage), and only a successful
// build numbers its pages.
func (r *run) isSettled(p *Page) bool {
	return r.settled != 0 && p.settled == r.settled && r.prev == r.b.state
}

// wideKey digests what any page may read beyond its own source, its
// neighbours' cards and its module (see above). It costs a pass over the
// pages' names, not their content.
func (r *run) wideKey() string {
	c := r.course
	k := newKeyer().str(r.key, r.pagesKey, r.imagesKey, c.pageNamesKey())
	cohorts := len(r.cfg.Cohorts) > 0 || len(r.schedules) > 0
	if discussion := r.b.o.Discussion != nil; cohorts || discussion {
		for _, p := range c.All() {
			k.str(p.File)
			if cohorts {
				k.str(strconv.FormatBool(p.Locked), p.Cohort).int(p.OpensAt.UnixNano())
				for _, a := range p.Archive {
					k.str(a.Cohort.ID, a.URL)
				}
			}
			if discussion {
				k.int(int64(len(p.ThreadPages)))
				for _, tp := range p.ThreadPages {
					k.str(tp.URL)
				}
			}
		}
	}
	assets := make([]string, 0, len(r.tree.assets))
	for _, a := range r.tree.assets {
		assets = append(assets, a.path)
	}
	slices.Sort(assets)
	k.str("assets").str(assets...)
	static := make([]string, 0, len(r.theme.static))
	for rel := range r.theme.static {
		static = append(static, rel)
	}
	slices.Sort(static)
	k.str("static").str(static...)
	return k.sum()
}

// pageNamesKey digests every page's file and aliases, in course order, for
// wideKey. It is made once per course graph (reuseGraph relinks one only
// when both are the same), or taken from the last build (buildGraph).
func (c *Course) pageNamesKey() string {
	if c.namesKey == "" {
		k := newKeyer()
		for _, p := range c.All() {
			k.str(p.File).int(int64(len(p.Aliases)))
			k.str(p.Aliases...)
		}
		c.namesKey = k.sum()
	}
	return c.namesKey
}

// readersOfHeadings returns the pages, not looked at yet, whose links point into
// a page of r.changed whose headings (the anchors a link may name) differ from
// the last build's. It runs after those pages rendered; an edit that keeps the
// headings, the usual one, costs nothing here.
func (r *run) readersOfHeadings() []*Page {
	files := map[string]bool{}
	for _, p := range r.changed {
		old := r.prev.page(p.File)
		if old == nil || !slices.Equal(old.Last.TOC, p.TOC) { // Last: p may be the record's own page (reuse)
			files[p.File] = true
		}
	}
	if len(files) == 0 {
		return nil
	}
	var readers []*Page
	for f, cp := range r.prev.Files {
		for _, fr := range cp.Frags {
			if files[fr.Target] {
				if p := r.ix.byFile[f]; p != nil && !r.visit[p] {
					r.visit[p] = true
					readers = append(readers, p)
				}
				break
			}
		}
	}
	slices.SortFunc(readers, func(a, b *Page) int { return strings.Compare(a.File, b.File) })
	return readers
}
