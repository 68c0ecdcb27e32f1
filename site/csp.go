package site

import (
	"net/url"
	"strings"
)

// ContentSecurityPolicy is the policy of the site's pages, given the origin of
// the companion whose threads API the discussion script reads (the site's own
// origin, or "" for none). It allows no inline script, style or event handler,
// so that nothing in a reply can run even if it got past the sanitizers; images
// and media may come from any https host (avatars, images in lessons), frames
// only over https (video players), and scripts only from the site itself.
func ContentSecurityPolicy(companion string) string {
	connect := "'self'"
	if o := origin(companion); o != "" {
		connect += " " + o
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; " +
		"media-src 'self' https:; frame-src https:; connect-src " + connect + "; object-src 'none'; " +
		"base-uri 'self'; form-action 'self' https:"
}

// origin returns scheme://host of an http(s) URL, or "".
func origin(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(u.Host, " ;'\"") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// headersFile is _headers for static hosts that read it (Netlify, Cloudflare
// Pages): the pages' Content-Security-Policy as a response header, which also
// covers what a <meta> cannot (it applies before the page is parsed).
func (r *run) headersFile() ([]byte, error) {
	var b strings.Builder
	b.WriteString("# Response headers for static hosts that read this file (Netlify, Cloudflare Pages).\n")
	b.WriteString("# Made by cohort build; the same policy is in every page's <meta http-equiv>.\n")
	b.WriteString(r.cfg.BasePath() + "*\n")
	b.WriteString("  Content-Security-Policy: " + ContentSecurityPolicy(r.cfg.Federation.Base()) + "\n")
	b.WriteString("  X-Content-Type-Options: nosniff\n")
	return []byte(b.String()), nil
}
