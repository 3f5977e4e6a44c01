package pipeline

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/povstat/povstat/indices"
)

// groupStats are the row count, weighted count, weighted income total and
// (when asked for) weighted median income of each group of a grouping, over
// the units of a mask.
type groupStats struct {
	n      []int
	pop    []float64
	income []float64
	median []float64 // nil unless asked for
	// quantiles[p][j] is group j's quantile at p, for the ps asked for
	// beside the median (groupQuantiles).
	quantiles map[float64][]float64
}

// computeStats makes the statistics of g over the units where mask is true
// (nil: all units). The sums are added in unit order, blocked by split
// (units.eachBlock); the medians come from groupMedians, beside them.
func computeStats(u *units, g *grouping, mask []bool, withMedian bool) *groupStats {
	return computeStatsAt(u, g, mask, withMedian, nil)
}

// computeStatsAt is computeStats with the quantiles at ps too, found with
// the median (one groupQuantiles).
func computeStatsAt(u *units, g *grouping, mask []bool, withMedian bool, ps []float64) *groupStats {
	k := g.size()
	st := &groupStats{n: make([]int, k), pop: make([]float64, k), income: make([]float64, k)}
	sums := func() error {
		if k == 1 { // one group: the sums in registers, no codes read
			u.eachBlock(func(lo, hi int) {
				n, pop, income := oneGroupSums(maskPart(mask, lo, hi), u.x[lo:hi], u.w[lo:hi])
				if n > 0 {
					st.n[0] += n
					st.pop[0] += pop
					st.income[0] += income
				}
			})
			return nil
		}
		part := &groupStats{n: make([]int, k), pop: make([]float64, k), income: make([]float64, k)}
		var touched []int32 // the groups of a block, when k is large
		u.eachBlock(func(lo, hi int) {
			many := k > 1<<12
			for i := lo; i < hi; i++ {
				if mask != nil && !mask[i] {
					continue
				}
				c := g.codes[i]
				if many && part.n[c] == 0 {
					touched = append(touched, c)
				}
				part.n[c]++
				part.pop[c] += u.w[i]
				part.income[c] += u.w[i] * u.x[i]
			}
			st.mergeBlock(part, touched, many)
			touched = touched[:0]
		})
		return nil
	}
	if !withMedian && len(ps) == 0 {
		_ = sums()
		return st
	}
	_ = runTasks(context.Background(), []func() error{sums, func() error {
		st.setQuantiles(g, mask, u, withMedian, ps)
		return nil
	}})
	return st
}

// setQuantiles sets the median (when withMedian) and the quantiles at ps
// of every group of g over the units of mask, from one groupQuantiles.
func (st *groupStats) setQuantiles(g *grouping, mask []bool, u *units, withMedian bool, ps []float64) {
	all := slices.Clone(ps)
	if withMedian {
		all = append(all, 0.5)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	if len(all) == 0 {
		return
	}
	qs := groupQuantiles(g.codes, g.size(), mask, u.x, u.w, u.blocks, all)
	st.median, st.quantiles = splitQuantiles(all, qs, withMedian, ps)
}

// splitQuantiles returns, from qs[j][i], group j's quantile at all[i], every
// group's median (when withMedian; else nil) and its quantiles at ps (nil
// for none).
func splitQuantiles(all []float64, qs [][]float64, withMedian bool, ps []float64) (median []float64, quantiles map[float64][]float64) {
	at := func(p float64) []float64 {
		i := slices.Index(all, p)
		out := make([]float64, len(qs))
		for j := range qs {
			out[j] = qs[j][i]
		}
		return out
	}
	if withMedian {
		median = at(0.5)
	}
	if len(ps) > 0 {
		quantiles = map[float64][]float64{}
		for _, p := range ps {
			quantiles[p] = at(p)
		}
	}
	return median, quantiles
}

// mergeBlock adds the sums of a block's groups (those of touched when many,
// else those with a unit) to st and clears them in part.
func (st *groupStats) mergeBlock(part *groupStats, touched []int32, many bool) {
	add := func(c int) {
		st.n[c] += part.n[c]
		st.pop[c] += part.pop[c]
		st.income[c] += part.income[c]
		part.n[c], part.pop[c], part.income[c] = 0, 0, 0
	}
	if many {
		for _, c := range touched {
			add(int(c))
		}
		return
	}
	for c, n := range part.n {
		if n > 0 {
			add(c)
		}
	}
}

// oneGroupSums is computeStats's sums of a single group, in unit order.
func oneGroupSums(mask []bool, x, w []float64) (n int, pop, income float64) {
	for i := range x {
		if mask != nil && !mask[i] {
			continue
		}
		n++
		pop += w[i]
		income += w[i] * x[i]
	}
	return n, pop, income
}

// histogramPerGroup is the number of units per group from which
// groupQuantiles finds the quantiles in two passes over histograms rather
// than from a sorted copy of each group's units
// (indices.QuantilesBlocked): a histogram costs a fixed grid and pages of
// buckets (a few hundred KiB for incomes spread over a dozen powers of
// two) per group and block held, which pays off in time from about 2^14
// units per group and in memory (below the 16 bytes a unit of the copy,
// with medianWave+1 histograms of a group held) from about 2^17 (see
// BenchmarkGroupMedians). Both give the same bits.
const histogramPerGroup = 1 << 17

// histogramFasterPerGroup is the number of units per group from which the
// histograms are faster than the sorted copy; with at most
// histogramFewGroups groups their memory (a few MiB a group) stays small,
// and groupQuantiles takes them from there.
const (
	histogramFasterPerGroup = 1 << 14
	histogramFewGroups      = 64
)

// smallBlock is the number of units below which a block's histograms are
// merged by sorting its units (indices.DomainHistograms.MergeBlock).
const smallBlock = 1 << 14

// medianWave bounds the blocks whose histograms are held at once.
const medianWave = 4

// groupMedians returns the weighted median of x, laeken's Q(1/2) (see
// indices.Quantile), in each of the k groups of codes (codes[i] in [0, k)),
// over the units where mask is true (nil: all), the units coming in blocks
// (units.blocks; nil: one). Empty groups, or groups of zero weight, have
// NaN.
func groupMedians(codes []int32, k int, mask []bool, x, w []float64, blocks []int) []float64 {
	qs := groupQuantiles(codes, k, mask, x, w, blocks, []float64{0.5})
	out := make([]float64, k)
	for j := range out {
		out[j] = qs[j][0]
	}
	return out
}

// groupQuantiles returns the weighted quantiles at ps of every group, as
// groupMedians the median: the answers of the two-pass histogram algorithm
// fed the units block by block (a histogram per block, merged in block
// order), which is what the streaming runner and the Beam runner compute
// from the same row groups, so that the three agree to the bit. Large
// groups take the two passes (histogramQuantiles), small ones a sorted
// copy of their units (indices.QuantilesBlocked); both give the same bits.
func groupQuantiles(codes []int32, k int, mask []bool, x, w []float64, blocks []int, ps []float64) [][]float64 {
	if len(blocks) < 2 {
		blocks = []int{0, len(x)}
	}
	if perGroup := len(codes) / max(k, 1); perGroup >= histogramPerGroup || perGroup >= histogramFasterPerGroup && k <= histogramFewGroups {
		return histogramQuantiles(codes, k, mask, x, w, blocks, ps)
	}
	return copiedQuantiles(codes, k, mask, x, w, blocks, ps)
}

// copiedQuantiles is groupQuantiles from a copy of every group's units in
// unit order, with the bounds of their blocks (indices.QuantilesBlocked).
func copiedQuantiles(codes []int32, k int, mask []bool, x, w []float64, blocks []int, ps []float64) [][]float64 {
	off, xs, ws := partition(codes, k, mask, x, w)
	for j := range k { // one large group among many small: its sorted copy would cost 56 bytes a unit
		if off[j+1]-off[j] >= histogramPerGroup {
			return histogramQuantiles(codes, k, mask, x, w, blocks, ps)
		}
	}
	// Each group's blocks: where, among its units, each block's start.
	gb := make([][]int, k)
	seen := make([]int, k) // 1 + the last block of each group met
	cnt := make([]int, k)
	for b := 0; b+1 < len(blocks); b++ {
		for i := blocks[b]; i < blocks[b+1]; i++ {
			if mask != nil && !mask[i] {
				continue
			}
			j := codes[i]
			if seen[j] != b+1 {
				gb[j], seen[j] = append(gb[j], cnt[j]), b+1
			}
			cnt[j]++
		}
	}
	out := make([][]float64, k)
	for j := range out {
		out[j] = indices.QuantilesBlocked(nil, ps, xs[off[j]:off[j+1]], ws[off[j]:off[j+1]], append(gb[j], cnt[j]))
	}
	return out
}

// histogramQuantiles is groupQuantiles in the two passes of the streaming
// runner, without a copy of the units: pass 1 adds every unit to a
// histogram of its group (indices.DomainHistograms), block by block in
// parallel, the blocks' histograms merged in block order; pass 2 keeps, in
// the same blocks, only the units of each group's located buckets
// (indices.QuantileCandidates), from which the quantiles are resolved
// exactly. Blocks run in waves of up to min(GOMAXPROCS, medianWave), each
// wave merged before the next starts, so that at most medianWave+1
// histograms of every group are held. One group reads no codes. (One pass
// for the histograms of several groupings of the same units, bucket found
// once, was measured slower than a pass each: their pages compete for the
// cache.)
func histogramQuantiles(codes []int32, k int, mask []bool, x, w []float64, blocks []int, ps []float64) [][]float64 {
	if k == 1 {
		codes = nil
	}
	chunks := len(blocks) - 1
	wave := min(runtime.GOMAXPROCS(0), medianWave)
	bounds := func(c int) (int, int) { return blocks[c], blocks[c+1] }
	// inWaves runs do(c) for every block c, wave by wave, and then merge(c)
	// for the blocks of the wave in block order.
	inWaves := func(do, merge func(c int)) {
		for first := 0; first < chunks; first += wave {
			last := min(first+wave, chunks)
			tasks := make([]func() error, 0, last-first)
			for c := first; c < last; c++ {
				tasks = append(tasks, func() error { do(c); return nil })
			}
			_ = runTasks(context.Background(), tasks) // the tasks cannot fail
			for c := first; c < last; c++ {
				merge(c)
			}
		}
	}
	// A small block is merged by sorting its units (MergeBlock, the same
	// bits) rather than through a grid of its own, whose page table per
	// group would cost more than its units: row groups of a few hundred
	// rows would otherwise allocate gigabytes.
	small := func(c int) bool { lo, hi := bounds(c); return hi-lo < smallBlock && k < 1<<20 }
	hists := make([]*indices.DomainHistograms, chunks)
	inWaves(func(c int) {
		if small(c) {
			return
		}
		lo, hi := bounds(c)
		hists[c] = indices.NewDomainHistograms(k)
		hists[c].AddMasked(codesPart(codes, lo, hi), maskPart(mask, lo, hi), x[lo:hi], w[lo:hi])
	}, func(c int) {
		if hists[0] == nil {
			hists[0] = indices.NewDomainHistograms(k)
		}
		switch {
		case small(c):
			lo, hi := bounds(c)
			hists[0].MergeBlock(codesPart(codes, lo, hi), maskPart(mask, lo, hi), x[lo:hi], w[lo:hi])
		case c > 0:
			hists[0].Merge(hists[c])
			hists[c] = nil
		}
	})
	targets := hists[0].Locate(ps)
	cands := make([]*indices.QuantileCandidates, chunks)
	inWaves(func(c int) {
		lo, hi := bounds(c)
		cands[c] = indices.NewQuantileCandidates(targets)
		cands[c].AddMasked(codesPart(codes, lo, hi), maskPart(mask, lo, hi), x[lo:hi], w[lo:hi])
	}, func(c int) {
		if c > 0 {
			cands[0].Merge(cands[c])
			cands[c] = nil
		}
	})
	return cands[0].Quantiles()
}

// codesPart is codes[lo:hi], or nil for nil codes (every unit in group 0).
func codesPart(codes []int32, lo, hi int) []int32 {
	if codes == nil {
		return nil
	}
	return codes[lo:hi]
}

// maskPart is mask[lo:hi], or nil for a nil mask (every unit).
func maskPart(mask []bool, lo, hi int) []bool {
	if mask == nil {
		return nil
	}
	return mask[lo:hi]
}

// plan is the work of one study: the groupings of every breakdown and line,
// and the group statistics they share, each computed once.
type plan struct {
	groupings  map[string]*grouping
	stats      map[string]*groupStats
	finestCols []string // every breakdown column, in order of first use
}

// finestColumns returns the columns of the finest cross-classification
// that every breakdown coarsens.
func finestColumns(breakdowns [][]string) []string {
	var cols []string
	for _, b := range breakdowns {
		for _, c := range b {
			if !slices.Contains(cols, c) {
				cols = append(cols, c)
			}
		}
	}
	return cols
}

func colsKey(cols []string) string { return strings.Join(cols, "\x00") }

func whereKey(l Line) string {
	var b strings.Builder
	for _, c := range l.Where {
		b.WriteString(c.Column + "=" + c.Value + "&")
	}
	return b.String()
}

// statsRequest asks for the statistics of the groups of cols over the units
// meeting where.
type statsRequest struct {
	cols      []string
	line      *Line // the line whose Where conditions select the units; nil for all
	median    bool
	quantiles []float64 // beside the median
}

func (r statsRequest) key() string {
	k := colsKey(r.cols) + "\x01"
	if r.line != nil {
		k += whereKey(*r.line)
	}
	return k
}

// lineRequest is the statistics request of a line: its groups, over its
// reference units (an absolute line needs none).
func lineRequest(l *Line) statsRequest {
	r := statsRequest{cols: l.By}
	if len(l.Where) > 0 && l.Basis != "abs" {
		r.line = l
	}
	return r
}

// evalLine evaluates a line of the plan from the statistics it planned.
func (p *plan) evalLine(u *units, l Line) (*lineValues, error) {
	return evalLine(u, l, p.groupings[colsKey(l.By)], p.stats[lineRequest(&l).key()])
}

// lineGroupValues is evalLine without the per-unit values (lineValues.z).
func (p *plan) lineGroupValues(l Line) (*lineValues, error) {
	return lineGroupValues(l, p.groupings[colsKey(l.By)], p.stats[lineRequest(&l).key()])
}

// makePlan builds the groupings and the statistics that the breakdowns and
// lines need, concurrently, sharing what they have in common: a median line
// and the median of the same groups are one selection, not two.
func makePlan(ctx context.Context, s *Study, u *units, want wants) (*plan, error) {
	return makePlanWith(ctx, s, u, want, nil, nil)
}

// makePlanWith is makePlan that calls started (when not nil) once the
// groupings are made, before the statistics are computed, so that a caller
// can start work that needs only the groupings beside them: the sums of the
// cells of the finest grouping, which cells (when not nil) waits for. The
// count, population and income of the finest grouping over all units are
// then the cells' own (the same sums, added in the same order), not a
// second pass.
func makePlanWith(ctx context.Context, s *Study, u *units, want wants, started func(*plan), cells func() *cellData) (*plan, error) {
	reqs, finest := statsRequests(s, want)
	p := &plan{groupings: map[string]*grouping{}, stats: map[string]*groupStats{}, finestCols: finest}
	var colSets [][]string
	reqs = append(reqs, statsRequest{cols: p.finestCols})
	for _, r := range reqs {
		if _, ok := p.groupings[colsKey(r.cols)]; !ok {
			p.groupings[colsKey(r.cols)] = nil
			colSets = append(colSets, r.cols)
		}
	}
	made := make([]*grouping, len(colSets))
	var tasks []func() error
	for i, cols := range colSets {
		tasks = append(tasks, func() (err error) {
			made[i], err = newGrouping(len(u.x), cols, u.factors)
			return err
		})
	}
	if err := runTasks(ctx, tasks); err != nil {
		return nil, err
	}
	for i, cols := range colSets {
		p.groupings[colsKey(cols)] = made[i]
	}
	if started != nil {
		started(p)
	}

	var unique []statsRequest
	index := map[string]int{}
	for _, r := range reqs {
		if j, ok := index[r.key()]; ok {
			unique[j].median = unique[j].median || r.median
			unique[j].quantiles = append(unique[j].quantiles, r.quantiles...)
			continue
		}
		index[r.key()] = len(unique)
		unique = append(unique, r)
	}
	computed := make([]*groupStats, len(unique))
	tasks = tasks[:0]
	for i, r := range unique {
		if cells != nil && r.line == nil && colsKey(r.cols) == colsKey(p.finestCols) {
			tasks = append(tasks, func() error {
				g := p.groupings[colsKey(r.cols)]
				st := &groupStats{}
				st.setQuantiles(g, nil, u, r.median, r.quantiles)
				cd := cells()
				st.n, st.pop, st.income = slices.Clone(cd.n), slices.Clone(cd.pop), slices.Clone(cd.income)
				computed[i] = st
				return nil
			})
			continue
		}
		tasks = append(tasks, func() error {
			var mask []bool
			if r.line != nil {
				var err error
				if mask, err = whereMask(u, *r.line); err != nil {
					return err
				}
			}
			computed[i] = computeStatsAt(u, p.groupings[colsKey(r.cols)], mask, r.median, r.quantiles)
			return nil
		})
	}
	if err := runTasks(ctx, tasks); err != nil {
		return nil, err
	}
	for i, r := range unique {
		p.stats[r.key()] = computed[i]
	}
	return p, nil
}

// tabulate evaluates the lines and computes every breakdown. The pieces run
// concurrently; each is sequential, so results do not depend on scheduling.
func tabulate(ctx context.Context, s *Study, u *units) ([]Result, []string, error) {
	want := wants{}
	for _, name := range s.Indicators {
		want[name] = true
	}
	nd := inequalityNeeds(s)
	// The sums of the cells of the finest grouping need only the grouping:
	// they are made beside the statistics and the lines (a sequential pass,
	// in unit order), and waited for before the rows.
	var cd *cellData
	var cdDone sync.WaitGroup
	p, err := makePlanWith(ctx, s, u, want, func(p *plan) {
		cdDone.Go(func() { cd = newCellData(u, p.groupings[colsKey(p.finestCols)], nd) })
	}, func() *cellData { cdDone.Wait(); return cd })
	defer cdDone.Wait() // no pass left running on return
	if err != nil {
		return nil, nil, err
	}
	breakdowns := append([][]string{nil}, s.Domains...)
	lines := make([]*lineValues, len(s.Lines))
	poor := make([]*poorUnits, len(s.Lines))
	cells := make([][]lineSums, len(s.Lines))
	finest := p.groupings[colsKey(p.finestCols)]
	rep := representatives(finest)
	var order []int32
	var tasks []func() error
	for i, l := range s.Lines {
		tasks = append(tasks, func() (err error) {
			if lines[i], err = p.lineGroupValues(l); err != nil {
				return err
			}
			cells[i] = cellSums(u, finest, rep, lines[i])
			if want.any("sen", "rmpg") {
				poor[i] = sortedPoor(u, lines[i], finest)
			}
			return nil
		})
	}
	if nd.sorted {
		tasks = append(tasks, func() error {
			order = sortedOrder(u)
			return nil
		})
	}
	var prep sePrep // the design and order of linearized SEs, beside these
	tasks = append(tasks, prep.tasks(s, u, nd.sorted)...)
	if err := runTasks(ctx, tasks); err != nil {
		return nil, nil, err
	}
	cdDone.Wait()

	const extra = 3 // inequality, region and ratio rows of a breakdown
	per := 1 + len(lines) + extra
	parts := make([][]Result, len(breakdowns)*per)
	tasks = tasks[:0]
	for b, cols := range breakdowns {
		g := p.groupings[colsKey(cols)]
		st := p.stats[statsRequest{cols: cols}.key()]
		tasks = append(tasks, func() error {
			parts[b*per] = baseRows(g, st, s.Indicators)
			return nil
		})
		for l, lv := range lines {
			tasks = append(tasks, func() error {
				parts[b*per+1+l] = povertyRows(u, g, lv, cells[l], poor[l], want, s.Indicators, nil)
				return nil
			})
		}
		tasks = append(tasks, func() error {
			sets, ss := shareSums(u, g, st, nd)
			parts[b*per+1+len(lines)] = inequalityRows(u, g, st, cd, order, nd, sets, ss, nil)
			if s.Region != "" {
				rg := p.groupings[colsKey([]string{s.Region})]
				parts[b*per+2+len(lines)] = regionRows(s, g, rg, st, cd, nd, want)
			}
			if want["ratio"] {
				parts[b*per+3+len(lines)] = ratioRows(s, u, g, st, cd)
			}
			return nil
		})
	}
	if err := runTasks(ctx, tasks); err != nil {
		return nil, nil, err
	}

	// The sorted units (nil when not sorted), kept for the linearized
	// standard errors only.
	var sortedUnits *sortedCells
	if s.SEMethod == "linearized" {
		sortedUnits = cd.sorted
	}
	lorenz := lorenzRows(p, u, breakdowns, s.Indicators) // after every other row: no change rows
	cd.sorted = nil                                      // the sorted units are not needed past here
	var results []Result
	if want["line"] {
		for _, lv := range lines {
			results = append(results, lv.rows()...)
		}
	}
	for _, part := range parts {
		results = append(results, part...)
	}
	results = append(results, lorenz...)
	var diff func(i, j int) (float64, float64, string) // SE of a difference of two results
	switch s.SEMethod {
	case "linearized":
		e, err := prep.engine(s, u)
		if err != nil {
			return nil, nil, err
		}
		if order == nil {
			order = prep.sortedOrder(s, u)
		}
		job := &seJob{s: s, u: u, p: p, e: e, order: order, sorted: sortedUnits, cells: cells, keepRecords: len(s.Differences) > 0}
		if diff, err = addStandardErrors(ctx, job, lines, results); err != nil {
			return nil, nil, err
		}
	case "bootstrap":
		e, err := newVarEngine(s, u)
		if err != nil {
			return nil, nil, err
		}
		if diff, err = addBootstrapErrors(ctx, s, u, e, results); err != nil {
			return nil, nil, err
		}
	case "replicates":
		if diff, err = addSuppliedReplicateErrors(ctx, s, u, results); err != nil {
			return nil, nil, err
		}
	}
	core := results[:len(results)-len(lorenz)] // curve rows have no changes or differences
	if s.Time != "" {
		results = append(results, changeRows(core, s.Time, diff)...)
	}
	if len(s.Differences) > 0 {
		results = append(results, differenceRows(s.Lines, core, diff, s.Differences...)...)
	}
	warnings, err := exclusionWarnings(s, results)
	return results, warnings, err
}
