package activitypub

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ReplyState is a reply's moderation state: only Shown replies appear on
// the pages and in the threads API.
type ReplyState string

// The moderation states of a reply.
const (
	Shown  ReplyState = "shown"  // on the page
	Held   ReplyState = "held"   // waiting for a moderator's approval
	Hidden ReplyState = "hidden" // taken off the page by a moderator
)

// Valid reports whether s is one of the three states.
func (s ReplyState) Valid() bool { return s == Shown || s == Held || s == Hidden }

// ModerationMode says which new replies are shown at once.
type ModerationMode string

// The moderation modes of a course.
const (
	// ModeOpen shows every reply at once; moderators hide afterwards.
	ModeOpen ModerationMode = "open"
	// ModePre holds every reply until a moderator approves it.
	ModePre ModerationMode = "pre"
	// ModeParticipants shows the listed participants' replies at once and
	// holds everyone else's.
	ModeParticipants ModerationMode = "participants"
)

// Moderation is the course's moderation settings, as course.toml's
// [federation] table gives them: the mode, the participants (handles such
// as "@bob@social.example.org", or whole domains as "*@social.example.org")
// and the moderators (handles). The zero value is the open mode.
type Moderation struct {
	Mode         ModerationMode
	Participants []string
	Moderators   []string
	// Private lists, for each private cohort by id, the handles and
	// domains of its members (participants and its own moderators): only
	// they reply to its posts without a moderator's approval, and only
	// they are accepted as followers at once.
	Private map[string][]string
}

// Validate checks the mode and the form of every handle and domain.
func (m Moderation) Validate() error {
	var errs []error
	switch m.Mode {
	case "", ModeOpen, ModePre, ModeParticipants:
	default:
		errs = append(errs, fmt.Errorf("moderation: %q is not one of open, pre, participants", m.Mode))
	}
	for i, p := range m.Participants {
		if _, _, ok := splitHandle(p); !ok {
			errs = append(errs, fmt.Errorf("participants[%d]: %q is not a handle like @user@host or a domain like *@host", i, p))
		}
	}
	for i, p := range m.Moderators {
		if user, _, ok := splitHandle(p); !ok || user == "*" {
			errs = append(errs, fmt.Errorf("moderators[%d]: %q is not a handle like @user@host", i, p))
		}
	}
	return errors.Join(errs...)
}

// splitHandle splits "@user@host" (the leading @ optional) into its
// lower-cased parts; user is "*" for a whole domain.
func splitHandle(h string) (user, host string, ok bool) {
	h = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
	user, host, ok = strings.Cut(h, "@")
	if !ok || user == "" || host == "" || strings.ContainsAny(host, "@/ ") || strings.ContainsAny(user, "/ ") {
		return "", "", false
	}
	return user, host, true
}

// matchHandle reports whether the account (its handle, and the host of its
// actor id) is named by one of list: its handle, or its domain as
// "*@host". A server may publish handles on another domain than its actor
// ids (WebFinger delegation), so a domain entry matches either.
func matchHandle(list []string, actorID, handle string) bool {
	hu, hh, hok := splitHandle(handle)
	ah := hostOf(actorID)
	for _, e := range list {
		user, host, ok := splitHandle(e)
		if !ok {
			continue
		}
		if user == "*" {
			if (hok && hh == host) || ah == host {
				return true
			}
			continue
		}
		if hok && hu == user && hh == host {
			return true
		}
	}
	return false
}

// hostOf returns the lower-cased host of a URL, without its port.
func hostOf(id string) string {
	u, err := url.Parse(id)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// IsModerator reports whether the account is one of the moderators.
func (m Moderation) IsModerator(actorID, handle string) bool {
	return matchHandle(m.Moderators, actorID, handle)
}

// IsParticipant reports whether the account is a listed participant, by
// handle or by domain.
func (m Moderation) IsParticipant(actorID, handle string) bool {
	return matchHandle(m.Participants, actorID, handle)
}

// StateFor returns the state a new reply by the account starts in:
// moderators' replies are always shown; in the pre mode others are held;
// in the participants mode the listed participants' are shown and others
// held; in the open mode all are shown. handle may be "" when the author's
// profile is unknown; then only a domain entry can match.
func (m Moderation) StateFor(actorID, handle string) ReplyState {
	if m.IsModerator(actorID, handle) {
		return Shown
	}
	switch m.Mode {
	case ModePre:
		return Held
	case ModeParticipants:
		if m.IsParticipant(actorID, handle) {
			return Shown
		}
		return Held
	}
	return Shown
}

// StateIn returns the state a new reply by the account starts in when its
// thread is cohortID's post of a lesson: in a private cohort, replies from
// anyone but its members and the moderators are held; otherwise StateFor
// decides.
func (m Moderation) StateIn(cohortID, actorID, handle string) ReplyState {
	if members, private := m.Private[cohortID]; private && cohortID != "" &&
		!m.IsModerator(actorID, handle) && !matchHandle(members, actorID, handle) {
		return Held
	}
	return m.StateFor(actorID, handle)
}

// ApprovesFollowers reports whether the course approves its followers,
// which it does when any cohort is private.
func (m Moderation) ApprovesFollowers() bool { return len(m.Private) > 0 }

// AcceptsFollowAtOnce reports whether a Follow by the account is accepted
// without a moderator: always when the course has no private cohort, else
// only from a member of a private cohort or a moderator.
func (m Moderation) AcceptsFollowAtOnce(actorID, handle string) bool {
	if !m.ApprovesFollowers() || m.IsModerator(actorID, handle) {
		return true
	}
	for _, members := range m.Private {
		if matchHandle(members, actorID, handle) {
			return true
		}
	}
	return false
}

// Feature is a reply a moderator pinned on top of its lesson's thread,
// highlighted there and boosted by the course account.
type Feature struct {
	ReplyID  string
	LessonID string
	CohortID string    // the cohort of the reply's thread, "" for none
	Position int       // 1 for the first pinned reply of the lesson, then 2, ...
	Since    time.Time // when it was featured; it names the boost
}

// Block refuses an account, or every account of a domain: their later
// activities are dropped and their replies hidden from the pages.
type Block struct {
	// Target is an actor id (https://host/users/name) or, when Domain is
	// set, a host name such as spam.example; a domain block covers its
	// subdomains too.
	Target  string
	Domain  bool
	Reason  string    // why, for the moderators
	By      string    // who blocked, as in the audit log
	Created time.Time // when
}

// ParseBlockTarget turns what a moderator typed into a block: an actor URL
// (http or https), or a domain ("spam.example", "*@spam.example",
// "@spam.example"). A handle "@user@host" cannot be blocked by itself: it
// must first be resolved to its actor id, which ParseBlockTarget reports as
// ErrHandle.
func ParseBlockTarget(s string) (Block, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return Block{}, fmt.Errorf("block %q: not an actor URL", s)
		}
		return Block{Target: s}, nil
	}
	if user, _, ok := splitHandle(s); ok && user != "*" {
		return Block{}, fmt.Errorf("block %q: %w", s, ErrHandle)
	}
	d := strings.ToLower(s)
	d = strings.TrimPrefix(d, "*@")
	d = strings.TrimPrefix(d, "@")
	d = strings.TrimPrefix(d, "*.")
	if d == "" || strings.ContainsAny(d, "@/: ") || !strings.Contains(d, ".") && net.ParseIP(d) == nil && d != "localhost" {
		return Block{}, fmt.Errorf("block %q: not an actor URL or a domain", s)
	}
	return Block{Target: d, Domain: true}, nil
}

// ErrHandle is returned by ParseBlockTarget for a handle, which needs a
// lookup to become an actor id.
var ErrHandle = errors.New("a handle, not an actor URL or a domain")

// Matches reports whether the block covers actorID (an actor id, or any
// URL on the actor's server, such as a key id, for a domain block).
func (b Block) Matches(actorID string) bool {
	if !b.Domain {
		return actorID == b.Target
	}
	h := hostOf(actorID)
	t := strings.ToLower(b.Target)
	return h != "" && (h == t || strings.HasSuffix(h, "."+t))
}

// BlockTargets returns every target a block covering actorID could have:
// the actor id itself, its host and each domain the host is under. A store
// looks these up by key instead of reading every block.
func BlockTargets(actorID string) []string {
	targets := []string{actorID}
	for h := hostOf(actorID); h != ""; {
		targets = append(targets, h)
		_, rest, ok := strings.Cut(h, ".")
		if !ok {
			break
		}
		h = rest
	}
	return targets
}

// BlockedBy returns the first block of blocks that covers actorID.
func BlockedBy(blocks []Block, actorID string) (Block, bool) {
	i := slices.IndexFunc(blocks, func(b Block) bool { return b.Matches(actorID) })
	if i < 0 {
		return Block{}, false
	}
	return blocks[i], true
}

// Moderator is a moderator's account on the moderation page.
type Moderator struct {
	Name         string    // the login name, unique
	Handle       string    // the moderator's fediverse handle, @user@host
	PasswordHash string    // bcrypt; never the password
	Created      time.Time // when the account was added
}

// String returns the name and handle, never the password hash.
func (m Moderator) String() string { return m.Name + " (" + m.Handle + ")" }

// Session is a moderator's login. The cookie holds a random token; the
// Store keeps only its hash, so a copy of the database opens no session.
type Session struct {
	IDHash    string    // hex SHA-256 of the cookie's token
	Moderator string    // the moderator's Name
	Created   time.Time // when the moderator logged in
	Expires   time.Time // after this the session is refused
}

// Audit actions, as written in AuditEntry.Action.
const (
	ActionApprove       = "approve"
	ActionHide          = "hide"
	ActionShow          = "show"
	ActionFeature       = "feature"
	ActionUnfeature     = "unfeature"
	ActionBlock         = "block"
	ActionUnblock       = "unblock"
	ActionLogin         = "login"
	ActionLogout        = "logout"
	ActionModerator     = "moderator-add"
	ActionApproveFollow = "follow-approve"
	ActionRejectFollow  = "follow-reject"
)

// AuditEntry is one line of the audit log: who did what to what, when and
// why.
type AuditEntry struct {
	ID       int64     // assigned by the Store, increasing
	Who      string    // a moderator's name, or "cli:<os user>"
	Action   string    // one of the Action constants
	Target   string    // a reply id, an actor id or a domain
	LessonID string    // the lesson whose thread changed, "" for none or many
	Reason   string    // optional
	At       time.Time // when
}
