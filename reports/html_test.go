package reports

import (
	"bytes"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/pipeline"
)

const evil = `<script>alert(1)</script>`

func mustLine(t *testing.T, s string) pipeline.Line {
	t.Helper()
	l, err := pipeline.ParseLine(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testStudy is a study of two lines, one of them computed by region, with
// region as its only breakdown; its name carries markup.
func testStudy(t *testing.T) *pipeline.Study {
	return &pipeline.Study{
		Name:        "Poverty " + evil,
		Lines:       []pipeline.Line{mustLine(t, "eu=median:0.6"), mustLine(t, "half=mean:0.5@region?urban=false")},
		Domains:     [][]string{{"region"}},
		Indicators:  pipeline.DefaultIndicators(),
		Unit:        "persons",
		Income:      "income",
		Weight:      "weight",
		Rows:        "persons",
		Equivalence: "none",
	}
}

func region(v string) []pipeline.DomainValue {
	return []pipeline.DomainValue{{Column: "region", Value: v}}
}

// testOutput holds results for the whole population and two regions, one
// of them named with markup and empty, and a manifest with absolute paths.
func testOutput() *pipeline.Output {
	nan := math.NaN()
	const empty = "empty domain"
	return &pipeline.Output{
		Results: []pipeline.Result{
			{Indicator: "population", Estimate: 1234567.6, N: 2390, Population: 1234567.6},
			{Indicator: "n", Estimate: 2390, N: 2390, Population: 1234567.6},
			{Indicator: "mean", Estimate: 20000.4, N: 2390, Population: 1234567.6},
			{Indicator: "median", Estimate: 15000, N: 2390, Population: 1234567.6},
			{Indicator: "population", Domain: region("north"), Estimate: 1234567.6, N: 2390, Population: 1234567.6},
			{Indicator: "population", Domain: region(evil), Estimate: 0, Note: empty},
			{Indicator: "mean", Domain: region("north"), Estimate: 20000.4, N: 2390, Population: 1234567.6},
			{Indicator: "mean", Domain: region(evil), Estimate: nan, Note: empty},
			{Indicator: "line", Line: "eu", Estimate: 9000, N: 2390, Population: 1234567.6},
			{Indicator: "line", Line: "half", Domain: region("north"), Estimate: 10000.2, N: 700, Population: 300000},
			{Indicator: "line", Line: "half", Domain: region(evil), Estimate: nan, Note: "no reference unit in this group"},
			{Indicator: "headcount", Line: "eu", Estimate: 0.1234, N: 2390, Population: 1234567.6},
			{Indicator: "headcount", Line: "eu", Domain: region("north"), Estimate: 0.1234, N: 2390, Population: 1234567.6},
			{Indicator: "headcount", Line: "eu", Domain: region(evil), Estimate: nan, Note: empty},
			{Indicator: "watts", Line: "eu", Estimate: 0.04567, N: 2390, Population: 1234567.6, ExcludedN: 3, ExcludedPopulation: 1500},
			{Indicator: "poor_population", Line: "eu", Estimate: 152345.2, N: 2390, Population: 1234567.6},
			{Indicator: "gap_total", Line: "eu", Estimate: -1234, N: 2390, Population: 1234567.6},
			{Indicator: "headcount", Line: "half", Estimate: 0.05, N: 2390, Population: 1234567.6},
			{Indicator: "rmpg", Line: "half", Estimate: 0.25, N: 2390, Population: 1234567.6},
		},
		Manifest: pipeline.Manifest{
			Povstat:   "0.1.0-test",
			GoVersion: "go1.26.8",
			Study:     pipeline.StudyInfo{Name: "Poverty " + evil, Path: "/home/someone/studies/s.yaml", SHA256: "00ff"},
			Seed:      7,
			Unit:      "persons",
			Inputs: []pipeline.InputRecord{
				{Path: "/srv/data/survey/a/x.parquet", SHA256: "aaaa", Rows: 1200, RowGroups: 1},
				{Path: "/srv/data/survey/b/y.parquet", SHA256: "bbbb", Rows: 1200, RowGroups: 2},
			},
			Rows: pipeline.RowCounts{Read: 2400, Used: 2390, Rules: []datasets.Count{
				{Rule: "weight <= 0", Column: "weight", Action: "excluded", Rows: 10, Examples: []string{"/srv/data/survey/a/x.parquet row 5", evil}},
			}},
			Timings: pipeline.Timings{ComputeSeconds: 123.456},
		},
		Warnings: []string{"watts: 3 units (weighted 1500.25) with income <= 0 are left out " + evil},
	}
}

func TestHTMLEscapes(t *testing.T) {
	got := string(HTML(testStudy(t), testOutput()))
	if strings.Contains(got, evil) {
		t.Errorf("report holds %q unescaped", evil)
	}
	if i := strings.Index(strings.ToLower(got), "<script"); i >= 0 {
		t.Errorf("report holds a script element: %q", got[i:min(len(got), i+60)])
	}
	esc := "&lt;script&gt;alert(1)&lt;/script&gt;"
	for _, where := range []string{"<title>Poverty " + esc, "<h1>Poverty " + esc, "<td>" + esc + "</td>", esc + "</li>"} {
		if !strings.Contains(got, where) {
			t.Errorf("report lacks the escaped text %q", where)
		}
	}
}

func TestHTMLSelfContained(t *testing.T) {
	got := string(HTML(testStudy(t), testOutput()))
	for _, bad := range []string{"http://", "https://", "<script", "<iframe", "<img", "<link", "@import", "url("} {
		if strings.Contains(strings.ToLower(got), bad) {
			t.Errorf("report holds %q", bad)
		}
	}
	if m := regexp.MustCompile(`(?i)\ssrc\s*=`).FindString(got); m != "" {
		t.Errorf("report loads a resource: %q", m)
	}
	// Every link is to an anchor of the page itself, and the anchor exists.
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]*)"`).FindAllStringSubmatch(got, -1) {
		if ids[m[1]] {
			t.Errorf("id %q is used twice", m[1])
		}
		ids[m[1]] = true
	}
	hrefs := regexp.MustCompile(`(?i)\shref\s*=\s*"([^"]*)"`).FindAllStringSubmatch(got, -1)
	if len(hrefs) == 0 {
		t.Error("no table of contents")
	}
	for _, m := range hrefs {
		if !strings.HasPrefix(m[1], "#") || !ids[m[1][1:]] {
			t.Errorf("link %q is not to an anchor of the page", m[1])
		}
	}
	// No absolute path and no timing.
	for _, bad := range []string{"/srv/data", "/home/someone", "123.456"} {
		if strings.Contains(got, bad) {
			t.Errorf("report holds %q", bad)
		}
	}
	for _, want := range []string{"…/a/x.parquet", "…/a/x.parquet row 5", "…/b/y.parquet", "s.yaml"} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestHTMLFigures(t *testing.T) {
	got := string(HTML(testStudy(t), testOutput()))
	key := got[strings.Index(got, `id="key"`):strings.Index(got, `id="lines"`)]
	for _, want := range []string{
		`<div class="v">1,234,568</div>`, // population
		`<div class="v">20,000</div>`,    // mean income
		`<div class="v">15,000</div>`,    // median income
		"2,390 rows of 2,400 read",
		`width:12.3%"></i></span>12.3%</td>`, // headcount of eu
		"<td class=\"num\">152,345</td>",     // poor population
		`width:5.0%"></i></span>5.0%</td>`,   // headcount of half
		"60% of the median income",
		"50% of the mean income of units with urban = false, computed in each region",
		"<td class=\"num\" title=\"2 groups by region\">10,000</td>", // the range of a grouped line
		"weighted 1,500",
	} {
		if !strings.Contains(key, want) {
			t.Errorf("key figures lack %s", want)
		}
	}
	for _, want := range []string{
		`title="3 rows left out (1,500 weighted)">0.046</td>`, // watts, an index
		`>-1,234</td>`, // gap_total, money
		"Rel. median gap</th>",
		`<td class="num">25.0%</td>`, // rmpg, a rate without a bar
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %s", want)
		}
	}
}

func TestHTMLMissingEstimate(t *testing.T) {
	got := string(HTML(testStudy(t), testOutput()))
	for _, want := range []string{
		`<td class="num na" title="empty domain">–</td>`,
		`<td class="num na" title="no reference unit in this group">–</td>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	if strings.Contains(got, "NaN") {
		t.Error("report shows NaN")
	}
}

func TestHTMLSameBytes(t *testing.T) {
	s, out := testStudy(t), testOutput()
	before := slices.Clone(out.Results)
	a := HTML(s, out)
	other := testOutput()
	other.Manifest.Timings = pipeline.Timings{InspectSeconds: 9, ReadSeconds: 9, ComputeSeconds: 9, WriteSeconds: 9}
	b := HTML(testStudy(t), other)
	if !bytes.Equal(a, b) {
		t.Error("same study and results give different bytes")
	}
	if !reflect.DeepEqual(out.Results[:4], before[:4]) || len(out.Results) != len(before) {
		t.Error("HTML changed the results")
	}
}

func TestHTMLEmptyOutput(t *testing.T) {
	s := testStudy(t)
	s.Indicators = []string{"headcount"}
	got := string(HTML(s, &pipeline.Output{}))
	if !strings.Contains(got, "No row was excluded or flagged.") {
		t.Error("empty screening table not said")
	}
	if !strings.Contains(got, `<td class="num na" title="not computed">–</td>`) {
		t.Error("a headcount without a result is not a dash")
	}
}

func TestCollapseLargeTables(t *testing.T) {
	var results []pipeline.Result
	for i := range collapseRows + 1 {
		for _, urban := range []string{"false", "true"} {
			d := []pipeline.DomainValue{{Column: "year", Value: "2020"}, {Column: "region", Value: string(rune('a' + i))}, {Column: "urban", Value: urban}}
			results = append(results, pipeline.Result{Indicator: "mean", Domain: d, Estimate: 1})
		}
	}
	tb := pivot(results, []string{"year", "region", "urban"}, "", baseIndicators)
	if !tb.Collapsed || tb.Summary != "26 domains" {
		t.Errorf("Collapsed, Summary = %v, %q; want true, %q", tb.Collapsed, tb.Summary, "26 domains")
	}
	if got := len(tb.Header); got != 4 {
		t.Errorf("%d columns, want 3 domain columns and mean", got)
	}
	// Row 1 repeats year and region, row 2 only the year; the last
	// column is never faded.
	want := [][]bool{{false, false, false}, {true, true, false}, {true, false, false}}
	for i, w := range want {
		for j, rep := range w {
			if tb.Rows[i][j].Repeat != rep {
				t.Errorf("row %d column %d: Repeat = %v, want %v", i, j, tb.Rows[i][j].Repeat, rep)
			}
		}
	}
	small := pivot(results[:collapseRows], []string{"year", "region", "urban"}, "", baseIndicators)
	if small.Collapsed {
		t.Errorf("a table of %d rows is folded", collapseRows)
	}
}

func TestThousands(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{999, "999"},
		{1000, "1,000"},
		{-1234, "-1,234"},
		{1234567.6, "1,234,568"},
		{-1234567.6, "-1,234,568"},
		{999.5, "1,000"},
		{-0.4, "0"},
		{-999999, "-999,999"},
		{123456789012, "123,456,789,012"},
		{math.Inf(1), "∞"},
	} {
		if got := thousands(tt.v); got != tt.want {
			t.Errorf("thousands(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	nan := math.NaN()
	for _, tt := range []struct {
		name string
		f    func(float64) string
		v    float64
		want string
	}{
		{"rate", formatRate, 0.1234, "12.3%"},
		{"rate", formatRate, 0.12351, "12.4%"},
		{"rate", formatRate, 1, "100.0%"},
		{"rate", formatRate, 0, "0.0%"},
		{"rate", formatRate, nan, "–"},
		{"index", formatIndex, 0.04567, "0.046"},
		{"index", formatIndex, nan, "–"},
		{"money", formatMoney, 44149.4, "44,149"},
		{"money", formatMoney, -1234, "-1,234"},
		{"money", formatMoney, 1.9, "1.90"},
		{"money", formatMoney, nan, "–"},
		{"count", formatCount, 4248598891.2, "4,248,598,891"},
		{"count", formatCount, 12.6, "13"},
		{"count", formatCount, nan, "–"},
	} {
		if got := tt.f(tt.v); got != tt.want {
			t.Errorf("%s(%v) = %q, want %q", tt.name, tt.v, got, tt.want)
		}
	}
}

func TestTidyWarning(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"24 units (weighted 1613572.1924836903) with income <= 0", "24 units (weighted 1,613,572) with income <= 0"},
		{"tolerance 0.0001, year 2020, 12.5 units", "tolerance 0.0001, year 2020, 12.5 units"},
	} {
		if got := tidyWarning(tt.in); got != tt.want {
			t.Errorf("tidyWarning(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLineWords(t *testing.T) {
	for _, tt := range []struct{ spec, want string }{
		{"eu=median:0.6", "60% of the median income"},
		{"x=mean:0.33@year,province?urban=false", "33% of the mean income of units with urban = false, computed in each year × province"},
		{"x=median:0.5?urban=true&province=3", "50% of the median income of units with urban = true and province = 3"},
		{"national=abs:4000", "fixed at 4,000"},
		{"pip=abs:2.15", "fixed at 2.15"},
	} {
		if got := lineWords(mustLine(t, tt.spec)); got != tt.want {
			t.Errorf("lineWords(%s) = %q, want %q", tt.spec, got, tt.want)
		}
	}
}
