package activitypub

import (
	"net/url"
	"strings"
)

// URLs is where the course actor's documents live on the companion's public
// host. Every room builds its ids from the same URLs, so an id written in a
// Create is the URL that serves it.
type URLs struct {
	// Base is the public scheme and host, without a trailing slash, e.g.
	// https://course.example.org, or http://127.0.0.1:8090 when insecure
	// peers are allowed.
	Base string
}

// NewURLs returns the URLs of a companion answering for domain: https, or
// http when insecure is set (tests and a local peer).
func NewURLs(domain string, insecure bool) URLs {
	scheme := "https"
	if insecure {
		scheme = "http"
	}
	return URLs{Base: scheme + "://" + domain}
}

// Host returns the public host (with its port, if any).
func (u URLs) Host() string {
	p, err := url.Parse(u.Base)
	if err != nil {
		return ""
	}
	return p.Host
}

// Actor returns the course actor's id.
func (u URLs) Actor() string { return u.Base + "/actor" }

// KeyID returns the id of the course actor's public key.
func (u URLs) KeyID() string { return u.Actor() + "#main-key" }

// Inbox returns the inbox, which is also the shared inbox.
func (u URLs) Inbox() string { return u.Base + "/inbox" }

// Outbox returns the outbox collection.
func (u URLs) Outbox() string { return u.Base + "/outbox" }

// Followers returns the followers collection.
func (u URLs) Followers() string { return u.Base + "/followers" }

// Featured returns the featured collection: the course actor's pinned
// lesson posts.
func (u URLs) Featured() string { return u.Base + "/featured" }

// LessonPrefix is the path under which lesson objects live.
const LessonPrefix = "/lessons/"

// Lesson returns the object id of a lesson.
func (u URLs) Lesson(lessonID string) string { return u.Base + LessonPrefix + url.PathEscape(lessonID) }

// Replies returns the replies collection of a lesson object.
func (u URLs) Replies(lessonID string) string { return u.Lesson(lessonID) + "/replies" }

// Activity returns the id of one of the course actor's activities: kind is
// e.g. "accept", key makes it unique and stable across retries.
func (u URLs) Activity(kind, key string) string {
	return u.Base + "/activities/" + kind + "/" + url.PathEscape(key)
}

// IsLocal reports whether id is on the companion's own host.
func (u URLs) IsLocal(id string) bool {
	return strings.HasPrefix(id, u.Base+"/")
}

// SameHost reports whether two absolute URLs have the same host (and port):
// an object's id must be on its actor's host.
func SameHost(a, b string) bool {
	ua, err := url.Parse(a)
	if err != nil || ua.Host == "" {
		return false
	}
	ub, err := url.Parse(b)
	if err != nil {
		return false
	}
	return strings.EqualFold(ua.Host, ub.Host)
}

// CohortPrefix is the path under which each cohort's lesson objects live.
const CohortPrefix = "/cohorts/"

// CohortLesson returns the object id of a lesson's post for one cohort:
// each cohort has its own post, so its thread starts fresh. A cohortID of ""
// gives Lesson's id, for a course without cohorts.
func (u URLs) CohortLesson(cohortID, lessonID string) string {
	if cohortID == "" {
		return u.Lesson(lessonID)
	}
	return u.Base + CohortPrefix + url.PathEscape(cohortID) + LessonPrefix + url.PathEscape(lessonID)
}

// CohortReplies returns the replies collection of a cohort's lesson object.
func (u URLs) CohortReplies(cohortID, lessonID string) string {
	return u.CohortLesson(cohortID, lessonID) + "/replies"
}

// DirectPrefix is the path under which the course account's direct
// messages live.
const DirectPrefix = "/direct/"

// Direct returns the id of a direct message of the course account; key
// makes it unique and stable across retries.
func (u URLs) Direct(key string) string { return u.Base + DirectPrefix + url.PathEscape(key) }
