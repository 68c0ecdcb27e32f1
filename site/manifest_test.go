package site

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestManifestHashFollowsThePost: a lesson's hash in lessons.json, which makes
// the companion send an Update to every follower's server, changes when what the
// post shows changes (title, summary, prompt), and not for an edit of the text.
func TestManifestHashFollowsThePost(t *testing.T) {
	dir := course(t, smallCourse)
	pub := filepath.Join(dir, "public")
	hashOf := func() string {
		t.Helper()
		var m Manifest
		if err := json.Unmarshal([]byte(read(t, pub, "lessons.json")), &m); err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(m.Lessons, func(l ManifestLesson) bool { return l.ID == "lesson-c" })
		if i < 0 {
			t.Fatal("lesson-c is not in lessons.json")
		}
		return m.Lessons[i].Hash
	}
	lesson := func(title, summary, prompt, body string) {
		t.Helper()
		data := "+++\ntitle = \"" + title + "\"\nid = \"lesson-c\"\nsummary = \"" + summary + "\"\ndiscussion = \"" + prompt + "\"\n+++\n" + body + "\n"
		if err := os.WriteFile(filepath.Join(dir, "content/02-second/c.md"), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		mustBuild(t, dir)
	}
	lesson("C", "S", "P", "Text.")
	h := hashOf()
	steps := []struct {
		name                         string
		title, summary, prompt, body string
		changes                      bool
	}{
		{"the text", "C", "S", "P", "Other text, [back](/01-first/a/).", false},
		{"the title", "C2", "S", "P", "Text.", true},
		{"the summary", "C2", "S2", "P", "Text.", true},
		{"the prompt", "C2", "S2", "P2", "Text.", true},
	}
	for _, s := range steps {
		lesson(s.title, s.summary, s.prompt, s.body)
		got := hashOf()
		if (got != h) != s.changes {
			t.Errorf("editing %s: hash changed %t, want %t", s.name, got != h, s.changes)
		}
		h = got
	}
}
