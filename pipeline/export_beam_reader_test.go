package pipeline

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/povstat/povstat/datasets"
)

// TestSplitUnitsReader reads the three row groups of screenStudy's file
// with one reader (footer kept, buffers reused and overwritten by the
// units) and checks each split's units against the hand-worked rows of
// screenStudy: the rows screening excludes are gone, the others keep their
// income, weight and region, in row order. It reads them twice, closing
// the reader in between: a closed reader reads again.
func TestSplitUnitsReader(t *testing.T) {
	s := screenStudy(t)
	ctx := context.Background()
	splits, err := datasets.Splits(ctx, s.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	if len(splits) != 3 {
		t.Fatalf("%d splits, want 3", len(splits))
	}
	want := []struct {
		x, w    []float64
		regions []string
		kept    int
	}{
		{[]float64{10, 20, 30}, []float64{1, 1, 1}, []string{"a", "b", "a"}, 3},
		{[]float64{50, -5, 50.1}, []float64{1, 1, 2}, []string{"b", "a", "b"}, 3},
		{[]float64{70, 80, 100}, []float64{1, 1, 1}, []string{"a", "b", "a"}, 3},
	}
	var r SplitUnitsReader
	defer r.Close()
	for round := range 2 {
		for i, sp := range splits {
			su, err := r.Read(ctx, s, sp)
			if err != nil {
				t.Fatal(err)
			}
			f := su.Factors["region"]
			var regions []string
			for _, c := range f.Codes {
				regions = append(regions, f.Levels[c])
			}
			w := want[i]
			if !slices.Equal(su.X, w.x) || !slices.Equal(su.W, w.w) || !slices.Equal(regions, w.regions) || su.Screening.Kept != w.kept {
				t.Errorf("round %d split %d: x %v w %v regions %v kept %d, want %v %v %v %d",
					round, i, su.X, su.W, regions, su.Screening.Kept, w.x, w.w, w.regions, w.kept)
			}
			fresh, err := ReadSplitUnits(ctx, s, sp)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(fresh, su) {
				t.Errorf("round %d split %d: ReadSplitUnits %+v, reader %+v", round, i, fresh, su)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
