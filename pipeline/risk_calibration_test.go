package pipeline

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Four units in two halves: the weighted median of {.2, .4, .6, .8} is
// (.4 + .6)/2 = .5 (c = 1/2 exactly), so the low group {.2, .4} has
// O = 1/2, P = .3 and the high group {.6, .8} O = 1, P = .7; E = (2·.2 +
// 2·.3)/4 = .25. With weights {1, 3, 1, 1} the median is .4 (c = 4/6): a
// unit at the cut is in the lower group, {.2 (w 1), .4 (w 3)} with O = 3/4,
// P = (.2 + 1.2)/4 = .35, and {.6, .8} as before; E = (4·.4 + 2·.3)/6.
func TestCalibrationHand(t *testing.T) {
	p := []float64{0.4, 0.2, 0.8, 0.6}
	ev := []bool{true, false, true, true}
	for _, tt := range []struct {
		w         []float64
		obs, pred []float64
		n         []int
		wantError float64
	}{
		{nil, []float64{0.5, 1}, []float64{0.3, 0.7}, []int{2, 2}, 0.25},
		{[]float64{1, 1, 1, 1}, []float64{0.5, 1}, []float64{0.3, 0.7}, []int{2, 2}, 0.25},
		{[]float64{2, 2, 2, 2}, []float64{0.5, 1}, []float64{0.3, 0.7}, []int{2, 2}, 0.25},
		{[]float64{3, 1, 1, 1}, []float64{0.75, 1}, []float64{0.35, 0.7}, []int{2, 2}, (4*0.4 + 2*0.3) / 6},
	} {
		t.Run(fmt.Sprint(tt.w), func(t *testing.T) {
			pc, ec := slices.Clone(p), slices.Clone(ev)
			bins := Calibration(pc, ec, tt.w, 2)
			for j, b := range bins {
				if math.Abs(b.Observed-tt.obs[j]) > 1e-12 || math.Abs(b.Predicted-tt.pred[j]) > 1e-12 || b.N != tt.n[j] {
					t.Errorf("group %d: %+v, want O %v P %v n %d", j, b, tt.obs[j], tt.pred[j], tt.n[j])
				}
			}
			if e := CalibrationError(bins); math.Abs(e-tt.wantError) > 1e-12 {
				t.Errorf("error %v, want %v", e, tt.wantError)
			}
			if !slices.Equal(pc, p) || !slices.Equal(ec, ev) {
				t.Error("inputs changed")
			}
		})
	}
	// All scores tied: every unit at the cut points, in the first group;
	// the others are empty.
	bins := Calibration([]float64{0.3, 0.3, 0.3}, []bool{true, false, false}, nil, 10)
	if bins[0].N != 3 || math.Abs(bins[0].Observed-1.0/3) > 1e-15 || bins[0].Predicted != 0.3 || bins[1].N != 0 || !math.IsNaN(bins[1].Observed) {
		t.Errorf("tied: %+v", bins[:2])
	}
	if e := CalibrationError(Calibration(nil, nil, nil, 10)); !math.IsNaN(e) {
		t.Errorf("empty: error %v, want NaN", e)
	}
	for name, f := range map[string]func(){
		"length": func() { Calibration(p, ev[:3], nil, 10) },
		"k = 0":  func() { Calibration(p, ev, nil, 0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// Scores drawn from known probabilities, events ~ Bernoulli(p): the
// observed rate of each decile is within 4 binomial standard errors of its
// mean predicted probability (Kish's effective size with weights).
func TestCalibrationBernoulli(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 0))
	const n = 20000
	p := make([]float64, n)
	ev := make([]bool, n)
	w := make([]float64, n)
	for i := range p {
		p[i] = 0.02 + 0.6*rng.Float64()*rng.Float64()
		ev[i] = rng.Float64() < p[i]
		w[i] = 0.5 + rng.Float64()
	}
	for _, weights := range [][]float64{nil, w} {
		total := float64(n)
		if weights != nil {
			total = sumFloat(weights)
		}
		bins := Calibration(p, ev, weights, 10)
		cuts := bruteCuts(p, weights, 10)
		for j, b := range bins {
			var sw, sw2 float64
			for i := range p {
				wi := 1.0
				if weights != nil {
					wi = weights[i]
				}
				if groupBelow(p[i], cuts) == j {
					sw += wi
					sw2 += wi * wi
				}
			}
			if math.Abs(sw-b.Weight) > 1e-9*sw {
				t.Errorf("decile %d: weight %v, want %v", j+1, b.Weight, sw)
			}
			se := math.Sqrt(b.Predicted * (1 - b.Predicted) / (sw * sw / sw2))
			// Each decile holds a tenth of the weight, up to one unit at each cut.
			if math.Abs(b.Weight-total/10) > 3 || math.Abs(b.Observed-b.Predicted) > 4*se {
				t.Errorf("weights %v decile %d: n %d observed %v predicted %v (se %v)", weights != nil, j+1, b.N, b.Observed, b.Predicted, se)
			}
		}
		if e := CalibrationError(bins); !(e < 0.02) {
			t.Errorf("calibration error %v, want < 0.02", e)
		}
	}
	// A miscalibrated score (the probabilities halved) shows it.
	half := make([]float64, n)
	for i := range p {
		half[i] = p[i] / 2
	}
	if e := CalibrationError(Calibration(half, ev, nil, 10)); !(e > 0.05) {
		t.Errorf("halved score: error %v, want > 0.05", e)
	}
}

// bruteCuts finds the cut points j/k of p by scanning the sorted
// cumulative weights (laeken's rule).
func bruteCuts(p, weights []float64, k int) []float64 {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	w := func(i int) float64 {
		if weights == nil {
			return 1
		}
		return weights[i]
	}
	var total float64
	for i := range p {
		total += w(i)
	}
	var cuts []float64
	for j := 1; j < k; j++ {
		q := float64(j) / float64(k)
		var c float64
		for a, i := range idx {
			c += w(i)
			if c/total >= q {
				cut := p[i]
				if c/total == q && a+1 < len(idx) {
					cut = (p[i] + p[idx[a+1]]) / 2
				}
				cuts = append(cuts, cut)
				break
			}
		}
	}
	return cuts
}

// groupBelow counts the cut points below x.
func groupBelow(x float64, cuts []float64) int {
	g := 0
	for _, c := range cuts {
		if c < x {
			g++
		}
	}
	return g
}
