package pipeline

import (
	"math"
	"slices"
	"sort"

	"github.com/povstat/povstat/indices"
)

// units holds the units of analysis after screening: an income (equivalised
// as the study says) and a weight (persons: household weight times size)
// per unit, and the categorical columns used by domains and lines.
type units struct {
	x, w    []float64
	factors map[string]*factor
}

// wants says which indicators a study asked for.
type wants map[string]bool

func (w wants) any(names ...string) bool {
	for _, n := range names {
		if w[n] {
			return true
		}
	}
	return false
}

// baseRows returns population, n, mean and median for every domain of g.
func baseRows(u *units, g *grouping, want wants, order []string) []Result {
	k := g.size()
	n := make([]int, k)
	pop := make([]float64, k)
	inc := make([]float64, k)
	for i, c := range g.codes {
		n[c]++
		pop[c] += u.w[i]
		inc[c] += u.w[i] * u.x[i]
	}
	var medians []float64
	if want["median"] {
		medians = make([]float64, k)
		off, xs, ws := partition(g.codes, k, nil, u.x, u.w)
		for j := range medians {
			medians[j] = indices.QuantileInPlace(0.5, xs[off[j]:off[j+1]], ws[off[j]:off[j+1]])
		}
	}
	var out []Result
	for j := 0; j < k; j++ {
		dom := g.domain(j)
		for _, name := range order {
			var v float64
			switch name {
			case "population":
				v = pop[j]
			case "n":
				v = float64(n[j])
			case "mean":
				v = nanIfZero(pop[j], inc[j])
			case "median":
				v = medians[j]
			default:
				continue
			}
			out = append(out, Result{Indicator: name, Domain: dom, Estimate: v, N: n[j], Population: pop[j]})
		}
	}
	return out
}

func nanIfZero(den, num float64) float64 {
	if den == 0 {
		return math.NaN()
	}
	return num / den
}

// poorUnits lists the poor units of a line sorted by income relative to
// their line, r = x / z, so that the Gini of the poor of every domain comes
// from one pass (indices.GiniSums).
type poorUnits struct {
	idx []int32   // unit index
	r   []float64 // x / z
}

func sortedPoor(u *units, lv *lineValues) *poorUnits {
	p := &poorUnits{}
	for i, x := range u.x {
		if z := lv.z[i]; x < z && z > 0 {
			p.idx = append(p.idx, int32(i))
		}
	}
	p.r = make([]float64, len(p.idx))
	for k, i := range p.idx {
		p.r[k] = u.x[i] / lv.z[i]
	}
	sort.Stable(byRatio{p})
	return p
}

type byRatio struct{ p *poorUnits }

func (b byRatio) Len() int           { return len(b.p.idx) }
func (b byRatio) Less(i, j int) bool { return b.p.r[i] < b.p.r[j] }
func (b byRatio) Swap(i, j int) {
	b.p.idx[i], b.p.idx[j] = b.p.idx[j], b.p.idx[i]
	b.p.r[i], b.p.r[j] = b.p.r[j], b.p.r[i]
}

// lineIndicators are the indicators computed for each poverty line.
var lineIndicators = []string{"headcount", "gap", "severity", "watts", "sen", "rmpg", "poor_population", "gap_total"}

// povertyRows returns the indicators of one line for every domain of g.
func povertyRows(u *units, g *grouping, lv *lineValues, poor *poorUnits, want wants, order []string) []Result {
	k := g.size()
	sums := make([]indices.PovertySums, k)
	unresolvedN := make([]int, k)
	unresolvedW := make([]float64, k)
	for i, c := range g.codes {
		z := lv.z[i]
		if math.IsNaN(z) {
			unresolvedN[c]++
			unresolvedW[c] += u.w[i]
			continue
		}
		sums[c].Add(u.x[i], u.w[i], z)
	}
	var gini []float64
	if want["sen"] {
		gs := make([]indices.GiniSums, k)
		for p, i := range poor.idx {
			gs[g.codes[i]].AddSorted(poor.r[p], u.w[i])
		}
		gini = make([]float64, k)
		for j := range gs {
			gini[j] = gs[j].Gini()
		}
	}
	var rmpg []float64
	if want["rmpg"] {
		rmpg = poorMedianGaps(u, g, poor)
	}
	var out []Result
	for j := 0; j < k; j++ {
		s := sums[j]
		dom := g.domain(j)
		for _, name := range order {
			if !slices.Contains(lineIndicators, name) {
				continue
			}
			r := Result{Indicator: name, Line: lv.line.Name, Domain: dom, N: s.N + unresolvedN[j], Population: s.Pop + unresolvedW[j]}
			switch name {
			case "headcount":
				r.Estimate = s.Headcount()
			case "gap":
				r.Estimate = s.Gap()
			case "severity":
				r.Estimate = s.Severity()
			case "watts":
				r.Estimate = s.Watts()
				r.ExcludedN, r.ExcludedPopulation = s.NonPositiveN, s.NonPositiveWeight
			case "sen":
				r.Estimate = indices.SenIndex(s, gini[j])
			case "rmpg":
				r.Estimate = rmpg[j]
			case "poor_population":
				r.Estimate = s.Poor
			case "gap_total":
				r.Estimate = s.GapMoney
			}
			if unresolvedN[j] > 0 {
				r.ExcludedN += unresolvedN[j]
				r.ExcludedPopulation += unresolvedW[j]
				r.Note = "some units belong to a line group without reference units and are left out"
			}
			if math.IsNaN(r.Estimate) && r.Note == "" {
				r.Note = undefinedReason(name, s)
			}
			out = append(out, r)
		}
	}
	return out
}

// poorMedianGaps returns, per domain, the relative median poverty gap
// 1 - median(x/z) over the poor: (z - median of the poor)/z for one line.
func poorMedianGaps(u *units, g *grouping, poor *poorUnits) []float64 {
	k := g.size()
	codes := make([]int32, len(poor.idx))
	w := make([]float64, len(poor.idx))
	for p, i := range poor.idx {
		codes[p] = g.codes[i]
		w[p] = u.w[i]
	}
	off, rs, ws := partition(codes, k, nil, poor.r, w)
	out := make([]float64, k)
	for j := range out {
		out[j] = 1 - indices.QuantileInPlace(0.5, rs[off[j]:off[j+1]], ws[off[j]:off[j+1]])
	}
	return out
}

func undefinedReason(name string, s indices.PovertySums) string {
	switch {
	case s.Pop == 0:
		return "empty domain"
	case name == "watts" && s.WattsPop == 0:
		return "no unit with positive income"
	case name == "rmpg" && s.Poor == 0:
		return "nobody is poor"
	}
	return "line is not positive"
}
