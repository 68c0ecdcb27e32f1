package weave

import (
	"strings"

	"golang.org/x/net/html"
)

// Text returns a reply's sanitized HTML as plain text: paragraphs and line
// breaks become blank lines and line ends, tags go, entities are decoded,
// and the mentions a reply opens with (@course, @someone) are dropped, since
// a quote reads without them.
func Text(content string) string {
	z := html.NewTokenizer(strings.NewReader(content))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return tidy(b.String())
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.SelfClosingTagToken:
			if name, _ := z.TagName(); string(name) == "br" {
				b.WriteByte('\n')
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "p" {
				b.WriteString("\n\n")
			}
		}
	}
}

// tidy trims each paragraph, drops empty ones and the leading mentions.
func tidy(s string) string {
	var paras []string
	for _, p := range strings.Split(s, "\n\n") {
		var lines []string
		for _, l := range strings.Split(p, "\n") {
			if l = strings.Join(strings.Fields(l), " "); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) == 0 {
			continue
		}
		if len(paras) == 0 {
			lines[0] = dropMentions(lines[0])
			if lines[0] == "" {
				lines = lines[1:]
			}
			if len(lines) == 0 {
				continue
			}
		}
		paras = append(paras, strings.Join(lines, "\n"))
	}
	return strings.Join(paras, "\n\n")
}

// dropMentions removes the @handles a line starts with.
func dropMentions(line string) string {
	words := strings.Fields(line)
	i := 0
	for i < len(words) && strings.HasPrefix(words[i], "@") && len(words[i]) > 1 {
		i++
	}
	return strings.Join(words[i:], " ")
}

// IsQuestion reports whether a reply asks a question: its text, links left
// out, has a question mark. The store has no other mark for a question, so
// the weave and the moderators' notices share this one rule.
func IsQuestion(content string) bool {
	for _, w := range strings.Fields(Text(content)) {
		if strings.Contains(w, "://") || strings.HasPrefix(w, "www.") {
			continue // a link's query string is no question
		}
		if strings.Contains(w, "?") {
			return true
		}
	}
	return false
}
