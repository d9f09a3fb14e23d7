package provider

import (
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

// JobEvent is a change of a kept job (one with an InstanceID), for
// indications: it was kept (created, running), or it ended.
type JobEvent struct {
	Job   *Job
	Ended bool
	Time  time.Time
}

// Watch makes fn hear of every job kept and every kept job's end, in
// that order for each job. fn is called with the store locked: it must
// only queue the event.
func (js *Jobs) Watch(fn func(JobEvent)) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.watch = fn
}

// kept tells the watcher of a job just given its ID, and of its end if
// that came first. The caller holds js.mu.
func (js *Jobs) kept(j *Job) {
	if js.watch == nil {
		return
	}
	js.watch(JobEvent{Job: j, Time: time.Now()})
	if j.ended {
		js.watch(JobEvent{Job: j, Ended: true, Time: time.Now()})
	}
}

// ended tells the watcher of the end of a kept job; a job not (yet) kept
// is told of by kept.
func (js *Jobs) ended(j *Job) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j.ended = true
	if j.ID != "" && js.watch != nil {
		js.watch(JobEvent{Job: j, Ended: true, Time: time.Now()})
	}
}

// JobInstances are the VB_ConcreteJob of ev's job before and after the
// change: before is nil for a job just kept; for one that ended it is the
// job as it was while running, with the progress it last reported.
func (s Schema) JobInstances(ev JobEvent) (before, after *cim.Instance, err error) {
	after, err = s.jobInstance(ev.Job, ev.Time)
	if err != nil || !ev.Ended {
		return nil, after, err
	}
	before = &cim.Instance{ClassName: after.ClassName, Path: after.Path}
	for _, pv := range after.Properties {
		switch pv.Name {
		case "ErrorCode", "ErrorDescription", "TimeOfLastStateChange", "ElapsedTime":
			pv.Value = cim.Null(pv.Value.Type())
		case "JobState":
			pv.Value = cim.Uint16(jobRunning)
		case "PercentComplete":
			pv.Value = cim.Null(cim.TypeUint16)
			if p := ev.Job.lastProgress(); p >= 0 {
				pv.Value = cim.Uint16(uint16(p))
			}
		case "JobStatus":
			pv.Value = cim.String("running")
		}
		before.Properties = append(before.Properties, pv)
	}
	return before, after, nil
}
