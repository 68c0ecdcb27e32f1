package report

import (
	"testing"
	"time"
	_ "time/tzdata" // the test's zone, whatever the machine has
)

// TestWeekOf checks the week numbers around the start and across the
// change to summer time (29 March 2026 in Amsterdam): weeks start at the
// same wall-clock hour.
func TestWeekOf(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 23, 9, 0, 0, 0, ams)
	at := func(day, hour, min int) time.Time { return time.Date(2026, 3, day, hour, min, 0, 0, ams) }
	for _, tc := range []struct {
		name string
		t    time.Time
		want int
	}{
		{"the start is week 1", start, 1},
		{"a minute before the start is week 0", at(23, 8, 59), 0},
		{"a week before the start is week 0", at(16, 9, 0), 0},
		{"just over a week before is week -1", at(16, 8, 59), -1},
		{"the last minute of week 1, after the clocks went forward", at(30, 8, 59), 1},
		{"week 2 starts at 9:00 summer time", at(30, 9, 0), 2},
		{"two weeks later is week 3", start.AddDate(0, 0, 14), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := weekOf(start, tc.t); got != tc.want {
				t.Errorf("weekOf(%v) = %d, want %d", tc.t, got, tc.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"none is zero", nil, 0},
		{"one is itself", []time.Duration{time.Hour}, time.Hour},
		{"odd count takes the middle", []time.Duration{6 * time.Hour, 30 * time.Minute, 2 * time.Hour}, 2 * time.Hour},
		{"even count averages the two middle ones", []time.Duration{time.Hour, 4 * time.Hour, 2 * time.Hour, 10 * time.Hour}, 3 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := median(tc.in); got != tc.want {
				t.Errorf("median = %v, want %v", got, tc.want)
			}
		})
	}
}
