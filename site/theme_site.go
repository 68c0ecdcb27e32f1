package site

import (
	"html/template"
	"reflect"
	"strconv"
	"text/template/parse"
)

// A page's layout reads a dozen fields of .Site that come from the config
// alone ({{.Site.Language}}, {{with .Site.Author}}, {{T "feed_title"
// .Site.Title}}): each a lookup by name through reflection, then an escaper
// call, on every page, for what is the same on every page while the config
// is. The theme is loaded again whenever the config is (Builder.configAndTheme),
// so foldSite writes those fields into the layouts as constants; foldConstants
// and escapeAndFold then turn what they print into text, and simplifySite
// drops an {{if}} or {{with}} whose condition became a constant for the branch
// it takes.

// siteConstants are the fields of configSite that foldSite writes as
// constants: strings and booleans, which a template prints and tests as the
// constant it becomes.
var siteConstants = []string{"Title", "Description", "Language", "BaseURL", "BasePath", "Author",
	"Organisation", "Logo", "License", "Generator", "OGImage", "OGImageOwn"}

// foldSite replaces, in the templates whose data is always a page's PageData
// (pageDataTemplates), each .Site.F and $.Site.F of siteConstants with its
// value for cfg.
func foldSite(ts *template.Template, cfg *Config, layouts []string, notPageData map[string]bool) {
	if len(ts.Templates()) == 0 {
		return
	}
	site := configSite(cfg)
	sv := reflect.ValueOf(site)
	consts := map[string]func() parse.Node{}
	for _, name := range siteConstants {
		switch f := sv.FieldByName(name); f.Kind() {
		case reflect.String:
			s := f.String()
			consts[name] = func() parse.Node {
				return &parse.StringNode{NodeType: parse.NodeString, Quoted: strconv.Quote(s), Text: s}
			}
		case reflect.Bool:
			b := f.Bool()
			consts[name] = func() parse.Node { return &parse.BoolNode{NodeType: parse.NodeBool, True: b} }
		}
	}
	for _, name := range pageDataTemplates(ts, layouts, notPageData) {
		t := ts.Lookup(name)
		if assignsDollar(t.Tree.Root) {
			continue
		}
		f := siteFolder{consts: consts}
		f.list(t.Tree.Root, true)
	}
}

type siteFolder struct {
	consts map[string]func() parse.Node
}

// list folds the site fields under n; dotIsPage tells that dot is the
// template's PageData there, not something a {{with}} or {{range}} set.
func (f *siteFolder) list(n *parse.ListNode, dotIsPage bool) {
	walkScopes(n, dotIsPage, func(_ parse.Node, p *parse.PipeNode, own bool) { f.pipe(p, own) })
}

func (f *siteFolder) pipe(p *parse.PipeNode, dotIsPage bool) {
	if p == nil {
		return
	}
	for _, cmd := range p.Cmds {
		for i, a := range cmd.Args {
			var ident []string
			switch a := a.(type) {
			case *parse.FieldNode: // .Site.Title, on dot
				if !dotIsPage {
					continue
				}
				ident = a.Ident
			case *parse.VariableNode: // $.Site.Title
				if len(a.Ident) == 0 || a.Ident[0] != "$" {
					continue
				}
				ident = a.Ident[1:]
			case *parse.PipeNode: // (...)
				f.pipe(a, dotIsPage)
				continue
			default:
				continue
			}
			if len(ident) == 2 && ident[0] == "Site" && f.consts[ident[1]] != nil {
				cmd.Args[i] = f.consts[ident[1]]()
			}
		}
	}
}

// assignsDollar tells whether a template assigns to $ ({{$ = ...}}), after
// which $ need not be its data.
func assignsDollar(n parse.Node) bool {
	found := false
	inspect(n, func(n parse.Node) {
		if p, ok := n.(*parse.PipeNode); ok {
			for _, v := range p.Decl {
				if len(v.Ident) > 0 && v.Ident[0] == "$" {
					found = true
				}
			}
		}
	})
	return found
}

// inspect calls fn for n and every node under it.
func inspect(n parse.Node, fn func(parse.Node)) {
	if n == nil || reflect.ValueOf(n).IsNil() {
		return
	}
	fn(n)
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			inspect(c, fn)
		}
	case *parse.ActionNode:
		inspect(n.Pipe, fn)
	case *parse.TemplateNode:
		inspect(n.Pipe, fn)
	case *parse.IfNode:
		inspectBranch(&n.BranchNode, fn)
	case *parse.WithNode:
		inspectBranch(&n.BranchNode, fn)
	case *parse.RangeNode:
		inspectBranch(&n.BranchNode, fn)
	case *parse.PipeNode:
		for _, c := range n.Cmds {
			inspect(c, fn)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			inspect(a, fn)
		}
	case *parse.ChainNode:
		inspect(n.Node, fn)
	}
}

func inspectBranch(b *parse.BranchNode, fn func(parse.Node)) {
	inspect(b.Pipe, fn)
	inspect(b.List, fn)
	inspect(b.ElseList, fn)
}

// pageDataTemplates returns the templates executed with a page's PageData
// only: the page layouts, and the partials that they alone call, each time
// with their own data ({{template "partials/head.html" .}} where dot is
// still the page's, or $). A partial the build executes with other data
// (notPageData), or one that another template calls, is not among them.
func pageDataTemplates(ts *template.Template, layouts []string, notPageData map[string]bool) []string {
	type call struct {
		from   string
		passes bool // passes the caller's PageData
	}
	calls := map[string][]call{}
	for _, t := range ts.Templates() {
		if t.Tree == nil || t.Tree.Root == nil {
			continue
		}
		walkScopes(t.Tree.Root, true, func(n parse.Node, p *parse.PipeNode, dotIsPage bool) {
			if c, ok := n.(*parse.TemplateNode); ok {
				calls[c.Name] = append(calls[c.Name], call{from: t.Name(), passes: passesData(p, dotIsPage)})
			}
		})
	}
	isPage := map[string]bool{}
	for _, name := range layouts {
		if t := ts.Lookup(name); t != nil && t.Tree != nil && t.Tree.Root != nil && !notPageData[name] {
			isPage[name] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, t := range ts.Templates() {
			name := t.Name()
			if isPage[name] || notPageData[name] || t.Tree == nil || t.Tree.Root == nil || len(calls[name]) == 0 {
				continue
			}
			all := true
			for _, c := range calls[name] {
				all = all && c.passes && isPage[c.from]
			}
			if all {
				isPage[name], changed = true, true
			}
		}
	}
	var names []string
	for _, t := range ts.Templates() {
		if isPage[t.Name()] {
			names = append(names, t.Name())
		}
	}
	return names
}

// passesData tells whether a {{template}} call's pipeline is the caller's
// data: dot where dot is still it, or $.
func passesData(p *parse.PipeNode, dotIsPage bool) bool {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return false
	}
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.DotNode:
		return dotIsPage
	case *parse.VariableNode:
		return len(a.Ident) == 1 && a.Ident[0] == "$"
	}
	return false
}

// simplifySite replaces, in every template of ts, an {{if}} whose condition is
// a constant (a string, a boolean, not of one, or an and/or that a constant
// decides) with the branch it takes, and a {{with}} of a constant string with
// its body, dot written as the string, when dot is read only as itself there.
func simplifySite(ts *template.Template) {
	for _, t := range ts.Templates() {
		if t.Tree != nil && t.Tree.Root != nil {
			simplifyList(t.Tree.Root)
		}
	}
}

func simplifyList(n *parse.ListNode) {
	if n == nil {
		return
	}
	var out []parse.Node
	for _, c := range n.Nodes {
		switch c := c.(type) {
		case *parse.IfNode:
			simplifyList(c.List)
			simplifyList(c.ElseList)
			if truth, ok := constTruth(c.Pipe); ok {
				if b := branch(c.List, c.ElseList, truth); b != nil {
					out = append(out, b...)
					continue
				}
			}
		case *parse.WithNode:
			simplifyList(c.List)
			simplifyList(c.ElseList)
			s, ok := constString(c.Pipe)
			if !ok || len(c.Pipe.Decl) > 0 {
				break
			}
			if s.Text == "" {
				if b := branch(c.List, c.ElseList, false); b != nil {
					out = append(out, b...)
					continue
				}
			} else if dotOnlyAsItself(c.List) && !declares(c.List) {
				replaceDot(c.List, s)
				simplifyList(c.List) // {{if .}} in it is now a constant too
				out = append(out, c.List.Nodes...)
				continue
			}
		case *parse.RangeNode:
			simplifyList(c.List)
			simplifyList(c.ElseList)
		}
		out = append(out, c)
	}
	n.Nodes = out
}

// branch returns the nodes of the branch taken, empty for none, or nil when
// they cannot leave their {{if}} or {{with}}: they declare a variable, which
// the branch's end drops.
func branch(list, elseList *parse.ListNode, truth bool) []parse.Node {
	b := elseList
	if truth {
		b = list
	}
	if b == nil {
		return []parse.Node{}
	}
	if declares(b) {
		return nil
	}
	return append([]parse.Node{}, b.Nodes...)
}

// declares tells whether the list declares a variable ({{$x := ...}}) in its
// own scope.
func declares(n *parse.ListNode) bool {
	for _, c := range n.Nodes {
		if a, ok := c.(*parse.ActionNode); ok && a.Pipe != nil && len(a.Pipe.Decl) > 0 && !a.Pipe.IsAssign {
			return true
		}
	}
	return false
}

// constString returns the string a pipeline is when it is a quoted string only.
func constString(p *parse.PipeNode) (*parse.StringNode, bool) {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return nil, false
	}
	s, ok := p.Cmds[0].Args[0].(*parse.StringNode)
	return s, ok
}

// constTruth tells whether an {{if}}'s pipeline is true, when a constant
// decides it: "text", true, not of one, and and or whose every argument up
// to the deciding one is a constant (they stop at the first that decides).
func constTruth(p *parse.PipeNode) (truth, ok bool) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 {
		return false, false
	}
	return cmdTruth(p.Cmds[0].Args)
}

func cmdTruth(args []parse.Node) (truth, ok bool) {
	if len(args) == 1 {
		return argTruth(args[0])
	}
	id, isIdent := args[0].(*parse.IdentifierNode)
	if !isIdent {
		return false, false
	}
	switch id.Ident {
	case "not":
		if len(args) != 2 {
			return false, false
		}
		t, ok := argTruth(args[1])
		return !t, ok
	case "and", "or":
		// and returns the first false argument, or the last; or the first
		// true one, or the last.
		for _, a := range args[1:] {
			t, ok := argTruth(a)
			if !ok {
				return false, false
			}
			if t == (id.Ident == "or") {
				return t, true
			}
		}
		return id.Ident == "and", len(args) > 1
	}
	return false, false
}

func argTruth(n parse.Node) (truth, ok bool) {
	switch n := n.(type) {
	case *parse.StringNode:
		return n.Text != "", true
	case *parse.BoolNode:
		return n.True, true
	case *parse.PipeNode: // (not true)
		return constTruth(n)
	}
	return false, false
}

// dotOnlyAsItself tells whether, in n but inside a {{with}} or {{range}} body
// (where dot is another), dot is read only as a whole argument ({{.}},
// {{template "x" .}}, {{printf "%s" .}}), never a field of it.
func dotOnlyAsItself(n *parse.ListNode) bool {
	ok := true
	eachArgOfDot(n, func(c *parse.CommandNode, i int) {
		switch c.Args[i].(type) {
		case *parse.FieldNode, *parse.ChainNode:
			ok = false
		}
	}, func() {
		ok = false // of a range around the {{with}}: kept as it is
	})
	return ok
}

// replaceDot writes s for dot in n, where dotOnlyAsItself allowed it.
func replaceDot(n *parse.ListNode, s *parse.StringNode) {
	eachArgOfDot(n, func(c *parse.CommandNode, i int) {
		if _, ok := c.Args[i].(*parse.DotNode); ok {
			dup := *s
			c.Args[i] = &dup
		}
	}, func() {})
}

// eachArgOfDot calls arg with every argument of every command in n, nested
// pipelines' too, where dot is n's own: not in the body of a {{with}} or
// {{range}}, whose dot is another (their {{else}} is n's). loopControl is
// called for each {{break}} and {{continue}} there.
func eachArgOfDot(n *parse.ListNode, arg func(c *parse.CommandNode, i int), loopControl func()) {
	var pipe func(p *parse.PipeNode)
	pipe = func(p *parse.PipeNode) {
		if p == nil {
			return
		}
		for _, c := range p.Cmds {
			for i, a := range c.Args {
				arg(c, i)
				if a, ok := a.(*parse.PipeNode); ok {
					pipe(a)
				}
			}
		}
	}
	walkScopes(n, true, func(n parse.Node, p *parse.PipeNode, own bool) {
		if !own {
			return
		}
		switch n.(type) {
		case *parse.BreakNode, *parse.ContinueNode:
			loopControl()
		}
		pipe(p)
	})
}

// walkScopes calls fn for every action, template call, {{if}}, {{with}},
// {{range}}, {{break}} and {{continue}} in n and the lists under them, with
// the node's pipeline (nil for none) and whether dot there is still the one
// own says n has: not in the body of a {{with}} or {{range}}, which set
// another (their {{else}} keeps it).
func walkScopes(n *parse.ListNode, own bool, fn func(n parse.Node, p *parse.PipeNode, own bool)) {
	if n == nil {
		return
	}
	for _, c := range n.Nodes {
		switch c := c.(type) {
		case *parse.ActionNode:
			fn(c, c.Pipe, own)
		case *parse.TemplateNode:
			fn(c, c.Pipe, own)
		case *parse.IfNode:
			fn(c, c.Pipe, own)
			walkScopes(c.List, own, fn)
			walkScopes(c.ElseList, own, fn)
		case *parse.WithNode:
			fn(c, c.Pipe, own)
			walkScopes(c.List, false, fn)
			walkScopes(c.ElseList, own, fn)
		case *parse.RangeNode:
			fn(c, c.Pipe, own)
			walkScopes(c.List, false, fn)
			walkScopes(c.ElseList, own, fn)
		case *parse.BreakNode, *parse.ContinueNode:
			fn(c, nil, own)
		}
	}
}
