package pipeline

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// AUC returns the weighted area under the ROC curve of score for the
// events, the weighted Mann–Whitney statistic
//
//	A = sum_{i event} sum_{j not event} w_i w_j psi(s_i, s_j) / (W_1 W_0)
//
// with psi = 1 when s_i > s_j, 1/2 when s_i == s_j (ties count half) and 0
// otherwise, W_1 and W_0 the weights of the events and non-events. Its
// variance is DeLong's, with weights: from the placement values
// V1_i = sum_j w_j psi(s_i, s_j) / W_0 of the events and
// V0_j = sum_i w_i psi(s_i, s_j) / W_1 of the non-events,
//
//	Var = sum_{i event} w_i^2 (V1_i - A)^2 / W_1^2 + sum_{j not event} w_j^2 (V0_j - A)^2 / W_0^2
//
// (with unit weights, DeLong's estimator with m and n in place of m−1 and
// n−1). nil weights are all 1. A and Var are NaN when there is no event or
// no non-event (of positive weight). It panics when the lengths differ.
//
// Reference: DeLong, DeLong & Clarke-Pearson (1988), Comparing the areas
// under two or more correlated ROC curves, Biometrics 44(3), 837–845.
func AUC(score []float64, event []bool, weights []float64) (auc, variance float64) {
	if len(score) != len(event) || weights != nil && len(weights) != len(score) {
		panic("pipeline: slice length mismatch")
	}
	w := func(i int) float64 {
		if weights == nil {
			return 1
		}
		return weights[i]
	}
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(score[a], score[b]) })
	var w1, w0 float64
	for i := range score {
		if event[i] {
			w1 += w(i)
		} else {
			w0 += w(i)
		}
	}
	if w1 == 0 || w0 == 0 {
		return math.NaN(), math.NaN()
	}
	// Placement values by tie group, in increasing order of score.
	place := make([]float64, len(score))
	var below1, below0 float64 // weight of events and non-events scored below the group
	for a := 0; a < len(idx); {
		b := a
		var t1, t0 float64
		for b < len(idx) && score[idx[b]] == score[idx[a]] {
			if event[idx[b]] {
				t1 += w(idx[b])
			} else {
				t0 += w(idx[b])
			}
			b++
		}
		for _, i := range idx[a:b] {
			if event[i] {
				place[i] = (below0 + t0/2) / w0
			} else {
				place[i] = (w1 - below1 - t1 + t1/2) / w1
			}
		}
		below1 += t1
		below0 += t0
		a = b
	}
	for i := range score {
		if event[i] {
			auc += w(i) * place[i]
		}
	}
	auc /= w1
	var v1, v0 float64
	for i := range score {
		d := place[i] - auc
		if event[i] {
			v1 += w(i) * w(i) * d * d
		} else {
			v0 += w(i) * w(i) * d * d
		}
	}
	return auc, v1/(w1*w1) + v0/(w0*w0)
}

// CaptureAtK returns the share of the events' weight among the top share k
// (0 < k <= 1) of the weight when units are taken in decreasing order of
// score:
//
//	C(k) = sum_i w_i e_i f_i / sum_i w_i e_i
//
// where f_i is 1 for units above the cut, 0 below, and for the units tied
// at the cut the fraction of their weight needed to reach k·W (so ties are
// taken in proportion, and C does not depend on the order of the rows).
// nil weights are all 1. It is NaN when there is no event. It panics when
// the lengths differ or k is not in (0, 1].
func CaptureAtK(score []float64, event []bool, weights []float64, k float64) float64 {
	if len(score) != len(event) || weights != nil && len(weights) != len(score) {
		panic("pipeline: slice length mismatch")
	}
	if !(k > 0 && k <= 1) {
		panic("pipeline: capture share k out of (0, 1]")
	}
	w := func(i int) float64 {
		if weights == nil {
			return 1
		}
		return weights[i]
	}
	idx := make([]int, len(score))
	var total, events float64
	for i := range idx {
		idx[i] = i
		total += w(i)
		if event[i] {
			events += w(i)
		}
	}
	if events == 0 {
		return math.NaN()
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	room := k * total
	var caught float64
	for a := 0; a < len(idx) && room > 0; {
		b := a
		var tw, te float64
		for b < len(idx) && score[idx[b]] == score[idx[a]] {
			tw += w(idx[b])
			if event[idx[b]] {
				te += w(idx[b])
			}
			b++
		}
		f := 1.0
		if tw > room {
			f = room / tw
		}
		caught += f * te
		room -= tw
		a = b
	}
	return caught / events
}

// Brier returns the weighted mean squared error of the probabilities p for
// the events, sum_i w_i (p_i - e_i)^2 / sum_i w_i; NaN without weight. nil
// weights are all 1. It panics when the lengths differ.
//
// Reference: Brier (1950), Verification of forecasts expressed in terms of
// probability, Monthly Weather Review 78(1), 1–3.
func Brier(p []float64, event []bool, weights []float64) float64 {
	if len(p) != len(event) || weights != nil && len(weights) != len(p) {
		panic("pipeline: slice length mismatch")
	}
	var s, sw float64
	for i := range p {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		e := 0.0
		if event[i] {
			e = 1
		}
		s += w * (p[i] - e) * (p[i] - e)
		sw += w
	}
	return nanIfZero(sw, s)
}

// ErrNoFit reports a logistic regression that cannot be fitted.
var ErrNoFit = errors.New("logistic regression cannot be fitted")

// FitLogistic fits a weighted logistic regression with an L2 penalty on
// the slopes: for rows x_i (without the constant), outcomes e_i and weights
// w_i it returns b = (b_0, b_1, ..., b_p) minimising
//
//	f(b) = -sum_i w_i [e_i eta_i - log(1 + exp(eta_i))] / sum_i w_i + lambda/2 sum_{k>=1} b_k^2
//
// with eta_i = b_0 + sum_k b_k x_ik (the intercept is not penalised). The
// minimum is found by gonum/optimize's Newton method from b = 0 with the
// analytic gradient and Hessian,
//
//	g = sum_i w_i (p_i - e_i) (1, x_i) / W + lambda (0, b_1, ..., b_p)
//	H = sum_i w_i p_i (1 - p_i) (1, x_i)(1, x_i)' / W + lambda diag(0, 1, ..., 1)
//
// (p_i = 1/(1 + exp(-eta_i))), to a gradient below 1e-12 or until f no
// longer decreases; the result is accepted when its gradient is below 1e-8.
// Deterministic (one evaluation at a time, no randomness). The weights are
// normalised, so lambda does not depend on their scale. nil weights are
// all 1. It returns an error wrapping ErrNoFit when there is no event or no
// non-event or the minimum is not reached (the MLE does not exist without a
// penalty under separation); it panics when the lengths differ or
// lambda < 0.
func FitLogistic(x [][]float64, event []bool, weights []float64, lambda float64) ([]float64, error) {
	if len(x) != len(event) || weights != nil && len(weights) != len(x) {
		panic("pipeline: slice length mismatch")
	}
	if !(lambda >= 0) {
		panic("pipeline: negative penalty")
	}
	p := 0
	if len(x) > 0 {
		p = len(x[0])
	}
	w := make([]float64, len(x))
	var sw, s1 float64
	for i := range x {
		if len(x[i]) != p {
			panic("pipeline: rows of different lengths")
		}
		w[i] = 1
		if weights != nil {
			w[i] = weights[i]
		}
		sw += w[i]
		if event[i] {
			s1 += w[i]
		}
	}
	if s1 == 0 || s1 == sw {
		return nil, fmt.Errorf("%w: %v of %v weight are events (need both events and non-events)", ErrNoFit, s1, sw)
	}
	for i := range w {
		w[i] /= sw
	}
	lf := logisticLoss{x: x, event: event, w: w, lambda: lambda}
	n := p + 1
	prob := optimize.Problem{Func: lf.value, Grad: lf.grad, Hess: lf.hess}
	settings := &optimize.Settings{
		GradientThreshold: 1e-12,
		MajorIterations:   200,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-15, Iterations: 5},
	}
	res, err := optimize.Minimize(prob, make([]float64, n), settings, &optimize.Newton{})
	if res == nil {
		return nil, fmt.Errorf("%w: %v", ErrNoFit, err)
	}
	g := make([]float64, n)
	lf.grad(g, res.X)
	if gn := floats.Norm(g, math.Inf(1)); !(gn < 1e-8) {
		return nil, fmt.Errorf("%w: the minimum was not reached (gradient %.3g after %d Newton steps, %v; a feature that separates the outcomes and no penalty?): %v",
			ErrNoFit, gn, res.Stats.MajorIterations, res.Status, err)
	}
	return res.X, nil
}

// logisticLoss is the objective of FitLogistic on normalised weights.
type logisticLoss struct {
	x      [][]float64
	event  []bool
	w      []float64
	lambda float64
}

func (l logisticLoss) eta(b, xi []float64) float64 {
	v := b[0]
	for k, xk := range xi {
		v += b[k+1] * xk
	}
	return v
}

func (l logisticLoss) value(b []float64) float64 {
	var f float64
	for i, xi := range l.x {
		e := l.eta(b, xi)
		f += l.w[i] * softplus(e)
		if l.event[i] {
			f -= l.w[i] * e
		}
	}
	for _, bk := range b[1:] {
		f += l.lambda / 2 * bk * bk
	}
	return f
}

func (l logisticLoss) grad(g, b []float64) {
	clear(g)
	for i, xi := range l.x {
		r := sigmoid(l.eta(b, xi))
		if l.event[i] {
			r--
		}
		r *= l.w[i]
		g[0] += r
		for k, xk := range xi {
			g[k+1] += r * xk
		}
	}
	for k := 1; k < len(b); k++ {
		g[k] += l.lambda * b[k]
	}
}

func (l logisticLoss) hess(h *mat.SymDense, b []float64) {
	n := len(b)
	hd := make([]float64, n*n)
	for i, xi := range l.x {
		pi := sigmoid(l.eta(b, xi))
		c := l.w[i] * pi * (1 - pi)
		for k := 0; k < n; k++ {
			xk := 1.0
			if k > 0 {
				xk = xi[k-1]
			}
			ck := c * xk
			if k == 0 {
				hd[0] += c
			}
			for m := max(k, 1); m < n; m++ {
				hd[k*n+m] += ck * xi[m-1]
			}
		}
	}
	for k := 1; k < n; k++ {
		hd[k*n+k] += l.lambda
	}
	for k := 0; k < n; k++ {
		for m := k; m < n; m++ {
			h.SetSym(k, m, hd[k*n+m])
		}
	}
}

// softplus returns log(1 + exp(x)) without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
