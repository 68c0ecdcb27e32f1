package as_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
)

// TestParseDates: dates outside 1970-2200 in published or updated are
// refused (never wrapped by the store's nanosecond columns, never clamped
// to pin a post at the end of a thread); a value that is not a date at all
// reads as absent, as before.
func TestParseDates(t *testing.T) {
	note := func(published, updated string) string {
		return `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/c/1","type":"Update","actor":"https://a.example/u/a",
			"object":{"id":"https://a.example/n/1","type":"Note","attributedTo":"https://a.example/u/a","content":"x","published":` + published + `,"updated":` + updated + `}}`
	}
	const ok = `"2026-09-01T08:00:00Z"`
	tests := []struct {
		name      string
		json      string
		refused   bool
		published time.Time // when not refused
	}{
		{"a date in range", note(ok, ok), false, time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)},
		{"year 0001", note(`"0001-06-01T00:00:00Z"`, ok), true, time.Time{}},
		{"year 1969", note(`"1969-12-31T23:59:59Z"`, ok), true, time.Time{}},
		{"year 9999", note(`"9999-12-31T23:59:59Z"`, ok), true, time.Time{}},
		{"updated in 2201", note(ok, `"2201-01-01T00:00:00Z"`), true, time.Time{}},
		{"updated in 2263, past where nanoseconds wrap", note(ok, `"2263-01-01T00:00:00Z"`), true, time.Time{}},
		{"the last year of 9999 shifted past it by its offset", note(`"9999-12-31T23:59:59-23:59"`, ok), true, time.Time{}},
		{"the last moment of 2200", note(`"2200-12-31T23:59:59Z"`, ok), false, time.Date(2200, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"a negative year is not a date", note(`"-0001-01-01T00:00:00Z"`, ok), false, time.Time{}},
		{"1e20 seconds is not a date", note(`1e20`, ok), false, time.Time{}},
		{"a number of seconds is not a date", note(`-62135596800`, ok), false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := as.Parse(context.Background(), []byte(tt.json))
			if tt.refused {
				if !errors.Is(err, as.ErrInvalid) {
					t.Fatalf("Parse = %+v, %v; want ErrInvalid", a, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !a.Reply.Published.Equal(tt.published) {
				t.Fatalf("Published = %s, want %s", a.Reply.Published, tt.published)
			}
		})
	}
	// The activity's own published is held to the same bounds.
	_, err := as.Parse(context.Background(), []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/l/1","type":"Like",
		"actor":"https://a.example/u/a","object":"https://course.example.org/l/1","published":"3000-01-01T00:00:00Z"}`))
	if !errors.Is(err, as.ErrInvalid) {
		t.Fatalf("a Like published in 3000: err = %v, want ErrInvalid", err)
	}
}

// TestParseFlag: Mastodon's report, as ActivityPub::FlagSerializer writes
// it (mastodon/mastodon app/serializers/activitypub/flag_serializer.rb):
// sent by the instance actor, object the reported account then the
// reported statuses, content the comment.
func TestParseFlag(t *testing.T) {
	in := `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mastodon.example/5b3c9f1e-4a3e-4d7a-9b0e-2f1c3d4e5f60",
		"type":"Flag","actor":"https://mastodon.example/actor","content":"Spam in a lesson thread",
		"object":["https://other.example/users/bob","https://other.example/users/bob/statuses/2"]}`
	a, err := as.Parse(context.Background(), []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind != as.KindFlag || a.Actor != "https://mastodon.example/actor" || a.Content != "Spam in a lesson thread" ||
		fmt.Sprint(a.Objects) != "[https://other.example/users/bob https://other.example/users/bob/statuses/2]" {
		t.Fatalf("Flag = %+v", a)
	}
	one, err := as.Parse(context.Background(), []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://m.example/1","type":"Flag",
		"actor":"https://m.example/actor","object":"https://other.example/users/bob"}`))
	if err != nil || len(one.Objects) != 1 || one.Content != "" {
		t.Fatalf("Flag with one object and no comment = %+v, %v", one, err)
	}
}

// FuzzParseDates: whatever the input, a parsed activity's dates are absent
// or within the bounds the store can hold.
func FuzzParseDates(f *testing.F) {
	for _, d := range []string{"2026-09-01T08:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00+23:59", "2200-12-31T23:59:59-23:59"} {
		f.Add(d, d)
	}
	f.Fuzz(func(t *testing.T, published, updated string) {
		in := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://a.example/c/1","type":"Create","actor":"https://a.example/u/a","published":%q,
			"object":{"id":"https://a.example/n/1","type":"Note","content":"x","published":%q,"updated":%q}}`, published, published, updated)
		a, err := as.Parse(context.Background(), []byte(in))
		if err != nil {
			return
		}
		for _, d := range []time.Time{a.Published, a.Reply.Published, a.Reply.Updated} {
			if !activitypub.DateInRange(d) {
				t.Fatalf("date %s out of range from %q, %q", d, published, updated)
			}
		}
	})
}
