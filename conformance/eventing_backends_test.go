package conformance

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/indication/listenertest"
	"github.com/virtbridge/virtbridge/cim/wsman/sinktest"
)

// TestDurableEventsPerBackend: on each bed, a CIM-XML listener and a
// WS-Eventing subscriber are down while a VM is powered off and on behind
// the agent's back; the agent is killed (-9) and started again; once
// both consumers are back they receive the two changes, in order, and
// the WS-Eventing subscription still answers GetStatus.
func TestDurableEventsPerBackend(t *testing.T) {
	slow := "indications:\n  delivery_retry_interval: 50ms\n  delivery_retry_attempts: 60000\n"
	for _, k := range bedKinds {
		t.Run(k.name, func(t *testing.T) {
			b := k.start(t, slow)
			a := b.agent()
			l, sink := listenertest.Start(t), sinktest.Start(t)
			l.SetDown(true)
			sink.SetDown(true)
			a.subscribeAll(t, "durable", "DMTF:CQL", stateChangeQuery, l.URL)
			id, _ := newWSClient(t, a.wsmanHTTP, false, cimOperator).wsSubscribe(t, wsPushMode, sink, "")
			truth := b.truth(t)
			uuid := pickVM(truth, stRunning)
			idx := a.vmIndexOf(t, truth[uuid].name)
			for _, s := range []string{stOff, stRunning} {
				b.change(t, uuid, s)
				waitTruth(t, b, uuid, s)
				a.waitValue(t, vmEntry+".6."+idx, operOf[s])
			}
			time.Sleep(500 * time.Millisecond) // stored (group commit)
			b.crash(t)
			l.SetDown(false)
			sink.SetDown(false)
			want := []uint64{3, 2}
			// At least once: the killed agent's last retry may reach a
			// consumer as it comes back; each indication counts once.
			got := l.WaitFor(t, "the changes made before the crash", func(is []*cim.Instance) bool { return len(ofVM(listenertest.FirstOfEach(is), uuid)) >= 2 })
			if s := ofVM(listenertest.FirstOfEach(got), uuid); !slices.Equal(s, want) {
				t.Errorf("%s: CIM-XML after kill -9: EnabledState %v, want %v", b.name(), s, want)
			}
			msgs := sink.Wait(t, time.Minute, "the changes made before the crash", func(m []*sinktest.Message) bool {
				return len(sinktest.VMStates(sinktest.FirstOfEach(m), uuid)) >= 2
			})
			if s := sinktest.VMStates(sinktest.FirstOfEach(msgs), uuid); !slices.Equal(s, []string{strconv.Itoa(3), strconv.Itoa(2)}) {
				t.Errorf("%s: WS-Eventing after kill -9: EnabledState %v, want [3 2]", b.name(), s)
			}
			if r := newWSClient(t, b.agent().wsmanHTTP, false, cimOperator).wsManage(t, "GetStatus", id); r.fault() != nil {
				t.Errorf("%s: GetStatus after kill -9:\n%s", b.name(), r)
			}
		})
	}
}

// ofVM is the EnabledState of the indications about VM uuid.
func ofVM(is []*cim.Instance, uuid string) []uint64 {
	var mine []*cim.Instance
	for _, in := range is {
		v, _ := listenertest.Embedded(in, "SourceInstance").Get("Name")
		if name, _ := v.Str(); name == uuid {
			mine = append(mine, in)
		}
	}
	return enabledStates(mine)
}
