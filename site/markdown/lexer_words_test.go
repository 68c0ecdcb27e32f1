package markdown

import (
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/dlclark/regexp2/v2"
)

// TestWordRulesAsRegexp: every chroma rule that is a list of words (wordRuleOf)
// matches as its regular expression does, at every position of texts made of its
// words in changed case, next to characters that test its boundaries and
// look-behind: a dot, a bracket, ASCII and other letters and digits, the
// characters that fold to ASCII letters under Unicode's rules (KELVIN SIGN,
// LATIN CAPITAL LETTER I WITH DOT ABOVE), a joiner and a combining mark.
func TestWordRulesAsRegexp(t *testing.T) {
	around := []string{"", " ", ".", "(", "_", "x", "Z", "7", "é", "\u212a", "\u0130", "\u200d", "\u0301", "-", "\n"}
	rng := rand.New(rand.NewPCG(1, 2))
	rules, positions := 0, 0
	for _, rl := range regexLexers() {
		compiled, ok := chromaRules(rl)
		if !ok {
			t.Fatalf("%s: rules not readable", rl.Config().Name)
		}
		flags := ruleFlags(rl.Config())
		seen := map[*chroma.CompiledRule]bool{}
		for _, state := range slices.Sorted(maps.Keys(compiled)) {
			for _, cr := range compiled[state] {
				w := wordRuleOf(cr.Pattern, flags)
				if w == nil || seen[cr] {
					continue
				}
				seen[cr] = true
				rules++
				var words []string
				for _, ws := range w.byFirst {
					words = append(words, ws...)
				}
				var texts []string
				for range 40 {
					word := []rune(words[rng.IntN(len(words))])
					for i := range word {
						switch rng.IntN(4) {
						case 0:
							word[i] = []rune(strings.ToUpper(string(word[i])))[0]
						case 1:
							if word[i] == 'k' || word[i] == 'K' {
								word[i] = '\u212a'
							}
							if word[i] == 'i' || word[i] == 'I' {
								word[i] = '\u0130'
							}
						}
					}
					cut := len(word)
					if rng.IntN(5) == 0 {
						cut = rng.IntN(len(word) + 1)
					}
					texts = append(texts, around[rng.IntN(len(around))]+string(word[:cut])+around[rng.IntN(len(around))]+around[rng.IntN(len(around))])
				}
				for _, text := range texts {
					positions += checkWordRule(t, rl.Config().Name, cr, w, text)
				}
			}
		}
	}
	t.Logf("%d word rules, %d positions", rules, positions)
	if rules < 100 {
		t.Errorf("only %d rules are lists of words; chroma 2.27 has more", rules)
	}
}

// checkWordRule compares w with the regular expression of cr, whose wordRule it
// is, at each position of text, and returns the number of positions.
func checkWordRule(t *testing.T, lexer string, cr *chroma.CompiledRule, w *wordRule, text string) int {
	t.Helper()
	runes := []rune(text)
	for pos := range runes {
		groups, named, decided := w.match(runes, pos, true)
		if !decided {
			continue
		}
		m, err := cr.Regexp.FindRunesMatchStartingAt(runes, pos)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		wantNamed := map[string]string{}
		if m != nil && m.RuneIndex == pos {
			for _, g := range m.Groups() {
				want = append(want, g.String())
				wantNamed[g.Name] = g.String()
			}
		}
		if !slices.Equal(groups, want) || (want != nil && !maps.Equal(named, wantNamed)) {
			t.Errorf("%s %q at %d of %q: %q %v, regexp %q %v", lexer, cr.Pattern, pos, text, groups, named, want, wantNamed)
		}
	}
	return len(runes)
}

// FuzzWordRules holds the word rules of the languages courses use most to
// their regular expressions on any text. Like FuzzFirstCharLexer, run it with
// -fuzzminimizetime 1x (about 20 executions a second on 2 cores).
func FuzzWordRules(f *testing.F) {
	for _, s := range lexerSamples {
		f.Add(s)
	}
	f.Add("SELECT count(*) FROM t WHERE k\u212aEY = 1; select\u200dfrom")
	type rule struct {
		lexer string
		cr    *chroma.CompiledRule
		w     *wordRule
	}
	var rules []rule
	for _, name := range []string{"go", "python", "sql", "bash", "javascript", "css", "php", "ruby"} {
		rl := lexers.Get(name).(*chroma.RegexLexer)
		compiled, ok := chromaRules(rl)
		if !ok {
			f.Fatalf("%s: rules not readable", name)
		}
		for _, rs := range compiled {
			for _, cr := range rs {
				if w := wordRuleOf(cr.Pattern, ruleFlags(rl.Config())); w != nil {
					rules = append(rules, rule{name, cr, w})
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1024 {
			return
		}
		for _, r := range rules {
			checkWordRule(t, r.lexer, r.cr, r.w, text)
		}
	})
}

// TestLazyRulesAsChroma: for every chroma regex lexer, lazyRules lays the rules
// out in the states chroma's compiling leaves (the same patterns, mutators and
// emitters, in the same order), and every pattern compiles.
func TestLazyRulesAsChroma(t *testing.T) {
	checked := 0
	for _, rl := range regexLexers() {
		name := rl.Config().Name
		lazy, ok := lazyRules(rl)
		if !ok {
			t.Errorf("%s: no lazy rules", name)
			continue
		}
		// Chroma compiles a new lexer of the same rules: the registered one's
		// may have been changed by lexing (Raku's rules add rules to its
		// states as they run).
		fetch := rulesAsWritten(rl)
		fresh, err := chroma.NewLexer(rl.Config(), func() chroma.Rules {
			rules, err := fetch()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return rules
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		compiled, ok := chromaRules(fresh)
		if !ok {
			t.Fatalf("%s: chroma's rules not readable", name)
		}
		if !slices.Equal(slices.Sorted(maps.Keys(lazy)), slices.Sorted(maps.Keys(compiled))) {
			t.Errorf("%s: states %v, chroma %v", name, slices.Sorted(maps.Keys(lazy)), slices.Sorted(maps.Keys(compiled)))
			continue
		}
		flags := ruleFlags(rl.Config())
		for state, rules := range compiled {
			if len(lazy[state]) != len(rules) {
				t.Errorf("%s, %s: %d rules, chroma %d", name, state, len(lazy[state]), len(rules))
				continue
			}
			for i, want := range rules {
				got := lazy[state][i]
				if !samePattern(got.Pattern, want.Pattern) || !sameValue(got.Mutator, want.Mutator) || reflect.TypeOf(got.Type) != reflect.TypeOf(want.Type) {
					t.Errorf("%s, %s, rule %d: %q %#v, chroma %q %#v", name, state, i, got.Pattern, got.Mutator, want.Pattern, want.Mutator)
				}
				if got.Regexp != nil {
					t.Errorf("%s, %s, rule %d: compiled already", name, state, i)
				}
				pattern := "(?:" + got.Pattern + ")"
				if flags != "" {
					pattern = "(?" + flags + ")" + pattern
				}
				if _, err := regexp2.Compile(`\G` + pattern); err != nil {
					t.Errorf("%s, %s, rule %d: %v", name, state, i, err)
				}
			}
		}
		checked++
	}
	if checked < 200 {
		t.Errorf("checked %d lexers; chroma has more than 200", checked)
	}
}

// samePattern reports whether a and b are one pattern, or the same characters
// in another order: Raku's lexer builds a character class from a map, in the
// map's order, each time its rules are read.
func samePattern(a, b string) bool {
	if a == b {
		return true
	}
	ra, rb := []rune(a), []rune(b)
	slices.Sort(ra)
	slices.Sort(rb)
	return slices.Equal(ra, rb)
}

// sameValue reports whether a and b are equal, functions (the closures a
// lexer's rules make anew each time they are read) by their code.
func sameValue(a, b any) bool { return sameValues(reflect.ValueOf(a), reflect.ValueOf(b)) }

func sameValues(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() || a.IsValid() && a.Type() != b.Type() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	switch a.Kind() {
	case reflect.Func:
		return a.Pointer() == b.Pointer()
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValues(a.Elem(), b.Elem())
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValues(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameValues(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	}
	return false // not in a rule's mutator: compared by hand when it is
}

// TestBrokenRuleFoundWhenTried: a rule that does not compile is found when a
// block first tries it. That block is written as one in an unknown language;
// a block that never reaches the rule is highlighted, and an empty block is
// plain when the broken rule is in the starting state.
func TestBrokenRuleFoundWhenTried(t *testing.T) {
	l := chroma.MustNewLexer(&chroma.Config{Name: "cohort-test-broken-later"}, func() chroma.Rules {
		return chroma.Rules{
			"root": {
				{Pattern: `[a-z]+`, Type: chroma.Name},
				{Pattern: `\(`, Type: chroma.Punctuation, Mutator: chroma.Push("inner")},
				{Pattern: `\s+`, Type: chroma.Text},
			},
			"inner": {{Pattern: `(`, Type: chroma.Text}},
		}
	})
	lexer := chroma.Coalesce(ours(l))
	if tokens, ok := lexCode(lexer, "abc def\n"); !ok || len(tokens) == 0 || tokens[0] != (chroma.Token{Type: chroma.Name, Value: "abc"}) {
		t.Errorf("a block that does not reach the broken rule: %v, %v", tokens, ok)
	}
	if tokens, ok := lexCode(lexer, "abc (def\n"); ok {
		t.Errorf("a block that reaches the broken rule: %v, want the lexer to fail", tokens)
	}
	if tokens, ok := lexCode(lexer, ""); !ok || len(tokens) != 0 {
		t.Errorf("an empty block, the broken rule not in the starting state: %v, %v", tokens, ok)
	}
	html := string(render(t, Options{}, "```go\nx := 1\n```\n").HTML)
	if !strings.Contains(html, `class="chroma"`) {
		t.Errorf("other languages are still highlighted:\n%s", html)
	}
}
