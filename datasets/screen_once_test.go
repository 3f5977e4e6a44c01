package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// screenByRule is the reference for Screen: each rule applied to every row
// in turn, in the rules' order, skipping the rows an earlier rule excluded
// (Screen's definition, and its implementation before it scanned each
// column once for all its rules).
func screenByRule(t *Table, r Roles) *Screening {
	rs := rulesFor(r)
	s := &Screening{Kept: t.Rows}
	var keep []bool
	for _, x := range rs {
		c := t.Column(x.column)
		n := Count{Rule: x.name, Column: x.column, Action: x.action}
		for row := 0; row < t.Rows; row++ {
			null := c.Null != nil && c.Null[row]
			v := c.Float[row]
			var hit bool
			switch x.match {
			case missing:
				hit = null
			case nonFinite:
				hit = !null && (math.IsNaN(v) || math.IsInf(v, 0))
			case notPositive:
				hit = !null && v <= 0
			case negative:
				hit = !null && v < 0
			}
			if !hit || (keep != nil && !keep[row]) {
				continue
			}
			n.Rows++
			if len(n.Examples) < maxExamples {
				path, fileRow := t.Locate(row)
				n.Examples = append(n.Examples, fmt.Sprintf("%s row %d", path, fileRow))
			}
			if x.action == "excluded" {
				if keep == nil {
					keep = make([]bool, t.Rows)
					for i := range keep {
						keep[i] = true
					}
				}
				keep[row] = false
				s.Kept--
			}
		}
		if n.Rows > 0 {
			s.Rules = append(s.Rules, n)
		}
	}
	s.Keep = keep
	return s
}

// randomScreenTable returns a table of numeric columns a..e whose values are
// drawn, with the probabilities of bad (0..1), among clean positive values,
// nulls, NaN, ±Inf, zeros and negatives, in two sources.
func randomScreenTable(rng *rand.Rand, rows int, bad float64) *Table {
	t := &Table{Rows: rows, Sources: []Source{{Path: "a.parquet", Start: 0, Rows: rows / 2}, {Path: "b.parquet", Start: rows / 2, Rows: rows - rows/2}}}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		c := &Column{Name: name, Kind: Numeric, Float: make([]float64, rows)}
		withNulls := rng.IntN(3) > 0
		if withNulls {
			c.Null = make([]bool, rows)
		}
		for i := range c.Float {
			c.Float[i] = 1 + rng.Float64()*100
			if rng.Float64() >= bad {
				continue
			}
			switch rng.IntN(7) {
			case 0:
				if withNulls {
					c.Null[i] = true
					c.Float[i] = []float64{0, math.NaN(), -3}[rng.IntN(3)] // whatever a decoder leaves there
				}
			case 1:
				c.Float[i] = math.NaN()
			case 2:
				c.Float[i] = math.Inf(1)
			case 3:
				c.Float[i] = math.Inf(-1)
			case 4:
				c.Float[i] = 0
			case 5:
				c.Float[i] = math.Copysign(0, -1)
			default:
				c.Float[i] = -rng.Float64() * 50
			}
		}
		t.Columns = append(t.Columns, c)
	}
	return t
}

// TestScreenOneScanPerColumn: Screen gives the reference's exclusions,
// counts, rule order and examples on random tables with every kind of bad
// value, including roles that share a column (the rules of the shared
// column then interleave with those of the others).
func TestScreenOneScanPerColumn(t *testing.T) {
	roles := []Roles{
		{Income: "a", Weight: "b"},
		{Income: "a", Weight: "b", Size: "c", Adults: "d", Children: "e", FPC: "e"},
		{Income: "a", Weight: "a", Size: "c"},
		{Income: "b", Weight: "c", Size: "c", Adults: "a", Children: "a", FPC: "d"},
		{Weight: "e", FPC: "a"},
		{Income: "d"},
	}
	rng := rand.New(rand.NewPCG(8, 3))
	for trial := range 60 {
		bad := []float64{0, 0.001, 0.05, 0.5, 1}[trial%5]
		rows := 1 + rng.IntN(400)
		tbl := randomScreenTable(rng, rows, bad)
		for k, r := range roles {
			got, err := Screen(tbl, r)
			if err != nil {
				t.Fatal(err)
			}
			want := screenByRule(tbl, r)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("trial %d (bad %g, %d rows), roles %d:\n got %+v\nwant %+v", trial, bad, rows, k, got, want)
			}
		}
	}
}

// TestScreenExampleOrder: a row matched by a rule of a later column, and a
// kept rule counting rows after excluded ones, worked by hand.
func TestScreenExampleOrder(t *testing.T) {
	nan := math.NaN()
	tbl := &Table{Rows: 8, Sources: []Source{{Path: "f", Rows: 8}}, Columns: []*Column{
		{Name: "x", Kind: Numeric, Float: []float64{-1, nan, -2, 3, -4, -5, -6, -7}},
		{Name: "w", Kind: Numeric, Float: []float64{1, 1, 0, 1, 1, 1, 1, 1}, Null: []bool{false, false, false, true, false, false, false, false}},
	}}
	s, err := Screen(tbl, Roles{Income: "x", Weight: "w"})
	if err != nil {
		t.Fatal(err)
	}
	// Row 2: non-finite income; row 3: weight 0 (its negative income is
	// not counted: excluded first); row 4: missing weight; rows 1, 5-8:
	// negative income kept, examples the first five of them.
	want := []Count{
		{Rule: "non-finite income", Column: "x", Action: "excluded", Rows: 1, Examples: []string{"f row 2"}},
		{Rule: "missing weight", Column: "w", Action: "excluded", Rows: 1, Examples: []string{"f row 4"}},
		{Rule: "zero or negative weight", Column: "w", Action: "excluded", Rows: 1, Examples: []string{"f row 3"}},
		{Rule: "negative income", Column: "x", Action: "kept", Rows: 5, Examples: []string{"f row 1", "f row 5", "f row 6", "f row 7", "f row 8"}},
	}
	if !reflect.DeepEqual(s.Rules, want) {
		t.Errorf("rules\n got %+v\nwant %+v", s.Rules, want)
	}
	if s.Kept != 5 || !reflect.DeepEqual(s.Keep, []bool{true, false, false, false, true, true, true, true}) {
		t.Errorf("kept %d %v", s.Kept, s.Keep)
	}
}

// BenchmarkScreen screens 2^20 clean rows of income, weight and size with
// a few negative incomes, as a split of the scale benchmark.
func BenchmarkScreen(b *testing.B) {
	const rows = 1 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	tbl := &Table{Rows: rows, Sources: []Source{{Path: "f", Rows: rows}}}
	for _, name := range []string{"income", "weight", "size"} {
		c := &Column{Name: name, Kind: Numeric, Float: make([]float64, rows)}
		for i := range c.Float {
			c.Float[i] = 1 + rng.Float64()*10
		}
		tbl.Columns = append(tbl.Columns, c)
	}
	for i := 0; i < rows; i += 1000 {
		tbl.Columns[0].Float[i] = -1
	}
	b.SetBytes(rows * 8 * 3)
	for b.Loop() {
		if _, err := Screen(tbl, Roles{Income: "income", Weight: "weight", Size: "size"}); err != nil {
			b.Fatal(err)
		}
	}
}
