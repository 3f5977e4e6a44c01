package indices

import (
	"math"
	"slices"
	"sort"
)

// TotalInfluence returns the influence function of the weighted total
// T = sum_i {w_i y_i}, which is y itself: z_i = y_i (0 where w_i = 0).
// Linearized(d, z) is then R survey's svytotal variance.
//
// The influence functions of this package (the ...Influence functions and
// RelativeLine) return, for an estimator theta of the weights, each unit's
// linearized variable z_i: theta(w') - theta(w) is approximately
// sum_i {(w'_i - w_i) z_i}, so that z_i = d theta / d w_i for estimators
// that are smooth in the weights, and Linearized(d, z) is the variance of
// theta, on the scale of R convey's linearized variables. They share these
// rules:
//
//   - dst receives the values: if it is nil a new slice is allocated,
//     otherwise it must have length len(x). It must not share memory with
//     the other arguments. The function returns it.
//   - nil weights mean every unit has weight 1.
//   - A unit with weight 0 is outside the domain and gets 0, so that over
//     the full design Linearized gives the variance of the domain estimate
//     (a part estimated on another population, such as Line.Infl, is added
//     to every unit it concerns).
//   - When the estimate is undefined (NaN), every value is NaN.
//   - They panic if the lengths differ or a weight is negative.
//
// Quantile-based measures (QuantileInfluence, QSRInfluence, RelativeLine,
// ARPRInfluence, RMPGInfluence) are not differentiable in the weights; their
// influence functions estimate the density of x by a Gaussian kernel,
// KernelDensity with the bandwidth of Bandwidth, exactly as R convey does.
//
// Reference: Deville (1999), Variance estimation for complex statistics and
// estimators: linearization and residual techniques, Survey Methodology
// 25(2), 193–203; Osier (2009), Variance estimation for complex indicators
// of poverty and inequality using linearization techniques, Survey
// Research Methods 3(3), 167–195.
func TotalInfluence(dst, y, weights []float64) []float64 {
	linCheck(y, weights)
	dst = linDst(dst, len(y))
	for i, v := range y {
		if weightAt(weights, i) > 0 {
			dst[i] = v
		} else {
			dst[i] = 0
		}
	}
	return dst
}

// MeanInfluence returns the influence function of the weighted mean
// ybar = sum_i {w_i y_i} / N, N = sum_i w_i, a ratio of two totals:
//
//	z_i = (y_i - ybar) / N
//
// Linearized(d, z) is then R survey's svymean variance. The values are NaN
// when N is zero. See TotalInfluence for dst, nil weights, zero weights and
// panics.
//
// Reference: Wolter (2007), Introduction to Variance Estimation, 6.2.
func MeanInfluence(dst, y, weights []float64) []float64 {
	return RatioInfluence(dst, y, nil, weights)
}

// RatioInfluence returns the influence function of the ratio of two
// weighted totals R = sum_i {w_i y_i} / sum_i {w_i x_i}:
//
//	z_i = (y_i - R x_i) / sum_j {w_j x_j}
//
// A nil x means x_i = 1 (MeanInfluence). The values are NaN when the total
// of x is zero. See TotalInfluence for the other rules.
//
// Reference: Wolter (2007), 6.2 (R survey's svyratio).
func RatioInfluence(dst, y, x, weights []float64) []float64 {
	linCheck(y, weights)
	if x != nil && len(x) != len(y) {
		panic("indices: slice length mismatch")
	}
	dst = linDst(dst, len(y))
	ty, tx := 0.0, 0.0
	for i, v := range y {
		w := weightAt(weights, i)
		if w > 0 {
			ty += w * v
			tx += w * linOne(x, i)
		}
	}
	if tx == 0 {
		return linFill(dst, math.NaN())
	}
	r := ty / tx
	for i, v := range y {
		if weightAt(weights, i) > 0 {
			dst[i] = (v - r*linOne(x, i)) / tx
		} else {
			dst[i] = 0
		}
	}
	return dst
}

// FGTInfluence returns the influence function of FGT(x, weights, z, alpha)
// for a poverty line z fixed in advance:
//
//	z_i = (g_i - P_alpha) / N,   g_i = [x_i < z] ((z - x_i)/z)^alpha,  N = sum_i w_i
//
// (for alpha = 0, g_i is the poverty indicator [x_i < z], strict as in FGT).
// Linearized(d, z) is then the variance of survey's svymean of g, and of R
// convey's svyfgt with an absolute threshold. For a line estimated from the
// sample use ARPRInfluence. The values are NaN when FGT is. It panics if
// alpha < 0. See TotalInfluence for the other rules.
//
// Reference: Foster, Greer & Thorbecke (1984), Econometrica 52(3), 761–766;
// Osier (2009), Variance estimation for complex indicators of poverty and
// inequality using linearization techniques, Survey Research Methods 3(3),
// 167–195.
func FGTInfluence(dst, x, weights []float64, z, alpha float64) []float64 {
	p := FGT(x, weights, z, alpha)
	dst = linDst(dst, len(x))
	if math.IsNaN(p) {
		return linFill(dst, math.NaN())
	}
	n := linCheck(x, weights)
	for i, v := range x {
		if weightAt(weights, i) == 0 {
			dst[i] = 0
			continue
		}
		g := 0.0
		if v < z {
			switch alpha {
			case 0:
				g = 1
			case 1:
				g = (z - v) / z
			case 2:
				g = (z - v) / z
				g *= g
			default:
				g = math.Pow((z-v)/z, alpha)
			}
		}
		dst[i] = (g - p) / n
	}
	return dst
}

// WattsInfluence returns the influence function of Watts(x, weights, z)
// for a fixed line z, over the units with x_i > 0 that the index includes:
//
//	z_i = ([x_i < z] ln(z/x_i) - W) / N+,   N+ = sum_i {w_i [x_i > 0]}
//
// and 0 for units with x_i <= 0. The values are NaN when Watts is. See
// TotalInfluence for the other rules.
//
// Reference: R convey's svywatts (absolute threshold); Osier (2009).
func WattsInfluence(dst, x, weights []float64, z float64) []float64 {
	wt := Watts(x, weights, z)
	dst = linDst(dst, len(x))
	if math.IsNaN(wt) {
		return linFill(dst, math.NaN())
	}
	pop := 0.0
	for i, v := range x {
		if v > 0 {
			pop += weightAt(weights, i)
		}
	}
	for i, v := range x {
		if weightAt(weights, i) == 0 || !(v > 0) {
			dst[i] = 0
			continue
		}
		h := 0.0
		if v < z {
			h = math.Log(z / v)
		}
		dst[i] = (h - wt) / pop
	}
	return dst
}

// GiniInfluence returns the influence function of Gini(x, weights), the
// laeken (Eurostat) Gini coefficient that povstat reports:
//
//	z_i = (2 r_i c_i + 2 s_i - (G + 1)(r_i + 1)) / N
//
// with N = sum_j w_j, mu = sum_j {w_j x_j} / N, r_i = x_i/mu,
// c_i = sum_{j: x_j <= x_i} w_j / N the weight share at or below x_i and
// s_i = sum_{j: x_j > x_i} {w_j x_j} / (N mu) the income share above x_i.
// It is the exact derivative of laeken's G, which does not depend on the
// order of tied incomes, and neither does z.
//
// R convey's svygini estimates G_c, with 2 C_i - 1 in place of laeken's
// 2 C_i - w_i (see Gini), and its linearized variable (CalcGini_IF, by
// contrastinf) is the derivative of G_c: for untied incomes
//
//	z_i(convey) = z_i + (2 w_i - 1) x_i / (N^2 mu) - (G_c - G)(r_i + 1) / N
//
// The difference is of order w_i/N relative to z_i, so the two standard
// errors agree to many digits (with ties, convey's value also depends on
// their order). The values are NaN when N or the total income is zero. See
// TotalInfluence for the other rules.
//
// Reference: Langel & Tillé (2013), Variance estimation of the Gini index:
// revisiting a result several times published, J. R. Stat. Soc. A 176(2),
// 521–540; Osier (2009); R convey's svygini.
func GiniInfluence(dst, x, weights []float64) []float64 {
	linCheck(x, weights)
	dst = linDst(dst, len(x))
	idx := make([]int, 0, len(x))
	pop, inc := 0.0, 0.0
	for i, v := range x {
		dst[i] = 0
		if w := weightAt(weights, i); w > 0 {
			idx = append(idx, i)
			pop += w
			inc += w * v
		}
	}
	if pop == 0 || inc == 0 {
		return linFill(dst, math.NaN())
	}
	if !slices.IsSorted(x) { // sorted x: idx is in order (and sort.Slice would leave it)
		sort.Slice(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	}
	// Blocks of tied incomes: laeken's numerator is
	// sum_b x_b (C_b^2 - C_{b-1}^2) = sum_b x_b B_b (C_b + C_{b-1}).
	// A first pass over the blocks in increasing order keeps each block's
	// cumulative weight C_b in dst (of its units), a second in decreasing
	// order the income above it, and sets dst.
	cum, num := 0.0, 0.0
	for lo := 0; lo < len(idx); {
		v := x[idx[lo]]
		hi, b := lo, 0.0
		for hi < len(idx) && x[idx[hi]] == v {
			b += weightAt(weights, idx[hi])
			hi++
		}
		num += v * b * (2*cum + b)
		cum += b
		for _, i := range idx[lo:hi] {
			dst[i] = cum
		}
		lo = hi
	}
	g := num/(pop*inc) - 1
	mu := inc / pop
	above := 0.0
	for hi := len(idx); hi > 0; {
		v := x[idx[hi-1]]
		lo := hi - 1
		for lo > 0 && x[idx[lo-1]] == v {
			lo--
		}
		c, s := dst[idx[lo]]/pop, above/inc
		for _, i := range idx[lo:hi] {
			r := x[i] / mu
			dst[i] = (2*r*c + 2*s - (g+1)*(r+1)) / pop
		}
		for _, i := range idx[lo:hi] {
			above += weightAt(weights, i) * x[i]
		}
		hi = lo
	}
	return dst
}

// GEInfluence returns the influence function of GE(x, weights, alpha), over
// the units that GE includes (x_i > 0, or x_i >= 0 when alpha > 1; the
// others get 0), with W their total weight, mu their mean and r_i = x_i/mu:
//
//	alpha = 0:  z_i = (r_i - 1 - ln r_i - GE) / W
//	alpha = 1:  z_i = (r_i (ln r_i - GE - 1) + 1) / W
//	otherwise:  z_i = ((alpha-1) s - alpha s r_i + r_i^alpha) / (alpha (alpha-1) W),
//	            s = 1 + alpha (alpha-1) GE = sum_j {w_j r_j^alpha} / W
//
// These are R convey's svygei linearized variables (Biewen & Jenkins) in
// normalized form. The values are NaN when GE is. It panics if alpha is not
// finite. See TotalInfluence for the other rules.
//
// Reference: Biewen & Jenkins (2006), Variance estimation for generalized
// entropy and Atkinson inequality indices: the complex survey data case,
// Oxford Bull. Econ. Stat. 68(3), 371–383.
func GEInfluence(dst, x, weights []float64, alpha float64) []float64 {
	ge := GE(x, weights, alpha)
	dst = linDst(dst, len(x))
	if math.IsNaN(ge) {
		return linFill(dst, math.NaN())
	}
	in := func(v float64) bool { return v > 0 || (alpha > 1 && v == 0) }
	pop, mu := linIncluded(x, weights, in)
	s := 1 + alpha*(alpha-1)*ge
	for i, v := range x {
		if weightAt(weights, i) == 0 || !in(v) {
			dst[i] = 0
			continue
		}
		r := v / mu
		switch alpha {
		case 0:
			dst[i] = (r - 1 - math.Log(r) - ge) / pop
		case 1:
			dst[i] = (r*(math.Log(r)-ge-1) + 1) / pop
		default:
			dst[i] = ((alpha-1)*s - alpha*s*r + math.Pow(r, alpha)) / (alpha * (alpha - 1) * pop)
		}
	}
	return dst
}

// TheilInfluences returns GEInfluence(x, weights, 1) (Theil T) in dstT and
// GEInfluence(x, weights, 0) (Theil L, the mean log deviation) in dstL,
// value for value, at about the cost of one: both indices come from the
// same sums, and each unit's ln r_i serves both. See GEInfluence for the
// formulas and TotalInfluence for dst, nil weights, zero weights and
// panics.
func TheilInfluences(dstT, dstL, x, weights []float64) ([]float64, []float64) {
	s := NewEntropySums(nil, nil) // GE's sums for alpha 0 and 1
	s.AddAll(x, weights)
	geT, geL := s.GE(1), s.GE(0)
	dstT, dstL = linDst(dstT, len(x)), linDst(dstL, len(x))
	nanT, nanL := math.IsNaN(geT), math.IsNaN(geL)
	if nanT {
		linFill(dstT, math.NaN())
	}
	if nanL {
		linFill(dstL, math.NaN())
	}
	if nanT && nanL {
		return dstT, dstL
	}
	pop, mu := linIncluded(x, weights, func(v float64) bool { return v > 0 })
	for i, v := range x {
		if weightAt(weights, i) == 0 || !(v > 0) {
			if !nanT {
				dstT[i] = 0
			}
			if !nanL {
				dstL[i] = 0
			}
			continue
		}
		r := v / mu
		lr := math.Log(r)
		if !nanL {
			dstL[i] = (r - 1 - lr - geL) / pop
		}
		if !nanT {
			dstT[i] = (r*(lr-geT-1) + 1) / pop
		}
	}
	return dstT, dstL
}

// AtkinsonInfluence returns the influence function of Atkinson(x, weights,
// epsilon), over the units that Atkinson includes (x_i > 0 for
// epsilon >= 1, x_i >= 0 otherwise; the others get 0), with W their total
// weight, mu their mean and e = (1 - A) mu the equally distributed
// equivalent income:
//
//	epsilon = 1:  z_i = -(1 - A) (ln(x_i/e) - (x_i/mu - 1)) / W
//	otherwise:    z_i = -(1 - A) (((x_i/e)^(1-epsilon) - 1)/(1-epsilon) - (x_i/mu - 1)) / W
//
// These are R convey's svyatk linearized variables in normalized form
// (z_i = 0 for epsilon = 0, where A is identically 0). The values are NaN
// when A is. It panics if epsilon is negative or not finite. See
// TotalInfluence for the other rules.
//
// Reference: Biewen & Jenkins (2006), Oxford Bull. Econ. Stat. 68(3),
// 371–383.
func AtkinsonInfluence(dst, x, weights []float64, epsilon float64) []float64 {
	a := Atkinson(x, weights, epsilon)
	dst = linDst(dst, len(x))
	if math.IsNaN(a) {
		return linFill(dst, math.NaN())
	}
	in := func(v float64) bool { return v > 0 || (epsilon < 1 && v == 0) }
	pop, mu := linIncluded(x, weights, in)
	ede := (1 - a) * mu
	for i, v := range x {
		if weightAt(weights, i) == 0 || !in(v) || epsilon == 0 {
			dst[i] = 0
			continue
		}
		var u float64
		if epsilon == 1 {
			u = math.Log(v / ede)
		} else {
			u = (math.Pow(v/ede, 1-epsilon) - 1) / (1 - epsilon)
		}
		dst[i] = -(1 - a) * (u - (v/mu - 1)) / pop
	}
	return dst
}

// SenInfluence returns the influence function of Sen(x, weights, z) for a
// fixed line z. Sen's index is S = H G_p + P_1 (1 - G_p), with H and P_1
// the headcount and gap (FGT 0 and 1) and G_p the Gini coefficient of the
// poor (laeken's formula), so
//
//	z_i = G_p zH_i + (1 - G_p) zP1_i + (H - P_1) zG_i
//
// where zH and zP1 are FGTInfluence for alpha 0 and 1 and zG is
// GiniInfluence of the incomes with the weights of the poor, w_i [x_i < z]
// (0 for the others). This is the linearization of R convey's svysen,
// which uses convey's Gini and x_i <= z for the poor. A NaN G_p (the poor
// have no income) counts as 0, as in Sen. The values are NaN when Sen is.
// See TotalInfluence for the other rules.
//
// Reference: Sen (1976), Econometrica 44(2), 219–231; R convey's svysen.
func SenInfluence(dst, x, weights []float64, z float64) []float64 {
	// H and P_1 from PovertySums's sums (the same, in the same order),
	// without its other sums.
	linCheck(x, weights)
	pop, poor, gap := 0.0, 0.0, 0.0
	for i, v := range x {
		w := weightAt(weights, i)
		pop += w
		if v < z {
			poor += w
			gap += w * ((z - v) / z)
		}
	}
	dst = linDst(dst, len(x))
	if pop == 0 || !(z > 0) {
		return linFill(dst, math.NaN())
	}
	h, p1 := poor/pop, gap/pop
	if slices.IsSorted(x) {
		return senInfluenceSorted(dst, x, weights, z, h, p1)
	}
	wp := make([]float64, len(x))
	for i, v := range x {
		if v < z {
			wp[i] = weightAt(weights, i)
		}
	}
	gp := Gini(x, wp)
	var zg []float64
	if !math.IsNaN(gp) {
		zg = GiniInfluence(nil, x, wp)
	} else {
		gp = 0
	}
	zh := FGTInfluence(nil, x, weights, z, 0)
	FGTInfluence(dst, x, weights, z, 1)
	for i := range dst {
		dst[i] = gp*zh[i] + (1-gp)*dst[i]
		if zg != nil {
			dst[i] += (h - p1) * zg[i]
		}
	}
	return dst
}

// senInfluenceSorted is SenInfluence for x sorted in increasing order,
// with h and p1 the headcount and gap, at the cost of one pass and the
// poor: they are a prefix of x, so that the Gini of the poor and its
// influence function come from that prefix (the other units, of weight 0
// for them, add nothing to either, and a sorted slice is its own sort),
// and the two FGT influence functions (whose FGT values are h and p1, from
// the same sums) from one pass. The result is SenInfluence's, value for
// value.
func senInfluenceSorted(dst, x, weights []float64, z, h, p1 float64) []float64 {
	n := linCheck(x, weights)
	k := sort.SearchFloat64s(x, z) // the poor: x[:k] < z
	var pw []float64
	if weights != nil {
		pw = weights[:k]
	}
	var gs GiniSums
	for i, v := range x[:k] {
		gs.AddSorted(v, weightAt(pw, i))
	}
	gp := gs.Gini()
	var zg []float64 // over the poor
	if !math.IsNaN(gp) {
		zg = GiniInfluence(nil, x[:k], pw)
	} else {
		gp = 0
	}
	rich := gp*((0-h)/n) + (1-gp)*((0-p1)/n) // the value of the units that are not poor
	for i, v := range x {
		if weightAt(weights, i) == 0 {
			dst[i] = 0
			continue
		}
		if !(v < z) {
			dst[i] = rich
			continue
		}
		g0, g1 := 1.0, (z-v)/z
		dst[i] = gp*((g0-h)/n) + (1-gp)*((g1-p1)/n)
		if zg != nil && i < k {
			dst[i] += (h - p1) * zg[i]
		}
	}
	return dst
}

// QuantileInfluence returns the influence function of the weighted
// quantile q = Quantile(p, x, weights):
//
//	z_i = -([x_i <= q] - p) / (N f(q))
//
// with N = sum_i w_i and f(q) = KernelDensity(x, weights, q,
// Bandwidth(x, weights)), as R convey's svyarpt and svyisq do. The values
// are NaN when q is NaN or f(q) is not positive (all incomes equal). It
// panics if p is outside [0, 1]. See TotalInfluence for the other rules.
//
// Reference: Osier (2009), Survey Research Methods 3(3), 167–195; Deville
// (1999), Survey Methodology 25(2), 193–203.
func QuantileInfluence(dst, x, weights []float64, p float64) []float64 {
	q := Quantile(p, x, weights)
	return quantileInfluenceAt(dst, x, weights, p, q, Bandwidth(x, weights))
}

// quantileInfluenceAt is QuantileInfluence with the quantile q and the
// bandwidth h computed.
func quantileInfluenceAt(dst, x, weights []float64, p, q, h float64) []float64 {
	dst = linDst(dst, len(x))
	n := linCheck(x, weights)
	f := kernelDensityN(x, weights, q, h, n)
	if math.IsNaN(q) || !(f > 0) || math.IsInf(f, 0) {
		return linFill(dst, math.NaN())
	}
	vals := [2]float64{-(0 - p) / (n * f), -(1 - p) / (n * f)} // by [x_i <= q]
	for i, v := range x {
		if weightAt(weights, i) == 0 {
			dst[i] = 0
			continue
		}
		dst[i] = vals[b2i(v <= q)]
	}
	return dst
}

// QSRInfluence returns the influence function of QSR(x, weights), the
// quintile share ratio (T - I_0.8) / I_0.2 with T = sum_i {w_i x_i} and
// I_a = sum_i {w_i x_i [x_i <= q_a]} the income at or below the quantile
// q_a = Quantile(a, x, weights):
//
//	zI_a(i) = x_i [x_i <= q_a] + S'(q_a) zq_a(i),   S'(q) = sum_j {w_j x_j K((q - x_j)/h)} / h
//	z_i     = (x_i - zI_0.8(i) - QSR zI_0.2(i)) / I_0.2
//
// where zq_a is QuantileInfluence for a, K the Gaussian kernel and h =
// Bandwidth(x, weights), as R convey's svyqsr and svyisq. The values are NaN
// when QSR is or a density is not positive. See TotalInfluence for the
// other rules.
//
// Reference: Osier (2009); Hulliger & Münnich (2006), Variance estimation
// for complex surveys in the presence of outliers, Proc. ASA Survey
// Research Methods Section; R convey's svyqsr.
func QSRInfluence(dst, x, weights []float64) []float64 {
	var q [2]float64
	sorted := slices.IsSorted(x)
	if sorted { // a scan instead of selections, and windows for the kernels
		quantilesSorted(q[:], []float64{0.2, 0.8}, x, weights)
	} else {
		Quantiles(q[:], []float64{0.2, 0.8}, x, weights)
	}
	qsr := QSRAt(x, weights, q[0], q[1])
	dst = linDst(dst, len(x))
	if math.IsNaN(qsr) {
		return linFill(dst, math.NaN())
	}
	n := linCheck(x, weights)
	h := Bandwidth(x, weights)
	var f0, f1 [2]float64
	for k, qa := range q {
		f0[k], f1[k] = kernelSums(x, weights, sorted, qa, h, n, true)
		f0[k] /= n * h
		f1[k] /= h
		if !(f0[k] > 0) || math.IsInf(f0[k], 0) {
			return linFill(dst, math.NaN())
		}
	}
	bottom := 0.0
	for i, v := range x {
		if v <= q[0] {
			bottom += weightAt(weights, i) * v
		} else if sorted {
			break // the others are above q[0] too
		}
	}
	alphas := [2]float64{0.2, 0.8}
	// The quantile's part of zI_a, f1 zq_a, by [x_i <= q_a]: computed once.
	var part [2][2]float64
	for k := range q {
		for ind := range 2 {
			part[k][ind] = f1[k] * (-(float64(ind) - alphas[k]) / (n * f0[k]))
		}
	}
	for i, v := range x {
		if weightAt(weights, i) == 0 {
			dst[i] = 0
			continue
		}
		var zi [2]float64
		for k, qa := range q {
			ind := b2i(v <= qa)
			zi[k] = v*float64(ind) + part[k][ind]
		}
		dst[i] = (v - zi[1] - qsr*zi[0]) / bottom
	}
	return dst
}

// incomeBelowInfluence returns I(q_a) = sum_j {w_j x_j [x_j <= q_a]}, the
// income at or below the quantile q_a = Quantile(a, x, weights), and fills
// zI with its influence function, as QSRInfluence does:
//
//	zI_i = x_i [x_i <= q_a] + S'(q_a) zq_i,   S'(q) = sum_j {w_j x_j K((q - x_j)/h)} / h
//	zq_i = -([x_i <= q_a] - a) / (N f(q_a))
//
// with f the kernel density (bandwidth h) and N the total weight; zI_i is
// 0 where w_i = 0. ok is false when q_a is NaN or f(q_a) is not positive.
func incomeBelowInfluence(zI, x, weights []float64, a, n, h float64) (I float64, ok bool) {
	sorted := slices.IsSorted(x)
	var q float64
	if sorted {
		q = QuantileSorted(a, x, weights)
	} else {
		q = Quantile(a, x, weights)
	}
	return incomeBelowAt(zI, x, weights, a, q, n, h, sorted)
}

// incomeBelowAt is incomeBelowInfluence with the quantile q at a computed
// (QuantileSorted for x sorted, Quantile otherwise).
func incomeBelowAt(zI, x, weights []float64, a, q, n, h float64, sorted bool) (I float64, ok bool) {
	b, ok := newIncomeBelow(x, weights, a, q, n, h, sorted)
	if !ok {
		return math.NaN(), false
	}
	for i, v := range x {
		zI[i] = 0
		if weightAt(weights, i) == 0 {
			continue
		}
		zI[i] = b.at(v)
	}
	return b.I, true
}

// incomeBelow is what the influence function zI of the income at or below
// the quantile q at a needs (incomeBelowAt): I, and the quantile's part
// S'(q) zq of zI, which takes two values, by [x_i <= q] (part[1] and
// part[0]).
type incomeBelow struct {
	q, I float64
	part [2]float64
}

// newIncomeBelow computes the incomeBelow of incomeBelowAt; ok is false
// when q is NaN or f(q) is not positive.
func newIncomeBelow(x, weights []float64, a, q, n, h float64, sorted bool) (b incomeBelow, ok bool) {
	if math.IsNaN(q) {
		return b, false
	}
	f0, f1 := kernelSums(x, weights, sorted, q, h, n, true)
	f0 /= n * h
	f1 /= h
	if !(f0 > 0) || math.IsInf(f0, 0) {
		return b, false
	}
	b = incomeBelow{q: q}
	for ind := range 2 {
		b.part[ind] = f1 * (-(float64(ind) - a) / (n * f0))
	}
	for i, v := range x {
		if sorted && v > q {
			break // the others are above q too
		}
		if w := weightAt(weights, i); w != 0 && v <= q {
			b.I += w * v
		}
	}
	return b, true
}

// quantilesSorted sets q[k] to QuantileSorted(ps[k], x, weights) for ps
// increasing and strictly between 0 and 1 (x sorted in increasing order):
// the same values, from one sum of the weights and one scan of their
// cumulative sums, up to the largest quantile, for all of them.
func quantilesSorted(q, ps []float64, x, weights []float64) {
	for k, p := range ps {
		checkQuantileArgs(p, x, weights)
		if !(p > 0 && p < 1) || (k > 0 && !(p >= ps[k-1])) {
			panic("indices: quantilesSorted needs increasing probabilities in (0, 1)")
		}
	}
	total := linCheck(x, weights)
	if len(x) == 0 || total == 0 {
		linFill(q, math.NaN())
		return
	}
	k, cum := 0, 0.0
	for i := 0; i < len(x) && k < len(ps); {
		v := x[i]
		for i < len(x) && x[i] == v {
			cum += weightAt(weights, i)
			i++
		}
		for ; k < len(ps) && cum > 0 && cum/total >= ps[k]; k++ {
			q[k] = v
			if cum/total == ps[k] { // between v and the next unit of positive weight
				for j := i; j < len(x); j++ {
					if weightAt(weights, j) > 0 {
						q[k] = (v + x[j]) / 2
						break
					}
				}
			}
		}
	}
	for ; k < len(ps); k++ { // rounding: the largest unit of positive weight
		for i := len(x) - 1; i >= 0; i-- {
			if weightAt(weights, i) > 0 {
				q[k] = x[i]
				break
			}
		}
	}
}

// at is zI at a unit of income v and positive weight:
// v [v <= q] + S'(q) zq, zq = -([v <= q] - a) / (N f(q)).
func (b *incomeBelow) at(v float64) float64 {
	ind := b2i(v <= b.q)
	return v*float64(ind) + b.part[ind]
}

// ShareInfluence returns the influence function of the income share of
// quantile group j (1-based) of k (Shares(x, weights, k)[j-1]):
//
//	S   = (I_hi - I_lo) / T,   I_lo = I(q_{(j-1)/k}) (0 for j = 1), I_hi = I(q_{j/k}) (T for j = k)
//	z_i = (zI_hi(i) - zI_lo(i) - S x_i) / T
//
// with T = sum_i {w_i x_i}, I(q) the income at or below q and zI its
// influence function (the kernel estimate of dI/dq of QSRInfluence; zT_i =
// x_i). Differentiating S = (I_hi - I_lo)/T gives z: the cut points move
// with the sample, and the income of the units they pass moves with them,
// S'(q) dq. The values are NaN when the share is (zero total income) or a
// density at a cut is not positive. It panics if k < 1 or j is not in
// 1..k; see TotalInfluence for the other rules.
//
// Reference: Osier (2009), Survey Research Methods 3(3), 167–195 (the
// income below a quantile, as in the S80/S20 ratio); Langel & Tillé (2011),
// Statistical inference for the quintile share ratio, J. Stat. Plan.
// Inference 141, 2976–2985.
func ShareInfluence(dst, x, weights []float64, k, j int) []float64 {
	if k < 1 || j < 1 || j > k {
		panic("indices: quantile group out of range")
	}
	n := linCheck(x, weights)
	dst = linDst(dst, len(x))
	total := 0.0
	for i, v := range x {
		total += weightAt(weights, i) * v
	}
	if n == 0 || total == 0 {
		return linFill(dst, math.NaN())
	}
	h := Bandwidth(x, weights)
	hi, lo := make([]float64, len(x)), make([]float64, len(x))
	iHi, iLo := total, 0.0
	if j < k {
		var ok bool
		if iHi, ok = incomeBelowInfluence(hi, x, weights, float64(j)/float64(k), n, h); !ok {
			return linFill(dst, math.NaN())
		}
	} else {
		for i, v := range x {
			if weightAt(weights, i) > 0 {
				hi[i] = v
			}
		}
	}
	if j > 1 {
		var ok bool
		if iLo, ok = incomeBelowInfluence(lo, x, weights, float64(j-1)/float64(k), n, h); !ok {
			return linFill(dst, math.NaN())
		}
	}
	share := (iHi - iLo) / total
	for i, v := range x {
		dst[i] = 0
		if weightAt(weights, i) > 0 {
			dst[i] = (hi[i] - lo[i] - share*v) / total
		}
	}
	return dst
}

// PalmaInfluence returns the influence function of Palma(x, weights), the
// income above P90 over the income at or below P40, P = (T - I_0.9) / I_0.4:
//
//	z_i = (x_i - zI_0.9(i) - P zI_0.4(i)) / I_0.4
//
// with I_a and zI_a as in ShareInfluence: QSRInfluence's form at 0.4 and
// 0.9. The values are NaN when Palma is or a density is not positive. See
// TotalInfluence for the other rules.
//
// Reference: Palma (2011), Development and Change 42(1), 87–153; Osier
// (2009).
func PalmaInfluence(dst, x, weights []float64) []float64 {
	var q [2]float64
	sorted := slices.IsSorted(x)
	if sorted { // a scan instead of selections
		quantilesSorted(q[:], []float64{0.4, 0.9}, x, weights)
	} else {
		Quantiles(q[:], []float64{0.4, 0.9}, x, weights)
	}
	palma := PalmaAt(x, weights, q[0], q[1])
	n := linCheck(x, weights)
	dst = linDst(dst, len(x))
	if math.IsNaN(palma) || n == 0 {
		return linFill(dst, math.NaN())
	}
	h := Bandwidth(x, weights)
	q40, q90 := q[0], q[1] // sorted: the same quantiles as incomeBelowInfluence's
	if !sorted {
		q40, q90 = Quantile(0.4, x, weights), Quantile(0.9, x, weights)
	}
	// zI_0.4 and zI_0.9 (incomeBelowAt) unit by unit, not kept.
	b40, ok40 := newIncomeBelow(x, weights, 0.4, q40, n, h, sorted)
	b90, ok90 := newIncomeBelow(x, weights, 0.9, q90, n, h, sorted)
	if !ok40 || !ok90 {
		return linFill(dst, math.NaN())
	}
	for i, v := range x {
		dst[i] = 0
		if weightAt(weights, i) > 0 {
			dst[i] = (v - b90.at(v) - palma*b40.at(v)) / b40.I
		}
	}
	return dst
}

// Line is a poverty line with, when it was estimated from a sample, its
// influence function, for the variance of measures at that line.
type Line struct {
	// Z is the value of the line.
	Z float64
	// Infl is the influence function of Z over the units of the sample (0
	// for units outside the population it was estimated on); nil for a
	// line fixed in advance.
	Infl []float64
	// Bandwidth is the kernel bandwidth of the line's population, used for
	// the density of incomes at Z (R convey uses the full sample's); 0
	// means that of the units the measure is computed on.
	Bandwidth float64
}

// RelativeLine returns the poverty line z = percent × Quantile(order, x,
// weights) (Eurostat's at-risk-of-poverty threshold for order 0.5 and
// percent 0.6, R laeken's arpt) with its influence function in dst,
//
//	Infl_i = -percent ([x_i <= q] - order) / (N f(q))
//
// with q the quantile, N = sum_i w_i, f(q) = KernelDensity(x, weights, q, h)
// and h = Bandwidth(x, weights), stored in the Line: R convey's svyarpt.
// Linearized(d, line.Infl) is the variance of the line. Pass the line to
// ARPRInfluence or RMPGInfluence for measures at it, over the same
// population or over a domain of it (the line's population gives weights;
// units outside it get 0). Infl is NaN when the quantile or the density is
// undefined. It panics if order is outside [0, 1]; see TotalInfluence for
// the other rules.
//
// Reference: Osier (2009), Survey Research Methods 3(3), 167–195; Eurostat
// (2004), EU-SILC 131-rev/04.
func RelativeLine(dst, x, weights []float64, order, percent float64) Line {
	q := Quantile(order, x, weights)
	h := Bandwidth(x, weights)
	return Line{Z: percent * q, Infl: linScale(quantileInfluenceAt(dst, x, weights, order, q, h), percent), Bandwidth: h}
}

// ARPRInfluence returns the influence function of the headcount ratio
// H = FGT(x, weights, line.Z, 0) at a line that may have been estimated
// (the at-risk-of-poverty rate, R convey's svyarpr):
//
//	z_i = ([x_i < Z] - H) / N + f(Z) line.Infl_i
//
// where N = sum_i w_i and f(Z) = KernelDensity(x, weights, Z, line.Bandwidth)
// (the bandwidth of the units measured when line.Bandwidth is 0) estimates
// dH/dZ. The second term, the sampling variance of the line, is left out
// when line.Infl is nil (the line is fixed and z is FGTInfluence's). With
// the line from RelativeLine over the same weights this is convey's
// svyarpr; with a line from larger weights (a national line) and domain
// weights here, it is svyarpr on a subset, which also takes the bandwidth
// from the full sample. A unit is poor when x_i < Z (convey: x_i <= Z).
// The values are NaN when H or Z is (the line of an empty domain). It
// panics if line.Infl is not nil and not of length len(x); see
// TotalInfluence for the other rules.
//
// Reference: Osier (2009), Survey Research Methods 3(3), 167–195; Deville
// (1999), Survey Methodology 25(2), 193–203; R convey's svyarpr.
func ARPRInfluence(dst, x, weights []float64, line Line) []float64 {
	if line.Infl != nil && len(line.Infl) != len(x) {
		panic("indices: slice length mismatch")
	}
	h := FGT(x, weights, line.Z, 0)
	dst = linDst(dst, len(x))
	if math.IsNaN(h) || math.IsNaN(line.Z) {
		return linFill(dst, math.NaN())
	}
	n := linCheck(x, weights)
	f := 0.0
	if line.Infl != nil {
		bw := line.Bandwidth
		if bw == 0 {
			bw = Bandwidth(x, weights)
		}
		f = KernelDensity(x, weights, line.Z, bw)
	}
	for i, v := range x {
		dst[i] = 0
		if weightAt(weights, i) > 0 {
			ind := 0.0
			if v < line.Z {
				ind = 1
			}
			dst[i] = (ind - h) / n
		}
		if line.Infl != nil {
			dst[i] += f * line.Infl[i]
		}
	}
	return dst
}

// RMPGInfluence returns the influence function of the relative median
// poverty gap RMPG(x, weights, line.Z) = (Z - m) / Z, with m the median
// income of the poor, at a line that may have been estimated, as R convey's
// svyrmpg (through svypoormed). m solves F(m) = H/2 (F the weighted CDF,
// H the headcount), so
//
//	zm_i = (zH_i / 2 - ([x_i <= m] - H/2) / N) / f(m)
//	z_i  = ((m/Z) line.Infl_i - zm_i) / Z
//
// where zH is ARPRInfluence(x, weights, line), N = sum_i w_i and
// f(m) = KernelDensity(x, weights, m, Bandwidth(x, weights)). A nil
// line.Infl is a fixed line. The values are NaN when RMPG is or f(m) is not
// positive. It panics if line.Infl is not nil and not of length len(x); see
// TotalInfluence for the other rules.
//
// Reference: Osier (2009); R convey's svyrmpg and svypoormed.
func RMPGInfluence(dst, x, weights []float64, line Line) []float64 {
	if line.Infl != nil && len(line.Infl) != len(x) {
		panic("indices: slice length mismatch")
	}
	dst, c := RMPGInfluenceParts(dst, x, weights, line)
	if line.Infl != nil {
		for i, l := range line.Infl {
			dst[i] += c * l
		}
	}
	return dst
}

// RMPGInfluenceParts returns RMPGInfluence(x, weights, line) split into its
// two parts, z_i = local_i + c line.Infl_i: dst holds local, the influence
// function at the line held fixed, and c is the coefficient of the line's
// own influence function,
//
//	c = (m/Z - f(Z) / (2 f(m))) / Z
//
// with f(Z) the density at the line of ARPRInfluence (line.Bandwidth, or
// that of the units when 0) and m, f(m) as in RMPGInfluence. line.Infl is
// not used, so that a domain's local part can be computed over its units
// only and the line's part, over the line's whole population, added with
// c. c is NaN when the local part is.
func RMPGInfluenceParts(dst, x, weights []float64, line Line) ([]float64, float64) {
	z := line.Z
	dst = linDst(dst, len(x))
	n := linCheck(x, weights)
	// m, the median income of the poor (RMPG's): with x sorted the poor
	// are a prefix, and a scan replaces the selection.
	sorted := slices.IsSorted(x)
	var m float64
	if sorted {
		k := sort.SearchFloat64s(x, z)
		var pw []float64
		if weights != nil {
			pw = weights[:k]
		}
		m = QuantileSorted(0.5, x[:k], pw)
	} else {
		px, pw := PoorIncomes(x, weights, z)
		m = QuantileInPlace(0.5, px, pw)
	}
	if !(z > 0) || math.IsNaN(m) {
		return linFill(dst, math.NaN()), math.NaN()
	}
	density := kernelDensityN // n, the total weight, computed once
	if sorted {
		density = kernelDensitySortedN
	}
	h := headcountN(x, weights, z, n) // FGT(x, weights, z, 0)
	bw := bandwidthN(x, weights, n)
	f := density(x, weights, m, bw, n)
	if !(f > 0) || math.IsInf(f, 0) {
		return linFill(dst, math.NaN()), math.NaN()
	}
	if line.Bandwidth != 0 {
		bw = line.Bandwidth
	}
	fz := density(x, weights, z, bw, n)
	// The local part takes four values, by [x_i < z] and [x_i <= m]:
	// each is computed once.
	var local [2][2]float64
	for ind := range 2 {
		for indm := range 2 {
			zh := (float64(ind) - h) / n    // ARPRInfluence at the fixed line
			fm := (float64(indm) - h/2) / n // the CDF at m
			local[ind][indm] = -((zh/2 - fm) / f) / z
		}
	}
	for i, v := range x {
		dst[i] = 0
		if weightAt(weights, i) > 0 {
			dst[i] = local[b2i(v < z)][b2i(v <= m)]
		}
	}
	return dst, (m/z - fz/(2*f)) / z
}

// b2i is 1 for true, 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Bandwidth returns the kernel bandwidth of R convey's h_fun, used by the
// influence functions of quantile-based measures:
//
//	h = sigma / N^(1/5),   sigma^2 = sum_i {w_i (x_i - xbar)^2} / N,  N = sum_i w_i
//
// Note that N is the sum of the weights, the estimated population size, not
// the number of units: scaling all weights by c divides h by c^(1/5) and so
// changes the variances of quantile-based measures slightly, as in convey.
// nil weights mean every unit has weight 1. It returns NaN when N is zero
// and panics if the lengths differ or a weight is negative.
//
// Reference: R convey's h_fun; Silverman (1986), Density Estimation for
// Statistics and Data Analysis, 3.4.
func Bandwidth(x, weights []float64) float64 {
	return bandwidthN(x, weights, linCheck(x, weights))
}

// bandwidthN is Bandwidth with n = linCheck(x, weights) computed.
func bandwidthN(x, weights []float64, n float64) float64 {
	if n == 0 {
		return math.NaN()
	}
	sx := 0.0
	for i, v := range x {
		sx += weightAt(weights, i) * v
	}
	return bandwidthSums(x, weights, n, sx)
}

// BandwidthSums is Bandwidth for a caller that has added, in the order of
// x, the total weight n = sum_i w_i and the weighted total sx = sum_i w_i
// x_i, as Bandwidth adds them (so with the same result): one pass over
// the units instead of three. It panics if the lengths differ.
func BandwidthSums(x, weights []float64, n, sx float64) float64 {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	if n == 0 {
		return math.NaN()
	}
	return bandwidthSums(x, weights, n, sx)
}

// bandwidthSums is BandwidthSums without its checks (n is not zero).
func bandwidthSums(x, weights []float64, n, sx float64) float64 {
	m := sx / n
	ss := 0.0
	for i, v := range x {
		if w := weightAt(weights, i); w > 0 {
			ss += w * (v - m) * (v - m)
		}
	}
	return math.Sqrt(ss/n) / math.Pow(n, 0.2)
}

// KernelDensity returns the Gaussian kernel estimate of the density of x at
// the point at, with bandwidth h (R convey's densfun with FUN = "F"):
//
//	f(at) = sum_i {w_i K((at - x_i)/h)} / (N h),   K(u) = exp(-u^2/2) / sqrt(2 pi)
//
// nil weights mean every unit has weight 1. It returns NaN when N = sum_i w_i
// is zero or h is not positive, and panics if the lengths differ or a
// weight is negative.
func KernelDensity(x, weights []float64, at, h float64) float64 {
	return kernelDensityN(x, weights, at, h, linCheck(x, weights))
}

// kernelDensityN is KernelDensity with n = linCheck(x, weights) computed.
func kernelDensityN(x, weights []float64, at, h, n float64) float64 {
	if n == 0 || !(h > 0) {
		return math.NaN()
	}
	// Beyond |u| > 38.6, K(u) underflows to exactly 0: the units farther
	// than 40 h add nothing, and are skipped (the same sum).
	s := 0.0
	for i, v := range x {
		if w := weightAt(weights, i); w > 0 {
			if u := (at - v) / h; !(math.Abs(u) > 40) { // NaN kept
				s += w * linGauss(u)
			}
		}
	}
	return s / (n * h)
}

// KernelDensitySorted is KernelDensity for x sorted in increasing order:
// it sums only over the units near at, at the cost of a binary search and
// those units (the bandwidths of Bandwidth are narrow: sd / N^(1/5) with
// N a weighted population): the units within 10 h when the others can add
// less than 2^-60 of the sum (K(10) is about 7.7e-23), else those within
// 40 h, beyond which K(u) underflows to exactly 0 (see kernelSums). The
// result is KernelDensity's up to the order of summation and a relative
// 2^-60 at most. The result is undefined when x is not sorted.
func KernelDensitySorted(x, weights []float64, at, h float64) float64 {
	return kernelDensitySortedN(x, weights, at, h, linCheck(x, weights))
}

// KernelDensitySortedN is KernelDensitySorted for a caller that has added
// the total weight n = sum_i w_i already, in the order of x (as
// KernelDensitySorted adds it, so with the same result): one pass over
// the weights fewer.
func KernelDensitySortedN(x, weights []float64, at, h, n float64) float64 {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	return kernelDensitySortedN(x, weights, at, h, n)
}

// kernelDensitySortedN is KernelDensitySorted with n = linCheck(x,
// weights) computed.
func kernelDensitySortedN(x, weights []float64, at, h, n float64) float64 {
	if n == 0 || !(h > 0) || math.IsNaN(at) {
		return math.NaN()
	}
	s, _ := kernelSums(x, weights, true, at, h, n, false)
	return s / (n * h)
}

// kernelCut is the half-width, in bandwidths, of the first window of the
// kernel sums over sorted incomes, and kernelTail the largest kernel
// value beyond it: K(10) = exp(-50) / sqrt(2 pi), about 7.7e-23.
const kernelCut = 10

var kernelTail = linGauss(kernelCut)

// kernelNegligible is the bound, relative to the sum over the first
// window, on what the units beyond it may add for that window to be used:
// 2^-60, below the rounding of the sum (2^-53 per addition).
const kernelNegligible = 0x1p-60

// kernelSums returns the kernel sums at `at` with bandwidth h over the
// units of positive weight, f0 = sum_i {w_i K((at - x_i)/h)} and f1 =
// sum_i {w_i K((at - x_i)/h) x_i}, added in unit order; n is the total
// weight; f1 only when withF1 (it is computed, but not checked, without).
// For x unsorted every unit is added. For x sorted only the units that
// can count are: first those within kernelCut h of at; each unit beyond
// adds at most w_i kernelTail to f0, and at most w_i kernelTail (|at| +
// kernelCut h) to |f1| (|x_i| <= |at| + |u_i| h, and K(u) |u| decreases
// for |u| > 1), so when the weight left out, times these bounds, is below
// kernelNegligible of each sum, the sums are the
// window's (they differ from the full sums by less than their rounding);
// otherwise the units within 40 h, beyond which K underflows to exactly
// 0 (linWindow). The densities at quantiles and lines, inside the bulk of
// the incomes, take the first window, a fraction of the units of the
// second with the bandwidths of Bandwidth.
func kernelSums(x, weights []float64, sorted bool, at, h, n float64, withF1 bool) (f0, f1 float64) {
	if sorted && h > 0 && !math.IsNaN(at) && len(x) > 0 {
		lo, _ := slices.BinarySearch(x, at-kernelCut*h)
		in := 0.0 // the weight of the window
		i := lo
		for ; i < len(x) && x[i] <= at+kernelCut*h; i++ {
			if v, w := x[i], weightAt(weights, i); w > 0 {
				k := w * linGauss((at-v)/h)
				f0 += k
				f1 += k * v
				in += w
			}
		}
		out := max(n-in, 0) * kernelTail
		if out <= kernelNegligible*f0 && (!withF1 || out*(math.Abs(at)+kernelCut*h) <= kernelNegligible*math.Abs(f1)) {
			return f0, f1
		}
		f0, f1 = 0, 0
	}
	lo, hi := linWindow(x, sorted, at, h)
	for i := lo; i < hi; i++ {
		if v, w := x[i], weightAt(weights, i); w > 0 {
			k := w * linGauss((at-v)/h)
			f0 += k
			f1 += k * v
		}
	}
	return f0, f1
}

// headcountN is FGT(x, weights, z, 0) with n = linCheck(x, weights)
// computed: the weight of the units with x < z over n (PovertySums's sums,
// in the same order), without the other sums of FGT.
func headcountN(x, weights []float64, z, n float64) float64 {
	if n == 0 {
		return math.NaN()
	}
	poor := 0.0
	for i, v := range x {
		if v < z {
			poor += weightAt(weights, i)
		}
	}
	return poor / n
}

// linWindow returns the range of units whose kernel weight at `at` with
// bandwidth h can be nonzero: all of them, or, for x sorted, those within
// 40 h (beyond, K underflows to exactly 0).
func linWindow(x []float64, sorted bool, at, h float64) (lo, hi int) {
	if !sorted || !(h > 0) || math.IsNaN(at) {
		return 0, len(x)
	}
	lo, _ = slices.BinarySearch(x, at-40*h)
	hi = lo
	for hi < len(x) && x[hi] <= at+40*h {
		hi++
	}
	return lo, hi
}

func linGauss(u float64) float64 {
	return math.Exp(-u*u/2) / math.Sqrt(2*math.Pi)
}

// linCheck panics if the lengths differ or a weight is negative, and
// returns the total weight.
func linCheck(x, weights []float64) float64 {
	if weights == nil {
		return float64(len(x))
	}
	if len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	total := 0.0
	for _, w := range weights {
		if w < 0 {
			panic("indices: negative weight")
		}
		total += w
	}
	return total
}

func linDst(dst []float64, n int) []float64 {
	if dst == nil {
		return make([]float64, n)
	}
	if len(dst) != n {
		panic("indices: destination length mismatch")
	}
	return dst
}

func linFill(dst []float64, v float64) []float64 {
	for i := range dst {
		dst[i] = v
	}
	return dst
}

func linScale(dst []float64, c float64) []float64 {
	for i := range dst {
		dst[i] *= c
	}
	return dst
}

func linOne(x []float64, i int) float64 {
	if x == nil {
		return 1
	}
	return x[i]
}

// linIncluded returns the total weight and mean of x over the units that in
// accepts.
func linIncluded(x, weights []float64, in func(float64) bool) (pop, mean float64) {
	s := 0.0
	for i, v := range x {
		if in(v) {
			w := weightAt(weights, i)
			pop += w
			s += w * v
		}
	}
	return pop, s / pop
}
