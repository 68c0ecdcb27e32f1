package site

import (
	"html/template"
	"strconv"
	"text/template/parse"
)

// foldConstants replaces, in every template of ts, each call of T, relURL or
// absURL whose arguments are all quoted strings ({{T "menu"}}, {{relURL
// "css/style.css"}}) with the string it returns: a theme's page makes some
// thirty such calls, each through reflection, and their answers are fixed
// once the theme and config are loaded. The page comes out the same: the
// escaping html/template adds later gets the same string either way.
//
// It must run before the first Execute, which escapes the templates.
func foldConstants(ts *template.Template, funcs template.FuncMap) {
	fold := map[string]func(args []string) (string, bool){}
	if f, ok := funcs["T"].(func(string, ...any) string); ok {
		fold["T"] = func(args []string) (string, bool) {
			if len(args) != 1 { // with arguments, T formats them: not folded
				return "", false
			}
			return f(args[0]), true
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
