package site

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// FrontMatter is the block of keys at the top of a content file: TOML between +++
// lines, YAML between --- lines (as Hugo writes it), or a JSON object. All three fill
// this one struct by its toml names, with the same rules: an unknown key is an error
// at its line and column, and params is free-form.
type FrontMatter struct {
	Title      string         `toml:"title"`
	ID         string         `toml:"id"`
	Weight     int            `toml:"weight"`
	Date       time.Time      `toml:"date"`
	Summary    string         `toml:"summary"`
	Draft      bool           `toml:"draft"`
	Tags       []string       `toml:"tags"`
	Objectives []string       `toml:"objectives"`
	Discussion string         `toml:"discussion"`
	Assignment bool           `toml:"assignment"`
	Feedback   []string       `toml:"feedback"`
	Video      string         `toml:"video"`
	Duration   string         `toml:"duration"`
	Opens      string         `toml:"opens"`
	Aliases    []string       `toml:"aliases"`
	Params     map[string]any `toml:"params"`
	// Cohort makes a lesson one cohort's alone: it opens, and is posted,
	// for that cohort only (a weekly weave quotes one cohort's discussion).
	Cohort string `toml:"cohort"`
	// Quotes are the ids of the replies a lesson quotes (a weave): its post
	// links back to each and mentions their authors.
	Quotes []string `toml:"quotes"`
}

// The fences that open (and, but for JSON, close) front matter.
const (
	fence     = "+++" // TOML
	yamlFence = "---" // YAML
)

// ParseFrontMatter splits a content file into its front matter and Markdown body.
// The format is told by the first line: +++ for TOML, --- for YAML, { for JSON.
// bodyLine is the 1-based line where the body starts. A file without front matter
// has an empty FrontMatter. Errors are *Error with the file's own line and column.
func ParseFrontMatter(file string, data []byte) (fm FrontMatter, body []byte, bodyLine int, err error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	switch opener := string(bytes.TrimRight(first, " \t\r")); {
	case opener == fence || opener == yamlFence:
		block, next, line, ok := closeFence(data, len(first)+1, opener)
		if !ok {
			return fm, nil, 0, &Error{File: file, Line: 1, Col: 1,
				Err: fmt.Errorf("front matter opened with %s is never closed", opener)}
		}
		if opener == fence {
			err = decodeTOML(file, block, &fm)
		} else {
			err = decodeYAML(file, block, &fm)
		}
		if err != nil {
			return FrontMatter{}, nil, 0, err
		}
		return fm, data[next:], line, nil
	case bytes.HasPrefix(bytes.TrimLeft(first, " \t"), []byte("{")) && !bytes.HasPrefix(first, []byte("{{")):
		// JSON; "{{" opens a shortcode, not an object.
		next, err := decodeJSON(file, data, &fm)
		if err != nil {
			return FrontMatter{}, nil, 0, err
		}
		return fm, data[next:], bytes.Count(data[:next], []byte("\n")) + 1, nil
	}
	return fm, data, 1, nil
}

// closeFence finds the line that closes front matter opened with fence; the block
// starts at byte start, on line 2. It returns the block, the offset of the body and
// the body's 1-based line.
func closeFence(data []byte, start int, fence string) (block []byte, next, bodyLine int, ok bool) {
	line := 2
	for pos := start; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		text, next := data[pos:], len(data)
		if end >= 0 {
			text, next = data[pos:pos+end], pos+end+1
		}
		if string(bytes.TrimRight(text, " \t\r")) == fence {
			return data[start:pos], next, line + 1, true
		}
		pos = next
	}
	return nil, 0, 0, false
}

// decodeTOML decodes the block between +++ lines, which starts on the file's line 2.
func decodeTOML(file string, block []byte, fm *FrontMatter) error {
	md, err := toml.Decode(string(block), fm)
	if err != nil {
		return tomlError(file, 1, err)
	}
	for _, key := range md.Undecoded() {
		if key[0] == "params" { // free-form: anything goes
			continue
		}
		l, c := keyPosition(block, key)
		if l == 0 {
			l, c = 0, 1 // not found by name: point at the opening fence
		}
		return &Error{File: file, Line: l + 1, Col: c, Err: fmt.Errorf("unknown front matter key %q", key.String())}
	}
	return nil
}

// frontMatterFields maps each key to the index of its field in FrontMatter, by the
// toml tag, so that YAML and JSON fill the struct by the same names.
var frontMatterFields = func() map[string]int {
	t := reflect.TypeFor[FrontMatter]()
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		m[t.Field(i).Tag.Get("toml")] = i
	}
	return m
}()

// field returns the field of fm named key, or false for an unknown key.
func (fm *FrontMatter) field(key string) (reflect.Value, bool) {
	i, ok := frontMatterFields[key]
	if !ok {
		return reflect.Value{}, false
	}
	return reflect.ValueOf(fm).Elem().Field(i), true
}

var timeType = reflect.TypeFor[time.Time]()

// parseDate reads a date written as text in YAML or JSON front matter. It is read as
// a TOML date-time, so that the forms TOML accepts (2026-01-31, 2026-01-31T09:00:00,
// 2026-01-31T09:00:00Z, with an offset) mean the same moment in every format.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	bad := s == "" || len(s) > len("2006-01-02T15:04:05.999999999-07:00")
	for _, r := range s {
		bad = bad || !strings.ContainsRune("0123456789-:.TZtz +", r)
	}
	var v struct{ D time.Time }
	if !bad {
		if _, err := toml.Decode("D = "+s, &v); err != nil {
			bad = true
		}
	}
	if bad {
		return time.Time{}, fmt.Errorf("%q is not a date like 2026-01-31 or 2026-01-31T09:00:00Z", s)
	}
	return v.D, nil
}

// kindWord says in an author's words what a field of type t holds, for type errors.
func kindWord(t reflect.Type) string {
	switch {
	case t == timeType:
		return "a date"
	case t.Kind() == reflect.String:
		return "text"
	case t.Kind() == reflect.Int:
		return "a whole number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Slice:
		return "a list of text"
	default:
		return "a table of keys"
	}
}

// errWrongType says that key holds got where a value of type t belongs.
func errWrongType(key string, t reflect.Type, got string) error {
	if len(got) > 40 {
		got = got[:40] + "…"
	}
	return fmt.Errorf("%s: want %s, not %s", key, kindWord(t), got)
}
