package cim

import (
	"fmt"
	"math"
	"time"
)

// NewTimestamp returns the timestamp of t to the microsecond, keeping t's
// UTC offset when it is a whole number of minutes that fits the three
// digits, and converting to UTC otherwise.
func NewTimestamp(t time.Time) (Datetime, error) {
	_, off := t.Zone()
	if off%60 != 0 || off/60 > 999 || off/60 < -999 {
		t, off = t.UTC(), 0
	}
	if t.Year() < 0 || t.Year() > 9999 {
		return Datetime{}, fmt.Errorf("timestamp of %v: year %d out of range 0..9999", t, t.Year())
	}
	return Datetime{
		f:      [6]int32{int32(t.Year()), int32(t.Month()), int32(t.Day()), int32(t.Hour()), int32(t.Minute()), int32(t.Second())},
		micro:  int32(t.Nanosecond() / 1000),
		sig:    allDigits,
		offset: int16(off / 60),
	}, nil
}

// NewInterval returns the interval of d to the microsecond.
func NewInterval(d time.Duration) (Datetime, error) {
	if d < 0 {
		return Datetime{}, fmt.Errorf("interval of %v: negative", d)
	}
	us := int64(d / time.Microsecond)
	const usPerDay = 86400 * 1e6
	days, rest := us/usPerDay, us%usPerDay
	secs := rest / 1e6
	return Datetime{
		interval: true,
		f:        [6]int32{int32(days), int32(secs / 3600), int32(secs / 60 % 60), int32(secs % 60)},
		micro:    int32(rest % 1e6),
		sig:      allDigits,
	}, nil
}

// Time returns a timestamp as a time.Time in its own UTC offset (time.UTC
// for +000). Digits of the microseconds that are asterisks count as zero;
// any other asterisk field is an error.
func (d Datetime) Time() (time.Time, error) {
	if d.interval {
		return time.Time{}, fmt.Errorf("converting datetime %s to a time: it is an interval", d)
	}
	if d.sig < 14 {
		return time.Time{}, fmt.Errorf("converting datetime %s to a time: fields are not significant", d)
	}
	loc := time.UTC
	if d.offset != 0 {
		loc = time.FixedZone("", int(d.offset)*60)
	}
	f := d.f
	return time.Date(int(f[0]), time.Month(f[1]), int(f[2]), int(f[3]), int(f[4]), int(f[5]), int(d.micro)*1000, loc), nil
}

// Duration returns an interval as a time.Duration. Digits of the
// microseconds that are asterisks count as zero; any other asterisk field,
// or an interval too long for a Duration (about 292 years), is an error.
func (d Datetime) Duration() (time.Duration, error) {
	if !d.interval {
		return 0, fmt.Errorf("converting datetime %s to a duration: it is a timestamp", d)
	}
	if d.sig < 14 {
		return 0, fmt.Errorf("converting datetime %s to a duration: fields are not significant", d)
	}
	// 99999999 days in microseconds still fits an int64; nanoseconds may not.
	secs := int64(d.f[1])*3600 + int64(d.f[2])*60 + int64(d.f[3])
	us := int64(d.f[0])*86400e6 + secs*1e6 + int64(d.micro)
	if us > math.MaxInt64/1000 {
		return 0, fmt.Errorf("converting datetime %s to a duration: too long", d)
	}
	return time.Duration(us) * time.Microsecond, nil
}
