package indices

import "math"

// CV returns the coefficient of variation of x, the population standard
// deviation (denominator sum w, not sum w - 1) over the mean:
//
//	CV = sqrt(sum_i {w_i (x_i - m)^2} / W) / m,   m = sum_i {w_i x_i} / W,  W = sum_i w_i
//
// Over regional means with nil weights it is the unweighted CV of regional
// disparity; with the regional populations as weights it is Williamson's
// index. Units with weight 0 are skipped (so the NaN mean of an empty region
// with population 0 does no harm); nil weights mean every unit has weight 1.
// It returns NaN when the total weight is zero or m <= 0, and panics if the
// lengths differ or a weight is negative. It computes m first, then the
// squared deviations (two passes, no cancellation).
//
// Reference: Williamson (1965), Regional inequality and the process of
// national development, Econ. Dev. Cult. Change 13(4), 1–84.
func CV(x, weights []float64) float64 {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	pop, sum := 0.0, 0.0
	for i, v := range x {
		w := weightAt(weights, i)
		if w < 0 {
			panic("indices: negative weight")
		}
		if w == 0 {
			continue
		}
		pop += w
		sum += w * v
	}
	if pop == 0 {
		return math.NaN()
	}
	m := sum / pop
	if !(m > 0) {
		return math.NaN()
	}
	ss := 0.0
	for i, v := range x {
		if w := weightAt(weights, i); w != 0 {
			ss += w * (v - m) * (v - m)
		}
	}
	return math.Sqrt(ss/pop) / m
}

// Williamson returns Williamson's population-weighted coefficient of
// variation of the regional means y with regional populations pop:
//
//	V_w = sqrt(sum_i {p_i (y_i - ybar)^2}) / ybar,   p_i = pop_i / sum_j pop_j,  ybar = sum_i {p_i y_i}
//
// It is CV(y, pop); nil pop means equal populations (V_w is then the
// unweighted CV). Regions with population 0 are skipped. It returns NaN
// when the total population is zero or ybar <= 0, and panics if the lengths
// differ or a population is negative.
//
// Reference: Williamson (1965), Econ. Dev. Cult. Change 13(4), 1–84.
func Williamson(y, pop []float64) float64 {
	return CV(y, pop)
}

// MaxMinRatio returns the ratio of the largest to the smallest x among the
// units with positive weight (nil weights: all units), max_i x_i / min_i x_i,
// as used for the ratio of the richest to the poorest regional mean. It
// returns NaN when no unit has positive weight or the smallest x is <= 0,
// and panics if the lengths differ or a weight is negative.
func MaxMinRatio(x, weights []float64) float64 {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range x {
		w := weightAt(weights, i)
		if w < 0 {
			panic("indices: negative weight")
		}
		if w == 0 {
			continue
		}
		if math.IsNaN(v) {
			return math.NaN()
		}
		lo = min(lo, v)
		hi = max(hi, v)
	}
	if !(lo > 0) || math.IsInf(lo, 1) {
		return math.NaN()
	}
	return hi / lo
}

// Decomposition splits an inequality index over a partition of the units
// into groups: Total = Between + Within, exactly up to rounding.
type Decomposition struct {
	Total   float64 // the index over all units
	Between float64 // the index when every unit has the mean income of its group
	Within  float64 // sum_g Weight[g] * Group[g]

	// Group[g] is the index within group g, NaN for a group with no
	// included unit of positive weight (or, for alpha > 1, only zeros).
	Group []float64
	// Weight[g] is the weight of group g in Within: v_g^(1-alpha) s_g^alpha,
	// with v_g its share of the population and s_g its share of the income;
	// the income share s_g for Theil T, the population share v_g for
	// Theil L.
	Weight []float64
}

// BetweenShare returns Between / Total, the part of inequality that lies
// between the groups; NaN when Total is zero or NaN.
func (d Decomposition) BetweenShare() float64 {
	if d.Total == 0 {
		return math.NaN()
	}
	return d.Between / d.Total
}

// DecomposeGE returns the exact decomposition of GE(alpha) (Theil T for
// alpha = 1, Theil L for alpha = 0) into parts between and within the
// groups group[i] = 0, 1, ..., k-1 (k is the largest code plus one; a code
// without units gives a group with weight 0):
//
//	Between = 1/(alpha (alpha-1)) * (sum_g {v_g (mu_g/mu)^alpha} - 1)
//	Within  = sum_g {v_g^(1-alpha) s_g^alpha GE_g(alpha)}
//	T: Between = sum_g {s_g ln(mu_g/mu)},  Within = sum_g {s_g T_g}
//	L: Between = sum_g {v_g ln(mu/mu_g)},  Within = sum_g {v_g L_g}
//
// with v_g = W_g/W the population share, s_g = v_g mu_g/mu the income share
// and mu_g the mean income of group g. Every term runs over the units that
// GE(alpha) includes (x > 0 for alpha <= 1, x >= 0 for alpha > 1), so the
// parts add up to GE(x, weights, alpha). nil weights mean every unit has
// weight 1. It panics if the lengths differ, a code is negative, a weight is
// negative or alpha is not finite. Total and Between are NaN when GE is.
//
// Reference: Shorrocks (1980), Econometrica 48(3), 613–625; Shorrocks
// (1984), Inequality decomposition by population subgroups, Econometrica
// 52(6), 1369–1385 (R convey's svygeidec).
func DecomposeGE[G ~int | ~int32](x, weights []float64, group []G, alpha float64) Decomposition {
	if (weights != nil && len(weights) != len(x)) || len(group) != len(x) {
		panic("indices: slice length mismatch")
	}
	k := 0
	for _, g := range group {
		if g < 0 {
			panic("indices: negative group code")
		}
		k = max(k, int(g)+1)
	}
	sums := make([]EntropySums, k)
	for g := range sums {
		sums[g] = NewEntropySums([]float64{alpha}, nil)
	}
	for i, v := range x {
		w := weightAt(weights, i)
		if w < 0 {
			panic("indices: negative weight")
		}
		sums[group[i]].Add(v, w)
	}
	return DecomposeGESums(sums, alpha)
}

// DecomposeGESums is DecomposeGE from one accumulator per group, each made
// for alpha (or the zero value, for alpha 0 or 1), such as the per-domain
// sums of a one-pass job. It panics if a group lacks alpha. With no groups
// every part is NaN.
func DecomposeGESums(groups []EntropySums, alpha float64) Decomposition {
	if len(groups) == 0 {
		nan := math.NaN()
		return Decomposition{Total: nan, Between: nan, Within: nan, Group: []float64{}, Weight: []float64{}}
	}
	total := groups[0].Clone()
	for _, g := range groups[1:] {
		total.Merge(g)
	}
	d := Decomposition{
		Total:  total.GE(alpha),
		Group:  make([]float64, len(groups)),
		Weight: make([]float64, len(groups)),
	}
	if math.IsNaN(d.Total) {
		d.Between, d.Within = math.NaN(), math.NaN()
		for g := range d.Group {
			d.Group[g] = groups[g].GE(alpha)
		}
		return d
	}
	withZeros := alpha > 1
	pop, income := total.included(withZeros)
	mu := income / pop
	between := 0.0
	for g, s := range groups {
		d.Group[g] = s.GE(alpha)
		pg, ig := s.included(withZeros)
		if pg == 0 {
			continue
		}
		v := pg / pop
		r := ig / pg / mu // mu_g / mu
		switch alpha {
		case 0:
			d.Weight[g] = v
			between += v * -math.Log(r)
		case 1:
			d.Weight[g] = v * r
			between += v * r * math.Log(r)
		default:
			if r > 0 {
				d.Weight[g] = math.Exp(math.Log(v) + alpha*math.Log(r))
			}
			between += d.Weight[g]
		}
		if d.Weight[g] != 0 {
			d.Within += d.Weight[g] * d.Group[g]
		}
	}
	if alpha != 0 && alpha != 1 {
		between = (between - 1) / (alpha * (alpha - 1))
	}
	d.Between = between
	return d
}
