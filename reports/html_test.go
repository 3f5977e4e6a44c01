package reports

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
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
		{"ratio", formatRatio, 2.4696, "2.47"},
		{"ratio", formatRatio, 9.875, "9.88"},
		{"ratio", formatRatio, nan, "–"},
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
		{"theil_t: 24 units (weighted 1613572) with income <= 0", "theil_t: 24 units (weighted 1,613,572) with income <= 0"},
		{"2 units (weighted 812) in year 2020", "2 units (weighted 812) in year 2020"},
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

// checkAnchors checks that every id is used once and every link goes to
// an anchor of the page.
func checkAnchors(t *testing.T, got string) {
	t.Helper()
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]*)"`).FindAllStringSubmatch(got, -1) {
		if ids[m[1]] {
			t.Errorf("id %q is used twice", m[1])
		}
		ids[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`(?i)\shref\s*=\s*"([^"]*)"`).FindAllStringSubmatch(got, -1) {
		if !strings.HasPrefix(m[1], "#") || !ids[m[1][1:]] {
			t.Errorf("link %q is not to an anchor of the page", m[1])
		}
	}
}

// spreadStudy asks for inequality, regional disparity across provinces and
// the urban/rural ratio, by year and by year × province.
func spreadStudy(t *testing.T) *pipeline.Study {
	s := testStudy(t)
	s.Name = "Spread"
	s.Lines = []pipeline.Line{mustLine(t, "eu=median:0.6")}
	s.Domains = [][]string{{"year"}, {"year", "province"}}
	s.Region = "province"
	ratio, err := pipeline.ParseRatio("urban=true/false")
	if err != nil {
		t.Fatal(err)
	}
	s.Ratios = []pipeline.Ratio{ratio}
	s.Indicators = []string{"population", "mean", "headcount", "share_q2", "gini", "share_q1", "theil_t", "ge_2", "atkinson_0.5", "qsr",
		"region_mean", "cv", "williamson", "max_min_ratio", "theil_t_between", "theil_t_within", "theil_t_between_share", "ratio"}
	return s
}

func dom(kv ...string) []pipeline.DomainValue {
	var d []pipeline.DomainValue
	for i := 0; i < len(kv); i += 2 {
		d = append(d, pipeline.DomainValue{Column: kv[i], Value: kv[i+1]})
	}
	return d
}

// spreadOutput holds the results of spreadStudy: two years, two provinces
// (one named with markup, without any unit in 2021).
func spreadOutput() *pipeline.Output {
	nan := math.NaN()
	ineq := func(ind string, d []pipeline.DomainValue, v float64) pipeline.Result {
		return pipeline.Result{Indicator: ind, Domain: d, Estimate: v, N: 100, Population: 1000}
	}
	excl := func(r pipeline.Result, n int, pop float64) pipeline.Result {
		r.ExcludedN, r.ExcludedPopulation = n, pop
		return r
	}
	var rs []pipeline.Result
	rs = append(rs,
		ineq("population", nil, 4248598891.03),
		ineq("mean", nil, 44149.4),
		pipeline.Result{Indicator: "headcount", Line: "eu", Estimate: 0.276, N: 100, Population: 1000},
		ineq("gini", nil, 0.42699805),
		excl(ineq("theil_t", nil, 0.31849), 24, 1613572.19),
		ineq("ge_2", nil, 0.51234),
		ineq("atkinson_0.5", nil, nan),
		ineq("qsr", nil, 9.8712),
		ineq("share_q1", nil, 0.0712),
		ineq("share_q2", nil, 0.1234),
		ineq("region_mean", dom("province", "north"), 99284.9),
		ineq("region_mean", dom("province", evil), 13718.2),
		ineq("cv", nil, 0.391),
		ineq("williamson", nil, 0.31859),
		ineq("max_min_ratio", nil, 3.42774),
		ineq("theil_t_between", nil, 0.04412),
		ineq("theil_t_within", nil, 0.27437),
		ineq("theil_t_between_share", nil, 0.13853),
		pipeline.Result{Indicator: "ratio", Ratio: "urban=true/false", Estimate: 2.46963, N: 100, Population: 1000},
	)
	for i, year := range []string{"2020", "2021"} {
		y := dom("year", year)
		rs = append(rs,
			ineq("gini", y, 0.4287+float64(i)/100),
			excl(ineq("theil_t", y, 0.319), 10+4*i, 800000),
			ineq("williamson", y, 0.31863+float64(i)/100),
			ineq("theil_t_between_share", y, 0.138),
			ineq("region_mean", dom("year", year, "province", "north"), 91786.2),
			ineq("gini", dom("year", year, "province", "north"), 0.35),
		)
		if i == 0 {
			rs = append(rs, ineq("region_mean", dom("year", year, "province", evil), 13718.2), ineq("gini", dom("year", year, "province", evil), 0.3))
		}
	}
	rs = append(rs,
		pipeline.Result{Indicator: "ratio", Ratio: "urban=true/false", Domain: dom("year", "2020"), Estimate: 2.52911, N: 100, Population: 1000},
		pipeline.Result{Indicator: "ratio", Ratio: "urban=true/false", Domain: dom("year", "2021"), Estimate: nan, N: 100, Population: 1000,
			Note: "a group of the ratio has no unit or a zero mean in this domain"},
		pipeline.Result{Indicator: "gini_change", Domain: dom("year", "2021"), Estimate: 0.01, N: 100, Population: 1000},
	)
	out := testOutput()
	out.Results = rs
	out.Warnings = nil
	return out
}

// section returns the part of a report from the element with the given id
// to the next h2, or "" when there is no such element.
func sectionOf(report, id string) string {
	i := strings.Index(report, `<h2 id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := report[i+1:]
	if j := strings.Index(rest, "<h2 "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func TestHTMLInequality(t *testing.T) {
	got := string(HTML(spreadStudy(t), spreadOutput()))
	checkAnchors(t, got)
	sec := sectionOf(got, "inequality")
	if sec == "" {
		t.Fatal("no inequality section")
	}
	for _, want := range []string{
		`<td class="num">0.427</td>`, // gini, an index
		`<td class="num" title="24 rows left out (1,613,572 weighted)">0.318</td>`, // theil_t
		`<td class="num">0.512</td>`, // ge_2
		`<td class="num">9.87</td>`,  // qsr, a ratio
		`<td class="num">7.1%</td>`,  // share_q1, a percentage
		`<td class="num">12.3%</td>`, // share_q2
		`<td class="num">0.439</td>`, // gini of 2021
		`title="no estimate">–</td>`, // atkinson_0.5
		`>GE(2)</th>`, `>Atkinson(0.5)</th>`, `>S80/S20</th>`,
		`<th colspan="2" class="g">Quintile shares</th>`,
		"Theil T leaves out 24 rows with incomes ≤ 0 (1,613,572 weighted).",
		"Theil T leaves out 24 rows with incomes ≤ 0 (1,600,000 weighted), over all domains together",
		`id="inequality-3"`, // year × province
		`<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>`,
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("inequality section lacks %s", want)
		}
	}
	// The shares come last, Q1 before Q2, whatever the order of the study.
	h := sec[strings.Index(sec, `id="inequality-1"`):]
	h = h[:strings.Index(h, "</thead>")]
	var heads []string
	for _, m := range regexp.MustCompile(`>([^<>]+)</th>`).FindAllStringSubmatch(h, -1) {
		heads = append(heads, m[1])
	}
	if want := []string{"Quintile shares", "Gini", "Theil T", "GE(2)", "Atkinson(0.5)", "S80/S20", "Q1", "Q2"}; !slices.Equal(heads, want) {
		t.Errorf("headings %q, want %q", heads, want)
	}
	for _, bad := range []string{"NaN", "gini_change", "Williamson"} {
		if strings.Contains(sec, bad) {
			t.Errorf("inequality section holds %q", bad)
		}
	}
	for _, want := range []string{"Gini coefficient (Eurostat; R laeken)", "2C<sub>i</sub> − 1", "EU-SILC 131-rev/04", "Atkinson, A. B. (1970)", "Cobham, A. and Sumner, A. (2013)", "Palma, J. G. (2011)", "Shorrocks, A. F. (1980)"} {
		if !strings.Contains(sectionOf(got, "methods"), want) {
			t.Errorf("methods lack %q", want)
		}
	}
}

func TestHTMLRegional(t *testing.T) {
	got := string(HTML(spreadStudy(t), spreadOutput()))
	if strings.Contains(got, evil) {
		t.Errorf("report holds %q unescaped", evil)
	}
	sec := sectionOf(got, "regions")
	if sec == "" {
		t.Fatal("no regional disparity section")
	}
	for _, want := range []string{
		`id="disparity-1"`, `id="disparity-2"`, // whole population, year
		`<td class="num">0.391</td>`, // cv
		`<td class="num">0.319</td>`, // williamson
		`<td class="num">3.43</td>`,  // max/min, a ratio
		`<td class="num">0.044</td>`, // theil_t_between
		`<td class="num">13.9%</td>`, // between share
		`<th colspan="3" class="g">Theil T decomposition</th>`,
		"Breakdowns that include province (year × province) have a single region",
		// The regional means: provinces × (whole population, 2020, 2021).
		`<th colspan="1" class="g">Whole population</th><th colspan="2" class="g">By year</th>`,
		`<th class="num" title="mean income of each province group where year = 2021">2021</th>`,
		`<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>`,
		`<td class="num" title="100 rows, population 1,000">99,285</td>`,
		`<td class="num na" title="no unit of this province in this domain">–</td>`,
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("regional section lacks %s", want)
		}
	}
	if strings.Contains(sec, `id="disparity-3"`) {
		t.Error("regional section has a table by year × province")
	}
	key := sectionOf(got, "key")
	for _, want := range []string{
		`<div class="l">Gini coefficient</div><div class="v">0.427</div>`,
		`<div class="l">Williamson coefficient</div><div class="v">0.319</div><div class="d">population-weighted CV of the mean incomes of 2 province groups</div>`,
		`<div class="l">Mean income ratio</div><div class="v">2.47</div><div class="d">urban = true over urban = false, whole population</div>`,
		`>Williamson coefficient (province)</td><td class="num">0.319</td><td class="num">0.319</td><td class="num">0.329</td>`,
		`<td class="num">2.53</td><td class="num na" title="a group of the ratio has no unit or a zero mean in this domain">–</td>`,
	} {
		if !strings.Contains(key, want) {
			t.Errorf("key figures lack %s", want)
		}
	}
	for _, want := range []string{"Williamson, J. G. (1965), Regional inequality and the process of national development", "Shorrocks, A. F. (1984)"} {
		if !strings.Contains(sectionOf(got, "methods"), want) {
			t.Errorf("methods lack %q", want)
		}
	}
}

func TestHTMLRatios(t *testing.T) {
	s := spreadStudy(t)
	s.Domains = append(s.Domains, []string{"urban"})
	got := string(HTML(s, spreadOutput()))
	checkAnchors(t, got)
	sec := sectionOf(got, "ratios")
	for _, want := range []string{
		`<th class="num" title="ratio: weighted mean income of the units with urban = true over that of the units with urban = false">urban = true / false</th>`,
		`<td class="num">2.47</td>`,
		`<td>2020</td><td class="num">2.53</td>`,
		`title="a group of the ratio has no unit or a zero mean in this domain">–</td>`,
		`id="ratios-1"`, `id="ratios-2"`, `id="ratios-3"`,
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("ratio section lacks %s", want)
		}
	}
	if strings.Contains(sec, `id="ratios-4"`) {
		t.Error("a ratio of urban is shown by urban")
	}
	if !strings.Contains(sectionOf(got, "methods"), "<dt>Group ratios</dt>") {
		t.Error("methods lack the group ratios")
	}
}

// TestHTMLSectionsAbsent checks that a study without inequality
// indicators, region or ratio has none of their sections, methods or key
// figures.
func TestHTMLSectionsAbsent(t *testing.T) {
	absent := []string{`id="inequality"`, `id="regions"`, `id="ratios"`, `id="key-spread"`, "Williamson", "Theil", "<dt>Gini coefficient", "Group ratios"}
	for _, tt := range []struct {
		name  string
		study func(*pipeline.Study)
		out   *pipeline.Output
		gone  []string
	}{
		{"foundation study", func(*pipeline.Study) {}, testOutput(), absent},
		{"poverty indicators only", func(s *pipeline.Study) { s.Indicators = []string{"population", "mean", "headcount"} }, spreadOutput(), absent},
		{"no region", func(s *pipeline.Study) { s.Region = "" }, spreadOutput(), []string{`id="regions"`, "Williamson"}},
		{"no ratio", func(s *pipeline.Study) { s.Ratios = nil }, spreadOutput(), []string{`id="ratios"`, "Mean income ratio", "Group ratios"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := spreadStudy(t)
			if tt.name == "foundation study" {
				s = testStudy(t)
			}
			tt.study(s)
			got := string(HTML(s, tt.out))
			checkAnchors(t, got)
			for _, bad := range tt.gone {
				if strings.Contains(got, bad) {
					t.Errorf("report holds %q", bad)
				}
			}
		})
	}
}

func TestHTMLSpreadSameBytes(t *testing.T) {
	a := HTML(spreadStudy(t), spreadOutput())
	b := HTML(spreadStudy(t), spreadOutput())
	if !bytes.Equal(a, b) {
		t.Error("same study and results give different bytes")
	}
}

// TestRegionMeansLong checks that many regions fold the regional means and
// that a breakdown with many domains gets a long table of its own.
func TestRegionMeansLong(t *testing.T) {
	s := &pipeline.Study{Region: "province", Domains: [][]string{{"county"}}}
	var results []pipeline.Result
	for p := range collapseRows + 1 {
		province := "p" + strconv.Itoa(p)
		results = append(results, pipeline.Result{Indicator: "region_mean", Domain: dom("province", province), Estimate: float64(1000 + p)})
		for c := range wideColumns + 1 {
			results = append(results, pipeline.Result{Indicator: "region_mean", Domain: dom("county", strconv.Itoa(c), "province", province), Estimate: 5})
		}
	}
	ts := regionMeans(s, results)
	if len(ts) != 2 {
		t.Fatalf("%d tables, want the whole population and a long table by county", len(ts))
	}
	if w := ts[0]; !w.Collapsed || w.Summary != "13 regions × 1 domain; from 1,000 to 1,012" || len(w.Header) != 2 || w.Groups != nil {
		t.Errorf("whole population: Collapsed %v, Summary %q, %d columns, groups %v", w.Collapsed, w.Summary, len(w.Header), w.Groups)
	}
	if l := ts[1]; !l.Collapsed || len(l.Rows) != (collapseRows+1)*(wideColumns+1) || l.Caption != "By county, by province" {
		t.Errorf("long table: Collapsed %v, %d rows, caption %q", l.Collapsed, len(l.Rows), l.Caption)
	}
}

func TestIndicatorKinds(t *testing.T) {
	for _, tt := range []struct {
		ind        string
		inequality bool
		style      style
		text       string
	}{
		{"gini", true, styleIndex, "Gini"},
		{"theil_l", true, styleIndex, "Theil L"},
		{"ge_2", true, styleIndex, "GE(2)"},
		{"ge_-1", true, styleIndex, "GE(-1)"},
		{"atkinson_1", true, styleIndex, "Atkinson(1)"},
		{"qsr", true, styleRatio, "S80/S20"},
		{"palma", true, styleRatio, "Palma"},
		{"share_q5", true, styleRate, "Q5"},
		{"share_d10", true, styleRate, "D10"},
		{"share_q6", false, styleMoney, "share_q6"},
		{"share_d01", false, styleMoney, "share_d01"},
		{"atkinson_-1", false, styleMoney, "atkinson_-1"},
		{"gini_change", false, styleMoney, "gini_change"},
		{"population", false, styleCount, "Population"},
		{"mean", false, styleMoney, "Mean income"},
		{"headcount", false, styleRate, "Headcount"},
		{"williamson", false, styleIndex, "Williamson"},
		{"theil_l_between_share", false, styleRate, "Between share"},
		{"max_min_ratio", false, styleRatio, "Max / min"},
		{"region_mean", false, styleMoney, "Mean income"},
		{"ratio", false, styleRatio, "ratio"},
	} {
		if got := isInequality(tt.ind); got != tt.inequality {
			t.Errorf("isInequality(%q) = %v", tt.ind, got)
		}
		if got := styleOf(tt.ind); got != tt.style {
			t.Errorf("styleOf(%q) = %v, want %v", tt.ind, got, tt.style)
		}
		if got := labelOf(tt.ind).text; got != tt.text {
			t.Errorf("labelOf(%q) = %q, want %q", tt.ind, got, tt.text)
		}
	}
	for _, tt := range []struct{ ind, rule string }{
		{"theil_t", "incomes ≤ 0"}, {"ge_1", "incomes ≤ 0"}, {"ge_0.5", "incomes ≤ 0"}, {"ge_2", "incomes < 0"},
		{"atkinson_1", "incomes ≤ 0"}, {"atkinson_0.5", "incomes < 0"}, {"gini", ""}, {"share_q1", ""}, {"watts", ""},
	} {
		if got := excludedRule(tt.ind); got != tt.rule {
			t.Errorf("excludedRule(%q) = %q, want %q", tt.ind, got, tt.rule)
		}
	}
	if got, want := inequalityOf([]string{"share_d2", "share_q3", "gini", "mean", "share_d1", "palma", "gini"}), []string{"gini", "palma", "share_q3", "share_d1", "share_d2"}; !slices.Equal(got, want) {
		t.Errorf("inequalityOf = %q, want %q", got, want)
	}
}

// seStudy is testStudy with a sample design and linearized standard errors.
func seStudy(t *testing.T) *pipeline.Study {
	s := testStudy(t)
	s.Strata, s.PSU, s.Lonely = "stratum", "psu", "adjust"
	s.SEMethod, s.Level, s.RSELimit = "linearized", 0.95, 0.3
	return s
}

// withSE sets the standard error of a result and its interval est ± t se
// (t = 2), or [lo, hi] when they are given.
func withSE(r pipeline.Result, se float64, method string, bounds ...float64) pipeline.Result {
	r.SE, r.SEMethod = se, method
	r.CILower, r.CIUpper = r.Estimate-2*se, r.Estimate+2*se
	if len(bounds) == 2 {
		r.CILower, r.CIUpper = bounds[0], bounds[1]
	}
	r.RSE, r.Deff = se/math.Abs(r.Estimate), 1.8
	r.Unreliable = r.RSE > 0.3
	return r
}

// seOutput is testOutput with the standard errors of a linearized run:
// every family of estimates, an unreliable headcount in the north, the
// relative median gap without a standard error.
func seOutput() *pipeline.Output {
	out := testOutput()
	const lin, fixed = "linearized, t(3940)", "linearized, t(3940), line fixed"
	nan := math.NaN()
	for i, r := range out.Results {
		north := len(r.Domain) == 1 && r.Domain[0].Value == "north"
		switch {
		case math.IsNaN(r.Estimate) || r.Indicator == "n" || r.Indicator == "rmpg" || (r.Indicator == "line" && r.Line == "half"):
			r.SEMethod = "unavailable"
			r.SE, r.CILower, r.CIUpper, r.RSE, r.Deff = nan, nan, nan, nan, nan
		case r.Indicator == "population" && r.Estimate == 0: // an empty domain
			r = withSE(r, 0, lin)
		case r.Indicator == "population":
			r = withSE(r, 12000, lin)
		case r.Indicator == "mean":
			r = withSE(r, 250.05, lin)
		case r.Indicator == "median":
			r = withSE(r, 140, "woodruff, "+lin, 14800, 15350)
		case r.Indicator == "line":
			r = withSE(r, 84, "woodruff, "+lin, 8850, 9180)
		case r.Indicator == "headcount" && north:
			r = withSE(r, 0.05, fixed)
		case r.Indicator == "headcount" && r.Line == "eu":
			r = withSE(r, 0.00316, lin)
		case r.Indicator == "watts":
			r = withSE(r, 0.0022, fixed)
		case r.Indicator == "gap_total":
			r = withSE(r, 300, fixed)
		default:
			r = withSE(r, r.Estimate/50, fixed)
		}
		out.Results[i] = r
	}
	return out
}

func TestHTMLStandardErrors(t *testing.T) {
	got := string(HTML(seStudy(t), seOutput()))
	checkAnchors(t, got)
	key := sectionOf(got, "key")
	for _, want := range []string{
		`<div class="v">1,234,568</div><div class="ci">95% CI 1,210,568–1,258,568</div>`, // population: bounds in full on a card
		`<div class="v">20,000</div><div class="ci">95% CI 19,500–20,501</div>`,
		`<div class="v">15,000</div><div class="ci">95% CI 14,800–15,350</div>`, // Woodruff's interval is not symmetric
		`12.3%<span class="ci">11.7–13.0%</span></td>`,                          // headcount of eu
		`152,345<span class="ci">±6,094</span></td>`,                            // poor population: a count, ± its half-width
		`>9,000<span class="ci">8,850–9,180</span></td>`,                        // the value of eu
	} {
		if !strings.Contains(key, want) {
			t.Errorf("key figures lack %s", want)
		}
	}
	for _, want := range []string{
		// The title: the interval, SE (in points for a rate), RSE, design effect, method.
		`title="confidence interval 11.7–13.0%` + "\nSE 0.32 pp, RSE 2.6%, design effect 1.80\nlinearized, t(3940)\">",
		// A note and a rule keep their place, first.
		`title="3 rows left out (1,500 weighted)` + "\nconfidence interval 0.041–0.050\nSE 0.0022, RSE 4.8%, design effect 1.80\nlinearized, t(3940), line fixed\">",
		`0.046<span class="ci">0.041–0.050</span></td>`, // watts, an index
		`-1,234<span class="ci">±600</span></td>`,       // gap_total, a total
		// rmpg has none, and says so on hover.
		`<td class="num" title="no standard error for this indicator (see Methods)">25.0%</td>`,
		// Rows are sample counts: no standard error, no title.
		`<td class="num">2,390</td>`,
		"Under each estimate with a standard error, in small type, its 95% confidence interval",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	inc := sectionOf(got, "income")
	for _, want := range []string{
		`1,234,568<span class="ci">±24,000</span></td>`,
		`20,000<span class="ci">19,500–20,501</span></td>`,
		`15,000<span class="ci">14,800–15,350</span></td>`,
	} {
		if !strings.Contains(inc, want) {
			t.Errorf("population and income lack %s", want)
		}
	}
	// A missing estimate is still a dash, without interval.
	if !strings.Contains(got, `<td class="num na" title="empty domain">–</td>`) {
		t.Error("a missing estimate is not a plain dash")
	}
	for _, bad := range []string{"NaN", "Inf"} {
		if strings.Contains(got, bad) {
			t.Errorf("report shows %s", bad)
		}
	}
}

func TestHTMLUnreliable(t *testing.T) {
	s, out := seStudy(t), seOutput()
	got := string(HTML(s, out))
	const cell = `<td class="num unrel" title="confidence interval 2.3–22.3%` + "\nSE 5.0 pp, RSE 40.5%, design effect 1.80: unreliable\nlinearized, t(3940), line fixed\">" +
		`<span class="bar"><i style="width:12.3%"></i></span>12.3%<span class="flag">†</span><span class="ci">2.3–22.3%</span></td>`
	const foot = `<p class="note">† Relative standard error above 30%: unreliable, to be read with caution (as Eurostat&#39;s flag “u”, low reliability).</p>`
	pov := sectionOf(got, "poverty")
	if !strings.Contains(pov, cell) {
		t.Errorf("the unreliable headcount of the north is not flagged: want %s", cell)
	}
	// The footnote is under the table by region, and only there.
	byRegion := pov[strings.Index(pov, `id="poverty-1-2"`):]
	byRegion = byRegion[:strings.Index(byRegion, "<h3 ")]
	if !strings.Contains(byRegion, foot) || strings.Contains(pov[:strings.Index(pov, `id="poverty-1-2"`)], foot) {
		t.Errorf("no footnote under the table by region:\n%s", byRegion)
	}
	if n := strings.Count(got, "† Relative standard error"); n != 2 { // key figures and poverty by region
		t.Errorf("%d footnotes, want 2", n)
	}
	if !strings.Contains(got, "† marks an unreliable estimate, with an RSE above 30%.") {
		t.Error("the introduction does not explain †")
	}
	// The footnote says the study's limit.
	s.RSELimit = 0.25
	if got := string(HTML(s, out)); !strings.Contains(got, "† Relative standard error above 25%: unreliable") {
		t.Error("the footnote does not give the limit of 25%")
	}
}

func TestHTMLStandardErrorMethods(t *testing.T) {
	got := sectionOf(string(HTML(seStudy(t), seOutput())), "methods")
	for _, want := range []string{
		`<dt id="standard-errors">Standard errors</dt>`,
		"strata <code>stratum</code>, primary sampling units (PSUs) <code>psu</code>, nested in the strata, without finite population correction",
		"strata with a single PSU add the squared deviation of their PSU total from the mean PSU total of the design (adjust",
		"at the 95% level, t from Student's distribution with 3,940 degrees of freedom",
		"Taylor linearization",
		"The median and the value of the line <code>eu</code> have Woodruff's interval",
		"The line is held fixed, as if known without error, for <code>headcount</code> under every line; <code>watts</code>, <code>poor_population</code>, <code>gap_total</code> under <code>eu</code>.",
		"No standard error by linearization for <code>rmpg</code> under <code>half</code>",
		"The values of the lines <code>half</code> have none",
		"An estimate with an RSE above 30% is unreliable",
		"Wolter, K. M. (2007), Introduction to Variance Estimation",
		"Woodruff, R. S. (1952)", "Journal of the American Statistical Association 47(260)",
		"Osier, G. (2009)", "Survey Research Methods 3(3), 167–195",
		"Deville, J.-C. (1999)", "Rao, J. N. K. and Wu, C. F. J. (1988)",
		"(R package survey)", "convey: income concentration analysis",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("methods lack %q", want)
		}
	}
	if strings.Contains(got, "Rao–Wu rescaled bootstrap (") {
		t.Error("methods describe a bootstrap that was not used")
	}
	// The bootstrap: every indicator by replicates, no design effect.
	s, out := seStudy(t), seOutput()
	s.SEMethod, s.Replicates, s.Seed = "bootstrap", 500, 7
	for i := range out.Results {
		if r := &out.Results[i]; r.SEMethod != "" && !math.IsNaN(r.SE) {
			r.SEMethod, r.Deff = "bootstrap (Rao-Wu, 500 replicates, seed 7), t(3940)", math.NaN()
		}
	}
	got = string(HTML(s, out))
	for _, want := range []string{"Rao–Wu rescaled bootstrap (500 replicates, seed 7)", "3,940 degrees of freedom"} {
		if !strings.Contains(sectionOf(got, "methods"), want) {
			t.Errorf("bootstrap methods lack %q", want)
		}
	}
	if want := "<dt>Standard errors</dt><dd>bootstrap, 500 replicates; 95% confidence intervals; unreliable above an RSE of 30%</dd>"; !strings.Contains(sectionOf(got, "provenance"), want) {
		t.Errorf("provenance lacks %q", want)
	}
	for _, bad := range []string{"Taylor linearization", "design effect", "The line is held fixed"} {
		if strings.Contains(sectionOf(got, "methods"), bad) {
			t.Errorf("bootstrap methods hold %q", bad)
		}
	}
}

// TestHTMLWithoutStandardErrors checks that a study without standard
// errors has none of their marks, whatever design its study names: the
// report is that of the results.
func TestHTMLWithoutStandardErrors(t *testing.T) {
	plain := HTML(testStudy(t), testOutput())
	for _, bad := range []string{`class="ci"`, "unrel", "†", "Standard errors", "confidence interval", ".flag{"} {
		if bytes.Contains(plain, []byte(bad)) {
			t.Errorf("report without standard errors holds %q", bad)
		}
	}
	s := seStudy(t)
	s.SEMethod = "none"
	if got := HTML(s, testOutput()); !bytes.Equal(got, plain) {
		t.Error("a design without standard errors changes the report")
	}
}

func TestHTMLStandardErrorsSameBytes(t *testing.T) {
	s, out := seStudy(t), seOutput()
	before := slices.Clone(out.Results)
	a := HTML(s, out)
	if b := HTML(seStudy(t), seOutput()); !bytes.Equal(a, b) {
		t.Error("same study and results give different bytes")
	}
	for i := range before {
		if !reflect.DeepEqual(fmt.Sprint(out.Results[i]), fmt.Sprint(before[i])) {
			t.Errorf("HTML changed result %d", i)
		}
	}
}

func TestFormatInterval(t *testing.T) {
	for _, tt := range []struct {
		ind         string
		est, lo, hi float64
		long, short string
	}{
		{"headcount", 0.127, 0.121, 0.134, "12.1–13.4%", "12.1–13.4%"},
		{"share_q1", 0.0712, 0.0690, 0.0734, "6.9–7.3%", "6.9–7.3%"},
		{"severity", 0.002, -0.001, 0.005, "-0.1 to 0.5%", "-0.1 to 0.5%"},
		{"gap", 0.001, -0.0004, 0.0024, "0.0–0.2%", "0.0–0.2%"}, // no "-0.0"
		{"gini", 0.427, 0.421, 0.433, "0.421–0.433", "0.421–0.433"},
		{"watts", 0.0055, 0.00526, 0.00575, "0.005–0.006", "0.005–0.006"},
		{"qsr", 4.82, 4.61, 5.03, "4.61–5.03", "4.61–5.03"},
		{"ratio", 2.47, 2.41, 2.53, "2.41–2.53", "2.41–2.53"},
		{"mean", 44149.2, 43464.8, 44833.6, "43,465–44,834", "43,465–44,834"},
		{"median", 32692.6, 32210.35, 33224.5, "32,210–33,225", "32,210–33,225"},
		{"line", 1.9, 1.85, 1.95, "1.85–1.95", "1.85–1.95"}, // money below 100: two decimals
		{"population", 4248598891, 4199647326, 4297550456, "4,199,647,326–4,297,550,456", "±48,951,565"},
		{"poor_population", 1174157962, 1145117956, 1203197968, "1,145,117,956–1,203,197,968", "±29,040,006"},
		{"gap_total", 8210342993979, 7965087842961, 8455598144997, "7,965,087,842,961–8,455,598,144,997", "±245,255,151,018"},
		{"population", 100, 90, 120, "90–120", "90–120"}, // not symmetric: the bounds
	} {
		if got := formatInterval(tt.ind, tt.est, tt.lo, tt.hi); got != tt.long {
			t.Errorf("formatInterval(%s, %v, %v, %v) = %q, want %q", tt.ind, tt.est, tt.lo, tt.hi, got, tt.long)
		}
		if got := shortInterval(tt.ind, tt.est, tt.lo, tt.hi); got != tt.short {
			t.Errorf("shortInterval(%s, %v, %v, %v) = %q, want %q", tt.ind, tt.est, tt.lo, tt.hi, got, tt.short)
		}
	}
	for _, tt := range []struct {
		ind  string
		se   float64
		want string
	}{
		{"headcount", 0.00316, "0.32 pp"},
		{"severity", 0.00054, "0.054 pp"},
		{"gini", 0.0031, "0.0031"},
		{"mean", 349.085, "349"},
		{"line", 0.025, "0.025"},
		{"population", 24968074.87, "24,968,075"},
		{"ratio", 0, "0"},
	} {
		if got := formatSE(tt.ind, tt.se); got != tt.want {
			t.Errorf("formatSE(%s, %v) = %q, want %q", tt.ind, tt.se, got, tt.want)
		}
	}
	for v, want := range map[float64]string{0.95: "95%", 0.9: "90%", 0.975: "97.5%", 0.3: "30%", 0.07: "7%"} {
		if got := percent(v); got != want {
			t.Errorf("percent(%v) = %q, want %q", v, got, want)
		}
	}
}
