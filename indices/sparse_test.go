package indices

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sparseVariance accumulates the units of infl where mask is true in s and
// returns Sparse's variance with the shared part c*g.
func sparseVariance(s *Sparse, infl []float64, mask []bool, c float64, g *Shared) float64 {
	s.Reset()
	for i, v := range infl {
		if mask[i] {
			s.Add(i, v)
		}
	}
	return s.Variance(c, g)
}

func TestSparseHandWorked(t *testing.T) {
	// The design of TestLonely: V = 10 (remove), 15 (average), 26 (adjust).
	d := Design{Strata: []int32{0, 0, 0, 1, 1, 1, 2, 2}, PSU: []int32{1, 1, 2, 1, 2, 2, 1, 1}}
	y := []float64{1, 2, 4, 3, 5, 1, 4, 5}
	all := []bool{true, true, true, true, true, true, true, true}
	for _, tt := range []struct {
		lonely Lonely
		v      float64
	}{{LonelyRemove, 10}, {LonelyCertainty, 10}, {LonelyAverage, 15}, {LonelyAdjust, 26}} {
		d.Lonely = tt.lonely
		s := NewLinearizer(d, len(y)).NewSparse()
		if got := sparseVariance(s, y, all, 0, nil); !close(got, tt.v, 1e-14) {
			t.Errorf("%v: V %v, want %v", tt.lonely, got, tt.v)
		}
	}
	d.Lonely = LonelyFail
	if got := sparseVariance(NewLinearizer(d, len(y)).NewSparse(), y, all, 0, nil); !math.IsNaN(got) {
		t.Errorf("fail: V %v, want NaN", got)
	}
	// Only unit 2 (stratum 0, PSU 2, y = 4): stratum 0 has totals 0 and 4,
	// mean 2, so 2/1 (4 + 4) = 16; stratum 1 is all zero; the lonely
	// stratum 2 under adjust: grand mean 4/5, (0 - 4/5)^2 = 0.64.
	mask := []bool{false, false, true, false, false, false, false, false}
	d.Lonely = LonelyAdjust
	if got := sparseVariance(NewLinearizer(d, len(y)).NewSparse(), y, mask, 0, nil); !close(got, 16.64, 1e-14) {
		t.Errorf("one unit, adjust: V %v, want 16.64", got)
	}
	d.Lonely = LonelyRemove
	if got := sparseVariance(NewLinearizer(d, len(y)).NewSparse(), y, mask, 0, nil); !close(got, 16, 1e-14) {
		t.Errorf("one unit, remove: V %v, want 16", got)
	}
}

// TestSparseEqualsLinearized: on random designs with lonely and certainty
// strata, FPCs and weights, the variance of a variable that is A on a
// random subset of units (zero elsewhere) plus c times a shared L equals
// Linearized of the dense variable, for every lonely treatment; the same
// accumulator serves many subsets.
func TestSparseEqualsLinearized(t *testing.T) {
	for seed := range uint64(6) {
		d, x := linRandomDesign(seed, 9)
		rng := rand.New(rand.NewPCG(seed, 7))
		// Make stratum 0 lonely (one PSU), stratum 1 a certainty stratum
		// and give the others an FPC.
		d.FPC = make([]float64, len(x))
		for i, h := range d.Strata {
			switch h {
			case 0:
				d.PSU[i] = 0
			case 1:
				d.FPC[i] = 1
			default:
				d.FPC[i] = float64(h) / 20
			}
		}
		// A second lonely stratum.
		for i := range d.Strata {
			if d.Strata[i] == 2 {
				d.PSU[i] = 5
			}
		}
		a := MeanInfluence(nil, x, d.Weights)
		L := make([]float64, len(x))
		for i := range L {
			L[i] = rng.NormFloat64()
		}
		for _, lonely := range []Lonely{LonelyRemove, LonelyAdjust, LonelyAverage, LonelyCertainty, LonelyFail} {
			d.Lonely = lonely
			lin := NewLinearizer(d, len(x))
			s, g := lin.NewSparse(), lin.NewShared(L)
			for trial := range 5 {
				mask := make([]bool, len(x))
				p := []float64{0.05, 0.3, 1, 0.5, 0}[trial]
				for i := range mask {
					mask[i] = rng.Float64() < p
				}
				for _, c := range []float64{0, 0.7, -2} {
					dense := make([]float64, len(x))
					for i := range dense {
						if mask[i] {
							dense[i] = a[i]
						}
						dense[i] += c * L[i]
					}
					want := lin.Linearized(dense).SE
					want *= want
					gg := g
					if c == 0 && trial%2 == 0 {
						gg = nil
					}
					got := sparseVariance(s, a, mask, c, gg)
					if !(close(got, want, 1e-10) || math.Abs(got-want) < 1e-12*want+1e-30 || sameFloat(got, want)) {
						t.Errorf("seed %d %v trial %d c %v: sparse V %v, dense %v", seed, lonely, trial, c, got, want)
					}
				}
			}
		}
	}
}

// TestSparseAgainstReference checks Sparse against the independent
// map-based formula on designs without lonely strata.
func TestSparseAgainstReference(t *testing.T) {
	d, x := linRandomDesign(11, 6)
	infl := MeanInfluence(nil, x, d.Weights)
	mask := make([]bool, len(x))
	dom := make([]float64, len(x))
	for i := range mask {
		mask[i] = i%3 == 0
		if mask[i] {
			dom[i] = infl[i]
		}
	}
	want := linRefVariance(d.Strata, d.PSU, d.Weights, nil, dom)
	got := sparseVariance(NewLinearizer(d, len(x)).NewSparse(), infl, mask, 0, nil)
	if !close(got, want, 1e-12) {
		t.Errorf("V %v, reference %v", got, want)
	}
}

func TestSparsePanics(t *testing.T) {
	d := Design{Strata: []int32{0, 0}}
	l1, l2 := NewLinearizer(d, 2), NewLinearizer(d, 2)
	for name, f := range map[string]func(){
		"unit out of range": func() { l1.NewSparse().Add(2, 1) },
		"other design":      func() { l1.NewSparse().Variance(1, l2.NewShared([]float64{1, 2})) },
		"shared length":     func() { l1.NewShared([]float64{1}) },
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

func BenchmarkSparseDomain(b *testing.B) {
	// 1M units in 1000 strata of 50 PSUs; a domain of 1/32 of the PSUs.
	n := 1 << 20
	d := Design{Strata: make([]int32, n), PSU: make([]int32, n)}
	for i := range n {
		d.Strata[i], d.PSU[i] = int32(i/1000), int32(i/20)
	}
	lin := NewLinearizer(d, n)
	s := lin.NewSparse()
	b.ResetTimer()
	for b.Loop() {
		s.Reset()
		for i := 0; i < n; i += 32 * 20 {
			for j := i; j < i+20; j++ {
				s.Add(j, 1)
			}
		}
		s.Variance(0, nil)
	}
}
