package query

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestAdversarial: queries at the size limit parse and evaluate quickly
// and without deep recursion.
func TestAdversarial(t *testing.T) {
	inst := testSystem(t)
	isa := testIsA(t)
	fill := func(prefix, item, sep, suffix string) string {
		var b strings.Builder
		b.WriteString(prefix)
		for i := 0; b.Len()+len(item)+len(sep)+len(suffix)+8 < maxQueryLen; i++ {
			if i > 0 {
				b.WriteString(sep)
			}
			fmt.Fprintf(&b, item, i)
		}
		return b.String() + suffix
	}
	for name, text := range map[string]string{
		"select list": fill("SELECT ", "p%d", ",", " FROM X"),
		"AND chain":   fill("SELECT * FROM X WHERE ", "Name <> 'n%d'", " AND ", ""),
		"OR chain":    fill("SELECT * FROM X WHERE ", "Name = 'n%d'", " OR ", ""),
		"long path":   fill("SELECT * FROM X WHERE ", "Settings%.0d", ".", " = 1"),
		"LIKE stars":  "SELECT * FROM X WHERE ElementName LIKE '" + strings.Repeat("%_", maxQueryLen/2-30) + "'",
		"ANY arrays":  fill("SELECT * FROM X WHERE ", "OperationalStatus = OperationalStatus%.0d", " AND ", ""),
	} {
		start := time.Now()
		q, err := Parse("WQL", text)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		q.Match(inst, isa)
		q.Project(inst)
		// Logged, not asserted: no timing thresholds in make test.
		t.Logf("%s: %v", name, time.Since(start))
	}
}
