package pipeline

import (
	"math"
	"testing"
)

func TestChangeRows(t *testing.T) {
	dom := func(kv ...string) []DomainValue {
		var d []DomainValue
		for i := 0; i < len(kv); i += 2 {
			d = append(d, DomainValue{kv[i], kv[i+1]})
		}
		return d
	}
	results := []Result{
		{Indicator: "headcount", Line: "z", Domain: dom("year", "2021"), Estimate: 0.12, N: 5},
		{Indicator: "headcount", Line: "z", Domain: dom("year", "2020"), Estimate: 0.15},
		{Indicator: "headcount", Line: "z", Domain: dom("year", "2022"), Estimate: math.NaN()},
		{Indicator: "headcount", Line: "z", Domain: dom("year", "2020", "urban", "true"), Estimate: 0.05},
		{Indicator: "headcount", Line: "z", Domain: dom("year", "2021", "urban", "true"), Estimate: 0.04},
		{Indicator: "headcount", Line: "z", Domain: nil, Estimate: 0.1}, // no period
		{Indicator: "gini", Domain: dom("year", "2020"), Estimate: 0.4},
		{Indicator: "gini", Domain: dom("year", "2021"), Estimate: 0.38},
	}
	got := changeRows(results, "year", nil)
	want := []struct {
		ind, period, urban string
		v                  float64
	}{
		{"headcount_change", "2021", "", 0.12 - 0.15},
		{"headcount_change", "2022", "", math.NaN()},
		{"headcount_change", "2021", "true", 0.04 - 0.05},
		{"gini_change", "2021", "", 0.38 - 0.4},
	}
	if len(got) != len(want) {
		t.Fatalf("%d change rows, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		r := got[i]
		urban := ""
		if len(r.Domain) > 1 {
			urban = r.Domain[1].Value
		}
		if r.Indicator != w.ind || r.Domain[0].Value != w.period || urban != w.urban || !sameOrClose(r.Estimate, w.v) {
			t.Errorf("row %d = %s %v %v, want %s %s %s %v", i, r.Indicator, r.Domain, r.Estimate, w.ind, w.period, w.urban, w.v)
		}
	}
	if got[0].N != 5 {
		t.Errorf("change row keeps the later period's n: %d", got[0].N)
	}
}
