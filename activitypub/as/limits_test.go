package as_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cohort-course/cohort/activitypub/as"
)

// measure counts what Limits bound the way encoding/json sees a valid
// document: its size, deepest nesting, longest array and number of values
// (object keys included). It is the reference Check is held to.
func measure(t testing.TB, data []byte) (depth, longest, nodes int) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	type frame struct {
		array bool
		n     int
	}
	var stack []frame
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return depth, longest, nodes
		}
		if err != nil {
			t.Fatalf("reference decoder on valid JSON: %v", err)
		}
		if delim, ok := tok.(json.Delim); ok && (delim == '}' || delim == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		nodes++
		if n := len(stack); n > 0 && stack[n-1].array {
			stack[n-1].n++
			longest = max(longest, stack[n-1].n)
		}
		if delim, ok := tok.(json.Delim); ok {
			stack = append(stack, frame{array: delim == '['})
			depth = max(depth, len(stack))
		}
	}
}

func within(l as.Limits, size, depth, longest, nodes int) bool {
	return size <= l.Size && depth <= l.Depth && longest <= l.Array && nodes <= l.Nodes
}

// TestLimitsCheck: one row per limit, at it and one over it.
func TestLimitsCheck(t *testing.T) {
	l := as.Limits{Size: 200, Depth: 3, Array: 4, Nodes: 12}
	tests := []struct {
		name string
		doc  string
		ok   bool
	}{
		{"a small object passes", `{"a":"b","c":[1,2]}`, true},
		{"nesting at the limit passes", `{"a":{"b":[1]}}`, true},
		{"nesting one over is refused", `{"a":{"b":[[1]]}}`, false},
		{"an array at the limit passes", `[1,2,"x",{}]`, true},
		{"an array one over is refused", `[1,2,"x",{},null]`, false},
		{"an array over the limit deeper down is refused", `{"a":[[1,2,3,4,5]]}`, false},
		{"keys count as values", `{"a":1,"b":2,"c":3,"d":4,"e":5}`, true},
		{"one key and value over is refused", `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}`, false},
		{"brackets inside strings are text", `{"a":"[[[[[[{{{{{"}`, true},
		{"an escaped quote does not end a string", `{"a":"x\"[[[[[["}`, true},
		{"over the size is refused", `{"a":"` + strings.Repeat("x", 200) + `"}`, false},
		{"an unterminated string is refused", `{"a":"b`, false},
		{"an open object is refused", `{"a":{"b":1}`, false},
		{"a stray close is refused", `{}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := l.Check([]byte(tt.doc))
			if (err == nil) != tt.ok {
				t.Fatalf("Check(%s) = %v, want ok=%v", tt.doc, err, tt.ok)
			}
			if err != nil && !errors.Is(err, as.ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if !tt.ok && json.Valid([]byte(tt.doc)) && !errors.Is(err, as.ErrLimit) {
				t.Fatalf("valid JSON over a limit: error %v does not wrap ErrLimit", err)
			}
		})
	}
}

// TestLimitsAdmitRealDocuments: every fixture (real payloads from
// Mastodon, GoToSocial and others) is within the limits it would be read
// under, with room to spare, and Check counts exactly as a decoder does.
func TestLimitsAdmitRealDocuments(t *testing.T) {
	var files []string
	for _, glob := range []string{"../../../shared/fixtures/*/*.json", "../../../shared/fixtures/*.json", "testdata/*.json"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures found: ../shared/fixtures should be reachable from the repository root")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(data) {
			continue // a fixture of broken input
		}
		depth, longest, nodes := measure(t, data)
		// Half the limits: a real document must not be near them.
		half := as.Limits{Size: as.KeyLimits.Size / 2, Depth: as.KeyLimits.Depth / 2, Array: as.KeyLimits.Array / 2, Nodes: as.KeyLimits.Nodes / 2}
		if !within(half, len(data), depth, longest, nodes) {
			t.Errorf("%s: %d bytes, depth %d, array %d, %d values: within twice of KeyLimits %+v", f, len(data), depth, longest, nodes, as.KeyLimits)
		}
		if err := as.ActivityLimits.Check(data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestLimitsCheckAllocatesNothing: the scan costs no garbage, whatever the
// document.
func TestLimitsCheckAllocatesNothing(t *testing.T) {
	doc := []byte(`{"@context":["https://www.w3.org/ns/activitystreams",{"a":{"@id":"x"}}],"items":[1,2,3,"four",{"five":[5]}]}`)
	if n := testing.AllocsPerRun(100, func() { _ = as.ActivityLimits.Check(doc) }); n != 0 {
		t.Fatalf("Check allocated %.0f times per run", n)
	}
	deep := bytes.Repeat([]byte("["), 10_000)
	if n := testing.AllocsPerRun(100, func() { _ = as.ActivityLimits.Check(deep) }); n > 10 {
		t.Fatalf("Check of a deep document allocated %.0f times per run; only its error should", n)
	}
}

// TestOverLimitDocumentsAreRefusedByEveryParser: each entry point that
// reads remote JSON refuses a document over its limits with ErrLimit,
// before decoding it.
func TestOverLimitDocumentsAreRefusedByEveryParser(t *testing.T) {
	ctx := context.Background()
	deep := `{"@context":"https://www.w3.org/ns/activitystreams","type":"Person","id":"https://h.example/u","inbox":"https://h.example/i","x":` +
		strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`
	wide := `{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"https://h.example/a","actor":"https://h.example/u","object":"https://h.example/n","to":[` +
		strings.TrimSuffix(strings.Repeat(`"x",`, 5000), ",") + `]}`
	big := `{"type":"Note","id":"https://h.example/n","content":"` + strings.Repeat("x", 70<<10) + `"}`
	parsers := []struct {
		name string
		run  func([]byte) error
		doc  string
	}{
		{"Parse, too deep", func(b []byte) error { _, err := as.Parse(ctx, b); return err }, deep},
		{"Parse, an array too long", func(b []byte) error { _, err := as.Parse(ctx, b); return err }, wide},
		{"ParseNote, an array too long", func(b []byte) error { _, err := as.ParseNote(ctx, b); return err }, wide},
		{"ParseActor, too deep", func(b []byte) error { _, err := as.ParseActor(ctx, b); return err }, deep},
		{"ParseActor, over 64 KiB", func(b []byte) error { _, err := as.ParseActor(ctx, b); return err }, big},
		{"ParseKey, over 64 KiB", func(b []byte) error { _, err := as.ParseKey(ctx, b, "https://h.example/u#k"); return err }, big},
		{"ParseKey, too deep", func(b []byte) error { _, err := as.ParseKey(ctx, b, "https://h.example/u#k"); return err }, deep},
		{"WebFingerActor, over 64 KiB", func(b []byte) error { _, err := as.WebFingerActor(b); return err }, big},
		{"ParseCollectionPage, an array too long", func(b []byte) error { _, err := as.ParseCollectionPage(b); return err }, wide},
		{"RepliesOf, an array too long", func(b []byte) error { _, err := as.RepliesOf(b); return err }, wide},
	}
	for _, p := range parsers {
		t.Run(p.name, func(t *testing.T) {
			if err := p.run([]byte(p.doc)); !errors.Is(err, as.ErrLimit) || !errors.Is(err, as.ErrInvalid) {
				t.Fatalf("error = %v, want ErrLimit and ErrInvalid", err)
			}
		})
	}
}

// FuzzLimitsCheck: Check never panics, and on valid JSON it accepts
// exactly the documents a decoder finds within the limits; so what it
// accepts is within them.
func FuzzLimitsCheck(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,2,{"b":"c"}]}`, `"x"`, `[[[[[]]]]]`, `{"a":"\"]"}`, `[1,2,3,4,5]`,
		`{"a":{"b":{"c":{"d":1}}}}`, `[true,false,null,-1.5e3]`, `{"a" : [ "x" , "y" ] }`} {
		f.Add([]byte(s))
	}
	if data, err := os.ReadFile("testdata/mastodon-create-reply.json"); err == nil {
		f.Add(data)
	}
	l := as.Limits{Size: 4096, Depth: 4, Array: 5, Nodes: 40}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := l.Check(data)
		if err != nil && !errors.Is(err, as.ErrInvalid) {
			t.Fatalf("error %v does not wrap ErrInvalid", err)
		}
		if !json.Valid(data) {
			return
		}
		depth, longest, nodes := measure(t, data)
		in := within(l, len(data), depth, longest, nodes)
		if (err == nil) != in {
			t.Fatalf("Check = %v, but a decoder finds %d bytes, depth %d, longest array %d, %d values (limits %+v)",
				err, len(data), depth, longest, nodes, l)
		}
	})
}
