package markdown

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzRender checks, for any input, that Render does not panic, that it is
// deterministic, that every <aside> and <figure> it opens is closed, and that a broken
// link's line is within the input.
//
// Raw HTML is off, so every "<aside" or "<figure" in the output was written by this
// package (the author's own would be escaped or omitted).
func FuzzRender(f *testing.F) {
	// Seeds stay small: the fuzzer minimises every new interesting input, and a large
	// seed (such as benchLesson) makes that take most of a short run.
	for _, seed := range []string{
		"# T\n\n## A *b*\n\n| a | b |\n|---|:-:|\n| `c` | [d](d.md) |\n\n```go\nvar x = 1\n```\n\nx[^1] \"q\" -- ...\n\n[^1]: n\n\nTerm\n: def\n\n- [x] done\n- ~~no~~ www.example.org\n",
		"> [!NOTE]\n> body\n",
		"> [!TIP] Title *x*\n> body\n",
		"> [!DISCUSS]\n",
		"> [!note]\n> > [!warning]\n> > nested\n",
		"- > [!CAUTION]\n  > in a list\n",
		"> [!NOTE]\n\n[!NOTE]: x\n",
		"https://youtu.be/dQw4w9WgXcQ\n",
		"[https://vimeo.com/1](https://vimeo.com/1 \"t\")\n",
		"<https://x.org/w/kkGMgK9ZtnKfYAgnEtQxbv>\n",
		"[a](missing.md)\n\n![b](missing.png)\n",
		"## A\n## A\n## Discussion\n",
		"| a |\n|---|\n| [x](missing.md) |\n",
		"x[^1]\n\n[^1]: [y](missing.md)\n",
		"\r\n> [!NOTE]\r\n> crlf\r\n",
	} {
		f.Add(seed)
	}
	r := New(Options{})
	resolve := func(dest string) (string, error) {
		if strings.Contains(dest, "missing") {
			return "", errors.New("no such page")
		}
		return dest, nil
	}
	f.Fuzz(func(t *testing.T, src string) {
		res, err := r.Render([]byte(src), resolve)
		var le *LinkError
		var me *MathError
		if err != nil && !errors.As(err, &le) && !errors.As(err, &me) {
			t.Fatalf("Render: %v", err)
		}
		if le != nil {
			if lines := 1 + strings.Count(src, "\n"); le.Line < 1 || le.Line > lines {
				t.Errorf("LinkError.Line = %d, input has %d lines", le.Line, lines)
			}
		}
		html := string(res.HTML)
		for _, tag := range []string{"aside", "figure"} {
			if open, closed := strings.Count(html, "<"+tag), strings.Count(html, "</"+tag+">"); open != closed {
				t.Errorf("%d <%s but %d </%s>:\n%s", open, tag, closed, tag, html)
			}
		}
		again, _ := r.Render([]byte(src), resolve)
		if !bytes.Equal(res.HTML, again.HTML) {
			t.Errorf("two renders differ")
		}
		if res.Words < 0 || len(res.Text) > summaryMax {
			t.Errorf("Words = %d, len(Text) = %d", res.Words, len(res.Text))
		}
	})
}

// FuzzShortcodes checks, for any input with shortcodes, that rendering does not panic,
// that every error it gives is a broken link or a shortcode error on a line of the
// input, and that every <aside>, <figure> and <details> it opens is closed.
func FuzzShortcodes(f *testing.F) {
	for _, seed := range []string{
		"{{< youtube dQw4w9WgXcQ >}}\n",
		"{{% notice tip \"T\" %}}\n*x*\n{{% /notice %}}\n",
		"{{< hint danger >}}\na\n{{% notice info %}}\nb\n{{% /notice %}}\n{{< /hint >}}\n",
		"{{< details summary=\"S\" open=true >}}\n- a\n{{< /details >}}\n",
		"See [a *b*]({{< relref \"intro.md\" >}}) and {{< param level >}}.\n",
		"{{< figure src=\"a.png\" caption=\"c\" link=\"missing\" >}}\n",
		"{{< highlight go \"linenos=table,hl_lines=1-2\" >}}\nx\n{{< /highlight >}}\n",
		"{{< echo a >}}in{{< /echo >}} {{% echo %}}\nb\n{{% /echo %}}\n",
		"{{< /notice >}}\n{{< tweet 1 >}}\n{{< a \"b >}}\n",
		"- {{% notice %}}\n  x\n  {{% /notice %}}\n",
		"{{< highlight go >}}\nx\n{{< /highlight >}}", // no newline at the end
	} {
		f.Add(seed)
	}
	r := New(Options{Shortcodes: map[string]Shortcode{"echo": echoShortcode}})
	f.Fuzz(func(t *testing.T, src string) {
		res, err := r.RenderPage([]byte(src), caseEnv)
		lines := 1 + strings.Count(src, "\n")
		var le *LinkError
		var se *ShortcodeError
		switch {
		case err == nil:
		case errors.As(err, &le):
			if le.Line < 1 || le.Line > lines {
				t.Errorf("LinkError.Line = %d, input has %d lines", le.Line, lines)
			}
		case errors.As(err, &se):
			if se.Line < 1 || se.Line > lines {
				t.Errorf("ShortcodeError.Line = %d, input has %d lines", se.Line, lines)
			}
		default:
			t.Fatalf("RenderPage: %T %v", err, err)
		}
		html := string(res.HTML)
		for _, tag := range []string{"aside", "figure", "details"} {
			if open, closed := strings.Count(html, "<"+tag), strings.Count(html, "</"+tag+">"); open != closed {
				t.Errorf("%d <%s but %d </%s>:\n%s", open, tag, closed, tag, html)
			}
		}
	})
}
