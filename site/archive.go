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
			data := base
			data.Archived = a
			if err := r.lessonPage(l, rel, key, "archive.html", data, "archive of "+a.Cohort.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// lessonPage writes rel, a page of lesson l's beside the lesson page (an
// archive or a page of its discussion) in layout with data, unless the last
// build wrote it with the same key. It shows the module's navigation;
// what names it in an error.
func (r *run) lessonPage(l *Page, rel, key, layout string, data PageData, what string) error {
	r.next.Special[rel] = key
	if r.prev.special(rel) == key && r.out.keep(rel) {
		return nil
	}
	data.Page = l
	if l.Module != nil {
		data.Nav = markCurrent(r.navs[l.Module], l.URL)
	}
	html, err := r.theme.execute(layout, data)
	if err != nil {
		return &Error{File: path.Join(ContentDir, l.File), Err: fmt.Errorf("%s: %w", what, err)}
	}
	return r.out.write(rel, html)
}
