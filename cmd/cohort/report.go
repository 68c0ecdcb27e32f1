package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	orgreport "github.com/cohort-course/cohort/activitypub/report" // main has its own report(err)
	"github.com/cohort-course/cohort/site"
)

const reportSynopsis = `report [flags]

Writes the organiser's report of a cohort's discussion: index.html (charts
drawn as inline SVG, each with a table of the same figures; no script, no
outside requests, printable) and CSV files of participants, replies per
lesson and per week, active participants per week, moderators' replies,
the median time to a moderator's answer, the most-discussed lessons and
the replies kept off the pages.

Only public and unlisted replies moderators left shown count; hidden, held
and blocked replies are listed apart. Weeks count from the cohort's start
(week 1 is its first seven days). Without --cohort the first cohort in
course.toml is used, or, with none, week 1 starts on the day of the first
reply. Lesson titles come from the built SOURCE/public/lessons.json when
there is one.

The report names participants, so it is written to SOURCE/report/ by
default, outside public/ and so never published with the site.`

func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report", reportSynopsis, stderr)
	sf := addStoreFlags(fs)
	cohortID := fs.String("cohort", "", "cohort id from course.toml (default: the first cohort)")
	out := fs.String("out", "", "folder to write the report into (default SOURCE/report, never published)")
	nowFlag := fs.String("now", "", "count replies up to this moment ("+nowForms+"; default: now)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: report takes no arguments, got %q", errUsage, fs.Arg(0))
	}
	now := time.Now().UTC()
	if *nowFlag != "" {
		t, err := parseNow(*nowFlag) // as build and serve read it
		if err != nil {
			return err
		}
		now = t.UTC()
	}
	if *out == "" {
		*out = filepath.Join(*sf.source, "report")
	}
	cfg, st, err := sf.open(ctx)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer st.Close()
	cohort, err := pickCohort(cfg.Cohorts, *cohortID)
	if err != nil {
		return err
	}
	manifest, err := readManifest(filepath.Join(*sf.source, "public", "lessons.json"))
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if manifest.Title == "" {
		manifest.Title = cfg.Title
	}
	moderators, err := moderatorHandles(ctx, cfg, st)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	r, err := orgreport.Compute(ctx, st, manifest, cohort, moderators, now)
	if err != nil {
		return err
	}
	if err := orgreport.Write(*out, r); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Report on %s from %s written to %s\n", plural(r.Replies, "reply", "replies"),
		plural(len(r.Participants), "participant", "participants"), filepath.Join(*out, "index.html"))
	return nil
}

// pickCohort returns the cohort named id, the first one when id is empty,
// or no cohort when the course has none.
func pickCohort(cohorts []site.Cohort, id string) (site.Cohort, error) {
	if id == "" {
		if len(cohorts) == 0 {
			return site.Cohort{}, nil
		}
		return cohorts[0], nil
	}
	i := slices.IndexFunc(cohorts, func(c site.Cohort) bool { return c.ID == id })
	if i < 0 {
		var ids []string
		for _, c := range cohorts {
			ids = append(ids, c.ID)
		}
		if len(ids) == 0 {
			return site.Cohort{}, fmt.Errorf("%w: --cohort %q: course.toml has no [[cohorts]]", errUsage, id)
		}
		return site.Cohort{}, fmt.Errorf("%w: --cohort %q is not in course.toml (cohorts: %v)", errUsage, id, ids)
	}
	return cohorts[i], nil
}

// readManifest reads the built lessons.json; without one (no build yet)
// the report still works, naming lessons by their ids.
func readManifest(path string) (site.Manifest, error) {
	var m site.Manifest
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, fmt.Errorf("lessons manifest: %w", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("lessons manifest %s: %w", path, err)
	}
	return m, nil
}

// moderatorHandles returns the moderators of course.toml and the handles
// of the moderator accounts in the store.
func moderatorHandles(ctx context.Context, cfg *site.Config, st activitypub.Store) ([]string, error) {
	handles := slices.Clone(cfg.Federation.Moderators)
	accounts, err := st.Moderators(ctx)
	if err != nil {
		return nil, fmt.Errorf("moderators: %w", err)
	}
	for _, m := range accounts {
		if m.Handle != "" {
			handles = append(handles, m.Handle)
		}
	}
	return handles, nil
}
