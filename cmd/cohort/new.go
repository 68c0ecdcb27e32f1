package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// skeleton is the small course `cohort new` writes. Its .gitignore is stored as
// "gitignore", because go:embed leaves dot files out.
//
//go:embed all:skeleton
var skeleton embed.FS

func cmdNew(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlags("new", "new [flags] DIR\n\nCreates a small course in DIR (which must be absent or empty) that builds as it is.\nIts first cohort starts today, so its first lesson is open at once.", stderr)
	nowFlag := fset.String("now", "", "make the course as on this day ("+nowForms+"; default: today)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := parseNow(*nowFlag)
		if err != nil {
			return err
		}
		now = t
	}
	if fset.NArg() != 1 {
		fset.Usage()
		return fmt.Errorf("%w: new takes one folder", errUsage)
	}
	dir := fset.Arg(0)
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("new: %s is not empty; cohort new will not write over anything", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("new: %w", err)
	}
	err := fs.WalkDir(skeleton, "skeleton", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("skeleton", filepath.FromSlash(p))
		if rel == "gitignore" {
			rel = ".gitignore"
		}
		target := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := skeleton.ReadFile(p)
		if err != nil {
			return err
		}
		if rel == "course.toml" {
			data = startToday(data, now)
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("new: %w", err)
	}
	fmt.Fprintf(stdout, "Created a course in %s.\n\nNext:\n  cd %s\n  cohort serve      # write, and watch it update at http://127.0.0.1:1313/\n  cohort build      # make the site in public/\n", dir, dir)
	return nil
}

// skeletonStart is the first cohort's start line in the skeleton's course.toml.
var skeletonStart = regexp.MustCompile(`(?m)^start = \S+`)

// startToday makes the skeleton's cohort start on now's day, so that the new course
// is open at once. The cohort has no time zone, so its day is UTC's: midnight UTC of
// that day has passed everywhere it is now that day.
func startToday(courseTOML []byte, now time.Time) []byte {
	return skeletonStart.ReplaceAll(courseTOML, []byte("start = "+now.UTC().Format(time.DateOnly)))
}
