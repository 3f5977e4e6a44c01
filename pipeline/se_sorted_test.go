package pipeline

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/povstat/povstat/indices"
)

// TestQuantilesSortedN checks quantilesSortedN against hand-worked
// quantiles (laeken's rule: where the cumulative share equals p exactly,
// the mean of that income and the next one of positive weight) and, bit
// for bit, against indices.QuantileSorted on samples with ties, units of
// weight 0, ps in any order, 0 and 1, shares hit exactly (integer weights)
// and not.
func TestQuantilesSortedN(t *testing.T) {
	hand := []struct {
		x, w, ps, want []float64
	}{
		{[]float64{1, 2, 3, 4}, []float64{1, 1, 1, 1}, []float64{0.5, 0.6, 0.25, 0}, []float64{2.5, 3, 1.5, 1}},
		{[]float64{1, 2, 3, 4}, []float64{1, 1, 0, 2}, []float64{0.5, 1, 0.9}, []float64{3, 4, 4}}, // 3 has no weight
		{[]float64{1, 1, 5}, []float64{1, 2, 1}, []float64{0.75, 0.8}, []float64{3, 5}},
	}
	for _, c := range hand {
		got := quantilesSortedN(c.ps, c.x, c.w, sortedTotal(c.w))
		if !slices.Equal(got, c.want) {
			t.Errorf("x=%v w=%v ps=%v: %v, want %v", c.x, c.w, c.ps, got, c.want)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 10, 500} {
		for _, integer := range []bool{true, false} {
			x, w := make([]float64, n), make([]float64, n)
			for i := range x {
				x[i] = float64(rng.IntN(n/2 + 1))
				w[i] = float64(rng.IntN(4))
				if !integer {
					w[i] *= rng.Float64()
				}
			}
			slices.Sort(x)
			ps := []float64{0.9, 0.5, 0, 1, 0.25, 0.5, 1.0 / 3, 0.999}
			for k := range 20 {
				ps = append(ps, float64(k)/20)
			}
			got := quantilesSortedN(ps, x, w, sortedTotal(w))
			for k, p := range ps {
				want := indices.QuantileSorted(p, x, w)
				if math.Float64bits(got[k]) != math.Float64bits(want) {
					t.Errorf("n=%d integer=%v p=%v: %v, QuantileSorted %v", n, integer, p, got[k], want)
				}
			}
		}
	}
	if got := quantilesSortedN([]float64{0.5}, []float64{1, 2}, []float64{0, 0}, 0); !math.IsNaN(got[0]) {
		t.Errorf("no weight: %v, want NaN", got[0])
	}
}

// TestWindowedQuantiles checks the quantiles looked for in a window of
// incomes against indices.Quantile of the units of the mask (which sorts
// them all), bit for bit: weights in eighths (sums exact in any order, so
// that the shares hit p exactly in places, where laeken's rule takes the
// mean with the next income), windows that hold the quantiles, that miss
// them (below, above, at the window's last income) and none at all.
func TestWindowedQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 7, 400, 5000} {
		u := &units{x: make([]float64, n), w: make([]float64, n)}
		mask := make([]bool, n)
		for i := range n {
			u.x[i] = float64(rng.IntN(n/3 + 2))
			u.w[i] = float64(rng.IntN(16)) / 8 // some 0: not counted
			mask[i] = rng.IntN(4) > 0
		}
		for _, m := range [][]bool{nil, mask} {
			var xs, ws []float64
			total := 0.0
			for i := range n {
				if (m == nil || m[i]) && u.w[i] > 0 {
					xs, ws = append(xs, u.x[i]), append(ws, u.w[i])
					total += u.w[i]
				}
			}
			if total == 0 {
				continue
			}
			for _, ps := range [][]float64{{0.5}, {0.5 + 1.0/64, 0.5 - 1.0/64}, {0.25}, {0.75, 0.1}} {
				center := indices.Quantile(ps[0], xs, ws)
				for _, r := range []float64{0, 0.5, 1, 3, float64(n) / 10, float64(n), math.Inf(1), math.NaN()} {
					got := windowedQuantiles(u, m, ps, total, center, r)
					for k, p := range ps {
						if want := indices.Quantile(p, xs, ws); math.Float64bits(got[k]) != math.Float64bits(want) {
							t.Errorf("n=%d mask %v r=%v p=%v: %v, want %v", n, m != nil, r, p, got[k], want)
						}
					}
				}
			}
		}
	}
	// The window's cases, by hand: incomes 1..4 of weight 1 each, with
	// weight 2 below the window.
	xs, ws := []float64{1, 2, 3, 4}, []float64{1, 1, 1, 1}
	for _, c := range []struct {
		ps    []float64
		total float64
		want  []float64 // nil: not decided by the window
	}{
		{[]float64{0.5}, 6, []float64{1.5}},       // cumulative 3 of 6 at 1, exactly 1/2: the mean with 2
		{[]float64{0.8, 0.6}, 6, []float64{3, 2}}, // 4.8 <= 5 at 3, 3.6 <= 4 at 2
		{[]float64{0.95}, 6, []float64{4}},        // 5.7 <= 6 at 4
		{[]float64{0.3}, 6, nil},                  // 1.8 <= 2: below the window
		{[]float64{1.0 / 3, 0.5}, 6, nil},         // 2 of 6 below: exactly 1/3 there
		{[]float64{1}, 6, nil},                    // exactly the total at 4: the mean with the next income, beyond
		{[]float64{0.5, 0.9}, 8, nil},             // 7.2 > 6: above the window
	} {
		got, ok := quantilesFrom(c.ps, xs, ws, 2, c.total)
		if ok != (c.want != nil) || (ok && !slices.Equal(got, c.want)) {
			t.Errorf("ps %v total %v: %v (%v), want %v", c.ps, c.total, got, ok, c.want)
		}
	}
}
