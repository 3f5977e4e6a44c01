package synth

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func writeRiskYear(t *testing.T, cfg RiskConfig, y int) []byte {
	t.Helper()
	p, err := NewRiskPanel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.WriteYear(context.Background(), &b, y); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Hand values: Phi(0) = 0.5, Phi(1) = 0.8413447460685429 (published
// tables), and mixtures of them.
func TestPoorProbabilityHand(t *testing.T) {
	const phi1 = 0.8413447460685429
	ln := math.Log(4000.0)
	for _, tt := range []struct {
		name                    string
		mean, sigma, pIll, pDis float64
		want                    float64
	}{
		{"no shock, at the line", ln, 0.4, 0, 0, 0.5},
		{"no shock, one sd above", ln + 0.4, 0.4, 0, 0, 1 - phi1},
		{"no shock, one sd below", ln - 0.3, 0.3, 0, 0, phi1},
		{"sure illness", ln + 0.4, 0.25, 1, 0, 0.5},
		{"sure disaster", ln + 0.5, 0.25, 0, 1, 0.5},
		{"illness half the time", ln, 0.4, 0.5, 0, 0.5*0.5 + 0.5*phi1},
		// Four cells: (0,0) Phi(-1), (1,0) Phi(0), (0,1) Phi(0.25), (1,1) Phi(1.25)
		// with sigma 0.4, mean ln z + 0.4: checked against 1 - Phi(1) = 0.15865525393145707,
		// Phi(0.25) = 0.5987063256829237, Phi(1.25) = 0.8943502263331446.
		{"both", ln + 0.4, 0.4, 0.2, 0.1, 0.8*0.9*0.15865525393145707 + 0.2*0.9*0.5 + 0.8*0.1*0.5987063256829237 + 0.2*0.1*0.8943502263331446},
	} {
		got := PoorProbability(ln, tt.mean, tt.sigma, tt.pIll, tt.pDis, 0.4, 0.5)
		if math.Abs(got-tt.want) > 1e-14 {
			t.Errorf("%s: %.17g, want %.17g", tt.name, got, tt.want)
		}
	}
}

func TestRiskPanelDeterministic(t *testing.T) {
	cfg := RiskConfig{Households: 2000, Years: 3, Seed: 7, RowGroupSize: 700}
	a, b := writeRiskYear(t, cfg, 2), writeRiskYear(t, cfg, 2)
	if !bytes.Equal(a, b) {
		t.Error("same config, different bytes")
	}
	cfg.Seed = 8
	if bytes.Equal(a, writeRiskYear(t, cfg, 2)) {
		t.Error("another seed, same bytes")
	}
	// Row replays the same draws as Generate.
	p, _ := NewRiskPanel(RiskConfig{Households: 50, Years: 4, Seed: 7})
	rows, err := p.Generate(3)
	if err != nil {
		t.Fatal(err)
	}
	if rows[17] != p.Row(17, 3) {
		t.Error("Row differs from Generate")
	}
}

func TestRiskSchema(t *testing.T) {
	cfg := RiskConfig{Households: 1500, Years: 2, Seed: 1, RowGroupSize: 500}
	data := writeRiskYear(t, cfg, 1)
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 1500 || len(f.RowGroups()) != 3 {
		t.Errorf("%d rows in %d row groups, want 1500 in 3", f.NumRows(), len(f.RowGroups()))
	}
	want := map[string]parquet.Kind{
		"hh_id": parquet.Int64, "province": parquet.Int32, "urban": parquet.Boolean, "hh_size": parquet.Int32,
		"labour": parquet.Int32, "illness": parquet.Boolean, "disability": parquet.Boolean,
		"elderly_alone": parquet.Boolean, "disaster": parquet.Boolean, "weight": parquet.Double,
		"income": parquet.Double, "p_poor_next": parquet.Double,
	}
	fields := f.Schema().Fields()
	if len(fields) != len(want) {
		t.Errorf("%d columns, want %d", len(fields), len(want))
	}
	for _, fd := range fields {
		if k, ok := want[fd.Name()]; !ok || !fd.Leaf() || !fd.Required() || fd.Type().Kind() != k {
			t.Errorf("column %q: %v required=%v, want required %v", fd.Name(), fd.Type(), fd.Required(), k)
		}
	}
	got, err := parquet.Read[RiskHousehold](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := NewRiskPanel(cfg)
	rows, _ := p.Generate(1)
	for i := range rows {
		rows[i].Permanent, rows[i].Sigma = 0, 0 // not written
	}
	if !slices.Equal(got, rows) {
		t.Error("rows read back differ from Generate")
	}
}

// The written truth is the closed form of the row, and the generator's
// next-year draws agree with it: over 4 × 20,000 household-years the
// observed poverty rate next year of each decile of p_poor_next is its mean
// p within 4 binomial standard errors, sqrt(sum p(1−p))/n, and so is the
// whole.
func TestRiskTruthCalibrated(t *testing.T) {
	const n, years = 20000, 5
	cfg := RiskConfig{Households: n, Years: years, Seed: 11}
	p, err := NewRiskPanel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var prob []float64
	var poor []bool
	prev, _ := p.Generate(0)
	for y := 1; y < years; y++ {
		rows, _ := p.Generate(y)
		for h := range rows {
			r := prev[h]
			if d := math.Abs(r.PPoorNext - r.PoorNext(DefaultRiskLine)); d > 1e-12 {
				t.Fatalf("household %d year %d: p_poor_next %v, closed form %v", h, y-1, r.PPoorNext, r.PoorNext(DefaultRiskLine))
			}
			if !(r.PPoorNext >= 0 && r.PPoorNext <= 1) {
				t.Fatalf("p_poor_next %v", r.PPoorNext)
			}
			prob = append(prob, r.PPoorNext)
			poor = append(poor, rows[h].Income < DefaultRiskLine)
		}
		prev = rows
	}
	idx := make([]int, len(prob))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(prob[a], prob[b]) })
	check := func(name string, set []int) {
		var sp, se, v float64
		for _, i := range set {
			sp += prob[i]
			v += prob[i] * (1 - prob[i])
			if poor[i] {
				se++
			}
		}
		m := float64(len(set))
		if d, tol := math.Abs(se/m-sp/m), 4*math.Sqrt(v)/m; d > tol {
			t.Errorf("%s: observed %.4f, true %.4f (tolerance %.4f)", name, se/m, sp/m, tol)
		}
	}
	check("all", idx)
	for d := range 10 {
		check("decile "+string(rune('1'+d)), idx[d*len(idx)/10:(d+1)*len(idx)/10])
	}
	// The process is near stationarity: about 16.5% of the sample poor
	// every year.
	var rate float64
	for _, e := range poor {
		if e {
			rate++
		}
	}
	if rate /= float64(len(poor)); rate < 0.15 || rate > 0.18 {
		t.Errorf("poverty rate %.3f, documented about 0.165", rate)
	}
}

func TestWriteRisk(t *testing.T) {
	dir := t.TempDir()
	paths, err := WriteRisk(context.Background(), dir, RiskConfig{Households: 300, Years: 2, FirstYear: 2030, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || paths[1] != filepath.Join(dir, "year=2031", FileName) {
		t.Fatalf("paths %v", paths)
	}
	if _, err := os.Stat(paths[0]); err != nil {
		t.Error(err)
	}
	for _, cfg := range []RiskConfig{{Households: 0}, {Households: 10, Line: -1}, {Households: 10, Years: MaxYears + 1}} {
		if _, err := NewRiskPanel(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", cfg, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WriteRisk(ctx, t.TempDir(), RiskConfig{Households: 10}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
