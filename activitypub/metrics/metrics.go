// Package metrics counts what an operator watches in a running companion
// and serves it in Prometheus' text format: inbox activities accepted and
// refused by reason, deliveries by outcome, the delivery queue's depth and
// oldest age, outbound request latency, and serve's build durations.
//
// It is the only package that imports the Prometheus client. The rooms
// know nothing of it: they take small hooks (inbox.Options.Observe,
// delivery.Worker.Outcome) that server wires to a *Metrics. Every label
// has a small fixed set of values; never an actor, a host or an id, which
// would grow without bound. A nil *Metrics counts nothing, so the rooms
// run the same with metrics off.
//
// Metrics are registered on the registry given to New, never Prometheus'
// global one, so tests read exactly what they counted.
package metrics

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cohort-course/cohort/activitypub"
)

// namespace prefixes every metric's name.
const namespace = "cohort"

// Build kinds: the values of the kind label of
// cohort_build_duration_seconds.
const (
	BuildFull    = "full"    // serve's first build
	BuildRebuild = "rebuild" // a rebuild after a save or a reply
)

// Metrics holds the companion's metrics.
type Metrics struct {
	reg           prometheus.Registerer
	inboxAccepted prometheus.Counter
	inboxRefused  *prometheus.CounterVec
	deliveries    *prometheus.CounterVec
	requests      *prometheus.HistogramVec
	builds        *prometheus.HistogramVec
}

// New registers the metrics on reg and returns them.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		reg: reg,
		inboxAccepted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: namespace, Name: "inbox_accepted_total",
			Help: "Inbox activities accepted (202), replays included."}),
		inboxRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "inbox_refused_total",
			Help: "Inbox requests refused or dropped, by reason."}, []string{"reason"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "deliveries_total",
			Help: "Delivery attempts by outcome: delivered, retried, given_up."}, []string{"outcome"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "fetch_duration_seconds",
			Help: "Outbound requests to other servers (fetches and deliveries), by method, from sending to the answer's headers.",
			// from a fast neighbour (10 ms) to fetch's total timeout (30 s)
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"method"}),
		builds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: "build_duration_seconds",
			Help: "Site builds in serve, by kind: full (the first) or rebuild.",
			// from a one-lesson rebuild (5 ms) to a large course's first build
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"kind"}),
	}
	reg.MustRegister(m.inboxAccepted, m.inboxRefused, m.deliveries, m.requests, m.builds)
	return m
}

// InboxReasons makes the refusal counter of each reason show, at zero,
// before the first refusal, so a rate over them works from the start.
func (m *Metrics) InboxReasons(reasons ...string) {
	if m == nil {
		return
	}
	for _, r := range reasons {
		m.inboxRefused.WithLabelValues(r)
	}
}

// DeliveryOutcomes makes the counter of each outcome show, at zero, before
// the first delivery.
func (m *Metrics) DeliveryOutcomes(outcomes ...string) {
	if m == nil {
		return
	}
	for _, o := range outcomes {
		m.deliveries.WithLabelValues(o)
	}
}

// InboxObserve counts one inbox request: "" for accepted, else the reason
// it was refused (one of inbox.Reasons: a small fixed set).
func (m *Metrics) InboxObserve(reason string) {
	if m == nil {
		return
	}
	if reason == "" {
		m.inboxAccepted.Inc()
		return
	}
	m.inboxRefused.WithLabelValues(reason).Inc()
}

// Delivery counts one delivery attempt's outcome (one of
// delivery.Outcomes: a small fixed set).
func (m *Metrics) Delivery(outcome string) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(outcome).Inc()
}

// Built records one build of serve (BuildFull or BuildRebuild).
func (m *Metrics) Built(kind string, d time.Duration) {
	if m == nil {
		return
	}
	m.builds.WithLabelValues(kind).Observe(d.Seconds())
}

// Transport returns rt timing each request in
// cohort_fetch_duration_seconds; rt itself when m is nil.
func (m *Metrics) Transport(rt http.RoundTripper) http.RoundTripper {
	if m == nil {
		return rt
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	return timed{rt: rt, m: m}
}

type timed struct {
	rt http.RoundTripper
	m  *Metrics
}

func (t timed) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.rt.RoundTrip(r)
	method := "other"
	if r.Method == http.MethodGet || r.Method == http.MethodPost {
		method = r.Method
	}
	t.m.requests.WithLabelValues(method).Observe(time.Since(start).Seconds())
	return resp, err
}

// QueueStore is what the queue gauges read.
type QueueStore interface {
	DeliveryQueueStats(ctx context.Context, now time.Time) (activitypub.QueueStats, error)
}

// scrapeTimeout bounds the store query made on a scrape; Prometheus'
// default scrape timeout is 10 s.
const scrapeTimeout = 5 * time.Second

// WatchQueue adds gauges of st's delivery queue, read from the store on
// each scrape, so they are right whichever process changed the queue.
func (m *Metrics) WatchQueue(st QueueStore, now func() time.Time) {
	if m == nil {
		return
	}
	m.reg.MustRegister(&queueCollector{st: st, now: now})
}

var (
	queueDepthDesc = prometheus.NewDesc(namespace+"_delivery_queue_depth",
		"Deliveries in the queue, claimed or waiting.", nil, nil)
	queueDueDesc = prometheus.NewDesc(namespace+"_delivery_queue_due",
		"Deliveries due now and not claimed by a worker.", nil, nil)
	queueAgeDesc = prometheus.NewDesc(namespace+"_delivery_queue_oldest_age_seconds",
		"Age of the oldest queued delivery; 0 when the queue is empty.", nil, nil)
	queueUpDesc = prometheus.NewDesc(namespace+"_delivery_queue_up",
		"1 when the queue could be read at this scrape, else 0.", nil, nil)
)

type queueCollector struct {
	st  QueueStore
	now func() time.Time
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- queueDueDesc
	ch <- queueAgeDesc
	ch <- queueUpDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	now := c.now()
	q, err := c.st.DeliveryQueueStats(ctx, now)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, 0)
		return
	}
	age := 0.0
	if !q.Oldest.IsZero() {
		age = max(0, now.Sub(q.Oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(q.Depth))
	ch <- prometheus.MustNewConstMetric(queueDueDesc, prometheus.GaugeValue, float64(q.Due))
	ch <- prometheus.MustNewConstMetric(queueAgeDesc, prometheus.GaugeValue, age)
}

// Handler serves the metrics gathered from g in Prometheus' text format.
// When token is not empty, a scrape must send it as a bearer token
// (Authorization: Bearer TOKEN), else it gets a 401.
func Handler(g prometheus.Gatherer, token string) http.Handler {
	h := promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "bearer token required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// NewRegistry returns a registry with the Go runtime's and the process's
// collectors, for a companion's metrics.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
