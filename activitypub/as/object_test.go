package as_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cohort-course/cohort/activitypub/as"
)

// notesOf returns the objects of the fixtures' activities as documents on
// their own, as a server answers a GET of a post, with the activity's
// @context.
func notesOf(t testing.TB) [][]byte {
	files, _ := filepath.Glob("testdata/mastodon-*.json")
	var out [][]byte
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var act map[string]any
		if json.Unmarshal(b, &act) != nil {
			continue
		}
		obj, ok := act["object"].(map[string]any)
		if !ok {
			continue
		}
		obj["@context"] = act["@context"]
		doc, _ := json.Marshal(obj)
		out = append(out, doc)
	}
	return out
}

// FuzzParseNote: ParseNote never panics, and what it returns without an
// error always has an id and an author, so nothing anonymous or
// unaddressable reaches a thread.
func FuzzParseNote(f *testing.F) {
	for _, doc := range notesOf(f) {
		f.Add(doc)
	}
	f.Add([]byte(`{"id":"https://m.example/s/1","type":"Note","attributedTo":"https://m.example/u/a","content":"<p>hi</p>"}`))
	f.Add([]byte(`{"id":"https://m.example/s/1","type":["Note","Page"],"attributedTo":[{"id":"https://m.example/u/a"}],"to":"https://www.w3.org/ns/activitystreams#Public"}`))
	f.Add([]byte(`{"id":"","type":"Note","attributedTo":{"type":"Person"}}`))
	f.Add([]byte(`{"@context":{"@vocab":"x"},"id":"https://m.example/s/1","type":"Question","attributedTo":"a","name":"poll"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := as.ParseNote(context.Background(), data)
		if err != nil {
			if r != nil {
				t.Fatalf("a reply and an error: %+v, %v", r, err)
			}
			return
		}
		if r == nil {
			t.Fatal("nil reply without an error")
		}
		if r.ID == "" {
			t.Fatalf("reply without id from %s", data)
		}
		if r.Actor == "" {
			t.Fatalf("reply without author from %s", data)
		}
	})
}

// FuzzRepliesOf: reading a post's replies collection (and any page of it)
// never panics, never gives an item without an id, and an embedded item is
// the JSON object that has that id.
func FuzzRepliesOf(f *testing.F) {
	for _, doc := range notesOf(f) {
		f.Add(doc)
	}
	f.Add([]byte(`{"replies":"https://m.example/s/1/replies"}`))
	f.Add([]byte(`{"replies":{"type":"Collection","first":{"type":"CollectionPage","items":["https://m.example/s/2",{"id":"https://m.example/s/3","type":"Note"},{"type":"Note"},"",7,null],"next":"https://m.example/s/1/replies?page=2"}}}`))
	f.Add([]byte(`{"replies":{"first":{"first":{"orderedItems":[{"id":""}]}}},"next":[{"id":"x"}]}`))
	f.Add([]byte(`{"replies":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(p as.CollectionPage) {
			for _, it := range p.Items {
				if it.ID == "" {
					t.Fatalf("item without id from %s", data)
				}
				if it.Embedded == nil {
					continue
				}
				var obj struct {
					ID string `json:"id"`
				}
				if err := json.Unmarshal(it.Embedded, &obj); err != nil || obj.ID != it.ID {
					t.Fatalf("embedded item %q is not the object with that id: %s (%v)", it.ID, it.Embedded, err)
				}
			}
		}
		if p, err := as.RepliesOf(data); err == nil {
			check(p)
		}
		if p, err := as.ParseCollectionPage(data); err == nil {
			check(p)
		}
	})
}

// TestCollectionPageNestingBounded: a collection whose first page is a
// collection whose first page is a collection… is not followed down every
// level (each level would parse the rest of the document again, so a 1 MiB
// answer could cost gigabytes of parsing); the items are not read.
func TestCollectionPageNestingBounded(t *testing.T) {
	const depth = 5000
	var b bytes.Buffer
	b.WriteString(strings.Repeat(`{"first":`, depth))
	b.WriteString(`{"items":["https://m.example/s/deep"]}`)
	b.WriteString(strings.Repeat(`}`, depth))
	p, err := as.ParseCollectionPage(b.Bytes())
	if err == nil && len(p.Items) != 0 {
		t.Fatalf("items read %d levels down: %+v", depth, p.Items)
	}
	// Mastodon's shape, a collection with its first page embedded, is read.
	p, err = as.ParseCollectionPage([]byte(`{"type":"Collection","first":{"type":"CollectionPage","items":["https://m.example/s/1"]}}`))
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("Mastodon's replies collection: %+v, %v", p, err)
	}
}
