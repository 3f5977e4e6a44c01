package pipeline

import (
	"context"
	"fmt"
	"math"

	"github.com/povstat/povstat/indices"
)

// The streaming runner's Gini: the units of every domain in increasing
// order of income, bucket by bucket of the histogram grid. Pass 1 counts
// the units of each bucket (giniCount); the buckets are then cut into
// ranges of at most streamGiniUnits units per breakdown, and each range
// takes one more pass over the splits that keeps the units of its buckets
// (the loader's bucket filter, as pass 2), sorts each domain's units by
// income (radixOrder: stable, ties in row order, as Run's sort of all
// units) and adds them to the domain's indices.GiniByBucket; a range of
// one value (an atom, which may hold more than the capacity) adds its
// units as they come, already in that order. The ranges go
// in increasing order of income, so each domain's units are added in
// Run's order, bucket after bucket, and the Gini has Run's bits.

// streamGiniUnits is the number of units a Gini pass holds per breakdown
// (about 40 bytes each while sorted): 2^24, 640 MiB, unless the memory
// budget is smaller (giniCapacity). A variable for the tests.
var streamGiniUnits = 1 << 24

// giniCapacity returns the units a Gini pass may hold per breakdown under
// the memory budget (0: none): streamGiniUnits, or a quarter of the
// budget at 40 bytes a unit and breakdown, at least 2^16.
func giniCapacity(budget int64, breakdowns int) int {
	c := streamGiniUnits
	if budget > 0 {
		c = min(c, max(1<<16, int(budget/4/40/int64(breakdowns))))
	}
	return c
}

// bucketCounts counts units by bucket of the histogram grid, in pages of
// 2^10 buckets made when first used (incomes fill a few pages), and
// whether all the units of a bucket have one value (an atom: zero
// incomes, a fixed benefit).
type bucketCounts struct {
	pages [1 << (indices.HistogramBits - bucketPageBits)][]bucketCount
}

type bucketCount struct {
	n     int64
	value uint64 // the bits of the first value
	mixed bool   // another value came
}

const bucketPageBits = 10

// add counts a unit of value x.
func (c *bucketCounts) add(x float64) {
	b := indices.HistogramBucket(x)
	p := &c.pages[b>>bucketPageBits]
	if *p == nil {
		*p = make([]bucketCount, 1<<bucketPageBits)
	}
	bc := &(*p)[b&(1<<bucketPageBits-1)]
	if bits := math.Float64bits(x); bc.n == 0 {
		bc.value = bits
	} else if bits != bc.value {
		bc.mixed = true // -0 and +0 too: the sort puts -0 first
	}
	bc.n++
}

// giniRange is a range of buckets [lo, hi) for one pass; atom when its
// units all have one value (its one bucket with units is an atom), so that
// they are in order as they come, ties in row order, and need no sort.
type giniRange struct {
	lo, hi uint32
	atom   bool
}

// giniRanges cuts the buckets with units into ranges of at most capacity
// units each (a bucket with more is a range of its own), in increasing
// order.
func giniRanges(count *bucketCounts, capacity int) []giniRange {
	var out []giniRange
	start, n, buckets := -1, int64(0), 0
	atom := false
	for pg, page := range count.pages {
		for k, bc := range page {
			if bc.n == 0 {
				continue
			}
			b := pg<<bucketPageBits + k
			if start >= 0 && n+bc.n > int64(capacity) {
				out = append(out, giniRange{uint32(start), uint32(b), buckets == 1 && atom})
				start, n, buckets = -1, 0, 0
			}
			if start < 0 {
				start = b
			}
			n += bc.n
			buckets++
			atom = !bc.mixed
		}
	}
	if start >= 0 {
		out = append(out, giniRange{uint32(start), 1 << indices.HistogramBits, buckets == 1 && atom})
	}
	return out
}

// giniPasses returns the Gini of every domain of every breakdown gs (over
// the stream cells), from one pass per range of buckets.
func (r *streamRun) giniPasses(ctx context.Context, gs []*grouping, budget int64) ([][]float64, error) {
	acc := make([][]indices.GiniByBucket, len(gs))
	xs, ws := make([][][]float64, len(gs)), make([][][]float64, len(gs))
	for b, g := range gs {
		acc[b] = make([]indices.GiniByBucket, g.size())
		xs[b], ws[b] = make([][]float64, g.size()), make([][]float64, g.size())
	}
	ranges := giniRanges(r.giniCount, giniCapacity(budget, len(gs)))
	for k, rg := range ranges {
		want := make([]uint64, 1<<indices.HistogramBits/64)
		for bk := rg.lo; bk < rg.hi; bk++ {
			want[bk/64] |= 1 << (bk % 64)
		}
		name := fmt.Sprintf("gini pass %d/%d", k+1, len(ranges))
		err := r.pass(ctx, name, func() *splitLoader { return r.newLoader(false, want) }, r.all(), func(su *splitUnits) {
			for b, g := range gs {
				for i, c := range su.cell {
					d := g.codes[c]
					if rg.atom { // in order as they come
						acc[b][d].AddSorted(su.x[i], su.w[i])
						continue
					}
					xs[b][d] = append(xs[b][d], su.x[i])
					ws[b][d] = append(ws[b][d], su.w[i])
				}
			}
		})
		if err != nil {
			return nil, err
		}
		for b := range gs {
			for d, x := range xs[b] {
				w := ws[b][d]
				for _, i := range radixOrder(x) {
					acc[b][d].AddSorted(x[i], w[i])
				}
				xs[b][d], ws[b][d] = x[:0], w[:0]
			}
		}
	}
	out := make([][]float64, len(gs))
	for b := range gs {
		out[b] = make([]float64, len(acc[b]))
		for d := range acc[b] {
			sums := acc[b][d].Sums()
			out[b][d] = sums.Gini()
		}
	}
	return out, nil
}
