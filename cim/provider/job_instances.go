package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

const (
	classJob         = "VB_ConcreteJob"
	classAffectedJob = "VB_AffectedJobElement"
)

// jobInstance is a job as VB_ConcreteJob (CIM_ConcreteJob, DSP1057 §8.1).
func (s Schema) jobInstance(j *Job, now time.Time) (*cim.Instance, error) {
	inst, err := s.newInstance(classJob)
	if err != nil {
		return nil, err
	}
	j.mu.Lock()
	state, finished, jerr, percent := j.state, j.finished, j.err, j.percent
	j.mu.Unlock()
	inst.Set("InstanceID", cim.String(j.ID))
	inst.Set("Name", cim.String(j.Name))
	inst.Set("ElementName", cim.String(j.Name))
	inst.Set("JobState", cim.Uint16(state))
	inst.Set("DeleteOnCompletion", cim.Bool(true))
	if s.Jobs != nil {
		if keep, err := cim.NewInterval(s.Jobs.keep); err == nil {
			inst.Set("TimeBeforeRemoval", cim.DatetimeValue(keep))
		}
	}
	if t, err := cim.NewTimestamp(j.Started.UTC()); err == nil {
		inst.Set("TimeSubmitted", cim.DatetimeValue(t))
		inst.Set("StartTime", cim.DatetimeValue(t))
	}
	end := now
	status := "running"
	if !finished.IsZero() {
		end, percent, status = finished, 100, "completed"
		if t, err := cim.NewTimestamp(finished.UTC()); err == nil {
			inst.Set("TimeOfLastStateChange", cim.DatetimeValue(t))
		}
	}
	if d, err := cim.NewInterval(end.Sub(j.Started)); err == nil {
		inst.Set("ElapsedTime", cim.DatetimeValue(d))
	}
	if jerr != nil {
		status = "failed"
		inst.Set("ErrorCode", cim.Uint16(1))
		inst.Set("ErrorDescription", cim.String(jerr.Error()))
	}
	// While running, what the operation last reported (vSphere tasks
	// report, libvirt calls do not); unknown stays NULL rather than a 0
	// that would claim nothing is done. A finished job is 100.
	if percent >= 0 {
		inst.Set("PercentComplete", cim.Uint16(uint16(percent)))
	}
	inst.Set("JobStatus", cim.String(status))
	return s.finish(classJob, inst)
}

// jobProvider serves the jobs of the store; none without one.
var jobProvider = classProvider{
	enumerate: func(v *View, emit func(*cim.Instance) error) error {
		if v.s.Jobs == nil {
			return nil
		}
		for _, j := range v.s.Jobs.list() {
			inst, err := v.s.jobInstance(j, v.now)
			if err != nil {
				return err
			}
			if err := emit(inst); err != nil {
				return err
			}
		}
		return nil
	},
	get: func(v *View, p cim.ObjectPath) (*cim.Instance, error) {
		if v.s.Jobs != nil {
			if j, ok := v.s.Jobs.find(keyString(p, "InstanceID")); ok {
				return v.s.jobInstance(j, v.now)
			}
		}
		return nil, fmt.Errorf("no job %s (finished jobs are kept for a while, then dropped): %w", p.String(), cim.ErrNotFound)
	},
}

// jobAssociations emits VB_AffectedJobElement for every job that changes
// the element at target, or for the job at target itself.
func (v *View) jobAssociations(target cim.ObjectPath, sink *refSink) error {
	if v.s.Jobs == nil || !sink.wants(classAffectedJob) {
		return nil
	}
	for _, j := range v.s.Jobs.list() {
		jobPath := cim.ObjectPath{Namespace: v.s.Namespace, ClassName: classJob, Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.String(j.ID)}}}
		if !samePath(j.Target, target) && !samePath(jobPath, target) {
			continue
		}
		a, err := v.s.association(classAffectedJob, "AffectedElement", j.Target, "AffectingElement", jobPath)
		if err != nil {
			return err
		}
		a.Set("ElementEffects", uint16s([]uint16{4})) // Element Integrity
		if err := sink.add(a, nil); err != nil {
			return err
		}
	}
	return nil
}

// getError: CIM_ConcreteJob.GetError, the job's failure as an embedded
// CIM_Error (NULL when it has none).
func (v *View) getError(_ context.Context, _ Env, inst *cim.Instance, _ map[string]cim.Value) (cim.Value, map[string]cim.Value, error) {
	j, ok := v.s.Jobs.find(keyString(inst.Path, "InstanceID"))
	if !ok {
		return cim.Value{}, nil, fmt.Errorf("no job %s: %w", inst.Path.String(), cim.ErrNotFound)
	}
	j.mu.Lock()
	jerr := j.err
	j.mu.Unlock()
	if jerr == nil {
		return ret(0, map[string]cim.Value{"Error": cim.Null(cim.TypeInstance)})
	}
	c, err := v.s.Repo.Class(v.s.Namespace, "CIM_Error")
	if err != nil {
		return cim.Value{}, nil, err
	}
	e := c.NewInstance()
	e.Set("ErrorType", cim.Uint16(4))         // Software Error
	e.Set("PerceivedSeverity", cim.Uint16(5)) // Major
	e.Set("OwningEntity", cim.String("virtbridge"))
	e.Set("MessageID", cim.String("VB0001"))
	e.Set("Message", cim.String(jerr.Error()))
	e.Set("CIMStatusCode", cim.Uint32(1)) // CIM_ERR_FAILED
	return ret(0, map[string]cim.Value{"Error": cim.InstanceValue(e)})
}
