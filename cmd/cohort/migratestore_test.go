package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/postgres/pgtest"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

const storeCourseTOML = `title = "A course that moves"
base_url = "https://course.example.org/"

[federation]
handle = "course"
domain = "course.example.org"
`

// runCohort runs the command line and returns what it printed.
func runCohort(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb)
	return out.String() + errb.String(), err
}

// TestMigrateStore: a course's SQLite store moves to PostgreSQL with
// migrate-store, which prints each table's counts; then the commands read
// the same discussion from PostgreSQL, chosen by --database or by
// COHORT_DATABASE_URL.
func TestMigrateStore(t *testing.T) {
	pg := pgtest.URL(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "course.toml"), []byte(storeCourseTOML), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, ".cohort"))
	if err != nil {
		t.Fatal(err)
	}
	const alice = "https://mastodon.example/users/alice"
	at := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	for i, state := range []activitypub.ReplyState{activitypub.Shown, activitypub.Held, activitypub.Shown} {
		r := activitypub.Reply{ID: alice + "/statuses/" + string(rune('1'+i)), LessonID: "intro", InReplyTo: "https://course.example.org/lessons/intro",
			Actor: alice, Published: at.Add(time.Duration(i) * time.Hour), Content: "<p>reply</p>", Visibility: activitypub.Public, State: state}
		if err := st.SaveReply(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SaveFollower(ctx, activitypub.Follower{ActorID: alice, Inbox: alice + "/inbox", FollowID: "f"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	before, err := runCohort(t, "moderate", "list", "--source", dir)
	if err != nil {
		t.Fatalf("moderate list on SQLite: %v\n%s", err, before)
	}

	out, err := runCohort(t, "migrate-store", "--source", dir, "--to", pg)
	if err != nil {
		t.Fatalf("migrate-store: %v\n%s", err, out)
	}
	for _, want := range []string{`replies +3 +3`, `followers +1 +1`, `Copied \d+ rows in 24 tables`, `every count matches`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("migrate-store printed\n%s\nwant a line matching %q", out, want)
		}
	}

	after, err := runCohort(t, "moderate", "list", "--source", dir, "--database", pg)
	if err != nil || after != before {
		t.Fatalf("moderate list on PostgreSQL (--database) = %v\n%s\nwant as on SQLite:\n%s", err, after, before)
	}
	// The SQLite file goes away; the environment names the database.
	if err := os.RemoveAll(filepath.Join(dir, ".cohort")); err != nil {
		t.Fatal(err)
	}
	t.Setenv(databaseEnv, pg)
	after, err = runCohort(t, "moderate", "list", "--source", dir)
	if err != nil || after != before {
		t.Fatalf("moderate list on PostgreSQL (%s) = %v\n%s\nwant as on SQLite:\n%s", databaseEnv, err, after, before)
	}
	if _, err := os.Stat(filepath.Join(dir, ".cohort", sqlite.FileName)); err == nil {
		t.Fatalf("with %s set, a SQLite file was created", databaseEnv)
	}

	// A copy from a folder without a store is refused, creating nothing there.
	out, err = runCohort(t, "migrate-store", "--source", dir, "--from", "sqlite:"+filepath.Join(t.TempDir(), "none"))
	if err == nil || !strings.Contains(out+err.Error(), "no SQLite store") {
		t.Fatalf("migrate-store from nowhere = %v\n%s", err, out)
	}
}

// TestStoreChoice: which store a command opens, from the flag, the
// environment and course.toml, in that order.
func TestStoreChoice(t *testing.T) {
	t.Setenv(databaseEnv, "")
	tests := []struct {
		name, flag, env, config, want string
	}{
		{"nothing: the embedded file", "", "", "", ""},
		{"course.toml", "", "", "postgres://db.example/c", "postgres://db.example/c"},
		{"the environment over course.toml", "", "postgres://env.example/c", "postgres://db.example/c", "postgres://env.example/c"},
		{"the flag over both", "sqlite:/srv/c", "postgres://env.example/c", "postgres://db.example/c", "sqlite:/srv/c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(databaseEnv, tt.env)
			cfg, err := parseTestConfig(tt.config)
			if err != nil {
				t.Fatal(err)
			}
			if got := storeURL(tt.flag, cfg); got != tt.want {
				t.Errorf("storeURL = %q, want %q", got, tt.want)
			}
		})
	}
	if got := sqliteDir("sqlite:/srv/c/"+sqlite.FileName, "/data"); got != "/srv/c" {
		t.Errorf("sqlite: naming the file gives folder %q", got)
	}
	if got := sqliteDir("sqlite:", "/data"); got != "/data" {
		t.Errorf("sqlite: alone gives folder %q, want the data folder", got)
	}
	if got := redact("postgres://cohort:hunter2@db.example/c"); strings.Contains(got, "hunter2") {
		t.Errorf("redact kept the password: %s", got)
	}
	if _, err := openStore(context.Background(), "mysql://db.example/c", t.TempDir()); err == nil {
		t.Error("openStore of a mysql URL succeeded")
	}
}

func parseTestConfig(storeURL string) (*site.Config, error) {
	toml := storeCourseTOML
	if storeURL != "" {
		toml += "\n[store]\nurl = \"" + storeURL + "\"\n"
	}
	return site.ParseConfig("course.toml", []byte(toml))
}
