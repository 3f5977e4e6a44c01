package indices

import (
	"math"
	"slices"
)

// Lorenz returns the ordinates of the Lorenz curve of x at each p of ps:
// the share of total income held by the poorest p of the weighted
// population,
//
//	L(p) = [S_{k-1} + (pW - C_{k-1}) x_(k)] / S_n
//
// over the incomes sorted increasingly x_(1) <= ... <= x_(n), with C_k and
// S_k the cumulative weight and weighted income of the first k units
// (C_0 = S_0 = 0), W = C_n, and k the unit whose weight holds the point:
// C_{k-1} < pW <= C_k. Each unit's weight is spread evenly over its income,
// so L is linear inside a unit's weight, L(0) = 0 and L(1) = 1: the curve is
// exact for a population made by replicating units (a unit of weight 3 is
// three units of weight 1), and with n units of weight 1 it is the usual
// empirical curve through the points (i/n, S_i/S_n). The order of tied
// incomes does not matter. Negative incomes are kept (as in Gini): the
// curve then falls below zero before it rises. nil weights mean every unit
// has weight 1.
//
// If dst is nil a new slice is allocated; otherwise it must have length
// len(ps). The ordinates are NaN when the total weight or the total income
// is zero. It panics if a p is outside [0, 1], the lengths differ or a
// weight is negative. It costs one copy and one sort; LorenzSorted takes
// incomes already sorted.
//
// Reference: Lorenz, M. O. (1905), Methods of measuring the concentration
// of wealth, Publications of the American Statistical Association 9(70),
// 209–219; Gastwirth, J. L. (1971), A general definition of the Lorenz
// curve, Econometrica 39(6), 1037–1039.
func Lorenz(dst, ps, x, weights []float64) []float64 {
	xs, ws := sortedCopy(x, weights)
	return LorenzSorted(dst, ps, xs, ws)
}

// GeneralizedLorenz returns the ordinates of the generalized Lorenz curve
// of x at each p of ps: the mean income times the Lorenz ordinate, that is
// the income of the poorest p of the population divided by the whole
// population,
//
//	GL(p) = mu L(p) = [S_{k-1} + (pW - C_{k-1}) x_(k)] / W
//
// with the notation and the rules of Lorenz; GL(1) is the mean income. The
// ordinates are NaN when the total weight is zero. It panics as Lorenz.
//
// Reference: Shorrocks, A. F. (1983), Ranking income distributions,
// Economica 50(197), 3–17.
func GeneralizedLorenz(dst, ps, x, weights []float64) []float64 {
	xs, ws := sortedCopy(x, weights)
	return GeneralizedLorenzSorted(dst, ps, xs, ws)
}

// LorenzSorted is Lorenz for incomes sorted increasingly: one pass, no
// copy. It panics if x decreases somewhere.
func LorenzSorted(dst, ps, x, weights []float64) []float64 {
	dst, total, income := lorenzSums(dst, ps, x, weights)
	for j := range dst {
		if total == 0 || income == 0 {
			dst[j] = math.NaN()
		} else {
			dst[j] /= income
		}
	}
	return dst
}

// GeneralizedLorenzSorted is GeneralizedLorenz for incomes sorted
// increasingly: one pass, no copy. It panics if x decreases somewhere.
func GeneralizedLorenzSorted(dst, ps, x, weights []float64) []float64 {
	dst, total, _ := lorenzSums(dst, ps, x, weights)
	for j := range dst {
		if total == 0 {
			dst[j] = math.NaN()
		} else {
			dst[j] /= total
		}
	}
	return dst
}

// lorenzSums puts into dst the income of the poorest p of the weighted
// population for each p of ps (S_{k-1} + (pW - C_{k-1}) x_(k) of Lorenz)
// and returns the total weight W and the total income S_n.
func lorenzSums(dst, ps, x, weights []float64) ([]float64, float64, float64) {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	if dst == nil {
		dst = make([]float64, len(ps))
	} else if len(dst) != len(ps) {
		panic("indices: destination length mismatch")
	}
	for _, p := range ps {
		if !(p >= 0 && p <= 1) {
			panic("indices: probability out of range [0, 1]")
		}
	}
	total, income := 0.0, 0.0
	for i, v := range x {
		w := weightAt(weights, i)
		if w < 0 {
			panic("indices: negative weight")
		}
		if i > 0 && v < x[i-1] {
			panic("indices: incomes not sorted")
		}
		total += w
		income += w * v
	}
	// Visit the points in increasing order of p, walking the units once.
	order := make([]int, len(ps))
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case ps[a] < ps[b]:
			return -1
		case ps[a] > ps[b]:
			return 1
		}
		return 0
	})
	i, cumW, cumS := 0, 0.0, 0.0 // units before i: weight cumW, income cumS
	for _, j := range order {
		target := ps[j] * total
		if ps[j] == 1 {
			target = total // no rounding at the end: L(1) = 1 exactly
		}
		for i < len(x) && cumW+weightAt(weights, i) <= target {
			w := weightAt(weights, i)
			cumW += w
			cumS += w * x[i]
			i++
			if cumW == target {
				break
			}
		}
		v := cumS
		if i < len(x) && target > cumW {
			v += (target - cumW) * x[i]
		}
		dst[j] = v
	}
	return dst, total, income
}

// sortedCopy returns x and its weights (1 when nil) sorted by income.
func sortedCopy(x, weights []float64) (xs, ws []float64) {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case x[a] < x[b]:
			return -1
		case x[a] > x[b]:
			return 1
		}
		return 0
	})
	xs, ws = make([]float64, len(x)), make([]float64, len(x))
	for k, i := range idx {
		xs[k], ws[k] = x[i], weightAt(weights, i)
	}
	return xs, ws
}
