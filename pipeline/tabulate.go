package pipeline

import (
	"math"
	"slices"

	"github.com/povstat/povstat/indices"
)

// units holds the units of analysis after screening: an income (equivalised
// as the study says) and a weight (persons: household weight times size)
// per unit, and the categorical columns used by domains and lines.
type units struct {
	x, w    []float64
	fpc     []float64   // sampling fraction of each unit's stratum, nil without design.fpc
	rep     [][]float64 // replicate weights shipped with the data, one slice per replicate
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

// baseRows returns population, n, mean and median for every domain of g
// from its statistics.
func baseRows(g *grouping, st *groupStats, order []string) []Result {
	var out []Result
	for j := 0; j < g.size(); j++ {
		dom := g.domain(j)
		for _, name := range order {
			var v float64
			switch name {
			case "population":
				v = st.pop[j]
			case "n":
				v = float64(st.n[j])
			case "mean":
				v = nanIfZero(st.pop[j], st.income[j])
			case "median":
				v = st.median[j]
			default:
				continue
			}
			out = append(out, Result{Indicator: name, Domain: dom, Estimate: v, N: st.n[j], Population: st.pop[j]})
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
// their line, r = x / z (ties by unit index), so that the Gini and the median
// of the poor of every domain come from one pass over them.
type poorUnits struct {
	idx []int32   // unit index
	r   []float64 // x / z
}

func sortedPoor(u *units, lv *lineValues) *poorUnits {
	var idx []int32
	var r []float64
	for i, x := range u.x {
		if z := lv.z[i]; x < z && z > 0 {
			idx = append(idx, int32(i))
			r = append(r, x/z)
		}
	}
	order := radixOrder(r)
	p := &poorUnits{idx: make([]int32, len(idx)), r: make([]float64, len(idx))}
	for k, o := range order {
		p.idx[k], p.r[k] = idx[o], r[o]
	}
	return p
}

// lineIndicators are the indicators computed for each poverty line.
var lineIndicators = []string{"headcount", "gap", "severity", "watts", "sen", "rmpg", "poor_population", "gap_total"}

// lineSums are the poverty sums of one line over the units of one cell of
// the finest cross-classification of all breakdowns. Every breakdown is a
// coarsening of it, so one pass over the units per line serves them all.
type lineSums struct {
	rep         int // a unit of the cell
	sums        indices.PovertySums
	unresolvedN int // units whose line group has no reference unit
	unresolvedW float64
}

// cellSums accumulates a line's sums in every cell of the finest grouping.
func cellSums(u *units, finest *grouping, rep []int, lv *lineValues) []lineSums {
	cells := make([]lineSums, finest.size())
	for c := range cells {
		cells[c].rep = rep[c]
	}
	for i, c := range finest.codes {
		z := lv.z[i]
		if math.IsNaN(z) {
			cells[c].unresolvedN++
			cells[c].unresolvedW += u.w[i]
			continue
		}
		cells[c].sums.Add(u.x[i], u.w[i], z)
	}
	return cells
}

// representatives returns the index of the first unit of each group.
func representatives(g *grouping) []int {
	rep := make([]int, g.size())
	for i := range rep {
		rep[i] = -1
	}
	for i, c := range g.codes {
		if rep[c] < 0 {
			rep[c] = i
		}
	}
	return rep
}

// povertyRows returns the indicators of one line for every domain of g.
func povertyRows(u *units, g *grouping, lv *lineValues, cells []lineSums, poor *poorUnits, want wants, order []string) []Result {
	k := g.size()
	sums := make([]indices.PovertySums, k)
	unresolvedN := make([]int, k)
	unresolvedW := make([]float64, k)
	for _, cell := range cells {
		j := g.codes[cell.rep]
		sums[j].Merge(cell.sums)
		unresolvedN[j] += cell.unresolvedN
		unresolvedW[j] += cell.unresolvedW
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
			var g, m float64
			if gini != nil {
				g = gini[j]
			}
			if rmpg != nil {
				m = rmpg[j]
			}
			r := PovertyResult(name, lv.line.Name, dom, s, unresolvedN[j], unresolvedW[j], g, m)
			out = append(out, r)
		}
	}
	return out
}

// PovertyResult is the row of the line indicator name (one of
// headcount, gap, severity, watts, sen, rmpg, poor_population, gap_total)
// of line in domain dom, from the domain's poverty sums s: units whose line
// group has no reference unit (unresolvedN of weight unresolvedW) count in
// n and population and are left out of the estimate, with a note;
// poorGini is the Gini of the poor's incomes relative to their line (for
// sen) and rmpg the relative median poverty gap. A runner that computes
// the sums elsewhere (pipeline/beam) builds its rows with it.
func PovertyResult(name, line string, dom []DomainValue, s indices.PovertySums, unresolvedN int, unresolvedW, poorGini, rmpg float64) Result {
	r := Result{Indicator: name, Line: line, Domain: dom, N: s.N + unresolvedN, Population: s.Pop + unresolvedW}
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
		r.Estimate = indices.SenIndex(s, poorGini)
	case "rmpg":
		r.Estimate = rmpg
	case "poor_population":
		r.Estimate = s.Poor
	case "gap_total":
		r.Estimate = s.GapMoney
	}
	if unresolvedN > 0 {
		r.ExcludedN += unresolvedN
		r.ExcludedPopulation += unresolvedW
		r.Note = "some units belong to a line group without reference units and are left out"
	}
	if math.IsNaN(r.Estimate) && r.Note == "" {
		r.Note = undefinedReason(name, s)
	}
	return r
}

// poorMedianGaps returns, per domain, the relative median poverty gap
// 1 - median(x/z) over the poor: (z - median of the poor)/z for one line.
// The poor are sorted, and partition keeps their order within each domain,
// so each median is a scan.
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
		out[j] = 1 - indices.QuantileSorted(0.5, rs[off[j]:off[j+1]], ws[off[j]:off[j+1]])
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

// fpcOrNil is the units' sampling fractions, nil without design.fpc.
func (u *units) fpcOrNil() []float64 { return u.fpc }
