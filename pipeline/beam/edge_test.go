package povbeam

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/povstat/povstat/pipeline"
)

// writeRowGroups writes one Parquet file with the given row groups.
func writeRowGroups(t *testing.T, path string, groups [][]household) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[household](fh)
	for _, g := range groups {
		if _, err := w.Write(g); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBeamEdgeCases: a row group whose every row is screened out (an empty
// split), a province where nobody is poor (rmpg has no estimate, sen is 0)
// and every income ties, and a province of one unit; with exact sums the
// results are pipeline's bytes.
func TestBeamEdgeCases(t *testing.T) {
	dir := t.TempDir()
	invalid := []household{{Income: 5, Weight: 0, HHSize: 1, Province: 1}, {Income: math.NaN(), Weight: 1, HHSize: 1, Province: 1},
		{Income: 5, Weight: 2, HHSize: 0, Province: 2}}
	rich := make([]household, 6)
	for i := range rich {
		rich[i] = household{Income: 4000, Weight: float64(1 + i), HHSize: 2, Province: 8}
	}
	r := rand.New(rand.NewPCG(5, 6))
	normal := make([]household, 600)
	for i := range normal {
		normal[i] = household{Income: float64(r.IntN(3000) - 10), Weight: float64(1 + r.IntN(6)), HHSize: int32(1 + r.IntN(4)), Province: int32(1 + r.IntN(3))}
		if r.IntN(4) == 0 {
			normal[i].Income = 1500
		}
	}
	lone := []household{{Income: 700, Weight: 3, HHSize: 1, Province: 9}}
	writeRowGroups(t, filepath.Join(dir, "data", "a.parquet"), [][]household{invalid, normal[:300], rich})
	writeRowGroups(t, filepath.Join(dir, "data", "b.parquet"), [][]household{normal[300:], invalid, lone})
	const lines = "low=abs:512, high=abs:1024" // relative incomes in multiples of 2^-10
	out := runPipeline(t, dir, study(exactIndicators, lines, "province"))
	want := pipeline.EncodeJSON(out.Results)
	for _, frag := range []string{`"indicator":"rmpg","line":"high","domain":{"province":"8"},"estimate":null`, `nobody is poor`,
		`"indicator":"sen","line":"high","domain":{"province":"8"},"estimate":0,`} {
		if !bytes.Contains(want, []byte(frag)) {
			t.Errorf("test data: pipeline's results lack %s", frag)
		}
	}
	j := &Job{Inputs: []string{filepath.Join(dir, "data")}, Income: "income", Weight: "weight", Size: "hh_size",
		Lines: splitList(lines), By: []string{"province"}, Indicators: splitList(exactIndicators), Out: filepath.Join(dir, "beam.json")}
	got, err := RunLocal(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("results differ:\nbeam:     %.3000s\npipeline: %.3000s", got, want)
	}

	// A line whose reference units do not exist is an error, as in pipeline.
	j.Lines, j.Out = []string{"x=median:0.5?province=77"}, filepath.Join(dir, "bad.json")
	if _, err := RunLocal(context.Background(), j); err == nil || !strings.Contains(err.Error(), "no unit has province=77") {
		t.Errorf("got %v, want an error naming province=77", err)
	}
}

// TestBuildRejects: jobs the runner cannot compute fail before any data is
// read, naming what is wrong.
func TestBuildRejects(t *testing.T) {
	base := Job{Inputs: []string{"nowhere"}, Income: "income", Weight: "weight", Lines: []string{"a=median:0.6"}, Out: "out.json"}
	for _, tt := range []struct {
		name string
		edit func(*Job)
		want string
	}{
		{"regional", func(j *Job) { j.Indicators = []string{"cv"} }, `indicator "cv"`},
		{"bad share", func(j *Job) { j.Indicators = []string{"share_q6"} }, `indicator "share_q6"`},
		{"bad atkinson", func(j *Job) { j.Indicators = []string{"atkinson_-1"} }, `indicator "atkinson_-1"`},
		{"bad line", func(j *Job) { j.Lines = []string{"a=median"} }, `line`},
		{"same line twice", func(j *Job) { j.Lines = []string{"a=median:0.5", "a=abs:3"} }, `line "a" given twice`},
		{"no line", func(j *Job) { j.Lines = nil }, `no line`},
		{"unit", func(j *Job) { j.Unit = "villages" }, `unit "villages"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j := base
			tt.edit(&j)
			if _, err := Build(&j); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error with %s", err, tt.want)
			}
		})
	}
}
