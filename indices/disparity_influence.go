package indices

import "math"

// Disparity names a coefficient of disparity across the regional mean
// incomes ybar_r = Y_r / N_r of a population (Y_r the income and N_r the
// weight of region r), for DisparityInfluence.
type Disparity int8

const (
	// DisparityCV is CV(means, nil): the unweighted coefficient of
	// variation of the regional means (population SD).
	DisparityCV Disparity = iota
	// DisparityWilliamson is Williamson(means, pops), the
	// population-weighted CV.
	DisparityWilliamson
	// DisparityTheilTBetween is the between-region part of Theil T
	// (DecomposeGE with alpha 1), over the units with x > 0.
	DisparityTheilTBetween
	// DisparityTheilLBetween is the between-region part of Theil L
	// (alpha 0), over the units with x > 0.
	DisparityTheilLBetween
)

// DisparityInfluence returns the influence function of a disparity
// coefficient across the regions of the units (region[i] the code of unit
// i's region; the regions are those with a unit of positive weight). Each
// coefficient is a smooth function of the regional totals Y_r and N_r, so
// that z_i = dtheta/dY_r x_i + dtheta/dN_r for unit i of region r, with
// ybar = Y/N the overall mean and R the number of regions:
//
//	cv:          m = sum_r ybar_r / R, sd^2 = sum_r (ybar_r - m)^2 / R, g_r = ((ybar_r - m)/(R sd) - cv/R) / m,
//	             z_i = g_r (x_i - ybar_r) / N_r
//	williamson:  V = sum_r (N_r/N) (ybar_r - ybar)^2, W = sqrt(V)/ybar,
//	             z_i = (2 (ybar_r - ybar) x_i + ybar^2 - ybar_r^2 - V) / (2 N sqrt(V) ybar) - W (x_i - ybar) / (N ybar)
//	theil T between:  T_B = sum_r (Y_r/Y) ln(ybar_r/ybar),
//	             z_i = x_i (ln(ybar_r/ybar) - T_B) / Y + (1 - ybar_r/ybar) / N
//	theil L between:  L_B = sum_r (N_r/N) ln(ybar/ybar_r),
//	             z_i = x_i (1/ybar - 1/ybar_r) / N + (ln(ybar/ybar_r) - L_B) / N
//
// The Theil parts are over the units with x_i > 0 (the others get 0), as
// DecomposeGE. The values are NaN when the coefficient is (fewer than two
// regions, a mean that is not positive, no dispersion for cv and
// williamson). It panics if the lengths differ, a weight is negative or a
// region code is negative. See TotalInfluence for the other rules.
//
// Reference: Deville (1999), Survey Methodology 25(2), 193–203
// (linearization of functions of totals); Williamson (1965), Regional
// inequality and the process of national development, Econ. Dev. Cult.
// Change 13(4), 1–84; Shorrocks (1980), Econometrica 48(3), 613–625.
func DisparityInfluence(dst, x, weights []float64, region []int32, measure Disparity) []float64 {
	if len(region) != len(x) {
		panic("indices: slice length mismatch")
	}
	linCheck(x, weights)
	dst = linDst(dst, len(x))
	theil := measure == DisparityTheilTBetween || measure == DisparityTheilLBetween
	in := func(i int) bool { return weightAt(weights, i) > 0 && (!theil || x[i] > 0) }
	k := 0
	for _, r := range region {
		if r < 0 {
			panic("indices: negative group code")
		}
		k = max(k, int(r)+1)
	}
	N, Y := make([]float64, k), make([]float64, k)
	var nTot, yTot float64
	for i, v := range x {
		if in(i) {
			w := weightAt(weights, i)
			N[region[i]] += w
			Y[region[i]] += w * v
			nTot += w
			yTot += w * v
		}
	}
	var regions []int
	for r := range N {
		if N[r] > 0 {
			regions = append(regions, r)
		}
	}
	R := float64(len(regions))
	ybar := yTot / nTot
	mean := func(r int) float64 { return Y[r] / N[r] }
	a, b := make([]float64, k), make([]float64, k) // z_i = a_r x_i + b_r
	ok := len(regions) >= 2 && ybar > 0
	switch measure {
	case DisparityCV:
		m, ss := 0.0, 0.0
		for _, r := range regions {
			m += mean(r) / R
		}
		for _, r := range regions {
			ss += (mean(r) - m) * (mean(r) - m)
		}
		sd := math.Sqrt(ss / R)
		cv := sd / m
		ok = ok && sd > 0 && m > 0
		for _, r := range regions {
			g := ((mean(r)-m)/(R*sd) - cv/R) / m
			a[r], b[r] = g/N[r], -g*mean(r)/N[r]
		}
	case DisparityWilliamson:
		V := 0.0
		for _, r := range regions {
			V += N[r] / nTot * (mean(r) - ybar) * (mean(r) - ybar)
		}
		W := math.Sqrt(V) / ybar
		ok = ok && V > 0
		for _, r := range regions {
			den := 2 * nTot * math.Sqrt(V) * ybar
			a[r] = 2*(mean(r)-ybar)/den - W/(nTot*ybar)
			b[r] = (ybar*ybar-mean(r)*mean(r)-V)/den + W/nTot
		}
	case DisparityTheilTBetween:
		tb := 0.0
		for _, r := range regions {
			ok = ok && mean(r) > 0
			tb += Y[r] / yTot * math.Log(mean(r)/ybar)
		}
		for _, r := range regions {
			a[r] = (math.Log(mean(r)/ybar) - tb) / yTot
			b[r] = (1 - mean(r)/ybar) / nTot
		}
	case DisparityTheilLBetween:
		lb := 0.0
		for _, r := range regions {
			ok = ok && mean(r) > 0
			lb += N[r] / nTot * math.Log(ybar/mean(r))
		}
		for _, r := range regions {
			a[r] = (1/ybar - 1/mean(r)) / nTot
			b[r] = (math.Log(ybar/mean(r)) - lb) / nTot
		}
	default:
		panic("indices: unknown disparity measure")
	}
	if !ok {
		return linFill(dst, math.NaN())
	}
	for i, v := range x {
		dst[i] = 0
		if in(i) {
			dst[i] = a[region[i]]*v + b[region[i]]
		}
	}
	return dst
}
