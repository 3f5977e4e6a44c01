package pipeline

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// findCell returns the row of an indicator, line, domain and cell.
func findCell(t *testing.T, rs []Result, indicator, line, domain, cell string) Result {
	t.Helper()
	for _, r := range rs {
		if r.Indicator == indicator && r.Line == line && domainText(r.Domain) == domain && r.Cell == cell {
			return r
		}
	}
	t.Fatalf("no result %s / %s / %q / %s", indicator, line, domain, cell)
	return Result{}
}

// TestCompareTransfersHandWorked: x = {1, 2, 3, 4}, unit weights, regions
// A (1, 2) and B (3, 4), line a = abs:3.5: poor 1, 2, 3 with gaps 2.5,
// 1.5, 0.5.
//
//	budget 2, everyone:  targeted closes 0.5 + 1.5 = 2 exactly: poor {1}, H = 1/4
//	                     uniform t = 2/4 = 0.5: 1.5, 2.5 < 3.5, H = 2/4
//	budget 1, everyone:  targeted closes 0.5, 0.5 left lifts 0.5/1.5 = 1/3 of
//	                     unit 2: poor 1 + 2/3, H = (5/3)/4 = 5/12
//	budget 2, region=A:  targeted closes 1.5 (unit 2), 0.5 lifts 0.5/2.5 = 0.2
//	                     of unit 1; unit 3 stays poor: H = 1.8/4 = 0.45, in A 0.8/2
//	                     uniform t = 2/2 = 1: 2, 3 < 3.5 and unit 3: H = 3/4
func TestCompareTransfersHandWorked(t *testing.T) {
	s := compareStudy(t, []float64{1, 2, 3, 4}, []float64{1, 1, 1, 1}, []string{"A", "A", "B", "B"})
	tests := []struct {
		name     string
		budget   float64
		target   *TransferTarget
		domain   string
		targeted float64
		uniform  float64
	}{
		{"budget 2", 2, nil, "", 0.25, 0.5},
		{"budget 2 in B", 2, nil, "region=B", 0, 0},
		{"budget 1", 1, nil, "", 5.0 / 12, 0.75},
		{"budget 0", 0, nil, "", 0.75, 0.75},
		{"budget 100", 100, nil, "", 0, 0},
		{"budget 2 to A", 2, &TransferTarget{"region", "A"}, "", 0.45, 0.75},
		{"budget 2 to A, in A", 2, &TransferTarget{"region", "A"}, "region=A", 0.4, 1},
		{"nobody eligible", 2, &TransferTarget{"region", "Z"}, "", 0.75, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Compare(context.Background(), s, Comparison{Lines: []Line{mustLine(t, "a=abs:3.5")}, TransferBudget: &tt.budget, TransferTarget: tt.target})
			if err != nil {
				t.Fatal(err)
			}
			tg := findCell(t, out.Results, "headcount_after_transfer", "a", tt.domain, "targeted")
			un := findCell(t, out.Results, "headcount_after_transfer", "a", tt.domain, "uniform")
			if math.Abs(tg.Estimate-tt.targeted) > 1e-12 || *tg.At != tt.budget {
				t.Errorf("targeted = %v at %v, want %v", tg.Estimate, *tg.At, tt.targeted)
			}
			if math.IsNaN(tt.uniform) != math.IsNaN(un.Estimate) || !math.IsNaN(tt.uniform) && math.Abs(un.Estimate-tt.uniform) > 1e-12 {
				t.Errorf("uniform = %v, want %v", un.Estimate, tt.uniform)
			}
			if math.IsNaN(un.Estimate) && un.Note == "" {
				t.Errorf("uniform NaN without a note")
			}
		})
	}
}

// TestTransfersAgainstGreedy checks targeted transfers against a quadratic
// greedy (pick the eligible poor unit with the smallest gap, again and
// again) and, on tiny unit-weight data, against the best subset of whole
// units found by brute force: lifting a part of a unit can only do better,
// by less than one unit.
func TestTransfersAgainstGreedy(t *testing.T) {
	x, w, region := randomUnits(11, 300)
	s := compareStudy(t, x, w, region)
	line := mustLine(t, "a=abs:2500")
	for _, b := range []float64{0, 1000, 1e5, 1e6, 1e7, 1e9} {
		for _, target := range []*TransferTarget{nil, {"region", "B"}} {
			out, err := Compare(context.Background(), s, Comparison{Lines: []Line{line}, TransferBudget: &b, TransferTarget: target})
			if err != nil {
				t.Fatal(err)
			}
			// Greedy.
			lifted := make([]float64, len(x))
			left := b
			for {
				best := -1
				for i := range x {
					if lifted[i] == 0 && x[i] < 2500 && (target == nil || region[i] == "B") && (best < 0 || 2500-x[i] < 2500-x[best]) {
						best = i
					}
				}
				if best < 0 {
					break
				}
				cost := w[best] * (2500 - x[best])
				if cost > left {
					lifted[best] = left / cost
					break
				}
				lifted[best], left = 1, left-cost
			}
			var poor, pop float64
			for i := range x {
				pop += w[i]
				if x[i] < 2500 {
					poor += w[i] * (1 - lifted[i])
				}
			}
			if r := findCell(t, out.Results, "headcount_after_transfer", "a", "", "targeted"); math.Abs(r.Estimate-poor/pop) > 1e-9 {
				t.Errorf("budget %v target %v: %v, greedy %v", b, target, r.Estimate, poor/pop)
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 0))
	for trial := range 30 {
		n := 1 + rng.IntN(10)
		x := make([]float64, n)
		w := make([]float64, n)
		reg := make([]string, n)
		for i := range x {
			x[i], w[i], reg[i] = float64(rng.IntN(20)), 1, "A"
		}
		b := float64(rng.IntN(30))
		s := compareStudy(t, x, w, reg)
		out, err := Compare(context.Background(), s, Comparison{Lines: []Line{mustLine(t, "a=abs:10")}, TransferBudget: &b})
		if err != nil {
			t.Fatal(err)
		}
		got := findCell(t, out.Results, "headcount_after_transfer", "a", "", "targeted").Estimate * float64(n)
		best := n
		for mask := range 1 << n {
			cost, poor := 0.0, 0
			for i := range n {
				if x[i] < 10 {
					if mask&(1<<i) != 0 {
						cost += 10 - x[i]
					} else {
						poor++
					}
				}
			}
			if cost <= b {
				best = min(best, poor)
			}
		}
		if got > float64(best)+1e-9 || got <= float64(best)-1 {
			t.Errorf("trial %d: x %v budget %v: %v poor, best whole lifts leave %d", trial, x, b, got, best)
		}
	}
}

// dominanceStudy: regions A = {1, 4}, B = {2, 3}, C = {2, 2}, unit weights.
//
// Incidence (x < z):   H_A = 0 to 1, 1/2 on (1, 4], 1 after
//
//	H_B = 0 to 2, 1/2 on (2, 3], 1 after
//	H_C = 0 to 2, 1 after
//
// A|B: A above on (1, 2], equal on (2, 3], below on (3, 4]: cross, the
// curves meet at 2. A|C: A above on (1, 2], below on (2, 4]: cross at 2.
// B|C: B never above, below on (2, 3]: a_dominates.
//
// Deficits (integral of H):  D_A = (z - 1)/2 on [1, 4], z - 5/2 after
//
//	D_B = (z - 2)/2 on [2, 3], z - 5/2 after
//	D_C = z - 2 after 2
//
// A|B: D_A - D_B = (z-1)/2 on [1, 2], 1/2 on [2, 3], 2 - z/2 on [3, 4], 0
// after: A never below, so b_dominates. A|C: (z-1)/2 on [1, 2], 3/2 - z/2
// on [2, 4], zero at z = 3, -1/2 after: cross at 3. B|C: D_B <= D_C:
// a_dominates.
func TestCompareDominanceHandWorked(t *testing.T) {
	s := compareStudy(t, []float64{1, 4, 2, 3, 2, 2}, []float64{1, 1, 1, 1, 1, 1}, []string{"A", "A", "B", "B", "C", "C"})
	out, err := Compare(context.Background(), s, Comparison{Dominance: "region", DominanceRange: &[2]float64{0, 5}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ind, pair, cell string
		at              float64
	}{
		{"dominance_first", "A|B", "cross", 2},
		{"dominance_first", "A|C", "cross", 2},
		{"dominance_first", "B|C", "a_dominates", math.NaN()},
		{"dominance_second", "A|B", "b_dominates", math.NaN()},
		{"dominance_second", "A|C", "cross", 3},
		{"dominance_second", "B|C", "a_dominates", math.NaN()},
	}
	for _, tt := range tests {
		r := findCell(t, out.Results, tt.ind, tt.pair, "", tt.cell)
		if math.IsNaN(tt.at) != math.IsNaN(r.Estimate) || !math.IsNaN(tt.at) && math.Abs(r.Estimate-tt.at) > 1e-12 {
			t.Errorf("%s %s: crossing %v, want %v", tt.ind, tt.pair, r.Estimate, tt.at)
		}
		if math.IsNaN(r.Estimate) && r.Note == "" || r.Population != 4 {
			t.Errorf("%s %s: note %q, population %v", tt.ind, tt.pair, r.Note, r.Population)
		}
	}
	// Range from a sweep: lines 2.5 to 3.5 see A|B: H_A - H_B = 0 at 2.5
	// and 3, -1/2 on (3, 3.5]: a_dominates; and on [0, 1] all curves are 0.
	for _, tt := range []struct{ sweep, cell string }{{"z=abs:2.5:3.5:0.5", "a_dominates"}, {"z=abs:0:1:1", "equal"}} {
		out, err := Compare(context.Background(), s, Comparison{Dominance: "region", Sweeps: []Sweep{mustSweep(t, tt.sweep)}})
		if err != nil {
			t.Fatal(err)
		}
		findCell(t, out.Results, "dominance_first", "A|B", "", tt.cell)
	}
	if _, err := Compare(context.Background(), s, Comparison{Dominance: "region"}); err == nil {
		t.Error("dominance without a range: no error")
	}
	if _, err := Compare(context.Background(), s, Comparison{Dominance: "nosuch", DominanceRange: &[2]float64{0, 1}}); err == nil {
		t.Error("dominance by an unknown column: no error")
	}
}

// TestDominanceAgainstGrid checks the verdicts on random data against
// curves evaluated on a fine grid: a dominance verdict must hold at every
// grid line, and FGT(alpha = 0) is the incidence curve.
func TestDominanceAgainstGrid(t *testing.T) {
	x, w, region := randomUnits(21, 400)
	var xa, wa, xb, wb []float64
	for i := range x {
		switch region[i] {
		case "A":
			xa, wa = append(xa, x[i]), append(wa, w[i])
		case "B":
			xb, wb = append(xb, x[i]), append(wb, w[i])
		}
	}
	a, b := newCurve(xa, wa), newCurve(xb, wb)
	for _, rg := range [][2]float64{{0, 500}, {0, 3000}, {1000, 20000}, {-100, 100}} {
		lo, hi := rg[0], rg[1]
		f, s2 := firstOrder(a, b, lo, hi), secondOrder(a, b, lo, hi)
		var seenA, seenB, seenA2, seenB2 bool
		for k := 0; k <= 2000; k++ {
			z := lo + (hi-lo)*float64(k)/2000
			d := a.incidence(z, false) - b.incidence(z, false)
			seenA, seenB = seenA || d < -1e-12, seenB || d > 1e-12
			d2 := a.deficit(z) - b.deficit(z)
			seenA2, seenB2 = seenA2 || d2 < -1e-9, seenB2 || d2 > 1e-9
		}
		if seenA && f.cell == "b_dominates" || seenB && f.cell == "a_dominates" || (seenA && seenB) && f.cell != "cross" {
			t.Errorf("[%v, %v]: first order %v, grid A below %v, B below %v", lo, hi, f, seenA, seenB)
		}
		if seenA2 && s2.cell == "b_dominates" || seenB2 && s2.cell == "a_dominates" || (seenA2 && seenB2) && s2.cell != "cross" {
			t.Errorf("[%v, %v]: second order %v", lo, hi, s2)
		}
		if s2.cell == "cross" {
			if d := a.deficit(s2.at) - b.deficit(s2.at); math.Abs(d) > 1e-9*max(1, a.deficit(s2.at)) {
				t.Errorf("[%v, %v]: deficits differ by %v at the crossing %v", lo, hi, d, s2.at)
			}
		}
	}
}

func TestSpearman(t *testing.T) {
	tests := []struct {
		name   string
		x, y   []float64
		want   float64
		panics bool
	}{
		// d = 0, 1, 1, 0: 1 - 6·2/(4·15) = 0.8.
		{"one swap", []float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}, 0.8, false},
		{"reversed", []float64{1, 2, 3, 4}, []float64{40, 30, 20, 10}, -1, false},
		// ranks 1.5, 1.5, 3 and 1, 2, 3: 1.5 / sqrt(1.5 · 2).
		{"ties", []float64{1, 1, 2}, []float64{1, 2, 3}, 1.5 / math.Sqrt(3), false},
		{"constant", []float64{1, 1, 1}, []float64{1, 2, 3}, math.NaN(), false},
		{"one pair", []float64{1}, []float64{1}, math.NaN(), false},
		{"mismatch", []float64{1, 2}, []float64{1}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); (r != nil) != tt.panics {
					t.Errorf("panic %v, want %v", r, tt.panics)
				}
			}()
			x0 := append([]float64(nil), tt.x...)
			got := Spearman(tt.x, tt.y)
			if math.IsNaN(tt.want) != math.IsNaN(got) || !math.IsNaN(got) && math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("Spearman = %v, want %v", got, tt.want)
			}
			for i := range x0 {
				if x0[i] != tt.x[i] {
					t.Errorf("input changed")
				}
			}
		})
	}
}

// TestCompareRankCorrelation: regions A = {1, 4}, B = {2, 3}, C = {2, 2}.
// Headcounts under a = 2.5: A 1/2, B 1/2, C 1 (ranks 1.5, 1.5, 3); under b
// = 3.5: 1/2, 1, 1 (ranks 1, 2.5, 2.5); under c = 1.5: 1/2, 0, 0 (ranks 3,
// 1.5, 1.5). Deviations from the mean rank 2: a (-.5, -.5, 1), b (-1, .5,
// .5), c (1, -.5, -.5); rho(a, b) = .75/1.5 = .5, rho(a, c) = -.5,
// rho(b, c) = -1.5/1.5 = -1.
func TestCompareRankCorrelation(t *testing.T) {
	s := compareStudy(t, []float64{1, 4, 2, 3, 2, 2}, []float64{1, 1, 1, 1, 1, 1}, []string{"A", "A", "B", "B", "C", "C"})
	out, err := Compare(context.Background(), s, Comparison{
		Lines:           []Line{mustLine(t, "a=abs:2.5"), mustLine(t, "b=abs:3.5"), mustLine(t, "c=abs:1.5")},
		Sweeps:          []Sweep{mustSweep(t, "z=abs:2.5:3.5:1")},
		RankCorrelation: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	for pair, want := range map[string]float64{"a|b": 0.5, "a|c": -0.5, "b|c": -1} {
		r := findCell(t, out.Results, "rank_correlation", pair, "", "region")
		if math.Abs(r.Estimate-want) > 1e-12 || r.N != 3 || r.Population != 6 {
			t.Errorf("%s: %v (n %d, population %v), want %v (3, 6)", pair, r.Estimate, r.N, r.Population, want)
		}
	}
	// The sweep: point 2.5 against itself is 1, point 3.5 is line b.
	if r := findAt(t, out.Results, "rank_correlation", "z", "", 2.5); r.Estimate != 1 {
		t.Errorf("sweep at 2.5: %v, want 1", r.Estimate)
	}
	if r := findAt(t, out.Results, "rank_correlation", "z", "", 3.5); math.Abs(r.Estimate-0.5) > 1e-12 {
		t.Errorf("sweep at 3.5: %v, want 0.5", r.Estimate)
	}
}
