package indices

import (
	"math"
	"math/rand/v2"
	"testing"
)

// disparityValue computes each coefficient from the package's own point
// estimators: CV and Williamson of the regional means, and DecomposeGE's
// between parts.
func disparityValue(x, w []float64, region []int32, m Disparity) float64 {
	switch m {
	case DisparityTheilTBetween:
		return DecomposeGE(x, w, region, 1).Between
	case DisparityTheilLBetween:
		return DecomposeGE(x, w, region, 0).Between
	}
	k := 0
	for _, r := range region {
		k = max(k, int(r)+1)
	}
	N, Y := make([]float64, k), make([]float64, k)
	for i := range x {
		N[region[i]] += w[i]
		Y[region[i]] += w[i] * x[i]
	}
	var means, pops []float64
	for r := range N {
		if N[r] > 0 {
			means, pops = append(means, Y[r]/N[r]), append(pops, N[r])
		}
	}
	if m == DisparityCV {
		return CV(means, nil)
	}
	return Williamson(means, pops)
}

// TestDisparityInfluenceFiniteDifferences: each unit's influence equals
// the derivative of the coefficient with respect to its weight, by central
// finite differences of the point estimators (smooth functions of totals:
// the derivative exists), including a unit with a zero income (left out
// of the Theil parts).
func TestDisparityInfluenceFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 0))
	n := 60
	x, w := make([]float64, n), make([]float64, n)
	region := make([]int32, n)
	for i := range x {
		region[i] = int32(i % 4)
		x[i] = math.Exp(9 + 0.2*float64(region[i]) + 0.6*rng.NormFloat64())
		w[i] = 1 + 9*rng.Float64()
	}
	x[7] = 0
	for _, m := range []Disparity{DisparityCV, DisparityWilliamson, DisparityTheilTBetween, DisparityTheilLBetween} {
		z := DisparityInfluence(nil, x, w, region, m)
		for _, i := range []int{0, 1, 7, 22, 59} {
			h := 1e-4 * w[i]
			wp, wm := append([]float64(nil), w...), append([]float64(nil), w...)
			wp[i] += h
			wm[i] -= h
			fd := (disparityValue(x, wp, region, m) - disparityValue(x, wm, region, m)) / (2 * h)
			if math.Abs(fd-z[i]) > 1e-6*math.Abs(fd)+1e-12 {
				t.Errorf("measure %d unit %d: influence %.10g, finite difference %.10g", m, i, z[i], fd)
			}
		}
	}
	// One region: no coefficient.
	one := make([]int32, n)
	if z := DisparityInfluence(nil, x, w, one, DisparityCV); !math.IsNaN(z[0]) {
		t.Errorf("one region: %v, want NaN", z[0])
	}
}
