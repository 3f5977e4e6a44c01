package indices

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestEntropyWorked(t *testing.T) {
	x := []float64{1, 2, 3, 4} // mu = 2.5
	xw, ww := []float64{1, 3, 6}, []float64{2, 1, 1}
	for _, tt := range []struct {
		name      string
		got, want float64
	}{
		// sum x ln x / sum x - ln mu = (2 ln 2 + 3 ln 3 + 4 ln 4)/10 - ln 2.5
		// = ln 2 + 0.3 ln 3 - ln 2.5 = 0.693147 + 0.329584 - 0.916291 = 0.106440.
		{"theil t", TheilT(x, nil), math.Log(2) + 0.3*math.Log(3) - math.Log(2.5)},
		{"ge 1", GE(x, nil, 1), math.Log(2) + 0.3*math.Log(3) - math.Log(2.5)},
		// ln mu - mean ln x = ln 2.5 - ln(24)/4 = 0.916291 - 0.794513 = 0.121778.
		{"theil l", TheilL(x, nil), math.Log(2.5) - math.Log(24)/4},
		{"ge 0", GE(x, nil, 0), math.Log(2.5) - math.Log(24)/4},
		// (E x^2 / mu^2 - 1)/2 = (7.5/6.25 - 1)/2 = 0.1.
		{"ge 2", GE(x, nil, 2), 0.1},
		// (E (x/mu)^3 - 1)/6 = ((1+8+27+64)/4/15.625 - 1)/6 = (25/15.625 - 1)/6 = 0.1.
		{"ge 3", GE(x, nil, 3), 0.1},
		// (E mu/x - 1)/2 = (2.5 (1 + 1/2 + 1/3 + 1/4)/4 - 1)/2 = (62.5/48 - 1)/2 = 14.5/96.
		{"ge -1", GE(x, nil, -1), 14.5 / 96},
		// (E sqrt(x/mu) - 1)/(-1/4) = 4 (1 - (1 + 1.414214 + 1.732051 + 2)/(4 sqrt 2.5)).
		{"ge 0.5", GE(x, nil, 0.5), 4 * (1 - (1+math.Sqrt2+math.Sqrt(3)+2)/(4*math.Sqrt(2.5)))},
		// 1 - (E sqrt x)^2/mu = 1 - 1.536566^2/2.5 = 0.055586.
		{"atkinson 0.5", Atkinson(x, nil, 0.5), 1 - math.Pow((1+math.Sqrt2+math.Sqrt(3)+2)/4, 2)/2.5},
		// 1 - geometric mean/mu = 1 - 24^(1/4)/2.5 = 1 - 2.213364/2.5 = 0.114654.
		{"atkinson 1", Atkinson(x, nil, 1), 1 - math.Pow(24, 0.25)/2.5},
		// 1 - harmonic mean/mu = 1 - (4/(25/12))/2.5 = 1 - 1.92/2.5 = 0.232.
		{"atkinson 2", Atkinson(x, nil, 2), 0.232},
		// 1 - (E x^-2)^(-1/2)/mu: E x^-2 = (1 + 1/4 + 1/9 + 1/16)/4 = 205/576.
		{"atkinson 3", Atkinson(x, nil, 3), 1 - math.Sqrt(576.0/205)/2.5},
		{"atkinson 0", Atkinson(x, nil, 0), 0},
		// x = {1, 3, 6}, w = {2, 1, 1}: W = 4, sum w x = 11, mu = 2.75,
		// sum w x^2 = 2 + 9 + 36 = 47: GE(2) = (47/4/7.5625 - 1)/2 = 0.276860.
		{"weighted ge 2", GE(xw, ww, 2), (47.0/4/(2.75*2.75) - 1) / 2},
		// L = ln 2.75 - (2 ln 1 + ln 3 + ln 6)/4 = 1.011601 - 0.722593 = 0.289008.
		{"weighted theil l", TheilL(xw, ww), math.Log(2.75) - (math.Log(3)+math.Log(6))/4},
		// T = sum w x ln x / sum w x - ln mu = (3 ln 3 + 6 ln 6)/11 - ln 2.75.
		{"weighted theil t", TheilT(xw, ww), (3*math.Log(3)+6*math.Log(6))/11 - math.Log(2.75)},
		// 1 - exp(mean ln x)/mu = 1 - 18^(1/4)/2.75.
		{"weighted atkinson 1", Atkinson(xw, ww, 1), 1 - math.Pow(18, 0.25)/2.75},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !close(tt.got, tt.want, 1e-14) {
				t.Errorf("got %.17g, want %.17g", tt.got, tt.want)
			}
		})
	}
}

// TestEntropyExclusions checks which units each member leaves out: x <= 0
// for GE(alpha <= 1) and Atkinson(epsilon >= 1), x < 0 for the others.
func TestEntropyExclusions(t *testing.T) {
	x := []float64{-2, 0, 1, 2, 3, 4}
	positive, nonNegative := x[2:], x[1:]
	for _, tt := range []struct {
		name      string
		f         func(x []float64) float64
		withZeros bool
	}{
		{"ge -1", func(x []float64) float64 { return GE(x, nil, -1) }, false},
		{"theil l", func(x []float64) float64 { return TheilL(x, nil) }, false},
		{"ge 0.5", func(x []float64) float64 { return GE(x, nil, 0.5) }, false},
		{"theil t", func(x []float64) float64 { return TheilT(x, nil) }, false},
		{"ge 1", func(x []float64) float64 { return GE(x, nil, 1) }, false},
		{"ge 2", func(x []float64) float64 { return GE(x, nil, 2) }, true},
		{"ge 1.5", func(x []float64) float64 { return GE(x, nil, 1.5) }, true},
		{"atkinson 0.5", func(x []float64) float64 { return Atkinson(x, nil, 0.5) }, true},
		{"atkinson 1", func(x []float64) float64 { return Atkinson(x, nil, 1) }, false},
		{"atkinson 2", func(x []float64) float64 { return Atkinson(x, nil, 2) }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.f(positive)
			if tt.withZeros {
				want = tt.f(nonNegative)
			}
			if got := tt.f(x); !close(got, want, 1e-15) {
				t.Errorf("with left-out units %v, without %v", got, want)
			}
		})
	}
	// GE(2) of {0, 1, 2, 3, 4}: mu = 2, E x^2 = 6, (6/4 - 1)/2 = 0.25.
	if got := GE(x, nil, 2); !close(got, 0.25, 1e-15) {
		t.Errorf("GE(2) keeping the zero = %v, want 0.25", got)
	}
	w := []float64{1, 2, 3, 4, 5, 6}
	if n, nw := Negative(x, w); n != 1 || nw != 1 {
		t.Errorf("Negative = %d, %v; want 1, 1", n, nw)
	}
	s := NewEntropySums([]float64{2}, nil)
	s.AddAll(x, w)
	if s.N != 6 || s.NegativeN != 1 || s.NegativeWeight != 1 || s.ZeroN != 1 || s.ZeroWeight != 2 ||
		s.Pop != 18 || s.Income != 3+8+15+24 {
		t.Errorf("counts %+v", s)
	}
}

// lognormalSample returns n incomes exp(10 + sigma N(0,1)) and integer
// weights 1..5 drawn independently of them.
func lognormalSample(seed uint64, n int, sigma float64) (x, w []float64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	x = make([]float64, n)
	w = make([]float64, n)
	for i := range x {
		x[i] = math.Exp(10 + sigma*rng.NormFloat64())
		w[i] = float64(1 + rng.IntN(5))
	}
	return x, w
}

func normalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// TestLognormalClosedForms compares estimates on 2^20 weighted lognormal
// incomes (sigma = 0.5, seed 42) with the population values. The sampling
// error is about 0.3% (0.5% for GE(3)); a tolerance of 2% fails a wrong
// constant, a wrong exponent or a swapped member by far. (Lognormal incomes
// cannot tell Theil T from Theil L, or GE(2) from GE(-1): the hand-worked
// cases do.)
func TestLognormalClosedForms(t *testing.T) {
	const sigma = 0.5
	x, w := lognormalSample(42, 1<<20, sigma)
	s2 := sigma * sigma
	ge := func(a float64) float64 { return (math.Exp(a*(a-1)*s2/2) - 1) / (a * (a - 1)) }
	atk := func(e float64) float64 { return 1 - math.Exp(-e*s2/2) }
	s := NewEntropySums([]float64{-1, 0.5, 2, 3}, []float64{0.5, 1.5, 2})
	s.AddAll(x, w)
	for _, tt := range []struct {
		name      string
		got, want float64
		rel       float64
	}{
		{"theil t", s.TheilT(), s2 / 2, 0.02},
		{"theil l", s.TheilL(), s2 / 2, 0.02},
		{"ge -1", s.GE(-1), ge(-1), 0.02},
		{"ge 0.5", s.GE(0.5), ge(0.5), 0.02},
		{"ge 2", s.GE(2), ge(2), 0.02},
		{"ge 3", s.GE(3), ge(3), 0.02},
		{"atkinson 0.5", s.Atkinson(0.5), atk(0.5), 0.02},
		{"atkinson 1", s.Atkinson(1), atk(1), 0.02},
		{"atkinson 1.5", s.Atkinson(1.5), atk(1.5), 0.02},
		{"atkinson 2", s.Atkinson(2), atk(2), 0.02},
		{"gini", Gini(x, w), 2*normalCDF(sigma/math.Sqrt2) - 1, 0.02},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !close(tt.got, tt.want, tt.rel) {
				t.Errorf("got %.6g, closed form %.6g (rel. diff %.2g)", tt.got, tt.want, math.Abs(tt.got/tt.want-1))
			}
		})
	}
}

// inequalityMeasures are the relative inequality measures of this package,
// for the axiom tests.
// part marks a part of a decomposition over groups by position, which
// neither replication nor the Pigou–Dalton test applies to as such.
var inequalityMeasures = []struct {
	name string
	f    func(x, w []float64) float64
	part bool
}{
	{"ge -1", func(x, w []float64) float64 { return GE(x, w, -1) }, false},
	{"theil l", TheilL, false},
	{"ge 0.5", func(x, w []float64) float64 { return GE(x, w, 0.5) }, false},
	{"theil t", TheilT, false},
	{"ge 2", func(x, w []float64) float64 { return GE(x, w, 2) }, false},
	{"ge 3", func(x, w []float64) float64 { return GE(x, w, 3) }, false},
	{"atkinson 0.5", func(x, w []float64) float64 { return Atkinson(x, w, 0.5) }, false},
	{"atkinson 1", func(x, w []float64) float64 { return Atkinson(x, w, 1) }, false},
	{"atkinson 2", func(x, w []float64) float64 { return Atkinson(x, w, 2) }, false},
	{"gini", Gini, false},
	{"qsr", QSR, false},
	{"palma", Palma, false},
	{"cv", CV, false},
	{"bottom quintile share, negated", func(x, w []float64) float64 { return -Shares(x, w, 5)[0] }, false},
	{"top decile share", func(x, w []float64) float64 { return Shares(x, w, 10)[9] }, false},
	{"theil t between 4 groups", func(x, w []float64) float64 {
		return DecomposeGE(x, w, quarterGroups(len(x)), 1).Between
	}, true},
	{"theil l within 4 groups", func(x, w []float64) float64 {
		return DecomposeGE(x, w, quarterGroups(len(x)), 0).Within
	}, true},
}

// quarterGroups assigns units to 4 groups by position (i mod 4).
func quarterGroups(n int) []int {
	g := make([]int, n)
	for i := range g {
		g[i] = i % 4
	}
	return g
}

func TestInequalityAxioms(t *testing.T) {
	x, w := lognormalSample(3, 3000, 0.8)
	for i := range x {
		x[i] = math.Round(x[i]) // some ties
	}
	for _, m := range inequalityMeasures {
		t.Run(m.name, func(t *testing.T) {
			x0, w0 := slices.Clone(x), slices.Clone(w)
			base := m.f(x, w)
			if math.IsNaN(base) || base == 0 {
				t.Fatalf("base value %v", base)
			}
			if !slices.Equal(x, x0) || !slices.Equal(w, w0) {
				t.Fatal("inputs modified")
			}
			// Scale invariance: incomes x1000.
			xs := make([]float64, len(x))
			for i := range x {
				xs[i] = 1000 * x[i]
			}
			if got := m.f(xs, w); !close(got, base, 1e-11) {
				t.Errorf("incomes x1000: %v, base %v", got, base)
			}
			// Weights x3.5 change nothing.
			w3 := make([]float64, len(w))
			for i := range w {
				w3[i] = 3.5 * w[i]
			}
			if got := m.f(x, w3); !close(got, base, 1e-11) {
				t.Errorf("weights x3.5: %v, base %v", got, base)
			}
			// nil weights equal unit weights.
			ones := make([]float64, len(x))
			for i := range ones {
				ones[i] = 1
			}
			if a, b := m.f(x, nil), m.f(x, ones); !close(a, b, 1e-13) {
				t.Errorf("nil weights %v, unit weights %v", a, b)
			}
		})
	}
}

// TestPopulationReplication compares integer weights with units replicated
// that many times (group codes follow their unit).
func TestPopulationReplication(t *testing.T) {
	x, w := lognormalSample(4, 1500, 0.8)
	var rx, rw []float64
	var rg []int
	g := quarterGroups(len(x))
	for i, v := range x {
		for k := 0; k < int(w[i]); k++ {
			rx = append(rx, v)
			rg = append(rg, g[i])
		}
	}
	for range rx {
		rw = append(rw, 1)
	}
	for _, m := range inequalityMeasures {
		if m.part {
			continue // the groups are by position; checked below
		}
		t.Run(m.name, func(t *testing.T) {
			if a, b := m.f(x, w), m.f(rx, nil); !close(a, b, 1e-11) {
				t.Errorf("weighted %v, replicated %v", a, b)
			}
		})
	}
	t.Run("decomposition", func(t *testing.T) {
		for _, alpha := range []float64{0, 1, 2} {
			a, b := DecomposeGE(x, w, g, alpha), DecomposeGE(rx, rw, rg, alpha)
			if !close(a.Between, b.Between, 1e-11) || !close(a.Within, b.Within, 1e-11) {
				t.Errorf("alpha %v: weighted %+v, replicated %+v", alpha, a, b)
			}
		}
	})
}

// TestPigouDalton moves income from the richest unit to the poorest, both
// of the same weight, without changing the ranks: every measure falls.
func TestPigouDalton(t *testing.T) {
	x, w := lognormalSample(6, 2000, 0.8)
	order := make([]int, len(x))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	poor, poor2 := order[0], order[1]
	rich, rich2 := order[len(order)-1], order[len(order)-2]
	w[rich] = w[poor]
	delta := min(x[poor2]-x[poor], x[rich]-x[rich2]) / 2
	after := slices.Clone(x)
	after[poor] += delta
	after[rich] -= delta
	for _, m := range inequalityMeasures {
		if m.part {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			if a, b := m.f(x, w), m.f(after, w); !(b < a) {
				t.Errorf("before %v, after the transfer %v", a, b)
			}
		})
	}
}

func TestEntropySumsMerge(t *testing.T) {
	x, w := randomSample(5, 3000) // with negatives and zeros
	alphas, eps := []float64{-1, 0.5, 2, 3}, []float64{0.5, 2}
	whole := NewEntropySums(alphas, eps)
	whole.AddAll(x, w)
	var merged EntropySums // the zero value takes the parameters of the first part
	for lo := 0; lo < len(x); lo += 700 {
		hi := min(lo+700, len(x))
		part := NewEntropySums(alphas, eps)
		part.AddAll(x[lo:hi], w[lo:hi])
		merged.Merge(part)
	}
	// Merging in reverse order moves the references and centres the other way.
	reversed := NewEntropySums(alphas, eps)
	for hi := len(x); hi > 0; hi -= 500 {
		lo := max(hi-500, 0)
		part := NewEntropySums(alphas, eps)
		part.AddAll(x[lo:hi], w[lo:hi])
		reversed.Merge(part)
	}
	for _, a := range append([]float64{0, 1}, alphas...) {
		want := GE(x, w, a)
		if got := whole.GE(a); !close(got, want, 1e-14) {
			t.Errorf("GE(%v): sums %v, function %v", a, got, want)
		}
		if got := merged.GE(a); !close(got, want, 1e-12) {
			t.Errorf("GE(%v): merged %v, one pass %v", a, got, want)
		}
		if got := reversed.GE(a); !close(got, want, 1e-12) {
			t.Errorf("GE(%v): merged in reverse %v, one pass %v", a, got, want)
		}
	}
	for _, e := range append([]float64{0, 1}, eps...) {
		want := Atkinson(x, w, e)
		if got := merged.Atkinson(e); !close(got, want, 1e-12) {
			t.Errorf("Atkinson(%v): merged %v, one pass %v", e, got, want)
		}
	}
	if merged.N != whole.N || merged.NegativeN != whole.NegativeN || merged.ZeroN != whole.ZeroN {
		t.Errorf("counts differ: merged %+v, whole %+v", merged, whole)
	}
	// Merging leaves the argument alone, and a clone is independent.
	c := whole.Clone()
	c.Add(1e6, 10)
	if whole.GE(2) != GE(x, w, 2) {
		t.Error("adding to a clone changed the original")
	}
	// An empty part changes nothing.
	before := merged.GE(3)
	merged.Merge(NewEntropySums(alphas, eps))
	if merged.GE(3) != before {
		t.Error("merging an empty part changed the sums")
	}
}

// TestEntropyExtremeParameters checks the scaled power sums where plain
// x^alpha overflows or underflows: incomes near 1e6 with alpha = +-60,
// against the plain formula on the same incomes divided by 1e6.
func TestEntropyExtremeParameters(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 0))
	small := make([]float64, 500)
	for i := range small {
		small[i] = 0.5 + 1.5*rng.Float64()
	}
	big := make([]float64, len(small))
	for i, v := range small {
		big[i] = 1e6 * v // big^60 = 1e360: plain sums overflow
	}
	mu := Mean(small, nil)
	plain := func(a float64) float64 {
		sum := 0.0
		for _, v := range small {
			sum += math.Pow(v/mu, a)
		}
		return (sum/float64(len(small)) - 1) / (a * (a - 1))
	}
	for _, a := range []float64{-60, -7.5, 60, 100} {
		want := plain(a)
		if got := GE(big, nil, a); !close(got, want, 1e-10) {
			t.Errorf("GE(%v) of incomes ~1e6: %v, plain formula on incomes ~1: %v", a, got, want)
		}
		if got := GE(small, nil, a); !close(got, want, 1e-10) {
			t.Errorf("GE(%v) of incomes ~1: %v, plain formula %v", a, got, want)
		}
	}
	if got, want := Atkinson(big, nil, 50), Atkinson(small, nil, 50); !close(got, want, 1e-10) {
		t.Errorf("Atkinson(50): incomes ~1e6 %v, ~1 %v", got, want)
	}
	// Equal incomes have no inequality, up to the rounding of 1000-term sums
	// (about 1000 * 1e-16).
	for _, v := range []float64{1e-3, 123456.789, 7e12} {
		eq := make([]float64, 1000)
		for i := range eq {
			eq[i] = v
		}
		for _, a := range []float64{-2, 0, 0.5, 1, 2, 2.7, 40} {
			if got := GE(eq, nil, a); math.Abs(got) > 1e-13 {
				t.Errorf("GE(%v) of 1000 incomes %v = %v", a, v, got)
			}
		}
	}
	// Partitions of very different scales merge without overflow, in
	// either order.
	mixed := append(slices.Clone(small), big...)
	for _, a := range []float64{-30, 2.5, 30} {
		want := GE(mixed, nil, a)
		if math.IsNaN(want) || math.IsInf(want, 0) {
			t.Fatalf("GE(%v) of mixed scales = %v", a, want)
		}
		lo, hi := NewEntropySums([]float64{a}, nil), NewEntropySums([]float64{a}, nil)
		lo.AddAll(small, nil)
		hi.AddAll(big, nil)
		ab, ba := lo.Clone(), hi.Clone()
		ab.Merge(hi)
		ba.Merge(lo)
		if !close(ab.GE(a), want, 1e-12) || !close(ba.GE(a), want, 1e-12) {
			t.Errorf("GE(%v): merged %v and %v, one pass %v", a, ab.GE(a), ba.GE(a), want)
		}
	}
	// A unit of weight 0 takes no part, whatever its income.
	for _, a := range []float64{-60, 0, 1, 60} {
		x := append(slices.Clone(small), 1e300, 1e-300)
		w := make([]float64, len(x))
		for i := range small {
			w[i] = 1
		}
		if got, want := GE(x, w, a), GE(small, nil, a); !close(got, want, 1e-13) {
			t.Errorf("GE(%v) with zero-weight extremes %v, without %v", a, got, want)
		}
	}
}

func TestEntropyUndefinedIsNaN(t *testing.T) {
	for name, v := range map[string]float64{
		"theil t empty":             TheilT(nil, nil),
		"theil l all non-positive":  TheilL([]float64{-1, 0}, nil),
		"ge 2 all zero":             GE([]float64{0, 0}, nil, 2),
		"ge 2 zero weights":         GE([]float64{1, 2}, []float64{0, 0}, 2),
		"ge -1 empty":               GE(nil, nil, -1),
		"atkinson 0 all zero":       Atkinson([]float64{0, 0}, nil, 0),
		"atkinson 0.5 all negative": Atkinson([]float64{-1}, nil, 0.5),
		"atkinson 1 only zeros":     Atkinson([]float64{0}, nil, 1),
		"atkinson 2 empty":          Atkinson(nil, nil, 2),
	} {
		if !math.IsNaN(v) {
			t.Errorf("%s = %v, want NaN", name, v)
		}
	}
	// A population with one included unit has no inequality.
	if got := GE([]float64{-3, 5}, nil, 2); got != 0 {
		t.Errorf("GE(2) of one unit = %v, want 0", got)
	}
}

func TestEntropyPanics(t *testing.T) {
	s := NewEntropySums([]float64{2}, nil)
	for name, f := range map[string]func(){
		"ge mismatch":            func() { GE([]float64{1}, []float64{1, 2}, 2) },
		"theil t mismatch":       func() { TheilT([]float64{1}, []float64{1, 2}) },
		"theil l negative":       func() { TheilL([]float64{1}, []float64{-1}) },
		"atkinson mismatch":      func() { Atkinson([]float64{1}, []float64{1, 2}, 1) },
		"atkinson negative eps":  func() { Atkinson([]float64{1}, nil, -0.5) },
		"atkinson infinite eps":  func() { Atkinson([]float64{1}, nil, math.Inf(1)) },
		"ge nan alpha":           func() { GE([]float64{1}, nil, math.NaN()) },
		"negative mismatch":      func() { Negative([]float64{1}, []float64{1, 2}) },
		"alpha not asked for":    func() { s.GE(3) },
		"epsilon not asked for":  func() { s.Atkinson(2) },
		"merge other parameters": func() { o := NewEntropySums([]float64{3}, nil); o.Merge(s) },
		"merge into non-empty":   func() { var o EntropySums; o.Add(1, 1); o.Merge(s) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

func ExampleGE() {
	x := []float64{1, 2, 3, 4}
	for _, alpha := range []float64{-1, 0, 1, 2} {
		fmt.Printf("GE(%g) = %.4f\n", alpha, GE(x, nil, alpha))
	}
	fmt.Printf("Atkinson(1) = %.4f\n", Atkinson(x, nil, 1))
	// Output:
	// GE(-1) = 0.1510
	// GE(0) = 0.1218
	// GE(1) = 0.1064
	// GE(2) = 0.1000
	// Atkinson(1) = 0.1147
}

// ExampleEntropySums computes the indices of two domains in one pass and
// merges them into the total.
func ExampleEntropySums() {
	x := []float64{1, 2, 3, 4, 10, 30}
	domain := []int{0, 0, 0, 0, 1, 1}
	sums := []EntropySums{NewEntropySums([]float64{2}, []float64{2}), NewEntropySums([]float64{2}, []float64{2})}
	for i, v := range x {
		sums[domain[i]].Add(v, 1)
	}
	total := sums[0].Clone()
	total.Merge(sums[1])
	for _, s := range append(sums, total) {
		fmt.Printf("Theil T %.4f  GE(2) %.4f  Atkinson(2) %.4f\n", s.TheilT(), s.GE(2), s.Atkinson(2))
	}
	// Output:
	// Theil T 0.1064  GE(2) 0.1000  Atkinson(2) 0.2320
	// Theil T 0.1308  GE(2) 0.1250  Atkinson(2) 0.2500
	// Theil T 0.5855  GE(2) 0.7360  Atkinson(2) 0.6752
}

func BenchmarkEntropySums1M(b *testing.B) {
	x, w := lognormalSample(1, 1<<20, 0.8)
	b.ResetTimer()
	for b.Loop() {
		s := NewEntropySums([]float64{-1, 0.5, 2}, []float64{0.5, 2}) // 3 powers
		s.AddAll(x, w)
		_ = s.GE(2)
	}
}

func BenchmarkTheil1M(b *testing.B) {
	x, w := lognormalSample(1, 1<<20, 0.8)
	b.ResetTimer()
	for b.Loop() {
		var s EntropySums
		s.AddAll(x, w)
		_ = s.TheilT()
	}
}

// geDirect is a two-pass transcription of the GE and Atkinson formulas,
// with math.Pow and the exclusion rules, independent of EntropySums.
func geDirect(x, w []float64, alpha float64, atkinson bool) float64 {
	keep := func(v float64) bool {
		if atkinson {
			return v > 0 || (v == 0 && alpha < 1)
		}
		return v > 0 || (v == 0 && alpha > 1)
	}
	pop, inc := 0.0, 0.0
	for i, v := range x {
		if keep(v) {
			pop += w[i]
			inc += w[i] * v
		}
	}
	mu := inc / pop
	p := alpha
	if atkinson {
		p = 1 - alpha
	}
	sum := 0.0
	for i, v := range x {
		if keep(v) {
			sum += w[i] * math.Pow(v/mu, p)
		}
	}
	if atkinson {
		return 1 - math.Pow(sum/pop, 1/p)
	}
	return (sum/pop - 1) / (alpha * (alpha - 1))
}

// TestEntropyAgainstDirect covers every shortcut power and the general one,
// on incomes with negatives and zeros.
func TestEntropyAgainstDirect(t *testing.T) {
	x, w := randomSample(23, 3000)
	for _, a := range []float64{-4, -3, -2, -1.3, -1, -0.5, 0.25, 0.5, 1.5, 2, 2.5, 3, 4} {
		t.Run(fmt.Sprint("ge ", a), func(t *testing.T) {
			if got, want := GE(x, w, a), geDirect(x, w, a, false); !close(got, want, 1e-12) {
				t.Errorf("GE %v, direct %v", got, want)
			}
		})
	}
	for _, e := range []float64{0.25, 0.5, 1.5, 2, 3, 5} {
		t.Run(fmt.Sprint("atkinson ", e), func(t *testing.T) {
			if got, want := Atkinson(x, w, e), geDirect(x, w, e, true); !close(got, want, 1e-12) {
				t.Errorf("Atkinson %v, direct %v", got, want)
			}
		})
	}
}

// TestEntropySumsResetAndMergeIntoEmpty: a Reset accumulator is a new one
// of the same parameters, and merging into an empty accumulator copies the
// sums exactly (no ln(x*(1/x)) shift, which need not be 0).
func TestEntropySumsResetAndMergeIntoEmpty(t *testing.T) {
	x := []float64{3, 7.1, 0, -2, 49.3, 0.31}
	w := []float64{1.5, 2, 1, 1, 0.7, 3}
	a := NewEntropySums([]float64{2, -1}, []float64{0.5, 1})
	a.AddAll([]float64{11, 13}, nil)
	a.Reset()
	a.AddAll(x, w)
	b := NewEntropySums([]float64{2, -1}, []float64{0.5, 1})
	b.AddAll(x, w)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("after Reset: %+v, want %+v", a, b)
	}
	for _, c := range []float64{3, 0.1, 1.0 / 3, 49.3, 6.1} { // some c*(1/c) != 1
		s := NewEntropySums([]float64{2, -1}, []float64{0.5, 1})
		s.AddAll([]float64{c, 2 * c, 5.3}, []float64{1, 2, 3})
		m := NewEntropySums([]float64{2, -1}, []float64{0.5, 1})
		m.Merge(s)
		if !reflect.DeepEqual(m, s) {
			t.Errorf("merged into empty (first income %v): %+v, want %+v", c, m, s)
		}
	}
}
