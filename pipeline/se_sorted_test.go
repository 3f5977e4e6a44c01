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

// TestSortedMembersFromKeys checks the whole population in order of
// income from the sort keys against newSortedMembers's gather: the same
// order, incomes (bit for bit, -0 and ties included) and weights.
func TestSortedMembersFromKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	n := 3*radixMinChunk + 7 // more than one chunk
	u := &units{x: make([]float64, n), w: make([]float64, n)}
	for i := range u.x {
		u.x[i] = math.Round(math.Exp(9 + rng.NormFloat64()))
		u.w[i] = rng.Float64() * 3
	}
	u.x[5], u.x[6] = math.Copysign(0, -1), -12
	g := &grouping{codes: make([]int32, n), keys: [][]string{{}}}
	order, keys := radixKeys(u.x)
	want, _ := newSortedMembers(u, g, order, nil, true, false)
	got, codes := sortedMembersFromKeys(u, order, keys, true)
	if !slices.Equal(got.idx, want.idx) || !slices.Equal(got.off, want.off) || !slices.Equal(got.w, want.w) {
		t.Fatal("members or weights differ from newSortedMembers")
	}
	for p := range got.x {
		if math.Float64bits(got.x[p]) != math.Float64bits(want.x[p]) {
			t.Fatalf("income %d: %v, want %v", p, got.x[p], want.x[p])
		}
	}
	if len(codes) != n || slices.ContainsFunc(codes, func(c int32) bool { return c != 0 }) {
		t.Error("codes of one domain are not all 0")
	}
}
