package pipeline

import (
	"bytes"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// TestLongestFirst: the tasks come in decreasing order of cost, the tasks
// of equal cost in their given order, and the input is unchanged.
func TestLongestFirst(t *testing.T) {
	var got []int
	task := func(id, cost int) seTask {
		return seTask{cost, func() error { got = append(got, id); return nil }}
	}
	ts := []seTask{task(0, costPass), task(1, costPair), task(2, costShort), task(3, costPair), task(4, costInfluence), task(5, costPass)}
	costs := func() []int {
		var c []int
		for _, t := range ts {
			c = append(c, t.cost)
		}
		return c
	}
	before := costs()
	for _, f := range longestFirst(ts) {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	if want := []int{1, 3, 4, 0, 5, 2}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if !slices.Equal(costs(), before) {
		t.Errorf("input changed: costs %v, were %v", costs(), before)
	}
}

// TestKernelJob: hand-worked kernel weights w K((z - x)/h), K the
// standard normal density (K(1) = 0.24197072451914337, K(0) =
// 1/sqrt(2 pi) = 0.3989422804014327), by cell and group, with the weights
// of the units within the cut; then, on generated data over many blocks,
// negligibleSums against the sums over every unit.
func TestKernelJob(t *testing.T) {
	nan := math.NaN()
	u := &units{x: []float64{8, 10, -5, 10, 1, 9}, w: []float64{3, 1, 4, 7, 5, 2}}
	k := kernelJob{
		zs:     []float64{10, 10, 10, 10, nan, 10},
		h:      []float64{2, 1, 0},        // group 2: no bandwidth
		groups: []int32{0, 0, 1, 2, 1, 0}, // unit 5 is masked out
		cells:  []int32{0, 0, 1, 1, 1, 1},
		mask:   []bool{true, true, true, true, true, false},
	}
	kern, in := k.sums(u, 2, 10)
	want := []float64{3*0.24197072451914337 + 0.3989422804014327, 0, 0, 0, 0, 0} // [cell*3 + group]
	for c := range want {
		if math.Abs(kern[c]-want[c]) > 1e-15 {
			t.Errorf("cut 10: kern[%d] = %v, want %v", c, kern[c], want[c])
		}
	}
	if wantIn := []float64{4, 0, 0, 0, 0, 0}; !slices.Equal(in, wantIn) {
		t.Errorf("cut 10: in = %v, want %v", in, wantIn)
	}
	kern, in = k.sums(u, 2, 40) // unit 2: t = 15 <= 40, K(15)
	if want := 4 * math.Exp(-112.5) / math.Sqrt(2*math.Pi); math.Abs(kern[4]-want) > 1e-15*want || in[4] != 4 {
		t.Errorf("cut 40: kern[4] = %v, in %v; want %v, 4", kern[4], in[4], want)
	}
	// Beyond the cut, a unit that could add more than kernelNegligible of
	// the sum in its cell: the sums are taken within 40 h.
	f := kernelJob{z: 0, h: []float64{1}}
	far := &units{x: []float64{9.9, 11, 100}, w: []float64{1, 1, 1}}
	got := f.negligibleSums(far, 1, []float64{3})[0]
	if want := (math.Exp(-9.9*9.9/2) + math.Exp(-11.0*11/2)) / math.Sqrt(2*math.Pi); math.Abs(got-want) > 1e-15*want {
		t.Errorf("negligibleSums with a unit that counts beyond the cut: %v, want %v", got, want)
	}

	// Many blocks: three groups with their own lines and bandwidths, seven
	// cells, a mask; against the direct sums over every unit.
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 20011
	u = &units{x: make([]float64, n), w: make([]float64, n)}
	k = kernelJob{zs: make([]float64, n), h: []float64{300, 40, 2500}, groups: make([]int32, n), cells: make([]int32, n), mask: make([]bool, n)}
	lines := []float64{6000, 5000, 9000}
	for i := range n {
		u.x[i], u.w[i] = math.Exp(9+0.7*rng.NormFloat64()), 1+rng.Float64()
		k.groups[i], k.cells[i], k.mask[i] = int32(rng.IntN(3)), int32(rng.IntN(7)), rng.IntN(5) > 0
		k.zs[i] = lines[k.groups[i]]
	}
	tot := make([]float64, 7*3)
	direct := make([]float64, 7*3)
	for i := range n {
		if k.mask[i] {
			c := int(k.cells[i])*3 + int(k.groups[i])
			t := (k.zs[i] - u.x[i]) / k.h[k.groups[i]]
			tot[c] += u.w[i]
			direct[c] += u.w[i] * math.Exp(-t*t/2) / math.Sqrt(2*math.Pi)
		}
	}
	got2 := k.negligibleSums(u, 7, tot)
	for c := range direct {
		if direct[c] == 0 || math.Abs(got2[c]-direct[c]) > 1e-13*direct[c] {
			t.Errorf("cell %d group %d: %v, want %v", c/3, c%3, got2[c], direct[c])
		}
	}
}

// TestLinearizedSameBytesWhateverGOMAXPROCS: the tasks of the linearized
// SEs run in parallel, longest first; the results of every indicator
// (national median and mean lines, a line estimated in each province, two
// breakdowns) have the same bytes whatever GOMAXPROCS.
func TestLinearizedSameBytesWhateverGOMAXPROCS(t *testing.T) {
	s, u := seTestUnitsWith(t, 3000, 1, func(s *Study) {
		s.Domains = [][]string{{"province"}, {"urban"}}
	}, nil, "m60=median:0.6", "m50=median:0.5", "avg=mean:0.5?urban=false", "prov=mean:0.4@province")
	encode := func(procs int) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		res, _, err := tabulate(t.Context(), s, u)
		if err != nil {
			t.Fatal(err)
		}
		withSE := 0
		for _, r := range res {
			if !math.IsNaN(r.SE) {
				withSE++
			}
		}
		if withSE < len(res)/2 {
			t.Fatalf("%d of %d results with an SE", withSE, len(res))
		}
		return EncodeJSON(res)
	}
	a := encode(1)
	for _, procs := range []int{2, 4} {
		if !bytes.Equal(a, encode(procs)) {
			t.Errorf("results differ between GOMAXPROCS=1 and %d", procs)
		}
	}
}
