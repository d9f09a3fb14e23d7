package backends

import (
	"math/rand/v2"
	"time"
)

// Retry calls try after a jittered delay (half to all of a delay that
// starts at lo and doubles up to hi) until try says to stop or done is
// closed: the back-off every backend reconnects with. atMax tells try
// the delay has reached hi, when a failure is worth a louder log line.
func Retry(done <-chan struct{}, lo, hi time.Duration, try func(attempt int, atMax bool) (stop bool)) {
	delay := lo
	for attempt := 1; ; attempt++ {
		t := time.NewTimer(delay/2 + rand.N(delay/2+1))
		select {
		case <-done:
			t.Stop()
			return
		case <-t.C:
		}
		if try(attempt, delay == hi) {
			return
		}
		delay = min(delay*2, hi)
	}
}
