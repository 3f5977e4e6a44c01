package povbeam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	writeExactAs(t, dir, files, rows, "parquet")
}

// writeExactAs writes writeExact's files as Parquet or CSV (where NaN is an
// empty cell, a missing income).
func writeExactAs(t *testing.T, dir string, files, rows int, format string) {
	r := rand.New(rand.NewPCG(42, 1))
	for f := range files {
		path := filepath.Join(dir, "data", "part-"+string(rune('a'+f))+"."+format)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		rowGroup := int64(50 + r.IntN(200))
		hs := exactHouseholds(r, rows)
		if format == "csv" {
			var b strings.Builder
			b.WriteString("income,weight,hh_size,province,urban\n")
			for _, h := range hs {
				inc := strconv.FormatFloat(h.Income, 'g', -1, 64)
				if math.IsNaN(h.Income) {
					inc = ""
				}
				fmt.Fprintf(&b, "%s,%g,%d,%d,%t\n", inc, h.Weight, h.HHSize, h.Province, h.Urban)
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		fh, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := parquet.NewGenericWriter[household](fh, parquet.MaxRowsPerRowGroup(rowGroup))
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

func exactHouseholds(r *rand.Rand, rows int) []household {
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
		h.Urban = r.IntN(3) == 0 || h.Province == 7 // province 7 has no rural household
		switch r.IntN(100) {
		case 0:
			h.Weight = 0
		case 1:
			h.HHSize = 0
		case 2:
			h.Income = math.NaN()
		}
	}
	return hs
}

// exactIndicators are the indicators whose every sum is exact on
// writeExact's data with the lines of exactLines: integer incomes and
// weights, lines 1024 and 512 (relative incomes in multiples of 2^-10), and
// sums of w x C below 2^53 for the Gini; the quantile shares are one
// division of exact sums.
const (
	exactIndicators = "population, n, mean, median, line, headcount, gap, severity, sen, rmpg, poor_population, gap_total, gini, " +
		"qsr, palma, share_q1, share_q3, share_q5, share_d1, share_d2, share_d5, share_d10"
	exactLines = "half=median:0.5, low=abs:512"
)

func splitList(s string) []string { return strings.Split(strings.ReplaceAll(s, " ", ""), ",") }

func study(indicators, lines, by string) string {
	return "inputs: [data]\ncolumns: {income: income, weight: weight, size: hh_size}\n" +
		"unit: persons\nrows: households\nlines: [" + lines + "]\ndomains: [[" + by + "]]\nindicators: [" + indicators + "]\n"
}

// TestBeamEqualsPipelineBytes: where every sum is exact, the Beam runner's
// results JSON is byte for byte that of pipeline.Run: poverty measures of
// two lines, the medians, the Gini by the distributed sort (a fifth of the
// units tie at 2048, many more at other integers), sen (the Gini of the
// poor) and rmpg (the median of the poor).
func TestBeamEqualsPipelineBytes(t *testing.T) {
	dir := t.TempDir()
	writeExact(t, dir, 3, 2000)
	out := runPipeline(t, dir, study(exactIndicators, exactLines, "province, urban"))
	want := pipeline.EncodeJSON(out.Results)
	if !bytes.Contains(want, []byte(`{"indicator":"median","line":null,"domain":{},"estimate":2048,`)) {
		t.Fatalf("test data: the national median is not 2048:\n%.400s", want)
	}
	j := &Job{Inputs: []string{filepath.Join(dir, "data")}, Income: "income", Weight: "weight", Size: "hh_size",
		Lines: splitList(exactLines), By: []string{"province", "urban"},
		Indicators: splitList(exactIndicators), Out: filepath.Join(dir, "beam.json")}
	got, err := RunLocal(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("results differ:\nbeam:     %.3000s\npipeline: %.3000s", got, want)
	}
}

// TestBeamCSV: CSV inputs (each file one split) read through the same
// reader give pipeline's bytes too.
func TestBeamCSV(t *testing.T) {
	dir := t.TempDir()
	writeExactAs(t, dir, 3, 1500, "csv")
	out := runPipeline(t, dir, study(exactIndicators, exactLines, "province, urban"))
	j := &Job{Inputs: []string{filepath.Join(dir, "data")}, Income: "income", Weight: "weight", Size: "hh_size",
		Lines: splitList(exactLines), By: []string{"province", "urban"},
		Indicators: splitList(exactIndicators), Out: filepath.Join(dir, "beam.json")}
	got, err := RunLocal(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if want := pipeline.EncodeJSON(out.Results); !bytes.Equal(got, want) {
		t.Errorf("results differ:\nbeam:     %.3000s\npipeline: %.3000s", got, want)
	}
}

// allIndicators are every indicator the runner computes.
var allIndicators = append(slices.Clone(Supported), "ge_2", "ge_-1", "atkinson_0.5", "atkinson_1", "atkinson_2",
	"share_q1", "share_q2", "share_q3", "share_q4", "share_q5", "share_d1", "share_d2", "share_d3", "share_d4",
	"share_d5", "share_d6", "share_d7", "share_d8", "share_d9", "share_d10")

// groupedLines are several lines at once: national, grouped, grouped with a
// reference subpopulation (province 7 of writeExact has no rural unit, so
// its line does not exist and its units are left out), absolute.
const groupedLines = "median60=median:0.6, prov=median:0.6@province, rural=mean:0.33@province?urban=false, fixed=abs:900"

// TestBeamEqualsPipelineLines compares every indicator and several kinds of
// line on writeExact's data.
func TestBeamEqualsPipelineLines(t *testing.T) {
	dir := t.TempDir()
	writeExact(t, dir, 2, 1500)
	out := runPipeline(t, dir, study(strings.Join(allIndicators, ", "), groupedLines, "province"))
	j := &Job{Inputs: []string{filepath.Join(dir, "data")}, Income: "income", Weight: "weight", Size: "hh_size",
		Lines: splitList(groupedLines), By: []string{"province"}, Indicators: allIndicators, Out: filepath.Join(dir, "beam.json")}
	got, err := RunLocal(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	want := pipeline.EncodeJSON(out.Results)
	compareResults(t, got, want)
	for _, frag := range []string{`"indicator":"line","line":"rural","domain":{"province":"7"},"estimate":null`,
		`some units belong to a line group without reference units`} {
		if !bytes.Contains(want, []byte(frag)) {
			t.Errorf("test data: the results lack %s", frag)
		}
	}
}

// TestBeamEqualsPipelineGenerated runs both on a generated panel (two years,
// row groups of 700 households, real weights, three kinds of line): every
// row is the same bytes (both sum split by split, units.eachBlock in
// pipeline), except those of roundedIndicator, within a relative 1e-12.
func TestBeamEqualsPipelineGenerated(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), filepath.Join(dir, "data"),
		synth.Config{Households: 4000, Years: 2, Seed: 3, RowGroupSize: 700}); err != nil {
		t.Fatal(err)
	}
	out := runPipeline(t, dir, study(strings.Join(allIndicators, ", "), groupedLines, "province"))
	j := &Job{Inputs: []string{filepath.Join(dir, "data")}, Income: "income", Weight: "weight", Size: "hh_size",
		Lines: splitList(groupedLines), By: []string{"province"}, Indicators: allIndicators, Out: filepath.Join(dir, "beam.json")}
	got, err := RunLocal(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	compareResults(t, got, pipeline.EncodeJSON(out.Results))
}

// compareResults compares two results files field by field: the same rows
// in the same order, the same strings and counts, medians identical, other
// numbers within a relative 1e-12 (the sums' order of
// addition differs; see the package doc), rmpg within 1e-12 absolutely.
func compareResults(t *testing.T, got, want []byte) {
	t.Helper()
	var a, b struct{ Results []map[string]any }
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &b); err != nil {
		t.Fatal(err)
	}
	if len(a.Results) != len(b.Results) {
		t.Fatalf("beam gives %d rows, pipeline %d", len(a.Results), len(b.Results))
	}
	worst, exactRows := map[string]float64{}, 0
	for i := range a.Results {
		ra, rb := a.Results[i], b.Results[i]
		if len(ra) != len(rb) {
			t.Fatalf("row %d: fields %v, want %v", i, ra, rb)
		}
		name, _ := ra["indicator"].(string)
		exact := !roundedIndicator(name)
		if mustJSON(t, ra) == mustJSON(t, rb) {
			exactRows++
		}
		for k, vb := range rb {
			va := ra[k]
			fa, okA := va.(float64)
			fb, okB := vb.(float64)
			if !okA || !okB || exact || k == "n" || k == "excluded_n" {
				if ja, jb := mustJSON(t, va), mustJSON(t, vb); ja != jb {
					t.Fatalf("row %d field %s: beam %s, pipeline %s\nbeam:     %v\npipeline: %v", i, k, ja, jb, ra, rb)
				}
				continue
			}
			d := math.Abs(fa-fb) / math.Max(math.Abs(fb), 1e-300)
			if ra["indicator"] == "rmpg" && k == "estimate" {
				// 1 - median(x/z): a line z off by rounding (a mean line)
				// moves the median ratio by about 1e-16, absolutely.
				d = math.Abs(fa - fb)
			}
			if fa == fb {
				d = 0
			}
			if !(d <= 1e-12) {
				t.Fatalf("row %d field %s: beam %v, pipeline %v\nbeam:     %v\npipeline: %v", i, k, fa, fb, ra, rb)
			}
			worst[name] = max(worst[name], d)
		}
	}
	t.Logf("%d rows, %d identical; largest relative difference by indicator: %v", len(a.Results), exactRows, worst)
}

// roundedIndicator reports the indicators whose sums pipeline adds in
// sorted order and the runner bucket by bucket: the Gini, Sen and the
// quantile shares. Every other row is the same bytes.
func roundedIndicator(name string) bool {
	return name == "gini" || name == "sen" || name == "qsr" || name == "palma" || strings.HasPrefix(name, "share_")
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
