package wsman

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/virtbridge/virtbridge/cim"
)

// parseDuration reads an xs:duration such as "PT60.000S" or "P1DT2H".
// Years and months are refused: they have no fixed length.
func parseDuration(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" {
		return 0, fmt.Errorf("xs:duration %q: want P[nD][T[nH][nM][nS]]", s)
	}
	var total float64
	inTime := false
	for rest != "" {
		if rest[0] == 'T' {
			if inTime {
				return 0, fmt.Errorf("xs:duration %q: T twice", s)
			}
			inTime, rest = true, rest[1:]
			continue
		}
		i := strings.IndexAny(rest, "YMDHS")
		if i <= 0 {
			return 0, fmt.Errorf("xs:duration %q: want a number and a unit", s)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
			return 0, fmt.Errorf("xs:duration %q: %q is not a number", s, rest[:i])
		}
		unit := rest[i]
		switch {
		case unit == 'D' && !inTime:
			total += n * 86400
		case unit == 'H' && inTime:
			total += n * 3600
		case unit == 'M' && inTime:
			total += n * 60
		case unit == 'S' && inTime:
			total += n
		default:
			return 0, fmt.Errorf("xs:duration %q: unit %c not accepted there (years and months have no fixed length)", s, unit)
		}
		rest = rest[i+1:]
	}
	if total > float64(math.MaxInt64/int64(time.Second)) {
		return 0, fmt.Errorf("xs:duration %q: too long", s)
	}
	return time.Duration(total * float64(time.Second)), nil
}

// formatDuration writes d as an xs:duration with millisecond precision.
func formatDuration(d time.Duration) string {
	return fmt.Sprintf("PT%.3fS", d.Seconds())
}

// datetimeXML renders a CIM datetime per DSP0230 §?: a timestamp as
// cim:Datetime (xs:dateTime), an interval as cim:Interval (xs:duration),
// and one with unknown fields as cim:CIM_DateTime, the DMTF text form.
func datetimeXML(d cim.Datetime) (elem, text string) {
	if d.IsInterval() {
		s := d.String() // ddddddddhhmmss.mmmmmm:000
		if d.Precision() < 14 || len(s) < 21 {
			return "CIM_DateTime", s
		}
		days, _ := strconv.Atoi(s[0:8])
		return "Interval", fmt.Sprintf("P%dDT%sH%sM%s.%sS", days, s[8:10], s[10:12], s[12:14], s[15:21])
	}
	t, err := d.Time()
	if err != nil {
		return "CIM_DateTime", d.String()
	}
	if d.OffsetMinutes() == 0 {
		return "Datetime", t.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	return "Datetime", t.Format("2006-01-02T15:04:05.000000-07:00")
}
