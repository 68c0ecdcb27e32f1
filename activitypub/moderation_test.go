package activitypub_test

import (
	"errors"
	"testing"

	"github.com/cohort-course/cohort/activitypub"
)

func TestStateFor(t *testing.T) {
	m := activitypub.Moderation{Participants: []string{"@bob@social.example", "*@school.example"}, Moderators: []string{"@mia@course.example"}}
	tests := []struct {
		name          string
		mode          activitypub.ModerationMode
		actor, handle string
		want          activitypub.ReplyState
	}{
		{"open shows a stranger", activitypub.ModeOpen, "https://x.example/users/z", "@z@x.example", activitypub.Shown},
		{"pre holds a participant", activitypub.ModePre, "https://social.example/users/bob", "@bob@social.example", activitypub.Held},
		{"pre shows a moderator", activitypub.ModePre, "https://course.example/users/mia", "@MIA@course.example", activitypub.Shown},
		{"participants shows a listed handle", activitypub.ModeParticipants, "https://social.example/users/bob", "@bob@social.example", activitypub.Shown},
		{"participants holds another on the same server", activitypub.ModeParticipants, "https://social.example/users/eve", "@eve@social.example", activitypub.Held},
		{"participants shows a listed domain by handle", activitypub.ModeParticipants, "https://mx.school.example/users/ann", "@ann@school.example", activitypub.Shown},
		{"participants shows a listed domain by actor host", activitypub.ModeParticipants, "https://school.example/users/ann", "", activitypub.Shown},
		{"participants holds an unknown author", activitypub.ModeParticipants, "https://x.example/users/z", "", activitypub.Held},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := m
			m.Mode = tt.mode
			if got := m.StateFor(tt.actor, tt.handle); got != tt.want {
				t.Fatalf("StateFor = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestModerationValidate(t *testing.T) {
	if err := (activitypub.Moderation{Mode: "pre", Participants: []string{"@a@b.example", "*@c.example"}, Moderators: []string{"m@d.example"}}).Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []activitypub.Moderation{
		{Mode: "closed"},
		{Participants: []string{"bob"}},
		{Moderators: []string{"*@everyone.example"}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestParseBlockTarget(t *testing.T) {
	tests := []struct {
		in     string
		target string
		domain bool
		err    error // nil, ErrHandle, or errBad for any other
	}{
		{"https://spam.example/users/x", "https://spam.example/users/x", false, nil},
		{"spam.example", "spam.example", true, nil},
		{"*@Spam.Example", "spam.example", true, nil},
		{"@spam.example", "spam.example", true, nil},
		{"*.spam.example", "spam.example", true, nil},
		{"@bob@spam.example", "", false, activitypub.ErrHandle},
		{"nonsense", "", false, errBad},
		{"https://", "", false, errBad},
	}
	for _, tt := range tests {
		b, err := activitypub.ParseBlockTarget(tt.in)
		switch {
		case tt.err == nil && err != nil:
			t.Errorf("%q: %v", tt.in, err)
		case tt.err == activitypub.ErrHandle && !errors.Is(err, activitypub.ErrHandle):
			t.Errorf("%q: err %v, want ErrHandle", tt.in, err)
		case tt.err == errBad && err == nil:
			t.Errorf("%q: no error", tt.in)
		case tt.err == nil && (b.Target != tt.target || b.Domain != tt.domain):
			t.Errorf("%q = %+v, want %s domain=%v", tt.in, b, tt.target, tt.domain)
		}
	}
}

var errBad = errors.New("bad")

func TestBlockMatches(t *testing.T) {
	d := activitypub.Block{Target: "spam.example", Domain: true}
	for id, want := range map[string]bool{
		"https://spam.example/users/x":            true,
		"https://a.spam.example:8443/users/x#key": true,
		"https://notspam.example/users/x":         false,
		"https://spam.example.org/users/x":        false,
	} {
		if got := d.Matches(id); got != want {
			t.Errorf("domain block Matches(%s) = %v", id, got)
		}
	}
	a := activitypub.Block{Target: "https://spam.example/users/x"}
	if !a.Matches("https://spam.example/users/x") || a.Matches("https://spam.example/users/y") {
		t.Error("actor block matches the wrong actors")
	}
}

func TestPrivateCohortRules(t *testing.T) {
	m := activitypub.Moderation{Moderators: []string{"@mia@mod.example"},
		Private: map[string][]string{"staff": {"@ann@hospital.example", "*@ward.example"}}}
	tests := []struct {
		name          string
		cohort, actor string
		handle        string
		state         activitypub.ReplyState
		acceptAtOnce  bool
	}{
		{"member by handle replies shown", "staff", "https://hospital.example/users/ann", "@ann@hospital.example", activitypub.Shown, true},
		{"member by domain replies shown", "staff", "https://ward.example/users/bo", "@bo@ward.example", activitypub.Shown, true},
		{"outsider held in private cohort", "staff", "https://else.example/users/cy", "@cy@else.example", activitypub.Held, false},
		{"moderator shown in private cohort", "staff", "https://mod.example/users/mia", "@mia@mod.example", activitypub.Shown, true},
		{"outsider shown in public cohort", "open", "https://else.example/users/cy", "@cy@else.example", activitypub.Shown, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.StateIn(tt.cohort, tt.actor, tt.handle); got != tt.state {
				t.Errorf("StateIn = %s; want %s", got, tt.state)
			}
			if got := m.AcceptsFollowAtOnce(tt.actor, tt.handle); got != tt.acceptAtOnce {
				t.Errorf("AcceptsFollowAtOnce = %v; want %v", got, tt.acceptAtOnce)
			}
		})
	}
	if !(activitypub.Moderation{}).AcceptsFollowAtOnce("https://else.example/users/cy", "") || (activitypub.Moderation{}).ApprovesFollowers() {
		t.Error("a course without private cohorts must accept every follow at once")
	}
}
