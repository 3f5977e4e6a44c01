package pipeline

import (
	"slices"
	"testing"

	"github.com/povstat/povstat/datasets"
)

// TestUnitBlocks: the units of each split (row group of a Parquet file, a
// CSV file) start where its kept rows start; a table of one split
// (Start <= 0) is one block.
func TestUnitBlocks(t *testing.T) {
	tbl := &datasets.Table{Rows: 10, Sources: []datasets.Source{
		{Path: "a.parquet", Start: 0, Rows: 6, RowGroups: 3, RowGroupRows: []int{2, 3, 1}},
		{Path: "b.csv", Start: 6, Rows: 4},
	}}
	if got, want := unitBlocks(tbl, nil), []int{0, 2, 5, 6, 10}; !slices.Equal(got, want) {
		t.Errorf("all kept: %v, want %v", got, want)
	}
	keep := []bool{true, false, false, false, true, true, true, false, true, true}
	// kept per split: {0}, {4}, {5}, {6, 8, 9}; the second row group keeps
	// one of three rows.
	if got, want := unitBlocks(tbl, keep), []int{0, 1, 2, 3, 6}; !slices.Equal(got, want) {
		t.Errorf("some kept: %v, want %v", got, want)
	}
	one := &datasets.Table{Rows: 5, Sources: []datasets.Source{{Path: "a.parquet", Start: -7, Rows: 5, RowGroups: 1, RowGroupRows: []int{5}}}}
	if got, want := unitBlocks(one, nil), []int{0, 5}; !slices.Equal(got, want) {
		t.Errorf("one split: %v, want %v", got, want)
	}
	// A split of no kept row is an empty block.
	if got, want := unitBlocks(tbl, make([]bool, 10)), []int{0, 0, 0, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("none kept: %v, want %v", got, want)
	}
}

// TestBlockedSums: computeStats and cellSums add each split's units from
// zero and merge the splits in order, which differs from one running sum
// where rounding shows: 1 + 2^-53 + 2^-53 is 1 row by row, 1 + 2^-52 by
// blocks of {1} and {2^-53, 2^-53}.
func TestBlockedSums(t *testing.T) {
	const e = 1.0 / (1 << 53)
	u := &units{x: []float64{1, 1, 1}, w: []float64{1, e, e}, factors: map[string]*factor{}}
	g, err := newGrouping(3, nil, u.factors)
	if err != nil {
		t.Fatal(err)
	}
	if st := computeStats(u, g, nil, false); st.pop[0] != 1 {
		t.Fatalf("one block: population %v, want 1", st.pop[0])
	}
	u.blocks = []int{0, 1, 3}
	if st := computeStats(u, g, nil, false); st.pop[0] != 1+2*e || st.n[0] != 3 {
		t.Errorf("blocks: population %v n %d, want %v, 3", st.pop[0], st.n[0], 1+2*e)
	}
	lv := &lineValues{line: Line{Name: "z"}, groups: g, values: []float64{2}}
	cells := cellSums(u, g, representatives(g), lv)
	if s := cells[0].sums; s.Pop != 1+2*e || s.Poor != 1+2*e || s.N != 3 {
		t.Errorf("cellSums by blocks: %+v", s)
	}
}
