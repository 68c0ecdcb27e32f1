// Package sig signs and verifies HTTP Signatures the way Mastodon does: the
// draft-cavage "Signature" header with rsa-sha256 (or hs2019) over
// (request-target), host, date and, for requests with a body, a SHA-256
// Digest. It also makes and reads the actor's RSA keys.
//
// It wraps github.com/go-fed/httpsig for the cryptography and does what that
// library leaves out: it checks the Digest against the body, the Date against
// a window around Now, the algorithm name, and which headers were signed.
// It does not fetch keys or decide who owns one: Verify hands the keyId to
// the caller, which looks the key up and checks that its owner is the
// activity's actor. RFC 9421 HTTP Message Signatures are not handled yet.
package sig

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-fed/httpsig"
)

// ContentType is the media type of the activities Signer posts.
const ContentType = "application/activity+json"

// Headers signed on a POST: every header Mastodon's deliveries sign.
var postHeaders = []string{httpsig.RequestTarget, "host", "date", "digest", "content-type"}

// Headers signed on a GET (for servers in authorized-fetch mode).
var getHeaders = []string{httpsig.RequestTarget, "host", "date"}

// Signer signs outgoing requests with the course actor's key.
type Signer struct {
	// Now gives the time for the Date header; nil means time.Now.
	Now func() time.Time
}

// Sign signs req as keyID with key. A request with a body (a POST of an
// activity) gets a Content-Type of ContentType unless it has one, a SHA-256
// Digest of body, and a signature over (request-target) host date digest
// content-type. A request without a body (a GET, body nil) is signed over
// (request-target) host date. Sign sets Date and, if it is empty, req.Host.
// The body is not attached to req; the caller sends the same bytes.
func (s Signer) Sign(req *http.Request, keyID string, key *rsa.PrivateKey, body []byte) error {
	if key == nil {
		return errors.New("sign: no private key")
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if req.Host == "" {
		req.Host = req.URL.Host
	}
	req.Header.Set("Date", now().UTC().Format(http.TimeFormat))
	headers := getHeaders
	if body != nil {
		headers = postHeaders
		if req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", ContentType)
		}
		req.Header.Del("Digest") // httpsig refuses to overwrite one
	}
	// httpsig reads host from the header map; net/http sends req.Host and
	// ignores a Host header, so it is set only while signing.
	req.Header.Set("Host", req.Host)
	defer req.Header.Del("Host")
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("sign: new signer: %w", err)
	}
	if err := signer.SignRequest(key, keyID, req, body); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	// httpsig names the algorithm hs2019; say rsa-sha256 as Mastodon does,
	// which every server accepts. The name is not part of the signed string.
	req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), `algorithm="hs2019"`, `algorithm="rsa-sha256"`, 1))
	return nil
}
