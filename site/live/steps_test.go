package live

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/site"
)

// TestRebuildLogsSteps checks that serve, at --log-level debug, tells where a
// rebuild's time went, step by step, and says nothing of it at info level.
func TestRebuildLogsSteps(t *testing.T) {
	dir := t.TempDir()
	course := filepath.Join(dir, "course")
	files := map[string]string{
		"course.toml":                "title = \"Steps\"\nbase_url = \"http://127.0.0.1/\"\n",
		"content/01-intro/_index.md": "---\ntitle: Intro\n---\nThe module.\n",
		"content/01-intro/first.md":  "---\ntitle: First\n---\nA lesson.\n",
		"content/01-intro/second.md": "---\ntitle: Second\n---\nAnother lesson.\n",
	}
	for name, text := range files {
		p := filepath.Join(course, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
		var logs bytes.Buffer
		srv := &Server{
			Builder: site.NewBuilder(site.Options{Source: course, Out: filepath.Join(dir, "out-"+level.String())}),
			Out:     filepath.Join(dir, "out-"+level.String()), BasePath: "/", Hub: NewHub(), Report: io.Discard,
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level})),
		}
		if _, err := srv.Build(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		lesson := filepath.Join(course, "content", "01-intro", "first.md")
		if err := os.WriteFile(lesson, []byte("---\ntitle: First\n---\nA lesson, edited at "+level.String()+".\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Build(context.Background(), &Change{Paths: []string{"content/01-intro/first.md"}, First: time.Now()}); err != nil {
			t.Fatal(err)
		}
		got := logs.String()
		if level == slog.LevelInfo {
			if strings.Contains(got, "build steps") {
				t.Errorf("at info level the steps were logged:\n%s", got)
			}
			continue
		}
		if strings.Count(got, "build steps") != 2 {
			t.Errorf("want a steps line for the first build and the rebuild, got:\n%s", got)
		}
		for _, want := range []string{`change="content/01-intro/first.md changed"`, "walk=", "read=", "graph=", "commit=", "waited=", "to_reload="} {
			if !strings.Contains(got, want) {
				t.Errorf("steps log lacks %q:\n%s", want, got)
			}
		}
	}
}
