package pipeline

import (
	"cmp"
	"math"
	"slices"

	"github.com/povstat/povstat/indices"
)

// groupedLine is a grouped relative line (median:F@COL or mean:F@COL),
// prepared for the headcount's variance: each group g's line z_g = F stat_g
// is estimated from the group's own reference units, so it has its own
// linearized variable L^(g), which is zero outside the group (Osier 2009,
// per group):
//
//	median:  L_i = -F ([x_i <= m_g] - 1/2) / (N_g f_g(m_g)),   m_g = z_g / F
//	mean:    L_i = F (x_i - mu_g) / N_g,                        mu_g = z_g / F
//
// for the reference units i of group g (N_g their weight, f_g the kernel
// density of their incomes with their own bandwidth h_g, as
// indices.RelativeLine for one group); L_i is 0 for other units. What the
// variances need of L^(g) is its PSU totals.
type groupedLine struct {
	h     []float64 // per group: the bandwidth of its reference units
	cellW []float64 // the weight of the units of each F-domain f (finest grouping) and group g: [f*groups+g]
	psus  [][]int32 // per group: the PSUs of its reference units
	tot   [][]float64
}

// computeGroupedLine prepares a grouped relative line; nil for other lines
// and when the reference units cannot be found.
func (j *seJob) computeGroupedLine(lv *lineValues) *groupedLine {
	l, u := lv.line, j.u
	if len(l.By) == 0 || (l.Basis != "median" && l.Basis != "mean") {
		return nil
	}
	mask, err := whereMask(u, l)
	if err != nil {
		return nil
	}
	k := lv.groups.size()
	codes := lv.groups.codes
	// The reference units of each group, in unit order.
	ref := maskedMembers(codes, k, mask, nil)
	gl := &groupedLine{h: make([]float64, k), psus: make([][]int32, k), tot: make([][]float64, k)}
	F := j.p.groupings[colsKey(j.p.finestCols)]
	gl.cellW = make([]float64, F.size()*k)
	for i, f := range F.codes {
		gl.cellW[int(f)*k+int(codes[i])] += u.w[i]
	}
	sp := j.e.sparse()
	defer j.e.sparsePool.Put(sp)
	for g := range k {
		idx := ref.idx[ref.off[g]:ref.off[g+1]]
		zg := lv.values[g]
		xs, ws := make([]float64, len(idx)), make([]float64, len(idx))
		N := 0.0
		for k, i := range idx {
			xs[k], ws[k] = u.x[i], u.w[i]
			N += u.w[i]
		}
		gl.h[g] = indices.Bandwidth(xs, ws)
		if math.IsNaN(zg) || N == 0 {
			gl.h[g] = math.NaN()
			continue
		}
		// The statistic itself (z_g / F may differ from it in the last
		// bit, which moves the units tied at the median).
		sp.Reset()
		switch l.Basis {
		case "median":
			stat := indices.Quantile(0.5, xs, ws)
			f := indices.KernelDensity(xs, ws, stat, gl.h[g])
			for k, i := range idx {
				L := -l.Value * (b2f(xs[k] <= stat) - 0.5) / (N * f)
				sp.Add(int(j.e.psu[i]), ws[k]*L)
			}
		case "mean":
			stat := 0.0
			for k, x := range xs {
				stat += ws[k] * x
			}
			stat /= N
			for k, i := range idx {
				L := l.Value * (xs[k] - stat) / N
				sp.Add(int(j.e.psu[i]), ws[k]*L)
			}
		}
		gl.psus[g], gl.tot[g] = sp.Totals(nil, nil)
	}
	return gl
}

// groupedHeadcount sets the SE of the headcount under a grouped relative
// line in every domain D of g, with the variance of every group's line:
//
//	z_i = ([x_i < z_g(i)] - H_D) / N_D [i in D] + sum_g c_Dg L^(g)_i
//	c_Dg = sum_{i in D, g} {w_i K((z_g - x_i)/h_g)} / (N_D h_g)
//
// c_Dg is dH_D/dz_g: the kernel density at z_g of the units of D in group
// g (bandwidth h_g of the group's reference units, as convey's svyarpr
// takes the line's), times their share of D; kern[d*G+g] holds the
// kernel sums sum_{i in D, g} w_i K((z_g - x_i)/h_g) (G groups). addLocal
// adds the local part's PSU totals of domain d; each group's line part
// comes from its PSU totals. The design effect is left out (NaN).
func (j *seJob) groupedHeadcount(g *grouping, lv *lineValues, gl *groupedLine, kern []float64, addLocal func(sp *indices.Sparse, d int), sums []indices.PovertySums) {
	nd, ng := g.size(), lv.groups.size()
	sp := j.e.sparse()
	defer j.e.sparsePool.Put(sp)
	for d := range nd {
		sp.Reset()
		addLocal(sp, d)
		for lg := range ng {
			c := kern[d*ng+lg] / (sums[d].Pop * gl.h[lg])
			if c == 0 || math.IsNaN(c) {
				continue
			}
			for q, p := range gl.psus[lg] {
				sp.Add(int(p), c*gl.tot[lg][q])
			}
		}
		v := sp.Variance(0, nil)
		j.set("headcount", lv.line.Name, g, d, sums[d].Headcount(), v, math.NaN(), j.e.methodName())
		if j.records != nil {
			psu, tot := sp.Totals(nil, nil)
			j.keep("headcount", lv.line.Name, g, d, &linRecord{psu: psu, tot: tot})
		}
	}
}

// groupedLineValues sets the SE and interval of each group's value of a
// grouped relative line z_g = F stat_g: for a median, Woodruff's interval
// of the group's median (as the national line's value and R survey's
// svyquantile on the group), times F; for a mean, F times the mean's
// linearized SE. Both over the full design.
func (j *seJob) groupedLineValues(lv *lineValues, gl *groupedLine) {
	l, u := lv.line, j.u
	mask, err := whereMask(u, l)
	if err != nil {
		return
	}
	// The reference units of each group, in order of income (for the
	// medians only): in j.order, or sorted here when the standard errors
	// have no order (seSorts).
	k := lv.groups.size()
	var byGroup *domainMembers
	if l.Basis == "median" {
		byGroup = maskedMembers(lv.groups.codes, k, mask, j.order)
		if j.order == nil {
			for g := range k {
				slices.SortStableFunc(byGroup.idx[byGroup.off[g]:byGroup.off[g+1]], func(a, b int32) int { return cmp.Compare(u.x[a], u.x[b]) })
			}
		}
	}
	sp := j.e.sparse()
	defer j.e.sparsePool.Put(sp)
	for g := range k {
		i, ok := j.index[resultKey("line", l.Name, lv.groups.domain(g))]
		if !ok {
			continue
		}
		r := &j.results[i]
		nan := math.NaN()
		se, lo, hi := nan, nan, nan
		method := j.e.methodName()
		switch l.Basis {
		case "median":
			members := byGroup.idx[byGroup.off[g]:byGroup.off[g+1]]
			xs, ws, units := make([]float64, 0, len(members)), make([]float64, 0, len(members)), make([]int32, 0, len(members))
			for _, i := range members {
				if w := u.w[i]; w > 0 {
					xs, ws, units = append(xs, u.x[i]), append(ws, w), append(units, i)
				}
			}
			_, lo, hi, se = woodruff(xs, ws, 0.5, j.s.Level, func(a []float64) (float64, int) {
				sp.Reset()
				for k, i := range units {
					sp.Add(int(j.e.psu[i]), ws[k]*a[k])
				}
				return sp.Variance(0, nil), sp.DF()
			})
			lo, hi, se = l.Value*lo, l.Value*hi, l.Value*se
			method = "woodruff, " + method
		case "mean":
			sp.Reset()
			for q, p := range gl.psus[g] {
				sp.Add(int(p), gl.tot[g][q])
			}
			se = math.Sqrt(sp.Variance(0, nil))
			if len(gl.psus[g]) == 0 {
				se = nan
			}
			lo, hi = j.e.interval(r.Estimate, se)
		}
		if math.IsNaN(r.Estimate) {
			se, lo, hi = nan, nan, nan
		}
		r.SE, r.SEMethod, r.CILower, r.CIUpper = se, method, lo, hi
		r.RSE = se / math.Abs(r.Estimate)
		r.Unreliable = j.s.RSELimit > 0 && r.RSE > j.s.RSELimit
	}
}
