package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ParseRange parses an income range written FROM:TO, FROM <= TO, both
// finite.
func ParseRange(s string) (from, to float64, err error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("range %q: expected FROM:TO, e.g. 1000:5000", s)
	}
	from, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	to, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	switch {
	case err1 != nil || err2 != nil || math.IsNaN(from) || math.IsNaN(to) || math.IsInf(from, 0) || math.IsInf(to, 0):
		return 0, 0, fmt.Errorf("range %q: FROM and TO must be finite numbers", s)
	case from > to:
		return 0, 0, fmt.Errorf("range %q: FROM is above TO", s)
	}
	return from, to, nil
}

// curve is one group's income distribution, sorted: x ascending, cw[i]
// and cwx[i] the sums of w and w x over x[0..i-1], total the population.
type curve struct {
	x, cw, cwx []float64
	n          int
	total      float64
}

func newCurve(x, w []float64) *curve {
	idx := radixOrder(x) // increasing, ties in index order
	c := &curve{x: make([]float64, len(x)), cw: make([]float64, len(x)+1), cwx: make([]float64, len(x)+1), n: len(x)}
	for k, i := range idx {
		c.x[k] = x[i]
		c.cw[k+1] = c.cw[k] + w[i]
		c.cwx[k+1] = c.cwx[k] + w[i]*x[i]
	}
	c.total = c.cw[len(x)]
	return c
}

// below returns the number of incomes < z (strict) or <= z (orEqual).
func (c *curve) below(z float64, orEqual bool) int {
	if orEqual {
		return sortSearch(c.x, func(v float64) bool { return v > z })
	}
	return sortSearch(c.x, func(v float64) bool { return v >= z })
}

func sortSearch(x []float64, f func(float64) bool) int {
	lo, hi := 0, len(x)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if !f(x[m]) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// incidence is H(z) = sum_i {w_i [x_i < z]} / W, or with orEqual the
// limit from the right, sum_i {w_i [x_i <= z]} / W.
func (c *curve) incidence(z float64, orEqual bool) float64 {
	return c.cw[c.below(z, orEqual)] / c.total
}

// deficit is D(z) = sum_i {w_i (z - x_i) [x_i < z]} / W, the integral of
// H up to z: gap_total over the population.
func (c *curve) deficit(z float64) float64 {
	k := c.below(z, false)
	return (z*c.cw[k] - c.cwx[k]) / c.total
}

// dominanceVerdict compares two groups' curves over [lo, hi]: "a_dominates"
// when A's curve is nowhere above B's and somewhere below (A has no more
// poverty than B at any line of the range), "b_dominates" the other way,
// "equal" when they coincide, "cross" when each is below the other
// somewhere; at is then the first crossing point, else NaN.
type dominanceVerdict struct {
	cell string
	at   float64
}

// dominanceTol: differences of curves within this (relative) tolerance
// count as equal, so that rounding in sums of weights does not make a
// crossing.
const dominanceTol = 1e-12

// sign3 is the sign of d with |d| <= tol as 0.
func sign3(d, tol float64) int {
	switch {
	case d > tol:
		return 1
	case d < -tol:
		return -1
	}
	return 0
}

// verdict walks the signs of D = A - B at increasing points; the segment
// between two points is where the curves swap (it is linear for deficits,
// and for incidence curves the later point is where the new order starts).
type verdict struct {
	first, last   int // the first nonzero sign, and the last one seen
	zeroStart     float64
	prevZ, prevD  float64
	prevZero      bool
	crossed       bool
	at            float64
	seenA, seenB  bool
	interpolating bool
}

func (v *verdict) add(z, d, tol float64) {
	s := sign3(d, tol)
	if s > 0 {
		v.seenB = true // A above B: B has less poverty here
	} else if s < 0 {
		v.seenA = true
	}
	if !v.crossed && s != 0 && v.last != 0 && s != v.last {
		v.crossed = true
		switch {
		case v.prevZero:
			v.at = v.zeroStart
		case v.interpolating:
			v.at = v.prevZ + v.prevD*(z-v.prevZ)/(v.prevD-d)
		default:
			v.at = z
		}
	}
	if s != 0 {
		v.last = s
		v.prevZero = false
	} else if !v.prevZero {
		v.prevZero = true
		v.zeroStart = z
	}
	v.prevZ, v.prevD = z, d
}

func (v *verdict) result() dominanceVerdict {
	switch {
	case v.seenA && v.seenB:
		return dominanceVerdict{"cross", v.at}
	case v.seenA:
		return dominanceVerdict{"a_dominates", math.NaN()}
	case v.seenB:
		return dominanceVerdict{"b_dominates", math.NaN()}
	}
	return dominanceVerdict{"equal", math.NaN()}
}

// knots returns the distinct incomes of a and b in [lo, hi), ascending.
func knots(a, b *curve, lo, hi float64) []float64 {
	var ks []float64
	for _, c := range []*curve{a, b} {
		for _, x := range c.x[c.below(lo, false):c.below(hi, false)] {
			ks = append(ks, x)
		}
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

// firstOrder compares the incidence curves H_A and H_B, step functions
// constant on (v, v'] between consecutive incomes, over [lo, hi]. They are
// compared at lo and on each step (v, next] with v an income in [lo, hi);
// a crossing point is the income v after which the order is reversed (for
// lines just above v), or the income where the curves start to coincide
// before reversing.
func firstOrder(a, b *curve, lo, hi float64) dominanceVerdict {
	var v verdict
	v.add(lo, a.incidence(lo, false)-b.incidence(lo, false), dominanceTol)
	for _, k := range knots(a, b, lo, hi) {
		v.add(k, a.incidence(k, true)-b.incidence(k, true), dominanceTol)
	}
	return v.result()
}

// secondOrder compares the deficit curves D_A and D_B, continuous and
// piecewise linear with knots at the incomes, over [lo, hi], at lo, every
// income in (lo, hi) and hi; a crossing inside a segment is found by
// linear interpolation, exactly.
func secondOrder(a, b *curve, lo, hi float64) dominanceVerdict {
	v := verdict{interpolating: true}
	pts := append([]float64{lo}, knots(a, b, lo, hi)...)
	pts = append(pts, hi)
	pts = slices.Compact(pts)
	for _, z := range pts {
		da, db := a.deficit(z), b.deficit(z)
		v.add(z, da-db, dominanceTol*max(1, math.Abs(da), math.Abs(db)))
	}
	return v.result()
}

// dominanceRows compares every pair of groups of g over [lo, hi]: rows
// dominance_first and dominance_second, Line "A|B" (the groups' values),
// Cell the verdict, Estimate the first crossing point (NaN unless cross).
func dominanceRows(u *units, g *grouping, lo, hi float64) []Result {
	k := g.size()
	xs := make([][]float64, k)
	ws := make([][]float64, k)
	for i, c := range g.codes {
		xs[c] = append(xs[c], u.x[i])
		ws[c] = append(ws[c], u.w[i])
	}
	curves := make([]*curve, k)
	for j := range k {
		curves[j] = newCurve(xs[j], ws[j])
	}
	names := make([]string, k)
	for j := range k {
		names[j] = strings.Join(g.keys[j], ",")
	}
	return dominancePairs(curves, names, nil, lo, hi)
}

// dominancePairs compares the curves of every pair of groups (names[j]
// naming curve j) in the domain dom: all the dominance_first rows, then
// the dominance_second rows. An empty curve gives rows with a note.
func dominancePairs(curves []*curve, names []string, dom []DomainValue, lo, hi float64) []Result {
	k := len(curves)
	var first, second []Result
	for a := range k {
		for b := a + 1; b < k; b++ {
			ca, cb := curves[a], curves[b]
			for o, dst := range []*[]Result{&first, &second} {
				r := Result{Indicator: []string{"dominance_first", "dominance_second"}[o], Line: names[a] + "|" + names[b],
					Domain: dom, N: ca.n + cb.n, Population: ca.total + cb.total, Estimate: math.NaN()}
				if !(ca.total > 0 && cb.total > 0) {
					r.Note = "empty group"
					*dst = append(*dst, r)
					continue
				}
				var d dominanceVerdict
				if o == 0 {
					d = firstOrder(ca, cb, lo, hi)
				} else {
					d = secondOrder(ca, cb, lo, hi)
				}
				r.Cell = d.cell
				rng := "[" + strconv.FormatFloat(lo, 'g', -1, 64) + ", " + strconv.FormatFloat(hi, 'g', -1, 64) + "]"
				if d.cell == "cross" {
					r.Estimate = d.at
				} else {
					r.Note = "the curves do not cross in " + rng
				}
				*dst = append(*dst, r)
			}
		}
	}
	return append(first, second...)
}

// dominanceBreakdowns are the breakdowns within whose domains the groups
// of col are compared: every breakdown of domains without col, skipping
// those left empty (the whole population) and repeats.
func dominanceBreakdowns(domains [][]string, col string) [][]string {
	var out [][]string
	for _, d := range domains {
		b := slices.DeleteFunc(slices.Clone(d), func(c string) bool { return c == col })
		if len(b) > 0 && !slices.ContainsFunc(out, func(o []string) bool { return slices.Equal(o, b) }) {
			out = append(out, b)
		}
	}
	return out
}

// domainDominanceRows compares the groups of dg (the dominance column)
// within every domain of the breakdown cols: for each domain, in order,
// its dominancePairs rows, with the domain. Every pair of the column's
// groups is compared in every domain; a group absent from a domain gives
// rows with the note "empty group".
func domainDominanceRows(u *units, dg *grouping, cols []string, lo, hi float64) ([]Result, error) {
	g, err := newGrouping(len(u.x), cols, u.factors)
	if err != nil {
		return nil, err
	}
	k, m := g.size(), dg.size()
	xs := make([][]float64, k*m)
	ws := make([][]float64, k*m)
	for i, c := range g.codes {
		cell := int(c)*m + int(dg.codes[i])
		xs[cell] = append(xs[cell], u.x[i])
		ws[cell] = append(ws[cell], u.w[i])
	}
	names := make([]string, m)
	for a := range m {
		names[a] = strings.Join(dg.keys[a], ",")
	}
	var out []Result
	for j := range k {
		curves := make([]*curve, m)
		for a := range m {
			curves[a] = newCurve(xs[j*m+a], ws[j*m+a])
		}
		out = append(out, dominancePairs(curves, names, g.domain(j), lo, hi)...)
	}
	return out, nil
}
