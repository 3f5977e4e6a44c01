package pipeline

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/povstat/povstat/datasets/synth"
)

// sameSE reports a difference between the standard errors of a compare row
// and of the Run row it should equal.
func sameSE(t *testing.T, what string, got, want Result) {
	t.Helper()
	if got.SEMethod != want.SEMethod || math.Abs(got.SE-want.SE) > 1e-12*want.SE || !(got.SE >= 0) ||
		math.Abs(got.CILower-want.CILower) > 1e-9*math.Abs(want.CILower)+1e-15 ||
		math.Abs(got.CIUpper-want.CIUpper) > 1e-9*math.Abs(want.CIUpper)+1e-15 {
		t.Errorf("%s: SE %v [%v, %v] %q, Run's %v [%v, %v] %q", what, got.SE, got.CILower, got.CIUpper, got.SEMethod,
			want.SE, want.CILower, want.CIUpper, want.SEMethod)
	}
}

// On laeken's EU-SILC sample (design ids = db030, strata = db040, weights
// rb050) a sweep's point at 60 % of the median has the SE of R convey's
// svyarpr, and an absolute point that of survey's svymean of the poverty
// indicator; every row equals Run's for the same line.
func TestCompareStandardErrorsEUSILC(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "eusilc.parquet")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared reference data not available: %v", err)
	}
	s := &Study{Name: "eusilc", Inputs: []string{path}, Income: "eqIncome", Weight: "rb050",
		Strata: "db040", PSU: "db030", Domains: [][]string{{"db040"}}}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	c := Comparison{
		Sweeps: []Sweep{mustSweep(t, "rel=median:0.5:0.7:0.1"), mustSweep(t, "fix=abs:10859.236:10859.236:1")},
		Lines:  []Line{mustLine(t, "arpr=median:0.6"), mustLine(t, "low=median:0.4")},
	}
	out, err := Compare(context.Background(), s, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		ind, line string
		at        float64
		want      float64
	}{
		{"headcount", "rel", 0.6, 0.00475954283218169},       // convey::svyarpr
		{"headcount", "fix", 10859.236, 0.00498178065227845}, // svymean of the 0/1 indicator
	} {
		r := findAt(t, out.Results, tt.ind, tt.line, "", tt.at)
		if math.Abs(r.SE-tt.want) > 1e-9*tt.want {
			t.Errorf("%s %s at %v: SE %.15g, R %.15g", tt.ind, tt.line, tt.at, r.SE, tt.want)
		}
	}
	run := &Study{Name: "eusilc", Inputs: []string{path}, Income: "eqIncome", Weight: "rb050",
		Strata: "db040", PSU: "db030", Domains: [][]string{{"db040"}},
		Indicators: []string{"population", "line", "headcount", "gap", "severity", "poor_population", "gap_total"}}
	want := runTest(t, run, "p50=median:0.5", "p60=median:0.6", "p70=median:0.7", "fix=abs:10859.236", "arpr=median:0.6")
	checked := 0
	for _, r := range out.Results {
		name := r.Line
		switch {
		case r.Indicator == "overlap":
			if r.SEMethod != "unavailable" || !math.IsNaN(r.SE) {
				t.Errorf("overlap %s %s: SE %v %q, want unavailable", r.Cell, domainText(r.Domain), r.SE, r.SEMethod)
			}
			continue
		case r.Line == "low":
			continue
		case r.Line == "rel":
			name = map[float64]string{0.5: "p50", 0.6: "p60", 0.7: "p70"}[*r.At]
		}
		sameSE(t, r.Indicator+" "+r.Line+" "+domainText(r.Domain), r, find(t, want.Results, r.Indicator, name, domainText(r.Domain)))
		checked++
	}
	if checked < 10*7 {
		t.Errorf("%d rows checked", checked)
	}
}

// On a generated stratified cluster sample: a grouped sweep of 20 points
// (two batches of lines), in every domain, has the SEs of Run's named
// lines at the same points; the bootstrap goes through too.
func TestCompareStandardErrorsGrouped(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), dir, synth.Config{Households: 3000, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	study := func(method string) *Study {
		return &Study{Name: "g", Inputs: []string{dir}, Income: "income", Weight: "weight", Size: "hh_size",
			Strata: "stratum", PSU: "psu", SEMethod: method, Replicates: 50, Seed: 3, Domains: [][]string{{"urban"}}}
	}
	s := study("linearized")
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	sw := mustSweep(t, "prov=median:0.3:0.68:0.02@province")
	if n := len(sw.Points()); n <= compareSEBatch {
		t.Fatalf("%d points: one batch", n)
	}
	out, err := Compare(context.Background(), s, Comparison{Sweeps: []Sweep{sw}})
	if err != nil {
		t.Fatal(err)
	}
	run := study("linearized")
	run.Indicators = []string{"line", "headcount", "gap", "severity", "poor_population", "gap_total"}
	want := runTest(t, run, "a=median:0.3@province", "b=median:0.5@province", "c=median:0.68@province")
	checked := 0
	for _, r := range out.Results {
		if r.Line != "prov" {
			continue
		}
		name, ok := map[float64]string{0.3: "a", 0.5: "b", 0.68: "c"}[*r.At]
		if !ok {
			if !(r.SE > 0) {
				t.Errorf("%s at %v in %s: SE %v %q", r.Indicator, *r.At, domainText(r.Domain), r.SE, r.SEMethod)
			}
			continue
		}
		sameSE(t, r.Indicator+" at "+name+" "+domainText(r.Domain), r, find(t, want.Results, r.Indicator, name, domainText(r.Domain)))
		checked++
	}
	if checked < 3*(5*3+10) {
		t.Errorf("%d rows checked", checked)
	}

	b := study("bootstrap")
	if err := b.Complete(); err != nil {
		t.Fatal(err)
	}
	out, err = Compare(context.Background(), b, Comparison{Sweeps: []Sweep{mustSweep(t, "rel=median:0.5:0.6:0.1")}})
	if err != nil {
		t.Fatal(err)
	}
	r := findAt(t, out.Results, "headcount", "rel", "urban=true", 0.6)
	if !strings.HasPrefix(r.SEMethod, "bootstrap") || !(r.SE > 0) {
		t.Errorf("bootstrap: SE %v %q", r.SE, r.SEMethod)
	}
}
