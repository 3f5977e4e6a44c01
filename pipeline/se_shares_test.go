package pipeline

import (
	"math"
	"testing"

	"github.com/povstat/povstat/indices"
)

// TestSharesPalmaLinearizedVsBootstrap: the linearized SEs of Palma and of
// quintile and decile shares agree with the Rao-Wu bootstrap's (relative
// Monte-Carlo error about 1/sqrt(2R) = 3.5% for R = 400) within 20%, for
// the whole population and a province.
func TestSharesPalmaLinearizedVsBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("bootstrap: skipped with -short")
	}
	inds := []string{"palma", "share_q1", "share_q5", "share_d10", "qsr"}
	run := func(method string) []Result {
		s, u := seTestUnitsWith(t, 6000, 1, func(s *Study) {
			s.SEMethod, s.Replicates, s.Seed = method, 400, 11
		}, inds)
		res, _, err := tabulate(t.Context(), s, u)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	lin, boot := run("linearized"), run("bootstrap")
	if len(lin) != len(boot) {
		t.Fatalf("%d and %d rows", len(lin), len(boot))
	}
	checked := 0
	for i, r := range lin {
		if len(r.Domain) > 1 || (len(r.Domain) == 1 && r.Domain[0].Value != "1") {
			continue
		}
		b := boot[i]
		if r.Indicator != b.Indicator || r.SEMethod == "unavailable" || !(r.SE > 0) {
			t.Fatalf("%s %v: linearized SE %v (%s), bootstrap row %s", r.Indicator, r.Domain, r.SE, r.SEMethod, b.Indicator)
		}
		t.Logf("%-9s %v: linearized SE %.4g, bootstrap %.4g", r.Indicator, r.Domain, r.SE, b.SE)
		if math.Abs(r.SE-b.SE) > 0.2*b.SE {
			t.Errorf("%s %v: linearized SE %v, bootstrap %v", r.Indicator, r.Domain, r.SE, b.SE)
		}
		checked++
	}
	if checked != 2*len(inds) {
		t.Errorf("%d rows checked, want %d", checked, 2*len(inds))
	}
}

// TestRegionalLinearizedVsBootstrap: the linearized SEs of the regional
// disparity coefficients across provinces, for the whole population and
// by urban, equal the unit-level computation (indices.DisparityInfluence
// with weights zero outside the domain, indices.Linearized over the full
// design) and agree with the Rao-Wu bootstrap's within 20%.
func TestRegionalLinearizedVsBootstrap(t *testing.T) {
	if testing.Short() {
		t.Skip("bootstrap: skipped with -short")
	}
	inds := []string{"cv", "williamson", "theil_t_between", "theil_l_between"}
	measures := map[string]indices.Disparity{"cv": indices.DisparityCV, "williamson": indices.DisparityWilliamson,
		"theil_t_between": indices.DisparityTheilTBetween, "theil_l_between": indices.DisparityTheilLBetween}
	run := func(method string) ([]Result, *Study, *units) {
		s, u := seTestUnitsWith(t, 6000, 1, func(s *Study) {
			s.SEMethod, s.Replicates, s.Seed = method, 400, 13
			s.Region, s.Domains = "province", [][]string{{"urban"}}
		}, inds)
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
	region := u.factors["province"].codes
	checked := 0
	for i, r := range lin {
		m, ok := measures[r.Indicator]
		if !ok {
			continue
		}
		b := boot[i]
		if r.SEMethod == "unavailable" || !(r.SE > 0) || b.Indicator != r.Indicator {
			t.Fatalf("%s %v: SE %v (%s)", r.Indicator, r.Domain, r.SE, r.SEMethod)
		}
		dense := indices.Linearized(e.design, indices.DisparityInfluence(nil, u.x, domainWeights(u, r), region, m)).SE
		if !close(r.SE, dense, 1e-9) {
			t.Errorf("%s %v: SE %v, unit-level %v", r.Indicator, r.Domain, r.SE, dense)
		}
		t.Logf("%-16s %v: linearized SE %.4g, bootstrap %.4g", r.Indicator, r.Domain, r.SE, b.SE)
		if math.Abs(r.SE-b.SE) > 0.2*b.SE {
			t.Errorf("%s %v: linearized SE %v, bootstrap %v", r.Indicator, r.Domain, r.SE, b.SE)
		}
		checked++
	}
	if checked != 3*len(inds) {
		t.Errorf("%d rows checked, want %d", checked, 3*len(inds))
	}
}
