package site

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
	// empty says the output folder did not exist when the build started: there
	// is nothing to compare a file with (a cold build's ten thousand failed opens).
	empty bool
	// next holds each file this build makes, with its hash; fresh counts
	// those prev does not have, so that commit knows without a pass over
	// either whether any file of prev is no longer made.
	next  map[string]string
	fresh int
	// maybeGone names files of prev that this build may no longer make, as
	// those who make them know (the search index's chunks): when they
	// account for every file gone, commit looks no further.
	maybeGone []string
	// changed lists the files of next whose hash is not prev's (new ones too),
	// and gone, once commit has run, those of prev that next lacks: with
	// them, the cache saves how next differs from prev without comparing the
	// two whole (state.delta).
	changed, gone []string
	goneKnown     bool
	// staged lists the files written to the staging folder, to be moved in.
	staged []string
	// written lists the output paths whose bytes changed, in commit order.
	written []string
	// dirs remembers the staging folders already made, to save a system call per file.
	dirs sync.Map
	// inherited says next began as a copy of prev (inherit): the files of
	// the pages carried over are in it without being looked up one by one,
	// counted in carried; claimed holds the files this build made or kept
	// otherwise, which are the only ones in next to say so.
	inherited bool
	claimed   map[string]bool
	carried   int
	// carriedFiles lists the files counted in carried, for the rare commit
	// that must find which of prev's files are gone among all of them.
	carriedFiles func() []string
	// rename moves a file or folder; nil means os.Rename. Tests set it to make a
	// commit fail midway.
	rename func(from, to string) error
}

// newOutput prepares the output of a build into dir; prev is the last
// build's record of its files, nil when unknown. next starts small: the
// build sizes it (sized) or copies prev into it (inherit) once it knows
// which, each a map of ten thousand entries made once.
func newOutput(dir string, prev map[string]string) *output {
	_, err := os.Stat(dir)
	return &output{dir: dir, prev: prev, next: map[string]string{}, empty: errors.Is(err, fs.ErrNotExist)}
}

// sized makes next as large as prev, for a build that records most of
// prev's files again: growing a map of ten thousand entries, rehashing as it
// goes, was much of a one-edit build's time.
func (o *output) sized() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.inherited || len(o.prev) <= len(o.next) {
		return
	}
	next := make(map[string]string, len(o.prev))
	maps.Copy(next, o.next)
	o.next = next
}

func hashBytes(data []byte) string {
	return digest(data) // digest.go
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
	if !known && !o.empty {
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
	if o.inherited {
		if o.claimed[rel] {
			return "", false, fmt.Errorf("output %s: written twice in one build (a static file and a page?)", rel)
		}
		o.claimed[rel] = true
	} else if _, dup := o.next[rel]; dup {
		return "", false, fmt.Errorf("output %s: written twice in one build (a static file and a page?)", rel)
	}
	o.next[rel] = h
	prev, known = o.prev[rel]
	if !known {
		o.fresh++
	}
	if !known || prev != h {
		o.changed = append(o.changed, rel)
	}
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
	if o.inherited {
		o.claimed[rel] = true
	}
	return true
}

// inherit makes next a copy of prev, for a build that carries most pages
// over as the last build left them: their files need not be looked up and
// recorded one by one (ten thousand cache misses each way in a new process),
// only counted (carry). What is made or kept otherwise is claimed as
// before; commit removes from next the files of prev that no one claimed
// and no carried page makes. carried lists the carried pages' files, for the
// commit that must find those gone among all of prev's.
func (o *output) inherit(carried func() []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.inherited || o.prev == nil {
		return
	}
	made := o.next
	o.next = maps.Clone(o.prev)
	o.claimed = make(map[string]bool, len(made))
	for rel, h := range made { // made before: already claimed
		o.next[rel] = h
		o.claimed[rel] = true
	}
	o.inherited, o.carriedFiles = true, carried
}

// carry counts n files of prev as made by pages carried over, which inherit
// put in next; a negative n takes them back (a carried page rendered after
// all). Safe for concurrent use.
func (o *output) carry(n int) {
	o.mu.Lock()
	o.carried += n
	o.mu.Unlock()
}

// had tells whether the last build's record has rel. It only reads that
// record, which nothing writes during a build: safe for concurrent use.
func (o *output) had(rel string) bool {
	_, ok := o.prev[rel]
	return ok
}

// readBack returns the n bytes at offset at of the file rel as the last
// commit left it in the output folder (this build's changes are still staged
// beside it), when they digest to hash; ok is false when the file is gone,
// shorter, or holds other bytes there.
func (o *output) readBack(rel string, at, n int64, hash string) (b []byte, ok bool) {
	if at < 0 || n < 0 {
		return nil, false
	}
	if n == 0 {
		return nil, hashBytes(nil) == hash
	}
	f, err := os.Open(filepath.Join(o.dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	// The file's size bounds what is allocated: a damaged record's length
	// could be anything.
	if st, err := f.Stat(); err != nil || at > st.Size()-n {
		return nil, false
	}
	b = make([]byte, n)
	if _, err := f.ReadAt(b, at); err != nil {
		return nil, false
	}
	return b, hashBytes(b) == hash
}

// mayBeGone tells that the files rel, made by the last build, may not be
// made by this one. Safe for concurrent use.
func (o *output) mayBeGone(rel ...string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.maybeGone = append(o.maybeGone, rel...)
}

// keeper is keep for many files from one goroutine: each is looked up in the
// last build's record without the lock (nothing writes that record during a
// build), and the kept ones are taken into next under it once, by flush.
// Carrying ten thousand unchanged pages over on one core, each taking the
// lock, was a fifth of serve's one-edit rebuild at 10,000 lessons.
type keeper struct {
	o       *output
	rel, hs []string
}

func (o *output) keeper() *keeper { return &keeper{o: o} }

// keep is output.keep, taking effect at flush.
func (k *keeper) keep(rel string) bool {
	h, ok := k.o.prev[rel]
	if ok {
		k.rel, k.hs = append(k.rel, rel), append(k.hs, h)
	}
	return ok
}

// flush records the kept files in the output.
func (k *keeper) flush() {
	o := k.o
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, rel := range k.rel {
		o.next[rel] = k.hs[i]
		if o.inherited {
			o.claimed[rel] = true
		}
	}
	k.rel, k.hs = k.rel[:0], k.hs[:0]
}

// copyFile records rel as a copy of name in fsys, compared by the hash of its
// content: a file edited within the file system's clock tick, or copied with its
// old time kept (cp -p, rsync -t, an archive), has the same size and time but
// not the same bytes. Unchanged files are not copied again.
func (o *output) copyFile(rel string, fsys fs.FS, name string) error {
	h, err := hashFile(fsys, name)
	if err != nil {
		return fmt.Errorf("output %s: %w", rel, err)
	}
	prev, known, err := o.record(rel, h)
	if err != nil {
		return err
	}
	target := filepath.Join(o.dir, filepath.FromSlash(rel))
	if known && prev == h {
		if _, err := os.Stat(target); err == nil {
			return nil
		}
	} else if !known && !o.empty {
		if old, err := hashFile(os.DirFS(o.dir), rel); err == nil && old == h { // no record: what is there?
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

// hashFile is hashBytes of a file's content, read in pieces.
func hashFile(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
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
		spreadFolders(stage) // spread_linux.go
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
//
// It either does all of that or, when a step fails midway, undoes the steps
// already taken, so the folder is never a mix of two builds. Every change is a
// rename, and each is logged: a file being replaced, or removed, is first moved
// to an undo folder beside the output folder, from where a rollback moves it
// back. Swapping two whole folders would need the unchanged files in the new one
// too, a cost per file of the site on every build; the log costs per change.
func (o *output) commit() (removed int, err error) {
	defer o.abort()
	slices.Sort(o.staged)
	// A first build: the staging folder becomes the output folder in one rename.
	if _, err := os.Stat(o.dir); errors.Is(err, fs.ErrNotExist) && o.stage != "" {
		if err := o.renameFile(o.stage, o.dir); err != nil {
			return 0, fmt.Errorf("output: %w", err)
		}
		o.stage = ""
		o.written = o.staged
		return 0, nil
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return 0, fmt.Errorf("output: %w", err)
	}
	stale := o.stale()
	if o.inherited {
		for _, rel := range stale {
			delete(o.next, rel) // copied from prev, and made by no one
		}
	}
	o.gone, o.goneKnown = stale, o.prev != nil
	if len(o.staged) == 0 && len(stale) == 0 {
		return 0, nil
	}
	u, err := o.newUndo()
	if err != nil {
		return 0, fmt.Errorf("output: %w", err)
	}
	if err := o.apply(u, stale); err != nil {
		if rerr := u.rollback(); rerr != nil {
			return 0, fmt.Errorf("%w; and undoing the commit failed, %s holds the files moved away: %w", err, u.dir, rerr)
		}
		os.RemoveAll(u.dir)
		return 0, err
	}
	os.RemoveAll(u.dir)
	for _, rel := range stale {
		removeEmptyParents(o.dir, filepath.Dir(filepath.Join(o.dir, filepath.FromSlash(rel))))
	}
	o.written = o.staged
	return len(stale), nil
}

// apply moves the staged files in and the stale files out, logging each step in u.
func (o *output) apply(u *undo, stale []string) error {
	made := map[string]bool{}
	for _, rel := range o.staged {
		target := filepath.Join(o.dir, filepath.FromSlash(rel))
		if dir := filepath.Dir(target); !made[dir] {
			if err := u.mkdirs(dir); err != nil {
				return fmt.Errorf("output %s: %w", rel, err)
			}
			made[dir] = true
		}
		if err := u.moveAway(target); err != nil {
			return fmt.Errorf("output %s: %w", rel, err)
		}
		if err := o.renameFile(filepath.Join(o.stage, filepath.FromSlash(rel)), target); err != nil {
			return fmt.Errorf("output %s: %w", rel, err)
		}
		u.log = append(u.log, undoStep{placed: target})
	}
	for _, rel := range stale {
		if err := u.moveAway(filepath.Join(o.dir, filepath.FromSlash(rel))); err != nil {
			return fmt.Errorf("output: remove %s: %w", rel, err)
		}
	}
	return nil
}

// stale lists what the previous build made and this one did not, sorted. Without
// a record of the previous build, anything in the folder this build did not make.
func (o *output) stale() []string {
	var stale []string
	// made tells whether this build makes rel: it is in next, or, when next
	// was inherited, claimed or made by a carried page.
	made := func(rel string) bool {
		_, ok := o.next[rel]
		return ok
	}
	if o.inherited {
		var carried map[string]bool // made only when some file is gone (below)
		made = func(rel string) bool {
			if o.claimed[rel] {
				return true
			}
			if !strings.HasSuffix(rel, "index.html") && !strings.HasSuffix(rel, "math.css") {
				return false // not a page's: no carried page makes it
			}
			if carried == nil {
				carried = map[string]bool{}
				for _, f := range o.carriedFiles() {
					carried[f] = true
				}
			}
			return carried[rel]
		}
	}
	if o.prev != nil {
		// Of prev's files, len(o.next)-o.fresh are in next (keep adds only
		// those), or, next inherited, the carried ones and the claimed ones
		// but the fresh: the others are gone. When they are none, or all
		// among maybeGone, there is no need to look for them among all of prev.
		gone := len(o.prev) - (len(o.next) - o.fresh)
		if o.inherited {
			gone = len(o.prev) - o.carried - (len(o.claimed) - o.fresh)
		}
		if gone == 0 {
			return nil
		}
		seen := make(map[string]bool, len(o.maybeGone))
		for _, rel := range o.maybeGone {
			_, had := o.prev[rel]
			if had && !seen[rel] && !made(rel) {
				seen[rel] = true
				stale = append(stale, rel)
			}
		}
		if len(stale) == gone {
			slices.Sort(stale)
			return stale
		}
		stale = stale[:0]
	}
	if o.prev != nil {
		for rel := range o.prev {
			if !made(rel) {
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
	return stale
}

func (o *output) renameFile(from, to string) error {
	if o.rename != nil {
		return o.rename(from, to)
	}
	return os.Rename(from, to)
}

// interrupted tells whether a commit into dir was cut short (the process died
// between its first rename and its last, leaving its undo folder): the folder
// may then hold files of two builds, and no record of the last build can be
// trusted for it. It removes what the cut-short build left beside dir.
func interrupted(dir string) bool {
	parent, base := filepath.Split(filepath.Clean(dir))
	if parent == "" {
		parent = "."
	}
	undos, _ := filepath.Glob(filepath.Join(parent, "."+base+".undo-*"))
	stages, _ := filepath.Glob(filepath.Join(parent, "."+base+".staging-*"))
	for _, d := range append(undos, stages...) {
		os.RemoveAll(d)
	}
	return len(undos) > 0
}

// undo is the log of one commit: what it put in place, what it moved away (to
// dir, beside the output folder), and the folders it made, in order.
type undo struct {
	o   *output
	dir string
	log []undoStep
	n   int // files moved away so far, to name them in dir
}

// undoStep is one logged step: exactly one field is set.
type undoStep struct {
	placed string // a staged file moved to this path
	from   string // an existing file moved away from this path ...
	to     string // ... to this one in the undo folder
	made   string // a folder made
}

func (o *output) newUndo() (*undo, error) {
	parent, base := filepath.Split(filepath.Clean(o.dir))
	if parent == "" {
		parent = "."
	}
	dir, err := os.MkdirTemp(parent, "."+base+".undo-")
	if err != nil {
		return nil, err
	}
	return &undo{o: o, dir: dir}, nil
}

// moveAway moves the file at p, if there is one, to the undo folder.
func (u *undo) moveAway(p string) error {
	info, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if info.IsDir() {
		return fmt.Errorf("a folder stands where the file %s goes", p)
	}
	u.n++
	to := filepath.Join(u.dir, strconv.Itoa(u.n))
	if err := u.o.renameFile(p, to); err != nil {
		return err
	}
	u.log = append(u.log, undoStep{from: p, to: to})
	return nil
}

// mkdirs makes dir and its missing parents, logging each, and moves away a
// file that stands where a folder must go (an old page.html where page/ now belongs).
func (u *undo) mkdirs(dir string) error {
	info, err := os.Stat(dir)
	if err == nil && info.IsDir() {
		return nil
	}
	if err == nil { // a file: it goes, and the folder takes its place
		if err := u.moveAway(dir); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return err
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := u.mkdirs(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	u.log = append(u.log, undoStep{made: dir})
	return nil
}

// rollback undoes the logged steps, last first: the output folder is again as
// the commit found it, files, contents and modification times.
func (u *undo) rollback() error {
	var errs []error
	for i := len(u.log) - 1; i >= 0; i-- {
		s := u.log[i]
		switch {
		case s.placed != "":
			if err := os.Remove(s.placed); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		case s.from != "":
			if err := os.Rename(s.to, s.from); err != nil {
				errs = append(errs, err)
			}
		case s.made != "":
			if err := os.Remove(s.made); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
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
