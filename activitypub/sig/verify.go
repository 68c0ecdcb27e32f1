package sig

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// DateWindow is how far a request's Date may be from now, either way. It is
// Mastodon's own limit (12 hours), so what Mastodon accepts we accept.
const DateWindow = 12 * time.Hour

// The ways a request can fail verification. Errors returned by Verifier
// wrap one of these; test with errors.Is.
var (
	ErrNoSignature  = errors.New("no signature")
	ErrMalformed    = errors.New("malformed signature header")
	ErrAlgorithm    = errors.New("unsupported signature algorithm")
	ErrHeaders      = errors.New("required header not signed")
	ErrNoDigest     = errors.New("request with a body has no digest")
	ErrDigest       = errors.New("digest does not match body")
	ErrDate         = errors.New("date outside the allowed window")
	ErrBadSignature = errors.New("signature does not verify")
)

// Verifier checks the HTTP Signature of incoming requests.
type Verifier struct {
	// Now gives the time the Date header is checked against; nil means
	// time.Now.
	Now func() time.Time
	// Window is how far Date may be from Now; zero means DateWindow.
	Window time.Duration
	// Host, when set, is the host the signature must cover, whatever
	// req.Host says: behind a reverse proxy, the public host from
	// course.toml.
	Host string
}

// Signature is a parsed, checked Signature header whose cryptographic
// check is still to come: look the key up by KeyID, then call Verify.
type Signature struct {
	KeyID     string   // the keyId parameter, e.g. https://mastodon.example/users/alice#main-key
	Algorithm string   // "rsa-sha256" or "hs2019", lower case
	Headers   []string // the signed headers, lower case, in order
	v         httpsig.Verifier
}

// Verify parses and checks req's signature, asks key for the public key of
// the signature's keyId, and verifies the signature with it. It returns the
// keyId, so the caller can check that the key's owner is the activity's
// actor. body is the request body, already read.
func (v Verifier) Verify(ctx context.Context, req *http.Request, body []byte, key func(ctx context.Context, keyID string) (crypto.PublicKey, error)) (string, error) {
	s, err := v.Parse(req, body)
	if err != nil {
		return "", err
	}
	pub, err := key(ctx, s.KeyID)
	if err != nil {
		return s.KeyID, fmt.Errorf("verify: key %s: %w", s.KeyID, err)
	}
	return s.KeyID, s.Verify(pub)
}

// Parse does every check that needs no key: the Signature header parses, the
// algorithm is rsa-sha256 or hs2019 (or absent), the signed headers include
// (request-target), host, date and, for a request with a body, digest; the
// digest matches body; the Date is within the window.
func (v Verifier) Parse(req *http.Request, body []byte) (*Signature, error) {
	raw := req.Header.Get("Signature")
	if raw == "" {
		return nil, ErrNoSignature
	}
	params, err := parseParams(raw)
	if err != nil {
		return nil, err
	}
	s := &Signature{KeyID: params["keyid"], Algorithm: strings.ToLower(params["algorithm"])}
	if s.KeyID == "" || params["signature"] == "" {
		return nil, fmt.Errorf("%w: keyId and signature are required", ErrMalformed)
	}
	switch s.Algorithm {
	case "":
		s.Algorithm = "rsa-sha256" // what Mastodon assumes
	case "rsa-sha256", "hs2019":
	default:
		return nil, fmt.Errorf("%w: %q", ErrAlgorithm, s.Algorithm)
	}
	if h, ok := params["headers"]; ok {
		s.Headers = strings.Fields(strings.ToLower(h))
	} else {
		s.Headers = []string{"date"} // the draft's default
	}
	if err := v.checkHeaders(req, s.Headers, body); err != nil {
		return nil, err
	}
	if err := v.checkDate(req); err != nil {
		return nil, err
	}
	// httpsig reads the host from the header map, and adds req.Host to the
	// map it is given: hand it a copy.
	r2 := new(http.Request)
	*r2 = *req
	r2.Header = req.Header.Clone()
	host := req.Host
	if v.Host != "" {
		host = v.Host
	}
	r2.Header.Set("Host", host)
	s.v, err = httpsig.NewVerifier(r2)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return s, nil
}

// Verify checks the signature with the public key of s.KeyID: RSA for
// rsa-sha256; RSA or Ed25519 for hs2019, whose algorithm follows the key.
func (s *Signature) Verify(pub crypto.PublicKey) error {
	var algo httpsig.Algorithm
	switch pub.(type) {
	case *rsa.PublicKey:
		algo = httpsig.RSA_SHA256
	case ed25519.PublicKey:
		if s.Algorithm != "hs2019" {
			return fmt.Errorf("%w: %s with an ed25519 key", ErrAlgorithm, s.Algorithm)
		}
		algo = httpsig.ED25519
	default:
		return fmt.Errorf("%w: key type %T", ErrAlgorithm, pub)
	}
	if err := s.v.Verify(pub, algo); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return nil
}

// hasBody reports whether req carries, or by its method should carry, a
// body whose digest must be signed.
func hasBody(req *http.Request, body []byte) bool {
	if len(body) > 0 {
		return true
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodOptions:
		return false
	}
	return true
}

func (v Verifier) checkHeaders(req *http.Request, signed []string, body []byte) error {
	for _, h := range []string{"(request-target)", "host", "date"} {
		if !slices.Contains(signed, h) {
			return fmt.Errorf("%w: %s", ErrHeaders, h)
		}
	}
	digestSigned := slices.Contains(signed, "digest")
	contentDigestSigned := slices.Contains(signed, "content-digest")
	if hasBody(req, body) && !digestSigned && !contentDigestSigned {
		return fmt.Errorf("%w: digest", ErrHeaders)
	}
	d, cd := req.Header.Get("Digest"), req.Header.Get("Content-Digest")
	if (digestSigned && d == "") || (contentDigestSigned && cd == "") || (hasBody(req, body) && d == "" && cd == "") {
		return ErrNoDigest
	}
	sum := sha256.Sum256(body)
	if d != "" {
		if err := checkDigest(d, sum[:]); err != nil {
			return fmt.Errorf("digest header: %w", err)
		}
	}
	if cd != "" {
		if err := checkContentDigest(cd, sum[:]); err != nil {
			return fmt.Errorf("content-digest header: %w", err)
		}
	}
	return nil
}

// checkDigest checks an RFC 3230 Digest header: "SHA-256=<base64>", maybe
// among other algorithms separated by commas. A SHA-256 entry must be there
// and match.
func checkDigest(header string, sum []byte) error {
	for _, part := range strings.Split(header, ",") {
		alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(alg, "sha-256") {
			continue
		}
		return compareBase64(val, sum)
	}
	return fmt.Errorf("%w: no SHA-256 digest in %q", ErrDigest, header)
}

// checkContentDigest checks an RFC 9530 Content-Digest header:
// "sha-256=:<base64>:", maybe among others.
func checkContentDigest(header string, sum []byte) error {
	for _, part := range strings.Split(header, ",") {
		alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(alg, "sha-256") {
			continue
		}
		if len(val) < 2 || val[0] != ':' || val[len(val)-1] != ':' {
			return fmt.Errorf("%w: sha-256 value is not a byte sequence", ErrDigest)
		}
		return compareBase64(val[1:len(val)-1], sum)
	}
	return fmt.Errorf("%w: no sha-256 digest in %q", ErrDigest, header)
}

func compareBase64(val string, sum []byte) error {
	got, err := base64.StdEncoding.DecodeString(val)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDigest, err)
	}
	if subtle.ConstantTimeCompare(got, sum) != 1 {
		return ErrDigest
	}
	return nil
}

func (v Verifier) checkDate(req *http.Request) error {
	raw := req.Header.Get("Date")
	if raw == "" {
		return fmt.Errorf("%w: no Date header", ErrDate)
	}
	t, err := http.ParseTime(raw)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDate, err)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	window := v.Window
	if window == 0 {
		window = DateWindow
	}
	if d := now().Sub(t); d > window || d < -window {
		return fmt.Errorf("%w: %s is %s from now", ErrDate, raw, d.Round(time.Second))
	}
	return nil
}

// parseParams parses the comma-separated key="value" parameters of a
// Signature header. Keys are folded to lower case.
func parseParams(s string) (map[string]string, error) {
	params := make(map[string]string)
	for s = strings.TrimSpace(s); s != ""; {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("%w: parameter without =", ErrMalformed)
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimSpace(s[eq+1:])
		var val string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("%w: unterminated quote in %s", ErrMalformed, key)
			}
			val, s = s[1:end+1], s[end+2:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val, s = strings.TrimSpace(s[:end]), s[end:]
		}
		if _, dup := params[key]; dup {
			return nil, fmt.Errorf("%w: %s given twice", ErrMalformed, key)
		}
		params[key] = val
		s = strings.TrimSpace(s)
		if s == "" {
			break
		}
		if s[0] != ',' {
			return nil, fmt.Errorf("%w: expected , after %s", ErrMalformed, key)
		}
		s = strings.TrimSpace(s[1:])
	}
	return params, nil
}

// KeyURL returns the URL to fetch for a keyId: the keyId without its
// fragment. For "https://host/users/alice#main-key" that is the actor
// document, which embeds the key; for a plain path such as
// "https://host/users/alice/main-key" it is a key document whose owner
// names the actor. Only absolute http and https URLs are accepted.
func KeyURL(keyID string) (string, error) {
	u, err := url.Parse(keyID)
	if err != nil {
		return "", fmt.Errorf("key id: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("key id %q: not an absolute http(s) URL", keyID)
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String(), nil
}
