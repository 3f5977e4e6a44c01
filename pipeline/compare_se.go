package pipeline

import (
	"context"
	"math"
	"slices"
	"strconv"
)

// compareSEIndicators are the indicators of a comparison that get standard
// errors: those of the sweeps' points and of the named lines.
var compareSEIndicators = []string{"population", "line", "headcount", "gap", "severity", "poor_population", "gap_total"}

// compareSEBatch is the most lines whose standard errors are computed
// together (each holds per-unit and per-PSU arrays).
const compareSEBatch = 16

// compareErrors gives the rows of results that a comparison shares with
// povstat indices (population; the named lines' line, headcount and
// poor_population; every sweep point's line, headcount, gap, severity,
// poor_population and gap_total) the standard errors of study s's method
// (s.SEMethod not none), computed over the units u as Run computes them
// (tabulate): each point of a sweep is the line BASIS:F (or the absolute
// value) with the sweep's @ columns and ? conditions, so that a relative
// point's SE includes the variance of its estimated median or mean, as
// the named line's does. The other rows (overlap, traits, inverse,
// transfer, dominance and rank rows) are marked "unavailable".
//
// The lines go through tabulate in batches of compareSEBatch, a sweep point
// named SWEEP#k (k its index among Points; '#' is in no line name).
func compareErrors(ctx context.Context, s *Study, u *units, c Comparison, results []Result) error {
	if s.SEMethod == "" || s.SEMethod == "none" {
		return nil
	}
	type lineAt struct {
		name string
		at   float64
	}
	var lines []Line
	points := map[lineAt]string{} // sweep point -> its line's name
	lines = append(lines, c.Lines...)
	for _, sw := range c.Sweeps {
		for k, v := range sw.Points() {
			name := sw.Name + "#" + strconv.Itoa(k)
			points[lineAt{sw.Name, v}] = name
			lines = append(lines, Line{Name: name, Basis: sw.Basis, Value: v, By: sw.By, Where: sw.Where, Pos: sw.Pos})
		}
	}
	errs := map[string]Result{} // resultKey -> the row with its SE
	for lo := 0; lo == 0 || lo < len(lines); lo += compareSEBatch {
		sc := *s
		sc.Lines = lines[lo:min(lo+compareSEBatch, len(lines))]
		sc.Indicators = compareSEIndicators
		sc.Region, sc.Ratios, sc.Time, sc.Differences = "", nil, "", nil
		sc.Compare, sc.Dynamics, sc.Risk, sc.Vulnerability = nil, nil, nil, nil
		rows, _, err := tabulate(ctx, &sc, u)
		if err != nil {
			return err
		}
		for _, r := range rows {
			errs[resultKey(r.Indicator, r.Line, r.Domain)] = r
		}
	}
	for i := range results {
		r := &results[i]
		name := r.Line
		switch {
		case r.Cell != "" || r.Ratio != "" || !slices.Contains(compareSEIndicators, r.Indicator):
			name = "\x00" // no such row
		case r.At != nil:
			if n, ok := points[lineAt{r.Line, *r.At}]; ok {
				name = n
			} else {
				name = "\x00"
			}
		}
		if e, ok := errs[resultKey(r.Indicator, name, r.Domain)]; ok {
			// The estimates agree but for rounding (the sweep's pass adds
			// in another order): the interval moves with the row's own.
			d := r.Estimate - e.Estimate
			r.SE, r.CILower, r.CIUpper, r.Deff = e.SE, e.CILower+d, e.CIUpper+d, e.Deff
			r.RSE = e.SE / math.Abs(r.Estimate)
			r.SEMethod = e.SEMethod
			r.Unreliable = s.RSELimit > 0 && r.RSE > s.RSELimit
			continue
		}
		markNoSE(s, r)
	}
	return nil
}
