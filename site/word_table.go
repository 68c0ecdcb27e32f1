package site

// wordTable numbers the words the search index counts. A cold build looks up
// every word of every page (the page's words as written, then the folded
// words of every entry); in a Go map of strings that look-up was nine tenths
// of the word counter's time. This table keeps a word of up to eight bytes,
// most words, inside its slot, so that finding it reads one slot and compares
// two integers; longer words are kept in one byte slice. What it maps a word
// to is the caller's business: nothing written depends on its layout.

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
	words []byte // the keys longer than eight bytes, one after the other
	seed  uint64
}

// wordSlot is one place of the table. A key of at most eight bytes is held
// in head, as wordKey packs it: most words are found without reading words.
type wordSlot struct {
	head uint64 // a short key, packed; a longer key's hash
	off  int    // of a longer key in words
	n    uint32 // the key's length plus one; 0 while the slot is empty
	val  int32
}

// wordTableLoad is the most slots out of 8 that hold a key before the table
// doubles: open addressing stays a probe or two long below three quarters.
const wordTableLoad = 6

// size returns how many bytes of keys the table keeps apart.
func (t *wordTable) size() int { return len(t.words) }

// get returns the value of w, and whether w is in the table.
func (t *wordTable) get(w []byte) (int32, bool) {
	if t.used == 0 {
		return 0, false
	}
	h, head := t.key(w)
	n := uint32(len(w)) + 1
	mask := len(t.slots) - 1
	for i := int(h>>32) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.n == 0 {
			return 0, false
		}
		if s.head == head && s.n == n && (len(w) <= 8 || bytes.Equal(t.words[s.off:s.off+len(w)], w)) {
			return s.val, true
		}
	}
}

// put sets w's value; w must not be in the table (see get).
func (t *wordTable) put(w []byte, val int32) {
	if (t.used+1)*8 > len(t.slots)*wordTableLoad {
		t.grow()
	}
	h, head := t.key(w)
	s := wordSlot{head: head, n: uint32(len(w)) + 1, val: val}
	if len(w) > 8 {
		s.off = len(t.words)
		t.words = append(t.words, w...)
	}
	t.place(h, s)
	t.used++
}

// place puts s in the first empty slot from where hash h points.
func (t *wordTable) place(h uint64, s wordSlot) {
	mask := len(t.slots) - 1
	i := int(h>>32) & mask
	for t.slots[i].n != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

// grow doubles the slots (or makes the first ones), placing each key again.
func (t *wordTable) grow() {
	if t.seed == 0 {
		t.seed = rand.Uint64() | 1 // words chosen to collide in one process do not in another
	}
	old := t.slots
	t.slots = make([]wordSlot, max(2*len(old), 64))
	for _, s := range old {
		if s.n == 0 {
			continue
		}
		h := s.head
		if s.n <= 9 {
			h = t.hashShort(s.head, int(s.n-1))
		}
		t.place(h, s)
	}
}

// reset empties the table, keeping its memory.
func (t *wordTable) reset() {
	clear(t.slots)
	t.used = 0
	t.words = t.words[:0]
}

const (
	wordMul1 = 0xa0761d6478bd642f
	wordMul2 = 0xe7037ed1a0b428db
)

// key returns w's hash and what its slot holds in head: for a key of at
// most eight bytes, its bytes packed in a word (all of them, or the first and
// last four overlapping, or the first, middle and last of three or fewer),
// which with its length tell the key; for a longer key, its hash.
func (t *wordTable) key(w []byte) (h, head uint64) {
	n := len(w)
	if n <= 8 {
		switch {
		case n == 8:
			head = binary.LittleEndian.Uint64(w)
		case n >= 4:
			head = uint64(binary.LittleEndian.Uint32(w)) | uint64(binary.LittleEndian.Uint32(w[n-4:]))<<32
		case n > 0:
			head = uint64(w[0]) | uint64(w[n/2])<<8 | uint64(w[n-1])<<16
		}
		return t.hashShort(head, n), head
	}
	h = t.seed ^ uint64(n)*wordMul1
	for i := 0; i < n-8; i += 8 {
		h = mix(h^binary.LittleEndian.Uint64(w[i:]), wordMul2)
	}
	h = mix(h^binary.LittleEndian.Uint64(w[n-8:]), wordMul1) // the last eight, perhaps overlapping
	return h, h
}

// hashShort is the hash of a key of n ≤ 8 bytes packed in head.
func (t *wordTable) hashShort(head uint64, n int) uint64 {
	return mix(t.seed^uint64(n)*wordMul1^head, wordMul1)
}

// mix multiplies a and b into 128 bits and folds them into 64.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}
