package moderation_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cohort-course/cohort/activitypub"
)

// TestFollowRequests: the follow requests page lists the pending Follows;
// a form without the session's CSRF token changes nothing; approving makes
// the account a follower and queues an Accept, rejecting queues a Reject;
// both are in the audit log.
func TestFollowRequests(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const carol, dave = "https://else.example/users/carol", "https://else.example/users/dave"
	for _, a := range []string{carol, dave} {
		must(t, e.store.SavePendingFollow(ctx, activitypub.PendingFollow{ActorID: a, Handle: "@" + a[len("https://else.example/users/"):] + "@else.example",
			Inbox: "https://else.example/inbox", FollowID: a + "#follow"}))
	}
	token := e.login()
	resp, page := e.do("GET", "/moderate/follows", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "@carol@else.example") || !strings.Contains(page, `value="follow-approve"`) {
		t.Fatalf("follow requests page: %d\n%s", resp.StatusCode, page)
	}

	resp, _ = e.do("POST", "/moderate/follows", url.Values{"actor": {carol}, "action": {"follow-approve"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("approve without a CSRF token: %d, want 403", resp.StatusCode)
	}
	if ps, _ := e.store.PendingFollows(ctx); len(ps) != 2 {
		t.Fatalf("a refused form changed the pending follows: %+v", ps)
	}

	resp, _ = e.do("POST", "/moderate/follows", url.Values{"actor": {carol}, "action": {"follow-approve"}, "csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	resp, _ = e.do("POST", "/moderate/follows", url.Values{"actor": {dave}, "action": {"follow-reject"}, "csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	if ps, _ := e.store.PendingFollows(ctx); len(ps) != 0 {
		t.Fatalf("answered follows still pending: %+v", ps)
	}
	fs, err := e.store.Followers(ctx, "", 10)
	must(t, err)
	var followers []string
	for _, f := range fs {
		followers = append(followers, f.ActorID)
	}
	if got := strings.Join(followers, " "); !strings.Contains(got, carol) || strings.Contains(got, dave) {
		t.Fatalf("followers = %s; want carol, not dave", got)
	}
	ds, err := e.store.ClaimDeliveries(ctx, e.clock().Add(1e12), 10)
	must(t, err)
	var kinds []string
	for _, d := range ds {
		switch {
		case strings.Contains(string(d.Body), `"type":"Accept"`) && strings.Contains(string(d.Body), carol+"#follow"):
			kinds = append(kinds, "accept carol")
		case strings.Contains(string(d.Body), `"type":"Reject"`) && strings.Contains(string(d.Body), dave+"#follow"):
			kinds = append(kinds, "reject dave")
		}
	}
	if strings.Join(kinds, ",") != "accept carol,reject dave" {
		t.Fatalf("deliveries = %v; want carol's Accept and dave's Reject", kinds)
	}
	log, err := e.store.AuditLog(ctx, 0, 10)
	must(t, err)
	var actions []string
	for _, a := range log {
		if a.Target == carol || a.Target == dave {
			actions = append(actions, a.Who+" "+a.Action)
		}
	}
	if strings.Join(actions, ",") != "mia follow-reject,mia follow-approve" {
		t.Fatalf("audit = %v", actions)
	}
	resp, _ = e.do("POST", "/moderate/follows", url.Values{"actor": {dave}, "action": {"follow-approve"}, "csrf": {token}})
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("approving an answered follow: %d, want 404", resp.StatusCode)
	}
}
