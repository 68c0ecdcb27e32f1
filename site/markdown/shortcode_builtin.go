package markdown

// The transformer that turns shortcode calls into nodes, and the Hugo built-ins as
// cohort renders them. The arguments follow what was read in gohugoio/hugo
// tpl/tplimpl/embedded/templates/_shortcodes/figure.html (alt falls back to the
// caption) and details.html (summary, open, class, name, title); notice follows
// McShelby/hugo-theme-relearn layouts/shortcodes/notice.html (style, then title, as
// positions 0 and 1) and hint alex-shpak/hugo-book layouts/shortcodes/hint.html
// (style at position 0).

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// shortcodeTransformer replaces every shortcode call with what it stands for.
type shortcodeTransformer struct {
	labels *labels
	custom map[string]Shortcode
}

// Transform implements parser.ASTTransformer.
func (t *shortcodeTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	st, _ := pc.Get(stateKey).(*renderState)
	if st == nil {
		st = &renderState{}
	}
	var calls []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && (n.Kind() == kindShortcode || n.Kind() == kindShortcodeInline) {
			calls = append(calls, n)
		}
		return ast.WalkContinue, nil
	})
	src := reader.Source()
	for _, n := range calls {
		var err error
		var call *ShortcodeCall
		var off int
		switch n := n.(type) {
		case *shortcodeBlock:
			call, off = n.Call, n.Offset
			err = t.block(n, src, st)
		case *shortcodeInline:
			call, off = n.Call, n.Offset
			err = n.Err
			if err == nil {
				err = t.inline(n, src, st)
			}
		}
		if err != nil {
			st.fail(&ShortcodeError{Line: lineAt(src, off), Name: call.Name, Err: err})
			n.Parent().RemoveChild(n.Parent(), n)
		}
	}
}

// errUnknown is wrapped by the error for a shortcode nobody defined.
var errUnknown = errors.New("unknown shortcode")

func unknown(name string) error {
	return fmt.Errorf("%w: not a built-in (youtube, vimeo, figure, ref, relref, highlight, param, details, notice, hint) and no layouts/shortcodes/%s.html", errUnknown, name)
}

// block replaces a shortcode alone on its lines.
func (t *shortcodeTransformer) block(n *shortcodeBlock, src []byte, st *renderState) error {
	c := n.Call
	c.Page = st.env.Page
	if n.raw && c.Paired {
		var b strings.Builder
		for i := 0; i < n.Lines().Len(); i++ {
			s := n.Lines().At(i)
			b.Write(s.Value(src))
		}
		c.Inner = b.String()
	}
	replace := func(with ast.Node) {
		with.SetBlankPreviousLines(n.HasBlankPreviousLines())
		for ch := n.FirstChild(); ch != nil; {
			next := ch.NextSibling()
			with.AppendChild(with, ch)
			ch = next
		}
		n.Parent().ReplaceChild(n.Parent(), n, with)
	}
	if fn, ok := t.custom[c.Name]; ok {
		replace(&customNode{Call: c, Fn: fn, Line: lineAt(src, n.Offset), st: st})
		return nil
	}
	if n.unclosed {
		return fmt.Errorf("no closing {{%c /%s %c}}", tagDelim(c), c.Name, closeDelim(c))
	}
	switch c.Name {
	case "youtube", "vimeo":
		v, title, err := videoCall(c)
		if err != nil {
			return err
		}
		replace(&videoNode{Video: v, Title: title})
	case "figure":
		html, err := figure(c, st)
		if err != nil {
			return err
		}
		replace(&rawHTML{HTML: html, Block: true})
	case "highlight":
		html, err := highlightCall(c)
		if err != nil {
			return err
		}
		replace(&rawHTML{HTML: html, Block: true})
	case "details":
		open, _ := strconv.ParseBool(c.Named["open"])
		summary := c.Named["summary"]
		if summary == "" {
			summary = "Details"
		}
		replace(&detailsNode{Summary: summary, Open: open, Class: c.Named["class"], Name: c.Named["name"], Title: c.Named["title"]})
	case "notice", "hint":
		kind, title, err := calloutCall(c)
		if err != nil {
			return err
		}
		head := &asideTitle{Class: "callout-title", Label: t.labels.callout[kind]}
		if title != "" {
			head.Label = template.HTMLEscapeString(title)
		}
		aside := &calloutNode{Callout: kind}
		replace(aside)
		aside.InsertBefore(aside, aside.FirstChild(), head)
	default:
		return unknown(c.Name)
	}
	return nil
}

// inline replaces a shortcode inside a paragraph.
func (t *shortcodeTransformer) inline(n *shortcodeInline, src []byte, st *renderState) error {
	c := n.Call
	c.Page = st.env.Page
	put := func(html string) {
		n.Parent().ReplaceChild(n.Parent(), n, &rawHTML{HTML: html})
	}
	if fn, ok := t.custom[c.Name]; ok {
		out, err := fn(c)
		if err != nil {
			return err
		}
		put(out)
		return nil
	}
	switch c.Name {
	case "ref", "relref":
		target := c.arg("path", 0)
		if target == "" {
			return errors.New("names no page: {{< ref \"module/lesson.md\" >}}")
		}
		dest, err := st.ref(target, c.Name == "ref")
		if err != nil {
			return err
		}
		if !linkAround(n, src, dest) {
			put(template.HTMLEscapeString(dest))
		}
	case "param":
		key := c.arg("name", 0)
		v, ok := st.param(key)
		if !ok {
			return fmt.Errorf("no param %q in the page's or the course's params", key)
		}
		put(template.HTMLEscapeString(fmt.Sprint(v)))
	case "youtube", "vimeo", "figure", "highlight", "details", "notice", "hint":
		return fmt.Errorf("goes on a line of its own")
	default:
		return unknown(c.Name)
	}
	return nil
}

func tagDelim(c *ShortcodeCall) byte {
	if c.Markdown {
		return '%'
	}
	return '<'
}

func closeDelim(c *ShortcodeCall) byte {
	if c.Markdown {
		return '%'
	}
	return '>'
}

// linkAround makes a link of "[text](" + a ref call + ")", the way Hugo courses link
// lessons: goldmark cannot see that as a link, since the destination has blanks.
// It reports false, changing nothing, when the call is not written so.
func linkAround(n *shortcodeInline, src []byte, dest string) bool {
	if n.Offset < 2 || string(src[n.Offset-2:n.Offset]) != "](" || n.End >= len(src) || src[n.End] != ')' {
		return false
	}
	before, ok := n.PreviousSibling().(*ast.Text)
	after, ok2 := n.NextSibling().(*ast.Text)
	if !ok || !ok2 || before.Segment.Stop != n.Offset || after.Segment.Start != n.End {
		return false
	}
	// The '[' that opens the text: in this or an earlier text of the same parent.
	var open *ast.Text
	at := -1
	for s := ast.Node(before); s != nil && open == nil; s = s.PreviousSibling() {
		if tx, ok := s.(*ast.Text); ok {
			v := tx.Segment.Value(src)
			if tx == before {
				v = v[:len(v)-2]
			}
			if i := bytes.LastIndexByte(v, '['); i >= 0 {
				open, at = tx, tx.Segment.Start+i
			}
		}
	}
	if open == nil {
		return false
	}
	parent := n.Parent()
	link := ast.NewLink()
	link.Destination = []byte(dest)
	// Move what lies between '[' and "](" into the link.
	first := ast.NewTextSegment(text.NewSegment(at+1, open.Segment.Stop))
	if open == before {
		first.Segment = first.Segment.WithStop(before.Segment.Stop - 2)
	}
	var middle []ast.Node
	if open != before {
		for s := open.NextSibling(); s != nil && s != n; s = s.NextSibling() {
			middle = append(middle, s)
		}
	}
	open.Segment = open.Segment.WithStop(at)
	parent.InsertAfter(parent, open, link)
	if first.Segment.Len() > 0 {
		link.AppendChild(link, first)
	}
	for _, m := range middle {
		if m == before {
			tx := m.(*ast.Text)
			tx.Segment = tx.Segment.WithStop(tx.Segment.Stop - 2)
		}
		link.AppendChild(link, m)
	}
	after.Segment = after.Segment.WithStart(after.Segment.Start + 1)
	parent.RemoveChild(parent, n)
	return true
}

// videoCall reads youtube and vimeo: an id, positional or named, and a title.
func videoCall(c *ShortcodeCall) (video, string, error) {
	id := c.arg("id", 0)
	var raw string
	if c.Name == "youtube" {
		raw = "https://www.youtube.com/watch?v=" + url.QueryEscape(id)
		if s := c.Named["start"]; s != "" {
			raw += "&start=" + url.QueryEscape(s)
		}
	} else {
		raw = "https://vimeo.com/" + url.PathEscape(id)
	}
	v, ok := parseVideo(raw)
	if !ok {
		return video{}, "", fmt.Errorf("%q is not a %s video id", id, c.Name)
	}
	return v, c.Named["title"], nil
}

// calloutCall maps notice (info, tip, note, warning) and hint (info, warning, danger)
// to a callout kind; the title is the second argument or title=.
func calloutCall(c *ShortcodeCall) (kind, title string, err error) {
	style := strings.ToLower(c.arg("style", 0))
	if c.Name == "hint" && style == "" {
		style = "info"
	}
	kinds := map[string]string{"info": "note", "note": "note", "tip": "tip", "warning": "warning",
		"important": "important", "caution": "caution", "danger": "caution", "primary": "note"}
	kind, ok := kinds[style]
	if !ok {
		return "", "", fmt.Errorf("style %q is not one of info, tip, note, warning, danger", style)
	}
	return kind, c.arg("title", 1), nil
}

// figure writes Hugo's figure as cohort's: the image, an optional link around it,
// and a caption. Its src and link are checked like any image or link.
func figure(c *ShortcodeCall, st *renderState) (string, error) {
	if c.Named == nil {
		return "", errors.New("takes named arguments: {{< figure src=\"…\" alt=\"…\" >}}")
	}
	src := c.Named["src"]
	if src == "" {
		return "", errors.New("has no src")
	}
	src, err := st.resolveLink(src)
	if err != nil {
		return "", err
	}
	esc := template.HTMLEscapeString
	var b strings.Builder
	b.WriteString("<figure")
	if cl := c.Named["class"]; cl != "" {
		b.WriteString(` class="` + esc(cl) + `"`)
	}
	b.WriteString(">")
	link := c.Named["link"]
	if link != "" {
		if link, err = st.resolveLink(link); err != nil {
			return "", err
		}
		b.WriteString(`<a href="` + esc(link) + `">`)
	}
	alt := c.Named["alt"]
	if alt == "" {
		alt = c.Named["caption"]
	}
	b.WriteString(`<img src="` + esc(src) + `" alt="` + esc(alt) + `"`)
	b.WriteString(st.imageAttrs(src, c.Named["width"] != "" || c.Named["height"] != "")) // images.go
	for _, attr := range []string{"width", "height"} {
		if v := c.Named[attr]; v != "" {
			if _, err := strconv.Atoi(v); err != nil {
				return "", fmt.Errorf("%s=%q is not a number of pixels", attr, v)
			}
			b.WriteString(" " + attr + `="` + v + `"`)
		}
	}
	b.WriteString(` loading="lazy" decoding="async">`)
	if link != "" {
		b.WriteString("</a>")
	}
	if title, caption := c.Named["title"], c.Named["caption"]; title != "" || caption != "" {
		b.WriteString("<figcaption>")
		if title != "" {
			b.WriteString("<strong>" + esc(title) + "</strong>")
			if caption != "" {
				b.WriteString(" ")
			}
		}
		b.WriteString(esc(caption))
		b.WriteString("</figcaption>")
	}
	b.WriteString("</figure>\n")
	return b.String(), nil
}

// highlightCall highlights the inner text as code in the language of the first
// argument, with the options of the second, as far as chroma supports them:
// linenos (true, table, inline), hl_lines ("2 4-5"), linenostart.
func highlightCall(c *ShortcodeCall) (string, error) {
	lang := c.arg("lang", 0)
	lexer := lexerFor([]byte(lang)) // highlight.go: coalesced, guarded against a lexer that never ends
	if lexer == nil {
		lexer = fallbackLexer() // highlight.go
	}
	f := plainFormat
	for opt := range strings.SplitSeq(c.arg("options", 1), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(opt), "=")
		v = strings.Trim(strings.TrimSpace(v), `"`)
		switch strings.TrimSpace(k) {
		case "":
		case "linenos":
			// As chroma's options, each sets what it names: "inline" after
			// "table" keeps the table.
			switch v {
			case "table":
				f.lineNumbers, f.table = true, true
			case "true", "inline":
				f.lineNumbers = true
			case "false":
			default:
				return "", fmt.Errorf("linenos=%q: want true, false, table or inline", v)
			}
		case "hl_lines":
			ranges, err := lineRanges(v)
			if err != nil {
				return "", err
			}
			f.setHighlight(ranges)
		case "linenostart":
			n, err := strconv.Atoi(v)
			if err != nil {
				return "", fmt.Errorf("linenostart=%q is not a number", v)
			}
			f.base = n
		case "style", "noclasses", "anchorlinenos", "lineanchors", "lineNumbersInTable", "tabWidth", "guessSyntax":
			// a page-wide style, or nothing chroma's class output changes: ignored
		default:
			return "", fmt.Errorf("option %q is not one of linenos, hl_lines, linenostart", k)
		}
	}
	code := strings.TrimPrefix(strings.TrimPrefix(c.Inner, "\r"), "\n")
	it, err := lexer.Tokenise(nil, code)
	if err != nil {
		return "", fmt.Errorf("highlight: %w", err)
	}
	var b strings.Builder
	if err := writeCode(&b, it.Tokens(), f); err != nil { // highlight_html.go
		return "", fmt.Errorf("highlight: %w", err)
	}
	return b.String(), nil
}

// lineRanges reads hl_lines: "2 4-5".
func lineRanges(s string) ([][2]int, error) {
	var out [][2]int
	for f := range strings.FieldsSeq(s) {
		a, z, isRange := strings.Cut(f, "-")
		from, err := strconv.Atoi(a)
		to := from
		if err == nil && isRange {
			to, err = strconv.Atoi(z)
		}
		if err != nil || from < 1 || to < from {
			return nil, fmt.Errorf("hl_lines=%q: want line numbers and ranges like \"2 4-5\"", s)
		}
		out = append(out, [2]int{from, to})
	}
	return out, nil
}
