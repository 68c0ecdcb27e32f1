package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/cohort-course/cohort/activitypub/discovery"
	"github.com/cohort-course/cohort/activitypub/sanitize"
	"github.com/cohort-course/cohort/site"
)

// buildFlags are the flags build and serve share.
type buildFlags struct {
	source  string
	out     string
	drafts  bool
	baseURL string
	now     string
	data    string
}

// register adds the shared flags; withOut adds --out, which serve has no use for
// (it serves from a folder of its own).
func (b *buildFlags) register(fs *flag.FlagSet, withOut bool) {
	fs.StringVar(&b.source, "source", ".", "course folder (with course.toml and content/)")
	if withOut {
		fs.StringVar(&b.out, "out", "", "output folder (default SOURCE/public)")
	}
	fs.BoolVar(&b.drafts, "drafts", false, "include pages marked draft = true")
	fs.StringVar(&b.baseURL, "base-url", "", "base URL of the published site (overrides course.toml)")
	fs.StringVar(&b.now, "now", "", "show the course as at this moment ("+nowForms+"): lessons not open yet show only their title, summary and opening date")
	fs.StringVar(&b.data, "data", "", "data folder of the companion's store (default SOURCE/.cohort)")
}

// nowForms are the forms --now takes, in every command that has it.
const nowForms = "2026-09-14, 2026-09-14T09:00 or 2026-09-14T09:00:00+02:00"

// parseNow reads a --now value: a date (its midnight), a date and time (both in the
// machine's time zone), or RFC 3339 with a zone.
func parseNow(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: --now %q is not a moment like %s", errUsage, s, nowForms)
}

// clock reads --now; nil means the real clock.
func (b *buildFlags) clock() (func() time.Time, error) {
	if b.now == "" {
		return nil, nil
	}
	t, err := parseNow(b.now)
	if err != nil {
		return nil, err
	}
	return func() time.Time { return t }, nil
}

// dataDir is the companion's data folder: --data, else SOURCE/.cohort.
func (b *buildFlags) dataDir() string {
	if b.data != "" {
		return b.data
	}
	return filepath.Join(b.source, ".cohort")
}

// plural writes n with the singular or the plural noun: "1 page", "2 pages".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (b *buildFlags) options() site.Options {
	out := b.out
	if out == "" {
		out = filepath.Join(b.source, "public")
	}
	return site.Options{
		Source:   b.source,
		Out:      out,
		CacheDir: filepath.Join(b.source, ".cohort"),
		Drafts:   b.drafts,
		BaseURL:  b.baseURL,
	}
}

func cmdBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f buildFlags
	fs := newFlags("build", "build [flags]\n\nBuilds the course in --source into a static site in --out. Only files whose\nbytes changed are rewritten; a failed build leaves the output as it was.", stderr)
	f.register(fs, true)
	threadsFrom := fs.String("threads-from", "", "read lesson threads from a running companion at this URL (default: the local store in SOURCE/.cohort, when there is one)")
	database := addDatabaseFlag(fs)
	verbose := fs.Bool("v", false, "print how long each step of the build took")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file (for cohort's developers)")
	memprofile := fs.String("memprofile", "", "write a heap profile to this file when the build ends (for cohort's developers)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *memprofile != "" {
		defer func() {
			pf, err := os.Create(*memprofile)
			if err == nil {
				err = errors.Join(pprof.Lookup("heap").WriteTo(pf, 0), pf.Close())
			}
			if err != nil {
				fmt.Fprintf(stderr, "cohort: heap profile: %v\n", err)
			}
		}()
	}
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: build takes no arguments", errUsage)
	}
	o := f.options()
	o.LimitMemory = ownProcess // site.memoryBudget: a cold build's heap stays near its live size
	clock, err := f.clock()
	if err != nil {
		return err
	}
	o.Now = clock
	discussion, closeStore, err := threadSource(ctx, f.source, f.data, *database, *threadsFrom)
	if err != nil {
		fmt.Fprintf(stderr, "cohort: build failed: %v\n", err)
		return errReported
	}
	defer closeStore()
	o.Discussion = discussion
	progress := newProgress(stderr) // progress.go: only on a terminal
	o.Progress = progress.fn()
	progress.begin()
	res, err := site.Build(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "cohort: build failed: %v\n", err)
		return errReported
	}
	if *verbose {
		for _, s := range res.Steps {
			fmt.Fprintf(stdout, "  %-18s %s\n", s.Name, s.Duration.Round(10_000))
		}
	}
	fmt.Fprintf(stdout, "Built %s (%d rendered, %s written, %d removed) into %s in %s\n",
		plural(res.Pages, "page", "pages"), res.Rendered, plural(len(res.Written), "file", "files"), res.Removed, o.Out, res.Duration.Round(100_000))
	return nil
}

// threadSource picks where the build reads lesson threads: a running companion
// (--threads-from), else the companion's store (--database,
// COHORT_DATABASE_URL or [store] url; by default the SQLite file in the data
// folder, when there is one), else nowhere (pages then explain how to join
// the discussion).
func threadSource(ctx context.Context, source, data, database, from string) (site.Discussion, func(), error) {
	none := func() {}
	if from != "" {
		u, err := url.Parse(from)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, none, fmt.Errorf("--threads-from: %q is not an http(s) URL", from)
		}
		// Another server's answer: its replies are sanitized again, as the inbox does.
		return &site.RemoteDiscussion{Base: u.Scheme + "://" + u.Host, Sanitize: sanitize.HTML}, none, nil
	}
	if data == "" {
		data = filepath.Join(source, ".cohort")
	}
	cfg, err := site.LoadConfig(os.DirFS(source), "course.toml")
	if err != nil || cfg.Federation.Handle == "" {
		return nil, none, nil // the build reports a broken config itself
	}
	db := storeURL(database, cfg)
	if !storeExists(db, data) {
		return nil, none, nil
	}
	st, err := openStore(ctx, db, data)
	if err != nil {
		return nil, none, fmt.Errorf("threads: %w", err)
	}
	return discovery.Threads(cfg, st), func() { st.Close() }, nil
}
