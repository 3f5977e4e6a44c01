package indices

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

func TestInfluenceWorked(t *testing.T) {
	// x = {1, 2, 3, 4}, unit weights, z = 2.5 (the worked example).
	x := []float64{1, 2, 3, 4}
	for _, tt := range []struct {
		name string
		got  []float64
		want []float64
	}{
		{"total", TotalInfluence(nil, x, nil), []float64{1, 2, 3, 4}},
		// (x - 2.5)/4
		{"mean", MeanInfluence(nil, x, nil), []float64{-0.375, -0.125, 0.125, 0.375}},
		// ([x < 2.5] - 0.5)/4
		{"headcount", FGTInfluence(nil, x, nil, 2.5, 0), []float64{0.125, 0.125, -0.125, -0.125}},
		// gaps 0.6, 0.2, 0, 0; P1 = 0.2: (g - 0.2)/4
		{"gap", FGTInfluence(nil, x, nil, 2.5, 1), []float64{0.1, 0, -0.05, -0.05}},
		// G = 0.25, mu = 2.5, r = 0.4, 0.8, 1.2, 1.6, c = 0.25, 0.5, 0.75, 1,
		// s = 0.9, 0.7, 0.4, 0: (2 r c + 2 s - 1.25 (r + 1))/4 =
		// (2.0 - 1.75)/4, (2.2 - 2.25)/4, (2.6 - 2.75)/4, (3.2 - 3.25)/4.
		{"gini", GiniInfluence(nil, x, nil), []float64{0.0625, -0.0125, -0.0375, -0.0125}},
		// Ratio of x to 2x is 1/2 everywhere: (x - x)/20 = 0.
		{"ratio", RatioInfluence(nil, x, []float64{2, 4, 6, 8}, nil), []float64{0, 0, 0, 0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.want {
				if math.Abs(tt.got[i]-tt.want[i]) > 1e-15 {
					t.Errorf("got %v, want %v", tt.got, tt.want)
					break
				}
			}
		})
	}
	// Gini with ties and weights: {1, 1, 3} with weights {1, 1, 2} equals
	// {1, 3} with weights {2, 2}, unit by unit.
	a := GiniInfluence(nil, []float64{1, 3, 1}, []float64{1, 2, 1})
	b := GiniInfluence(nil, []float64{1, 3}, []float64{2, 2})
	if !close(a[0], b[0], 1e-14) || !close(a[2], b[0], 1e-14) || !close(a[1], b[1], 1e-14) {
		t.Errorf("tied units %v, merged %v", a, b)
	}
}

// linCase is an estimator of the weights with its influence function.
type linCase struct {
	name string
	est  func(x, w []float64) float64
	infl func(dst, x, w []float64) []float64
}

const linZ = 20.0

// linSmoothCases are the estimators that are differentiable in the weights,
// whose influence functions must be their derivatives.
var linSmoothCases = []linCase{
	{"total", func(x, w []float64) float64 {
		s := 0.0
		for i := range x {
			s += weightAt(w, i) * x[i]
		}
		return s
	}, TotalInfluence},
	{"mean", Mean, MeanInfluence},
	{"ratio", func(x, w []float64) float64 { return Mean(x, w) / Mean(linCovariate(x), w) },
		func(dst, x, w []float64) []float64 { return RatioInfluence(dst, x, linCovariate(x), w) }},
	{"headcount", func(x, w []float64) float64 { return FGT(x, w, linZ, 0) },
		func(dst, x, w []float64) []float64 { return FGTInfluence(dst, x, w, linZ, 0) }},
	{"gap", func(x, w []float64) float64 { return FGT(x, w, linZ, 1) },
		func(dst, x, w []float64) []float64 { return FGTInfluence(dst, x, w, linZ, 1) }},
	{"severity", func(x, w []float64) float64 { return FGT(x, w, linZ, 2) },
		func(dst, x, w []float64) []float64 { return FGTInfluence(dst, x, w, linZ, 2) }},
	{"fgt 1.5", func(x, w []float64) float64 { return FGT(x, w, linZ, 1.5) },
		func(dst, x, w []float64) []float64 { return FGTInfluence(dst, x, w, linZ, 1.5) }},
	{"watts", func(x, w []float64) float64 { return Watts(x, w, linZ) },
		func(dst, x, w []float64) []float64 { return WattsInfluence(dst, x, w, linZ) }},
	{"sen", func(x, w []float64) float64 { return Sen(x, w, linZ) },
		func(dst, x, w []float64) []float64 { return SenInfluence(dst, x, w, linZ) }},
	{"gini", Gini, GiniInfluence},
	{"ge -1", linGE(-1), linGEInfl(-1)},
	{"theil L", linGE(0), linGEInfl(0)},
	{"ge 0.5", linGE(0.5), linGEInfl(0.5)},
	{"theil T", linGE(1), linGEInfl(1)},
	{"ge 2", linGE(2), linGEInfl(2)},
	{"ge 3", linGE(3), linGEInfl(3)},
	{"atkinson 0", linAtk(0), linAtkInfl(0)},
	{"atkinson 0.5", linAtk(0.5), linAtkInfl(0.5)},
	{"atkinson 1", linAtk(1), linAtkInfl(1)},
	{"atkinson 2", linAtk(2), linAtkInfl(2)},
}

func linCovariate(x []float64) []float64 {
	c := make([]float64, len(x))
	for i, v := range x {
		c[i] = 1 + math.Abs(v)/10
	}
	return c
}

func linGE(a float64) func(x, w []float64) float64 {
	return func(x, w []float64) float64 { return GE(x, w, a) }
}

func linGEInfl(a float64) func(dst, x, w []float64) []float64 {
	return func(dst, x, w []float64) []float64 { return GEInfluence(dst, x, w, a) }
}

func linAtk(e float64) func(x, w []float64) float64 {
	return func(x, w []float64) float64 { return Atkinson(x, w, e) }
}

func linAtkInfl(e float64) func(dst, x, w []float64) []float64 {
	return func(dst, x, w []float64) []float64 { return AtkinsonInfluence(dst, x, w, e) }
}

// linSample returns incomes rounded to whole numbers (so with ties), with
// a zero and a negative income, and weights between 0.5 and 3.5 of which
// three are 0.
func linSample(seed uint64, n int) (x, w []float64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	x, w = make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = math.Round(math.Exp(2.7 + 0.8*rng.NormFloat64()))
		w[i] = 0.5 + 3*rng.Float64()
	}
	x[3], x[7] = 0, -4
	w[5], w[11], w[20] = 0, 0, 0
	return x, w
}

// TestInfluenceFiniteDifferences checks every smooth influence function
// against the central difference (theta(w + eps e_i) - theta(w - eps e_i)) /
// (2 eps), unit by unit, with ties, a zero and a negative income among the
// incomes and units of weight 0, which must get 0.
func TestInfluenceFiniteDifferences(t *testing.T) {
	x, w := linSample(17, 80)
	const eps = 1e-5
	for _, c := range linSmoothCases {
		t.Run(c.name, func(t *testing.T) {
			z := c.infl(nil, x, w)
			scale := 0.0
			for _, v := range z {
				scale = max(scale, math.Abs(v))
			}
			if math.IsNaN(scale) || scale == 0 && c.name != "atkinson 0" {
				t.Fatalf("influence %v", z)
			}
			wp, wm := slices.Clone(w), slices.Clone(w)
			for i := range x {
				if w[i] == 0 {
					if z[i] != 0 {
						t.Errorf("unit %d of weight 0 has influence %v", i, z[i])
					}
					continue
				}
				wp[i], wm[i] = w[i]+eps, w[i]-eps
				fd := (c.est(x, wp) - c.est(x, wm)) / (2 * eps)
				wp[i], wm[i] = w[i], w[i]
				if math.Abs(fd-z[i]) > 1e-7*max(scale, 1e-9) {
					t.Errorf("unit %d (x = %v, w = %.3f): influence %.10g, finite difference %.10g", i, x[i], w[i], z[i], fd)
				}
			}
		})
	}
}

// linQuantileCases are the measures whose influence functions involve kernel
// densities: exact derivatives do not exist.
var linQuantileCases = []linCase{
	{"median", Median, func(dst, x, w []float64) []float64 { return QuantileInfluence(dst, x, w, 0.5) }},
	{"p20", func(x, w []float64) float64 { return Quantile(0.2, x, w) },
		func(dst, x, w []float64) []float64 { return QuantileInfluence(dst, x, w, 0.2) }},
	{"arpt", func(x, w []float64) float64 { return 0.6 * Median(x, w) },
		func(dst, x, w []float64) []float64 { return RelativeLine(dst, x, w, 0.5, 0.6).Infl }},
	{"arpr", func(x, w []float64) float64 { return FGT(x, w, 0.6*Median(x, w), 0) },
		func(dst, x, w []float64) []float64 {
			return ARPRInfluence(dst, x, w, RelativeLine(nil, x, w, 0.5, 0.6))
		}},
	{"rmpg", func(x, w []float64) float64 { return RMPG(x, w, 0.6*Median(x, w)) },
		func(dst, x, w []float64) []float64 {
			return RMPGInfluence(dst, x, w, RelativeLine(nil, x, w, 0.5, 0.6))
		}},
	{"rmpg fixed line", func(x, w []float64) float64 { return RMPG(x, w, linZ) },
		func(dst, x, w []float64) []float64 { return RMPGInfluence(dst, x, w, Line{Z: linZ}) }},
	{"qsr", QSR, QSRInfluence},
	{"palma", Palma, PalmaInfluence},
	{"share_q1", func(x, w []float64) float64 { return Shares(x, w, 5)[0] },
		func(dst, x, w []float64) []float64 { return ShareInfluence(dst, x, w, 5, 1) }},
	{"share_q3", func(x, w []float64) float64 { return Shares(x, w, 5)[2] },
		func(dst, x, w []float64) []float64 { return ShareInfluence(dst, x, w, 5, 3) }},
	{"share_d10", func(x, w []float64) float64 { return Shares(x, w, 10)[9] },
		func(dst, x, w []float64) []float64 { return ShareInfluence(dst, x, w, 10, 10) }},
}

// TestInfluenceDomains: an influence function computed with weights zero
// outside a domain equals the one computed on the domain's rows alone, put
// back in place with zeros outside.
func TestInfluenceDomains(t *testing.T) {
	x, w := linSample(23, 300)
	rng := rand.New(rand.NewPCG(4, 0))
	in := make([]bool, len(x))
	wd := make([]float64, len(x))
	var xs, ws []float64
	for i := range x {
		if rng.IntN(5) < 2 {
			in[i] = true
			wd[i] = w[i]
			xs = append(xs, x[i])
			ws = append(ws, w[i])
		}
	}
	for _, c := range append(slices.Clone(linSmoothCases), linQuantileCases...) {
		t.Run(c.name, func(t *testing.T) {
			if a, b := c.est(x, wd), c.est(xs, ws); !close(a, b, 1e-12) {
				t.Errorf("estimate with zero weights %v, on the rows %v", a, b)
			}
			full := c.infl(nil, x, wd)
			sub := c.infl(nil, xs, ws)
			k := 0
			for i := range x {
				want := 0.0
				if in[i] {
					want = sub[k]
					k++
				}
				if !close(full[i], want, 1e-10) && math.Abs(full[i]-want) > 1e-15 {
					t.Fatalf("unit %d: with zero weights %v, on the rows %v", i, full[i], want)
				}
			}
		})
	}
}

// TestDomainHandWorked uses the hand-worked design linHand of TestLinearizedHandWorked.
//
// Domain {1, 3} (stratum 1: y = 10, w = 2 in PSU 1; y = 30, w = 3 in PSU 2):
// mean 110/5 = 22, w_i z_i = 2 (10-22)/5 = -4.8 and 3 (30-22)/5 = 4.8, so
// stratum 1 has V = 2 * 2 * 4.8^2 = 92.16 and stratum 2 none: SE = 9.6.
//
// Domain {1, 4} (PSU 1 of each stratum): mean 60/3 = 20, w_i z_i = -20/3 and
// +20/3; each stratum has totals -+20/3 and 0, whose PSU without domain
// units still counts: V = 2 * 2 * 2 * (10/3)^2 = 800/9.
func TestDomainHandWorked(t *testing.T) {
	d := Design{Strata: linHand.strata, PSU: linHand.psu, Weights: linHand.w}
	for _, tt := range []struct {
		in []int
		se float64
	}{
		{[]int{0, 2}, 9.6},
		{[]int{0, 3}, math.Sqrt(800.0 / 9)},
	} {
		wd := make([]float64, len(linHand.w))
		for _, i := range tt.in {
			wd[i] = linHand.w[i]
		}
		if got := Linearized(d, MeanInfluence(nil, linHand.y, wd)).SE; !close(got, tt.se, 1e-13) {
			t.Errorf("domain %v: SE %.15g, want %.15g", tt.in, got, tt.se)
		}
	}
}

// TestNationalLine: a headcount in a domain at a line estimated on the whole
// sample has the line's influence on every unit.
func TestNationalLine(t *testing.T) {
	x, w := linSample(29, 200)
	wd := slices.Clone(w)
	for i := range wd {
		if i%3 == 0 {
			wd[i] = 0
		}
	}
	line := RelativeLine(nil, x, w, 0.5, 0.6)
	got := ARPRInfluence(nil, x, wd, line)
	fixed := FGTInfluence(nil, x, wd, line.Z, 0)
	f := KernelDensity(x, wd, line.Z, line.Bandwidth)
	for i := range x {
		if want := fixed[i] + f*line.Infl[i]; !close(got[i], want, 1e-13) {
			t.Fatalf("unit %d: %v, want %v", i, got[i], want)
		}
	}
	if line.Bandwidth != Bandwidth(x, w) {
		t.Errorf("line bandwidth %v, want the full sample's %v", line.Bandwidth, Bandwidth(x, w))
	}
}

// TestInfluenceMonteCarlo draws 300 samples of 800 lognormal incomes
// (weights 1250: a population of a million, with replacement) and compares
// the variance of each estimate over the samples with the mean of its
// linearized variance. The kernel-based influence functions have no exact
// check; this one bounds their bias.
func TestInfluenceMonteCarlo(t *testing.T) {
	if testing.Short() {
		t.Skip("Monte Carlo")
	}
	const reps, n = 300, 800
	rng := rand.New(rand.NewPCG(31, 0))
	cases := append(slices.Clone(linQuantileCases), linSmoothCases[1], linSmoothCases[9]) // + mean, gini
	est := make([][]float64, len(cases)+1)
	lin := make([]float64, len(cases)+1)
	x, w := make([]float64, n), make([]float64, n)
	for i := range w {
		w[i] = 1250
	}
	d := Design{Weights: w}
	z := make([]float64, n)
	for range reps {
		for i := range x {
			x[i] = math.Exp(10 + 0.7*rng.NormFloat64())
		}
		for k, c := range cases {
			est[k] = append(est[k], c.est(x, w))
			if c.name == "rmpg fixed line" {
				est[k][len(est[k])-1] = RMPG(x, w, 15000)
				lin[k] += math.Pow(Linearized(d, RMPGInfluence(z, x, w, Line{Z: 15000})).SE, 2)
				continue
			}
			lin[k] += math.Pow(Linearized(d, c.infl(z, x, w)).SE, 2)
		}
		// Woodruff's SE of the median.
		q, _, _, se := WoodruffInterval(d, x, 0.5, 0.95)
		est[len(cases)] = append(est[len(cases)], q)
		lin[len(cases)] += se * se
	}
	for k := range est {
		name := "woodruff"
		if k < len(cases) {
			name = cases[k].name
		}
		m := 0.0
		for _, v := range est[k] {
			m += v / reps
		}
		v := 0.0
		for _, e := range est[k] {
			v += (e - m) * (e - m) / (reps - 1)
		}
		ratio := lin[k] / reps / v
		t.Logf("%-16s linearized / Monte Carlo variance %.3f", name, ratio)
		// The Monte Carlo variance has a relative SE of about 8%.
		if !(ratio > 0.75 && ratio < 1.33) {
			t.Errorf("%s: linearized variance %.3g, Monte Carlo %.3g (ratio %.3f)", name, lin[k]/reps, v, ratio)
		}
	}
}

// linConveyGini transcribes R convey's svygini: the estimate G_c and its
// linearized variable (CalcGini_IF), for incomes without ties.
func linConveyGini(x, w []float64) (g float64, lin []float64) {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	n, y := 0.0, 0.0
	for i := range x {
		n += w[i]
		y += w[i] * x[i]
	}
	t1, r, cumXW := 0.0, 0.0, 0.0
	t1lin := make([]float64, len(x))
	for _, i := range idx {
		r += w[i]
		cumXW += x[i] * w[i]
		t1 += r * x[i] * w[i]
		t1lin[i] = y - cumXW + x[i]*w[i] + r*x[i]
	}
	g = (2*t1-y)/(y*n) - 1
	// contrastinf of (2 T1 - T2)/(T2 T3) - 1 with T2 = Y (lin x), T3 = N (lin 1).
	d1, d2, d3 := 2/(y*n), -2*t1/(y*y*n), -(2*t1-y)/(y*n*n)
	lin = make([]float64, len(x))
	for i := range x {
		lin[i] = d1*t1lin[i] + d2*x[i] + d3
	}
	return g, lin
}

func TestGiniInfluenceAndConvey(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 0))
	n := 200
	x, w := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = math.Exp(rng.NormFloat64())
		w[i] = 1 + 4*rng.Float64()
	}
	gc, zc := linConveyGini(x, w)
	g := Gini(x, w)
	z := GiniInfluence(nil, x, w)
	pop, inc := 0.0, 0.0
	for i := range x {
		pop += w[i]
		inc += w[i] * x[i]
	}
	mu := inc / pop
	for i := range x {
		want := z[i] + (2*w[i]-1)*x[i]/(pop*pop*mu) - (gc-g)*(x[i]/mu+1)/pop
		if !close(zc[i], want, 1e-10) {
			t.Fatalf("unit %d: convey %v, from laeken's %v", i, zc[i], want)
		}
	}
}

// TestGiniEUSILC compares the two Gini standard errors on the EU-SILC
// design, and checks the transcription of convey against its published G.
func TestGiniEUSILC(t *testing.T) {
	e := loadEUSILCDesign(t)
	gc, zc := linConveyGini(e.x, e.d.Weights)
	if !close(gc, 0.264965166028742, 1e-12) {
		t.Errorf("convey's Gini %v, published 0.264965166028742", gc)
	}
	a := Linearized(e.d, GiniInfluence(nil, e.x, e.d.Weights)).SE
	b := Linearized(e.d, zc).SE
	t.Logf("Gini SE: laeken's %.10g, convey's %.10g", a, b)
	if !close(a, b, 1e-3) {
		t.Errorf("Gini SE: laeken's %v, convey's %v", a, b)
	}
}

func TestInfluenceUndefined(t *testing.T) {
	one := []float64{5}
	zero := []float64{0}
	for name, z := range map[string][]float64{
		"mean zero weight":       MeanInfluence(nil, one, zero),
		"ratio zero denominator": RatioInfluence(nil, one, zero, nil),
		"fgt zero line":          FGTInfluence(nil, one, nil, 0, 1),
		"fgt zero weight":        FGTInfluence(nil, one, zero, 10, 0),
		"watts no positive":      WattsInfluence(nil, []float64{-1, 0}, nil, 3),
		"gini zero income":       GiniInfluence(nil, []float64{0, 0}, nil),
		"ge no positive":         GEInfluence(nil, []float64{-1, 0}, nil, 0),
		"atkinson no positive":   AtkinsonInfluence(nil, []float64{-1, 0}, nil, 2),
		"sen zero line":          SenInfluence(nil, one, nil, 0),
		"sen zero weight":        SenInfluence(nil, one, zero, 10),
		"quantile all equal":     QuantileInfluence(nil, []float64{3, 3, 3}, nil, 0.5),
		"quantile zero weight":   QuantileInfluence(nil, one, zero, 0.5),
		"qsr bottom zero":        QSRInfluence(nil, []float64{0, 0, 0, 0, 5}, nil),
		"arpr zero weight":       ARPRInfluence(nil, one, zero, Line{Z: 3}),
		"arpr NaN line":          ARPRInfluence(nil, one, nil, Line{Z: math.NaN()}),
		"rmpg nobody poor":       RMPGInfluence(nil, []float64{5, 6}, nil, Line{Z: 1}),
		"relative line empty":    RelativeLine(nil, one, zero, 0.5, 0.6).Infl,
	} {
		for _, v := range z {
			if !math.IsNaN(v) {
				t.Errorf("%s: %v, want NaN", name, z)
				break
			}
		}
	}
	if got := Linearized(Design{}, MeanInfluence(nil, []float64{1, 2}, []float64{0, 0})).SE; !math.IsNaN(got) {
		t.Errorf("SE of an undefined mean %v, want NaN", got)
	}
	// Sen with nobody poor is 0 and so is its influence.
	for _, v := range SenInfluence(nil, []float64{5, 6}, nil, 1) {
		if v != 0 {
			t.Errorf("Sen influence with nobody poor %v, want 0", v)
		}
	}
	if !math.IsNaN(Bandwidth(one, zero)) || !math.IsNaN(KernelDensity(one, nil, 1, 0)) {
		t.Error("bandwidth or density of nothing is not NaN")
	}
}

func TestInfluenceNilWeightsAndDst(t *testing.T) {
	x, _ := linSample(5, 50)
	for i := range x {
		x[i] = math.Abs(x[i]) + 1 // positive, for every measure
	}
	ones := make([]float64, len(x))
	for i := range ones {
		ones[i] = 1
	}
	for _, c := range append(slices.Clone(linSmoothCases), linQuantileCases...) {
		t.Run(c.name, func(t *testing.T) {
			a := c.infl(nil, x, nil)
			b := c.infl(nil, x, ones)
			dst := make([]float64, len(x))
			for i := range dst {
				dst[i] = math.NaN() // stale values must be overwritten
			}
			got := c.infl(dst, x, ones)
			if &got[0] != &dst[0] {
				t.Error("dst not reused")
			}
			for i := range x {
				if !close(a[i], b[i], 1e-13) && math.Abs(a[i]-b[i]) > 1e-16 {
					t.Fatalf("unit %d: nil weights %v, unit weights %v", i, a[i], b[i])
				}
				if !sameFloat(got[i], b[i]) {
					t.Fatalf("unit %d: into dst %v, fresh %v", i, got[i], b[i])
				}
			}
		})
	}
}

func TestInfluenceInputsUnchanged(t *testing.T) {
	x, w := linSample(6, 60)
	x0, w0 := slices.Clone(x), slices.Clone(w)
	line := RelativeLine(nil, x, w, 0.5, 0.6)
	l0 := slices.Clone(line.Infl)
	for _, c := range append(slices.Clone(linSmoothCases), linQuantileCases...) {
		c.infl(nil, x, w)
	}
	ARPRInfluence(nil, x, w, line)
	RMPGInfluence(nil, x, w, line)
	Bandwidth(x, w)
	KernelDensity(x, w, 10, 1)
	if !slices.Equal(x, x0) || !slices.Equal(w, w0) || !slices.Equal(line.Infl, l0) {
		t.Error("inputs modified")
	}
}

func TestInfluencePanics(t *testing.T) {
	x := []float64{1, 2, 3}
	short := []float64{1, 2}
	neg := []float64{1, -1, 1}
	for name, f := range map[string]func(){
		"dst length":         func() { MeanInfluence(make([]float64, 2), x, nil) },
		"weights length":     func() { GiniInfluence(nil, x, short) },
		"negative weight":    func() { TotalInfluence(nil, x, neg) },
		"ratio x length":     func() { RatioInfluence(nil, x, short, nil) },
		"fgt negative alpha": func() { FGTInfluence(nil, x, nil, 2, -1) },
		"ge alpha NaN":       func() { GEInfluence(nil, x, nil, math.NaN()) },
		"atkinson negative":  func() { AtkinsonInfluence(nil, x, nil, -1) },
		"quantile p":         func() { QuantileInfluence(nil, x, nil, 1.5) },
		"line order":         func() { RelativeLine(nil, x, nil, -0.5, 0.6) },
		"arpr line length":   func() { ARPRInfluence(nil, x, nil, Line{Z: 2, Infl: short}) },
		"rmpg line length":   func() { RMPGInfluence(nil, x, nil, Line{Z: 2, Infl: short}) },
		"density length":     func() { KernelDensity(x, short, 1, 1) },
		"bandwidth negative": func() { Bandwidth(x, neg) },
		"sen negative":       func() { SenInfluence(nil, x, neg, 2) },
		"qsr length":         func() { QSRInfluence(nil, x, short) },
		"watts dst":          func() { WattsInfluence(make([]float64, 5), x, nil, 2) },
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

func ExampleARPRInfluence() {
	// Incomes of ten persons in five households (PSUs), equal weights.
	x := []float64{5, 7, 8, 9, 10, 11, 12, 14, 18, 25}
	d := Design{PSU: []int32{1, 1, 2, 2, 3, 3, 4, 4, 5, 5}}
	line := RelativeLine(nil, x, nil, 0.5, 0.6) // 60% of the median
	fixed := Linearized(d, FGTInfluence(nil, x, nil, line.Z, 0))
	estimated := Linearized(d, ARPRInfluence(nil, x, nil, line))
	fmt.Printf("line %.2f, rate %.2f, SE %.3f with the line fixed, %.3f estimated\n",
		line.Z, FGT(x, nil, line.Z, 0), fixed.SE, estimated.SE)
	// Output: line 6.30, rate 0.10, SE 0.100 with the line fixed, 0.097 estimated
}

// TestRMPGInfluencePartsDomain: the domain's local part computed over its
// units only, plus c times a national line's influence over every unit,
// equals RMPGInfluence over the full sample with weights zero outside the
// domain (convey's svyrmpg on a subset); the local part alone is the
// influence at the fixed line.
func TestRMPGInfluencePartsDomain(t *testing.T) {
	x, w := linSample(31, 400)
	line := RelativeLine(nil, x, w, 0.5, 0.6)
	wd := make([]float64, len(x))
	var xs, ws []float64
	var in []int
	for i := range x {
		if i%3 != 0 {
			wd[i] = w[i]
			xs, ws, in = append(xs, x[i]), append(ws, w[i]), append(in, i)
		}
	}
	want := RMPGInfluence(nil, x, wd, line)
	local, c := RMPGInfluenceParts(nil, xs, ws, Line{Z: line.Z, Bandwidth: line.Bandwidth})
	got := make([]float64, len(x))
	for k, i := range in {
		got[i] = local[k]
	}
	for i := range got {
		got[i] += c * line.Infl[i]
		if !close(got[i], want[i], 1e-9) && math.Abs(got[i]-want[i]) > 1e-15 {
			t.Fatalf("unit %d: parts %v, RMPGInfluence %v", i, got[i], want[i])
		}
	}
	fixed := RMPGInfluence(nil, xs, ws, Line{Z: line.Z})
	for k := range fixed {
		if !close(local[k], fixed[k], 1e-12) {
			t.Fatalf("unit %d: local %v, fixed line %v", k, local[k], fixed[k])
		}
	}
	if !(c != 0) || math.IsNaN(c) {
		t.Errorf("c = %v", c)
	}
}

// TestShareInfluenceSumsToZero: the k shares add up to 1 in every sample,
// so their influence functions add up to 0 for every unit; and
// share_q5/share_q1 is the QSR, whose influence is (z5 - QSR z1)/S1.
func TestShareInfluenceSumsToZero(t *testing.T) {
	x, w := linSample(41, 500)
	for _, k := range []int{5, 10} {
		sum := make([]float64, len(x))
		for j := 1; j <= k; j++ {
			z := ShareInfluence(nil, x, w, k, j)
			for i := range sum {
				sum[i] += z[i]
			}
		}
		for i, v := range sum {
			if math.Abs(v) > 1e-12*math.Abs(x[i]/500) && math.Abs(v) > 1e-15 {
				t.Fatalf("k %d unit %d: sum of share influences %v", k, i, v)
			}
		}
	}
	s := Shares(x, w, 5)
	z1, z5 := ShareInfluence(nil, x, w, 5, 1), ShareInfluence(nil, x, w, 5, 5)
	qsr := QSRInfluence(nil, x, w)
	for i := range qsr {
		if want := (z5[i] - s[4]/s[0]*z1[i]) / s[0]; !close(qsr[i], want, 1e-9) && math.Abs(qsr[i]-want) > 1e-12 {
			t.Fatalf("unit %d: QSR influence %v, from the shares %v", i, qsr[i], want)
		}
	}
}

// TestInfluenceSortedPath: with incomes in increasing order the quantile
// based influence functions take scans and kernel windows instead of
// selections and full sums; the values are those of the same units in
// another order (permutation invariance), to rounding.
func TestInfluenceSortedPath(t *testing.T) {
	x, w := linSample(51, 700)
	order := make([]int, len(x))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmpFloat(x[a], x[b]) })
	xs, ws := make([]float64, len(x)), make([]float64, len(x))
	for k, i := range order {
		xs[k], ws[k] = x[i], w[i]
	}
	line := RelativeLine(nil, x, w, 0.5, 0.6)
	for _, c := range []struct {
		name string
		f    func(dst, x, w []float64) []float64
	}{
		{"qsr", QSRInfluence},
		{"palma", PalmaInfluence},
		{"share_q2", func(dst, x, w []float64) []float64 { return ShareInfluence(dst, x, w, 5, 2) }},
		{"rmpg", func(dst, x, w []float64) []float64 {
			z, _ := RMPGInfluenceParts(dst, x, w, Line{Z: line.Z, Bandwidth: line.Bandwidth})
			return z
		}},
	} {
		a, b := c.f(nil, x, w), c.f(nil, xs, ws)
		for k, i := range order {
			if !close(a[i], b[k], 1e-10) && math.Abs(a[i]-b[k]) > 1e-15 {
				t.Fatalf("%s unit %d: unsorted %v, sorted %v", c.name, i, a[i], b[k])
			}
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
