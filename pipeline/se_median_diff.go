package pipeline

import (
	"math"

	"github.com/povstat/povstat/indices"
)

// keepMedian keeps the linearized record of the median q of domain d of g
// (the units of sorted, in increasing order of income; their (domain, PSU)
// cells in cells), for the standard errors of its differences (changes
// between periods, differences of domains): the quantile's influence
// function over the domain's units, as indices.QuantileInfluence and R
// convey's svyiqalpha,
//
//	z_i = -([x_i <= q] - 1/2) / (N_D f_D(q))   for i in D, 0 elsewhere
//
// with N_D the weight of D and f_D(q) = indices.KernelDensity of the
// domain's incomes at q with their own indices.Bandwidth (a Gaussian
// kernel, R convey's h_fun). The row's own SE and interval stay
// Woodruff's; a difference of two medians then has the variance of
// z_a - z_b over the full design, covariance included (diffVariance).
// Nothing is kept when q or the density is undefined (the difference's
// SE is then "unavailable") or the study keeps no records.
func (j *seJob) keepMedian(cells *psuCells, g *grouping, d int, sorted *sortedMembers, q float64) {
	if j.records == nil || math.IsNaN(q) {
		return
	}
	_, xs, ws := sorted.domain(d)
	N := 0.0
	for _, w := range ws {
		N += w
	}
	f := indices.KernelDensitySorted(xs, ws, q, indices.Bandwidth(xs, ws))
	if !(N > 0) || !(f > 0) || math.IsInf(f, 0) {
		return
	}
	// z takes two values, by [x_i <= q].
	vals := [2]float64{0.5 / (N * f), -0.5 / (N * f)}
	base := cells.off[d]
	tot := make([]float64, cells.off[d+1]-base)
	for k, cell := range sorted.cells(d) {
		tot[int(cell)-base] += ws[k] * vals[b2i(xs[k] <= q)]
	}
	j.keep("median", "", g, d, &linRecord{psu: cells.psu[base:cells.off[d+1]], tot: tot, method: j.e.methodName()})
}
