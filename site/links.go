package site

import (
	"errors"
	"fmt"
	"maps"
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
	byFile map[string]*Page              // content-relative .md path → page
	byURL  map[string]*Page              // root-relative URL → page
	urls   map[string]bool               // every root-relative URL the build makes
	assets map[string]bool               // content-relative paths of files copied from content/
	images map[string]markdown.ImageInfo // root-relative URL → size and srcset (images.go)
}

func newLinkIndex(c *Course) *linkIndex {
	n := len(c.Pages) + len(c.Modules) + len(c.Lessons) + 1 // sized once: growing three maps of 10,000 rehashes them
	ix := &linkIndex{
		base:   c.Config.BasePath(),
		byFile: make(map[string]*Page, n),
		byURL:  make(map[string]*Page, n),
		urls:   make(map[string]bool, n),
		assets: map[string]bool{},
	}
	for _, p := range c.All() {
		ix.byFile[p.File] = p
		ix.byURL[p.URL] = p
		ix.urls[p.URL] = true
		for _, a := range p.Aliases {
			ix.urls[aliasURL(ix.base, a)] = true
		}
	}
	return ix
}

// pageLinks returns the link index of c's pages, for this build to add its
// other URLs to. It is made once per course graph and kept while reuseGraph
// relinks it (which puts the pages read again in it); only its URL set is
// copied per build. Indexing ten thousand pages again was a tenth of a one-edit
// rebuild.
func (c *Course) pageLinks() *linkIndex {
	if c.links == nil {
		c.links = newLinkIndex(c)
	}
	// byFile and byURL are only read from here on; urls gets this build's files.
	base := c.links
	return &linkIndex{base: base.base, byFile: base.byFile, byURL: base.byURL, urls: maps.Clone(base.urls), assets: map[string]bool{}}
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
	has := func(u string) bool { return reads.Has(readURL+u, ix.urls[u]) }
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
		return boolRead(ix.urls[arg])
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
