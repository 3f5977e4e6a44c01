package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// compareCSV: x = {1, 2, 3, 4} in regions A (1, 2) and B (3, 4).
func compareInput(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hh.csv")
	if err := os.WriteFile(path, []byte("region,income,weight\nA,1,1\nA,2,1\nB,3,1\nB,4,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompareJSON(t *testing.T) {
	in := compareInput(t)
	code, out, errs := povstat(t, "compare", "--input", in, "--income", "income", "--weight", "weight", "--unit", "households",
		"--by", "region", "--sweep", "z=abs:1:4:1", "--sweep", "rel=median:0.5:1:0.25",
		"--line", "a=abs:2.5", "--line", "b=abs:1.5", "--target-headcount", "0.5", "--budget", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	doc := struct{ Results []jsonRow }{decodeResults(t, out)}
	headcounts := map[float64]float64{}
	cells := map[string]float64{}
	var lineForBudget, lineForHeadcount *jsonRow
	for i, r := range doc.Results {
		if r.Domain == nil || r.Estimate == nil && r.Note == "" {
			t.Errorf("row %d: no domain or an estimate without note: %+v", i, r)
		}
		switch {
		case r.Indicator == "headcount" && r.Line != nil && *r.Line == "z" && len(r.Domain) == 0:
			if r.At == nil {
				t.Fatalf("sweep row without at: %+v", r)
			}
			headcounts[*r.At] = *r.Estimate
		case r.Indicator == "overlap" && len(r.Domain) == 0:
			if r.Line == nil || *r.Line != "a|b" {
				t.Errorf("overlap line %v, want a|b", r.Line)
			}
			cells[r.Cell] = *r.Estimate
		case r.Indicator == "line_for_budget" && len(r.Domain) == 0:
			lineForBudget = &doc.Results[i]
		case r.Indicator == "line_for_headcount" && len(r.Domain) == 0:
			lineForHeadcount = &doc.Results[i]
		}
	}
	for at, want := range map[float64]float64{1: 0, 2: 0.25, 3: 0.5, 4: 0.75} {
		if got, ok := headcounts[at]; !ok || got != want {
			t.Errorf("headcount at %v = %v, want %v", at, got, want)
		}
	}
	for cell, want := range map[string]float64{"both": 1, "a_only": 1, "b_only": 0, "neither": 2} {
		if got, ok := cells[cell]; !ok || got != want {
			t.Errorf("overlap %s = %v, want %v", cell, got, want)
		}
	}
	if r := lineForBudget; r == nil || *r.Estimate != 3 || r.At == nil || *r.At != 3 || r.Line != nil {
		t.Errorf("line_for_budget row %+v, want estimate 3 at 3, line null", r)
	}
	if r := lineForHeadcount; r == nil || !(*r.Estimate > 2 && *r.Estimate < 2.000001) || *r.At != 0.5 {
		t.Errorf("line_for_headcount row %+v, want just above 2 at 0.5", r)
	}
}

func TestCompareFormats(t *testing.T) {
	in := compareInput(t)
	args := []string{"compare", "--input", in, "--income", "income", "--weight", "weight",
		"--by", "region", "--sweep", "z=abs:1:2:1", "--line", "a=abs:2.5", "--line", "b=abs:1.5"}
	code, out, errs := povstat(t, append(args, "--format", "csv")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if head, _, _ := strings.Cut(out, "\n"); head != "indicator,line,region,at,cell,estimate,n,population,excluded_n,excluded_population,note" {
		t.Errorf("CSV header %q", head)
	}
	if !strings.Contains(out, "\noverlap,a|b,,,both,1,4,4,,,\n") || !strings.Contains(out, "\nheadcount,z,,2,,0.25,4,4,,,\n") {
		t.Errorf("CSV lacks the overlap or sweep rows:\n%s", out)
	}
	code, out, errs = povstat(t, append(args, "--format", "table")...)
	if code != 0 || !strings.Contains(out, "a_only") {
		t.Errorf("table: exit %d: %s\n%s", code, errs, out)
	}
}

func TestCompareUsageErrors(t *testing.T) {
	in := compareInput(t)
	base := []string{"compare", "--input", in, "--income", "income", "--weight", "weight"}
	for name, extra := range map[string][]string{
		"malformed sweep":   {"--sweep", "z=abs:1:4"},
		"sweep no name":     {"--sweep", "median:0.3:0.7:0.01"},
		"sweep zero step":   {"--sweep", "z=median:0.3:0.7:0"},
		"sweep bad basis":   {"--sweep", "z=mode:0.3:0.7:0.1"},
		"nothing":           {},
		"bad headcount":     {"--target-headcount", "1.5"},
		"headcount not num": {"--target-headcount", "half"},
		"negative budget":   {"--budget", "-1"},
		"bad line":          {"--line", "a=abs"},
		"bad format":        {"--sweep", "z=abs:1:4:1", "--format", "xml"},
	} {
		if code, _, errs := povstat(t, append(base, extra...)...); code != 2 {
			t.Errorf("%s: exit %d, want 2 (%s)", name, code, errs)
		}
	}
	if code, _, errs := povstat(t, append(base, "--sweep", "z=abs:1:4:1", "--by", "nosuch")...); code != 1 || !strings.Contains(errs, "nosuch") {
		t.Errorf("unknown column: exit %d, want 1 naming it: %s", code, errs)
	}
}

// TestCompareTransfersDominanceRanks: x = {1, 2, 3, 4} in A (1, 2) and B
// (3, 4). Line a = 3.5 (gaps 2.5, 1.5, 0.5), budget 2: targeted closes 0.5
// and 1.5, H = 1/4; uniform 0.5 each, H = 2/4. Incidence curves over [0, 5]:
// H_A >= H_B everywhere (B dominates); deficits too. Headcounts by region:
// a (1, 1/2), b = 2.5 (1, 0): the same order, rho = 1.
func TestCompareTransfersDominanceRanks(t *testing.T) {
	in := compareInput(t)
	code, out, errs := povstat(t, "compare", "--input", in, "--income", "income", "--weight", "weight", "--unit", "households",
		"--by", "region", "--line", "a=abs:3.5", "--line", "b=abs:2.5", "--transfer-budget", "2",
		"--dominance", "region", "--dominance-range", "0:5", "--rank-correlation", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, row := range []string{
		"\nheadcount_after_transfer,a,,2,targeted,0.25,4,4,,,\n",
		"\nheadcount_after_transfer,a,,2,uniform,0.5,4,4,,,\n",
		"\ndominance_first,A|B,,,b_dominates,,4,4,,,\"the curves do not cross in [0, 5]\"\n",
		"\ndominance_second,A|B,,,b_dominates,,4,4,,,\"the curves do not cross in [0, 5]\"\n",
		"\nrank_correlation,a|b,,,region,1,2,4,,,\n",
	} {
		if !strings.Contains(out, row) {
			t.Errorf("CSV lacks %q:\n%s", row, out)
		}
	}
	base := []string{"compare", "--input", in, "--income", "income", "--weight", "weight"}
	for name, extra := range map[string][]string{
		"transfer without line":   {"--transfer-budget", "2"},
		"negative transfer":       {"--line", "a=abs:2", "--transfer-budget", "-1"},
		"target without budget":   {"--line", "a=abs:2", "--transfer-target", "region=A"},
		"bad target":              {"--line", "a=abs:2", "--transfer-budget", "1", "--transfer-target", "region"},
		"dominance without range": {"--dominance", "region"},
		"bad range":               {"--dominance", "region", "--dominance-range", "5:1"},
		"range without column":    {"--line", "a=abs:2", "--dominance-range", "0:1"},
		"ranks without by":        {"--line", "a=abs:2", "--line", "b=abs:3", "--rank-correlation"},
		"ranks with one line":     {"--by", "region", "--line", "a=abs:2", "--rank-correlation"},
	} {
		if code, _, errs := povstat(t, append(base, extra...)...); code != 2 {
			t.Errorf("%s: exit %d, want 2 (%s)", name, code, errs)
		}
	}
}

func TestCompareTraitsJSON(t *testing.T) {
	// x = {1, 2, 3, 4}, unit weights; a = 2.5, b = 1.5: unit 1 both, unit 2
	// a_only, units 3 and 4 neither; b_only is empty.
	path := filepath.Join(t.TempDir(), "hh.csv")
	if err := os.WriteFile(path, []byte("region,income,weight,hh_size,urban\nA,1,1,4,true\nA,2,1,2,false\nB,3,1,3,true\nB,4,1,5,false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"compare", "--input", path, "--income", "income", "--weight", "weight", "--unit", "households",
		"--by", "region", "--line", "a=abs:2.5", "--line", "b=abs:1.5"}
	code, out, errs := povstat(t, append(base, "--traits", "hh_size,urban")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	doc := struct{ Results []jsonRow }{decodeResults(t, out)}
	got := map[string]*float64{}
	shares := map[string]float64{}
	for _, r := range doc.Results {
		if !strings.HasPrefix(r.Indicator, "trait_") {
			continue
		}
		if r.Line == nil || *r.Line != "a|b" {
			t.Errorf("trait row without line a|b: %+v", r)
		}
		key := r.Indicator + " " + r.Domain["region"] + " " + r.Cell
		got[key] = r.Estimate
		if r.Estimate == nil && r.Note == "" {
			t.Errorf("null estimate without a note: %+v", r)
		}
		if strings.HasPrefix(r.Indicator, "trait_share:urban=") && r.Estimate != nil {
			shares[r.Domain["region"]+" "+r.Cell] += *r.Estimate
		}
	}
	want := map[string]float64{
		"trait_mean:hh_size  both":         4,
		"trait_mean:hh_size  a_only":       2,
		"trait_mean:hh_size  neither":      4, // (3 + 5) / 2
		"trait_share:urban=true  neither":  0.5,
		"trait_share:urban=false A a_only": 1,
		"trait_mean:hh_size B neither":     4,
	}
	for k, v := range want {
		if e := got[k]; e == nil || *e != v {
			t.Errorf("%s = %v, want %v", k, e, v)
		}
	}
	if e, ok := got["trait_mean:hh_size  b_only"]; !ok || e != nil {
		t.Errorf("b_only mean: want a null estimate, got %v (present %v)", e, ok)
	}
	for k, v := range shares {
		if v != 1 {
			t.Errorf("urban shares of %s add up to %v, want 1", k, v)
		}
	}
	// One line only, or a bad list: usage errors.
	one := []string{"compare", "--input", path, "--income", "income", "--weight", "weight", "--line", "a=abs:2.5", "--traits", "urban"}
	if code, _, errs := povstat(t, one...); code != 2 {
		t.Errorf("one line: exit %d, want 2: %s", code, errs)
	}
	if code, _, errs := povstat(t, append(base, "--traits", "urban,,hh_size")...); code != 2 {
		t.Errorf("bad list: exit %d, want 2: %s", code, errs)
	}
}

// TestCompareGroupedSweep: with unit weights region A (1, 2) has median
// 1.5 (laeken's average at c = 0.5), B (3, 4) 3.5. At 0.5 the lines are
// 0.75 and 1.75: nobody is poor; at 1 they are 1.5 and 3.5: 1 and 3 are.
func TestCompareGroupedSweep(t *testing.T) {
	in := compareInput(t)
	code, out, errs := povstat(t, "compare", "--input", in, "--income", "income", "--weight", "weight", "--unit", "households",
		"--by", "region", "--sweep", "g=median:0.5:1:0.5@region")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got := map[string]float64{}
	for _, r := range decodeResults(t, out) {
		if r.Line != nil && *r.Line == "g" && r.At != nil && r.Estimate != nil {
			got[fmt.Sprintf("%s %s %v", r.Indicator, r.Domain["region"], *r.At)] = *r.Estimate
		}
	}
	for k, want := range map[string]float64{
		"line A 0.5": 0.75, "line B 0.5": 1.75, "line A 1": 1.5, "line B 1": 3.5,
		"headcount  0.5": 0, "headcount  1": 0.5, "headcount A 1": 0.5, "gap_total B 1": 0.5,
	} {
		if v, ok := got[k]; !ok || v != want {
			t.Errorf("%s = %v (found %v), want %v", k, v, ok, want)
		}
	}
	if code, _, errs := povstat(t, "compare", "--input", in, "--income", "income", "--weight", "weight",
		"--sweep", "g=abs:1:2:1@region"); code != 2 || !strings.Contains(errs, "absolute sweep") {
		t.Errorf("absolute sweep by region: exit %d, %s", code, errs)
	}
}

// With a design, the sweep points carry the SEs that povstat indices gives
// the same lines; rows without one say so.
func TestCompareStandardErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hh.csv")
	var b strings.Builder
	b.WriteString("stratum,psu,income,weight\n")
	for i := range 24 {
		fmt.Fprintf(&b, "%d,%d,%d,%d\n", i%2, i%6, 1+(i*i+i/5)%9, 1+i%3)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--input", path, "--income", "income", "--weight", "weight", "--unit", "households",
		"--strata", "stratum", "--psu", "psu"}
	code, out, errs := povstat(t, append([]string{"compare", "--sweep", "z=abs:3:5:2", "--line", "a=abs:4", "--line", "b=abs:6"}, common...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	se := map[string]float64{}
	for _, r := range decodeResults(t, out) {
		switch {
		case r.Indicator == "headcount" && r.At != nil:
			if r.SE == nil || !(*r.SE > 0) || !strings.HasPrefix(r.SEMethod, "linearized") {
				t.Errorf("headcount at %v: se %v %q", *r.At, fmtPtr(r.SE), r.SEMethod)
			} else {
				se[fmt.Sprint(*r.At)] = *r.SE
			}
		case r.Indicator == "overlap":
			if r.SE != nil || r.SEMethod != "unavailable" {
				t.Errorf("overlap %s: se %v %q, want unavailable", r.Cell, r.SE, r.SEMethod)
			}
		}
	}
	code, out, errs = povstat(t, append([]string{"indices", "--line", "p3=abs:3", "--line", "p5=abs:5", "--indicators", "headcount"}, common...)...)
	if code != 0 {
		t.Fatalf("indices: exit %d: %s", code, errs)
	}
	for _, r := range decodeResults(t, out) {
		at := strings.TrimPrefix(*r.Line, "p")
		if got, ok := se[at]; !ok || r.SE == nil || got != *r.SE {
			t.Errorf("headcount at %s: compare's se %v, indices' %v", at, got, fmtPtr(r.SE))
		}
	}
}

// fmtPtr formats an optional figure of a results row.
func fmtPtr(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}
