package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/cohort-course/cohort/site/hugoimport"
)

// cmdImport reads a discussion written by export (cohort import FILE.json),
// or, as cohort import hugo DIR, turns a Hugo site into a course.
func cmdImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	for _, a := range args {
		if a == "hugo" {
			return cmdImportHugo(ctx, args, stdout, stderr)
		}
		if !strings.HasPrefix(a, "-") {
			break
		}
	}
	return cmdImportDiscussion(ctx, args, stdout, stderr)
}

// cmdImportHugo is cohort import hugo DIR.
func cmdImportHugo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := newFlags("import hugo", "import hugo [flags] DIR\n\nTurns the Hugo site in DIR (or one section of its content) into a cohort course:\n"+
		"sections become modules, front matter and hugo.toml are mapped, shortcodes kept or\nconverted, static/ copied. What it cannot convert is listed with file:line.", stderr)
	section := fset.String("section", "", "the folder under content/ that holds the course (default: all of content/)")
	out := fset.String("out", "", "the folder to write the course to, absent or empty (default: DIR-cohort)")
	strict := fset.Bool("strict", false, "fail (exit status 1) when anything could not be converted")
	// Flags may come before or after the arguments: cohort import hugo DIR --out x.
	var pos []string
	for {
		if err := fset.Parse(args); err != nil {
			return err
		}
		if fset.NArg() == 0 {
			break
		}
		pos = append(pos, fset.Arg(0))
		args = fset.Args()[1:]
	}
	if len(pos) != 2 || pos[0] != "hugo" {
		fset.Usage()
		return fmt.Errorf("%w: import takes hugo and a folder", errUsage)
	}
	dir := pos[1]
	if *out == "" {
		*out = filepath.Clean(dir) + "-cohort"
	}
	rep, err := hugoimport.Import(ctx, hugoimport.Options{Source: dir, Section: *section, Out: *out})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "Imported %s, %s and %s into %s", plural(rep.Pages, "page", "pages"), plural(rep.Modules, "module", "modules"), plural(rep.Files, "file", "files"), *out)
	if n := len(rep.Warnings); n > 0 {
		fmt.Fprintf(stdout, "; %s not converted (listed above)", plural(n, "thing", "things"))
	}
	fmt.Fprintln(stdout)
	if *strict && len(rep.Warnings) > 0 {
		return fmt.Errorf("import: --strict: %s not converted", plural(len(rep.Warnings), "thing", "things"))
	}
	return nil
}
