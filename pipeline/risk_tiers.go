package pipeline

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/povstat/povstat/indices"
)

// DefaultRiskTiers are the score thresholds of the high and medium tiers:
// a household is "high" when its score is >= 0.3, "medium" when >= 0.1,
// else "low".
var DefaultRiskTiers = []float64{0.3, 0.1}

// Tiers returns the tier of each score, "high", "medium" or "low", under
// the thresholds {high, medium} (high >= medium): high when s >= high,
// medium when medium <= s < high, low below. With shares (0 < share_high
// <= share_medium <= 1) the thresholds are taken from the scores instead:
// a household is high when its score is above the weighted quantile
// 1 − share_high of the scores (indices.Quantile, laeken's rule), medium
// when above the quantile 1 − share_medium, so about the top share_high of
// the weight is high, ties at a cut going to the lower tier; thresholds
// then holds {share_high, share_medium}. nil weights are all 1. It panics
// when the lengths differ or the thresholds are out of order.
func Tiers(score, weights, thresholds []float64, shares bool) []string {
	if weights != nil && len(weights) != len(score) || len(thresholds) != 2 {
		panic("pipeline: slice length mismatch")
	}
	hi, med := thresholds[0], thresholds[1]
	out := make([]string, len(score))
	if shares {
		if !(hi > 0 && hi <= med && med <= 1) {
			panic("pipeline: tier shares out of order or out of (0, 1]")
		}
		q := indices.Quantiles(nil, []float64{1 - hi, 1 - med}, score, weights)
		for i, s := range score {
			switch {
			case s > q[0]:
				out[i] = "high"
			case s > q[1]:
				out[i] = "medium"
			default:
				out[i] = "low"
			}
		}
		return out
	}
	if !(hi >= med) {
		panic("pipeline: tier thresholds out of order")
	}
	for i, s := range score {
		switch {
		case s >= hi:
			out[i] = "high"
		case s >= med:
			out[i] = "medium"
		default:
			out[i] = "low"
		}
	}
	return out
}

// riskReasons gives the top reasons of a household: the features with the
// largest positive contributions c_k = b_k (x_k − mean_k)/sd_k to its
// linear predictor (z the standardised row, b the slopes without the
// intercept), at most n, largest first (ties in feature order). The
// indicators of one categorical feature count as one contribution, their
// sum, named COL=LEVEL by the household's own level (COL=? when null).
func riskReasons(b, z []float64, enc *riskEncoding, catLevel func(c int) int32, n int) []string {
	type contrib struct {
		name string
		v    float64
		ord  int
	}
	var cs []contrib
	inCat := make([]bool, len(z))
	for c, ce := range enc.cats {
		var v float64
		for k := range ce.level {
			inCat[ce.first+k] = true
			v += b[ce.first+k] * z[ce.first+k]
		}
		name := ce.name + "=?"
		if code := catLevel(c); code >= 0 {
			name = ce.name + "=" + ce.levels[code]
		}
		if len(ce.level) > 0 {
			cs = append(cs, contrib{name, v, ce.first})
		}
	}
	for k, zk := range z {
		if !inCat[k] {
			cs = append(cs, contrib{enc.names[k], b[k] * zk, k})
		}
	}
	slices.SortStableFunc(cs, func(a, b contrib) int {
		if c := cmp.Compare(b.v, a.v); c != 0 {
			return c
		}
		return cmp.Compare(a.ord, b.ord)
	})
	var out []string
	for _, c := range cs {
		if len(out) == n || !(c.v > 0) {
			break
		}
		out = append(out, c.name)
	}
	return out
}

// TopReasons returns the names of the features with the largest positive
// contributions b_k z_k (z the standardised feature values), at most n,
// largest first, ties in feature order.
func TopReasons(names []string, b, z []float64, n int) []string {
	if len(names) != len(b) || len(z) != len(b) {
		panic("pipeline: slice length mismatch")
	}
	return riskReasons(b, z, &riskEncoding{names: names}, nil, n)
}

// curveRows gives the chart rows of a score: capture_curve (at = 0.02,
// 0.04, ..., 1: CaptureAtK at that share) and score_distribution (at =
// 0, 0.05, ..., 0.95, cell returned or not_returned: the weighted share of
// that outcome group with a score in [at, at + 0.05), the last bin closed
// at 1; n and population count the group's units in the bin).
func (v riskRows) curveRows(score []float64) []Result {
	n, pop := len(score), sumFloat(v.w)
	var out []Result
	for j := 1; j <= 50; j++ {
		at := float64(j) / 50
		r := Result{Indicator: "capture_curve", Model: "score", Line: v.line, Domain: v.dom, Estimate: math.NaN(), N: n, Population: pop, At: &at}
		if n > 0 {
			r.Estimate = CaptureAtK(score, v.ev, v.w, at)
		}
		if math.IsNaN(r.Estimate) {
			r.Note = "no returns to poverty in the test year"
		}
		out = append(out, r)
	}
	const bins = 20
	var cnt [2][bins]int
	var wt [2][bins]float64
	var tot [2]float64
	for a, s := range score {
		if math.IsNaN(s) {
			continue
		}
		g := 1
		if v.ev[a] {
			g = 0
		}
		j := min(max(int(s*bins), 0), bins-1)
		if j > 0 && s < float64(j)/bins {
			j--
		} else if j < bins-1 && s >= float64(j+1)/bins {
			j++
		}
		cnt[g][j]++
		wt[g][j] += v.w[a]
		tot[g] += v.w[a]
	}
	for g, cell := range []string{"returned", "not_returned"} {
		for j := range bins {
			at := float64(j) / bins
			r := Result{Indicator: "score_distribution", Model: "score", Line: v.line, Domain: v.dom, Cell: cell,
				Estimate: nanIfZero(tot[g], wt[g][j]), N: cnt[g][j], Population: wt[g][j], At: &at}
			if tot[g] == 0 {
				r.Note = fmt.Sprintf("no household %s in the test year", map[string]string{"returned": "returned to poverty", "not_returned": "stayed out of poverty"}[cell])
			}
			out = append(out, r)
		}
	}
	return out
}

// scoredRows counts the scored households by region and tier: indicator
// scored, domain {year, region}, cell the tier; estimate and population the
// weight, n the households.
func scoredRows(scores []RiskScore, line, yearCol, year, regionCol string) []Result {
	type key struct{ region, tier string }
	n := map[key]int{}
	w := map[key]float64{}
	var regions []string
	for _, s := range scores {
		k := key{s.Region, s.Tier}
		if _, ok := n[key{s.Region, "high"}]; !ok {
			regions = append(regions, s.Region)
			for _, t := range []string{"high", "medium", "low"} {
				n[key{s.Region, t}] = 0
			}
		}
		n[k]++
		w[k] += s.Weight
	}
	slices.SortFunc(regions, compareLevels)
	var out []Result
	for _, rg := range regions {
		dom := []DomainValue{{Column: yearCol, Value: year}, {Column: regionCol, Value: rg}}
		for _, t := range []string{"high", "medium", "low"} {
			k := key{rg, t}
			out = append(out, Result{Indicator: "scored", Model: "score", Line: line, Domain: dom, Cell: t, Estimate: w[k], N: n[k], Population: w[k]})
		}
	}
	return out
}
