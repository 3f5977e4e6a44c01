package pipeline

import (
	"fmt"
	"math"

	"github.com/povstat/povstat/indices"
)

// CalibrationBin is one quantile group of predicted probabilities.
type CalibrationBin struct {
	// N is the number of units and Weight their weight.
	N      int
	Weight float64
	// Observed is the weighted event rate and Predicted the weighted mean
	// probability of the group; both NaN when the group is empty.
	Observed, Predicted float64
}

// Calibration groups the units by the k weighted quantile groups of the
// predicted probabilities p (k = 10: deciles) and gives for each group
//
//	O_j = sum_{i in j} w_i e_i / sum_{i in j} w_i,   P_j = sum_{i in j} w_i p_i / sum_{i in j} w_i
//
// The cut points are the weighted quantiles 1/k, ..., (k−1)/k of p
// (indices.Quantile, laeken's rule) and a unit at a cut point belongs to the
// group below, as in indices.Shares: tied scores fall in one group, so a
// group between two equal cut points is empty (N 0, O and P NaN). nil
// weights are all 1. Without weight every group is empty. It panics when
// the lengths differ or k < 1.
//
// Reference: Hosmer & Lemeshow (1980), Goodness of fit tests for the
// multiple logistic regression model, Communications in Statistics A 9(10),
// 1043–1069.
func Calibration(p []float64, event []bool, weights []float64, k int) []CalibrationBin {
	if len(p) != len(event) || weights != nil && len(weights) != len(p) {
		panic("pipeline: slice length mismatch")
	}
	if k < 1 {
		panic("pipeline: fewer than one calibration group")
	}
	ps := make([]float64, k-1)
	for j := range ps {
		ps[j] = float64(j+1) / float64(k)
	}
	cuts := indices.Quantiles(nil, ps, p, weights)
	bins := make([]CalibrationBin, k)
	obs, pred := make([]float64, k), make([]float64, k)
	for i, pi := range p {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		if w == 0 || len(cuts) > 0 && math.IsNaN(cuts[0]) {
			continue
		}
		j := quantileGroup(pi, cuts)
		bins[j].N++
		bins[j].Weight += w
		pred[j] += w * pi
		if event[i] {
			obs[j] += w
		}
	}
	for j := range bins {
		bins[j].Observed = nanIfZero(bins[j].Weight, obs[j])
		bins[j].Predicted = nanIfZero(bins[j].Weight, pred[j])
	}
	return bins
}

// CalibrationError returns the weighted mean absolute difference between
// the observed rates and the mean predicted probabilities of the groups,
//
//	E = sum_j W_j |O_j − P_j| / sum_j W_j
//
// over the groups with weight; NaN when none has.
func CalibrationError(bins []CalibrationBin) float64 {
	var s, sw float64
	for _, b := range bins {
		if b.Weight > 0 {
			s += b.Weight * math.Abs(b.Observed-b.Predicted)
			sw += b.Weight
		}
	}
	return nanIfZero(sw, s)
}

// calibrationGroups is the number of groups of the calibration table.
const calibrationGroups = 10

// calibration gives the calibration rows of a score: per decile the
// observed rate and the mean predicted probability, then the error.
func (v riskRows) calibration(model string, score []float64) []Result {
	bins := Calibration(score, v.ev, v.w, calibrationGroups)
	var obs, pred []Result
	for j, b := range bins {
		row := func(ind string, est float64) Result {
			r := Result{Indicator: ind, Model: model, Line: v.line, Domain: v.dom, Cell: fmt.Sprintf("D%d", j+1),
				Estimate: est, N: b.N, Population: b.Weight}
			if b.N == 0 {
				r.Note = "no scored household in this decile (tied scores)"
			}
			return r
		}
		obs = append(obs, row("calibration", b.Observed))
		pred = append(pred, row("calibration_predicted", b.Predicted))
	}
	e := Result{Indicator: "calibration_error", Model: model, Line: v.line, Domain: v.dom,
		Estimate: CalibrationError(bins), N: len(score), Population: sumFloat(v.w)}
	if len(score) == 0 {
		e.Note = "no scored household in the test year"
	}
	return append(append(obs, pred...), e)
}
