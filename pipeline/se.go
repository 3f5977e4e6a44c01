package pipeline

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/povstat/povstat/indices"
)

// seJob holds what the standard errors of one study need.
type seJob struct {
	s       *Study
	u       *units
	p       *plan
	e       *varEngine
	order   []int32      // units sorted by income (nil unless seSorts)
	sorted  *sortedCells // the units in that order with their finest cell, from the point estimates (nil when they did not sort)
	cells   [][]lineSums // per line: its sums in the cells of the finest grouping (point estimates)
	results []Result

	index       map[string]int // rows by (indicator, line, domain)
	ratioIndex  map[string]int // ratio rows by (indicator, ratio, domain)
	set         setFunc        // fills the SE of a row
	lineRefs    map[*lineValues]*lineRef
	memberCache map[string]*domainMembers    // per breakdown, members in unit order, made when first asked for (members)
	memberMu    sync.Mutex                   // guards memberCache
	sortedCache map[string]*sortedMembers    // per breakdown, members in income order
	rmpgLines   map[*lineValues]rmpgLine     // per national line: the line as RMPG's influence sees it
	records     []*linRecord                 // per result: its linearized variable (with a time column), for differences
	keepRecords bool                         // keep records without a time column (for differenceRows)
	grouped     map[*lineValues]*groupedLine // per grouped relative line
	lineCells   map[*lineValues][]lineSums   // per line: the cells of the point estimates
	base        *povBase                     // the line-free sums of povertyErrors
	lorenzOnce  sync.Once                    // makes lorenzRows
	lorenzRows  map[string]*Result           // the Lorenz rows by lorenzRowKey
}

// rmpgLine is a national line for RMPGInfluence (rmpgLineOf) and, when
// estimated, its influence function prepared for the variance.
type rmpgLine struct {
	line indices.Line
	glob *globalPart
}

// sortedMembers are the units of each domain of a breakdown in increasing
// order of income (ties in unit order), with their incomes and weights in
// that order: domain d is idx, x and w [off[d]:off[d+1]].
type sortedMembers struct {
	*domainMembers
	x, w []float64
	cell []int32 // the (domain, PSU) cell of each unit (varEngine.cells)
}

// newSortedMembers returns the units of each domain of g in the order of
// order (a permutation of the units: the units sorted by income), with
// their incomes, weights and cells (no cells when cells is nil). The
// members are newDomainMembersOrdered's with the units' incomes, weights
// and cells gathered in that order, but each unit's income, weight, cell
// and domain are first put side by side in unit order, so that the gather
// in order costs one cache miss per unit instead of one per slice.
func newSortedMembers(u *units, g *grouping, order []int32, cells *psuCells) *sortedMembers {
	k, n := g.size(), len(order)
	type unit struct {
		x, w       float64
		cell, code int32
	}
	units := make([]unit, n)
	for i := range units {
		v := &units[i]
		v.x, v.w, v.code = u.x[i], u.w[i], g.codes[i]
		if cells != nil {
			v.cell = cells.of[i]
		}
	}
	m := &domainMembers{off: make([]int, k+1), idx: order} // one domain: order itself
	if k > 1 {
		for _, c := range g.codes {
			m.off[c+1]++
		}
		for d := 1; d <= k; d++ {
			m.off[d] += m.off[d-1]
		}
		m.idx = make([]int32, n)
	} else {
		m.off[1] = n
	}
	sm := &sortedMembers{domainMembers: m, x: make([]float64, n), w: make([]float64, n)}
	if cells != nil {
		sm.cell = make([]int32, n)
	}
	next := append([]int(nil), m.off[:k]...)
	for p, i := range order {
		v := &units[i]
		q := p
		if k > 1 {
			q = next[v.code]
			next[v.code]++
			m.idx[q] = i
		}
		sm.x[q], sm.w[q] = v.x, v.w
		if cells != nil {
			sm.cell[q] = v.cell
		}
	}
	return sm
}

// sortedMembersFrom is newSortedMembers from the point estimates' sorted
// units sc, in the order of order, with their codes of the finest grouping
// (sc.cells; nil when it has one group), which groupOf maps to the domains
// of g: the incomes and weights are read in sequence (and shared as they
// are by a breakdown of one domain), the domains follow from the finest
// codes, and only the cells are read at random, when wanted. The values
// are newSortedMembers's.
func sortedMembersFrom(sc *sortedCells, g *grouping, groupOf []int32, order []int32, cells *psuCells) *sortedMembers {
	k, n := g.size(), len(order)
	code := func(p int) int32 {
		if k == 1 {
			return 0
		}
		return groupOf[sc.cells[p]]
	}
	m := &domainMembers{off: make([]int, k+1), idx: order} // one domain: order itself
	sm := &sortedMembers{domainMembers: m}
	if cells != nil {
		sm.cell = make([]int32, n)
	}
	if k == 1 {
		m.off[1] = n
		sm.x, sm.w = sc.x, sc.w // read-only
		if cells != nil {
			newChunks(n).run(func(_, lo, hi int) {
				for p := lo; p < hi; p++ {
					sm.cell[p] = cells.of[order[p]]
				}
			})
		}
		return sm
	}
	// In chunks on all cores: each chunk's units of domain d go to the
	// positions after those of the chunks before it, which are the
	// positions of one pass in order (whatever the number of chunks). The
	// cells are read at random, one cache miss per unit: on all cores.
	ch := newChunks(n)
	counts := make([][]int, ch.k)
	ch.run(func(c, lo, hi int) {
		cnt := make([]int, k)
		for p := lo; p < hi; p++ {
			cnt[code(p)]++
		}
		counts[c] = cnt
	})
	for _, cnt := range counts {
		for d, v := range cnt {
			m.off[d+1] += v
		}
	}
	for d := 1; d <= k; d++ {
		m.off[d] += m.off[d-1]
	}
	starts := make([][]int, ch.k)
	pos := append([]int(nil), m.off[:k]...)
	for c, cnt := range counts {
		starts[c] = append([]int(nil), pos...)
		for d, v := range cnt {
			pos[d] += v
		}
	}
	m.idx, sm.x, sm.w = make([]int32, n), make([]float64, n), make([]float64, n)
	ch.run(func(c, lo, hi int) {
		next := starts[c]
		for p := lo; p < hi; p++ {
			i := order[p]
			d := code(p)
			q := next[d]
			next[d]++
			m.idx[q], sm.x[q], sm.w[q] = i, sc.x[p], sc.w[p]
			if cells != nil {
				sm.cell[q] = cells.of[i]
			}
		}
	})
	return sm
}

// finestGroupOf returns the domain of g of each domain of the finest
// grouping (a coarsening of it), from one unit of each.
func (j *seJob) finestGroupOf(g *grouping) []int32 {
	fm := j.finestMembers()
	groupOf := make([]int32, len(fm.off)-1)
	for f := range groupOf {
		if fm.off[f+1] > fm.off[f] {
			groupOf[f] = g.codes[fm.idx[fm.off[f]]]
		}
	}
	return groupOf
}

// cells returns the cells of the units of domain d.
func (m *sortedMembers) cells(d int) []int32 {
	return m.cell[m.off[d]:m.off[d+1]]
}

// domain returns the units of domain d and their incomes and weights.
func (m *sortedMembers) domain(d int) (idx []int32, x, w []float64) {
	lo, hi := m.off[d], m.off[d+1]
	return m.idx[lo:hi], m.x[lo:hi], m.w[lo:hi]
}

// addStandardErrors fills SE, interval, RSE, design effect and method of
// every result that has a linearized form; the others get the method
// "unavailable". Linearized variables follow R convey; the median's interval
// is Woodruff's, as R survey's svyquantile.
//
// The work is split into independent tasks (per breakdown: the base rows,
// each line's poverty rows, each inequality indicator, the ratios; per
// line its value), run in parallel; each fills its own rows, so the result
// does not depend on GOMAXPROCS.
//
// With a time column (or j.keepRecords) it keeps every row's linearized
// variable and returns the standard error of the difference of two rows
// for changeRows (and differenceRows); otherwise nil.
func addStandardErrors(ctx context.Context, j *seJob, lines []*lineValues, results []Result) (func(cur, prev int) (float64, float64, string), error) {
	if err := j.run(ctx, lines, results); err != nil {
		return nil, err
	}
	if j.records == nil {
		return nil, nil
	}
	return j.diffFunc(), nil
}

// run fills the standard errors (see addStandardErrors).
func (j *seJob) run(ctx context.Context, lines []*lineValues, results []Result) error {
	j.results = results
	if j.s.Time != "" || j.keepRecords {
		j.records = make([]*linRecord, len(results))
	}
	j.lineRefs = map[*lineValues]*lineRef{}
	j.memberCache = map[string]*domainMembers{}
	j.sortedCache = map[string]*sortedMembers{}
	index := map[string]int{}
	j.ratioIndex = map[string]int{}
	for i, r := range results {
		index[resultKey(r.Indicator, r.Line, r.Domain)] = i
		if r.Ratio != "" {
			j.ratioIndex[resultKey(r.Indicator, r.Ratio, r.Domain)] = i
		}
		results[i].SEMethod = "unavailable"
		results[i].SE, results[i].CILower, results[i].CIUpper = math.NaN(), math.NaN(), math.NaN()
		results[i].RSE, results[i].Deff = math.NaN(), math.NaN()
	}
	j.index = index
	set := func(ind, line string, g *grouping, d int, est, v, vsrs float64, method string) {
		i, ok := index[resultKey(ind, line, g.domain(d))]
		if !ok {
			return
		}
		r := &results[i]
		se := math.Sqrt(v)
		r.SE, r.SEMethod = se, method
		r.CILower, r.CIUpper = j.e.interval(est, se)
		r.RSE = se / math.Abs(est)
		if vsrs > 0 {
			r.Deff = v / vsrs
		}
		r.Unreliable = j.s.RSELimit > 0 && r.RSE > j.s.RSELimit
	}
	j.set = set
	breakdowns := append([][]string{nil}, j.s.Domains...)
	// The caches the tasks read: the reference of every national relative
	// line (the members of the domains are made when first asked for).
	var tasks []func() error
	for _, cols := range breakdowns {
		j.sortedCache[colsKey(cols)] = nil
	}
	// The units of each domain in order of income, for the median and the
	// influence functions that sort (every breakdown).
	var sortedTasks []func() error // the whole population first
	if seSorts(j.s) {
		for _, cols := range breakdowns {
			g := j.p.groupings[colsKey(cols)]
			sm := &sortedMembers{}
			j.sortedCache[colsKey(cols)] = sm
			sortedTasks = append(sortedTasks, func() error {
				cells := j.e.cells(j.members(g))
				if j.sorted != nil && len(j.sorted.x) == len(j.order) && (j.sorted.cells != nil || g.size() == 1) {
					*sm = *sortedMembersFrom(j.sorted, g, j.finestGroupOf(g), j.order, cells)
				} else {
					*sm = *newSortedMembers(j.u, g, j.order, cells)
				}
				return nil
			})
		}
	}
	tasks = append(tasks, sortedTasks...)
	cores := map[string]**refCore{} // nil when the reference population is undefined
	wantRMPG := slices.Contains(j.s.Indicators, "rmpg")
	rmpg := make([]rmpgLine, len(lines))
	for l, lv := range lines {
		if k := refKey(lv.line); isNationalRelative(lv) {
			if _, ok := cores[k]; !ok {
				c := new(*refCore)
				cores[k] = c
				tasks = append(tasks, func() error {
					*c = j.computeRefCore(lv.line)
					// RMPG's national median lines of these reference units,
					// from the core's median, density and bandwidth.
					if wantRMPG && lv.line.Basis == "median" {
						rc := j.rmpgCoreOf(*c)
						for l2, lv2 := range lines {
							if isNationalRelative(lv2) && refKey(lv2.line) == k {
								rmpg[l2] = j.rmpgLineOf(lv2, rc)
							}
						}
					}
					return nil
				})
			}
		}
		if wantRMPG && len(lv.line.By) == 0 && lv.line.Basis != "median" {
			rmpg[l] = j.rmpgLineOf(lv, nil) // held fixed
		}
	}
	if wantsInfluence(j.s.Indicators, povNames[:]...) {
		tasks = append(tasks, func() error {
			j.base = j.povertyBase()
			return nil
		})
	}
	for _, lv := range lines { // each unit's line under a grouped line (a national one's is values[0])
		if !lv.national() {
			tasks = append(tasks, func() error {
				lv.unitLines()
				return nil
			})
		}
	}
	grouped := make([]*groupedLine, len(lines))
	for l, lv := range lines {
		if wantsInfluence(j.s.Indicators, "headcount", "line", "rmpg") && len(lv.line.By) > 0 {
			tasks = append(tasks, func() error {
				grouped[l] = j.computeGroupedLine(lv)
				return nil
			})
		}
	}
	if err := runTasks(ctx, tasks); err != nil {
		return err
	}
	for _, lv := range lines {
		var core *refCore
		if c := cores[refKey(lv.line)]; c != nil {
			core = *c
		}
		j.lineRefs[lv] = j.computeLineReference(lv, core)
	}
	j.rmpgLines = map[*lineValues]rmpgLine{}
	j.grouped = map[*lineValues]*groupedLine{}
	for l, lv := range lines {
		j.rmpgLines[lv] = rmpg[l]
		j.grouped[lv] = grouped[l]
	}
	j.lineCells = map[*lineValues][]lineSums{}
	for l, lv := range lines {
		if l < len(j.cells) {
			j.lineCells[lv] = j.cells[l]
		}
	}
	var work []seTask
	baseCost := costPass
	if slices.Contains(j.s.Indicators, "median") {
		baseCost = costInfluence
	}
	for _, lv := range lines {
		work = append(work, seTask{costPair, func() error {
			j.povertyErrors(breakdowns, lv)
			return nil
		}})
		work = append(work, seTask{costShort, func() error {
			j.lineValueErrors(lv, results, index)
			return nil
		}})
	}
	for _, cols := range breakdowns {
		g := j.p.groupings[colsKey(cols)]
		st := j.p.stats[statsRequest{cols: cols}.key()]
		work = append(work, seTask{baseCost, func() error {
			j.baseErrors(g, st, set, results, index)
			j.ratioErrors(g, set)
			return nil
		}})
		work = append(work, j.influenceTasks(g, lines, set)...)
		for _, t := range j.regionTasks(g) {
			work = append(work, seTask{costPass, t})
		}
		if len(lorenzAsked(j.s.Indicators)) > 0 {
			work = append(work, seTask{costPass, func() error {
				j.lorenzErrors(g)
				return nil
			}})
		}
	}
	return runTasks(ctx, longestFirst(work))
}

// seSorts reports whether the linearized standard errors of study s read
// the units in order of income: for the median and the influence
// functions that sort. The poverty indicators and the lines do not (see
// windowedQuantiles).
func seSorts(s *Study) bool {
	return wantsInfluence(s.Indicators, "median", "gini", "theil_t", "theil_l", "sen", "qsr", "palma", "rmpg") ||
		slices.ContainsFunc(s.Indicators, func(n string) bool {
			return strings.HasPrefix(n, "ge_") || strings.HasPrefix(n, "atkinson_") || strings.HasPrefix(n, "share_")
		})
}

// seTask is a task of seJob.run with its estimated cost (costShort to
// costPair), for scheduling the longest first.
type seTask struct {
	cost int
	run  func() error
}

// The estimated costs of seTasks, in rough passes over the units (the
// measured times at 1M households are within about 2× of them): a task
// whose work does not grow with the units (costShort); one pass over the
// units (costPass: sums, Sen); an influence function over the units in
// order and its variance (costInfluence: Gini, QSR, RMPG, Woodruff's
// median of every domain); more (costPair: the pair of Theil
// influences, a line's poverty indicators in every breakdown).
const (
	costShort = iota
	costPass
	costInfluence
	costPair
)

// longestFirst returns the tasks of ts in decreasing order of cost, the
// tasks of equal cost in their order in ts (longest processing time
// first: on k workers the last task to finish is a short one, so that
// the workers stay busy to the end). Every task fills its own results,
// so the order does not change them.
func longestFirst(ts []seTask) []func() error {
	ts = slices.Clone(ts)
	slices.SortStableFunc(ts, func(a, b seTask) int { return b.cost - a.cost })
	out := make([]func() error, len(ts))
	for k, t := range ts {
		out[k] = t.run
	}
	return out
}

// wantsInfluence reports whether any of names is among the indicators.
func wantsInfluence(indicators []string, names ...string) bool {
	for _, n := range names {
		if slices.Contains(indicators, n) {
			return true
		}
	}
	return false
}

func resultKey(ind, line string, dom []DomainValue) string {
	var b strings.Builder
	b.WriteString(ind + "\x00" + line)
	for _, d := range dom {
		b.WriteString("\x00" + d.Column + "=" + d.Value)
	}
	return b.String()
}

type setFunc func(ind, line string, g *grouping, d int, est, v, vsrs float64, method string)

// baseErrors: population (a total), mean (a ratio of totals) and median
// (Woodruff's interval).
func (j *seJob) baseErrors(g *grouping, st *groupStats, set setFunc, results []Result, index map[string]int) {
	u, k := j.u, g.size()
	method := j.e.methodName()
	members := j.members(g)
	has := func(ind string) bool {
		_, ok := index[resultKey(ind, "", g.domain(0))]
		return ok
	}
	if has("population") {
		ones := make([]float64, len(u.x))
		for i := range ones {
			ones[i] = 1
		}
		v, vs, acc, _ := j.e.domainVariancesAcc(members, u.w, linVar{a: ones})
		for d := 0; d < k; d++ {
			set("population", "", g, d, st.pop[d], v[d], vs[d], method)
			j.keep("population", "", g, d, recordAcc(acc, 0, d, 0, nil))
		}
	}
	if has("mean") {
		a := make([]float64, len(u.x))
		for i, d := range g.codes {
			a[i] = (u.x[i] - st.income[d]/st.pop[d]) / st.pop[d]
		}
		v, vs, acc, _ := j.e.domainVariancesAcc(members, u.w, linVar{a: a})
		for d := 0; d < k; d++ {
			set("mean", "", g, d, st.income[d]/st.pop[d], v[d], vs[d], method)
			j.keep("mean", "", g, d, recordAcc(acc, 0, d, 0, nil))
		}
	}
	if !has("median") {
		return
	}
	sorted := j.sortedCache[colsKey(g.cols)]
	sp := j.e.sparse()
	defer j.e.sparsePool.Put(sp)
	for d := 0; d < k; d++ {
		i, ok := index[resultKey("median", "", g.domain(d))]
		if !ok {
			continue
		}
		q, lo, hi, se := j.domainWoodruff(sp, j.e.cells(members), d, sorted, 0.5)
		set("median", "", g, d, q, se*se, math.NaN(), "woodruff, "+method)
		results[i].CILower, results[i].CIUpper = lo, hi
		j.keepMedian(j.e.cells(members), g, d, sorted, q)
	}
}

// domainWoodruff is indices.WoodruffInterval over the design with weights
// zero outside domain d (the units of sorted, in increasing order of
// income, ties in unit order), at the cost of the domain's units: the
// weighted CDF from their cumulative weights, the variance of the
// proportion below the quantile from their PSU totals (indices.Sparse),
// and the degrees of freedom of the domain (its PSUs minus its strata).
func (j *seJob) domainWoodruff(sp *indices.Sparse, cells *psuCells, d int, sorted *sortedMembers, p float64) (q, lo, hi, se float64) {
	idx, dx, dw := sorted.domain(d)
	dc := sorted.cells(d)
	units, xs, ws, cs := idx, dx, dw, dc // when every weight is positive, the domain's own slices
	if slices.ContainsFunc(dw, func(w float64) bool { return !(w > 0) }) {
		units, xs, ws, cs = make([]int32, 0, len(idx)), make([]float64, 0, len(idx)), make([]float64, 0, len(idx)), make([]int32, 0, len(idx))
		for k, i := range idx {
			if dw[k] > 0 {
				units, xs, ws, cs = append(units, i), append(xs, dx[k]), append(ws, dw[k]), append(cs, dc[k])
			}
		}
	}
	return woodruff(xs, ws, p, j.s.Level, func(a []float64) (float64, int) {
		v, _, _ := j.e.compactVariance(sp, cells, d, units, cs, ws, a, 0, nil, nil)
		return v, sp.DF()
	})
}

// woodruff is indices.WoodruffInterval for the units of positive weight
// xs, ws in increasing order of income, with the variance (and degrees of
// freedom) of the linearized variable a, one value per unit, from
// variance:
//
//	q = min{x_k : F(x_k) >= p},  m = F(q),  a_k = ([x_k <= q] - m) / sum w
//	lo, hi = Q(m -+ t sqrt(V(a))),  se = (hi - lo) / (2 t)
func woodruff(xs, ws []float64, p, level float64, variance func(a []float64) (float64, int)) (q, lo, hi, se float64) {
	nan := math.NaN()
	cum := make([]float64, len(xs))
	total := 0.0
	for k, w := range ws {
		total += w
		cum[k] = total
	}
	if total == 0 {
		return nan, nan, nan, nan
	}
	quantile := func(p float64) float64 {
		k := sort.SearchFloat64s(cum, p*total)
		if k == len(cum) {
			k-- // rounding: p = 1 with a sum that fell short
		}
		return xs[k]
	}
	q = quantile(p)
	below := 0.0
	for k, x := range xs {
		if x > q {
			break
		}
		below = cum[k]
	}
	m := below / total
	a := make([]float64, len(xs))
	for k, x := range xs {
		a[k] = (b2f(x <= q) - m) / total
	}
	v, df := variance(a)
	s := math.Sqrt(v)
	t := indices.TQuantile((1+level)/2, df)
	lo, hi = nan, nan
	if pl := m - t*s; pl >= 0 {
		lo = quantile(pl)
	}
	if pu := m + t*s; pu <= 1 {
		hi = quantile(pu)
	}
	return q, lo, hi, (hi - lo) / (2 * t)
}

// influenceTasks: the indicators whose influence functions indices
// provides: Gini, Theil, GE, Atkinson, QSR; and, for each national line,
// Sen (line fixed) and RMPG (with a national median line's own variance,
// as convey's svyrmpg). One task per indicator (and line) and breakdown.
//
// In each domain the influence function is computed over the domain's
// units only (in income order, so that the sorts inside are linear), which
// equals the influence function over the full sample with weights zero
// outside the domain; the variance is that of the full design
// (convey's svyrecvar(lin/prob, full design)), from the PSU totals of the
// domain's units (indices.Sparse), plus, for RMPG under an estimated
// line, the line's part over its whole reference population (an
// indices.Shared).
func (j *seJob) influenceTasks(g *grouping, lines []*lineValues, set setFunc) []seTask {
	var tasks []seTask
	// Theil T and L from one pass (indices.TheilInfluences).
	theilPair := slices.Contains(j.s.Indicators, "theil_t") && slices.Contains(j.s.Indicators, "theil_l")
	if theilPair {
		tasks = append(tasks, seTask{costPair, func() error {
			j.influenceRowsPair(g, "theil_t", "theil_l", indices.TheilInfluences)
			return nil
		}})
	}
	for _, name := range j.s.Indicators {
		ind, ok := parseIndicator(name)
		if !ok || ind.family != familyInequality {
			continue
		}
		if theilPair && (name == "theil_t" || name == "theil_l") {
			continue
		}
		var f func(dst, x, w []float64) []float64
		switch {
		case ind.groups != 0:
			f = func(dst, x, w []float64) []float64 { return indices.ShareInfluence(dst, x, w, ind.groups, ind.group) }
		case name == "palma":
			f = indices.PalmaInfluence
		case name == "gini":
			f = indices.GiniInfluence
		case name == "theil_t":
			f = func(dst, x, w []float64) []float64 { return indices.GEInfluence(dst, x, w, 1) }
		case name == "theil_l":
			f = func(dst, x, w []float64) []float64 { return indices.GEInfluence(dst, x, w, 0) }
		case name == "qsr":
			f = indices.QSRInfluence
		case strings.HasPrefix(name, "ge_"):
			f = func(dst, x, w []float64) []float64 { return indices.GEInfluence(dst, x, w, ind.param) }
		case strings.HasPrefix(name, "atkinson_"):
			f = func(dst, x, w []float64) []float64 { return indices.AtkinsonInfluence(dst, x, w, ind.param) }
		default:
			continue
		}
		tasks = append(tasks, seTask{costInfluence, func() error {
			j.influenceRows(g, name, "", j.e.methodName(), func(dst, xs, ws []float64) ([]float64, float64) {
				return f(dst, xs, ws), 0
			}, nil)
			return nil
		}})
	}
	wantSen, wantRMPG := slices.Contains(j.s.Indicators, "sen"), slices.Contains(j.s.Indicators, "rmpg")
	for _, lv := range lines {
		if len(lv.line.By) > 0 {
			tasks = append(tasks, j.groupedLineTasks(g, lv, wantSen, wantRMPG)...)
			continue
		}
		z := lv.values[0]
		if wantRMPG {
			tasks = append(tasks, seTask{costInfluence, func() error {
				rl := j.rmpgLines[lv]
				ref, glob := rl.line, rl.glob
				method := j.e.methodName()
				if ref.Infl == nil {
					method += ", line fixed"
				}
				j.influenceRows(g, "rmpg", lv.line.Name, method, func(dst, xs, ws []float64) ([]float64, float64) {
					// The domain's local part, and the coefficient of the
					// line's influence function over its population.
					dst, c := indices.RMPGInfluenceParts(dst, xs, ws, indices.Line{Z: z, Bandwidth: ref.Bandwidth})
					if glob == nil {
						c = 0
					}
					return dst, c
				}, glob)
				return nil
			}})
		}
		if wantSen {
			tasks = append(tasks, seTask{costPass, func() error {
				j.influenceRows(g, "sen", lv.line.Name, j.e.methodName()+", line fixed", func(dst, xs, ws []float64) ([]float64, float64) {
					return indices.SenInfluence(dst, xs, ws, z), 0
				}, nil)
				return nil
			}})
		}
	}
	return tasks
}

// influenceRows sets the SE of indicator ind (line line) in every domain of
// g whose row exists: infl returns the influence function over the
// domain's units xs, ws (in income order) and the coefficient c of the
// global part glob (nil for none).
func (j *seJob) influenceRows(g *grouping, ind, line, method string, infl func(dst, xs, ws []float64) ([]float64, float64), glob *globalPart) {
	members := j.sortedCache[colsKey(g.cols)]
	sp := j.e.sparse()
	defer j.e.sparsePool.Put(sp)
	var z []float64
	for d := 0; d < g.size(); d++ {
		if _, ok := j.index[resultKey(ind, line, g.domain(d))]; !ok {
			continue
		}
		_, xs, ws := members.domain(d)
		if cap(z) < len(xs) {
			z = make([]float64, len(xs))
		}
		var c float64
		z, c = infl(z[:len(xs)], xs, ws)
		j.influenceRow(sp, g, d, ind, line, method, z, c, glob)
	}
}

// influenceRow sets the SE of indicator ind (line line) in domain d of g
// from its influence function z over the domain's units (in income order)
// plus c times the global part glob (nil for none); sp is scratch.
func (j *seJob) influenceRow(sp *indices.Sparse, g *grouping, d int, ind, line, method string, z []float64, c float64, glob *globalPart) {
	members := j.sortedCache[colsKey(g.cols)]
	cells := j.e.cells(j.members(g))
	idx, xs, ws := members.domain(d)
	v, vs := math.NaN(), math.NaN()
	if len(idx) > 0 {
		var tot, gl []float64
		if glob != nil && glob.step != nil {
			gl = glob.stepL(nil, xs, ws)
		}
		v, vs, tot = j.e.compactVariance(sp, cells, d, idx, members.cells(d), ws, z, c, glob, gl)
		j.keep(ind, line, g, d, &linRecord{psu: cells.psu[cells.off[d]:cells.off[d+1]], tot: tot, c: c, glob: glob})
	}
	j.set(ind, line, g, d, j.resultValue(ind, line, g, d, j.index), v, vs, method)
}

// influenceRowsPair is influenceRows for two indicators a and b (no line,
// no global part) whose influence functions one call of infl returns.
func (j *seJob) influenceRowsPair(g *grouping, a, b string, infl func(dstA, dstB, xs, ws []float64) ([]float64, []float64)) {
	members := j.sortedCache[colsKey(g.cols)]
	sp := j.e.sparse()
	defer j.e.sparsePool.Put(sp)
	method := j.e.methodName()
	var za, zb []float64
	for d := 0; d < g.size(); d++ {
		_, okA := j.index[resultKey(a, "", g.domain(d))]
		_, okB := j.index[resultKey(b, "", g.domain(d))]
		if !okA && !okB {
			continue
		}
		_, xs, ws := members.domain(d)
		if cap(za) < len(xs) {
			za, zb = make([]float64, len(xs)), make([]float64, len(xs))
		}
		za, zb = infl(za[:len(xs)], zb[:len(xs)], xs, ws)
		if okA {
			j.influenceRow(sp, g, d, a, "", method, za, 0, nil)
		}
		if okB {
			j.influenceRow(sp, g, d, b, "", method, zb, 0, nil)
		}
	}
}

// ratioErrors: the ratio R = mean_A / mean_B of two groups' mean incomes in
// every domain, a smooth function of four totals, with linearized variable
//
//	z_i = R ([i in A] (x_i - mean_A) / Y_A - [i in B] (x_i - mean_B) / Y_B)
//
// over the domain's units (Y_A, Y_B the groups' weighted income totals).
func (j *seJob) ratioErrors(g *grouping, set setFunc) {
	u, k := j.u, g.size()
	for _, ratio := range j.s.Ratios {
		f := u.factors[ratio.Column]
		num, den := int32(-1), int32(-1)
		for c, lev := range f.levels {
			switch lev {
			case ratio.Numerator:
				num = int32(c)
			case ratio.Denominator:
				den = int32(c)
			}
		}
		NA, YA, NB, YB := make([]float64, k), make([]float64, k), make([]float64, k), make([]float64, k)
		for i, d := range g.codes {
			switch f.codes[i] {
			case num:
				NA[d] += u.w[i]
				YA[d] += u.w[i] * u.x[i]
			case den:
				NB[d] += u.w[i]
				YB[d] += u.w[i] * u.x[i]
			}
		}
		a := make([]float64, len(u.x))
		for i, d := range g.codes {
			r := (YA[d] / NA[d]) / (YB[d] / NB[d])
			switch f.codes[i] {
			case num:
				a[i] = r * (u.x[i] - YA[d]/NA[d]) / YA[d]
			case den:
				a[i] = -r * (u.x[i] - YB[d]/NB[d]) / YB[d]
			}
			if math.IsNaN(a[i]) || math.IsInf(a[i], 0) {
				a[i] = 0
			}
		}
		v, vs, acc, _ := j.e.domainVariancesAcc(j.members(g), u.w, linVar{a: a})
		for d := 0; d < k; d++ {
			est := (YA[d] / NA[d]) / (YB[d] / NB[d])
			if math.IsNaN(est) || math.IsInf(est, 0) {
				continue
			}
			j.setRatio(ratio.String(), g, d, est, v[d], vs[d])
			j.keepRatio(ratio.String(), g, d, recordAcc(acc, 0, d, 0, nil))
		}
	}
}

// setRatio fills the SE of a ratio row (rows are keyed by their ratio, not
// a line).
func (j *seJob) setRatio(name string, g *grouping, d int, est, v, vs float64) {
	i, ok := j.ratioIndex[resultKey("ratio", name, g.domain(d))]
	if !ok {
		return
	}
	r := &j.results[i]
	se := math.Sqrt(v)
	r.SE, r.SEMethod = se, j.e.methodName()
	r.CILower, r.CIUpper = j.e.interval(est, se)
	r.RSE = se / math.Abs(est)
	if vs > 0 {
		r.Deff = v / vs
	}
	r.Unreliable = j.s.RSELimit > 0 && r.RSE > j.s.RSELimit
}

// rmpgCore is the part of RMPG's national median lines shared by the
// lines with the same reference units: the median's influence function
// (indices.QuantileInfluence at 1/2) over the reference units, the median
// and the bandwidth of the reference units; ok is false when the
// reference units cannot be found.
type rmpgCore struct {
	ok   bool
	infl []float64
	q, h float64
	// step, when not nil, is infl as a step function of the incomes (see
	// globalPart.step): infl_i = step[x_i <= q] for w_i > 0, else 0, as
	// indices.QuantileInfluence makes it, when every unit is a
	// reference unit.
	step *[2]float64
}

// rmpgCoreOf returns the rmpgCore of the reference units of a national
// median line from its refCore (not ok when the reference population is
// undefined): indices.QuantileInfluence at 1/2 of the reference units,
// -([x_i <= m] - 1/2) / (N f(m)) on them and 0 elsewhere, at the published
// median m with the core's density f(m) and bandwidth (so that no sort of
// the units is needed).
func (j *seJob) rmpgCoreOf(core *refCore) *rmpgCore {
	rc := &rmpgCore{}
	if core == nil {
		return rc
	}
	u := j.u
	q, n, f := core.stat, core.n, core.fm
	rc.ok, rc.q, rc.h = true, q, core.h
	rc.infl = make([]float64, len(u.x))
	if math.IsNaN(q) || !(f > 0) || math.IsInf(f, 0) {
		for i := range rc.infl {
			rc.infl[i] = math.NaN()
		}
		return rc
	}
	vals := [2]float64{-(0 - 0.5) / (n * f), -(1 - 0.5) / (n * f)} // by [x_i <= q], as quantileInfluenceAt
	for i, x := range u.x {
		if (core.mask == nil || core.mask[i]) && u.w[i] != 0 {
			rc.infl[i] = vals[b2i(x <= q)]
		}
	}
	if core.mask == nil {
		rc.step = &vals
	}
	return rc
}

// rmpgLineOf is a national line as RMPG's influence sees it: for a median
// line, indices.RelativeLine of its reference units (from their shared
// rmpgCore) prepared for the variance; fixed otherwise.
func (j *seJob) rmpgLineOf(lv *lineValues, rc *rmpgCore) rmpgLine {
	l := lv.line
	if l.Basis != "median" || rc == nil || !rc.ok {
		return rmpgLine{line: indices.Line{Z: lv.values[0]}}
	}
	// indices.RelativeLine(nil, x, w, 0.5, l.Value), its parts shared.
	infl := make([]float64, len(rc.infl))
	for i, v := range rc.infl {
		infl[i] = v * l.Value
	}
	line := indices.Line{Z: l.Value * rc.q, Infl: infl, Bandwidth: rc.h}
	glob := j.e.global(j.u.w, infl)
	if rc.step != nil {
		glob.step, glob.stepAt = &[2]float64{rc.step[0] * l.Value, rc.step[1] * l.Value}, rc.q
	}
	return rmpgLine{line: line, glob: glob}
}

// resultValue is the estimate of a result row, NaN when absent.
func (j *seJob) resultValue(ind, line string, g *grouping, d int, index map[string]int) float64 {
	if i, ok := index[resultKey(ind, line, g.domain(d))]; ok {
		return j.results[i].Estimate
	}
	return math.NaN()
}

// sortedTotal returns the total weight of ws added in order, as
// indices.QuantileSorted and indices.KernelDensitySorted add it (and
// panics, as they do, on a negative weight).
func sortedTotal(ws []float64) float64 {
	total := 0.0
	for _, w := range ws {
		if w < 0 {
			panic("indices: negative weight")
		}
		total += w
	}
	return total
}

// quantilesSortedN returns indices.QuantileSorted(p, xs, ws) for every p
// of ps, bit for bit, given total = sortedTotal(ws): the ps in (0, 1)
// from one scan that stops at the largest (without a pass for the total:
// the cumulative weight at the end of each run of equal incomes is the
// same sum, added in the same order, as QuantileSorted's), the others (0, 1, or out of range) from
// QuantileSorted itself.
func quantilesSortedN(ps, xs, ws []float64, total float64) []float64 {
	qs := make([]float64, len(ps))
	var inner []int // the ps in (0, 1), in increasing order
	for k, p := range ps {
		if p > 0 && p < 1 {
			inner = append(inner, k)
		} else {
			qs[k] = indices.QuantileSorted(p, xs, ws)
		}
	}
	if len(inner) == 0 {
		return qs
	}
	if len(xs) == 0 || total == 0 {
		for _, k := range inner {
			qs[k] = math.NaN()
		}
		return qs
	}
	slices.SortStableFunc(inner, func(a, b int) int { return cmp.Compare(ps[a], ps[b]) })
	next, cum := 0, 0.0 // inner[next]: the first p not resolved yet
	for i := 0; i < len(xs) && next < len(inner); {
		v := xs[i]
		for i < len(xs) && xs[i] == v {
			cum += ws[i]
			i++
		}
		for ; next < len(inner) && cum > 0 && cum/total >= ps[inner[next]]; next++ {
			k := inner[next]
			qs[k] = v
			if cum/total == ps[k] {
				qs[k] = nextPositive(v, xs[i:], ws[i:])
			}
		}
	}
	if next < len(inner) { // the largest income of positive weight
		last := len(ws) - 1
		for last > 0 && !(ws[last] > 0) {
			last--
		}
		for _, k := range inner[next:] {
			qs[k] = xs[last]
		}
	}
	return qs
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// estimatedRef is the lineRef of a national relative line whose own
// variance enters the headcount's; nil for absolute and grouped lines.
func (j *seJob) estimatedRef(lv *lineValues) *lineRef {
	if lv.line.Basis == "abs" || len(lv.line.By) > 0 {
		return nil
	}
	return j.lineReference(lv)
}

// kernelCut, kernelTail and kernelNegligible are indices' bounds of its
// kernel sums over sorted incomes (indices.KernelDensitySorted), which
// kernelJob and groupKernelSums apply in unit order: the units within
// kernelCut bandwidths count, when those beyond (K <= kernelTail) cannot
// add kernelNegligible of the sum.
const (
	kernelCut        = 10
	kernelNegligible = 0x1p-60
)

var kernelTail = math.Exp(-kernelCut*kernelCut/2) / math.Sqrt(2*math.Pi)

// lineRef is what the headcount of every domain needs of a national
// relative line: the linearized statistic L of its reference units (and
// what depends on them only, a refCore shared by the lines with the same
// basis and reference units), and the factor dz/dstat times the
// statistic's linearization constant.
type lineRef struct {
	*refCore
	scale float64
	// glob is the core's, as a value of the line's own: the variance of a
	// difference of two lines (diffVariance) combines their global parts
	// as two lines, as when each line had its own.
	glob *globalPart
}

// refCore is the part of a lineRef that depends only on the line's basis
// and reference units, computed once for all the lines that share them
// (median60 and median50 of the whole population): the linearized
// statistic L (computed on demand by l), its PSU totals, the bandwidth of
// the reference units (for the density of a domain's incomes at the line,
// as convey's svyarpr on a subset), their weight and the statistic.
type refCore struct {
	glob  *globalPart // L prepared for the variance (without L: see l)
	h     float64
	n     float64   // the weight of the reference units
	basis string    // "median" or "mean"
	med   bool      // basis == "median", for l
	fm    float64   // median: the density of the reference incomes at the median
	blF   []float64 // per domain of the finest grouping: sum w^2 L, in unit order (povertyErrors)
	mask  []bool    // the reference units (nil: all)
	stat  float64   // the median or the mean of the reference units
	// The Woodruff interval of the median of the reference units
	// (lineValueErrors), once.
	wood               sync.Once
	woodLo, woodHi, se float64
}

// l returns L_i, the linearized statistic at unit i: [x_i <= m] - 1/2
// (median) or x_i - mean on the reference units of positive weight, 0
// elsewhere. It is computed when needed rather than kept for every unit.
func (r *refCore) l(u *units, i int) float64 {
	if (r.mask != nil && !r.mask[i]) || !(u.w[i] > 0) {
		return 0
	}
	if r.med {
		return b2f(u.x[i] <= r.stat) - 0.5
	}
	return u.x[i] - r.stat
}

// refKey identifies the refCore of a national relative line: its basis
// and reference units.
func refKey(l Line) string {
	return l.Basis + "\x00" + whereKey(l)
}

// lineReference returns the lineRef of a national relative line, computed
// before the tasks run; nil for other lines and when the reference
// population is undefined.
func (j *seJob) lineReference(lv *lineValues) *lineRef {
	return j.lineRefs[lv]
}

// isNationalRelative reports whether lv is a national relative line (the
// lines with a lineRef).
func isNationalRelative(lv *lineValues) bool {
	l := lv.line
	return (l.Basis == "median" || l.Basis == "mean") && len(l.By) == 0
}

// computeLineReference completes the lineRef of a national relative line
// from its core (nil when the reference population is undefined).
func (j *seJob) computeLineReference(lv *lineValues, core *refCore) *lineRef {
	if core == nil || !isNationalRelative(lv) {
		return nil
	}
	glob := *core.glob
	r := &lineRef{refCore: core, glob: &glob}
	switch core.basis {
	case "median":
		r.scale = -lv.line.Value / (core.n * core.fm)
	case "mean":
		r.scale = lv.line.Value / core.n
	}
	return r
}

// computeRefCore computes the refCore of the national relative line l;
// nil when the reference population is undefined. It reads the units in
// unit order only (see windowedQuantiles).
func (j *seJob) computeRefCore(l Line) *refCore {
	u := j.u
	mask, err := whereMask(u, l)
	if err != nil {
		return nil
	}
	w := u.w
	if mask != nil {
		w = make([]float64, len(u.x))
		for i, in := range mask {
			if in {
				w[i] = u.w[i]
			}
		}
	}
	var NR, incR float64
	for i, wi := range w {
		if wi < 0 {
			panic("indices: negative weight") // as Bandwidth
		}
		NR += wi
		incR += wi * u.x[i]
	}
	// Bandwidth's sums are NR and incR, added in the same order.
	r := &refCore{h: indices.BandwidthSums(u.x, w, NR, incR), basis: l.Basis, med: l.Basis == "median", n: NR, mask: mask}
	var stat float64 // the median or the mean
	switch l.Basis {
	case "median":
		// The median exactly (not z / F): the published one, where the
		// point estimates have it (it comes from the histograms over row
		// groups, groupQuantiles), else a sorted scan's; its density
		// KernelDensity's, added in unit order.
		if st := j.p.stats[lineRequest(&l).key()]; st != nil && len(st.median) == 1 {
			stat = st.median[0]
		} else {
			stat = windowedQuantiles(u, mask, []float64{0.5}, NR, 0, math.Inf(1))[0]
		}
		r.fm = math.NaN()
		if NR > 0 && r.h > 0 && !math.IsNaN(stat) {
			k := kernelJob{z: stat, h: []float64{r.h}, mask: mask}
			r.fm = k.negligibleSums(u, 1, []float64{NR})[0] / (NR * r.h)
		}
	case "mean":
		stat = incR / NR
	}
	r.stat = stat
	// One pass: L ([x <= m] - 1/2 or x - mean on the reference units), its
	// PSU totals and sums as varEngine.global, and blF.
	F := j.p.groupings[colsKey(j.p.finestCols)]
	r.blF = make([]float64, F.size())
	T := make([]float64, len(j.e.stratumOf))
	var sumL, sumLL float64
	median, psu := r.med, j.e.psu[:len(F.codes)]
	for i, f := range F.codes {
		wi, li := u.w[i], 0.0 // li = r.l(u, i), its tests out of the loop
		if (mask == nil || mask[i]) && wi > 0 {
			if median {
				li = b2f(u.x[i] <= stat) - 0.5
			} else {
				li = u.x[i] - stat
			}
		}
		wl := wi * li
		T[psu[i]] += wl
		sumL += wl
		sumLL += wl * wl
		r.blF[f] += wi * wi * li
	}
	r.glob = j.e.globalOf(nil, T, sumL, sumLL)
	return r
}

// refWoodruff returns (once) the Woodruff interval of the median of the
// reference units of a median line, lo and hi, and its SE.
func (j *seJob) refWoodruff(lr *lineRef) (lo, hi, se float64) {
	lr.wood.Do(func() {
		// The statistic's linearized variable is L / N_R ([x <= m] - 1/2),
		// whose PSU totals lr.glob holds: its variance costs the strata
		// only.
		sp := j.e.sparse()
		sp.Reset()
		seF := math.Sqrt(sp.Variance(1/lr.n, lr.glob.shared))
		j.e.sparsePool.Put(sp)
		// The bounds lie about t seF / f(m) from the median: looked for
		// within twice that.
		pl, ph := math.Max(0.5-j.e.t*seF, 0), math.Min(0.5+j.e.t*seF, 1)
		q := windowedQuantiles(j.u, lr.mask, []float64{pl, ph}, lr.n, lr.stat, 2*j.e.t*seF/lr.fm)
		lr.woodLo, lr.woodHi = q[0], q[1]
		lr.se = (lr.woodHi - lr.woodLo) / (2 * j.e.t)
	})
	return lr.woodLo, lr.woodHi, lr.se
}

// members returns the units of each domain of g, made once per breakdown
// when first asked for (a breakdown with the columns of the finest
// grouping shares its members, and so its cells); safe for concurrent
// use.
func (j *seJob) members(g *grouping) *domainMembers {
	j.memberMu.Lock()
	defer j.memberMu.Unlock()
	key := colsKey(g.cols)
	m := j.memberCache[key]
	if m == nil {
		m = newDomainMembers(g.codes, g.size())
		j.memberCache[key] = m
	}
	return m
}

// finestMembers returns the members of the finest grouping's domains.
func (j *seJob) finestMembers() *domainMembers {
	return j.members(j.p.groupings[colsKey(j.p.finestCols)])
}

// lineValueErrors: the SE of a national relative line, f times the SE of
// its statistic (Woodruff's for a median).
func (j *seJob) lineValueErrors(lv *lineValues, results []Result, index map[string]int) {
	l := lv.line
	if l.Basis == "abs" {
		for j := range lv.groups.keys {
			if i, ok := index[resultKey("line", l.Name, lv.groups.domain(j))]; ok {
				r := &results[i]
				r.SE, r.CILower, r.CIUpper, r.RSE = 0, r.Estimate, r.Estimate, 0
				r.SEMethod = "fixed: no sampling error"
			}
		}
		return
	}
	if gl := j.grouped[lv]; gl != nil {
		j.groupedLineValues(lv, gl)
		return
	}
	i, ok := index[resultKey("line", l.Name, nil)]
	if !ok || len(l.By) > 0 {
		return
	}
	lr := j.lineReference(lv)
	if lr == nil {
		return
	}
	r := &results[i]
	switch l.Basis {
	case "median":
		lo, hi, se := j.refWoodruff(lr)
		r.SE, r.CILower, r.CIUpper = l.Value*se, l.Value*lo, l.Value*hi
		r.SEMethod = "woodruff, " + j.e.methodName()
	case "mean":
		// The statistic's linearized variable is L / N_R (x - mean), whose
		// PSU totals lr.glob holds: its variance costs the strata only.
		sp := j.e.sparse()
		sp.Reset()
		v := sp.Variance(1/lr.n, lr.glob.shared)
		j.e.sparsePool.Put(sp)
		r.SE = l.Value * math.Sqrt(v)
		r.CILower, r.CIUpper = j.e.interval(r.Estimate, r.SE)
		r.SEMethod = j.e.methodName()
	}
	r.RSE = r.SE / math.Abs(r.Estimate)
	r.Unreliable = j.s.RSELimit > 0 && r.RSE > j.s.RSELimit
}

// maskedSorted returns the incomes and weights of the units of mask (nil:
// all) in increasing order.
func maskedSorted(u *units, order []int32, mask []bool) (xs, ws []float64) {
	for _, i := range order {
		if mask == nil || mask[i] {
			xs = append(xs, u.x[i])
			ws = append(ws, u.w[i])
		}
	}
	return xs, ws
}

// sePrep is the work of the linearized standard errors that needs the
// units only, the design and (when they sort, seSorts, and the point
// estimates do not) the units in order of income, started with the point
// estimates' first tasks so that it runs beside them.
type sePrep struct {
	started bool
	e       *varEngine
	err     error
	order   []int32
}

// tasks returns the tasks of the preparation of study s: none unless its
// standard errors are linearized; the order only when they sort and
// !sorted (the point estimates sort).
func (p *sePrep) tasks(s *Study, u *units, sorted bool) []func() error {
	if s.SEMethod != "linearized" {
		return nil
	}
	p.started = true
	tasks := []func() error{func() error {
		p.e, p.err = newVarEngine(s, u) // its error is returned by engine
		return nil
	}}
	if !sorted && seSorts(s) {
		tasks = append(tasks, func() error {
			p.order = sortedOrder(u)
			return nil
		})
	}
	return tasks
}

// engine returns the design of the units (made now when not prepared).
func (p *sePrep) engine(s *Study, u *units) (*varEngine, error) {
	if !p.started {
		return newVarEngine(s, u)
	}
	return p.e, p.err
}

// sortedOrder returns the units in order of income when the standard
// errors of s sort (sorted now when not prepared); else nil.
func (p *sePrep) sortedOrder(s *Study, u *units) []int32 {
	if !seSorts(s) {
		return nil
	}
	if p.order == nil {
		return sortedOrder(u)
	}
	return p.order
}
