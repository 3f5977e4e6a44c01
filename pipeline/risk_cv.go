package pipeline

import (
	"fmt"
	"math"
	"slices"
)

// DefaultPenaltyGrid is the grid of L2 penalties searched by the risk
// model's cross-validation: 10^(−4 + j/2), j = 0, ..., 10 (1e-4 to 10).
func DefaultPenaltyGrid() []float64 {
	g := make([]float64, 11)
	for j := range g {
		g[j] = math.Pow(10, -4+float64(j)/2)
	}
	return g
}

// RollingPenaltyCV scores each penalty of grid by rolling-origin
// validation over the folds: for each fold t that has rows of an earlier
// fold, FitLogistic is fitted on the rows of folds < t and validated on
// the rows of fold t. Features are standardised within each fit (mean and
// SD, denominator n, of the fitted rows; a missing value, NaN, takes the
// fitted rows' mean; a constant feature SD 1). The loss of a penalty is
// the weighted log-loss pooled over every validated row,
//
//	L(lambda) = sum_t sum_{i in t} w_i [log(1 + exp(eta_i)) − e_i eta_i] / sum_t sum_{i in t} w_i
//
// eta_i the linear predictor of the fit on folds < t. A fold whose earlier
// rows lack events or non-events is skipped; a penalty whose fit fails in a
// fold gets an infinite loss. nil weights are all 1. It returns the losses
// (NaN for every penalty when no fold can be validated) and the number of
// folds validated. It panics when the lengths differ.
func RollingPenaltyCV(x [][]float64, event []bool, weights []float64, fold []int, grid []float64) (loss []float64, folds int) {
	if len(x) != len(event) || len(fold) != len(x) || weights != nil && len(weights) != len(x) {
		panic("pipeline: slice length mismatch")
	}
	w := func(i int) float64 {
		if weights == nil {
			return 1
		}
		return weights[i]
	}
	ts := slices.Compact(slices.Sorted(slices.Values(fold)))
	sum := make([]float64, len(grid))
	var sw float64
	for _, t := range ts[min(1, len(ts)):] {
		var fit, val []int
		for i, f := range fold {
			switch {
			case f < t:
				fit = append(fit, i)
			case f == t:
				val = append(val, i)
			}
		}
		mean, sd := standardizeRows(x, fit)
		xf, ef, wf := designRows(x, fit, mean, sd), pick(event, fit), pickWeights(weights, fit)
		if !hasBoth(ef, wf) {
			continue // no events or no non-events before t: skip the fold
		}
		xv := designRows(x, val, mean, sd)
		for g, lambda := range grid {
			b, err := FitLogistic(xf, ef, wf, lambda)
			if err != nil {
				sum[g] = math.Inf(1)
				continue
			}
			for a, i := range val {
				e := linear(b, xv[a])
				l := softplus(e)
				if event[i] {
					l -= e
				}
				sum[g] += w(i) * l
			}
		}
		folds++
		for _, i := range val {
			sw += w(i)
		}
	}
	loss = make([]float64, len(grid))
	for g := range grid {
		loss[g] = nanIfZero(sw, sum[g])
	}
	return loss, folds
}

// bestPenalty returns the index of the smallest loss, the larger penalty
// on ties; −1 when no loss is finite.
func bestPenalty(grid, loss []float64) int {
	best := -1
	for g, l := range loss {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			continue
		}
		if best < 0 || l < loss[best] || l == loss[best] && grid[g] > grid[best] {
			best = g
		}
	}
	return best
}

// choosePenalty returns the penalty of r (when fixed) or the one chosen by
// RollingPenaltyCV over the training pairs, folds being their outcome
// years, with the result rows: penalty (model "score") and, when
// cross-validated, cv_log_loss for each grid point (at = the penalty).
func choosePenalty(r Risk, x [][]float64, ev []bool, w []float64, fold []int, v riskRows) (float64, []Result, error) {
	if r.Penalty > 0 {
		return r.Penalty, []Result{{Indicator: "penalty", Model: "score", Line: v.line, Domain: v.dom, Estimate: r.Penalty,
			N: len(x), Population: sumFloat(w), Note: "fixed"}}, nil
	}
	grid := r.PenaltyGrid
	if grid == nil {
		grid = DefaultPenaltyGrid()
	}
	loss, folds := RollingPenaltyCV(x, ev, w, fold, grid)
	best := bestPenalty(grid, loss)
	pen := Result{Indicator: "penalty", Model: "score", Line: v.line, Domain: v.dom, N: len(x), Population: sumFloat(w)}
	if best < 0 {
		if folds > 0 {
			return 0, nil, fmt.Errorf("risk: cross-validation: %w: no penalty of the grid could be fitted", ErrNoFit)
		}
		pen.Estimate, pen.Note = DefaultRiskPenalty, "no earlier training year with events to validate on: the default penalty"
		return DefaultRiskPenalty, []Result{pen}, nil
	}
	pen.Estimate, pen.Note = grid[best], fmt.Sprintf("chosen by rolling-origin cross-validation over %d training years", folds)
	out := []Result{pen}
	for g, lambda := range grid {
		r := Result{Indicator: "cv_log_loss", Model: "score", Line: v.line, Domain: v.dom, Estimate: loss[g], N: len(x), Population: sumFloat(w)}
		r.At = &lambda
		if math.IsInf(loss[g], 0) {
			r.Estimate, r.Note = math.NaN(), "the fit failed in a fold (separation?)"
		}
		out = append(out, r)
	}
	return grid[best], out, nil
}

// standardizeRows returns the unweighted mean and SD (denominator n) of
// each column of x over rows, skipping missing values (NaN). A constant
// (or absent) column gets SD 1.
func standardizeRows(x [][]float64, rows []int) (mean, sd []float64) {
	nf := 0
	if len(x) > 0 {
		nf = len(x[0])
	}
	mean, sd = make([]float64, nf), make([]float64, nf)
	for k := range nf {
		var s, n float64
		for _, q := range rows {
			if v := x[q][k]; !math.IsNaN(v) {
				s += v
				n++
			}
		}
		if n > 0 {
			mean[k] = s / n
		}
		var ss float64
		for _, q := range rows {
			if v := x[q][k]; !math.IsNaN(v) {
				ss += (v - mean[k]) * (v - mean[k])
			}
		}
		sd[k] = 1
		if n > 1 && ss > 0 {
			sd[k] = math.Sqrt(ss / n)
		}
	}
	return mean, sd
}

// designRows returns the standardised rows (x − mean)/sd, a missing value
// taking the mean (so 0).
func designRows(x [][]float64, rows []int, mean, sd []float64) [][]float64 {
	out := make([][]float64, len(rows))
	for a, q := range rows {
		out[a] = make([]float64, len(mean))
		for k := range mean {
			if v := x[q][k]; !math.IsNaN(v) {
				out[a][k] = (v - mean[k]) / sd[k]
			}
		}
	}
	return out
}

func pick(ev []bool, rows []int) []bool {
	out := make([]bool, len(rows))
	for a, q := range rows {
		out[a] = ev[q]
	}
	return out
}

func pickWeights(w []float64, rows []int) []float64 {
	if w == nil {
		return nil
	}
	out := make([]float64, len(rows))
	for a, q := range rows {
		out[a] = w[q]
	}
	return out
}

// hasBoth reports whether there is weight on both events and non-events.
func hasBoth(ev []bool, w []float64) bool {
	var w1, w0 float64
	for i, e := range ev {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		if e {
			w1 += wi
		} else {
			w0 += wi
		}
	}
	return w1 > 0 && w0 > 0
}

// linear returns b_0 + sum_k b_k x_k.
func linear(b, x []float64) float64 {
	v := b[0]
	for k, xk := range x {
		v += b[k+1] * xk
	}
	return v
}
