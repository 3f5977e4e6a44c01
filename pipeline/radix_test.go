package pipeline

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRadixOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 2, 17, 1000, 50000} {
		x := make([]float64, n)
		for i := range x {
			switch rng.IntN(5) {
			case 0:
				x[i] = float64(rng.IntN(10)) // ties
			case 1:
				x[i] = -math.Exp(rng.NormFloat64() * 5)
			default:
				x[i] = math.Exp(rng.NormFloat64() * 5)
			}
		}
		got := radixOrder(x)
		want := make([]int32, n)
		for i := range want {
			want[i] = int32(i)
		}
		slices.SortStableFunc(want, func(a, b int32) int { return cmp.Compare(x[a], x[b]) })
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: radix order differs from a stable sort", n)
		}
	}
}

// BenchmarkRadixOrder sorts ten million log-normal incomes.
func BenchmarkRadixOrder(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 10_000_000)
	for i := range x {
		x[i] = 20000 * math.Exp(0.8*rng.NormFloat64()) / float64(1+rng.IntN(6))
	}
	b.ResetTimer()
	for b.Loop() {
		radixOrder(x)
	}
}
