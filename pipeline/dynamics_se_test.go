package pipeline

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/datasets/synth"
	"github.com/povstat/povstat/indices"
)

// The panel dynamics' standard errors on a generated stratified cluster
// panel: a year's poor share under an absolute line has the SE of Run's
// headcount in that domain (checked against R survey on EU-SILC); the
// rates, transitions, spells and flagged shares have that of their ratio's
// linearized variable, written out here from the units (households linked
// by id and year by hand) and given to indices.Linearized over the full
// design.
func TestDynamicsStandardErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), dir, synth.Config{Households: 2000, Years: 4, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	const z = 15000.0
	s := &Study{Name: "d", Inputs: []string{dir}, Income: "income", Weight: "weight", Size: "hh_size",
		Strata: "stratum", PSU: "psu", Domains: [][]string{{"urban"}}, Lines: []Line{mustLine(t, "abs=abs:15000")}}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	rule, err := ParseRule("low=income<1.5*line")
	if err != nil {
		t.Fatal(err)
	}
	d := Dynamics{ID: "hh_id", Year: "year", Rules: []Rule{rule}}
	out, err := RunDynamics(context.Background(), s, d)
	if err != nil {
		t.Fatal(err)
	}
	get := func(ind, cell, domain string) Result {
		t.Helper()
		for _, r := range out.Results {
			if r.Indicator == ind && r.Cell == cell && domainText(r.Domain) == domain {
				return r
			}
		}
		t.Fatalf("no row %s %s %q", ind, cell, domain)
		return Result{}
	}

	// Poor shares against Run's headcounts.
	run := *s
	run.Domains, run.Indicators = [][]string{{"year"}, {"year", "urban"}}, []string{"headcount"}
	want, err := Run(context.Background(), &run)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range out.Results {
		if r.Indicator != "status" || r.Cell != "poor" {
			continue
		}
		h := find(t, want.Results, "headcount", "abs", domainText(r.Domain))
		if math.Abs(r.Estimate-h.Estimate) > 1e-12 || math.Abs(r.SE-h.SE) > 1e-9*h.SE || r.SEMethod != h.SEMethod ||
			math.Abs(r.CILower-h.CILower) > 1e-9 || math.Abs(r.Deff-h.Deff) > 1e-9*h.Deff || !(r.SE > 0) {
			t.Errorf("poor share %s: %v ± %v (%s, deff %v), Run's headcount %v ± %v (%s, deff %v)", domainText(r.Domain),
				r.Estimate, r.SE, r.SEMethod, r.Deff, h.Estimate, h.SE, h.SEMethod, h.Deff)
		}
		n++
	}
	if n != 4*3 {
		t.Errorf("%d poor shares", n)
	}

	// The units, linked by hand.
	u, byID := panelUnits(t, s)
	years := slices.Sorted(slices.Values(u.factors["year"].levels))
	yearOf := func(i int) int { return slices.Index(years, u.factors["year"].levels[u.factors["year"].codes[i]]) }
	idOf := func(i int) string { return u.factors["hh_id"].levels[u.factors["hh_id"].codes[i]] }
	type key struct {
		id   string
		year int
	}
	unit := map[key]int{}
	for k, i := range byID {
		unit[key{k[0], slices.Index(years, k[1])}] = i
	}
	prev := func(i int) int {
		if j, ok := unit[key{idOf(i), yearOf(i) - 1}]; ok {
			return j
		}
		return -1
	}
	poor := func(i int) bool { return u.x[i] < z }
	design := indices.Design{Strata: u.factors["stratum"].codes, PSU: u.factors["psu"].codes, Weights: u.w}
	ratioSE := func(y, x func(i int) float64) float64 {
		var num, den float64
		for i := range u.x {
			num += u.w[i] * y(i)
			den += u.w[i] * x(i)
		}
		infl := make([]float64, len(u.x))
		for i := range infl {
			infl[i] = (y(i) - num/den*x(i)) / den
		}
		return indices.Linearized(design, infl).SE
	}
	b := func(v bool) float64 { return b2f(v) }
	last := years[len(years)-1]
	in := func(i, k int) bool { return yearOf(i) == k }
	k := len(years) - 1
	checks := []struct {
		ind, cell, domain string
		y, x              func(i int) float64
	}{
		{"exit_rate", "", "year=" + last,
			func(i int) float64 { j := prev(i); return b(in(i, k) && j >= 0 && poor(j) && !poor(i)) },
			func(i int) float64 { j := prev(i); return b(in(i, k) && j >= 0 && poor(j)) }},
		{"transition", "near_poor→poor", "year=" + years[1],
			func(i int) float64 {
				j := prev(i)
				return b(in(i, 1) && j >= 0 && !poor(j) && u.x[j] < 1.5*z && poor(i))
			},
			func(i int) float64 { j := prev(i); return b(in(i, 1) && j >= 0 && !poor(j) && u.x[j] < 1.5*z) }},
		{"reentry_rate", "", "year=" + last,
			func(i int) float64 {
				j := prev(i)
				if !in(i, k) || j < 0 || poor(j) || !poor(i) {
					return 0
				}
				for m := range k - 1 {
					if e, ok := unit[key{idOf(i), m}]; ok && poor(e) {
						return 1
					}
				}
				return 0
			},
			func(i int) float64 {
				j := prev(i)
				if !in(i, k) || j < 0 || poor(j) {
					return 0
				}
				for m := range k - 1 {
					if e, ok := unit[key{idOf(i), m}]; ok && poor(e) {
						return 1
					}
				}
				return 0
			}},
		{"chronic", "", "", // every household is seen in every year: its last unit stands for it
			func(i int) float64 {
				if !in(i, k) {
					return 0
				}
				for m := range len(years) {
					if !poor(unit[key{idOf(i), m}]) {
						return 0
					}
				}
				return 1
			},
			func(i int) float64 { return b(in(i, k)) }},
		{"flagged_share", "low", "year=" + years[2],
			func(i int) float64 { return b(in(i, 2) && u.x[i] < 1.5*z) },
			func(i int) float64 { return b(in(i, 2)) }},
	}
	for _, c := range checks {
		r := get(c.ind, c.cell, c.domain)
		if ref := ratioSE(c.y, c.x); !(ref > 0) || math.Abs(r.SE-ref) > 1e-9*ref || !strings.HasPrefix(r.SEMethod, "linearized") {
			t.Errorf("%s %s %q: SE %v (%s), by hand %v", c.ind, c.cell, c.domain, r.SE, r.SEMethod, ref)
		}
	}
	// A count is a total: its linearized variable is its indicator.
	r := get("exits", "", "year="+last)
	y := checks[0].y
	if ref := indices.Linearized(design, func() []float64 {
		v := make([]float64, len(u.x))
		for i := range v {
			v[i] = y(i)
		}
		return v
	}()).SE; math.Abs(r.SE-ref) > 1e-9*ref {
		t.Errorf("exits: SE %v, by hand %v", r.SE, ref)
	}
	if r := get("households", "", "year="+last); r.SEMethod != "unavailable" {
		t.Errorf("households: %q, want unavailable", r.SEMethod)
	}

	// The bootstrap estimates every row again: its SEs agree with the
	// linearized ones within Monte-Carlo error (400 replicates: about 4 %
	// relative; the band is 5 of those). The counts of households have none.
	bs := *s
	bs.SEMethod, bs.Replicates, bs.Seed = "bootstrap", 400, 9
	boot, err := RunDynamics(context.Background(), &bs, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(boot.Results) != len(out.Results) {
		t.Fatalf("%d bootstrap rows, %d linearized", len(boot.Results), len(out.Results))
	}
	compared := 0
	for i, r := range boot.Results {
		lin := out.Results[i]
		switch {
		case sampleCounts[r.Indicator]:
			if r.SEMethod != "unavailable" {
				t.Errorf("bootstrap %s: %q, want unavailable", r.Indicator, r.SEMethod)
			}
		case r.Estimate != lin.Estimate:
			t.Errorf("bootstrap %s %s %s: estimate %v, linearized run's %v", r.Indicator, r.Cell, domainText(r.Domain), r.Estimate, lin.Estimate)
		case lin.SE > 0 && lin.N >= 200 && slices.Contains([]string{"status", "exit_rate", "entry_rate", "chronic", "flagged_share"}, r.Indicator):
			if !strings.HasPrefix(r.SEMethod, "bootstrap") || math.Abs(r.SE/lin.SE-1) > 0.2 {
				t.Errorf("%s %s %s: bootstrap SE %v (%s), linearized %v", r.Indicator, r.Cell, domainText(r.Domain), r.SE, r.SEMethod, lin.SE)
			}
			compared++
		}
	}
	if compared < 20 {
		t.Errorf("%d bootstrap SEs compared", compared)
	}
}

// panelUnits loads the units of study s with the factors of hh_id and
// year, and the unit of each household id and year.
func panelUnits(t *testing.T, s *Study) (*units, map[[2]string]int) {
	t.Helper()
	ld, err := load(context.Background(), s, loadOptions{extra: []extraColumn{
		{key: "id", req: datasets.Request{Name: "hh_id", Kind: datasets.Categorical}},
		{key: "year", req: datasets.Request{Name: "year", Kind: datasets.Categorical}}}})
	if err != nil {
		t.Fatal(err)
	}
	u := ld.u
	unit := map[[2]string]int{}
	for i := range u.x {
		unit[[2]string{u.factors["hh_id"].levels[u.factors["hh_id"].codes[i]], u.factors["year"].levels[u.factors["year"].codes[i]]}] = i
	}
	return u, unit
}
