package as_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/cohort-course/cohort/activitypub/as"
)

// TestMentionsFromEveryTagShape: mentions are read from the tag value
// however a server writes it (one object or an array, a type or an array
// of types), and other tags (hashtags, custom emoji) are not mentions.
func TestMentionsFromEveryTagShape(t *testing.T) {
	const (
		course = "https://course.example.org/actor"
		head   = `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://h.example/a","type":"Create","actor":"https://h.example/u",` +
			`"object":{"id":"https://h.example/n","type":"Note","attributedTo":"https://h.example/u","content":"hi","tag":`
	)
	tests := []struct {
		name, tag string
		want      []string
	}{
		{"one object, not an array", `{"type":"Mention","href":"` + course + `"}`, []string{course}},
		{"an array of types", `[{"type":["Mention"],"href":"` + course + `"}]`, []string{course}},
		{"hashtags and emoji are not mentions", `[{"type":"Hashtag","href":"https://h.example/tags/go","name":"#go"},` +
			`{"type":"Emoji","name":":x:","icon":{"type":"Image","url":"https://h.example/x.png"}},{"type":"Mention","href":"` + course + `"}]`, []string{course}},
		{"a mention without href is skipped", `[{"type":"Mention","name":"@course"}]`, nil},
		{"no tags", `[]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := as.Parse(context.Background(), []byte(head+tt.tag+`}}`))
			if err != nil {
				t.Fatal(err)
			}
			if a.Reply == nil || !reflect.DeepEqual(a.Mentions, tt.want) {
				t.Fatalf("reply %v, mentions %q, want %q", a.Reply != nil, a.Mentions, tt.want)
			}
		})
	}
}
