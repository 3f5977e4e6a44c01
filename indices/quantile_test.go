package indices

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// laekenQuantile is a direct transcription of R laeken's weightedQuantile
// (sort, cumulative shares, tie rule), used as an independent reference.
func laekenQuantile(p float64, x, w []float64) float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	xs := make([]float64, len(x))
	rw := make([]float64, len(x))
	total, cum := 0.0, 0.0
	for _, v := range w {
		total += v
	}
	for k, i := range idx {
		xs[k] = x[i]
		cum += w[i]
		rw[k] = cum / total
	}
	n := len(xs)
	switch p {
	case 0:
		return xs[0]
	case 1:
		return xs[n-1]
	}
	for k := range rw {
		if rw[k] >= p {
			if rw[k] == p {
				return (xs[k] + xs[k+1]) / 2
			}
			return xs[k]
		}
	}
	return xs[n-1]
}

func TestQuantile(t *testing.T) {
	for _, tt := range []struct {
		name   string
		p      float64
		x, w   []float64
		ans    float64
		panics bool
	}{
		{name: "even unit weights averages the middle pair", p: 0.5, x: []float64{4, 1, 3, 2}, ans: 2.5},
		{name: "odd unit weights", p: 0.5, x: []float64{3, 1, 2}, ans: 2},
		{name: "weighted exact tie averages", p: 0.5, x: []float64{1, 2, 3, 4}, w: []float64{1, 1, 1, 3}, ans: 3.5},
		{name: "weighted above tie", p: 0.6, x: []float64{1, 2, 3, 4}, w: []float64{1, 1, 1, 3}, ans: 4},
		{name: "weighted below", p: 0.2, x: []float64{1, 2, 3, 4}, w: []float64{1, 1, 1, 3}, ans: 2},
		{name: "p=0 is the minimum", p: 0, x: []float64{5, -1, 3}, ans: -1},
		{name: "p=1 is the maximum", p: 1, x: []float64{5, -1, 3}, ans: 5},
		{name: "zero weights are ignored", p: 0.5, x: []float64{100, 1, 2, 3}, w: []float64{0, 1, 1, 1}, ans: 2},
		{name: "tie rule skips zero weight neighbour", p: 0.5, x: []float64{1, 2, 3, 4}, w: []float64{1, 1, 0, 2}, ans: 3},
		{name: "ties in x", p: 0.5, x: []float64{2, 2, 2, 1, 3}, ans: 2},
		{name: "empty", p: 0.5, x: []float64{}, ans: math.NaN()},
		{name: "zero total weight", p: 0.5, x: []float64{1, 2}, w: []float64{0, 0}, ans: math.NaN()},
		{name: "p out of range", p: 1.5, x: []float64{1}, panics: true},
		{name: "length mismatch", p: 0.5, x: []float64{1, 2}, w: []float64{1}, panics: true},
		{name: "negative weight", p: 0.5, x: []float64{1, 2}, w: []float64{1, -1}, panics: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x0, w0 := slices.Clone(tt.x), slices.Clone(tt.w)
			var got float64
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				got = Quantile(tt.p, tt.x, tt.w)
				return false
			}()
			if panicked != tt.panics {
				t.Fatalf("panicked = %v, want %v", panicked, tt.panics)
			}
			if tt.panics {
				return
			}
			if !sameFloat(got, tt.ans) {
				t.Errorf("Quantile(%v) = %v, want %v", tt.p, got, tt.ans)
			}
			if !slices.Equal(tt.x, x0) || !slices.Equal(tt.w, w0) {
				t.Error("Quantile modified its input")
			}
		})
	}
}

// TestQuantileAgainstLaeken compares selection with the sorting reference on
// random data with many ties (small integer incomes and weights, where the
// tie rule fires) and on continuous data.
func TestQuantileAgainstLaeken(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ps := []float64{0.01, 0.1, 0.2, 0.25, 0.4, 0.5, 0.6, 0.75, 0.8, 0.9, 0.99}
	for trial := 0; trial < 300; trial++ {
		n := 1 + rng.IntN(400)
		x := make([]float64, n)
		w := make([]float64, n)
		discrete := trial%2 == 0
		for i := range x {
			if discrete {
				x[i] = float64(rng.IntN(20))
				w[i] = float64(1 + rng.IntN(4))
			} else {
				x[i] = math.Exp(rng.NormFloat64())
				w[i] = 0.5 + rng.Float64()*10
			}
		}
		sx, sw := slices.Clone(x), slices.Clone(w)
		sort.Sort(pairs{sx, sw})
		for _, p := range ps {
			want := laekenQuantile(p, x, w)
			if got := Quantile(p, x, w); got != want {
				t.Fatalf("trial %d n=%d p=%v: Quantile = %v, laeken rule = %v", trial, n, p, got, want)
			}
			if got := QuantileSorted(p, sx, sw); got != want {
				t.Fatalf("trial %d n=%d p=%v: QuantileSorted = %v, laeken rule = %v", trial, n, p, got, want)
			}
		}
	}
}

func TestQuantileNilWeightsEqualUnitWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 1001)
	ones := make([]float64, len(x))
	for i := range x {
		x[i] = rng.NormFloat64()
		ones[i] = 1
	}
	for _, p := range []float64{0, 0.1, 0.5, 0.9, 1} {
		if a, b := Quantile(p, x, nil), Quantile(p, x, ones); a != b {
			t.Errorf("p=%v: nil weights %v, unit weights %v", p, a, b)
		}
	}
}

func TestQuantileSortedInputIsLinear(t *testing.T) {
	// Sorted and constant inputs are the classic quickselect traps; they must
	// still give the right answer.
	n := 100000
	sorted := make([]float64, n)
	constant := make([]float64, n)
	for i := range sorted {
		sorted[i] = float64(i)
		constant[i] = 7
	}
	if got := Median(sorted, nil); got != float64(n-1)/2 {
		t.Errorf("median of 0..%d = %v", n-1, got)
	}
	if got := Median(constant, nil); got != 7 {
		t.Errorf("median of constants = %v", got)
	}
}

func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// benchSample is 1M lognormal incomes with uniform weights, like the
// DuckDB reference file.
func benchSample() (x, w []float64) {
	rng := rand.New(rand.NewPCG(1, 1))
	n := 1 << 20
	x = make([]float64, n)
	w = make([]float64, n)
	for i := range x {
		x[i] = math.Exp(9.4 + 0.8*rng.NormFloat64())
		w[i] = 50 + 450*rng.Float64()
	}
	return x, w
}

func BenchmarkMedian1M(b *testing.B) {
	x, w := benchSample()
	xs, ws := make([]float64, len(x)), make([]float64, len(x))
	b.ResetTimer()
	for b.Loop() {
		copy(xs, x)
		copy(ws, w)
		QuantileInPlace(0.5, xs, ws)
	}
}

func BenchmarkMedianBySort1M(b *testing.B) {
	x, w := benchSample()
	xs, ws := make([]float64, len(x)), make([]float64, len(x))
	b.ResetTimer()
	for b.Loop() {
		copy(xs, x)
		copy(ws, w)
		sort.Sort(pairs{xs, ws})
	}
}
