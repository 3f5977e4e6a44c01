package pipeline

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/povstat/povstat/indices"
)

// groupedSample returns n incomes in k groups (group g's log incomes of
// mean 10 + 0.2 g and SD 0.5 + 0.1 g), their weights (a few 0) and groups.
func groupedSample(seed uint64, n, k int) (x, w []float64, grp []int32) {
	rng := rand.New(rand.NewPCG(seed, 0))
	x, w, grp = make([]float64, n), make([]float64, n), make([]int32, n)
	for i := range x {
		grp[i] = int32(rng.IntN(k))
		x[i] = math.Exp(10 + 0.2*float64(grp[i]) + (0.5+0.1*float64(grp[i]))*rng.NormFloat64())
		w[i] = 0.5 + 3*rng.Float64()
	}
	w[3], w[10] = 0, 0
	return x, w, grp
}

// TestGroupedRMPGOneGroup: with one group (and with a second group whose
// line is undefined, whose units count with weight 0), groupedRMPGInfluence
// is indices.RMPGInfluenceParts at the group's line (its local part and
// its coefficient c of the line's influence function), an independent
// implementation in the scale of incomes rather than of x / z.
func TestGroupedRMPGOneGroup(t *testing.T) {
	x, w, _ := groupedSample(5, 3000, 1)
	const z, hz = 14000.0, 2100.0
	wantLocal, wantC := indices.RMPGInfluenceParts(nil, x, w, indices.Line{Z: z, Bandwidth: hz})
	one := make([]int32, len(x))
	local, c := groupedRMPGInfluence(nil, x, w, one, []float64{z}, []float64{hz})
	for k := range x {
		if !close(local[k], wantLocal[k], 1e-9) {
			t.Fatalf("unit %d: local %v, RMPGInfluenceParts %v", k, local[k], wantLocal[k])
		}
	}
	if len(c) != 1 || !close(c[0], wantC, 1e-9) {
		t.Errorf("c %v, RMPGInfluenceParts %v", c, wantC)
	}
	// A fixed line: no coefficients, the same local part.
	if fl, fc := groupedRMPGInfluence(nil, x, w, one, []float64{z}, nil); fc != nil || !close(fl[7], wantLocal[7], 1e-9) {
		t.Errorf("fixed line: c %v, local %v", fc, fl[7])
	}
	// Units of a second group without a line: weight 0.
	x2, w2, g2 := append(x[:len(x):len(x)], 900, 50000), append(w[:len(w):len(w)], 2, 3), append(one, 1, 1)
	local2, c2 := groupedRMPGInfluence(nil, x2, w2, g2, []float64{z, math.NaN()}, []float64{hz, math.NaN()})
	if local2[len(x)] != 0 || local2[len(x)+1] != 0 || !close(local2[5], wantLocal[5], 1e-9) || !close(c2[0], wantC, 1e-9) || c2[1] != 0 {
		t.Errorf("undefined line: local %v %v %v, c %v", local2[5], local2[len(x)], local2[len(x)+1], c2)
	}
	// Nobody poor: NaN.
	if nl, nc := groupedRMPGInfluence(nil, []float64{5, 6}, nil2(2), []int32{0, 0}, []float64{1}, []float64{1}); !math.IsNaN(nl[0]) || nc != nil {
		t.Errorf("nobody poor: %v %v", nl, nc)
	}
}

func nil2(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	return w
}

// groupedRMPGEstimate is the relative median poverty gap of the units of
// domain in under lines F mean_g(w) per group (each group's mean over all
// its units): 1 - the weighted median of x_i / z_g(i) over the poor of
// the domain, as poorMedianGaps.
func groupedRMPGEstimate(x, w []float64, grp []int32, in []bool, k int, F float64) float64 {
	sum, pop := make([]float64, k), make([]float64, k)
	for i, v := range x {
		sum[grp[i]] += w[i] * v
		pop[grp[i]] += w[i]
	}
	var rp, wp []float64
	for i, v := range x {
		if r := v / (F * sum[grp[i]] / pop[grp[i]]); in[i] && r < 1 {
			rp, wp = append(rp, r), append(wp, w[i])
		}
	}
	return 1 - indices.Quantile(0.5, rp, wp)
}

// TestGroupedRMPGFiniteDifferences: the influence function of the RMPG
// under a line per group (z_g = F mean_g, each estimated) predicts the
// change of the estimate when the weights move in a direction delta,
// sum_i delta_i w_i z_i, against the central difference
// (RMPG(w (1 + t delta)) - RMPG(w (1 - t delta))) / (2 t) on a large
// sample (the estimate is a step function of the weights: t is large
// enough that its steps are many and small; the kernel densities of the
// influence function are estimates of the local slopes the difference
// sees: a tolerance of 10% of the size of the two parts, the domain's and
// the lines'). The directions tilt one group's incomes (its line moves),
// and scale one group (its line does not: the domain's mix does), in the
// whole sample and in a domain that cuts across the groups. Without the
// lines' part the tilts' predictions are off by more than the tolerance:
// the test sees it.
func TestGroupedRMPGFiniteDifferences(t *testing.T) {
	if testing.Short() {
		t.Skip("large sample: skipped with -short")
	}
	const n, k, F, tstep = 1000000, 3, 0.5, 0.1
	x, w, grp := groupedSample(9, n, k)
	// The lines and their linearized variables L^(g), F (x_i - mu_g) / N_g
	// on group g, and the bandwidths of the groups' incomes.
	sum, pop := make([]float64, k), make([]float64, k)
	for i, v := range x {
		sum[grp[i]] += w[i] * v
		pop[grp[i]] += w[i]
	}
	z, hz := make([]float64, k), make([]float64, k)
	L := make([]float64, n)
	for g := range k {
		z[g] = F * sum[g] / pop[g]
		wg := make([]float64, n)
		for i := range x {
			if int(grp[i]) == g {
				wg[i] = w[i]
			}
		}
		hz[g] = indices.Bandwidth(x, wg)
	}
	for i, v := range x {
		g := grp[i]
		L[i] = F * (v - sum[g]/pop[g]) / pop[g]
	}
	mu0 := sum[0] / pop[0]
	mu2 := sum[2] / pop[2]
	directions := []struct {
		name  string
		delta func(i int) float64
		lines bool // the lines' part matters
	}{
		{"tilt group 0", func(i int) float64 { return b2f(grp[i] == 0) * (x[i]/mu0 - 1) }, true},
		{"scale group 1", func(i int) float64 { return b2f(grp[i] == 1) }, false},
		{"tilt group 2", func(i int) float64 { return b2f(grp[i] == 2) * (x[i]/mu2 - 1) }, true},
	}
	domains := []struct {
		name string
		in   func(i int) bool
	}{
		{"all", func(int) bool { return true }},
		{"even", func(i int) bool { return i%2 == 0 }},
	}
	for _, dom := range domains {
		in := make([]bool, n)
		var xs, ws []float64
		var gs []int32
		var idx []int
		for i := range x {
			if in[i] = dom.in(i); in[i] {
				xs, ws, gs, idx = append(xs, x[i]), append(ws, w[i]), append(gs, grp[i]), append(idx, i)
			}
		}
		local, c := groupedRMPGInfluence(nil, xs, ws, gs, z, hz)
		infl := make([]float64, n)
		for q, i := range idx {
			infl[i] = local[q]
		}
		full := make([]float64, n)
		for i := range x {
			full[i] = infl[i] + c[grp[i]]*L[i]
		}
		for _, dir := range directions {
			wp, wm := make([]float64, n), make([]float64, n)
			pred, predFixed := 0.0, 0.0
			for i := range x {
				d := dir.delta(i)
				wp[i], wm[i] = w[i]*(1+tstep*d), w[i]*(1-tstep*d)
				pred += d * w[i] * full[i]
				predFixed += d * w[i] * infl[i]
			}
			fd := (groupedRMPGEstimate(x, wp, grp, in, k, F) - groupedRMPGEstimate(x, wm, grp, in, k, F)) / (2 * tstep)
			// The tolerance: 10% of the two parts' size (they may cancel).
			tol := 0.1 * (math.Abs(predFixed) + math.Abs(pred-predFixed))
			t.Logf("%s, %s: influence %.5g (lines fixed %.5g), finite difference %.5g", dom.name, dir.name, pred, predFixed, fd)
			if math.Abs(pred-fd) > tol {
				t.Errorf("%s, %s: influence %.5g, finite difference %.5g", dom.name, dir.name, pred, fd)
			}
			if dir.lines && math.Abs(predFixed-fd) <= tol {
				t.Errorf("%s, %s: the lines held fixed predict %.5g, as well as with them (%.5g, finite difference %.5g)", dom.name, dir.name, predFixed, pred, fd)
			}
		}
	}
}

// provinceMeanLines returns, for the line F mean_p of each province p
// (over all its units), the indices.Line of province p: its value, its
// linearized variable F (x_i - mu_p) / N_p on the province (0 elsewhere)
// and the bandwidth of the province's incomes.
func provinceMeanLines(u *units, F float64) []indices.Line {
	prov := u.factors["province"]
	lines := make([]indices.Line, len(prov.levels))
	for p := range lines {
		wp := make([]float64, len(u.x))
		for i, c := range prov.codes {
			if int(c) == p {
				wp[i] = u.w[i]
			}
		}
		mu := indices.Mean(u.x, wp)
		infl := indices.MeanInfluence(nil, u.x, wp)
		for i := range infl {
			infl[i] *= F
		}
		lines[p] = indices.Line{Z: F * mu, Infl: infl, Bandwidth: indices.Bandwidth(u.x, wp)}
	}
	return lines
}

// provinceOf returns the province code of the row's domain, -1 without.
func provinceOf(u *units, r Result) int {
	for _, d := range r.Domain {
		if d.Column == "province" {
			return slicesIndex(u.factors["province"].levels, d.Value)
		}
	}
	return -1
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestGroupedLineRMPGAndSen: rmpg and Sen under a line per province
// (r=mean:0.5@province, each province's line estimated from its units).
// In a domain within one province (the province, a year of it) the line
// is that province's, and the SE is the national formula's, written here
// with indices: RMPGInfluence with the province's line and its linearized
// variable, SenInfluence at the province's line held fixed (Sen's method
// under a national line), indices.Linearized over the full design; the
// change between the two years of a province, Linearized of the
// difference of the two years' variables. Across provinces (the whole
// population, urban or not) the rmpg agrees with the Rao-Wu bootstrap
// (which estimates the lines again in each replicate) within 20%, under
// this line and under a median line per province (median:0.6@province).
func TestGroupedLineRMPGAndSen(t *testing.T) {
	run := func(method string, years int, line string) ([]Result, *Study, *units) {
		s, u := seTestUnitsWith(t, 4000, years, func(s *Study) {
			s.SEMethod, s.Replicates, s.Seed = method, 400, 23
			s.Domains = [][]string{{"province"}, {"urban"}}
			if years > 1 {
				s.Domains, s.Time = [][]string{{"year", "province"}}, "year"
			}
		}, []string{"headcount", "sen", "rmpg"}, line)
		res, _, err := tabulate(t.Context(), s, u)
		if err != nil {
			t.Fatal(err)
		}
		return res, s, u
	}
	const mean = "r=mean:0.5@province"
	lin, s, u := run("linearized", 1, mean)
	e, err := newVarEngine(s, u)
	if err != nil {
		t.Fatal(err)
	}
	lines := provinceMeanLines(u, 0.5)
	checked := map[string]int{}
	for _, r := range lin {
		p := provinceOf(u, r)
		if p < 0 || (r.Indicator != "rmpg" && r.Indicator != "sen") {
			continue
		}
		wd := domainWeights(u, r)
		var want float64
		switch r.Indicator {
		case "rmpg":
			want = indices.Linearized(e.design, indices.RMPGInfluence(nil, u.x, wd, lines[p])).SE
			if r.SEMethod != e.methodName() {
				t.Errorf("rmpg %v: method %q", r.Domain, r.SEMethod)
			}
		case "sen":
			want = indices.Linearized(e.design, indices.SenInfluence(nil, u.x, wd, lines[p].Z)).SE
			if r.SEMethod != e.methodName()+", line fixed" {
				t.Errorf("sen %v: method %q", r.Domain, r.SEMethod)
			}
		}
		if !close(r.SE, want, 1e-6) {
			t.Errorf("%s %v: SE %.10g, indices %.10g", r.Indicator, r.Domain, r.SE, want)
		}
		if lo, hi := e.interval(r.Estimate, r.SE); !close(r.CILower, lo, 1e-12) || !close(r.CIUpper, hi, 1e-12) {
			t.Errorf("%s %v: interval [%v, %v], want [%v, %v]", r.Indicator, r.Domain, r.CILower, r.CIUpper, lo, hi)
		}
		checked[r.Indicator]++
	}
	if np := len(lines); checked["rmpg"] != np || checked["sen"] != np {
		t.Errorf("rows checked %v, want %d of each", checked, np)
	}

	// Across provinces: the bootstrap, under the mean line and a median
	// line per province.
	for _, line := range []string{mean, "p=median:0.6@province"} {
		if testing.Short() {
			break
		}
		lin, _, u := run("linearized", 1, line)
		boot, _, _ := run("bootstrap", 1, line)
		across := 0
		for i, r := range lin {
			if r.Indicator != "rmpg" || provinceOf(u, r) >= 0 {
				continue
			}
			b := boot[i]
			if b.Indicator != r.Indicator || b.Line != r.Line || len(b.Domain) != len(r.Domain) {
				t.Fatalf("rows differ: %v %v", r, b)
			}
			t.Logf("rmpg %s %v: linearized SE %.4g, bootstrap %.4g", line, r.Domain, r.SE, b.SE)
			if !(r.SE > 0) || math.Abs(r.SE-b.SE) > 0.2*b.SE {
				t.Errorf("rmpg %s %v: linearized SE %v, bootstrap %v", line, r.Domain, r.SE, b.SE)
			}
			across++
		}
		if across != 3 { // the whole population, urban and not
			t.Errorf("%d rows across provinces, want 3", across)
		}
	}

	// The change between two years of a province.
	lin2, s2, u2 := run("linearized", 2, mean)
	e2, err := newVarEngine(s2, u2)
	if err != nil {
		t.Fatal(err)
	}
	lines2 := provinceMeanLines(u2, 0.5)
	byKey := map[string]Result{}
	for _, r := range lin2 {
		byKey[resultKey(r.Indicator, r.Line, r.Domain)] = r
	}
	changes := 0
	for _, r := range lin2 {
		if r.Indicator != "rmpg_change" && r.Indicator != "sen_change" {
			continue
		}
		p := provinceOf(u2, r)
		cur := byKey[resultKey(r.Indicator[:len(r.Indicator)-len("_change")], r.Line, r.Domain)]
		prevDom := append([]DomainValue(nil), r.Domain...)
		years := u2.factors["year"].levels
		for k := range prevDom {
			if prevDom[k].Column == "year" {
				prevDom[k].Value = years[slicesIndex(years, prevDom[k].Value)-1]
			}
		}
		prev := byKey[resultKey(cur.Indicator, r.Line, prevDom)]
		za, zb := make([]float64, len(u2.x)), make([]float64, len(u2.x))
		switch cur.Indicator {
		case "rmpg":
			za = indices.RMPGInfluence(za, u2.x, domainWeights(u2, cur), lines2[p])
			zb = indices.RMPGInfluence(zb, u2.x, domainWeights(u2, prev), lines2[p])
		case "sen":
			za = indices.SenInfluence(za, u2.x, domainWeights(u2, cur), lines2[p].Z)
			zb = indices.SenInfluence(zb, u2.x, domainWeights(u2, prev), lines2[p].Z)
		}
		for i := range za {
			za[i] -= zb[i]
		}
		want := indices.Linearized(e2.design, za).SE
		if !close(r.SE, want, 1e-6) || r.SEMethod == "unavailable" {
			t.Errorf("%s %v: SE %.10g (%s), indices %.10g", r.Indicator, r.Domain, r.SE, r.SEMethod, want)
		}
		changes++
	}
	if np := len(lines2); changes != 2*np {
		t.Errorf("%d changes checked, want %d", changes, 2*np)
	}
}

// TestGroupedSenInfluence: groupedSenInfluence (the r_k in order, the
// non-poor at 1) is indices.SenInfluence of the units' x_k / z_grp(k) at
// the line 1 in unit order (its sorting path), unit for unit, and 0 for
// units of a group without a line.
func TestGroupedSenInfluence(t *testing.T) {
	x, w, grp := groupedSample(13, 2000, 3)
	z := []float64{9000, 14000, math.NaN()}
	r, wr := make([]float64, len(x)), make([]float64, len(x))
	for k, v := range x {
		if zg := z[grp[k]]; zg > 0 {
			r[k], wr[k] = v/zg, w[k]
		}
	}
	want := indices.SenInfluence(nil, r, wr, 1)
	got := groupedSenInfluence(nil, x, w, grp, z)
	for k := range x {
		if !close(got[k], want[k], 1e-9) && math.Abs(got[k]-want[k]) > 1e-15 {
			t.Fatalf("unit %d (group %d): %v, SenInfluence %v", k, grp[k], got[k], want[k])
		}
		if grp[k] == 2 && got[k] != 0 {
			t.Fatalf("unit %d of a group without a line: %v", k, got[k])
		}
	}
}
