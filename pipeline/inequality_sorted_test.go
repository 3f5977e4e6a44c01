package pipeline

import (
	"cmp"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/povstat/povstat/indices"
)

// referenceSegments is the straightforward path that sortedOrder and
// sortedSegments replace: a stable comparison sort of the units by income
// (-0 before +0, other ties in unit order), a gather of group, income and
// weight in that order, and a partition by group.
func referenceSegments(u *units, g *grouping) (order []int32, off []int, xs, ws []float64) {
	order = make([]int32, len(u.x))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		xa, xb := u.x[a], u.x[b]
		if c := cmp.Compare(xa, xb); c != 0 || xa != 0 {
			return c
		}
		switch sa, sb := math.Signbit(xa), math.Signbit(xb); {
		case sa == sb:
			return 0
		case sa:
			return -1 // -0 first
		default:
			return 1
		}
	})
	codes := make([]int32, len(order))
	sx := make([]float64, len(order))
	sw := make([]float64, len(order))
	for k, i := range order {
		codes[k], sx[k], sw[k] = g.codes[i], u.x[i], u.w[i]
	}
	off, xs, ws = partition(codes, g.size(), nil, sx, sw)
	return order, off, xs, ws
}

// sortedTestUnits draws n units whose incomes of kind have many ties:
// "mixed" mixes -0, +0, small integers and log-normal incomes of both
// signs; "narrow" differs only in the lowest bits; "constant" is one value.
func sortedTestUnits(rng *rand.Rand, n int, kind string) *units {
	u := &units{x: make([]float64, n), w: make([]float64, n)}
	for i := range u.x {
		switch {
		case kind == "constant":
			u.x[i] = 1234.5
		case kind == "narrow":
			u.x[i] = math.Nextafter(1000, 2000) + float64(rng.IntN(8))*math.Pow(2, -40)
		default:
			switch rng.IntN(6) {
			case 0:
				u.x[i] = math.Copysign(0, -1)
			case 1:
				u.x[i] = float64(rng.IntN(5) - 2) // ties, +0 among them
			case 2:
				u.x[i] = -math.Exp(3 * rng.NormFloat64())
			default:
				u.x[i] = 1000 * math.Exp(rng.NormFloat64())
			}
		}
		u.w[i] = float64(1+rng.IntN(4)) * (0.5 + rng.Float64())
	}
	return u
}

func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// TestSortedSegmentsBitForBit checks the chunked radix sort and gather
// against referenceSegments bit for bit (incomes, weights, and so the
// Gini of every segment, whose sums add in the same order), for the whole
// population and for groups (one of them empty), whatever GOMAXPROCS and
// so the number of chunks: sortedSegments, and the segments that
// inequalityRows takes from the units sorted once with their finest cell
// (cellData.sortedUnits), the groups being unions of cells.
func TestSortedSegmentsBitForBit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(8, 9))
	cases := []struct {
		kind string
		n    int
	}{
		{"mixed", 0}, {"mixed", 1}, {"mixed", 7}, {"mixed", 1000}, {"mixed", 3*radixMinChunk + 17},
		{"narrow", 2*radixMinChunk + 5}, {"constant", radixMinChunk + 3},
	}
	for _, tc := range cases {
		u := sortedTestUnits(rng, tc.n, tc.kind)
		finest := &grouping{codes: make([]int32, tc.n), keys: make([][]string, 12)}
		byGroup := &grouping{codes: make([]int32, tc.n), keys: make([][]string, 5)}
		for i := range finest.codes {
			finest.codes[i] = int32(rng.IntN(12))
			byGroup.codes[i] = finest.codes[i] / 3 // group 4 stays empty
		}
		whole := &grouping{codes: make([]int32, tc.n), keys: [][]string{{}}}
		for _, g := range []*grouping{whole, byGroup, finest} {
			wantOrder, wantOff, wantX, wantW := referenceSegments(u, g)
			for _, procs := range []int{1, 2, 3, 8} {
				runtime.GOMAXPROCS(procs)
				order := sortedOrder(u)
				if !slices.Equal(order, wantOrder) {
					t.Fatalf("%s n=%d procs=%d: order differs from a stable sort", tc.kind, tc.n, procs)
				}
				var paths [2]struct {
					off    []int
					xs, ws []float64
				}
				paths[0].off, paths[0].xs, paths[0].ws = sortedSegments(u, g, order)
				cd := newCellData(u, finest, ineqNeeds{sorted: true})
				paths[1].off, paths[1].xs, paths[1].ws = cd.sortedUnits(u, order).segments(g.size(), groupsOfCells(g, cd.rep))
				for path, p := range paths {
					off, xs, ws := p.off, p.xs, p.ws
					if !slices.Equal(off, wantOff) || !sameBits(xs, wantX) || !sameBits(ws, wantW) {
						t.Fatalf("%s n=%d groups=%d procs=%d path %d: segments differ from the gather and partition", tc.kind, tc.n, g.size(), procs, path)
					}
					for j := range g.size() {
						a, b := off[j], off[j+1]
						got := newSortedSegment(xs[a:b], ws[a:b]).gini()
						want := newSortedSegment(wantX[a:b], wantW[a:b]).gini()
						if math.Float64bits(got) != math.Float64bits(want) {
							t.Fatalf("%s n=%d group %d: Gini %v, want %v", tc.kind, tc.n, j, got, want)
						}
					}
				}
			}
		}
	}
}

// TestRadixSortValues checks that radixSort's values are the inputs in
// radixOrder, bit for bit: keyValue inverts sortKey for -0, +0, infinities,
// subnormals and any other bits but NaN's.
func TestRadixSortValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := []float64{math.Copysign(0, -1), 0, math.Inf(1), math.Inf(-1), 5e-324, -5e-324, math.MaxFloat64, -math.MaxFloat64, 1, -1}
	for range 3 * radixMinChunk {
		v := math.Float64frombits(rng.Uint64())
		if math.IsNaN(v) {
			v = 0
		}
		x = append(x, v)
	}
	order, sorted := radixSort(x)
	if len(sorted) != len(x) {
		t.Fatalf("%d sorted values, want %d", len(sorted), len(x))
	}
	for k, i := range order {
		if math.Float64bits(sorted[k]) != math.Float64bits(x[i]) {
			t.Fatalf("sorted[%d] = %v, want x[%d] = %v", k, sorted[k], i, x[i])
		}
		if k == 0 {
			continue
		}
		if a, b := sorted[k-1], sorted[k]; b < a || b == 0 && a == 0 && !math.Signbit(a) && math.Signbit(b) {
			t.Fatalf("sorted[%d] = %v after %v", k, b, a)
		}
	}
}

// TestQuantilesSortedBitForBit checks the one-scan quantiles against
// indices.QuantileSorted at every p, bit for bit: on sorted incomes with
// ties, zero weights (some at the ends), unit weights whose cumulative
// shares hit p exactly (laeken's midpoint), all-zero weights and none.
func TestQuantilesSortedBitForBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	ps := []float64{0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1 - 1e-17, 0.999999}
	for trial := range 300 {
		n := rng.IntN(40)
		if trial%50 == 0 {
			n = 5000
		}
		x, w := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i] = float64(rng.IntN(8)) - 1
			if trial%3 > 0 {
				x[i] += rng.Float64()
			}
			switch {
			case trial%4 == 0:
				w[i] = 1 // shares k/n hit p exactly
			case trial%7 == 0:
				w[i] = 0
			case rng.IntN(4) == 0:
				w[i] = 0
			default:
				w[i] = rng.Float64() * 3
			}
		}
		slices.Sort(x)
		got := quantilesSortedN(ps, x, w, sortedTotal(w))
		for k, p := range ps {
			want := indices.QuantileSorted(p, x, w)
			if math.Float64bits(got[k]) != math.Float64bits(want) && !(math.IsNaN(got[k]) && math.IsNaN(want)) {
				t.Fatalf("trial %d n=%d p=%v: %v, want %v (indices.QuantileSorted)", trial, n, p, got[k], want)
			}
		}
	}
}

// TestQuantilesSortedHandWorked: incomes 1..4 of weights 1, 1, 1, 1 have
// their median at the exact half, so laeken's median is (2+3)/2; weights
// 1, 0, 0, 1 skip the zero-weight incomes for the midpoint (1+4)/2; the
// first quintile of 1..4 is 1 and the ninth decile 4.
func TestQuantilesSortedHandWorked(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	got := quantilesSortedN([]float64{0.2, 0.5, 0.9}, x, []float64{1, 1, 1, 1}, sortedTotal([]float64{1, 1, 1, 1}))
	if want := []float64{1, 2.5, 4}; !slices.Equal(got, want) {
		t.Errorf("unit weights: %v, want %v", got, want)
	}
	got = quantilesSortedN([]float64{0.5}, x, []float64{1, 0, 0, 1}, sortedTotal([]float64{1, 0, 0, 1}))
	if got[0] != 2.5 {
		t.Errorf("zero weights inside: median %v, want 2.5", got[0])
	}
	got = quantilesSortedN([]float64{0.5}, x, []float64{0, 0, 0, 0}, sortedTotal([]float64{0, 0, 0, 0}))
	if !math.IsNaN(got[0]) {
		t.Errorf("zero total weight: %v, want NaN", got[0])
	}
}
