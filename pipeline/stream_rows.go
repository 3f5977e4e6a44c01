package pipeline

import (
	"context"
	"math"
	"runtime"
	"slices"

	"github.com/povstat/povstat/indices"
)

// finestSpace is the finest breakdown cells in output order, as pseudo-units
// (one per cell) over which the breakdowns are groupings, with the sums of
// each cell.
type finestSpace struct {
	u    *units
	rank []int32 // rank of each provisional finest cell
	cd   *cellData
}

// finestCells orders the provisional finest cells as Run's finest grouping
// orders its groups and moves their sums into that order.
func (r *streamRun) finestCells() (*finestSpace, error) {
	n := len(r.fcells.keys)
	prov := &units{x: make([]float64, n), factors: map[string]*factor{}}
	for i, c := range r.finest {
		col := slices.Index(r.cols, c)
		f := &factor{levels: r.cells.levels[col], codes: make([]int32, n)}
		for p, key := range r.fcells.keys {
			f.codes[p] = key[i]
		}
		prov.factors[c] = f
	}
	g, err := newGrouping(n, r.finest, prov.factors)
	if err != nil {
		return nil, err
	}
	fs := &finestSpace{rank: g.codes, u: &units{x: make([]float64, n), w: make([]float64, n), factors: map[string]*factor{}}}
	for c, f := range prov.factors {
		ranked := &factor{levels: f.levels, codes: make([]int32, n)}
		for p, j := range g.codes {
			ranked.codes[j] = f.codes[p]
		}
		fs.u.factors[c] = ranked
	}
	cd := &cellData{rep: make([]int, n), n: make([]int, n), pop: make([]float64, n), income: make([]float64, n)}
	if r.entropy != nil {
		cd.entropy = make([]indices.EntropySums, n)
	}
	for p, j := range g.codes {
		cd.rep[j] = int(j)
		if sh := r.cdShare; sh != nil {
			cd.n[j], cd.pop[j], cd.income[j] = sh.n[p], sh.pop[p], sh.income[p]
		} else {
			cd.n[j], cd.pop[j], cd.income[j] = r.cdN[p], r.cdPop[p], r.cdIncome[p]
		}
		if cd.entropy != nil {
			cd.entropy[j] = r.entropy[p]
		}
	}
	if cd.g, err = newGrouping(n, r.finest, fs.u.factors); err != nil {
		return nil, err
	}
	fs.cd = cd
	return fs, nil
}

// finish evaluates the lines, runs pass 3 when poverty indicators are asked
// for, and assembles the results in Run's order.
func (r *streamRun) finish(ctx context.Context) (*Output, error) {
	s := r.s
	want := wants{}
	for _, name := range s.Indicators {
		want[name] = true
	}
	uS := r.cellUnits()
	nS := len(uS.x)
	fs, err := r.finestCells()
	if err != nil {
		return nil, err
	}
	lines := make([]*lineValues, len(s.Lines))
	for i, l := range s.Lines {
		if _, err := whereMask(uS, l); err != nil {
			return nil, err
		}
		g, err := newGrouping(nS, l.By, uS.factors)
		if err != nil {
			return nil, err
		}
		if lines[i], err = evalLine(uS, l, g, r.request(lineRequest(&l)).stats(g)); err != nil {
			return nil, err
		}
	}
	nF := len(fs.u.x)
	cells := make([][]lineSums, len(lines))
	for l := range cells {
		cells[l] = make([]lineSums, nF)
		for j := range cells[l] {
			cells[l][j].rep = j
		}
	}
	breakdowns := append([][]string{nil}, s.Domains...)
	// The breakdowns over the stream cells, with their statistics, and the
	// quantile shares' and Lorenz curves' sums of their domains (pass 3).
	gSs := make([]*grouping, len(breakdowns))
	sts := make([]*groupStats, len(breakdowns))
	for b, cols := range breakdowns {
		if gSs[b], err = newGrouping(nS, cols, uS.factors); err != nil {
			return nil, err
		}
		sts[b] = r.request(statsRequest{cols: cols}).stats(gSs[b])
	}
	sets := r.nd.shareSets()
	if want.any(lorenzIndicators...) {
		sets = append(sets, LorenzCutShares()) // the last set
	}
	shares := newStreamShares(gSs, sts, sets)
	poverty := len(lines) > 0 && want.any(lineIndicators...)
	var poor *poorStream // sen and rmpg (stream_poor.go)
	if len(lines) > 0 && want.any("sen", "rmpg") {
		poor = newPoorStream(lines, gSs, want["rmpg"], want["sen"])
	}
	if poverty || len(sets) > 0 {
		var add3 func(*splitUnits)
		if poverty {
			add3 = r.addPass3(fs, lines, cells)
		}
		err := r.pass(ctx, "pass 3/3: poverty and share sums", func() *splitLoader { return r.newLoader(false, nil) }, r.all(), func(su *splitUnits) {
			if add3 != nil {
				add3(su)
			}
			shares.add(su)
			if poor != nil {
				poor.addPass3(su)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	var poorGini, poorGap [][][]float64 // [line][breakdown][domain]
	if poor != nil {
		if poorGini, poorGap, err = r.poorPasses(ctx, poor); err != nil {
			return nil, err
		}
	}

	const extra = 3
	per := 1 + len(lines) + extra
	parts := make([][]Result, len(breakdowns)*per)
	var gini [][]float64 // per breakdown and domain
	if slices.Contains(s.Indicators, "gini") {
		if gini, err = r.giniPasses(ctx, gSs, r.budget); err != nil {
			return nil, err
		}
	}
	var lorenz []Result
	for b, cols := range breakdowns {
		g, err := newGrouping(nF, cols, fs.u.factors)
		if err != nil {
			return nil, err
		}
		st := sts[b]
		parts[b*per] = baseRows(g, st, s.Indicators)
		for l, lv := range lines {
			var pre *poorValues
			if poor != nil {
				pre = &poorValues{}
				if poorGini != nil {
					pre.gini = poorGini[l][b]
				}
				if poorGap != nil {
					pre.rmpg = poorGap[l][b]
				}
			}
			parts[b*per+1+l] = povertyRows(nil, g, lv, cells[l], nil, want, s.Indicators, pre)
		}
		var gb []float64
		if gini != nil {
			gb = gini[b]
		}
		parts[b*per+1+len(lines)] = inequalityRows(nil, g, st, fs.cd, nil, r.nd, sets, shares.total[b], gb)
		if inds := lorenzAsked(s.Indicators); len(inds) > 0 {
			last := len(sets) - 1
			for j := range g.size() {
				lorenz = append(lorenz, LorenzRows(inds, g.domain(j), st.n[j], st.pop[j], st.income[j], shares.cuts[b][j][last], shares.total[b][j][last])...)
			}
		}
		if s.Region != "" {
			rg, err := newGrouping(nF, []string{s.Region}, fs.u.factors)
			if err != nil {
				return nil, err
			}
			parts[b*per+2+len(lines)] = regionRows(s, g, rg, st, fs.cd, r.nd, want)
		}
		if want["ratio"] { // from the finest cells, which the ratio columns cut
			parts[b*per+3+len(lines)] = ratioRows(s, fs.u, g, st, fs.cd)
		}
	}
	var results []Result
	if want["line"] {
		for _, lv := range lines {
			results = append(results, lv.rows()...)
		}
	}
	for _, part := range parts {
		results = append(results, part...)
	}
	core := results // the curves have no change rows
	results = append(results, lorenz...)
	if s.Time != "" {
		results = append(results, changeRows(core, s.Time, nil)...)
	}
	warnings, err := exclusionWarnings(s, results)
	if err != nil {
		return nil, err
	}
	out := &Output{Results: results, Warnings: warnings}
	out.Manifest.Rows = RowCounts{Read: r.read, Used: r.used, Rules: r.scr.Rules}
	return out, nil
}

// addPass3 returns the pass that adds the units to the poverty sums of
// every line in their finest cells. The cells are dealt out to as many
// tasks as there are cores (cell j to task j mod tasks); each task scans
// every unit and adds those of its cells, in row order.
func (r *streamRun) addPass3(fs *finestSpace, lines []*lineValues, cells [][]lineSums) func(*splitUnits) {
	workers := max(1, min(runtime.GOMAXPROCS(0), len(fs.u.x), 8))
	var rank, task []int32 // per stream cell, its finest cell in output order and its task
	// A split's sums of each line by cell, merged into cells after it (as
	// Run blocks them, units.eachBlock); each task lists the cells it met.
	part := make([][]lineSums, len(lines))
	for l := range part {
		part[l] = make([]lineSums, len(cells[l]))
	}
	touched := make([][]int32, workers)
	return func(su *splitUnits) {
		for c := len(rank); c < len(r.fcellOf); c++ {
			j := fs.rank[r.fcellOf[c]]
			rank, task = append(rank, j), append(task, j%int32(workers))
		}
		tasks := make([]func(), workers)
		for k := range tasks {
			tasks[k] = func() {
				for l, lv := range lines {
					ps := part[l]
					met := touched[k][:0]
					for i, c := range su.cell {
						if task[c] != int32(k) {
							continue
						}
						j := rank[c]
						p := &ps[j]
						if p.sums.N == 0 && p.unresolvedN == 0 {
							met = append(met, j)
						}
						z := lv.z[c]
						if math.IsNaN(z) {
							p.unresolvedN++
							p.unresolvedW += su.w[i]
							continue
						}
						p.sums.Add(su.x[i], su.w[i], z)
					}
					for _, j := range met {
						cells[l][j].merge(&ps[j])
					}
					touched[k] = met
				}
			}
		}
		inParallel(tasks)
	}
}

// streamShares are the sums of pass 3 by the groups of the quantiles of
// each set of cut shares (the quantile shares', then the Lorenz curves'),
// in every domain of every breakdown: a split's sums (indices.ShareSums)
// start at zero and are merged in split order, as Run blocks them
// (shareSums, blockedShareSums).
type streamShares struct {
	codes [][]int32               // per breakdown, the domain of each stream cell
	cuts  [][][][]float64         // [breakdown][domain][set]: the quantiles at the set's shares
	total [][][]indices.ShareSums // [breakdown][domain][set]
	part  [][][]indices.ShareSums // a split's, merged into total after it
	met   [][]bool                // [breakdown][domain]: the split has units in it
}

// newStreamShares returns empty sums for the domains of the breakdowns
// gs, over the stream cells, at their quantiles (sts) at each set of
// shares; nil sums for no set.
func newStreamShares(gs []*grouping, sts []*groupStats, sets [][]float64) *streamShares {
	ss := &streamShares{}
	if len(sets) == 0 {
		ss.total = make([][][]indices.ShareSums, len(gs))
		return ss
	}
	for b, g := range gs {
		k := g.size()
		cuts := make([][][]float64, k)
		total, part := make([][]indices.ShareSums, k), make([][]indices.ShareSums, k)
		for j := range k {
			cuts[j] = make([][]float64, len(sets))
			total[j], part[j] = make([]indices.ShareSums, len(sets)), make([]indices.ShareSums, len(sets))
			for c, ps := range sets {
				cuts[j][c] = make([]float64, len(ps))
				for m, p := range ps {
					cuts[j][c][m] = sts[b].quantiles[p][j]
				}
				total[j][c], part[j][c] = indices.NewShareSums(cuts[j][c]), indices.NewShareSums(cuts[j][c])
			}
		}
		ss.codes = append(ss.codes, g.codes)
		ss.cuts = append(ss.cuts, cuts)
		ss.total = append(ss.total, total)
		ss.part = append(ss.part, part)
		ss.met = append(ss.met, make([]bool, k))
	}
	return ss
}

// add adds the units of a split, in row order, and merges its sums.
func (ss *streamShares) add(su *splitUnits) {
	for b, codes := range ss.codes {
		part, met := ss.part[b], ss.met[b]
		for i, c := range su.cell {
			j := codes[c]
			met[j] = true
			for s := range part[j] {
				part[j][s].Add(su.x[i], su.w[i])
			}
		}
		for j, m := range met {
			if !m {
				continue
			}
			for s := range part[j] {
				ss.total[b][j][s].Merge(part[j][s])
				clear(part[j][s].Pop)
				clear(part[j][s].Income)
			}
			met[j] = false
		}
	}
}

// lorenzAsked lists the Lorenz curves among the indicators, in order.
func lorenzAsked(indicators []string) []string {
	var out []string
	for _, name := range indicators {
		if ind, ok := parseIndicator(name); ok && ind.family == familyLorenz {
			out = append(out, name)
		}
	}
	return out
}
