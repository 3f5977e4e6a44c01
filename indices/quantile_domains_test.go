package indices

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// AddMasked builds the histograms and keeps the candidates that Add builds
// and keeps one unit at a time over the selected units, and the quantiles
// resolved from them equal Quantile over each domain's selected units.
func TestAddMaskedEqualsAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 7))
	const n, k = 5000, 4
	domain := make([]int32, n)
	x := make([]float64, n)
	w := make([]float64, n)
	keep := make([]bool, n)
	for i := range n {
		domain[i] = int32(rng.IntN(k))
		x[i] = math.Round(math.Exp(rng.NormFloat64()+5)) - 20 // ties, negatives
		w[i] = float64(rng.IntN(4))                           // zero weights too
		keep[i] = rng.IntN(4) > 0
	}
	ps := []float64{0.1, 0.5, 0.9}
	for _, tc := range []struct {
		name    string
		keep    []bool
		weights []float64
	}{{"mask", keep, w}, {"no mask", nil, w}, {"nil weights", keep, nil}} {
		got, want := NewDomainHistograms(k), NewDomainHistograms(k)
		got.AddMasked(domain, tc.keep, x, tc.weights)
		for i := range n {
			if tc.keep == nil || tc.keep[i] {
				want.H[domain[i]].Add(x[i], weightAt(tc.weights, i))
			}
		}
		for j := range k {
			if !slices.Equal(got.H[j].Buckets(), want.H[j].Buckets()) || got.H[j].N() != want.H[j].N() {
				t.Fatalf("%s: domain %d: histograms differ", tc.name, j)
			}
		}
		targets := got.Locate(ps)
		gotC, wantC := NewQuantileCandidates(targets), NewQuantileCandidates(targets)
		gotC.AddMasked(domain, tc.keep, x, tc.weights)
		for i := range n {
			if tc.keep == nil || tc.keep[i] {
				wantC.Add(int(domain[i]), x[i], weightAt(tc.weights, i))
			}
		}
		if !slices.EqualFunc(gotC.X, wantC.X, slices.Equal) || !slices.EqualFunc(gotC.W, wantC.W, slices.Equal) {
			t.Fatalf("%s: candidates differ", tc.name)
		}
		for j, qs := range gotC.Quantiles() {
			var xs, ws []float64
			for i := range n {
				if int(domain[i]) == j && (tc.keep == nil || tc.keep[i]) {
					xs, ws = append(xs, x[i]), append(ws, weightAt(tc.weights, i))
				}
			}
			for m, p := range ps {
				if q := Quantile(p, xs, ws); qs[m] != q {
					t.Errorf("%s: domain %d, p=%v: %v, want %v", tc.name, j, p, qs[m], q)
				}
			}
		}
	}
}

// Masked-out units are not checked; selected ones are, as by Add.
func TestAddMaskedPanics(t *testing.T) {
	d := []int32{0, 0}
	for _, tc := range []struct {
		name   string
		keep   []bool
		x, w   []float64
		domain []int32
		panics bool
	}{
		{name: "negative weight", x: []float64{1, 2}, w: []float64{1, -1}, domain: d, panics: true},
		{name: "negative weight masked out", keep: []bool{true, false}, x: []float64{1, 2}, w: []float64{1, -1}, domain: d},
		{name: "NaN value", x: []float64{1, math.NaN()}, w: []float64{1, 1}, domain: d, panics: true},
		{name: "NaN value masked out", keep: []bool{true, false}, x: []float64{1, math.NaN()}, w: []float64{1, 1}, domain: d},
		{name: "short weights", x: []float64{1, 2}, w: []float64{1}, domain: d, panics: true},
		{name: "short mask", keep: []bool{true}, x: []float64{1, 2}, w: []float64{1, 1}, domain: d, panics: true},
		{name: "short domains", x: []float64{1, 2}, w: []float64{1, 1}, domain: d[:1], panics: true},
	} {
		his := func() { NewDomainHistograms(1).AddMasked(tc.domain, tc.keep, tc.x, tc.w) }
		if got := panics(his); got != tc.panics {
			t.Errorf("%s: histogram panics %v, want %v", tc.name, got, tc.panics)
		}
		targets := [][]QuantileTarget{{{P: 0.5, Bucket: HistogramBucket(1)}}}
		cand := func() { NewQuantileCandidates(targets).AddMasked(tc.domain, tc.keep, tc.x, tc.w) }
		if got := panics(cand); got != tc.panics {
			t.Errorf("%s: candidates panic %v, want %v", tc.name, got, tc.panics)
		}
	}
}

// A nil domain puts every unit in domain 0: the histograms, candidates and
// quantiles are those of all-zero domains, and the quantiles equal
// Quantile over the selected units.
func TestAddMaskedNilDomain(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 3))
	const n = 3000
	x := make([]float64, n)
	w := make([]float64, n)
	keep := make([]bool, n)
	for i := range n {
		x[i] = math.Round(math.Exp(rng.NormFloat64() + 4))
		w[i] = float64(rng.IntN(3))
		keep[i] = rng.IntN(3) > 0
	}
	zeros := make([]int32, n)
	got, want := NewDomainHistograms(1), NewDomainHistograms(1)
	got.AddMasked(nil, keep, x, w)
	want.AddMasked(zeros, keep, x, w)
	if !slices.Equal(got.H[0].Buckets(), want.H[0].Buckets()) || got.H[0].N() != want.H[0].N() {
		t.Fatal("histograms differ from those of all-zero domains")
	}
	ps := []float64{0.25, 0.5}
	gotC, wantC := NewQuantileCandidates(got.Locate(ps)), NewQuantileCandidates(want.Locate(ps))
	gotC.AddMasked(nil, keep, x, w)
	wantC.AddMasked(zeros, keep, x, w)
	if !slices.EqualFunc(gotC.X, wantC.X, slices.Equal) || !slices.EqualFunc(gotC.W, wantC.W, slices.Equal) {
		t.Fatal("candidates differ from those of all-zero domains")
	}
	var xs, ws []float64
	for i := range n {
		if keep[i] {
			xs, ws = append(xs, x[i]), append(ws, w[i])
		}
	}
	for m, p := range ps {
		if q, ref := gotC.Quantiles()[0][m], Quantile(p, xs, ws); q != ref {
			t.Errorf("p=%v: %v, want %v", p, q, ref)
		}
	}
	if !panics(func() { NewDomainHistograms(1).AddMasked([]int32{0}, nil, x, w) }) {
		t.Error("a short domain slice does not panic")
	}
}

// TestMergeBlock: merging a block by sorting gives the bits of merging the
// block's own histograms: weights in tenths (sums not exact), a mask,
// zero weights, ties, -0 and +0, no domains, and blocks merged in turn.
func TestMergeBlock(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for trial := range 200 {
		k := 1 + r.IntN(5)
		byGrid, bySort := NewDomainHistograms(k), NewDomainHistograms(k)
		for range 1 + r.IntN(4) {
			n := r.IntN(300)
			dom, x, w, keep := make([]int32, n), make([]float64, n), make([]float64, n), make([]bool, n)
			for i := range n {
				dom[i] = int32(r.IntN(k))
				x[i] = float64(r.IntN(40)*50 + r.IntN(3))
				if r.IntN(20) == 0 {
					x[i] = math.Copysign(0, float64(r.IntN(2))-0.5)
				}
				w[i] = float64(r.IntN(25)) / 10
				keep[i] = r.IntN(6) > 0
			}
			var domain []int32
			if k > 1 || trial%2 == 0 {
				domain = dom
			}
			var mask []bool
			if trial%3 > 0 {
				mask = keep
			}
			block := NewDomainHistograms(k)
			block.AddMasked(domain, mask, x, w)
			byGrid.Merge(block)
			bySort.MergeBlock(domain, mask, x, w)
		}
		for j := range k {
			a, b := byGrid.H[j].Buckets(), bySort.H[j].Buckets()
			if len(a) != len(b) {
				t.Fatalf("trial %d domain %d: %d buckets by the grid, %d by sorting", trial, j, len(a), len(b))
			}
			for i := range a {
				if a[i].Index != b[i].Index || math.Float64bits(a[i].W) != math.Float64bits(b[i].W) || a[i].N != b[i].N ||
					math.Float64bits(a[i].Min) != math.Float64bits(b[i].Min) || math.Float64bits(a[i].Max) != math.Float64bits(b[i].Max) {
					t.Fatalf("trial %d domain %d bucket %d: grid %+v, sorting %+v", trial, j, i, a[i], b[i])
				}
			}
		}
	}
}
