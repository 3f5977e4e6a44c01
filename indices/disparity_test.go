package indices

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestDisparityWorked(t *testing.T) {
	// Regional means {10, 20, 30} with populations {1, 1, 2}.
	y, pop := []float64{10, 20, 30}, []float64{1, 1, 2}
	for _, tt := range []struct {
		name      string
		got, want float64
	}{
		// m = 20, variance (100 + 0 + 100)/3, CV = sqrt(200/3)/20 = 0.408248.
		{"cv", CV(y, nil), math.Sqrt(200.0/3) / 20},
		// p = {1/4, 1/4, 1/2}, ybar = 2.5 + 5 + 15 = 22.5;
		// sum p (y - ybar)^2 = 156.25/4 + 6.25/4 + 56.25/2 = 68.75;
		// V_w = sqrt(68.75)/22.5 = 0.368514.
		{"williamson", Williamson(y, pop), math.Sqrt(68.75) / 22.5},
		{"williamson is weighted cv", Williamson(y, pop), CV(y, pop)},
		{"williamson equal populations", Williamson(y, nil), CV(y, nil)},
		{"max/min", MaxMinRatio(y, nil), 3},
		// A region of population 0 takes no part, even with a NaN mean.
		{"cv skips empty region", CV([]float64{10, math.NaN(), 20, 30}, []float64{1, 0, 1, 2}), math.Sqrt(68.75) / 22.5},
		{"max/min skips empty region", MaxMinRatio([]float64{10, 1, 20}, []float64{1, 0, 1}), 2},
		{"equal means", CV([]float64{5, 5, 5}, []float64{1, 2, 3}), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !close(tt.got, tt.want, 1e-14) {
				t.Errorf("got %.17g, want %.17g", tt.got, tt.want)
			}
		})
	}
}

// TestCVIsGE2 checks CV against GE(2) = CV^2/2 on person-level incomes.
func TestCVIsGE2(t *testing.T) {
	x, w := lognormalSample(12, 5000, 0.7)
	cv := CV(x, w)
	if got := GE(x, w, 2); !close(got, cv*cv/2, 1e-12) {
		t.Errorf("GE(2) %v, CV^2/2 %v", got, cv*cv/2)
	}
}

func TestDecompositionWorked(t *testing.T) {
	// Group A = {1, 3} (mu 2), group B = {2, 6} (mu 4); mu = 3.
	// v = {1/2, 1/2}, s = {4/12, 8/12}. B is A doubled, so the groups have
	// the same inequality.
	x := []float64{1, 3, 2, 6}
	g := []int{0, 0, 1, 1}
	la := math.Log(2) - math.Log(3)/2                 // ln 2 - (ln 1 + ln 3)/2 = 0.143841
	ta := (0.5*math.Log(0.5) + 1.5*math.Log(1.5)) / 2 // 0.130812
	for _, tt := range []struct {
		name          string
		alpha         float64
		total, betw   float64
		group, weight []float64
	}{
		// Between = 0.5 ln(3/2) + 0.5 ln(3/4) = 0.5 ln(9/8) = 0.058892;
		// total = ln 3 - ln(36)/4 = 0.202733 = 0.058892 + 0.143841.
		{"theil l", 0, math.Log(3) - math.Log(36)/4, 0.5 * math.Log(9.0/8), []float64{la, la}, []float64{0.5, 0.5}},
		// Between = (1/3) ln(2/3) + (2/3) ln(4/3) = 0.056633;
		// total = (3 ln 3 + 2 ln 2 + 6 ln 6)/12 - ln 3 = 0.187445 = 0.056633 + 0.130812.
		{"theil t", 1, (3*math.Log(3)+2*math.Log(2)+6*math.Log(6))/12 - math.Log(3),
			math.Log(2.0/3)/3 + 2*math.Log(4.0/3)/3, []float64{ta, ta}, []float64{1.0 / 3, 2.0 / 3}},
		// GE(2): E x^2 = 50/4 = 12.5, total = (12.5/9 - 1)/2 = 7/36;
		// between = (0.5 (2/3)^2 + 0.5 (4/3)^2 - 1)/2 = (10/9 - 1)/2 = 1/18;
		// GE_A(2) = (5/4 - 1)/2 = 1/8 with weight 0.5 (2/3)^2 = 2/9, GE_B the
		// same with weight 8/9: within = 10/9 * 1/8 = 5/36 = 7/36 - 1/18.
		{"ge 2", 2, 7.0 / 36, 1.0 / 18, []float64{0.125, 0.125}, []float64{2.0 / 9, 8.0 / 9}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := DecomposeGE(x, nil, g, tt.alpha)
			if !close(d.Total, tt.total, 1e-14) || !close(d.Between, tt.betw, 1e-14) ||
				!close(d.Within, tt.total-tt.betw, 1e-13) {
				t.Errorf("total %v between %v within %v; want %v %v %v", d.Total, d.Between, d.Within,
					tt.total, tt.betw, tt.total-tt.betw)
			}
			for k := range tt.group {
				if !close(d.Group[k], tt.group[k], 1e-14) || !close(d.Weight[k], tt.weight[k], 1e-14) {
					t.Errorf("group %d: index %v weight %v; want %v %v", k, d.Group[k], d.Weight[k], tt.group[k], tt.weight[k])
				}
			}
			if got, want := d.BetweenShare(), tt.betw/tt.total; !close(got, want, 1e-13) {
				t.Errorf("between share %v, want %v", got, want)
			}
		})
	}
}

// TestDecompositionAddsUp checks Between + Within = Total = GE on data with
// negative and zero incomes (left out as GE leaves them out), many groups
// and an empty group code, and that per-partition sums give the same parts.
func TestDecompositionAddsUp(t *testing.T) {
	x, w := randomSample(21, 4000)
	g := make([]int32, len(x))
	for i := range g {
		g[i] = int32((i * 7) % 9)
		if g[i] == 4 {
			g[i] = 5 // code 4 has no units
		}
	}
	for _, alpha := range []float64{-1, 0, 0.5, 1, 2, 3} {
		t.Run(fmt.Sprint("alpha ", alpha), func(t *testing.T) {
			d := DecomposeGE(x, w, g, alpha)
			if want := GE(x, w, alpha); !close(d.Total, want, 1e-13) {
				t.Errorf("total %v, GE %v", d.Total, want)
			}
			if got := d.Between + d.Within; !close(got, d.Total, 1e-12) {
				t.Errorf("between %v + within %v = %v, total %v", d.Between, d.Within, got, d.Total)
			}
			if !(d.Between > 0 && d.Within > 0 && d.Between < d.Total) {
				t.Errorf("parts out of range: %+v", d)
			}
			if len(d.Group) != 9 || !math.IsNaN(d.Group[4]) || d.Weight[4] != 0 {
				t.Errorf("empty group 4: index %v weight %v of %d groups", d.Group[4], d.Weight[4], len(d.Group))
			}
			// Per-group sums from two partitions, merged.
			sums := make([]EntropySums, 9)
			for k := range sums {
				sums[k] = NewEntropySums([]float64{alpha}, nil)
				for _, half := range [][2]int{{0, 1700}, {1700, len(x)}} {
					part := NewEntropySums([]float64{alpha}, nil)
					for i := half[0]; i < half[1]; i++ {
						if int(g[i]) == k {
							part.Add(x[i], w[i])
						}
					}
					sums[k].Merge(part)
				}
			}
			ds := DecomposeGESums(sums, alpha)
			if !close(ds.Between, d.Between, 1e-12) || !close(ds.Within, d.Within, 1e-12) {
				t.Errorf("from merged sums %+v, one pass %+v", ds, d)
			}
			// One group: everything is within. Every unit its own group:
			// everything is between.
			one := DecomposeGE(x, w, make([]int, len(x)), alpha)
			if math.Abs(one.Between) > 1e-15 || !close(one.Within, one.Total, 1e-13) {
				t.Errorf("one group: %+v", one)
			}
			own := make([]int, len(x))
			for i := range own {
				own[i] = i
			}
			each := DecomposeGE(x, w, own, alpha)
			if !close(each.Between, each.Total, 1e-12) || math.Abs(each.Within) > 1e-13 {
				t.Errorf("own groups: between %v within %v total %v", each.Between, each.Within, each.Total)
			}
		})
	}
}

func TestDisparityUndefined(t *testing.T) {
	for name, v := range map[string]float64{
		"cv empty":              CV(nil, nil),
		"cv zero weights":       CV([]float64{1, 2}, []float64{0, 0}),
		"cv zero mean":          CV([]float64{-1, 1}, nil),
		"williamson empty":      Williamson(nil, nil),
		"max/min empty":         MaxMinRatio(nil, nil),
		"max/min zero minimum":  MaxMinRatio([]float64{0, 5}, nil),
		"max/min NaN":           MaxMinRatio([]float64{math.NaN(), 5}, nil),
		"decomposition empty":   DecomposeGE([]float64{}, nil, []int{}, 1).Total,
		"decomposition no sums": DecomposeGESums(nil, 2).Between,
		"between share, equal":  DecomposeGE([]float64{3, 3}, nil, []int{0, 1}, 1).BetweenShare(),
	} {
		if !math.IsNaN(v) {
			t.Errorf("%s = %v, want NaN", name, v)
		}
	}
	d := DecomposeGE([]float64{-1, 0}, nil, []int{0, 1}, 0)
	if !math.IsNaN(d.Total) || !math.IsNaN(d.Between) || !math.IsNaN(d.Within) || !math.IsNaN(d.Group[0]) {
		t.Errorf("decomposition with nothing included: %+v", d)
	}
}

func TestDisparityPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"cv mismatch":                  func() { CV([]float64{1}, []float64{1, 2}) },
		"cv negative weight":           func() { CV([]float64{1, 2}, []float64{1, -1}) },
		"williamson mismatch":          func() { Williamson([]float64{1}, []float64{1, 2}) },
		"max/min mismatch":             func() { MaxMinRatio([]float64{1}, []float64{1, 2}) },
		"decompose group mismatch":     func() { DecomposeGE([]float64{1, 2}, nil, []int{0}, 1) },
		"decompose weights mismatch":   func() { DecomposeGE([]float64{1, 2}, []float64{1}, []int{0, 1}, 1) },
		"decompose negative code":      func() { DecomposeGE([]float64{1, 2}, nil, []int{0, -1}, 1) },
		"decompose negative weight":    func() { DecomposeGE([]float64{1, 2}, []float64{1, -1}, []int{0, 1}, 1) },
		"decompose sums missing alpha": func() { DecomposeGESums([]EntropySums{{}, {}}, 2) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

func TestDisparityInputsUnchanged(t *testing.T) {
	x, w := lognormalSample(13, 200, 0.5)
	g := quarterGroups(len(x))
	x0, w0, g0 := slices.Clone(x), slices.Clone(w), slices.Clone(g)
	CV(x, w)
	MaxMinRatio(x, w)
	DecomposeGE(x, w, g, 2)
	if !slices.Equal(x, x0) || !slices.Equal(w, w0) || !slices.Equal(g, g0) {
		t.Error("inputs modified")
	}
}

func ExampleDecomposeGE() {
	// Incomes of two regions; the second is the first doubled.
	x := []float64{1, 3, 2, 6}
	region := []int{0, 0, 1, 1}
	d := DecomposeGE(x, nil, region, 1)
	fmt.Printf("Theil T %.4f = between %.4f + within %.4f (%.0f%% between)\n",
		d.Total, d.Between, d.Within, 100*d.BetweenShare())
	// Output: Theil T 0.1874 = between 0.0566 + within 0.1308 (30% between)
}
