package deliverybench

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestQuantileMS(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- { // 100 ms down to 1 ms: unsorted
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	in := slices.Clone(d)
	for _, c := range []struct {
		q    float64
		want float64
	}{{0, 1}, {0.5, 51}, {0.99, 100}, {1, 100}} {
		if got := quantileMS(d, c.q); got != c.want {
			t.Errorf("quantileMS(1..100 ms, %v) = %v, want %v", c.q, got, c.want)
		}
	}
	if !slices.Equal(d, in) {
		t.Error("quantileMS sorted its argument")
	}
	if got := quantileMS([]time.Duration{1500 * time.Microsecond}, 0.99); got != 1.5 {
		t.Errorf("quantileMS(1.5 ms, 0.99) = %v, want 1.5", got)
	}
	if got := quantileMS(nil, 0.5); got != 0 {
		t.Errorf("quantileMS(nil) = %v, want 0", got)
	}
}

// failed reports whether a check failed, with err, and fails t unless
// it failed as wanted: with an error containing want ("": no error).
func failed(t *testing.T, err error, want string) bool {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatal(err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
		t.Fatalf("got %v, want an error with %q", err, want)
	}
	return err != nil
}

// record gives each subscriber its keys, one millisecond apart.
func record(a *Arrivals, keys ...[]string) {
	t := time.Unix(0, 0)
	for s, ks := range keys {
		for _, k := range ks {
			t = t.Add(time.Millisecond)
			a.Record(s, Arrival{Key: k, At: t})
		}
	}
}

// checkKeys checks (with inOrder if lossy) two subscribers of New
// arrivals, the first with want, the second with sub1, and fails t
// unless it fails as wantErr says (see failed); ok is whether it passed.
func checkKeys(t *testing.T, lossy bool, want, sub1 []string, wantErr string) (got [][]delivered, ok bool) {
	t.Helper()
	a := New(2)
	record(a, want, sub1)
	check := a.check
	if lossy {
		check = a.inOrder
	}
	got, err := check([]int{0, 0}, want)
	return got, !failed(t, err, wantErr)
}

func TestCheck(t *testing.T) {
	want := []string{"a", "b", "a", "b"}
	for _, c := range []struct {
		name string
		sub1 []string
		err  string // "" if it passes
	}{
		{"all in order", []string{"a", "b", "a", "b"}, ""},
		{"swapped", []string{"a", "a", "b", "b"}, `subscriber 1, change 1: got "a", want "b"`},
		{"lost", []string{"a", "b", "a"}, "subscriber 1: 3 deliveries, want 4"},
		{"extra", []string{"a", "b", "a", "b", "a"}, "subscriber 1: 5 deliveries, want 4"},
		{"undecodable", []string{"a", "b", "undecodable: x", "b"}, `change 2: got "undecodable: x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := checkKeys(t, false, want, c.sub1, c.err)
			if !ok {
				return
			}
			for s := range got {
				for k, d := range got[s] {
					if d.change != k {
						t.Errorf("subscriber %d, delivery %d: change %d", s, k, d.change)
					}
				}
			}
		})
	}
}

// TestCheckFrom: a second storm is checked from where each subscriber
// was, not from the start.
func TestCheckFrom(t *testing.T) {
	a := New(2)
	record(a, []string{"x", "a", "b"}, []string{"a", "b"})
	if _, err := a.check([]int{1, 0}, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.check([]int{0, 0}, []string{"a", "b"}); err == nil {
		t.Fatal("check from 0 passed a subscriber with an extra delivery")
	}
}

func TestCheckByID(t *testing.T) {
	decode := func(body []byte) string { return strings.ToLower(string(body)) }
	want := []string{"a", "b", "c"}
	for _, c := range []struct {
		name string
		sub0 []Arrival
		ids1 []string
		err  string
	}{
		{"in order", nil, []string{"1", "2", "3"}, ""},
		{"other out of order", nil, []string{"1", "3", "2"}, `subscriber 1, change 1: identifier "3", subscriber 0 got "2"`},
		{"other lost", nil, []string{"1", "2"}, "subscriber 1: 2 deliveries, want 3"},
		{"first out of order", []Arrival{{ID: "1", Body: []byte("A")}, {ID: "3", Body: []byte("C")}, {ID: "2", Body: []byte("B")}},
			[]string{"1", "3", "2"}, `subscriber 0, change 1: got "c"`},
		{"no identifier", []Arrival{{ID: "1", Body: []byte("A")}, {Body: []byte("B")}, {ID: "3", Body: []byte("C")}},
			[]string{"1", "", "3"}, `subscriber 0, change 1: got "b" (identifier "")`},
		{"bad delivery", []Arrival{{ID: "1", Body: []byte("A")}, {Key: "bad headers"}, {ID: "3", Body: []byte("C")}},
			[]string{"1", "2", "3"}, "subscriber 0, change 1: bad headers"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := NewByID(2, decode)
			sub0 := c.sub0
			if sub0 == nil {
				sub0 = []Arrival{{ID: "1", Body: []byte("A")}, {ID: "2", Body: []byte("B")}, {ID: "3", Body: []byte("C")}}
			}
			for _, g := range sub0 {
				a.Record(0, g)
			}
			for _, id := range c.ids1 {
				a.Record(1, Arrival{ID: id})
			}
			if _, err := a.check([]int{0, 0}, want); failed(t, err, c.err) {
				return
			}
			for _, g := range a.got[0] {
				if g.Body != nil {
					t.Errorf("body %q kept after the check", g.Body)
				}
			}
		})
	}
}

func TestInOrder(t *testing.T) {
	want := []string{"a", "b", "c", "a", "b", "c"}
	for _, c := range []struct {
		name    string
		sub1    []string
		changes []int // of sub1's deliveries, if it passes
		err     string
	}{
		{"none lost", want, []int{0, 1, 2, 3, 4, 5}, ""},
		{"some lost", []string{"a", "c", "b"}, []int{0, 2, 4}, ""},
		{"all lost", nil, nil, ""},
		{"out of order", []string{"a", "c", "b", "a"}, nil, `subscriber 1: "a" is out of order`},
		{"repeated", []string{"a", "b", "c", "a", "b", "c", "c"}, nil, `subscriber 1: "c" is out of order, repeated`},
		{"unexpected", []string{"a", "z"}, nil, `subscriber 1: "z" is out of order`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := checkKeys(t, true, want, c.sub1, c.err)
			if !ok {
				return
			}
			var changes []int
			for _, d := range got[1] {
				changes = append(changes, d.change)
			}
			if !slices.Equal(changes, c.changes) {
				t.Errorf("changes %v, want %v", changes, c.changes)
			}
		})
	}
	if _, err := NewByID(1, func([]byte) string { return "" }).inOrder([]int{0}, want); err == nil {
		t.Error("inOrder on NewByID arrivals: no error")
	}
}
