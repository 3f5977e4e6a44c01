package pipeline

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// handCSV is a worked example: four households in two regions.
//
//	hh region urban size income weight
//	1  A      true  2    1      1
//	2  A      false 1    2      1
//	3  B      true  1    3      2
//	4  B      false 3    4      1
//	5  B      false 1    -1     1     negative income: kept, counted
//	6  B      true  1    5      0     zero weight: excluded
//	7  A      true  1           1     missing income: excluded
const handCSV = `hh,region,urban,size,income,weight
1,A,true,2,1,1
2,A,false,1,2,1
3,B,true,1,3,2
4,B,false,3,4,1
5,B,false,1,-1,1
6,B,true,1,5,0
7,A,true,1,,1
`

func handStudy(t *testing.T, lines ...string) *Study {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "hh.csv")
	if err := os.WriteFile(path, []byte(handCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "hand", Inputs: []string{path}, Income: "income", Weight: "weight",
		Unit: "households", Domains: [][]string{{"region"}}, Seed: 1}
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
	return s
}

// find returns the estimate of one indicator, line and domain ("" for the
// whole population, else "col=value").
func find(t *testing.T, rs []Result, indicator, line, domain string) Result {
	t.Helper()
	for _, r := range rs {
		var parts []string
		for _, d := range r.Domain {
			parts = append(parts, d.Column+"="+d.Value)
		}
		if r.Indicator == indicator && r.Line == line && strings.Join(parts, ",") == domain {
			return r
		}
	}
	t.Fatalf("no result %s / %s / %q", indicator, line, domain)
	return Result{}
}

func TestRunHandWorked(t *testing.T) {
	s := handStudy(t, "z=abs:2.5")
	out, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	rs := out.Results
	// Units used: households 1-5 with weights 1,1,2,1,1 (total 6); poor
	// (income < 2.5): 1, 2 and 5 (weight 3), relative gaps 0.6, 0.2, 1.4.
	for _, tt := range []struct {
		ind, line, dom string
		want           float64
	}{
		{"population", "", "", 6},
		{"n", "", "", 5},
		{"mean", "", "", (1 + 2 + 6 + 4 - 1) / 6.0},
		{"median", "", "", 2.5}, // sorted -1,1,2,3(w2),4: shares 1/6,2/6,3/6 = 1/2 exactly at 2: (2+3)/2
		{"headcount", "z", "", 3.0 / 6},
		{"gap", "z", "", (0.6 + 0.2 + 1.4) / 6},
		{"severity", "z", "", (0.36 + 0.04 + 1.96) / 6},
		{"poor_population", "z", "", 3},
		{"gap_total", "z", "", 1.5 + 0.5 + 3.5},
		{"watts", "z", "", (math.Log(2.5) + math.Log(1.25)) / 5},
		{"headcount", "z", "region=A", 1},
		{"headcount", "z", "region=B", 1.0 / 4},
		{"population", "", "region=B", 4},
		{"line", "z", "", 2.5},
	} {
		r := find(t, rs, tt.ind, tt.line, tt.dom)
		if math.Abs(r.Estimate-tt.want) > 1e-12 {
			t.Errorf("%s %s %q = %v, want %v", tt.ind, tt.line, tt.dom, r.Estimate, tt.want)
		}
	}
	w := find(t, rs, "watts", "z", "")
	if w.ExcludedN != 1 || w.ExcludedPopulation != 1 {
		t.Errorf("watts excluded %d (%v), want 1 (1)", w.ExcludedN, w.ExcludedPopulation)
	}
	// The default indicators include watts, theil_t and theil_l, which all
	// leave out the unit with income -1.
	if len(out.Warnings) != 3 || !strings.HasPrefix(out.Warnings[0], "watts: 1 units") || !strings.HasPrefix(out.Warnings[1], "theil_t: 1 units") {
		t.Errorf("warnings = %q, want one each about watts, theil_t and theil_l", out.Warnings)
	}
	rules := map[string]int{}
	for _, c := range out.Manifest.Rows.Rules {
		rules[c.Rule] = c.Rows
	}
	if rules["missing income"] != 1 || rules["zero or negative weight"] != 1 || rules["negative income"] != 1 {
		t.Errorf("screening counts %v", rules)
	}
	if out.Manifest.Rows.Read != 7 || out.Manifest.Rows.Used != 5 {
		t.Errorf("rows read %d used %d, want 7 and 5", out.Manifest.Rows.Read, out.Manifest.Rows.Used)
	}
}

func TestRunGroupedAndConditionalLines(t *testing.T) {
	s := handStudy(t, "byregion=median:0.5@region", "urbanmean=mean:1?urban=true")
	out, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	rs := out.Results
	// Region A: incomes 1, 2 (w 1, 1): median 1.5, line 0.75. Region B:
	// 3 (w2), 4, -1: sorted -1,3,3,4 shares 1/4, 3/4: median 3, line 1.5.
	if got := find(t, rs, "line", "byregion", "region=A").Estimate; got != 0.75 {
		t.Errorf("line A = %v, want 0.75", got)
	}
	if got := find(t, rs, "line", "byregion", "region=B").Estimate; got != 1.5 {
		t.Errorf("line B = %v, want 1.5", got)
	}
	// Poor under their own region's line: nobody in A, -1 in B: 1 of 6.
	if got := find(t, rs, "headcount", "byregion", "").Estimate; math.Abs(got-1.0/6) > 1e-15 {
		t.Errorf("headcount = %v, want 1/6", got)
	}
	// Urban units: 1 (w1), 3 (w2): mean 7/3.
	if got := find(t, rs, "line", "urbanmean", "").Estimate; math.Abs(got-7.0/3) > 1e-12 {
		t.Errorf("urban mean line = %v, want 7/3", got)
	}
	if r := find(t, rs, "line", "urbanmean", ""); r.N != 2 || r.Population != 3 {
		t.Errorf("urban mean line reference n=%d pop=%v, want 2 and 3", r.N, r.Population)
	}
}

func TestRunDomainsAddUp(t *testing.T) {
	s := handStudy(t, "m=median:0.6", "z=abs:3.5")
	out, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	for _, ind := range []string{"population", "poor_population", "gap_total"} {
		for _, line := range []string{"m", "z"} {
			if ind == "population" {
				line = ""
			}
			total := find(t, out.Results, ind, line, "").Estimate
			sum := find(t, out.Results, ind, line, "region=A").Estimate + find(t, out.Results, ind, line, "region=B").Estimate
			if math.Abs(total-sum) > 1e-12 {
				t.Errorf("%s %s: total %v, sum of regions %v", ind, line, total, sum)
			}
		}
	}
}

func TestRunSameBytesWhateverGOMAXPROCS(t *testing.T) {
	s := handStudy(t, "m=median:0.6@region", "z=abs:3")
	encode := func(procs int) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		out, err := Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		return append(EncodeJSON(out.Results), EncodeCSV(out.Results)...)
	}
	a, b := encode(1), encode(4)
	if !bytes.Equal(a, b) {
		t.Error("results differ between GOMAXPROCS=1 and 4")
	}
	if !bytes.Equal(a, encode(4)) {
		t.Error("results differ between two runs")
	}
}

func TestRunNonPositiveError(t *testing.T) {
	s := handStudy(t, "z=abs:2.5")
	s.Nonpositive = "error"
	if _, err := Run(context.Background(), s); !errors.Is(err, ErrNonPositive) || !strings.Contains(err.Error(), "watts") {
		t.Errorf("err = %v, want an error about watts", err)
	}
	s.Indicators = []string{"theil_l"}
	if _, err := Run(context.Background(), s); !errors.Is(err, ErrNonPositive) || !strings.Contains(err.Error(), "theil_l") {
		t.Errorf("err = %v, want an error about theil_l", err)
	}
	s.Indicators = []string{"ge_2", "headcount"} // GE(2) is defined at incomes <= 0 but not < 0
	if _, err := Run(context.Background(), s); !errors.Is(err, ErrNonPositive) || !strings.Contains(err.Error(), "income < 0") {
		t.Errorf("err = %v, want an error about ge_2 and incomes < 0", err)
	}
}

func TestRunUnknownWhereValue(t *testing.T) {
	s := handStudy(t, "x=median:0.5?urban=flase")
	_, err := Run(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), "urban=flase") || !strings.Contains(err.Error(), "false, true") {
		t.Errorf("err = %v, want one naming urban=flase and the values found", err)
	}
}

func TestRunUnitPersons(t *testing.T) {
	s := handStudy(t, "z=abs:2.5")
	s.Unit, s.Size, s.Rows = "persons", "size", ""
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	// Persons: sizes 2,1,1,3,1 times weights 1,1,2,1,1 = 2,1,2,3,1 (9);
	// poor: households 1, 2, 5 = 2+1+1 = 4 persons.
	if got := find(t, out.Results, "headcount", "z", "").Estimate; math.Abs(got-4.0/9) > 1e-15 {
		t.Errorf("persons headcount = %v, want 4/9", got)
	}
	// Per-capita equivalence divides the income by size.
	s.Equivalence = "per-capita"
	out, err = Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	// Per-capita incomes 0.5, 2, 3, 4/3, -1: poor 0.5, 2, 4/3, -1 = 2+1+3+1 = 7 of 9.
	if got := find(t, out.Results, "headcount", "z", "").Estimate; math.Abs(got-7.0/9) > 1e-15 {
		t.Errorf("per-capita headcount = %v, want 7/9", got)
	}
}

// TestRunBreakdownByNumericRole: the household size is both the size role
// and a breakdown.
func TestRunBreakdownByNumericRole(t *testing.T) {
	s := handStudy(t, "z=abs:2.5")
	s.Unit, s.Size, s.Rows = "persons", "size", ""
	s.Domains = [][]string{{"size"}}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	// Size 1: households 2 (x=2), 3 (x=3, w 2), 5 (x=-1): persons 1+2+1 = 4,
	// poor 2 and 5: 2 of 4.
	if got := find(t, out.Results, "headcount", "z", "size=1").Estimate; got != 0.5 {
		t.Errorf("headcount of size 1 = %v, want 0.5", got)
	}
}
