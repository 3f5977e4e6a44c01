package pipeline

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/indices"
)

// Hand-worked medians (laeken's Q(1/2): the first value whose cumulative
// weight share reaches 1/2, the mean with the next value where it equals
// 1/2 exactly), by both the selection and the histogram path.
func TestGroupMediansHandWorked(t *testing.T) {
	codes := []int32{0, 0, 0, 0, 1, 1, 1, 2, 0, 1}
	x := []float64{4, 1, 3, 2, 10, 30, 20, 7, 100, -5}
	w := []float64{3, 1, 1, 1, 1, 1, 2, 0, 1, 1}
	mask := []bool{true, true, true, true, true, true, true, true, false, true}
	// group 0 over the mask: x 1,2,3,4 with w 1,1,1,3: shares 1/6, 2/6,
	// 3/6 = 1/2 at 3 → (3+4)/2 = 3.5.
	// group 1: x -5,10,20,30 with w 1,1,2,1: shares 1/5, 2/5, 4/5 → 20.
	// group 2: its only unit has weight 0 → NaN.
	want := []float64{3.5, 20, math.NaN()}
	// Without the mask, group 0 adds 100 (w 1): shares 1/7, 2/7, 3/7, 6/7 → 4.
	wantAll := []float64{4, 20, math.NaN()}
	for _, chunk := range []int{1, 3, 4, 100} {
		check(t, fmt.Sprintf("histogram chunk %d", chunk), histogramMedians(codes, 3, mask, x, w, chunk), want)
		check(t, fmt.Sprintf("histogram chunk %d, no mask", chunk), histogramMedians(codes, 3, nil, x, w, chunk), wantAll)
	}
	check(t, "selection", groupMedians(codes, 3, mask, x, w, nil), want)
	check(t, "selection, no mask", groupMedians(codes, 3, nil, x, w, nil), wantAll)
}

// One group reads no codes: its median is the hand-worked median of all
// the masked units, whatever codes (even none) are passed.
func TestHistogramMedianOneGroup(t *testing.T) {
	x := []float64{4, 1, 3, 2, 100}
	w := []float64{3, 1, 1, 1, 1}
	mask := []bool{true, true, true, true, false}
	// Over the mask: x 1,2,3,4 with w 1,1,1,3: shares 1/6, 2/6, 3/6 = 1/2
	// at 3 → (3+4)/2 = 3.5; without it 100 (w 1) is added: 3/7, 6/7 → 4.
	for _, chunk := range []int{1, 2, 100} {
		check(t, fmt.Sprintf("no codes, chunk %d", chunk), histogramMedians(nil, 1, mask, x, w, chunk), []float64{3.5})
		check(t, fmt.Sprintf("zero codes, chunk %d", chunk), histogramMedians(make([]int32, 5), 1, mask, x, w, chunk), []float64{3.5})
		check(t, fmt.Sprintf("no codes, no mask, chunk %d", chunk), histogramMedians(nil, 1, nil, x, w, chunk), []float64{4})
	}
}

// A line evaluated without per-unit values looks each unit's line up by
// its group: at(i) is the value of unit i's group (hand-set group values),
// unitLines fills z with the same, and cellSums adds each unit with its
// line, as PovertySums.Add over the units of each cell does one by one;
// units whose group has no value (NaN) are unresolved.
func TestLineValuesByGroup(t *testing.T) {
	x := []float64{5, 12, 3, 8, 20, 1, 9}
	w := []float64{1, 2, 1, 3, 1, 2, 1}
	byGroup := &grouping{cols: []string{"region"}, codes: []int32{0, 1, 1, 0, 2, 2, 0}, keys: [][]string{{"a"}, {"b"}, {"c"}}}
	national := &grouping{codes: make([]int32, len(x)), keys: [][]string{{}}}
	finest := &grouping{cols: []string{"sex"}, codes: []int32{0, 0, 1, 1, 0, 1, 1}, keys: [][]string{{"f"}, {"m"}}}
	rep := representatives(finest)
	u := &units{x: x, w: w}
	st := &groupStats{n: []int{3, 2, 2}, pop: []float64{5, 3, 3}, income: []float64{38, 27, 22}, median: []float64{8, 12, math.NaN()}}
	for _, tc := range []struct {
		name string
		l    Line
		g    *grouping
		st   *groupStats
		want []float64 // the line of each unit, by hand
	}{
		{"national abs", Line{Name: "a", Basis: "abs", Value: 6}, national, &groupStats{n: []int{7}, pop: []float64{11}}, []float64{6, 6, 6, 6, 6, 6, 6}},
		{"grouped median", Line{Name: "m", Basis: "median", Value: 0.5, By: []string{"region"}}, byGroup, st,
			[]float64{4, 6, 6, 4, math.NaN(), math.NaN(), 4}},
		{"grouped mean", Line{Name: "e", Basis: "mean", Value: 1, By: []string{"region"}}, byGroup, st,
			[]float64{7.6, 9, 9, 7.6, 22.0 / 3, 22.0 / 3, 7.6}},
	} {
		lv, err := lineGroupValues(tc.l, tc.g, tc.st)
		if err != nil {
			t.Fatal(err)
		}
		if lv.z != nil {
			t.Errorf("%s: per-unit values made", tc.name)
		}
		got := make([]float64, len(x))
		for i := range got {
			got[i] = lv.at(i)
		}
		check(t, tc.name+": at", got, tc.want)
		cells := cellSums(u, finest, rep, lv)
		for c := range finest.size() {
			var want indices.PovertySums
			var unN int
			var unW float64
			for i, fc := range finest.codes {
				if int(fc) != c {
					continue
				}
				if math.IsNaN(tc.want[i]) {
					unN++
					unW += w[i]
					continue
				}
				want.Add(x[i], w[i], tc.want[i])
			}
			if cells[c].sums != want || cells[c].unresolvedN != unN || cells[c].unresolvedW != unW || cells[c].rep != rep[c] {
				t.Errorf("%s: cell %d: %+v, want %+v, %d unresolved of weight %v", tc.name, c, cells[c], want, unN, unW)
			}
		}
		lv.unitLines()
		check(t, tc.name+": z", lv.z, tc.want)
		ev, err := evalLine(u, tc.l, tc.g, tc.st)
		if err != nil {
			t.Fatal(err)
		}
		check(t, tc.name+": evalLine z", ev.z, tc.want)
	}
	if _, err := lineGroupValues(Line{Name: "q", Basis: "quantile"}, national, &groupStats{n: []int{7}, pop: []float64{11}}); err == nil {
		t.Error("an unknown basis is not an error")
	}
}

// A plan whose finest grouping takes its sums from the cells (started
// beside the statistics) holds the statistics of a plan that computes them:
// the counts, populations and incomes of every request hand-checked per
// group, bit for bit the same as computeStats', medians included.
func TestPlanSumsFromCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const n = 3000
	u := &units{x: make([]float64, n), w: make([]float64, n), factors: map[string]*factor{}}
	for _, c := range []string{"a", "b"} {
		f := &factor{codes: make([]int32, n), levels: []string{"1", "2", "3"}}
		for i := range f.codes {
			f.codes[i] = int32(rng.IntN(3))
		}
		u.factors[c] = f
	}
	for i := range n {
		u.x[i] = math.Exp(rng.NormFloat64() + 8)
		u.w[i] = 1 + float64(rng.IntN(5))
	}
	for _, domains := range [][][]string{nil, {{"a"}}, {{"a"}, {"a", "b"}}} {
		s := &Study{Domains: domains}
		want := wants{"median": true}
		ref, err := makePlan(context.Background(), s, u, want)
		if err != nil {
			t.Fatal(err)
		}
		var cd *cellData
		var done sync.WaitGroup
		called := false
		got, err := makePlanWith(context.Background(), s, u, want, func(p *plan) {
			done.Go(func() { cd = newCellData(u, p.groupings[colsKey(p.finestCols)], ineqNeeds{}) })
		}, func() *cellData { called = true; done.Wait(); return cd })
		if err != nil {
			t.Fatal(err)
		}
		if !called {
			t.Errorf("%v: the cells were not used", domains)
		}
		for key, st := range ref.stats {
			g := st
			o := got.stats[key]
			if o == nil || !slices.Equal(o.n, g.n) || !slices.Equal(o.pop, g.pop) || !slices.Equal(o.income, g.income) ||
				!slices.EqualFunc(o.median, g.median, func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }) {
				t.Errorf("%v: stats %q differ: %+v, want %+v", domains, key, o, g)
			}
		}
		// Hand check of the sums of the finest grouping, unit by unit.
		fg := got.groupings[colsKey(got.finestCols)]
		st := got.stats[statsRequest{cols: got.finestCols}.key()]
		for j := range fg.size() {
			var cnt int
			var pop, inc float64
			for i, c := range fg.codes {
				if int(c) == j {
					cnt, pop, inc = cnt+1, pop+u.w[i], inc+u.w[i]*u.x[i]
				}
			}
			if st.n[j] != cnt || st.pop[j] != pop || st.income[j] != inc {
				t.Errorf("%v: group %d: %d %v %v, want %d %v %v", domains, j, st.n[j], st.pop[j], st.income[j], cnt, pop, inc)
			}
		}
	}
}

// The Sen index's Gini of the poor and the relative median poverty gap of
// every domain, from the poor sorted once per line with their weights and
// finest cells, equal indices.Gini and 1 - indices.Quantile(1/2) of x/z over
// each domain's poor units taken directly from the units; the poor hold
// the weights and cells of the units they come from.
func TestPoorUnitsByCell(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 3))
	const n = 4000
	u := &units{x: make([]float64, n), w: make([]float64, n), factors: map[string]*factor{}}
	for _, c := range []string{"a", "b"} {
		f := &factor{codes: make([]int32, n), levels: []string{"1", "2", "3"}}
		for i := range f.codes {
			f.codes[i] = int32(rng.IntN(3))
		}
		u.factors[c] = f
	}
	for i := range n {
		u.x[i] = math.Round(math.Exp(rng.NormFloat64()+3)*4) / 4 // ties
		u.w[i] = float64(1 + rng.IntN(4))
	}
	finest, err := newGrouping(n, []string{"a", "b"}, u.factors)
	if err != nil {
		t.Fatal(err)
	}
	byA, err := newGrouping(n, []string{"a"}, u.factors)
	if err != nil {
		t.Fatal(err)
	}
	lines := &grouping{cols: []string{"b"}, codes: u.factors["b"].codes, keys: [][]string{{"1"}, {"2"}, {"3"}}}
	lv := &lineValues{line: Line{Name: "l"}, groups: lines, values: []float64{15, 25, 20}}
	rep := representatives(finest)
	poor := sortedPoor(u, lv, finest)
	cells := cellSums(u, finest, rep, lv)
	rows := povertyRows(u, byA, lv, cells, poor, wants{"sen": true, "rmpg": true}, []string{"sen", "rmpg"}, nil)
	if len(rows) != 2*byA.size() {
		t.Fatalf("%d rows, want %d", len(rows), 2*byA.size())
	}
	for j := range byA.size() {
		var r, w []float64
		var sums indices.PovertySums
		for i := range n {
			if int(byA.codes[i]) != j {
				continue
			}
			z := lv.values[lines.codes[i]]
			sums.Add(u.x[i], u.w[i], z)
			if u.x[i] < z {
				r, w = append(r, u.x[i]/z), append(w, u.w[i])
			}
		}
		wantSen := indices.SenIndex(sums, indices.Gini(r, w))
		wantRMPG := 1 - indices.Quantile(0.5, r, w)
		sen, rmpg := rows[2*j].Estimate, rows[2*j+1].Estimate
		if math.Abs(sen-wantSen) > 1e-12 || math.Abs(rmpg-wantRMPG) > 1e-15 {
			t.Errorf("domain %d: sen %v rmpg %v, want %v %v", j, sen, rmpg, wantSen, wantRMPG)
		}
	}
	var poorN int
	for i := range n {
		if u.x[i] < lv.at(i) {
			poorN++
		}
	}
	if len(poor.r) != poorN || !slices.IsSorted(poor.r) {
		t.Fatalf("%d poor (sorted %v), want %d", len(poor.r), slices.IsSorted(poor.r), poorN)
	}
}

func check(t *testing.T, name string, got, want []float64) {
	t.Helper()
	if !slices.EqualFunc(got, want, func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }) {
		t.Errorf("%s: got %v, want %v", name, got, want)
	}
}

// The histogram path equals indices.Quantile over each group's units (an
// independent selection), bit for bit, for weights whose sums are exact
// (integers, halves): in any chunking, with a mask, ties, zero weights,
// negative incomes and an empty group; and it leaves its inputs unchanged.
// groupMedians takes either path by size and gives the same.
func TestHistogramMediansEqualSelection(t *testing.T) {
	const k = 6 // group 5 stays empty
	for _, n := range []int{20000, histogramPerGroup * k} {
		rng := rand.New(rand.NewPCG(8, uint64(n)))
		codes := make([]int32, n)
		x := make([]float64, n)
		w := make([]float64, n)
		mask := make([]bool, n)
		for i := range n {
			codes[i] = int32(rng.IntN(k - 1))
			switch rng.IntN(4) {
			case 0:
				x[i] = float64(rng.IntN(50)) // many ties
			case 1:
				x[i] = -rng.Float64() * 1000
			default:
				x[i] = math.Exp(rng.NormFloat64() + 9)
			}
			w[i] = float64(rng.IntN(5)) / 2 // zero weights too
			mask[i] = rng.IntN(3) > 0
		}
		x0, w0 := slices.Clone(x), slices.Clone(w)
		for _, m := range [][]bool{nil, mask} {
			want := make([]float64, k)
			for j := range want {
				var xs, ws []float64
				for i := range n {
					if int(codes[i]) == j && (m == nil || m[i]) {
						xs, ws = append(xs, x[i]), append(ws, w[i])
					}
				}
				want[j] = indices.Quantile(0.5, xs, ws)
			}
			for _, chunk := range []int{n, n/7 + 1, 4096} {
				check(t, fmt.Sprintf("n %d, mask %v, chunk %d", n, m != nil, chunk), histogramMedians(codes, k, m, x, w, chunk), want)
			}
			check(t, fmt.Sprintf("groupMedians, n %d, mask %v", n, m != nil), groupMedians(codes, k, m, x, w, nil), want)
		}
		if !slices.Equal(x, x0) || !slices.Equal(w, w0) {
			t.Error("the units were changed")
		}
	}
}

// A one-column grouping shares the factor's codes when the levels are in
// output order, and otherwise ranks them (numbers as numbers, then
// strings); unused levels drop out.
func TestNewGroupingOneColumn(t *testing.T) {
	sorted := &factor{codes: []int32{1, 0, 2, 1}, levels: []string{"2", "10", "a"}}
	g, err := newGrouping(4, []string{"c"}, map[string]*factor{"c": sorted})
	if err != nil {
		t.Fatal(err)
	}
	if &g.codes[0] != &sorted.codes[0] {
		t.Error("levels in output order: the codes are not shared")
	}
	if !slices.Equal(g.codes, []int32{1, 0, 2, 1}) {
		t.Errorf("codes %v", g.codes)
	}
	unsorted := &factor{codes: []int32{0, 1, 3, 0, 1}, levels: []string{"b", "10", "unused", "9"}}
	g, err = newGrouping(5, []string{"c"}, map[string]*factor{"c": unsorted})
	if err != nil {
		t.Fatal(err)
	}
	// Output order: 9, 10 (numbers), then b.
	if want := [][]string{{"9"}, {"10"}, {"b"}}; !slices.EqualFunc(g.keys, want, slices.Equal) {
		t.Errorf("keys %v, want %v", g.keys, want)
	}
	if want := []int32{2, 1, 0, 2, 1}; !slices.Equal(g.codes, want) {
		t.Errorf("codes %v, want %v", g.codes, want)
	}
	if !slices.Equal(unsorted.codes, []int32{0, 1, 3, 0, 1}) {
		t.Error("the factor's codes were changed")
	}
}

// Groupings of several columns, dense (an array) or sparse (a map beyond
// denseLimit combinations), rank the present combinations as a sort of
// their level tuples does.
func TestNewGroupingColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, levels := range []int{7, 3000} { // 7*7*2 combinations; 3000*3000*2 > denseLimit
		const n = 500
		mk := func(l int) *factor {
			f := &factor{codes: make([]int32, n)}
			for j := range l {
				f.levels = append(f.levels, strconv.Itoa(l-j)) // in reverse numeric order
			}
			for i := range f.codes {
				f.codes[i] = int32(rng.IntN(l))
			}
			return f
		}
		fs := map[string]*factor{"a": mk(levels), "b": mk(levels), "c": {codes: make([]int32, n), levels: []string{"y", "x"}}}
		for i := range n {
			fs["c"].codes[i] = int32(rng.IntN(2))
		}
		cols := []string{"a", "b", "c"}
		g, err := newGrouping(n, cols, fs)
		if err != nil {
			t.Fatal(err)
		}
		tuple := func(i int) []string {
			return []string{fs["a"].levels[fs["a"].codes[i]], fs["b"].levels[fs["b"].codes[i]], fs["c"].levels[fs["c"].codes[i]]}
		}
		var want [][]string
		for i := range n {
			if !slices.ContainsFunc(want, func(k []string) bool { return slices.Equal(k, tuple(i)) }) {
				want = append(want, tuple(i))
			}
		}
		slices.SortFunc(want, func(p, q []string) int {
			for c := range p {
				a, _ := strconv.Atoi(p[c])
				b, _ := strconv.Atoi(q[c])
				if c == 2 { // x before y
					a, b = int(p[c][0]), int(q[c][0])
				}
				if a != b {
					return a - b
				}
			}
			return 0
		})
		if !slices.EqualFunc(g.keys, want, slices.Equal) {
			t.Fatalf("%d levels: %d keys, want %d", levels, len(g.keys), len(want))
		}
		for i := range n {
			if !slices.Equal(g.keys[g.codes[i]], tuple(i)) {
				t.Fatalf("%d levels: unit %d in group %v, has %v", levels, i, g.keys[g.codes[i]], tuple(i))
			}
		}
	}
}

func unitsTable() *datasets.Table {
	return &datasets.Table{Rows: 4, Columns: []*datasets.Column{
		{Name: "income", Kind: datasets.Numeric, Float: []float64{100, 90, 40, 10}},
		{Name: "weight", Kind: datasets.Numeric, Float: []float64{1, 2, 3, 4}},
		{Name: "size", Kind: datasets.Numeric, Float: []float64{4, 1, 2, 1}},
		{Name: "region", Kind: datasets.Categorical, Codes: []int32{1, 0, 1, 2}, Levels: []string{"n", "s", "w"}},
	}}
}

// With every row kept the units share the table's columns; with an
// equivalence scale, person weights or dropped rows they are computed as
// written (x = income/size, w = weight*size) in new arrays, or over their
// own columns for a caller that consumes the table.
func TestBuildUnitsSharesOrComputes(t *testing.T) {
	s := &Study{Income: "income", Weight: "weight", Size: "size", Unit: "households", Rows: "households", Equivalence: "none"}
	tbl := unitsTable()
	u, err := buildUnits(s, tbl, []bool{true, true, true, true})
	if err != nil {
		t.Fatal(err)
	}
	if &u.x[0] != &tbl.Columns[0].Float[0] || &u.w[0] != &tbl.Columns[1].Float[0] || &u.factors["region"].codes[0] != &tbl.Columns[3].Codes[0] {
		t.Error("every row kept: the units do not share the columns")
	}

	s.Equivalence, s.Unit = "per-capita", "persons"
	u, err = buildUnits(s, tbl, []bool{true, false, true, true})
	if err != nil {
		t.Fatal(err)
	}
	check(t, "per-capita x", u.x, []float64{25, 20, 10})
	check(t, "person weights", u.w, []float64{4, 6, 4})
	if f := u.factors["region"]; !slices.Equal(f.codes, []int32{0, 0, 1}) || !slices.Equal(f.levels, []string{"s", "w"}) {
		t.Errorf("region %v %v, want codes [0 0 1] of levels [s w]", f.codes, f.levels)
	}
	check(t, "table income unchanged", tbl.Columns[0].Float, []float64{100, 90, 40, 10})

	u, err = makeUnits(s, tbl, []bool{true, false, true, true}, true)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "consumed x", u.x, []float64{25, 20, 10})
	check(t, "consumed w", u.w, []float64{4, 6, 4})
	if &u.x[0] != &tbl.Columns[0].Float[0] || &u.w[0] != &tbl.Columns[1].Float[0] {
		t.Error("consume: the units are not written over their columns")
	}
	check(t, "size unchanged", tbl.Columns[2].Float, []float64{4, 1, 2, 1})
}

// The levels of a numeric column are its values written as numbers, in
// order of first appearance; every NaN is one level, -0 and 0 are two, as
// strconv writes them, and nulls have "".
func TestNumericLevels(t *testing.T) {
	otherNaN := math.Float64frombits(math.Float64bits(math.NaN()) | 1)
	c := &datasets.Column{Name: "v", Kind: datasets.Numeric,
		Float: []float64{2, 1.5, 2, math.NaN(), otherNaN, math.Copysign(0, -1), 0, 0, 1.5},
		Null:  []bool{false, false, false, false, false, false, false, true, false}}
	got := numericLevels(c)
	if want := []string{"2", "1.5", "NaN", "-0", "0", ""}; !slices.Equal(got.Levels, want) {
		t.Errorf("levels %q, want %q", got.Levels, want)
	}
	if want := []int32{0, 1, 0, 2, 2, 3, 4, 5, 1}; !slices.Equal(got.Codes, want) {
		t.Errorf("codes %v, want %v", got.Codes, want)
	}
}

// BenchmarkGroupMedians times the medians of 20 groups by selection and by
// histograms, to choose selectBelow.
func BenchmarkGroupMedians(b *testing.B) {
	for _, n := range []int{1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20} {
		rng := rand.New(rand.NewPCG(1, 2))
		codes := make([]int32, n)
		x := make([]float64, n)
		w := make([]float64, n)
		for i := range n {
			codes[i] = int32(rng.IntN(20))
			x[i] = math.Exp(rng.NormFloat64() + 9)
			w[i] = 1 + rng.Float64()
		}
		b.Run(fmt.Sprintf("select/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				off, xs, ws := partition(codes, 20, nil, x, w)
				for j := range 20 {
					indices.QuantileInPlace(0.5, xs[off[j]:off[j+1]], ws[off[j]:off[j+1]])
				}
			}
		})
		b.Run(fmt.Sprintf("histogram/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				histogramMedians(codes, 20, nil, x, w, 1<<21)
			}
		})
	}
}

// histogramMedians is histogramQuantiles' medians over blocks of chunk
// units.
func histogramMedians(codes []int32, k int, mask []bool, x, w []float64, chunk int) []float64 {
	qs := histogramQuantiles(codes, k, mask, x, w, chunkBlocks(len(x), chunk), []float64{0.5})
	out := make([]float64, k)
	for j := range out {
		out[j] = qs[j][0]
	}
	return out
}

// chunkBlocks cuts n units into blocks of chunk units.
func chunkBlocks(n, chunk int) []int {
	b := []int{0}
	for lo := chunk; lo < n; lo += chunk {
		b = append(b, lo)
	}
	return append(b, n)
}

// TestGroupQuantilesPathsAgree: the histogram passes and the sorted copy
// give the same bits for the same blocks, with weights whose sums are not
// exact (tenths: shares that equal p in decimal do not in binary, so the
// order of additions decides between two values), a mask, ties, zero
// weights and an empty group; and the blocks do change some answers, so
// that the agreement is not the blocks' doing.
func TestGroupQuantilesPathsAgree(t *testing.T) {
	const k = 5 // group 4 stays empty
	ps := []float64{0.1, 0.2, 0.4, 0.5, 0.8, 0.9}
	rng := rand.New(rand.NewPCG(21, 22))
	differ := 0
	for trial := range 400 {
		n := 8 + rng.IntN(60)
		codes, x, w, mask := make([]int32, n), make([]float64, n), make([]float64, n), make([]bool, n)
		for i := range n {
			codes[i] = int32(rng.IntN(k - 1))
			x[i] = float64((1+rng.IntN(6))*1000 + rng.IntN(3))
			w[i] = float64(rng.IntN(12)) / 10
			mask[i] = rng.IntN(5) > 0
		}
		blocks := chunkBlocks(n, 1+rng.IntN(n))
		for _, m := range [][]bool{nil, mask} {
			want := histogramQuantiles(codes, k, m, x, w, blocks, ps)
			got := copiedQuantiles(codes, k, m, x, w, blocks, ps)
			for j := range want {
				for i := range ps {
					if math.Float64bits(got[j][i]) != math.Float64bits(want[j][i]) && !(math.IsNaN(got[j][i]) && math.IsNaN(want[j][i])) {
						t.Fatalf("trial %d, group %d, p %v: copy %v, histograms %v", trial, j, ps[i], got[j][i], want[j][i])
					}
				}
			}
			one := copiedQuantiles(codes, k, m, x, w, nil, ps)
			for j := range one {
				if !slices.EqualFunc(one[j], want[j], func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }) {
					differ++
				}
			}
		}
	}
	if differ == 0 {
		t.Error("no answer depends on the blocks: the test cannot tell the orders of addition apart")
	}
	t.Logf("%d group answers depend on the blocks", differ)
}
