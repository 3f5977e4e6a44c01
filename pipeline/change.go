package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// changeRows returns, for every result whose domain includes the time
// column, the change since the previous period: a row "<indicator>_change"
// in the later period's domain whose estimate is the estimate there minus
// the estimate of the same indicator, line, ratio and other domain values
// in the previous period present in the results (periods in the order of
// the domain levels). Counts (n, population) are those of the later period.
// A change is null where either estimate is.
//
// diff, when not nil, gives the standard error of results[cur] minus
// results[prev], covariance included (the same sample, e.g. a panel or the
// same PSUs in both periods), its t quantile and its method; changes then
// carry an SE, interval and RSE. It comes from the replicates (bootstrap,
// replicate weights) or, under linearization, from the difference of the
// two rows' linearized variables over the full design (seJob.diffVariance;
// the median's is its density-based influence function, the quantile's
// linearized variable; "unavailable" for rows without one). Without it a
// study with SEs marks them "unavailable".
func changeRows(results []Result, time string, diff func(cur, prev int) (se, t float64, method string)) []Result {
	type cell struct {
		key    string // everything but the period
		period string
	}
	index := map[cell]int{}
	periods := map[string][]string{} // key -> its periods
	var keys []string
	for i, r := range results {
		period, key, ok := splitPeriod(r, time)
		if !ok || strings.HasSuffix(r.Indicator, "_change") {
			continue
		}
		if _, seen := periods[key]; !seen {
			keys = append(keys, key)
		}
		periods[key] = append(periods[key], period)
		index[cell{key, period}] = i
	}
	var out []Result
	for _, key := range keys {
		ps := slices.Clone(periods[key])
		slices.SortStableFunc(ps, compareLevels)
		for k := 1; k < len(ps); k++ {
			pi, ci := index[cell{key, ps[k-1]}], index[cell{key, ps[k]}]
			prev, cur := results[pi], results[ci]
			r := cur
			r.Indicator = cur.Indicator + "_change"
			r.Estimate = cur.Estimate - prev.Estimate
			r.ExcludedN, r.ExcludedPopulation = 0, 0
			if r.SEMethod != "" {
				nan := math.NaN()
				r.SE, r.CILower, r.CIUpper, r.RSE, r.Deff = nan, nan, nan, nan, nan
				r.SEMethod, r.Unreliable = "unavailable", false
				if diff != nil {
					se, t, method := diff(ci, pi)
					r.SE, r.SEMethod = se, method
					r.CILower, r.CIUpper = r.Estimate-t*se, r.Estimate+t*se
					r.RSE = se / math.Abs(r.Estimate)
				}
			}
			r.Note = ""
			if math.IsNaN(r.Estimate) {
				r.Note = fmt.Sprintf("no estimate in %s=%s or %s=%s", time, ps[k-1], time, ps[k])
			}
			out = append(out, r)
		}
	}
	return out
}

// splitPeriod returns a result's period (its value of the time column) and
// a key for everything else that identifies it.
func splitPeriod(r Result, time string) (period, key string, ok bool) {
	var b strings.Builder
	b.WriteString(r.Indicator + "\x00" + r.Line + "\x00" + r.Ratio)
	for _, d := range r.Domain {
		if d.Column == time {
			period, ok = d.Value, true
			b.WriteString("\x00" + d.Column + "=\x01")
			continue
		}
		b.WriteString("\x00" + d.Column + "=" + d.Value)
	}
	return period, b.String(), ok
}
