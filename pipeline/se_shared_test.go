package pipeline

import (
	"context"
	"math"
	"slices"
	"testing"
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
