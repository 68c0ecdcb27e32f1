package markdown

// The syntax of a shortcode tag, as Hugo writes it: {{< name args >}} passes its inner
// text as it is, {{% name args %}} renders it as Markdown; {{< /name >}} closes a pair
// and {{< name />}} closes itself. Arguments are all positional ("a", `raw`, bare) or
// all named (key="value"). A tag fits on one line.

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// maxTagLen bounds the scan for a tag's end, so that a stray "{{<" in a long line
// costs nothing much; Hugo tags in real courses are under 200 bytes.
const maxTagLen = 4096

// ShortcodeCall is one use of a shortcode in a document.
type ShortcodeCall struct {
	Name string
	// Args are the positional arguments; Named the named ones. A call has one or the other.
	Args  []string
	Named map[string]string
	// Markdown is true for {{% %}}: the inner text is Markdown, and Inner is its HTML.
	// For {{< >}} Inner is the text between the tags as written.
	Markdown bool
	Inner    string
	// Paired tells a call with a closing tag from one without.
	Paired bool
	// Page is Env.Page of the Render call, for the caller's own shortcodes.
	Page any

	closing bool // {{< /name >}}
	self    bool // {{< name />}}
}

// Get returns a named argument, or for a number the positional argument at that index
// (from 0); "" when there is none.
func (c *ShortcodeCall) Get(key string) string {
	if c.Named != nil {
		return c.Named[key]
	}
	if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(c.Args) {
		return c.Args[i]
	}
	return ""
}

// arg returns the named argument name, or else the positional one at index i.
func (c *ShortcodeCall) arg(name string, i int) string {
	if c.Named != nil {
		return c.Named[name]
	}
	if i >= 0 && i < len(c.Args) {
		return c.Args[i]
	}
	return ""
}

var errNotTag = errors.New("not a shortcode tag")

// isTagStart tells whether b starts like a shortcode tag.
func isTagStart(b []byte) bool {
	return len(b) >= 3 && b[0] == '{' && b[1] == '{' && (b[2] == '<' || b[2] == '%')
}

// parseTag reads the tag at the start of b and returns it and its length. It returns
// errNotTag when b does not hold a whole tag on its first line, and another error for
// a tag that is plainly meant as one but is malformed.
func parseTag(b []byte) (*ShortcodeCall, int, error) {
	if !isTagStart(b) {
		return nil, 0, errNotTag
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	b = b[:min(len(b), maxTagLen)]
	end := []byte("%}}")
	if b[2] == '<' {
		end = []byte(">}}")
	}
	c := &ShortcodeCall{Markdown: b[2] == '%'}
	i := skipBlanks(b, 3)
	if i < len(b) && b[i] == '/' {
		c.closing = true
		i = skipBlanks(b, i+1)
	}
	start := i
	for i < len(b) && isNameByte(b[i]) {
		i++
	}
	if i == start {
		return nil, 0, errNotTag
	}
	c.Name = string(b[start:i])
	positional := false
	for {
		i = skipBlanks(b, i)
		switch {
		case i >= len(b):
			return nil, 0, errNotTag
		case bytes.HasPrefix(b[i:], end):
			if c.closing && (len(c.Args) > 0 || c.Named != nil) {
				return nil, 0, fmt.Errorf("closing tag of %q takes no arguments", c.Name)
			}
			return c, i + len(end), nil
		case b[i] == '/' && bytes.HasPrefix(b[i+1:], end):
			c.self = true
			return c, i + 1 + len(end), nil
		}
		word, n, err := readArg(b[i:], end)
		if err != nil {
			return nil, 0, err
		}
		i += n
		if i < len(b) && b[i] == '=' && word.bare {
			value, n, err := readArg(b[i+1:], end)
			if err != nil || n == 0 {
				return nil, 0, fmt.Errorf("argument %s= has no value", word.text)
			}
			i += 1 + n
			if c.Named == nil {
				c.Named = map[string]string{}
			}
			c.Named[word.text] = value.text
		} else {
			positional = true
			c.Args = append(c.Args, word.text)
		}
		if positional && c.Named != nil {
			return nil, 0, errors.New("use either named (key=\"value\") or positional arguments, not both")
		}
	}
}

type argWord struct {
	text string
	bare bool // written without quotes: may be a key
}

// readArg reads one argument: "quoted", `raw` or a bare word, which ends at a blank,
// at '=' or at the tag's end.
func readArg(b, end []byte) (argWord, int, error) {
	if len(b) == 0 {
		return argWord{}, 0, errNotTag
	}
	switch b[0] {
	case '"':
		for i := 1; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				s, err := strconv.Unquote(string(b[:i+1]))
				if err != nil {
					return argWord{}, 0, fmt.Errorf("argument %s: %w", b[:i+1], err)
				}
				return argWord{text: s}, i + 1, nil
			}
		}
		return argWord{}, 0, errNotTag
	case '`':
		if j := bytes.IndexByte(b[1:], '`'); j >= 0 {
			return argWord{text: string(b[1 : j+1])}, j + 2, nil
		}
		return argWord{}, 0, errNotTag
	}
	i := 0
	for i < len(b) && b[i] != ' ' && b[i] != '\t' && b[i] != '=' && !bytes.HasPrefix(b[i:], end) &&
		!(b[i] == '/' && bytes.HasPrefix(b[i+1:], end)) {
		i++
	}
	return argWord{text: string(b[:i]), bare: true}, i, nil
}

func skipBlanks(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

func isNameByte(c byte) bool {
	return isAlnumByte(c) || c == '-' || c == '_' || c == '/' || c == '.'
}

// findClose finds the tag that closes a shortcode named name opened before from, in
// src: the first closing tag of that name not matched by a later opening of the same
// name. It returns the offset of the closing tag's "{{" and its length, or -1.
func findClose(src []byte, from int, name string) (at, n int) {
	depth := 0
	for i := from; i < len(src); {
		j := bytes.Index(src[i:], []byte("{{"))
		if j < 0 {
			return -1, 0
		}
		i += j
		c, n, err := parseTag(src[i:])
		if err != nil || c.Name != name {
			i += 2
			continue
		}
		switch {
		case c.closing && depth == 0:
			return i, n
		case c.closing:
			depth--
		case !c.self:
			if _, ok := pairedOnly[name]; ok || hasCloseAhead(src[i+n:], name) {
				depth++
			}
		}
		i += n
	}
	return -1, 0
}

// hasCloseAhead tells whether a closing tag for name appears anywhere in src.
func hasCloseAhead(src []byte, name string) bool {
	return bytes.Contains(src, []byte("/"+name)) // cheap first look; findClose checks the form
}

// pairedOnly are the built-ins that always have a closing tag.
var pairedOnly = map[string]struct{}{"details": {}, "notice": {}, "hint": {}, "highlight": {}}
