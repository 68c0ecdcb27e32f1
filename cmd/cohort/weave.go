package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cohort-course/cohort/activitypub/weave"
	"github.com/cohort-course/cohort/site"
)

const weaveSynopsis = `weave --cohort ID --week N [flags]

Drafts the e-moderator's weekly weave of a cohort: a page in
SOURCE/content/weave/ that quotes the week's featured replies, its
most-discussed threads and the questions nobody has answered yet, each with
its author and a link. The page is a draft (draft = true): edit it, then
delete the draft line; the next build publishes it and the companion posts it
to the cohort's followers when the following week opens, mentioning the
quoted authors so their servers tell them.

Week 1 is the cohort's first seven days. The lessons come from the built
SOURCE/public/lessons.json: build the course first. An existing page is
left alone unless --force is given.`

func cmdWeave(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("weave", weaveSynopsis, stderr)
	sf := addStoreFlags(fs)
	cohortID := fs.String("cohort", "", "cohort id from course.toml (required)")
	week := fs.Int("week", 0, "the cohort's week to weave, from 1 (required)")
	force := fs.Bool("force", false, "replace the week's page when it exists")
	nowFlag := fs.String("now", "", "weave as at this moment ("+nowForms+"; default: now)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		fs.Usage()
		return fmt.Errorf("%w: weave takes no arguments, got %q", errUsage, fs.Arg(0))
	case *cohortID == "":
		return fmt.Errorf("%w: weave needs --cohort ID", errUsage)
	case *week == 0:
		return fmt.Errorf("%w: weave needs --week N (from 1)", errUsage)
	}
	now := time.Now().UTC()
	if *nowFlag != "" {
		t, err := parseNow(*nowFlag)
		if err != nil {
			return err
		}
		now = t.UTC()
	}
	file := filepath.Join(*sf.source, site.ContentDir, filepath.FromSlash(weave.File(*cohortID, *week)))
	if _, err := os.Stat(file); err == nil && !*force {
		return fmt.Errorf("weave: %s exists (edit it, or give --force to draft it again)", file)
	}
	cfg, st, err := sf.open(ctx)
	if err != nil {
		return fmt.Errorf("weave: %w", err)
	}
	defer st.Close()
	if len(cfg.Cohorts) == 0 {
		return fmt.Errorf("%w: --cohort %q: course.toml has no [[cohorts]]", errUsage, *cohortID)
	}
	cohort, err := pickCohort(cfg.Cohorts, *cohortID)
	if err != nil {
		return err
	}
	manifest, err := readManifest(filepath.Join(*sf.source, "public", "lessons.json"))
	if err != nil {
		return fmt.Errorf("weave: %w", err)
	}
	if manifest.Language == "" {
		manifest.Language = cfg.Language
	}
	moderators, err := moderatorHandles(ctx, cfg, st)
	if err != nil {
		return fmt.Errorf("weave: %w", err)
	}
	w, err := weave.Compute(ctx, st, weave.Request{Manifest: manifest, Cohort: cohort, Week: *week, Now: now, Moderators: moderators})
	if errors.Is(err, weave.ErrWeek) {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("weave: %w", err)
	}
	index := filepath.Join(filepath.Dir(file), "_index.md")
	if _, err := os.Stat(index); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(index, []byte(weave.ModuleIndex(manifest.Language)), 0o644); err != nil {
			return fmt.Errorf("weave: %w", err)
		}
	}
	if err := os.WriteFile(file, w.Markdown(), 0o644); err != nil {
		return fmt.Errorf("weave: %w", err)
	}
	fmt.Fprintf(stdout, "Drafted %s: %s featured, %s, %s. Edit it, then delete draft = true to publish.\n", file,
		plural(len(w.Featured), "reply", "replies"), plural(len(w.Discussed), "thread", "threads"),
		plural(len(w.Questions), "open question", "open questions"))
	return nil
}
