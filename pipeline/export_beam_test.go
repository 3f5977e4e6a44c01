package pipeline

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/datasets/synth"
)

// TestReadSplitUnits: the units of every split, concatenated in the order
// of datasets.Splits, are the units Run builds from the whole input: the
// same incomes (equivalised), weights (persons of household rows) and
// levels, row for row.
func TestReadSplitUnits(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), filepath.Join(dir, "data"),
		synth.Config{Households: 1500, Years: 2, Seed: 9, RowGroupSize: 400}); err != nil {
		t.Fatal(err)
	}
	s, err := ParseStudy(filepath.Join(dir, "study.yaml"), []byte("inputs: [data]\ncolumns: {income: income, weight: weight, size: hh_size}\n"+
		"unit: persons\nrows: households\nequivalence: sqrt\nlines: [a=median:0.6@province?urban=false]\ndomains: [[year, urban]]\n"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := load(context.Background(), s, loadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sps, err := datasets.Splits(context.Background(), s.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	if len(sps) < 6 {
		t.Fatalf("%d splits, want several row groups per file", len(sps))
	}
	var x, w []float64
	levels := map[string][]string{}
	for _, sp := range sps {
		su, err := ReadSplitUnits(context.Background(), s, sp)
		if err != nil {
			t.Fatal(err)
		}
		x, w = append(x, su.X...), append(w, su.W...)
		for name, f := range su.Factors {
			for _, c := range f.Codes {
				levels[name] = append(levels[name], f.Levels[c])
			}
		}
	}
	if !slices.Equal(x, d.u.x) || !slices.Equal(w, d.u.w) {
		t.Fatalf("split units differ from Run's: %d vs %d units", len(x), len(d.u.x))
	}
	for _, name := range []string{"province", "urban", "year"} {
		f := d.u.factors[name]
		for i, c := range f.codes {
			if levels[name][i] != f.levels[c] {
				t.Fatalf("%s of unit %d: %q, Run has %q", name, i, levels[name][i], f.levels[c])
			}
		}
	}
}
