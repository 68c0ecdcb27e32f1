package site

import (
	"fmt"
	"regexp"
	"sync"
)

// Error is a problem in an author's file, with the place it was found. Line and Col are
// 1-based; zero means unknown.
type Error struct {
	File string
	Line int
	Col  int
	Err  error
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Col > 0:
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Col, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	default:
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// lazyRegexp compiles pattern when it is first used. Compiled while the program
// starts, the package's patterns took about a millisecond of every process,
// most of them to read the messages of errors that seldom happen.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
