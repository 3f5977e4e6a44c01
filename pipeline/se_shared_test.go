package pipeline

import (
	"context"
	"math"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/povstat/povstat/indices"
)

// TestSharedLineReference checks that lines sharing their reference units
// (two national median lines, here also two mean lines of the rural units)
// get, from their shared parts, exactly the standard errors each line gets
// alone in the study, and that the SEs of the line values are in the ratio
// of their fractions (z = F m: se(z) = F se(m)).
func TestSharedLineReference(t *testing.T) {
	inds := []string{"line", "headcount", "gap", "severity", "watts", "sen", "rmpg", "gini"}
	specs := []string{"m60=median:0.6", "m50=median:0.5", "r40=mean:0.4?urban=false", "r30=mean:0.3?urban=false"}
	s, u := seTestUnits(t, 3000, 1, inds, specs...)
	all, _, err := tabulate(context.Background(), s, u)
	if err != nil {
		t.Fatal(err)
	}
	lines := s.Lines
	checked := 0
	for _, l := range lines {
		s.Lines = []Line{l}
		alone, _, err := tabulate(context.Background(), s, u)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range alone {
			if r.Line != l.Name {
				continue
			}
			k := slices.IndexFunc(all, func(a Result) bool {
				return a.Indicator == r.Indicator && a.Line == l.Name && resultKey("", "", a.Domain) == resultKey("", "", r.Domain)
			})
			if k < 0 {
				t.Fatalf("%s %s %v: missing with all lines", r.Indicator, l.Name, r.Domain)
			}
			a := all[k]
			if !sameFloat(a.SE, r.SE) || !sameFloat(a.CILower, r.CILower) || !sameFloat(a.CIUpper, r.CIUpper) || !sameFloat(a.Deff, r.Deff) || a.SEMethod != r.SEMethod {
				t.Errorf("%s %s %v: with all lines se %v [%v, %v] deff %v %q, alone se %v [%v, %v] deff %v %q",
					r.Indicator, l.Name, r.Domain, a.SE, a.CILower, a.CIUpper, a.Deff, a.SEMethod, r.SE, r.CILower, r.CIUpper, r.Deff, r.SEMethod)
			}
			if !math.IsNaN(r.SE) {
				checked++
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d standard errors compared", checked)
	}
	se := func(line string) float64 {
		for _, r := range all {
			if r.Indicator == "line" && r.Line == line && len(r.Domain) == 0 {
				return r.SE
			}
		}
		t.Fatalf("no line row %s", line)
		return 0
	}
	for _, p := range [][2]string{{"m60", "m50"}, {"r40", "r30"}} {
		a, b := se(p[0]), se(p[1])
		fa, fb := map[string]float64{"m60": 0.6, "m50": 0.5, "r40": 0.4, "r30": 0.3}[p[0]], map[string]float64{"m50": 0.5, "r30": 0.3}[p[1]]
		if !(a > 0) || math.Abs(a/b-fa/fb) > 1e-12 {
			t.Errorf("se(%s)/se(%s) = %v, want %v", p[0], p[1], a/b, fa/fb)
		}
	}
}

func sameFloat(a, b float64) bool {
	return a == b || (math.IsNaN(a) && math.IsNaN(b))
}

// TestMaskedMembers checks maskedMembers against the members of each group
// listed one by one, in unit order and in a given order.
func TestMaskedMembers(t *testing.T) {
	codes := []int32{2, 0, 1, 2, 2, 0, 1, 0}
	mask := []bool{true, false, true, true, true, true, false, true}
	order := []int32{7, 6, 5, 4, 3, 2, 1, 0}
	for _, c := range []struct {
		mask  []bool
		order []int32
		want  [][]int32
	}{
		{nil, nil, [][]int32{{1, 5, 7}, {2, 6}, {0, 3, 4}}},
		{mask, nil, [][]int32{{5, 7}, {2}, {0, 3, 4}}},
		{mask, order, [][]int32{{7, 5}, {2}, {4, 3, 0}}},
		{nil, order, [][]int32{{7, 5, 1}, {6, 2}, {4, 3, 0}}},
	} {
		m := maskedMembers(codes, 3, c.mask, c.order)
		for g, want := range c.want {
			if got := m.idx[m.off[g]:m.off[g+1]]; !slices.Equal(got, want) {
				t.Errorf("mask %v order %v group %d: %v, want %v", c.mask != nil, c.order != nil, g, got, want)
			}
		}
	}
}

// TestNewSortedMembers checks the fused gather of the sorted domains
// against a direct reading of its definition: domain d holds, in the
// order of order, the units whose code is d, with their income, weight and
// cell.
func TestNewSortedMembers(t *testing.T) {
	const n = 500
	for _, k := range []int{1, 4} {
		u := &units{x: make([]float64, n), w: make([]float64, n)}
		g := &grouping{codes: make([]int32, n), keys: make([][]string, k)}
		cells := &psuCells{of: make([]int32, n)}
		for i := range n {
			u.x[i], u.w[i] = float64((i*37)%101), float64(1+i%7)
			g.codes[i] = int32((i * 13) % k)
			cells.of[i] = int32((i * 11) % 29)
		}
		order := make([]int32, n)
		for p := range order {
			order[p] = int32((p*211 + 5) % n) // a permutation: 211 is prime to 500
		}
		for _, withCells := range []bool{false, true} {
			c := cells
			if !withCells {
				c = nil
			}
			sm := newSortedMembers(u, g, order, c)
			for d := range k {
				var want []int32
				for _, i := range order {
					if int(g.codes[i]) == d {
						want = append(want, i)
					}
				}
				idx, xs, ws := sm.domain(d)
				if !slices.Equal(idx, want) {
					t.Fatalf("k=%d domain %d: units %v, want %v", k, d, idx, want)
				}
				for q, i := range want {
					if xs[q] != u.x[i] || ws[q] != u.w[i] || (withCells && sm.cells(d)[q] != cells.of[i]) {
						t.Fatalf("k=%d domain %d position %d: (%v, %v) for unit %d", k, d, q, xs[q], ws[q], i)
					}
				}
			}
			if !withCells && sm.cell != nil {
				t.Fatal("cells without cells")
			}
		}
	}
}

// TestStepL checks that the global part of a national median line read
// as a step function of the incomes (globalPart.stepL) is its influence
// function, unit for unit: indices.QuantileInfluence over units with some
// zero weights, read in another order; and that an influence function
// that is not a step function of the incomes, or is undefined, has none.
func TestStepL(t *testing.T) {
	const n = 400
	x, w := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = float64((i * 73) % 97)
		w[i] = float64(i % 5) // every fifth unit has weight 0
	}
	infl := indices.QuantileInfluence(nil, x, w, 0.5)
	q := indices.Quantile(0.5, x, w)
	step := stepOf(x, w, infl, q)
	if step == nil {
		t.Fatal("no step for a quantile's influence function")
	}
	g := &globalPart{L: infl, step: step, stepAt: q}
	order := make([]int32, n)
	for p := range order {
		order[p] = int32((p * 7) % n)
	}
	xs, ws := make([]float64, n), make([]float64, n)
	for p, i := range order {
		xs[p], ws[p] = x[i], w[i]
	}
	for p, l := range g.stepL(nil, xs, ws) {
		if i := order[p]; l != infl[i] {
			t.Fatalf("unit %d (x %v, w %v): %v, want %v", i, x[i], w[i], l, infl[i])
		}
	}
	other := slices.Clone(infl)
	other[3] += 1e-9 // no longer one value on each side
	if stepOf(x, w, other, q) != nil {
		t.Error("a step for a variable that is not one")
	}
	nan := make([]float64, n)
	for i := range nan {
		nan[i] = math.NaN()
	}
	if stepOf(x, w, nan, q) != nil {
		t.Error("a step for an undefined influence function")
	}
}

// TestSortedMembersFrom checks the sorted members read from the point
// estimates' sorted units against newSortedMembers (itself checked against
// the definition): the same units, incomes, weights and cells, for
// the finest grouping, a coarsening of it and a breakdown of one domain.
func TestSortedMembersFrom(t *testing.T) {
	for _, n := range []int{600, 3*radixMinChunk + 11} { // one chunk; three, on three cores
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
			testSortedMembersFrom(t, n)
		})
	}
}

func testSortedMembersFrom(t *testing.T, n int) {
	u := &units{x: make([]float64, n), w: make([]float64, n)}
	finest := &grouping{codes: make([]int32, n), keys: make([][]string, 6)}
	coarse := &grouping{codes: make([]int32, n), keys: make([][]string, 2)}
	whole := &grouping{codes: make([]int32, n), keys: make([][]string, 1)}
	cells := &psuCells{of: make([]int32, n)}
	for i := range n {
		u.x[i], u.w[i] = float64((i*37)%101), float64(i%7) // ties, zero weights
		finest.codes[i] = int32((i * 13) % 6)
		coarse.codes[i] = finest.codes[i] / 3
		cells.of[i] = int32((i * 11) % 29)
	}
	order := sortedOrder(u)
	sc := newSortedCells(u, finest, order)
	for _, tc := range []struct {
		g       *grouping
		groupOf []int32
	}{{finest, []int32{0, 1, 2, 3, 4, 5}}, {coarse, []int32{0, 0, 0, 1, 1, 1}}, {whole, make([]int32, 6)}} {
		for _, c := range []*psuCells{nil, cells} {
			got := sortedMembersFrom(sc, tc.g, tc.groupOf, order, c)
			want := newSortedMembers(u, tc.g, order, c)
			if !slices.Equal(got.off, want.off) || !slices.Equal(got.idx, want.idx) || !slices.Equal(got.x, want.x) ||
				!slices.Equal(got.w, want.w) || !slices.Equal(got.cell, want.cell) {
				t.Fatalf("%d domains, cells %v: members differ", tc.g.size(), c != nil)
			}
		}
	}
}

// stepOf (a test helper) returns the two values of infl, [x_i <= q] and not, on the units
// of positive weight, when infl is 0 on the others and takes one value on
// each side of q (nil otherwise, as for an undefined influence function,
// NaN everywhere).
func stepOf(x, w, infl []float64, q float64) *[2]float64 {
	var step [2]float64
	var seen [2]bool
	for i, v := range infl {
		if !(w[i] > 0) {
			if v != 0 {
				return nil
			}
			continue
		}
		t := b2i(x[i] <= q)
		if !seen[t] {
			step[t], seen[t] = v, true
		} else if v != step[t] && !(math.IsNaN(v) && math.IsNaN(step[t])) {
			return nil
		}
	}
	if math.IsNaN(step[0]) || math.IsNaN(step[1]) {
		return nil
	}
	return &step
}
