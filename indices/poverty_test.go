package indices

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The worked example: x = {1, 2, 3, 4}, z = 2.5. The poor are 1 and 2, with
// relative gaps 0.6 and 0.2.
var (
	workedX = []float64{1, 2, 3, 4}
	workedZ = 2.5
)

func TestWorkedExample(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  float64
		want float64
	}{
		{"headcount", FGT(workedX, nil, workedZ, 0), 2.0 / 4},
		{"gap", FGT(workedX, nil, workedZ, 1), (0.6 + 0.2) / 4},
		{"severity", FGT(workedX, nil, workedZ, 2), (0.36 + 0.04) / 4},
		{"fgt 3", FGT(workedX, nil, workedZ, 3), (0.216 + 0.008) / 4},
		// ln(2.5/1) + ln(2.5/2) = ln(3.125).
		{"watts", Watts(workedX, nil, workedZ), math.Log(3.125) / 4},
		// Poor {1, 2}: median 1.5 by the tie rule.
		{"rmpg", RMPG(workedX, nil, workedZ), (2.5 - 1.5) / 2.5},
		// H = 0.5, I = 1 - 1.5/2.5 = 0.4, G_p = Gini{1,2} = 1/6: S = 0.5 (0.4 + 0.6/6).
		{"sen", Sen(workedX, nil, workedZ), 0.25},
		// Mean absolute difference 20/16 over twice the mean 5.
		{"gini", Gini(workedX, nil), 0.25},
		{"mean", Mean(workedX, nil), 2.5},
		{"median", Median(workedX, nil), 2.5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !close(tt.got, tt.want, 1e-14) {
				t.Errorf("got %.17g, want %.17g", tt.got, tt.want)
			}
		})
	}
	var s PovertySums
	s.AddAll(workedX, nil, workedZ)
	if s.GapMoney != 2 || s.Poor != 2 || s.N != 4 {
		t.Errorf("sums: gap money %v (want 2), poor %v (want 2), n %d (want 4)", s.GapMoney, s.Poor, s.N)
	}
}

func TestWeightedExample(t *testing.T) {
	// x = {1, 3, 6} with weights {2, 1, 1}, z = 4: the poor are 1 (gap 3/4,
	// weight 2) and 3 (gap 1/4).
	x, w, z := []float64{1, 3, 6}, []float64{2, 1, 1}, 4.0
	if got, want := FGT(x, w, z, 0), 3.0/4; !close(got, want, 1e-15) {
		t.Errorf("headcount %v, want %v", got, want)
	}
	if got, want := FGT(x, w, z, 1), (2*0.75+0.25)/4; !close(got, want, 1e-15) {
		t.Errorf("gap %v, want %v", got, want)
	}
	if got, want := FGT(x, w, z, 2), (2*0.5625+0.0625)/4; !close(got, want, 1e-15) {
		t.Errorf("severity %v, want %v", got, want)
	}
	// Gini by the laeken formula: sorted 1,3,6; C = 2,3,4; N = 4; sum wx = 11;
	// 2 sum w x C = 2(2*1*2 + 1*3*3 + 1*6*4) = 74; sum w^2 x = 4+3+6 = 13.
	if got, want := Gini(x, w), (74.0-13)/(4*11)-1; !close(got, want, 1e-15) {
		t.Errorf("gini %v, want %v", got, want)
	}
}

func TestUndefinedIsNaN(t *testing.T) {
	for name, v := range map[string]float64{
		"fgt empty":          FGT(nil, nil, 1, 0),
		"fgt zero line":      FGT([]float64{1}, nil, 0, 1),
		"watts all negative": Watts([]float64{-1, 0}, nil, 1),
		"rmpg nobody poor":   RMPG([]float64{5, 6}, nil, 1),
		"gini zero income":   Gini([]float64{0, 0}, nil),
		"mean empty":         Mean(nil, nil),
		"sen zero weight":    Sen([]float64{1}, []float64{0}, 2),
	} {
		if !math.IsNaN(v) {
			t.Errorf("%s = %v, want NaN", name, v)
		}
	}
	if got := Sen([]float64{5, 6}, nil, 1); got != 0 {
		t.Errorf("Sen with nobody poor = %v, want 0", got)
	}
}

func TestWattsLeavesOutNonPositive(t *testing.T) {
	x := []float64{-5, 0, 1, 2, 3, 4}
	got := Watts(x, nil, 2.5)
	want := Watts(x[2:], nil, 2.5)
	if got != want {
		t.Errorf("Watts with non-positive units %v, without %v", got, want)
	}
	if n, w := NonPositive(x, []float64{1, 2, 3, 4, 5, 6}); n != 2 || w != 3 {
		t.Errorf("NonPositive = %d, %v; want 2, 3", n, w)
	}
}

func TestPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"fgt mismatch":       func() { FGT([]float64{1}, []float64{1, 2}, 1, 0) },
		"fgt negative":       func() { FGT([]float64{1}, []float64{-1}, 1, 0) },
		"fgt negative alpha": func() { FGT([]float64{1}, nil, 1, -1) },
		"gini mismatch":      func() { Gini([]float64{1}, []float64{1, 2}) },
		"mean mismatch":      func() { Mean([]float64{1}, []float64{1, 2}) },
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

// randomSample returns lognormal incomes with a few negatives and zeros, and
// integer weights so that replication is exact.
func randomSample(seed uint64, n int) (x, w []float64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	x = make([]float64, n)
	w = make([]float64, n)
	for i := range x {
		x[i] = math.Round(math.Exp(9+0.9*rng.NormFloat64())*100) / 100
		if rng.IntN(100) == 0 {
			x[i] = -x[i] / 10
		}
		if rng.IntN(200) == 0 {
			x[i] = 0
		}
		w[i] = float64(1 + rng.IntN(5))
	}
	return x, w
}

type measure struct {
	name     string
	f        func(x, w []float64, z float64) float64
	relative bool // invariant to scaling x and z together
}

var measures = []measure{
	{"headcount", func(x, w []float64, z float64) float64 { return FGT(x, w, z, 0) }, true},
	{"gap", func(x, w []float64, z float64) float64 { return FGT(x, w, z, 1) }, true},
	{"severity", func(x, w []float64, z float64) float64 { return FGT(x, w, z, 2) }, true},
	{"watts", Watts, true},
	{"sen", Sen, true},
	{"rmpg", RMPG, true},
	{"gini", func(x, w []float64, z float64) float64 { return Gini(x, w) }, true},
	{"median", func(x, w []float64, z float64) float64 { return Median(x, w) }, false},
	{"mean", func(x, w []float64, z float64) float64 { return Mean(x, w) }, false},
}

func TestProperties(t *testing.T) {
	x, w := randomSample(7, 2000)
	z := 0.6 * Median(x, w)
	for _, m := range measures {
		t.Run(m.name, func(t *testing.T) {
			x0, w0 := slices.Clone(x), slices.Clone(w)
			base := m.f(x, w, z)
			if math.IsNaN(base) {
				t.Fatal("NaN on the random sample")
			}
			if !slices.Equal(x, x0) || !slices.Equal(w, w0) {
				t.Fatal("inputs modified")
			}
			// Replication: each unit w_i times with weight 1.
			var rx []float64
			for i, v := range x {
				for k := 0; k < int(w[i]); k++ {
					rx = append(rx, v)
				}
			}
			if got := m.f(rx, nil, z); !close(got, base, 1e-12) {
				t.Errorf("replicated population: %v, weighted: %v", got, base)
			}
			// Scaling all weights changes nothing.
			w3 := make([]float64, len(w))
			for i := range w {
				w3[i] = 3.5 * w[i]
			}
			if got := m.f(x, w3, z); !close(got, base, 1e-12) {
				t.Errorf("weights x3.5: %v, base: %v", got, base)
			}
			// Scaling incomes and line together.
			xs := make([]float64, len(x))
			for i := range x {
				xs[i] = 8 * x[i]
			}
			want := base
			if !m.relative {
				want = 8 * base
			}
			if got := m.f(xs, w, 8*z); !close(got, want, 1e-12) {
				t.Errorf("incomes and line x8: %v, want %v", got, want)
			}
			// nil weights equal unit weights.
			ones := make([]float64, len(x))
			for i := range ones {
				ones[i] = 1
			}
			if a, b := m.f(x, nil, z), m.f(x, ones, z); !close(a, b, 1e-13) {
				t.Errorf("nil weights %v, unit weights %v", a, b)
			}
		})
	}
}

func TestFGTOrderAndMonotonicity(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 0))
	x := make([]float64, 500)
	for i := range x {
		x[i] = math.Exp(rng.NormFloat64()) // positive: every gap is at most 1
	}
	prev := [3]float64{}
	for z := 0.1; z < 5; z += 0.1 {
		var p [3]float64
		for a := range p {
			p[a] = FGT(x, nil, z, float64(a))
			if p[a] < prev[a] {
				t.Errorf("FGT(%d) fell from %v to %v as the line rose to %v", a, prev[a], p[a], z)
			}
		}
		if !(p[0] >= p[1] && p[1] >= p[2]) {
			t.Errorf("z=%v: FGT0 %v, FGT1 %v, FGT2 %v not ordered", z, p[0], p[1], p[2])
		}
		prev = p
	}
}

func TestSumsMergeAcrossPartitions(t *testing.T) {
	x, w := randomSample(5, 3000)
	z := 12000.0
	var whole PovertySums
	whole.AddAll(x, w, z)
	var merged PovertySums
	for lo := 0; lo < len(x); lo += 700 {
		hi := min(lo+700, len(x))
		var part PovertySums
		part.AddAll(x[lo:hi], w[lo:hi], z)
		merged.Merge(part)
	}
	for name, pair := range map[string][2]float64{
		"headcount": {whole.Headcount(), merged.Headcount()},
		"gap":       {whole.Gap(), merged.Gap()},
		"severity":  {whole.Severity(), merged.Severity()},
		"watts":     {whole.Watts(), merged.Watts()},
		"mean":      {whole.Mean(), merged.Mean()},
	} {
		if !close(pair[0], pair[1], 1e-12) {
			t.Errorf("%s: whole %v, merged %v", name, pair[0], pair[1])
		}
	}
	if whole.N != merged.N || whole.NonPositiveN != merged.NonPositiveN {
		t.Errorf("counts differ: %+v vs %+v", whole, merged)
	}
	if got := FGT(x, w, z, 1); !close(got, whole.Gap(), 1e-15) {
		t.Errorf("FGT(1) %v, sums %v", got, whole.Gap())
	}
}

func TestGiniAgainstMeanDifference(t *testing.T) {
	// Unit weights: G = sum_ij |x_i - x_j| / (2 n^2 mean), computed the slow way.
	x, _ := randomSample(9, 300)
	n := float64(len(x))
	sum, mad := 0.0, 0.0
	for _, a := range x {
		sum += a
		for _, b := range x {
			mad += math.Abs(a - b)
		}
	}
	want := mad / (2 * n * n * (sum / n))
	if got := Gini(x, nil); !close(got, want, 1e-12) {
		t.Errorf("Gini %v, mean-difference formula %v", got, want)
	}
}

func close(a, b, rel float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}

func ExampleFGT() {
	x := []float64{1, 2, 3, 4}
	for alpha := 0.0; alpha <= 2; alpha++ {
		fmt.Printf("FGT(%g) = %.2f\n", alpha, FGT(x, nil, 2.5, alpha))
	}
	// Output:
	// FGT(0) = 0.50
	// FGT(1) = 0.20
	// FGT(2) = 0.10
}

func ExampleQuantile() {
	x := []float64{1, 2, 3, 4}
	w := []float64{1, 1, 1, 3}
	fmt.Println(Quantile(0.5, x, nil), Quantile(0.5, x, w), Quantile(0.6, x, w))
	// Output: 2.5 3.5 4
}

// loadEUSILC reads eqIncome and rb050 from the shared EU-SILC CSV, or skips.
func loadEUSILC(t *testing.T) (x, w []float64) {
	t.Helper()
	e := loadEUSILCDesign(t)
	return e.x, e.d.Weights
}

// TestLaekenEUSILC checks against the values that R laeken 0.5.2 publishes
// for its eusilc sample (shared/data/README.md).
func TestLaekenEUSILC(t *testing.T) {
	x, w := loadEUSILC(t)
	if len(x) != 14827 {
		t.Fatalf("read %d rows, want 14827", len(x))
	}
	median := Median(x, w)
	line := 0.6 * median
	for _, tt := range []struct {
		name      string
		got, want float64
		rel       float64
	}{
		{"weightedMedian", median, 18098.7266666667, 1e-12},
		{"weightedMean", Mean(x, w), 19890.8069312955, 1e-12},
		{"P20", Quantile(0.2, x, w), 12212.6043478261, 1e-12},
		{"P40", Quantile(0.4, x, w), 16093.3466666667, 1e-12},
		{"P60", Quantile(0.6, x, w), 20256.3714285714, 1e-12},
		{"P80", Quantile(0.8, x, w), 25997.6533333333, 1e-12},
		{"arpt", line, 10859.236, 1e-9},
		{"arpr", FGT(x, w, line, 0), 0.144442181675336, 1e-12},
		{"rmpg", RMPG(x, w, line), 0.189285968184134, 1e-12},
		{"gini", Gini(x, w), 0.264896192113229, 1e-12},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !close(tt.got, tt.want, tt.rel) {
				t.Errorf("got %.15g, laeken %.15g (rel. diff %.2g)", tt.got, tt.want, math.Abs(tt.got-tt.want)/tt.want)
			}
		})
	}
}
