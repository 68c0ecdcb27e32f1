package moderation_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/moderation"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

var start = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

const (
	alice    = "https://mastodon.example/users/alice"
	bob      = "https://spam.example/users/bob"
	password = "correct horse battery"
)

// env is the moderation page on loopback over a real store, with a fixed
// clock that tests move, one lesson with a held, a shown and a
// followers-only reply, and a follower.
type env struct {
	t       *testing.T
	store   *sqlite.Store
	base    string
	client  *http.Client
	mu      sync.Mutex
	now     time.Time
	changed []string
	handler *moderation.Handler
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, store: st, now: start}
	st.Now = e.clock
	ts := httptest.NewUnstartedServer(nil)
	e.base = "http://" + ts.Listener.Addr().String()
	urls := activitypub.URLs{Base: e.base}
	acts := moderation.New(moderation.Options{Store: st, URLs: urls, Now: e.clock, Changed: func(l string) {
		e.mu.Lock()
		e.changed = append(e.changed, l)
		e.mu.Unlock()
	}})
	e.handler = moderation.NewHandler(moderation.HandlerOptions{Actions: acts, Store: st, URLs: urls, Title: "Course", Now: e.clock})
	ts.Config.Handler = e.handler
	ts.Start()
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	e.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	must(t, err)
	must(t, st.AddModerator(ctx, activitypub.Moderator{Name: "mia", Handle: "@mia@mastodon.example", PasswordHash: string(hash)}))
	must(t, st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "intro", ObjectID: e.base + "/lessons/intro", ContentHash: "h"}))
	must(t, st.SaveActor(ctx, activitypub.Actor{ID: alice, PreferredUsername: "alice", Inbox: alice + "/inbox"}))
	must(t, st.SaveActor(ctx, activitypub.Actor{ID: bob, PreferredUsername: "bob", Inbox: bob + "/inbox", SharedInbox: "https://spam.example/inbox"}))
	must(t, st.SaveFollower(ctx, activitypub.Follower{ActorID: "https://f.example/users/fan", Inbox: "https://f.example/inbox", FollowID: "f1"}))
	for _, r := range []activitypub.Reply{
		{ID: alice + "/statuses/1", Actor: alice, Published: start.Add(-time.Hour), Content: "<p>alice shown</p>", Visibility: activitypub.Public},
		{ID: bob + "/statuses/2", Actor: bob, Published: start.Add(-time.Minute), Content: "<p>bob held</p>", Visibility: activitypub.Public, State: activitypub.Held},
		{ID: alice + "/statuses/3", Actor: alice, Published: start, Content: "<p>followers only</p>", Visibility: activitypub.FollowersOnly},
	} {
		r.LessonID, r.InReplyTo = "intro", e.base+"/lessons/intro"
		must(t, st.SaveReply(ctx, r))
	}
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// do sends a request from the page's own origin unless hdr says otherwise.
func (e *env) do(method, path string, form url.Values, hdr ...string) (*http.Response, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.base+path, body)
	must(e.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.base)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	must(e.t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func (e *env) login() string {
	e.t.Helper()
	resp, _ := e.do("POST", "/moderate/login", url.Values{"name": {"mia"}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/moderate/" {
		e.t.Fatalf("login: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return e.csrf()
}

var csrfField = `name="csrf" value="`

// csrf reads the forms' token from the queue page.
func (e *env) csrf() string {
	e.t.Helper()
	resp, body := e.do("GET", "/moderate/", nil)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("queue: %d", resp.StatusCode)
	}
	i := strings.Index(body, csrfField)
	if i < 0 {
		e.t.Fatalf("no CSRF token in the page:\n%s", body)
	}
	rest := body[i+len(csrfField):]
	return rest[:strings.IndexByte(rest, '"')]
}

func (e *env) state(id string) activitypub.ReplyState {
	e.t.Helper()
	r, err := e.store.Reply(context.Background(), id)
	must(e.t, err)
	return r.State
}

// TestLogin: a wrong password or an unknown name is refused with the same
// message; the right one sets an HttpOnly, SameSite=Strict cookie
// for /moderate/ and opens the queue; the pages need a session.
func TestLogin(t *testing.T) {
	e := newEnv(t)
	if resp, _ := e.do("GET", "/moderate/", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/moderate/login" {
		t.Fatalf("queue without a session: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := e.do("GET", "/moderate/login", nil)
	for _, want := range []string{`<main id="main">`, `<label for="name">`, `<label for="password">`, `autocomplete="current-password"`, `lang="en"`} {
		if !strings.Contains(body, want) {
			t.Errorf("login page lacks %s", want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	// The pages share the course theme's colours, light and dark.
	if _, css := e.do("GET", "/moderate/style.css", nil); !strings.Contains(css, "--bg:") || !strings.Contains(css, "prefers-color-scheme: dark") ||
		!strings.Contains(css, ".reply.state-held") {
		t.Errorf("the moderation stylesheet lacks the theme's colours or its own rules")
	}
	for _, tt := range []struct{ name, password string }{{"mia", "wrong password!"}, {"nobody", password}, {"mia", ""}} {
		resp, body := e.do("POST", "/moderate/login", url.Values{"name": {tt.name}, "password": {tt.password}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong name or password.") || len(resp.Cookies()) != 0 {
			t.Errorf("login %s/%q: %d, cookies %v", tt.name, tt.password, resp.StatusCode, resp.Cookies())
		}
	}
	if resp, _ := e.do("POST", "/moderate/login", url.Values{"name": {"mia"}, "password": {password}}, "Origin", "https://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login from another origin: %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.do("POST", "/moderate/login", url.Values{"name": {"mia"}, "password": {password}}, "Origin", ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without Origin or Referer: %d, want 403", resp.StatusCode)
	}
	resp, _ = e.do("POST", "/moderate/login", url.Values{"name": {"mia"}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	c := resp.Cookies()[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/moderate/" || c.Secure || c.MaxAge != int(moderation.SessionTTL/time.Second) {
		t.Fatalf("cookie = %+v", c)
	}
	if strings.Contains(c.Value, "mia") || len(c.Value) < 40 {
		t.Fatalf("cookie value %q is not a random token", c.Value)
	}
	resp, body = e.do("GET", "/moderate/", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "bob held") || strings.Contains(body, "alice shown") ||
		!strings.Contains(body, `<nav class="site-nav" aria-label="Moderation">`) || !strings.Contains(body, "Logged in as mia") {
		t.Fatalf("queue: %d\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, "followers only") {
		t.Fatal("a followers-only reply is on the moderation page")
	}
}

// TestSecureCookie: a companion served over https sets Secure cookies.
func TestSecureCookie(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	must(t, err)
	defer st.Close()
	hash, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	must(t, st.AddModerator(ctx, activitypub.Moderator{Name: "mia", PasswordHash: string(hash)}))
	urls := activitypub.URLs{Base: "https://course.example.org"}
	h := moderation.NewHandler(moderation.HandlerOptions{Actions: moderation.New(moderation.Options{Store: st, URLs: urls}), Store: st, URLs: urls})
	req := httptest.NewRequest("POST", "https://course.example.org/moderate/login", strings.NewReader("name=mia&password="+url.QueryEscape(password)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://course.example.org")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	cs := w.Result().Cookies()
	if w.Code != http.StatusSeeOther || len(cs) != 1 || !cs[0].Secure {
		t.Fatalf("login over https: %d, cookies %+v", w.Code, cs)
	}
}

// TestCSRF: a POST without the session's token, with a wrong one, or from
// another origin changes nothing.
func TestCSRF(t *testing.T) {
	e := newEnv(t)
	token := e.login()
	held := bob + "/statuses/2"
	for _, tt := range []struct {
		name string
		form url.Values
		hdr  []string
	}{
		{"missing token", url.Values{"reply": {held}, "action": {"approve"}}, nil},
		{"wrong token", url.Values{"reply": {held}, "action": {"approve"}, "csrf": {strings.Repeat("0", len(token))}}, nil},
		{"another session's token", url.Values{"reply": {held}, "action": {"approve"}, "csrf": {token[:len(token)-1] + "x"}}, nil},
		{"other origin", url.Values{"reply": {held}, "action": {"approve"}, "csrf": {token}}, []string{"Origin", "https://evil.example"}},
		{"no origin, other referer", url.Values{"reply": {held}, "action": {"approve"}, "csrf": {token}}, []string{"Origin", "", "Referer", "https://evil.example/x"}},
	} {
		resp, _ := e.do("POST", "/moderate/replies", tt.form, tt.hdr...)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tt.name, resp.StatusCode)
		}
		if st := e.state(held); st != activitypub.Held {
			t.Fatalf("%s: the reply is %s", tt.name, st)
		}
	}
	// A Referer from the page itself stands in for a missing Origin.
	resp, _ := e.do("POST", "/moderate/replies", url.Values{"reply": {held}, "action": {"approve"}, "csrf": {token}}, "Origin", "", "Referer", e.base+"/moderate/")
	if resp.StatusCode != http.StatusSeeOther || e.state(held) != activitypub.Shown {
		t.Fatalf("with the right token: %d, state %s", resp.StatusCode, e.state(held))
	}
}

// TestSessionExpiry: a session works until SessionTTL after login, then
// the pages send the moderator to the login and forms are refused.
func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	token := e.login()
	e.advance(moderation.SessionTTL - time.Second)
	if resp, _ := e.do("GET", "/moderate/blocks", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("a second before expiry: %d", resp.StatusCode)
	}
	e.advance(time.Second)
	if resp, _ := e.do("GET", "/moderate/blocks", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/moderate/login" {
		t.Fatalf("at expiry: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ := e.do("POST", "/moderate/replies", url.Values{"reply": {bob + "/statuses/2"}, "action": {"approve"}, "csrf": {token}})
	if resp.StatusCode != http.StatusForbidden || e.state(bob+"/statuses/2") != activitypub.Held {
		t.Fatalf("a form after expiry: %d", resp.StatusCode)
	}
}

// TestLogout: logging out ends the session in the Store, so the same
// cookie replayed opens nothing; login and logout are in the audit log.
func TestLogout(t *testing.T) {
	e := newEnv(t)
	token := e.login()
	u, _ := url.Parse(e.base + "/moderate/")
	old := e.client.Jar.Cookies(u)
	resp, _ := e.do("POST", "/moderate/logout", url.Values{"csrf": {token}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/moderate/login" {
		t.Fatalf("logout: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	e.client.Jar.SetCookies(u, old) // a stolen copy of the cookie
	if resp, _ := e.do("GET", "/moderate/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the old cookie after logout: %d", resp.StatusCode)
	}
	log, err := e.store.AuditLog(context.Background(), 0, 10)
	must(t, err)
	if len(log) != 2 || log[0].Action != activitypub.ActionLogout || log[1].Action != activitypub.ActionLogin || log[0].Who != "mia" {
		t.Fatalf("audit log = %+v", log)
	}
}

// TestPageActions: every action from the page, with its effect on the
// store, the queued boosts, the thread notifications and the audit log.
func TestPageActions(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	token := e.login()
	held, shown := bob+"/statuses/2", alice+"/statuses/1"
	post := func(path string, form url.Values) string {
		t.Helper()
		form.Set("csrf", token)
		resp, _ := e.do("POST", path, form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s %v: %d", path, form, resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}

	if to := post("/moderate/replies", url.Values{"reply": {held}, "action": {"approve"}, "reason": {"on topic"}}); !strings.HasPrefix(to, "/moderate/?notice=") {
		t.Fatalf("approve redirects to %s", to)
	}
	if e.state(held) != activitypub.Shown {
		t.Fatal("approve did not show the reply")
	}
	_, body := e.do("GET", "/moderate/?notice=Reply+approved", nil)
	if !strings.Contains(body, `role="status">Reply approved`) || strings.Contains(body, "bob held") {
		t.Fatalf("queue after approve:\n%s", body)
	}

	back := "/moderate/lessons/intro"
	post("/moderate/replies", url.Values{"reply": {shown}, "action": {"hide"}, "back": {back}})
	if e.state(shown) != activitypub.Hidden {
		t.Fatal("hide did not hide")
	}
	_, body = e.do("GET", back, nil)
	if !strings.Contains(body, "alice shown") || !strings.Contains(body, `value="show"`) {
		t.Fatalf("lesson view does not offer to show the hidden reply:\n%s", body)
	}
	if to := post("/moderate/replies", url.Values{"reply": {shown}, "action": {"show"}, "back": {back}}); !strings.HasPrefix(to, back+"?notice=") {
		t.Fatalf("show redirects to %s", to)
	}
	if e.state(shown) != activitypub.Shown {
		t.Fatal("show did not show")
	}

	post("/moderate/replies", url.Values{"reply": {shown}, "action": {"feature"}, "back": {back}})
	fs, _ := e.store.Features(ctx, "intro", "")
	if len(fs) != 1 || fs[0].ReplyID != shown {
		t.Fatalf("features = %+v", fs)
	}
	ds, _ := e.store.ClaimDeliveries(ctx, e.clock(), 10)
	if len(ds) != 2 || !strings.Contains(string(ds[0].Body), `"type":"Announce"`) || !strings.Contains(string(ds[0].Body), `"object":"`+shown+`"`) {
		t.Fatalf("deliveries after feature = %+v", ds)
	}
	inboxes := ds[0].Inbox + " " + ds[1].Inbox
	if !strings.Contains(inboxes, "https://f.example/inbox") || !strings.Contains(inboxes, alice+"/inbox") {
		t.Fatalf("the boost goes to %s, want the follower and the author", inboxes)
	}
	_, body = e.do("GET", back, nil)
	if !strings.Contains(body, `value="unfeature"`) || !strings.Contains(body, "reply state-shown featured") {
		t.Fatalf("lesson view of a featured reply:\n%s", body)
	}
	resp, _ := e.do("POST", "/moderate/replies", url.Values{"reply": {shown}, "action": {"feature"}, "csrf": {token}})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("featuring twice: %d, want 409", resp.StatusCode)
	}
	resp, _ = e.do("POST", "/moderate/replies", url.Values{"reply": {alice + "/statuses/3"}, "action": {"feature"}, "csrf": {token}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("featuring a followers-only reply: %d, want 400", resp.StatusCode)
	}
	post("/moderate/replies", url.Values{"reply": {shown}, "action": {"unfeature"}, "back": {back}})
	if fs, _ := e.store.Features(ctx, "intro", ""); len(fs) != 0 {
		t.Fatalf("features after unfeature = %+v", fs)
	}
	ds, _ = e.store.ClaimDeliveries(ctx, e.clock(), 10)
	if len(ds) != 2 || !strings.Contains(string(ds[0].Body), `"type":"Undo"`) || !strings.Contains(string(ds[0].Body), `"type":"Announce"`) {
		t.Fatalf("deliveries after unfeature = %+v", ds)
	}
	resp, _ = e.do("POST", "/moderate/replies", url.Values{"reply": {"https://nowhere.example/1"}, "action": {"hide"}, "csrf": {token}})
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("hiding a missing reply: %d", resp.StatusCode)
	}

	// Blocks: by handle (resolved to the actor) and by domain.
	post("/moderate/blocks", url.Values{"target": {"@alice@mastodon.example"}, "action": {"block"}, "reason": {"abuse"}})
	post("/moderate/blocks", url.Values{"target": {"*@spam.example"}, "action": {"block"}})
	if th, _ := e.store.Thread(ctx, "intro", ""); len(th) != 0 {
		t.Fatalf("thread after blocking both authors = %+v", th)
	}
	_, body = e.do("GET", "/moderate/blocks", nil)
	if !strings.Contains(body, alice) || !strings.Contains(body, "spam.example") || !strings.Contains(body, "abuse") || !strings.Contains(body, `aria-label="Unblock spam.example"`) {
		t.Fatalf("blocks page:\n%s", body)
	}
	resp, _ = e.do("POST", "/moderate/blocks", url.Values{"target": {"@nobody@unknown.example"}, "action": {"block"}, "csrf": {token}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("blocking an unknown handle: %d, want 400", resp.StatusCode)
	}
	post("/moderate/blocks", url.Values{"target": {"spam.example"}, "action": {"unblock"}})
	if th, _ := e.store.Thread(ctx, "intro", ""); len(th) != 1 || th[0].ID != held {
		t.Fatalf("thread after unblocking spam.example = %+v", th)
	}

	// The audit log, on the page and in the store.
	_, body = e.do("GET", "/moderate/audit", nil)
	log, _ := e.store.AuditLog(ctx, 0, 100)
	var actions []string
	for i := len(log) - 1; i >= 0; i-- {
		actions = append(actions, log[i].Action)
		if log[i].Who != "mia" || !log[i].At.Equal(start) {
			t.Errorf("entry %+v: want mia at %s", log[i], start)
		}
	}
	want := "login approve hide show feature unfeature block block unblock"
	if strings.Join(actions, " ") != want {
		t.Fatalf("audit actions = %q, want %q", strings.Join(actions, " "), want)
	}
	if log[len(log)-2].Reason != "on topic" || log[len(log)-2].LessonID != "intro" || log[len(log)-2].Target != held {
		t.Fatalf("approve entry = %+v", log[len(log)-2])
	}
	if log[2].Target != alice || log[2].Reason != "abuse" {
		t.Fatalf("block entry = %+v", log[2])
	}
	if !strings.Contains(body, "on topic") || !strings.Contains(body, "unfeature") || !strings.Contains(body, "2026-09-01 08:00 UTC") {
		t.Fatalf("audit page:\n%s", body)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if strings.Join(e.changed, ",") != "intro,intro,intro,intro,intro,,," {
		t.Fatalf("threads changed = %q", e.changed)
	}
}

// TestLoginThrottled: after five wrong passwords the name is refused, even with
// the right one, until fifteen minutes have passed; then it logs in.
func TestLoginThrottled(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		if resp, _ := e.do("POST", "/moderate/login", url.Values{"name": {"mia"}, "password": {"guess " + fmt.Sprint(i)}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := e.do("POST", "/moderate/login", url.Values{"name": {"mia"}, "password": {password}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many wrong passwords") ||
		resp.Header.Get("Retry-After") == "" || len(resp.Cookies()) != 0 {
		t.Fatalf("sixth attempt: %d, Retry-After %q, cookies %v", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Cookies())
	}
	e.advance(15 * time.Minute)
	if resp, _ := e.do("POST", "/moderate/login", url.Values{"name": {"mia"}, "password": {password}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the window: %d, want a login", resp.StatusCode)
	}
}

// TestLoginGlobalLimit: wrong passwords spread over several names, known and
// unknown, trip the limit for everyone: even the right password for a name
// never guessed gets 429 with a Retry-After until the first of them is a
// minute old.
func TestLoginGlobalLimit(t *testing.T) {
	e := newEnv(t)
	moderation.SetGlobalLimit(e.handler, 3)
	for _, name := range []string{"ann", "bob", "mia"} {
		if resp, _ := e.do("POST", "/moderate/login", url.Values{"name": {name}, "password": {"guess"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password for %s: %d", name, resp.StatusCode)
		}
	}
	resp, body := e.do("POST", "/moderate/login", url.Values{"name": {"mia"}, "password": {password}})
	retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many wrong passwords") || retry < 1 || retry > 61 || len(resp.Cookies()) != 0 {
		t.Fatalf("login after the global limit: %d, Retry-After %q, cookies %v", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Cookies())
	}
	e.advance(time.Minute)
	if resp, _ := e.do("POST", "/moderate/login", url.Values{"name": {"mia"}, "password": {password}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a minute later: %d, want a login", resp.StatusCode)
	}
}

// TestLoginUnknownNameCostsBcrypt: a login for a name nobody has checks the
// password against a bcrypt hash of the cost every moderator's password has
// (HashPassword's), once, as a wrong password for a real name does; so the
// answer's timing does not tell which names exist.
func TestLoginUnknownNameCostsBcrypt(t *testing.T) {
	e := newEnv(t)
	var costs []int
	moderation.SetCompare(e.handler, func(hash, pw []byte) error {
		c, err := bcrypt.Cost(hash)
		if err != nil {
			t.Errorf("login checked against %q, not a bcrypt hash: %v", hash, err)
		}
		costs = append(costs, c)
		return bcrypt.CompareHashAndPassword(hash, pw)
	})
	hashed, err := moderation.HashPassword("a moderator's password")
	must(t, err)
	realCost, err := bcrypt.Cost([]byte(hashed))
	must(t, err)
	for _, tt := range []struct{ name, password string }{
		{"nobody", "guess"},
		{"nobody", password}, // the right password of another name opens nothing
		{"mia", "guess"},
	} {
		costs = nil
		if resp, body := e.do("POST", "/moderate/login", url.Values{"name": {tt.name}, "password": {tt.password}}); resp.StatusCode != http.StatusUnauthorized ||
			!strings.Contains(body, "Wrong name or password.") {
			t.Fatalf("%s/%q: %d", tt.name, tt.password, resp.StatusCode)
		}
		if len(costs) != 1 {
			t.Fatalf("%s/%q: %d bcrypt checks, want 1", tt.name, tt.password, len(costs))
		}
		if tt.name == "nobody" && costs[0] != realCost {
			t.Fatalf("unknown name checked at bcrypt cost %d, a moderator's password has %d", costs[0], realCost)
		}
	}
}
