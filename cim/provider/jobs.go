package provider

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/virtbridge/virtbridge/backends"
	"github.com/virtbridge/virtbridge/cim"
)

// JobState values (CIM_ConcreteJob.JobState).
const (
	jobRunning   = 4
	jobCompleted = 7
	jobException = 10
)

// Jobs holds the asynchronous operations started through CIM methods
// (DSP1057 §8.1: 4096, Job Started), served as VB_ConcreteJob. The store
// is bounded: finished jobs are dropped after Keep, and beyond Max the
// oldest finished ones go first.
type Jobs struct {
	max  int
	keep time.Duration
	base context.Context
	stop context.CancelFunc

	mu      sync.Mutex
	next    uint64
	order   []*Job // oldest first
	running map[*Job]bool
	watch   func(JobEvent) // see jobs_watch.go
}

// Job kinds: what a job does to its target, for the target's
// OperatingStatus while it runs.
const (
	JobState    = "state"
	JobStart    = "start"
	JobStop     = "stop"
	JobMigrate  = "migrate"
	JobSnapshot = "snapshot"
)

// Job is one operation in progress or finished.
type Job struct {
	ID, Name string
	Kind     string
	Target   cim.ObjectPath // the element the job changes
	Started  time.Time

	mu       sync.Mutex
	state    uint16
	percent  int // last progress the operation reported; -1 for none
	finished time.Time
	err      error
	done     chan struct{}
	ended    bool // seen by Jobs.ended; guarded by Jobs.mu
}

// NewJobs returns a store keeping at most max jobs, finished ones for
// keep. Close cancels the running ones.
func NewJobs(max int, keep time.Duration) *Jobs {
	ctx, cancel := context.WithCancel(context.Background())
	return &Jobs{max: max, keep: keep, base: ctx, stop: cancel}
}

// Close cancels every running job.
func (js *Jobs) Close() { js.stop() }

// Run starts fn as a job and waits up to window for it. A job done by
// then is not kept (DSP1057: completed at once, return 0) and its error
// is returned; otherwise the job is kept and returned for the client to
// follow; with a window of 0 or less it is always kept. fn runs with a
// context bounded by limit, carrying a progress reporter
// (backends.WithProgress) that becomes the job's PercentComplete.
func (js *Jobs) Run(name, kind string, target cim.ObjectPath, window, limit time.Duration, fn func(context.Context) error) (*Job, error) {
	j := &Job{Name: name, Kind: kind, Target: target, Started: time.Now(), state: jobRunning, percent: -1, done: make(chan struct{})}
	js.track(j)
	go func() {
		ctx, cancel := context.WithTimeout(js.base, limit)
		defer cancel()
		err := fn(backends.WithProgress(ctx, j.progress))
		j.mu.Lock()
		j.err, j.finished = err, time.Now()
		j.state = jobCompleted
		if err != nil {
			j.state = jobException
		}
		j.mu.Unlock()
		close(j.done)
		js.ended(j)
	}()
	if window > 0 {
		select {
		case <-j.done:
			return nil, j.err
		case <-time.After(window):
		}
	}
	js.mu.Lock()
	defer js.mu.Unlock()
	js.prune(time.Now())
	if len(js.order) >= js.max {
		return nil, fmt.Errorf("%d jobs are kept, the most this agent holds; the operation runs on untracked: %w", js.max, cim.ErrServerLimitsExceeded)
	}
	js.next++
	j.ID = "VB:job/" + strconv.FormatUint(js.next, 10)
	js.order = append(js.order, j)
	js.kept(j)
	return j, nil
}

// track keeps j among the running jobs activeKind sees until it ends,
// kept or not.
func (js *Jobs) track(j *Job) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.running == nil {
		js.running = map[*Job]bool{}
	}
	js.running[j] = true
	go func() {
		<-j.done
		js.mu.Lock()
		delete(js.running, j)
		js.mu.Unlock()
	}()
}

// activeKind is the kind of a job running on target, "" when none.
func (js *Jobs) activeKind(target cim.ObjectPath) string {
	if js == nil {
		return ""
	}
	js.mu.Lock()
	defer js.mu.Unlock()
	for j := range js.running {
		if samePath(j.Target, target) {
			return j.Kind
		}
	}
	return ""
}

// prune drops finished jobs older than keep, and the oldest finished ones
// while over max. The caller holds js.mu.
func (js *Jobs) prune(now time.Time) {
	kept := js.order[:0]
	excess := len(js.order) - js.max + 1
	for _, j := range js.order {
		j.mu.Lock()
		old := !j.finished.IsZero() && (now.Sub(j.finished) > js.keep || excess > 0)
		j.mu.Unlock()
		if old {
			excess--
			continue
		}
		kept = append(kept, j)
	}
	js.order = kept
}

// list returns the jobs kept, oldest first.
func (js *Jobs) list() []*Job {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.prune(time.Now())
	return append([]*Job(nil), js.order...)
}

// find returns the job with InstanceID id.
func (js *Jobs) find(id string) (*Job, bool) {
	for _, j := range js.list() {
		if j.ID == id {
			return j, true
		}
	}
	return nil, false
}

// progress takes in the operation's report of how far it has got.
func (j *Job) progress(percent int) {
	j.mu.Lock()
	j.percent = percent
	j.mu.Unlock()
}

// Wait blocks until the job ends or ctx does.
func (j *Job) Wait(ctx context.Context) error {
	select {
	case <-j.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// lastProgress is the progress the operation last reported, -1 for none.
func (j *Job) lastProgress() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.percent
}
