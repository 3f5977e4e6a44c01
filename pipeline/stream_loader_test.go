package pipeline

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/povstat/povstat/datasets"
)

// screenRow is a row of the row-group test file: a nil income is null.
type screenRow struct {
	Income *float64 `parquet:"income,optional"`
	Weight float64  `parquet:"weight"`
	Region string   `parquet:"region"`
}

// screenStudy writes 12 rows in row groups of 4, with excluded rows in
// every row group (a null income, a zero weight, a NaN weight; region c
// has no other row) and a negative income, which is kept:
//
//	group 0: 10 a, null a (out), 20 b, 30 a
//	group 1: 40 c weight 0 (out), 50 b, -5 a, 50.1 b weight 2
//	group 2: 70 a, 80 b, 90 a weight NaN (out), 100 a
//
// The 9 units kept have weight 10. Sorted: -5 10 20 30 50 50.1(2) 70 80
// 100, cumulative weights 1 2 3 4 5 7 8 9 10: the share is exactly 1/2
// at 50, so the median is (50 + 50.1)/2 = 50.05, and the line
// 0.6·50.05 = 30.03 has -5, 10, 20, 30 below it: headcount 0.4. Region a
// (-5 10 30 70 100, weight 1 each): median 30 (shares .2 .4 .6). Region b
// (20, 50, 50.1 weight 2, 80): shares .2 .4 .8, median 50.1. 50 and 50.1
// share a histogram bucket, so both medians need pass 2.
func screenStudy(t *testing.T) *Study {
	t.Helper()
	f := func(v float64) *float64 { return &v }
	rows := []screenRow{
		{f(10), 1, "a"}, {nil, 1, "a"}, {f(20), 1, "b"}, {f(30), 1, "a"},
		{f(40), 0, "c"}, {f(50), 1, "b"}, {f(-5), 1, "a"}, {f(50.1), 2, "b"},
		{f(70), 1, "a"}, {f(80), 1, "b"}, {f(90), math.NaN(), "a"}, {f(100), 1, "a"},
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "hh.parquet")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[screenRow](fh, parquet.MaxRowsPerRowGroup(4))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "screen", Dir: dir, Inputs: []string{path}, Income: "income", Weight: "weight",
		Unit: "households", Domains: [][]string{{"region"}}, Seed: 1,
		Indicators: []string{"population", "n", "mean", "median", "line", "headcount", "gap", "theil_t"}}
	l, err := ParseLine("m60=median:0.6")
	if err != nil {
		t.Fatal(err)
	}
	s.Lines = []Line{l}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStreamScreensOnce checks the streaming path on row groups with
// excluded rows: pass 1 screens, passes 2 and 3 drop the same rows; the
// values are the hand-worked ones above and Run's in memory.
func TestStreamScreensOnce(t *testing.T) {
	s := screenStudy(t)
	ctx := context.Background()
	var splits []int
	got, err := Run(ctx, s, Streaming(), WithProgress(func(ev ProgressEvent) {
		if ev.Finished {
			splits = append(splits, ev.Done)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(splits, []int{3, 3, 3}) {
		t.Errorf("splits per pass %v, want 3 in each of 3 passes", splits)
	}
	median := 50.05
	for _, c := range []struct {
		ind, line, dom string
		want           float64
	}{{"n", "", "", 9}, {"population", "", "", 10}, {"median", "", "", median}, {"line", "m60", "", 0.6 * median},
		{"headcount", "m60", "", 0.4}, {"median", "", "region=a", 30}, {"median", "", "region=b", 50.1},
		{"n", "", "region=b", 4}, {"population", "", "region=b", 5}} {
		if r := find(t, got.Results, c.ind, c.line, c.dom); r.Estimate != c.want {
			t.Errorf("%s %s %s = %v, want %v", c.ind, c.line, c.dom, r.Estimate, c.want)
		}
	}
	for _, r := range got.Results {
		for _, d := range r.Domain {
			if d.Value == "c" {
				t.Errorf("region c has no unit kept, yet a result: %+v", r)
			}
		}
	}
	rules := map[string]int{}
	for _, r := range got.Manifest.Rows.Rules {
		rules[r.Rule] = r.Rows
	}
	want := map[string]int{"missing income": 1, "zero or negative weight": 1, "non-finite weight": 1, "negative income": 1}
	if !reflect.DeepEqual(rules, want) || got.Manifest.Rows.Read != 12 || got.Manifest.Rows.Used != 9 {
		t.Errorf("rows %+v, want rules %v, 12 read, 9 used", got.Manifest.Rows, want)
	}
	mem, err := Run(ctx, s, InMemory())
	if err != nil {
		t.Fatal(err)
	}
	sameResults(t, got.Results, mem.Results)
	if !reflect.DeepEqual(got.Manifest.Rows, mem.Manifest.Rows) {
		t.Errorf("rows %+v, in memory %+v", got.Manifest.Rows, mem.Manifest.Rows)
	}
	// Without a breakdown the units have no stream column: one cell.
	s.Domains = nil
	whole, err := Run(ctx, s, Streaming())
	if err != nil {
		t.Fatal(err)
	}
	if r := find(t, whole.Results, "median", "", ""); r.Estimate != median || len(whole.Results) != 8 {
		t.Errorf("no breakdown: median %v, want %v; %d results, want 8", r.Estimate, median, len(whole.Results))
	}
}

// TestStreamEquivalenceScales runs each equivalence scale over households:
// the streaming path divides the incomes as Run does in memory.
func TestStreamEquivalenceScales(t *testing.T) {
	for _, eq := range []string{"per-capita", "sqrt", "oecd"} {
		t.Run(eq, func(t *testing.T) {
			s := synthStudy(t, 1500, 400, 1)
			s.Equivalence, s.Adults, s.Children = eq, "n_adults", "n_children"
			s.Unit = "households"
			ctx := context.Background()
			want, err := Run(ctx, s, InMemory())
			if err != nil {
				t.Fatal(err)
			}
			got, err := Run(ctx, s, Streaming())
			if err != nil {
				t.Fatal(err)
			}
			sameResults(t, got.Results, want.Results)
		})
	}
}

// TestStreamCellsAnyWay runs breakdowns by a numeric column (household
// size, grouped by its values) and by two columns, with the dense table of
// combinations and with the map that replaces it: both equal Run in
// memory.
func TestStreamCellsAnyWay(t *testing.T) {
	s := synthStudy(t, 2000, 450, 1)
	s.Domains = [][]string{{"hh_size"}, {"province", "urban"}}
	s.Region = ""
	ctx := context.Background()
	want, err := Run(ctx, s, InMemory())
	if err != nil {
		t.Fatal(err)
	}
	dense, err := Run(ctx, s, Streaming())
	if err != nil {
		t.Fatal(err)
	}
	sameResults(t, dense.Results, want.Results)
	defer func(n int) { maxDenseCells = n }(maxDenseCells)
	maxDenseCells = 1
	sparse, err := Run(ctx, s, Streaming())
	if err != nil {
		t.Fatal(err)
	}
	sameResults(t, sparse.Results, dense.Results) // the map of combinations gives the dense table's results
}

// TestStreamAnyGOMAXPROCS checks that the results are the same bits with
// one core and with several (parallel loaders, sums dealt out by cell).
func TestStreamAnyGOMAXPROCS(t *testing.T) {
	s := synthStudy(t, 2000, 300, 2)
	ctx := context.Background()
	var outs [][]Result
	for _, procs := range []int{1, 2, 5} {
		prev := runtime.GOMAXPROCS(procs)
		out, err := Run(ctx, s, Streaming())
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out.Results)
	}
	for i := 1; i < len(outs); i++ {
		if len(outs[i]) != len(outs[0]) {
			t.Fatalf("%d results, want %d", len(outs[i]), len(outs[0]))
		}
		for j := range outs[0] {
			a, b := outs[0][j], outs[i][j]
			if math.Float64bits(a.Estimate) != math.Float64bits(b.Estimate) || a.Population != b.Population || a.N != b.N {
				t.Fatalf("run %d result %d: %+v, with one core %+v", i, j, b, a)
			}
		}
	}
}

// BenchmarkStreamRun times the streaming path over a generated panel of
// 100 000 households in row groups of 16 384 (three passes).
func BenchmarkStreamRun(b *testing.B) {
	t := &testing.T{}
	s := synthStudy(t, 100_000, 16_384, 1)
	if t.Failed() {
		b.Fatal("cannot write the panel")
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(context.Background(), s, Streaming(), SkipHashes()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStreamFileChangedBetweenPasses grows the input once pass 1 is done:
// pass 2 fails with datasets.ErrFileChanged (the loaders stop, nothing
// hangs).
func TestStreamFileChangedBetweenPasses(t *testing.T) {
	s := screenStudy(t)
	_, err := Run(context.Background(), s, Streaming(), WithProgress(func(ev ProgressEvent) {
		if ev.Finished && strings.HasPrefix(ev.Pass, "pass 1/") {
			f, err := os.OpenFile(s.Inputs[0], os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("grown"))
			f.Close()
		}
	}))
	if !errors.Is(err, datasets.ErrFileChanged) {
		t.Errorf("error %v, want ErrFileChanged", err)
	}
}
