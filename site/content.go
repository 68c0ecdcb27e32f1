package site

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"
)

// ContentDir is the folder of Markdown under the course root.
const ContentDir = "content"

// source is one file found under content/.
type source struct {
	path  string // relative to content/, forward slashes
	size  int64
	mtime time.Time
	ctime int64 // changeStamp: set again by any write, whatever the tool does to mtime
}

// tree is what a walk of content/ finds: Markdown files and other files to copy.
type tree struct {
	markdown []source // in path order, as assets: looked up by path (tree.source)
	assets   []source
	// dirs records each folder as the walk found it, by path under content/
	// ("." for content/ itself), for the next walk.
	dirs map[string]*dirRecord
}

// dirRecord is a folder of content/ as a walk listed it. The next walk lists it
// again only when its time changed: adding, removing or renaming an entry sets
// a folder's time, and nothing else it records can change without that. A file
// rewritten in place does not touch its folder, so the files of a folder not
// listed again are still looked at one by one (a stat each, no listing).
type dirRecord struct {
	Mtime, Change int64 // the folder's modification and change times when listed (ns)
	Listed        int64 // when it was listed, by the builder's clock (ns)
	Files, Dirs   []string
	// Links says the folder holds a symbolic link: where it leads can change
	// without the folder changing, so such a folder is always listed again.
	Links bool
}

// racyWindow is how long after a folder's last change its listing is not
// trusted: a file made in the same tick of the file system's clock as the
// listing leaves the folder's time as it was (git's "racy git" problem,
// git/git Documentation/technical/racy-git.txt). Two seconds covers the
// coarsest clocks (FAT) and a little skew between a network file system and us.
const racyWindow = 2 * time.Second

// trusted tells whether a folder's listing from the last walk still holds: its
// times are as recorded, and were already old when it was listed.
func (d *dirRecord) trusted(info fs.FileInfo) bool {
	return d != nil && !d.Links && d.Mtime == info.ModTime().UnixNano() && d.Change == changeStamp(info) &&
		d.Mtime < d.Listed-int64(racyWindow)
}

// walkContent lists content/ in lexical order. Markdown deeper than a module folder is
// an error, because a lesson's URL is /<module>/<lesson>/. prev is the last walk's
// folders, whose listings are reused where the folder's time did not change; nil
// lists every folder (always so for a file system that is not the OS's, whose
// folder times need not change with their entries: fstest.MapFS). root, when
// not empty, is the folder fsys reads on the OS's file system (os.DirFS(root)):
// the files of a trusted folder are then looked at by name within it
// (statNames), not through fsys.
func walkContent(fsys fs.FS, root string, prev map[string]*dirRecord) (*tree, error) {
	if err := checkLink(fsys, ContentDir); err != nil { // symlink.go
		return nil, err
	}
	top := &walker{fsys: fsys, root: root, prev: prev, dirs: map[string]*dirRecord{}}
	modules, err := top.folder(".", false)
	var authorErr *Error
	if errors.As(err, &authorErr) {
		return nil, err
	} else if errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{File: ContentDir, Err: errors.New("no content folder: a course keeps its Markdown in content/")}
	} else if err != nil {
		return nil, &Error{File: ContentDir, Err: err}
	}
	// Each module folder is walked on its own core: a stat per file adds up to
	// tens of milliseconds on a 10,000-lesson course. Each walker appends its
	// Markdown files to its own part of one list, as long as the last walk's
	// number of them: when every folder has as many as then, the parts make
	// the whole list as they are, not copied into a new one.
	parts := make([]*walker, len(modules))
	errs := make([]error, len(modules))
	expect := make([]int, len(modules))
	total := len(top.t.markdown)
	for i, m := range modules {
		if rec := prev[m]; rec != nil {
			for _, name := range rec.Files {
				if strings.HasSuffix(name, ".md") {
					expect[i]++
				}
			}
		}
		total += expect[i]
	}
	all := make([]source, total)
	at := make([]int, len(modules)) // where each part starts in all
	next := copy(all, top.t.markdown)
	for i := range parts {
		parts[i] = &walker{fsys: fsys, root: root, prev: prev, dirs: map[string]*dirRecord{}}
		at[i] = next
		parts[i].t.markdown = all[next : next : next+expect[i]] // capped: a walker finding more appends elsewhere
		next += expect[i]
	}
	perr := parallel(context.Background(), len(modules), func(i int) error {
		errs[i] = parts[i].walk(modules[i])
		return nil
	})
	if err := errors.Join(append(errs, perr)...); err != nil {
		return nil, err
	}
	t := &top.t
	// The lists and maps are sized once: grown through ten thousand entries,
	// they were a tenth of what a fresh one-edit build allocates.
	inPlace := true
	nm, na := len(t.markdown), len(t.assets)
	for i, p := range parts {
		nm, na = nm+len(p.t.markdown), na+len(p.t.assets)
		inPlace = inPlace && len(p.t.markdown) == expect[i] && (expect[i] == 0 || &p.t.markdown[0] == &all[at[i]])
	}
	t.assets = slices.Grow(t.assets, na-len(t.assets))
	if inPlace { // each part filled its place in all, none grew out of it
		t.markdown = all
	} else {
		t.markdown = slices.Grow(t.markdown, nm-len(t.markdown))
		for _, p := range parts {
			t.markdown = append(t.markdown, p.t.markdown...)
		}
	}
	t.dirs = top.dirs
	for _, p := range parts {
		t.assets = append(t.assets, p.t.assets...)
		maps.Copy(t.dirs, p.dirs)
	}
	// Sorted by path, not in walk order, so that update and source can search
	// them (mostly sorted already: a folder's files come before its
	// sub-folders'). A map by path, made and filled anew by every walk, was
	// a megabyte of fresh memory at 10,000 lessons, and serve cloned it on
	// every rebuild.
	byPathOrder := func(a, b source) int { return strings.Compare(a.path, b.path) }
	if !slices.IsSortedFunc(t.markdown, byPathOrder) {
		slices.SortFunc(t.markdown, byPathOrder)
	}
	if !slices.IsSortedFunc(t.assets, byPathOrder) {
		slices.SortFunc(t.assets, byPathOrder)
	}
	return t, nil
}

// source returns the Markdown file at path and its index in t.markdown.
func (t *tree) source(path string) (s source, i int, ok bool) {
	i, ok = slices.BinarySearchFunc(t.markdown, path, func(s source, p string) int { return strings.Compare(s.path, p) })
	if !ok {
		return source{}, i, false
	}
	return t.markdown[i], i, true
}

// walker walks part of content/, gathering files into t and folders into dirs.
type walker struct {
	fsys fs.FS
	root string // the course folder fsys reads, on the OS's file system; "" if not one
	prev map[string]*dirRecord
	t    tree
	dirs map[string]*dirRecord
}

// walk takes in a folder (path under content/) and everything below it.
func (w *walker) walk(dir string) error {
	subs, err := w.folder(dir, true)
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if err := w.walk(sub); err != nil {
			return err
		}
	}
	return nil
}

// folder takes in the files of one folder and returns its sub-folders' paths.
// The folder is listed when its record from the last walk does not hold; else
// only its files are looked at. With errFolder unset, an error about the folder
// itself comes back bare (content/ missing is said by the caller).
func (w *walker) folder(dir string, errFolder bool) ([]string, error) {
	full := path.Join(ContentDir, dir)
	info, err := fs.Stat(w.fsys, full)
	if err != nil {
		if !errFolder {
			return nil, err
		}
		return nil, &Error{File: full, Err: err}
	}
	if rec := w.prev[dir]; rec.trusted(info) {
		if subs, ok := w.known(dir, rec); ok {
			return subs, nil
		}
	}
	return w.list(dir, info)
}

// known takes in a folder's files as its last listing names them, and returns
// false, having taken in nothing, when one of them is not a plain file any more
// (gone, or replaced by a link or a folder, all without the folder's time
// moving: only within racyWindow, or by a clock set back).
func (w *walker) known(dir string, rec *dirRecord) ([]string, bool) {
	if w.root == "" || !w.knownByName(dir, rec) {
		nm, na := len(w.t.markdown), len(w.t.assets)
		for _, name := range rec.Files {
			p := joinRel(dir, name)
			info, err := fs.Lstat(w.fsys, path.Join(ContentDir, p))
			if err != nil || !info.Mode().IsRegular() {
				w.t.markdown, w.t.assets = w.t.markdown[:nm], w.t.assets[:na]
				return nil, false
			}
			w.add(p, stampOf(info))
		}
	}
	w.dirs[dir] = rec
	subs := make([]string, len(rec.Dirs))
	for i, name := range rec.Dirs {
		subs[i] = joinRel(dir, name)
	}
	return subs, true
}

// knownByName is known's loop over a folder's files, each looked at by name
// within the folder (statNames). It returns false, having taken in nothing,
// when that cannot be done here or a file is not a plain file any more: known
// then looks again through fsys, which tells the two apart.
func (w *walker) knownByName(dir string, rec *dirRecord) bool {
	nm, na := len(w.t.markdown), len(w.t.assets)
	regular := true
	err := statNames(filepath.Join(w.root, ContentDir, filepath.FromSlash(dir)), rec.Files, func(i int, st fileStamp) bool {
		if regular = st.regular; regular {
			w.add(joinRel(dir, rec.Files[i]), st)
		}
		return regular
	})
	if err != nil || !regular {
		w.t.markdown, w.t.assets = w.t.markdown[:nm], w.t.assets[:na] // taken in again by known
		return false
	}
	return true
}

// fileStamp is what a walk keeps of a file's metadata.
type fileStamp struct {
	size    int64
	mtime   time.Time
	ctime   int64 // changeStamp
	regular bool
}

// stampOf takes a file's stamp from what fs.Stat or a listing gave.
func stampOf(info fs.FileInfo) fileStamp {
	return fileStamp{size: info.Size(), mtime: info.ModTime(), ctime: changeStamp(info), regular: info.Mode().IsRegular()}
}

// errNoStatNames says statNames is not available on this system.
var errNoStatNames = errors.New("looking at files by name within a folder is not wired up here")

// list reads a folder's entries and takes in its files.
func (w *walker) list(dir string, info fs.FileInfo) ([]string, error) {
	listed := time.Now().UnixNano() // before reading: an entry made during the read is not missed
	full := path.Join(ContentDir, dir)
	entries, err := fs.ReadDir(w.fsys, full)
	if err != nil {
		return nil, &Error{File: full, Err: err}
	}
	rec := &dirRecord{Mtime: info.ModTime().UnixNano(), Change: changeStamp(info), Listed: listed}
	var subs []string
	for _, d := range entries {
		name := d.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
			continue // editor and system files: .DS_Store, .#swap, backup~
		}
		p := joinRel(dir, name)
		if d.IsDir() {
			rec.Dirs = append(rec.Dirs, name)
			subs = append(subs, p)
			continue
		}
		info, err := d.Info()
		if err == nil && d.Type()&fs.ModeSymlink != 0 {
			rec.Links = true
			if err := checkLink(w.fsys, path.Join(ContentDir, p)); err != nil {
				return nil, err
			}
			info, err = fs.Stat(w.fsys, path.Join(ContentDir, p)) // the file it links to: its size and time
			if err == nil && info.IsDir() {
				return nil, &Error{File: path.Join(ContentDir, p), Err: errLinkedFolder}
			}
		}
		if err != nil {
			return nil, &Error{File: path.Join(ContentDir, p), Err: err}
		}
		if strings.HasSuffix(name, ".md") && strings.Count(p, "/") > 1 {
			return nil, &Error{File: path.Join(ContentDir, p),
				Err: errors.New("lessons live directly in a module folder (content/<module>/<lesson>.md)")}
		}
		rec.Files = append(rec.Files, name)
		w.add(p, stampOf(info))
	}
	w.dirs[dir] = rec
	return subs, nil
}

// add takes in one file found by a walk.
func (w *walker) add(p string, st fileStamp) {
	s := source{path: p, size: st.size, mtime: st.mtime, ctime: st.ctime}
	if strings.HasSuffix(p, ".md") {
		w.t.markdown = append(w.t.markdown, s)
	} else {
		w.t.assets = append(w.t.assets, s)
	}
}

// joinRel joins a folder under content/ ("." for content/ itself) and a name.
func joinRel(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

// clone copies the tree's lists, so that an update leaves the original as it was.
func (t *tree) clone() *tree {
	c := &tree{markdown: slices.Clone(t.markdown), assets: slices.Clone(t.assets), dirs: t.dirs}
	return c
}

// update looks at one path under content/ again. It returns false when the path
// is a folder, or one is gone, which only a new walk can get right.
func (t *tree) update(fsys fs.FS, rel string) bool {
	if isHidden(rel) {
		return true
	}
	if li, err := fs.Lstat(fsys, path.Join(ContentDir, rel)); err == nil && li.Mode()&fs.ModeSymlink != 0 {
		return false // a walk checks where the link leads
	}
	info, err := fs.Stat(fsys, path.Join(ContentDir, rel))
	list := &t.assets
	if strings.HasSuffix(rel, ".md") {
		list = &t.markdown
	}
	i, found := slices.BinarySearchFunc(*list, rel, func(s source, p string) int { return strings.Compare(s.path, p) })
	switch {
	case err != nil && !found:
		// Neither there nor known: a file made and gone again is nothing; a folder
		// that went, with files in it, needs a walk.
		return errors.Is(err, fs.ErrNotExist) && !t.knownPrefix(rel+"/")
	case err != nil:
		*list = slices.Delete(*list, i, i+1)
	case info.IsDir():
		return false
	case strings.HasSuffix(rel, ".md") && strings.Count(rel, "/") > 1:
		return false // the walk reports where lessons may not live
	default:
		s := source{path: rel, size: info.Size(), mtime: info.ModTime(), ctime: changeStamp(info)}
		if found {
			(*list)[i] = s
		} else {
			*list = slices.Insert(*list, i, s)
		}
	}
	return true
}

// knownPrefix tells whether any known file lies under prefix.
func (t *tree) knownPrefix(prefix string) bool {
	for _, l := range [][]source{t.markdown, t.assets} {
		i, _ := slices.BinarySearchFunc(l, prefix, func(s source, p string) int { return strings.Compare(s.path, p) })
		if i < len(l) && strings.HasPrefix(l[i].path, prefix) {
			return true
		}
	}
	return false
}

// isHidden tells the files a walk skips: dot files and editors' backups.
func isHidden(rel string) bool {
	for part := range strings.SplitSeq(rel, "/") {
		if strings.HasPrefix(part, ".") || strings.HasSuffix(part, "~") {
			return true
		}
	}
	return false
}

// reuseChunk is how many files one goroutine takes from the cache at a time.
const reuseChunk = 512

// readPages reads and parses the front matter of every Markdown file, in parallel.
// Pages come back in the order of files: kept without the drafts unless drafts
// is set, all with them, one for each file. reuse, when set, is given the
// files from lo to hi (a chunk, in order) and sets pages[i] for each it can
// take from the last build; the others are read.
func readPages(ctx context.Context, fsys fs.FS, files []source, drafts bool, reuse func(lo, hi int, pages []*Page)) (kept, all []*Page, err error) {
	pages := make([]*Page, len(files))
	// Unchanged files come from the cache, on all cores, a chunk of files at a
	// time: a goroutine hand-off per file cost more than the copy it made. In
	// a chunk, the files are matched with the cache's records in one pass
	// (state.reuser), both being in path order.
	if reuse != nil {
		if err := parallelChunks(ctx, len(files), reuseChunk, func(lo, hi int) error {
			reuse(lo, hi, pages)
			return nil
		}); err != nil {
			return nil, nil, err
		}
	}
	var misses []int
	for i, p := range pages {
		if p == nil {
			misses = append(misses, i)
		}
	}
	letGo := len(misses) >= letGoReads
	err = parallel(ctx, len(misses), func(j int) error {
		i := misses[j]
		var err error
		if pages[i], err = readPage(fsys, files[i].path); err == nil && letGo && pages[i].bodyAt >= 0 {
			pages[i].src, pages[i].letGo = nil, true
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if drafts || !slices.ContainsFunc(pages, func(p *Page) bool { return p.Draft }) {
		return pages, pages, nil
	}
	kept = make([]*Page, 0, len(pages))
	for _, p := range pages {
		if !p.Draft {
			kept = append(kept, p)
		}
	}
	return kept, pages, nil
}

// letGoReads is how many sources a build reads before it lets their bodies go
// until each renders (Page.letGo). All of a cold build's Markdown stayed in
// memory from reading to rendering, 92 MB at 10,000 lessons: not work for the
// collector, but room it did not have under the build's memory limit, so it
// ran more often. Reading a body again from the page cache costs little; a
// build of a few edited pages keeps them.
var letGoReads = 256 // a variable for tests

// bodyAgain reads p's body again for rendering, after readPages let it go.
// When the file changed since (its hash differs), the body is the new one, as a
// page from the cache that must render takes it (renderPage).
func bodyAgain(fsys fs.FS, p *Page) error {
	data, err := readSource(fsys, p.File)
	if err != nil {
		return &Error{File: path.Join(ContentDir, p.File), Err: err}
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) == p.Hash && p.bodyAt <= len(data) {
		p.src, p.letGo = data[p.bodyAt:], false
		return nil
	}
	fresh, err := readPage(fsys, p.File)
	if err != nil {
		return err
	}
	p.src, p.bodyLine, p.bodyAt, p.Params, p.letGo = fresh.src, fresh.bodyLine, fresh.bodyAt, fresh.Params, false
	return nil
}

// readSource reads a content file by its path under content/.
func readSource(fsys fs.FS, rel string) ([]byte, error) {
	return fs.ReadFile(fsys, path.Join(ContentDir, rel))
}

// readPage reads one Markdown file into a Page with its front matter applied.
func readPage(fsys fs.FS, rel string) (*Page, error) {
	file := path.Join(ContentDir, rel)
	data, err := readSource(fsys, rel)
	if err != nil {
		return nil, &Error{File: file, Err: err}
	}
	fm, body, bodyLine, err := ParseFrontMatter(file, data)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	p := &Page{
		File:       rel,
		Kind:       kindOf(rel),
		ID:         fm.ID,
		Title:      fm.Title,
		Summary:    fm.Summary,
		Date:       fm.Date,
		Weight:     fm.Weight,
		Draft:      fm.Draft,
		Tags:       fm.Tags,
		Objectives: fm.Objectives,
		Discussion: fm.Discussion,
		Assignment: fm.Assignment,
		Feedback:   fm.Feedback,
		Video:      fm.Video,
		Opens:      fm.Opens,
		Aliases:    fm.Aliases,
		OnlyCohort: fm.Cohort,
		Quotes:     fm.Quotes,
		Params:     fm.Params,
		Hash:       hex.EncodeToString(sum[:]),
		Words:      countWords(body),
		src:        body,
		bodyLine:   bodyLine,
		bodyAt:     -1,
	}
	if at := len(data) - len(body); at >= 0 && string(data[at:]) == string(body) {
		p.bodyAt = at
	}
	if fm.Duration != "" {
		d, err := parseDuration(fm.Duration)
		if err != nil {
			return nil, &Error{File: file, Line: fieldLine(data, "duration"), Err: fmt.Errorf("duration: %w", err)}
		}
		p.Duration = d
	}
	if p.ID == "" {
		p.ID = deriveID(rel)
	} else if !idPattern().MatchString(p.ID) {
		return nil, &Error{File: file, Line: fieldLine(data, "id"),
			Err: fmt.Errorf("id: %q must be lower-case letters, digits, - or _ (at most 64)", p.ID)}
	}
	if p.Title == "" {
		p.Title = titleFromName(rel)
	}
	p.ReadingTime = p.Duration
	if p.ReadingTime == 0 {
		p.ReadingTime = readingTime(p.Words)
	}
	return p, nil
}

// kindOf tells a page's kind from its place in content/.
func kindOf(rel string) Kind {
	switch {
	case rel == "_index.md":
		return KindHome
	case path.Base(rel) == "_index.md":
		return KindModule
	case strings.Contains(rel, "/"):
		return KindLesson
	default:
		return KindPage
	}
}

// deriveID makes a stable id from a path: "02-facilitating/prompts.md" → "02-facilitating-prompts".
func deriveID(rel string) string {
	rel = strings.TrimSuffix(strings.TrimSuffix(rel, ".md"), "/_index")
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(rel) {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// titleFromName makes a readable title from a file or folder name when front matter has none.
func titleFromName(rel string) string {
	name := strings.TrimSuffix(path.Base(rel), ".md")
	if name == "_index" {
		name = path.Base(path.Dir(rel))
	}
	name = strings.TrimLeft(name, "0123456789-_")
	name = strings.NewReplacer("-", " ", "_", " ").Replace(name)
	if name == "" || name == "." {
		return "Untitled"
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// wordsPerMinute is a common adult reading speed for instructional text.
const wordsPerMinute = 200

func readingTime(words int) time.Duration {
	minutes := (words + wordsPerMinute - 1) / wordsPerMinute
	return time.Duration(max(minutes, 1)) * time.Minute
}

// countWords counts words of prose, skipping fenced code blocks, without
// allocating: it runs over every lesson of a course before anything renders.
func countWords(body []byte) int {
	n := 0
	inFence := false
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		t := bytes.TrimLeft(line, " \t")
		if bytes.HasPrefix(t, []byte("```")) || bytes.HasPrefix(t, []byte("~~~")) {
			inFence = !inFence
			continue
		}
		if inFence || isShortcodeLine(t) {
			continue
		}
		// A word starts where a blank is followed by anything else: counted
		// without a branch per byte, which made this loop a third of reading
		// the course.
		prev := byte(1) // the line starts after a blank
		for _, c := range t {
			b := blank[c]
			n += int(prev &^ b)
			prev = b
		}
	}
	return n
}

// blank is 1 for the bytes that separate words in countWords, 0 for the others.
var blank = [256]byte{' ': 1, '\t': 1, '\r': 1}

// isShortcodeLine tells a line that is only a shortcode tag, such as
// {{< youtube ID >}}: not words a reader reads.
func isShortcodeLine(line []byte) bool {
	line = bytes.TrimRight(line, " \t\r")
	return len(line) >= 6 && line[0] == '{' && line[1] == '{' && (line[2] == '<' || line[2] == '%') &&
		(bytes.HasSuffix(line, []byte(">}}")) || bytes.HasSuffix(line, []byte("%}}")))
}

// parseDuration reads "25m", "1h10m" or plain minutes ("25").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return time.Duration(n) * time.Minute, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration like \"25m\" or \"1h10m\"", s)
	}
	return d, nil
}

// fieldLine finds the 1-based line of a top-level front matter key, for errors after
// decoding, in any of the three formats.
func fieldLine(data []byte, key string) int {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	var written []string // how the key may start a line
	switch string(bytes.TrimSpace(first)) {
	case fence:
		line, _ := keyPosition(data, toml.Key{key})
		return line
	case yamlFence:
		written = []string{key + ":", `"` + key + `":`, "'" + key + "':"}
	default:
		written = []string{`"` + key + `"`, "{" + `"` + key + `"`}
	}
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		for _, w := range written {
			if strings.HasPrefix(l, w) {
				return i + 1
			}
		}
	}
	return 0
}
