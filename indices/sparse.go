package indices

import "math"

// Sparse computes Linearized variances of linearized variables that are
// zero on most units, such as those of a domain (zero outside it), at a
// cost proportional to the units where the variable is not zero instead of
// to the size of the design: the form that makes the standard errors of
// many small domains cheap. It is an accumulator of the weighted PSU
// totals A_hk = sum_{j in PSU k of stratum h} {w_j * infl_j} over the units
// added; the others count as zero. A PSU without units added has A_hk = 0,
// so that, with n_h the PSUs of stratum h and m_h those touched,
//
//	sum_k {(A_hk - Abar_h)^2} = sum_{k touched} {(A_hk - Abar_h)^2} + (n_h - m_h) Abar_h^2
//
// which gives Linearized's V exactly (up to rounding) from the touched PSUs
// and strata only. A variable may also have a part shared by many domains
// (the linearized variable of an estimated poverty line), c times the
// totals of a Shared; see Variance.
//
// A Sparse is not safe for concurrent use: use one per goroutine.
type Sparse struct {
	l        *Linearizer
	cur      uint32
	psuGen   []uint32  // per PSU: the generation of its total
	tot      []float64 // per PSU: A_hk, valid when psuGen == cur
	touched  []int32   // PSUs with a total in this generation
	strGen   []uint32  // per stratum
	strSum   []float64 // per stratum: sum of the touched totals
	strSS    []float64 // per stratum: sum of squared deviations of the touched totals
	strCross []float64 // per stratum: sum of (T_hk - Tbar_h) A_hk over the touched PSUs
	strCount []int     // per stratum: touched PSUs
	strata   []int32   // strata touched in this generation
}

// NewSparse returns an empty accumulator over the units of l's design.
func (l *Linearizer) NewSparse() *Sparse {
	npsu, k := len(l.ix.psuStrat), len(l.ix.code)
	return &Sparse{l: l, cur: 1,
		psuGen: make([]uint32, npsu), tot: make([]float64, npsu),
		strGen: make([]uint32, k), strSum: make([]float64, k), strSS: make([]float64, k), strCross: make([]float64, k), strCount: make([]int, k)}
}

// Reset empties s, in constant time.
func (s *Sparse) Reset() {
	s.cur++
	s.touched, s.strata = s.touched[:0], s.strata[:0]
	if s.cur == 0 { // wrapped around: clear the generations
		clear(s.psuGen)
		clear(s.strGen)
		s.cur = 1
	}
}

// Add adds w_i * v to the total of unit i's PSU, w_i the design weight of
// unit i (1 for nil weights). It panics if i is not a unit of the design.
func (s *Sparse) Add(i int, v float64) {
	if i < 0 || i >= s.l.ix.nunits {
		panic("indices: unit out of range")
	}
	p := s.l.ix.psuOfUnit(i)
	if s.psuGen[p] != s.cur {
		s.psuGen[p], s.tot[p] = s.cur, 0
		s.touched = append(s.touched, p)
	}
	s.tot[p] += weightAt(s.l.d.Weights, i) * v
}

// Shared is a linearized variable L over all the units of a design,
// prepared for Sparse.Variance: its PSU totals T_hk and their
// per-stratum means and sums of squares.
type Shared struct {
	l     *Linearizer
	t     []float64 // per PSU: T_hk
	mean  []float64 // per stratum: Tbar_h
	vt    float64   // sum over the strata with two or more PSUs of (1 - f_h) n_h/(n_h - 1) sum_k (T_hk - Tbar_h)^2
	grand float64   // mean PSU total over all strata (LonelyAdjust)
	lsd2  float64   // sum over lonely strata of (1 - f_h) (T_h - grand)^2 (LonelyAdjust)
	lsd   float64   // sum over lonely strata of (1 - f_h) (T_h - grand) (LonelyAdjust)
}

// NewShared prepares the linearized variable infl (one value per unit of
// the design, multiplied by the design weights as in Linearized) to be the
// shared part of Sparse variances. It panics if len(infl) differs from
// the design's number of units.
func (l *Linearizer) NewShared(infl []float64) *Shared {
	ix := l.ix
	if len(infl) != ix.nunits {
		panic("indices: slice length mismatch")
	}
	g := &Shared{l: l, t: make([]float64, len(ix.psuStrat)), mean: make([]float64, len(ix.code))}
	for i, v := range infl {
		g.t[ix.psuOfUnit(i)] += weightAt(l.d.Weights, i) * v
	}
	for p, h := range ix.psuStrat {
		g.mean[h] += g.t[p]
		g.grand += g.t[p]
	}
	if len(g.t) > 0 {
		g.grand /= float64(len(g.t))
	}
	for h := range g.mean {
		g.mean[h] /= float64(ix.npsu[h])
	}
	ss := make([]float64, len(ix.code))
	for p, h := range ix.psuStrat {
		e := g.t[p] - g.mean[h]
		ss[h] += e * e
	}
	for h, n := range ix.npsu {
		switch scale := ix.scale[h]; {
		case scale < 1e-7:
		case n > 1:
			g.vt += scale * float64(n) / float64(n-1) * ss[h]
		default:
			e := g.mean[h] - g.grand
			g.lsd2 += scale * e * e
			g.lsd += scale * e
		}
	}
	return g
}

// Variance returns Linearized's V (the square of its SE) for the
// linearized variable c L + A, with A the variable accumulated by Add
// (zero on the other units) and L the shared variable g (none when g is
// nil; c is then ignored). With D_hk = c T_hk + A_hk its PSU totals, per
// stratum with two or more PSUs
//
//	sum_k {(D_hk - Dbar_h)^2} = c^2 sum_k {(T_hk - Tbar_h)^2}
//	                          + 2 c sum_{k touched} {(T_hk - Tbar_h) A_hk}
//	                          + sum_k {(A_hk - Abar_h)^2}
//
// whose first term g holds, so that the cost is that of the touched PSUs
// and strata; strata with one PSU follow the design's Lonely treatment as
// in Linearized (LonelyAdjust centres at the grand mean of all PSU totals,
// c Tbar + Abar, expanded the same way). It panics if g belongs to another
// Linearizer.
func (s *Sparse) Variance(c float64, g *Shared) float64 {
	l := s.l
	ix := l.ix
	if g != nil && g.l != l {
		panic("indices: shared variable of another design")
	}
	if g == nil {
		c = 0
	}
	npsu, k := len(ix.psuStrat), len(ix.code)
	if npsu == 0 {
		return math.NaN()
	}
	// Per touched stratum: the sum of the totals, then the squared
	// deviations from Abar_h = sum / n_h and the cross products with T.
	grandA := 0.0
	for _, p := range s.touched {
		h := ix.psuStrat[p]
		if s.strGen[h] != s.cur {
			s.strGen[h] = s.cur
			s.strSum[h], s.strSS[h], s.strCross[h], s.strCount[h] = 0, 0, 0, 0
			s.strata = append(s.strata, h)
		}
		s.strSum[h] += s.tot[p]
		s.strCount[h]++
		grandA += s.tot[p]
	}
	grandA /= float64(npsu)
	for _, p := range s.touched {
		h := ix.psuStrat[p]
		e := s.tot[p] - s.strSum[h]/float64(ix.npsu[h])
		s.strSS[h] += e * e
		if g != nil {
			s.strCross[h] += (g.t[p] - g.mean[h]) * s.tot[p]
		}
	}
	v := 0.0
	lonely := l.lonelyScale // sum of (1 - f_h) over the lonely strata not touched
	for _, h := range s.strata {
		n, scale := ix.npsu[h], ix.scale[h]
		switch {
		case scale < 1e-7:
		case n > 1:
			abar := s.strSum[h] / float64(n)
			ss := s.strSS[h] + float64(n-s.strCount[h])*abar*abar
			v += scale * float64(n) / float64(n-1) * (ss + 2*c*s.strCross[h])
		case l.d.Lonely == LonelyAdjust:
			// (c (T_h - Tg) + (A_h - Ag))^2: the squared A part here, the
			// cross part below.
			e := s.strSum[h] - grandA
			v += scale * e * e
			if g != nil {
				v += 2 * c * scale * (g.mean[h] - g.grand) * s.strSum[h]
			}
			lonely -= scale
		}
	}
	if l.nlonely > 0 {
		switch l.d.Lonely {
		case LonelyFail:
			return math.NaN()
		case LonelyAdjust:
			// Untouched lonely strata: A_h = 0, so (A_h - Ag)^2 = Ag^2.
			v += lonely * grandA * grandA
			if g != nil {
				v += c*c*g.lsd2 - 2*c*grandA*g.lsd
			}
		}
	}
	if g != nil {
		v += c * c * g.vt
	}
	if l.ok == 0 {
		return math.NaN()
	}
	return v * float64(k) / float64(l.ok)
}

// DF returns the degrees of freedom of the units added since the last
// Reset, as Design.DF of a design whose weights are zero on the other
// units: the PSUs touched minus the strata touched. It is valid after
// Variance (which finds the strata) and before the next Add or Reset.
func (s *Sparse) DF() int {
	return len(s.touched) - len(s.strata)
}

// Totals appends to psu and tot the PSUs with a total since the last Reset
// (as Add numbers them: the PSU of the design's unit, in order of first
// Add) and their totals A_hk, and returns the extended slices: the
// variable's PSU totals, to be added again later (Add on a design whose
// units are the PSUs).
func (s *Sparse) Totals(psu []int32, tot []float64) ([]int32, []float64) {
	for _, p := range s.touched {
		psu, tot = append(psu, p), append(tot, s.tot[p])
	}
	return psu, tot
}
