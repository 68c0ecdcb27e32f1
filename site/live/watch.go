// Package live is the authoring loop of `cohort serve`: it watches a course folder,
// coalesces the file events editors make into one change, and tells open browser
// tabs to reload (or to show the build error) over a server-sent event stream.
// It does not build anything itself; cmd/cohort wires it to a site.Builder.
package live

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Coalescing windows. Editors save in bursts (write a temp file, rename it over
// the old one, touch a backup) that take well under a millisecond apart; a git
// checkout writes hundreds of files within a few tens of milliseconds. A change is
// sent once no event came for Quiet, or at the latest after MaxWait. Quiet is
// part of every save's wait for its reload: 5 ms is still several times an
// editor's burst, and a checkout split in two builds is only built twice, the
// second time with the rest of its files.
const (
	DefaultQuiet   = 5 * time.Millisecond
	DefaultMaxWait = 500 * time.Millisecond
)

// Change is one coalesced batch of file events: the paths that were created,
// written, removed or renamed, relative to the watched root, slash-separated and sorted.
type Change struct {
	// Paths is "." alone or among others when events were lost (the kernel's queue
	// overflowed): anything may have changed.
	Paths []string
	// First is when the first event of the batch arrived.
	First time.Time
	// Threads names lessons whose discussion changed (a reply arrived, was edited
	// or deleted): a change that comes from the companion, not from a file.
	Threads []string
	// Reason says why a change that no file made happened, for the report line.
	Reason string
}

// Watcher watches a folder tree, including folders created after it started.
type Watcher struct {
	Root    string
	Quiet   time.Duration
	MaxWait time.Duration
	// Ignore tells whether a path (relative to Root, slash-separated) is not
	// part of the course: output, cache, version control.
	Ignore func(rel string) bool
	Logger *slog.Logger

	w *fsnotify.Watcher
}

// NewWatcher starts watching root recursively. Close it when done.
func NewWatcher(root string, ignore func(rel string) bool, logger *slog.Logger) (*Watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if ignore == nil {
		ignore = func(string) bool { return false }
	}
	w := &Watcher{Root: root, Quiet: DefaultQuiet, MaxWait: DefaultMaxWait, Ignore: ignore, Logger: logger, w: fw}
	if _, err := w.addTree(root); err != nil {
		fw.Close()
		return nil, err
	}
	return w, nil
}

// Close stops watching.
func (w *Watcher) Close() error { return w.w.Close() }

// addTree watches dir and every folder below it that is not ignored, and returns
// the files already in them (a folder created with files in it, by a checkout or
// a move, gets no events for those files).
func (w *Watcher) addTree(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // gone again already
			}
			return err
		}
		rel := w.rel(p)
		if rel != "." && w.Ignore(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return w.w.Add(p)
		}
		files = append(files, rel)
		return nil
	})
	return files, err
}

func (w *Watcher) rel(p string) string {
	rel, err := filepath.Rel(w.Root, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// Run sends coalesced changes to out until ctx is done or the watcher fails.
func (w *Watcher) Run(ctx context.Context, out chan<- Change) error {
	pending := map[string]bool{}
	created := map[string]bool{} // first seen being made within this batch
	var first time.Time
	var quiet, deadline <-chan time.Time
	touch := func(rel string) { // rel changed: add it to the batch, starting one if needed
		if len(pending) == 0 {
			first = time.Now()
			deadline = time.After(w.MaxWait)
		}
		pending[rel] = true
		quiet = time.After(w.Quiet)
	}
	handle := func(ev fsnotify.Event) (counted bool) {
		rel := w.rel(ev.Name)
		if w.Ignore(rel) || isEditorTemp(rel) || ev.Op == fsnotify.Chmod {
			return false // not the course, or permissions and touch -a: nothing to rebuild
		}
		if ev.Has(fsnotify.Create) && !pending[rel] {
			created[rel] = true
		}
		touch(rel)
		if ev.Has(fsnotify.Create) {
			if info, err := os.Stat(ev.Name); err == nil && info.IsDir() {
				files, err := w.addTree(ev.Name)
				if err != nil {
					w.Logger.Warn("watch new folder", "path", rel, "err", err)
				}
				for _, f := range files {
					touch(f)
				}
			}
		}
		return true
	}
	flush := func() {
		quiet, deadline = nil, nil
		if len(pending) == 0 {
			return
		}
		c := Change{First: first}
		for p := range pending {
			if created[p] {
				if _, err := os.Stat(filepath.Join(w.Root, filepath.FromSlash(p))); err != nil {
					continue // made and gone again within the batch: a scratch file
				}
			}
			c.Paths = append(c.Paths, p)
		}
		slices.Sort(c.Paths)
		clear(pending)
		clear(created)
		if len(c.Paths) == 0 {
			return
		}
		select {
		case out <- c:
		case <-ctx.Done():
		}
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err, ok := <-w.w.Errors:
			if !ok {
				return nil
			}
			w.Logger.Warn("watch error", "err", err)
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				touch(".") // events were lost: anything may have changed
			}
		case ev, ok := <-w.w.Events:
			if !ok {
				return nil
			}
			handle(ev)
		case <-quiet:
			// An event that was already waiting (this goroutine was not scheduled
			// for a while) belongs to the batch: the burst is not over.
			select {
			case ev, ok := <-w.w.Events:
				if ok && handle(ev) {
					continue
				}
			default:
			}
			flush()
		case <-deadline:
			flush()
		}
	}
}

// isEditorTemp recognises the scratch files editors write while saving.
func isEditorTemp(rel string) bool {
	base := filepath.Base(rel)
	switch {
	case strings.HasSuffix(base, "~"), strings.HasSuffix(base, ".swp"), strings.HasSuffix(base, ".swx"),
		strings.HasPrefix(base, ".#"), strings.HasPrefix(base, "#") && strings.HasSuffix(base, "#"),
		base == "4913", strings.HasSuffix(base, ".tmp"), strings.Contains(base, ".sb-"):
		return true
	}
	return false
}
