package site

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestChunkPostingsReadsWhatEmitWrites reads back the lists of a chunk file
// as json.Marshal writes it, with stems that JSON escapes among them: every
// stem without an escape comes back with its list, the others not at all
// (their lists are then encoded again).
func TestChunkPostingsReadsWhatEmitWrites(t *testing.T) {
	c := searchChunk{
		Words: map[string]string{"p": "", "quote\"d": "", `back\slash`: "", "<tag>": "", "über": "", "dogs": "dog"},
		Postings: map[string]string{
			"p": "1a2b", "quote\"d": "3c", `back\slash`: "4d", "<tag>": "5e", "über": "6f7g", "dog": "A1h",
			"z": "",
		},
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	chunkPostings(data, func(stem, enc string) { got[stem] = enc })
	want := map[string]string{"p": "1a2b", "über": "6f7g", "dog": "A1h", "z": ""}
	if !maps.Equal(got, want) {
		t.Errorf("read %v from %s, want %v", got, data, want)
	}
	for _, bad := range []string{``, `{}`, `{"w":{},"p":{"a":`, `{"w":{},"p":{"a":"1`, `{"w":{},"p":{"a\"`} {
		chunkPostings([]byte(bad), func(stem, enc string) { t.Errorf("%q gave %q: %q", bad, stem, enc) })
	}
}

// oneModuleCourse is a course (txtar) of one module whose lessons are docs.
func oneModuleCourse(docs []genDoc) string {
	var b strings.Builder
	b.WriteString("-- course.toml --\ntitle = \"C\"\nbase_url = \"https://example.org/\"\n-- content/_index.md --\n+++\ntitle = \"C\"\n+++\n")
	b.WriteString("-- content/01-m/_index.md --\n+++\ntitle = \"M\"\nweight = 1\n+++\n")
	for i, d := range docs {
		fmt.Fprintf(&b, "-- content/01-m/l%03d.md --\n+++\ntitle = %q\n+++\n%s\n", i, d.Title, d.Text)
	}
	return b.String()
}

// TestSearchFreshUpdateDamagedChunk edits a lesson of a course with a split
// index and builds in a fresh process, after one of the last build's chunk
// files was changed by hand: the index is updated, and the chunks it makes
// again are a clean build's, the damaged files' lists not taken.
func TestSearchFreshUpdateDamagedChunk(t *testing.T) {
	gen := genDocs(200, 20000, 150)
	dir := course(t, oneModuleCourse(gen))
	pub := filepath.Join(dir, "public")
	opts := Options{Source: dir, Out: pub, CacheDir: filepath.Join(dir, ".cohort")}
	if _, err := Build(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	meta := openSearch(t, pub).meta
	if meta.Index != nil || len(meta.Chunks) < 3 {
		t.Fatalf("the index is not split in chunks enough: %d", len(meta.Chunks))
	}
	lesson := filepath.Join(dir, "content", "01-m", "l007.md")
	for round, damage := range []bool{false, true} {
		src, err := os.ReadFile(lesson)
		if err != nil {
			t.Fatal(err)
		}
		// A few words of other pages: the chunks that hold them are made
		// again, with the lists of the words beside them.
		words := strings.Fields(gen[100+round].Text)[:3]
		if err := os.WriteFile(lesson, fmt.Appendf(src, "\n%s quetzal%d\n", strings.Join(words, " "), round), 0o644); err != nil {
			t.Fatal(err)
		}
		if damage {
			// Every list of every chunk file changed, its length kept: the
			// files' bytes are no longer what their names say.
			for _, c := range openSearch(t, pub).meta.Chunks {
				name := filepath.Join(pub, "search", filepath.FromSlash(c[1]))
				data, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				lists := strings.Index(string(data), `},"p":{"`)
				for i := lists; i+3 < len(data); i++ {
					if string(data[i:i+3]) == `":"` && data[i+3] != '"' {
						data[i+3] ^= 1
					}
				}
				if err := os.WriteFile(name, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		before := searchFilesIn(t, pub)
		fresh := NewBuilder(opts)
		if _, err := fresh.Build(t.Context()); err != nil {
			t.Fatal(err)
		}
		if fresh.search == nil || !fresh.search.updated {
			t.Errorf("round %d: the index was made again, not updated", round)
		}
		clean := filepath.Join(t.TempDir(), "public")
		if _, err := Build(t.Context(), Options{Source: dir, Out: clean}); err != nil {
			t.Fatal(err)
		}
		want, got := searchFilesIn(t, clean), searchFilesIn(t, pub)
		if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
			t.Errorf("round %d: search files %d, clean build %d", round, len(got), len(want))
		}
		made := 0
		for name, data := range got {
			// The files kept are as they were, damaged or not (the output
			// trusts its record of them); those made must be right.
			if _, kept := before[name]; kept && name != "index.json" {
				continue
			}
			made++
			if want[name] != data {
				t.Errorf("round %d: %s differs from a clean build's", round, name)
			}
		}
		if made < 2 {
			t.Errorf("round %d: %d search files made", round, made)
		}
	}
}

// TestSearchStateUnwritable builds with a cache folder where the search state
// cannot be written (its temporary file's name is taken by a folder): the
// build succeeds all the same, and a fresh build after an edit, finding no
// state with the token the build cache names, makes the index from every page,
// as a clean build does. The same course with a writable folder is updated.
func TestSearchStateUnwritable(t *testing.T) {
	src := oneModuleCourse(genDocs(200, 20000, 150))
	for _, blocked := range []bool{false, true} {
		dir := course(t, src)
		pub := filepath.Join(dir, "public")
		cache := filepath.Join(dir, ".cohort")
		if blocked {
			if err := os.MkdirAll(filepath.Join(cache, searchStateFile+".tmp", "x"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		opts := Options{Source: dir, Out: pub, CacheDir: cache}
		if _, err := Build(t.Context(), opts); err != nil {
			t.Fatalf("blocked %v: %v", blocked, err)
		}
		if _, err := os.Stat(filepath.Join(cache, searchStateFile)); (err == nil) == blocked {
			t.Fatalf("blocked %v: search state written: %v", blocked, err == nil)
		}
		lesson := filepath.Join(dir, "content", "01-m", "l003.md")
		src, err := os.ReadFile(lesson)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(lesson, append(src, "\nquetzal\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		fresh := NewBuilder(opts)
		if _, err := fresh.Build(t.Context()); err != nil {
			t.Fatal(err)
		}
		if fresh.search == nil || fresh.search.updated == blocked {
			t.Errorf("blocked %v: index updated %v", blocked, fresh.search != nil && fresh.search.updated)
		}
		clean := filepath.Join(t.TempDir(), "public")
		if _, err := Build(t.Context(), Options{Source: dir, Out: clean}); err != nil {
			t.Fatal(err)
		}
		if want, got := searchFilesIn(t, clean), searchFilesIn(t, pub); !maps.Equal(got, want) {
			t.Errorf("blocked %v: search files differ from a clean build's: %d files, want %d", blocked, len(got), len(want))
		}
	}
}
