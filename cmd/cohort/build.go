package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/cohort-course/cohort/site"
)

// buildFlags are the flags build and serve share.
type buildFlags struct {
	source  string
	out     string
	drafts  bool
	baseURL string
}

func (b *buildFlags) register(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
}) {
	fs.StringVar(&b.source, "source", ".", "course folder (with course.toml and content/)")
	fs.StringVar(&b.out, "out", "", "output folder (default SOURCE/public)")
	fs.BoolVar(&b.drafts, "drafts", false, "include pages marked draft = true")
	fs.StringVar(&b.baseURL, "base-url", "", "base URL of the published site (overrides course.toml)")
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
	f.register(fs)
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file (for cohort's developers)")
	if err := fs.Parse(args); err != nil {
		return err
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
	res, err := site.Build(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "cohort: build failed: %v\n", err)
		return errReported
	}
	fmt.Fprintf(stdout, "Built %d pages (%d rendered, %d files written, %d removed) into %s in %s\n",
		res.Pages, res.Rendered, len(res.Written), res.Removed, o.Out, res.Duration.Round(100_000))
	return nil
}
