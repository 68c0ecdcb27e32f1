package as

import (
	"errors"
	"fmt"
)

// ErrLimit is wrapped, beside ErrInvalid, by every error for a document
// that is over its Limits: too large, too deep, too long an array or too
// many values. Such a document is refused before it is decoded.
var ErrLimit = errors.New("document over limits")

// Limits bound what a remote JSON document may hold. Check enforces them
// in one pass over the bytes, allocating nothing, so that a hostile
// document costs a scan and not a decode into maps and go-fed types, whose
// cost grows with the number of values, not the number of bytes.
type Limits struct {
	Size  int // bytes
	Depth int // nesting of objects and arrays; a flat object is depth 1
	Array int // elements of any one array
	Nodes int // values in all (objects, arrays, strings, numbers, literals), object keys included
}

// maxLimitDepth is the largest Depth Check supports: its stack of open
// arrays is a fixed array, so the scan never allocates.
const maxLimitDepth = 64

// KeyLimits bound what a keyId or an actor id points at, which anyone can
// make the companion fetch by sending a forged request. Real actor
// documents (Mastodon, GoToSocial, Misskey with its long @context and
// custom emoji) are 2–20 KiB, under 8 levels deep (@context → term →
// definition; attachment → PropertyValue), and hold a few hundred values;
// their longest arrays are @context, tag (emoji) and attachment (profile
// fields), tens of entries. The limits are several times that, and small
// enough that a document at every limit parses in well under a
// millisecond.
var KeyLimits = Limits{Size: 64 << 10, Depth: 16, Array: 1024, Nodes: 4096}

// ActivityLimits bound an activity, a post or a collection page: an inbox
// body (itself capped lower, at the inbox's BodyLimit) or a fetched
// document. A long Mastodon Create with mentions and attachments is under
// 20 KiB and a few hundred values; a replies page embedding its posts is
// some tens of KiB; addressing a post to hundreds of accounts gives arrays
// of hundreds. 1 MiB, 32 levels, 4096 elements and 32768 values leave room
// for verbose JSON-LD and refuse documents built to exhaust memory or CPU.
var ActivityLimits = Limits{Size: 1 << 20, Depth: 32, Array: 4096, Nodes: 32768}

// Check scans data once and returns an error wrapping ErrInvalid and
// ErrLimit when it is over l: larger than l.Size bytes, nested deeper than
// l.Depth, holding an array longer than l.Array or more than l.Nodes values.
// It does not validate JSON (the decoder after it does); for any input,
// valid or not, what it accepts is within the limits as a JSON decoder
// would count them. A structure left open, or a string left unterminated,
// is refused as invalid.
func (l Limits) Check(data []byte) error {
	if len(data) > l.Size {
		return limitErr("%d bytes, over %d", len(data), l.Size)
	}
	maxDepth := min(l.Depth, maxLimitDepth)
	// open[d] is the element count of the array open at depth d+1, or -1
	// when an object is open there.
	var open [maxLimitDepth]int
	depth, nodes := 0, 0
	// value counts one more value, and one more element of the array it
	// is in, if any.
	value := func() error {
		nodes++
		if nodes > l.Nodes {
			return limitErr("over %d values", l.Nodes)
		}
		if depth > 0 && open[depth-1] >= 0 {
			open[depth-1]++
			if open[depth-1] > l.Array {
				return limitErr("an array of over %d elements", l.Array)
			}
		}
		return nil
	}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case ' ', '\t', '\n', '\r', ',', ':':
		case '"':
			if err := value(); err != nil {
				return err
			}
			end := stringEnd(data, i+1)
			if end < 0 {
				return fmt.Errorf("%w: unterminated string", ErrInvalid)
			}
			i = end
		case '{', '[':
			if err := value(); err != nil {
				return err
			}
			if depth >= maxDepth {
				return limitErr("nested over %d deep", maxDepth)
			}
			open[depth] = 0
			if c == '{' {
				open[depth] = -1
			}
			depth++
		case '}', ']':
			if depth == 0 {
				return fmt.Errorf("%w: unbalanced %q", ErrInvalid, c)
			}
			depth--
		default: // a number or a literal (or garbage the decoder will refuse)
			if err := value(); err != nil {
				return err
			}
			for i+1 < len(data) && !isDelimiter(data[i+1]) {
				i++
			}
		}
	}
	if depth != 0 {
		return fmt.Errorf("%w: %d structures left open", ErrInvalid, depth)
	}
	return nil
}

// stringEnd returns the index of the quote closing the string whose
// contents start at i, or -1.
func stringEnd(data []byte, i int) int {
	for ; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++ // skip the escaped byte; \uXXXX's digits are plain bytes
		case '"':
			return i
		}
	}
	return -1
}

func isDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', ':', '"', '{', '}', '[', ']':
		return true
	}
	return false
}

func limitErr(format string, args ...any) error {
	return fmt.Errorf("%w: %w: "+format, append([]any{ErrInvalid, ErrLimit}, args...)...)
}
