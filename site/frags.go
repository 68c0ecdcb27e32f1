package site

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"strconv"
)

// pageFrags are a page's entries in the files made from the whole course, kept
// between builds so that a rebuild only re-encodes the pages that changed.
type pageFrags struct {
	Key      string
	Sitemap  []byte
	Search   []byte // searchDoc as JSON
	Manifest []byte // lessons only
}

// frags returns p's entries, made by makeFrags. A page it did not look at
// and that holds none keeps the last build's, which r.next.Frags took over
// (makeFrags): resolved here, when a whole-course file is assembled again,
// rather than for every page of every build. It only reads, so the search
// index and the files made beside it may call it at once.
func (r *run) frags(p *Page) *pageFrags {
	if p.frags != nil {
		return p.frags
	}
	return r.next.Frags[p.File]
}

// makeFrags makes every page's entries, in parallel, reusing the last build's
// where nothing they show changed.
func (r *run) makeFrags() error {
	all := r.course.All()
	made := make([]*pageFrags, len(all))
	var look []int // the pages whose entries may have changed
	// lazy: the pages not looked at keep the last build's entries without
	// looking each one up (frags). affected (affected.go) looks at a part of
	// the pages only when the course has the last build's pages, in its order
	// (the wide key covers their names), whose entries the last build's state
	// holds, one per page: the count confirms it.
	lazy := r.visit != nil && len(r.prev.Frags) == len(all)
	if r.visit == nil {
		look = make([]int, len(all))
		for i := range all {
			look[i] = i
		}
	} else {
		// An entry shows its page and its module's title and opening: only the
		// pages looked at, and the lessons of a module whose page was, can differ.
		for i, p := range all {
			switch {
			case r.visit[p] || (p.Module != nil && r.visit[p.Module.Page]):
				look = append(look, i)
			case r.isSettled(p) && p.frags != nil:
				made[i] = p.frags // the last build's page keeps the entries it left with it (affected.go)
			case lazy:
				// left nil: frags takes the last build's from r.next.Frags if a
				// whole-course file is assembled again
			case r.prev.Frags[p.File] != nil:
				made[i] = r.prev.Frags[p.File]
			default:
				look = append(look, i)
			}
		}
	}
	r.lookedAt = look
	err := parallel(r.ctx, len(look), func(j int) error {
		i := look[j]
		made[i] = r.pageFrags(all[i])
		return nil
	})
	for i, p := range all {
		p.frags = made[i]
	}
	// An edit to a lesson's text makes its entries again (its search entry
	// changed), but its sitemap and lessons.json entries are mostly the same
	// bytes: those files are then kept, not assembled and hashed again.
	r.fragsSame = r.prev != nil
	r.sitemapSame, r.manifestSame = r.prev != nil, r.prev != nil
	compare := func(old, now *pageFrags) {
		if old == now {
			return
		}
		r.fragsSame = false
		if old == nil {
			r.sitemapSame, r.manifestSame = false, false
			return
		}
		r.sitemapSame = r.sitemapSame && bytes.Equal(old.Sitemap, now.Sitemap)
		r.manifestSame = r.manifestSame && bytes.Equal(old.Manifest, now.Manifest)
	}
	if r.visit != nil {
		// The same pages as the last build, in the same order (or the wide key,
		// which digests the files in this order, would have differed): the last
		// build's entries are taken over whole, and only the pages looked at
		// here are compared and overwritten.
		r.next.Frags = maps.Clone(r.prev.Frags)
		for _, i := range look {
			p := all[i]
			compare(r.prev.Frags[p.File], made[i])
			r.next.Frags[p.File] = made[i]
		}
		r.fragsOrder = r.prev.special(fragsOrderKey)
		for _, i := range look {
			r.touched = append(r.touched, all[i].File)
		}
		// Files and Frags are both the last build's but for the pages
		// touched: the cache's delta compares those only (codec.go).
		r.next.from, r.next.touched = r.prev, r.touched
		r.prev.from, r.prev.touched = nil, nil // no chain of past states kept alive in serve
	} else {
		order := newKeyer()
		for i, p := range all {
			r.next.Frags[p.File] = made[i]
			order.str(p.File)
			if r.prev != nil {
				compare(r.prev.Frags[p.File], made[i])
			}
		}
		r.fragsOrder = order.sum()
	}
	r.next.Special[fragsOrderKey] = r.fragsOrder
	if r.prev.special(fragsOrderKey) != r.fragsOrder || r.fragsOrder == "" {
		r.fragsSame, r.sitemapSame, r.manifestSame = false, false, false
	}
	head, herr := r.manifestHeadJSON() // manifest.go
	if herr != nil {
		return errors.Join(err, fmt.Errorf("lessons.json: %w", herr))
	}
	r.manifestHead = hashBytes(head)
	r.next.Special[manifestHeadKey] = r.manifestHead
	return err
}

// fragsOrderKey records, among the special keys, the order of the pages the
// whole-course files list.
const fragsOrderKey = "frags-order"

// assembled tells whether a whole-course file can stay as the last build wrote
// it: no page's entry changed and the pages are in the same order.
func (r *run) assembled(name string) bool {
	switch name {
	case "sitemap.xml":
		return r.sitemapSame && r.out.keep(name)
	case "lessons.json":
		// Its head (the course, its cohorts, its modules) is checked too.
		return r.manifestSame && r.prev.special(manifestHeadKey) == r.manifestHead && r.out.keep(name)
	}
	return r.fragsSame && r.out.keep(name)
}

func (r *run) pageFrags(p *Page) *pageFrags {
	// The search entry's format is in the key: a cache of another format is made again.
	key := strconv.Itoa(searchDocFormat) + "|" + p.Hash + "|" + p.Permalink + "|" + strconv.Itoa(p.Order) + "|" + p.Title + "|" + strconv.FormatBool(p.Locked)
	if p.Module != nil {
		key += "|" + p.Module.Page.ID + "|" + p.Module.Page.Title
	}
	for _, o := range p.releases { // a module's opens moves its lessons' releases
		key += "|" + o.cohort + "@" + strconv.FormatInt(o.at.Unix(), 10)
	}
	if r.prev != nil {
		if f, ok := r.prev.Frags[p.File]; ok && f.Key == key {
			return f
		}
	}
	f := &pageFrags{Key: key, Sitemap: sitemapEntry(p), Search: r.searchDocOf(p)} // search_index.go; a lesson not open yet gives title and summary only
	if p.Kind == KindLesson {
		f.Manifest = manifestEntry(p)
	}
	return f
}

// prevSize guesses the size of a whole-course file from the fragments it is
// assembled from, so its buffer grows once.
func (r *run) prevSize(name string) int {
	n := 4096
	for _, p := range r.course.All() {
		f := r.frags(p)
		switch name {
		case "sitemap.xml":
			n += len(f.Sitemap)
		case "lessons.json":
			n += len(f.Manifest) + 6
		}
	}
	return n
}
