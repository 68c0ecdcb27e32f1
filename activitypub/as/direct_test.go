package as_test

import (
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub/as"
)

func message() as.Message {
	return as.Message{
		ID:           "https://course.example.org/direct/review-1",
		AttributedTo: "https://course.example.org/actor",
		To:           []string{"https://mastodon.example/users/alice", "https://gts.example/users/carol"},
		InReplyTo:    "https://course.example.org/lessons/intro",
		Content:      `<p>@alice @carol</p><p>Please review Bob's work.</p>`,
		Language:     "en",
		Published:    time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC),
		Mentions: []as.Tag{
			{Type: "Mention", Href: "https://mastodon.example/users/alice", Name: "@alice@mastodon.example"},
			{Type: "Mention", Href: "https://gts.example/users/carol", Name: "@carol@gts.example"},
		},
	}
}

// TestMessageGolden: a direct message's Note and its Create are addressed
// to the recipients alone, and mention each.
func TestMessageGolden(t *testing.T) {
	got, err := as.MessageNote(message())
	golden(t, "direct-note.json", got, err)
	got, err = as.CreateMessage(message().ID+"#create", message())
	golden(t, "direct-create.json", got, err)
}
