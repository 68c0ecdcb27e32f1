// Package sanitize cleans the HTML of replies to the small allow-list
// Mastodon itself keeps (docs.joinmastodon.org/spec/activitypub#sanitization):
// paragraphs, line breaks, links, spans with microformat classes, and since
// Mastodon 4.2 strong, em, b, i, code, pre, lists, blockquote, del and s.
// Headings become a bold paragraph. Links keep only http, https and mailto
// targets and always get rel="nofollow noopener ugc".
//
// It wraps github.com/microcosm-cc/bluemonday, with a pass before it
// (headings) and after it (link rel, class filter) over golang.org/x/net/html
// tokens. It is for reply content and profile fields from other servers; it
// is not a general HTML cleaner and does not shorten or linkify text.
package sanitize

import (
	"bytes"
	"regexp"
	"slices"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// LinkRel is the rel every link gets: not endorsed, no window.opener, and
// user-generated content.
const LinkRel = "nofollow noopener ugc"

// allowedClasses are the microformat and Mastodon classes kept on a and span;
// any other class is removed.
var allowedClasses = []string{"h-card", "u-url", "mention", "hashtag", "invisible", "ellipsis"}

var headings = []string{"h1", "h2", "h3", "h4", "h5", "h6"}

// policy is built once: bluemonday policies are safe for concurrent use once
// built.
var policy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "strong", "em", "b", "i", "code", "pre", "ul", "ol", "li", "blockquote", "del", "s", "span")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^[a-zA-Z0-9 _-]*$`)).OnElements("a", "span")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.SkipElementsContent("script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript", "title", "head")
	return p
}()

// HTML returns s reduced to the allow-list. The result is safe to put in a
// page as is.
func HTML(s string) string {
	out := policy.Sanitize(headingsToBold(s))
	return rewriteLinks(out)
}

// headingsToBold turns <h1>…</h1> (to h6) into <p><strong>…</strong></p>,
// as Mastodon does.
func headingsToBold(s string) string {
	if !strings.Contains(strings.ToLower(s), "<h") {
		return s
	}
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String()
		}
		tok := z.Token()
		if slices.Contains(headings, tok.Data) {
			switch tt {
			case html.StartTagToken:
				b.WriteString("<p><strong>")
				continue
			case html.EndTagToken:
				b.WriteString("</strong></p>")
				continue
			case html.SelfClosingTagToken:
				continue
			}
		}
		b.WriteString(tok.String())
	}
}

// rewriteLinks sets rel on every link, drops attributes other than href
// and class, and keeps only allowed classes. Its input is bluemonday's
// output, so it is well formed.
func rewriteLinks(s string) string {
	if !strings.Contains(s, "<a") && !strings.Contains(s, "class=") {
		return s
	}
	var b bytes.Buffer
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String()
		}
		tok := z.Token()
		if tt == html.StartTagToken || tt == html.SelfClosingTagToken {
			attrs := tok.Attr[:0]
			for _, a := range tok.Attr {
				switch a.Key {
				case "href":
					attrs = append(attrs, a)
				case "class":
					if c := filterClasses(a.Val); c != "" {
						attrs = append(attrs, html.Attribute{Key: "class", Val: c})
					}
				}
			}
			if tok.Data == "a" {
				attrs = append(attrs, html.Attribute{Key: "rel", Val: LinkRel})
			}
			tok.Attr = attrs
		}
		b.WriteString(tok.String())
	}
}

func filterClasses(v string) string {
	var keep []string
	for _, c := range strings.Fields(v) {
		if slices.Contains(allowedClasses, c) && !slices.Contains(keep, c) {
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, " ")
}
