package povbeam

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
			writeCSV(t, path, hs)
			continue
		}
		writeHouseholds(t, path, hs, rowGroup)
	}
}

// writeCSV writes hs as a CSV file at path (its directory made), NaN an
// empty cell (a missing income).
func writeCSV(t *testing.T, path string, hs []household) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("income,weight,hh_size,province,urban\n")
	for _, h := range hs {
		inc := strconv.FormatFloat(h.Income, 'g', -1, 64)
		if math.IsNaN(h.Income) {
			inc = ""
		}
		fmt.Fprintf(&b, "%s,%s,%d,%d,%t\n", inc, strconv.FormatFloat(h.Weight, 'g', -1, 64), h.HHSize, h.Province, h.Urban)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeHouseholds writes hs to a Parquet file at path (its directory made)
// in row groups of rowGroup rows (writeRowGroups).
func writeHouseholds(t *testing.T, path string, hs []household, rowGroup int64) {
	t.Helper()
	var groups [][]household
	for lo := 0; lo < len(hs); lo += int(rowGroup) {
		groups = append(groups, hs[lo:min(lo+int(rowGroup), len(hs))])
	}
	writeRowGroups(t, path, groups)
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

// splitList splits a comma-separated list; "" is none.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.ReplaceAll(s, " ", ""), ",")
}

// study is the study of a job: by "" has no breakdown.
func study(indicators, lines, by string) string {
	domains := ""
	if by != "" {
		domains = "domains: [[" + by + "]]\n"
	}
	return "inputs: [data]\ncolumns: {income: income, weight: weight, size: hh_size}\n" +
		"unit: persons\nrows: households\nlines: [" + lines + "]\n" + domains + "indicators: [" + indicators + "]\n"
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
	"share_d5", "share_d6", "share_d7", "share_d8", "share_d9", "share_d10", "lorenz", "generalized_lorenz")

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
	// The manifest: the rows read, used and excluded by each rule, with
	// pipeline's examples, the inputs, lines and warnings of povstat run's,
	// and the results' hash.
	b, err := os.ReadFile(filepath.Join(dir, "beam.manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m pipeline.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	// (The runner names the files as the job gives them, pipeline relative
	// to the study; the inputs' hashes are the SHA-256 of their bytes.)
	for i, in := range out.Manifest.Inputs {
		b, err := os.ReadFile(filepath.Join(dir, in.Path))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		out.Manifest.Inputs[i].SHA256 = hex.EncodeToString(sum[:])
	}
	for _, part := range []struct {
		name      string
		beam, run any
	}{{"rows", m.Rows, out.Manifest.Rows}, {"inputs", m.Inputs, out.Manifest.Inputs}, {"lines", m.Lines, out.Manifest.Lines},
		{"warnings", m.Warnings, out.Manifest.Warnings}, {"unit", m.Unit + " " + m.Equivalence, out.Manifest.Unit + " " + out.Manifest.Equivalence}} {
		if g, w := strings.ReplaceAll(mustJSON(t, part.beam), dir+string(filepath.Separator), ""), mustJSON(t, part.run); g != w {
			t.Errorf("manifest %s:\nbeam:     %s\npipeline: %s", part.name, g, w)
		}
	}
	if len(out.Manifest.Rows.Rules) < 3 || len(out.Manifest.Warnings) == 0 || len(m.Inputs) != 2 {
		t.Errorf("test data: %d rules, %d warnings, %d inputs", len(out.Manifest.Rows.Rules), len(out.Manifest.Warnings), len(m.Inputs))
	}
	if sum := sha256.Sum256(got); len(m.Outputs) != 1 || m.Outputs[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("manifest outputs %+v", m.Outputs)
	}
	if tm := m.Timings; !(tm.InspectSeconds > 0) || !(tm.ComputeSeconds > tm.InspectSeconds) || tm.ComputeSeconds > 600 {
		t.Errorf("manifest timings %+v", tm)
	}
	for _, frag := range []string{`"indicator":"line","line":"rural","domain":{"province":"7"},"estimate":null`,
		`some units belong to a line group without reference units`} {
		if !bytes.Contains(want, []byte(frag)) {
			t.Errorf("test data: the results lack %s", frag)
		}
	}
}

// TestBeamEqualsPipelineGenerated runs both on a generated panel (two
// years, row groups of 700 households, real weights and incomes, so that
// few sums are exact; three kinds of line) without a breakdown, by one
// column and by two: the results are the same bytes, as both sum split by
// split (units.eachBlock in pipeline), sort within histogram buckets, and
// merge in the same order.
func TestBeamEqualsPipelineGenerated(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), filepath.Join(dir, "data"),
		synth.Config{Households: 4000, Years: 2, Seed: 3, RowGroupSize: 700}); err != nil {
		t.Fatal(err)
	}
	sameBytesBy(t, dir, allIndicators, "province", "", "province, urban")
}

// TestBeamEqualsPipelineTenths: weights in tenths (not binary fractions)
// and few distinct incomes, in row groups of 7 and 20 households, so that
// cumulative weight shares come within rounding of the quantiles' p and
// the order of the additions decides many a median, line, share cut and
// rmpg: the results are still the same bytes, with no breakdown and by two
// columns.
func TestBeamEqualsPipelineTenths(t *testing.T) {
	dir, csvDir := t.TempDir(), t.TempDir()
	r := rand.New(rand.NewPCG(9, 10))
	for f := range 2 {
		hs := exactHouseholds(r, 600)
		for i := range hs {
			hs[i].Income = float64((1+r.IntN(6))*100 + r.IntN(3))
			hs[i].HHSize = 1
			if hs[i].Weight != 0 {
				hs[i].Weight = []float64{0.1, 0.2, 0.3, 0.7}[r.IntN(4)]
			}
		}
		name := "part-" + string(rune('a'+f))
		writeHouseholds(t, filepath.Join(dir, "data", name+".parquet"), hs, int64(7+13*f))
		for c := range 3 { // CSV: each file one split
			writeCSV(t, filepath.Join(csvDir, "data", fmt.Sprintf("%s%d.csv", name, c)), hs[c*200:(c+1)*200])
		}
	}
	sameBytesBy(t, dir, allIndicators, "", "province, urban")
	sameBytesBy(t, csvDir, allIndicators, "province, urban")
	// Without the Gini nothing is sorted: the shares' cuts come with the
	// median, their sums from a pass in unit order.
	sameBytesBy(t, dir, []string{"qsr", "palma", "share_q1", "share_q5", "share_d1", "share_d10", "rmpg"}, "province, urban")
}

// sameBytesBy runs the indicators with groupedLines on dir/data, on both
// paths, for each breakdown of bys, and requires the same bytes.
func sameBytesBy(t *testing.T, dir string, indicators []string, bys ...string) {
	t.Helper()
	for _, by := range bys {
		out := runPipeline(t, dir, study(strings.Join(indicators, ", "), groupedLines, by))
		j := &Job{Inputs: []string{filepath.Join(dir, "data")}, Income: "income", Weight: "weight", Size: "hh_size",
			Lines: splitList(groupedLines), By: splitList(by), Indicators: indicators, Out: filepath.Join(dir, "beam.json")}
		got, err := RunLocal(context.Background(), j)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("by "+by, func(t *testing.T) { compareResults(t, got, pipeline.EncodeJSON(out.Results)) })
	}
}

// TestBeamRegions: the regional measures (each region's mean, CV,
// Williamson, max/min, the Theil decompositions) and the urban/rural
// income ratio, with the region in the cells of every sum (so the
// domains' poverty and entropy sums merge several cells each): the same
// bytes as pipeline on generated data with real weights, with no
// breakdown and by urban.
func TestBeamRegions(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), filepath.Join(dir, "data"),
		synth.Config{Households: 3000, Seed: 4, RowGroupSize: 500}); err != nil {
		t.Fatal(err)
	}
	all := append([]string{"population", "mean", "median", "headcount", "watts", "sen", "rmpg", "gini", "theil_t", "qsr", "ratio"},
		pipeline.RegionIndicators()...)
	for _, tc := range []struct {
		by         string
		indicators []string
	}{
		{"", all}, {"urban", all},
		// No entropy sums; a breakdown holding the region has no regional rows.
		{"province, urban", []string{"headcount", "cv", "williamson", "ratio"}},
	} {
		by, indicators := tc.by, tc.indicators
		text := study(strings.Join(indicators, ", "), groupedLines, by) + "region: province\nratios: [urban=true/false]\n"
		out := runPipeline(t, dir, text)
		j := &Job{Inputs: []string{filepath.Join(dir, "data")}, Income: "income", Weight: "weight", Size: "hh_size",
			Lines: splitList(groupedLines), By: splitList(by), Region: "province", Ratios: []string{"urban=true/false"},
			Indicators: indicators, Out: filepath.Join(dir, "beam.json")}
		got, err := RunLocal(context.Background(), j)
		if err != nil {
			t.Fatal(err)
		}
		want := pipeline.EncodeJSON(out.Results)
		frags := []string{`"indicator":"williamson"`, `"indicator":"theil_t_between"`, `"indicator":"ratio"`, `"indicator":"region_mean"`}
		if len(indicators) < len(all) {
			frags = []string{`"indicator":"williamson","line":null,"domain":{}`, `"indicator":"ratio"`}
		}
		for _, frag := range frags {
			if !bytes.Contains(want, []byte(frag)) {
				t.Fatalf("by %q: the results lack %s", by, frag)
			}
		}
		t.Run("by "+by, func(t *testing.T) { compareResults(t, got, want) })
	}
}

// compareResults requires two results files to be the same bytes, and
// names the first row that differs.
func compareResults(t *testing.T, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
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
	for i := range a.Results {
		if ja, jb := mustJSON(t, a.Results[i]), mustJSON(t, b.Results[i]); ja != jb {
			t.Fatalf("row %d differs:\nbeam:     %s\npipeline: %s", i, ja, jb)
		}
	}
	t.Fatalf("the files differ outside the rows")
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
