package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/metrics"
)

// queueFunc is a QueueStore from a function, to inject a failing database.
type queueFunc func(ctx context.Context, now time.Time) (activitypub.QueueStats, error)

func (f queueFunc) DeliveryQueueStats(ctx context.Context, now time.Time) (activitypub.QueueStats, error) {
	return f(ctx, now)
}

func scrape(t *testing.T, h http.Handler, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

// TestQueueGauges: the gauges come from the store at each scrape; when the
// store fails, the scrape still answers, with the queue marked down and no
// stale figures.
func TestQueueGauges(t *testing.T) {
	now := time.Date(2026, 9, 8, 10, 0, 0, 0, time.UTC)
	fail := false
	reg := metrics.NewRegistry()
	m := metrics.New(reg)
	m.WatchQueue(queueFunc(func(context.Context, time.Time) (activitypub.QueueStats, error) {
		if fail {
			return activitypub.QueueStats{}, errors.New("database is closed")
		}
		return activitypub.QueueStats{Depth: 7, Due: 3, Oldest: now.Add(-90 * time.Second)}, nil
	}), func() time.Time { return now })
	h := metrics.Handler(reg, "")
	code, body := scrape(t, h, "")
	for _, want := range []string{"cohort_delivery_queue_depth 7\n", "cohort_delivery_queue_due 3\n",
		"cohort_delivery_queue_oldest_age_seconds 90\n", "cohort_delivery_queue_up 1\n"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("scrape: %d, want %q in it", code, want)
		}
	}
	fail = true
	code, body = scrape(t, h, "")
	if code != 200 || !strings.Contains(body, "cohort_delivery_queue_up 0\n") || strings.Contains(body, "cohort_delivery_queue_depth") {
		t.Errorf("scrape with the store down: %d\n%s", code, body)
	}
}

// TestToken: with a token, a scrape without it or with another is refused.
func TestToken(t *testing.T) {
	reg := metrics.NewRegistry()
	metrics.New(reg).InboxObserve("")
	h := metrics.Handler(reg, "tok")
	for _, tok := range []string{"", "other", "tok2"} {
		if code, _ := scrape(t, h, tok); code != http.StatusUnauthorized {
			t.Errorf("token %q: %d, want 401", tok, code)
		}
	}
	if code, body := scrape(t, h, "tok"); code != 200 || !strings.Contains(body, "cohort_inbox_accepted_total 1\n") {
		t.Errorf("with the token: %d\n%s", code, body)
	}
}

// TestNilCountsNothing: the rooms call a nil *Metrics when metrics are off.
func TestNilCountsNothing(t *testing.T) {
	var m *metrics.Metrics
	m.InboxObserve("signature")
	m.InboxReasons("signature")
	m.Delivery("delivered")
	m.DeliveryOutcomes("delivered")
	m.Built(metrics.BuildFull, time.Second)
	m.WatchQueue(nil, time.Now)
	if rt := m.Transport(http.DefaultTransport); rt != http.DefaultTransport {
		t.Error("a nil Metrics wrapped the transport")
	}
}
