package pipeline

import (
	"math"
	"runtime"
	"slices"
	"sync"

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
	// blocks are the units of each split of the input (a Parquet row
	// group, a CSV file; see datasets.Splits): those of split b are
	// [blocks[b], blocks[b+1]). nil is one block of every unit. Sums over
	// units are blocked by split (see eachBlock).
	blocks []int
}

// eachBlock calls f with the units [lo, hi) of every split of the input,
// in order.
//
// Every sum over units is blocked by split: the units of one split are
// added in row order to an accumulator of their group or cell that starts
// at zero, and these partial sums are then merged in split order (groups
// of a coarser domain from their cells, in cell order). A runner that
// sums split by split on different machines (pipeline/beam), each split's
// partial starting at zero, so makes the same additions in the same order,
// and its sums equal Run's to the bit.
func (u *units) eachBlock(f func(lo, hi int)) {
	if len(u.blocks) < 2 {
		f(0, len(u.x))
		return
	}
	for b := 0; b+1 < len(u.blocks); b++ {
		f(u.blocks[b], u.blocks[b+1])
	}
}

// eachBlockParallel is eachBlock over goroutines: sum(p, lo, hi) adds the
// units of a block into a part p of its own (made by mk, one per
// goroutine), and merge(p) then adds each block's part into the totals
// and clears it, block after block in order, so that the totals are those
// of eachBlock's loop whatever GOMAXPROCS is. Blocks run in waves of up
// to GOMAXPROCS.
func eachBlockParallel[P any](u *units, mk func() P, sum func(p P, lo, hi int), merge func(p P)) {
	var bounds [][2]int
	u.eachBlock(func(lo, hi int) { bounds = append(bounds, [2]int{lo, hi}) })
	wave := max(1, min(runtime.GOMAXPROCS(0), len(bounds)))
	parts := make([]P, wave)
	for i := range parts {
		parts[i] = mk()
	}
	for first := 0; first < len(bounds); first += wave {
		last := min(first+wave, len(bounds))
		if last-first == 1 {
			sum(parts[0], bounds[first][0], bounds[first][1])
		} else {
			var wg sync.WaitGroup
			for b := first; b < last; b++ {
				wg.Go(func() { sum(parts[b-first], bounds[b][0], bounds[b][1]) })
			}
			wg.Wait()
		}
		for b := first; b < last; b++ {
			merge(parts[b-first])
		}
	}
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
// their line, r = x / z (ties by unit index), with their weight and their
// cell of the finest grouping, so that the Gini and the median of the poor
// of every domain come from one sequential pass over them (a domain is a
// union of cells).
type poorUnits struct {
	cell []int32   // cell of the finest grouping
	r    []float64 // x / z
	w    []float64 // weight

	// The poor in unit order, for their medians (poorMedianGaps): each
	// one's unit and r, and where the poor of each split start (blocks).
	unit   []int32
	unitR  []float64
	blocks []int
}

func sortedPoor(u *units, lv *lineValues, finest *grouping) *poorUnits {
	poor := func(x, z float64) bool { return x < z && z > 0 }
	n := 0
	for i, x := range u.x {
		if poor(x, lv.at(i)) {
			n++
		}
	}
	// The poor in unit order, in arrays of their exact size.
	idx, r := make([]int32, 0, n), make([]float64, 0, n)
	for i, x := range u.x {
		if z := lv.at(i); poor(x, z) {
			idx = append(idx, int32(i))
			r = append(r, x/z)
		}
	}
	order := radixOrder(r)
	p := &poorUnits{cell: make([]int32, n), r: make([]float64, n), w: make([]float64, n), unit: idx, unitR: r}
	if len(u.blocks) >= 2 {
		p.blocks = make([]int, len(u.blocks))
		for b, lo := range u.blocks {
			p.blocks[b], _ = slices.BinarySearch(idx, int32(lo))
		}
	}
	codes := finest.codes
	if finest.size() == 1 {
		codes = nil // one cell: every cell is 0
	}
	for k, o := range order {
		i := idx[o]
		p.r[k], p.w[k] = r[o], u.w[i]
		if codes != nil {
			p.cell[k] = codes[i]
		}
	}
	return p
}

// poorValues are the Gini of the poor (sen) and their median gap (rmpg)
// of every domain of a breakdown, when a runner found them otherwise than
// from the poor in order (the streaming runner, stream_poor.go).
type poorValues struct{ gini, rmpg []float64 }

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

// cellSums accumulates a line's sums in every cell of the finest grouping,
// in unit order, looking each unit's line up by its group (a national line
// is one value; one cell reads no codes).
func cellSums(u *units, finest *grouping, rep []int, lv *lineValues) []lineSums {
	cells := make([]lineSums, finest.size())
	for c := range cells {
		cells[c].rep = rep[c]
	}
	// A block's sums (units.eachBlock); with many cells, the cells a block
	// meets are listed rather than all merged.
	part := make([]lineSums, len(cells))
	many := len(cells) > 1<<12
	var touched []int32
	fc := finest.codes
	if len(cells) == 1 { // one cell: no codes read
		fc = nil
	}
	u.eachBlock(func(lo, hi int) {
		// The loop is written out (no closure per unit): the national line
		// and one cell read neither codes nor lines.
		x, w := u.x[lo:hi], u.w[lo:hi]
		switch {
		case lv.national() && fc == nil:
			z, p := lv.values[0], &part[0]
			if math.IsNaN(z) {
				for i := range x {
					p.unresolvedN++
					p.unresolvedW += w[i]
				}
				break
			}
			for i := range x {
				p.sums.Add(x[i], w[i], z)
			}
			if many && len(x) > 0 {
				touched = append(touched, 0)
			}
		default: // a loop for each case, so that no unit tests what the case is
			var cs, codes []int32
			if fc != nil {
				cs = fc[lo:hi]
			}
			if !lv.national() {
				codes = lv.groups.codes[lo:hi]
			}
			add := func(c int32, i int, z float64) {
				p := &part[c]
				if many && p.sums.N == 0 && p.unresolvedN == 0 {
					touched = append(touched, c)
				}
				if math.IsNaN(z) {
					p.unresolvedN++
					p.unresolvedW += w[i]
					return
				}
				p.sums.Add(x[i], w[i], z)
			}
			switch {
			case codes == nil: // a national line, several cells
				z := lv.values[0]
				for i, c := range cs {
					add(c, i, z)
				}
			case cs == nil: // a line by group, one cell
				for i, g := range codes {
					add(0, i, lv.values[g])
				}
			default:
				for i, c := range cs {
					add(c, i, lv.values[codes[i]])
				}
			}
		}
		if many {
			for _, c := range touched {
				cells[c].merge(&part[c])
			}
			touched = touched[:0]
			return
		}
		for c := range part {
			cells[c].merge(&part[c])
		}
	})
	return cells
}

// merge adds the sums of a block (those with a unit) to s and clears them
// in p.
func (s *lineSums) merge(p *lineSums) {
	if p.sums.N > 0 {
		s.sums.Merge(p.sums)
		p.sums = indices.PovertySums{}
	}
	if p.unresolvedN > 0 {
		s.unresolvedN += p.unresolvedN
		s.unresolvedW += p.unresolvedW
		p.unresolvedN, p.unresolvedW = 0, 0
	}
}

// representatives returns the index of the first unit of each group (-1
// for an empty group). One group's is unit 0, without a scan of its codes.
func representatives(g *grouping) []int {
	rep := make([]int, g.size())
	for i := range rep {
		rep[i] = -1
	}
	if len(rep) == 1 {
		if len(g.codes) > 0 {
			rep[0] = 0
		}
		return rep
	}
	for i, c := range g.codes {
		if rep[c] < 0 {
			rep[c] = i
		}
	}
	return rep
}

// povertyRows returns the indicators of one line for every domain of g.
func povertyRows(u *units, g *grouping, lv *lineValues, cells []lineSums, poor *poorUnits, want wants, order []string, pre *poorValues) []Result {
	k := g.size()
	sums := make([]indices.PovertySums, k)
	unresolvedN := make([]int, k)
	unresolvedW := make([]float64, k)
	groupOf := make([]int32, len(cells)) // the group of each cell
	// In cell order, the cells with a unit (as a runner that sums only the
	// cells it meets).
	for c, cell := range cells {
		j := g.codes[cell.rep]
		groupOf[c] = j
		if cell.sums.N > 0 {
			sums[j].Merge(cell.sums)
		}
		if cell.unresolvedN > 0 {
			unresolvedN[j] += cell.unresolvedN
			unresolvedW[j] += cell.unresolvedW
		}
	}
	var gini []float64
	switch {
	case want["sen"] && pre != nil:
		gini = pre.gini
	case want["sen"]:
		gs := make([]indices.GiniByBucket, k) // as the Beam runner joins them
		for p, c := range poor.cell {
			gs[groupOf[c]].AddSorted(poor.r[p], poor.w[p])
		}
		gini = make([]float64, k)
		for j := range gs {
			sums := gs[j].Sums()
			gini[j] = sums.Gini()
		}
	}
	var rmpg []float64
	switch {
	case want["rmpg"] && pre != nil:
		rmpg = pre.rmpg
	case want["rmpg"]:
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

// poorMedianGaps returns, per domain of g, the relative median poverty
// gap 1 - median(x/z) over the poor: (z - median of the poor)/z for one
// line. The medians are groupMedians' of the poor in unit order, blocked
// by split, as the runners that read row groups find them.
func poorMedianGaps(u *units, g *grouping, poor *poorUnits) []float64 {
	k := g.size()
	codes, ws := make([]int32, len(poor.unit)), make([]float64, len(poor.unit))
	for p, i := range poor.unit {
		codes[p], ws[p] = g.codes[i], u.w[i]
	}
	out := groupMedians(codes, k, nil, poor.unitR, ws, poor.blocks)
	for j := range out {
		out[j] = 1 - out[j]
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
