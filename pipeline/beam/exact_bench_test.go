package povbeam

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/povstat/povstat/indices"
)

// The cost of making pipeline's sums merge as the runner's do (a
// prerequisite of bit-for-bit equality beyond exact sums): pipeline's
// cellSums adds every unit to its finest cell's PovertySums in row order;
// "blocked" adds to a cell sum per split (row group) and merges those into
// the cell's total at the end of each split, in split order, which the
// runner can reproduce. The difference is one Merge per split and cell.
func benchUnits(n, cells int) (x, w []float64, code []int32) {
	r := rand.New(rand.NewPCG(1, 1))
	x, w, code = make([]float64, n), make([]float64, n), make([]int32, n)
	for i := range x {
		x[i] = math.Exp(8 + r.NormFloat64())
		w[i] = 100 + 50*r.Float64()
		code[i] = int32(r.IntN(cells))
	}
	return x, w, code
}

func BenchmarkCellSums(b *testing.B) {
	const n, cells, z = 1 << 20, 62, 2500.0
	x, w, code := benchUnits(n, cells)
	b.Run("sequential", func(b *testing.B) {
		for b.Loop() {
			s := make([]indices.PovertySums, cells)
			for i, c := range code {
				s[c].Add(x[i], w[i], z)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/unit")
	})
	for _, block := range []int{1 << 14, 1 << 17, 1 << 20} {
		b.Run("blocked", func(b *testing.B) {
			for b.Loop() {
				s := make([]indices.PovertySums, cells)
				part := make([]indices.PovertySums, cells)
				for start := 0; start < n; start += block {
					clear(part)
					end := min(start+block, n)
					for i, c := range code[start:end] {
						part[c].Add(x[start+i], w[start+i], z)
					}
					for c := range s {
						s[c].Merge(part[c])
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/unit")
			b.ReportMetric(float64(block), "rows/split")
		})
	}
}

// BenchmarkGiniBlocks is the extra work pipeline's Gini would need to meet
// the runner's cumulative weights bit for bit: a histogram of each split
// (per domain), whose merged bucket weights start each bucket's sums,
// against the sorted pass it does now (GiniSums.AddSorted).
func BenchmarkGiniBlocks(b *testing.B) {
	const n = 1 << 20
	x, w, _ := benchUnits(n, 1)
	xs, ws := append([]float64(nil), x...), append([]float64(nil), w...)
	indices.GiniInPlace(xs, ws) // sorted
	b.Run("sorted pass", func(b *testing.B) {
		for b.Loop() {
			var g indices.GiniSums
			for i, v := range xs {
				g.AddSorted(v, ws[i])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/unit")
	})
	b.Run("histogram", func(b *testing.B) {
		for b.Loop() {
			var h indices.QuantileHistogram
			for i, v := range x {
				h.Add(v, w[i])
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/unit")
	})
}
