package pipeline

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
)

// quintilePanel is 10 households × 2 years. In 2020 (weights 1) the
// incomes 10..100 put households 1-2 in Q1, 3-4 in Q2, ..., 9-10 in Q5. In
// 2021 household 1 has weight 3 (total 12); sorted incomes 15 (h1, c = 3/12),
// 25, 35, 45, 55, 65, 75, 85, 95, 100 (h2) give the laeken cut points
// Q(.2) = 15, Q(.4) = 35 (c = 5/12), Q(.6) = 65 (c = 8/12), Q(.8) = 85
// (c = 10/12), so Q1 = {h1} (15 is at the cut: lower quintile), Q2 = {h3, h4},
// Q3 = {h5, h6, h7}, Q4 = {h8, h9} (85 at the cut), Q5 = {h10, h2}. With the
// 2021 weights:
//
//	Q1→Q1 3/4, Q1→Q5 1/4 (h1 w 3, h2 w 1); Q2→Q2 1; Q3→Q3 1;
//	Q4→Q3 1/2, Q4→Q4 1/2 (h7, h8); Q5→Q4 1/2, Q5→Q5 1/2 (h9, h10).
func quintilePanel(scale float64) string {
	var b strings.Builder
	b.WriteString("hh_id,year,income,weight\n")
	for h := 1; h <= 10; h++ {
		fmt.Fprintf(&b, "%d,2020,%d,%g\n", h, 10*h, scale)
	}
	inc := []int{15, 100, 25, 35, 45, 55, 65, 75, 85, 95}
	for h := 1; h <= 10; h++ {
		w := 1.0
		if h == 1 {
			w = 3
		}
		fmt.Fprintf(&b, "%d,2021,%d,%g\n", h, inc[h-1], w*scale)
	}
	return b.String()
}

func TestDynamicsQuintilesHand(t *testing.T) {
	want := map[string]float64{"Q1→Q1": 0.75, "Q1→Q5": 0.25, "Q2→Q2": 1, "Q3→Q3": 1,
		"Q4→Q3": 0.5, "Q4→Q4": 0.5, "Q5→Q4": 0.5, "Q5→Q5": 0.5}
	for _, scale := range []float64{1, 2.5} {
		path := writeDynTemp(t, "panel.csv", quintilePanel(scale))
		s := dynStudy(t, path, "z=abs:30")
		out, err := RunDynamics(context.Background(), s, Dynamics{ID: "hh_id", Year: "year", Quintiles: true})
		if err != nil {
			t.Fatal(err)
		}
		rows := 0
		for _, r := range out.Results {
			if r.Indicator != "quintile_transition" {
				continue
			}
			rows++
			if y := r.Domain[0].Value; len(r.Domain) != 1 || y != "2021" || r.Line != "" {
				t.Errorf("row %s: domain %v line %q", r.Cell, r.Domain, r.Line)
			}
		}
		if rows != 25 {
			t.Errorf("scale %v: %d quintile_transition rows, want 25", scale, rows)
		}
		for a := 1; a <= 5; a++ {
			var sum float64
			for b := 1; b <= 5; b++ {
				cell := fmt.Sprintf("Q%d→Q%d", a, b)
				r := findDyn(t, out.Results, "quintile_transition", cell, "2021")
				if math.Abs(r.Estimate-want[cell]) > 1e-12 {
					t.Errorf("scale %v: %s = %v, want %v", scale, cell, r.Estimate, want[cell])
				}
				sum += r.Estimate
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Errorf("scale %v: row Q%d sums to %v", scale, a, sum)
			}
		}
		if r := findDyn(t, out.Results, "quintile_transition", "Q1→Q1", "2021"); r.N != 1 || r.Population != 3*scale {
			t.Errorf("Q1→Q1: n %d population %v, want 1, %v", r.N, r.Population, 3*scale)
		}
	}
	// Without --quintiles, no rows.
	path := writeDynTemp(t, "panel.csv", quintilePanel(1))
	out, err := RunDynamics(context.Background(), dynStudy(t, path, "z=abs:30"), Dynamics{ID: "hh_id", Year: "year"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Results {
		if r.Indicator == "quintile_transition" {
			t.Fatal("quintile_transition rows without Quintiles")
		}
	}
}

func TestQuantileGroup(t *testing.T) {
	cuts := []float64{1, 2, 2, 3}
	for _, tt := range []struct {
		x    float64
		want int
	}{{0, 0}, {1, 0}, {1.5, 1}, {2, 1}, {2.5, 3}, {3, 3}, {4, 4}} {
		if got := quantileGroup(tt.x, cuts); got != tt.want {
			t.Errorf("x=%v: group %d, want %d", tt.x, got, tt.want)
		}
	}
}
