package site

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/BurntSushi/toml"
)

// FrontMatter is the TOML between the +++ lines at the top of a content file.
type FrontMatter struct {
	Title      string    `toml:"title"`
	ID         string    `toml:"id"`
	Weight     int       `toml:"weight"`
	Date       time.Time `toml:"date"`
	Summary    string    `toml:"summary"`
	Draft      bool      `toml:"draft"`
	Tags       []string  `toml:"tags"`
	Objectives []string  `toml:"objectives"`
	Discussion string    `toml:"discussion"`
	Video      string    `toml:"video"`
	Duration   string    `toml:"duration"`
	Opens      string    `toml:"opens"`
	Aliases    []string  `toml:"aliases"`
}

const fence = "+++"

// ParseFrontMatter splits a content file into its front matter and Markdown body.
// bodyLine is the 1-based line where the body starts. A file without front matter
// has an empty FrontMatter. Errors are *Error with the file's own line and column.
func ParseFrontMatter(file string, data []byte) (fm FrontMatter, body []byte, bodyLine int, err error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	first, rest, _ := bytes.Cut(data, []byte("\n"))
	if string(bytes.TrimRight(first, " \t\r")) != fence {
		return fm, data, 1, nil
	}
	// Find the closing fence: a line that is exactly +++.
	line := 2
	start := len(first) + 1
	pos := start
	for {
		if pos >= len(data) {
			return fm, nil, 0, &Error{File: file, Line: 1, Col: 1,
				Err: errors.New("front matter opened with +++ is never closed")}
		}
		end := bytes.IndexByte(data[pos:], '\n')
		var text []byte
		next := len(data)
		if end >= 0 {
			text = data[pos : pos+end]
			next = pos + end + 1
		} else {
			text = data[pos:]
		}
		if string(bytes.TrimRight(text, " \t\r")) == fence {
			md, derr := toml.Decode(string(data[start:pos]), &fm)
			if derr != nil {
				return fm, nil, 0, tomlError(file, 1, derr)
			}
			if undecoded := md.Undecoded(); len(undecoded) > 0 {
				l, c := keyPosition(data[start:pos], undecoded[0])
				if l > 0 {
					l++
				}
				return fm, nil, 0, &Error{File: file, Line: l, Col: c,
					Err: fmt.Errorf("unknown front matter key %q", undecoded[0].String())}
			}
			_ = rest
			return fm, data[next:], line + 1, nil
		}
		pos = next
		line++
	}
}
