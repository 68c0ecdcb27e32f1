// Package inbox receives activities from other servers: POST /inbox, which
// is also the shared inbox. Each request goes through the same steps, in
// order: limit the body, verify the HTTP Signature (refetching the key once
// when it fails, for key rotation, at most once a minute per key), check
// that the key's owner is the activity's actor, parse, skip a replay,
// check that the object is on its actor's host (or fetch it from its
// origin) and fetch what else it needs, then decide and apply its effect
// in one store transaction with its seen mark (a replay changes nothing),
// and answer 202 once that is committed.
//
// Moderation applies here too: a blocked actor's or domain's activities
// are acknowledged and dropped (a Delete excepted), and a new reply starts
// shown or held by Options.Moderation.
//
// It stores follows, replies in one of our lessons' threads (sanitized),
// edits, deletions (and tombstones of posts deleted before they arrived),
// likes, boosts and reports (Flags). Update, Delete and Undo act only on
// what their actor owns. Replies whose thread does not start at
// one of our lesson objects are dropped. It is not a general ActivityPub
// server: unknown activity types are acknowledged and dropped.
package inbox

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/sig"
)

// BodyLimit caps an inbound activity: a Mastodon Create with a long post,
// mentions and attachments is under 20 KiB; 256 KiB leaves room for other
// servers' verbose JSON-LD and refuses anything meant to exhaust memory.
const BodyLimit = 256 << 10

// maxAncestors bounds how many unknown parents are fetched to find whether a
// reply's thread starts at one of our lessons.
const maxAncestors = 3

// Options configure a Handler.
type Options struct {
	Store  activitypub.Store
	Fetch  *fetch.Client
	URLs   activitypub.URLs // the public URLs: signatures are checked for URLs.Host()
	Logger *slog.Logger
	Now    func() time.Time
	// Changed is called after a lesson's thread changed (a reply, an edit,
	// a deletion, a like or boost), once the change is committed; "" means
	// any lesson may have changed (an account was deleted). May be nil.
	Changed func(lessonID string)
	// Enqueued is called after a delivery was queued, to wake the delivery
	// worker. May be nil.
	Enqueued func()
	// Crawl is called with the id of a reply just stored, to look at that
	// reply's own replies collection in the background (never its whole
	// thread); it must not block. May be nil.
	Crawl func(replyID string)
	// Moderation decides the state a new reply starts in (shown or held).
	// The zero value shows every reply.
	Moderation activitypub.Moderation
	// Journal is the course hashtag without its '#' ([federation]
	// hashtag): public posts with it by participants who opted in become
	// their reflection journals (journal.go). "" turns journals off.
	Journal string
	// Observe is called once per request with "" when it was accepted
	// (202), else with the reason it was refused or dropped (one of
	// Reasons), e.g. to count them. May be nil.
	Observe func(reason string)
}

// KeyRefetchInterval is how often a key that failed to verify may be
// fetched again. A real key rotation needs one refetch; without a bound,
// anyone could send a stream of forged requests naming a real key id and
// make the companion fetch that key from its server on every one, spending
// our outbound budget and hammering the other server on an attacker's
// behalf. A rotated sender refused in the minute after a forgery simply
// retries, as every server does after a 401.
//
// The marks are kept per process (issue 11): with N companion processes
// behind a load balancer, a forger makes at most N fetches of one key per
// interval, a bound that grows with the processes and not with the
// forgeries; keeping them in the store would put a write on the path of
// every failed signature, which is the path a flood takes.
const KeyRefetchInterval = time.Minute

// maxRefetchMarks bounds the memory of recent refetches: past it, marks
// older than KeyRefetchInterval are dropped, and if that is not enough,
// all of them.
const maxRefetchMarks = 10_000

// Handler is the inbox.
type Handler struct {
	o   Options
	log *slog.Logger
	now func() time.Time

	mu        sync.Mutex
	refetched map[string]time.Time // key id → when it was last refetched
}

// New returns the inbox handler.
func New(o Options) *Handler {
	h := &Handler{o: o, log: o.Logger, now: o.Now, refetched: map[string]time.Time{}}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// Error is an inbox failure with the status and the short message the
// sender gets, and the reason counted in the metrics; the cause is
// logged, never sent.
type Error struct {
	Reason string // one of Reasons
	Status int
	Msg    string
	Err    error
}

// Why an inbox request was refused or dropped: a small fixed set, for the
// log and the metrics' reason label (never an actor or a host).
const (
	ReasonMethod      = "method"       // not a POST
	ReasonContentType = "content_type" // not activity JSON
	ReasonTooLarge    = "too_large"    // the body is over BodyLimit
	ReasonBody        = "body"         // the body could not be read
	ReasonSignature   = "signature"    // missing, malformed or not verifying
	ReasonKey         = "key"          // the signing key could not be fetched or used
	ReasonOwner       = "owner"        // the key's owner is not the activity's actor
	ReasonParse       = "parse"        // not a usable activity
	ReasonOrigin      = "origin"       // an id not on its actor's host, or not verifiable at its origin
	ReasonForbidden   = "forbidden"    // acting on another actor's object
	ReasonBlocked     = "blocked"      // a blocked actor or domain: acknowledged and dropped
	ReasonGone        = "gone"         // the signer's account is gone: acknowledged and dropped
	ReasonRateLimited = "rate_limited" // one server asking too much (follows waiting)
	ReasonInternal    = "internal"     // the companion's own failure (the store)
)

// Reasons lists every reason a refusal can have.
var Reasons = []string{ReasonMethod, ReasonContentType, ReasonTooLarge, ReasonBody, ReasonSignature, ReasonKey,
	ReasonOwner, ReasonParse, ReasonOrigin, ReasonForbidden, ReasonBlocked, ReasonGone, ReasonRateLimited, ReasonInternal}

// Error returns the message and the cause.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func fail(reason string, status int, msg string, err error) error {
	return &Error{Reason: reason, Status: status, Msg: msg, Err: err}
}

// request is what is known of one inbound request as it goes through the
// steps, for the log.
type request struct {
	remote     string // the signer's host, else the peer address
	activityID string
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rq := &request{remote: r.RemoteAddr}
	if err := h.serve(w, r, rq); err != nil {
		h.writeError(w, r, rq, err)
		return
	}
	if h.o.Observe != nil {
		h.o.Observe("")
	}
	w.WriteHeader(http.StatusAccepted)
}

// writeError is the one place an error becomes a status: an *Error gives
// its status and message, anything else is a 500 with a generic message.
// It logs one line per refused request, with its reason, the remote host
// and the activity id: a warning for the sender's mistakes, an error for
// the companion's own, and information for what is acknowledged and
// dropped (a blocked sender).
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	status, msg, reason := http.StatusInternalServerError, "internal error", ReasonInternal
	var e *Error
	if errors.As(err, &e) {
		status, msg, reason = e.Status, e.Msg, e.Reason
	}
	if h.o.Observe != nil {
		h.o.Observe(reason)
	}
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	if status == http.StatusAccepted {
		level = slog.LevelInfo
	}
	h.log.Log(r.Context(), level, "inbox request not handled", "reason", reason, "status", status, "remote_host", rq.remote,
		"activity_id", rq.activityID, "error", err)
	if status == http.StatusAccepted {
		w.WriteHeader(status) // acknowledged and dropped
		return
	}
	http.Error(w, msg, status)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rq *request) error {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return fail(ReasonMethod, http.StatusMethodNotAllowed, "POST only", nil)
	}
	if ct := r.Header.Get("Content-Type"); !as.IsActivityJSON(ct) && !isPlainJSON(ct) {
		return fail(ReasonContentType, http.StatusUnsupportedMediaType, "activity JSON expected", fmt.Errorf("content type %q", ct))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, BodyLimit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail(ReasonTooLarge, http.StatusRequestEntityTooLarge, "body too large", err)
		}
		return fail(ReasonBody, http.StatusBadRequest, "unreadable body", err)
	}
	ctx := r.Context()

	// verify: the signature, with the public host.
	v := sig.Verifier{Now: h.now, Host: h.o.URLs.Host()}
	s, err := v.Parse(r, body)
	if err != nil {
		return fail(ReasonSignature, http.StatusUnauthorized, "signature not acceptable", fmt.Errorf("verify: %w", err))
	}
	if u, err := url.Parse(s.KeyID); err == nil && u.Host != "" {
		rq.remote = u.Host
	}
	owner, err := h.verify(r, s)
	if err != nil {
		return err
	}

	// parse
	act, err := as.Parse(ctx, body)
	if err != nil {
		return fail(ReasonParse, http.StatusBadRequest, "not a usable activity", fmt.Errorf("parse: %w", err))
	}
	rq.activityID = act.ID
	if act.Actor != owner.ID {
		return fail(ReasonOwner, http.StatusUnauthorized, "signer is not the actor",
			fmt.Errorf("key owner: key of %s signed an activity of %s", owner.ID, act.Actor))
	}
	if !activitypub.SameHost(act.ID, act.Actor) {
		return fail(ReasonOrigin, http.StatusBadRequest, "activity id not on the actor's host",
			fmt.Errorf("origin: activity %s by %s", act.ID, act.Actor))
	}
	// A blocked actor's activities are acknowledged and dropped, except a
	// Delete: what they ask to erase is erased.
	if act.Kind != as.KindDelete {
		if err := h.refuseBlocked(r, act.Actor, "actor"); err != nil {
			return err
		}
	}

	// dedupe, cheaply: a replay skips the fetches below. Apply decides.
	seen, err := h.o.Store.ActivitySeen(ctx, act.ID)
	if err != nil {
		return fmt.Errorf("dedupe: %w", err)
	}
	if seen {
		h.log.Debug("activity replayed", "activity_id", act.ID, "remote_host", rq.remote)
		return nil
	}
	// The slow part first (fetching objects, parents and authors), outside
	// any transaction; then decide and write in one transaction with the
	// seen mark, so a crash or a failure leaves either both or neither and
	// the sender's retry is handled.
	apply, err := h.prepare(ctx, act, owner)
	if err != nil {
		return err
	}
	var out outcome
	applied, err := h.o.Store.Apply(ctx, act.ID, func(tx activitypub.Tx) error {
		out = outcome{}
		return apply(tx, &out)
	})
	if err != nil {
		return err
	}
	if !applied {
		h.log.Debug("activity replayed", "activity_id", act.ID, "remote_host", rq.remote)
		return nil
	}
	h.after(ctx, out)
	return nil
}

// refuseBlocked returns a 202 failure (acknowledged, dropped, logged) when
// a block covers id.
func (h *Handler) refuseBlocked(r *http.Request, id, what string) error {
	b, err := h.o.Store.Blocked(r.Context(), id)
	if errors.Is(err, activitypub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blocks: %w", err)
	}
	return fail(ReasonBlocked, http.StatusAccepted, "blocked", fmt.Errorf("%s %s is blocked by %s", what, id, b.Target))
}

func isPlainJSON(ct string) bool {
	return len(ct) >= 16 && (ct[:16] == "application/json")
}

// verify looks the signature's key up (Store, else fetch) and checks the
// signature; when it fails with a stored key, the key is refetched once, in
// case the actor rotated it, but no more than once per KeyRefetchInterval
// for the same key id. A key fetched by this very request is not fetched
// again: a forgery naming a new key id costs one fetch, not two. It returns
// the key's owner.
func (h *Handler) verify(r *http.Request, s *sig.Signature) (activitypub.Actor, error) {
	ctx := r.Context()
	start := h.now()
	owner, pub, err := h.o.Fetch.KeyOwner(ctx, s.KeyID, false)
	if err != nil {
		return owner, keyError(err)
	}
	err = s.Verify(pub)
	if err == nil {
		return owner, nil
	}
	if !owner.Fetched.Before(start) {
		return owner, fail(ReasonSignature, http.StatusUnauthorized, "signature does not verify",
			fmt.Errorf("verify: %w (with the key just fetched)", err))
	}
	if !h.mayRefetch(s.KeyID) {
		return owner, fail(ReasonSignature, http.StatusUnauthorized, "signature does not verify",
			fmt.Errorf("verify: %w (key refetched less than %s ago)", err, KeyRefetchInterval))
	}
	owner, pub, err = h.o.Fetch.KeyOwner(ctx, s.KeyID, true)
	if err != nil {
		return owner, keyError(err)
	}
	if err := s.Verify(pub); err != nil {
		return owner, fail(ReasonSignature, http.StatusUnauthorized, "signature does not verify", fmt.Errorf("verify: %w", err))
	}
	return owner, nil
}

// mayRefetch reports whether keyID may be refetched now, and if so marks
// it refetched.
func (h *Handler) mayRefetch(keyID string) bool {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if last, ok := h.refetched[keyID]; ok && now.Sub(last) < KeyRefetchInterval {
		return false
	}
	if len(h.refetched) >= maxRefetchMarks {
		for id, t := range h.refetched {
			if now.Sub(t) >= KeyRefetchInterval {
				delete(h.refetched, id)
			}
		}
		if len(h.refetched) >= maxRefetchMarks {
			clear(h.refetched)
		}
	}
	h.refetched[keyID] = now
	return true
}

// keyError maps a failed key lookup: a signer whose account is gone (a
// deleted account's last Delete, when we never cached it) is acknowledged
// and dropped, since there is nothing of theirs to delete; anything else is
// refused.
func keyError(err error) error {
	if errors.Is(err, fetch.ErrGone) {
		return fail(ReasonGone, http.StatusAccepted, "signer gone", fmt.Errorf("key: %w", err))
	}
	return fail(ReasonKey, http.StatusUnauthorized, "signing key not usable", fmt.Errorf("key: %w", err))
}

// hash returns a short stable digest of s, for activity ids derived from
// remote ids.
func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:12])
}
