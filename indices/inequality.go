package indices

import (
	"math"
	"slices"
)

// GE returns the generalized entropy index of order alpha of x, for any
// real alpha:
//
//	GE(alpha) = 1/(alpha (alpha-1)) * (sum_i {w_i (x_i/mu)^alpha} / W - 1)   alpha != 0, 1
//	GE(0)     = sum_i {w_i ln(mu/x_i)} / W                  mean log deviation, Theil L
//	GE(1)     = sum_i {w_i (x_i/mu) ln(x_i/mu)} / W         Theil T
//
// with W = sum_i w_i and mu = sum_i {w_i x_i} / W over the units included.
// GE(2) is half the squared coefficient of variation. The larger alpha, the
// more GE weighs differences at the top of the distribution.
//
// Units outside the domain of the index are left out of every sum, W and
// mu alike: for alpha <= 1 (Theil L and T included) units with x_i <= 0,
// for alpha > 1 units with x_i < 0 (zeros are kept, with terms 0). Zeros are
// left out for 0 < alpha < 1 too, where x^alpha exists, so that GE(alpha)
// tends to GE(0) and GE(1) over the same units. NonPositive and Negative
// count the units left out. (R convey differs on such incomes: svygei stops
// on zeros for alpha 0 and 1 and keeps them otherwise, svyatk drops every
// x <= 0 with a warning; compare with it on positive incomes.) nil weights
// mean every unit has weight 1.
//
// It returns NaN when no included unit has positive weight or their mean
// income is zero, and panics if the lengths differ, a weight is negative or
// alpha is not finite. GE is a thin wrapper over EntropySums, whose
// documentation gives the numerical limits.
//
// Reference: Shorrocks (1980), The class of additively decomposable
// inequality measures, Econometrica 48(3), 613–625; Cowell (2011), Measuring
// Inequality, 3rd ed., Oxford UP; Biewen & Jenkins (2006), Variance
// estimation for generalized entropy and Atkinson inequality indices, Oxford
// Bull. Econ. Stat. 68(3), 371–383 (R convey's svygei).
func GE(x, weights []float64, alpha float64) float64 {
	s := NewEntropySums([]float64{alpha}, nil)
	s.AddAll(x, weights)
	return s.GE(alpha)
}

// TheilT returns Theil's T index of x, GE(1):
//
//	T = sum_i {w_i (x_i/mu) ln(x_i/mu)} / W
//
// over the units with x_i > 0 (see GE). nil weights mean every unit has
// weight 1. It returns NaN when no unit with x_i > 0 has positive weight and
// panics if the lengths differ or a weight is negative.
//
// Reference: Theil (1967), Economics and Information Theory, North-Holland.
func TheilT(x, weights []float64) float64 {
	var s EntropySums
	s.AddAll(x, weights)
	return s.TheilT()
}

// TheilL returns Theil's L index of x, the mean log deviation GE(0):
//
//	L = sum_i {w_i ln(mu/x_i)} / W
//
// over the units with x_i > 0 (see GE). nil weights mean every unit has
// weight 1. It returns NaN when no unit with x_i > 0 has positive weight and
// panics if the lengths differ or a weight is negative.
//
// Reference: Theil (1967), Economics and Information Theory, North-Holland.
func TheilL(x, weights []float64) float64 {
	var s EntropySums
	s.AddAll(x, weights)
	return s.TheilL()
}

// Atkinson returns the Atkinson index of x with inequality aversion
// epsilon >= 0:
//
//	A(epsilon) = 1 - (sum_i {w_i x_i^(1-epsilon)} / W)^(1/(1-epsilon)) / mu   epsilon != 1
//	A(1)       = 1 - exp(sum_i {w_i ln x_i} / W) / mu
//
// with W and mu the total weight and the mean income of the units included:
// one minus the ratio of the equally distributed equivalent income to the
// mean. A(0) = 0; the larger epsilon, the more A weighs the bottom of the
// distribution. With the same units, A(epsilon) = 1 - (1 + epsilon
// (epsilon-1) GE(1-epsilon))^(1/(1-epsilon)).
//
// Units outside the domain of the index are left out of every sum: for
// epsilon >= 1 units with x_i <= 0, for epsilon < 1 units with x_i < 0
// (zeros are kept, with terms 0). See GE on R convey. nil weights mean every
// unit has weight 1.
//
// It returns NaN when no included unit has positive weight or their mean
// income is zero, and panics if the lengths differ, a weight is negative or
// epsilon is negative or not finite.
//
// Reference: Atkinson (1970), On the measurement of inequality, J. Econ.
// Theory 2(3), 244–263; Biewen & Jenkins (2006) (R convey's svyatk).
func Atkinson(x, weights []float64, epsilon float64) float64 {
	s := NewEntropySums(nil, []float64{epsilon})
	s.AddAll(x, weights)
	return s.Atkinson(epsilon)
}

// Negative returns the number and the total weight of units with x < 0, the
// units that GE with alpha > 1 and Atkinson with epsilon < 1 leave out.
func Negative(x, weights []float64) (n int, weight float64) {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	for i, v := range x {
		if v < 0 {
			n++
			weight += weightAt(weights, i)
		}
	}
	return n, weight
}

// maxTerm bounds one term of a scaled power sum: a unit whose term would
// exceed exp(64) moves the reference income of the sum first.
var maxTerm = math.Exp(64)

// EntropySums holds the weighted sums behind the generalized entropy and
// Atkinson indices, accumulated in one pass over the units of a domain: the
// total weight and income of the units with x > 0, sum w ln x and
// sum w x ln x (for GE(0), GE(1) and Atkinson(1)) and, for every other
// parameter asked for, the power sum sum w x^p with p = alpha for GE(alpha)
// and p = 1 - epsilon for Atkinson(epsilon) (GE(alpha) and Atkinson(1-alpha)
// share one). Sums of disjoint parts merge exactly (up to floating-point
// addition), so a job can split its rows into partitions, or keep one
// EntropySums per domain, and combine them.
//
// Units with x < 0 are counted and take no part in any sum; units with
// x == 0 are counted, with their weight, and enter only the measures that
// keep zeros (GE with alpha > 1, Atkinson with epsilon < 1), where their
// terms are 0. Units with weight 0 are counted and take no part.
//
// Numerical limits. Incomes must be finite (a NaN income makes every
// measure NaN). Every sum is kept relative to a reference income x0, never
// as raw logarithms or powers: sum w ln(x/x0), sum w x ln(x/x0) and
// sum w (x/x0)^p, where each power sum moves its x0 whenever a term would
// exceed exp(64). So x^p neither overflows nor underflows, for any p and
// any positive finite x (incomes of 1e6 with alpha = 100 are fine), a
// measure overflows to +Inf only when the mean of (x/mu)^alpha itself
// exceeds the float64 range, and there is no cancellation between large
// logarithms. The income sum needs sum w x below about 1e308. What is left
// is the rounding of plain one-pass sums: an absolute error of about 1e-16
// times the number of units (1e-13 for 1000 equal incomes, where the exact
// value is 0), so values below about 1e-10 for a million units are noise
// and may come out slightly negative.
//
// Cost per unit: one logarithm, plus for each power one multiplication and
// a few more, or a square root, for p in {±0.5, 1.5, ±2, ±3, ±4}, and one
// math.Pow for any other p.
//
// The zero value is an empty accumulator for GE(0), GE(1) (TheilL, TheilT),
// Atkinson(0) and Atkinson(1); other parameters must be given to
// NewEntropySums. An EntropySums holds a slice: copy it with Clone, not by
// assignment, before adding to both copies.
type EntropySums struct {
	N      int     // units added
	Pop    float64 // sum w over x > 0
	Income float64 // sum w x over x > 0

	ZeroN      int     // units with x == 0
	ZeroWeight float64 // their weight

	NegativeN      int     // units with x < 0, left out of every measure
	NegativeWeight float64 // their weight

	center  float64 // the reference income xc of the log sums, 0 while none
	inv     float64 // 1/xc
	logSum  float64 // sum w ln(x/xc) over x > 0
	xlogSum float64 // sum w x ln(x/xc) over x > 0

	powers []powerSum // distinct exponents, none 0 or 1, increasing
}

// powerSum is sum w (x/x0)^p over x > 0.
type powerSum struct {
	p    float64
	sum  float64
	x0   float64 // reference income, 0 while none
	inv  float64 // 1/x0
	kind int8    // how to raise to p: powGeneral or a shortcut
}

// Ways to raise y = x/x0 to p.
const (
	powGeneral int8 = iota // math.Pow
	powHalf
	powMinusHalf
	powThreeHalves
	pow2
	pow3
	pow4
	powMinus1
	powMinus2
	powMinus3
	powMinus4
)

func powKind(p float64) int8 {
	switch p {
	case 0.5:
		return powHalf
	case -0.5:
		return powMinusHalf
	case 1.5:
		return powThreeHalves
	case 2:
		return pow2
	case 3:
		return pow3
	case 4:
		return pow4
	case -1:
		return powMinus1
	case -2:
		return powMinus2
	case -3:
		return powMinus3
	case -4:
		return powMinus4
	}
	return powGeneral
}

// term returns (x/x0)^p.
func (q *powerSum) term(x float64) float64 {
	y := x * q.inv
	switch q.kind {
	case powHalf:
		return math.Sqrt(y)
	case powMinusHalf:
		return 1 / math.Sqrt(y)
	case powThreeHalves:
		return y * math.Sqrt(y)
	case pow2:
		return y * y
	case pow3:
		return y * y * y
	case pow4:
		y *= y
		return y * y
	case powMinus1:
		return 1 / y
	case powMinus2:
		return 1 / (y * y)
	case powMinus3:
		return 1 / (y * y * y)
	case powMinus4:
		y *= y
		return 1 / (y * y)
	}
	return math.Pow(y, q.p)
}

// setRef makes x0 the reference income, rescaling the sum.
func (q *powerSum) setRef(x0 float64) {
	if q.sum != 0 {
		q.sum *= math.Pow(q.x0/x0, q.p)
	}
	q.x0, q.inv = x0, 1/x0
}

// above reports whether reference a lies above reference b for this power,
// p ln a > p ln b: terms relative to a are the smaller.
func (q *powerSum) above(a, b float64) bool {
	if q.p > 0 {
		return a > b
	}
	return a < b
}

// NewEntropySums returns an empty accumulator for GE(alpha) for each of
// alphas and Atkinson(epsilon) for each of epsilons, besides those the zero
// value serves. It panics if a parameter is not finite or an epsilon is
// negative.
func NewEntropySums(alphas, epsilons []float64) EntropySums {
	var ps []float64
	for _, a := range alphas {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			panic("indices: GE alpha not finite")
		}
		if a != 0 && a != 1 {
			ps = append(ps, a)
		}
	}
	for _, e := range epsilons {
		if !(e >= 0) || math.IsInf(e, 1) {
			panic("indices: Atkinson epsilon negative or not finite")
		}
		if e != 0 && e != 1 {
			ps = append(ps, 1-e)
		}
	}
	slices.Sort(ps)
	ps = slices.Compact(ps)
	return EntropySums{powers: newPowers(ps)}
}

func newPowers(ps []float64) []powerSum {
	if len(ps) == 0 {
		return nil
	}
	q := make([]powerSum, len(ps))
	for k, p := range ps {
		q[k] = powerSum{p: p, kind: powKind(p)}
	}
	return q
}

// Reset empties s, keeping its parameters and their memory: s is then as
// NewEntropySums made it.
func (s *EntropySums) Reset() {
	ps := s.powers
	for k, q := range ps {
		ps[k] = powerSum{p: q.p, kind: q.kind}
	}
	*s = EntropySums{powers: ps}
}

// Clone returns a copy of s that shares no memory with it.
func (s EntropySums) Clone() EntropySums {
	s.powers = slices.Clone(s.powers)
	return s
}

// Add adds one unit with income x and weight w.
func (s *EntropySums) Add(x, w float64) {
	s.N++
	switch {
	case x < 0:
		s.NegativeN++
		s.NegativeWeight += w
		return
	case x == 0:
		s.ZeroN++
		s.ZeroWeight += w
		return
	case w == 0:
		return
	}
	if s.center == 0 {
		s.center, s.inv = x, 1/x
	}
	d := math.Log(x * s.inv)
	s.Pop += w
	s.Income += w * x
	s.logSum += w * d
	s.xlogSum += w * x * d
	for k := range s.powers {
		q := &s.powers[k]
		t := 1.0
		if q.x0 == 0 {
			q.x0, q.inv = x, 1/x
		} else if t = q.term(x); !(t <= maxTerm) {
			q.setRef(x)
			t = 1
		}
		q.sum += w * t
	}
}

// AddAll adds every unit of x with its weight (nil weights: 1). It panics if
// the lengths differ or a weight is negative.
func (s *EntropySums) AddAll(x, weights []float64) {
	eachUnit(x, weights, s.Add)
}

// Merge adds the sums of o, accumulated over other units, to s. Both must
// have been made for the same parameters, except that an empty s without
// parameters (the zero value) takes those of o. It panics otherwise.
func (s *EntropySums) Merge(o EntropySums) {
	if len(s.powers) == 0 && s.N == 0 && len(o.powers) > 0 {
		ps := make([]float64, len(o.powers))
		for k, q := range o.powers {
			ps[k] = q.p
		}
		s.powers = newPowers(ps)
	}
	if !slices.EqualFunc(s.powers, o.powers, func(a, b powerSum) bool { return a.p == b.p }) {
		panic("indices: merging EntropySums made for different parameters")
	}
	s.N += o.N
	s.ZeroN += o.ZeroN
	s.ZeroWeight += o.ZeroWeight
	s.NegativeN += o.NegativeN
	s.NegativeWeight += o.NegativeWeight
	if o.center == 0 {
		return // o added no positive income with positive weight
	}
	d := 0.0 // ln(x/xc_s) = ln(x/xc_o) + d; exactly 0 for the same reference (x*(1/x) need not be 1)
	if s.center == 0 {
		s.center, s.inv = o.center, o.inv
	} else if o.center != s.center {
		d = math.Log(o.center * s.inv)
	}
	s.logSum += o.logSum + d*o.Pop
	s.xlogSum += o.xlogSum + d*o.Income
	s.Pop += o.Pop
	s.Income += o.Income
	for k := range s.powers {
		q, oq := &s.powers[k], o.powers[k]
		switch {
		case q.x0 == 0:
			*q = oq
		case q.above(oq.x0, q.x0):
			q.setRef(oq.x0)
			q.sum += oq.sum
		default:
			q.sum += oq.sum * math.Pow(oq.x0/q.x0, q.p)
		}
	}
}

// included returns the total weight and the income of the units a measure
// includes: x > 0, and x == 0 too when withZeros.
func (s EntropySums) included(withZeros bool) (pop, income float64) {
	pop = s.Pop
	if withZeros {
		pop += s.ZeroWeight
	}
	return pop, s.Income
}

// logMeanPower returns ln(sum w (x/mu)^p / W) over the included units, NaN
// when W or mu is zero. It panics if p was not asked for.
func (s EntropySums) logMeanPower(p float64, withZeros bool, what string) float64 {
	k := slices.IndexFunc(s.powers, func(q powerSum) bool { return q.p == p })
	if k < 0 {
		panic("indices: " + what + " not among the parameters of this EntropySums")
	}
	pop, income := s.included(withZeros)
	if pop == 0 || income == 0 {
		return math.NaN()
	}
	q := s.powers[k]
	// sum w (x/mu)^p = sum w (x/x0)^p * (mu/x0)^-p.
	return math.Log(q.sum/pop) - p*math.Log(income/pop*q.inv)
}

// TheilL returns GE(0), the mean log deviation, over the units with x > 0;
// NaN when their total weight is zero.
func (s EntropySums) TheilL() float64 {
	if s.Pop == 0 {
		return math.NaN()
	}
	// ln(mu/xc) - sum w ln(x/xc) / W.
	return math.Log(s.Income/s.Pop*s.inv) - s.logSum/s.Pop
}

// TheilT returns GE(1), Theil's T, over the units with x > 0; NaN when their
// total weight is zero.
func (s EntropySums) TheilT() float64 {
	if s.Pop == 0 {
		return math.NaN()
	}
	// sum w x ln(x/xc) / sum w x - ln(mu/xc).
	return s.xlogSum/s.Income - math.Log(s.Income/s.Pop*s.inv)
}

// GE returns the generalized entropy index of order alpha of the units
// added (see GE for the formula and the units included). alpha must be 0,
// 1 or one of the alphas s was made for; GE panics otherwise.
func (s EntropySums) GE(alpha float64) float64 {
	switch alpha {
	case 0:
		return s.TheilL()
	case 1:
		return s.TheilT()
	}
	lm := s.logMeanPower(alpha, alpha > 1, "GE alpha")
	return math.Expm1(lm) / (alpha * (alpha - 1))
}

// Atkinson returns the Atkinson index with aversion epsilon of the units
// added (see Atkinson for the formula and the units included). epsilon must
// be 0, 1 or one of the epsilons s was made for; Atkinson panics otherwise.
func (s EntropySums) Atkinson(epsilon float64) float64 {
	if !(epsilon >= 0) {
		panic("indices: Atkinson epsilon negative or not finite")
	}
	switch epsilon {
	case 0:
		pop, income := s.included(true)
		if pop == 0 || income == 0 {
			return math.NaN()
		}
		return 0
	case 1:
		return -math.Expm1(-s.TheilL())
	}
	lm := s.logMeanPower(1-epsilon, epsilon < 1, "Atkinson epsilon")
	return -math.Expm1(lm / (1 - epsilon))
}
