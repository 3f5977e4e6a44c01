package indices

import "slices"

// Masked passes of the streaming quantile over units held in memory: the
// same histograms and candidates as DomainHistograms.AddAll and
// QuantileCandidates.AddAll, over the units a mask selects, in one loop
// without a call per unit. A job over a large population runs them on
// chunks of its units in parallel and merges the chunks in order.

// AddMasked adds the units i where keep[i] is true (nil keep: every unit)
// to the histograms of their domains, domain[i] in [0, k) (nil domain:
// every unit in domain 0, no codes read), as Add does one
// by one: the value x[i] with weight weights[i] (nil weights: 1); units of
// weight 0 take no part. It panics if the lengths differ, or, for a
// selected unit, if its weight is negative or NaN, its value NaN or its
// domain out of range.
func (d *DomainHistograms) AddMasked(domain []int32, keep []bool, x, weights []float64) {
	checkMasked(domain, keep, x, weights)
	for i, v := range x {
		if keep != nil && !keep[i] {
			continue
		}
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		if !(w >= 0) {
			panic("indices: negative weight")
		}
		if v != v {
			panic("indices: NaN value in a quantile histogram")
		}
		if w == 0 {
			continue
		}
		j := int32(0)
		if domain != nil {
			j = domain[i]
		}
		d.H[j].addBucket(uint32(orderKey(v)>>(64-HistogramBits)), w, 1, v, v)
	}
}

// AddMasked keeps, among the units i where keep[i] is true (nil keep:
// every unit), those that Add keeps: positive weight and a value in a
// bucket wanted in their domain, domain[i] (nil domain: domain 0). It
// panics if the lengths differ, or, for a selected unit, if its weight is
// negative or its domain out of range.
func (c *QuantileCandidates) AddMasked(domain []int32, keep []bool, x, weights []float64) {
	checkMasked(domain, keep, x, weights)
	c.want()
	for i, v := range x {
		if keep != nil && !keep[i] {
			continue
		}
		j := int32(0)
		if domain != nil {
			j = domain[i]
		}
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		if w < 0 {
			panic("indices: negative weight")
		}
		wanted := c.wanted[j]
		if len(wanted) == 0 || !(w > 0) {
			continue
		}
		if slices.Contains(wanted, HistogramBucket(v)) {
			c.X[j] = append(c.X[j], v)
			c.W[j] = append(c.W[j], w)
		}
	}
}

func checkMasked(domain []int32, keep []bool, x, weights []float64) {
	if domain != nil && len(domain) != len(x) || keep != nil && len(keep) != len(x) || weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
}
