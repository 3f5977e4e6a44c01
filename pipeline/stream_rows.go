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
	if len(lines) > 0 && want.any(lineIndicators...) {
		err := r.pass(ctx, "pass 3/3: poverty sums", func() *splitLoader { return r.newLoader(false, nil) }, r.all(), r.addPass3(fs, lines, cells))
		if err != nil {
			return nil, err
		}
	}

	breakdowns := append([][]string{nil}, s.Domains...)
	const extra = 3
	per := 1 + len(lines) + extra
	parts := make([][]Result, len(breakdowns)*per)
	for b, cols := range breakdowns {
		g, err := newGrouping(nF, cols, fs.u.factors)
		if err != nil {
			return nil, err
		}
		gS, err := newGrouping(nS, cols, uS.factors)
		if err != nil {
			return nil, err
		}
		st := r.request(statsRequest{cols: cols}).stats(gS)
		parts[b*per] = baseRows(g, st, s.Indicators)
		for l, lv := range lines {
			parts[b*per+1+l] = povertyRows(nil, g, lv, cells[l], nil, want, s.Indicators)
		}
		parts[b*per+1+len(lines)] = inequalityRows(nil, g, st, fs.cd, nil, r.nd)
		if s.Region != "" {
			rg, err := newGrouping(nF, []string{s.Region}, fs.u.factors)
			if err != nil {
				return nil, err
			}
			parts[b*per+2+len(lines)] = regionRows(s, g, rg, st, fs.cd, r.nd, want)
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
	if s.Time != "" {
		results = append(results, changeRows(results, s.Time, nil)...)
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
