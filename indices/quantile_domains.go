package indices

import (
	"math"
	"slices"
)

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
	for i := range x {
		v, w, ok := masked(keep, x, weights, i)
		if !ok {
			continue
		}
		j := int32(0)
		if domain != nil {
			j = domain[i]
		}
		d.H[j].addBucket(uint32(orderKey(v)>>(64-HistogramBits)), w, 1, v, v)
	}
}

// masked returns unit i's value and weight, and whether a histogram takes
// it: keep selects it (nil keep: every unit) and its weight is positive.
// It panics on a negative or NaN weight or a NaN value.
func masked(keep []bool, x, weights []float64, i int) (v, w float64, ok bool) {
	if keep != nil && !keep[i] {
		return 0, 0, false
	}
	v, w = x[i], 1
	if weights != nil {
		w = weights[i]
	}
	if !(w >= 0) {
		panic("indices: negative weight")
	}
	if v != v {
		panic("indices: NaN value in a quantile histogram")
	}
	return v, w, w != 0
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

// MergeBlock adds to d the histograms of one block of units, with the
// bits of d.Merge of a DomainHistograms to which the block was added
// (AddMasked) but without a grid for the block: its units are sorted by
// domain and bucket instead, so that a small block costs in proportion to
// its units rather than to a page table per domain. The arguments are
// AddMasked's; it panics as AddMasked does, or if a domain is 2^20 or more
// or the block has 2^24 units or more (use AddMasked and Merge then).
func (d *DomainHistograms) MergeBlock(domain []int32, keep []bool, x, weights []float64) {
	checkMasked(domain, keep, x, weights)
	if len(x) >= 1<<24 {
		panic("indices: block too large for MergeBlock")
	}
	// Key: domain (20 bits), bucket (HistogramBits), position (24 bits),
	// so that a domain's bucket holds its units in unit order.
	keys := make([]uint64, 0, len(x))
	for i := range x {
		v, _, ok := masked(keep, x, weights, i)
		if !ok {
			continue
		}
		j := int32(0)
		if domain != nil {
			j = domain[i]
		}
		if j < 0 || int(j) >= len(d.H) || j >= 1<<20 {
			panic("indices: domain out of range")
		}
		keys = append(keys, (uint64(j)<<HistogramBits|uint64(HistogramBucket(v)))<<24|uint64(i))
	}
	slices.Sort(keys)
	for k := 0; k < len(keys); {
		cell := keys[k] >> 24
		b := Bucket{Index: uint32(cell & (1<<HistogramBits - 1)), Min: math.Inf(1), Max: math.Inf(-1)}
		w := 0.0 // added in unit order, as the block's own histogram adds it
		for ; k < len(keys) && keys[k]>>24 == cell; k++ {
			i := int(keys[k] & (1<<24 - 1))
			if weights != nil {
				w += weights[i]
			} else {
				w += 1
			}
			b.N++
			b.Min, b.Max = min(b.Min, x[i]), max(b.Max, x[i])
		}
		b.W = w
		d.H[cell>>HistogramBits].addBucket(b.Index, b.W, b.N, b.Min, b.Max)
	}
}
