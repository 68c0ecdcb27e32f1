package hugoimport

// A page's Markdown: shortcodes kept, converted or reported, and links rewritten
// from Hugo's URLs (relative to the page's URL) to cohort's content paths (relative
// to the file). The tweet, gist and instagram arguments follow
// gohugoio/hugo tpl/tplimpl/embedded/templates/_shortcodes/{twitter,gist,instagram}.html;
// alert follows google/docsy layouts/shortcodes/alert.html (title, color) and expand
// McShelby/hugo-theme-relearn layouts/shortcodes/expand.html (title at position 0).

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"

	"github.com/cohort-course/cohort/site/markdown"
)

// page converts one Hugo page and writes it to the course.
func (im *importer) page(p *page) error {
	data, err := fs.ReadFile(im.src, p.file)
	if err != nil {
		return err
	}
	rf, err := splitFront(data)
	if err != nil {
		im.warn(p.file, 1, "%v; copied as it is", err)
		return im.write("content/"+p.newRel, data)
	}
	fm, err := im.frontMatter(p, rf) // frontmatter.go
	if err != nil {
		return err
	}
	head, err := encodeFront(fm)
	if err != nil {
		return fmt.Errorf("front matter: %w", err)
	}
	body := im.shortcodes_(p, rf)
	body = im.links(p, rf, body)
	im.rep.Pages++
	return im.write("content/"+p.newRel, append(head, body...))
}

// bodyLine is the file's line of byte off in the body.
func bodyLine(rf rawFront, body []byte, off int) int {
	return rf.bodyAt + bytes.Count(body[:off], []byte("\n"))
}

// shortcodes_ keeps the shortcodes cohort renders, converts those it renders
// otherwise, and reports the rest.
func (im *importer) shortcodes_(p *page, rf rawFront) []byte {
	src := rf.body
	var out bytes.Buffer
	last := 0
	for _, tag := range markdown.ScanShortcodes(src) {
		c := tag.Call
		raw := string(src[tag.Offset : tag.Offset+tag.Len])
		line := bodyLine(rf, src, tag.Offset)
		repl, ok := im.shortcode(p, c, tag.Closing, raw, line)
		if !ok {
			continue
		}
		out.Write(src[last:tag.Offset])
		out.WriteString(repl)
		last = tag.Offset + tag.Len
	}
	out.Write(src[last:])
	return out.Bytes()
}

// shortcode returns what replaces one tag, and false to keep it as written.
func (im *importer) shortcode(p *page, c *markdown.ShortcodeCall, closing bool, raw string, line int) (string, bool) {
	open, end := "{{<", ">}}"
	if c.Markdown {
		open, end = "{{%", "%}}"
	}
	if tpl, ok := im.template(c.Name); ok {
		im.shortcodes[c.Name] = tpl
		return "", false
	}
	switch c.Name {
	case "ref", "relref":
		if target := c.Get("0"); target != "" {
			if to, ok := im.refTarget(target); ok && to != target {
				return strings.Replace(raw, target, to, 1), true
			}
		}
		return "", false
	case "figure":
		if src := c.Get("src"); src != "" {
			if to, ok := im.dest(p, src, line); ok && to != src {
				return strings.Replace(raw, src, to, 1), true
			}
		}
		return "", false
	case "tweet", "x", "twitter":
		user, id := c.Get("user"), c.Get("id")
		if id == "" {
			id = c.Get("0")
		}
		if user == "" {
			return fmt.Sprintf("[Post %s](https://x.com/i/status/%s)", id, id), true
		}
		return fmt.Sprintf("[Post by @%s](https://x.com/%s/status/%s)", user, user, id), true
	case "gist":
		user, id := c.Get("0"), c.Get("1")
		return fmt.Sprintf("[Gist %s/%s](https://gist.github.com/%s/%s)", user, id, user, id), true
	case "instagram":
		id := c.Get("0")
		if id == "" {
			id = c.Get("id")
		}
		return fmt.Sprintf("[Instagram post](https://www.instagram.com/p/%s/)", id), true
	case "alert": // Docsy's callout: color → the notice's style
		if closing {
			return open + " /notice " + end, true
		}
		style := map[string]string{"warning": "warning", "danger": "warning", "info": "info", "success": "tip", "primary": "note"}[c.Get("color")]
		if style == "" {
			style = "note"
		}
		if t := c.Get("title"); t != "" {
			return open + " notice " + style + " " + strconv.Quote(t) + " " + end, true
		}
		return open + " notice " + style + " " + end, true
	case "expand": // Relearn's collapsed block: Hugo's details
		if closing {
			return open + " /details " + end, true
		}
		title := c.Get("0")
		if title == "" {
			title = c.Get("title")
		}
		return open + " details summary=" + strconv.Quote(title) + " " + end, true
	case "comment": // a note to authors: not part of the page
		if !closing {
			im.warn(p.file, line, "shortcode %q: its text stays in the page; remove it by hand", c.Name)
		}
		return "", false
	}
	if markdown.IsBuiltinShortcode(c.Name) {
		return "", false
	}
	if !closing {
		im.warn(p.file, line, "shortcode %q not converted: no cohort equivalent and no layouts/shortcodes/%s.html", c.Name, c.Name)
	}
	return "", false
}

// template finds the Hugo site's own template for a shortcode: the site's layouts win,
// then its theme's, but a theme's never replaces one cohort renders itself (a theme's
// notice is written for Hugo's functions; cohort's notice is its equivalent).
func (im *importer) template(name string) (string, bool) {
	for _, dir := range []string{"layouts/shortcodes/", "layouts/_shortcodes/"} {
		p := dir + name + ".html"
		if _, err := fs.Stat(im.src, p); err == nil {
			return p, true
		}
	}
	if im.theme == "" || markdown.IsBuiltinShortcode(name) {
		return "", false
	}
	for _, dir := range []string{"layouts/shortcodes/", "layouts/_shortcodes/"} {
		p := "themes/" + im.theme + "/" + dir + name + ".html"
		if _, err := fs.Stat(im.src, p); err == nil {
			return p, true
		}
	}
	return "", false
}

// refTarget maps a ref or relref target (a content path, with or without .md, from
// content/ or the section) to the page's new content path.
func (im *importer) refTarget(target string) (string, bool) {
	file, frag, hasFrag := strings.Cut(target, "#")
	key := strings.TrimPrefix(file, "/")
	if im.section != "" {
		key = strings.TrimPrefix(key, im.section+"/")
	}
	key = strings.TrimSuffix(key, ".md")
	key = strings.TrimSuffix(strings.TrimSuffix(key, "/_index"), "/index")
	to, ok := im.byKey[key]
	if !ok {
		return "", false
	}
	if hasFrag {
		to += "#" + frag
	}
	return to, true
}

// links rewrites the destinations of the body's Markdown links and images.
func (im *importer) links(p *page, rf rawFront, body []byte) []byte {
	doc := goldmark.New().Parser().Parse(text.NewReader(body))
	seen := map[string]bool{}
	var dests []string
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var d string
		switch n := n.(type) {
		case *ast.Link:
			d = string(n.Destination)
		case *ast.Image:
			d = string(n.Destination)
		default:
			return ast.WalkContinue, nil
		}
		if !seen[d] {
			seen[d] = true
			dests = append(dests, d)
		}
		return ast.WalkContinue, nil
	})
	for _, d := range dests {
		i := bytes.Index(body, []byte("]("+d))
		line := rf.bodyAt
		if i >= 0 {
			line = bodyLine(rf, body, i)
		}
		to, ok := im.dest(p, d, line)
		if !ok || to == d {
			continue
		}
		body = bytes.ReplaceAll(body, []byte("]("+d+")"), []byte("]("+to+")"))
		body = bytes.ReplaceAll(body, []byte("]("+d+" "), []byte("]("+to+" "))
	}
	return body
}

// dest maps a link destination written for Hugo to one for cohort. It returns false
// for destinations to leave alone (other sites, fragments) and warns about links to
// nothing it knows.
func (im *importer) dest(p *page, d string, line int) (string, bool) {
	u, err := url.Parse(d)
	if err != nil || d == "" || strings.HasPrefix(d, "#") || u.Scheme != "" || u.Host != "" || strings.HasPrefix(d, "//") {
		return d, false
	}
	suffix := ""
	if u.RawQuery != "" {
		suffix += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		suffix += "#" + u.Fragment
	}
	from := path.Dir(p.newRel)
	if strings.HasSuffix(u.Path, ".md") { // a content path, as Hugo's render hooks read it
		key := path.Join(path.Dir(p.rel), u.Path)
		if to, ok := im.refTarget(key); ok {
			return relPath(from, to) + suffix, true
		}
		im.warn(p.file, line, "link %q: no page at %s in the section", d, key)
		return d, false
	}
	old := u.Path
	if !strings.HasPrefix(old, "/") {
		old = path.Join(p.url, old) // a page's URL is a folder: links are relative to it
		if strings.HasSuffix(u.Path, "/") {
			old += "/"
		}
	}
	for _, k := range []string{old, old + "/", strings.ToLower(old), strings.ToLower(old) + "/"} {
		if to, ok := im.byURL[k]; ok {
			return relPath(from, to) + suffix, true
		}
	}
	if _, err := fs.Stat(im.src, "static"+old); err == nil && old != "/" {
		return old + suffix, true // static/ is copied: the root-relative URL stays
	}
	im.warn(p.file, line, "link %q: nothing in the section or static/ is at %s", d, old)
	return d, false
}

// relPath is the path from folder from to file to, both relative to content/.
func relPath(from, to string) string {
	var f []string
	if from != "." && from != "" {
		f = strings.Split(from, "/")
	}
	t := strings.Split(to, "/")
	i := 0
	for i < len(f) && i < len(t)-1 && f[i] == t[i] {
		i++
	}
	return strings.Repeat("../", len(f)-i) + strings.Join(t[i:], "/")
}
