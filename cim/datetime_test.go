package cim

import (
	"strings"
	"testing"
	"time"
)

func TestDatetimeTimestamp(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"20240315123045.123456+060", time.Date(2024, 3, 15, 12, 30, 45, 123456000, time.FixedZone("", 3600))},
		{"19991231235959.000000-300", time.Date(1999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -5*3600))},
		{"20240229000000.000001+000", time.Date(2024, 2, 29, 0, 0, 0, 1000, time.UTC)},
		{"20240229000000.000001-000", time.Date(2024, 2, 29, 0, 0, 0, 1000, time.UTC)},
		{"00000101000000.000000+999", time.Date(0, 1, 1, 0, 0, 0, 0, time.FixedZone("", 999*60))},
	} {
		d, err := ParseDatetime(tc.in)
		if err != nil {
			t.Fatalf("ParseDatetime(%q): %v", tc.in, err)
		}
		if d.IsInterval() || d.Precision() != 20 || d.String() != tc.in {
			t.Errorf("ParseDatetime(%q) = %q interval=%v precision=%d", tc.in, d, d.IsInterval(), d.Precision())
		}
		got, err := d.Time()
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%q.Time() = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		_, off := got.Zone()
		if _, wantOff := tc.want.Zone(); off != wantOff || d.OffsetMinutes()*60 != off {
			t.Errorf("%q: offset %d s, want %d s", tc.in, off, wantOff)
		}
		back, err := NewTimestamp(got)
		if err != nil || back.String() != strings.Replace(tc.in, "-000", "+000", 1) {
			t.Errorf("NewTimestamp(%v) = %q, %v", got, back, err)
		}
	}
}

func TestDatetimeInterval(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"00000000000000.000000:000", 0},
		{"00000001020304.000005:000", 24*time.Hour + 2*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Microsecond},
		{"00000000000500.000000:000", 5 * time.Minute},
		// The longest a Duration holds, to the microsecond.
		{"00106751234716.854775:000", 106751*24*time.Hour + 23*time.Hour + 47*time.Minute + 16*time.Second + 854775*time.Microsecond},
	} {
		d, err := ParseDatetime(tc.in)
		if err != nil {
			t.Fatalf("ParseDatetime(%q): %v", tc.in, err)
		}
		got, err := d.Duration()
		if !d.IsInterval() || err != nil || got != tc.want || d.String() != tc.in {
			t.Errorf("%q: interval=%v Duration()=%v, %v; String()=%q", tc.in, d.IsInterval(), got, err, d)
		}
		back, err := NewInterval(tc.want)
		if err != nil || back != d {
			t.Errorf("NewInterval(%v) = %q, %v; want %q", tc.want, back, err, tc.in)
		}
	}
	if _, err := mustDatetime(t, "00106751234716.854776:000").Duration(); err == nil {
		t.Error("Duration of an interval one microsecond past the limit succeeded")
	}
	if _, err := mustDatetime(t, "99999999235959.999999:000").Duration(); err == nil {
		t.Error("Duration of 99999999 days succeeded")
	}
	if _, err := NewInterval(-time.Second); err == nil {
		t.Error("NewInterval(-1s) succeeded")
	}
}

func mustDatetime(t *testing.T, s string) Datetime {
	t.Helper()
	d, err := ParseDatetime(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDatetimeWildcards(t *testing.T) {
	for _, tc := range []struct {
		in        string
		precision int
		timeOK    bool
	}{
		{"2024031512****.******+000", 10, false},
		{"**************.******+000", 0, false},
		{"20240315123045.12****-060", 16, true},
		{"20240315123045.******+000", 14, true},
		{"00000010******.******:000", 8, false},
		{"00000010123456.1*****:000", 15, true},
	} {
		d, err := ParseDatetime(tc.in)
		if err != nil {
			t.Fatalf("ParseDatetime(%q): %v", tc.in, err)
		}
		if d.String() != tc.in || d.Precision() != tc.precision {
			t.Errorf("%q: String()=%q Precision()=%d, want %d", tc.in, d, d.Precision(), tc.precision)
		}
		var convErr error
		if d.IsInterval() {
			_, convErr = d.Duration()
		} else {
			_, convErr = d.Time()
		}
		if (convErr == nil) != tc.timeOK {
			t.Errorf("%q: conversion error %v, want ok=%v", tc.in, convErr, tc.timeOK)
		}
	}
	tm, _ := mustDatetime(t, "20240315123045.12****-060").Time()
	if tm.Nanosecond() != 120000000 {
		t.Errorf("microseconds to the hundredth: got %d ns", tm.Nanosecond())
	}
}

func TestDatetimeErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2024031512304.123456+060", "length 24"},
		{"20240315123045,123456+060", "expected '.'"},
		{"20240315123045.123456*060", "expected '+', '-' or ':'"},
		{"20241315123045.123456+060", "month 13"},
		{"20230229123045.123456+060", "day 29 out of range for 2023-02"},
		{"20240431123045.123456+060", "day 31 out of range for 2024-04"},
		{"20240315243045.123456+060", "hour 24"},
		{"20240315126045.123456+060", "minute 60"},
		{"20240315123060.123456+060", "second 60"},
		{"20240300123045.123456+060", "day 0"},
		{"2024**15123045.123456+060", "follows an asterisk"},
		{"2024031512****.123456+060", "microseconds follow"},
		{"20240315123045.12*4**+060", "digits followed by asterisks"},
		{"2024031512304*.123456+060", "neither digits nor asterisks"},
		{"20240315123045.123456+06a", "not three digits"},
		{"20240315123045.123456+***", "not three digits"},
		{"00000001020304.000005:001", `end in ":000"`},
		{"00000001240304.000005:000", "hours 24"},
		{"0000000a020304.000005:000", "neither digits nor asterisks"},
	} {
		_, err := ParseDatetime(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.in) {
			t.Errorf("ParseDatetime(%q) error %v, want it to name the input and say %q", tc.in, err, tc.want)
		}
	}
}

func TestNewTimestamp(t *testing.T) {
	odd := time.FixedZone("LMT", 3600+30) // not whole minutes: goes to UTC
	d, err := NewTimestamp(time.Date(2000, 1, 2, 3, 4, 5, 6789, odd))
	if err != nil || d.String() != "20000102020335.000006+000" {
		t.Errorf("NewTimestamp in an odd zone = %q, %v", d, err)
	}
	if _, err := NewTimestamp(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("NewTimestamp of year 10000 succeeded")
	}
	if _, err := mustDatetime(t, "00000001020304.000005:000").Time(); err == nil {
		t.Error("Time() of an interval succeeded")
	}
	if _, err := mustDatetime(t, "20240315123045.123456+060").Duration(); err == nil {
		t.Error("Duration() of a timestamp succeeded")
	}
}
