package site

import (
	"bytes"
	"encoding/xml"
)

// sitemap lists every page, assembled from each page's cached entry.
func (r *run) sitemap() ([]byte, error) {
	var b bytes.Buffer
	b.Grow(r.prevSize("sitemap.xml"))
	b.WriteString(xml.Header)
	b.WriteString(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	for _, p := range r.course.All() {
		b.Write(r.frags(p).Sitemap)
	}
	b.WriteString("</urlset>\n")
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
