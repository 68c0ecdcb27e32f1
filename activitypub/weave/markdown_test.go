package weave

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/cohort-course/cohort/site"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// sampleWeave is week 2 of a cohort with one quote of each kind.
func sampleWeave(language string) *Weave {
	start := time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC)
	at := start.Add(30 * time.Hour)
	return &Weave{Cohort: site.Cohort{ID: "autumn", Name: "Autumn 2026"}, Week: 2, Start: start, End: start.AddDate(0, 0, 7),
		Now: start.AddDate(0, 0, 8), Language: language,
		Featured: []Quote{{ReplyID: "https://m.example/users/ana/statuses/1", URL: "https://m.example/@ana/1", Handle: "@ana@m.example", Name: "Ana",
			Text: "Listening first changed the group.\n\nWe slowed down.", Published: at, LessonTitle: "What a cohort is", LessonURL: "https://course.example/01/intro/"}},
		Discussed: []Quote{{ReplyID: "https://g.example/users/bo/statuses/2", URL: "https://g.example/@bo/2", Handle: "@bo@g.example",
			Text: "Who sets the pace: the group or the moderator?", Published: at, LessonTitle: "Pace", LessonURL: "https://course.example/01/pace/", Replies: 4}},
		Questions: []Quote{{ReplyID: "https://k.example/notes/3", URL: "https://k.example/notes/3", Handle: "@cy@k.example", Name: "Cy",
			Text: "How do I quote a reply in my own post?", Published: at, LessonTitle: "Pace", LessonURL: "https://course.example/01/pace/"}},
	}
}

// TestMarkdownLanguages: the draft and the module's index are written in
// the course's language (goldens for en and nl; nl-BE is nl, a language
// the weave does not speak is English), none of the English fixed text
// is left in the Dutch ones, and the front matter stays valid TOML with
// the same machine fields whatever the language.
func TestMarkdownLanguages(t *testing.T) {
	for _, lang := range []string{"en", "nl"} {
		draft := string(sampleWeave(lang).Markdown())
		index := ModuleIndex(lang)
		compare(t, "draft-"+lang+".md.golden", draft)
		compare(t, "index-"+lang+".md.golden", index)
		for _, page := range []string{draft, index} {
			fm, _, ok := strings.Cut(strings.TrimPrefix(page, "+++\n"), "+++\n")
			var v map[string]any
			if _, err := toml.Decode(fm, &v); !ok || err != nil {
				t.Fatalf("%s: front matter: %v\n%s", lang, err, page)
			}
			if page == draft && (v["draft"] != true || v["cohort"] != "autumn" || v["opens"] != "week 3" || len(v["quotes"].([]any)) != 3) {
				t.Errorf("%s: machine fields = %v", lang, v)
			}
		}
	}
	en, nl := reflect.ValueOf(wordsFor("en")), reflect.ValueOf(wordsFor("nl"))
	dutch := string(sampleWeave("nl").Markdown()) + ModuleIndex("nl")
	for i := range en.NumField() {
		if nl.Field(i).String() == "" {
			t.Errorf("nl has no %s", en.Type().Field(i).Name)
		}
		// Each stretch of English between the filled-in values; short
		// ones ("Week ", " of ") may be Dutch too.
		for _, s := range strings.FieldsFunc(strings.NewReplacer("%d", "%", "%s", "%", "\n", " ").Replace(en.Field(i).String()), func(r rune) bool { return r == '%' }) {
			if s = strings.TrimSpace(s); len(s) > 5 && strings.Contains(strings.ReplaceAll(dutch, "\n# ", " "), s) {
				t.Errorf("the Dutch weave has English text %q (%s)", s, en.Type().Field(i).Name)
			}
		}
	}
	if got := string(sampleWeave("nl-BE").Markdown()); got != string(sampleWeave("nl").Markdown()) {
		t.Error("nl-BE is not written in Dutch")
	}
	if got := string(sampleWeave("fr").Markdown()); got != string(sampleWeave("en").Markdown()) {
		t.Error("a language the weave does not speak is not English")
	}
}

// compare compares got with testdata/name, or rewrites it with -update.
func compare(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./activitypub/weave -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs:\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}
