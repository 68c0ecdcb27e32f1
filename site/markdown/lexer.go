package markdown

import (
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/dlclark/regexp2/v2"
	"github.com/dlclark/regexp2/v2/syntax"
)

// A chroma lexer tries its state's rules in order at each position, one regular
// expression run per rule, until one matches; most fail on the first character,
// but each run still costs the regexp engine's set-up. In a cold build of the
// generated course that was most of the time spent highlighting code (Python,
// Go and SQL at 0.2–0.4 MB/s). ruleLexer runs the same rules, in the same
// order, with the same state machine, and skips a rule outright when the
// character at the position cannot begin a match of it: the regexp package works
// out that set of first characters itself, for its own unanchored searches
// (syntax.Code.FcPrefix). A rule whose matches may be empty, or whose first
// characters it cannot tell, is always run. TestRuleLexerAsChroma holds the
// tokens to chroma's own, lexer by lexer.

// ruleTimeout is the time one rule may take at one position, against a rule
// that backtracks without end. Chroma's own limit is 250 ms (regexp.go,
// maybeCompile), but the regexp package's clock counts time the whole process
// was paused, and then a rule in progress failed where it would match: the
// highlighting depended on the machine's load (ruleLexers, highlight.go). Ten
// seconds is far beyond any rule that ends, and beyond a pause.
const ruleTimeout = 10 * time.Second

// maxEmptyMatches is how many matches in a row may take no text before lexing
// stops, the rest of the block an error token. A few in a row are how some
// lexers change state; chroma 2.27's JSONata and Jungle lexers end their root
// state with a rule that matches nothing and stays there, and chroma tries it
// for ever (TestLexerThatLoops).
const maxEmptyMatches = 1000

// ruleLexer is a chroma regex lexer with regular expressions of its own, which
// skips rules by first character when it has their tables. It lexes text as
// the lexer it wraps would, token for token.
type ruleLexer struct {
	*chroma.RegexLexer
	registry *chroma.LexerRegistry
	rules    chroma.CompiledRules
	// first holds, per state, the first characters of each of its rules, in
	// the rules' order; nil for a rule to try at any character, and nil for
	// every rule without tables.
	first map[string][]*firstChars
}

// firstChars is the set of characters a rule's match can begin with.
type firstChars struct {
	set  syntax.CharSet
	fold bool // the set was made case-insensitively: try the other cases too
}

func (f *firstChars) may(r rune) bool {
	if f.set.Contains(r) {
		return true
	}
	return f.fold && (f.set.Contains(unicode.ToLower(r)) || f.set.Contains(unicode.ToUpper(r)) || f.set.Contains(unicode.ToTitle(r)))
}

// newRuleLexer compiles l's rules as chroma does (regexp.go, fetchRules and
// maybeCompile: the same pattern text and flags, then the rules that rewrite the
// rule table, such as include and combined), with the first characters of each
// when tables is set. It returns nil when a rule does not compile, or a
// table-rewriting rule fails: the caller keeps chroma's lexer, which reports
// that error itself.
func newRuleLexer(l *chroma.RegexLexer, tables bool) *ruleLexer {
	raw, err := l.Rules()
	if err != nil {
		return nil
	}
	cfg := l.Config()
	flags := ""
	if !cfg.NotMultiline {
		flags += "m"
	}
	if cfg.CaseInsensitive {
		flags += "i"
	}
	if cfg.DotAll {
		flags += "s"
	}
	f := &ruleLexer{RegexLexer: l, registry: lexers.GlobalLexerRegistry, rules: chroma.CompiledRules{}}
	handsOn := false // a rule hands text to a language by name
	first := map[*chroma.CompiledRule]*firstChars{}
	for state, rules := range raw {
		f.rules[state] = nil
		for _, rule := range rules {
			pattern := "(?:" + rule.Pattern + ")"
			if flags != "" {
				pattern = "(?" + flags + ")" + pattern
			}
			pattern = `\G` + pattern
			re, err := regexp2.Compile(pattern)
			if err != nil {
				return nil
			}
			re.MatchTimeout = ruleTimeout
			cr := &chroma.CompiledRule{Rule: rule, Regexp: re}
			var named bool
			cr.Type, named = f.ownEmitter(rule.Type)
			handsOn = handsOn || named
			f.rules[state] = append(f.rules[state], cr)
			if tables {
				first[cr] = firstCharsOf(pattern)
			}
		}
	}
	// Rules that rewrite the table (an include puts a state's rules in its place,
	// a combined rule becomes a push of a new state), one at a time, starting
	// over after each, until none is left: as chroma does, so that the states
	// come out the same.
rewrite:
	for state, rules := range f.rules {
		for i, rule := range rules {
			if m, ok := rule.Mutator.(chroma.LexerMutator); ok {
				if err := m.MutateLexer(f.rules, state, i); err != nil {
					return nil
				}
				goto rewrite
			}
		}
	}
	if handsOn {
		f.registry = ruleLexers() // highlight.go
	}
	if tables {
		f.first = map[string][]*firstChars{}
		for state, rules := range f.rules {
			for _, rule := range rules {
				f.first[state] = append(f.first[state], first[rule])
			}
		}
	}
	return f
}

// ownEmitter returns e with the lexing it hands on done by ruleLexers: a
// rule that lexes a group again with this lexer (chroma's UsingSelf, which
// would use chroma's regular expressions) does so with f; a group handed to a
// language by name (Using, UsingByGroup) finds it in the registry f is given
// when named is set. What a lexer made in Go hands on by itself (an
// EmitterFunc) stays chroma's.
func (f *ruleLexer) ownEmitter(e chroma.Emitter) (own chroma.Emitter, named bool) {
	se, ok := e.(chroma.SerialisableEmitter)
	if !ok {
		return e, false
	}
	switch se.EmitterKind() {
	case "usingself":
		state := reflect.ValueOf(e).Elem().FieldByName("State").String()
		return chroma.EmitterFunc(func(groups []string, _ *chroma.LexerState) chroma.Iterator {
			it, err := f.Tokenise(&chroma.TokeniseOptions{State: state, Nested: true}, groups[0])
			if err != nil {
				panic(err) // as chroma's
			}
			return it
		}), false
	case "bygroups", "usingbygroup":
		v := reflect.ValueOf(e).Elem()
		inner := v.FieldByName("Emitters").Interface().(chroma.Emitters)
		owned := make([]chroma.Emitter, len(inner))
		named = se.EmitterKind() == "usingbygroup"
		for i, in := range inner {
			var n bool
			owned[i], n = f.ownEmitter(in)
			named = named || n
		}
		if se.EmitterKind() == "bygroups" {
			return chroma.ByGroups(owned...), named
		}
		return chroma.UsingByGroup(int(v.FieldByName("SublexerNameGroup").Int()), int(v.FieldByName("CodeGroup").Int()), owned...), named
	case "using":
		return e, true
	}
	return e, false
}

// firstCharsOf returns the characters a match of pattern can begin with, or nil
// when any may (or the pattern does not parse as regexp2 reads it).
func firstCharsOf(pattern string) *firstChars {
	tree, err := syntax.Parse(pattern, syntax.ParseOptions{})
	if err != nil {
		return nil
	}
	code, err := syntax.Write(tree)
	if err != nil || code.FcPrefix == nil {
		return nil
	}
	return &firstChars{set: code.FcPrefix.PrefixSet, fold: code.FcPrefix.CaseInsensitive}
}

// Tokenise lexes text with the wrapped lexer's state machine (chroma's
// LexerState.Iterator, regexp.go): the same options, the same recovery from a
// character no rule matches, the same emitters and mutators.
func (f *ruleLexer) Tokenise(options *chroma.TokeniseOptions, text string) (chroma.Iterator, error) {
	if options == nil {
		options = &chroma.TokeniseOptions{State: "root", EnsureLF: true}
	}
	if options.EnsureLF {
		text = ensureLF(text)
	}
	added := false
	if !options.Nested && f.Config().EnsureNL && !strings.HasSuffix(text, "\n") {
		text += "\n"
		added = true
	}
	ls := &chroma.LexerState{
		Lexer:          f.RegexLexer,
		Registry:       f.registry,
		Text:           []rune(text),
		Stack:          []string{options.State},
		Rules:          f.rules,
		MutatorContext: map[any]any{},
	}
	end := len(ls.Text)
	if added {
		end--
	}
	var emitted []chroma.Iterator // the emitters' tokens not yet handed out, innermost last
	pending := func() (chroma.Token, bool) {
		for len(emitted) > 0 {
			n := len(emitted) - 1
			t := emitted[n]()
			if t == chroma.EOF {
				emitted = emitted[:n]
				continue
			}
			if t.Type != chroma.Ignore {
				return t, true
			}
		}
		return chroma.Token{}, false
	}
	empties := 0 // matches in a row that took no text
	return func() chroma.Token {
		for ls.Pos < end && len(ls.Stack) > 0 {
			if t, ok := pending(); ok {
				return t
			}
			if empties > maxEmptyMatches {
				// A rule that matches nothing, again and again: chroma would loop
				// here for ever. The rest of the text is an error token.
				rest := string(ls.Text[ls.Pos:end])
				ls.Pos, ls.Stack = len(ls.Text), nil
				return chroma.Token{Type: chroma.Error, Value: rest}
			}
			ls.State = ls.Stack[len(ls.Stack)-1]
			rules, ok := ls.Rules[ls.State]
			if !ok {
				panic("unknown state " + ls.State) // as chroma: a broken lexer definition
			}
			i, rule, groups, named := match(ls.Text, ls.Pos, rules, f.first[ls.State])
			if groups == nil {
				// As chroma (after Pygments): an unmatched newline outside the
				// starting state goes back to it; any other character is an error token.
				if ls.Text[ls.Pos] == '\n' && ls.State != options.State {
					ls.Stack = []string{options.State}
					continue
				}
				ls.Pos++
				return chroma.Token{Type: chroma.Error, Value: string(ls.Text[ls.Pos-1 : ls.Pos])}
			}
			ls.Rule, ls.Groups, ls.NamedGroups = i, groups, named
			ls.Pos += utf8.RuneCountInString(groups[0])
			if groups[0] == "" {
				empties++
			} else {
				empties = 0
			}
			if rule.Mutator != nil {
				if err := rule.Mutator.Mutate(ls); err != nil {
					panic(err) // as chroma
				}
			}
			if rule.Type != nil {
				emitted = append(emitted, rule.Type.Emit(ls.Groups, ls))
			}
		}
		if t, ok := pending(); ok {
			return t
		}
		if ls.Pos != len(ls.Text) && len(ls.Stack) == 0 {
			value := string(ls.Text[ls.Pos:])
			ls.Pos = len(ls.Text)
			return chroma.Token{Type: chroma.Error, Value: value}
		}
		return chroma.EOF
	}, nil
}

// ensureLF turns CRLF and lone CR line ends into LF, as chroma's lexers do
// with TokeniseOptions.EnsureLF.
func ensureLF(text string) string {
	return strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
}

// match returns the first of rules that matches at pos: its index, the rule, its
// groups and named groups; nil groups when none does. first holds the rules'
// first characters, in the same order.
func match(text []rune, pos int, rules []*chroma.CompiledRule, first []*firstChars) (int, *chroma.CompiledRule, []string, map[string]string) {
	c := text[pos]
	for i, rule := range rules {
		if first != nil {
			if fc := first[i]; fc != nil && !fc.may(c) {
				continue
			}
		}
		m, err := rule.Regexp.FindRunesMatchStartingAt(text, pos)
		if m == nil || err != nil || m.RuneIndex != pos {
			continue
		}
		gs := m.Groups()
		groups := make([]string, 0, len(gs))
		named := make(map[string]string, len(gs))
		for _, g := range gs {
			named[g.Name] = g.String()
			groups = append(groups, g.String())
		}
		return i, rule, groups, named
	}
	return 0, &chroma.CompiledRule{}, nil, nil
}
