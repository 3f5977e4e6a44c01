package indices

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestSharesWorked(t *testing.T) {
	// x = 1..10, unit weights, total 55. c_i = i/10 hits every p = j/10
	// exactly, so laeken's rule averages neighbours: P20 = 2.5, P40 = 4.5,
	// P80 = 8.5, P90 = 9.5.
	x := []float64{3, 1, 4, 10, 5, 9, 2, 6, 8, 7}
	for _, tt := range []struct {
		name      string
		got, want float64
	}{
		// Top: x > 8.5 = 9 + 10 = 19; bottom: x <= 2.5 = 1 + 2 = 3.
		{"qsr", QSR(x, nil), 19.0 / 3},
		{"qsr at", QSRAt(x, nil, 2.5, 8.5), 19.0 / 3},
		// Top: x > 9.5 = 10; bottom: x <= 4.5 = 1 + 2 + 3 + 4 = 10.
		{"palma", Palma(x, nil), 1},
		{"palma at", PalmaAt(x, nil, 4.5, 9.5), 1},
		// Weight 3 on x = 10, 1 on the others: c = 1/12, ..., 9/12, 1. P20:
		// the first c >= 0.2 is 3/12, so P20 = 3 and the bottom income is
		// 1 + 2 + 3 = 6. P80: the first c >= 0.8 is 1, so P80 = 10 and no
		// unit is above it: QSR = 0/6.
		{"qsr weighted, empty top", QSR([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 3}), 0},
		// A cut point below every income leaves the bottom group empty.
		{"qsr at, empty bottom", QSRAt(x, nil, 0, 8.5), math.NaN()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !sameFloat(tt.got, tt.want) && !close(tt.got, tt.want, 1e-15) {
				t.Errorf("got %.17g, want %.17g", tt.got, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		name string
		got  []float64
		want []float64 // income of each group, over 55
	}{
		{"quintiles", Shares(x, nil, 5), []float64{3, 7, 11, 15, 19}},
		{"deciles", Shares(x, nil, 10), []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"one group", Shares(x, nil, 1), []float64{55}},
		{"at cut points", SharesAt(nil, x, nil, []float64{2.5, 8.5}), []float64{3, 33, 19}},
		// Ties: x = {1, 2, 2, 2, 5} (total 12), c = .2, then .8 for all the 2s.
		// P20 = (1+2)/2 = 1.5; P40 = P60 = 2; P80 = (2+5)/2 = 3.5. The three
		// 2s fall in group 2 (1.5 < x <= 2); groups 3 (2 < x <= 2) and 4
		// (2 < x <= 3.5) are empty.
		{"ties at a cut", Shares([]float64{2, 5, 2, 1, 2}, nil, 5), []float64{1 * 55.0 / 12, 6 * 55.0 / 12, 0, 0, 5 * 55.0 / 12}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.got) != len(tt.want) {
				t.Fatalf("%d shares, want %d", len(tt.got), len(tt.want))
			}
			sum := 0.0
			for j := range tt.got {
				sum += tt.got[j]
				if !close(tt.got[j], tt.want[j]/55, 1e-15) {
					t.Errorf("share %d = %v, want %v", j+1, tt.got[j], tt.want[j]/55)
				}
			}
			if !close(sum, 1, 1e-15) {
				t.Errorf("shares sum to %v", sum)
			}
		})
	}
}

// TestShareSumsMatchesDirect checks that one ShareSums over decile cuts,
// merged from partitions, gives the quintile and decile shares, QSR and
// Palma of the direct functions.
func TestShareSumsMatchesDirect(t *testing.T) {
	x, w := randomSample(17, 5000) // negatives and zeros kept as they are
	ps := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}
	cuts := Quantiles(nil, ps, x, w)
	for j, p := range ps {
		if q := Quantile(p, x, w); cuts[j] != q {
			t.Fatalf("Quantiles[%d] = %v, Quantile(%v) = %v", j, cuts[j], p, q)
		}
	}
	s := NewShareSums(cuts)
	for lo := 0; lo < len(x); lo += 1200 {
		hi := min(lo+1200, len(x))
		part := NewShareSums(cuts)
		part.AddAll(x[lo:hi], w[lo:hi])
		s.Merge(part)
	}
	deciles := s.Shares(nil)
	if got, want := deciles, Shares(x, w, 10); !slicesClose(got, want, 1e-12) {
		t.Errorf("decile shares %v, direct %v", got, want)
	}
	quint := Shares(x, w, 5)
	for j := range quint {
		if got := deciles[2*j] + deciles[2*j+1]; !close(got, quint[j], 1e-12) {
			t.Errorf("quintile %d: deciles give %v, direct %v", j+1, got, quint[j])
		}
	}
	if got, want := s.TailRatio(2, 2), QSR(x, w); !close(got, want, 1e-12) {
		t.Errorf("TailRatio(2, 2) %v, QSR %v", got, want)
	}
	if got, want := s.TailRatio(1, 4), Palma(x, w); !close(got, want, 1e-12) {
		t.Errorf("TailRatio(1, 4) %v, Palma %v", got, want)
	}
	// The QSR is the ratio of the extreme quintile shares.
	if got, want := QSR(x, w), quint[4]/quint[0]; !close(got, want, 1e-12) {
		t.Errorf("QSR %v, S5/S1 %v", got, want)
	}
	popShare := 0.0
	total := 0.0
	for _, v := range s.Pop {
		total += v
	}
	popShare = (s.Pop[0] + s.Pop[1]) / total
	if popShare < 0.2 || popShare > 0.21 {
		t.Errorf("bottom quintile holds %v of the weight", popShare)
	}
}

func slicesClose(a, b []float64, rel float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !close(a[i], b[i], rel) {
			return false
		}
	}
	return true
}

func TestSharesUndefined(t *testing.T) {
	for name, v := range map[string]float64{
		"qsr empty":               QSR(nil, nil),
		"qsr zero weights":        QSR([]float64{1, 2}, []float64{0, 0}),
		"qsr zero bottom":         QSR([]float64{0, 0, 0, 0, 5}, nil),
		"palma empty":             Palma(nil, nil),
		"share empty":             Shares(nil, nil, 5)[0],
		"share zero income":       Shares([]float64{0, 0, 0}, nil, 5)[4],
		"shares at NaN cuts":      SharesAt(nil, []float64{1, 2}, nil, []float64{math.NaN(), math.NaN()})[1],
		"tail ratio at NaN cuts":  NewShareSums([]float64{math.NaN()}).TailRatio(1, 1),
		"tail ratio empty bottom": NewShareSums([]float64{1}).TailRatio(1, 1),
	} {
		if !math.IsNaN(v) {
			t.Errorf("%s = %v, want NaN", name, v)
		}
	}
}

func TestSharesPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"qsr mismatch":        func() { QSR([]float64{1}, []float64{1, 2}) },
		"qsr at mismatch":     func() { QSRAt([]float64{1}, []float64{1, 2}, 0, 1) },
		"qsr negative weight": func() { QSR([]float64{1, 2}, []float64{1, -1}) },
		"palma mismatch":      func() { Palma([]float64{1}, []float64{1, 2}) },
		"shares k=0":          func() { Shares([]float64{1}, nil, 0) },
		"shares mismatch":     func() { Shares([]float64{1}, []float64{1, 2}, 5) },
		"shares at dst":       func() { SharesAt(make([]float64, 2), []float64{1}, nil, []float64{1, 2}) },
		"decreasing cuts":     func() { NewShareSums([]float64{2, 1}) },
		"merge other cuts":    func() { s := NewShareSums([]float64{1}); s.Merge(NewShareSums([]float64{2})) },
		"tail ratio overlap":  func() { NewShareSums([]float64{1, 2}).TailRatio(2, 2) },
		"tail ratio zero":     func() { NewShareSums([]float64{1, 2}).TailRatio(0, 1) },
		"quantiles dst":       func() { Quantiles(make([]float64, 1), []float64{0.1, 0.2}, []float64{1}, nil) },
		"quantiles bad p":     func() { Quantiles(nil, []float64{1.2}, []float64{1}, nil) },
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

func TestSharesInputsUnchanged(t *testing.T) {
	x, w := randomSample(19, 300)
	x0, w0 := slices.Clone(x), slices.Clone(w)
	QSR(x, w)
	Palma(x, w)
	Shares(x, w, 10)
	Quantiles(nil, []float64{0.3, 0.6}, x, w)
	if !slices.Equal(x, x0) || !slices.Equal(w, w0) {
		t.Error("inputs modified")
	}
}

// TestLaekenQSR checks against laeken::qsr on its eusilc sample
// (shared/data/README.md).
func TestLaekenQSR(t *testing.T) {
	x, w := loadEUSILC(t)
	const want = 3.97000432603667
	if got := QSR(x, w); !close(got, want, 1e-9) {
		t.Errorf("QSR %.15g, laeken %.15g", got, want)
	}
	q := Quantiles(nil, []float64{0.2, 0.8}, x, w)
	if got := QSRAt(x, w, q[0], q[1]); !close(got, want, 1e-9) {
		t.Errorf("QSRAt %.15g, laeken %.15g", got, want)
	}
	deciles := Quantiles(nil, []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}, x, w)
	s := NewShareSums(deciles)
	s.AddAll(x, w)
	if got := s.TailRatio(2, 2); !close(got, want, 1e-9) {
		t.Errorf("decile TailRatio(2, 2) %.15g, laeken %.15g", got, want)
	}
}

func ExampleQSR() {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	fmt.Printf("QSR = %.4f\n", QSR(x, nil))
	fmt.Printf("Palma = %.4f\n", Palma(x, nil))
	fmt.Printf("quintile shares = %.4f\n", Shares(x, nil, 5))
	// Output:
	// QSR = 6.3333
	// Palma = 1.0000
	// quintile shares = [0.0545 0.1273 0.2000 0.2727 0.3455]
}

func BenchmarkDecileShares1M(b *testing.B) {
	x, w := lognormalSample(1, 1<<20, 0.8)
	ps := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}
	cuts := Quantiles(nil, ps, x, w)
	b.ResetTimer()
	for b.Loop() {
		s := NewShareSums(cuts)
		s.AddAll(x, w)
		_ = s.TailRatio(2, 2)
	}
}

// TestPercentileShares checks the binary search of many cut points against
// a direct count of the cuts below each income.
func TestPercentileShares(t *testing.T) {
	x, w := randomSample(29, 4000)
	got := Shares(x, w, 100)
	ps := make([]float64, 99)
	for j := range ps {
		ps[j] = float64(j+1) / 100
	}
	cuts := Quantiles(nil, ps, x, w)
	want := make([]float64, 100)
	total := 0.0
	for i, v := range x {
		g := 0
		for _, c := range cuts {
			if c < v {
				g++
			}
		}
		want[g] += w[i] * v
		total += w[i] * v
	}
	sum := 0.0
	for j := range want {
		sum += got[j]
		if !close(got[j], want[j]/total, 1e-12) {
			t.Errorf("percentile group %d: share %v, direct %v", j+1, got[j], want[j]/total)
		}
	}
	if !close(sum, 1, 1e-12) {
		t.Errorf("shares sum to %v", sum)
	}
}
