package pipeline

import (
	"math"
)

// A grouped sweep (see Sweep) puts each unit at point F the line
// z = F·ref, ref the reference (median or mean) of the unit's own group.
// The grid of fractions F_0 < F_1 < ... is shared by every group, so one
// pass places each unit, by binary search over the points, at the first
// point where it is poor; the poor at F_k are then the units placed at
// points 0..k. The test is the line code's, x < F_k·ref computed as
// F_k·ref, so each point's poor are exactly those of the named line
// median:F_k@COLS (or mean:..., with the same conditions).
//
// Where ref <= 0 the line F·ref does not grow with F: such a unit is poor
// at the points before the first one where x >= F·ref, and gaps do not
// exist in its domain (no line > 0), as for a named line. A unit whose
// group has no reference unit has no line: it is left out and counted in
// excluded_n and excluded_population, as the line code does.

// refBin are the sums of the units of one cell placed at one point: with
// r = x/ref,
//
//	w = Σ w,  wx = Σ w x,  wref = Σ w ref,  wr = Σ w r,  wr2 = Σ w r²
//
// so that over the poor at F (z = F·ref):
//
//	gap_total = F·wref − wx
//	Σ w (z − x)/z = w − wr/F,   Σ w ((z − x)/z)² = w − 2 wr/F + wr2/F²
type refBin struct {
	n                    int
	w, wx, wref, wr, wr2 float64
}

func (b *refBin) addBin(o refBin) {
	b.n += o.n
	b.w += o.w
	b.wx += o.wx
	b.wref += o.wref
	b.wr += o.wr
	b.wr2 += o.wr2
}

// refAcc accumulates one grouped sweep over the cells of a grouping (the
// finest cells during the pass, then the domains of a breakdown). up[c·nb
// + b] holds the units with ref > 0 first poor at point b (b = number of
// points: never poor); down[c·nb + b] those with ref <= 0 poor at the
// points before b; unresN, unresW the units without a line; bad the units
// with ref <= 0.
type refAcc struct {
	nb       int
	up, down []refBin // down is nil until a unit with ref <= 0 comes
	unresN   []int
	unresW   []float64
	bad      []int
}

func newRefAcc(cells, points int) *refAcc {
	nb := points + 1
	return &refAcc{nb: nb, up: make([]refBin, cells*nb), unresN: make([]int, cells), unresW: make([]float64, cells), bad: make([]int, cells)}
}

// add places one unit of cell c with income x, weight w and reference ref.
func (a *refAcc) add(c int, x, w, ref float64, pts []float64) {
	if math.IsNaN(ref) {
		a.unresN[c]++
		a.unresW[c] += w
		return
	}
	// The first point k whose line F_k·ref is above x (ref > 0), or the
	// first at which x is no longer below it (ref <= 0): the test is
	// monotone in k either way, since F_k·ref is monotone in F_k.
	positive := ref > 0
	lo, hi := 0, len(pts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if (x < pts[m]*ref) != positive {
			lo = m + 1
		} else {
			hi = m
		}
	}
	dst := a.up
	if !positive {
		a.bad[c]++
		if a.down == nil {
			a.down = make([]refBin, len(a.up))
		}
		dst = a.down
	}
	b := &dst[c*a.nb+lo]
	b.n++
	b.w += w
	b.wx += w * x
	b.wref += w * ref
	if positive {
		r := x / ref
		b.wr += w * r
		b.wr2 += w * r * r
	}
}

// merge adds the sums of o, over other units of the same cells.
func (a *refAcc) merge(o *refAcc) {
	for i := range a.up {
		a.up[i].addBin(o.up[i])
	}
	if o.down != nil {
		if a.down == nil {
			a.down = make([]refBin, len(a.up))
		}
		for i := range a.down {
			a.down[i].addBin(o.down[i])
		}
	}
	for c := range a.unresN {
		a.unresN[c] += o.unresN[c]
		a.unresW[c] += o.unresW[c]
		a.bad[c] += o.bad[c]
	}
}

// domains sums the finest cells of a into the domains of g (rep[c] is a
// unit of cell c).
func (a *refAcc) domains(g *grouping, rep []int) *refAcc {
	k := g.size()
	d := newRefAcc(k, a.nb-1)
	if a.down != nil {
		d.down = make([]refBin, k*a.nb)
	}
	for c := range a.unresN {
		j := int(g.codes[rep[c]])
		for b := range a.nb {
			d.up[j*a.nb+b].addBin(a.up[c*a.nb+b])
			if a.down != nil {
				d.down[j*a.nb+b].addBin(a.down[c*a.nb+b])
			}
		}
		d.unresN[j] += a.unresN[c]
		d.unresW[j] += a.unresW[c]
		d.bad[j] += a.bad[c]
	}
	return d
}

// rows returns the rows of every point of the sweep in domain j.
func (a *refAcc) rows(name string, pts []float64, j int, dom []DomainValue) []Result {
	up := a.up[j*a.nb : (j+1)*a.nb]
	var down []refBin
	var total, below refBin
	for _, b := range up {
		total.addBin(b)
	}
	if a.down != nil {
		down = a.down[j*a.nb : (j+1)*a.nb]
		for _, b := range down {
			total.addBin(b)
		}
	}
	// above[k] sums down bins k+1..: the units with ref <= 0 poor at k.
	above := make([]refBin, len(pts))
	if down != nil {
		var acc refBin
		for k := len(pts) - 1; k >= 0; k-- {
			acc.addBin(down[k+1])
			above[k] = acc
		}
	}
	out := make([]Result, 0, len(pts)*len(sweepIndicators))
	for k, f := range pts {
		below.addBin(up[k])
		out = append(out, groupedPointRows(name, &pts[k], f, below, above[k], total, a.unresN[j], a.unresW[j], a.bad[j] > 0, dom)...)
	}
	return out
}

// groupedPointRows are the rows of point F of a grouped sweep in one
// domain: poor are the sums over the poor units with ref > 0, poorBad over
// those with ref <= 0, total over every unit with a line; unresN and
// unresW count the units without one, bad tells that some unit's line is
// not positive.
func groupedPointRows(name string, at *float64, f float64, poor, poorBad, total refBin, unresN int, unresW float64, bad bool, dom []DomainValue) []Result {
	out := make([]Result, 0, len(sweepIndicators))
	for _, ind := range sweepIndicators {
		r := Result{Indicator: ind, Line: name, Domain: dom, At: at, N: total.n + unresN, Population: total.w + unresW}
		w := poor.w + poorBad.w
		switch {
		case total.w == 0:
			r.Estimate, r.Note = math.NaN(), "empty domain"
			if unresN > 0 {
				r.Note = "no unit of this domain has a line"
			}
		case ind == "headcount":
			r.Estimate = w / total.w
		case ind == "poor_population":
			r.Estimate = w
		case ind == "gap_total":
			r.Estimate = max(f*(poor.wref+poorBad.wref)-(poor.wx+poorBad.wx), 0)
		case bad || !(f > 0):
			r.Estimate, r.Note = math.NaN(), "line is not positive"
		case ind == "gap":
			r.Estimate = max(poor.w-poor.wr/f, 0) / total.w
		case ind == "severity":
			r.Estimate = max(poor.w-2*poor.wr/f+poor.wr2/(f*f), 0) / total.w
		}
		if unresN > 0 {
			r.ExcludedN, r.ExcludedPopulation = unresN, unresW
			if r.Note == "" {
				r.Note = "some units belong to a line group without reference units and are left out"
			}
		}
		out = append(out, r)
	}
	return out
}

// groupedLineRows are the line rows of a grouped sweep: at each point F,
// for each group of its reference, F times the group's reference (as the
// line rows of a named line, N and Population counting the reference
// units).
func groupedLineRows(ref *lineValues, pts []float64) []Result {
	var out []Result
	for k, f := range pts {
		for _, r := range ref.rows() {
			r.At = &pts[k]
			r.Estimate = f * r.Estimate
			out = append(out, r)
		}
	}
	return out
}
