package site

// JSON front matter: an object at the top of the file, as Hugo reads it; the body
// starts on the line after its closing brace. encoding/json reports no lines, so the
// object is walked token by token with a Decoder, whose InputOffset gives the byte
// where each key and value starts: an unknown key or a wrong type is reported there.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// decodeJSON decodes the object at the start of data and returns the offset of the
// body: the start of the line after the object.
func decodeJSON(file string, data []byte, fm *FrontMatter) (next int, err error) {
	at := func(off int, err error) error {
		line, col := position(data, off)
		return &Error{File: file, Line: line, Col: col, Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return 0, at(int(se.Offset)-1, fmt.Errorf("front matter: %w", err))
		case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
			return 0, at(0, errors.New("front matter opened with { is never closed"))
		default:
			return 0, at(0, fmt.Errorf("front matter: %w", err))
		}
	}
	end := int(dec.InputOffset())
	next = len(data)
	if i := bytes.IndexByte(data[end:], '\n'); i >= 0 {
		next = end + i + 1
	}
	if rest := bytes.TrimSpace(data[end:next]); len(rest) > 0 {
		return 0, at(end, errors.New("the body starts on the line after the front matter's closing }"))
	}

	// The object is known to be well formed: walk its keys.
	obj := json.NewDecoder(bytes.NewReader(data[:end]))
	if _, err := obj.Token(); err != nil { // {
		return 0, at(0, fmt.Errorf("front matter: %w", err))
	}
	for obj.More() {
		keyAt := skipJSONSpace(data, int(obj.InputOffset()))
		tok, err := obj.Token()
		if err != nil {
			return 0, at(keyAt, fmt.Errorf("front matter: %w", err))
		}
		key, _ := tok.(string)
		valueAt := skipJSONSpace(data, int(obj.InputOffset()))
		var value json.RawMessage
		if err := obj.Decode(&value); err != nil {
			return 0, at(valueAt, fmt.Errorf("front matter: %w", err))
		}
		f, ok := fm.field(key)
		if !ok {
			return 0, at(keyAt, fmt.Errorf("unknown front matter key %q", key))
		}
		if string(value) == "null" {
			continue
		}
		if f.Type() == timeType {
			var s string
			if err := json.Unmarshal(value, &s); err != nil {
				return 0, at(valueAt, errWrongType(key, f.Type(), jsonShape(value)))
			}
			t, err := parseDate(s)
			if err != nil {
				return 0, at(valueAt, fmt.Errorf("%s: %w", key, err))
			}
			f.Set(reflect.ValueOf(t))
			continue
		}
		if err := json.Unmarshal(value, f.Addr().Interface()); err != nil {
			return 0, at(valueAt, errWrongType(key, f.Type(), jsonShape(value)))
		}
	}
	return next, nil
}

// skipJSONSpace moves off past blanks and the separators between tokens, to where
// the next token starts.
func skipJSONSpace(data []byte, off int) int {
	for off < len(data) && bytes.IndexByte([]byte(" \t\r\n,:"), data[off]) >= 0 {
		off++
	}
	return off
}

// jsonShape describes a JSON value for messages.
func jsonShape(v json.RawMessage) string {
	switch v[0] {
	case '[':
		return "a list"
	case '{':
		return "an object"
	}
	return string(v)
}

// position turns a byte offset in data into a 1-based line and column (in bytes).
func position(data []byte, off int) (line, col int) {
	off = max(0, min(off, len(data)-1)) // an error at the very end points at the last byte
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = off - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
