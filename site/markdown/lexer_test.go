package markdown

import (
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
)

// lexerSamples are texts every lexer reads in TestRuleLexerAsChroma: code in
// a few languages, so that each lexer sees its own kind of text and others',
// with unfinished strings and comments, Unicode, tabs and both line endings.
var lexerSamples = []string{
	"package main\n\nimport \"fmt\"\n\n// Count counts the words.\nfunc Count(items []string) map[string]int {\n\tcounts := make(map[string]int, len(items))\n\tfor _, it := range items {\n\t\tcounts[it] += 1 // één\n\t}\n\treturn counts\n}\n",
	"def totaal_lessen(modules):\n    \"\"\"Telt de lessen.\"\"\"\n    totaal = 0x1F + 3.5e-2\n    for m in modules:\n        totaal += len(m.get('lessen', []))  # 'quote\n    return f\"{totaal!r}\"\n@decorator\nclass Cursus(object): pass\n",
	"<!DOCTYPE html>\n<section class=\"week\" data-x='1'>\n  <h2>Week &amp; één</h2>\n  <script>let a = `t${1}`; if (a < 2) { alert(\"x\") }</script>\n  <style>p { color: #fff; }</style>\n  <!-- unfinished comment\n",
	"SELECT l.title, COUNT(*) AS replies\nFROM lessons l LEFT JOIN replies r ON r.lesson = l.id\nWHERE l.opens <= now() AND l.title LIKE 'Week%' -- comment\nGROUP BY 1 ORDER BY 2 DESC;\r\n/* open comment\r\n",
	"#!/usr/bin/env bash\r\nset -euo pipefail\r\ncohort build --out \"$HOME/public\" 2>&1 | tee log.txt\r\necho 'unfinished\n[section]\nkey = \"value\"\t# toml\n{ \"json\": [1, 2.5, true, null] }\n- yaml: item\n  other: 3\n\x00\r",
}

// TestRuleLexerAsChroma holds ruleLexer, with first-character tables and
// without, to chroma's own tokens, for every regex lexer chroma has, on every
// sample. Chroma's lexer runs under loopGuard, which changes nothing unless it
// would never end.
func TestRuleLexerAsChroma(t *testing.T) {
	checked := 0
	for _, rl := range regexLexers() {
		name := rl.Config().Name
		fl, pl := newRuleLexer(rl, true), newRuleLexer(rl, false)
		if fl == nil || pl == nil {
			t.Errorf("%s: no rule lexer made", name)
			continue
		}
		checked++
		for i, text := range lexerSamples {
			if i == 0 {
				// Without tables, on one sample: the same state machine.
				want, _ := chroma.Tokenise(chroma.Coalesce(loopGuard{rl}), nil, text)
				got, _ := chroma.Tokenise(chroma.Coalesce(pl), nil, text)
				if !slices.Equal(got, want) {
					t.Errorf("%s, sample %d, without tables: %v, chroma %v", name, i, got, want)
				}
			}
			// loopGuard is chroma's lexer, which never ends with two of them.
			want, werr := chroma.Tokenise(chroma.Coalesce(loopGuard{rl}), nil, text)
			got, gerr := chroma.Tokenise(chroma.Coalesce(fl), nil, text)
			if (werr == nil) != (gerr == nil) {
				t.Errorf("%s, sample %d: chroma's error %v, ours %v", name, i, werr, gerr)
				continue
			}
			if len(got) != len(want) {
				t.Errorf("%s, sample %d: %d tokens, chroma %d", name, i, len(got), len(want))
				continue
			}
			for j := range want {
				if got[j] != want[j] {
					t.Errorf("%s, sample %d, token %d: %v, chroma %v", name, i, j, got[j], want[j])
					break
				}
			}
		}
	}
	if checked < 200 {
		t.Errorf("checked %d lexers; chroma has more than 200", checked)
	}
}

// TestWarmingLexerSwitches: a language's lexer takes first-character tables
// after fastAfter blocks, and highlights the same before and after.
func TestWarmingLexerSwitches(t *testing.T) {
	l, ok := ours(lexers.Get("python")).(*warmingLexer)
	if !ok {
		t.Fatalf("python's lexer is %T, want a *warmingLexer", ours(lexers.Get("python")))
	}
	var first []chroma.Token
	for i := range fastAfter + 2 {
		toks, err := chroma.Tokenise(l, nil, lexerSamples[1])
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = toks
			continue
		}
		if len(toks) != len(first) {
			t.Fatalf("block %d: %d tokens, first block %d", i, len(toks), len(first))
		}
		for j := range toks {
			if toks[j] != first[j] {
				t.Fatalf("block %d, token %d: %v, first block %v", i, j, toks[j], first[j])
			}
		}
	}
	if l.fast.Load() == nil {
		t.Errorf("after %d blocks the lexer still has no tables", fastAfter+2)
	}
}

// TestLexerThatLoops: a block in a language whose chroma lexer never ends
// (JSONata's last rule matches nothing and stays put, at a character no other
// rule takes) is highlighted as far as
// it goes, the rest an error token, the same with chroma's lexer or ours, and
// the build goes on.
func TestLexerThatLoops(t *testing.T) {
	// The quote is never closed: no rule but the last matches there.
	text := "$sum(Account.Order.Product.(Price * Quantity)) & 'niet af\n"
	rl := lexers.Get("jsonata").(*chroma.RegexLexer)
	fl := newRuleLexer(rl, true)
	want, err := chroma.Tokenise(chroma.Coalesce(loopGuard{rl}), nil, text)
	if err != nil {
		t.Fatal(err)
	}
	got, err := chroma.Tokenise(chroma.Coalesce(fl), nil, text)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for i, tok := range got {
		if i >= len(want) || tok != want[i] {
			t.Fatalf("token %d: %v, chroma's guarded %v", i, tok, want)
		}
		all.WriteString(tok.Value)
	}
	if all.String() != text {
		t.Errorf("the tokens spell %q, want the block's text %q", all.String(), text)
	}
	if last := got[len(got)-1]; last.Type != chroma.Error {
		t.Errorf("last token %v, want the rest as an error token", last)
	}
	html := string(render(t, Options{}, "```jsonata\n"+text+"```\n").HTML)
	if !strings.Contains(html, "Account") || !strings.Contains(html, `class="err"`) {
		t.Errorf("rendered block:\n%s", html)
	}
}

// regexLexers returns chroma's registered lexers that are regex lexers (not
// made in Go).
func regexLexers() []*chroma.RegexLexer {
	var found []*chroma.RegexLexer
	for _, l := range lexers.GlobalLexerRegistry.Lexers {
		if rl, ok := l.(*chroma.RegexLexer); ok {
			found = append(found, rl)
		}
	}
	return found
}

// FuzzFirstCharLexer holds ruleLexer to chroma's tokens on any text, for
// the languages courses use most. Each input is lexed twenty times, and the
// fuzzer minimizes every input that finds new code for up to a minute by
// default, counting none of it: run it with -fuzzminimizetime 1x, or it seems
// stuck at a few executions (about 70 a second on 2 cores with it).
func FuzzFirstCharLexer(f *testing.F) {
	for _, s := range lexerSamples {
		f.Add(s)
	}
	names := []string{"go", "python", "sql", "bash", "yaml", "html", "json", "toml", "javascript", "css"}
	type pair struct{ chroma, ours chroma.Lexer }
	var pairs []pair
	for _, name := range names {
		rl := lexers.Get(name).(*chroma.RegexLexer)
		pairs = append(pairs, pair{chroma.Coalesce(loopGuard{rl}), chroma.Coalesce(newRuleLexer(rl, true))})
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 4096 {
			return
		}
		for i, p := range pairs {
			want, werr := chroma.Tokenise(p.chroma, nil, text)
			got, gerr := chroma.Tokenise(p.ours, nil, text)
			if (werr == nil) != (gerr == nil) || len(got) != len(want) {
				t.Fatalf("%s: %d tokens (%v), chroma %d (%v)", names[i], len(got), gerr, len(want), werr)
			}
			for j := range want {
				if got[j] != want[j] {
					t.Fatalf("%s, token %d: %v, chroma %v", names[i], j, got[j], want[j])
				}
			}
		}
	})
}

// loopGuard is chroma's own lexer, stopped as ruleLexer stops when its rules
// keep matching nothing: after more than maxEmptyMatches empty tokens in a row,
// the rest of the text is one error token: the tests' reference for ruleLexer.
type loopGuard struct{ *chroma.RegexLexer }

func (g loopGuard) Tokenise(options *chroma.TokeniseOptions, text string) (chroma.Iterator, error) {
	if options == nil || options.EnsureLF {
		// As the lexer will, so that the tokens' lengths count into this text.
		text = ensureLF(text)
	}
	it, err := g.RegexLexer.Tokenise(options, text)
	if err != nil {
		return nil, err
	}
	taken, empties, done := 0, 0, false
	return func() chroma.Token {
		if done {
			return chroma.EOF
		}
		for {
			t := it()
			if t == chroma.EOF {
				done = true
				return t
			}
			if t.Value != "" {
				empties, taken = 0, taken+len(t.Value)
				return t
			}
			if empties++; empties > maxEmptyMatches {
				done = true
				return chroma.Token{Type: chroma.Error, Value: text[min(taken, len(text)):]}
			}
			if t.Type != chroma.Ignore {
				return t
			}
		}
	}, nil
}

// TestHighlightSurvivesPauses: code is highlighted the same when the process
// is paused while lexing it. Chroma's own regular expressions stop a rule after
// 250 ms by a clock that counts the pause, and the rule in progress then
// fails: a keyword came out as a name, differently from one build to the
// next (ruleLexers, highlight.go). A child process stops this one (SIGSTOP)
// for 400 ms, five times, while long strings in SQL and in the JavaScript of
// an HTML block (handed from one lexer to another) are lexed again and again.
func TestHighlightSurvivesPauses(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("stops the test process with kill(1) from a child: written for Linux")
	}
	long := strings.Repeat("een lange tekst ", 20000) // lexed in one match of ~100 ms: a pause lands in it
	blocks := []struct{ lang, code string }{
		{"sql", "SELECT title FROM lessons WHERE body = '" + long + "' AND week = 3;\n"},
		{"html", "<p>Week 3</p>\n<script>let s = \"" + long[:len(long)/10] + "\"; let n = 767;</script>\n"},
		{"go", "var s = `" + long[:len(long)/10] + "`\n"}, // a raw string is lexed as a Go template
	}
	want := make([][]chroma.Token, len(blocks))
	for i, b := range blocks {
		toks, err := chroma.Tokenise(lexerFor([]byte(b.lang)), nil, b.code)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = toks
	}
	pauser := exec.Command("sh", "-c", "for i in 1 2 3 4 5; do sleep 0.2; kill -STOP $0; sleep 0.4; kill -CONT $0; done", strconv.Itoa(os.Getpid()))
	if err := pauser.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- pauser.Wait() }()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	lexed := make([]int, len(blocks))
	for i, b := range blocks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				got, err := chroma.Tokenise(lexerFor([]byte(b.lang)), nil, b.code)
				if err != nil || !slices.Equal(got, want[i]) {
					t.Errorf("%s, lexed %d times before: the tokens changed (error %v)", b.lang, lexed[i], err)
					return
				}
				lexed[i]++
			}
		}()
	}
	if err := <-done; err != nil {
		t.Errorf("the process that paused this one: %v", err)
	}
	close(stop)
	wg.Wait()
	t.Logf("lexed %v times across the pauses", lexed)
}

// TestHandedOnTextUsesOurLexers: the JavaScript of an HTML block is lexed by
// the JavaScript lexer of ruleLexers, not chroma's (whose rules stop at 250 ms
// by a clock that counts pauses: TestHighlightSurvivesPauses).
func TestHandedOnTextUsesOurLexers(t *testing.T) {
	js, ok := ours(lexers.Get("javascript")).(*warmingLexer)
	if !ok {
		t.Fatalf("javascript's lexer is %T, want a *warmingLexer", ours(lexers.Get("javascript")))
	}
	before := js.uses.Load()
	if _, err := chroma.Tokenise(lexerFor([]byte("html")), nil, "<script>let n = 767;</script>\n"); err != nil {
		t.Fatal(err)
	}
	if js.uses.Load() == before {
		t.Error("the script was not lexed by ruleLexers' JavaScript lexer")
	}
	// Go's raw strings go to chroma's Go template lexer by a rule written in
	// Go, which keeps chroma's tokenizer: its rules get ruleTimeout too.
	if _, err := chroma.Tokenise(lexerFor([]byte("go")), nil, "var s = `raw`\n"); err != nil {
		t.Fatal(err)
	}
	checkLimits(t, lexers.Get("Go Text Template").(*chroma.RegexLexer))
	for _, l := range ruleLexers().Lexers {
		if _, ok := l.(keptRegistry).Lexer.(*warmingLexer); !ok {
			if _, regex := lexers.Get(l.Config().Name).(*chroma.RegexLexer); regex {
				t.Errorf("%s is %T in ruleLexers, want a *warmingLexer", l.Config().Name, l.(keptRegistry).Lexer)
			}
		}
	}
}

// TestLexersMadeInGoGetTheLimit: the lexers chroma made in Go around regex
// lexers (delegating, remapping, Markdown's, HTTP's) keep chroma's tokenizer,
// but once used here the regex lexers inside them have ruleTimeout.
func TestLexersMadeInGoGetTheLimit(t *testing.T) {
	made := 0
	for _, l := range lexers.GlobalLexerRegistry.Lexers {
		if _, ok := l.(*chroma.RegexLexer); ok {
			continue
		}
		made++
		ours(l) // highlight.go
		inner := regexLexersIn(l)
		if len(inner) == 0 {
			t.Errorf("%s (%T): no regex lexer found inside", l.Config().Name, l)
		}
		for _, rl := range inner {
			checkLimits(t, rl)
		}
	}
	if made == 0 {
		t.Error("chroma has no lexer made in Go any more: this test checks nothing")
	}
}

// checkLimits fails t when a compiled rule of rl has a time limit other than
// ruleTimeout, reading chroma's compiled rules as chromaRules does, without
// changing them.
func checkLimits(t *testing.T, rl *chroma.RegexLexer) {
	t.Helper()
	rules := reflect.ValueOf(rl).Elem().FieldByName("rules")
	rules = reflect.NewAt(rules.Type(), unsafe.Pointer(rules.UnsafeAddr())).Elem()
	if rules.Len() == 0 {
		t.Errorf("%s: not compiled", rl.Config().Name)
	}
	for _, state := range rules.MapKeys() {
		for _, r := range rules.MapIndex(state).Interface().([]*chroma.CompiledRule) {
			if r.Regexp.MatchTimeout != ruleTimeout {
				t.Errorf("%s, state %s: a rule's limit is %v, want %v", rl.Config().Name, state, r.Regexp.MatchTimeout, ruleTimeout)
				return
			}
		}
	}
}
