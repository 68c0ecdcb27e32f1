package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/cohort-course/cohort/activitypub/store/postgres"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

func cmdMigrateStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate-store", "migrate-store [flags]\n\nCopies a course's whole store from its SQLite file to an empty PostgreSQL\ndatabase: followers, replies, reactions, moderation state, keys, the delivery\nqueue. Stop the companion first. Each table's rows are counted on both sides;\non any difference nothing is kept. Then point [store] url (or\n"+databaseEnv+") at the new database.", stderr)
	source := fs.String("source", ".", "course folder (with course.toml)")
	from := fs.String("from", "", "the SQLite store to copy: sqlite:PATH (a data folder) (default: the one in SOURCE/.cohort)")
	to := fs.String("to", "", "the PostgreSQL database to copy into, postgres://… (default: "+databaseEnv+", else [store] url in course.toml)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: migrate-store takes no arguments", errUsage)
	}
	if *from != "" && !strings.HasPrefix(*from, "sqlite:") {
		return fmt.Errorf("%w: --from %q: want sqlite:PATH", errUsage, redact(*from))
	}
	dst := *to
	if dst == "" {
		var cfg *site.Config
		if c, err := site.LoadConfig(os.DirFS(*source), "course.toml"); err == nil {
			cfg = c
		}
		dst = storeURL("", cfg)
	}
	if !isPostgres(dst) {
		return fmt.Errorf("%w: --to: want a postgres:// URL (or set %s)", errUsage, databaseEnv)
	}
	dataDir := filepath.Join(*source, ".cohort")
	if !storeExists(*from, dataDir) {
		return fmt.Errorf("migrate-store: no SQLite store at %s", filepath.Join(sqliteDir(*from, dataDir), sqlite.FileName))
	}
	src, err := sqlite.Open(ctx, sqliteDir(*from, dataDir))
	if err != nil {
		return fmt.Errorf("migrate-store: %w", err)
	}
	defer src.Close()
	pg, err := postgres.Open(ctx, dst)
	if err != nil {
		return fmt.Errorf("migrate-store: %s: %w", redact(dst), err)
	}
	defer pg.Close()
	counts, err := pg.ImportSQLite(ctx, src.DB())
	if err != nil {
		return fmt.Errorf("migrate-store: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tsqlite\tpostgres\t")
	var total int64
	for _, c := range counts {
		fmt.Fprintf(tw, "%s\t%d\t%d\t\n", c.Table, c.Source, c.Copied)
		total += c.Copied
	}
	tw.Flush()
	fmt.Fprintf(stdout, "Copied %d rows in %d tables to %s; every count matches.\n", total, len(counts), redact(dst))
	return nil
}
