package pipeline

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/povstat/povstat/indices"
)

// psuCov is the textbook stratified with-replacement covariance of the
// totals of w*za and w*zb, written out over the PSU totals (no sparse sums):
// sum_h n_h/(n_h-1) sum_p (ta_hp - tabar_h)(tb_hp - tbbar_h).
func psuCov(strata, psu []int32, w, za, zb []float64) float64 {
	type key struct{ h, p int32 }
	ta, tb := map[key]float64{}, map[key]float64{}
	for i := range w {
		k := key{strata[i], psu[i]}
		ta[k] += w[i] * za[i]
		tb[k] += w[i] * zb[i]
	}
	byH := map[int32][]key{}
	for k := range ta {
		byH[k.h] = append(byH[k.h], k)
	}
	cov := 0.0
	for _, ks := range byH {
		n := float64(len(ks))
		if n < 2 {
			continue
		}
		ma, mb := 0.0, 0.0
		for _, k := range ks {
			ma += ta[k] / n
			mb += tb[k] / n
		}
		for _, k := range ks {
			cov += n / (n - 1) * (ta[k] - ma) * (tb[k] - mb)
		}
	}
	return cov
}

// meanVariable is the linearized variable of the weighted mean of x over
// the units in (zero outside).
func meanVariable(x, w []float64, in []bool) []float64 {
	var pop, tot float64
	for i := range x {
		if in[i] {
			pop += w[i]
			tot += w[i] * x[i]
		}
	}
	z := make([]float64, len(x))
	for i := range x {
		if in[i] {
			z[i] = (x[i] - tot/pop) / pop
		}
	}
	return z
}

// TestDomainDifferenceEUSILC: the SE of the difference of two domains'
// mean incomes (women and men, who share households, the PSUs: a positive
// covariance) equals sqrt(V1 + V2 - 2 Cov) with the covariance computed by
// hand over the PSU totals; the domain column serves as "time", so the
// change row is women minus men.
func TestDomainDifferenceEUSILC(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "eusilc.parquet")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared reference data not available: %v", err)
	}
	s := &Study{Name: "eusilc", Inputs: []string{path}, Income: "eqIncome", Weight: "rb050",
		Strata: "db040", PSU: "db030", Domains: [][]string{{"rb090"}}, Time: "rb090",
		Indicators: []string{"mean", "headcount"}}
	out := runTest(t, s, "fixed=abs:10859.236")
	d, err := load(t.Context(), s, loadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u := d.u
	e, err := newVarEngine(s, u)
	if err != nil {
		t.Fatal(err)
	}
	strata := make([]int32, len(u.x))
	for i, p := range e.psu {
		strata[i] = e.stratumOf[p]
	}
	sex := u.factors["rb090"]
	in := func(level string) []bool {
		m := make([]bool, len(u.x))
		for i, c := range sex.codes {
			m[i] = sex.levels[c] == level
		}
		return m
	}
	// Levels sort as "female" < "male": the change row is male - female.
	za, zb := meanVariable(u.x, u.w, in("male")), meanVariable(u.x, u.w, in("female"))
	va := psuCov(strata, e.psu, u.w, za, za)
	vb := psuCov(strata, e.psu, u.w, zb, zb)
	cov := psuCov(strata, e.psu, u.w, za, zb)
	if !(cov > 0) {
		t.Fatalf("covariance of the two sexes' means %v, want > 0 (shared households)", cov)
	}
	want := math.Sqrt(va + vb - 2*cov)
	var got *Result
	for i, r := range out.Results {
		if r.Indicator == "mean_change" {
			got = &out.Results[i]
		}
	}
	if got == nil {
		t.Fatal("no mean_change row")
	}
	if !close(got.SE, want, 1e-9) {
		t.Errorf("SE of male - female mean %.12g, hand formula %.12g (independent: %.12g)", got.SE, want, math.Sqrt(va+vb))
	}
	if got.CILower >= got.Estimate || got.CIUpper <= got.Estimate {
		t.Errorf("interval [%v, %v] around %v", got.CILower, got.CIUpper, got.Estimate)
	}
}

// TestYearChangeLinearizedVsBootstrap: on a household panel (the same
// households and PSUs in both years), the linearized SE of the change of
// the headcount under a fixed line and of the mean agrees with the Rao-Wu
// bootstrap's (whose relative Monte-Carlo error with R = 400 is about
// 1/sqrt(2R) = 3.5%) within 15%, and is below the SE that ignores the
// covariance, sqrt(V1 + V2).
func TestYearChangeLinearizedVsBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("bootstrap: skipped with -short")
	}
	run := func(method string) []Result {
		s, u := seTestUnitsWith(t, 3000, 2, func(s *Study) {
			s.Domains, s.Time = [][]string{{"year"}}, "year"
			s.SEMethod, s.Replicates, s.Seed = method, 400, 7
		}, []string{"mean", "headcount"}, "fixed=abs:12000")
		res, _, err := tabulate(t.Context(), s, u)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	lin, boot := run("linearized"), run("bootstrap")
	find := func(rs []Result, ind string, year string) Result {
		for _, r := range rs {
			if r.Indicator == ind && len(r.Domain) == 1 && r.Domain[0].Value == year {
				return r
			}
		}
		t.Fatalf("no %s row in year %s", ind, year)
		return Result{}
	}
	for _, ind := range []string{"mean", "headcount"} {
		var years []string
		for _, r := range lin {
			if r.Indicator == ind && len(r.Domain) == 1 {
				years = append(years, r.Domain[0].Value)
			}
		}
		if len(years) != 2 {
			t.Fatalf("%s: years %v", ind, years)
		}
		year1 := years[1]
		cl, cb := find(lin, ind+"_change", year1), find(boot, ind+"_change", year1)
		if cl.SEMethod == "unavailable" || !(cl.SE > 0) {
			t.Fatalf("%s change: SE %v (%s)", ind, cl.SE, cl.SEMethod)
		}
		t.Logf("%s change %v: linearized SE %v (%s), bootstrap %v", ind, cl.Estimate, cl.SE, cl.SEMethod, cb.SE)
		if math.Abs(cl.SE-cb.SE) > 0.15*cb.SE {
			t.Errorf("%s change: linearized SE %v, bootstrap %v", ind, cl.SE, cb.SE)
		}
		a, b := find(lin, ind, years[0]), find(lin, ind, year1)
		if noCov := math.Hypot(a.SE, b.SE); !(cl.SE < noCov) {
			t.Errorf("%s change: SE %v, not below %v (panel covariance ignored?)", ind, cl.SE, noCov)
		}
	}
}

// linearizedWithDiff runs the study as tabulate does with linearized SEs,
// keeping every row's linearized variable, and returns the results and
// the SE of the difference of two of them.
func linearizedWithDiff(t *testing.T, s *Study, u *units) ([]Result, func(a, b int) (float64, float64, string)) {
	t.Helper()
	ctx := t.Context()
	ns := *s
	ns.SEMethod = "none"
	results, _, err := tabulate(ctx, &ns, u)
	if err != nil {
		t.Fatal(err)
	}
	want := wants{}
	for _, name := range s.Indicators {
		want[name] = true
	}
	p, err := makePlan(ctx, s, u, want)
	if err != nil {
		t.Fatal(err)
	}
	finest := p.groupings[colsKey(p.finestCols)]
	rep := representatives(finest)
	lines := make([]*lineValues, len(s.Lines))
	cells := make([][]lineSums, len(s.Lines))
	for i, l := range s.Lines {
		if lines[i], err = p.evalLine(u, l); err != nil {
			t.Fatal(err)
		}
		cells[i] = cellSums(u, finest, rep, lines[i])
	}
	e, err := newVarEngine(s, u)
	if err != nil {
		t.Fatal(err)
	}
	j := &seJob{s: s, u: u, p: p, e: e, order: sortedOrder(u), cells: cells, keepRecords: true}
	diff, err := addStandardErrors(ctx, j, lines, results)
	if err != nil {
		t.Fatal(err)
	}
	return results, diff
}

// TestDifferenceRowsEUSILC: the SEs of differences between lines (in a
// domain) and between a domain and the whole population, against
// independent computations: fixed lines and means by the hand formula
// sqrt(V1 + V2 - 2 Cov) over PSU totals; estimated lines (their own
// variance, which partly cancels) by indices' unit-level influence
// functions and indices.Linearized over the full design.
func TestDifferenceRowsEUSILC(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "eusilc.parquet")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared reference data not available: %v", err)
	}
	s := &Study{Name: "eusilc", Inputs: []string{path}, Income: "eqIncome", Weight: "rb050",
		Strata: "db040", PSU: "db030", Domains: [][]string{{"db040"}}, SEMethod: "linearized",
		Indicators: []string{"mean", "headcount"}}
	for _, l := range []string{"fixed=abs:10859.236", "f12=abs:12000", "arpr=median:0.6", "m50=median:0.5"} {
		line, err := ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		s.Lines = append(s.Lines, line)
	}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	d, err := load(t.Context(), s, loadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u := d.u
	results, diff := linearizedWithDiff(t, s, u)
	rows := differenceRows(s.Lines, results, diff, "lines", "domains")
	find := func(ind, line, region string) Result {
		for _, r := range rows {
			if r.Indicator == ind && r.Line == line && ((region == "" && len(r.Domain) == 0) || (len(r.Domain) == 1 && r.Domain[0].Value == region)) {
				return r
			}
		}
		t.Fatalf("no row %s %s %s", ind, line, region)
		return Result{}
	}
	e, err := newVarEngine(s, u)
	if err != nil {
		t.Fatal(err)
	}
	strata := make([]int32, len(u.x))
	for i, p := range e.psu {
		strata[i] = e.stratumOf[p]
	}
	region := u.factors["db040"]
	vienna, all := make([]bool, len(u.x)), make([]bool, len(u.x))
	wd := make([]float64, len(u.x))
	for i, c := range region.codes {
		all[i] = true
		if region.levels[c] == "Vienna" {
			vienna[i], wd[i] = true, u.w[i]
		}
	}
	hand := func(za, zb []float64) float64 {
		return math.Sqrt(psuCov(strata, e.psu, u.w, za, za) + psuCov(strata, e.psu, u.w, zb, zb) - 2*psuCov(strata, e.psu, u.w, za, zb))
	}
	// A domain against the whole population (the domain is part of it).
	r := find("mean_vs_all", "", "Vienna")
	if want := hand(meanVariable(u.x, u.w, vienna), meanVariable(u.x, u.w, all)); !close(r.SE, want, 1e-9) {
		t.Errorf("mean Vienna - all: SE %.12g, hand %.12g", r.SE, want)
	}
	// Two fixed lines, the whole population and Vienna.
	headcount := func(z float64, in []bool) []float64 {
		var pop, poor float64
		for i := range u.x {
			if in[i] {
				pop += u.w[i]
				poor += u.w[i] * b2f(u.x[i] < z)
			}
		}
		out := make([]float64, len(u.x))
		for i := range u.x {
			if in[i] {
				out[i] = (b2f(u.x[i] < z) - poor/pop) / pop
			}
		}
		return out
	}
	for _, dom := range []struct {
		name string
		in   []bool
	}{{"", all}, {"Vienna", vienna}} {
		r := find("headcount_diff", "fixed|f12", dom.name)
		if want := hand(headcount(10859.236, dom.in), headcount(12000, dom.in)); !close(r.SE, want, 1e-9) {
			t.Errorf("headcount fixed - f12 %q: SE %.12g, hand %.12g", dom.name, r.SE, want)
		}
		if !(r.Estimate < 0) {
			t.Errorf("headcount fixed - f12 %q: %v, want < 0", dom.name, r.Estimate)
		}
	}
	// Estimated lines: unit-level influence functions over the full design.
	arpr := indices.RelativeLine(nil, u.x, u.w, 0.5, 0.6)
	m50 := indices.RelativeLine(nil, u.x, u.w, 0.5, 0.5)
	dense := func(a, b []float64) float64 {
		z := make([]float64, len(a))
		for i := range z {
			z[i] = a[i] - b[i]
		}
		return indices.Linearized(e.design, z).SE
	}
	for _, tt := range []struct {
		ind, line, dom string
		want           float64
	}{
		{"headcount_diff", "arpr|m50", "", dense(indices.ARPRInfluence(nil, u.x, u.w, arpr), indices.ARPRInfluence(nil, u.x, u.w, m50))},
		{"headcount_diff", "arpr|m50", "Vienna", dense(indices.ARPRInfluence(nil, u.x, wd, arpr), indices.ARPRInfluence(nil, u.x, wd, m50))},
		{"headcount_diff", "f12|arpr", "Vienna", dense(indices.FGTInfluence(nil, u.x, wd, 12000, 0), indices.ARPRInfluence(nil, u.x, wd, arpr))},
		{"headcount_vs_all", "arpr", "Vienna", dense(indices.ARPRInfluence(nil, u.x, wd, arpr), indices.ARPRInfluence(nil, u.x, u.w, arpr))},
	} {
		r := find(tt.ind, tt.line, tt.dom)
		if !close(r.SE, tt.want, 1e-9) {
			t.Errorf("%s %s %q: SE %.12g, dense %.12g", tt.ind, tt.line, tt.dom, r.SE, tt.want)
		}
	}
	// The line pairs in study order, and no difference of a row with itself.
	for _, r := range rows {
		if r.Line == "m50|arpr" || r.Line == "arpr|arpr" {
			t.Errorf("unexpected row %s %s", r.Indicator, r.Line)
		}
	}
}

// TestLineValueEUSILC: the SE of the at-risk-of-poverty threshold (60% of
// the median) is 0.6 times Woodruff's SE of the median, R survey's
// svyquantile 150.190778550909 (the shared data's README), within 2%.
func TestLineValueEUSILC(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "eusilc.parquet")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared reference data not available: %v", err)
	}
	s := &Study{Name: "eusilc", Inputs: []string{path}, Income: "eqIncome", Weight: "rb050",
		Strata: "db040", PSU: "db030", Indicators: []string{"line"}}
	out := runTest(t, s, "arpr=median:0.6")
	r := find(t, out.Results, "line", "arpr", "")
	if want := 0.6 * 150.190778550909; math.Abs(r.SE-want) > 0.02*want {
		t.Errorf("arpt SE %v (%s), 0.6 x svyquantile %v", r.SE, r.SEMethod, want)
	}
}
