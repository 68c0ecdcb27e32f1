package markdown

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

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
// seconds is far beyond any rule that ends, and beyond a pause. chromaRules
// sets it on chroma's compiled rules.
const ruleTimeout = 10 * time.Second

// maxEmptyMatches is how many matches in a row may take no text before lexing
// stops, the rest of the block an error token. A few in a row are how some
// lexers change state; chroma 2.27's JSONata and Jungle lexers end their root
// state with a rule that matches nothing and stays there, and chroma tries it
// for ever (TestLexerThatLoops).
const maxEmptyMatches = 1000

// ruleLexer is a chroma regex lexer run by cohort: chroma's rules, with their
// time limit raised and what they hand on kept here (ownEmitter), skipping
// rules by first character when it has their tables. It lexes text as the
// lexer it wraps would, token for token.
type ruleLexer struct {
	*chroma.RegexLexer
	registry *chroma.LexerRegistry
	rules    chroma.CompiledRules
	// hints holds, per state, what ruleLexer keeps of each of its rules, in
	// the rules' order.
	hints map[string][]*ruleHints
	// named is set when a rule may read the named groups of a match
	// (LexerState.NamedGroups): only then does a match make their map.
	named bool
}

// ruleHints is what ruleLexer keeps of one rule: its regular expression,
// compiled when first run, and what spares running it.
type ruleHints struct {
	// rule is the rule these are for. A lexer's mutator may put another rule
	// in its place as it lexes (Raku's, lexers/raku.go): that one, compiled by
	// the mutator, is run as it is.
	rule  *chroma.CompiledRule
	once  sync.Once // sets rule.Regexp from of
	of    *lazyRegexp
	first *firstChars // the rule's first characters; nil: any, or no tables
	words *wordRule   // the rule as a list of words (lexer_words.go), or nil
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

// newRuleLexer makes a ruleLexer of l's rules, laid out in states as chroma
// lays them out (lazyRules), with the first characters of each when tables is
// set. Each rule's regular expression is compiled when the rule is first
// tried (lazyRegexp), not all at once as chroma does: a lesson with one SQL
// block, rendered alone in a fresh process, took 11 ms more than one without,
// most of it compiling SQL's 700 keywords into one expression, which its
// wordRule does without. It returns nil when the rules cannot be read or laid
// out: the caller keeps chroma's lexer, which reports that error itself.
func newRuleLexer(l *chroma.RegexLexer, tables bool) *ruleLexer {
	compiled, ok := lazyRules(l)
	if !ok {
		return nil
	}
	cfg := l.Config()
	flags := ruleFlags(cfg)
	f := &ruleLexer{RegexLexer: l, registry: lexers.GlobalLexerRegistry, rules: chroma.CompiledRules{}}
	handsOn := false // a rule hands text to a language by name
	// A rule that an include put in several states is one rule, and stays one.
	own := map[*chroma.CompiledRule]*chroma.CompiledRule{}
	hints := map[*chroma.CompiledRule]*ruleHints{}
	for state, rules := range compiled {
		f.rules[state] = make([]*chroma.CompiledRule, len(rules))
		for i, cr := range rules {
			c, ok := own[cr]
			if !ok {
				cp := *cr // the same regular expression, with its lexing handed on by f
				var named bool
				cp.Type, named = f.ownEmitter(cr.Type)
				handsOn = handsOn || named
				opaque := readsNamedGroups(cr.Type) || mutatorReadsNamedGroups(cr.Mutator)
				f.named = f.named || opaque
				c = &cp
				own[cr] = c
				pattern := "(?:" + cr.Pattern + ")"
				if flags != "" {
					pattern = "(?" + flags + ")" + pattern
				}
				pattern = `\G` + pattern // as chroma writes it (regexp.go, maybeCompile)
				h := &ruleHints{rule: c, of: regexpOf(pattern)}
				if !opaque {
					// ByGroupNames, or a function, may read the rule's Regexp
					// (for its group names), which a wordRule's match leaves unset.
					h.words = wordRuleOf(cr.Pattern, flags)
				}
				if tables && h.words == nil { // a wordRule looks at the first character itself
					h.first = firstCharsOf(pattern)
				}
				hints[c] = h
			}
			f.rules[state][i] = c
		}
	}
	if handsOn {
		f.registry = ruleLexers() // highlight.go
	}
	for _, name := range handedOnInGo[cfg.Name] {
		if rl, ok := lexers.Get(name).(*chroma.RegexLexer); ok {
			chromaRules(rl) // its time limit raised before any of its rules runs
		}
	}
	f.hints = map[string][]*ruleHints{}
	for state, rules := range f.rules {
		for _, rule := range rules {
			f.hints[state] = append(f.hints[state], hints[rule])
		}
	}
	return f
}

// lazyRules returns l's rules laid out in states as chroma's compiling leaves
// them (regexp.go, maybeCompile: each include and combined state applied by
// chroma's own mutators, until none is left), but without compiling them:
// each rule's Regexp is nil. false when chroma's rules cannot be read as
// here (another chroma version: TestRuleLexerAsChroma then fails) or laid out.
func lazyRules(l *chroma.RegexLexer) (chroma.CompiledRules, bool) {
	fetch := rulesAsWritten(l)
	if fetch == nil {
		return nil, false
	}
	raw, err := fetch()
	if err != nil {
		return nil, false
	}
	if _, ok := raw["root"]; !ok {
		return nil, false
	}
	rules := chroma.CompiledRules{}
	for state, rs := range raw {
		rules[state] = nil
		for _, r := range rs {
			rules[state] = append(rules[state], &chroma.CompiledRule{Rule: r})
		}
	}
	// As chroma: a mutator rewrites the states, and the search starts over.
	// Each one found replaces itself (include) or its rule's mutator
	// (combined), so this ends as chroma's does.
	for changed := true; changed; {
		changed = false
	states:
		for state := range rules {
			for i := range len(rules[state]) {
				if m, ok := rules[state][i].Mutator.(chroma.LexerMutator); ok {
					if err := m.MutateLexer(rules, state, i); err != nil {
						return nil, false
					}
					changed = true
					break states
				}
			}
		}
	}
	return rules, true
}

// regexp returns the rule's regular expression, compiled when first asked
// for and then set as the rule's Regexp too (which ByGroupNames reads, after
// the rule matched: after this, on the same goroutine). It panics with a
// *brokenRule when the pattern does not compile (lexCode, highlight.go,
// recovers it).
func (r *ruleHints) regexp() *regexp2.Regexp {
	r.once.Do(func() { r.rule.Regexp = r.of.get() })
	if r.rule.Regexp == nil {
		panic(&brokenRule{pattern: r.of.pattern, err: r.of.err})
	}
	return r.rule.Regexp
}

// brokenRule is a rule whose pattern does not compile, found when it is first
// tried. Chroma refuses such a lexer before it lexes anything; here the block
// being lexed is written as one in an unknown language, as chroma's refusal
// has it written, and a block that never tries the rule is highlighted
// (TestBrokenRuleFoundWhenTried). Chroma's own lexers have none
// (TestLazyRulesAsChroma).
type brokenRule struct {
	pattern string
	err     error
}

func (b *brokenRule) Error() string { return fmt.Sprintf("rule %q: %v", b.pattern, b.err) }

// rulesAsWritten returns the function that reads l's rules as its lexer
// writes them (RegexLexer.fetchRulesFunc, unexported), or nil when it is not
// there as read here.
func rulesAsWritten(l *chroma.RegexLexer) func() (chroma.Rules, error) {
	v := reflect.ValueOf(l).Elem().FieldByName("fetchRulesFunc")
	if !v.IsValid() || v.Type() != reflect.TypeFor[func() (chroma.Rules, error)]() {
		return nil
	}
	return *(*func() (chroma.Rules, error))(unsafe.Pointer(v.UnsafeAddr()))
}

// lazyRegexp is a pattern's regular expression, compiled when first used,
// with ruleTimeout as its limit.
type lazyRegexp struct {
	pattern string
	once    sync.Once
	re      *regexp2.Regexp // nil when it does not compile
	err     error
}

func (l *lazyRegexp) get() *regexp2.Regexp {
	l.once.Do(func() {
		l.re, l.err = regexp2.Compile(l.pattern)
		if l.err == nil {
			l.re.MatchTimeout = ruleTimeout
		}
	})
	return l.re
}

// compiledPatterns holds each pattern's lazyRegexp, so that a language's
// lexers (with and without first-character tables) and rules written alike
// in several states or languages compile it once. A regexp is safe to run
// from several goroutines.
var compiledPatterns sync.Map // string → *lazyRegexp

func regexpOf(pattern string) *lazyRegexp {
	if l, ok := compiledPatterns.Load(pattern); ok {
		return l.(*lazyRegexp)
	}
	l, _ := compiledPatterns.LoadOrStore(pattern, &lazyRegexp{pattern: pattern})
	return l.(*lazyRegexp)
}

// ruleFlags returns the flags chroma compiles a lexer's rules with (regexp.go,
// maybeCompile).
func ruleFlags(cfg *chroma.Config) string {
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
	return flags
}

// readsNamedGroups reports whether emitter e may read a match's named groups:
// chroma's ByGroupNames does, and so may any emitter chroma cannot describe
// (a function). Those it can describe read groups by number.
func readsNamedGroups(e chroma.Emitter) bool {
	if e == nil {
		return false
	}
	se, ok := e.(chroma.SerialisableEmitter)
	if !ok {
		return true
	}
	switch se.EmitterKind() {
	case "bygroups", "usingbygroup":
		inner, ok := reflect.ValueOf(e).Elem().FieldByName("Emitters").Interface().(chroma.Emitters)
		if !ok {
			return true
		}
		return slices.ContainsFunc(inner, readsNamedGroups)
	}
	return false
}

// mutatorReadsNamedGroups is readsNamedGroups for a rule's mutator: the
// mutators chroma can describe (push, pop, include, combined and lists of
// them) do not read them; raku's, which are functions, do.
func mutatorReadsNamedGroups(m chroma.Mutator) bool {
	if m == nil {
		return false
	}
	sm, ok := m.(chroma.SerialisableMutator)
	if !ok {
		return true
	}
	if sm.MutatorKind() == "mutators" {
		inner, ok := reflect.ValueOf(m).Elem().FieldByName("Mutators").Interface().([]chroma.Mutator)
		if !ok {
			return true
		}
		return slices.ContainsFunc(inner, mutatorReadsNamedGroups)
	}
	return false
}

// chromaRules returns l's rules as chroma compiled them: its states after
// the rules that rewrite them (include, combined), each rule with its regular
// expression, whose time limit it sets to ruleTimeout (once per lexer, before
// any of them is used here). Chroma keeps them unexported (RegexLexer.rules,
// regexp.go) and exports only the rules before compiling, whose compiling
// again took as long as chroma's (SQL's 11 ms): l.Rules() compiles them
// anyway. false when the field is not there as read here (another chroma
// version): TestRuleLexerAsChroma then fails.
func chromaRules(l *chroma.RegexLexer) (chroma.CompiledRules, bool) {
	if _, err := l.Rules(); err != nil {
		return nil, false
	}
	v := reflect.ValueOf(l).Elem().FieldByName("rules")
	if !v.IsValid() || v.Type() != reflect.TypeFor[map[string][]*chroma.CompiledRule]() {
		return nil, false
	}
	rules := *(*map[string][]*chroma.CompiledRule)(unsafe.Pointer(v.UnsafeAddr()))
	once, _ := untimed.LoadOrStore(l, new(sync.Once))
	once.(*sync.Once).Do(func() {
		for _, rs := range rules {
			for _, r := range rs {
				r.Regexp.MatchTimeout = ruleTimeout
			}
		}
	})
	return rules, true
}

// handedOnInGo names, for a lexer whose rules chroma wrote in Go, the lexers
// it hands text to by itself (an EmitterFunc, which ownEmitter cannot see
// into): they keep chroma's tokenizer, but their rules get ruleTimeout too.
// Go's raw strings are lexed as Go templates (chroma's lexers/go.go).
var handedOnInGo = map[string][]string{"Go": {"Go Text Template"}}

// regexLexersIn returns the regex lexers a lexer made in Go is built of, as
// its fields hold them: a delegating lexer's two, a remapping lexer's one, the
// one Markdown's and HTTP's lexers embed. It looks three fields deep.
func regexLexersIn(l chroma.Lexer) []*chroma.RegexLexer {
	var found []*chroma.RegexLexer
	var walk func(v reflect.Value, depth int)
	walk = func(v reflect.Value, depth int) {
		if depth > 3 || !v.IsValid() {
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				return
			}
			if v.Type() == reflect.TypeFor[*chroma.RegexLexer]() {
				found = append(found, (*chroma.RegexLexer)(v.UnsafePointer()))
				return
			}
			walk(v.Elem(), depth+1)
		case reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), depth)
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), depth+1)
			}
		}
	}
	walk(reflect.ValueOf(l), 0)
	return found
}

// untimed holds, for each chroma lexer, the once that sets its rules' time limit.
var untimed sync.Map // *chroma.RegexLexer → *sync.Once

// ownEmitter returns e with the lexing it hands on done by ruleLexers: a
// rule that lexes a group again with this lexer (chroma's UsingSelf, which
// would use chroma's lexer) does so with f; a group handed to a language by
// name (Using) goes to that language's warmingLexer; one whose language is in
// another group (UsingByGroup) finds it in the registry f is given when named
// is set (ruleLexers, made for this). What a lexer made in Go hands on by
// itself (an EmitterFunc) stays chroma's.
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
		name := reflect.ValueOf(e).Elem().FieldByName("Lexer").String()
		return chroma.EmitterFunc(func(groups []string, _ *chroma.LexerState) chroma.Iterator {
			l := lexers.Get(name) // as chroma's registry finds it
			if l == nil {
				panic(fmt.Sprintf("no such lexer %q", name)) // as chroma's
			}
			it, err := ours(l).Tokenise(&chroma.TokeniseOptions{State: "root", Nested: true}, groups[0]) // highlight.go
			if err != nil {
				panic(err)
			}
			return it
		}), false
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
	if end == 0 {
		// No rule will be tried. Chroma fails on any text, even none, when a
		// rule does not compile: for a rule of the starting state, so does this.
		for _, h := range f.hints[options.State] {
			h.regexp()
		}
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
			i, rule, groups, named := match(ls.Text, ls.Pos, rules, f.hints[ls.State], f.named)
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
// groups and, withNames, its named groups; nil groups when none does. hints
// holds what ruleLexer keeps of the rules, in the same order.
func match(text []rune, pos int, rules []*chroma.CompiledRule, hints []*ruleHints, withNames bool) (int, *chroma.CompiledRule, []string, map[string]string) {
	c := text[pos]
	for i, rule := range rules {
		var re *regexp2.Regexp
		if i >= len(hints) || hints[i].rule != rule {
			re = rule.Regexp // a rule a mutator put here as it ran comes compiled
		} else {
			h := hints[i]
			if h.first != nil && !h.first.may(c) {
				continue
			}
			if h.words != nil {
				groups, named, decided := h.words.match(text, pos, withNames)
				if decided {
					if groups == nil {
						continue
					}
					return i, rule, groups, named
				}
			}
			re = h.regexp()
		}
		m, err := re.FindRunesMatchStartingAt(text, pos)
		if m == nil || err != nil || m.RuneIndex != pos {
			continue
		}
		gs := m.Groups()
		groups := make([]string, 0, len(gs))
		var named map[string]string
		if withNames {
			named = make(map[string]string, len(gs))
		}
		for _, g := range gs {
			group := g.String() // a new string each call
			if withNames {
				named[g.Name] = group
			}
			groups = append(groups, group)
		}
		return i, rule, groups, named
	}
	return 0, &chroma.CompiledRule{}, nil, nil
}
