//go:build linux

package early

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStampsAsStat(t *testing.T) {
	root := t.TempDir()
	content := filepath.Join(root, "content")
	for name, body := range map[string]string{
		"_index.md":          "home",
		"01-start/_index.md": "module",
		"01-start/01-a.md":   "lesson a",
		"01-start/img.png":   "png",
		".git/config":        "hidden",
	} {
		p := filepath.Join(content, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("01-a.md", filepath.Join(content, "01-start", "link.md")); err != nil {
		t.Fatal(err)
	}
	s := start(content)

	module := filepath.Join(content, "01-start")
	names := []string{"01-a.md", "_index.md", "img.png", "link.md"}
	stamps, ok := s.stamps(module, names)
	if !ok {
		t.Fatalf("no stamps for %s", module)
	}
	for i, name := range names {
		info, err := os.Lstat(filepath.Join(module, name))
		if err != nil {
			t.Fatal(err)
		}
		got, mt := stamps[i], info.ModTime()
		if got.Size != info.Size() || got.MtimeSec != mt.Unix() || got.MtimeNsec != int64(mt.Nanosecond()) || got.Regular != info.Mode().IsRegular() {
			t.Errorf("%s: stamp %+v, Lstat says size %d, time %v, regular %v", name, got, info.Size(), mt, info.Mode().IsRegular())
		}
	}
	if stamps[3].Regular {
		t.Error("a link was taken for a plain file")
	}
	if _, ok := s.stamps(module, names); ok {
		t.Error("a folder's stamps were handed out twice")
	}
	if _, ok := s.stamps(content, []string{"_index.md", "gone.md"}); ok {
		t.Error("stamps for a file that is not there")
	}
	if _, ok := s.stamps(filepath.Join(content, ".git"), []string{"config"}); ok {
		t.Error("a hidden folder was looked at")
	}
}

func TestStampsElsewhere(t *testing.T) {
	s := start(t.TempDir())
	if _, ok := s.stamps(t.TempDir(), nil); ok {
		t.Error("stamps of a folder Start did not look at")
	}
}
