package markdown

import (
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/lexers"
)

// lexerSamples are texts every lexer reads in TestFirstCharLexerAsChroma: code in
// a few languages, so that each lexer sees its own kind of text and others',
// with unfinished strings and comments, Unicode, tabs and both line endings.
var lexerSamples = []string{
	"package main\n\nimport \"fmt\"\n\n// Count counts the words.\nfunc Count(items []string) map[string]int {\n\tcounts := make(map[string]int, len(items))\n\tfor _, it := range items {\n\t\tcounts[it] += 1 // één\n\t}\n\treturn counts\n}\n",
	"def totaal_lessen(modules):\n    \"\"\"Telt de lessen.\"\"\"\n    totaal = 0x1F + 3.5e-2\n    for m in modules:\n        totaal += len(m.get('lessen', []))  # 'quote\n    return f\"{totaal!r}\"\n@decorator\nclass Cursus(object): pass\n",
	"<!DOCTYPE html>\n<section class=\"week\" data-x='1'>\n  <h2>Week &amp; één</h2>\n  <script>let a = `t${1}`; if (a < 2) { alert(\"x\") }</script>\n  <style>p { color: #fff; }</style>\n  <!-- unfinished comment\n",
	"SELECT l.title, COUNT(*) AS replies\nFROM lessons l LEFT JOIN replies r ON r.lesson = l.id\nWHERE l.opens <= now() AND l.title LIKE 'Week%' -- comment\nGROUP BY 1 ORDER BY 2 DESC;\r\n/* open comment\r\n",
	"#!/usr/bin/env bash\r\nset -euo pipefail\r\ncohort build --out \"$HOME/public\" 2>&1 | tee log.txt\r\necho 'unfinished\n[section]\nkey = \"value\"\t# toml\n{ \"json\": [1, 2.5, true, null] }\n- yaml: item\n  other: 3\n\x00\r",
}

// TestFirstCharLexerAsChroma holds firstCharLexer to chroma's own tokens, for
// every regex lexer chroma has, on every sample. Chroma's lexer runs under
// loopGuard, which changes nothing unless it would never end.
func TestFirstCharLexerAsChroma(t *testing.T) {
	checked := 0
	for _, l := range lexers.GlobalLexerRegistry.Lexers {
		rl, ok := l.(*chroma.RegexLexer)
		if !ok {
			continue
		}
		name := rl.Config().Name
		fl := newFirstCharLexer(rl, lexers.GlobalLexerRegistry)
		if fl == nil {
			t.Errorf("%s: no first-character lexer made", name)
			continue
		}
		checked++
		for i, text := range lexerSamples {
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

// TestWarmingLexerSwitches: a language's lexer turns into the first-character
// one after fastAfter blocks, and highlights the same before and after.
func TestWarmingLexerSwitches(t *testing.T) {
	l, ok := lexerFor([]byte("python")).(*warmingLexer)
	if !ok {
		t.Fatalf("python's lexer is %T, want a *warmingLexer", lexerFor([]byte("python")))
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
		t.Errorf("after %d blocks the lexer is still chroma's", fastAfter+2)
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
	fl := newFirstCharLexer(rl, lexers.GlobalLexerRegistry)
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

// FuzzFirstCharLexer holds firstCharLexer to chroma's tokens on any text, for
// the languages courses use most.
func FuzzFirstCharLexer(f *testing.F) {
	for _, s := range lexerSamples {
		f.Add(s)
	}
	names := []string{"go", "python", "sql", "bash", "yaml", "html", "json", "toml", "javascript", "css"}
	type pair struct{ chroma, ours chroma.Lexer }
	var pairs []pair
	for _, name := range names {
		rl := lexers.Get(name).(*chroma.RegexLexer)
		pairs = append(pairs, pair{chroma.Coalesce(loopGuard{rl}), chroma.Coalesce(newFirstCharLexer(rl, lexers.GlobalLexerRegistry))})
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
