// Command cohort builds course sites and runs their fediverse companion.
//
// main only starts things: run parses the command line, wires the packages
// together and runs them; tests call run directly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // cohorts' time zones work on machines without a zone database

	"github.com/cohort-course/cohort/site"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	ownProcess = true
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	report(err)
	os.Exit(exitCode(err))
}

// ownProcess is true when a command runs as the process itself, not inside a
// test: only then may it tune process-wide settings for a one-shot job, such as
// build's memory limit.
var ownProcess bool

// report prints err unless the command already did, or it is a request for help.
func report(err error) {
	if err != nil && !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errReported) && !errors.Is(err, errUsage) {
		fmt.Fprintln(os.Stderr, "cohort:", err)
	} else if errors.Is(err, errUsage) && err != errUsage {
		fmt.Fprintln(os.Stderr, "cohort:", err)
	}
}

// errReported is returned when the command already told the user what went wrong.
var errReported = errors.New("reported")

// errUsage marks a mistake on the command line (exit code 2).
var errUsage = errors.New("usage")

// exitCode is 0 for help asked for, 2 for a usage mistake, 1 for a failure.
func exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	return 1
}

// command is one subcommand of cohort.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"build", "build the course into a static site", cmdBuild},
		{"serve", "build, serve and rebuild on every save, with live reload", cmdServe},
		{"companion", "run the course's fediverse account: publish lessons, collect replies", cmdCompanion},
		{"moderator", "add a moderator account for the moderation page", cmdModerator},
		{"moderate", "list, hide, show, feature and block in the discussion", cmdModerate},
		{"report", "write the organiser's report of a cohort (HTML and CSV)", cmdReport},
		{"weave", "draft the moderator's weekly weave of a cohort's discussion", cmdWeave},
		{"migrate-store", "copy the companion's store from SQLite to PostgreSQL", cmdMigrateStore},
		{"backup", "copy the companion's database, also while it runs", cmdBackup},
		{"export", "write the course's discussion as JSON", cmdExport},
		{"import", "read a discussion written by export into the store; import hugo DIR turns a Hugo site into a course", cmdImport},
		{"new", "create a new course that builds as it is", cmdNew},
		{"version", "print cohort's version", cmdVersion},
		{"help", "describe the commands, or one command", nil},
	}
}

// run runs the cohort command line args (without the program name).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "-help" {
		name = "help"
	}
	if name == "help" {
		if len(args) > 1 {
			return run(ctx, []string{args[1], "-h"}, stdout, stderr)
		}
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "cohort: unknown command %q\n\n", name)
	usage(stderr)
	return errUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "cohort %s: course sites whose discussion lives on the fediverse\n\nUsage:\n  cohort <command> [flags]\n\nCommands:\n", site.Version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'cohort <command> -h' for a command's flags.\n")
}

// newFlags makes a flag set that prints its usage to stderr and returns errors.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("cohort "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: cohort %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func cmdVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "version\n\nPrints cohort's version.", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cohort %s\n", site.Version)
	return nil
}
