package site

import (
	"bytes"
	"encoding/xml"
)

// sitemap lists every page: the last build's file with the changed pages'
// entries replaced when it can be (patch.go), else assembled from each
// page's cached entry. Either way it records its entries' lengths for the
// next build to patch.
func (r *run) sitemap() ([]byte, error) {
	if data, lengths, ok := r.patchedSitemap(); ok {
		r.setSpecial(entriesKey("sitemap.xml"), encodeLengths(lengths))
		return data, nil
	}
	l := sitemapLayout()
	all := r.course.All()
	lengths := make([]int, len(all))
	var b bytes.Buffer
	b.Grow(r.prevSize("sitemap.xml"))
	b.Write(l.prefix)
	for i, p := range all {
		e := r.frags(p).Sitemap
		lengths[i] = len(e)
		b.Write(e)
	}
	b.Write(l.suffix)
	r.setSpecial(entriesKey("sitemap.xml"), encodeLengths(lengths))
	return b.Bytes(), nil
}

// sitemapEntry is a page's <url> in sitemap.xml. A lesson not open yet has no
// date: its date would announce it.
func sitemapEntry(p *Page) []byte {
	lastmod := ""
	if !p.Date.IsZero() && !p.Locked {
		lastmod = "<lastmod>" + p.Date.Format("2006-01-02") + "</lastmod>"
	}
	var loc bytes.Buffer
	xml.EscapeText(&loc, []byte(p.Permalink))
	return []byte("  <url><loc>" + loc.String() + "</loc>" + lastmod + "</url>\n")
}

// robots is robots.txt: everything may be crawled, and here is the sitemap.
func (r *run) robots() ([]byte, error) {
	return []byte("User-agent: *\nAllow: /\n\nSitemap: " + r.abs("sitemap.xml") + "\n"), nil
}
