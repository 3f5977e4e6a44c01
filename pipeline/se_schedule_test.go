package pipeline

import (
	"bytes"
	"math"
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

// TestAddGroupedKernel: hand-worked kernel weights w K((z - x)/h), K the
// standard normal density (K(1) = 0.24197072451914337, K(0) =
// 1/sqrt(2 pi) = 0.3989422804014327), and the weights beyond the cut.
func TestAddGroupedKernel(t *testing.T) {
	kern, out := make([]float64, 2), make([]float64, 2)
	addGroupedKernel(kern, out, 0, 2, 10, 8, 3, 10)         // t = 1: 3 K(1)
	addGroupedKernel(kern, out, 0, 2, 10, 10, 1, 10)        // t = 0: K(0)
	addGroupedKernel(kern, out, 1, 1, 10, -5, 4, 10)        // t = 15 > 10: beyond
	addGroupedKernel(kern, out, 1, 0, 10, 10, 7, 10)        // h = 0: nothing
	addGroupedKernel(kern, nil, 1, 1, 10, -5, 4, 40)        // t = 15 <= 40: K(15)
	addGroupedKernel(kern, out, 1, 1, math.NaN(), 1, 5, 10) // z NaN: nothing
	want0 := 3*0.24197072451914337 + 0.3989422804014327
	if math.Abs(kern[0]-want0) > 1e-15 {
		t.Errorf("kern[0] = %v, want %v", kern[0], want0)
	}
	if want1 := 4 * math.Exp(-112.5) / math.Sqrt(2*math.Pi); math.Abs(kern[1]-want1) > 1e-15*want1 {
		t.Errorf("kern[1] = %v, want %v", kern[1], want1)
	}
	if out[0] != 0 || out[1] != 4 {
		t.Errorf("out = %v, want [0 4]", out)
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
