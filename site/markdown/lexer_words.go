package markdown

import (
	"strconv"
	"strings"

	"github.com/dlclark/regexp2/v2/syntax"
)

// Many lexers' keyword and builtin rules are one alternation of words:
// `(SELECT|FROM|...)\b`, 700 words long in SQL. The regexp package tries the
// words one by one, with its backtracking at each, and in a cold build of the
// generated course these rules took most of the time spent lexing SQL, and a
// quarter of Go's and Python's. A wordRule answers for such a rule: it tries
// only the words that begin with the character at the position, in the rule's
// order, as the alternation does. Where the regexp package's case folding
// could differ from ASCII's (a character beyond ASCII in a case-insensitive
// rule), it leaves the decision to the regular expression.

// wordRule is a rule whose pattern is, in this order: an optional negative
// look-behind for one character, an optional \b, a group of literal words
// separated by |, \b, and an optional group of one literal character.
type wordRule struct {
	notAfter rune // the look-behind's character; 0 for none
	leading  bool // a \b before the words
	capture  bool // the words' group captures
	tail     rune // the character in a group after the final \b; 0 for none
	fold     bool // the rule is case-insensitive; words are in lower case
	// byFirst holds the words in the rule's order, by their first
	// (lower-case, under fold) character.
	byFirst [128][]string
}

// wordRuleOf reads pattern, as written in the lexer, under flags (chroma's
// "m", "i", "s"), and returns its wordRule, or nil when it is not of that shape.
func wordRuleOf(pattern, flags string) *wordRule {
	if strings.Trim(flags, "mis") != "" {
		return nil
	}
	w := &wordRule{fold: strings.Contains(flags, "i")}
	p := pattern
	if rest, ok := strings.CutPrefix(p, `(?<!`); ok {
		c, n := literalChar(rest)
		if n == 0 || !strings.HasPrefix(rest[n:], ")") || isASCIILetter(c) {
			return nil
		}
		w.notAfter, p = c, rest[n+1:]
	}
	if rest, ok := strings.CutPrefix(p, `\b`); ok {
		w.leading, p = true, rest
	}
	switch {
	case strings.HasPrefix(p, "(?:"):
		p = p[3:]
	case strings.HasPrefix(p, "(") && !strings.HasPrefix(p, "(?"):
		w.capture, p = true, p[1:]
	default:
		return nil
	}
	words := 0
	var word strings.Builder
	for {
		if p == "" {
			return nil
		}
		if p[0] == '|' || p[0] == ')' {
			if word.Len() == 0 {
				return nil
			}
			s := word.String()
			w.byFirst[s[0]] = append(w.byFirst[s[0]], s)
			words++
			word.Reset()
			end := p[0] == ')'
			p = p[1:]
			if end {
				break
			}
			continue
		}
		c, n := literalChar(p)
		if n == 0 {
			return nil
		}
		if w.fold {
			c = asciiLower(c)
		}
		word.WriteByte(byte(c))
		p = p[n:]
	}
	rest, ok := strings.CutPrefix(p, `\b`)
	if !ok || words < 2 {
		return nil
	}
	if rest != "" {
		inner, ok := strings.CutPrefix(rest, "(")
		if !ok || strings.HasPrefix(inner, "?") {
			return nil
		}
		c, n := literalChar(inner)
		if n == 0 || inner[n:] != ")" || isASCIILetter(c) {
			return nil
		}
		w.tail = c
	}
	return w
}

// literalChar reads one character that stands for itself at the start of p: a
// letter, a digit, '_', ' ' or '-', or ASCII punctuation escaped with '\'. It
// returns that character and the bytes it took, 0 when p does not start so.
func literalChar(p string) (rune, int) {
	if p == "" {
		return 0, 0
	}
	c := p[0]
	switch {
	case isASCIILetter(rune(c)), '0' <= c && c <= '9', c == '_', c == ' ', c == '-':
		return rune(c), 1
	case c == '\\' && len(p) > 1 && p[1] < 0x80 && strings.IndexByte(`.()[]{}*+?^$|\/#&~-=!<>:,'"%@`, p[1]) >= 0:
		return rune(p[1]), 2
	}
	return 0, 0
}

func isASCIILetter(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' }

func asciiLower(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// match returns the rule's groups and, withNames, its named groups at pos, as
// the regular expression's match gives them, nil when it does not match there. decided
// is false when the regular expression has to decide.
func (w *wordRule) match(text []rune, pos int, withNames bool) (groups []string, named map[string]string, decided bool) {
	c := text[pos]
	if c >= 0x80 {
		return nil, nil, !w.fold
	}
	if w.fold {
		c = asciiLower(c)
	}
	candidates := w.byFirst[c]
	if len(candidates) == 0 { // at most positions: first, as it is the cheapest
		return nil, nil, true
	}
	if w.notAfter != 0 && pos > 0 && text[pos-1] == w.notAfter {
		return nil, nil, true
	}
	if w.leading && !boundary(text, pos) {
		return nil, nil, true
	}
	for _, word := range candidates {
		end, decided := w.prefix(text, pos, word)
		if !decided {
			return nil, nil, false
		}
		if end < 0 || !boundary(text, end) {
			continue
		}
		stop := end
		if w.tail != 0 {
			if end >= len(text) || text[end] != w.tail {
				continue
			}
			stop++
		}
		whole := string(text[pos:stop])
		groups = append(make([]string, 0, 3), whole)
		if w.capture {
			groups = append(groups, whole[:end-pos]) // the words are ASCII: one byte a rune
		}
		if w.tail != 0 {
			groups = append(groups, whole[end-pos:])
		}
		if withNames {
			named = make(map[string]string, len(groups))
			for i, g := range groups {
				named[strconv.Itoa(i)] = g
			}
		}
		return groups, named, true
	}
	return nil, nil, true
}

// prefix returns where word ends when text has it at pos, -1 when not.
// decided is false when a character beyond ASCII meets a case-insensitive
// comparison, which the regexp package folds by Unicode's rules.
func (w *wordRule) prefix(text []rune, pos int, word string) (end int, decided bool) {
	if len(text)-pos < len(word) {
		return -1, true // folding keeps the number of characters
	}
	for i := 0; i < len(word); i++ {
		r := text[pos+i]
		if r >= 0x80 {
			if w.fold {
				return -1, false
			}
			return -1, true
		}
		if w.fold {
			r = asciiLower(r)
		}
		if r != rune(word[i]) {
			return -1, true
		}
	}
	return pos + len(word), true
}

// boundary reports whether \b holds at i, as the regexp package decides it.
func boundary(text []rune, i int) bool {
	return (i > 0 && syntax.IsWordChar(text[i-1])) != (i < len(text) && syntax.IsWordChar(text[i]))
}
