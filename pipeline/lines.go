package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// lineValues is a poverty line evaluated on the units: one value per group
// of its By columns, and the line each unit faces.
type lineValues struct {
	line   Line
	groups *grouping
	values []float64 // per group; NaN where the group has no reference unit
	refN   []int     // reference units per group
	refPop []float64
	z      []float64 // per unit
}

// evalLine gives every group of a line's By columns its value, a fixed
// value or a fraction of the weighted median or mean income of the group's
// reference units (st, computed over the units meeting its Where
// conditions), and every unit the value of its group.
func evalLine(u *units, l Line, g *grouping, st *groupStats) (*lineValues, error) {
	k := g.size()
	lv := &lineValues{line: l, groups: g, values: make([]float64, k), refN: st.n, refPop: st.pop}
	for j := range lv.values {
		switch l.Basis {
		case "abs":
			lv.values[j] = l.Value
		case "median":
			lv.values[j] = l.Value * st.median[j]
		case "mean":
			lv.values[j] = l.Value * nanIfZero(st.pop[j], st.income[j])
		default:
			return nil, fmt.Errorf("line %q: unknown basis %q", l.Name, l.Basis)
		}
	}
	lv.z = make([]float64, len(u.x))
	for i, c := range g.codes {
		lv.z[i] = lv.values[c]
	}
	return lv, nil
}

// whereMask marks the reference units of a line; nil means all units.
func whereMask(u *units, l Line) ([]bool, error) {
	if len(l.Where) == 0 || l.Basis == "abs" {
		return nil, nil
	}
	mask := make([]bool, len(u.x))
	for i := range mask {
		mask[i] = true
	}
	for _, c := range l.Where {
		f, ok := u.factors[c.Column]
		if !ok {
			return nil, fmt.Errorf("line %q: no column %q was read", l.Name, c.Column)
		}
		code := int32(-1)
		for j, lev := range f.levels {
			if lev == c.Value {
				code = int32(j)
			}
		}
		if code < 0 {
			return nil, fmt.Errorf("%sline %q: no unit has %s=%s (values found: %s)",
				posPrefix(l.Pos), l.Name, c.Column, c.Value, levelList(f.levels))
		}
		for i, v := range f.codes {
			if v != code {
				mask[i] = false
			}
		}
	}
	return mask, nil
}

// posPrefix is "POS: " for a line written somewhere, else "".
func posPrefix(pos string) string {
	if pos == "" || pos == "default" {
		return ""
	}
	return pos + ": "
}

// levelList lists levels in output order, the first few only.
func levelList(levels []string) string {
	const most = 12
	shown := slices.SortedFunc(slices.Values(levels), compareLevels)
	if len(shown) > most {
		shown = shown[:most]
	}
	s := strings.Join(shown, ", ")
	if len(levels) > most {
		s += fmt.Sprintf(", … (%d in all)", len(levels))
	}
	return s
}

// lineRows returns the `line` result rows: one per group of the line.
func (lv *lineValues) rows() []Result {
	out := make([]Result, lv.groups.size())
	for j := range out {
		r := Result{
			Indicator:  "line",
			Line:       lv.line.Name,
			Domain:     lv.groups.domain(j),
			Estimate:   lv.values[j],
			N:          lv.refN[j],
			Population: lv.refPop[j],
		}
		if math.IsNaN(r.Estimate) {
			r.Note = "no reference unit in this group"
		}
		out[j] = r
	}
	return out
}
