package pipeline

import (
	"context"
	"fmt"

	"github.com/povstat/povstat/indices"
)

// The streaming runner's sen and rmpg: both read the poor of a line by
// their income relative to it, r = x / z (x < z, z > 0), in every domain
// of every breakdown, as Run's sortedPoor and povertyRows do.
//
//   - rmpg: the weighted median of the poor's r, 1 - median. Pass 3 adds
//     the poor to histograms of r per domain, a histogram per split merged
//     in split order (as groupMedians over the poor, blocked by split); a
//     further pass keeps the poor whose r lies in the median's bucket
//     (indices.QuantileCandidates).
//   - sen: the Gini of the poor's r, by bucket of the histogram grid
//     (indices.GiniByBucket), as the Gini of stream_gini.go: pass 3 counts
//     the poor of each bucket of r, and each range of buckets takes a pass
//     that keeps its poor, sorted by r (ties in row order, as Run's
//     radixOrder over the poor in unit order).
//
// The passes after pass 3 read every unit (the loader cannot choose by r):
// the first one gathers both the median candidates and the first range of
// every line's buckets.
type poorStream struct {
	lines     []*lineValues
	gs        []*grouping // the breakdowns, over the stream cells
	rmpg, sen bool

	hist  [][]*indices.DomainHistograms   // [line][breakdown]: r of the poor (rmpg)
	cand  [][]*indices.QuantileCandidates // [line][breakdown]
	count []*bucketCounts                 // [line]: the poor by bucket of r (sen)
	acc   [][][]indices.GiniByBucket      // [line][breakdown][domain]

	// A split's poor of one line: stream cell, r and weight.
	cell []int32
	r, w []float64
	grp  []int32
}

func newPoorStream(lines []*lineValues, gs []*grouping, rmpg, sen bool) *poorStream {
	p := &poorStream{lines: lines, gs: gs, rmpg: rmpg, sen: sen}
	p.hist = make([][]*indices.DomainHistograms, len(lines))
	p.count = make([]*bucketCounts, len(lines))
	p.acc = make([][][]indices.GiniByBucket, len(lines))
	for l := range lines {
		p.hist[l] = make([]*indices.DomainHistograms, len(gs))
		p.acc[l] = make([][]indices.GiniByBucket, len(gs))
		for b, g := range gs {
			if rmpg {
				p.hist[l][b] = indices.NewDomainHistograms(g.size())
			}
			p.acc[l][b] = make([]indices.GiniByBucket, g.size())
		}
		if sen {
			p.count[l] = &bucketCounts{}
		}
	}
	return p
}

// poor lists the split's poor of line l into p.cell, p.r, p.w, in row
// order.
func (p *poorStream) poor(l int, su *splitUnits) {
	lv := p.lines[l]
	p.cell, p.r, p.w = p.cell[:0], p.r[:0], p.w[:0]
	for i, c := range su.cell {
		if z, x := lv.z[c], su.x[i]; x < z && z > 0 {
			p.cell, p.r, p.w = append(p.cell, c), append(p.r, x/z), append(p.w, su.w[i])
		}
	}
}

// addPass3 adds a split's poor to the histograms (rmpg) and the bucket
// counts (sen).
func (p *poorStream) addPass3(su *splitUnits) {
	for l := range p.lines {
		p.poor(l, su)
		if p.sen {
			for _, r := range p.r {
				p.count[l].add(r)
			}
		}
		if !p.rmpg {
			continue
		}
		for b, g := range p.gs {
			p.grp = p.grp[:0]
			for _, c := range p.cell {
				p.grp = append(p.grp, g.codes[c])
			}
			h := p.hist[l][b]
			if len(p.r) < smallBlock && len(h.H) < 1<<20 { // as streamStats.add
				h.MergeBlock(p.grp, nil, p.r, p.w)
				continue
			}
			blk := indices.NewDomainHistograms(len(h.H))
			blk.AddMasked(p.grp, nil, p.r, p.w)
			h.Merge(blk)
		}
	}
}

// poorPasses runs the passes after pass 3 and returns, for every line,
// breakdown and domain, the Gini of the poor (sen) and 1 - their median
// r (rmpg); nil for what is not asked for.
func (r *streamRun) poorPasses(ctx context.Context, p *poorStream) (gini, rmpg [][][]float64, err error) {
	if p.rmpg {
		p.cand = make([][]*indices.QuantileCandidates, len(p.lines))
		for l := range p.lines {
			p.cand[l] = make([]*indices.QuantileCandidates, len(p.gs))
			for b := range p.gs {
				targets := p.hist[l][b].Locate([]float64{0.5})
				p.cand[l][b] = indices.NewQuantileCandidates(targets)
				presize(p.cand[l][b], p.hist[l][b], targets)
				p.hist[l][b] = nil
			}
		}
	}
	var ranges [][]giniRange // per line
	passes := 0
	if p.rmpg {
		passes = 1
	}
	if p.sen {
		capacity := max(1, giniCapacity(r.budget, len(p.gs))/len(p.lines))
		ranges = make([][]giniRange, len(p.lines))
		for l := range p.lines {
			ranges[l] = giniRanges(p.count[l], capacity)
			passes = max(passes, len(ranges[l]))
		}
	}
	type list struct{ r, w []float64 }
	lists := make([][][]list, len(p.lines)) // [line][breakdown][domain]
	for l := range lists {
		lists[l] = make([][]list, len(p.gs))
		for b, g := range p.gs {
			lists[l][b] = make([]list, g.size())
		}
	}
	for k := range passes {
		name := fmt.Sprintf("poor pass %d/%d", k+1, passes)
		err := r.pass(ctx, name, func() *splitLoader { return r.newLoader(false, nil) }, r.all(), func(su *splitUnits) {
			for l := range p.lines {
				p.poor(l, su)
				if p.rmpg && k == 0 {
					for b, g := range p.gs {
						c := p.cand[l][b]
						for i, cell := range p.cell {
							c.Add(int(g.codes[cell]), p.r[i], p.w[i])
						}
					}
				}
				if !p.sen || k >= len(ranges[l]) {
					continue
				}
				rg := ranges[l][k]
				for i, r := range p.r {
					if bk := indices.HistogramBucket(r); bk < rg.lo || bk >= rg.hi {
						continue
					}
					for b, g := range p.gs {
						d := g.codes[p.cell[i]]
						if rg.atom { // one value: in order as they come
							p.acc[l][b][d].AddSorted(r, p.w[i])
							continue
						}
						li := &lists[l][b][d]
						li.r, li.w = append(li.r, r), append(li.w, p.w[i])
					}
				}
			}
		})
		if err != nil {
			return nil, nil, err
		}
		for l := range lists {
			for b := range lists[l] {
				for d, li := range lists[l][b] {
					for _, i := range radixOrder(li.r) {
						p.acc[l][b][d].AddSorted(li.r[i], li.w[i])
					}
					lists[l][b][d] = list{li.r[:0], li.w[:0]}
				}
			}
		}
	}
	if p.sen {
		gini = make([][][]float64, len(p.lines))
		for l := range p.lines {
			gini[l] = make([][]float64, len(p.gs))
			for b := range p.gs {
				gini[l][b] = make([]float64, len(p.acc[l][b]))
				for d := range p.acc[l][b] {
					sums := p.acc[l][b][d].Sums()
					gini[l][b][d] = sums.Gini()
				}
			}
		}
	}
	if p.rmpg {
		rmpg = make([][][]float64, len(p.lines))
		for l := range p.lines {
			rmpg[l] = make([][]float64, len(p.gs))
			for b := range p.gs {
				q := p.cand[l][b].Quantiles()
				rmpg[l][b] = make([]float64, len(q))
				for d := range q {
					rmpg[l][b][d] = 1 - q[d][0]
				}
			}
		}
	}
	return gini, rmpg, nil
}
