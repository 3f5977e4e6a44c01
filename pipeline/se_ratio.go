package pipeline

import "math"

// ratioSE gives rows that are ratios or totals of per-unit indicators
// their linearized standard errors under the study's design: the panel
// dynamics (the household-years of every wave are the units of one
// design, so that a household seen in several years adds to its PSU's
// total in each) and the classification of groups (the flags held fixed).
// A row is a domain estimate of the full design; nothing is cut out of
// the sample.
//
// A rate or share is the ratio R = sum w y / sum w x of a unit's numerator
// y and base x (0 or 1; poor_years_share's y is a fraction), whose
// linearized variable is z = (y - R x) / X, X = sum w x; a count is the
// total sum w y, z = y. The variance is that of the PSU totals of w z
// (indices.Sparse over the design's PSUs), the design effect against
// simple random sampling of as many units. The rows of a line hold it
// fixed (the method says so, as povstat indices says of a headcount under
// an absolute line): a relative line's own variance is left out.
type ratioSE struct {
	e *varEngine
	u *units
	s *Study
}

// newRatioSE returns nil unless study s asks for linearized standard
// errors (the bootstrap and replicate weights estimate the rows again
// instead: sectionReplicateErrors).
func newRatioSE(s *Study, u *units) (*ratioSE, error) {
	if s.SEMethod != "linearized" {
		return nil, nil
	}
	e, err := newVarEngine(s, u)
	if err != nil {
		return nil, err
	}
	return &ratioSE{e: e, u: u, s: s}, nil
}

// ratio sets the SE of r, a ratio over the units members with numerator
// y(i) and base x(i) (x nil: a total of y).
func (ps *ratioSE) ratio(r *Result, members []int32, y, x func(i int) float64) {
	if ps == nil {
		return
	}
	if math.IsNaN(r.Estimate) {
		markNoSE(ps.s, r) // no estimate, no SE
		return
	}
	w := ps.u.w
	num, den := 0.0, 0.0
	for _, i := range members {
		num += w[i] * y(int(i))
		if x != nil {
			den += w[i] * x(int(i))
		}
	}
	z := func(i int) float64 { return y(i) }
	if x != nil {
		if den == 0 {
			markNoSE(ps.s, r)
			return
		}
		rat := num / den
		z = func(i int) float64 { return (y(i) - rat*x(i)) / den }
	}
	sp := ps.e.sparse()
	defer ps.e.sparsePool.Put(sp)
	sp.Reset()
	var sumA, sumAA float64
	for _, i := range members {
		if v := z(int(i)); v != 0 {
			a := w[i] * v
			sp.Add(int(ps.e.psu[i]), a)
			sumA += a
			sumAA += a * a
		}
	}
	v := sp.Variance(0, nil)
	n := float64(len(w))
	srs := n / (n - 1) * max(sumAA-sumA*sumA/n, 0)
	se := math.Sqrt(v)
	r.SE = se
	r.CILower, r.CIUpper = ps.e.interval(r.Estimate, se)
	r.RSE = se / math.Abs(r.Estimate)
	r.Deff = math.NaN()
	if srs > 0 {
		r.Deff = v / srs
	}
	r.SEMethod = ps.e.methodName()
	if r.Line != "" {
		r.SEMethod += ", line fixed"
	}
	r.Unreliable = ps.s.RSELimit > 0 && r.RSE > ps.s.RSELimit
}
