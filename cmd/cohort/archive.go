package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/archive"
)

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", "backup --to FILE [flags]\n\nWrites a consistent copy of the companion's database to FILE, also while\nthe companion runs. Restore by stopping the companion and putting FILE in\nplace of DATA/companion.db. (For PostgreSQL, use pg_dump: see the README.)", stderr)
	sf := addStoreFlags(fs)
	to := fs.String("to", "", "file to write the copy to; it must not exist")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *to == "" {
		fs.Usage()
		return fmt.Errorf("%w: backup needs --to FILE and no arguments", errUsage)
	}
	_, st, err := sf.open(ctx)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer st.Close()
	b, ok := any(st).(activitypub.Backuper)
	if !ok {
		return fmt.Errorf("backup: this store cannot copy itself; use its engine's own tools")
	}
	path, err := filepath.Abs(*to)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := b.Backup(ctx, path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "Backed up the companion's database to %s (%d bytes)\n", *to, fi.Size())
	return nil
}

func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", "export [--out FILE.json] [flags]\n\nWrites the course's discussion as JSON: every thread with its replies (in\nany state), featured replies, reactions, blocks, the moderation audit log\nand reports. Followers, keys and moderator accounts are not in it (back up\nthe store for those). 'cohort import' reads it back.", stderr)
	sf := addStoreFlags(fs)
	out := fs.String("out", "-", "file to write, - for standard output")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: export takes no arguments", errUsage)
	}
	cfg, st, err := sf.open(ctx)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer st.Close()
	ar, ok := any(st).(activitypub.Archiver)
	if !ok {
		return errors.New("export: this store cannot export its discussion")
	}
	a, err := ar.ExportDiscussion(ctx)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	course := ""
	if cfg.Federation.Handle != "" {
		course = cfg.Federation.Address()
	}
	doc := archive.From(a, course, time.Now())
	if *out == "-" {
		return archive.Write(stdout, doc)
	}
	if err := writeFileAtomically(*out, func(w io.Writer) error { return archive.Write(w, doc) }); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stdout, "Exported %d threads, %d replies, %d reactions, %d audit entries to %s\n",
		len(doc.Threads), len(a.Replies), len(a.Reactions), len(a.Audit), *out)
	return nil
}

// cmdImportDiscussion is cohort import FILE.json.
func cmdImportDiscussion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import", "import [flags] FILE.json\n       import hugo [flags] DIR (see cohort import hugo -h)\n\nReads a discussion written by 'cohort export' into the companion's store,\nkeeping its ids and moderation states. What the store already holds is\nleft as it is, so importing the same file twice changes nothing. Stop the\ncompanion first: it does not see imported replies until it restarts.", stderr)
	sf := addStoreFlags(fs)
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: import takes one FILE.json, or hugo and a folder", errUsage)
	}
	f, err := os.Open(rest[0])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	doc, err := archive.Read(f)
	if err != nil {
		return fmt.Errorf("import: %s: %w", rest[0], err)
	}
	_, st, err := sf.open(ctx)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer st.Close()
	ar, ok := any(st).(activitypub.Archiver)
	if !ok {
		return errors.New("import: this store cannot import a discussion")
	}
	a := doc.Discussion()
	n, err := ar.ImportDiscussion(ctx, a)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	fmt.Fprintf(stdout, "Imported %d of %d items from %s (%d already there)\n", n, a.Len(), rest[0], a.Len()-n)
	return nil
}

// writeFileAtomically writes name through a temporary file beside it,
// renamed over it once complete, so a failure never leaves half a file.
func writeFileAtomically(name string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
