package indices

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestLorenzHandWorked(t *testing.T) {
	for _, tt := range []struct {
		name   string
		x, w   []float64
		ps     []float64
		ans    []float64 // Lorenz
		gl     []float64 // generalized Lorenz
		panics bool
	}{
		{
			// T = 10, W = 4: the poorest quarter holds 1, half 1+2, ...;
			// p = 0.125 is half of the first unit (0.5·1), p = 0.6 is two
			// units and 0.4 of the third (3 + 0.4·3 = 4.2).
			name: "unit weights",
			x:    []float64{4, 1, 3, 2},
			ps:   []float64{0, 0.125, 0.25, 0.5, 0.6, 0.75, 1},
			ans:  []float64{0, 0.05, 0.1, 0.3, 0.42, 0.6, 1},
			gl:   []float64{0, 0.125, 0.25, 0.75, 1.05, 1.5, 2.5},
		},
		{
			// Sorted: 1 (w 2), 2 (w 1), 3 (w 1); W = 4, T = 7.
			name: "weighted",
			x:    []float64{3, 1, 2},
			w:    []float64{1, 2, 1},
			ps:   []float64{1, 0.25, 0.5, 0.75, 0.875},
			ans:  []float64{1, 1.0 / 7, 2.0 / 7, 4.0 / 7, 5.5 / 7},
			gl:   []float64{7.0 / 4, 0.25, 0.5, 1, 5.5 / 4},
		},
		{
			// A zero weight takes no part; a negative income is kept:
			// W = 4, T = -2 + 0 + 2·6 = 10; the poorest half holds -2 + 0,
			// the poorest three quarters -2 + 0 + 6.
			name: "zero weight and negative income",
			x:    []float64{-2, 100, 0, 6},
			w:    []float64{1, 0, 1, 2},
			ps:   []float64{0.25, 0.5, 0.75},
			ans:  []float64{-0.2, -0.2, 0.4},
			gl:   []float64{-0.5, -0.5, 1},
		},
		{name: "empty", x: nil, ps: []float64{0.5}, ans: []float64{math.NaN()}, gl: []float64{math.NaN()}},
		{name: "zero income", x: []float64{0, 0}, ps: []float64{0.5}, ans: []float64{math.NaN()}, gl: []float64{0}},
		{name: "p above 1", x: []float64{1}, ps: []float64{1.5}, panics: true},
		{name: "p NaN", x: []float64{1}, ps: []float64{math.NaN()}, panics: true},
		{name: "length mismatch", x: []float64{1, 2}, w: []float64{1}, ps: []float64{0.5}, panics: true},
		{name: "negative weight", x: []float64{1, 2}, w: []float64{1, -1}, ps: []float64{0.5}, panics: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x0, w0 := slices.Clone(tt.x), slices.Clone(tt.w)
			if tt.panics {
				if !panics(func() { Lorenz(nil, tt.ps, tt.x, tt.w) }) {
					t.Error("Lorenz did not panic")
				}
				if !panics(func() { GeneralizedLorenz(nil, tt.ps, tt.x, tt.w) }) {
					t.Error("GeneralizedLorenz did not panic")
				}
				return
			}
			got := Lorenz(nil, tt.ps, tt.x, tt.w)
			gl := GeneralizedLorenz(make([]float64, len(tt.ps)), tt.ps, tt.x, tt.w)
			for j := range tt.ps {
				if !same(got[j], tt.ans[j], 1e-14) {
					t.Errorf("L(%v) = %v, want %v", tt.ps[j], got[j], tt.ans[j])
				}
				if !same(gl[j], tt.gl[j], 1e-14) {
					t.Errorf("GL(%v) = %v, want %v", tt.ps[j], gl[j], tt.gl[j])
				}
			}
			if !slices.Equal(tt.x, x0) || !slices.Equal(tt.w, w0) {
				t.Error("inputs changed")
			}
		})
	}
}

func same(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}

func panics(f func()) (p bool) {
	defer func() { p = recover() != nil }()
	f()
	return false
}

// twentieths are the points of the pipeline's curves, 0.05 to 1.
func twentieths() []float64 {
	ps := make([]float64, 20)
	for k := range ps {
		ps[k] = float64(k+1) / 20
	}
	return ps
}

// With incomes (i − 1/2)/n, i = 1..n (the uniform distribution on [0, 1]
// at midpoints), the poorest j units hold j²/2 of n²/2: L(j/n) = (j/n)²,
// the closed form L(p) = p² of the uniform distribution, exactly at the
// grid points; GL(p) = p²/2.
func TestLorenzUniformClosedForm(t *testing.T) {
	const n = 1000
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n)
	for i := range x {
		x[i] = (float64(i) + 0.5) / n
	}
	rng.Shuffle(n, func(i, j int) { x[i], x[j] = x[j], x[i] })
	ps := twentieths()
	l := Lorenz(nil, ps, x, nil)
	gl := GeneralizedLorenz(nil, ps, x, nil)
	for j, p := range ps {
		if math.Abs(l[j]-p*p) > 1e-12 {
			t.Errorf("L(%v) = %v, want %v", p, l[j], p*p)
		}
		if math.Abs(gl[j]-p*p/2) > 1e-12 {
			t.Errorf("GL(%v) = %v, want %v", p, gl[j], p*p/2)
		}
	}
}

// A unit of integer weight k is k units of weight 1: the curves agree at
// any p, the points inside a unit's weight included.
func TestLorenzReplication(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var x, w, rx []float64
	for range 60 {
		v := math.Round(rng.Float64()*1000) / 10
		k := 1 + rng.IntN(4)
		x, w = append(x, v), append(w, float64(k))
		for range k {
			rx = append(rx, v)
		}
	}
	ps := []float64{0, 0.013, 0.05, 0.2, 0.333, 0.5, 0.71, 0.95, 0.999, 1}
	for k := range 50 {
		ps = append(ps, float64(k)/49)
	}
	a, b := Lorenz(nil, ps, x, w), Lorenz(nil, ps, rx, nil)
	ga, gb := GeneralizedLorenz(nil, ps, x, w), GeneralizedLorenz(nil, ps, rx, nil)
	for j, p := range ps {
		if math.Abs(a[j]-b[j]) > 1e-12 || math.Abs(ga[j]-gb[j]) > 1e-9 {
			t.Errorf("p=%v: weighted L %v GL %v, replicated L %v GL %v", p, a[j], ga[j], b[j], gb[j])
		}
	}
}

// Properties: L(1) = 1 exactly, GL(1) = the mean, L is non-decreasing and
// convex for positive incomes and below the line of equality, invariant
// to scaling incomes or weights; GL scales with the incomes.
func TestLorenzProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 500
	x, w := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = math.Exp(rng.NormFloat64())
		w[i] = 0.5 + 3*rng.Float64()
	}
	ps := twentieths()
	l := Lorenz(nil, ps, x, w)
	gl := GeneralizedLorenz(nil, ps, x, w)
	if l[19] != 1 {
		t.Errorf("L(1) = %v, want exactly 1", l[19])
	}
	num, den := 0.0, 0.0
	for i := range x {
		num += w[i] * x[i]
		den += w[i]
	}
	if math.Abs(gl[19]-num/den) > 1e-12 {
		t.Errorf("GL(1) = %v, want the mean %v", gl[19], num/den)
	}
	prev, slope := 0.0, 0.0
	for j, p := range ps {
		if l[j] < prev || l[j] > p {
			t.Errorf("L(%v) = %v: not non-decreasing or above equality", p, l[j])
		}
		if s := l[j] - prev; s < slope-1e-12 {
			t.Errorf("L not convex at %v", p)
		} else {
			slope = s
		}
		prev = l[j]
	}
	sx, sw := make([]float64, n), make([]float64, n)
	for i := range x {
		sx[i], sw[i] = 7*x[i], 3*w[i]
	}
	ls, gls := Lorenz(nil, ps, sx, sw), GeneralizedLorenz(nil, ps, sx, sw)
	for j := range ps {
		if math.Abs(ls[j]-l[j]) > 1e-12 || math.Abs(gls[j]-7*gl[j]) > 1e-9 {
			t.Errorf("p=%v: scaled L %v GL %v, want %v %v", ps[j], ls[j], gls[j], l[j], 7*gl[j])
		}
	}
}

// At a point where a quantile group ends exactly at a unit (n a multiple
// of the groups, distinct incomes, unit weights), L(j/k) is the sum of the
// first j income shares of Shares.
func TestLorenzMatchesShares(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float64, 200)
	for i := range x {
		x[i] = 100 + 1000*rng.Float64()
	}
	for _, k := range []int{5, 10} {
		shares := Shares(x, nil, k)
		ps := make([]float64, k)
		for j := range ps {
			ps[j] = float64(j+1) / float64(k)
		}
		l := Lorenz(nil, ps, x, nil)
		cum := 0.0
		for j := range ps {
			cum += shares[j]
			if math.Abs(l[j]-cum) > 1e-12 {
				t.Errorf("k=%d: L(%v) = %v, cumulative share %v", k, ps[j], l[j], cum)
			}
		}
	}
	if l := Lorenz(nil, []float64{0.2}, x, nil); math.Abs(l[0]-Shares(x, nil, 5)[0]) > 1e-12 {
		t.Errorf("L(0.2) = %v, share_q1 = %v", l[0], Shares(x, nil, 5)[0])
	}
}

func TestLorenzSortedPanicsUnsorted(t *testing.T) {
	if !panics(func() { LorenzSorted(nil, []float64{0.5}, []float64{2, 1}, nil) }) {
		t.Error("no panic on unsorted incomes")
	}
}

func ExampleLorenz() {
	x := []float64{4, 1, 3, 2}
	l := Lorenz(nil, []float64{0.25, 0.5, 0.75, 1}, x, nil)
	gl := GeneralizedLorenz(nil, []float64{0.5, 1}, x, nil)
	fmt.Printf("%.2f %.2f\n", l, gl)
	// Output: [0.10 0.30 0.60 1.00] [0.75 2.50]
}

func BenchmarkLorenzSorted(b *testing.B) {
	x := make([]float64, 1_000_000)
	for i := range x {
		x[i] = float64(i)
	}
	ps := twentieths()
	dst := make([]float64, len(ps))
	for b.Loop() {
		LorenzSorted(dst, ps, x, nil)
	}
}
