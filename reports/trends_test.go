package reports

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/povstat/povstat/pipeline"
)

func trendStudy(trends ...pipeline.Trend) *pipeline.Study {
	return &pipeline.Study{Name: "t", Lang: "en", Unit: "persons", Time: "year",
		Lines:   []pipeline.Line{{Name: "a", Basis: "abs", Value: 10}, {Name: "b", Basis: "abs", Value: 20}},
		Domains: [][]string{{"year"}, {"year", "prov"}}, Trends: trends}
}

func trendRows() []pipeline.Result {
	d1 := func(y string) []pipeline.DomainValue { return []pipeline.DomainValue{{Column: "year", Value: y}} }
	d2 := func(y, p string) []pipeline.DomainValue {
		return []pipeline.DomainValue{{Column: "year", Value: y}, {Column: "prov", Value: p}}
	}
	var rs []pipeline.Result
	// gap: line a 0.1, 0.2, 0.3 in 2020, 2021, 2010 (sorted: 2010, 2020, 2021);
	// line b only in 2020. headcount by prov: P1 in both years, P2 in 2021 only.
	for i, y := range []string{"2020", "2021", "2010"} {
		rs = append(rs, pipeline.Result{Indicator: "gap", Line: "a", Domain: d1(y), Estimate: 0.1 * float64(i+1)})
	}
	rs = append(rs, pipeline.Result{Indicator: "gap", Line: "b", Domain: d1("2020"), Estimate: 0.5})
	rs = append(rs,
		pipeline.Result{Indicator: "headcount", Line: "a", Domain: d2("2020", "P1"), Estimate: 0.4},
		pipeline.Result{Indicator: "headcount", Line: "a", Domain: d2("2021", "P1"), Estimate: 0.3},
		pipeline.Result{Indicator: "headcount", Line: "a", Domain: d2("2021", "P2"), Estimate: 0.7},
		pipeline.Result{Indicator: "headcount", Line: "b", Domain: d2("2021", "P2"), Estimate: 0.9})
	return rs
}

func estimates(sr series) []float64 {
	var v []float64
	for _, r := range sr.rs {
		v = append(v, r.Estimate)
	}
	return v
}

func sameFloats(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) })
}

func TestTrendData(t *testing.T) {
	nan := math.NaN()
	s := trendStudy()
	ps, ss := trendData(s, trendRows(), pipeline.Trend{Indicator: "gap"})
	if !slices.Equal(ps, []string{"2010", "2020", "2021"}) || len(ss) != 2 || ss[0].label != "a" || ss[1].label != "b" {
		t.Fatalf("periods %v, %d series", ps, len(ss))
	}
	if !sameFloats(estimates(ss[0]), []float64{0.30000000000000004, 0.1, 0.2}) || !sameFloats(estimates(ss[1]), []float64{nan, 0.5, nan}) {
		t.Errorf("gap series %v %v", estimates(ss[0]), estimates(ss[1]))
	}
	ps, ss = trendData(s, trendRows(), pipeline.Trend{Indicator: "headcount", Line: "a", By: "prov"})
	if !slices.Equal(ps, []string{"2020", "2021"}) || len(ss) != 2 || ss[0].label != "prov P1" || ss[1].label != "prov P2" {
		t.Fatalf("by prov: periods %v, %d series", ps, len(ss))
	}
	if !sameFloats(estimates(ss[0]), []float64{0.4, 0.3}) || !sameFloats(estimates(ss[1]), []float64{nan, 0.7}) {
		t.Errorf("by prov %v %v", estimates(ss[0]), estimates(ss[1]))
	}
	_, ss = trendData(s, trendRows(), pipeline.Trend{Indicator: "headcount", Line: "b", By: "prov", Groups: []string{"P2", "P9"}})
	if len(ss) != 1 || ss[0].label != "prov P2" || !sameFloats(estimates(ss[0]), []float64{0.9}) {
		t.Errorf("chosen groups: %d series", len(ss))
	}
}

func TestTrendCharts(t *testing.T) {
	s := trendStudy(pipeline.Trend{Indicator: "gap"}, pipeline.Trend{Indicator: "headcount", Line: "b", By: "prov"})
	sps := trendSpecs(s, trendRows())
	// The second has one period only: no chart.
	if len(sps) != 1 || sps[0].name != "trend-gap-by-year" || sps[0].section != "poverty" {
		t.Fatalf("charts %+v", sps)
	}
	a, err := sps[0].render("svg")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := sps[0].render("svg")
	if !bytes.Equal(a, b) || !bytes.Contains(a, []byte("trend by year")) {
		t.Errorf("svg not deterministic or without its title")
	}
}

// With a time column, the headline figures are the latest period's, not
// the pooled population's (which counts everyone once a year).
func TestHeadlinesLatestPeriod(t *testing.T) {
	s := trendStudy()
	s.Indicators = []string{"population", "mean", "gini"}
	y := func(v string) []pipeline.DomainValue { return []pipeline.DomainValue{{Column: "year", Value: v}} }
	rs := []pipeline.Result{
		{Indicator: "population", Estimate: 3000, N: 30},
		{Indicator: "population", Domain: y("2021"), Estimate: 1000, N: 10},
		{Indicator: "population", Domain: y("2010"), Estimate: 2000, N: 20},
		{Indicator: "mean", Estimate: 5},
		{Indicator: "mean", Domain: y("2021"), Estimate: 7},
		{Indicator: "gini", Estimate: 0.5},
		{Indicator: "gini", Domain: y("2021"), Estimate: 0.25},
	}
	hs := append(headlines(s, &pipeline.Manifest{}, rs), spreadHeadlines(s, rs)...)
	var got []string
	for _, h := range hs {
		got = append(got, h.Value+" / "+h.Detail)
	}
	want := []string{"1,000 / year 2021; 10 rows", "7.00 / per unit, year 2021", "0.250 / income inequality, year 2021"}
	if !slices.Equal(got, want) {
		t.Errorf("headlines %q, want %q", got, want)
	}
	s.Time = ""
	if h := headlines(s, &pipeline.Manifest{}, rs); h[0].Value != "3,000" {
		t.Errorf("without time: %q", h[0].Value)
	}
}
