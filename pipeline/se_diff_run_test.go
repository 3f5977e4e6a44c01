package pipeline

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/povstat/povstat/datasets/synth"
)

// TestRunDifferences runs a study with variance.differences and checks the
// difference rows against the rows they difference: two lines with the same
// SPEC differ by exactly 0 with a standard error of 0 (their linearized
// variables are equal), a domain minus the whole population is the
// difference of the two estimates, and every difference of rows with a
// standard error has one, its method ending in "difference".
func TestRunDifferences(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), filepath.Join(dir, "data"), synth.Config{Households: 3000, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"linearized", "bootstrap"} {
		text := `inputs: [data]
columns: {income: income, weight: weight, size: hh_size}
lines: [a=median:0.6, same=median:0.6, abs=abs:8000]
domains: [[urban]]
indicators: [mean, headcount, gap]
design: {strata: stratum, psu: psu}
variance: {method: ` + method + `, replicates: 50, differences: [lines, domains]}
outputs: {report: false}
`
		path := filepath.Join(dir, "study.yaml")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := LoadStudy(path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Run(context.Background(), s, SkipHashes())
		if err != nil {
			t.Fatal(err)
		}
		find := func(ind, line string, dom string) Result {
			t.Helper()
			for _, r := range out.Results {
				if r.Indicator == ind && r.Line == line && domainText(r.Domain) == dom {
					return r
				}
			}
			t.Fatalf("%s: no row %s %s %q", method, ind, line, dom)
			return Result{}
		}
		var diffs, vsAll int
		for _, r := range out.Results {
			switch {
			case strings.HasSuffix(r.Indicator, "_diff"):
				diffs++
				ind := strings.TrimSuffix(r.Indicator, "_diff")
				a, b, _ := strings.Cut(r.Line, "|")
				want := find(ind, a, domainText(r.Domain)).Estimate - find(ind, b, domainText(r.Domain)).Estimate
				if r.Estimate != want {
					t.Errorf("%s %s %s: %v, want %v", method, r.Indicator, r.Line, r.Estimate, want)
				}
				if r.Line == "a|same" && (r.Estimate != 0 || !(math.Abs(r.SE) < 1e-12)) {
					t.Errorf("%s %s a|same: %v ± %v, want 0 ± 0", method, r.Indicator, r.Estimate, r.SE)
				}
				if r.Line == "a|abs" && !(r.SE > 0) {
					t.Errorf("%s %s a|abs: se %v", method, r.Indicator, r.SE)
				}
			case strings.HasSuffix(r.Indicator, "_vs_all"):
				vsAll++
				ind := strings.TrimSuffix(r.Indicator, "_vs_all")
				want := find(ind, r.Line, domainText(r.Domain)).Estimate - find(ind, r.Line, "").Estimate
				if math.Abs(r.Estimate-want) > 1e-15*math.Abs(want)+1e-300 || !(r.SE > 0) {
					t.Errorf("%s %s %s %v: %v ± %v, want %v", method, r.Indicator, r.Line, r.Domain, r.Estimate, r.SE, want)
				}
			default:
				continue
			}
			if !strings.Contains(r.SEMethod, "difference") {
				t.Errorf("%s %s: se_method %q", method, r.Indicator, r.SEMethod)
			}
		}
		// 2 indicators × 3 pairs × 3 domains; 3 indicators (mean, and the
		// 2 line indicators × 3 lines) × 2 urban domains.
		if diffs != 2*3*3 || vsAll != (1+2*3)*2 {
			t.Errorf("%s: %d _diff rows, %d _vs_all rows", method, diffs, vsAll)
		}
	}
}

// TestBootstrapSameBytesWhateverGOMAXPROCS: replicates run in parallel,
// and the results are the same bytes with one worker or several.
func TestBootstrapSameBytesWhateverGOMAXPROCS(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), filepath.Join(dir, "data"), synth.Config{Households: 2000, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	text := `inputs: [data]
columns: {income: income, weight: weight, size: hh_size}
lines: [a=median:0.6, r=mean:0.5@province]
domains: [[urban]]
indicators: [mean, median, headcount, gap, gini]
design: {strata: stratum, psu: psu}
variance: {method: bootstrap, replicates: 30, differences: [lines]}
outputs: {report: false}
`
	path := filepath.Join(dir, "study.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for _, procs := range []int{1, 3} {
		old := runtime.GOMAXPROCS(procs)
		s, err := LoadStudy(path)
		if err == nil {
			var out *Output
			if out, err = Run(context.Background(), s, SkipHashes()); err == nil {
				got = append(got, EncodeJSON(out.Results))
			}
		}
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got[0], got[1]) {
		t.Error("bootstrap results differ between GOMAXPROCS 1 and 3")
	}
	if !bytes.Contains(got[0], []byte(`"se_method":"bootstrap (Rao-Wu, 30 replicates`)) {
		t.Error("no bootstrap standard errors")
	}
}
