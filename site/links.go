package site

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/cohort-course/cohort/site/deps"
	"github.com/cohort-course/cohort/site/markdown"
)

// linkIndex answers which URLs and files exist, so that links can be checked and
// rewritten while pages render in parallel. It is read-only once built.
type linkIndex struct {
	base   string
	byFile map[string]*Page // content-relative .md path → page
	byURL  map[string]*Page // root-relative URL → page
	// aliases holds the root-relative URLs of the pages' aliases, and urls
	// every other URL this build makes (its files): with byURL, every URL
	// (hasURL). The pages' part is made once per course graph; only urls is
	// made per build, not a copy of ten thousand page URLs.
	aliases map[string]bool
	urls    map[string]bool
	assets  map[string]bool               // content-relative paths of files copied from content/
	images  map[string]markdown.ImageInfo // root-relative URL → size and srcset (images.go)
}

func newLinkIndex(c *Course) *linkIndex {
	n := len(c.Pages) + len(c.Modules) + len(c.Lessons) + 1 // sized once: growing maps of 10,000 rehashes them
	ix := &linkIndex{
		base:   c.Config.BasePath(),
		byFile: make(map[string]*Page, n),
		byURL:  make(map[string]*Page, n),
	}
	for _, p := range c.All() {
		ix.byFile[p.File] = p
		ix.byURL[p.URL] = p
		for _, a := range p.Aliases {
			if ix.aliases == nil {
				ix.aliases = map[string]bool{}
			}
			ix.aliases[aliasURL(ix.base, a)] = true
		}
	}
	return ix
}

// indexLinks starts making the course's link index on another core: the
// steps up to rendering (threads, navigation, carrying pages over) need none
// of it, and indexing ten thousand pages by file and URL took a tenth of a
// one-edit build in a fresh process. Nothing may change a page's file, URL or
// aliases until pageIndex returns.
func (c *Course) indexLinks() {
	done := make(chan struct{})
	c.linksDone = done
	go func() {
		c.links = newLinkIndex(c)
		close(done)
	}()
}

// pageIndex returns the index of c's pages (byFile, byURL, aliases), waiting
// for indexLinks to make it. It is made once per course graph and kept while
// reuseGraph relinks it (which puts the pages read again in it).
func (c *Course) pageIndex() *linkIndex {
	if c.linksDone != nil {
		<-c.linksDone
	}
	if c.links == nil {
		c.links = newLinkIndex(c)
	}
	return c.links
}

// pageLinks returns the link index of this build: its other URLs and the
// files copied from content/, for it to add to, and the index of c's pages
// added once they are wanted (withPages).
func (c *Course) pageLinks() *linkIndex {
	return &linkIndex{base: c.Config.BasePath(), urls: map[string]bool{}, assets: map[string]bool{}}
}

// withPages puts the index of c's pages in ix, once made (pageIndex).
func (ix *linkIndex) withPages(c *Course) {
	pages := c.pageIndex()
	ix.byFile, ix.byURL, ix.aliases = pages.byFile, pages.byURL, pages.aliases
}

// hasURL tells whether the build makes the root-relative URL u.
func (ix *linkIndex) hasURL(u string) bool {
	return ix.byURL[u] != nil || ix.aliases[u] || ix.urls[u]
}

// addURL records a file the build writes, by its path under the output folder.
func (ix *linkIndex) addURL(rel string) {
	ix.urls[ix.base+rel] = true
	if strings.HasSuffix(rel, "/index.html") {
		ix.urls[ix.base+strings.TrimSuffix(rel, "index.html")] = true
	}
}

// errBrokenLink is wrapped by every broken-link error.
var errBrokenLink = errors.New("broken link")

// fragmentRef is a link to a heading of another page, checked once all pages rendered.
type fragmentRef struct {
	target   *Page
	fragment string
	dest     string
}

// resolver returns the function that rewrites the links of page p. It logs the
// pages linked to, and links to headings for the check after rendering.
func (ix *linkIndex) resolver(p *Page, log *linkLog) func(string) (string, error) {
	dir := path.Dir(p.File)
	return func(dest string) (string, error) {
		if dest == "" {
			return dest, nil
		}
		if strings.HasPrefix(dest, "#") {
			log.frags = append(log.frags, fragmentRef{target: p, fragment: dest[1:], dest: dest})
			return dest, nil
		}
		u, err := url.Parse(dest)
		if err != nil {
			return "", fmt.Errorf("%w: %w", errBrokenLink, err)
		}
		if u.Scheme != "" || u.Host != "" || strings.HasPrefix(dest, "//") {
			return dest, nil // another site: not ours to check
		}
		suffix := ""
		if u.RawQuery != "" {
			suffix += "?" + u.RawQuery
		}
		if u.Fragment != "" {
			suffix += "#" + u.EscapedFragment()
		}
		if strings.HasPrefix(u.Path, "/") {
			out, err := ix.rootRelative(&log.reads, u.Path, suffix)
			if q := ix.byURL[strings.TrimSuffix(out, suffix)]; err == nil && q != nil && u.Fragment != "" {
				// A page, not a file: its heading is checked as a relative link's is.
				log.frags = append(log.frags, fragmentRef{target: q, fragment: u.Fragment, dest: dest})
			}
			return out, err
		}
		target := path.Join(dir, u.Path)
		if strings.HasSuffix(u.Path, "/") || u.Path == "." || u.Path == ".." {
			target += "/_index.md"
		}
		if strings.HasSuffix(target, ".md") {
			q, ok := ix.byFile[target]
			if ok {
				log.reads.Read(readLinkedPage+target, q.URL)
			}
			if !ok {
				if strings.HasPrefix(target, "../") {
					return "", fmt.Errorf("%w: %s is outside content/", errBrokenLink, u.Path)
				}
				return "", fmt.Errorf("%w: no page content/%s", errBrokenLink, target)
			}
			if u.Fragment != "" {
				log.frags = append(log.frags, fragmentRef{target: q, fragment: u.Fragment, dest: dest})
			}
			return q.URL + suffix, nil
		}
		if log.reads.Has(readAsset+target, ix.assets[target]) {
			return ix.base + target + suffix, nil
		}
		return "", fmt.Errorf("%w: no file content/%s", errBrokenLink, target)
	}
}

// rootRelative checks a link written from the site's root ("/02-facilitating/prompts/")
// and puts the base URL's path in front of it.
// Every lookup is recorded in reads, misses too: a URL appearing where an
// earlier lookup missed changes what the link resolves to.
func (ix *linkIndex) rootRelative(reads *deps.Recorder, p, suffix string) (string, error) {
	rel := strings.TrimPrefix(p, "/")
	full := ix.base + rel
	has := func(u string) bool { return reads.Has(readURL+u, ix.hasURL(u)) }
	switch {
	case has(full):
		return full + suffix, nil
	case !strings.HasSuffix(full, "/") && has(full+"/"):
		return full + "/" + suffix, nil
	case strings.HasPrefix(p, ix.base) && has(p):
		return p + suffix, nil // already written with the base path
	}
	return "", fmt.Errorf("%w: nothing is published at %s", errBrokenLink, p)
}

// The kinds of read a page's links make of the link index (deps.go).
const (
	readLinkedPage = "page:"  // + content-relative .md path → the page's URL
	readAsset      = "asset:" // + content-relative path → "1" when the file is copied
	readURL        = "url:"   // + root-relative URL → "1" when the build makes it
)

// current answers a recorded read from this build's index.
func (ix *linkIndex) current(key string) string {
	kind, arg := deps.Split(key)
	switch kind + ":" {
	case readLinkedPage:
		if q := ix.byFile[arg]; q != nil {
			return q.URL
		}
		return ""
	case readAsset:
		return boolRead(ix.assets[arg])
	case readURL:
		return boolRead(ix.hasURL(arg))
	}
	return deps.Unknown
}

func boolRead(ok bool) string {
	if ok {
		return "1"
	}
	return ""
}

// lineOf finds the 1-based line of the first occurrence of s in src, or 0.
func lineOf(src []byte, s string) int {
	i := strings.Index(string(src), s)
	if i < 0 {
		return 0
	}
	return strings.Count(string(src[:i]), "\n") + 1
}
