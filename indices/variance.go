package indices

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// Lonely is the treatment of a stratum with a single primary sampling unit
// (PSU), whose contribution to the variance cannot be estimated. The values
// are those of R survey's option survey.lonely.psu.
type Lonely int8

const (
	// LonelyFail makes the variance NaN (R survey stops with an error).
	// It is the zero value, as "fail" is survey's default.
	LonelyFail Lonely = iota
	// LonelyRemove gives the stratum no part in the variance.
	LonelyRemove
	// LonelyAdjust centres the PSU total of the stratum at the mean PSU
	// total of the whole sample, sum_hk t_hk / sum_h n_h (see Linearized),
	// instead of the stratum mean, as survey 4.2 and later do: a
	// conservative choice.
	LonelyAdjust
	// LonelyCertainty treats the stratum as sampled with certainty: it
	// contributes nothing. In survey its variance is the same as Remove's.
	LonelyCertainty
	// LonelyAverage replaces the contribution of each lonely stratum by the
	// average contribution of the other strata: the sum over the strata
	// with two or more PSUs (and the certainty strata) times H / H_ok.
	LonelyAverage
)

var lonelyNames = [...]string{"fail", "remove", "adjust", "certainty", "average"}

// String returns the name of l as in R survey: "fail", "remove", "adjust",
// "certainty" or "average".
func (l Lonely) String() string {
	if l < 0 || int(l) >= len(lonelyNames) {
		return fmt.Sprintf("Lonely(%d)", int8(l))
	}
	return lonelyNames[l]
}

// ParseLonely returns the Lonely value named s ("fail", "remove", "adjust",
// "certainty" or "average"), or an error for any other name.
func ParseLonely(s string) (Lonely, error) {
	for i, name := range lonelyNames {
		if s == name {
			return Lonely(i), nil
		}
	}
	return LonelyFail, fmt.Errorf("indices: unknown treatment of lonely PSUs %q (want fail, remove, adjust, certainty or average)", s)
}

// Design is a stratified cluster sample, as in R survey's
// svydesign(ids = ~psu, strata = ~strata, weights = ~w, fpc = ~f): each
// unit's stratum, primary sampling unit (PSU) and weight. Variances are
// those of the first stage, the ultimate-cluster approximation of survey.
//
// All non-nil slices must have one element per unit. PSUs are nested in
// strata: units with the same PSU code in different strata are different
// PSUs, so PSU codes may restart in each stratum or be unique, with the
// same result. Codes are labels: their values and order do not matter.
type Design struct {
	// Strata holds each unit's stratum; nil means one stratum.
	Strata []int32
	// PSU holds each unit's primary sampling unit; nil means that every
	// unit is its own PSU.
	PSU []int32
	// Weights holds each unit's sampling weight; nil means 1 for all.
	Weights []float64
	// FPC holds, per unit, the sampling fraction f_h of its stratum's PSUs
	// (n_h/N_h, 0 <= f_h <= 1, the same for all units of a stratum); nil
	// means sampling with replacement (f_h = 0). A stratum with f_h = 1 is
	// a certainty stratum and adds no variance.
	FPC []float64
	// Lonely is the treatment of strata with one PSU.
	Lonely Lonely
}

// Estimate is an estimate with its standard error and the degrees of
// freedom for confidence intervals.
type Estimate struct {
	Name  string
	Value float64
	SE    float64
	// DF is the number of PSUs minus the number of strata, counting those
	// with a unit of nonzero weight (R survey's degf).
	DF int
}

// CI returns the confidence interval of level (0.95 for 95%) from the
// Student t distribution with e.DF degrees of freedom:
//
//	Value -+ t_{DF}((1 + level)/2) * SE
//
// (R survey's confint.svystat uses the normal quantile unless given df;
// with thousands of degrees of freedom the two agree to 0.1%). Both limits
// are NaN when DF < 1. It panics if level is not in (0, 1).
func (e Estimate) CI(level float64) (lo, hi float64) {
	if !(level > 0 && level < 1) {
		panic("indices: confidence level out of range")
	}
	t := TQuantile((1+level)/2, e.DF)
	return e.Value - t*e.SE, e.Value + t*e.SE
}

// RSE returns the relative standard error SE / |Value|: +Inf when Value is
// zero and SE positive, NaN when both are zero.
func (e Estimate) RSE() float64 {
	return e.SE / math.Abs(e.Value)
}

// TQuantile returns the p-quantile of Student's t distribution with df
// degrees of freedom (R's qt(p, df)): -Inf at p = 0, +Inf at p = 1, NaN
// when df < 1. It panics if p is outside [0, 1].
func TQuantile(p float64, df int) float64 {
	if !(p >= 0 && p <= 1) {
		panic("indices: probability out of range")
	}
	if df < 1 {
		return math.NaN()
	}
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Quantile(p)
}

// Linearized returns the Taylor-linearization standard error of an
// estimator whose linearized variable (influence function) is infl, one
// value per unit of d: SE = sqrt(V) with
//
//	t_hk = sum_{j in PSU k of stratum h} {w_j * infl_j}
//	V    = sum_h {(1 - f_h) * n_h/(n_h - 1) * sum_k {(t_hk - tbar_h)^2}}
//
// where w_j are d.Weights, n_h the number of PSUs of stratum h, tbar_h the
// mean of their totals and f_h the sampling fraction of d.FPC. This is R survey's svyrecvar, and the
// variances of R convey, which pass svyrecvar w_i times their linearized
// variable: the influence functions of this package (MeanInfluence,
// FGTInfluence, ARPRInfluence, ...) are on that scale. With every unit its
// own PSU, one stratum and no FPC, V is the with-replacement formula
// n/(n-1) sum_i {(w_i infl_i - mean)^2}.
//
// A stratum with one PSU is treated as d.Lonely says; with LonelyFail the
// SE is NaN (SinglePSUStrata lists such strata). A stratum with f_h = 1
// adds nothing whatever d.Lonely says. A NaN in infl makes the SE NaN, so
// the NaN influence of an undefined estimate gives a NaN SE.
//
// Domains: give the influence function the weights of the domain (zero
// outside it), which makes infl zero outside the domain (except for parts
// estimated on a larger population, such as a national poverty line), and
// pass the full design. Every PSU and stratum of the design then counts,
// as in survey's subset(), and the variance is that of domain estimation.
//
// Name is left empty and Value NaN for the caller to set; DF is
// d.DF(). Linearized panics if a non-nil slice of d has a length other
// than len(infl), a weight is negative, or an FPC is outside [0, 1] or
// varies within a stratum.
//
// Reference: Wolter (2007), Introduction to Variance Estimation, 2nd ed.,
// Springer, ch. 6; Deville (1999), Variance estimation for complex
// statistics and estimators: linearization and residual techniques, Survey
// Methodology 25(2), 193–203; Lumley (2004), Analysis of complex survey
// samples, J. Stat. Softw. 9(8) (R survey).
func Linearized(d Design, infl []float64) Estimate {
	ix := newLinIndex(d, len(infl))
	return Estimate{Value: math.NaN(), SE: math.Sqrt(ix.variance(d, infl)), DF: ix.df(d.Weights)}
}

// Linearizer is a Design prepared once for many variance computations over
// the same units, such as every domain and indicator of a study:
// NewLinearizer(d).Linearized(infl) equals Linearized(d, infl) without
// indexing the strata and PSUs again. The design's slices must not change
// while it is in use.
type Linearizer struct {
	d  Design
	ix *linIndex
	df int
	// For Sparse: the strata with one PSU (not certainty), the sum of
	// their 1 - f_h, and the strata that count in LonelyAverage's factor.
	nlonely     int
	lonelyScale float64
	ok          int
}

// NewLinearizer prepares d for n units (the length of its non-nil slices);
// it panics as Linearized does.
func NewLinearizer(d Design, n int) *Linearizer {
	ix := newLinIndex(d, n)
	l := &Linearizer{d: d, ix: ix, df: ix.df(d.Weights)}
	for h, c := range ix.npsu {
		if c == 1 && ix.scale[h] >= 1e-7 {
			l.nlonely++
			l.lonelyScale += ix.scale[h]
			if d.Lonely == LonelyAverage {
				continue
			}
		}
		l.ok++
	}
	return l
}

// Linearized is Linearized(d, infl) for the prepared design d. It panics if
// len(infl) differs from the design's number of units.
func (l *Linearizer) Linearized(infl []float64) Estimate {
	if len(infl) != l.ix.nunits {
		panic("indices: slice length mismatch")
	}
	return Estimate{Value: math.NaN(), SE: math.Sqrt(l.ix.variance(l.d, infl)), DF: l.df}
}

// DF returns the degrees of freedom of the design, as R survey's degf: the
// number of PSUs minus the number of strata, counting only PSUs and strata
// with a unit of nonzero weight (so that a design whose weights are zero
// outside a domain has the degrees of freedom of the domain). It panics if
// the lengths of the non-nil slices of d differ.
func (d Design) DF() int {
	n := linDesignLen(d)
	if n < 0 {
		return 0
	}
	return newLinIndex(d, n).df(d.Weights)
}

// SinglePSUStrata returns the codes of the strata with a single PSU, in
// increasing order (0 for the one stratum of nil Strata). It panics if the
// lengths of the non-nil slices of d differ.
func (d Design) SinglePSUStrata() []int32 {
	n := linDesignLen(d)
	if n < 0 {
		return nil
	}
	return newLinIndex(d, n).singlePSUStrata()
}

// SinglePSUStrata is Design.SinglePSUStrata of l's design, without
// indexing it again.
func (l *Linearizer) SinglePSUStrata() []int32 {
	return l.ix.singlePSUStrata()
}

// DFWith returns Design.DF of l's design with weights in place of its own
// (nil: every unit has weight 1), without indexing it again: the PSUs
// minus the strata with a unit of nonzero weight. The PSUs and strata do
// not depend on the weights. It panics if weights is not nil and its
// length differs from the design's number of units.
func (l *Linearizer) DFWith(weights []float64) int {
	if weights != nil && len(weights) != l.ix.nunits {
		panic("indices: slice length mismatch")
	}
	return l.ix.df(weights)
}

// singlePSUStrata returns the codes of the strata with a single PSU, in
// increasing order.
func (ix *linIndex) singlePSUStrata() []int32 {
	var out []int32
	for h, c := range ix.npsu {
		if c == 1 {
			out = append(out, ix.code[h])
		}
	}
	slices.Sort(out)
	return out
}

// linDesignLen returns the common length of the non-nil slices of d, -1
// when all are nil.
func linDesignLen(d Design) int {
	n := -1
	for _, l := range []int{linSliceLen(d.Strata == nil, len(d.Strata)), linSliceLen(d.PSU == nil, len(d.PSU)),
		linSliceLen(d.Weights == nil, len(d.Weights)), linSliceLen(d.FPC == nil, len(d.FPC))} {
		if l < 0 {
			continue
		}
		if n >= 0 && l != n {
			panic("indices: design slice length mismatch")
		}
		n = l
	}
	return n
}

func linSliceLen(isNil bool, n int) int {
	if isNil {
		return -1
	}
	return n
}

// ownPSUs reports whether psu[i] is i for every unit i.
func ownPSUs(psu []int32) bool {
	for i, p := range psu {
		if p != int32(i) {
			return false
		}
	}
	return true
}

// linIndex maps the units of a design to dense PSU and stratum indices.
type linIndex struct {
	unitPSU  []int32   // per unit: its PSU; nil when every unit is its own PSU
	psuStrat []int32   // per PSU: its stratum
	npsu     []int     // per stratum: number of PSUs
	code     []int32   // per stratum: its code
	scale    []float64 // per stratum: 1 - f_h
	nunits   int
}

func newLinIndex(d Design, n int) *linIndex {
	for _, l := range []int{linSliceLen(d.Strata == nil, len(d.Strata)), linSliceLen(d.PSU == nil, len(d.PSU)),
		linSliceLen(d.Weights == nil, len(d.Weights)), linSliceLen(d.FPC == nil, len(d.FPC))} {
		if l >= 0 && l != n {
			panic("indices: design slice length mismatch")
		}
	}
	for _, w := range d.Weights {
		if w < 0 {
			panic("indices: negative weight")
		}
	}
	ix := &linIndex{nunits: n}
	strat := func(i int) int32 {
		if d.Strata == nil {
			return 0
		}
		return d.Strata[i]
	}
	stratIdx := map[int32]int32{}
	stratumOf := func(c int32) int32 {
		h, ok := stratIdx[c]
		if !ok {
			h = int32(len(ix.code))
			stratIdx[c] = h
			ix.code = append(ix.code, c)
			ix.npsu = append(ix.npsu, 0)
		}
		return h
	}
	if d.PSU == nil {
		ix.psuStrat = make([]int32, n)
		lastCode, lastH := int32(0), int32(-1)
		for i := range n {
			c := strat(i)
			if lastH < 0 || c != lastCode {
				lastCode, lastH = c, stratumOf(c)
			}
			ix.psuStrat[i] = lastH
			ix.npsu[lastH]++
		}
	} else if ownPSUs(d.PSU) {
		// PSU i is unit i (a design of one pseudo-unit per PSU): the
		// PSUs in order of first appearance, as below, without the map.
		ix.unitPSU = make([]int32, n)
		ix.psuStrat = make([]int32, n)
		lastCode, lastH := int32(0), int32(-1)
		for i := range n {
			c := strat(i)
			if lastH < 0 || c != lastCode {
				lastCode, lastH = c, stratumOf(c)
			}
			ix.unitPSU[i] = int32(i)
			ix.psuStrat[i] = lastH
			ix.npsu[lastH]++
		}
	} else {
		ix.unitPSU = make([]int32, n)
		psuIdx := map[[2]int32]int32{}
		var last [2]int32
		lastP := int32(-1)
		for i := range n {
			key := [2]int32{strat(i), d.PSU[i]}
			if lastP < 0 || key != last {
				p, ok := psuIdx[key]
				if !ok {
					p = int32(len(ix.psuStrat))
					psuIdx[key] = p
					h := stratumOf(key[0])
					ix.psuStrat = append(ix.psuStrat, h)
					ix.npsu[h]++
				}
				last, lastP = key, p
			}
			ix.unitPSU[i] = lastP
		}
	}
	ix.scale = make([]float64, len(ix.code))
	for h := range ix.scale {
		ix.scale[h] = math.NaN()
	}
	for i := range n {
		f := 0.0
		if d.FPC != nil {
			f = d.FPC[i]
			if !(f >= 0 && f <= 1) {
				panic("indices: FPC sampling fraction outside [0, 1]")
			}
		}
		h := ix.stratumOfUnit(i)
		switch s := ix.scale[h]; {
		case math.IsNaN(s):
			ix.scale[h] = 1 - f
		case s != 1-f:
			panic("indices: FPC varies within a stratum")
		}
	}
	return ix
}

func (ix *linIndex) psuOfUnit(i int) int32 {
	if ix.unitPSU == nil {
		return int32(i)
	}
	return ix.unitPSU[i]
}

func (ix *linIndex) stratumOfUnit(i int) int32 {
	return ix.psuStrat[ix.psuOfUnit(i)]
}

// variance is survey's onestage over the first-stage PSUs.
func (ix *linIndex) variance(d Design, infl []float64) float64 {
	npsu := len(ix.psuStrat)
	if npsu == 0 {
		return math.NaN()
	}
	t := make([]float64, npsu)
	for i, v := range infl {
		t[ix.psuOfUnit(i)] += weightAt(d.Weights, i) * v
	}
	k := len(ix.code)
	sum := make([]float64, k)
	for p, h := range ix.psuStrat {
		sum[h] += t[p]
	}
	grand := 0.0 // mean PSU total over all strata, for LonelyAdjust
	for h := range k {
		grand += sum[h]
	}
	grand /= float64(npsu)
	ss := make([]float64, k)
	for p, h := range ix.psuStrat {
		e := t[p] - sum[h]/float64(ix.npsu[h])
		ss[h] += e * e
	}
	v, ok := 0.0, 0
	for h := range k {
		n, scale := ix.npsu[h], ix.scale[h]
		if scale < 1e-7 { // certainty stratum (survey's self-representing test)
			ok++
			continue
		}
		if n > 1 {
			v += scale * float64(n) / float64(n-1) * ss[h]
			ok++
			continue
		}
		switch d.Lonely {
		case LonelyRemove, LonelyCertainty:
			ok++
		case LonelyAdjust:
			e := sum[h] - grand
			v += scale * e * e
			ok++
		case LonelyAverage:
			// Left out here, made up for by the factor below.
		default:
			return math.NaN()
		}
	}
	if ok == 0 {
		return math.NaN()
	}
	return v * float64(k) / float64(ok)
}

// df is survey's degf: distinct PSUs minus distinct strata among the units
// of nonzero weight.
func (ix *linIndex) df(weights []float64) int {
	psuSeen := make([]bool, len(ix.psuStrat))
	stratSeen := make([]bool, len(ix.code))
	np, ns := 0, 0
	for i := range ix.nunits {
		if weightAt(weights, i) == 0 {
			continue
		}
		p := ix.psuOfUnit(i)
		if !psuSeen[p] {
			psuSeen[p] = true
			np++
		}
		if h := ix.psuStrat[p]; !stratSeen[h] {
			stratSeen[h] = true
			ns++
		}
	}
	return np - ns
}

// WoodruffInterval returns the weighted p-quantile q of x over the design d
// (weights d.Weights) with a confidence interval of the given level and a
// standard error, as R survey 4.x's svyquantile does by default
// (qrule = "math", interval.type = "mean", Woodruff's method):
//
//	q      = min{x_i : F(x_i) >= p},  F(y) = sum_i {w_i [x_i <= y]} / sum_i {w_i}
//	m      = F(q),  s = Linearized(d, ([x_i <= q] - m) / sum_j {w_j}).SE
//	lo, hi = Q(m - t s), Q(m + t s),   t = TQuantile((1 + level)/2, d.DF())
//	se     = (hi - lo) / (2 t)
//
// where Q is the same quantile rule: the interval for the proportion below
// q, mapped back through the inverse CDF. lo (hi) is NaN when m - t s < 0
// (m + t s > 1), and se is then NaN. A domain is estimated with weights zero
// outside it, which also restricts the degrees of freedom to the domain, as
// survey's svyquantile on a subset.
//
// The "math" rule is the inverse of the weighted empirical CDF (Hyndman
// and Fan's type 1); it differs from Quantile (laeken's rule) only where
// F(x_k) = p exactly, where Quantile averages x_k and the next value.
// (survey's implementation returns the second-smallest value when
// p < w_(1)/sum w; this function returns the smallest.)
//
// It returns NaNs when the total weight is zero, and panics if len(x)
// differs from the slices of d, p is outside [0, 1], level is not in (0, 1)
// or a weight is negative.
//
// Reference: Woodruff (1952), Confidence intervals for medians and other
// position measures, JASA 47, 635–646; Dorfman & Valliant (1993),
// Quantile variance estimators in complex surveys, Proc. ASA Survey
// Research Methods Section; Lumley (2010), Complex Surveys, Wiley, 2.4.
func WoodruffInterval(d Design, x []float64, p, level float64) (q, lo, hi, se float64) {
	if !(p >= 0 && p <= 1) {
		panic("indices: quantile probability out of range")
	}
	if !(level > 0 && level < 1) {
		panic("indices: confidence level out of range")
	}
	ix := newLinIndex(d, len(x))
	nan := math.NaN()
	cdf := newLinCDF(x, d.Weights)
	if cdf.total == 0 {
		return nan, nan, nan, nan
	}
	q = cdf.quantile(p)
	below := 0.0
	for i, v := range x {
		if v <= q {
			below += weightAt(d.Weights, i)
		}
	}
	m := below / cdf.total
	infl := make([]float64, len(x))
	for i, v := range x {
		ind := 0.0
		if v <= q {
			ind = 1
		}
		infl[i] = (ind - m) / cdf.total
	}
	s := math.Sqrt(ix.variance(d, infl))
	t := TQuantile((1+level)/2, ix.df(d.Weights))
	lo, hi = nan, nan
	if pl := m - t*s; pl >= 0 {
		lo = cdf.quantile(pl)
	}
	if pu := m + t*s; pu <= 1 {
		hi = cdf.quantile(pu)
	}
	return q, lo, hi, (hi - lo) / (2 * t)
}

// linCDF is the weighted empirical CDF of the units with positive weight.
type linCDF struct {
	x, cum []float64 // sorted values and cumulative weights
	total  float64
}

func newLinCDF(x, weights []float64) linCDF {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	var c linCDF
	idx := make([]int, 0, len(x))
	for i := range x {
		w := weightAt(weights, i)
		if w < 0 {
			panic("indices: negative weight")
		}
		if w > 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	c.x = make([]float64, len(idx))
	c.cum = make([]float64, len(idx))
	for k, i := range idx {
		c.total += weightAt(weights, i)
		c.x[k], c.cum[k] = x[i], c.total
	}
	return c
}

// quantile returns the first x whose cumulative weight reaches p times the
// total, as survey's qrule_math compares cumw <= p * sum(w).
func (c linCDF) quantile(p float64) float64 {
	target := p * c.total
	k := sort.Search(len(c.cum), func(k int) bool { return c.cum[k] >= target })
	if k == len(c.cum) {
		k-- // rounding: p = 1 with a sum that fell short
	}
	return c.x[k]
}
