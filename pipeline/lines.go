package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/povstat/povstat/indices"
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

// evalLine computes the value of a line for every group of its By columns:
// a fixed value, or a fraction of the weighted median or mean income of the
// reference units (those meeting its Where conditions) of the group.
func evalLine(u *units, l Line) (*lineValues, error) {
	g, err := newGrouping(len(u.x), l.By, u.factors)
	if err != nil {
		return nil, fmt.Errorf("line %q: %w", l.Name, err)
	}
	ref, err := whereMask(u, l)
	if err != nil {
		return nil, err
	}
	lv := &lineValues{line: l, groups: g}
	k := g.size()
	lv.values = make([]float64, k)
	lv.refN = make([]int, k)
	lv.refPop = make([]float64, k)
	off, xs, ws := partition(g.codes, k, ref, u.x, u.w)
	for j := 0; j < k; j++ {
		gx, gw := xs[off[j]:off[j+1]], ws[off[j]:off[j+1]]
		lv.refN[j] = len(gx)
		for _, w := range gw {
			lv.refPop[j] += w
		}
		switch l.Basis {
		case "abs":
			lv.values[j] = l.Value
		case "median":
			lv.values[j] = l.Value * indices.QuantileInPlace(0.5, gx, gw)
		case "mean":
			lv.values[j] = l.Value * indices.Mean(gx, gw)
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
	if len(l.Where) == 0 {
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
