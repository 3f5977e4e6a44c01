package pipeline

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tableStudy writes a CSV of household rows with the given columns (the
// first row of rows is the header) and returns a complete study of
// households over it with income and weight columns, the given domains
// and no lines.
func tableStudy(t *testing.T, rows [][]string, domains ...[]string) *Study {
	t.Helper()
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, ",") + "\n")
	}
	path := filepath.Join(t.TempDir(), "hh.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "t", Inputs: []string{path}, Income: "income", Weight: "weight", Unit: "households", Domains: domains, Seed: 1}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	s.Lines = nil
	return s
}

func TestParseSweepGrouped(t *testing.T) {
	sw := mustSweep(t, "prov=median:0.4:0.7:0.05@province, urban ?urban=false&year=2020")
	if strings.Join(sw.By, "|") != "province|urban" || len(sw.Where) != 2 || sw.Where[1] != (Condition{"year", "2020"}) {
		t.Errorf("By %q, Where %v", sw.By, sw.Where)
	}
	if got, want := sw.Spec(), "median:0.4:0.7:0.05@province,urban?urban=false&year=2020"; got != want {
		t.Errorf("Spec() = %q, want %q", got, want)
	}
	if back := mustSweep(t, "prov="+sw.Spec()); back.Spec() != sw.Spec() {
		t.Errorf("Spec does not read back: %q", back.Spec())
	}
	if got := mustSweep(t, "r=mean:0.2:0.4:0.1?urban=true").Spec(); got != "mean:0.2:0.4:0.1?urban=true" {
		t.Errorf("Spec() = %q", got)
	}
	for _, bad := range []string{
		"a=abs:1:4:1@province",          // absolute sweeps have no groups
		"a=median:0.4:0.7:0.1@",         // empty column
		"a=median:0.4:0.7:0.1@p,p",      // repeated column
		"a=median:0.4:0.7:0.1?urban",    // condition without value
		"a=median:0.4:0.7:0.1?u=1@p",    // conditions before columns
		"a=median:0.7:0.4:0.1@province", // from above to
	} {
		if _, err := ParseSweep(bad); err == nil {
			t.Errorf("ParseSweep(%q): no error", bad)
		}
	}
}

// TestCompareGroupedSweepHandWorked: region A has incomes 1, 2, 3, 4
// (median 2.5, laeken's average at c = 0.5), B 10, 20, 30, 40 (median 25),
// C 5, 6 with kind y (no reference unit under ?kind=x), unit weights.
//
//	F = 0.5: z_A = 1.25, z_B = 12.5: poor 1 and 10; H = 2/8, gaps 0.2 + 0.2
//	         over 8: 0.05; severity 2·0.04/8 = 0.01; gap_total 0.25 + 2.5
//	F = 1:   z_A = 2.5, z_B = 25: poor 1, 2, 10, 20; H = 4/8; gap
//	         (0.6 + 0.2 + 0.6 + 0.2)/8 = 0.2; gap_total 1.5 + 0.5 + 15 + 5 = 22
func TestCompareGroupedSweepHandWorked(t *testing.T) {
	rows := [][]string{{"region", "kind", "income", "weight"}}
	for _, r := range []struct {
		region, kind string
		x            float64
	}{{"A", "x", 1}, {"A", "x", 2}, {"A", "x", 3}, {"A", "x", 4}, {"B", "x", 10}, {"B", "x", 20}, {"B", "x", 30}, {"B", "x", 40}, {"C", "y", 5}, {"C", "y", 6}} {
		rows = append(rows, []string{r.region, r.kind, strconv.FormatFloat(r.x, 'g', -1, 64), "1"})
	}
	s := tableStudy(t, rows, []string{"region"})
	out, err := Compare(context.Background(), s, Comparison{Sweeps: []Sweep{mustSweep(t, "s=median:0.5:1:0.5@region?kind=x")}})
	if err != nil {
		t.Fatal(err)
	}
	rs := out.Results
	want := []struct {
		ind, dom string
		at, v    float64
	}{
		{"line", "region=A", 0.5, 1.25}, {"line", "region=B", 0.5, 12.5}, {"line", "region=B", 1, 25},
		{"headcount", "", 0.5, 0.25}, {"gap", "", 0.5, 0.05}, {"severity", "", 0.5, 0.01}, {"gap_total", "", 0.5, 2.75},
		{"poor_population", "", 0.5, 2},
		{"headcount", "", 1, 0.5}, {"gap", "", 1, 0.2}, {"gap_total", "", 1, 22},
		{"severity", "", 1, (0.36 + 0.04 + 0.36 + 0.04) / 8},
		{"headcount", "region=A", 1, 0.5}, {"gap_total", "region=B", 1, 20},
	}
	for _, w := range want {
		r := findAt(t, rs, w.ind, "s", w.dom, w.at)
		if math.Abs(r.Estimate-w.v) > 1e-12 {
			t.Errorf("%s %q at %v = %v, want %v", w.ind, w.dom, w.at, r.Estimate, w.v)
		}
	}
	if r := findAt(t, rs, "line", "s", "region=C", 1); !math.IsNaN(r.Estimate) || r.Note == "" {
		t.Errorf("line of C = %v (%q), want none with a note", r.Estimate, r.Note)
	}
	if r := findAt(t, rs, "headcount", "s", "", 0.5); r.N != 10 || r.Population != 10 || r.ExcludedN != 2 || r.ExcludedPopulation != 2 {
		t.Errorf("whole population: n %d population %v excluded %d %v; want 10 10 2 2", r.N, r.Population, r.ExcludedN, r.ExcludedPopulation)
	}
	if r := findAt(t, rs, "headcount", "s", "region=C", 1); !math.IsNaN(r.Estimate) || r.ExcludedN != 2 {
		t.Errorf("headcount in C = %v (excluded %d), want none (2)", r.Estimate, r.ExcludedN)
	}
	if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "region=C") {
		t.Errorf("warnings %q, want one about region C", out.Warnings)
	}
}

// groupedData draws n households in regions A, B, C (lognormal incomes,
// some ties and negatives, integer weights so that sums are exact) and a
// region D whose incomes are all negative (a negative median), with a
// kind y or x.
func groupedData(seed uint64, n int) [][]string {
	x, w, region := randomUnits(seed, n)
	rng := rand.New(rand.NewPCG(seed, 1))
	rows := [][]string{{"region", "kind", "income", "weight"}}
	for i := range x {
		kind := []string{"x", "y"}[rng.IntN(2)]
		rows = append(rows, []string{region[i], kind, strconv.FormatFloat(x[i], 'g', -1, 64), strconv.Itoa(int(math.Round(w[i])))})
	}
	for i := range 20 {
		rows = append(rows, []string{"D", "x", strconv.Itoa(-100 * (i + 1)), strconv.Itoa(1 + i%3)})
	}
	return rows
}

// TestCompareGroupedSweepEqualsRun checks every point of grouped sweeps
// against the named line BASIS:F@region?... computed by Run, one line at a
// time: the same poor (headcount and poor population exactly, the weights
// being whole numbers), gaps within rounding, the same line values and
// the same excluded units.
func TestCompareGroupedSweepEqualsRun(t *testing.T) {
	rows := groupedData(5, 3000)
	for _, spec := range []string{"median:0.4:0.7:0.05@region", "mean:0.2:0.6:0.1@region?kind=x", "median:0.5:0.6:0.1?kind=y", "median:0.3:0.5:0.1@region,kind"} {
		t.Run(spec, func(t *testing.T) {
			s := tableStudy(t, rows, []string{"region"}, []string{"kind"})
			sw := mustSweep(t, "sw="+spec)
			out, err := Compare(context.Background(), s, Comparison{Sweeps: []Sweep{sw}})
			if err != nil {
				t.Fatal(err)
			}
			head, tail, _ := strings.Cut(spec, "@")
			if !strings.Contains(spec, "@") {
				head, tail, _ = strings.Cut(spec, "?")
				tail = "?" + tail
			} else {
				tail = "@" + tail
			}
			basis := strings.Split(head, ":")[0]
			checked := 0
			for _, f := range sw.Points() {
				rs := s.withLine(t, basis+":"+strconv.FormatFloat(f, 'g', -1, 64)+tail)
				for _, r := range rs {
					if r.Line != "named" {
						continue
					}
					got := findAt(t, out.Results, r.Indicator, "sw", domainText(r.Domain), f)
					exact := r.Indicator == "headcount" || r.Indicator == "poor_population" || r.Indicator == "line"
					tol := 1e-9 * max(1, math.Abs(r.Estimate))
					if math.IsNaN(r.Estimate) != math.IsNaN(got.Estimate) || exact && !math.IsNaN(r.Estimate) && got.Estimate != r.Estimate ||
						math.Abs(got.Estimate-r.Estimate) > tol {
						t.Errorf("%s %q at %v = %v, named line %v", r.Indicator, domainText(r.Domain), f, got.Estimate, r.Estimate)
					}
					if got.N != r.N || got.Population != r.Population || got.ExcludedN != r.ExcludedN || got.ExcludedPopulation != r.ExcludedPopulation {
						t.Errorf("%s %q at %v: n %d pop %v excluded %d %v; named line %d %v %d %v", r.Indicator, domainText(r.Domain), f,
							got.N, got.Population, got.ExcludedN, got.ExcludedPopulation, r.N, r.Population, r.ExcludedN, r.ExcludedPopulation)
					}
					checked++
				}
			}
			if checked < len(sw.Points())*5*3 {
				t.Errorf("checked %d rows", checked)
			}
		})
	}
}

// withLine runs a copy of s with one line named "named" and the sweep's
// indicators, and returns its results.
func (s *Study) withLine(t *testing.T, spec string) []Result {
	t.Helper()
	sc := *s
	l, err := ParseLineSpec("named", spec)
	if err != nil {
		t.Fatal(err)
	}
	sc.Lines = []Line{l}
	sc.Indicators = []string{"line", "headcount", "gap", "severity", "poor_population", "gap_total"}
	out, err := Run(context.Background(), &sc, SkipHashes())
	if err != nil {
		t.Fatal(err)
	}
	return out.Results
}

// TestCompareGroupedSweepNegativeReference: region D's median is negative,
// so at every F its line F·median is not positive: its units are poor
// where x < F·median (fewer as F grows), and gaps do not exist there (nor
// in the whole population).
func TestCompareGroupedSweepNegativeReference(t *testing.T) {
	rows := [][]string{{"region", "income", "weight"}, {"A", "10", "1"}, {"A", "20", "1"}, {"A", "30", "1"},
		{"D", "-10", "1"}, {"D", "-20", "1"}, {"D", "-30", "1"}}
	s := tableStudy(t, rows, []string{"region"})
	out, err := Compare(context.Background(), s, Comparison{Sweeps: []Sweep{mustSweep(t, "s=median:0.5:2:0.5@region")}})
	if err != nil {
		t.Fatal(err)
	}
	// D: median -20, lines -10, -20, -30, -40: poor (x < z) 2, 1, 0, 0 units.
	// A: median 20, lines 10, 20, 30, 40: poor 0, 1, 2, 3.
	for k, want := range []float64{2, 1, 0, 0} {
		f := 0.5 * float64(k+1)
		if r := findAt(t, out.Results, "poor_population", "s", "region=D", f); r.Estimate != want {
			t.Errorf("poor in D at %v = %v, want %v", f, r.Estimate, want)
		}
		if r := findAt(t, out.Results, "headcount", "s", "", f); r.Estimate != (want+float64(k))/6 {
			t.Errorf("headcount at %v = %v, want %v", f, r.Estimate, (want+float64(k))/6)
		}
		if r := findAt(t, out.Results, "gap", "s", "", f); !math.IsNaN(r.Estimate) {
			t.Errorf("gap at %v = %v, want none: some lines are not positive", f, r.Estimate)
		}
		if r := findAt(t, out.Results, "gap", "s", "region=A", f); math.IsNaN(r.Estimate) {
			t.Errorf("gap in A at %v: none", f)
		}
	}
	// gap_total in D at 0.5: (−10 − (−20)) + (−10 − (−30)) = 30.
	if r := findAt(t, out.Results, "gap_total", "s", "region=D", 0.5); r.Estimate != 30 {
		t.Errorf("gap_total in D at 0.5 = %v, want 30", r.Estimate)
	}
}

// TestCompareDominanceWithinDomains: years 2020 and 2022 in provinces P
// (2020: 1, 2, 3; 2022: 2, 3, 4: the 2022 incidence curve is nowhere
// above the 2020 one and below it on (1, 4], so 2022 dominates at both
// orders), Q (2020: 1, 4; 2022: 2, 3: the incidence curves cross, first at
// 2, the deficit curves do not, 2022 dominating, as in
// TestCompareDominanceHandWorked) and R (2020 only: empty group).
func TestCompareDominanceWithinDomains(t *testing.T) {
	rows := [][]string{{"year", "province", "income", "weight"}}
	for _, r := range []struct {
		year, prov string
		xs         []int
	}{{"2020", "P", []int{1, 2, 3}}, {"2022", "P", []int{2, 3, 4}}, {"2020", "Q", []int{1, 4}}, {"2022", "Q", []int{2, 3}}, {"2020", "R", []int{5}}} {
		for _, x := range r.xs {
			rows = append(rows, []string{r.year, r.prov, strconv.Itoa(x), "1"})
		}
	}
	s := tableStudy(t, rows, []string{"year"}, []string{"year", "province"})
	out, err := Compare(context.Background(), s, Comparison{Dominance: "year", DominanceRange: &[2]float64{0, 5}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ind, dom, cell string
		at             float64
	}{
		{"dominance_first", "province=P", "b_dominates", math.NaN()},
		{"dominance_second", "province=P", "b_dominates", math.NaN()},
		{"dominance_first", "province=Q", "cross", 2},
		{"dominance_second", "province=Q", "b_dominates", math.NaN()},
	}
	for _, tt := range tests {
		r := findCell(t, out.Results, tt.ind, "2020|2022", tt.dom, tt.cell)
		if math.IsNaN(tt.at) != math.IsNaN(r.Estimate) || !math.IsNaN(tt.at) && r.Estimate != tt.at {
			t.Errorf("%s %s: crossing %v, want %v", tt.ind, tt.dom, r.Estimate, tt.at)
		}
	}
	for _, ind := range []string{"dominance_first", "dominance_second"} {
		if r := findCell(t, out.Results, ind, "2020|2022", "province=R", ""); r.Note != "empty group" || r.N != 1 {
			t.Errorf("%s in R: note %q n %d, want empty group, 1", ind, r.Note, r.N)
		}
	}
	// The whole population is still compared, and the breakdown [year]
	// (the year taken out: the whole population) adds nothing.
	n := 0
	for _, r := range out.Results {
		if strings.HasPrefix(r.Indicator, "dominance_") {
			n++
			if len(r.Domain) > 1 || len(r.Domain) == 1 && r.Domain[0].Column != "province" {
				t.Errorf("dominance row in domain %s", domainText(r.Domain))
			}
		}
	}
	if n != 2*4 {
		t.Errorf("%d dominance rows, want 8 (2 orders × whole population and 3 provinces)", n)
	}
}

// BenchmarkSweep compares one pass over a million units for one named
// line (its evaluation and sums, as Run does), a national sweep of 41
// lines and a sweep of 41 fractions of each of 31 regions' medians, in
// 3 × 31 domain cells. The target: a 41-point sweep costs no
// more than about twice one line.
func BenchmarkSweep(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(3, 0))
	u := &units{x: make([]float64, n), w: make([]float64, n), factors: map[string]*factor{}}
	region := &factor{codes: make([]int32, n)}
	year := &factor{codes: make([]int32, n), levels: []string{"2020", "2021", "2022"}}
	for r := range 31 {
		region.levels = append(region.levels, strconv.Itoa(r+1))
	}
	for i := range n {
		u.x[i] = math.Exp(9 + rng.NormFloat64())
		u.w[i] = 1 + rng.Float64()
		region.codes[i] = int32(rng.IntN(31))
		year.codes[i] = int32(rng.IntN(3))
	}
	u.factors["region"], u.factors["year"] = region, year
	line := mustSweep(b, "g=median:0.3:0.7:0.01@region")
	s := &Study{Domains: [][]string{{"year"}, {"year", "region"}}, Lines: []Line{line.refLine(), {Name: "one", Basis: "median", Value: 0.6, By: []string{"region"}}}}
	ctx := context.Background()
	p, err := makePlan(ctx, s, u, wants{})
	if err != nil {
		b.Fatal(err)
	}
	breakdowns := append([][]string{nil}, s.Domains...)
	finest := p.groupings[colsKey(p.finestCols)]
	rep := representatives(finest)
	b.Run("line", func(b *testing.B) {
		for b.Loop() {
			lv, _ := p.evalLine(u, s.Lines[1])
			cellSums(u, finest, rep, lv)
		}
	})
	for _, sw := range []Sweep{mustSweep(b, "n=median:0.3:0.7:0.01"), line} {
		b.Run(sw.Name+"41", func(b *testing.B) {
			for b.Loop() {
				refs := []*lineValues{nil}
				if sw.grouped() {
					refs[0], _ = p.evalLine(u, sw.refLine())
				}
				if _, err := sweepRows(ctx, u, p, breakdowns, []Sweep{sw}, refs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
