package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/moderation"
	"github.com/cohort-course/cohort/site"
)

// storeFlags are the flags of the commands that work on the companion's
// store directly.
type storeFlags struct {
	source, data, database *string
}

func addStoreFlags(fs *flag.FlagSet) storeFlags {
	return storeFlags{
		source:   fs.String("source", ".", "course folder (with course.toml)"),
		data:     fs.String("data", "", "data folder of the companion's database (default SOURCE/.cohort)"),
		database: addDatabaseFlag(fs),
	}
}

// open loads course.toml and opens the store.
func (f storeFlags) open(ctx context.Context) (*site.Config, activitypub.Store, error) {
	cfg, err := site.LoadConfig(os.DirFS(*f.source), "course.toml")
	if err != nil {
		return nil, nil, err
	}
	data := *f.data
	if data == "" {
		data = filepath.Join(*f.source, ".cohort")
	}
	st, err := openStore(ctx, storeURL(*f.database, cfg), data)
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

// parseInterspersed parses flags placed before or after the positional
// arguments ("hide ID --reason spam") and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// cliWho is the audit log's name for the person at the terminal.
func cliWho() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	return "cli:" + name
}

const moderatorSynopsis = `moderator add [flags] HANDLE | moderator list | moderator remove NAME

add: adds a moderator account for the moderation page (/moderate/ on the
companion). The login name is the handle without its leading @, unless
--name says otherwise. The password is asked twice on the terminal, or read
from the first line of standard input with --password-stdin.
list: lists the accounts. remove: deletes one and ends its sessions; the
audit log keeps what it did.`

func cmdModerator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("moderator", moderatorSynopsis, stderr)
	sf := addStoreFlags(fs)
	name := fs.String("name", "", "login name (default: the handle without its leading @)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input instead of the terminal")
	replace := fs.Bool("replace", false, "set a new password for an existing moderator (ends their sessions)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 1 && pos[0] == "list":
		return moderatorList(ctx, sf, stdout)
	case len(pos) == 2 && pos[0] == "remove":
		return moderatorRemove(ctx, sf, pos[1], stdout)
	case len(pos) != 2 || pos[0] != "add":
		fs.Usage()
		return fmt.Errorf("%w: moderator add HANDLE, moderator list, or moderator remove NAME", errUsage)
	}
	handle := "@" + strings.TrimPrefix(strings.TrimSpace(pos[1]), "@")
	if err := (activitypub.Moderation{Moderators: []string{handle}}).Validate(); err != nil {
		return fmt.Errorf("%w: %q is not a handle like @user@instance.example", errUsage, pos[1])
	}
	if *name == "" {
		*name = strings.TrimPrefix(handle, "@")
	}
	password, err := readPassword(*fromStdin, stderr)
	if err != nil {
		return fmt.Errorf("moderator add: %w", err)
	}
	hash, err := moderation.HashPassword(password)
	if err != nil {
		return fmt.Errorf("moderator add: %w", err)
	}
	cfg, st, err := sf.open(ctx)
	if err != nil {
		return fmt.Errorf("moderator add: %w", err)
	}
	defer st.Close()
	err = st.AddModerator(ctx, activitypub.Moderator{Name: *name, Handle: handle, PasswordHash: hash})
	switch {
	case errors.Is(err, activitypub.ErrDuplicate) && *replace:
		err = st.SetModeratorPassword(ctx, *name, hash)
	case errors.Is(err, activitypub.ErrDuplicate):
		return fmt.Errorf("moderator add: %s already exists; add --replace to set a new password", *name)
	}
	if err != nil {
		return fmt.Errorf("moderator add: %w", err)
	}
	if _, err := st.AppendAudit(ctx, activitypub.AuditEntry{Who: cliWho(), Action: activitypub.ActionModerator, Target: *name}); err != nil {
		return fmt.Errorf("moderator add: %w", err)
	}
	fmt.Fprintf(stdout, "Moderator %s (%s) can log in at %s/moderate/\n", *name, handle, cfg.Federation.Base())
	if !(activitypub.Moderation{Moderators: cfg.Federation.Moderators}).IsModerator("", handle) {
		fmt.Fprintf(stderr, "Note: %s is not in [federation] moderators in course.toml, so their replies are not marked as a moderator's.\n", handle)
	}
	return nil
}

func moderatorList(ctx context.Context, sf storeFlags, stdout io.Writer) error {
	_, st, err := sf.open(ctx)
	if err != nil {
		return fmt.Errorf("moderator list: %w", err)
	}
	defer st.Close()
	all, err := st.Moderators(ctx)
	if err != nil {
		return fmt.Errorf("moderator list: %w", err)
	}
	for _, m := range all {
		fmt.Fprintf(stdout, "%s\t%s\tsince %s\n", m.Name, m.Handle, m.Created.UTC().Format("2006-01-02"))
	}
	if len(all) == 0 {
		fmt.Fprintln(stdout, "No moderator accounts yet: add one with cohort moderator add @user@instance")
	}
	return nil
}

func moderatorRemove(ctx context.Context, sf storeFlags, name string, stdout io.Writer) error {
	_, st, err := sf.open(ctx)
	if err != nil {
		return fmt.Errorf("moderator remove: %w", err)
	}
	defer st.Close()
	if err := st.RemoveModerator(ctx, name); errors.Is(err, activitypub.ErrNotFound) {
		return fmt.Errorf("moderator remove: there is no moderator %s (see cohort moderator list)", name)
	} else if err != nil {
		return fmt.Errorf("moderator remove: %w", err)
	}
	if _, err := st.AppendAudit(ctx, activitypub.AuditEntry{Who: cliWho(), Action: activitypub.ActionModerator, Target: name, Reason: "removed"}); err != nil {
		return fmt.Errorf("moderator remove: %w", err)
	}
	fmt.Fprintf(stdout, "Moderator %s removed; their sessions have ended.\n", name)
	return nil
}

// readPassword asks for the password twice on the terminal, or reads one
// line from standard input.
func readPassword(fromStdin bool, stderr io.Writer) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", errors.New("standard input is not a terminal; use --password-stdin")
	}
	fmt.Fprint(stderr, "Password: ")
	p1, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	fmt.Fprint(stderr, "Password again: ")
	p2, err := term.ReadPassword(fd)
	fmt.Fprintln(stderr)
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	if string(p1) != string(p2) {
		return "", errors.New("the two passwords differ")
	}
	return string(p1), nil
}

const moderateSynopsis = `moderate ACTION [flags] [ARG]

Moderates the discussion directly in the companion's store (a running
companion picks the change up within seconds). Every action is written to
the audit log as cli:<your user name>.

Actions:
  list [--held] [--lesson ID]   reports from other servers (not with --lesson),
                                then replies, newest first, with their state
  approve|hide|show REPLY-ID    show a held reply, hide one, show it again
  feature|unfeature REPLY-ID    pin a reply on top and boost it, or undo that
  block|unblock TARGET          an actor URL, a handle (@user@host) or a domain
  blocks                        the current blocks
  log                           the audit log, newest first
  feedback LESSON [--cohort ID] an assignment's submissions without two reviews
    [--reassign SUBMISSION --to @user@host [--from @user@host]]
                                give a submission another reviewer, who is told`

func cmdModerate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("moderate", moderateSynopsis, stderr)
	sf := addStoreFlags(fs)
	held := fs.Bool("held", false, "list: only replies waiting for approval")
	lesson := fs.String("lesson", "", "list: only this lesson's thread")
	reason := fs.String("reason", "", "why, for the audit log")
	limit := fs.Int("limit", 100, "list, log: at most this many")
	var fa feedbackArgs
	fs.StringVar(&fa.cohort, "cohort", "", "feedback: cohort id from course.toml (default: the first cohort)")
	fs.StringVar(&fa.reassign, "reassign", "", "feedback: the submission (reply id) to give another reviewer")
	fs.StringVar(&fa.to, "to", "", "feedback: with --reassign, the new reviewer (@user@host)")
	fs.StringVar(&fa.from, "from", "", "feedback: with --reassign, the reviewer replaced (default: one who has not reviewed)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: moderate needs an action", errUsage)
	}
	action, rest := pos[0], pos[1:]
	wantArgs := map[string]int{"list": 0, "blocks": 0, "log": 0, "approve": 1, "hide": 1, "show": 1, "feature": 1, "unfeature": 1, "block": 1, "unblock": 1, "feedback": 1}
	n, ok := wantArgs[action]
	if !ok {
		fs.Usage()
		return fmt.Errorf("%w: unknown action %q", errUsage, action)
	}
	if len(rest) != n {
		return fmt.Errorf("%w: moderate %s takes %d argument(s)", errUsage, action, n)
	}
	cfg, st, err := sf.open(ctx)
	if err != nil {
		return fmt.Errorf("moderate: %w", err)
	}
	defer st.Close()
	f := cfg.Federation
	acts := moderation.New(moderation.Options{Store: st, URLs: activitypub.NewURLs(f.Domain, f.AllowInsecure)})
	who := cliWho()
	switch action {
	case "list":
		if *lesson == "" {
			if err := listFlags(ctx, st, stdout, *limit); err != nil {
				return err
			}
		}
		return listReplies(ctx, st, stdout, activitypub.ReplyFilter{LessonID: *lesson, State: map[bool]activitypub.ReplyState{true: activitypub.Held}[*held], Limit: *limit})
	case "blocks":
		return listBlocks(ctx, st, stdout)
	case "log":
		return listAudit(ctx, st, stdout, *limit)
	case "feedback":
		fa.lesson = rest[0]
		return moderateFeedback(ctx, cfg, st, *sf.source, fa, stdout) // feedback.go
	}
	if f.Domain == "" && (action == "feature" || action == "unfeature") {
		return errors.New("moderate: course.toml has no [federation] domain, so there is no account to boost from")
	}
	arg := rest[0]
	switch action {
	case "approve":
		r, err := acts.Approve(ctx, who, arg, *reason)
		return report1(stdout, err, "Approved %s: it is shown in lesson %s.\n", arg, r.LessonID)
	case "hide":
		r, err := acts.Hide(ctx, who, arg, *reason)
		return report1(stdout, err, "Hidden %s %s.\n", arg, shownIn(r))
	case "show":
		r, err := acts.Show(ctx, who, arg, *reason)
		return report1(stdout, err, "Shown %s %s.\n", arg, shownIn(r))
	case "feature":
		fe, err := acts.Feature(ctx, who, arg, *reason)
		return report1(stdout, err, "Featured %s: pinned #%d in lesson %s; its boost is queued for the followers.\n", arg, fe.Position, fe.LessonID)
	case "unfeature":
		fe, err := acts.Unfeature(ctx, who, arg, *reason)
		return report1(stdout, err, "Unfeatured %s in lesson %s; the Undo of its boost is queued.\n", arg, fe.LessonID)
	case "block":
		b, err := acts.Block(ctx, who, arg, *reason)
		return report1(stdout, err, "Blocked %s%s: later activities are refused, replies hidden.\n", b.Target, domainNote(b))
	case "unblock":
		b, err := acts.Unblock(ctx, who, arg, *reason)
		return report1(stdout, err, "Unblocked %s%s.\n", b.Target, domainNote(b))
	}
	return nil
}

func domainNote(b activitypub.Block) string {
	if b.Domain {
		return " (the whole domain)"
	}
	return ""
}

// report1 prints the outcome of an action, or returns its error in words
// for the terminal.
// shownIn says where a moderated reply is shown: in its lesson, or, for
// a journal entry (a Reply with no lesson, moderation/journal.go), in the
// reflection journal.
func shownIn(r activitypub.Reply) string {
	if r.LessonID == "" {
		return "in the reflection journal"
	}
	return "in lesson " + r.LessonID
}

func report1(stdout io.Writer, err error, format string, args ...any) error {
	switch {
	case errors.Is(err, activitypub.ErrNotFound):
		return fmt.Errorf("moderate: %w (check the id with cohort moderate list, or cohort moderate blocks)", err)
	case errors.Is(err, activitypub.ErrDuplicate):
		return fmt.Errorf("moderate: %w: nothing to do", err)
	case err != nil:
		return fmt.Errorf("moderate: %w", err)
	}
	fmt.Fprintf(stdout, format, args...)
	return nil
}

// excerptLen is how much of a reply's text the list shows.
const excerptLen = 60

func listReplies(ctx context.Context, st activitypub.Store, stdout io.Writer, f activitypub.ReplyFilter) error {
	rs, err := st.Replies(ctx, f)
	if err != nil {
		return fmt.Errorf("moderate list: %w", err)
	}
	featured := map[string]bool{}
	lessons := map[string]bool{}
	for _, r := range rs {
		if lessons[r.LessonID] {
			continue
		}
		lessons[r.LessonID] = true
		fs, err := st.Features(ctx, r.LessonID, r.CohortID)
		if err != nil {
			return fmt.Errorf("moderate list: %w", err)
		}
		for _, fe := range fs {
			featured[fe.ReplyID] = true
		}
	}
	blocks, err := st.Blocks(ctx)
	if err != nil {
		return fmt.Errorf("moderate list: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tLESSON\tPUBLISHED\tAUTHOR\tREPLY\tTEXT")
	for _, r := range rs {
		state := string(r.State)
		if featured[r.ID] {
			state += ",featured"
		}
		if _, ok := activitypub.BlockedBy(blocks, r.Actor); ok {
			state += ",blocked"
		}
		author := r.Actor
		if a, err := st.Actor(ctx, r.Actor); err == nil && a.Handle() != "" {
			author = a.Handle()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", state, r.LessonID, r.Published.UTC().Format("2006-01-02 15:04"), author, r.ID, excerpt(r.Content))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rs) == 0 {
		fmt.Fprintln(stdout, "No replies.")
	}
	return nil
}

// listFlags prints the reports other servers sent (Flags), newest first,
// before the replies; nothing when there are none.
func listFlags(ctx context.Context, st activitypub.Store, stdout io.Writer, limit int) error {
	fs, err := st.Flags(ctx, limit)
	if err != nil {
		return fmt.Errorf("moderate list: %w", err)
	}
	if len(fs) == 0 {
		return nil
	}
	fmt.Fprintln(stdout, "Reports from other servers:")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECEIVED\tFROM\tREPORTED\tCOMMENT")
	for _, f := range fs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Received.UTC().Format("2006-01-02 15:04"), f.Actor, reported(ctx, st, f), excerpt(f.Content))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	return nil
}

// reported names what a report is about: the replies of ours it names,
// which a moderator can hide, else everything it names.
func reported(ctx context.Context, st activitypub.Store, f activitypub.Flag) string {
	var ours []string
	for _, id := range f.Objects {
		if _, err := st.Reply(ctx, id); err == nil {
			ours = append(ours, id)
		}
	}
	if len(ours) == 0 {
		ours = f.Objects
	}
	return strings.Join(ours, " ")
}

// excerpt returns the start of a reply's text, without its tags.
func excerpt(html string) string {
	var b strings.Builder
	in := false
	for _, r := range html {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
			b.WriteByte(' ')
		case !in:
			b.WriteRune(r)
		}
	}
	s := strings.Join(strings.Fields(b.String()), " ")
	if rs := []rune(s); len(rs) > excerptLen {
		s = string(rs[:excerptLen-1]) + "…"
	}
	return s
}

func listBlocks(ctx context.Context, st activitypub.Store, stdout io.Writer) error {
	bs, err := st.Blocks(ctx)
	if err != nil {
		return fmt.Errorf("moderate blocks: %w", err)
	}
	if len(bs) == 0 {
		fmt.Fprintln(stdout, "Nobody is blocked.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BLOCKED\tKIND\tBY\tSINCE\tREASON")
	for _, b := range bs {
		kind := "account"
		if b.Domain {
			kind = "domain"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", b.Target, kind, b.By, b.Created.UTC().Format("2006-01-02 15:04"), b.Reason)
	}
	return tw.Flush()
}

func listAudit(ctx context.Context, st activitypub.Store, stdout io.Writer, limit int) error {
	es, err := st.AuditLog(ctx, 0, limit)
	if err != nil {
		return fmt.Errorf("moderate log: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tWHO\tACTION\tTARGET\tLESSON\tREASON")
	for _, e := range es {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format("2006-01-02 15:04:05"), e.Who, e.Action, e.Target, e.LessonID, e.Reason)
	}
	return tw.Flush()
}
