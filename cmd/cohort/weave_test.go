package main

import (
	"context"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

func init() { scriptCmds["seed-weave"] = seedWeave }

// seedWeave DATA writes a week of cohort sept's discussion: ann's featured
// reply, a thread under bo's reply, an open question and an answered one,
// a reply whose text is full of Markdown, and what a weave must never
// quote: a hidden reply, a held one, a followers-only one, another
// cohort's and one of week 2.
func seedWeave(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: seed-weave DATA")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ts.MkAbs(args[0]))
	ts.Check(err)
	defer st.Close()
	const ann, bo, cy, mia = "https://a.example/users/ann", "https://b.example/users/bo", "https://c.example/users/cy", "https://m.example/users/mia"
	for _, a := range []activitypub.Actor{
		{ID: ann, PreferredUsername: "ann", Name: "Ann [the *first*]", Inbox: ann + "/inbox"},
		{ID: bo, PreferredUsername: "bo", Inbox: bo + "/inbox"},
		{ID: cy, PreferredUsername: "cy", Name: "Cy", Inbox: cy + "/inbox"},
		{ID: mia, PreferredUsername: "mia", Name: "Mia", Inbox: mia + "/inbox"},
	} {
		ts.Check(st.SaveActor(ctx, a))
	}
	intro, groups := "https://course.example.org/cohorts/sept/lessons/intro", "https://course.example.org/cohorts/sept/lessons/groups"
	day := func(d, h int) time.Time { return time.Date(2026, 9, d, h, 0, 0, 0, time.UTC) }
	type row struct {
		id, actor, lesson, cohort, inReplyTo, content string
		at                                            time.Time
		vis                                           activitypub.Visibility
		state                                         activitypub.ReplyState
	}
	for _, r := range []row{
		{ann + "/1", ann, "intro", "sept", intro, "<p>Groups of four work: everyone talks.</p><p>Second paragraph.</p>", day(1, 10), "", ""},
		{bo + "/2", bo, "intro", "sept", intro, `<p><span class="h-card"><a href="https://course.example.org/actor">@course</a></span> Mine had 12 - too many.</p>`, day(2, 10), "", ""},
		{cy + "/3", cy, "intro", "sept", bo + "/2", "<p>Same here.</p>", day(2, 11), "", ""},
		{ann + "/4", ann, "intro", "sept", bo + "/2", "<p>Split them!</p>", day(2, 12), "", ""},
		{cy + "/5", cy, "groups", "sept", groups, "<p>Who picks the groups? See https://x.example/?a=1</p>", day(3, 10), "", ""},
		{bo + "/6", bo, "groups", "sept", groups, "<p>Do groups need a lead?</p>", day(3, 11), "", ""},
		{mia + "/7", mia, "groups", "sept", bo + "/6", "<p>No.</p>", day(3, 12), "", ""},
		{ann + "/8", ann, "groups", "sept", groups, "<p># not a heading, *not em*, &lt;b&gt;not bold&lt;/b&gt;, [no](link) {{&lt; shortcode &gt;}}?</p><p>1. not a list</p>", day(4, 10), "", ""},
		{bo + "/9", bo, "intro", "sept", intro, "<p>hidden?</p>", day(4, 11), "", activitypub.Hidden},
		{bo + "/10", bo, "intro", "sept", intro, "<p>held?</p>", day(4, 12), "", activitypub.Held},
		{bo + "/11", bo, "intro", "sept", intro, "<p>followers only?</p>", day(4, 13), activitypub.FollowersOnly, ""},
		{bo + "/12", bo, "intro", "may", "https://course.example.org/cohorts/may/lessons/intro", "<p>other cohort?</p>", day(4, 14), "", ""},
		{cy + "/13", cy, "intro", "sept", intro, "<p>week two?</p>", day(9, 10), "", ""},
	} {
		if r.vis == "" {
			r.vis = activitypub.Public
		}
		ts.Check(st.SaveReply(ctx, activitypub.Reply{ID: r.id, Actor: r.actor, LessonID: r.lesson, CohortID: r.cohort, InReplyTo: r.inReplyTo,
			URL: r.id + "/page", Published: r.at, Content: r.content, Visibility: r.vis, State: r.state}))
	}
	_, err = st.FeatureReply(ctx, ann+"/1", activitypub.AuditEntry{Who: "mia", Action: "feature", Target: ann + "/1"})
	ts.Check(err)
}
