package moderation

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cohort-course/cohort/activitypub"
)

// SessionTTL is how long a login lasts: a working day of moderation, short
// enough that a forgotten browser does not stay logged in for long.
const SessionTTL = 12 * time.Hour

// PasswordCost is the bcrypt cost of moderators' passwords: about a
// tenth of a second to check on a small server.
const PasswordCost = 12

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// HashPassword returns the bcrypt hash of a new moderator password, or an
// error when it is shorter than MinPasswordLength.
func HashPassword(password string) (string, error) {
	if len([]rune(password)) < MinPasswordLength {
		return "", fmt.Errorf("password: at least %d characters, please", MinPasswordLength)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return string(h), nil
}

// dummyHash is checked against when the name is unknown (or its stored hash
// is not a bcrypt hash), so a wrong name costs the same bcrypt work as a wrong
// password and the time an answer takes does not tell which names exist. It
// has PasswordCost, the cost of every hash HashPassword makes (a test checks
// they agree), and is the hash of 24 random bytes nobody kept; a login
// against it fails whatever the password. It is a constant so that no
// process pays for making it, and the first unknown name is not slower than
// the next.
const dummyHash = "$2a$12$UteYzojwgPf6FPg5YWH33e6X.tZY3r/LrfnaEwY091gGFwxtZBUXu"

// cookieName is the session cookie's name.
const cookieName = "cohort_moderation"

// session is a logged-in moderator on one request.
type session struct {
	moderator string
	idHash    string
	csrf      string // the token every form carries
}

// hashToken is the session id the Store keeps: the SHA-256 of the token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// csrfToken derives the forms' token from the session's secret token: it
// needs no storage, and nobody without the cookie can compute it.
func csrfToken(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("cohort moderation csrf"))
	return hex.EncodeToString(m.Sum(nil))
}

// login checks a name and password and starts a session, setting its
// cookie.
func (h *Handler) login(ctx context.Context, w http.ResponseWriter, name, password string) error {
	m, err := h.o.Store.Moderator(ctx, name)
	known := err == nil
	if err != nil && !errors.Is(err, activitypub.ErrNotFound) {
		return err
	}
	hash := []byte(m.PasswordHash)
	if _, cerr := bcrypt.Cost(hash); !known || cerr != nil {
		hash, known = []byte(dummyHash), false
	}
	if cerr := h.compare(hash, []byte(password)); cerr != nil || !known {
		return errLogin
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return fmt.Errorf("session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	now := h.o.Now()
	s := activitypub.Session{IDHash: hashToken(token), Moderator: m.Name, Created: now, Expires: now.Add(SessionTTL)}
	if err := h.o.Store.CreateSession(ctx, s); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if _, err := h.o.Store.AppendAudit(ctx, activitypub.AuditEntry{Who: m.Name, Action: activitypub.ActionLogin, At: now}); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	http.SetCookie(w, h.cookie(token))
	return nil
}

var errLogin = errors.New("wrong name or password")

// cookie is the session cookie holding value, or clearing it when value is
// "". Its lifetime is a Max-Age, relative to when the browser gets it, so
// it does not depend on the two clocks agreeing; the Store's expiry is what
// counts.
func (h *Handler) cookie(value string) *http.Cookie {
	c := &http.Cookie{Name: cookieName, Value: value, Path: Prefix, HttpOnly: true, Secure: h.secure(),
		SameSite: http.SameSiteStrictMode, MaxAge: int(SessionTTL / time.Second)}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

// secure reports whether cookies are Secure: always, unless the companion
// itself is served over plain http (allow_insecure).
func (h *Handler) secure() bool { return !strings.HasPrefix(h.o.URLs.Base, "http://") }

// session returns the request's session, or nil when it has none, or an
// unknown or expired one.
func (h *Handler) session(r *http.Request) (*session, error) {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	s, err := h.o.Store.Session(r.Context(), hashToken(c.Value))
	if errors.Is(err, activitypub.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !h.o.Now().Before(s.Expires) {
		return nil, nil
	}
	return &session{moderator: s.Moderator, idHash: s.IDHash, csrf: csrfToken(c.Value)}, nil
}

// logout ends the session and clears the cookie.
func (h *Handler) logout(ctx context.Context, w http.ResponseWriter, s *session) error {
	if err := h.o.Store.DeleteSession(ctx, s.idHash); err != nil && !errors.Is(err, activitypub.ErrNotFound) {
		return fmt.Errorf("logout: %w", err)
	}
	if _, err := h.o.Store.AppendAudit(ctx, activitypub.AuditEntry{Who: s.moderator, Action: activitypub.ActionLogout, At: h.o.Now()}); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	http.SetCookie(w, h.cookie(""))
	return nil
}

// sameOrigin reports whether a POST comes from the moderation page itself:
// its Origin header (or, when a browser sent none, its Referer) must be the
// companion's own origin. Requests without either are refused.
func (h *Handler) sameOrigin(r *http.Request) bool {
	base := strings.ToLower(h.o.URLs.Base)
	if o := r.Header.Get("Origin"); o != "" {
		return strings.ToLower(o) == base
	}
	ref := strings.ToLower(r.Header.Get("Referer"))
	return ref != "" && strings.HasPrefix(ref, base+"/")
}

// checkCSRF reports whether the form's token is the session's, compared in
// constant time.
func checkCSRF(r *http.Request, s *session) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}
