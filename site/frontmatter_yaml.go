package site

// YAML front matter, as Hugo writes it between --- lines. It is read with
// go.yaml.in/yaml/v3 (the maintained continuation of gopkg.in/yaml.v3) into a
// yaml.Node, which keeps the line and column of every key and value: each key is
// looked up by name and its value decoded into FrontMatter's field, so an unknown key
// or a wrong type is reported where it was written.

import (
	"errors"
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// decodeYAML decodes the block between --- lines, which starts on the file's line 2.
func decodeYAML(file string, block []byte, fm *FrontMatter) (err error) {
	const lineOffset = 1
	defer func() {
		// The library has panicked on crafted input in the past; an author's file
		// must never take the build down with it.
		if r := recover(); r != nil {
			err = &Error{File: file, Line: 2, Col: 1, Err: fmt.Errorf("front matter is not YAML the reader understands: %v", r)}
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(block, &doc); err != nil {
		return yamlError(file, lineOffset, block, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // an empty block
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil // only comments
	}
	if root.Kind != yaml.MappingNode {
		return &Error{File: file, Line: root.Line + lineOffset, Col: root.Column,
			Err: errors.New("front matter must be keys with values (key: value)")}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		at := func(n *yaml.Node, err error) error {
			return &Error{File: file, Line: n.Line + lineOffset, Col: n.Column, Err: err}
		}
		if k.Kind != yaml.ScalarNode {
			return at(k, errors.New("a front matter key must be a plain name"))
		}
		f, ok := fm.field(k.Value)
		if !ok {
			return at(k, fmt.Errorf("unknown front matter key %q", k.Value))
		}
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue // "title:" with nothing after it leaves the default
		}
		if f.Type() == timeType {
			if v.Kind != yaml.ScalarNode {
				return at(v, errWrongType(k.Value, f.Type(), "a "+yamlKind(v)))
			}
			t, err := parseDate(v.Value)
			if err != nil {
				return at(v, fmt.Errorf("%s: %w", k.Value, err))
			}
			f.Set(reflect.ValueOf(t))
			continue
		}
		if err := v.Decode(f.Addr().Interface()); err != nil {
			got := "a " + yamlKind(v)
			if v.Kind == yaml.ScalarNode {
				got = fmt.Sprintf("%q", v.Value)
			}
			return at(v, errWrongType(k.Value, f.Type(), got))
		}
	}
	return nil
}

// yamlKind names a node's shape for messages.
func yamlKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "table of keys"
	default:
		return "value"
	}
}

// yamlLine finds the line in the library's syntax errors: "yaml: line 3: …".
var yamlLine = lazyRegexp(`^yaml: line (\d+): (.*)$`)

// yamlError turns a YAML syntax error into an Error at its line (the library gives
// no column). An error without a line is put on the block's first line.
func yamlError(file string, lineOffset int, block []byte, err error) error {
	line, msg := 1, err.Error()
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		fmt.Sscan(m[1], &line)
		msg = m[2]
	}
	if n := lineCount(block); line > n {
		line = n // "unexpected end": at the last line of the block
	}
	return &Error{File: file, Line: line + lineOffset, Col: 1, Err: fmt.Errorf("front matter: %s", msg)}
}

// lineCount is the number of lines text spans, at least 1.
func lineCount(text []byte) int {
	n := 1
	for i, c := range text {
		if c == '\n' && i < len(text)-1 {
			n++
		}
	}
	return n
}
