package site

// wordTable numbers the words the search index counts. A cold build looks up
// every word of every page (the page's words as written, then the folded
// words of every entry): as keys of a Go map each is hashed and compared
// through the runtime's string map, a sixth of the search index's time. This
// table keeps the words in one byte slice and hashes a word eight bytes at a
// time; what it maps a word to is the caller's business, so nothing written
// depends on how it is laid out.

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// wordTable maps words (byte strings) to int32 values.
type wordTable struct {
	slots []wordSlot // a power of two long, at most wordTableLoad full
	used  int
	words []byte // every key, one after the other
	seed  uint64
}

// wordSlot is one place of the table: empty while tag is 0.
type wordSlot struct {
	off int    // of the key in words
	n   uint32 // the key's length
	tag uint32 // the key's hash, its lowest bit set
	val int32
}

// wordTableLoad is the most slots out of 8 that hold a key before the table
// doubles: open addressing stays a probe or two long below three quarters.
const wordTableLoad = 6

// size returns how many bytes of keys the table holds.
func (t *wordTable) size() int { return len(t.words) }

// get returns the value of w, and whether w is in the table.
func (t *wordTable) get(w []byte) (int32, bool) {
	if t.used == 0 {
		return 0, false
	}
	h := t.hash(w)
	tag := uint32(h) | 1
	mask := len(t.slots) - 1
	for i := int(h>>32) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.tag == 0 {
			return 0, false
		}
		if s.tag == tag && int(s.n) == len(w) && bytes.Equal(t.words[s.off:s.off+len(w)], w) {
			return s.val, true
		}
	}
}

// put sets w's value; w must not be in the table (see get).
func (t *wordTable) put(w []byte, val int32) {
	if (t.used+1)*8 > len(t.slots)*wordTableLoad {
		t.grow()
	}
	h := t.hash(w)
	mask := len(t.slots) - 1
	i := int(h>>32) & mask
	for t.slots[i].tag != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = wordSlot{off: len(t.words), n: uint32(len(w)), tag: uint32(h) | 1, val: val}
	t.words = append(t.words, w...)
	t.used++
}

// grow doubles the slots (or makes the first ones), placing each key again.
func (t *wordTable) grow() {
	if t.seed == 0 {
		t.seed = rand.Uint64() | 1 // words chosen to collide in one process do not in another
	}
	old := t.slots
	t.slots = make([]wordSlot, max(2*len(old), 64))
	mask := len(t.slots) - 1
	for _, s := range old {
		if s.tag == 0 {
			continue
		}
		i := int(t.hash(t.words[s.off:s.off+int(s.n)])>>32) & mask
		for t.slots[i].tag != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// reset empties the table, keeping its memory.
func (t *wordTable) reset() {
	clear(t.slots)
	t.used = 0
	t.words = t.words[:0]
}

// hash mixes w eight bytes at a time; a word shorter than eight is read in
// two overlapping loads (or three bytes), which with its length determine it.
func (t *wordTable) hash(w []byte) uint64 {
	const (
		m1 = 0xa0761d6478bd642f
		m2 = 0xe7037ed1a0b428db
	)
	h := t.seed ^ uint64(len(w))*m1
	for len(w) > 8 {
		h = mix(h^binary.LittleEndian.Uint64(w), m2)
		w = w[8:]
	}
	var v uint64
	switch n := len(w); {
	case n == 8:
		v = binary.LittleEndian.Uint64(w)
	case n >= 4:
		v = uint64(binary.LittleEndian.Uint32(w)) | uint64(binary.LittleEndian.Uint32(w[n-4:]))<<32
	case n > 0:
		v = uint64(w[0]) | uint64(w[n/2])<<8 | uint64(w[n-1])<<16
	}
	return mix(h^v, m1)
}

// mix multiplies a and b into 128 bits and folds them into 64.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}
