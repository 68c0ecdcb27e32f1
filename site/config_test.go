package site

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadConfigDefaults(t *testing.T) {
	fsys := fstest.MapFS{"course.toml": {Data: []byte("title = \"T\"\n")}}
	cfg, err := LoadConfig(fsys, "course.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Language != "en" || cfg.Theme != "default" || cfg.BaseURL == "" {
		t.Errorf("defaults not applied: %+v", cfg)
	}
}

func TestConfigExample(t *testing.T) {
	fsys := fstest.MapFS{"course.toml": {Data: []byte(`
title = "Running a course"
base_url = "https://example.org/course"
language = "nl"
[federation]
handle = "course"
domain = "127.0.0.1:8090"
allow_insecure = true
[[cohorts]]
id = "2026-autumn"
name = "Autumn"
start = 2026-09-07
[params]
anything = { nested = [1, 2] }
`)}}
	cfg, err := LoadConfig(fsys, "course.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != "https://example.org/course/" || cfg.BasePath() != "/course/" || cfg.Origin() != "https://example.org" {
		t.Errorf("base URL %q, path %q, origin %q", cfg.BaseURL, cfg.BasePath(), cfg.Origin())
	}
	if cfg.Federation.Address() != "@course@127.0.0.1:8090" || !cfg.Federation.AllowInsecure {
		t.Errorf("federation = %+v", cfg.Federation)
	}
	if len(cfg.Cohorts) != 1 || cfg.Cohorts[0].Start.Format("2006-01-02") != "2026-09-07" {
		t.Errorf("cohorts = %+v", cfg.Cohorts)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, toml, want string
	}{
		{"unknown top-level key", "title = \"T\"\ntitel = \"x\"\n", `course.toml:2:1: unknown key "titel"`},
		{"unknown key in a table", "title = \"T\"\n\n[federation]\n  handel = \"x\"\n", `course.toml:4:3: unknown key "federation.handel"`},
		{"unknown key in a cohort", "title = \"T\"\n[[cohorts]]\nid = \"a\"\nstart = 2026-01-01\nstrat = 2026-01-01\n", `course.toml:5:1: unknown key "cohorts.strat"`},
		{"wrong type", "title = 3\n", "course.toml:1"},
		{"no title", "language = \"en\"\n", "title: must not be empty"},
		{"relative base URL", "title = \"T\"\nbase_url = \"/course/\"\n", `base_url: "/course/" is not an absolute http(s) URL`},
		{"bad handle", "title = \"T\"\n[federation]\nhandle = \"my course\"\ndomain = \"example.org\"\n", `federation.handle: "my course"`},
		{"domain with a path", "title = \"T\"\n[federation]\nhandle = \"c\"\ndomain = \"example.org/x\"\n", `federation.domain`},
		{"duplicate cohort", "title = \"T\"\n[[cohorts]]\nid = \"a\"\nstart = 2026-01-01\n[[cohorts]]\nid = \"a\"\nstart = 2026-02-01\n", `cohorts[1].id: "a" is used twice`},
		{"cohort without start", "title = \"T\"\n[[cohorts]]\nid = \"a\"\n", `cohorts[0].start: a date is required`},
		{"several problems at once", "title = \"\"\nlanguage = \"fr\"\n", "language"},
		{"unknown time zone", "title = \"T\"\n[[cohorts]]\nid = \"a\"\nstart = 2026-01-01\ntime_zone = \"Europe/Atlantis\"\n", `cohorts[0].time_zone: "Europe/Atlantis" is not a time zone`},
		{"unknown audience", "title = \"T\"\n[[cohorts]]\nid = \"a\"\nstart = 2026-01-01\naudience = \"secret\"\n", `cohorts[0].audience: "secret" is not public or private`},
		{"unknown moderation mode", "title = \"T\"\n[federation]\nhandle = \"c\"\ndomain = \"example.org\"\nmoderation = \"strict\"\n", `federation.moderation: "strict" is not one of open, pre, participants`},
		{"unknown key in store", "title = \"T\"\n[store]\nurl = \"sqlite:\"\npath = \"x\"\n", `course.toml:4:1: unknown key "store.path"`},
		{"store url of another kind", "title = \"T\"\n[store]\nurl = \"mysql://db.example/cohort\"\n", `store.url: want sqlite:PATH or a postgres:// URL`},
		{"store url with a password", "title = \"T\"\n[store]\nurl = \"postgres://cohort:hunter2@db.example/cohort\"\n", `store.url: holds a password`},
		{"moderator that is not a handle", "title = \"T\"\n[federation]\nhandle = \"c\"\ndomain = \"example.org\"\nmoderators = [\"maria\"]\n", `federation.moderators[0]: "maria"`},
		{"notify_moderators neither on nor off", "title = \"T\"\n[federation]\nhandle = \"c\"\ndomain = \"example.org\"\nnotify_moderators = \"hourly\"\n", `federation.notify_moderators: "hourly" is not on or off`},
		{"cohort moderator that is not a handle", "title = \"T\"\n[[cohorts]]\nid = \"a\"\nstart = 2026-09-07\nmoderators = [\"@mia@m.example\", \"mia\"]\n", `cohorts[0].moderators[1]: "mia" is not a fediverse handle`},
		{"unknown key in metrics", "title = \"T\"\n[metrics]\nenabled = true\nport = 9464\n", `course.toml:4:1: unknown key "metrics.port"`},
		{"metrics listen without a port", "title = \"T\"\n[metrics]\nenabled = true\nlisten = \"127.0.0.1\"\n", `metrics.listen: "127.0.0.1" is not host:port`},
		{"metrics listen while disabled", "title = \"T\"\n[metrics]\nlisten = \"127.0.0.1:9464\"\n", `metrics: listen and token_file need enabled = true`},
		// issue 14: the course hashtag
		{"hashtag of two words", "title = \"T\"\n[federation]\nhandle = \"c\"\ndomain = \"example.org\"\nhashtag = \"social course\"\n", `federation.hashtag: "social course" must be one word`},
		{"hashtag of digits only", "title = \"T\"\n[federation]\nhandle = \"c\"\ndomain = \"example.org\"\nhashtag = \"#2026\"\n", `federation.hashtag: "#2026"`},
		{"hashtag with punctuation", "title = \"T\"\n[federation]\nhandle = \"c\"\ndomain = \"example.org\"\nhashtag = \"#social-course\"\n", `federation.hashtag: "#social-course"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("course.toml", []byte(tt.toml))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// TestConfigHashtag: the course hashtag is read with or without its '#',
// in any script, and JournalTag gives it without the '#'.
func TestConfigHashtag(t *testing.T) {
	for in, want := range map[string]string{"#socialcourse": "socialcourse", "SocialCourse": "SocialCourse", "#leren_2026": "leren_2026", "#éducation": "éducation", "": ""} {
		c, err := ParseConfig("course.toml", []byte("title = \"T\"\n[federation]\nhandle = \"c\"\ndomain = \"example.org\"\nhashtag = \""+in+"\"\n"))
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got := c.Federation.JournalTag(); got != want {
			t.Errorf("%q: JournalTag = %q, want %q", in, got, want)
		}
	}
}

// TestConfigStoreURL: the [store] url a course may name.
func TestConfigStoreURL(t *testing.T) {
	for _, u := range []string{"", "sqlite:", "sqlite:/var/lib/cohort", "postgres://cohort@db.example/cohort?sslmode=require", "postgresql:///cohort?host=/run/postgresql"} {
		cfg, err := ParseConfig("course.toml", []byte("title = \"T\"\n[store]\nurl = \""+u+"\"\n"))
		if err != nil {
			t.Errorf("url %q: %v", u, err)
			continue
		}
		if cfg.Store.URL != u {
			t.Errorf("Store.URL = %q, want %q", cfg.Store.URL, u)
		}
	}
}

func TestAllModerators(t *testing.T) {
	cfg, err := ParseConfig("course.toml", []byte(`title = "T"
[federation]
handle = "c"
domain = "example.org"
moderators = ["@ana@uni.example"]
[[cohorts]]
id = "a"
start = 2026-09-07
moderators = ["@Ana@uni.example", "@ben@school.example"]
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.AllModerators(), " "); got != "@ana@uni.example @ben@school.example" {
		t.Errorf("AllModerators = %s (course's and cohorts', once each)", got)
	}
}
