package pipeline

import (
	"math"
	"strconv"
)

// lorenzErrors sets the linearized standard errors of the Lorenz rows of
// breakdown g. The income of the poorest p of a domain D,
//
//	T(p) = S(<=q) + (pW - W(<=q)) q,
//
// q its quantile at p (LorenzOrdinate), has the linearized variable
//
//	t_i = (x_i - q) [x_i <= q] + p q     (i in D; 0 elsewhere)
//
// with no term for the estimated q: T's derivative in q, (pW - W(<=q)),
// vanishes at the quantile (Beach and Davidson 1983; the influence
// function of the generalized Lorenz ordinate). The rows are ratios of
// totals, GL = T / W and L = T / S, so
//
//	GL: z_i = (t_i - GL) / W,   L: z_i = (t_i - L x_i) / S,
//
// and at p = 1, GL is the mean (z_i = (x_i - GL) / W) and L = 1 has no
// sampling error. The variance is the design's over the domain's (domain,
// PSU) cells: one pass adds each unit's weight and income to its cell by
// the group of its domain's quantiles it falls in (as indices.ShareSums),
// and the cells' totals of z at each point follow from their cumulative
// sums. The design effect is left out (NaN).
func (j *seJob) lorenzErrors(g *grouping) {
	inds := lorenzAsked(j.s.Indicators)
	if len(inds) == 0 {
		return
	}
	rows := j.lorenzIndex()
	u, k := j.u, g.size()
	st := j.p.stats[statsRequest{cols: g.cols}.key()]
	cutPs := LorenzCutShares()
	np := len(cutPs)
	G := np + 1 // groups per cell
	qs := make([][]float64, k)
	for d := range qs {
		qs[d] = make([]float64, np)
		for m, p := range cutPs {
			qs[d][m] = st.quantiles[p][d]
		}
	}
	cells := j.e.cells(j.members(g))
	nc := len(cells.psu)
	// wi[2(m*nc+c)], wi[2(m*nc+c)+1]: the weight and income of cell c's
	// units of groups 0..m (cumulative after the pass), side by side (a
	// unit's cell is as good as random: its two sums share a cache line),
	// group by group (each point then reads its cells in sequence).
	wi := make([]float64, 2*nc*G)
	for i, c := range cells.of {
		x := u.x[i]
		grp := 0 // the number of cuts below x, without a branch
		for _, q := range qs[g.codes[i]] {
			grp += b2i(q < x)
		}
		at := 2 * (grp*nc + int(c))
		wi[at] += u.w[i]
		wi[at+1] += u.w[i] * x
	}
	for m := 1; m < G; m++ {
		prev, cur := wi[2*(m-1)*nc:2*m*nc], wi[2*m*nc:2*(m+1)*nc]
		for k := range cur {
			cur[k] += prev[k]
		}
	}
	total := wi[2*np*nc:] // each cell's weight and income
	sp := j.e.sparse()
	defer j.e.sparsePool.Put(sp)
	ps := LorenzPoints()
	method := j.e.methodName()
	for d := range k {
		dk := domainKey(g.domain(d))
		W, S := st.pop[d], st.income[d]
		for _, ind := range inds {
			for m, p := range ps {
				r, ok := rows[lorenzRowKey(ind, dk, p)]
				if !ok || math.IsNaN(r.Estimate) {
					continue
				}
				if ind == "lorenz" && m == np { // L(1) = 1
					r.SE, r.CILower, r.CIUpper, r.RSE, r.SEMethod = 0, 1, 1, 0, "fixed: L(1) = 1"
					continue
				}
				sp.Reset()
				lorenz := ind == "lorenz"
				below := wi[2*m*nc:] // p = 1: every group, T = S
				q := 0.0
				if m < np {
					q = qs[d][m]
				}
				for c := cells.off[d]; c < cells.off[d+1]; c++ {
					wc, sc := total[2*c], total[2*c+1]
					t := below[2*c+1] - q*below[2*c] + p*q*wc
					z := (t - r.Estimate*wc) / W
					if lorenz {
						z = (t - r.Estimate*sc) / S
					}
					sp.Add(int(cells.psu[c]), z)
				}
				se := math.Sqrt(sp.Variance(0, nil))
				r.SE, r.SEMethod = se, method
				r.CILower, r.CIUpper = j.e.interval(r.Estimate, se)
				r.RSE = se / math.Abs(r.Estimate)
				r.Unreliable = j.s.RSELimit > 0 && r.RSE > j.s.RSELimit
			}
		}
	}
}

// lorenzIndex returns the Lorenz rows of the results by indicator, domain
// and point (lorenzRowKey), made once.
func (j *seJob) lorenzIndex() map[string]*Result {
	j.lorenzOnce.Do(func() {
		j.lorenzRows = map[string]*Result{}
		for i := range j.results {
			r := &j.results[i]
			if r.At != nil && (r.Indicator == "lorenz" || r.Indicator == "generalized_lorenz") {
				j.lorenzRows[lorenzRowKey(r.Indicator, domainKey(r.Domain), *r.At)] = r
			}
		}
	})
	return j.lorenzRows
}

func lorenzRowKey(ind, domain string, p float64) string {
	return ind + "\x00" + domain + "\x00" + strconv.FormatFloat(p, 'g', -1, 64)
}
