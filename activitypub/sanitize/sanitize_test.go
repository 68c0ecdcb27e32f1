package sanitize_test

import (
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/cohort-course/cohort/activitypub/sanitize"
)

func TestHTML(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"Mastodon mention survives",
			`<p><span class="h-card"><a href="https://other.example/@bob" class="u-url mention">@<span>bob</span></a></span> hi</p>`,
			`<p><span class="h-card"><a href="https://other.example/@bob" class="u-url mention" rel="nofollow noopener ugc">@<span>bob</span></a></span> hi</p>`},
		{"hashtag and invisible/ellipsis spans survive",
			`<a href="https://m.example/tags/go" class="mention hashtag" rel="tag">#<span>go</span></a> <a href="https://x.example/long"><span class="invisible">https://</span><span class="ellipsis">x.example/lo</span></a>`,
			`<a href="https://m.example/tags/go" class="mention hashtag" rel="nofollow noopener ugc">#<span>go</span></a> <a href="https://x.example/long" rel="nofollow noopener ugc"><span class="invisible">https://</span><span class="ellipsis">x.example/lo</span></a>`},
		{"unknown classes removed, known kept",
			`<span class="invisible evil-overlay">x</span><span class="big">y</span>`,
			`<span class="invisible">x</span><span>y</span>`},
		{"formatting allow-list kept",
			`<p><strong>a</strong><em>b</em><b>c</b><i>d</i><code>e</code><del>f</del><s>g</s></p><pre>h</pre><ul><li>i</li></ul><ol><li>j</li></ol><blockquote>k</blockquote>a<br>b`,
			`<p><strong>a</strong><em>b</em><b>c</b><i>d</i><code>e</code><del>f</del><s>g</s></p><pre>h</pre><ul><li>i</li></ul><ol><li>j</li></ol><blockquote>k</blockquote>a<br>b`},
		{"headings become bold paragraphs", `<h1>Title</h1><h3 id="x">Sub</h3>`, `<p><strong>Title</strong></p><p><strong>Sub</strong></p>`},
		{"script removed with its content", `<p>hi</p><script>alert(1)</script>`, `<p>hi</p>`},
		{"style removed with its content", `<style>body{display:none}</style><p>x</p>`, `<p>x</p>`},
		{"onclick removed", `<p onclick="alert(1)">x</p>`, `<p>x</p>`},
		{"inline style removed", `<span style="position:fixed">x</span>`, `<span>x</span>`},
		{"javascript URL removed, text kept", `<a href="javascript:alert(1)">x</a>`, `x`},
		{"javascript URL with entity tricks", `<a href="jav&#x09;ascript:alert(1)">x</a>`, `x`},
		{"data URI removed", `<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>`, `x`},
		{"mailto kept", `<a href="mailto:a@b.example">m</a>`, `<a href="mailto:a@b.example" rel="nofollow noopener ugc">m</a>`},
		{"target and rel replaced", `<a href="https://x.example" target="_blank" rel="me noreferrer">x</a>`, `<a href="https://x.example" rel="nofollow noopener ugc">x</a>`},
		{"iframe removed", `<iframe src="https://evil.example"></iframe><p>x</p>`, `<p>x</p>`},
		{"svg removed with its content", `<svg onload="alert(1)"><script>alert(2)</script></svg>ok`, `ok`},
		{"img removed", `<img src="x" onerror="alert(1)">ok`, `ok`},
		{"nested tag trick", `<scr<script>ipt>alert(1)</script>`, `ipt&gt;alert(1)`},
		{"form and input removed", `<form action="https://evil.example"><input name="p"></form>ok`, `ok`},
		{"comment removed", `<!-- <script>x</script> -->ok`, `ok`},
		{"plain text escaped", `1 < 2 & 3`, `1 &lt; 2 &amp; 3`},
		{"link without href dropped", `<a name="x">y</a>`, `y`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sanitize.HTML(tt.in); got != tt.want {
				t.Errorf("HTML(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// tags counts start and self-closing tags, and headings among them.
func tags(s string) (n, headings int) {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return n, headings
		case html.StartTagToken, html.SelfClosingTagToken:
			n++
			name, _ := z.TagName()
			if len(name) == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6' {
				headings++
			}
		}
	}
}

var onAttr = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)

// unsafeMarkup reports a script tag, an on* attribute, or a javascript:
// URL in any attribute of s's tags. Plain text that reads "javascript:" is
// escaped text, harmless, and allowed.
func unsafeMarkup(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			tok := z.Token()
			if tok.Data == "script" {
				return "script tag"
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					return "on* attribute"
				}
				if strings.Contains(strings.ToLower(strings.Join(strings.Fields(a.Val), "")), "javascript:") {
					return "javascript: URL"
				}
			}
		}
	}
}

// FuzzHTML: the output never holds <script, an on* attribute or a
// javascript: URL in its markup, and has no more tags than the input,
// counting a heading as the two tags (p, strong) it becomes.
func FuzzHTML(f *testing.F) {
	for _, s := range []string{
		`<p><span class="h-card"><a href="https://o.example/@b" class="u-url mention">@<span>b</span></a></span></p>`,
		`<scr<script>ipt>alert(1)</script>`, `<a href="javascript:alert(1)">x</a>`, `<h1 onclick=x>t</h1>`,
		`<svg><a xlink:href="javascript:x">y</a></svg>`, `<p title="<script>">`, `<a href=" JaVaScRiPt:x">`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := sanitize.HTML(in)
		if strings.Contains(strings.ToLower(out), "<script") || onAttr.MatchString(out) {
			t.Fatalf("unsafe output %q from %q", out, in)
		}
		if why := unsafeMarkup(out); why != "" {
			t.Fatalf("%s in output %q from %q", why, out, in)
		}
		nIn, h := tags(in)
		nOut, _ := tags(out)
		if nOut > nIn+h {
			t.Fatalf("%d tags out of %d (+%d headings): %q from %q", nOut, nIn, h, out, in)
		}
	})
}

func BenchmarkHTML(b *testing.B) {
	in := `<p><span class="h-card"><a href="https://course.example.org/@course" class="u-url mention">@<span>course</span></a></span> We&#39;re working on open-sourcing our Terraform config <script>x</script> for Mastodon behind Fastly.</p>`
	for b.Loop() {
		sanitize.HTML(in)
	}
}
