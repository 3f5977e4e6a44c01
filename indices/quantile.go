package indices

import (
	"math"
)

// Quantile returns the weighted p-quantile of x, by the Eurostat definition
// used in R laeken's weightedQuantile:
//
//	c_i  = sum_{j<=i} w_j / sum_j w_j        over x sorted increasingly
//	Q(p) = x_k                      where k = min{i : c_i >= p}, if c_k > p
//	Q(p) = (x_k + x_{k+1}) / 2      if c_k == p exactly
//
// Q(0) is the smallest and Q(1) the largest x with positive weight. Units
// with weight 0 are ignored (so x_{k+1} is the next value with positive
// weight). The equality c_k == p is tested on the floating-point sums, so
// with non-integer weights it holds only where the arithmetic is exact, as in
// laeken.
//
// Quantile does not modify x or weights; it works on a copy in O(n) expected
// time by weighted selection, not by sorting. nil weights mean every unit has
// weight 1. It returns NaN when x is empty or the total weight is zero, and
// panics if p is outside [0, 1], if the lengths differ or if a weight is
// negative.
//
// Reference: Eurostat (2004), Common cross-sectional EU indicators based on
// EU-SILC, doc. EU-SILC 131-rev/04; Alfons & Templ (2013), Estimation of
// social exclusion indicators from complex surveys: the R package laeken,
// J. Stat. Softw. 54(15).
func Quantile(p float64, x, weights []float64) float64 {
	checkQuantileArgs(p, x, weights)
	xs := append([]float64(nil), x...)
	var ws []float64
	if weights != nil {
		ws = append([]float64(nil), weights...)
	}
	return QuantileInPlace(p, xs, ws)
}

// Median returns Quantile(0.5, x, weights).
func Median(x, weights []float64) float64 {
	return Quantile(0.5, x, weights)
}

// QuantileInPlace is Quantile without the copy: it reorders x and weights
// (jointly, so pairs stay together) and returns the same value as Quantile.
// Use it on scratch slices that the caller owns.
func QuantileInPlace(p float64, x, weights []float64) float64 {
	checkQuantileArgs(p, x, weights)
	if weights == nil {
		weights = make([]float64, len(x))
		for i := range weights {
			weights[i] = 1
		}
	}
	total := 0.0
	for _, w := range weights {
		if w < 0 {
			panic("indices: negative weight")
		}
		total += w
	}
	if len(x) == 0 || total == 0 {
		return math.NaN()
	}
	switch p {
	case 0:
		return extreme(x, weights, -1)
	case 1:
		return extreme(x, weights, +1)
	}
	return selectQuantile(p, total, x, weights)
}

// QuantileSorted is Quantile for x already sorted in increasing order: one
// scan, no copy, no reordering. The result is undefined when x is not
// sorted.
func QuantileSorted(p float64, x, weights []float64) float64 {
	checkQuantileArgs(p, x, weights)
	total := linCheck(x, weights)
	if len(x) == 0 || total == 0 {
		return math.NaN()
	}
	first, last := -1, -1
	for i := range x {
		if weightAt(weights, i) > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	switch p {
	case 0:
		return x[first]
	case 1:
		return x[last]
	}
	cum := 0.0
	for i := 0; i < len(x); {
		v := x[i]
		for i < len(x) && x[i] == v {
			cum += weightAt(weights, i)
			i++
		}
		if cum > 0 && cum/total >= p {
			if cum/total != p {
				return v
			}
			for ; i < len(x); i++ {
				if weightAt(weights, i) > 0 {
					return (v + x[i]) / 2
				}
			}
			return v
		}
	}
	return x[last]
}

func checkQuantileArgs(p float64, x, weights []float64) {
	if !(p >= 0 && p <= 1) {
		panic("indices: quantile probability out of range")
	}
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
}

// extreme returns the smallest (sign < 0) or largest (sign > 0) x with
// positive weight.
func extreme(x, weights []float64, sign float64) float64 {
	best := math.NaN()
	for i, v := range x {
		if weights[i] <= 0 {
			continue
		}
		if math.IsNaN(best) || sign*(v-best) > 0 {
			best = v
		}
	}
	return best
}

// smallRange is the size below which selection sorts the rest of the range.
const smallRange = 24

// selectQuantile finds Q(p) by weighted quickselect with a three-way
// partition. Invariant: every unit left of lo is smaller than every unit in
// [lo, hi), every unit right of hi is larger, and below is the weight left of
// lo.
func selectQuantile(p, total float64, x, w []float64) float64 {
	lo, hi := 0, len(x)
	below := 0.0
	for hi-lo > smallRange {
		pivot := medianOfThree(x[lo], x[lo+(hi-lo)/2], x[hi-1])
		lt, gt, wl, we := partition3(x, w, lo, hi, pivot)
		switch {
		case (below+wl)/total >= p:
			hi = lt
		case (below+wl+we)/total >= p:
			return resolve(p, total, below+wl+we, pivot, x, w, gt)
		default:
			below += wl + we
			lo = gt
		}
	}
	insertionSort(x[lo:hi], w[lo:hi])
	for i := lo; i < hi; {
		v := x[i]
		j := i
		for j < hi && x[j] == v {
			below += w[j]
			j++
		}
		if below/total >= p && below > 0 {
			return resolve(p, total, below, v, x, w, j)
		}
		i = j
	}
	// Rounding left the target just above the last sum: the answer is the
	// largest unit with positive weight.
	return extreme(x, w, +1)
}

// resolve applies laeken's tie rule at value v whose cumulative weight is
// cum: when cum/total equals p exactly, the quantile is the mean of v and the
// next larger value with positive weight; all units from index next on are
// larger than v.
func resolve(p, total, cum, v float64, x, w []float64, next int) float64 {
	if cum/total != p {
		return v
	}
	nv := math.Inf(1)
	for i := next; i < len(x); i++ {
		if w[i] > 0 && x[i] < nv {
			nv = x[i]
		}
	}
	if math.IsInf(nv, 1) {
		return v
	}
	return (v + nv) / 2
}

// partition3 rearranges x[lo:hi] (and w alongside) into units < pivot in
// [lo, lt), == pivot in [lt, gt) and > pivot in [gt, hi), and returns the
// bounds with the weights of the first two parts.
func partition3(x, w []float64, lo, hi int, pivot float64) (lt, gt int, wl, we float64) {
	lt, i, gt := lo, lo, hi
	for i < gt {
		v := x[i]
		switch {
		case v < pivot:
			wl += w[i]
			x[lt], x[i] = x[i], x[lt]
			w[lt], w[i] = w[i], w[lt]
			lt++
			i++
		case v > pivot:
			gt--
			x[gt], x[i] = x[i], x[gt]
			w[gt], w[i] = w[i], w[gt]
		default:
			we += w[i]
			i++
		}
	}
	return lt, gt, wl, we
}

func medianOfThree(a, b, c float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	if a > b {
		return a
	}
	return b
}

func insertionSort(x, w []float64) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
			w[j], w[j-1] = w[j-1], w[j]
		}
	}
}
