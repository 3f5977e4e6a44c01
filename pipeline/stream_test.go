package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/datasets/synth"
	"github.com/povstat/povstat/indices"
)

// sameResults requires the results of the two paths to be the same rows
// with the same bits: the streaming runner makes Run's additions in Run's
// order (every sum and histogram blocked by split).
func sameResults(t *testing.T, got, want []Result) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	bad := 0
	for i := range want {
		if g, w := string(EncodeJSON(got[i:i+1])), string(EncodeJSON(want[i:i+1])); g != w {
			t.Errorf("result %d:\n got %s\nwant %s", i, g, w)
			if bad++; bad > 5 {
				t.FailNow()
			}
		}
	}
}

// synthStudy writes a generated panel of several row groups per year and
// a study over it with every kind of line and breakdown streaming supports.
func synthStudy(t *testing.T, households, rowGroup, years int) *Study {
	t.Helper()
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), dir, synth.Config{Households: households, Years: years, Seed: 7, RowGroupSize: rowGroup}); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "synth", Dir: dir, Inputs: []string{dir}, Income: "income", Weight: "weight", Size: "hh_size",
		Unit: "persons", Rows: "households", Domains: [][]string{{"year"}, {"year", "province"}, {"year", "urban"}},
		Region: "province", Time: "year", Seed: 1, Ratios: []Ratio{{Column: "urban", Numerator: "true", Denominator: "false"}},
		Indicators: []string{"population", "n", "mean", "median", "line", "headcount", "gap", "severity", "watts",
			"sen", "rmpg", "poor_population", "gap_total", "theil_t", "theil_l", "ge_2", "ge_-1", "atkinson_0.5", "atkinson_1",
			"qsr", "palma", "share_q1", "share_d10", "region_mean", "cv", "williamson", "max_min_ratio", "theil_t_between",
			"theil_t_within", "lorenz", "generalized_lorenz", "ratio"}}
	for _, spec := range []string{"m60=median:0.6@year", "prov=median:0.5@year,province?urban=true", "half=mean:0.5@urban", "abs=abs:4000"} {
		l, err := ParseLine(spec)
		if err != nil {
			t.Fatal(err)
		}
		s.Lines = append(s.Lines, l)
	}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStreamEqualsRunSynth(t *testing.T) {
	s := synthStudy(t, 3000, 700, 2)
	s.Indicators = append(s.Indicators, "gini")
	// The Gini's units in ranges of at most 500 per breakdown: several
	// passes, each range's units added after the previous range's.
	defer func(n int) { streamGiniUnits = n }(streamGiniUnits)
	streamGiniUnits = 500
	ctx := context.Background()
	want, err := Run(ctx, s, InMemory())
	if err != nil {
		t.Fatal(err)
	}
	var passes []string
	got, err := Run(ctx, s, Streaming(), WithProgress(func(ev ProgressEvent) {
		if ev.Finished {
			passes = append(passes, ev.Pass)
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	sameResults(t, got.Results, want.Results)
	if !reflect.DeepEqual(got.Manifest.Rows, want.Manifest.Rows) || !reflect.DeepEqual(got.Manifest.Inputs, want.Manifest.Inputs) {
		t.Errorf("manifest rows/inputs:\n got %+v %+v\nwant %+v %+v", got.Manifest.Rows, got.Manifest.Inputs, want.Manifest.Rows, want.Manifest.Inputs)
	}
	if !reflect.DeepEqual(got.Warnings, want.Warnings) {
		t.Errorf("warnings %q, want %q", got.Warnings, want.Warnings)
	}
	if len(passes) < 3+12 || !strings.HasPrefix(passes[len(passes)-1], "gini pass") || got.Manifest.Memory.Mode != "streaming" || want.Manifest.Memory.Mode != "in-memory" {
		t.Errorf("passes %q, modes %+v %+v", passes, got.Manifest.Memory, want.Manifest.Memory)
	}
	if got.Manifest.Inputs[0].RowGroups != 5 {
		t.Errorf("3000 rows in row groups of 700: %d row groups", got.Manifest.Inputs[0].RowGroups)
	}
}

// TestStreamHandWorked checks the streaming path against the worked example
// of run_test.go: weights 1,1,1,2,1 on incomes -1,1,2,3,4 (two rows
// excluded). The cumulative weight share reaches exactly 1/2 at 2, so the
// median is (2+3)/2 = 2.5; below z = 2.5 lie weights 3 of 6: H = 0.5;
// gap = (3.5/2.5 + 1.5/2.5 + 0.5/2.5)/6 = 2.2/6.
func TestStreamHandWorked(t *testing.T) {
	s := handStudy(t, "z=abs:2.5")
	s.Indicators = []string{"population", "n", "median", "headcount", "gap"}
	out, err := Run(context.Background(), s, Streaming())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ind, line string
		want      float64
	}{{"population", "", 6}, {"n", "", 5}, {"median", "", 2.5}, {"headcount", "z", 0.5}, {"gap", "z", 2.2 / 6}} {
		if r := find(t, out.Results, c.ind, c.line, ""); math.Abs(r.Estimate-c.want) > 1e-15 {
			t.Errorf("%s = %v, want %v", c.ind, r.Estimate, c.want)
		}
	}
	rules := map[string]int{}
	for _, r := range out.Manifest.Rows.Rules {
		rules[r.Rule] = r.Rows
		if r.Rule == "missing income" && (len(r.Examples) != 1 || !strings.HasSuffix(r.Examples[0], "hh.csv row 7")) {
			t.Errorf("example %q, want hh.csv row 7", r.Examples)
		}
	}
	if rules["missing income"] != 1 || rules["zero or negative weight"] != 1 || rules["negative income"] != 1 || out.Manifest.Rows.Used != 5 {
		t.Errorf("rules %+v", out.Manifest.Rows)
	}
}

func TestStreamUnsupported(t *testing.T) {
	s := handStudy(t, "z=abs:2.5")
	s.Indicators = []string{"median", "gini", "sen"}
	s.SEMethod = "linearized"
	_, err := Run(context.Background(), s, Streaming())
	if !errors.Is(err, ErrNeedsMemory) || strings.Contains(err.Error(), "indicators") || !strings.Contains(err.Error(), "standard errors") {
		t.Errorf("got %v", err)
	}
}

// TestMemoryBudget: a budget between the two estimates selects streaming,
// with the in-memory results; one below both fails naming both.
func TestMemoryBudget(t *testing.T) {
	s := synthStudy(t, 20000, 1000, 1)
	ctx := context.Background()
	want, err := Run(ctx, s, InMemory())
	if err != nil {
		t.Fatal(err)
	}
	// 64 MiB base; in memory 20000 rows × over 300 bytes, streaming two
	// row groups of 1000 and the units of a pass of sen's (40 bytes a
	// unit and breakdown: 3.2 MB).
	s.Memory = memoryBase + 5<<20
	got, err := Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	m := got.Manifest.Memory
	if m.Mode != "streaming" || m.Rows != 20000 || m.EstimateBytes <= s.Memory || m.StreamingBytes > s.Memory || m.Splits != 20 {
		t.Fatalf("memory record %+v", m)
	}
	sameResults(t, got.Results, want.Results)
	s.Memory = 1 << 20
	_, err = Run(ctx, s)
	if !errors.Is(err, ErrMemoryBudget) || !strings.Contains(err.Error(), "1.0 MiB") || !strings.Contains(err.Error(), "streaming path about") {
		t.Errorf("impossible budget: %v", err)
	}
	s.Memory = 1 << 40
	got, err = Run(ctx, s)
	if err != nil || got.Manifest.Memory.Mode != "in-memory" {
		t.Errorf("ample budget: %v %+v", err, got.Manifest.Memory)
	}
}

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{{"4GiB", 4 << 30}, {"512MB", 512e6}, {"1.5gib", 3 << 29}, {"1000", 1000}, {" 2 KiB ", 2048}} {
		if got, err := ParseBytes(c.in); err != nil || got != c.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "GiB", "-1GiB", "4 parsecs", "0"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) succeeded", in)
		}
	}
	if got := FormatBytes(3 << 29); got != "1.5 GiB" {
		t.Errorf("FormatBytes = %q", got)
	}
}

// TestStreamSharedData runs the EU-SILC sample of ../shared both ways,
// when present, and checks the streaming path against laeken's published
// values (../shared/data/README.md): weighted median 18098.7266666667,
// mean 19890.8069312955, arpt 10859.236, arpr 0.144442181675336.
func TestStreamSharedData(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "eusilc.parquet")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared reference data not available: %v", err)
	}
	s := &Study{Name: "eusilc", Inputs: []string{path}, Income: "eqIncome", Weight: "rb050",
		Domains:    [][]string{{"db040"}, {"rb090", "db040"}},
		Indicators: []string{"population", "n", "mean", "median", "line", "headcount", "gap", "severity", "watts", "theil_t", "theil_l", "ge_2"}}
	for _, spec := range []string{"arpt=median:0.6", "reg=median:0.6@db040?rb090=female"} {
		l, err := ParseLine(spec)
		if err != nil {
			t.Fatal(err)
		}
		s.Lines = append(s.Lines, l)
	}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	got := streamedAsInMemory(t, s)
	for _, c := range []struct {
		ind, line string
		want, tol float64
	}{{"median", "", 18098.7266666667, 1e-9}, {"mean", "", 19890.8069312955, 1e-9}, {"line", "arpt", 10859.236, 1e-9}, {"headcount", "arpt", 0.144442181675336, 1e-12}} {
		if r := find(t, got.Results, c.ind, c.line, ""); math.Abs(r.Estimate-c.want) > c.tol*c.want {
			t.Errorf("%s %s = %.15g, laeken %.15g", c.ind, c.line, r.Estimate, c.want)
		}
	}
}

// TestRowCountsWarnings: one line per rule, with the rows read, the action
// and the examples.
func TestRowCountsWarnings(t *testing.T) {
	r := RowCounts{Read: 9, Used: 3, Rules: []datasets.Count{
		{Rule: "zero or negative weight", Column: "weight", Action: "excluded", Rows: 2, Examples: []string{"hh.csv row 5", "hh.csv row 6"}},
		{Rule: "negative income", Column: "income", Action: "kept", Rows: 1},
	}}
	want := []string{
		"2 of 9 rows excluded: zero or negative weight (column weight), e.g. hh.csv row 5; hh.csv row 6",
		"1 of 9 rows kept: negative income (column income)",
	}
	if got := r.Warnings(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestGiniRanges: the buckets with units cut into ranges of at most the
// capacity, in order, a bucket above it alone, the empty buckets in no
// range's count; a range whose one bucket holds one value is an atom.
func TestGiniRanges(t *testing.T) {
	count := &bucketCounts{}
	value := func(b uint32) float64 { // the smallest value of bucket b (a positive one)
		return math.Float64frombits(uint64(b) << (64 - indices.HistogramBits) &^ (1 << 63))
	}
	// Buckets of 3, 4, 2, 9 (all one value), 1 and 2 units, the second
	// and the last of two values.
	base := indices.HistogramBucket(1)
	for _, bc := range []struct {
		b      uint32
		n      int
		values int
	}{{base + 1, 3, 1}, {base + 2, 4, 2}, {base + 5, 2, 1}, {base + 6, 9, 1}, {base + 9, 1, 1}, {base + 1<<12 + 3, 2, 2}} {
		for k := range bc.n {
			x := math.Float64frombits(math.Float64bits(value(bc.b)) + uint64(k%bc.values))
			if indices.HistogramBucket(x) != bc.b {
				t.Fatalf("test value %v in bucket %d, want %d", x, indices.HistogramBucket(x), bc.b)
			}
			count.add(x)
		}
	}
	got := giniRanges(count, 6)
	end := uint32(1 << indices.HistogramBits)
	want := []giniRange{{base + 1, base + 2, true}, {base + 2, base + 6, false}, {base + 6, base + 9, true}, {base + 9, end, false}} // 3 | 4+2 | 9 (alone, one value) | 1+2
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ranges %v, want %v", got, want)
	}
	if got := giniRanges(&bucketCounts{}, 6); got != nil {
		t.Errorf("no units: %v", got)
	}
}

// TestStreamGiniAtoms: a third of the units with no income and a tenth at
// one benefit, the Gini's and sen's ranges small enough that these atoms
// exceed them (and are added as they come, unsorted): the streamed Gini,
// sen and rmpg are the in-memory ones.
func TestStreamGiniAtoms(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("income,weight,region\n")
	for i := range 3000 {
		x := float64((i*7919)%5000 + 1)
		switch {
		case i%3 == 0:
			x = 0
		case i%10 == 1:
			x = 800
		}
		fmt.Fprintf(&b, "%v,%v,%s\n", x, 1+float64(i%7)/4, []string{"a", "b", "c"}[i%3])
	}
	if err := os.WriteFile(filepath.Join(dir, "d.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "atoms", Inputs: []string{dir}, Income: "income", Weight: "weight", Unit: "households",
		Domains: [][]string{{"region"}}, Indicators: []string{"gini", "sen", "rmpg", "headcount"}}
	l, err := ParseLine("z=abs:1500")
	if err != nil {
		t.Fatal(err)
	}
	s.Lines = []Line{l}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	defer func(n int) { streamGiniUnits = n }(streamGiniUnits)
	streamGiniUnits = 100
	streamedAsInMemory(t, s)
}

// TestStreamHandEdges: on the worked example (a negative income), under a
// line that leaves region A without a poor unit and a grouped median line,
// the streamed sen, rmpg, Gini, Lorenz curves and QSR are the in-memory
// rows (rmpg of region A undefined, "nobody is poor").
func TestStreamHandEdges(t *testing.T) {
	s := handStudy(t, "z=abs:0.5", "m=median:0.4@region")
	s.Indicators = []string{"headcount", "sen", "rmpg", "gini", "lorenz", "qsr"}
	got := streamedAsInMemory(t, s)
	if r := find(t, got.Results, "rmpg", "z", "region=A"); !math.IsNaN(r.Estimate) || r.Note != "nobody is poor" {
		t.Errorf("rmpg of region A: %v %q", r.Estimate, r.Note)
	}
}

// streamedAsInMemory runs s in memory and streamed, requires the same
// rows, and returns the streamed output.
func streamedAsInMemory(t *testing.T, s *Study) *Output {
	t.Helper()
	want, err := Run(context.Background(), s, InMemory())
	if err != nil {
		t.Fatal(err)
	}
	got, err := Run(context.Background(), s, Streaming())
	if err != nil {
		t.Fatal(err)
	}
	sameResults(t, got.Results, want.Results)
	return got
}
