package site

import (
	"strconv"
	"strings"
	"testing"
)

// TestWordTableMatchesMap: a wordTable holds what a Go map holds after the
// same puts, through its growth and a reset, for words of every length the
// hash reads differently (empty, 1–3, 4–7, 8, 9–16, long) and words that
// differ in one byte only.
func TestWordTableMatchesMap(t *testing.T) {
	var tab wordTable
	want := map[string]int32{}
	x := uint32(5)
	next := func() uint32 {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		return x
	}
	word := func() string {
		switch next() % 4 {
		case 0:
			return strconv.Itoa(int(next() % 5000))
		case 1:
			return strings.Repeat("ab", int(next()%12)) + string(rune('a'+next()%26))
		case 2:
			return "prefix-shared-" + strconv.Itoa(int(next()%3000))
		}
		return strings.Repeat("é", int(next()%30))
	}
	check := func() {
		t.Helper()
		for w, v := range want {
			if got, ok := tab.get([]byte(w)); !ok || got != v {
				t.Fatalf("%q: %d, %v; want %d", w, got, ok, v)
			}
		}
		for range 1000 {
			w := word() + "~" // never put
			if _, ok := tab.get([]byte(w)); ok {
				t.Fatalf("%q found, never put", w)
			}
		}
		if tab.used != len(want) {
			t.Fatalf("%d words, want %d", tab.used, len(want))
		}
	}
	for round := range 2 {
		for i := range 20000 {
			w := word()
			if _, ok := want[w]; ok {
				continue
			}
			if _, ok := tab.get([]byte(w)); ok {
				t.Fatalf("round %d: %q found before it was put", round, w)
			}
			want[w] = int32(i)
			tab.put([]byte(w), int32(i))
		}
		check()
		tab.reset()
		clear(want)
		check()
	}
}
