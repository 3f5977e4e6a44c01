package indices

import (
	"bytes"
	"cmp"
	"encoding/gob"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// stateUnits are incomes with zeros, negatives and a wide range, so that the
// entropy sums move their reference incomes.
func stateUnits(seed uint64, n int) (x, w []float64) {
	r := rand.New(rand.NewPCG(seed, 0))
	for range n {
		v := math.Exp(r.NormFloat64() * 3)
		switch r.IntN(10) {
		case 0:
			v = 0
		case 1:
			v = -v
		}
		x, w = append(x, v), append(w, float64(r.IntN(5)))
	}
	return x, w
}

func TestPovertySumsState(t *testing.T) {
	x, w := stateUnits(1, 300)
	for _, z := range []float64{1.5, -1} { // -1: a bad line, which the state keeps
		var s PovertySums
		s.AddAll(x, w, z)
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got PovertySums
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, s) {
			t.Errorf("z=%v: decoded %+v, want %+v", z, got, s)
		}
		if z < 0 && !math.IsNaN(got.Gap()) {
			t.Errorf("bad line lost: gap %v", got.Gap())
		}
	}
}

func TestEntropySumsState(t *testing.T) {
	x, w := stateUnits(2, 400)
	mk := func() EntropySums { return NewEntropySums([]float64{-1, 0.5, 2, 3.7}, []float64{0.5, 2}) }
	// Accumulate the first half, ship it, then go on adding and merging on
	// both the original and the decoded copy: every step agrees bit for bit.
	a := mk()
	a.AddAll(x[:200], w[:200])
	var b EntropySums
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(a); err != nil {
		t.Fatal(err)
	}
	if err := gob.NewDecoder(&buf).Decode(&b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("decoded %+v, want %+v", b, a)
	}
	rest := mk()
	rest.AddAll(x[200:], w[200:])
	a.AddAll(x[200:300], w[200:300])
	b.AddAll(x[200:300], w[200:300])
	a.Merge(rest)
	b.Merge(rest)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the decoded sums add or merge differently")
	}
	// Against the plain functions over all units (independent formulas).
	for _, alpha := range []float64{0, 1, 2, -1} {
		want := GE(append(append([]float64{}, x...), x[200:300]...), append(append([]float64{}, w...), w[200:300]...), alpha)
		if got := b.GE(alpha); math.Abs(got-want) > 1e-9*math.Abs(want) {
			t.Errorf("GE(%v) = %v, want %v", alpha, got, want)
		}
	}
	// The zero value survives too (no parameter, no center).
	var z, z2 EntropySums
	bz, _ := z.MarshalBinary()
	if err := z2.UnmarshalBinary(bz); err != nil || !reflect.DeepEqual(z, z2) {
		t.Errorf("zero value: %v %+v", err, z2)
	}
}

func TestStateRejectsBadBytes(t *testing.T) {
	var s PovertySums
	s.Add(1, 1, 2)
	good, _ := s.MarshalBinary()
	e := NewEntropySums([]float64{2}, nil)
	e.Add(3, 1)
	goodE, _ := e.MarshalBinary()
	for name, b := range map[string][]byte{
		"empty":         nil,
		"version":       append([]byte{9}, good[1:]...),
		"short":         good[:len(good)-1],
		"long":          append(append([]byte{}, good...), 0),
		"entropy short": goodE[:len(goodE)-8],
	} {
		var p PovertySums
		var q EntropySums
		if p.UnmarshalBinary(b) == nil && q.UnmarshalBinary(b) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// An exponent of 1 is not a power sum.
	bad := append([]byte{}, goodE...)
	copy(bad[len(bad)-24:], []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}) // p = 1.0
	var q EntropySums
	if err := q.UnmarshalBinary(bad); err == nil {
		t.Error("exponent 1 accepted")
	}
}

// TestGiniSumsBlocks: laeken's Gini from blocks of sorted units, each started
// at the weight below it, against hand-worked values.
func TestGiniSumsBlocks(t *testing.T) {
	for _, tt := range []struct {
		name   string
		blocks [][2][]float64 // x, w of each block, in order
		ans    float64
	}{
		// Unit weights: G = 2 sum i x_(i) / (n sum x) - (n+1)/n = 60/40 - 5/4.
		{"1..4 in two blocks", [][2][]float64{{{1, 2}, {1, 1}}, {{3, 4}, {1, 1}}}, 0.25},
		{"1..4 in one block", [][2][]float64{{{1, 2, 3, 4}, {1, 1, 1, 1}}}, 0.25},
		// Ties in either order: N = 5, sum w x = 9, sum w x C = 35
		// (1·1·1 + 1·2·2 + 3·2·5 or 1·1·1 + 3·2·4 + 1·2·5), sum w^2 x =
		// 1 + 2 + 18 = 21: G = (70 - 21)/45 - 1 = 4/45.
		{"ties, light first", [][2][]float64{{{1}, {1}}, {{2, 2}, {1, 3}}}, 4.0 / 45},
		{"ties, heavy first", [][2][]float64{{{1}, {1}}, {{2, 2}, {3, 1}}}, 4.0 / 45},
		{"an empty block", [][2][]float64{{{1}, {1}}, {nil, nil}, {{2, 2}, {3, 1}}}, 4.0 / 45},
		{"no income", [][2][]float64{{{0, 0}, {1, 1}}}, math.NaN()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var g GiniSums
			below := 0.0
			for _, b := range tt.blocks {
				part := NewGiniSumsAfter(below)
				for i, x := range b[0] {
					part.AddSorted(x, b[1][i])
					below += b[1][i]
				}
				enc, _ := part.MarshalBinary()
				var dec GiniSums
				if err := dec.UnmarshalBinary(enc); err != nil || dec != part {
					t.Fatalf("state: %v %+v", err, dec)
				}
				g.Append(dec)
			}
			if got := g.Gini(); !sameValue(got, tt.ans) && math.Abs(got-tt.ans) > 1e-15 {
				t.Errorf("got %v, want %v", got, tt.ans)
			}
		})
	}
}

// TestGiniSumsBlocksExact: with integer incomes and weights (every sum exact)
// blocks give the bits of one sequential pass, and of Gini.
func TestGiniSumsBlocksExact(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 0))
	x := make([]float64, 500)
	w := make([]float64, 500)
	for i := range x {
		x[i], w[i] = float64(r.IntN(100)-5), float64(1+r.IntN(9))
	}
	want := Gini(x, w)
	xs, ws := append([]float64{}, x...), append([]float64{}, w...)
	GiniInPlace(xs, ws) // sorts
	var g GiniSums
	below := 0.0
	for start := 0; start < len(xs); start += 37 {
		part := NewGiniSumsAfter(below)
		for i := start; i < min(start+37, len(xs)); i++ {
			part.AddSorted(xs[i], ws[i])
			below += ws[i]
		}
		g.Append(part)
	}
	if got := g.Gini(); got != want {
		t.Errorf("blocks %v, sequential %v", got, want)
	}
}

// TestGiniJoin: blocks of sorted units summed from zero and joined in
// order give the sequential sums exactly where every sum is exact (integer
// incomes and weights), within rounding otherwise; GiniByBucket joins the
// buckets of the histogram grid the same way and gives laeken's Gini.
func TestGiniJoin(t *testing.T) {
	// Hand-worked: x = 1, 2 | 3, 4 (unit weights): block 2 summed from zero
	// has sum w x C = 3 + 8 = 11, sum w x = 7; joined after C = 2:
	// 5 + 11 + 2*7 = 30 = 1 + 4 + 9 + 16, G = 60/40 - 5/4 = 1/4.
	var a, b GiniSums
	a.AddSorted(1, 1)
	a.AddSorted(2, 1)
	b.AddSorted(3, 1)
	b.AddSorted(4, 1)
	a.Join(b)
	if a.swxc != 30 || a.cum != 4 || a.Gini() != 0.25 {
		t.Errorf("joined: %+v, Gini %v", a, a.Gini())
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, exact := range []bool{true, false} {
		x, w := make([]float64, 4000), make([]float64, 4000)
		for i := range x {
			if exact {
				x[i], w[i] = float64(r.IntN(5000)-100), float64(1+r.IntN(9))
			} else {
				x[i], w[i] = math.Exp(r.NormFloat64()+8), 0.5+r.Float64()*100
			}
		}
		sortPairs(x, w)
		var seq GiniSums
		var byBucket GiniByBucket
		for i := range x {
			seq.AddSorted(x[i], w[i])
			byBucket.AddSorted(x[i], w[i])
		}
		got := byBucket.Sums()
		if exact && got != seq {
			t.Errorf("exact sums: by bucket %+v, sequential %+v", got, seq)
		}
		if d := math.Abs(got.Gini() - seq.Gini()); d > 1e-14 {
			t.Errorf("exact=%v: by bucket %v, sequential %v", exact, got.Gini(), seq.Gini())
		}
	}
	var empty GiniByBucket
	if s := empty.Sums(); !math.IsNaN(s.Gini()) {
		t.Errorf("empty: %v", s.Gini())
	}
}

// sortPairs sorts x increasing, w alongside.
func sortPairs(x, w []float64) {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	xs, ws := make([]float64, len(x)), make([]float64, len(x))
	for k, i := range idx {
		xs[k], ws[k] = x[i], w[i]
	}
	copy(x, xs)
	copy(w, ws)
}
