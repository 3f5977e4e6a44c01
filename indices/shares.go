package indices

import (
	"math"
	"sort"
)

// Quantiles returns Quantile(p, x, weights) for each p of ps, from one copy
// of x and weights (one selection per p, no sort). If dst is nil a new slice
// is allocated; otherwise it must have length len(ps). The values are NaN
// when x is empty or the total weight is zero. It panics if a p is outside
// [0, 1], the lengths differ or a weight is negative.
func Quantiles(dst, ps, x, weights []float64) []float64 {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	if dst == nil {
		dst = make([]float64, len(ps))
	} else if len(dst) != len(ps) {
		panic("indices: destination length mismatch")
	}
	xs := append([]float64(nil), x...)
	ws := make([]float64, len(x))
	if weights == nil {
		for i := range ws {
			ws[i] = 1
		}
	} else {
		copy(ws, weights)
	}
	for j, p := range ps {
		dst[j] = QuantileInPlace(p, xs, ws)
	}
	return dst
}

// QSR returns the income quintile share ratio S80/S20 exactly as R
// laeken's qsr: the income of the units above the 80th percentile over the
// income of the units at or below the 20th,
//
//	QSR = sum_i {w_i x_i [x_i > P80]} / sum_i {w_i x_i [x_i <= P20]}
//
// with P20 and P80 the weighted quantiles of Quantile (laeken's rule). A
// unit whose income equals a cut point belongs to the group below it: to
// the bottom group at P20, not to the top group at P80. Negative incomes
// are kept as they are. nil weights mean every unit has weight 1.
//
// It returns NaN when the total weight or the income of the bottom group is
// zero, and panics if the lengths differ or a weight is negative. It costs
// one copy, two selections and one pass; QSRAt takes the two quantiles
// already computed.
//
// Reference: Eurostat (2004), EU-SILC 131-rev/04; Alfons & Templ (2013),
// J. Stat. Softw. 54(15) (laeken's qsr).
func QSR(x, weights []float64) float64 {
	var q [2]float64
	Quantiles(q[:], []float64{0.2, 0.8}, x, weights)
	return QSRAt(x, weights, q[0], q[1])
}

// QSRAt is QSR given P20 and P80: one pass, no copy.
func QSRAt(x, weights []float64, p20, p80 float64) float64 {
	return tailRatio(x, weights, p20, p80)
}

// Palma returns the Palma ratio, the income of the top 10% over the income
// of the bottom 40%, with the quantile and tie conventions of QSR:
//
//	Palma = sum_i {w_i x_i [x_i > P90]} / sum_i {w_i x_i [x_i <= P40]}
//
// nil weights mean every unit has weight 1. It returns NaN when the total
// weight or the income of the bottom group is zero, and panics if the
// lengths differ or a weight is negative. PalmaAt takes the two quantiles
// already computed.
//
// Reference: Palma (2011), Homogeneous middles vs. heterogeneous tails, and
// the end of the 'inverted-U', Development and Change 42(1), 87–153; Cobham
// & Sumner (2013), Is it all about the tails? The Palma measure of income
// inequality, CGD Working Paper 343.
func Palma(x, weights []float64) float64 {
	var q [2]float64
	Quantiles(q[:], []float64{0.4, 0.9}, x, weights)
	return PalmaAt(x, weights, q[0], q[1])
}

// PalmaAt is Palma given P40 and P90: one pass, no copy.
func PalmaAt(x, weights []float64, p40, p90 float64) float64 {
	return tailRatio(x, weights, p40, p90)
}

// tailRatio returns sum w x [x > hi] / sum w x [x <= lo], NaN when the
// denominator is zero (or lo or hi is NaN, when no unit takes part).
func tailRatio(x, weights []float64, lo, hi float64) float64 {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	top, bottom := 0.0, 0.0
	for i, v := range x {
		w := weightAt(weights, i)
		if w < 0 {
			panic("indices: negative weight")
		}
		if v > hi {
			top += w * v
		}
		if v <= lo {
			bottom += w * v
		}
	}
	if bottom == 0 || math.IsNaN(lo) || math.IsNaN(hi) {
		return math.NaN()
	}
	return top / bottom
}

// Shares returns the shares of total income of the k quantile groups of x
// (k = 5: quintile shares, k = 10: decile shares):
//
//	S_j = sum_i {w_i x_i [P_{(j-1)/k} < x_i <= P_{j/k}]} / sum_i {w_i x_i},   j = 1..k
//
// with the weighted quantiles P of Quantile; the first group is
// x_i <= P_{1/k} and the last x_i > P_{(k-1)/k}. The shares sum to 1. A unit
// whose income equals a cut point belongs to the group below it, so all
// units tied at a cut fall in one group: a group's weight share is
// 1/k only approximately, and a group between two equal cut points is
// empty (share 0). Negative incomes are kept as they are. nil weights mean
// every unit has weight 1.
//
// Group j's share is the (j-1)-th element. The shares are NaN when the total
// weight or the total income is zero. It panics if k < 1, the lengths
// differ or a weight is negative. It costs k-1 selections and one pass;
// SharesAt takes cut points already computed.
//
// Reference: Eurostat (2004), EU-SILC 131-rev/04 (S80/S20, income
// quintile shares).
func Shares(x, weights []float64, k int) []float64 {
	if k < 1 {
		panic("indices: fewer than one quantile group")
	}
	ps := make([]float64, k-1)
	for j := range ps {
		ps[j] = float64(j+1) / float64(k)
	}
	return SharesAt(nil, x, weights, Quantiles(nil, ps, x, weights))
}

// SharesAt returns the income shares of the len(cuts)+1 groups that the
// cut points cuts (non-decreasing, such as the quantiles of Shares) make,
// with the tie rule of Shares: group 0 is x <= cuts[0], group j is
// cuts[j-1] < x <= cuts[j], the last x > cuts[len(cuts)-1]. If dst is nil a
// new slice is allocated; otherwise it must have length len(cuts)+1. The
// shares are NaN when a cut is NaN (the quantiles of an empty domain) or the
// total income is zero. It panics if the cuts decrease, the lengths differ
// or a weight is negative.
func SharesAt(dst, x, weights, cuts []float64) []float64 {
	s := NewShareSums(cuts)
	s.AddAll(x, weights)
	return s.Shares(dst)
}

// ShareSums holds the weight and income of each group that fixed cut
// points make (see SharesAt for the groups and the tie rule), accumulated in
// one pass. Sums over disjoint parts with the same cut points merge, so a
// job that knows the quantiles of a domain can split its rows into
// partitions and combine the partial sums. From decile cuts (P10, ..., P90)
// one ShareSums gives the decile and quintile shares, the QSR
// (TailRatio(2, 2)) and the Palma ratio (TailRatio(1, 4)), equal to QSRAt and
// PalmaAt.
//
// A ShareSums holds slices: make one with NewShareSums; Merge does not
// modify its argument.
type ShareSums struct {
	Cuts   []float64 // the cut points, non-decreasing; k-1 of them for k groups
	Pop    []float64 // sum w per group
	Income []float64 // sum w x per group

	undefined bool // a cut is NaN
}

// NewShareSums returns empty sums for the len(cuts)+1 groups of cuts. It
// panics if the cuts decrease; a NaN cut makes every share NaN.
func NewShareSums(cuts []float64) ShareSums {
	s := ShareSums{
		Cuts:   append([]float64(nil), cuts...),
		Pop:    make([]float64, len(cuts)+1),
		Income: make([]float64, len(cuts)+1),
	}
	for j, c := range cuts {
		if math.IsNaN(c) {
			s.undefined = true
		} else if j > 0 && c < cuts[j-1] {
			panic("indices: decreasing cut points")
		}
	}
	return s
}

// Group returns the group of income x: the number of cut points below x.
func (s *ShareSums) Group(x float64) int {
	if len(s.Cuts) <= 32 { // counted without a branch (the deciles, the Lorenz curves' 19 points): the cuts do not decrease
		j := 0
		for _, c := range s.Cuts {
			if c < x {
				j++
			}
		}
		return j
	}
	return sort.Search(len(s.Cuts), func(j int) bool { return !(s.Cuts[j] < x) })
}

// Add adds one unit with income x and weight w to its group.
func (s *ShareSums) Add(x, w float64) {
	j := s.Group(x)
	s.Pop[j] += w
	s.Income[j] += w * x
}

// AddAll adds every unit of x with its weight (nil weights: 1). It panics if
// the lengths differ or a weight is negative.
func (s *ShareSums) AddAll(x, weights []float64) {
	eachUnit(x, weights, s.Add)
}

// Merge adds the sums of o, accumulated over other units with the same cut
// points, to s. It panics if the cut points differ.
func (s *ShareSums) Merge(o ShareSums) {
	if len(o.Cuts) != len(s.Cuts) {
		panic("indices: merging ShareSums with different cut points")
	}
	for j, c := range o.Cuts {
		if c != s.Cuts[j] && !(math.IsNaN(c) && math.IsNaN(s.Cuts[j])) {
			panic("indices: merging ShareSums with different cut points")
		}
	}
	for j := range s.Pop {
		s.Pop[j] += o.Pop[j]
		s.Income[j] += o.Income[j]
	}
}

// Shares returns each group's share of the total income; NaN when a cut is
// NaN or the total income is zero. If dst is nil a new slice is allocated;
// otherwise it must have length len(s.Cuts)+1.
func (s ShareSums) Shares(dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, len(s.Income))
	} else if len(dst) != len(s.Income) {
		panic("indices: destination length mismatch")
	}
	total := 0.0
	for _, v := range s.Income {
		total += v
	}
	for j, v := range s.Income {
		if total == 0 || s.undefined {
			dst[j] = math.NaN()
		} else {
			dst[j] = v / total
		}
	}
	return dst
}

// TailRatio returns the income of the top groups over the income of the
// bottom groups: the sum of Income over the last top groups divided by the
// sum over the first bottom groups. NaN when a cut is NaN or the bottom
// income is zero. It panics unless top >= 1, bottom >= 1 and
// top + bottom <= len(s.Cuts)+1.
func (s ShareSums) TailRatio(top, bottom int) float64 {
	k := len(s.Income)
	if top < 1 || bottom < 1 || top+bottom > k {
		panic("indices: tail groups out of range")
	}
	num, den := 0.0, 0.0
	for _, v := range s.Income[k-top:] {
		num += v
	}
	for _, v := range s.Income[:bottom] {
		den += v
	}
	if den == 0 || s.undefined {
		return math.NaN()
	}
	return num / den
}
