package indices

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// sortedSample returns linSample's incomes and weights in increasing order
// of income (ties in unit order): ties, a zero and a negative income, and
// units of weight 0.
func sortedSample(seed uint64, n int) (xs, ws []float64) {
	x, w := linSample(seed, n)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(x[a], x[b]) })
	xs, ws = make([]float64, n), make([]float64, n)
	for k, i := range order {
		xs[k], ws[k] = x[i], w[i]
	}
	return xs, ws
}

// TestSenInfluenceSortedExact checks SenInfluence (its sorted path, and
// its path for unsorted incomes) value for value against its definition from the package's other pieces:
// G_p zH + (1 - G_p) zP1 + (H - P_1) zG, with zH and zP1 FGTInfluence,
// G_p and zG the Gini and GiniInfluence of the incomes with the weights of
// the poor only, over the whole sample.
func TestSenInfluenceSortedExact(t *testing.T) {
	for _, n := range []int{40, 700, -300} { // n < 0: unsorted
		xs, ws := sortedSample(uint64(max(n, -n)), max(n, -n))
		if n < 0 {
			xs, ws = linSample(uint64(-n), -n)
		}
		for _, z := range []float64{3, 12, 15, 40, 1e6} {
			for _, weights := range [][]float64{ws, nil} {
				got := SenInfluence(nil, xs, weights, z)
				want := senReference(xs, weights, z)
				for i := range got {
					if got[i] != want[i] && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
						t.Fatalf("n=%d z=%v nil weights=%v unit %d: %v, want %v", n, z, weights == nil, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// senReference is SenInfluence's formula over the whole sample.
func senReference(x, weights []float64, z float64) []float64 {
	h, p1 := FGT(x, weights, z, 0), FGT(x, weights, z, 1)
	wp := make([]float64, len(x))
	for i, v := range x {
		if v < z {
			wp[i] = weightAt(weights, i)
		}
	}
	gp := Gini(x, wp)
	var zg []float64
	if !math.IsNaN(gp) {
		zg = GiniInfluence(nil, x, wp)
	} else {
		gp = 0
	}
	zh, zp := FGTInfluence(nil, x, weights, z, 0), FGTInfluence(nil, x, weights, z, 1)
	out := make([]float64, len(x))
	for i := range out {
		out[i] = gp*zh[i] + (1-gp)*zp[i]
		if zg != nil {
			out[i] += (h - p1) * zg[i]
		}
	}
	return out
}

// TestGiniInfluenceSortedAndBlocks checks GiniInfluence on sorted incomes
// (no sort) against the same units shuffled (sorted inside), and on a
// hand-worked case with a tie: x = {1, 2, 2, 5}, unit weights, N = 4,
// total 10, mu = 2.5; laeken's numerator by blocks of tied incomes,
// sum_b x_b B_b (C_b + C_{b-1}) = 1*1*1 + 2*2*4 + 5*1*7 = 52, so
// G = 52/40 - 1 = 0.3; the weight shares at or below each unit
// c = 1/4, 3/4, 3/4, 1 and the income shares above s = 9/10, 5/10, 5/10, 0
// give z_i = (2 r_i c_i + 2 s_i - (G + 1)(r_i + 1)) / N.
func TestGiniInfluenceSortedAndBlocks(t *testing.T) {
	x := []float64{1, 2, 2, 5}
	got := GiniInfluence(nil, x, nil)
	g, mu := 0.3, 2.5
	c := []float64{0.25, 0.75, 0.75, 1}
	s := []float64{9.0 / 10, 5.0 / 10, 5.0 / 10, 0}
	for i := range x {
		r := x[i] / mu
		want := (2*r*c[i] + 2*s[i] - (g+1)*(r+1)) / 4
		if math.Abs(got[i]-want) > 1e-15 {
			t.Errorf("unit %d: %v, want %v", i, got[i], want)
		}
	}
	if gi := Gini(x, nil); math.Abs(gi-g) > 1e-15 {
		t.Errorf("Gini %v, want %v", gi, g)
	}
	xs, ws := sortedSample(9, 500)
	rng := rand.New(rand.NewPCG(1, 2))
	perm := rng.Perm(len(xs))
	xu, wu := make([]float64, len(xs)), make([]float64, len(xs))
	for k, i := range perm {
		xu[k], wu[k] = xs[i], ws[i]
	}
	a, b := GiniInfluence(nil, xs, ws), GiniInfluence(nil, xu, wu)
	for k, i := range perm {
		if math.Abs(a[i]-b[k]) > 1e-15 {
			t.Fatalf("unit %d: sorted %v, shuffled %v", i, a[i], b[k])
		}
	}
}

// TestKernelDensityWindow checks that KernelDensity (which skips the units
// farther than 40 bandwidths) equals the plain sum of the formula
// sum_i w_i K((at - x_i)/h) / (N h) exactly, with units far from at, and
// that a NaN point gives NaN.
func TestKernelDensityWindow(t *testing.T) {
	x := []float64{-1e6, 1, 2, 2.5, 3, 7, 1e3, 1e9}
	w := []float64{1, 2, 0, 1.5, 1, 3, 2, 1}
	for _, at := range []float64{2, 3.7, 100, -5e5} {
		for _, h := range []float64{0.5, 2, 1e5} {
			n, s := 0.0, 0.0
			for i, v := range x {
				n += w[i]
				if w[i] > 0 {
					u := (at - v) / h
					s += w[i] * math.Exp(-u*u/2) / math.Sqrt(2*math.Pi)
				}
			}
			if got, want := KernelDensity(x, w, at, h), s/(n*h); got != want {
				t.Errorf("at %v h %v: %v, want %v", at, h, got, want)
			}
			if got, want := KernelDensitySorted(x, w, at, h), KernelDensity(x, w, at, h); math.Abs(got-want) > 1e-15*math.Abs(want) {
				t.Errorf("sorted at %v h %v: %v, want %v", at, h, got, want)
			}
		}
	}
	if d := KernelDensity(x, w, math.NaN(), 1); !math.IsNaN(d) {
		t.Errorf("NaN point: %v", d)
	}
}

// TestHeadcountN checks the headcount of RMPGInfluenceParts against FGT.
func TestHeadcountN(t *testing.T) {
	xs, ws := sortedSample(5, 300)
	for _, z := range []float64{-10, 0, 10, 14, 1e9} {
		for _, w := range [][]float64{ws, nil} {
			if got, want := headcountN(xs, w, z, linCheck(xs, w)), FGT(xs, w, z, 0); got != want {
				t.Errorf("z=%v: %v, want %v", z, got, want)
			}
		}
	}
	if h := headcountN(nil, nil, 1, 0); !math.IsNaN(h) {
		t.Errorf("no units: %v", h)
	}
}

// TestRelativeLineEqualsParts checks RelativeLine against its definition:
// percent times Quantile, and percent times QuantileInfluence.
func TestRelativeLineEqualsParts(t *testing.T) {
	x, w := linSample(8, 400)
	l := RelativeLine(nil, x, w, 0.5, 0.6)
	if want := 0.6 * Quantile(0.5, x, w); l.Z != want {
		t.Errorf("Z %v, want %v", l.Z, want)
	}
	if want := Bandwidth(x, w); l.Bandwidth != want {
		t.Errorf("bandwidth %v, want %v", l.Bandwidth, want)
	}
	q := QuantileInfluence(nil, x, w, 0.5)
	for i := range q {
		if want := q[i] * 0.6; l.Infl[i] != want {
			t.Fatalf("unit %d: %v, want %v", i, l.Infl[i], want)
		}
	}
}

// TestPalmaSortedSharesQuantiles checks PalmaInfluence on sorted incomes
// (the quantiles found once) against ShareInfluence's pieces: Palma's
// z = (x - zI_0.9 - P zI_0.4) / I_0.4 equals, up to rounding, the value
// from the unsorted path.
func TestPalmaSortedSharesQuantiles(t *testing.T) {
	xs, ws := sortedSample(21, 600)
	rng := rand.New(rand.NewPCG(4, 4))
	perm := rng.Perm(len(xs))
	xu, wu := make([]float64, len(xs)), make([]float64, len(xs))
	for k, i := range perm {
		xu[k], wu[k] = xs[i], ws[i]
	}
	a, b := PalmaInfluence(nil, xs, ws), PalmaInfluence(nil, xu, wu)
	for k, i := range perm {
		if !close(a[i], b[k], 1e-10) {
			t.Fatalf("unit %d: sorted %v, unsorted %v", i, a[i], b[k])
		}
	}
}

// TestLinearizerDFAndSingle checks the Linearizer's DFWith and
// SinglePSUStrata against Design.DF and Design.SinglePSUStrata of the same
// design with other weights (zeros included), and the index of a design of
// one pseudo-unit per PSU (PSU i = unit i, indexed without a map) against
// the same design with other PSU codes.
func TestLinearizerDFAndSingle(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	n := 300
	d := Design{Strata: make([]int32, n), PSU: make([]int32, n), Weights: make([]float64, n), Lonely: LonelyAdjust}
	for i := range n {
		d.Strata[i] = int32(rng.IntN(12))
		d.PSU[i] = int32(rng.IntN(30))
		d.Weights[i] = 1
	}
	l := NewLinearizer(d, n)
	w := make([]float64, n)
	for i := range w {
		if rng.IntN(3) > 0 {
			w[i] = rng.Float64()
		}
	}
	dw := d
	dw.Weights = w
	if got, want := l.DFWith(w), dw.DF(); got != want {
		t.Errorf("DFWith %d, Design.DF %d", got, want)
	}
	if got, want := l.DFWith(nil), d.DF(); got != want {
		t.Errorf("DFWith(nil) %d, Design.DF %d", got, want)
	}
	if got, want := l.SinglePSUStrata(), d.SinglePSUStrata(); !slices.Equal(got, want) {
		t.Errorf("SinglePSUStrata %v, want %v", got, want)
	}
	// One pseudo-unit per PSU, strata in runs and a lonely stratum.
	m := 50
	own := Design{Strata: make([]int32, m), PSU: make([]int32, m), Lonely: LonelyAdjust}
	other := Design{Strata: own.Strata, PSU: make([]int32, m), Lonely: LonelyAdjust}
	for i := range m {
		own.Strata[i] = int32(i / 7)
		own.PSU[i] = int32(i)
		other.PSU[i] = int32(3*i + 1)
	}
	own.Strata[m-1] = 99
	lo, lt := NewLinearizer(own, m), NewLinearizer(other, m)
	infl := make([]float64, m)
	for i := range infl {
		infl[i] = rng.NormFloat64()
	}
	if a, b := lo.Linearized(infl), lt.Linearized(infl); a.SE != b.SE || a.DF != b.DF {
		t.Errorf("own PSUs %+v, other codes %+v", a, b)
	}
	if a, b := lo.SinglePSUStrata(), lt.SinglePSUStrata(); !slices.Equal(a, b) || !slices.Equal(a, []int32{99}) {
		t.Errorf("single PSU strata %v and %v, want [99]", a, b)
	}
}

// TestTheilInfluencesEqualGE checks TheilInfluences against GEInfluence
// at alpha 1 and 0, value for value, with zero and negative incomes, zero
// weights, nil weights, and a sample whose indices are undefined.
func TestTheilInfluencesEqualGE(t *testing.T) {
	x, w := linSample(17, 300)
	for _, c := range []struct {
		name string
		x, w []float64
	}{{"sample", x, w}, {"nil weights", x, nil}, {"no positive income", []float64{0, -1, 0}, []float64{1, 2, 3}}} {
		zt, zl := TheilInfluences(nil, nil, c.x, c.w)
		wt, wl := GEInfluence(nil, c.x, c.w, 1), GEInfluence(nil, c.x, c.w, 0)
		for i := range c.x {
			if !sameBits(zt[i], wt[i]) || !sameBits(zl[i], wl[i]) {
				t.Fatalf("%s unit %d: T %v L %v, GEInfluence %v %v", c.name, i, zt[i], zl[i], wt[i], wl[i])
			}
		}
	}
}

func sameBits(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// TestKernelSumsNarrowWindow checks the kernel sums over sorted incomes
// against their definition, every unit of positive weight added in order:
// within a relative 1e-14 on a lognormal sample of 20000 units at the
// quantiles where the densities are taken (where the window of 10
// bandwidths is used), and when a far unit of huge weight adds a relative
// 1e-9 that the narrow window alone would miss (so that the check of what
// lies beyond must send the sum to the wide window).
func TestKernelSumsNarrowWindow(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n = 20000
	x, w := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = math.Exp(10 + 0.5*r.NormFloat64())
		w[i] = 1000 + 2000*r.Float64()
	}
	slices.Sort(x)
	direct := func(x, w []float64, at, h float64) (f0, f1 float64) {
		for i, v := range x {
			if w[i] > 0 {
				k := w[i] * math.Exp(-(at-v)*(at-v)/(2*h*h)) / math.Sqrt(2*math.Pi)
				f0 += k
				f1 += k * v
			}
		}
		return f0, f1
	}
	close := func(got, want float64) bool { return math.Abs(got-want) <= 1e-14*math.Abs(want) }
	check := func(name string, x, w []float64, at, h float64) {
		t.Helper()
		tot := 0.0
		for _, v := range w {
			tot += v
		}
		f0, f1 := kernelSums(x, w, true, at, h, tot, true)
		w0, w1 := direct(x, w, at, h)
		if !close(f0, w0) || !close(f1, w1) {
			t.Errorf("%s at %v: (%v, %v), want (%v, %v)", name, at, f0, f1, w0, w1)
		}
		if d, want := KernelDensitySorted(x, w, at, h), w0/(tot*h); !close(d, want) {
			t.Errorf("%s at %v: density %v, want %v", name, at, d, want)
		}
	}
	h := Bandwidth(x, w)
	if lo, _ := slices.BinarySearch(x, QuantileSorted(0.5, x, w)-kernelCut*h); lo == 0 {
		t.Fatalf("bandwidth %v: the narrow window holds every unit, nothing is tested", h)
	}
	for _, p := range []float64{0.1, 0.2, 0.4, 0.5, 0.8, 0.9} {
		check("lognormal", x, w, QuantileSorted(p, x, w), h)
	}
	// A unit 15 h above the median with a weight whose kernel term is about
	// 1e-9 of the sum.
	m := QuantileSorted(0.5, x, w)
	k := sort.SearchFloat64s(x, m+15*h)
	x2 := slices.Insert(slices.Clone(x), k, m+15*h)
	f0, _ := direct(x, w, m, h)
	w2 := slices.Insert(slices.Clone(w), k, 1e-9*f0/linGauss(15))
	check("far heavy unit", x2, w2, m, h)
}

// TestQuantilesSorted checks the quantiles from one scan against
// QuantileSorted, value for value: with ties and zero weights, with unit
// weights where p falls exactly on a cumulative share (the midpoint rule),
// and with no weight.
func TestQuantilesSorted(t *testing.T) {
	xs, ws := sortedSample(11, 400)
	ones := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	tens := []float64{1, 2, 2, 3, 5, 8, 13, 21, 34, 55}
	cases := []struct {
		x, w []float64
	}{{xs, ws}, {xs, nil}, {tens, ones}, {tens, []float64{0, 0, 1, 0, 0, 0, 0, 0, 1, 0}}, {tens, make([]float64, 10)}, {nil, nil}}
	for c, tc := range cases {
		for _, ps := range [][]float64{{0.2, 0.8}, {0.4, 0.9}, {0.5}, {0.1, 0.1, 0.3, 0.7, 0.99}} {
			q := make([]float64, len(ps))
			quantilesSorted(q, ps, tc.x, tc.w)
			for k, p := range ps {
				want := math.NaN()
				if len(tc.x) > 0 {
					want = QuantileSorted(p, tc.x, tc.w)
				}
				if q[k] != want && !(math.IsNaN(q[k]) && math.IsNaN(want)) {
					t.Errorf("case %d p=%v: %v, want %v", c, p, q[k], want)
				}
			}
		}
	}
}

// TestGivenSumsEqualOwn checks that KernelDensitySortedN and
// BandwidthSums, given the sums that KernelDensitySorted and Bandwidth add
// (in the same order), return their results bit for bit; and Bandwidth on
// a hand-worked sample: x = 1, 2, 4 with weights 1, 1, 2 have N = 4, mean
// 11/4, sum w (x - mean)^2 = 49/16 + 9/16 + 2 * 25/16 = 108/16, so h =
// sqrt(108/64) / 4^(1/5).
func TestGivenSumsEqualOwn(t *testing.T) {
	for _, n := range []int{25, 40, 700} {
		xs, ws := sortedSample(uint64(n), n)
		for _, weights := range [][]float64{ws, nil} {
			N, sx := 0.0, 0.0
			for i, v := range xs {
				N += weightAt(weights, i)
				sx += weightAt(weights, i) * v
			}
			h := Bandwidth(xs, weights)
			if got := BandwidthSums(xs, weights, N, sx); math.Float64bits(got) != math.Float64bits(h) {
				t.Errorf("n=%d: BandwidthSums %v, Bandwidth %v", n, got, h)
			}
			for _, at := range []float64{-4, 0, 14, 15.5, 40, math.NaN()} {
				want := KernelDensitySorted(xs, weights, at, h)
				if got := KernelDensitySortedN(xs, weights, at, h, N); math.Float64bits(got) != math.Float64bits(want) {
					t.Errorf("n=%d at=%v: KernelDensitySortedN %v, KernelDensitySorted %v", n, at, got, want)
				}
			}
		}
	}
	want := math.Sqrt(108.0/64) / math.Pow(4, 0.2)
	if got := BandwidthSums([]float64{1, 2, 4}, []float64{1, 1, 2}, 4, 11); math.Abs(got-want) > 1e-15*want {
		t.Errorf("hand-worked bandwidth %v, want %v", got, want)
	}
	if got := BandwidthSums(nil, nil, 0, 0); !math.IsNaN(got) {
		t.Errorf("no weight: %v, want NaN", got)
	}
}
