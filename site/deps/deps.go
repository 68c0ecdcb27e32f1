// Package deps records, while the build makes an output, which inputs it read
// and what each read returned, so that the next build makes that output again
// exactly when one of those reads would now return something else.
//
// It is for the incremental build in package site; it knows nothing of pages,
// templates or files. It is not a cache of outputs (site keeps their hashes),
// nor a scheduler: it answers one question per output, "did anything it read
// change?".
//
// # Design
//
// The build used to decide what to redo from keys kept by hand: a render key per
// page hashing what the page was thought to depend on. A dependency nobody
// thought of is a stale page, found late (an archive page's module navigation,
// a root-relative link to a lesson that was deleted). Recorded reads replace the
// guessing where it can fail silently.
//
// The model follows two systems that stay both correct and fast:
//
//   - salsa (rust-analyzer's query engine): every derived value keeps the list of
//     inputs it read; on a new revision a value is reused when none of those
//     inputs changed, and recomputed otherwise. A recomputed value that comes out
//     equal to the old one does not count as a change for what read it ("early
//     cutoff", backdating).
//   - Hugo's identity package (gohugoio/hugo identity/identity.go, finder.go):
//     each page and template carries a manager of the identities touched while it
//     was rendered; a change to a file is looked up in the managers, allowing
//     false positives (render too much) but never false negatives.
//
// Here an input is named by a key, a short string with a kind and an argument
// ("page:01-intro/a.md", "url:/about/", "asset:01-intro/fig.svg"). A read is the
// key together with the value it returned, as a string: a URL, "1" for a file
// that exists, "" for one that does not, or the digest of a larger value (a
// page's card, a module's lesson list, a thread). An output's Reads are kept in
// the build cache beside the output's hash. On the next build the output is
// made again when any recorded key now reads differently (Reads.Changed), given
// a function that answers the key from the new build's inputs.
//
// Recording the value, not a revision number, gives early cutoff for free: a
// module whose lessons were edited but whose list of titles came out the same
// reads the same digest, and nothing that read only the list is redone. It also
// makes the record self-contained, so a new process can check it against its own
// inputs without a shared revision counter.
//
// A miss is a read too: a link checked against "/about" that found nothing and
// then found "/about/" records both, so that a page appearing at the first
// address redoes the page whose link would now resolve differently.
//
// # Where reads are recorded
//
//  1. Markdown: the link resolver records every page, URL and file it looked up
//     (site/links.go). Done: a page is rendered again when a link target moves
//     or goes, whatever else about the page stayed the same.
//  2. Templates: html/template reads a field or calls a method without a hook
//     (Hugo forks text/template to get one). The plan is to hand templates views
//     instead of *Page, *Module and *Course: a niladic method reads in a template
//     exactly as a field does (.Page.Prev.Title works for both), so themes need
//     no change, and each view method records the read of its key ("card:FILE"
//     for what lists and neighbours show of a page, "nav:DIR", "outline",
//     "pages" for the plain pages the header lists, "thread:LESSON/COHORT",
//     "clock:FILE" for a lesson's locked state and cohort). Until then a page's
//     render key covers these by hand (site/render.go, renderKey), written for
//     the theme's own layouts and checked by the property test. A course's own
//     layout may read anything: when its text names a field through which
//     other pages are reached (.Site.Course, .Prev, .Lessons, ...), every
//     output's key covers every page (site/theme.go, reachesPages), a false
//     positive by design, as Hugo's finder allows, never a false negative.
//  3. Whole-course files (sitemap, search index, lessons.json): the file is
//     reassembled from each page's entry, only the changed entries made again
//     (site/frags.go). Planned: each entry records its reads like a page; today
//     it has a key kept by hand (pageFrags), checked by the property test.
//
// # Who reads what changed
//
// Checking every output's record is itself a cost per page (a render key
// hashed, reads decoded), most of a one-edit rebuild at 10,000 lessons. So
// the build first finds the readers of what changed (site/affected.go): a
// page's source is read by the page, its card by its neighbours and its
// module's navigation, the navigation by the module's pages, the outline by
// the home page, its headings by the pages whose links point into them (their
// recorded fragments). Only those are checked; every other output keeps its
// record untouched. What every page may read (config, layouts, which pages
// exist and in which order, aliases, files, the cohorts' clock, which threads
// have pages) is one digest, and when it differs every output is checked.
//
// Config and layouts are read by every output: they are one key ("build") in
// every record rather than a read per field, which would make every record
// longer for no gain, since changing them redoes every output anyway.
package deps

import (
	"slices"
	"strings"
)

// Reads maps each input an output read to the value the read returned.
type Reads map[string]string

// Recorder collects the reads of one output while it is made. The zero value is
// ready to use; it is not safe for concurrent use (one output is made by one
// goroutine).
type Recorder struct {
	reads Reads
}

// Read records that key was read and returned value, and returns value, so that
// a lookup can be recorded where it is made: url := rec.Read("page:"+f, p.URL).
func (r *Recorder) Read(key, value string) string {
	if r.reads == nil {
		r.reads = Reads{}
	}
	r.reads[key] = value
	return value
}

// Has records a read whose answer is whether something exists.
func (r *Recorder) Has(key string, ok bool) bool {
	v := ""
	if ok {
		v = "1"
	}
	r.Read(key, v)
	return ok
}

// Reads returns what was recorded; nil when nothing was read.
func (r *Recorder) Reads() Reads { return r.reads }

// Changed returns the first key, in sorted order, whose value current now gives
// differs from the recorded one, and whether there is one. current answers a
// key from the new build's inputs; for a key it does not know it must return
// something no read records (Unknown), so that the output is made again.
func (rs Reads) Changed(current func(key string) string) (string, bool) {
	keys := make([]string, 0, len(rs))
	for k := range rs {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same answer every time, for messages and tests
	for _, k := range keys {
		if current(k) != rs[k] {
			return k, true
		}
	}
	return "", false
}

// Unknown is what a current function returns for a key it cannot answer: no
// recorded read ever has this value.
const Unknown = "\x00unknown"

// Split returns a key's kind and argument: "page:a/b.md" → "page", "a/b.md".
func Split(key string) (kind, arg string) {
	kind, arg, _ = strings.Cut(key, ":")
	return kind, arg
}
