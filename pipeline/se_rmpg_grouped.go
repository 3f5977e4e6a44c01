package pipeline

import (
	"math"

	"github.com/povstat/povstat/indices"
)

// groupedRMPGInfluence returns the influence function of the relative
// median poverty gap of units x, w under a line that differs by group
// (each unit k's line is z[grp[k]]), RMPG = 1 - m with m the weighted
// median of r_k = x_k / z_grp(k) over the poor (r_k < 1), as the point
// estimate (poorMedianGaps), split as z_k = local_k + sum_g c[g] L^(g)_k
// with L^(g) the linearized variable of group g's line (the caller's):
//
//	local_k = ([r_k <= m] - [r_k < 1] / 2) / (N f(m))
//	c[g]    = (m S_g / (h z_g) - K_g / (2 h_g)) / (N f(m))
//
// where N f(m) = sum_g S_g / h is the kernel density of the r_k at m
// times N = sum_k w_k, S_g = sum_{k in g} w_k K((m - r_k) / h) the part
// of group g, h = indices.Bandwidth(r, w), and K_g = sum_{k in g} w_k
// K((z_g - x_k) / h_g) the kernel sum at group g's line with the
// bandwidth h_g of its reference units (the headcount's dH/dz_g, as in
// groupedHeadcount). c[g] is dRMPG/dz_g: m solves F(m) = H / 2 with F the
// CDF of the r_k and H the headcount, and moving z_g moves the r_k of
// group g (dF(m)/dz_g = -m S_g / (N h z_g)) and H (dH/dz_g = K_g / (N h_g)).
// With one group this is indices.RMPGInfluenceParts at line z_0 (its c, the
// coefficient of the line's influence function; its local part). K is
// indices' Gaussian kernel. Units whose line is NaN (left out of the point
// estimate) or not positive (never poor) count with weight 0: neither has
// a local part, N cancels out of it. c is nil when hz is
// (the lines fixed); hz NaN for a group gives c[g] = 0. local is all NaN
// (and c nil) when RMPG or the density at m is undefined (nobody poor).
//
// Reference: Osier (2009), Survey Research Methods 3(3), 167–195; R
// convey's svyrmpg and svypoormed, here with a line per group.
func groupedRMPGInfluence(dst, x, w []float64, grp []int32, z, hz []float64) (local, c []float64) {
	n := len(x)
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	local = dst[:n]
	r, wv := make([]float64, n), make([]float64, n)
	var rp, wp []float64 // the poor
	for k, v := range x {
		zg := z[grp[k]]
		if !(zg > 0) || !(w[k] > 0) {
			continue
		}
		r[k], wv[k] = v/zg, w[k]
		if r[k] < 1 {
			rp, wp = append(rp, r[k]), append(wp, w[k])
		}
	}
	nan := func() ([]float64, []float64) {
		for k := range local {
			local[k] = math.NaN()
		}
		return local, nil
	}
	if len(rp) == 0 {
		return nan()
	}
	m := indices.QuantileInPlace(0.5, rp, wp)
	h := indices.Bandwidth(r, wv)
	S, K := make([]float64, len(z)), make([]float64, len(z))
	at, bw := make([]float64, len(z)), make([]float64, len(z))
	for g := range at {
		at[g], bw[g] = m, h
	}
	groupKernelSums(S, r, wv, grp, at, bw)
	nf := 0.0
	for _, s := range S {
		nf += s / h
	}
	if math.IsNaN(m) || !(nf > 0) || math.IsInf(nf, 0) {
		return nan()
	}
	vals := [2][2]float64{} // by [r <= m], [r < 1]
	for le := range 2 {
		for poor := range 2 {
			vals[le][poor] = (float64(le) - float64(poor)/2) / nf
		}
	}
	for k, v := range r {
		local[k] = 0
		if wv[k] > 0 {
			local[k] = vals[b2i(v <= m)][b2i(v < 1)]
		}
	}
	if hz == nil {
		return local, nil
	}
	c = make([]float64, len(z))
	groupKernelSums(K, x, wv, grp, z, hz)
	for g := range c {
		if S[g] == 0 && K[g] == 0 || !(hz[g] > 0) {
			continue
		}
		c[g] = (m*S[g]/(h*z[g]) - K[g]/(2*hz[g])) / nf
	}
	return local, c
}

// groupedSenInfluence returns the influence function of Sen's index of
// units x, w under a line per group (unit k's line z[grp[k]]) held fixed:
// Sen is invariant to the scale of incomes and line, so it is
// indices.SenInfluence of the incomes relative to their lines,
// r_k = x_k / z_grp(k), at the line 1, as the point estimate (the Gini of
// the poor's r_k). It is computed on the r_k in increasing order
// (SenInfluence's linear path): the poor sorted (radixOrder), then the
// others at r = 1, where SenInfluence's value depends only on the weight
// (a unit is poor when r < 1). Units whose line is NaN or not positive
// count with weight 0.
func groupedSenInfluence(dst, x, w []float64, grp []int32, z []float64) []float64 {
	n := len(x)
	var poor []int32
	var pr []float64
	rich := make([]bool, n)
	for k, v := range x {
		if zg := z[grp[k]]; zg > 0 && v/zg < 1 {
			poor, pr = append(poor, int32(k)), append(pr, v/zg)
			continue
		}
		rich[k] = true
	}
	r, wr, at := make([]float64, n), make([]float64, n), make([]int32, 0, n)
	for p, o := range radixOrder(pr) {
		k := poor[o]
		r[p], wr[p] = pr[o], w[k]
		at = append(at, k)
	}
	for k := range x {
		if rich[k] {
			p := len(at)
			r[p] = 1
			if z[grp[k]] > 0 {
				wr[p] = w[k]
			}
			at = append(at, int32(k))
		}
	}
	s := indices.SenInfluence(nil, r, wr, 1)
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	for p, k := range at {
		dst[k] = s[p]
	}
	return dst
}

// groupKernelSums adds to sums[g] the kernel sums sum_{k in g, w_k > 0}
// w_k K((at[g] - v_k) / h[g]) of the units of each group g (none for a
// group whose h is not positive), as indices' sums: the units within
// kernelCut bandwidths, unless those beyond (each at most w_k kernelTail)
// could add kernelNegligible of a group's sum; that group is then summed
// over all its units.
func groupKernelSums(sums, v, w []float64, grp []int32, at, h []float64) {
	beyond := make([]float64, len(sums))
	for k, x := range v {
		g := grp[k]
		if !(w[k] > 0) || !(h[g] > 0) {
			continue
		}
		if u := (at[g] - x) / h[g]; math.Abs(u) <= kernelCut {
			sums[g] += w[k] * gauss(u)
		} else {
			beyond[g] += w[k]
		}
	}
	var again []bool
	for g, b := range beyond {
		if b*kernelTail > kernelNegligible*sums[g] {
			if again == nil {
				again = make([]bool, len(sums))
			}
			again[g], sums[g] = true, 0
		}
	}
	if again == nil {
		return
	}
	for k, x := range v {
		if g := grp[k]; again[g] && w[k] > 0 {
			sums[g] += w[k] * gauss((at[g]-x)/h[g])
		}
	}
}

// gauss is indices' Gaussian kernel.
func gauss(u float64) float64 {
	return math.Exp(-u*u/2) / math.Sqrt(2*math.Pi)
}

// groupedLineTasks: the rmpg and Sen rows under a grouped line lv (a line
// per group of its By columns) in every domain of g, when wanted. Both
// work on the incomes relative to each unit's line, r_i = x_i / z_g(i),
// as the point estimates do: Sen with the lines held fixed (as under a
// national line), groupedSenInfluence; rmpg with each group's line
// estimated, groupedRMPGInfluence plus c_Dg times each group's line's
// linearized variable (the groupedLine of a median or mean line; an
// absolute line is fixed). Rows under a relative line without a
// groupedLine stay "unavailable".
func (j *seJob) groupedLineTasks(g *grouping, lv *lineValues, wantSen, wantRMPG bool) []seTask {
	var tasks []seTask
	if wantRMPG {
		gl := j.grouped[lv]
		if gl != nil || lv.line.Basis == "abs" {
			tasks = append(tasks, seTask{costInfluence, func() error {
				j.groupedRows(g, lv, "rmpg", func(dst, xs, ws []float64, grp []int32) ([]float64, []float64) {
					var hz []float64
					if gl != nil {
						hz = gl.h
					}
					return groupedRMPGInfluence(dst, xs, ws, grp, lv.values, hz)
				}, gl)
				return nil
			}})
		}
	}
	if wantSen {
		tasks = append(tasks, seTask{costInfluence, func() error {
			j.groupedRows(g, lv, "sen", func(dst, xs, ws []float64, grp []int32) ([]float64, []float64) {
				return groupedSenInfluence(dst, xs, ws, grp, lv.values), nil
			}, nil)
			return nil
		}})
	}
	return tasks
}

// groupedRows sets the SE of indicator ind under the grouped line lv in
// every domain of g whose row exists: infl returns the influence function
// over the domain's units xs, ws (in unit order; grp their line groups)
// and the coefficient of each group's line's linearized variable (nil for
// none: the lines held fixed, the method then says so). The design effect
// is left out (NaN). A domain whose influence is undefined keeps
// "unavailable".
func (j *seJob) groupedRows(g *grouping, lv *lineValues, ind string, infl func(dst, xs, ws []float64, grp []int32) ([]float64, []float64), gl *groupedLine) {
	members := j.members(g)
	sp := j.e.sparse()
	defer j.e.sparsePool.Put(sp)
	// The buffers are made once, of the largest domain's size: grown by
	// append from the national domain, they were copied about twice over
	// in fresh memory (1.7 s of a 10M all-indicator SE job).
	n := 0
	for d := range g.size() {
		if _, ok := j.index[resultKey(ind, lv.line.Name, g.domain(d))]; ok {
			n = max(n, members.off[d+1]-members.off[d])
		}
	}
	xs, ws, z := make([]float64, 0, n), make([]float64, 0, n), make([]float64, n)
	grp := make([]int32, 0, n)
	for d := range g.size() {
		if _, ok := j.index[resultKey(ind, lv.line.Name, g.domain(d))]; !ok {
			continue
		}
		idx := members.idx[members.off[d]:members.off[d+1]]
		xs, ws, grp = xs[:0], ws[:0], grp[:0]
		for _, i := range idx {
			xs, ws, grp = append(xs, j.u.x[i]), append(ws, j.u.w[i]), append(grp, lv.groups.codes[i])
		}
		if cap(z) < len(xs) { // infl may return another slice
			z = make([]float64, len(xs))
		}
		var c []float64
		z, c = infl(z[:len(xs)], xs, ws, grp)
		if len(z) == 0 || math.IsNaN(z[0]) {
			continue
		}
		sp.Reset()
		for k, i := range idx {
			sp.Add(int(j.e.psu[i]), ws[k]*z[k])
		}
		method := j.e.methodName()
		if c == nil {
			method += ", line fixed"
		}
		for lg, cg := range c {
			if cg == 0 || gl == nil {
				continue
			}
			for q, p := range gl.psus[lg] {
				sp.Add(int(p), cg*gl.tot[lg][q])
			}
		}
		v := sp.Variance(0, nil)
		j.set(ind, lv.line.Name, g, d, j.resultValue(ind, lv.line.Name, g, d, j.index), v, math.NaN(), method)
		if j.records != nil {
			psu, tot := sp.Totals(nil, nil)
			j.keep(ind, lv.line.Name, g, d, &linRecord{psu: psu, tot: tot})
		}
	}
}
