package query

// patElem is one element of a compiled LIKE pattern.
type patElem struct {
	kind patKind
	r    rune // for patRune
}

type patKind uint8

const (
	patRune patKind = iota // the rune itself
	patOne                 // _: any one character
	patAny                 // %: any run of characters, even none
)

// compileLike compiles a LIKE pattern: % and _ are wildcards and a
// backslash makes the next character literal. With fold, runes are
// case-folded as compareText folds them.
func compileLike(s string, fold bool) []patElem {
	var pat []patElem
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		e := patElem{r: rs[i]}
		switch rs[i] {
		case '%':
			if len(pat) > 0 && pat[len(pat)-1].kind == patAny {
				continue // %% is %, and fewer stars backtrack less
			}
			e.kind = patAny
		case '_':
			e.kind = patOne
		case '\\':
			if i+1 < len(rs) {
				i++
				e.r = rs[i]
			}
		}
		if fold && e.kind == patRune {
			e.r = foldRune(e.r)
		}
		pat = append(pat, e)
	}
	return pat
}

// matchLike reports whether all of s matches pat. It backtracks only to
// the last %, which is enough for % and _ and bounds the work by
// len(pat)*len(s).
func matchLike(pat []patElem, s string, fold bool) bool {
	rs := []rune(s)
	if fold {
		for i, r := range rs {
			rs[i] = foldRune(r)
		}
	}
	p, i := 0, 0
	star, mark := -1, 0 // the last % seen and where its run ends
	for i < len(rs) {
		switch {
		case p < len(pat) && pat[p].kind == patAny:
			star, mark = p, i
			p++
		case p < len(pat) && (pat[p].kind == patOne || pat[p].r == rs[i]):
			p++
			i++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p].kind == patAny {
		p++
	}
	return p == len(pat)
}
