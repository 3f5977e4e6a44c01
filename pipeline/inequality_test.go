package pipeline

import (
	"context"
	"math"
	"testing"

	"github.com/povstat/povstat/indices"
)

// ineqStudy is the hand-worked study of run_test.go with inequality,
// regional and ratio indicators.
func ineqStudy(t *testing.T, indicators ...string) *Study {
	t.Helper()
	s := handStudy(t, "z=abs:2.5")
	s.Region = "region"
	s.Ratios = []Ratio{{Column: "urban", Numerator: "true", Denominator: "false"}}
	s.Indicators = indicators
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunInequalityHandWorked(t *testing.T) {
	s := ineqStudy(t, "gini", "theil_t", "theil_l", "ge_2", "atkinson_0.5", "qsr", "share_q1", "share_q5",
		"region_mean", "cv", "williamson", "max_min_ratio", "theil_t_between", "theil_t_within",
		"theil_l_between", "theil_l_within", "theil_t_between_share", "ratio")
	s.Domains = [][]string{{"urban"}}
	out, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	rs := out.Results
	// Units used (see handCSV): x = 1, 2, 3, 4, -1 with weights 1, 1, 2, 1, 1
	// in regions A, A, B, B, B; urban true, false, true, false, false.
	x := []float64{1, 2, 3, 4, -1}
	w := []float64{1, 1, 2, 1, 1}
	regionA, regionB := 1.5, (6+4-1)/4.0 // means: (1+2)/2 and (3*2+4-1)/4
	for _, tt := range []struct {
		ind, dom string
		want     float64
	}{
		{"gini", "", indices.Gini(x, w)},
		{"theil_t", "", indices.TheilT(x, w)},
		{"theil_l", "", indices.TheilL(x, w)},
		{"ge_2", "", indices.GE(x, w, 2)},
		{"atkinson_0.5", "", indices.Atkinson(x, w, 0.5)},
		{"qsr", "", indices.QSR(x, w)},
		{"share_q1", "", indices.Shares(x, w, 5)[0]},
		{"share_q5", "", indices.Shares(x, w, 5)[4]},
		{"region_mean", "region=A", regionA},
		{"region_mean", "region=B", regionB},
		// Unweighted CV of {1.5, 2.25}: mean 1.875, population SD 0.375.
		{"cv", "", 0.375 / 1.875},
		// Williamson: populations 2 and 4, weighted mean 2, SD sqrt((2*0.25 + 4*0.0625)/6).
		{"williamson", "", math.Sqrt((2*0.25+4*0.0625)/6) / 2},
		{"max_min_ratio", "", 2.25 / 1.5},
		// Urban (true): incomes 1 (w1), 3 (w2): mean 7/3; rural: 2, 4, -1: mean 5/3.
		{"ratio", "", (7.0 / 3) / (5.0 / 3)},
		{"ratio", "urban=true", math.NaN()},
		{"gini", "urban=true", indices.Gini([]float64{1, 3}, []float64{1, 2})},
	} {
		r := find(t, rs, tt.ind, "", tt.dom)
		if !sameOrClose(r.Estimate, tt.want) {
			t.Errorf("%s %q = %v, want %v", tt.ind, tt.dom, r.Estimate, tt.want)
		}
	}
	// Theil left out the unit with income -1 and says so.
	if r := find(t, rs, "theil_t", "", ""); r.ExcludedN != 1 || r.ExcludedPopulation != 1 {
		t.Errorf("theil_t excluded %d (%v), want 1 (1)", r.ExcludedN, r.ExcludedPopulation)
	}
	// The decomposition adds up to the total, over the same units.
	for _, th := range []string{"theil_t", "theil_l"} {
		total := find(t, rs, th, "", "").Estimate
		b := find(t, rs, th+"_between", "", "").Estimate
		wi := find(t, rs, th+"_within", "", "").Estimate
		if math.Abs(b+wi-total) > 1e-14 {
			t.Errorf("%s: between %v + within %v != total %v", th, b, wi, total)
		}
	}
	if r := find(t, rs, "ratio", "", ""); r.Ratio != "urban=true/false" {
		t.Errorf("ratio row names %q", r.Ratio)
	}
}

func TestRunRegionIndicatorNeedsRegion(t *testing.T) {
	s := handStudy(t)
	s.Indicators = []string{"williamson"}
	if err := s.Complete(); err == nil {
		t.Error("williamson without a region column was accepted")
	}
}

func sameOrClose(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b))
}
