package site

import "cmp"

// markAssignments marks the replies of each assignment lesson's threads
// (issue 14): each author's first top-level reply is their submission,
// and an answer to a submission by someone other than its author is a
// review. The companion decides who is asked to review what; the page
// shows what was written. Archived cohorts' threads are marked alike.
func markAssignments(lessons []*Page) {
	for _, l := range lessons {
		if !l.Assignment {
			continue
		}
		if l.Thread != nil {
			MarkAssignment(l.Thread)
		}
		for _, a := range l.Archive {
			if a.Thread != nil {
				MarkAssignment(a.Thread)
			}
		}
	}
}

// MarkAssignment marks the replies of one thread of an assignment lesson
// as the lesson page shows them: each author's first top-level reply is
// their Submission, an answer to it by someone else a Review. The build
// and the companion's threads API (for the live script) both call it, so
// a page and the API agree. The roots are in page order (featured first,
// then newest), so each author's first is found by date. A reply already
// marked stays marked.
func MarkAssignment(t *Thread) {
	first := map[string]*Reply{}
	for _, r := range t.Replies {
		if r == nil {
			continue
		}
		who := authorKey(r)
		if f, ok := first[who]; !ok || r.Published.Before(f.Published) || (r.Published.Equal(f.Published) && r.ID < f.ID) {
			first[who] = r
		}
	}
	for _, s := range first {
		s.Submission = true
		for _, a := range s.Replies {
			if a != nil && authorKey(a) != authorKey(s) {
				a.Review = true
			}
		}
	}
}

// authorKey names a reply's author: the handle, else the profile URL.
func authorKey(r *Reply) string { return cmp.Or(r.Author.Handle, r.Author.URL) }
