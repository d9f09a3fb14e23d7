package backends

import (
	"slices"
	"testing"
	"time"
)

// TestRetryBacksOff: delays double from lo up to hi (jittered to half
// or more), atMax is said once hi is reached, and try's stop ends it.
func TestRetryBacksOff(t *testing.T) {
	var at []time.Time
	var maxed []bool
	start := time.Now()
	Retry(make(chan struct{}), 4*time.Millisecond, 16*time.Millisecond, func(n int, atMax bool) bool {
		at = append(at, time.Now())
		maxed = append(maxed, atMax)
		return n == 5
	})
	if len(at) != 5 {
		t.Fatalf("%d attempts, want 5 (stopped by try)", len(at))
	}
	if want := []bool{false, false, true, true, true}; !slices.Equal(maxed, want) {
		t.Errorf("atMax %v, want %v", maxed, want)
	}
	// Least total wait: 2 + 4 + 8 + 8 + 8 ms (halves of 4, 8, 16, 16, 16).
	if d := at[4].Sub(start); d < 30*time.Millisecond {
		t.Errorf("five attempts after %v, want at least 30ms of back-off", d)
	}
}

func TestRetryStopsWhenDone(t *testing.T) {
	done := make(chan struct{})
	close(done)
	tries := 0
	Retry(done, time.Hour, time.Hour, func(int, bool) bool { tries++; return false })
	if tries != 0 {
		t.Errorf("%d tries after done", tries)
	}
}
