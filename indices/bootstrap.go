package indices

import (
	"math/bits"
	"math/rand/v2"
)

// RaoWuBootstrap returns r replicates of the Rao–Wu rescaled bootstrap for a
// stratified multistage design, in the form of R survey's "subbootstrap"
// (subbootweights): in every replicate and every stratum h with n_h PSUs,
// n_h - 1 PSUs are drawn with replacement, and a PSU drawn k times gets the
// multiplier
//
//	m = k * n_h / (n_h - 1)
//
// which all the units of that PSU share (replicate weight = w * m). This is
// the rescaling of Rao, Wu & Yue (1992) with m_h = n_h - 1 resamples, for
// which E[m] = 1 and the bootstrap variance of a linear statistic has
// expectation sum_h n_h/(n_h-1) sum_i (t_hi - tbar_h)^2, the with-replacement
// (linearized) variance. Scale = 1/(r-1) and RScales are all 1, as in
// subbootweights; Variance centres on the mean of the replicates unless MSE
// is set. A stratum with one PSU keeps multiplier 1 (see LonelyStrata); R
// survey would give it an undefined weight. Sampling fractions are ignored
// (no finite population correction), as in survey.
//
// strata and psu hold each unit's stratum and PSU codes (nil strata: one
// stratum; nil psu: every unit is its own PSU); PSU codes are nested in
// strata. weights are the full-sample weights (nil: 1). Strata are taken in
// order of first appearance and the PSUs of a stratum likewise.
//
// The replicates are a deterministic function of the design and seed:
// replicate j draws from its own stream, a rand.PCG seeded with
// (seed, splitmix64(j)), one uniform index per draw by Lemire's
// multiply-and-reject method on PCG.Uint64, strata in order. Replicate j is
// therefore the same whether it is made alone, in parallel with others, with
// any GOMAXPROCS, or as part of a larger r. The multipliers are made on demand
// and never stored.
//
// It panics if r < 2, the lengths differ, all of strata, psu and weights are
// nil, or a weight is negative.
//
// Reference: Rao & Wu (1988), Resampling inference with complex survey data,
// JASA 83, 231–241; Rao, Wu & Yue (1992), Some recent work on resampling
// methods for complex surveys, Survey Methodology 18(2), 209–217; R survey's
// subbootweights (R/bootstrap.R).
func RaoWuBootstrap(strata, psu []int32, weights []float64, r int, seed uint64) Replicates {
	if r < 2 {
		panic("indices: fewer than two replicates")
	}
	l := newPSULayout(strata, psu, weights)
	rp := Replicates{
		Method: MethodBootstrap, Scale: 1 / float64(r-1),
		n: len(l.unit), weights: weights, layout: l, kind: repBootstrap, r: r, seed: seed,
	}
	for h := range l.numStrata() {
		if l.start[h+1]-l.start[h] == 1 {
			rp.LonelyStrata++
		}
	}
	return rp
}

// bootstrap fills g.mult with the Rao–Wu multipliers of replicate r.
func (g *repGen) bootstrap(r int) {
	l, m := g.rp.layout, g.mult
	clear(m)
	g.src.Seed(g.rp.seed, splitmix64(uint64(r)))
	for h := range l.numStrata() {
		a, b := l.start[h], l.start[h+1]
		nh := b - a
		if nh == 1 {
			m[a] = 1
			continue
		}
		for range nh - 1 {
			m[a+uniformIndex(&g.src, uint64(nh))]++
		}
		f := float64(nh) / float64(nh-1)
		for j := a; j < b; j++ {
			m[j] *= f
		}
	}
}

// uniformIndex returns a uniform integer in [0, n) from src by Lemire's
// nearly divisionless method (multiply, reject the biased low part). It is
// written out, not taken from rand.Rand, so that the replicates depend only on
// the PCG algorithm.
func uniformIndex(src *rand.PCG, n uint64) int {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return int(hi)
}

// splitmix64 is the finalizer of Steele, Lea & Flood's SplitMix64, a
// bijection of uint64 that spreads consecutive replicate numbers over the
// PCG's second seed word.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
