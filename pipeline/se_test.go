package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/povstat/povstat/datasets/synth"
	"github.com/povstat/povstat/indices"
)

// naiveVariance is the textbook stratified with-replacement variance of a
// total of w*z over the full sample (no sparse sums, no shortcuts):
// sum_h n_h/(n_h-1) sum_p (t_hp - tbar_h)^2.
func naiveVariance(strata, psu []int32, w, z []float64) float64 {
	type key struct{ h, p int32 }
	tot := map[key]float64{}
	for i := range w {
		tot[key{strata[i], psu[i]}] += w[i] * z[i]
	}
	byH := map[int32][]float64{}
	for k, t := range tot {
		byH[k.h] = append(byH[k.h], t)
	}
	v := 0.0
	for _, ts := range byH {
		n := float64(len(ts))
		if n < 2 {
			continue
		}
		mean := 0.0
		for _, t := range ts {
			mean += t / n
		}
		for _, t := range ts {
			v += n / (n - 1) * (t - mean) * (t - mean)
		}
	}
	return v
}

func TestDomainVariancesHandWorked(t *testing.T) {
	// Two strata with two PSUs each; units (stratum, psu, w, z):
	// h0: p0 {(1, 2), (1, 1)} -> t = 3; p1 {(2, 1)} -> t = 2
	// h1: p2 {(1, 4)} -> t = 4;       p3 {(3, 0)} -> t = 0
	// V = 2/1 * ((3-2.5)^2 + (2-2.5)^2) + 2/1 * ((4-2)^2 + (0-2)^2) = 1 + 16 = 17.
	e := &varEngine{psu: []int32{0, 0, 1, 2, 3}, stratumOf: []int32{0, 0, 1, 1},
		design: indices.Design{Strata: []int32{0, 0, 0, 1, 1}, PSU: []int32{0, 0, 1, 2, 3}, Lonely: indices.LonelyAdjust}}
	w := []float64{1, 1, 2, 1, 3}
	z := []float64{2, 1, 1, 4, 0}
	v, _ := e.domainVariances(newDomainMembers(make([]int32, 5), 1), w, linVar{a: z})
	if math.Abs(v[0]-17) > 1e-12 {
		t.Errorf("V = %v, want 17", v[0])
	}
	// Two domains {units 0, 2, 3} and {1, 4}: each equals the full-sample
	// variance of the variable set to zero outside it.
	codes := []int32{0, 1, 0, 0, 1}
	v, _ = e.domainVariances(newDomainMembers(codes, 2), w, linVar{a: z})
	strata := []int32{0, 0, 0, 1, 1}
	for d := int32(0); d < 2; d++ {
		zd := make([]float64, len(z))
		for i := range z {
			if codes[i] == d {
				zd[i] = z[i]
			}
		}
		if want := naiveVariance(strata, e.psu, w, zd); math.Abs(v[d]-want) > 1e-12 {
			t.Errorf("domain %d: V = %v, zero-weight full-sample V = %v", d, v[d], want)
		}
	}
	// With a global part: a + c_d L equals the naive variance of that sum.
	L := []float64{1, -2, 0.5, 3, 1}
	c := []float64{0.7, -1.3}
	v, _ = e.domainVariances(newDomainMembers(codes, 2), w, linVar{a: z, c: c, L: L})
	for d := int32(0); d < 2; d++ {
		zd := make([]float64, len(z))
		for i := range z {
			if codes[i] == d {
				zd[i] = z[i]
			}
			zd[i] += c[d] * L[i]
		}
		if want := naiveVariance(strata, e.psu, w, zd); math.Abs(v[d]-want) > 1e-12 {
			t.Errorf("domain %d with a line part: V = %v, want %v", d, v[d], want)
		}
	}
}

// TestStandardErrorsEUSILC compares with R survey 4.5 and convey 1.0.1 on
// laeken's EU-SILC sample: design ids = db030, strata = db040, weights rb050
// (shared/data/README.md).
func TestStandardErrorsEUSILC(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "eusilc.parquet")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared reference data not available: %v", err)
	}
	s := &Study{Name: "eusilc", Inputs: []string{path}, Income: "eqIncome", Weight: "rb050",
		Strata: "db040", PSU: "db030", Domains: [][]string{{"db040"}},
		Indicators: []string{"mean", "median", "headcount", "line", "gini", "qsr", "rmpg", "theil_t", "sen", "generalized_lorenz"}}
	for _, l := range []string{"arpr=median:0.6", "fixed=abs:10859.236"} {
		line, err := ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		s.Lines = append(s.Lines, line)
	}
	out := runTest(t, s)
	for _, tt := range []struct {
		ind, line string
		want, rel float64
	}{
		{"mean", "", 141.164079555672, 1e-9},              // survey::svymean
		{"headcount", "fixed", 0.00498178065227845, 1e-9}, // svymean of the 0/1 indicator
		{"headcount", "arpr", 0.00475954283218169, 0.02},  // convey::svyarpr (kernel density)
		{"median", "", 150.190778550909, 0.02},            // svyquantile, Woodruff
	} {
		r := find(t, out.Results, tt.ind, tt.line, "")
		if math.Abs(r.SE-tt.want) > tt.rel*tt.want {
			t.Errorf("%s %s: SE %.15g, R %.15g (rel. diff %.2g)", tt.ind, tt.line, r.SE, tt.want, math.Abs(r.SE-tt.want)/tt.want)
		}
	}
	// GL(1) is the mean: its SE is survey::svymean's.
	for _, r := range out.Results {
		if r.Indicator == "generalized_lorenz" && *r.At == 1 && len(r.Domain) == 0 && math.Abs(r.SE-141.164079555672) > 1e-9*141.164079555672 {
			t.Errorf("generalized_lorenz at 1: SE %.15g, R's of the mean 141.164079555672", r.SE)
		}
	}
	med := find(t, out.Results, "median", "", "")
	if math.Abs(med.CILower-17842.324) > 1e-6 || math.Abs(med.CIUpper-18431.18) > 1e-6 {
		t.Errorf("median CI [%v, %v], R [17842.324, 18431.18]", med.CILower, med.CIUpper)
	}
	// Indicators with influence functions in indices (their values are
	// checked there by finite differences; here that they arrive, with the
	// same SE as indices' own computation on the full sample).
	for _, tt := range []struct {
		ind, line string
		lo, hi    float64
	}{{"gini", "", 0.002, 0.005}, {"qsr", "", 0.04, 0.1}, {"rmpg", "arpr", 0.005, 0.02}, {"theil_t", "", 0.001, 0.01}, {"sen", "arpr", 0.001, 0.01}} {
		r := find(t, out.Results, tt.ind, tt.line, "")
		if !(r.SE > tt.lo && r.SE < tt.hi) || r.SEMethod == "unavailable" {
			t.Errorf("%s SE %v (%s), want between %v and %v", tt.ind, r.SE, r.SEMethod, tt.lo, tt.hi)
		}
	}
	// A domain's SE comes from the full design: every region has one.
	r := find(t, out.Results, "headcount", "fixed", "db040=Vienna")
	if !(r.SE > 0) || r.SEMethod == "unavailable" {
		t.Errorf("Vienna headcount SE %v (%s)", r.SE, r.SEMethod)
	}
}

func TestBootstrapEUSILC(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "eusilc.parquet")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared reference data not available: %v", err)
	}
	run := func(seed uint64) []Result {
		s := &Study{Name: "eusilc", Inputs: []string{path}, Income: "eqIncome", Weight: "rb050",
			Strata: "db040", PSU: "db030", SEMethod: "bootstrap", Replicates: 300, Seed: seed,
			Indicators: []string{"mean", "headcount", "gini", "line"}}
		out := runTest(t, s, "fixed=abs:10859.236")
		return out.Results
	}
	a := run(11)
	// 300 replicates: the SE of a bootstrap SE is about 1/sqrt(600) = 4%;
	// 15% is nearly 4 sd, and resampling persons instead of households
	// (about -40%) or forgetting the rescaling cannot pass.
	for _, tt := range []struct {
		ind, line string
		want      float64
	}{{"mean", "", 141.164079555672}, {"headcount", "fixed", 0.00498178065227845}} {
		r := find(t, a, tt.ind, tt.line, "")
		if math.Abs(r.SE-tt.want) > 0.15*tt.want || !strings.HasPrefix(r.SEMethod, "bootstrap") {
			t.Errorf("%s: bootstrap SE %v (%s), linearized %v", tt.ind, r.SE, r.SEMethod, tt.want)
		}
	}
	if r := find(t, a, "gini", "", ""); !(r.SE > 0 && r.SE < 0.01) {
		t.Errorf("gini bootstrap SE %v", r.SE)
	}
	if r := find(t, a, "line", "fixed", ""); r.SE != 0 {
		t.Errorf("an absolute line has SE %v, want 0", r.SE)
	}
	if !bytes.Equal(EncodeJSON(a), EncodeJSON(run(11))) {
		t.Error("same seed, different results")
	}
	if bytes.Equal(EncodeJSON(a), EncodeJSON(run(12))) {
		t.Error("different seeds, same results")
	}
}

// TestDomainArprAgainstIndices computes the SE of a regional at-risk-of-
// poverty rate under the national line twice: by the pipeline's sparse
// domain engine and by indices.ARPRInfluence on the full sample with zero
// weights outside the region (convey's svyarpr on a subset).
func TestDomainArprAgainstIndices(t *testing.T) {
	s, out := eusilcByRegion(t, "headcount")
	u, e, strata := studyDesign(t, s)
	ref := indices.RelativeLine(nil, u.x, u.w, 0.5, 0.6)
	region := u.factors["db040"]
	for code, name := range region.levels {
		w := make([]float64, len(u.w))
		for i, c := range region.codes {
			if int(c) == code {
				w[i] = u.w[i]
			}
		}
		infl := indices.ARPRInfluence(nil, u.x, w, ref)
		want := indices.Linearized(indices.Design{Strata: strata, PSU: e.psu, Weights: u.w, Lonely: indices.LonelyAdjust}, infl).SE
		got := find(t, out.Results, "headcount", "arpr", "db040="+name).SE
		if math.Abs(got-want) > 1e-9*want {
			t.Errorf("%s: pipeline SE %.15g, indices %.15g", name, got, want)
		}
	}
}

// TestDomainRMPGLineVariance: the RMPG of a region under the national
// estimated line carries the line's variance from every unit of the
// sample, not only the region's.
func TestDomainRMPGLineVariance(t *testing.T) {
	s, out := eusilcByRegion(t, "rmpg")
	u, e, strata := studyDesign(t, s)
	ref := indices.RelativeLine(nil, u.x, u.w, 0.5, 0.6)
	region := u.factors["db040"]
	w := make([]float64, len(u.w))
	for i, c := range region.codes {
		if region.levels[c] == "Vienna" {
			w[i] = u.w[i]
		}
	}
	infl := indices.RMPGInfluence(nil, u.x, w, ref)
	want := indices.Linearized(indices.Design{Strata: strata, PSU: e.psu, Weights: u.w, Lonely: indices.LonelyAdjust}, infl).SE
	if got := find(t, out.Results, "rmpg", "arpr", "db040=Vienna").SE; math.Abs(got-want) > 1e-12*want {
		t.Errorf("Vienna rmpg SE %v, want %v", got, want)
	}
}

// TestBootstrapChangeInPanel: in a panel the same households are observed
// every year, so estimates of two years are positively correlated and the
// bootstrap SE of their difference, which keeps the covariance, is below
// what independent samples would give, sqrt(se1^2 + se2^2).
func TestBootstrapChangeInPanel(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), dir, synth.Config{Households: 4000, Years: 2, FirstYear: 2020, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "panel", Inputs: []string{dir}, Income: "income", Weight: "weight", Size: "hh_size",
		Domains: [][]string{{"year"}}, Time: "year", Strata: "stratum", PSU: "psu",
		SEMethod: "bootstrap", Replicates: 200, Seed: 5, Indicators: []string{"mean", "headcount"}}
	out := runTest(t, s, "z=abs:12000")
	for _, tt := range []struct{ ind, line string }{{"mean", ""}, {"headcount", "z"}} {
		a := find(t, out.Results, tt.ind, tt.line, "year=2020")
		b := find(t, out.Results, tt.ind, tt.line, "year=2021")
		c := find(t, out.Results, tt.ind+"_change", tt.line, "year=2021")
		independent := math.Sqrt(a.SE*a.SE + b.SE*b.SE)
		if !(c.SE > 0 && c.SE < 0.9*independent) || !strings.HasPrefix(c.SEMethod, "bootstrap") {
			t.Errorf("%s change SE %v (%s); years %v and %v, independent %v", tt.ind, c.SE, c.SEMethod, a.SE, b.SE, independent)
		}
		if math.Abs(c.Estimate-(b.Estimate-a.Estimate)) > 1e-9*math.Abs(b.Estimate) {
			t.Errorf("%s change %v, want %v", tt.ind, c.Estimate, b.Estimate-a.Estimate)
		}
	}
}

// studyDesign loads a study's units and builds its design, for tests that
// recompute a variance with indices directly.
func studyDesign(t *testing.T, s *Study) (*units, *varEngine, []int32) {
	t.Helper()
	d, err := load(context.Background(), s, loadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := newVarEngine(s, d.u)
	if err != nil {
		t.Fatal(err)
	}
	strata := make([]int32, len(d.u.x))
	for i, p := range e.psu {
		strata[i] = e.stratumOf[p]
	}
	return d.u, e, strata
}

// TestSuppliedReplicateWeights: JK1 replicate weights shipped with the
// data (each unit its own PSU, one left out per replicate) give the
// delete-one jackknife variance of the weighted mean, computed here by hand.
func TestSuppliedReplicateWeights(t *testing.T) {
	x := []float64{3, 7, 1, 9, 4, 6}
	w := []float64{1, 2, 1, 3, 2, 1}
	n := len(x)
	var b strings.Builder
	b.WriteString("income,weight")
	for r := 1; r <= n; r++ {
		fmt.Fprintf(&b, ",wr%d", r)
	}
	b.WriteString("\n")
	theta := make([]float64, n)
	for i := range x {
		fmt.Fprintf(&b, "%v,%v", x[i], w[i])
		for r := 0; r < n; r++ {
			rw := w[i] * float64(n) / float64(n-1)
			if r == i {
				rw = 0
			}
			fmt.Fprintf(&b, ",%v", rw)
		}
		b.WriteString("\n")
	}
	for r := range theta {
		var sw, swx float64
		for i := range x {
			if i != r {
				sw += w[i]
				swx += w[i] * x[i]
			}
		}
		theta[r] = swx / sw
	}
	mean := 0.0
	for _, v := range theta {
		mean += v / float64(n)
	}
	want := 0.0
	for _, v := range theta {
		want += float64(n-1) / float64(n) * (v - mean) * (v - mean)
	}
	path := filepath.Join(t.TempDir(), "rep.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "rep", Inputs: []string{path}, Income: "income", Weight: "weight",
		RepWeights: "wr*", RepType: "JK1", Indicators: []string{"mean"}}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	if s.SEMethod != "replicates" {
		t.Fatalf("method %q, want replicates", s.SEMethod)
	}
	out, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	r := find(t, out.Results, "mean", "", "")
	if math.Abs(r.SE-math.Sqrt(want)) > 1e-12 {
		t.Errorf("JK1 SE %v, jackknife by hand %v (%s)", r.SE, math.Sqrt(want), r.SEMethod)
	}
	s.RepWeights = "nothing*"
	if _, err := Run(context.Background(), s); err == nil || !strings.Contains(err.Error(), "nothing*") {
		t.Errorf("err = %v, want one naming the pattern", err)
	}
}

// TestFPCScalesVariance: a sampling fraction f in every stratum multiplies
// the variance by 1 - f; a row without one is excluded and counted.
func TestFPCScalesVariance(t *testing.T) {
	data := "income,weight,stratum,f\n1,1,a,0.75\n4,2,a,0.75\n2,1,a,0.75\n8,1,b,0.75\n3,3,b,0.75\n5,1,b,0.75\n9,1,b,\n"
	path := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(fpc string) *Output {
		s := &Study{Name: "f", Inputs: []string{path}, Income: "income", Weight: "weight", Strata: "stratum", FPC: fpc,
			Indicators: []string{"mean"}}
		out := runTest(t, s)
		return out
	}
	with := run("f")
	rules := map[string]int{}
	for _, c := range with.Manifest.Rows.Rules {
		rules[c.Rule] = c.Rows
	}
	if rules["missing sampling fraction"] != 1 {
		t.Fatalf("rules %v, want the row without a fraction excluded", rules)
	}
	// Without the FPC column the last row is kept: compare with the same
	// rows by dropping it from the data.
	if err := os.WriteFile(path, []byte(strings.TrimSuffix(data, "9,1,b,\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	without := run("")
	a, b := find(t, with.Results, "mean", "", "").SE, find(t, without.Results, "mean", "", "").SE
	if math.Abs(a-b*math.Sqrt(0.25)) > 1e-12 {
		t.Errorf("SE with f = 0.75: %v, without: %v; want a ratio of 0.5", a, b)
	}
}

// TestRatioSEByFiniteDifferences checks the linearized variable of the
// urban/rural ratio of mean incomes against numerical derivatives of the
// ratio with respect to each unit's weight.
func TestRatioSEByFiniteDifferences(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), dir, synth.Config{Households: 600, Years: 1, FirstYear: 2020, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "ratio", Inputs: []string{dir}, Income: "income", Weight: "weight",
		Strata: "stratum", PSU: "psu", Ratios: []Ratio{{Column: "urban", Numerator: "true", Denominator: "false"}},
		Indicators: []string{"ratio"}}
	out := runTest(t, s)
	got := find(t, out.Results, "ratio", "", "")
	u, e, strata := studyDesign(t, s)
	urban := u.factors["urban"]
	ratio := func(w []float64) float64 {
		var na, ya, nb, yb float64
		for i, x := range u.x {
			if urban.levels[urban.codes[i]] == "true" {
				na, ya = na+w[i], ya+w[i]*x
			} else {
				nb, yb = nb+w[i], yb+w[i]*x
			}
		}
		return (ya / na) / (yb / nb)
	}
	base := ratio(u.w)
	if math.Abs(base-got.Estimate) > 1e-12*base {
		t.Fatalf("ratio %v, pipeline %v", base, got.Estimate)
	}
	z := make([]float64, len(u.x))
	w := append([]float64(nil), u.w...)
	for i := range w {
		h := 1e-6 * w[i]
		w[i] += h
		up := ratio(w)
		w[i] -= 2 * h
		down := ratio(w)
		w[i] += h
		z[i] = (up - down) / (2 * h)
	}
	want := indices.Linearized(indices.Design{Strata: strata, PSU: e.psu, Weights: u.w, Lonely: indices.LonelyAdjust}, z).SE
	if math.Abs(got.SE-want) > 1e-5*want {
		t.Errorf("ratio SE %v, by finite differences %v", got.SE, want)
	}
}

// eusilcByRegion runs one indicator under the national 60%-of-median line
// by region on EU-SILC with its design (ids db030, strata db040), or skips.
func eusilcByRegion(t *testing.T, indicator string) (*Study, *Output) {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "data", "eusilc.parquet")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared reference data not available: %v", err)
	}
	s := &Study{Name: "eusilc", Inputs: []string{path}, Income: "eqIncome", Weight: "rb050",
		Strata: "db040", PSU: "db030", Domains: [][]string{{"db040"}}, Indicators: []string{indicator}}
	out := runTest(t, s, "arpr=median:0.6")
	return s, out
}

// runTest completes a study built in a test, with the given lines (NAME=SPEC)
// if any, and runs it; any error fails the test.
func runTest(t *testing.T, s *Study, lines ...string) *Output {
	t.Helper()
	for _, l := range lines {
		line, err := ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		s.Lines = append(s.Lines, line)
	}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A stratum with one PSU under design.lonely: fail is an error that names
// the stratum by its value.
func TestLonelyFail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.csv")
	if err := os.WriteFile(path, []byte("stratum,psu,income,weight\nnorth,1,10,1\nnorth,2,20,1\nsouth,3,30,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "l", Inputs: []string{path}, Income: "income", Weight: "weight", Unit: "households",
		Strata: "stratum", PSU: "psu", Lonely: "fail", Indicators: []string{"headcount"}, Lines: []Line{mustLine(t, "a=abs:25")}}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), s)
	if !errors.Is(err, ErrLonelyPSU) || !strings.Contains(err.Error(), `1 strata (stratum="south")`) {
		t.Errorf("error %v, want %v naming stratum=\"south\"", err, ErrLonelyPSU)
	}
}
