package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// lineValues is a poverty line evaluated on the units: one value per group
// of its By columns, and (from evalLine) the line each unit faces.
type lineValues struct {
	line   Line
	groups *grouping
	values []float64 // per group; NaN where the group has no reference unit
	refN   []int     // reference units per group
	refPop []float64
	z      []float64 // per unit, values[groups.codes[i]]; nil from lineGroupValues until unitLines
}

// evalLine gives every group of a line's By columns its value, a fixed
// value or a fraction of the weighted median or mean income of the group's
// reference units (st, computed over the units meeting its Where
// conditions), and every unit the value of its group (z).
func evalLine(u *units, l Line, g *grouping, st *groupStats) (*lineValues, error) {
	lv, err := lineGroupValues(l, g, st)
	if err != nil {
		return nil, err
	}
	lv.unitLines()
	return lv, nil
}

// lineGroupValues is evalLine without the per-unit values z: a job that
// looks each unit's line up by its group (lv.at) holds k values, not n.
func lineGroupValues(l Line, g *grouping, st *groupStats) (*lineValues, error) {
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
	return lv, nil
}

// unitLines fills z, the line of every unit, unless it is filled already.
// It is not safe for concurrent use.
func (lv *lineValues) unitLines() {
	if lv.z != nil {
		return
	}
	lv.z = make([]float64, len(lv.groups.codes))
	if lv.national() {
		v := lv.values[0]
		for i := range lv.z {
			lv.z[i] = v
		}
		return
	}
	for i, c := range lv.groups.codes {
		lv.z[i] = lv.values[c]
	}
}

// national reports whether the line has one value for every unit (no By
// columns): its group codes need not be read.
func (lv *lineValues) national() bool { return len(lv.groups.cols) == 0 }

// at returns the line of unit i, values[groups.codes[i]].
func (lv *lineValues) at(i int) float64 {
	if lv.national() {
		return lv.values[0]
	}
	return lv.values[lv.groups.codes[i]]
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
