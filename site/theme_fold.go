package site

import (
	"errors"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"text/template/parse"
)

// foldConstants replaces, in every template of ts, each call of T, relURL or
// absURL whose arguments are all quoted strings ({{T "menu"}}, {{relURL
// "css/style.css"}}, {{T "feed_title" "Course"}}) with the string it returns: a theme's page makes some
// thirty such calls, each through reflection, and their answers are fixed
// once the theme and config are loaded. The page comes out the same: the
// escaping html/template adds later gets the same string either way.
//
// It must run before the first Execute, which escapes the templates.
func foldConstants(ts *template.Template, funcs template.FuncMap) {
	fold := map[string]func(args []string) (string, bool){}
	if f, ok := funcs["T"].(func(string, ...any) string); ok {
		fold["T"] = func(args []string) (string, bool) {
			rest := make([]any, len(args)-1) // strings too ({{T "feed_title" .Site.Title}}, theme_site.go)
			for i, a := range args[1:] {
				rest[i] = a
			}
			return f(args[0], rest...), true
		}
	}
	for _, name := range []string{"relURL", "absURL"} {
		if f, ok := funcs[name].(func(string) string); ok {
			fold[name] = func(args []string) (string, bool) {
				if len(args) != 1 {
					return "", false
				}
				return f(args[0]), true
			}
		}
	}
	for _, t := range ts.Templates() {
		if t.Tree != nil && t.Tree.Root != nil {
			foldNode(t.Tree.Root, fold)
		}
	}
}

func foldNode(n parse.Node, fold map[string]func([]string) (string, bool)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			foldNode(c, fold)
		}
	case *parse.ActionNode:
		foldNode(n.Pipe, fold)
	case *parse.IfNode:
		foldBranch(&n.BranchNode, fold)
	case *parse.RangeNode:
		foldBranch(&n.BranchNode, fold)
	case *parse.WithNode:
		foldBranch(&n.BranchNode, fold)
	case *parse.TemplateNode:
		foldNode(n.Pipe, fold)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			foldCommand(c, fold)
		}
	}
}

func foldBranch(b *parse.BranchNode, fold map[string]func([]string) (string, bool)) {
	foldNode(b.Pipe, fold)
	foldNode(b.List, fold)
	foldNode(b.ElseList, fold)
}

// foldCommand turns c into a quoted string when it calls a folded function
// with quoted strings only; it folds the pipelines among its arguments first.
func foldCommand(c *parse.CommandNode, fold map[string]func([]string) (string, bool)) {
	for _, a := range c.Args {
		foldNode(a, fold)
	}
	if len(c.Args) < 2 {
		return
	}
	id, ok := c.Args[0].(*parse.IdentifierNode)
	if !ok || fold[id.Ident] == nil {
		return
	}
	args := make([]string, 0, len(c.Args)-1)
	for _, a := range c.Args[1:] {
		s, ok := a.(*parse.StringNode)
		if !ok {
			return
		}
		args = append(args, s.Text)
	}
	v, ok := fold[id.Ident](args)
	if !ok {
		return
	}
	c.Args = []parse.Node{&parse.StringNode{NodeType: parse.NodeString, Pos: id.Pos, Quoted: strconv.Quote(v), Text: v}}
}

// escapeAndFold has html/template escape the layouts named (and the partials they
// call), then those named in after, now rather than at the first page, and then writes each action that
// prints a quoted string through HTML escapers, and URL escapers that leave it
// as it is ({{"Menu" | _html_template_htmlescaper}}, which is what {{T "menu"}}
// became), as the text it prints: a page no longer calls an escaper, through reflection, for what
// is the same on every page. Errors are left to the pages: html/template
// remembers a layout's escaping error and returns it on every Execute.
func escapeAndFold(ts *template.Template, layouts, after []string) {
	slices.Sort(layouts)
	for _, name := range append(layouts, after...) {
		if t := ts.Lookup(name); t != nil {
			// Escapes, then runs until it first prints (see stopWriter);
			// its errors do not matter.
			t.Execute(stopWriter{}, nil)
		}
	}
	for _, t := range ts.Templates() {
		if t.Tree != nil && t.Tree.Root != nil {
			foldEscaped(t.Tree.Root)
		}
	}
}

// stopWriter fails every write. html/template escapes a template, and every
// template it calls, whole before it executes any of it (Template.Execute,
// src/html/template/template.go): executing one into a stopWriter escapes it
// and ends at its first text, where executing it with nil data into
// io.Discard ran its actions' functions on to the end, for nothing (a third
// of escapeAndFold's time in a profile of a one-edit build).
type stopWriter struct{}

func (stopWriter) Write([]byte) (int, error) { return 0, errStopped }

var errStopped = errors.New("escaped: not executed")

// htmlEscapers are html/template's escapers that, for a string, all replace
// the same few characters (html/template's htmlReplacementTable, in
// src/html/template/html.go): text, quoted attribute values and RCDATA.
var htmlEscapers = map[string]bool{
	"_html_template_htmlescaper":   true,
	"_html_template_attrescaper":   true,
	"_html_template_rcdataescaper": true,
}

// escapeHTMLString escapes s as html/template's htmlEscaper does a string:
// unlike template.HTMLEscapeString it writes + as &#43;. Every replaced
// character is ASCII, so going byte by byte cannot split a UTF-8 sequence. A
// string with nothing to replace (most titles and URLs) comes back as it is.
func escapeHTMLString(s string) string {
	i := 0
	for i < len(s) && htmlReplaced[s[i]] == "" {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	written := i
	for ; i < len(s); i++ {
		if r := htmlReplaced[s[i]]; r != "" {
			b.WriteString(s[written:i])
			b.WriteString(r)
			written = i + 1
		}
	}
	b.WriteString(s[written:])
	return b.String()
}

// htmlReplaced holds, by byte, what escapeHTMLString writes for it: what
// html/template's htmlReplacementTable (src/html/template/html.go) says.
var htmlReplaced = [256]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// foldEscaped replaces, in the escaped tree under n, each action that prints a
// quoted string through escapers it can tell the result of (constantAction)
// with the text it prints.
func foldEscaped(n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for i, c := range n.Nodes {
			if text, ok := constantAction(c); ok {
				n.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: c.Position(), Text: []byte(text)}
				continue
			}
			foldEscaped(c)
		}
	case *parse.IfNode:
		foldEscaped(n.List)
		foldEscaped(n.ElseList)
	case *parse.RangeNode:
		foldEscaped(n.List)
		foldEscaped(n.ElseList)
	case *parse.WithNode:
		foldEscaped(n.List)
		foldEscaped(n.ElseList)
	}
}

// constantAction returns what n prints when it is an action printing a quoted
// string through htmlEscapers, and URL escapers that leave the string as it is.
func constantAction(n parse.Node) (string, bool) {
	a, ok := n.(*parse.ActionNode)
	if !ok || a.Pipe == nil || len(a.Pipe.Decl) > 0 || len(a.Pipe.Cmds) < 2 {
		return "", false
	}
	first := a.Pipe.Cmds[0]
	if len(first.Args) != 1 {
		return "", false
	}
	str, ok := first.Args[0].(*parse.StringNode)
	if !ok {
		return "", false
	}
	text := str.Text
	for _, c := range a.Pipe.Cmds[1:] {
		if len(c.Args) != 1 {
			return "", false
		}
		id, ok := c.Args[0].(*parse.IdentifierNode)
		if !ok {
			return "", false
		}
		switch {
		case htmlEscapers[id.Ident]:
			text = escapeHTMLString(text)
		case id.Ident == "_html_template_urlfilter" && plainURL(text):
		case id.Ident == "_html_template_urlnormalizer" && urlUnchanged(text, true):
		case id.Ident == "_html_template_urlescaper" && urlUnchanged(text, false):
		default:
			return "", false
		}
	}
	return text, true
}

// plainURL tells that html/template's urlFilter lets s through as it is: it
// has no scheme, or http or https ({{relURL "css/style.css"}}, an absURL).
func plainURL(s string) bool {
	return !strings.Contains(s, ":") || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// urlUnchanged tells that html/template's URL escaper (normalize false) or
// normalizer (true) leaves s as it is: every byte is one it never encodes
// (RFC 3986's unreserved characters, and when normalizing the reserved
// ones). A % is left to html/template.
func urlUnchanged(s string, normalize bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~", c) >= 0:
		case normalize && strings.IndexByte("!#$&*+,/:;=?@[]", c) >= 0:
		default:
			return false
		}
	}
	return true
}
