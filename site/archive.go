package site

import (
	"fmt"
	"path"
)

// archivePages writes, for each lesson, a page per earlier cohort's discussion
// (layout archive.html, with .Page the lesson and .Archived the cohort's).
func (r *run) archivePages(base PageData) error {
	for _, l := range r.course.Lessons {
		for _, a := range l.Archive {
			rel := r.outPath(a.URL)
			// The page shows the module's navigation beside the thread: its key too.
			key := newKeyer().str(r.key, r.pagesKey, l.cardKey, r.modKeys[l.Module], l.ActivityURL, a.Cohort.ID, a.Thread.key()).sum()
			r.next.Special[rel] = key
			if r.prev.special(rel) == key && r.out.keep(rel) {
				continue
			}
			data := base
			data.Page, data.Archived = l, a
			if l.Module != nil {
				data.Nav = markCurrent(r.navs[l.Module], l.URL)
			}
			html, err := r.theme.execute("archive.html", data)
			if err != nil {
				return &Error{File: path.Join(ContentDir, l.File), Err: fmt.Errorf("archive of %s: %w", a.Cohort.ID, err)}
			}
			if err := r.out.write(rel, html); err != nil {
				return err
			}
		}
	}
	return nil
}
