package indices

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var streamPs = []float64{0, 0.01, 0.1, 0.2, 0.25, 0.4, 0.5, 0.6, 0.75, 0.8, 0.9, 0.99, 1}

// sameValue is == for numbers (so -0 equals +0) and true for two NaNs.
func sameValue(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

func TestStreamQuantileHandWorked(t *testing.T) {
	for _, tt := range []struct {
		name string
		p    float64
		x, w []float64
		ans  float64
	}{
		// Hand-worked from the definition: cumulative shares of the sorted
		// values, the first with c >= p, the mean with the next at c == p.
		{name: "exact share averages across buckets", p: 0.5, x: []float64{1, 2, 3, 4}, w: []float64{1, 1, 1, 3}, ans: 3.5},
		{name: "above the share", p: 0.6, x: []float64{1, 2, 3, 4}, w: []float64{1, 1, 1, 3}, ans: 4},
		{name: "below", p: 0.2, x: []float64{1, 2, 3, 4}, w: []float64{1, 1, 1, 3}, ans: 2},
		// 1000 and 1000.5 share a bucket (relative width 2^-8): the
		// averaging happens inside pass 2.
		{name: "exact share averages within a bucket", p: 0.5, x: []float64{1000.5, 1000, 999.75, 1000.25}, ans: (1000 + 1000.25) / 2},
		{name: "tie rule skips zero weight neighbour", p: 0.5, x: []float64{1, 2, 3, 4}, w: []float64{1, 1, 0, 2}, ans: 3},
		{name: "ties", p: 0.5, x: []float64{2, 2, 2, 1, 3}, ans: 2},
		{name: "negative and zero incomes", p: 0.5, x: []float64{-500, 0, -0.0, 10, 20}, w: []float64{2, 1, 1, 3, 1}, ans: 5},
		{name: "p=0 is the smallest with weight", p: 0, x: []float64{5, -1, 3}, w: []float64{1, 0, 1}, ans: 3},
		{name: "p=1 is the largest with weight", p: 1, x: []float64{5, -1, 3}, w: []float64{0, 1, 1}, ans: 3},
		{name: "huge and tiny", p: 0.5, x: []float64{1e308, 5e-324, -1e308, 1e-300}, ans: (5e-324 + 1e-300) / 2},
		{name: "empty", p: 0.5, x: []float64{}, ans: math.NaN()},
		{name: "zero total weight", p: 0.5, x: []float64{1, 2}, w: []float64{0, 0}, ans: math.NaN()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x0, w0 := slices.Clone(tt.x), slices.Clone(tt.w)
			got := StreamQuantiles([]float64{tt.p}, 1, make([]int32, len(tt.x)), tt.x, tt.w)[0][0]
			if !sameValue(got, tt.ans) {
				t.Errorf("got %v, want %v", got, tt.ans)
			}
			if !slices.Equal(tt.x, x0) || !slices.Equal(tt.w, w0) {
				t.Error("inputs modified")
			}
		})
	}
}

func TestHistogramBucketOrder(t *testing.T) {
	vals := []float64{math.Inf(-1), -math.MaxFloat64, -1e300, -2, -1.5, -1, -5e-324, 0, 5e-324, 2.2250738585072014e-308,
		1e-300, 0.5, 1, 1.0000001, 2, 1e300, math.MaxFloat64, math.Inf(1)}
	r := rand.New(rand.NewPCG(1, 0))
	for range 2000 {
		vals = append(vals, math.Ldexp(r.Float64()-0.5, r.IntN(2000)-1000))
	}
	slices.Sort(vals)
	for i := 1; i < len(vals); i++ {
		a, b := vals[i-1], vals[i]
		if orderKey(a) > orderKey(b) || (a < b) != (orderKey(a) < orderKey(b)) {
			t.Fatalf("key order broken at %v, %v", a, b)
		}
		if HistogramBucket(a) > HistogramBucket(b) {
			t.Fatalf("bucket order broken at %v, %v", a, b)
		}
	}
	if HistogramBucket(math.Copysign(0, -1)) != HistogramBucket(0) {
		t.Error("-0 and +0 in different buckets")
	}
	// A bucket spans a relative width of 2^-8: 1 and 1+2^-9 share one, 1 and
	// 1+2^-8 do not.
	if HistogramBucket(1) != HistogramBucket(1+1.0/512) || HistogramBucket(1) == HistogramBucket(1+1.0/256) {
		t.Error("bucket width is not 2^-8 at 1")
	}
}

// streamCase generates n units of a kind of adversarial input.
func streamCase(r *rand.Rand, kind string, n int) (x, w []float64) {
	x, w = make([]float64, n), make([]float64, n)
	for i := range x {
		switch kind {
		case "ties": // few distinct values, exact shares hit often
			x[i] = float64(r.IntN(5))
		case "lognormal":
			x[i] = math.Round(math.Exp(8+r.NormFloat64())*100) / 100
		case "narrow": // every value in one or two buckets
			x[i] = 1000 + float64(r.IntN(40))/16
		case "signs": // negative, zero (both signs) and positive incomes
			switch r.IntN(4) {
			case 0:
				x[i] = -float64(r.IntN(1000))
			case 1:
				x[i] = math.Copysign(0, float64(r.IntN(2))-0.5)
			default:
				x[i] = float64(r.IntN(100000)) / 4
			}
		case "extreme": // huge, tiny, subnormal, infinite
			vals := []float64{-math.MaxFloat64, -1e200, -5e-324, 5e-324, 1e-310, 1e-200, 1, 1e200, math.MaxFloat64, math.Inf(1), math.Inf(-1)}
			x[i] = vals[r.IntN(len(vals))] * float64(1+r.IntN(3))
		}
	}
	for i := range w {
		switch r.IntN(4) {
		case 0:
			w[i] = 1
		case 1:
			w[i] = float64(r.IntN(4)) // zeros included
		case 2:
			w[i] = float64(1+r.IntN(64)) / 8 // dyadic: sums exact
		default:
			w[i] = float64(1 + r.IntN(1000))
		}
	}
	return x, w
}

// TestStreamQuantileEqualsInMemory checks the two passes against
// QuantileInPlace and against the transcription of laeken, with weights
// whose sums are exact, so equality must be exact.
func TestStreamQuantileEqualsInMemory(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, kind := range []string{"ties", "lognormal", "narrow", "signs", "extreme"} {
		for trial := range 60 {
			n := 1 + r.IntN(300)
			x, w := streamCase(r, kind, n)
			ps := append(slices.Clone(streamPs), float64(r.IntN(n+1))/float64(n))
			got := StreamQuantiles(ps, 1, make([]int32, n), x, w)[0]
			for i, p := range ps {
				want := QuantileInPlace(p, slices.Clone(x), slices.Clone(w))
				if !sameValue(got[i], want) {
					t.Fatalf("%s #%d p=%v: stream %v, QuantileInPlace %v", kind, trial, p, got[i], want)
				}
				if !hasInfinity(x) && hasPositive(w) {
					px, pw := positiveUnits(x, w)
					if ref := laekenQuantile(p, px, pw); !sameValue(got[i], ref) {
						t.Fatalf("%s #%d p=%v: stream %v, laeken %v", kind, trial, p, got[i], ref)
					}
				}
			}
		}
	}
}

func hasInfinity(x []float64) bool {
	return slices.ContainsFunc(x, func(v float64) bool { return math.IsInf(v, 0) })
}

func hasPositive(w []float64) bool {
	return slices.ContainsFunc(w, func(v float64) bool { return v > 0 })
}

// positiveUnits drops the units of weight 0 (laeken's transcription does not
// skip them at the tie rule).
func positiveUnits(x, w []float64) (px, pw []float64) {
	for i := range x {
		if w[i] > 0 {
			px, pw = append(px, x[i]), append(pw, w[i])
		}
	}
	return px, pw
}

// TestStreamQuantileRandomWeights uses continuous weights, whose sums round:
// the answer still equals the in-memory one (no share lands within rounding
// of p on these draws).
func TestStreamQuantileRandomWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		n := 1 + r.IntN(2000)
		x, w := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i] = math.Exp(8 + 1.2*r.NormFloat64())
			w[i] = 50 + 900*r.Float64()
		}
		got := StreamQuantiles(streamPs, 1, make([]int32, n), x, w)[0]
		for i, p := range streamPs {
			if want := Quantile(p, x, w); got[i] != want {
				t.Fatalf("#%d p=%v: stream %v, Quantile %v", trial, p, got[i], want)
			}
		}
	}
}

// TestStreamQuantileDomainsAndPartitions splits the units into domains and
// partitions, runs each pass per partition, merges the partitions in a random
// order, and compares every domain with the in-memory quantile of its units.
func TestStreamQuantileDomainsAndPartitions(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, kind := range []string{"ties", "lognormal", "narrow", "signs", "extreme"} {
		for trial := range 20 {
			n := 1 + r.IntN(3000)
			k := 1 + r.IntN(6)
			x, w := streamCase(r, kind, n)
			dom := make([]int32, n)
			for i := range dom {
				dom[i] = int32(r.IntN(k))
			}
			parts := splitPoints(r, n, 1+r.IntN(8))
			h := mergeHistograms(r, k, parts, dom, x, w)
			c := NewQuantileCandidates(h.Locate(streamPs))
			perm := r.Perm(len(parts) - 1)
			for _, p := range perm {
				pc := NewQuantileCandidates(c.Targets)
				pc.AddAll(dom[parts[p]:parts[p+1]], x[parts[p]:parts[p+1]], w[parts[p]:parts[p+1]])
				c.Merge(pc)
			}
			got := c.Quantiles()
			for j := range k {
				var dx, dw []float64
				for i := range x {
					if dom[i] == int32(j) {
						dx, dw = append(dx, x[i]), append(dw, w[i])
					}
				}
				for i, p := range streamPs {
					want := QuantileInPlace(p, slices.Clone(dx), slices.Clone(dw))
					if !sameValue(got[j][i], want) {
						t.Fatalf("%s #%d domain %d p=%v: stream %v, in memory %v", kind, trial, j, p, got[j][i], want)
					}
				}
			}
		}
	}
}

// splitPoints cuts [0, n) into parts consecutive partitions (some empty).
func splitPoints(r *rand.Rand, n, parts int) []int {
	cuts := []int{0, n}
	for range parts - 1 {
		cuts = append(cuts, r.IntN(n+1))
	}
	slices.Sort(cuts)
	return cuts
}

// mergeHistograms builds one histogram per partition and merges them in a
// random order, through Buckets/AddBucket for half of them (as shipped).
func mergeHistograms(r *rand.Rand, k int, parts []int, dom []int32, x, w []float64) *DomainHistograms {
	h := NewDomainHistograms(k)
	for _, p := range r.Perm(len(parts) - 1) {
		ph := NewDomainHistograms(k)
		ph.AddAll(dom[parts[p]:parts[p+1]], x[parts[p]:parts[p+1]], w[parts[p]:parts[p+1]])
		if r.IntN(2) == 0 {
			h.Merge(ph)
			continue
		}
		for j := range ph.H {
			for _, b := range ph.H[j].Buckets() {
				h.H[j].AddBucket(b)
			}
		}
	}
	return h
}

// TestStreamQuantileKeepsFewUnits checks that pass 2 keeps only the units of
// the located buckets: for 100000 lognormal incomes, the median's bucket
// (relative width 0.39 %) holds well under 1 % of them.
func TestStreamQuantileKeepsFewUnits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n := 100000
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Exp(9 + 0.8*r.NormFloat64())
	}
	h := NewDomainHistograms(1)
	dom := make([]int32, n)
	h.AddAll(dom, x, nil)
	c := NewQuantileCandidates(h.Locate([]float64{0.5}))
	c.AddAll(dom, x, nil)
	if kept := len(c.X[0]); kept == 0 || kept > n/100 {
		t.Errorf("pass 2 kept %d of %d units", kept, n)
	}
	if got, want := c.Quantiles()[0][0], Median(x, nil); got != want {
		t.Errorf("median %v, want %v", got, want)
	}
	if h.H[0].N() != int64(n) {
		t.Errorf("N = %d, want %d", h.H[0].N(), n)
	}
}

func TestStreamQuantilePanics(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    func()
	}{
		{"NaN value", func() { var h QuantileHistogram; h.Add(math.NaN(), 1) }},
		{"negative weight", func() { var h QuantileHistogram; h.Add(1, -1) }},
		{"NaN weight", func() { var h QuantileHistogram; h.Add(1, math.NaN()) }},
		{"p out of range", func() { var h QuantileHistogram; h.Locate(1.5) }},
		{"bad bucket", func() {
			var h QuantileHistogram
			h.AddBucket(Bucket{Index: HistogramBucket(1), W: 1, N: 1, Min: 1, Max: 2})
		}},
		{"length mismatch", func() { NewDomainHistograms(1).AddAll([]int32{0}, []float64{1, 2}, nil) }},
		{"other domains", func() { NewDomainHistograms(1).Merge(NewDomainHistograms(2)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.f()
		})
	}
}

func ExampleStreamQuantiles() {
	x := []float64{1, 2, 3, 4, 10, 20}
	w := []float64{1, 1, 1, 3, 1, 1}
	dom := []int32{0, 0, 0, 0, 1, 1}
	q := StreamQuantiles([]float64{0.5}, 2, dom, x, w)
	fmt.Println(q[0][0], q[1][0])
	// Output: 3.5 15
}

// BenchmarkQuantileHistogramAdd times pass 1 of the streaming quantile on
// log-normal incomes, 32 domains.
func BenchmarkQuantileHistogramAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1 << 16
	x, w := make([]float64, n), make([]float64, n)
	dom := make([]int32, n)
	for i := range x {
		x[i], w[i], dom[i] = math.Exp(9+rng.NormFloat64()), 1+rng.Float64(), int32(rng.IntN(32))
	}
	h := NewDomainHistograms(32)
	b.ResetTimer()
	for b.Loop() {
		for i, v := range x {
			h.H[dom[i]].Add(v, w[i])
		}
	}
}

// twoPassBlocked is the two-pass algorithm over blocks: a histogram per
// block, merged in block order, located, resolved over every unit.
func twoPassBlocked(ps, x, w []float64, blocks []int) []float64 {
	var h QuantileHistogram
	for b := 0; b+1 < len(blocks); b++ {
		var hb QuantileHistogram
		hb.AddAll(x[blocks[b]:blocks[b+1]], w[blocks[b]:blocks[b+1]])
		h.Merge(&hb)
	}
	out := make([]float64, len(ps))
	for i, t := range h.LocateAll(ps) {
		out[i] = t.Resolve(x, w)
	}
	return out
}

// TestQuantilesBlocked: the sorted copy gives the two-pass answer bit for
// bit over random blocks: lognormal incomes with ties and zeros, weights
// that are not binary fractions (0.1 steps, where cumulative shares that
// equal p in decimal do not in binary), a few zero weights, and all in one
// bucket; empty input and p of 0 and 1.
func TestQuantilesBlocked(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	sensitive := 0 // trials whose answer the blocks change
	for trial := range 30000 {
		n := 1 + r.IntN(400)
		if trial%2 == 1 || trial > 600 {
			n = 4 + r.IntN(12)
		}
		x, w := make([]float64, n), make([]float64, n)
		for i := range x {
			switch {
			case trial%2 == 1 || trial > 600: // few values and decimal weights: shares hit p up to rounding
				x[i] = float64((1+r.IntN(6))*(1+r.IntN(3))*1000 + r.IntN(3)) // a few values per bucket
				w[i] = []float64{0.1, 0.2, 0.3, 0.7, 1.1}[r.IntN(5)]
				continue
			case trial%5 == 0:
				x[i] = 1000 + float64(r.IntN(3)) // one bucket
			case r.IntN(8) == 0:
				x[i] = float64(r.IntN(4)) // ties, zeros
			default:
				x[i] = math.Exp(r.NormFloat64() + 7)
			}
			w[i] = float64(1+r.IntN(30)) / 10
			if r.IntN(40) == 0 {
				w[i] = 0
			}
		}
		blocks := []int{0}
		for b := r.IntN(n + 1); b < n; b += 1 + r.IntN(n) {
			if b > blocks[len(blocks)-1] {
				blocks = append(blocks, b)
			}
		}
		blocks = append(blocks, n)
		want := twoPassBlocked(streamPs, x, w, blocks)
		if !slices.Equal(want, twoPassBlocked(streamPs, x, w, []int{0, n})) {
			sensitive++
		}
		got := QuantilesBlocked(nil, streamPs, x, w, blocks)
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
				t.Fatalf("trial %d, blocks %v, p %v: sorted copy %v, two passes %v", trial, blocks, streamPs[i], got[i], want[i])
			}
		}
	}
	if sensitive < 10 {
		t.Errorf("only %d trials depend on their blocks: the test would not see a wrong order of additions", sensitive)
	}
	if got := QuantilesBlocked(nil, []float64{0.5}, nil, nil, nil); !math.IsNaN(got[0]) {
		t.Errorf("no unit: %v", got[0])
	}
	// Hand-worked: 1, 2, 3, 4 with weights 1, 1, 1, 1: Q(1/2) is the mean of
	// 2 and 3 (the share reaches 1/2 exactly at 2).
	if got := QuantilesBlocked(nil, []float64{0.5, 0.75}, []float64{4, 1, 3, 2}, nil, []int{0, 2, 4}); got[0] != 2.5 || got[1] != 3.5 {
		t.Errorf("hand-worked: %v", got)
	}
}
