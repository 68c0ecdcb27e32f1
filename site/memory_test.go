package site

import (
	"runtime/debug"
	"testing"
)

// A one-shot build's memory limit holds whether or not the collector's pause
// (holdGC, begun by a cache load) is on when it is set: the pause ends by
// restoring it, not the limit from before.
func TestCapMemory(t *testing.T) {
	was := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(was)

	capMemory(200 << 20)
	if got := debug.SetMemoryLimit(-1); got != 200<<20 {
		t.Errorf("limit without a pause: %d, want %d", got, 200<<20)
	}
	release := holdGC()
	capMemory(300 << 20)
	release()
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Errorf("limit set during a pause, after it: %d, want %d", got, 300<<20)
	}
	if got, want := memoryBudget([]source{{size: 1000}, {size: 500}}), int64(memoryBase+memoryPerSourceByte*1500); got != want {
		t.Errorf("budget of 1,500 bytes of Markdown: %d, want %d", got, want)
	}
}
