package site

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseFrontMatter(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		title    string
		body     string
		bodyLine int
		err      string
	}{
		{"plain", "+++\ntitle = \"A\"\n+++\nBody\n", "A", "Body\n", 4, ""},
		{"no front matter", "# Just Markdown\n", "", "# Just Markdown\n", 1, ""},
		{"CRLF line ends", "+++\r\ntitle = \"A\"\r\n+++\r\nBody\r\n", "A", "Body\r\n", 4, ""},
		{"byte order mark", "\ufeff+++\ntitle = \"A\"\n+++\n", "A", "", 4, ""},
		{"empty front matter", "+++\n+++\ntext", "", "text", 3, ""},
		{"fence with trailing spaces", "+++  \ntitle = \"A\"\n+++ \nB", "A", "B", 4, ""},
		{"plus signs in the body", "+++\ntitle = \"A\"\n+++\n+++ not a fence\n", "A", "+++ not a fence\n", 4, ""},
		{"unclosed", "+++\ntitle = \"A\"\n", "", "", 0, "f.md:1:1: front matter opened with +++ is never closed"},
		{"syntax error has the file's line", "+++\ntitle = \"A\"\n\nweight = ]\n+++\n", "", "", 0, "f.md:4:"},
		{"wrong type", "+++\nweight = \"ten\"\n+++\n", "", "", 0, "f.md:2"},
		{"unknown key", "+++\ntitle = \"A\"\nsumary = \"x\"\n+++\n", "", "", 0, `f.md:3:1: unknown front matter key "sumary"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fm, body, line, err := ParseFrontMatter("f.md", []byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Errorf("error is %T, want *site.Error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fm.Title != tt.title || string(body) != tt.body || line != tt.bodyLine {
				t.Errorf("got title %q body %q line %d; want %q %q %d", fm.Title, body, line, tt.title, tt.body, tt.bodyLine)
			}
		})
	}
}

// FuzzFrontMatter: parsing never panics; on success the body is the end of the
// input and starts at the line reported; on failure the error says where, within
// the file.
func FuzzFrontMatter(f *testing.F) {
	f.Add([]byte("+++\ntitle = \"A\"\nweight = 3\ntags = [\"a\", \"b\"]\n+++\nBody\n"))
	f.Add([]byte("+++\ntitle = \"A\n+++\n"))
	f.Add([]byte("+++\r\n[x]\r\n+++\r\n"))
	f.Add([]byte("no front matter"))
	f.Add([]byte("+++\ndate = 2026-01-02T03:04:05Z\nobjectives = ['''a''']\n+++\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, body, line, err := ParseFrontMatter("f.md", data)
		lines := bytes.Count(data, []byte("\n")) + 1
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not a *site.Error: %v", err, err)
			}
			if e.File != "f.md" || e.Line < 0 || e.Line > lines+1 {
				t.Fatalf("error at line %d of a %d-line file: %v", e.Line, lines, err)
			}
			return
		}
		if !bytes.HasSuffix(data, body) {
			t.Fatalf("body is not the end of the input")
		}
		if line < 1 || line > lines+1 {
			t.Fatalf("body line %d of a %d-line file", line, lines)
		}
		if len(body) > 0 {
			before := data[:len(data)-len(body)]
			if got := bytes.Count(before, []byte("\n")) + 1; got != line && !bytes.HasPrefix(data, []byte("\ufeff")) {
				t.Fatalf("body starts on line %d, reported %d", got, line)
			}
		}
	})
}
