// Package early looks at a course folder from a goroutine that a command
// starts while the rest of the program's packages initialize.
//
// A fresh `cohort build` spends its first 25–40 ms in package initialization,
// on one core: chroma alone parses a few hundred lexers and styles from
// embedded XML. A one-edit build then stats every file under content/, ten
// thousand system calls that need none of that. Started first (cmd/cohort's
// prestart package), Start makes them on the idle core, and the build's walk
// takes what it finds here (Stamps). Whatever is not here, the build looks
// at itself, so the package changes when things are looked at, never what is
// found: a snapshot taken at Start is what a build started at that moment
// would have seen.
//
// Each folder's stamps are handed out once: a long-running process (serve)
// must look again, not trust a snapshot.
package early

// Stamp is what a stat said of a file: enough to tell whether it changed.
type Stamp struct {
	Size      int64
	MtimeSec  int64
	MtimeNsec int64
	Ctime     int64 // status change time, nanoseconds since the epoch
	Regular   bool
}
