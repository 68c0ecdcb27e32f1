// Package fetch is the companion's one outbound HTTP client: it fetches
// remote actors, keys and posts, and posts activities to inboxes.
//
// Every request has a connect and a total timeout and a response size cap,
// is https only, and never reaches a private, loopback, link-local or
// unspecified address: the check runs when the connection is dialled, on the
// resolved IP, so a DNS answer that changes between lookups cannot get
// around it. AllowInsecure (course.toml's allow_insecure, for tests and a
// local peer) lifts the https and loopback rules. GETs are signed with the
// course actor's key, for servers in authorized-fetch mode.
//
// It is not a cache of documents: only actors and their keys are kept, in
// the Store. It does not decide what to trust; the inbox does.
package fetch

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/sig"
)

// Timeouts of every outbound request.
const (
	// ConnectTimeout bounds the TCP (and TLS) connect: a healthy server
	// answers in well under a second; five leaves room for a slow network.
	ConnectTimeout = 5 * time.Second
	// TotalTimeout bounds a whole request, body included, so a server that
	// trickles its answer cannot hold a worker.
	TotalTimeout = 15 * time.Second
)

// MaxResponse caps a response body: a post is a few KiB, a collection
// page some tens; 1 MiB is ample and keeps a hostile server from filling
// memory. It is as.ActivityLimits.Size: what is read is what may be parsed.
const MaxResponse = 1 << 20

// MaxKeyResponse caps an actor or key document, what anyone can make the
// companion fetch by naming it as the keyId of a forged request: real ones
// are 2–20 KiB. It is as.KeyLimits.Size.
const MaxKeyResponse = 64 << 10

// KeyTimeout bounds a whole actor or key fetch. A healthy server answers
// one in well under a second; a key host that stalls must not hold an
// inbox request (and the connection of whoever sent it) for TotalTimeout.
// A sender whose server was slow retries, as after any 401.
const KeyTimeout = 5 * time.Second

// drainOnError is how much of a non-2xx answer is read, so that the
// connection can be reused; the rest is dropped with the connection.
const drainOnError = 4 << 10

// maxRedirects bounds how many redirects a GET follows.
const maxRedirects = 5

// ActorTTL is how long a cached actor is used before it is fetched again:
// names and avatars change, keys rarely.
const ActorTTL = 24 * time.Hour

// Accept is the Accept header of every fetch: the two ActivityStreams media
// types Mastodon sends and answers to.
const Accept = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`

// UserAgent names cohort to the servers it talks to.
const UserAgent = "cohort-companion (+https://github.com/cohort-course/cohort)"

// Errors returned by the client; test with errors.Is.
var (
	ErrForbiddenAddress = errors.New("address not allowed")
	ErrInsecure         = errors.New("only https URLs may be fetched")
	ErrTooLarge         = errors.New("response too large")
	ErrGone             = errors.New("gone")
	ErrOrigin           = errors.New("document is not from the host it was fetched from")
)

// StatusError is a response with a status other than 2xx.
type StatusError struct {
	URL  string
	Code int
}

// Error says which URL answered what.
func (e *StatusError) Error() string { return fmt.Sprintf("%s: status %d", e.URL, e.Code) }

// Permanent reports whether retrying the same request is pointless: a 4xx
// other than 408 (timeout) and 429 (too many requests).
func (e *StatusError) Permanent() bool {
	return e.Code >= 400 && e.Code < 500 && e.Code != http.StatusRequestTimeout && e.Code != http.StatusTooManyRequests
}

// Options configure a Client.
type Options struct {
	Store         activitypub.Store // where actors and keys are cached
	KeyID         string            // the course actor's key id, for signing
	Key           *sig.KeyPair      // the course actor's key; nil sends unsigned requests
	AllowInsecure bool              // allow http and loopback/private peers
	Logger        *slog.Logger
	Now           func() time.Time
	// HTTP replaces the safe client; tests that need a special transport
	// set it. Leave nil in production.
	HTTP *http.Client
	// KeyTimeout replaces the package's KeyTimeout when not zero; for
	// tests and benchmarks of slow key hosts.
	KeyTimeout time.Duration
	// HostRate and HostBurst replace the limits of GETs to one host
	// (HostRate per second, HostBurst at once); zero keeps the defaults.
	HostRate  float64
	HostBurst int
}

// Client fetches and posts ActivityPub documents.
type Client struct {
	store    activitypub.Store
	keyID    string
	key      *sig.KeyPair
	insecure bool
	log      *slog.Logger
	now      func() time.Time
	http     *http.Client
	keyWait  time.Duration
	keys     keyCache
	limits   *hostLimits
}

// New returns a Client with the safe transport.
func New(o Options) *Client {
	c := &Client{store: o.Store, keyID: o.KeyID, key: o.Key, insecure: o.AllowInsecure, log: o.Logger, now: o.Now, http: o.HTTP,
		keyWait: o.KeyTimeout, limits: newHostLimits(o.HostRate, o.HostBurst)}
	if c.keyWait == 0 {
		c.keyWait = KeyTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.http == nil {
		c.http = NewHTTPClient(o.AllowInsecure)
	}
	return c
}

// NewHTTPClient returns an http.Client with the timeouts, the dial-time
// address check and the redirect rules; allowInsecure permits http and
// loopback and private addresses.
func NewHTTPClient(allowInsecure bool) *http.Client {
	return &http.Client{
		Transport: NewTransport(allowInsecure),
		Timeout:   TotalTimeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return checkURL(req.URL, allowInsecure)
		},
	}
}

// NewTransport returns the transport of NewHTTPClient: no proxy (a proxy
// would dial on our behalf, past the check), and a dialer that refuses
// forbidden addresses after DNS resolution.
func NewTransport(allowInsecure bool) *http.Transport {
	d := &net.Dialer{
		Timeout:   ConnectTimeout,
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			return checkDial(address, allowInsecure)
		},
	}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   ConnectTimeout,
		ResponseHeaderTimeout: TotalTimeout,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// checkDial refuses to connect to an address that is not a public unicast
// IP. With allowInsecure, loopback and private addresses are allowed;
// unspecified, link-local (cloud metadata lives there) and multicast never
// are.
func checkDial(address string, allowInsecure bool) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	ip = ip.Unmap()
	switch {
	case ip.IsUnspecified(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		return fmt.Errorf("dial %s: %w", address, ErrForbiddenAddress)
	case ip.IsLoopback(), ip.IsPrivate(), isSharedOrReserved(ip):
		if !allowInsecure {
			return fmt.Errorf("dial %s: %w", address, ErrForbiddenAddress)
		}
	}
	return nil
}

// isSharedOrReserved reports the IPv4 ranges that are not public yet are
// not flagged by netip: carrier-grade NAT 100.64/10, 0/8, 192.0.0/24 and
// 240/4.
func isSharedOrReserved(ip netip.Addr) bool {
	for _, p := range reservedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

// checkURL allows https URLs, and http too when insecure is allowed.
func checkURL(u *url.URL, allowInsecure bool) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowInsecure:
	default:
		return fmt.Errorf("%s: %w", u.Redacted(), ErrInsecure)
	}
	if u.Host == "" {
		return fmt.Errorf("%s: no host", u.Redacted())
	}
	return nil
}

// Get fetches an ActivityPub document, signed when the client has a key,
// and returns its body, at most MaxResponse bytes. A 404 or 410 wraps
// ErrGone; any other non-2xx status is a *StatusError. GETs to one host
// wait for their turn (see HostRate); one that would wait too long wraps
// ErrHostBusy.
func (c *Client) Get(ctx context.Context, rawURL string) ([]byte, error) {
	return c.GetLimited(ctx, rawURL, MaxResponse)
}

// getActorDocument is Get for an actor or key document: at most
// MaxKeyResponse bytes, within the key timeout.
func (c *Client) getActorDocument(ctx context.Context, rawURL string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.keyWait)
	defer cancel()
	return c.GetLimited(ctx, rawURL, MaxKeyResponse)
}

// GetLimited is Get with a body of at most limit bytes: a body announced
// larger is refused before it is read, and one that turns out larger is
// not read past limit+1 bytes; either wraps ErrTooLarge. A non-2xx body is
// not read.
func (c *Client) GetLimited(ctx context.Context, rawURL string, limit int) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	if err := checkURL(u, c.insecure); err != nil {
		return nil, fmt.Errorf("get: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	req.Header.Set("Accept", Accept)
	req.Header.Set("User-Agent", UserAgent)
	release, err := c.limits.wait(ctx, u.Host)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	defer release()
	if c.key != nil {
		if err := (sig.Signer{Now: c.now}).Sign(req, c.keyID, c.key.PrivateKey(), nil); err != nil {
			return nil, fmt.Errorf("get %s: %w", rawURL, err)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.CopyN(io.Discard, resp.Body, drainOnError)
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
			return nil, fmt.Errorf("get %s: status %d: %w", rawURL, resp.StatusCode, ErrGone)
		}
		return nil, fmt.Errorf("get: %w", &StatusError{URL: rawURL, Code: resp.StatusCode})
	}
	if resp.ContentLength > int64(limit) {
		return nil, fmt.Errorf("get %s: announced %d bytes, over %d: %w", rawURL, resp.ContentLength, limit, ErrTooLarge)
	}
	body, err := readLimited(resp.Body, resp.ContentLength, limit)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", rawURL, err)
	}
	return body, nil
}

// Post signs body with the course actor's key and POSTs it to inbox. Any
// non-2xx answer is a *StatusError.
func (c *Client) Post(ctx context.Context, inbox string, body []byte) error {
	u, err := url.Parse(inbox)
	if err != nil {
		return fmt.Errorf("post %s: %w", inbox, err)
	}
	if err := checkURL(u, c.insecure); err != nil {
		return fmt.Errorf("post: %w", err)
	}
	if c.key == nil {
		return fmt.Errorf("post %s: no key to sign with", inbox)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post %s: %w", inbox, err)
	}
	req.Header.Set("Content-Type", sig.ContentType)
	req.Header.Set("Accept", Accept)
	req.Header.Set("User-Agent", UserAgent)
	if err := (sig.Signer{Now: c.now}).Sign(req, c.keyID, c.key.PrivateKey(), body); err != nil {
		return fmt.Errorf("post %s: %w", inbox, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("post %s: %w", inbox, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponse)) // so the connection is reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post: %w", &StatusError{URL: inbox, Code: resp.StatusCode})
	}
	return nil
}

// unknownLengthBuffer is the first buffer for a body of unannounced length
// (a chunked answer): most actor documents and posts fit in it.
const unknownLengthBuffer = 8 << 10

// readLimited reads at most limit bytes of r, and refuses a body longer
// than that. When the length is announced (size >= 0), the buffer is
// allocated once, at that size.
func readLimited(r io.Reader, size int64, limit int) ([]byte, error) {
	if size < 0 || size > int64(limit) {
		size = int64(min(limit, unknownLengthBuffer))
	}
	buf := make([]byte, 0, size+1) // +1: seeing EOF takes room for one more byte
	lr := io.LimitReader(r, int64(limit)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
	}
	if len(buf) > limit {
		return nil, fmt.Errorf("over %d bytes: %w", limit, ErrTooLarge)
	}
	return buf, nil
}

// Actor returns the actor with that id: the Store's copy when it is younger
// than ActorTTL and refresh is false, else a fresh fetch, which is saved.
// The fetched document's id must be the id asked for.
func (c *Client) Actor(ctx context.Context, id string, refresh bool) (activitypub.Actor, error) {
	if !refresh {
		a, err := c.store.Actor(ctx, id)
		if err == nil && c.now().Sub(a.Fetched) < ActorTTL {
			return a, nil
		}
		if err != nil && !errors.Is(err, activitypub.ErrNotFound) {
			return a, fmt.Errorf("actor %s: %w", id, err)
		}
	}
	body, err := c.getActorDocument(ctx, id)
	if err != nil {
		return activitypub.Actor{}, fmt.Errorf("actor: %w", err)
	}
	a, err := as.ParseActor(ctx, body)
	if err != nil {
		return activitypub.Actor{}, fmt.Errorf("actor %s: %w", id, err)
	}
	if a.ID != id {
		return activitypub.Actor{}, fmt.Errorf("actor %s: document has id %s: %w", id, a.ID, ErrOrigin)
	}
	a.Fetched = c.now()
	if err := c.store.SaveActor(ctx, a); err != nil {
		return activitypub.Actor{}, fmt.Errorf("actor %s: %w", id, err)
	}
	return a, nil
}

// KeyOwner returns the actor that owns keyID and its public key: from the
// Store's verified keys unless refresh is set (a key that failed may have
// been rotated), else fetched. The document at the key's URL (the keyId
// without its fragment) only has to name the key and its owner: a full
// actor (Mastodon's "#main-key"), a minimal one with no inbox
// (GoToSocial's ".../main-key"), or a bare key object. Unless that document
// already is the owner's full actor, the owner is fetched, signed, for
// everything else. The key is the owner's only when the owner's own
// document lists that key id with the same key, and the key id is on the
// owner's host; the verified binding is then saved. What KeyOwner returns
// is kept in memory for KeyCacheTTL and answered from there unless refresh
// is set; a failed lookup forgets it.
func (c *Client) KeyOwner(ctx context.Context, keyID string, refresh bool) (activitypub.Actor, crypto.PublicKey, error) {
	if !refresh {
		if k, ok := c.keys.get(keyID, c.now()); ok {
			return k.owner, k.pub, nil
		}
	}
	a, pub, err := c.keyOwner(ctx, keyID, refresh)
	if err != nil {
		c.keys.forget(keyID)
		return a, pub, err
	}
	c.keys.put(keyID, cachedKey{owner: a, pub: pub, at: c.now()})
	return a, pub, nil
}

// keyOwner is KeyOwner without the cache in memory.
func (c *Client) keyOwner(ctx context.Context, keyID string, refresh bool) (activitypub.Actor, crypto.PublicKey, error) {
	if !refresh {
		a, err := c.store.ActorByKeyID(ctx, keyID)
		if err == nil {
			pub, err := sig.ParsePublicKeyPEM(a.PublicKeyPEM)
			if err != nil {
				return a, nil, fmt.Errorf("key %s: %w", keyID, err)
			}
			return a, pub, nil
		}
		if !errors.Is(err, activitypub.ErrNotFound) {
			return a, nil, fmt.Errorf("key %s: %w", keyID, err)
		}
	}
	keyURL, err := sig.KeyURL(keyID)
	if err != nil {
		return activitypub.Actor{}, nil, fmt.Errorf("key owner: %w", err)
	}
	body, err := c.getActorDocument(ctx, keyURL)
	if err != nil {
		return activitypub.Actor{}, nil, fmt.Errorf("key %s: %w", keyID, err)
	}
	doc, err := as.DecodeKeyDocument(body)
	if err != nil {
		return activitypub.Actor{}, nil, fmt.Errorf("key %s: %w", keyID, err)
	}
	k, err := doc.Key(keyID)
	if err != nil {
		return activitypub.Actor{}, nil, fmt.Errorf("key %s: %w", keyID, err)
	}
	if !activitypub.SameHost(k.Owner, keyID) {
		return activitypub.Actor{}, nil, fmt.Errorf("key %s: owner %s: %w", keyID, k.Owner, ErrOrigin)
	}
	a, err := c.keyOwnerActor(ctx, k.Owner, keyURL, doc)
	if err != nil {
		return a, nil, fmt.Errorf("key %s: owner: %w", keyID, err)
	}
	listed, ok := a.Key(keyID)
	if !ok {
		return a, nil, fmt.Errorf("key %s: actor %s does not list it: %w", keyID, a.ID, ErrOrigin)
	}
	pub, err := sig.ParsePublicKeyPEM(listed.PEM)
	if err != nil {
		return a, nil, fmt.Errorf("key %s: %w", keyID, err)
	}
	if !sameKey(pub, k.PEM) {
		return a, nil, fmt.Errorf("key %s: actor %s lists another key under that id: %w", keyID, a.ID, ErrOrigin)
	}
	if err := c.store.SaveKey(ctx, activitypub.ActorKey{ID: keyID, Owner: a.ID, PEM: listed.PEM}); err != nil {
		return a, nil, fmt.Errorf("key %s: %w", keyID, err)
	}
	a.PublicKeyID, a.PublicKeyPEM = keyID, listed.PEM
	return a, pub, nil
}

// keyOwnerActor returns the owner's full actor: the key's own document when
// it is that actor (fetched from the owner's URL and with an inbox), else a
// fresh, signed fetch of the owner.
func (c *Client) keyOwnerActor(ctx context.Context, owner, keyURL string, keyDoc as.KeyDocument) (activitypub.Actor, error) {
	if owner != keyURL {
		return c.Actor(ctx, owner, true)
	}
	a, err := keyDoc.Actor(ctx)
	if err != nil {
		return a, err
	}
	if a.ID != owner {
		return activitypub.Actor{}, fmt.Errorf("actor %s: document has id %s: %w", owner, a.ID, ErrOrigin)
	}
	a.Fetched = c.now()
	return a, c.store.SaveActor(ctx, a)
}

// sameKey reports whether a PEM holds the key pub: servers may format the
// same key differently in the key document and in the actor.
func sameKey(pub crypto.PublicKey, pemText string) bool {
	other, err := sig.ParsePublicKeyPEM(pemText)
	if err != nil {
		return false
	}
	eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(other)
}

// Note fetches a post from its origin and reads it. The document's id must
// be the id asked for, and its author must be on the same host, so a server
// cannot speak for another.
func (c *Client) Note(ctx context.Context, id string) (*activitypub.Reply, []byte, error) {
	body, err := c.Get(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("note: %w", err)
	}
	r, err := as.ParseNote(ctx, body)
	if err != nil {
		return nil, nil, fmt.Errorf("note %s: %w", id, err)
	}
	if r.ID != id {
		return nil, nil, fmt.Errorf("note %s: document has id %s: %w", id, r.ID, ErrOrigin)
	}
	if !activitypub.SameHost(r.Actor, r.ID) {
		return nil, nil, fmt.Errorf("note %s: author %s: %w", id, r.Actor, ErrOrigin)
	}
	return r, body, nil
}
