package reports

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/povstat/povstat/pipeline"
)

// curveCSV is a small population: incomes 1..10 (weight 1) in 2020, the
// same times 2 in 2021, in regions north (1..5) and south (6..10).
func curveCSV() string {
	var b strings.Builder
	b.WriteString("year,region,income,weight\n")
	for _, y := range []string{"2020", "2021"} {
		for i := 1; i <= 10; i++ {
			reg := "north"
			if i > 5 {
				reg = "south"
			}
			v := i
			if y == "2021" {
				v *= 2
			}
			b.WriteString(y + "," + reg + "," + strconv.Itoa(v) + ",1\n")
		}
	}
	return b.String()
}

// curveStudy is a study of curveCSV, complete.
func curveStudy(t *testing.T, lines ...string) *pipeline.Study {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hh.csv")
	if err := os.WriteFile(path, []byte(curveCSV()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &pipeline.Study{Name: "Curves", Inputs: []string{path}, Income: "income", Weight: "weight", Seed: 1}
	for _, l := range lines {
		s.Lines = append(s.Lines, mustLine(t, l))
	}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	return s
}

// checkFormats checks that a chart is a valid SVG, PNG and PDF.
func checkFormats(t *testing.T, c Chart) {
	t.Helper()
	checkSVG(t, c.SVG)
	if _, err := png.Decode(bytes.NewReader(c.PNG)); err != nil {
		t.Errorf("%s: PNG: %v", c.Name, err)
	}
	if !bytes.HasPrefix(c.PDF, []byte("%PDF-")) || !bytes.Contains(c.PDF, []byte("%%EOF")) {
		t.Errorf("%s: not a PDF", c.Name)
	}
}

// chartsOf renders the charts twice, checks every format and that the
// two renders have the same bytes, and returns them by name.
func chartsOf(t *testing.T, s *pipeline.Study, out *pipeline.Output) map[string]Chart {
	t.Helper()
	a, err := Charts(s, out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Charts(s, out)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]Chart{}
	for i, c := range a {
		checkFormats(t, c)
		if !bytes.Equal(c.SVG, b[i].SVG) || !bytes.Equal(c.PNG, b[i].PNG) || !bytes.Equal(c.PDF, b[i].PDF) {
			t.Errorf("%s: two renders differ", c.Name)
		}
		m[c.Name] = c
	}
	return m
}

func runStudy(t *testing.T, s *pipeline.Study) *pipeline.Output {
	t.Helper()
	out, err := pipeline.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLorenzChartsByYear(t *testing.T) {
	s := curveStudy(t)
	s.Indicators = []string{"gini", "lorenz", "generalized_lorenz"}
	s.Domains = [][]string{{"year"}}
	s.Time = "year"
	out := runStudy(t, s)
	cs := chartsOf(t, s, out)
	for _, name := range []string{"lorenz-by-year", "generalized-lorenz-by-year"} {
		if _, ok := cs[name]; !ok {
			t.Fatalf("no chart %s in %v", name, slices.Sorted(maps.Keys(cs)))
		}
	}
	curves, by := lorenzCurves(s, out.Results, "lorenz")
	if by != "year" || len(curves) != 2 || curves[0].label != "year 2020" || curves[1].label != "year 2021" {
		t.Fatalf("curves by %q: %+v", by, curves)
	}
	// 2020: incomes 1..10 (total 55): the poorest half holds 15, L(0.5) = 15/55;
	// the curve starts at the origin. 2021 doubles every income: the same curve.
	for _, c := range curves {
		if c.pts[0].X != 0 || c.pts[0].Y != 0 || len(c.pts) != 21 {
			t.Errorf("%s: %d points from %v", c.label, len(c.pts), c.pts[0])
		}
		if p := c.pts[10]; p.X != 0.5 || math.Abs(p.Y-15.0/55) > 1e-12 {
			t.Errorf("%s: L(%v) = %v, want 15/55", c.label, p.X, p.Y)
		}
	}
	gl, _ := lorenzCurves(s, out.Results, "generalized_lorenz")
	// GL(1) is the mean: 5.5 in 2020, 11 in 2021.
	if a, b := gl[0].pts[20].Y, gl[1].pts[20].Y; math.Abs(a-5.5) > 1e-12 || math.Abs(b-11) > 1e-12 {
		t.Errorf("GL(1) = %v, %v; want 5.5, 11", a, b)
	}
	svg := string(cs["lorenz-by-year"].SVG)
	for _, want := range []string{"Line of equality", "year 2020", "Share of total income (%)", "40%"} {
		if !strings.Contains(svg, want) {
			t.Errorf("Lorenz SVG lacks %q", want)
		}
	}
}

func TestLorenzChartsByDomain(t *testing.T) {
	s := curveStudy(t)
	s.Indicators = []string{"lorenz"}
	s.Domains = [][]string{{"region"}}
	out := runStudy(t, s)
	cs := chartsOf(t, s, out)
	if _, ok := cs["lorenz-by-region"]; !ok {
		t.Fatalf("charts %v", slices.Sorted(maps.Keys(cs)))
	}
	curves, _ := lorenzCurves(s, out.Results, "lorenz")
	var labels []string
	for _, c := range curves {
		labels = append(labels, c.label)
	}
	if !slices.Equal(labels, []string{"Whole population", "north", "south"}) {
		t.Errorf("curves %q", labels)
	}
}

// With more domains than a chart can show, the whole population and the
// most and least equal domains: here L(p) = p^k in domain k, so k = 1 is
// the most equal and k = 9 the least.
func TestLorenzChartsManyDomains(t *testing.T) {
	s := curveStudy(t)
	s.Domains = [][]string{{"county"}}
	var rs []pipeline.Result
	for k := 0; k <= 9; k++ {
		var d []pipeline.DomainValue
		if k > 0 {
			d = dom("county", "c"+strconv.Itoa(k))
		}
		for _, p := range pipeline.LorenzPoints() {
			at := p
			e := math.Pow(p, math.Max(1, float64(k)))
			if k == 0 {
				e = p * p
			}
			rs = append(rs, pipeline.Result{Indicator: "lorenz", Domain: d, At: &at, Estimate: e})
		}
	}
	curves, by := lorenzCurves(s, rs, "lorenz")
	var labels []string
	for _, c := range curves {
		labels = append(labels, c.label)
	}
	if by != "county" || !slices.Equal(labels, []string{"Whole population", "c1", "c9"}) {
		t.Errorf("by %q, curves %q", by, labels)
	}
}

// compareOutput runs pipeline.Compare on curveStudy: a sweep abs 1..12 and
// the lines a = abs:3 and b = abs:5.5, by region, in 2020 only.
func compareOutput(t *testing.T) (*pipeline.Study, *pipeline.Output) {
	t.Helper()
	s := curveStudy(t, "a=abs:3", "b=abs:5.5")
	s.Domains = [][]string{{"region"}}
	sw, err := pipeline.ParseSweep("grid=abs:1:12:1")
	if err != nil {
		t.Fatal(err)
	}
	s2020 := *s
	path := filepath.Join(t.TempDir(), "y2020.csv")
	var b strings.Builder
	for i, l := range strings.Split(curveCSV(), "\n") {
		if i == 0 || strings.HasPrefix(l, "2020,") {
			b.WriteString(l + "\n")
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s2020.Inputs = []string{path}
	c, err := pipeline.Compare(context.Background(), &s2020, pipeline.Comparison{Sweeps: []pipeline.Sweep{sw}, Lines: s.Lines})
	if err != nil {
		t.Fatal(err)
	}
	out := &pipeline.Output{Results: c.Results}
	out.Manifest.Rows = c.Rows
	return &s2020, out
}

func TestCompareCharts(t *testing.T) {
	s, out := compareOutput(t)
	cs := chartsOf(t, s, out)
	for _, name := range []string{"incidence-grid", "deficit-grid", "overlap-a-b"} {
		if _, ok := cs[name]; !ok {
			t.Fatalf("no chart %s in %v", name, slices.Sorted(maps.Keys(cs)))
		}
	}
	sws := sweepsOf(out.Results, nil)
	if len(sws) != 1 || !sws[0].money || len(sws[0].pts) != 12 {
		t.Fatalf("sweeps %+v", sws)
	}
	// Incomes 1..10, weight 1: at z = 4, three are poor (1, 2, 3) and
	// their gaps sum to 3 + 2 + 1 = 6 over 10 people; at z = 12 all ten,
	// gaps 11 + 10 + ... + 2 = 65.
	for _, tt := range []struct{ at, h, d float64 }{{4, 0.3, 0.6}, {1, 0, 0}, {12, 1, 6.5}} {
		i := slices.IndexFunc(sws[0].pts, func(p sweepPoint) bool { return p.at == tt.at })
		if i < 0 {
			t.Fatalf("no point %v", tt.at)
		}
		p := sws[0].pts[i]
		if p.line != tt.at || math.Abs(p.headcount-tt.h) > 1e-12 || math.Abs(p.deficit-tt.d) > 1e-12 {
			t.Errorf("z=%v: line %v headcount %v deficit %v, want %v %v", tt.at, p.line, p.headcount, p.deficit, tt.h, tt.d)
		}
	}
	// Both lines lie in the range 1..12: marked, with their values.
	for _, name := range []string{"incidence-grid", "deficit-grid"} {
		svg := string(cs[name].SVG)
		for _, want := range []string{"Line a: 3.00", "Line b: 5.50", "Poverty line (income units)"} {
			if !strings.Contains(svg, want) {
				t.Errorf("%s: SVG lacks %q", name, want)
			}
		}
	}
	// a: poor 1, 2; b: poor 1..5. Both 2, a only 0, b only 3, neither 5.
	ov := overlapsOf(out.Results, nil)
	if len(ov) != 1 || ov[0].both != 2 || ov[0].aOnly != 0 || ov[0].bOnly != 3 || ov[0].none != 5 {
		t.Fatalf("overlap %+v", ov)
	}
	if !strings.Contains(string(cs["overlap-a-b"].SVG), "Poor under neither line: 5") {
		t.Error("overlap chart lacks the count of the non-poor")
	}
}

// A sweep whose headcounts all have intervals gets a shaded band on its
// incidence curve, named in the legend; one point without leaves none.
func TestCompareChartsBand(t *testing.T) {
	s, out := compareOutput(t)
	s.Level = 0.9
	const legend = "90% confidence interval"
	if svg := string(chartsOf(t, s, out)["incidence-grid"].SVG); strings.Contains(svg, legend) {
		t.Error("a band without standard errors")
	}
	for i, r := range out.Results {
		if r.Indicator == "headcount" && r.Line == "grid" && r.At != nil {
			out.Results[i].SEMethod, out.Results[i].SE = "linearized", 0.01
			out.Results[i].CILower, out.Results[i].CIUpper = r.Estimate-0.02, r.Estimate+0.02
		}
	}
	sws := sweepsOf(out.Results, nil)
	if p := sws[0].pts[3]; p.headLo != p.headcount-0.02 || p.headHi != p.headcount+0.02 {
		t.Errorf("point %v: interval [%v, %v] around %v", p.at, p.headLo, p.headHi, p.headcount)
	}
	cs := chartsOf(t, s, out)
	if svg := string(cs["incidence-grid"].SVG); !strings.Contains(svg, legend) {
		t.Error("incidence curve: no band in the legend")
	}
	if svg := string(cs["deficit-grid"].SVG); strings.Contains(svg, legend) {
		t.Error("deficit curve: a band")
	}
	for i, r := range out.Results {
		if r.Indicator == "headcount" && r.Line == "grid" && r.At != nil && *r.At == 4 {
			out.Results[i].SEMethod = "unavailable"
		}
	}
	if svg := string(chartsOf(t, s, out)["incidence-grid"].SVG); strings.Contains(svg, legend) {
		t.Error("a band with a point without its interval")
	}
}

func TestComparingSection(t *testing.T) {
	s, out := compareOutput(t)
	html := string(HTML(s, out))
	sec := sectionOf(html, "comparing")
	for _, want := range []string{
		"Comparing lines",
		// a: 2 poor of 10 (20.0%), gaps 2 + 1 = 3; b: 5 poor, gaps 4.5+3.5+2.5+1.5+0.5 = 12.5.
		"Lines a and b: 2 persons are poor under both, 0 under a only and 3 under b only; of those either line calls poor, 40.0% are poor under both.",
		// North (1..5): a only 0, b only 3 of 5 = 60%; south (6..10): none.
		"By region, a and b differ most in: north (60.0% poor under one line only).",
		"Over the range grid, as the line rises from 1.00 to 12.00, the share of persons below it rises from 0.0% to 100.0%.",
		"rises from 0.00 to 6.50",
		`id="chart-incidence-grid"`, `id="chart-overlap-a-b"`,
		"fixed at 3.00",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("comparing section lacks %q", want)
		}
	}
	if !strings.Contains(html, `<a href="#comparing">Comparing lines</a>`) {
		t.Error("no contents entry for the comparing section")
	}
	// Without sweep or overlap rows there is no section.
	if c := comparingSection(s, testOutput().Results); c != nil {
		t.Error("comparing section without comparison rows")
	}
}

// riskResults are the validation rows of a score and a rule, by hand: in
// the test year 2021, capture curve through (0.2, 0.6) and (0.4, 0.8).
func riskResults() []pipeline.Result {
	y := dom("year", "2021")
	var rs []pipeline.Result
	add := func(ind, model, cell string, at *float64, v float64) {
		rs = append(rs, pipeline.Result{Indicator: ind, Model: model, Line: "z", Domain: y, Cell: cell, At: at, Estimate: v, N: 100, Population: 1000})
	}
	f := func(v float64) *float64 { return &v }
	rs = append(rs, pipeline.Result{Indicator: "auc", Model: "score", Line: "z", Domain: y, Estimate: 0.8, CILower: 0.7, CIUpper: 0.9, SE: 0.05, SEMethod: "delong", N: 100, Population: 1000})
	add("brier", "score", "", nil, 0.12)
	add("capture_at_k", "score", "", f(0.2), 0.6)
	for j := 1; j <= 10; j++ {
		add("calibration", "score", "D"+strconv.Itoa(j), nil, 0.05*float64(j))
	}
	for j := 1; j <= 10; j++ {
		add("calibration_predicted", "score", "D"+strconv.Itoa(j), nil, 0.04*float64(j))
	}
	rs = append(rs, pipeline.Result{Indicator: "events", Model: "score", Line: "z", Domain: y, Estimate: 250, N: 25, Population: 250})
	add("n", "score", "", nil, 100)
	for k := 1; k <= 50; k++ {
		at := float64(k) / 50
		v := math.Min(1, 3*at) // up to (0.2, 0.6)
		if at > 0.2 {
			v = math.Min(1, 0.6+(at-0.2)) // (0.4, 0.8), (0.6, 1)
		}
		add("capture_curve", "score", "", f(at), v)
	}
	for k := 0; k < 20; k++ {
		at := float64(k) / 20
		add("score_distribution", "score", "returned", f(at), float64(k)/190)
		add("score_distribution", "score", "not_returned", f(at), float64(19-k)/190)
	}
	add("auc", "rule:income", "", nil, 0.65)
	add("capture_at_k", "rule:income", "", f(0.3), 0.5)
	return rs
}

func TestRiskCharts(t *testing.T) {
	s := curveStudy(t, "z=abs:3")
	out := &pipeline.Output{Results: riskResults()}
	cs := chartsOf(t, s, out)
	for _, name := range []string{"risk-calibration", "risk-capture", "risk-scores"} {
		if _, ok := cs[name]; !ok {
			t.Fatalf("no chart %s in %v", name, slices.Sorted(maps.Keys(cs)))
		}
	}
	rs, _ := riskOf(out.Results)
	pts := calibrationPoints(rs)
	if len(pts) != 10 || math.Abs(pts[2].X-0.12) > 1e-15 || math.Abs(pts[2].Y-0.15) > 1e-15 {
		t.Errorf("calibration points %v", pts)
	}
	if svg := string(cs["risk-capture"].SVG); !strings.Contains(svg, "Rule income") || !strings.Contains(svg, "Visiting at random") {
		t.Error("capture chart lacks the rule or the diagonal")
	}
	// Without capture_curve rows, the score's capture_at_k points and (1, 1).
	var noCurve []pipeline.Result
	for _, r := range out.Results {
		if r.Indicator != "capture_curve" {
			noCurve = append(noCurve, r)
		}
	}
	rs, _ = riskOf(noCurve)
	if got := capturePoints(rs); len(got) != 3 || got[1].X != 0.2 || got[1].Y != 0.6 || got[2].X != 1 {
		t.Errorf("capture points without the curve: %v", got)
	}
}

func TestRiskSection(t *testing.T) {
	s := curveStudy(t, "z=abs:3")
	out := testOutput()
	out.Results = append(out.Results, riskResults()...)
	html := string(HTML(s, out))
	sec := sectionOf(html, "risk")
	for _, want := range []string{
		"Return to poverty",
		"Test period year 2021, line z: 100 households at risk (1,000 weighted), of which 25 returned to poverty (250 weighted, 25.0%).",
		"AUC is 0.800", "95% confidence interval: 0.700 to 0.900.",
		// The rule flags 30% and catches 50%; the score at 30% is
		// between (0.2, 0.6) and (0.4, 0.8): 0.7.
		"Rule income flags 30.0% of households and catches 50.0% of the returns to poverty. Visiting the same share in order of the score would catch 70.0%.",
		`id="chart-risk-capture"`, `id="chart-risk-calibration"`, `id="chart-risk-scores"`,
		"Validation of the risk score",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if !strings.Contains(sec, "Risk score, highest first") || !strings.Contains(sec, "60.0%") {
		t.Error("capture table lacks the score's row")
	}
	if riskSection(s, testOutput().Results) != nil {
		t.Error("risk section without risk rows")
	}
}

func TestDisparityTrend(t *testing.T) {
	s := chartStudy(t)
	out := chartOutput(false)
	for i, year := range []string{"2020", "2021"} {
		for _, ind := range []string{"cv", "williamson", "theil_t_between_share"} {
			out.Results = append(out.Results, pipeline.Result{Indicator: ind, Domain: dom("year", year), Estimate: 0.2 + 0.1*float64(i)})
		}
	}
	cs := chartsOf(t, s, out)
	c, ok := cs["disparity-by-year"]
	if !ok {
		t.Fatalf("charts %v", slices.Sorted(maps.Keys(cs)))
	}
	for _, want := range []string{"Williamson", "Theil T: share between regions", "2021"} {
		if !strings.Contains(string(c.SVG), want) {
			t.Errorf("disparity chart lacks %q", want)
		}
	}
}

// The new texts have Chinese, and the Chinese charts draw it (when a CJK
// font is installed).
func TestCurveChartsChinese(t *testing.T) {
	s, out := compareOutput(t)
	s.Lang = "zh"
	out.Results = append(out.Results, riskResults()...)
	html := string(HTML(s, out))
	for _, want := range []string{"贫困线比较", "返贫风险", "贫困线 a 与 b"} {
		if !strings.Contains(html, want) {
			t.Errorf("Chinese report lacks %q", want)
		}
	}
	cs, err := Charts(s, out)
	if errors.Is(err, ErrNoCJKFont) {
		t.Skip("no CJK font")
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Name == "incidence-grid" && !strings.Contains(string(c.SVG), "贫困发生率曲线") {
			t.Error("Chinese incidence chart lacks its Chinese title")
		}
	}
}

// A sweep by year (a fraction of each year's median) gives one curve per
// year, on the money axis of each year's lines, with the lines computed by
// year marked at their value in the latest year.
func TestSweepCurvesByPeriod(t *testing.T) {
	s := curveStudy(t, "med=median:0.6@year")
	s.Domains = [][]string{{"year"}}
	s.Time = "year"
	sw, err := pipeline.ParseSweep("rel=median:0.3:0.7:0.1@year")
	if err != nil {
		t.Fatal(err)
	}
	c, err := pipeline.Compare(context.Background(), s, pipeline.Comparison{Sweeps: []pipeline.Sweep{sw}, Lines: s.Lines})
	if err != nil {
		t.Fatal(err)
	}
	nat := sweepsOf(c.Results, nil)
	if len(nat) != 1 {
		t.Fatalf("national sweeps %+v", nat)
	}
	sws, labels, latest := sweepCurves(s, c.Results, nat[0])
	if !slices.Equal(labels, []string{"year 2020", "year 2021"}) || latest != "2021" {
		t.Fatalf("curves %q, latest %q", labels, latest)
	}
	// 2021: incomes 2, 4, ..., 20, median (10 + 12)/2 = 11; at 0.6 the line
	// is 6.6 and 2, 4, 6 are below it: 30%. At 0.3: 3.3, one of ten.
	for _, tt := range []struct{ at, x, h float64 }{{0.6, 6.6, 0.3}, {0.3, 3.3, 0.1}} {
		i := slices.IndexFunc(sws[1].pts, func(p sweepPoint) bool { return math.Abs(p.at-tt.at) < 1e-9 })
		if i < 0 || !sws[1].money {
			t.Fatalf("2021: no point %v on a money axis: %+v", tt.at, sws[1])
		}
		if p := sws[1].pts[i]; math.Abs(p.line-tt.x) > 1e-9 || math.Abs(p.headcount-tt.h) > 1e-12 {
			t.Errorf("2021 at %v: line %v headcount %v, want %v %v", tt.at, p.line, p.headcount, tt.x, tt.h)
		}
	}
	marks := lineMarks(s, c.Results, sws, latest)
	if len(marks) != 1 || marks[0].label != "Line med, year 2021: 6.60" {
		t.Errorf("marks %+v", marks)
	}
	cs := chartsOf(t, s, &pipeline.Output{Results: c.Results})
	if svg := string(cs["incidence-rel"].SVG); !strings.Contains(svg, "year 2020") || !strings.Contains(svg, "Line med, year 2021: 6.60") {
		t.Error("incidence chart lacks the curves by year or the mark")
	}
}
