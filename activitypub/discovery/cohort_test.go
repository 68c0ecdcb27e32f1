package discovery_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/discovery"
	"github.com/cohort-course/cohort/site"
)

// TestCohortThreads: /api/threads/{id}?cohort= serves each cohort's thread
// of a lesson apart; a private cohort's thread, and its replies collection,
// are 404 unless its participants agreed to show the discussion.
func TestCohortThreads(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, cohort := range []string{"open", "staff"} {
		obj := e.urls.CohortLesson(cohort, "intro")
		must(t, e.store.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "intro", CohortID: cohort, ObjectID: obj, Published: clock, ContentHash: "h1"}))
		must(t, e.store.SaveReply(ctx, activitypub.Reply{ID: alice + "/statuses/" + cohort, LessonID: "intro", CohortID: cohort,
			InReplyTo: obj, Actor: alice, Published: clock.Add(time.Hour), Content: "<p>REPLY-IN-" + cohort + "</p>", Visibility: activitypub.Public}))
	}
	tests := []struct {
		name   string
		show   bool
		target string
		status int
		has    string
	}{
		{"public cohort's thread", false, "/api/threads/intro?cohort=open", http.StatusOK, "REPLY-IN-open"},
		{"private cohort's thread hidden", false, "/api/threads/intro?cohort=staff", http.StatusNotFound, ""},
		{"private cohort's replies hidden", false, "/cohorts/staff/lessons/intro/replies?page=1", http.StatusNotFound, ""},
		{"private cohort's thread shown when agreed", true, "/api/threads/intro?cohort=staff", http.StatusOK, "REPLY-IN-staff"},
		{"private cohort's replies shown when agreed", true, "/cohorts/staff/lessons/intro/replies?page=1", http.StatusOK, "/statuses/staff"},
		{"public cohort's replies collection", false, "/cohorts/open/lessons/intro/replies?page=1", http.StatusOK, "/statuses/open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			course := *e.course
			course.Cohorts = []site.Cohort{{ID: "open", Name: "Open"}, {ID: "staff", Name: "Staff", Audience: "private", ShowDiscussion: tt.show}}
			h := discovery.New(discovery.Options{Course: &course, URLs: e.urls, Store: e.store})
			w := (&env{h: h}).get(t, tt.target)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.has) {
				t.Fatalf("GET %s = %d %s; want %d with %q", tt.target, w.Code, w.Body, tt.status, tt.has)
			}
			other := "REPLY-IN-staff"
			if strings.Contains(tt.has, "staff") {
				other = "REPLY-IN-open"
			}
			if strings.Contains(w.Body.String(), other) {
				t.Fatalf("GET %s mixes the cohorts' threads: %s", tt.target, w.Body)
			}
		})
	}
}
