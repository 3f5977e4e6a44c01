package indices

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// repTotal is the estimator "weighted total of y" for Estimates.
func repTotal(y []float64) func(w []float64) float64 {
	return func(w []float64) float64 {
		s := 0.0
		for i, v := range y {
			s += w[i] * v
		}
		return s
	}
}

// repMean is the estimator "weighted mean of y" for Estimates.
func repMean(y []float64) func(w []float64) float64 {
	return func(w []float64) float64 { return Mean(y, w) }
}

// repWithReplacementVar is the textbook with-replacement (linearized)
// variance of a total of the per-unit values z over the design of rp:
//
//	v = sum_h n_h/(n_h-1) sum_g (Z_g - Zbar_h)^2,   Z_g = sum_{i in g} z_i
//
// summed over strata with n_h >= 2. z already includes the weights.
func repWithReplacementVar(rp Replicates, z []float64) float64 {
	l := rp.layout
	tot := make([]float64, l.numPSU())
	for i, g := range l.unit {
		tot[g] += z[i]
	}
	v := 0.0
	for h := range l.numStrata() {
		a, b := l.start[h], l.start[h+1]
		nh := float64(b - a)
		if nh < 2 {
			continue
		}
		mean := 0.0
		for _, t := range tot[a:b] {
			mean += t
		}
		mean /= nh
		ss := 0.0
		for _, t := range tot[a:b] {
			ss += (t - mean) * (t - mean)
		}
		v += nh / (nh - 1) * ss
	}
	return v
}

// repMeanInfluence returns z_i = w_i (y_i - ybar) / N, the linearization of a
// weighted mean, so that repWithReplacementVar(rp, z) is its variance.
func repMeanInfluence(y, w []float64) []float64 {
	m := Mean(y, w)
	N := 0.0
	for _, v := range w {
		N += v
	}
	z := make([]float64, len(y))
	for i := range y {
		z[i] = w[i] * (y[i] - m) / N
	}
	return z
}

// The hand-worked unstratified design: PSU a = {y 1, w 1}, PSU b = {y 2 and
// 3, w 1 each}, PSU c = {y 6, w 2}. Weighted PSU totals of y: 1, 5, 12.
var (
	handPSU = []int32{10, 20, 20, 30}
	handY   = []float64{1, 2, 3, 6}
	handW   = []float64{1, 1, 1, 2}
)

func TestJK1HandWorked(t *testing.T) {
	rp := JK1(handPSU, handW)
	if rp.Len() != 3 || rp.Method != MethodJK1 || rp.Scale != 2.0/3 || rp.RScales != nil {
		t.Fatalf("JK1: R %d, method %s, scale %v, rscales %v; want 3, JK1, 2/3, nil", rp.Len(), rp.Method, rp.Scale, rp.RScales)
	}
	// Replicate 1 deletes PSU b: multipliers 3/2, 0, 3/2.
	if got, want := rp.Multipliers(nil, 1), []float64{1.5, 0, 1.5}; !slices.Equal(got, want) {
		t.Errorf("multipliers of replicate 1: %v, want %v", got, want)
	}
	if got, want := rp.Weights(nil, 1), []float64{1.5, 0, 0, 3}; !slices.Equal(got, want) {
		t.Errorf("weights of replicate 1: %v, want %v", got, want)
	}
	// Total: t = 1 + 5 + 12 = 18. Replicates, each keeping two PSUs times 3/2:
	// 1.5 (5+12) = 25.5, 1.5 (1+12) = 19.5, 1.5 (1+5) = 9. Their mean is 18;
	// deviations 7.5, 1.5, -9; squares 56.25 + 2.25 + 81 = 139.5; times
	// (3-1)/3: v = 93. With replacement: totals 1, 5, 12 around 6: 25 + 1 + 36
	// = 62, times 3/2 = 93.
	reps := rp.Totals(nil, handY)
	if want := []float64{25.5, 19.5, 9}; !slices.Equal(reps, want) {
		t.Errorf("replicate totals %v, want %v", reps, want)
	}
	if got := rp.Variance(18, reps); !close(got, 93, 1e-14) {
		t.Errorf("JK1 variance of the total %v, want 93", got)
	}
	if got := repWithReplacementVar(rp, []float64{1, 2, 3, 12}); got != 93 {
		t.Errorf("with-replacement variance %v, want 93", got)
	}
	// Mean: full 18/5 = 3.6. Replicates (the 3/2 cancels in the ratio):
	// 17/4, 13/3, 6/3 = 2. Mean of the replicates cbar = (17/4 + 13/3 + 2)/3.
	means := rp.Estimates(nil, repMean(handY))
	for r, want := range []float64{17.0 / 4, 13.0 / 3, 2} {
		if !close(means[r], want, 1e-15) {
			t.Errorf("replicate %d mean %v, want %v", r, means[r], want)
		}
	}
	cbar := (17.0/4 + 13.0/3 + 2) / 3
	sq := func(v float64) float64 { return v * v }
	want := 2.0 / 3 * (sq(17.0/4-cbar) + sq(13.0/3-cbar) + sq(2-cbar))
	if got := rp.Variance(3.6, means); !close(got, want, 1e-14) {
		t.Errorf("JK1 variance of the mean %v, want %v", got, want)
	}
	// MSE form: around the full estimate 3.6 instead of cbar.
	rp.MSE = true
	want = 2.0 / 3 * (sq(17.0/4-3.6) + sq(13.0/3-3.6) + sq(2-3.6))
	if got := rp.Variance(3.6, means); !close(got, want, 1e-14) {
		t.Errorf("JK1 MSE variance of the mean %v, want %v", got, want)
	}
}

func TestJKnHandWorked(t *testing.T) {
	// Stratum 7: PSUs with totals 1 and 3. Stratum 9: PSUs with totals 2, 4
	// and 9 (unit weights, one unit per PSU except the last, 4 + 5).
	strata := []int32{7, 9, 7, 9, 9, 9}
	psu := []int32{1, 1, 2, 2, 3, 3}
	y := []float64{1, 2, 3, 4, 4, 5}
	rp := JKn(strata, psu, nil)
	// t = 19. Stratum 7 (n=2, factor 2): delete 1 -> 2*3 + 15 = 21, delete 3
	// -> 2*1 + 15 = 17, rscale 1/2. Stratum 9 (n=3, factor 3/2): delete 2 ->
	// 4 + 1.5*13 = 23.5, delete 4 -> 4 + 1.5*11 = 20.5, delete 9 -> 4 + 1.5*6
	// = 13, rscale 2/3. Mean of the five replicates 95/5 = 19; deviations 2,
	// -2, 4.5, 1.5, -6: v = (4+4)/2 + (20.25+2.25+36)*2/3 = 4 + 39 = 43.
	// With replacement: 2*(1+1) + 1.5*(9+1+16) = 4 + 39 = 43.
	if got, want := rp.RScales, []float64{0.5, 0.5, 2.0 / 3, 2.0 / 3, 2.0 / 3}; !slices.Equal(got, want) {
		t.Fatalf("rscales %v, want %v", got, want)
	}
	if rp.Scale != 1 || rp.Len() != 5 {
		t.Fatalf("scale %v, R %d; want 1, 5", rp.Scale, rp.Len())
	}
	reps := rp.Totals(nil, y)
	if want := []float64{21, 17, 23.5, 20.5, 13}; !slices.Equal(reps, want) {
		t.Errorf("replicate totals %v, want %v", reps, want)
	}
	if got := rp.Variance(19, reps); !close(got, 43, 1e-14) {
		t.Errorf("JKn variance %v, want 43", got)
	}
	if got := repWithReplacementVar(rp, y); !close(got, 43, 1e-15) {
		t.Errorf("with-replacement variance %v, want 43", got)
	}
	// Replicate 2 deletes the first PSU of stratum 9: multipliers 1, 1 for
	// stratum 7, then 0, 3/2, 3/2.
	if got, want := rp.Multipliers(nil, 2), []float64{1, 1, 0, 1.5, 1.5}; !slices.Equal(got, want) {
		t.Errorf("multipliers %v, want %v", got, want)
	}
	if got, want := rp.Weights(nil, 2), []float64{1, 0, 1, 1.5, 1.5, 1.5}; !slices.Equal(got, want) {
		t.Errorf("weights %v, want %v", got, want)
	}
	// A lonely stratum gets no replicate and adds nothing.
	lonely := JKn(append(slices.Clone(strata), 5), append(slices.Clone(psu), 1), nil)
	if lonely.LonelyStrata != 1 || lonely.Len() != 5 {
		t.Errorf("lonely stratum: LonelyStrata %d, R %d; want 1, 5", lonely.LonelyStrata, lonely.Len())
	}
	if got := lonely.Variance(19+8, lonely.Totals(nil, append(slices.Clone(y), 8))); !close(got, 43, 1e-14) {
		t.Errorf("JKn variance with a lonely stratum %v, want 43", got)
	}
}

func TestBRRAndFayHandWorked(t *testing.T) {
	// Two strata of two PSUs: stratum 1 totals 1 and 3, stratum 2 totals 2
	// and 6; t = 12. R = 4 (Sylvester order 4 > 2 strata). Signs of stratum 1
	// (row 1) over replicates 0..3: + - + -; stratum 2 (row 2): + + - -.
	strata := []int32{1, 1, 2, 2}
	psu := []int32{1, 2, 1, 2}
	y := []float64{1, 3, 2, 6}
	for _, tt := range []struct {
		rho   float64
		reps  []float64
		scale float64
	}{
		// BRR: the kept PSU doubles. r0: 2*1 + 2*2 = 6, r1: 2*3 + 2*2 = 10,
		// r2: 2*1 + 2*6 = 14, r3: 2*3 + 2*6 = 18. Deviations from 12: -6, -2, 2,
		// 6; squares sum 80; scale 1/4: v = 20.
		{0, []float64{6, 10, 14, 18}, 0.25},
		// Fay rho = 1/2: multipliers 1.5 and 0.5. Stratum 1 gives 1.5+1.5 = 3
		// (+) or 0.5+4.5 = 5 (-); stratum 2 gives 3+3 = 6 or 1+9 = 10. r0..r3:
		// 9, 11, 13, 15; squares of deviations 9+1+1+9 = 20; scale
		// 1/(4 * 0.25) = 1: v = 20.
		{0.5, []float64{9, 11, 13, 15}, 1},
	} {
		t.Run(fmt.Sprint("rho=", tt.rho), func(t *testing.T) {
			rp := BRR(strata, psu, nil, tt.rho)
			if rp.Len() != 4 || rp.Scale != tt.scale {
				t.Fatalf("R %d, scale %v; want 4, %v", rp.Len(), rp.Scale, tt.scale)
			}
			reps := rp.Totals(nil, y)
			if !slices.Equal(reps, tt.reps) {
				t.Errorf("replicate totals %v, want %v", reps, tt.reps)
			}
			// With replacement, n_h = 2: (1-3)^2 + (2-6)^2 = 20.
			if got := rp.Variance(12, reps); !close(got, 20, 1e-14) {
				t.Errorf("variance %v, want 20", got)
			}
			// The same replicates supplied as columns give the same scale.
			cols := make([][]float64, rp.Len())
			for r := range cols {
				cols[r] = rp.Weights(nil, r)
			}
			method := MethodBRR
			if tt.rho > 0 {
				method = MethodFay
			}
			sup := NewReplicates(method, nil, cols, tt.rho)
			if sup.Scale != tt.scale {
				t.Errorf("supplied scale %v, want %v", sup.Scale, tt.scale)
			}
			if got := sup.Variance(12, sup.Totals(nil, y)); !close(got, 20, 1e-14) {
				t.Errorf("supplied variance %v, want 20", got)
			}
		})
	}
}

func TestBRRBalance(t *testing.T) {
	// 13 strata of two PSUs with random totals: BRR and Fay reproduce the
	// with-replacement variance of a total exactly (full orthogonal balance).
	x, _ := randomSample(3, 26)
	strata := make([]int32, 26)
	for i := range strata {
		strata[i] = int32(i / 2)
	}
	for _, rho := range []float64{0, 0.3} {
		rp := BRR(strata, nil, nil, rho)
		if rp.Len() != 16 {
			t.Errorf("R = %d, want 16", rp.Len())
		}
		want := repWithReplacementVar(rp, x)
		if got := rp.Variance(0, rp.Totals(nil, x)); !close(got, want, 1e-12) {
			t.Errorf("rho %v: BRR %v, with replacement %v", rho, got, want)
		}
	}
}

func TestSuppliedReplicates(t *testing.T) {
	// The JKn design of TestJKnHandWorked, with unequal weights, supplied as
	// columns: the inferred RScales and the variance match the generated ones.
	strata := []int32{7, 9, 7, 9, 9, 9}
	psu := []int32{1, 1, 2, 2, 3, 3}
	y := []float64{1, 2, 3, 4, 4, 5}
	w := []float64{2, 1, 3, 1, 5, 4}
	for _, gen := range []Replicates{JKn(strata, psu, w), JK1(psu[:4], w[:4]), RaoWuBootstrap(strata, psu, w, 50, 1)} {
		t.Run(string(gen.Method), func(t *testing.T) {
			n := gen.Units()
			cols := make([][]float64, gen.Len())
			for r := range cols {
				cols[r] = gen.Weights(nil, r)
			}
			sup := NewReplicates(gen.Method, w[:n], cols, 0)
			if sup.Scale != gen.Scale {
				t.Errorf("scale %v, generated %v", sup.Scale, gen.Scale)
			}
			if gen.RScales != nil {
				for r := range gen.RScales {
					if !close(sup.RScales[r], gen.RScales[r], 1e-15) {
						t.Errorf("rscale %d: %v, generated %v", r, sup.RScales[r], gen.RScales[r])
					}
				}
			}
			mean := Mean(y[:n], w[:n])
			a := gen.Variance(mean, gen.Estimates(nil, repMean(y[:n])))
			b := sup.Variance(mean, sup.Estimates(nil, repMean(y[:n])))
			if !close(a, b, 1e-13) {
				t.Errorf("variance of the mean: supplied %v, generated %v", b, a)
			}
			if sup.NumPSU() != 0 || sup.PSUOf(0) != -1 {
				t.Errorf("supplied columns claim PSUs")
			}
		})
	}
}

func TestReplicateTotalsMatchEstimates(t *testing.T) {
	x, w := randomSample(21, 3000)
	strata := make([]int32, len(x))
	psu := make([]int32, len(x))
	for i := range x {
		strata[i] = int32(i % 5)
		psu[i] = int32(i / 7) // nested by (stratum, code)
	}
	for _, rp := range []Replicates{
		RaoWuBootstrap(strata, psu, w, 40, 9),
		JKn(strata, psu, w),
		JK1(psu, w),
	} {
		t.Run(string(rp.Method), func(t *testing.T) {
			x0, w0 := slices.Clone(x), slices.Clone(w)
			a := rp.Totals(nil, x)
			b := rp.Estimates(nil, repTotal(x))
			for r := range a {
				if !close(a[r], b[r], 1e-12) {
					t.Fatalf("replicate %d: Totals %v, Estimates %v", r, a[r], b[r])
				}
			}
			pop := rp.Totals(nil, nil)
			ones := make([]float64, len(x))
			for i := range ones {
				ones[i] = 1
			}
			if got := rp.Totals(nil, ones); !slices.Equal(got, pop) {
				t.Errorf("nil y differs from y = 1")
			}
			if !slices.Equal(x, x0) || !slices.Equal(w, w0) {
				t.Errorf("inputs modified")
			}
		})
	}
}

func TestReplicatePanics(t *testing.T) {
	rp := JK1(handPSU, handW)
	for name, f := range map[string]func(){
		"psu weights mismatch":  func() { JK1([]int32{1, 2}, []float64{1}) },
		"strata psu mismatch":   func() { JKn([]int32{1}, []int32{1, 2}, nil) },
		"all nil":               func() { JKn(nil, nil, nil) },
		"negative weight":       func() { JK1([]int32{1, 2}, []float64{1, -1}) },
		"one psu":               func() { JK1([]int32{1, 1}, nil) },
		"all lonely":            func() { JKn([]int32{1, 2}, nil, nil) },
		"brr three psus":        func() { BRR([]int32{1, 1, 1}, nil, nil, 0) },
		"brr rho one":           func() { BRR([]int32{1, 1}, nil, nil, 1) },
		"bootstrap one":         func() { RaoWuBootstrap(nil, nil, []float64{1, 2}, 1, 0) },
		"variance length":       func() { rp.Variance(0, []float64{1, 2}) },
		"weights dst":           func() { rp.Weights(make([]float64, 3), 0) },
		"replicate range":       func() { rp.Weights(nil, 3) },
		"estimates dst":         func() { rp.Estimates(make([]float64, 2), repTotal(handY)) },
		"totals y":              func() { rp.Totals(nil, []float64{1}) },
		"estimator panics":      func() { rp.Estimates(nil, func([]float64) float64 { panic("boom") }) },
		"supplied one":          func() { NewReplicates(MethodBRR, nil, [][]float64{{1}}, 0) },
		"supplied ragged":       func() { NewReplicates(MethodBRR, nil, [][]float64{{1}, {1, 2}}, 0) },
		"supplied rho not fay":  func() { NewReplicates(MethodBRR, nil, [][]float64{{1}, {2}}, 0.5) },
		"supplied unknown":      func() { NewReplicates("SDR", nil, [][]float64{{1}, {2}}, 0) },
		"supplied jkn no scale": func() { NewReplicates(MethodJKn, []float64{1}, [][]float64{{1}, {1}}, 0) },
		"supplied multipliers":  func() { NewReplicates(MethodBRR, nil, [][]float64{{1}, {2}}, 0).Multipliers(nil, 0) },
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

func TestReplicateNaN(t *testing.T) {
	// A replicate without any unit of a domain has no estimate: NaN variance.
	rp := JK1([]int32{1, 2, 3}, nil)
	reps := rp.Estimates(nil, func(w []float64) float64 { return Mean([]float64{5, 0, 0}, []float64{w[0], 0, 0}) })
	if !math.IsNaN(reps[0]) || !math.IsNaN(rp.Variance(5, reps)) {
		t.Errorf("replicates %v, variance %v; want NaN first and NaN", reps, rp.Variance(5, reps))
	}
}

func ExampleJKn() {
	// Two strata: {1, 3} and {2, 4, 9}; each value is one PSU's total.
	strata := []int32{1, 1, 2, 2, 2}
	y := []float64{1, 3, 2, 4, 9}
	rp := JKn(strata, nil, nil)
	reps := rp.Totals(nil, y)
	fmt.Println(reps, rp.RScales)
	fmt.Printf("total %g, SE %.4f\n", 19.0, rp.SE(19, reps))
	// Output:
	// [21 17 23.5 20.5 13] [0.5 0.5 0.6666666666666666 0.6666666666666666 0.6666666666666666]
	// total 19, SE 6.5574
}

// repDesign is the EU-SILC sample with its design columns.
type repDesign struct {
	x, w        []float64
	strata, psu []int32
}

// loadRepDesign is loadEUSILCDesign (variance_test.go) in the shape the
// replicate tests use: eqIncome, rb050, db030 (household: the PSU) and
// db040 (region: the stratum).
func loadRepDesign(t testing.TB) repDesign {
	t.Helper()
	e := loadEUSILCDesign(t)
	return repDesign{x: e.x, w: e.d.Weights, strata: e.d.Strata, psu: e.d.PSU}
}

// The linearized SEs that R survey 4.5 reports for svydesign(ids = ~db030,
// strata = ~db040, weights = ~rb050) (shared/data/README.md).
const (
	surveyMeanSE      = 141.164079555672
	surveyHeadcountSE = 0.00498178065227845
	fixedLine         = 10859.236
)

func poorIndicator(x []float64, z float64) []float64 {
	p := make([]float64, len(x))
	for i, v := range x {
		if v < z {
			p[i] = 1
		}
	}
	return p
}

func TestJKnEUSILC(t *testing.T) {
	d := loadRepDesign(t)
	rp := JKn(d.strata, d.psu, d.w)
	if rp.Len() != 6000 || rp.NumPSU() != 6000 || rp.LonelyStrata != 0 {
		t.Fatalf("R %d, PSUs %d, lonely %d; want 6000, 6000, 0", rp.Len(), rp.NumPSU(), rp.LonelyStrata)
	}
	// Our own with-replacement linearization reproduces survey's SEs, which
	// checks the loader and the PSU layout.
	for _, tt := range []struct {
		name string
		y    []float64
		want float64
	}{
		{"mean", d.x, surveyMeanSE},
		{"headcount", poorIndicator(d.x, fixedLine), surveyHeadcountSE},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lin := math.Sqrt(repWithReplacementVar(rp, repMeanInfluence(tt.y, d.w)))
			if !close(lin, tt.want, 1e-9) {
				t.Errorf("linearized SE %.15g, survey %.15g", lin, tt.want)
			}
			// JKn replicate means: ratio of replicate totals.
			num, pop := rp.Totals(nil, tt.y), rp.Totals(nil, nil)
			reps := make([]float64, len(num))
			for r := range reps {
				reps[r] = num[r] / pop[r]
			}
			se := rp.SE(Mean(tt.y, d.w), reps)
			// For a ratio the jackknife and the linearization differ by
			// O(1/n_h); with hundreds of households per region the difference is
			// below 1e-4 here (5e-5 for the mean, 8e-5 for the headcount).
			if rel := math.Abs(se/tt.want - 1); rel > 1e-3 {
				t.Errorf("JKn SE %.6g, linearized %.6g: rel. diff %.2g", se, tt.want, rel)
			} else {
				t.Logf("JKn SE %.10g, linearized %.10g: rel. diff %.2g", se, tt.want, rel)
			}
		})
	}
}
