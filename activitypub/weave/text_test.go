package weave

import "testing"

// TestIsQuestion: the rule the weave and the moderators' notices share for
// what a question is.
func TestIsQuestion(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    bool
	}{
		{"a question mark", "<p>How do I start?</p>", true},
		{"in the middle", "<p>Why? I wonder.</p>", true},
		{"no question mark", "<p>I started.</p>", false},
		{"only in a link's query", `<p>See <a href="https://x.example/?a=1">https://x.example/?a=1</a></p>`, false},
		{"an escaped tag is text", "<p>&lt;b&gt;?</p>", true},
		{"in an attribute only", `<p><a href="https://x.example/?q" title="?">here</a></p>`, false},
	}
	for _, tt := range tests {
		if got := IsQuestion(tt.content); got != tt.want {
			t.Errorf("%s: IsQuestion(%q) = %t, want %t", tt.name, tt.content, got, tt.want)
		}
	}
}

// TestText: a reply as the weave quotes it.
func TestText(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"paragraphs", "<p>One.</p><p>Two.</p>", "One.\n\nTwo."},
		{"line breaks", "<p>One<br>two</p>", "One\ntwo"},
		{"leading mentions dropped", `<p><span class="h-card"><a href="https://c.example/actor">@<span>course</span></a></span> <span class="h-card"><a href="#">@bo</a></span> Hello @ann</p>`, "Hello @ann"},
		{"only a mention", `<p>@course</p><p>Hi.</p>`, "Hi."},
		{"entities decoded", "<p>a &amp; b &lt;c&gt;</p>", "a & b <c>"},
	}
	for _, tt := range tests {
		if got := Text(tt.content); got != tt.want {
			t.Errorf("%s: Text(%q) = %q, want %q", tt.name, tt.content, got, tt.want)
		}
	}
}
