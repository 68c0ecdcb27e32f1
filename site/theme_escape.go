package site

import (
	"html/template"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template/parse"
)

// A page's layout prints most of its values through a chain of html/template's
// escapers (a link's URL through three: {{.URL | _html_template_urlfilter |
// _html_template_urlnormalizer | _html_template_attrescaper}}), each called
// through reflection with its arguments in a new slice: at ten thousand
// lessons, those calls were half of what executing the layouts cost. fuseEscapers
// replaces each chain it knows with one call of a function that does the
// whole chain: for a string (nearly every value a layout prints) directly,
// for anything else through a small template in which html/template escapes
// the value with the same chain, so the bytes are html/template's either way.

// escapeChain is one sequence of escapers html/template appends to an action,
// by the context the action is in.
type escapeChain struct {
	// fn is the name of the function that does the whole chain (escapeFuncs).
	fn string
	// escapers are html/template's names of the chain's functions, in order.
	escapers []string
	// ref is a template with one action, {{.}}, in a context where html/template
	// escapes it with exactly escapers: it escapes what the direct way does not.
	ref string
}

// escapeChains are the chains fuseEscapers replaces: those of HTML text, quoted
// attributes, a <title>, and of a URL in an attribute, whole or after its start
// (a fragment, a query).
var escapeChains = []escapeChain{
	{fn: "_cohort_escape_html", escapers: []string{"htmlescaper"}, ref: `<p>{{.}}</p>`},
	{fn: "_cohort_escape_attr", escapers: []string{"attrescaper"}, ref: `<p title="{{.}}">`},
	{fn: "_cohort_escape_rcdata", escapers: []string{"rcdataescaper"}, ref: `<title>{{.}}</title>`},
	{fn: "_cohort_escape_url_attr", escapers: []string{"urlfilter", "urlnormalizer", "attrescaper"}, ref: `<a href="{{.}}">`},
	{fn: "_cohort_escape_urlpart_attr", escapers: []string{"urlescaper", "attrescaper"}, ref: `<a href="#{{.}}">`},
	{fn: "_cohort_escape_urlpath_attr", escapers: []string{"urlnormalizer", "attrescaper"}, ref: `<a href="/{{.}}">`},
	{fn: "_cohort_escape_attrname", escapers: []string{"htmlnamefilter"}, ref: `<p {{.}}>`},
}

// escaperPrefix starts the names html/template gives its escapers in a tree.
const escaperPrefix = "_html_template_"

// escapeFuncs are the functions of escapeChains, for a theme's function map.
func escapeFuncs() template.FuncMap {
	m := template.FuncMap{}
	for i := range escapeChains {
		c := &escapeChains[i]
		m[c.fn] = c.escape
	}
	return m
}

// escape does c's escapers on v.
func (c *escapeChain) escape(v any) string {
	if s, ok := c.direct(v); ok {
		return s
	}
	return c.escapeByRef(v)
}

// direct does c's escapers on v when v is a string or an int (as html/template's
// escapers see it: plain text), or trusted HTML for an HTML escaper, or a trusted
// attribute for the attribute name filter; it returns false for anything
// else, and for an attribute name given as a string.
func (c *escapeChain) direct(v any) (string, bool) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case int:
		s = strconv.Itoa(v)
	case template.HTML:
		return string(v), c.fn == "_cohort_escape_html"
	case template.HTMLAttr:
		return string(v), c.fn == "_cohort_escape_attrname"
	default:
		return "", false
	}
	for _, e := range c.escapers {
		switch e {
		case "htmlescaper", "attrescaper", "rcdataescaper":
			s = escapeHTMLString(s)
		case "urlfilter":
			if !safeURLScheme(s) {
				s = "#ZgotmplZ" // html/template's filterFailsafe
			}
		case "urlnormalizer":
			s = escapeURL(s, true)
		case "urlescaper":
			s = escapeURL(s, false)
		default:
			return "", false
		}
	}
	return s, true
}

// safeURLScheme tells that html/template's URL filter lets s through: it has no
// scheme, or http, https or mailto, in any case.
func safeURLScheme(s string) bool {
	scheme, _, ok := strings.Cut(s, ":")
	if !ok || strings.Contains(scheme, "/") {
		return true
	}
	return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "mailto")
}

// escapeURL percent-encodes, as html/template's URL escaper (normalize false)
// and normalizer (true) do, each byte of s but RFC 3986's unreserved
// characters; normalizing, it also keeps the reserved ones and a % that starts
// a valid escape. The hex digits are in lower case, as html/template writes
// them (%2f).
func escapeURL(s string, normalize bool) string {
	if urlUnchanged(s, normalize) { // theme_fold.go: nearly every URL a page prints
		return s
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~", c) >= 0:
		case normalize && strings.IndexByte("!#$&*+,/:;=?@[]", c) >= 0:
		case normalize && c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// refs holds, per chain, its ref template escaped, and the text around its
// action; made once, when a value first needs it.
var refs struct {
	once sync.Once
	tmpl map[string]*refTemplate
}

type refTemplate struct {
	t              *template.Template
	before, after  string
	escapersCalled []string // as html/template escaped the action
}

// parseRefs parses and escapes every chain's ref template.
func parseRefs() map[string]*refTemplate {
	m := map[string]*refTemplate{}
	for _, c := range escapeChains {
		t := template.Must(template.New(c.fn).Parse(c.ref))
		var b strings.Builder
		if err := t.Execute(&b, ""); err != nil { // escapes it
			panic("site: escape chain " + c.fn + ": " + err.Error())
		}
		r := &refTemplate{t: t}
		nodes := t.Tree.Root.Nodes
		if len(nodes) == 3 {
			before, _ := nodes[0].(*parse.TextNode)
			action, _ := nodes[1].(*parse.ActionNode)
			after, _ := nodes[2].(*parse.TextNode)
			if before != nil && action != nil && after != nil {
				r.before, r.after = string(before.Text), string(after.Text)
				r.escapersCalled, _ = trailingEscapers(action.Pipe)
			}
		}
		m[c.fn] = r
	}
	return m
}

func refFor(fn string) *refTemplate {
	refs.once.Do(func() { refs.tmpl = parseRefs() })
	return refs.tmpl[fn]
}

// escapeByRef has html/template escape v through c's ref template.
func (c *escapeChain) escapeByRef(v any) string {
	r := refFor(c.fn)
	var b strings.Builder
	if err := r.t.Execute(&b, v); err != nil {
		// Not for any value: the escapers return no error, and fmt recovers a
		// String method's panic. Were it to, the page fails: text/template
		// makes a function's panic the error of the Execute that called it.
		panic(err)
	}
	s := b.String()
	return s[len(r.before) : len(s)-len(r.after)]
}

// trailingEscapers returns the names (without escaperPrefix) of the escapers
// that end pipe, and where they start in its commands.
func trailingEscapers(pipe *parse.PipeNode) (names []string, at int) {
	at = len(pipe.Cmds)
	for at > 0 {
		c := pipe.Cmds[at-1]
		if len(c.Args) != 1 {
			break
		}
		id, ok := c.Args[0].(*parse.IdentifierNode)
		if !ok || !strings.HasPrefix(id.Ident, escaperPrefix) {
			break
		}
		at--
	}
	for _, c := range pipe.Cmds[at:] {
		names = append(names, strings.TrimPrefix(c.Args[0].(*parse.IdentifierNode).Ident, escaperPrefix))
	}
	return names, at
}

// fuseEscapers replaces, in every escaped template of ts, each chain of
// escapers that escapeChains knows with its function. A chain whose ref
// template html/template escapes otherwise (another Go) is left as it is.
func fuseEscapers(ts *template.Template) {
	byChain := map[string]string{}
	for _, c := range escapeChains {
		if r := refFor(c.fn); slices.Equal(r.escapersCalled, c.escapers) {
			byChain[strings.Join(c.escapers, "|")] = c.fn
		}
	}
	for _, t := range ts.Templates() {
		if t.Tree != nil && t.Tree.Root != nil {
			fuseIn(t.Tree.Root, byChain)
		}
	}
}

func fuseIn(n parse.Node, byChain map[string]string) {
	inspect(n, func(n parse.Node) { // theme_site.go
		if a, ok := n.(*parse.ActionNode); ok {
			fuseAction(a, byChain)
		}
	})
}

// fuseAction replaces the chain of escapers that ends action a, when byChain
// knows it, by the one function that does the same.
func fuseAction(n *parse.ActionNode, byChain map[string]string) {
	if n.Pipe == nil || len(n.Pipe.Decl) > 0 {
		return
	}
	names, at := trailingEscapers(n.Pipe)
	if at == 0 || len(names) == 0 { // the value must come from somewhere before the escapers
		return
	}
	fn, ok := byChain[strings.Join(names, "|")]
	if !ok {
		return
	}
	first := n.Pipe.Cmds[at]
	id := *first.Args[0].(*parse.IdentifierNode) // its position and tree, for errors
	id.Ident = fn
	n.Pipe.Cmds = append(n.Pipe.Cmds[:at:at], &parse.CommandNode{NodeType: parse.NodeCommand, Pos: first.Pos, Args: []parse.Node{&id}})
}
