package pipeline

import (
	"math"
	"testing"

	"github.com/povstat/povstat/indices"
)

// TestGroupedLineHeadcount: the headcount under a line estimated in each
// province (median:0.6@province) gets the variance of every province's
// line. Its SE equals the unit-level computation written here with indices
// (each province's line as indices.RelativeLine over its units, its
// coefficient in domain D the kernel density at the line of D's units of
// that province, times their share of D; indices.Linearized over the full
// design), and agrees with the Rao-Wu bootstrap's (which estimates the
// lines again in each replicate) within 20%. (It need not exceed the SE
// with the lines held fixed: a line that moves with the incomes can
// lower the variance of the rate.)
func TestGroupedLineHeadcount(t *testing.T) {
	if testing.Short() {
		t.Skip("bootstrap: skipped with -short")
	}
	run := func(method string) ([]Result, *Study, *units) {
		s, u := seTestUnitsWith(t, 6000, 1, func(s *Study) {
			s.SEMethod, s.Replicates, s.Seed = method, 400, 17
			s.Domains = [][]string{{"province"}, {"urban"}}
		}, []string{"line", "headcount", "gap"}, "prov=median:0.6@province")
		res, _, err := tabulate(t.Context(), s, u)
		if err != nil {
			t.Fatal(err)
		}
		return res, s, u
	}
	lin, s, u := run("linearized")
	boot, _, _ := run("bootstrap")
	e, err := newVarEngine(s, u)
	if err != nil {
		t.Fatal(err)
	}
	prov := u.factors["province"]
	np := len(prov.levels)
	lines := make([]indices.Line, np)
	z := make([]float64, len(u.x))
	for g := range np {
		wg := make([]float64, len(u.x))
		for i, c := range prov.codes {
			if int(c) == g {
				wg[i] = u.w[i]
			}
		}
		lines[g] = indices.RelativeLine(nil, u.x, wg, 0.5, 0.6)
	}
	for i, c := range prov.codes {
		z[i] = lines[c].Z
	}
	checked := 0
	for i, r := range lin {
		if r.Indicator != "headcount" || (len(r.Domain) == 1 && r.Domain[0].Column == "province" && r.Domain[0].Value != "3") {
			continue
		}
		wd := domainWeights(u, r)
		var ND, poor float64
		for i := range u.x {
			ND += wd[i]
			poor += wd[i] * b2f(u.x[i] < z[i])
		}
		infl := make([]float64, len(u.x))
		for i := range u.x {
			if wd[i] > 0 {
				infl[i] = (b2f(u.x[i] < z[i]) - poor/ND) / ND
			}
		}
		fixed := indices.Linearized(e.design, infl).SE
		for g := range np {
			wdg := make([]float64, len(u.x))
			ndg := 0.0
			for i, c := range prov.codes {
				if int(c) == g {
					wdg[i] = wd[i]
					ndg += wd[i]
				}
			}
			if ndg == 0 {
				continue
			}
			c := indices.KernelDensity(u.x, wdg, lines[g].Z, lines[g].Bandwidth) * ndg / ND
			for i, l := range lines[g].Infl {
				infl[i] += c * l
			}
		}
		want := indices.Linearized(e.design, infl).SE
		if !close(r.SE, want, 1e-9) {
			t.Errorf("headcount %v: SE %.12g, unit-level %.12g", r.Domain, r.SE, want)
		}
		b := boot[i]
		t.Logf("headcount %v: linearized SE %.4g (lines fixed %.4g), bootstrap %.4g", r.Domain, r.SE, fixed, b.SE)
		if math.Abs(r.SE-b.SE) > 0.2*b.SE {
			t.Errorf("headcount %v: linearized SE %v, bootstrap %v", r.Domain, r.SE, b.SE)
		}
		checked++
	}
	if checked != 4 { // the whole population, province 3, urban false and true
		t.Errorf("%d rows checked, want 4", checked)
	}
	// Each province's line value: 0.6 times Woodruff's interval of its
	// median (indices.WoodruffInterval on the province, over the full
	// design).
	lineRows := 0
	for _, r := range lin {
		if r.Indicator != "line" {
			continue
		}
		d := e.design
		d.Weights = domainWeights(u, r)
		_, lo, hi, se := indices.WoodruffInterval(d, u.x, 0.5, s.Level)
		if !close(r.SE, 0.6*se, 1e-9) || !close(r.CILower, 0.6*lo, 1e-12) || !close(r.CIUpper, 0.6*hi, 1e-12) {
			t.Errorf("line %v: SE %v [%v, %v], Woodruff %v [%v, %v]", r.Domain, r.SE, r.CILower, r.CIUpper, 0.6*se, 0.6*lo, 0.6*hi)
		}
		lineRows++
	}
	if lineRows != np {
		t.Errorf("%d line rows, want %d", lineRows, np)
	}
}
