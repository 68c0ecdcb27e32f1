package site

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// Config is course.toml, decoded over its defaults and validated.
type Config struct {
	Title        string `toml:"title"`
	Description  string `toml:"description"`
	Language     string `toml:"language"`
	BaseURL      string `toml:"base_url"`
	Theme        string `toml:"theme"`
	Author       string `toml:"author"`
	Organisation string `toml:"organisation"`
	Logo         string `toml:"logo"`
	// OGImage is the picture apps show under a link to the course: a URL or a path
	// under the site, about 1200×630, PNG or JPEG. Without it, cohort draws og.png
	// from the title, description and logo (ogimage.go).
	OGImage    string         `toml:"og_image"`
	License    string         `toml:"license"`
	Federation Federation     `toml:"federation"`
	Store      Store          `toml:"store"`
	Cohorts    []Cohort       `toml:"cohorts"`
	Params     map[string]any `toml:"params"`

	// Metrics is the [metrics] table (issue 11; its own line to ease merging).
	Metrics Metrics `toml:"metrics"`

	// File is the name the config was read from, for error messages.
	File string `toml:"-"`
}

// Metrics is the [metrics] table: whether the companion serves Prometheus
// metrics, and where. Off by default: the figures say how busy the course
// is, which is the operator's business, not the public's.
type Metrics struct {
	// Enabled turns /metrics on.
	Enabled bool `toml:"enabled"`
	// Listen serves /metrics on its own address (e.g. "127.0.0.1:9464")
	// instead of beside the companion, so a proxy in front never exposes it.
	Listen string `toml:"listen"`
	// TokenFile names a file holding a bearer token that scrapes must send
	// (Authorization: Bearer ...); the token stays out of course.toml and git.
	TokenFile string `toml:"token_file"`
}

// Federation is the [federation] table: the course's fediverse account.
type Federation struct {
	// Handle is the account's user name: @handle@domain.
	Handle string `toml:"handle" json:"handle"`
	// Domain is the host the companion answers for; it may carry a port.
	Domain string `toml:"domain" json:"domain"`
	// AllowInsecure permits plain http and loopback peers; for tests and local use only.
	AllowInsecure bool `toml:"allow_insecure" json:"-"`
	// Moderators are the e-moderators' fediverse handles (@user@instance): their
	// replies are marked on the pages.
	Moderators []string `toml:"moderators" json:"moderators,omitempty"`
	// Moderation is how new replies are treated: "open" (shown at once, the
	// default), "pre" (held until a moderator approves) or "participants"
	// (Participants shown at once, others held).
	Moderation string `toml:"moderation" json:"-"`
	// Participants are handles (@user@instance) or whole domains (*@instance)
	// whose replies "participants" moderation shows at once.
	Participants []string `toml:"participants" json:"-"`
	// NotifyModerators is "on" (the default, also when empty) or "off": on,
	// the course account messages each moderator, at most once an hour,
	// about held replies, reports and questions unanswered for a day.
	NotifyModerators string `toml:"notify_moderators" json:"-"`
	// Hashtag is the course hashtag ("socialcourse" or "#socialcourse"):
	// a participant who uses it in a public post, or who sends the course
	// "!journal on", keeps a reflection journal of their public posts with
	// it (issue 14). Empty turns the journals off.
	Hashtag string `toml:"hashtag" json:"-"`
}

// NotifiesModerators reports whether the companion messages moderators
// about what needs them (notify_moderators).
func (f Federation) NotifiesModerators() bool { return f.NotifyModerators != "off" }

// JournalTag returns the course hashtag without its '#', "" when journals
// are off.
func (f Federation) JournalTag() string {
	return strings.TrimPrefix(strings.TrimSpace(f.Hashtag), "#")
}

// hashtagPattern is what a course hashtag may be: letters, digits and _,
// with at least one letter (a tag of digits alone reads as a number, not
// a tag), at most maxHashtagLen long.
var hashtagPattern = lazyRegexp(`^#?[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*$`)

// maxHashtagLen bounds the course hashtag: a tag participants type on a
// phone in every post; longer is a mistake.
const maxHashtagLen = 50

// Store is the [store] table: where the companion keeps what it knows.
type Store struct {
	// URL names the database: empty or "sqlite:" for the embedded file in
	// the data folder, "sqlite:PATH" for one in the folder PATH, or a
	// postgres:// URL. The command line's --database and the environment's
	// COHORT_DATABASE_URL override it. A password never goes here, in a
	// file kept in git: give it in COHORT_DATABASE_URL, PGPASSWORD or
	// ~/.pgpass.
	URL string `toml:"url"`
}

// Address returns the account's fediverse address, "@handle@domain", or "" without one.
func (f Federation) Address() string {
	if f.Handle == "" || f.Domain == "" {
		return ""
	}
	return "@" + f.Handle + "@" + f.Domain
}

// Base returns the companion's public scheme and host ("https://course.example.org"),
// or "" without a [federation] table. Plain http only with allow_insecure.
func (f Federation) Base() string {
	if f.Handle == "" || f.Domain == "" {
		return ""
	}
	if f.AllowInsecure {
		return "http://" + f.Domain
	}
	return "https://" + f.Domain
}

// LessonURL returns the id of a lesson's fediverse post, or "" without a
// [federation] table. The companion serves the post at this URL; activitypub.URLs
// builds the same one (a test there checks they agree).
func (f Federation) LessonURL(lessonID string) string {
	if base := f.Base(); base != "" {
		return base + lessonsPath + url.PathEscape(lessonID)
	}
	return ""
}

// lessonsPath is where, under the companion's base, the lessons' posts are
// (LessonURL; buildGraph joins the same parts).
const lessonsPath = "/lessons/"

// CohortLessonURL returns the id of a cohort's own post of a lesson: each cohort
// discusses a lesson under a post of its own, so its thread starts fresh.
func (f Federation) CohortLessonURL(cohortID, lessonID string) string {
	if base := f.Base(); base != "" {
		return base + "/cohorts/" + url.PathEscape(cohortID) + "/lessons/" + url.PathEscape(lessonID)
	}
	return ""
}

// AllModerators lists the course's moderators and every cohort's own, once each.
func (c *Config) AllModerators() []string {
	var all []string
	seen := map[string]bool{}
	for _, list := range append([][]string{c.Federation.Moderators}, cohortModerators(c.Cohorts)...) {
		for _, m := range list {
			if k := strings.ToLower(strings.TrimPrefix(m, "@")); !seen[k] {
				seen[k] = true
				all = append(all, m)
			}
		}
	}
	return all
}

func cohortModerators(cohorts []Cohort) [][]string {
	var out [][]string
	for _, co := range cohorts {
		out = append(out, co.Moderators)
	}
	return out
}

// Cohort is one [[cohorts]] entry: a group that starts the course together.
type Cohort struct {
	ID   string `toml:"id" json:"id"`
	Name string `toml:"name" json:"name"`
	// Start is the first day (and time) of the cohort, as wall-clock time in
	// TimeZone: 2026-09-07 or 2026-09-07T09:00:00.
	Start time.Time `toml:"start" json:"start"`
	// TimeZone is an IANA zone such as "Europe/Amsterdam" (default UTC): opening
	// times are in it, and pages show them in it.
	TimeZone string `toml:"time_zone" json:"time_zone,omitempty"`
	// Audience is "public" (default) or "private".
	Audience string `toml:"audience" json:"audience,omitempty"`
	// Participants are handles (@user@instance) or domains (*@instance) of the
	// cohort's members.
	Participants []string `toml:"participants" json:"-"`
	// Moderators are the cohort's e-moderators' handles.
	Moderators []string `toml:"moderators" json:"-"`
	// ShowDiscussion publishes a private cohort's threads on the pages, when its
	// participants agreed.
	ShowDiscussion bool `toml:"show_discussion" json:"show_discussion,omitempty"`
}

// Languages the default theme has UI strings for.
var Languages = []string{"en", "nl"}

var (
	handlePattern = lazyRegexp(`^[A-Za-z0-9_]{1,30}$`)
	idPattern     = lazyRegexp(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	handleAddress = lazyRegexp(`^@?[^@\s]+@[^@\s]+$`)
)

func defaultConfig() Config {
	return Config{
		Language: "en",
		BaseURL:  "http://127.0.0.1:1313/",
		Theme:    "default",
	}
}

// LoadConfig reads the course configuration from name in fsys. An unknown key is an
// error naming the key and its line; a value of the wrong type names its line and column.
func LoadConfig(fsys fs.FS, name string) (*Config, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	return ParseConfig(name, data)
}

// ParseConfig decodes and validates course.toml from data; name is used in errors.
func ParseConfig(name string, data []byte) (*Config, error) {
	cfg := defaultConfig()
	md, err := toml.Decode(string(data), &cfg)
	if err != nil {
		return nil, tomlError(name, 0, err)
	}
	var undecoded []toml.Key
	for _, k := range md.Undecoded() {
		if k[0] != "params" { // free-form: anything goes
			undecoded = append(undecoded, k)
		}
	}
	if len(undecoded) > 0 {
		key := undecoded[0]
		line, col := keyPosition(data, key)
		return nil, &Error{File: name, Line: line, Col: col,
			Err: fmt.Errorf("unknown key %q", key.String())}
	}
	cfg.File = name
	if err := cfg.Validate(); err != nil {
		return nil, &Error{File: name, Err: err}
	}
	return &cfg, nil
}

// keyPosition finds the line and column where key was written in a TOML document.
// MetaData has no positions, so it follows table headers line by line; it returns
// zeros when the key cannot be found (the error still names the key).
func keyPosition(data []byte, key toml.Key) (line, col int) {
	var table []string
	for i, raw := range strings.Split(string(data), "\n") {
		text := strings.TrimSpace(raw)
		indent := len(raw) - len(strings.TrimLeft(raw, " \t"))
		switch {
		case text == "" || strings.HasPrefix(text, "#"):
			continue
		case strings.HasPrefix(text, "["):
			name := strings.Trim(strings.SplitN(text, "]", 2)[0]+"]", "[]")
			table = splitKey(name)
			if slices.Equal(table, key) {
				return i + 1, indent + 1
			}
			continue
		}
		eq := strings.Index(text, "=")
		if eq < 0 {
			continue
		}
		full := append(slices.Clone(table), splitKey(text[:eq])...)
		if len(full) <= len(key) && slices.Equal(full, key[:len(full)]) {
			return i + 1, indent + 1
		}
	}
	return 0, 0
}

// splitKey splits a dotted TOML key, dropping quotes and spaces.
func splitKey(s string) []string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return parts
}

// tomlError turns a TOML decoding error into an Error at its position; lineOffset is
// added to the line (front matter starts below the file's first line).
func tomlError(file string, lineOffset int, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Error{File: file, Line: pe.Position.Line + lineOffset, Col: pe.Position.Col,
			Err: errors.New(pe.Message)}
	}
	// Type mismatches are plain errors: "toml: line 3 (last key "weight"): incompatible types: …".
	if m := typeErrorPattern().FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line + lineOffset, Err: fmt.Errorf("%s: %s", m[2], m[3])}
	}
	return &Error{File: file, Err: err}
}

var typeErrorPattern = lazyRegexp(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// Validate checks the values that decoding cannot: URLs, language, handles, cohort ids.
func (c *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Title) == "" {
		errs = append(errs, errors.New("title: must not be empty"))
	}
	if !slices.Contains(Languages, c.Language) {
		errs = append(errs, fmt.Errorf("language: %q is not one of %s", c.Language, strings.Join(Languages, ", ")))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base_url: %q is not an absolute http(s) URL", c.BaseURL))
	} else if !strings.HasSuffix(c.BaseURL, "/") {
		c.BaseURL += "/"
	}
	if c.Theme == "" {
		errs = append(errs, errors.New("theme: must not be empty"))
	}
	if m := c.Metrics; m.Listen != "" || m.TokenFile != "" {
		if !m.Enabled {
			errs = append(errs, errors.New("metrics: listen and token_file need enabled = true"))
		}
		if _, _, err := net.SplitHostPort(m.Listen); m.Listen != "" && err != nil {
			errs = append(errs, fmt.Errorf("metrics.listen: %q is not host:port", m.Listen))
		}
	}
	f := c.Federation
	if f.Handle != "" || f.Domain != "" {
		if !handlePattern().MatchString(f.Handle) {
			errs = append(errs, fmt.Errorf("federation.handle: %q must be 1-30 letters, digits or _", f.Handle))
		}
		if u, err := url.Parse("https://" + f.Domain + "/"); err != nil || u.Host != f.Domain || f.Domain == "" {
			errs = append(errs, fmt.Errorf("federation.domain: %q is not a host name (with an optional port)", f.Domain))
		}
	}
	if err := checkStoreURL(c.Store.URL); err != nil {
		errs = append(errs, fmt.Errorf("store.url: %w", err))
	}
	switch f.Moderation {
	case "", "open", "pre", "participants":
	default:
		errs = append(errs, fmt.Errorf("federation.moderation: %q is not one of open, pre, participants", f.Moderation))
	}
	if tag := f.JournalTag(); f.Hashtag != "" && (!hashtagPattern().MatchString(f.Hashtag) || utf8.RuneCountInString(tag) > maxHashtagLen) {
		errs = append(errs, fmt.Errorf("federation.hashtag: %q must be one word of at most %d letters, digits or _, with a letter, like #socialcourse", f.Hashtag, maxHashtagLen))
	}
	for i, m := range f.Moderators {
		if !handleAddress().MatchString(m) {
			errs = append(errs, fmt.Errorf("federation.moderators[%d]: %q is not a fediverse handle like @user@instance.example", i, m))
		}
	}
	switch f.NotifyModerators {
	case "", "on", "off":
	default:
		errs = append(errs, fmt.Errorf("federation.notify_moderators: %q is not on or off", f.NotifyModerators))
	}
	seen := map[string]bool{}
	for i, co := range c.Cohorts {
		for j, m := range co.Moderators {
			if !handleAddress().MatchString(m) {
				errs = append(errs, fmt.Errorf("cohorts[%d].moderators[%d]: %q is not a fediverse handle like @user@instance.example", i, j, m))
			}
		}
		switch {
		case !idPattern().MatchString(co.ID):
			errs = append(errs, fmt.Errorf("cohorts[%d].id: %q must be lower-case letters, digits, - or _", i, co.ID))
		case seen[co.ID]:
			errs = append(errs, fmt.Errorf("cohorts[%d].id: %q is used twice", i, co.ID))
		}
		seen[co.ID] = true
		if co.Start.IsZero() {
			errs = append(errs, fmt.Errorf("cohorts[%d].start: a date is required", i))
		}
		if co.TimeZone != "" {
			if _, err := time.LoadLocation(co.TimeZone); err != nil {
				errs = append(errs, fmt.Errorf("cohorts[%d].time_zone: %q is not a time zone like Europe/Amsterdam", i, co.TimeZone))
			}
		}
		switch co.Audience {
		case "", "public", "private":
		default:
			errs = append(errs, fmt.Errorf("cohorts[%d].audience: %q is not public or private", i, co.Audience))
		}
	}
	return errors.Join(errs...)
}

// checkStoreURL accepts what Store.URL may hold.
func checkStoreURL(s string) error {
	if s == "" || strings.HasPrefix(s, "sqlite:") {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return errors.New("want sqlite:PATH or a postgres:// URL")
	}
	if _, ok := u.User.Password(); ok || u.Query().Has("password") {
		return errors.New("holds a password: course.toml is kept in git; give the password in COHORT_DATABASE_URL, PGPASSWORD or ~/.pgpass")
	}
	return nil
}

// Origin returns the scheme and host of the base URL, without a trailing slash:
// a page's absolute URL is Origin() + its URL.
func (c *Config) Origin() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// BasePath returns the path of the base URL, with a trailing slash.
func (c *Config) BasePath() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil || u.Path == "" {
		return "/"
	}
	if !strings.HasSuffix(u.Path, "/") {
		return u.Path + "/"
	}
	return u.Path
}
