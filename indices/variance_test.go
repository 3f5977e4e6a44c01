package indices

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// eusilcDesign is the shared EU-SILC sample with its design: households
// (db030) as PSUs, regions (db040) as strata, weights rb050.
type eusilcDesign struct {
	x      []float64 // eqIncome
	d      Design
	region []string // db040 per unit
}

// loadEUSILCDesign reads eqIncome, rb050, db030 and db040 from the shared
// EU-SILC CSV, or skips.
func loadEUSILCDesign(t testing.TB) eusilcDesign {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "data", "eusilc.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("shared reference data not available: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	var e eusilcDesign
	codes := map[string]int32{}
	for _, r := range rows[1:] {
		xi, err1 := strconv.ParseFloat(r[col["eqIncome"]], 64)
		wi, err2 := strconv.ParseFloat(r[col["rb050"]], 64)
		hh, err3 := strconv.ParseInt(r[col["db030"]], 10, 32)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("bad row %v", r)
		}
		reg := r[col["db040"]]
		c, ok := codes[reg]
		if !ok {
			c = int32(len(codes))
			codes[reg] = c
		}
		e.x = append(e.x, xi)
		e.d.Weights = append(e.d.Weights, wi)
		e.d.PSU = append(e.d.PSU, int32(hh))
		e.d.Strata = append(e.d.Strata, c)
		e.region = append(e.region, reg)
	}
	if len(e.x) != 14827 {
		t.Fatalf("read %d rows, want 14827", len(e.x))
	}
	return e
}

// TestSurveyEUSILC checks against the values of R survey 4.5 and convey
// 1.0.1 for svydesign(ids = ~db030, strata = ~db040, weights = ~rb050) on
// the EU-SILC sample (shared/data/README.md).
func TestSurveyEUSILC(t *testing.T) {
	e := loadEUSILCDesign(t)
	x, w := e.x, e.d.Weights
	line := RelativeLine(nil, x, w, 0.5, 0.6)
	q, lo, hi, se := WoodruffInterval(e.d, x, 0.5, 0.95)
	for _, tt := range []struct {
		name      string
		got, want float64
		rel       float64
	}{
		// svymean(~eqIncome)
		{"mean SE", Linearized(e.d, MeanInfluence(nil, x, w)).SE, 141.164079555672, 1e-12},
		// svymean of the 0/1 indicator eqIncome < 10859.236
		{"headcount SE, fixed line", Linearized(e.d, FGTInfluence(nil, x, w, 10859.236, 0)).SE, 0.00498178065227845, 1e-12},
		// convey svyarpr: the line's own variance, kernel density at the line
		{"arpr SE, estimated line", Linearized(e.d, ARPRInfluence(nil, x, w, line)).SE, 0.00475954283218169, 1e-11},
		{"arpr", FGT(x, w, line.Z, 0), 0.144442181675336, 1e-12},
		{"arpt", line.Z, 10859.236, 1e-12},
		// svyquantile(~eqIncome, quantiles = 0.5) with survey 4.5's defaults;
		// the limits are incomes of the sample, printed by R to 8 digits.
		{"Woodruff median", q, 18098.7266666667, 1e-12},
		{"Woodruff lower", lo, 17842.324, 1e-9},
		{"Woodruff upper", hi, 18431.18, 1e-9},
		{"Woodruff SE", se, 150.190778550909, 1e-11},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !close(tt.got, tt.want, tt.rel) {
				t.Errorf("got %.15g, R %.15g (rel. diff %.2g)", tt.got, tt.want, math.Abs(tt.got-tt.want)/tt.want)
			}
		})
	}
	if df := e.d.DF(); df != 5991 {
		t.Errorf("DF = %d, want 5991", df)
	}
	if got := Linearized(e.d, make([]float64, len(x))).DF; got != 5991 {
		t.Errorf("Linearized DF = %d, want 5991", got)
	}
}

// The hand-worked design (linHand): two strata with two PSUs each.
//
//	unit  stratum  PSU  w   y
//	1     1        1    2   10
//	2     1        1    1   20
//	3     1        2    3   30
//	4     2        1    1   40
//	5     2        2    2   50
//	6     2        2    1   60
//
// Total T = 330, N = 10, mean 33.
//
// Total: PSU totals t = 40, 90 (stratum 1; mean 65, squares 2 * 25^2 = 1250)
// and 40, 160 (stratum 2; mean 100, squares 2 * 60^2 = 7200), so
// V = 2/1 * 1250 + 2/1 * 7200 = 16900 and SE = 130.
//
// Mean: w_i (y_i - 33)/10 = -4.6, -1.3, -0.9, 0.7, 3.4, 2.7; PSU totals
// -5.9, -0.9 (mean -3.4, squares 2 * 2.5^2 = 12.5) and 0.7, 6.1 (mean 3.4,
// squares 2 * 2.7^2 = 14.58): V = 2 * 12.5 + 2 * 14.58 = 54.16.
//
// With sampling fractions 0.5 in stratum 1 and 0.25 in stratum 2 the total
// has V = 0.5 * 2500 + 0.75 * 14400 = 12050.
var linHand = struct {
	strata, psu []int32
	w, y        []float64
}{
	strata: []int32{1, 1, 1, 2, 2, 2},
	psu:    []int32{1, 1, 2, 1, 2, 2},
	w:      []float64{2, 1, 3, 1, 2, 1},
	y:      []float64{10, 20, 30, 40, 50, 60},
}

func TestLinearizedHandWorked(t *testing.T) {
	d := Design{Strata: linHand.strata, PSU: linHand.psu, Weights: linHand.w}
	fpc := Design{Strata: linHand.strata, PSU: linHand.psu, Weights: linHand.w, FPC: []float64{0.5, 0.5, 0.5, 0.25, 0.25, 0.25}}
	for _, tt := range []struct {
		name string
		got  Estimate
		se   float64
	}{
		{"total", Linearized(d, TotalInfluence(nil, linHand.y, linHand.w)), 130},
		{"mean", Linearized(d, MeanInfluence(nil, linHand.y, linHand.w)), math.Sqrt(54.16)},
		{"total with FPC", Linearized(fpc, TotalInfluence(nil, linHand.y, linHand.w)), math.Sqrt(12050)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !close(tt.got.SE, tt.se, 1e-13) {
				t.Errorf("SE %.15g, want %.15g", tt.got.SE, tt.se)
			}
			if tt.got.DF != 2 {
				t.Errorf("DF %d, want 2", tt.got.DF)
			}
			if !math.IsNaN(tt.got.Value) || tt.got.Name != "" {
				t.Errorf("Value %v, Name %q: want NaN and empty", tt.got.Value, tt.got.Name)
			}
		})
	}
	// Relabelled: unique PSU codes, other stratum codes, rows reordered.
	perm := []int{5, 0, 3, 1, 4, 2}
	var r Design
	var y []float64
	for _, i := range perm {
		r.Strata = append(r.Strata, 100-linHand.strata[i])
		r.PSU = append(r.PSU, 10*linHand.strata[i]+linHand.psu[i])
		r.Weights = append(r.Weights, linHand.w[i])
		y = append(y, linHand.y[i])
	}
	if got := Linearized(r, TotalInfluence(nil, y, r.Weights)).SE; !close(got, 130, 1e-13) {
		t.Errorf("relabelled design: SE %v, want 130", got)
	}
}

// linRefVariance is a direct transcription of the stratified with-replacement
// (or FPC) formula, for strata with at least two PSUs, written
// independently of Linearized.
func linRefVariance(strata, psu []int32, w, fpc, infl []float64) float64 {
	type key struct{ h, p int32 }
	tot := map[key]float64{}
	frac := map[int32]float64{}
	for i, v := range infl {
		var k key
		if strata != nil {
			k.h = strata[i]
		}
		if psu != nil {
			k.p = psu[i]
		} else {
			k.p = int32(i)
		}
		tot[k] += weightAt(w, i) * v
		if fpc != nil {
			frac[k.h] = fpc[i]
		}
	}
	byStratum := map[int32][]float64{}
	for k, t := range tot {
		byStratum[k.h] = append(byStratum[k.h], t)
	}
	v := 0.0
	for h, ts := range byStratum {
		n := float64(len(ts))
		mean := 0.0
		for _, t := range ts {
			mean += t / n
		}
		ss := 0.0
		for _, t := range ts {
			ss += (t - mean) * (t - mean)
		}
		v += (1 - frac[h]) * n / (n - 1) * ss
	}
	return v
}

// linRandomDesign returns n units in k strata, each with 2 to 6 PSUs whose
// codes restart in each stratum, in shuffled order, with weights 1 to 5 and
// lognormal incomes.
func linRandomDesign(seed uint64, k int) (d Design, x []float64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	for h := range k {
		np := 2 + rng.IntN(5)
		for p := range np {
			size := 1 + rng.IntN(4)
			for range size {
				d.Strata = append(d.Strata, int32(h))
				d.PSU = append(d.PSU, int32(p))
				d.Weights = append(d.Weights, float64(1+rng.IntN(5)))
				x = append(x, math.Round(math.Exp(9+0.8*rng.NormFloat64())))
			}
		}
	}
	rng.Shuffle(len(x), func(i, j int) {
		d.Strata[i], d.Strata[j] = d.Strata[j], d.Strata[i]
		d.PSU[i], d.PSU[j] = d.PSU[j], d.PSU[i]
		d.Weights[i], d.Weights[j] = d.Weights[j], d.Weights[i]
		x[i], x[j] = x[j], x[i]
	})
	return d, x
}

func TestLinearizedAgainstReference(t *testing.T) {
	for seed := range uint64(5) {
		d, x := linRandomDesign(seed, 7)
		infl := MeanInfluence(nil, x, d.Weights)
		got := Linearized(d, infl).SE
		want := math.Sqrt(linRefVariance(d.Strata, d.PSU, d.Weights, nil, infl))
		if !close(got, want, 1e-12) {
			t.Errorf("seed %d: SE %v, reference %v", seed, got, want)
		}
		// FPC constant within strata.
		d.FPC = make([]float64, len(x))
		for i, h := range d.Strata {
			d.FPC[i] = float64(h) / 10
		}
		got = Linearized(d, infl).SE
		want = math.Sqrt(linRefVariance(d.Strata, d.PSU, d.Weights, d.FPC, infl))
		if !close(got, want, 1e-12) {
			t.Errorf("seed %d with FPC: SE %v, reference %v", seed, got, want)
		}
	}
}

func TestLinearizedWithReplacement(t *testing.T) {
	// One stage, every unit its own PSU: V = n/(n-1) sum_i (t_i - tbar)^2
	// with t_i = w_i y_i, the textbook with-replacement formula.
	rng := rand.New(rand.NewPCG(3, 0))
	n := 50
	y, w := make([]float64, n), make([]float64, n)
	for i := range y {
		y[i] = rng.NormFloat64()*3 + 10
		w[i] = 1 + 9*rng.Float64()
	}
	tbar := 0.0
	for i := range y {
		tbar += w[i] * y[i] / float64(n)
	}
	ss := 0.0
	for i := range y {
		ss += (w[i]*y[i] - tbar) * (w[i]*y[i] - tbar)
	}
	want := math.Sqrt(float64(n) / float64(n-1) * ss)
	ones := make([]int32, n)
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(i)
	}
	for name, d := range map[string]Design{
		"nil strata and PSU":   {Weights: w},
		"explicit PSU codes":   {Weights: w, PSU: ids},
		"one explicit stratum": {Weights: w, Strata: ones, PSU: ids},
	} {
		e := Linearized(d, TotalInfluence(nil, y, w))
		if !close(e.SE, want, 1e-13) {
			t.Errorf("%s: SE %v, want %v", name, e.SE, want)
		}
		if e.DF != n-1 {
			t.Errorf("%s: DF %d, want %d", name, e.DF, n-1)
		}
	}
	// nil weights equal unit weights.
	u := make([]float64, n)
	for i := range u {
		u[i] = 1
	}
	a := Linearized(Design{}, MeanInfluence(nil, y, nil)).SE
	b := Linearized(Design{Weights: u}, MeanInfluence(nil, y, u)).SE
	if a != b {
		t.Errorf("nil weights %v, unit weights %v", a, b)
	}
}

// TestLonely: strata A and B as in the linHand-worked totals below, and C
// with a single PSU. Total of y, w = 1:
//
//	A: PSUs {1, 2} and {4}: t = 3, 4; 2/1 * (0.5^2 + 0.5^2) = 1
//	B: PSUs {3} and {5, 1}: t = 3, 6; 2/1 * (1.5^2 + 1.5^2) = 9
//	C: PSU {4, 5}:          t = 9
//
// remove, certainty: 1 + 9 = 10. average: 10 * 3/2 = 15. adjust: the mean
// PSU total is (3+4+3+6+9)/5 = 5, so C adds (9-5)^2 = 16: 26. fail: NaN.
func TestLonely(t *testing.T) {
	base := Design{
		Strata: []int32{0, 0, 0, 1, 1, 1, 2, 2},
		PSU:    []int32{1, 1, 2, 1, 2, 2, 1, 1},
	}
	y := []float64{1, 2, 4, 3, 5, 1, 4, 5}
	if got := base.SinglePSUStrata(); !slices.Equal(got, []int32{2}) {
		t.Errorf("SinglePSUStrata %v, want [2]", got)
	}
	for _, tt := range []struct {
		lonely Lonely
		v      float64
	}{
		{LonelyFail, math.NaN()},
		{LonelyRemove, 10},
		{LonelyCertainty, 10},
		{LonelyAverage, 15},
		{LonelyAdjust, 26},
	} {
		t.Run(tt.lonely.String(), func(t *testing.T) {
			d := base
			d.Lonely = tt.lonely
			got := Linearized(d, y).SE
			if !sameFloat(got, math.Sqrt(tt.v)) && !close(got, math.Sqrt(tt.v), 1e-14) {
				t.Errorf("SE %v, want sqrt(%v)", got, tt.v)
			}
			// A lonely stratum sampled with certainty adds nothing, even
			// with fail; an FPC of 0.5 in stratum A halves its part.
			d.FPC = []float64{0.5, 0.5, 0.5, 0, 0, 0, 1, 1}
			if got := Linearized(d, y).SE; !close(got, math.Sqrt(9.5), 1e-14) {
				t.Errorf("with FPC: SE %v, want sqrt(9.5)", got)
			}
		})
	}
	// Every stratum lonely: average has nothing to average.
	d := Design{Strata: []int32{0, 1}, Lonely: LonelyAverage}
	if got := Linearized(d, []float64{1, 2}).SE; !math.IsNaN(got) {
		t.Errorf("all strata lonely, average: %v, want NaN", got)
	}
	for _, l := range []Lonely{LonelyFail, LonelyRemove, LonelyAdjust, LonelyCertainty, LonelyAverage} {
		p, err := ParseLonely(l.String())
		if err != nil || p != l {
			t.Errorf("ParseLonely(%q) = %v, %v", l.String(), p, err)
		}
	}
	if _, err := ParseLonely("scale"); err == nil {
		t.Error("ParseLonely accepted an unknown name")
	}
}

func TestDomainDF(t *testing.T) {
	d := Design{Strata: linHand.strata, PSU: linHand.psu, Weights: []float64{0, 0, 3, 1, 2, 0}}
	// Stratum 1 keeps PSU 2 only, stratum 2 both PSUs: 3 PSUs - 2 strata.
	if got := d.DF(); got != 1 {
		t.Errorf("DF %d, want 1", got)
	}
	if got := (Design{}).DF(); got != 0 {
		t.Errorf("empty design DF %d, want 0", got)
	}
	if got := Linearized(Design{}, nil).SE; !math.IsNaN(got) {
		t.Errorf("empty design SE %v, want NaN", got)
	}
}

func TestTQuantile(t *testing.T) {
	// R's qt(0.975, c(1, 10)), qt(0.95, 30), qt(0.5, 5) and, for 5991 df,
	// the expansion of Abramowitz & Stegun 26.7.5 to 1/df^4 (what survey's
	// Woodruff SE implies: 588.856 / (2 * 150.190778550909)); gonum's
	// quantile is within 1e-12 of it there.
	for _, tt := range []struct {
		p    float64
		df   int
		want float64
	}{
		{0.975, 1, 12.7062047361747},
		{0.975, 10, 2.22813885198627},
		{0.975, 5991, 1.960360035687548},
		{0.95, 30, 1.69726088659396},
		{0.5, 5, 0},
		{0.025, 10, -2.22813885198627},
	} {
		if got := TQuantile(tt.p, tt.df); !close(got, tt.want, 1e-12) && math.Abs(got-tt.want) > 1e-14 {
			t.Errorf("TQuantile(%v, %d) = %.15g, want %.15g", tt.p, tt.df, got, tt.want)
		}
	}
	if !math.IsNaN(TQuantile(0.9, 0)) {
		t.Error("TQuantile with 0 df is not NaN")
	}
}

// TestWoodruffWorked: x = 1..10 with equal weights, each its own PSU. The
// median is 5 (F(5) = 0.5), m = 0.5, w_i infl_i = ([x_i <= 5] - 0.5)/10 =
// -+0.05, V = 10/9 * 10 * 0.0025 = 1/36, s = 1/6, t = qt(0.975, 9) =
// 2.262157; m -+ t s = 0.12297, 0.87703, whose quantiles are 2 and 9:
// SE = 7 / (2 t).
func TestWoodruffWorked(t *testing.T) {
	x := []float64{3, 1, 4, 10, 5, 9, 2, 6, 8, 7}
	q, lo, hi, se := WoodruffInterval(Design{}, x, 0.5, 0.95)
	tq := 2.26215716279820 // qt(0.975, 9)
	if q != 5 || lo != 2 || hi != 9 || !close(se, 7/(2*tq), 1e-12) {
		t.Errorf("got q %v [%v, %v] SE %v; want 5 [2, 9] SE %v", q, lo, hi, se, 7/(2*tq))
	}
	// An interval that leaves [0, 1] has a NaN limit and SE: for p = 0.1,
	// q = 1, m = 0.1, s = 0.1 and m -+ t s = -0.126, 0.326.
	_, lo, hi, se = WoodruffInterval(Design{}, x, 0.1, 0.95)
	if !math.IsNaN(lo) || hi != 4 || !math.IsNaN(se) {
		t.Errorf("near 0: lo %v hi %v SE %v, want NaN, 4, NaN", lo, hi, se)
	}
	// Zero weights are a domain: the same as the subset with its own design.
	w := []float64{1, 1, 1, 0, 1, 0, 1, 1, 0, 1}
	var sub []float64
	for i, v := range x {
		if w[i] > 0 {
			sub = append(sub, v)
		}
	}
	a1, a2, a3, a4 := WoodruffInterval(Design{Weights: w}, x, 0.5, 0.9)
	b1, b2, b3, b4 := WoodruffInterval(Design{}, sub, 0.5, 0.9)
	if a1 != b1 || a2 != b2 || a3 != b3 || !close(a4, b4, 1e-14) {
		t.Errorf("domain %v %v %v %v, subset %v %v %v %v", a1, a2, a3, a4, b1, b2, b3, b4)
	}
	q, lo, hi, se = WoodruffInterval(Design{Weights: make([]float64, 10)}, x, 0.5, 0.9)
	if !math.IsNaN(q) || !math.IsNaN(lo) || !math.IsNaN(hi) || !math.IsNaN(se) {
		t.Error("zero total weight is not NaN")
	}
}

func TestEstimateCI(t *testing.T) {
	e := Estimate{Value: 10, SE: 2, DF: 10}
	lo, hi := e.CI(0.95)
	if !close(lo, 10-2*2.22813885198627, 1e-12) || !close(hi, 10+2*2.22813885198627, 1e-12) {
		t.Errorf("CI [%v, %v]", lo, hi)
	}
	if e.RSE() != 0.2 {
		t.Errorf("RSE %v, want 0.2", e.RSE())
	}
}

func TestLinearizedPanics(t *testing.T) {
	y := []float64{1, 2, 3}
	for name, f := range map[string]func(){
		"weights length":      func() { Linearized(Design{Weights: []float64{1, 2}}, y) },
		"strata length":       func() { Linearized(Design{Strata: []int32{1}}, y) },
		"psu length":          func() { Linearized(Design{PSU: []int32{1, 2, 3, 4}}, y) },
		"fpc length":          func() { Linearized(Design{FPC: []float64{0}}, y) },
		"negative weight":     func() { Linearized(Design{Weights: []float64{1, -1, 1}}, y) },
		"fpc above 1":         func() { Linearized(Design{FPC: []float64{2, 2, 2}}, y) },
		"fpc negative":        func() { Linearized(Design{FPC: []float64{-0.1, -0.1, -0.1}}, y) },
		"fpc varies":          func() { Linearized(Design{FPC: []float64{0.1, 0.2, 0.1}}, y) },
		"DF lengths":          func() { Design{Strata: []int32{1}, PSU: []int32{1, 2}}.DF() },
		"woodruff p":          func() { WoodruffInterval(Design{}, y, 1.5, 0.9) },
		"woodruff level":      func() { WoodruffInterval(Design{}, y, 0.5, 1) },
		"woodruff length":     func() { WoodruffInterval(Design{Weights: []float64{1}}, y, 0.5, 0.9) },
		"t probability":       func() { TQuantile(-0.1, 3) },
		"CI level":            func() { Estimate{DF: 3}.CI(0) },
		"woodruff neg weight": func() { WoodruffInterval(Design{Weights: []float64{1, -1, 1}}, y, 0.5, 0.9) },
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

func TestLinearizedInputsUnchanged(t *testing.T) {
	d, x := linRandomDesign(9, 4)
	d.FPC = make([]float64, len(x))
	s0, p0, w0, f0, x0 := slices.Clone(d.Strata), slices.Clone(d.PSU), slices.Clone(d.Weights), slices.Clone(d.FPC), slices.Clone(x)
	infl := MeanInfluence(nil, x, d.Weights)
	i0 := slices.Clone(infl)
	Linearized(d, infl)
	WoodruffInterval(d, x, 0.3, 0.95)
	d.DF()
	d.SinglePSUStrata()
	if !slices.Equal(s0, d.Strata) || !slices.Equal(p0, d.PSU) || !slices.Equal(w0, d.Weights) ||
		!slices.Equal(f0, d.FPC) || !slices.Equal(x0, x) || !slices.Equal(i0, infl) {
		t.Error("inputs modified")
	}
}

func BenchmarkLinearized1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 0))
	n := 1 << 20
	d := Design{Strata: make([]int32, n), PSU: make([]int32, n), Weights: make([]float64, n)}
	x := make([]float64, n)
	for i := range x {
		d.Strata[i] = int32(i / 50000)
		d.PSU[i] = int32(i / 3)
		d.Weights[i] = 1 + rng.Float64()
		x[i] = rng.ExpFloat64()
	}
	infl := MeanInfluence(nil, x, d.Weights)
	b.ResetTimer()
	for range b.N {
		Linearized(d, infl)
	}
}

func ExampleLinearized() {
	// Two strata with two households (PSUs) each.
	d := Design{
		Strata:  []int32{1, 1, 1, 2, 2, 2},
		PSU:     []int32{1, 1, 2, 1, 2, 2},
		Weights: []float64{2, 1, 3, 1, 2, 1},
	}
	income := []float64{10, 20, 30, 40, 50, 60}
	e := Linearized(d, MeanInfluence(nil, income, d.Weights))
	e.Name, e.Value = "mean", Mean(income, d.Weights)
	fmt.Printf("%s %.2f SE %.4f DF %d\n", e.Name, e.Value, e.SE, e.DF)
	// Output: mean 33.00 SE 7.3593 DF 2
}

func TestLinearizerEqualsLinearized(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	n := 500
	d := Design{Strata: make([]int32, n), PSU: make([]int32, n), Weights: make([]float64, n), Lonely: LonelyAdjust}
	for i := range n {
		d.Strata[i] = int32(rng.IntN(5))
		d.PSU[i] = int32(rng.IntN(40))
		d.Weights[i] = 1 + rng.Float64()*9
	}
	l := NewLinearizer(d, n)
	for trial := 0; trial < 5; trial++ {
		infl := make([]float64, n)
		for i := range infl {
			infl[i] = rng.NormFloat64()
		}
		if a, b := Linearized(d, infl), l.Linearized(infl); a.SE != b.SE || a.DF != b.DF {
			t.Errorf("Linearized %+v, Linearizer %+v", a, b)
		}
	}
}
