package pipeline

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/povstat/povstat/datasets/synth"
	"github.com/povstat/povstat/indices"
)

// seTestUnits generates a small registry (strata, PSUs, provinces) and
// loads the units of a study over it with the given lines and indicators.
func seTestUnits(t *testing.T, households, years int, indicators []string, lines ...string) (*Study, *units) {
	t.Helper()
	return seTestUnitsWith(t, households, years, nil, indicators, lines...)
}

// seTestUnitsWith is seTestUnits with the study changed by edit (if not
// nil) before it is completed and its data read.
func seTestUnitsWith(t *testing.T, households, years int, edit func(*Study), indicators []string, lines ...string) (*Study, *units) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := synth.Write(context.Background(), dir, synth.Config{Households: households, Years: years, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "se", Inputs: []string{dir}, Income: "income", Weight: "weight", Size: "hh_size",
		Strata: "stratum", PSU: "psu", Domains: [][]string{{"province"}}, Indicators: indicators, SEMethod: "linearized"}
	for _, l := range lines {
		line, err := ParseLine(l)
		if err != nil {
			t.Fatal(err)
		}
		s.Lines = append(s.Lines, line)
	}
	if edit != nil {
		edit(s)
	}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	d, err := load(context.Background(), s, loadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s, d.u
}

// domainWeights returns the weights of the units of the result's domain
// (zero outside it).
func domainWeights(u *units, r Result) []float64 {
	w := make([]float64, len(u.w))
	for i := range w {
		in := true
		for _, dv := range r.Domain {
			f := u.factors[dv.Column]
			if f.levels[f.codes[i]] != dv.Value {
				in = false
			}
		}
		if in {
			w[i] = u.w[i]
		}
	}
	return w
}

// TestLinearizedSEsEqualDense: every linearized SE of the pipeline (sparse
// PSU totals per domain, influence functions over each domain's units
// only, one pass per line) equals the plain computation: the unit-level
// influence function of indices over the full sample with weights zero
// outside the domain, and indices.Linearized over the full design (and
// indices.WoodruffInterval for the median).
func TestLinearizedSEsEqualDense(t *testing.T) {
	all := []string{"line", "population", "mean", "median", "headcount", "gap", "severity", "watts", "poor_population",
		"gap_total", "gini", "theil_t", "theil_l", "qsr", "atkinson_1", "sen", "rmpg", "palma", "share_q1", "share_d10"}
	lines := []string{"m60=median:0.6", "fixed=abs:9000", "avg=mean:0.5"}
	t.Run("all", func(t *testing.T) { testLinearizedSEsEqualDense(t, all, lines, 200, nil) })
	// Poverty only: the engine then skips the sorted domains.
	t.Run("poverty", func(t *testing.T) {
		testLinearizedSEsEqualDense(t, []string{"line", "headcount", "gap"}, lines, 100, nil)
	})
	// Two breakdowns, whose finest cross-classification (province x urban)
	// is not a breakdown: poverty rows derived from it.
	t.Run("two breakdowns", func(t *testing.T) {
		testLinearizedSEsEqualDense(t, []string{"line", "mean", "headcount", "gap", "severity", "watts", "poor_population", "gap_total", "gini"},
			lines, 300, func(s *Study) { s.Domains = [][]string{{"province"}, {"urban"}} })
	})
	// A mean line alone (no median line).
	t.Run("mean line", func(t *testing.T) {
		testLinearizedSEsEqualDense(t, []string{"line", "headcount"}, []string{"avg=mean:0.5"}, 32, nil)
	})
}

func testLinearizedSEsEqualDense(t *testing.T, inds, specs []string, minChecked int, edit func(*Study)) {
	s, u := seTestUnitsWith(t, 4000, 1, edit, inds, specs...)
	results, _, err := tabulate(context.Background(), s, u)
	if err != nil {
		t.Fatal(err)
	}
	e, err := newVarEngine(s, u)
	if err != nil {
		t.Fatal(err)
	}
	full := e.design // the full weights
	x := u.x
	lines := map[string]indices.Line{
		"m60":   indices.RelativeLine(nil, x, u.w, 0.5, 0.6),
		"fixed": {Z: 9000},
	}
	avgZ := 0.0
	for _, r := range results {
		if r.Indicator == "line" && r.Line == "avg" {
			avgZ = r.Estimate
		}
	}
	checked := 0
	for _, r := range results {
		if r.SEMethod == "" || r.SEMethod == "unavailable" || r.Indicator == "line" {
			continue
		}
		wd := domainWeights(u, r)
		var infl []float64
		line, estimated := lines[r.Line]
		z := line.Z
		if r.Line == "avg" {
			z, estimated = avgZ, false
			line = indices.Line{Z: z}
		}
		fixedLine := indices.Line{Z: z}
		if r.Line == "avg" && r.Indicator == "headcount" {
			// A mean line's own variance: 0.5 times the mean's influence.
			line = indices.Line{Z: z, Infl: indices.MeanInfluence(nil, x, u.w), Bandwidth: indices.Bandwidth(x, u.w)}
			for i := range line.Infl {
				line.Infl[i] *= 0.5
			}
			estimated = true
		}
		switch r.Indicator {
		case "population":
			infl = indices.TotalInfluence(nil, ones(len(x)), wd)
		case "mean":
			infl = indices.MeanInfluence(nil, x, wd)
		case "median":
			d := full
			d.Weights = wd
			_, lo, hi, se := indices.WoodruffInterval(d, x, 0.5, s.Level)
			if !close(r.SE, se, 1e-9) || !close(r.CILower, lo, 1e-12) || !close(r.CIUpper, hi, 1e-12) {
				t.Errorf("median %v: SE %v [%v, %v], dense %v [%v, %v]", r.Domain, r.SE, r.CILower, r.CIUpper, se, lo, hi)
			}
			checked++
			continue
		case "headcount":
			if estimated && line.Infl != nil {
				infl = indices.ARPRInfluence(nil, x, wd, line)
			} else {
				infl = indices.FGTInfluence(nil, x, wd, z, 0)
			}
		case "gap":
			infl = indices.FGTInfluence(nil, x, wd, z, 1)
		case "severity":
			infl = indices.FGTInfluence(nil, x, wd, z, 2)
		case "watts":
			infl = indices.WattsInfluence(nil, x, wd, z)
		case "poor_population":
			infl = make([]float64, len(x))
			for i := range x {
				infl[i] = b2f(x[i] < z && wd[i] > 0)
			}
		case "gap_total":
			infl = make([]float64, len(x))
			for i := range x {
				if wd[i] > 0 {
					infl[i] = math.Max(z-x[i], 0)
				}
			}
		case "gini":
			infl = indices.GiniInfluence(nil, x, wd)
		case "theil_t":
			infl = indices.GEInfluence(nil, x, wd, 1)
		case "theil_l":
			infl = indices.GEInfluence(nil, x, wd, 0)
		case "qsr":
			infl = indices.QSRInfluence(nil, x, wd)
		case "palma":
			infl = indices.PalmaInfluence(nil, x, wd)
		case "share_q1":
			infl = indices.ShareInfluence(nil, x, wd, 5, 1)
		case "share_d10":
			infl = indices.ShareInfluence(nil, x, wd, 10, 10)
		case "atkinson_1":
			infl = indices.AtkinsonInfluence(nil, x, wd, 1)
		case "sen":
			infl = indices.SenInfluence(nil, x, wd, z)
		case "rmpg":
			if estimated && line.Infl != nil {
				infl = indices.RMPGInfluence(nil, x, wd, line)
			} else {
				infl = indices.RMPGInfluence(nil, x, wd, fixedLine)
			}
		default:
			t.Errorf("%s: no dense reference", r.Indicator)
			continue
		}
		want := indices.Linearized(full, infl).SE
		if !close(r.SE, want, 1e-9) {
			t.Errorf("%s %s %v: SE %.15g, dense %.15g", r.Indicator, r.Line, r.Domain, r.SE, want)
		}
		checked++
	}
	if checked < minChecked {
		t.Errorf("only %d SEs checked", checked)
	}
}

func ones(n int) []float64 {
	o := make([]float64, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

// close reports whether a and b agree to rel relative (or both are NaN).
func close(a, b, rel float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}

// TestVarEnginePSUsNestedInStrata: PSU codes that restart in each stratum
// are different PSUs; the engine gives the same PSUs (up to their ids) and
// degrees of freedom as unique codes.
func TestVarEnginePSUsNestedInStrata(t *testing.T) {
	// (stratum, psu code) of 9 units: codes 0 and 1 recur in strata 0, 1, 2.
	h := []int32{0, 0, 1, 1, 0, 2, 2, 1, 0}
	p := []int32{0, 1, 0, 1, 0, 1, 1, 0, 1}
	unique := make([]int32, len(h))
	for i := range h {
		unique[i] = 2*h[i] + p[i]
	}
	w := []float64{1, 2, 1, 1, 3, 1, 2, 1, 1}
	mk := func(psu []int32) *varEngine {
		u := &units{x: make([]float64, len(h)), w: w, factors: map[string]*factor{
			"h": {codes: h, levels: []string{"a", "b", "c"}},
			"p": {codes: psu, levels: []string{"0", "1", "2", "3", "4", "5"}},
		}}
		e, err := newVarEngine(&Study{Strata: "h", PSU: "p", Lonely: "adjust", Level: 0.95}, u)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, b := mk(p), mk(unique)
	// Stratum 2 has one PSU (code 1): 5 PSUs, 3 strata, 2 degrees of freedom.
	if len(a.stratumOf) != 5 || len(b.stratumOf) != 5 || a.df != 2 || b.df != 2 {
		t.Fatalf("PSUs %d and %d, df %d and %d; want 5, 5, 2, 2", len(a.stratumOf), len(b.stratumOf), a.df, b.df)
	}
	for i := range h {
		for j := range h {
			if (a.psu[i] == a.psu[j]) != (h[i] == h[j] && p[i] == p[j]) {
				t.Errorf("units %d and %d: same PSU %v", i, j, a.psu[i] == a.psu[j])
			}
			if a.stratumOf[a.psu[i]] != h[i] {
				t.Errorf("unit %d: stratum %d, want %d", i, a.stratumOf[a.psu[i]], h[i])
			}
		}
	}
}
