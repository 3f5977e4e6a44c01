package povbeam

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/parquet-go/parquet-go"

	"github.com/povstat/povstat/datasets/synth"
	"github.com/povstat/povstat/pipeline"
)

func TestMain(m *testing.M) {
	beam.Init()
	os.Exit(m.Run())
}

// runPipeline runs the single-machine path on the same study.
func runPipeline(t *testing.T, dir, study string) *pipeline.Output {
	t.Helper()
	path := filepath.Join(dir, "study.yaml")
	s, err := pipeline.ParseStudy(path, []byte(study))
	if err != nil {
		t.Fatal(err)
	}
	out, err := pipeline.Run(context.Background(), s, pipeline.SkipHashes())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type household struct {
	Income   float64 `parquet:"income"`
	Weight   float64 `parquet:"weight"`
	HHSize   int32   `parquet:"hh_size"`
	Province int32   `parquet:"province"`
	Urban    bool    `parquet:"urban"`
}

// writeExact writes files of households whose every sum is exact in
// float64: integer incomes and weights, and a national weighted median of
// exactly 2048, so that the line median:0.5 is 1024 and every relative gap
// is a multiple of 2^-10. Some rows are invalid (weight 0, size 0, NaN).
func writeExact(t *testing.T, dir string, files, rows int) {
	r := rand.New(rand.NewPCG(42, 1))
	for f := range files {
		path := filepath.Join(dir, "data", "part-"+string(rune('a'+f))+".parquet")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		fh, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := parquet.NewGenericWriter[household](fh, parquet.MaxRowsPerRowGroup(int64(50+r.IntN(200))))
		hs := make([]household, rows)
		for i := range hs {
			h := &hs[i]
			switch u := r.Float64(); {
			case u < 0.4:
				h.Income = float64(r.IntN(2060) - 12) // some negative and zero incomes
			case u < 0.6:
				h.Income = 2048
			default:
				h.Income = float64(2049 + r.IntN(2047))
			}
			h.Weight = float64(1 + r.IntN(16))
			h.HHSize = int32(1 + r.IntN(8))
			h.Province = int32(1 + r.IntN(7))
			h.Urban = r.IntN(3) == 0
			switch r.IntN(100) {
			case 0:
				h.Weight = 0
			case 1:
				h.HHSize = 0
			case 2:
				h.Income = math.NaN()
			}
		}
		if _, err := w.Write(hs); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := fh.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBeamEqualsPipelineBytes: where every sum is exact, the Beam runner's
// results JSON is byte for byte that of pipeline.Run.
func TestBeamEqualsPipelineBytes(t *testing.T) {
	dir := t.TempDir()
	writeExact(t, dir, 3, 2000)
	const indicators = "population, n, mean, median, line, headcount, gap, severity, poor_population, gap_total"
	out := runPipeline(t, dir, "inputs: [data]\ncolumns: {income: income, weight: weight, size: hh_size}\n"+
		"unit: persons\nrows: households\nlines: [half=median:0.5]\ndomains: [[province, urban]]\nindicators: ["+indicators+"]\n")
	want := pipeline.EncodeJSON(out.Results)
	if !bytes.Contains(want, []byte(`{"indicator":"median","line":null,"domain":{},"estimate":2048,`)) {
		t.Fatalf("test data: the national median is not 2048:\n%.400s", want)
	}
	j := &Job{Inputs: []string{filepath.Join(dir, "data")}, Income: "income", Weight: "weight", Size: "hh_size",
		LineName: "half", LineFraction: 0.5, By: []string{"province", "urban"},
		Indicators: strings.Split(strings.ReplaceAll(indicators, " ", ""), ","), Out: filepath.Join(dir, "beam.json")}
	got, err := RunLocal(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("results differ:\nbeam:     %.2000s\npipeline: %.2000s", got, want)
	}
}

// TestBeamEqualsPipelineGenerated runs both on a generated panel (two years,
// row groups of 700 households): rows, domains, counts, medians and the line
// are identical; sums of real weights, merged by row group instead of added
// row by row, agree to 1e-12 relative.
func TestBeamEqualsPipelineGenerated(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), filepath.Join(dir, "data"),
		synth.Config{Households: 4000, Years: 2, Seed: 3, RowGroupSize: 700}); err != nil {
		t.Fatal(err)
	}
	out := runPipeline(t, dir, "inputs: [data]\ncolumns: {income: income, weight: weight, size: hh_size}\n"+
		"unit: persons\nrows: households\nlines: [median60=median:0.6]\ndomains: [[province]]\nindicators: ["+strings.Join(Supported, ", ")+"]\n")
	j := &Job{Inputs: []string{filepath.Join(dir, "data")}, Income: "income", Weight: "weight", Size: "hh_size",
		LineName: "median60", LineFraction: 0.6, By: []string{"province"}, Out: filepath.Join(dir, "beam.json")}
	got, err := RunLocal(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	var a, b struct{ Results []map[string]any }
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(pipeline.EncodeJSON(out.Results), &b); err != nil {
		t.Fatal(err)
	}
	if len(a.Results) != len(b.Results) || len(a.Results) != 1+32*(len(Supported)-1) {
		t.Fatalf("beam gives %d rows, pipeline %d", len(a.Results), len(b.Results))
	}
	worst := 0.0
	for i := range a.Results {
		ra, rb := a.Results[i], b.Results[i]
		if len(ra) != len(rb) {
			t.Fatalf("row %d: fields %v, want %v", i, ra, rb)
		}
		exact := ra["indicator"] == "median" || ra["indicator"] == "line" || ra["indicator"] == "n"
		for k, vb := range rb {
			va := ra[k]
			fa, okA := va.(float64)
			fb, okB := vb.(float64)
			if !okA || !okB || k == "n" || k == "excluded_n" || (exact && k == "estimate") {
				if ja, jb := mustJSON(t, va), mustJSON(t, vb); ja != jb {
					t.Fatalf("row %d field %s: beam %s, pipeline %s", i, k, ja, jb)
				}
				continue
			}
			d := math.Abs(fa-fb) / math.Max(math.Abs(fb), 1e-300)
			if fa == fb {
				d = 0
			}
			if !(d <= 1e-12) {
				t.Fatalf("row %d field %s: beam %v, pipeline %v", i, k, fa, fb)
			}
			worst = max(worst, d)
		}
	}
	t.Logf("%d rows; largest relative difference of a sum: %.1e", len(a.Results), worst)
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
