package indices

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// Mean returns the weighted mean of x,
//
//	sum_i {w_i * x_i} / sum_i {w_i}
//
// nil weights mean every unit has weight 1. It returns NaN when the total
// weight is zero and panics if the lengths differ.
func Mean(x, weights []float64) float64 {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	if len(x) == 0 {
		return math.NaN()
	}
	return stat.Mean(x, weights)
}

// FGT returns the Foster–Greer–Thorbecke poverty index of order alpha for
// the poverty line z:
//
//	P_alpha = sum_i {w_i * [x_i < z] * ((z - x_i) / z)^alpha} / sum_i {w_i}
//
// alpha = 0 is the headcount ratio (the share of units that are poor),
// alpha = 1 the poverty gap index and alpha = 2 the severity index (squared
// gap). A unit is poor when x_i < z (strictly). Negative incomes are kept:
// their gap exceeds 1. nil weights mean every unit has weight 1.
//
// It returns NaN when the total weight is zero or z <= 0 (no relative gap
// exists), and panics if the lengths differ or alpha < 0.
//
// Reference: Foster, Greer & Thorbecke (1984), A class of decomposable
// poverty measures, Econometrica 52(3), 761–766.
func FGT(x, weights []float64, z, alpha float64) float64 {
	if alpha < 0 {
		panic("indices: negative FGT alpha")
	}
	var s PovertySums
	s.AddAll(x, weights, z)
	switch alpha {
	case 0:
		return s.Headcount()
	case 1:
		return s.Gap()
	case 2:
		return s.Severity()
	}
	if s.Pop == 0 || !(z > 0) {
		return math.NaN()
	}
	num := 0.0
	for i, v := range x {
		if v < z {
			num += weightAt(weights, i) * math.Pow((z-v)/z, alpha)
		}
	}
	return num / s.Pop
}

// Watts returns the Watts poverty index for the line z,
//
//	W = sum_i {w_i * [x_i < z] * ln(z / x_i)} / sum_i {w_i}     over x_i > 0
//
// The index is undefined for x_i <= 0; as in R convey's svywatts, such units
// are left out of numerator and denominator alike. NonPositive counts them.
// nil weights mean every unit has weight 1. It returns NaN when no unit with
// positive income has positive weight or z <= 0, and panics if the lengths
// differ.
//
// Reference: Watts (1968), An economic definition of poverty, in Moynihan
// (ed.), On Understanding Poverty; Zheng (1993), Axiomatic characterization
// of the Watts poverty index, Econ. Letters 42, 81–86.
func Watts(x, weights []float64, z float64) float64 {
	var s PovertySums
	s.AddAll(x, weights, z)
	return s.Watts()
}

// NonPositive returns the number and the total weight of units with x <= 0,
// the units that Watts, Theil and other logarithmic measures leave out.
func NonPositive(x, weights []float64) (n int, weight float64) {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	for i, v := range x {
		if v <= 0 {
			n++
			weight += weightAt(weights, i)
		}
	}
	return n, weight
}

// PoorIncomes returns the incomes and weights of the poor units, x_i < z,
// in their original order. nil weights give nil weights back.
func PoorIncomes(x, weights []float64, z float64) (px, pw []float64) {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	for i, v := range x {
		if v < z {
			px = append(px, v)
			if weights != nil {
				pw = append(pw, weights[i])
			}
		}
	}
	return px, pw
}

// RMPG returns the relative median poverty gap (Eurostat) for the line z,
//
//	RMPG = (z - Q_{0.5}(x_i : x_i < z)) / z
//
// where Q_{0.5} is the weighted median (Quantile) of the incomes of the poor.
// nil weights mean every unit has weight 1. It returns NaN when no unit with
// positive weight is poor or z <= 0, and panics if the lengths differ.
//
// Reference: Eurostat (2004), EU-SILC 131-rev/04; R laeken's rmpg.
func RMPG(x, weights []float64, z float64) float64 {
	px, pw := PoorIncomes(x, weights, z)
	return RMPGPoor(px, pw, z)
}

// RMPGPoor is RMPG given only the incomes and weights of the poor (x < z);
// it reorders px and pw.
func RMPGPoor(px, pw []float64, z float64) float64 {
	if !(z > 0) {
		return math.NaN()
	}
	return (z - QuantileInPlace(0.5, px, pw)) / z
}

// Sen returns the Sen poverty index for the line z in its usual large-sample
// form,
//
//	S = H * (I + (1 - I) * G_p)
//
// where H is the headcount ratio, I = 1 - mu_p / z the income gap ratio of
// the poor (mu_p their weighted mean income) and G_p the Gini coefficient of
// the incomes of the poor (Gini, laeken's weighted formula). Equivalently
// S = P_1 + H * (1 - I) * G_p. nil weights mean every unit has weight 1.
// Negative incomes are kept as they are. It returns NaN when the total weight
// is zero or z <= 0, 0 when nobody is poor, and panics if the lengths differ.
//
// Reference: Sen (1976), Poverty: an ordinal approach to measurement,
// Econometrica 44(2), 219–231 (the limiting form for a large number of
// poor); Foster, Greer & Thorbecke (1984), section 2.
func Sen(x, weights []float64, z float64) float64 {
	var s PovertySums
	s.AddAll(x, weights, z)
	px, pw := PoorIncomes(x, weights, z)
	for i := range px {
		px[i] /= z
	}
	return SenPoor(s, px, pw)
}

// SenPoor is Sen from the sums of the whole population (s) and the incomes
// of its poor units relative to their lines, r_i = x_i / z_i, with their
// weights. It reorders r and pw. With one line for all units it equals Sen;
// with lines that differ by group it is Sen's index of the incomes relative
// to each unit's own line, I = s.SumGap / s.Poor and G_p = Gini(r).
func SenPoor(s PovertySums, r, pw []float64) float64 {
	return SenIndex(s, GiniInPlace(r, pw))
}

// SenIndex combines the sums of a population and the Gini coefficient of
// the relative incomes of its poor, gp, into Sen's index
// H * (I + (1 - I) * gp) with I = s.SumGap / s.Poor. A NaN gp (every poor
// unit has income 0) counts as 0.
func SenIndex(s PovertySums, gp float64) float64 {
	h := s.Headcount()
	if math.IsNaN(h) || s.badLine {
		return math.NaN()
	}
	if s.Poor == 0 {
		return 0
	}
	gi := s.SumGap / s.Poor
	if math.IsNaN(gp) {
		gp = 0
	}
	return h * (gi + (1-gi)*gp)
}

// Gini returns the Gini coefficient of x by the weighted formula of Eurostat
// and R laeken's gini:
//
//	G = (2 * sum_i {w_i x_i C_i} - sum_i {w_i^2 x_i}) / (N * sum_i {w_i x_i}) - 1
//
// over x sorted increasingly, with C_i = sum_{j<=i} w_j and N = sum_i w_i.
// With unit weights this is G = 2 sum_i {i x_(i)} / (n sum x) - (n+1)/n.
// (R convey's svygini uses 2 C_i - 1 in place of 2 C_i - w_i; the two differ
// slightly with non-unit weights.) The order of tied incomes does not change
// G. nil weights mean every unit has weight 1. It returns NaN when the total
// weight or the total income is zero, and panics if the lengths differ.
// Gini does not modify its arguments; it sorts a copy in O(n log n).
//
// Reference: Eurostat (2004), EU-SILC 131-rev/04; Alfons & Templ (2013),
// J. Stat. Softw. 54(15).
func Gini(x, weights []float64) float64 {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	xs := append([]float64(nil), x...)
	var ws []float64
	if weights != nil {
		ws = append([]float64(nil), weights...)
	}
	return GiniInPlace(xs, ws)
}

// GiniInPlace is Gini without the copy: it sorts x (and weights alongside).
func GiniInPlace(x, weights []float64) float64 {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	if weights == nil {
		sort.Float64s(x)
	} else {
		sort.Sort(pairs{x, weights})
	}
	var g GiniSums
	for i, v := range x {
		g.AddSorted(v, weightAt(weights, i))
	}
	return g.Gini()
}

// GiniSums accumulates laeken's Gini over units added in increasing order of
// income, so that the Gini of many domains comes from one pass over units
// sorted once: each domain's units, taken in the global order, are sorted
// too. The zero value is empty.
type GiniSums struct {
	cum  float64 // sum w so far: C_i
	swxc float64 // sum w x C
	sw2x float64 // sum w^2 x
	swx  float64 // sum w x
}

// AddSorted adds a unit with income x and weight w; x must not be smaller
// than any income added before.
func (g *GiniSums) AddSorted(x, w float64) {
	g.cum += w
	g.swxc += w * x * g.cum
	g.sw2x += w * w * x
	g.swx += w * x
}

// Gini returns the coefficient of the units added, NaN when their total
// weight or income is zero.
func (g GiniSums) Gini() float64 {
	if g.cum == 0 || g.swx == 0 {
		return math.NaN()
	}
	return (2*g.swxc-g.sw2x)/(g.cum*g.swx) - 1
}

type pairs struct{ x, w []float64 }

func (p pairs) Len() int           { return len(p.x) }
func (p pairs) Less(i, j int) bool { return p.x[i] < p.x[j] }
func (p pairs) Swap(i, j int) {
	p.x[i], p.x[j] = p.x[j], p.x[i]
	p.w[i], p.w[j] = p.w[j], p.w[i]
}

func weightAt(weights []float64, i int) float64 {
	if weights == nil {
		return 1
	}
	return weights[i]
}
