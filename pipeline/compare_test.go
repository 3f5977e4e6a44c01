package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/povstat/povstat/indices"
)

// compareStudy writes incomes, weights and a region per unit as a CSV file
// of household rows and returns a complete study of households over it,
// broken down by region.
func compareStudy(t *testing.T, x, w []float64, region []string) *Study {
	t.Helper()
	var b strings.Builder
	b.WriteString("region,income,weight\n")
	for i := range x {
		fmt.Fprintf(&b, "%s,%s,%s\n", region[i], strconv.FormatFloat(x[i], 'g', -1, 64), strconv.FormatFloat(w[i], 'g', -1, 64))
	}
	path := filepath.Join(t.TempDir(), "hh.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "compare", Inputs: []string{path}, Income: "income", Weight: "weight",
		Unit: "households", Domains: [][]string{{"region"}}, Seed: 1}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	s.Lines = nil
	return s
}

func mustSweep(t testing.TB, s string) Sweep {
	t.Helper()
	sw, err := ParseSweep(s)
	if err != nil {
		t.Fatal(err)
	}
	return sw
}

func mustLine(t *testing.T, s string) Line {
	t.Helper()
	l, err := ParseLine(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// findAt returns the row of an indicator, line, domain and grid point.
func findAt(t *testing.T, rs []Result, indicator, line, domain string, at float64) Result {
	t.Helper()
	for _, r := range rs {
		if r.Indicator == indicator && r.Line == line && domainText(r.Domain) == domain && r.At != nil && *r.At == at {
			return r
		}
	}
	t.Fatalf("no result %s / %s / %q at %v", indicator, line, domain, at)
	return Result{}
}

func TestSweepPoints(t *testing.T) {
	tests := []struct {
		spec string
		want []float64
	}{
		{"a=abs:1:4:1", []float64{1, 2, 3, 4}},
		{"a=abs:0:1:0.3", []float64{0, 0.3, 0.6, 0.9}},
		{"a=median:0.5:0.5:0.1", []float64{0.5}},
		{"a=abs:1000:2000:250", []float64{1000, 1250, 1500, 1750, 2000}},
		{"a=mean:0.1:0.3:0.1", []float64{0.1, 0.2, 0.3}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			if got := mustSweep(t, tt.spec).Points(); !slices.Equal(got, tt.want) {
				t.Errorf("Points() = %v, want %v", got, tt.want)
			}
		})
	}
	pts := mustSweep(t, "rel=median:0.30:0.70:0.01").Points()
	if len(pts) != 41 || pts[7] != 0.37 || pts[40] != 0.7 {
		t.Errorf("0.30..0.70 by 0.01: %d points, [7] = %v, [40] = %v; want 41, 0.37, 0.7", len(pts), pts[7], pts[40])
	}
	for k, v := range pts {
		if want, _ := strconv.ParseFloat(fmt.Sprintf("%.2f", 0.30+0.01*float64(k)), 64); v != want {
			t.Errorf("point %d = %v, want %v", k, v, want)
		}
	}
}

func TestParseSweepErrors(t *testing.T) {
	for _, s := range []string{
		"median:0.3:0.7:0.01",     // no name
		"a=median:0.3:0.7",        // no step
		"a=median:0.3:0.7:0",      // zero step
		"a=median:0.3:0.7:-0.1",   // negative step
		"a=median:0.7:0.3:0.1",    // from above to
		"a=quantile:0.3:0.7:0.1",  // unknown basis
		"a=median:x:0.7:0.1",      // not a number
		"a=median:-0.1:0.7:0.1",   // negative fraction
		"a=abs:0:1e9:1",           // too many points
		"1a=median:0.3:0.7:0.01",  // bad name
		"a=median:0.3:0.7:0.01:9", // too many parts
		"a=abs:NaN:1:1",           // not finite
	} {
		if _, err := ParseSweep(s); err == nil {
			t.Errorf("ParseSweep(%q): no error", s)
		}
	}
}

// TestCompareHandWorked: x = {1, 2, 3, 4}, unit weights, in regions A (1,
// 2) and B (3, 4). The poor at z are those with x < z.
//
//	z  headcount  gap                       gap_total  severity
//	1  0          0                         0          0
//	2  1/4        (1/2)/4 = 0.125           1          (1/4)/4
//	3  2/4        (2/3 + 1/3)/4 = 0.25      3          (4/9 + 1/9)/4
//	4  3/4        (3/4 + 2/4 + 1/4)/4       6          (9 + 4 + 1)/16/4
//
// Lines a = abs:2.5 (poor 1, 2) and b = abs:1.5 (poor 1): both 1, a only 1,
// b only 0, neither 2. The smallest line with headcount >= 0.5 is just above
// 2 (at 2 itself it is 1/4); the median is (2 + 3)/2 = 2.5. A budget of 3 is
// spent exactly at z = 3 (2 + 1), a budget of 0 at the lowest income 1, a
// budget of 10 at z = (10 + 10)/4 = 5.
func TestCompareHandWorked(t *testing.T) {
	s := compareStudy(t, []float64{1, 2, 3, 4}, []float64{1, 1, 1, 1}, []string{"A", "A", "B", "B"})
	h, b := 0.5, 3.0
	out, err := Compare(context.Background(), s, Comparison{
		Sweeps:          []Sweep{mustSweep(t, "z=abs:1:4:1")},
		Lines:           []Line{mustLine(t, "a=abs:2.5"), mustLine(t, "b=abs:1.5")},
		TargetHeadcount: &h,
		Budget:          &b,
	})
	if err != nil {
		t.Fatal(err)
	}
	rs := out.Results
	want := map[string][]float64{
		"headcount":       {0, 0.25, 0.5, 0.75},
		"gap":             {0, 0.125, 0.25, 1.5 / 4},
		"severity":        {0, 0.25 / 4, (5.0 / 9) / 4, (14.0 / 16) / 4},
		"poor_population": {0, 1, 2, 3},
		"gap_total":       {0, 1, 3, 6},
	}
	for ind, vals := range want {
		for k, v := range vals {
			z := float64(k + 1)
			r := findAt(t, rs, ind, "z", "", z)
			if math.Abs(r.Estimate-v) > 1e-12 || r.Population != 4 || r.N != 4 {
				t.Errorf("%s at %v = %v (n %d, population %v), want %v (4, 4)", ind, z, r.Estimate, r.N, r.Population, v)
			}
		}
	}
	if r := findAt(t, rs, "headcount", "z", "region=B", 4); r.Estimate != 0.5 || r.Population != 2 {
		t.Errorf("headcount in B at 4 = %v (population %v), want 0.5 (2)", r.Estimate, r.Population)
	}
	if r := findAt(t, rs, "line", "z", "", 3); r.Estimate != 3 {
		t.Errorf("line z at 3 = %v", r.Estimate)
	}
	cells := map[string]float64{}
	for _, r := range rs {
		if r.Indicator == "overlap" && len(r.Domain) == 0 {
			if r.Line != "a|b" {
				t.Errorf("overlap line %q, want a|b", r.Line)
			}
			cells[r.Cell] = r.Estimate
		}
	}
	if wantCells := map[string]float64{"both": 1, "a_only": 1, "b_only": 0, "neither": 2}; fmt.Sprint(cells) != fmt.Sprint(wantCells) {
		t.Errorf("overlap = %v, want %v", cells, wantCells)
	}
	if r := find(t, rs, "headcount", "a", ""); r.Estimate != 0.5 {
		t.Errorf("headcount of a = %v, want 0.5", r.Estimate)
	}
	if r := find(t, rs, "line_for_headcount", "", ""); r.Estimate != math.Nextafter(2, 3) || *r.At != 0.5 {
		t.Errorf("line_for_headcount = %v at %v, want just above 2 at 0.5", r.Estimate, *r.At)
	}
	if r := find(t, rs, "line_for_headcount_fraction", "", ""); r.Estimate != math.Nextafter(2, 3)/2.5 {
		t.Errorf("line_for_headcount_fraction = %v, want %v", r.Estimate, math.Nextafter(2, 3)/2.5)
	}
	if r := find(t, rs, "line_for_budget", "", ""); r.Estimate != 3 {
		t.Errorf("line_for_budget = %v, want 3", r.Estimate)
	}
	for _, tt := range []struct{ budget, want float64 }{{0, 1}, {1, 2}, {0.5, 1.5}, {10, 5}} {
		out, err := Compare(context.Background(), s, Comparison{Budget: &tt.budget})
		if err != nil {
			t.Fatal(err)
		}
		if r := find(t, out.Results, "line_for_budget", "", ""); math.Abs(r.Estimate-tt.want) > 1e-12 {
			t.Errorf("budget %v: line %v, want %v", tt.budget, r.Estimate, tt.want)
		}
	}
}

// randomUnits draws n incomes (lognormal, some ties and a few negative),
// weights and one of 3 regions.
func randomUnits(seed uint64, n int) (x, w []float64, region []string) {
	rng := rand.New(rand.NewPCG(seed, 0))
	for range n {
		v := math.Round(math.Exp(8+rng.NormFloat64())*100) / 100
		if rng.IntN(20) == 0 {
			v = math.Round(v/1000) * 1000 // ties
		}
		if rng.IntN(100) == 0 {
			v = -v / 10
		}
		x = append(x, v)
		w = append(w, math.Round((1+rng.Float64()*99)*1000)/1000)
		region = append(region, string(rune('A'+rng.IntN(3))))
	}
	return x, w, region
}

// TestCompareSweepEqualsFGT checks every point of median and absolute
// sweeps against indices.FGT and PovertySums computed one line at a time.
func TestCompareSweepEqualsFGT(t *testing.T) {
	x, w, region := randomUnits(7, 3000)
	s := compareStudy(t, x, w, region)
	out, err := Compare(context.Background(), s, Comparison{Sweeps: []Sweep{
		mustSweep(t, "rel=median:0.30:0.70:0.01"), mustSweep(t, "money=abs:0:5000:250"), mustSweep(t, "m=mean:0.2:0.6:0.05"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	median := indices.Median(x, w)
	domains := map[string][]int{"": nil}
	for i, r := range region {
		domains["region="+r] = append(domains["region="+r], i)
	}
	checked := 0
	for _, r := range out.Results {
		if r.At == nil || r.Indicator == "line" {
			continue
		}
		z := findAt(t, out.Results, "line", r.Line, "", *r.At).Estimate
		if r.Line == "rel" && z != *r.At*median {
			t.Fatalf("line rel at %v = %v, want %v", *r.At, z, *r.At*median)
		}
		var dx, dw []float64
		if idx := domains[domainText(r.Domain)]; idx == nil {
			dx, dw = x, w
		} else {
			for _, i := range idx {
				dx, dw = append(dx, x[i]), append(dw, w[i])
			}
		}
		var sums indices.PovertySums
		sums.AddAll(dx, dw, z)
		var want float64
		switch r.Indicator {
		case "headcount":
			want = indices.FGT(dx, dw, z, 0)
		case "gap":
			want = indices.FGT(dx, dw, z, 1)
		case "severity":
			want = indices.FGT(dx, dw, z, 2)
		case "poor_population":
			want = sums.Poor
		case "gap_total":
			want = sums.GapMoney
		}
		if math.IsNaN(want) != math.IsNaN(r.Estimate) || math.Abs(r.Estimate-want) > 1e-9*max(1, math.Abs(want)) {
			t.Errorf("%s %s %s at %v (z %v) = %v, want %v", r.Indicator, r.Line, domainText(r.Domain), *r.At, z, r.Estimate, want)
		}
		if math.Abs(r.Population-sums.Pop) > 1e-9*sums.Pop || r.N != sums.N {
			t.Errorf("%s %s at %v: n %d population %v, want %d %v", r.Indicator, domainText(r.Domain), *r.At, r.N, r.Population, sums.N, sums.Pop)
		}
		checked++
	}
	if want := (41 + 21 + 9) * 5 * 4; checked != want {
		t.Errorf("checked %d sweep rows, want %d", checked, want)
	}
	if r := findAt(t, out.Results, "gap", "money", "", 0); !math.IsNaN(r.Estimate) || r.Note == "" {
		t.Errorf("gap at the line 0 = %v (%q), want null with a note", r.Estimate, r.Note)
	}
}

func TestCompareOverlapAddsUp(t *testing.T) {
	x, w, region := randomUnits(11, 2000)
	s := compareStudy(t, x, w, region)
	out, err := Compare(context.Background(), s, Comparison{Lines: []Line{
		mustLine(t, "eu=median:0.6"), mustLine(t, "half=median:0.5@region"), mustLine(t, "abs=abs:2000"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]float64{}
	pops := map[string]float64{}
	for _, r := range out.Results {
		if r.Indicator == "population" {
			pops[domainText(r.Domain)] = r.Estimate
		}
		if r.Indicator == "overlap" {
			sums[r.Line+" "+domainText(r.Domain)] += r.Estimate
		}
	}
	if len(sums) != 3*4 { // 3 pairs × (whole + 3 regions)
		t.Errorf("%d overlap tables, want 12: %v", len(sums), sums)
	}
	for k, v := range sums {
		_, dom, _ := strings.Cut(k, " ")
		if math.Abs(v-pops[dom]) > 1e-9*pops[dom] {
			t.Errorf("overlap %s adds up to %v, want the population %v", k, v, pops[dom])
		}
	}
	// both + a_only is the poor population of A.
	for _, pair := range [][2]string{{"eu", "half"}, {"eu", "abs"}, {"half", "abs"}} {
		var both, aOnly, bOnly float64
		for _, r := range out.Results {
			if r.Indicator == "overlap" && r.Line == pair[0]+"|"+pair[1] && len(r.Domain) == 0 {
				switch r.Cell {
				case "both":
					both = r.Estimate
				case "a_only":
					aOnly = r.Estimate
				case "b_only":
					bOnly = r.Estimate
				}
			}
		}
		pa := find(t, out.Results, "poor_population", pair[0], "").Estimate
		pb := find(t, out.Results, "poor_population", pair[1], "").Estimate
		if math.Abs(both+aOnly-pa) > 1e-9*pa || math.Abs(both+bOnly-pb) > 1e-9*pb {
			t.Errorf("%v: both %v a_only %v b_only %v; poor %v and %v", pair, both, aOnly, bOnly, pa, pb)
		}
	}
}

// TestCompareInverse checks the lines of a target headcount and of a budget
// in every domain against FGT and gap totals computed at those lines.
func TestCompareInverse(t *testing.T) {
	x, w, region := randomUnits(5, 2500)
	s := compareStudy(t, x, w, region)
	domains := map[string][2][]float64{"": {x, w}}
	for i, r := range region {
		d := domains["region="+r]
		d[0], d[1] = append(d[0], x[i]), append(d[1], w[i])
		domains["region="+r] = d
	}
	for _, h := range []float64{0.01, 0.1, 0.2345, 0.5, 0.99, 1} {
		out, err := Compare(context.Background(), s, Comparison{TargetHeadcount: &h})
		if err != nil {
			t.Fatal(err)
		}
		for dom, d := range domains {
			z := find(t, out.Results, "line_for_headcount", "", dom).Estimate
			below := math.Nextafter(z, math.Inf(-1))
			if got, under := indices.FGT(d[0], d[1], z, 0), indices.FGT(d[0], d[1], below, 0); got < h || under >= h {
				t.Errorf("H %v in %q: line %v gives %v, just below %v", h, dom, z, got, under)
			}
			frac := find(t, out.Results, "line_for_headcount_fraction", "", dom).Estimate
			if want := z / indices.Median(d[0], d[1]); frac != want {
				t.Errorf("H %v in %q: fraction %v, want %v", h, dom, frac, want)
			}
		}
	}
	for _, b := range []float64{0, 1, 12345.678, 1e6, 1e9} {
		out, err := Compare(context.Background(), s, Comparison{Budget: &b})
		if err != nil {
			t.Fatal(err)
		}
		for dom, d := range domains {
			z := find(t, out.Results, "line_for_budget", "", dom).Estimate
			var sums indices.PovertySums
			sums.AddAll(d[0], d[1], z)
			if math.Abs(sums.GapMoney-b) > 1e-9*max(1, b) {
				t.Errorf("budget %v in %q: line %v costs %v", b, dom, z, sums.GapMoney)
			}
			if b > 0 {
				var less indices.PovertySums
				lower := z - 1e-9*max(1, math.Abs(z))
				less.AddAll(d[0], d[1], lower)
				if less.GapMoney >= b {
					t.Errorf("budget %v in %q: a lower line %v costs %v already", b, dom, lower, less.GapMoney)
				}
			}
		}
	}
}

func TestCompareSameBytesWhateverGOMAXPROCS(t *testing.T) {
	x, w, region := randomUnits(3, 5000)
	s := compareStudy(t, x, w, region)
	h, b := 0.2, 1e5
	c := Comparison{Sweeps: []Sweep{mustSweep(t, "rel=median:0.3:0.7:0.05"), mustSweep(t, "grp=mean:0.3:0.7:0.05@region")},
		Lines: []Line{mustLine(t, "a=median:0.6"), mustLine(t, "b=mean:0.5@region")}, TargetHeadcount: &h, Budget: &b}
	var outs [][]byte
	for _, procs := range []int{1, 2, 4} {
		prev := runtime.GOMAXPROCS(procs)
		out, err := Compare(context.Background(), s, c)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, append(EncodeJSON(out.Results), EncodeCSV(out.Results)...))
	}
	if !bytes.Equal(outs[0], outs[1]) || !bytes.Equal(outs[0], outs[2]) {
		t.Error("results differ with GOMAXPROCS")
	}
}

func TestCompareErrors(t *testing.T) {
	s := compareStudy(t, []float64{1, 2}, []float64{1, 1}, []string{"A", "B"})
	h0, h2, bneg := 0.0, 1.5, -1.0
	for name, c := range map[string]Comparison{
		"headcount 0":     {TargetHeadcount: &h0},
		"headcount 1.5":   {TargetHeadcount: &h2},
		"negative budget": {Budget: &bneg},
		"twice":           {Lines: []Line{mustLine(t, "a=abs:1")}, Sweeps: []Sweep{mustSweep(t, "a=abs:1:2:1")}},
		"bad step":        {Sweeps: []Sweep{{Name: "a", Basis: "abs", From: 0, To: 1, Step: 0}}},
	} {
		if _, err := Compare(context.Background(), s, c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestEncodeAtCell checks the optional "at" and "cell" fields, and that
// rows without them encode as before.
func TestEncodeAtCell(t *testing.T) {
	plain := []Result{{Indicator: "headcount", Line: "z", Estimate: 0.5, N: 4, Population: 4}}
	if got, want := string(EncodeJSON(plain)), "{\"results\":[\n{\"indicator\":\"headcount\",\"line\":\"z\",\"domain\":{},\"estimate\":0.5,\"n\":4,\"population\":4}\n]}\n"; got != want {
		t.Errorf("JSON without at/cell:\n%s\nwant\n%s", got, want)
	}
	if got, want := string(EncodeCSV(plain)), "indicator,line,estimate,n,population,excluded_n,excluded_population,note\nheadcount,z,0.5,4,4,,,\n"; got != want {
		t.Errorf("CSV without at/cell:\n%s\nwant\n%s", got, want)
	}
	at := 0.3
	rs := []Result{
		{Indicator: "headcount", Line: "rel", At: &at, Estimate: 0.1, N: 4, Population: 4},
		{Indicator: "overlap", Line: "a|b", Cell: "both", Domain: []DomainValue{{"region", "A"}}, Estimate: 2, N: 2, Population: 2},
	}
	wantJSON := "{\"results\":[\n" +
		"{\"indicator\":\"headcount\",\"line\":\"rel\",\"domain\":{},\"at\":0.3,\"estimate\":0.1,\"n\":4,\"population\":4},\n" +
		"{\"indicator\":\"overlap\",\"line\":\"a|b\",\"domain\":{\"region\":\"A\"},\"cell\":\"both\",\"estimate\":2,\"n\":2,\"population\":2}\n]}\n"
	if got := string(EncodeJSON(rs)); got != wantJSON {
		t.Errorf("JSON:\n%s\nwant\n%s", got, wantJSON)
	}
	wantCSV := "indicator,line,region,at,cell,estimate,n,population,excluded_n,excluded_population,note\n" +
		"headcount,rel,,0.3,,0.1,4,4,,,\n" +
		"overlap,a|b,A,,both,2,2,2,,,\n"
	if got := string(EncodeCSV(rs)); got != wantCSV {
		t.Errorf("CSV:\n%s\nwant\n%s", got, wantCSV)
	}
}
