package activitypub

import (
	"testing"

	"github.com/cohort-course/cohort/site"
)

// TestLessonURLAgreesWithSite: the page links the post at the URL the companion
// serves it at; both sides build it, so they must agree.
func TestLessonURLAgreesWithSite(t *testing.T) {
	for _, insecure := range []bool{false, true} {
		f := site.Federation{Handle: "course", Domain: "127.0.0.1:8090", AllowInsecure: insecure}
		for _, id := range []string{"writing-prompts", "01-week-a lesson", "ümlaut"} {
			if got, want := f.LessonURL(id), NewURLs(f.Domain, insecure).Lesson(id); got != want {
				t.Errorf("site links %s, companion serves %s", got, want)
			}
			if got, want := f.CohortLessonURL("2026-autumn", id), NewURLs(f.Domain, insecure).CohortLesson("2026-autumn", id); got != want {
				t.Errorf("site links the cohort's post %s, companion serves %s", got, want)
			}
		}
	}
}
