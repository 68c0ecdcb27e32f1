package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// output writes a build into the output folder without ever leaving it half-written:
// changed files go to a staging folder beside it first, and are moved into place only
// by commit, after every page rendered. Files whose bytes did not change are not
// touched; files the build no longer makes are removed.
type output struct {
	dir   string // the output folder, e.g. public/
	stage string // staging folder beside dir, created on first write

	mu sync.Mutex
	// prev holds each file's hash as of the last build, when known (from the cache);
	// without it, an existing file is compared byte for byte.
	prev map[string]string
	// next holds each file this build makes, with its hash.
	next map[string]string
	// staged lists the files written to the staging folder, to be moved in.
	staged []string
	// written lists the output paths whose bytes changed, in commit order.
	written []string
	// dirs remembers the staging folders already made, to save a system call per file.
	dirs sync.Map
}

func newOutput(dir string, prev map[string]string) *output {
	return &output{dir: dir, prev: prev, next: map[string]string{}}
}

func hashBytes(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

// write records rel (slash-separated, relative to the output folder) with data and
// stages it if its bytes changed. Safe for concurrent use.
func (o *output) write(rel string, data []byte) error {
	h := hashBytes(data)
	prev, known, err := o.record(rel, h)
	if err != nil {
		return err
	}
	if known && prev == h {
		return nil
	}
	if !known {
		old, err := os.ReadFile(filepath.Join(o.dir, filepath.FromSlash(rel)))
		if err == nil && bytes.Equal(old, data) {
			return nil
		}
	}
	return o.stageFile(rel, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// record notes that this build makes rel with hash h, and returns the hash the
// last build recorded for it, if any. Making one file twice is an error (a static
// file and a page at the same path, say).
func (o *output) record(rel, h string) (prev string, known bool, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, dup := o.next[rel]; dup {
		return "", false, fmt.Errorf("output %s: written twice in one build (a static file and a page?)", rel)
	}
	o.next[rel] = h
	prev, known = o.prev[rel]
	return prev, known, nil
}

// keep records rel as unchanged since the last build, without rendering it. It
// returns false when the last build's record has no such file.
func (o *output) keep(rel string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	h, ok := o.prev[rel]
	if !ok {
		return false
	}
	o.next[rel] = h
	return true
}

// copyFile records rel as a copy of name in fsys. hash identifies the source's
// version (size and modification time will do for static files); unchanged
// sources are not copied again.
func (o *output) copyFile(rel string, fsys fs.FS, name, hash string) error {
	prev, known, err := o.record(rel, hash)
	if err != nil {
		return err
	}
	if known && prev == hash {
		if _, err := os.Stat(filepath.Join(o.dir, filepath.FromSlash(rel))); err == nil {
			return nil
		}
	}
	return o.stageFile(rel, func(w io.Writer) error {
		f, err := fsys.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
}

func (o *output) stageFile(rel string, fill func(io.Writer) error) error {
	o.mu.Lock()
	if o.stage == "" {
		parent, base := filepath.Split(filepath.Clean(o.dir))
		if parent == "" {
			parent = "."
		}
		if err := os.MkdirAll(parent, 0o755); err != nil {
			o.mu.Unlock()
			return fmt.Errorf("output: %w", err)
		}
		stage, err := os.MkdirTemp(parent, "."+base+".staging-")
		if err != nil {
			o.mu.Unlock()
			return fmt.Errorf("output: %w", err)
		}
		o.stage = stage
	}
	o.staged = append(o.staged, rel)
	stage := o.stage
	o.mu.Unlock()

	target := filepath.Join(stage, filepath.FromSlash(rel))
	if dir := filepath.Dir(target); dir != stage {
		if _, made := o.dirs.Load(dir); !made {
			// Most folders are new leaves under a made parent: one mkdir, not MkdirAll's stats.
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return fmt.Errorf("output %s: %w", rel, err)
				}
			}
			o.dirs.Store(dir, true)
		}
	}
	f, err := os.Create(target)
	if err != nil {
		return fmt.Errorf("output %s: %w", rel, err)
	}
	if err := fill(f); err != nil {
		f.Close()
		return fmt.Errorf("output %s: %w", rel, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("output %s: %w", rel, err)
	}
	return nil
}

// abort throws the staged files away; the output folder is as it was.
func (o *output) abort() {
	if o.stage != "" {
		os.RemoveAll(o.stage)
		o.stage = ""
	}
}

// commit moves staged files into the output folder and removes files the build no
// longer makes. It returns how many files were removed.
func (o *output) commit() (removed int, err error) {
	defer o.abort()
	slices.Sort(o.staged)
	// A first build: the staging folder becomes the output folder in one rename.
	if _, err := os.Stat(o.dir); errors.Is(err, fs.ErrNotExist) && o.stage != "" {
		if err := os.Rename(o.stage, o.dir); err != nil {
			return 0, fmt.Errorf("output: %w", err)
		}
		o.stage = ""
		o.written = o.staged
		return 0, nil
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return 0, fmt.Errorf("output: %w", err)
	}
	made := map[string]bool{}
	for _, rel := range o.staged {
		target := filepath.Join(o.dir, filepath.FromSlash(rel))
		dir := filepath.Dir(target)
		if !made[dir] {
			if err := mkdirReplacing(dir); err != nil {
				return 0, fmt.Errorf("output %s: %w", rel, err)
			}
			made[dir] = true
		}
		if err := os.Rename(filepath.Join(o.stage, filepath.FromSlash(rel)), target); err != nil {
			return 0, fmt.Errorf("output %s: %w", rel, err)
		}
	}
	o.written = o.staged

	// Remove what the previous build made and this one did not. Without a record of
	// the previous build, anything in the folder that this build did not make goes.
	var stale []string
	if o.prev != nil {
		for rel := range o.prev {
			if _, ok := o.next[rel]; !ok {
				stale = append(stale, rel)
			}
		}
	} else {
		filepath.WalkDir(o.dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(o.dir, p)
			if _, ok := o.next[filepath.ToSlash(rel)]; !ok {
				stale = append(stale, filepath.ToSlash(rel))
			}
			return nil
		})
	}
	slices.Sort(stale)
	for _, rel := range stale {
		target := filepath.Join(o.dir, filepath.FromSlash(rel))
		if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("output: remove %s: %w", rel, err)
		}
		removed++
		removeEmptyParents(o.dir, filepath.Dir(target))
	}
	return removed, nil
}

// mkdirReplacing makes dir, removing a file that stands where a folder must go
// (an old page.html where page/ now belongs).
func mkdirReplacing(dir string) error {
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		return nil
	}
	for d := dir; d != "." && d != "/"; d = filepath.Dir(d) {
		if info, serr := os.Stat(d); serr == nil && !info.IsDir() {
			if rerr := os.Remove(d); rerr != nil {
				return rerr
			}
			return os.MkdirAll(dir, 0o755)
		}
	}
	return err
}

// removeEmptyParents removes empty folders from dir up to (not including) root.
func removeEmptyParents(root, dir string) {
	root = filepath.Clean(root)
	for dir = filepath.Clean(dir); dir != root && strings.HasPrefix(dir, root); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			return
		}
	}
}
