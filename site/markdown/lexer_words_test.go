package markdown

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
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
	for _, l := range lexers.GlobalLexerRegistry.Lexers {
		rl, ok := l.(*chroma.RegexLexer)
		if !ok {
			continue
		}
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
