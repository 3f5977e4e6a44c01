package pipeline

import (
	"cmp"
	"math"
	"slices"
)

// The standard errors of the poverty indicators under national relative
// lines need, of the line's reference units, the density of their incomes
// at the median and at the line (kernel sums, of the units within
// kernelCut bandwidths) and the quantiles of Woodruff's interval of the
// median (a few hundredths of a percent of the distribution apart at
// survey sizes): all of them read a narrow range of incomes. They are
// computed here in unit order, with a test of each unit's income against
// the range, so that a job without other sorted statistics (the poverty
// indicators) does not sort its units.

// windowedQuantiles returns the quantiles at ps (each in (0, 1)) of the
// units of positive weight of mask (every unit when nil), as
// quantilesSortedN over the units in increasing order of income but
// without sorting them all: total is their weight, and the quantiles are
// looked for among the units within radius r of center, in order of
// income, from the weight of those below. When the window does not hold
// them all, it is widened (4 r, then every unit). The cumulative weights
// are the weight below the window (added in unit order) plus the window's
// (in its order), so at a cumulative share within rounding of some p the
// quantile can differ from a sorted scan's.
func windowedQuantiles(u *units, mask []bool, ps []float64, total, center, r float64) []float64 {
	radii := []float64{r, 4 * r, math.Inf(1)}
	if !(r > 0) || math.IsInf(r, 1) || math.IsNaN(center) || slices.ContainsFunc(ps, func(p float64) bool { return !(p > 0 && p < 1) }) {
		radii = radii[2:]
	}
	for _, r := range radii {
		lo, hi := center-r, center+r
		if math.IsInf(r, 1) {
			lo, hi = math.Inf(-1), math.Inf(1)
		}
		var idx []int32
		below := 0.0
		for i, x := range u.x {
			if w := u.w[i]; (mask == nil || mask[i]) && w > 0 {
				switch {
				case x < lo:
					below += w
				case x <= hi:
					idx = append(idx, int32(i))
				}
			}
		}
		slices.SortStableFunc(idx, func(a, b int32) int { return cmp.Compare(u.x[a], u.x[b]) })
		xs, ws := make([]float64, len(idx)), make([]float64, len(idx))
		for k, i := range idx {
			xs[k], ws[k] = u.x[i], u.w[i]
		}
		if math.IsInf(r, 1) { // every unit: the sorted scan
			return quantilesSortedN(ps, xs, ws, sortedTotal(ws))
		}
		if qs, ok := quantilesFrom(ps, xs, ws, below, total); ok {
			return qs
		}
	}
	panic("unreachable")
}

// quantilesFrom is quantilesSortedN's scan over a window of the units in
// order of income: xs, ws are the units of positive weight whose incomes
// lie in a range, in increasing order, below is the weight of the units
// below the range and total that of all. It reports false when the window
// does not decide every quantile (one lies below or above it, or at its
// last income with a cumulative share of exactly p, which takes the next
// income beyond it).
func quantilesFrom(ps, xs, ws []float64, below, total float64) ([]float64, bool) {
	if !(total > 0) {
		return nil, false
	}
	qs := make([]float64, len(ps))
	order := make([]int, len(ps))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ps[a], ps[b]) })
	if below/total >= ps[order[0]] {
		return nil, false
	}
	next, cum := 0, below
	for i := 0; i < len(xs) && next < len(order); {
		v := xs[i]
		for i < len(xs) && xs[i] == v {
			cum += ws[i]
			i++
		}
		for ; next < len(order) && cum/total >= ps[order[next]]; next++ {
			k := order[next]
			qs[k] = v
			if cum/total == ps[k] {
				if i == len(xs) {
					return nil, false
				}
				qs[k] = (v + xs[i]) / 2 // nextPositive: every weight is positive
			}
		}
	}
	return qs, next == len(order)
}

// kernelJob is a set of kernel sums over the units: in each cell c,
//
//	kern_c = sum_{i in c} w_i K((z_i - x_i)/h_i)
//
// (indices' Gaussian kernel, as KernelDensity adds it) over the units of
// mask (every unit when nil), each at its point z_i with the bandwidth of
// its group; the cells are cells[i]*len(h) + groups[i] (either nil: 0).
type kernelJob struct {
	z      float64   // the point of every unit, unless zs
	zs     []float64 // the point of each unit (NaN: none)
	h      []float64 // the bandwidth of each group (one group: h[0])
	groups []int32   // the group of each unit; nil for one group
	cells  []int32   // the cell of each unit; nil for one cell
	mask   []bool
}

// sums returns the kernel sums of the nc cells (times len(h) groups)
// over the units within cut bandwidths of their point, added in unit
// order, and the weight of those units. A group whose bandwidth is not
// positive adds nothing. The units are read in blocks: first the indices
// of the units within the window, chosen without a branch (a unit's side
// of the window is as good as random in unit order, and a mispredicted
// branch costs more than the test), then the kernel of each of them.
func (k *kernelJob) sums(u *units, nc int, cut float64) (kern, in []float64) {
	ng := len(k.h)
	kern, in = make([]float64, nc*ng), make([]float64, nc*ng)
	reach := make([]float64, ng) // cut h, or -1: no unit is within
	inv := make([]float64, ng)   // 1/h
	for g, h := range k.h {
		reach[g] = -1
		if h > 0 {
			reach[g], inv[g] = cut*h, 1/h
		}
	}
	const block = 4096
	var sel [block]int32
	for lo := 0; lo < len(u.x); lo += block {
		hi := min(lo+block, len(u.x))
		n := 0
		for i := lo; i < hi; i++ {
			z, r := k.z, reach[0]
			if k.zs != nil {
				z = k.zs[i]
			}
			if k.groups != nil {
				r = reach[k.groups[i]]
			}
			sel[n] = int32(i)
			m := b2i(math.Abs(u.x[i]-z) <= r) // false for z NaN
			if k.mask != nil {
				m &= b2i(k.mask[i])
			}
			n += m
		}
		// The sums of the cell of the last unit are held in registers
		// while the next units fall in it (runs of one cell are long in
		// data sorted by region); the additions are the same.
		cur, ks, is := -1, 0.0, 0.0
		for _, i := range sel[:n] {
			z, g, c := k.z, 0, 0
			if k.zs != nil {
				z = k.zs[i]
			}
			if k.groups != nil {
				g = int(k.groups[i])
			}
			if k.cells != nil {
				c = int(k.cells[i]) * ng
			}
			if c+g != cur {
				if cur >= 0 {
					kern[cur], in[cur] = ks, is
				}
				cur = c + g
				ks, is = kern[cur], in[cur]
			}
			t, w := (z-u.x[i])*inv[g], u.w[i]
			ks += w * math.Exp(-t*t/2)
			is += w
		}
		if cur >= 0 {
			kern[cur], in[cur] = ks, is
		}
	}
	for c := range kern {
		kern[c] /= math.Sqrt(2 * math.Pi)
	}
	return kern, in
}

// negligibleSums returns the kernel sums over the units within kernelCut
// bandwidths, unless the units beyond, each of kernel weight at most w_i
// kernelTail, could add kernelNegligible of a cell's sum (tot: the weight
// of every cell); then over those within 40 bandwidths, beyond which K
// underflows to 0.
func (k *kernelJob) negligibleSums(u *units, nc int, tot []float64) []float64 {
	kern, in := k.sums(u, nc, kernelCut)
	for c, s := range kern {
		if max(tot[c]-in[c], 0)*kernelTail > kernelNegligible*s {
			kern, _ = k.sums(u, nc, 40)
			break
		}
	}
	return kern
}
