package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cvData draws folds 1..3 of n rows each with p standard normal features;
// the outcome is logistic in the features with slopes beta (all zero:
// pure noise around the base rate 0.3).
func cvData(seed uint64, n, p int, beta float64) (x [][]float64, ev []bool, fold []int) {
	rng := rand.New(rand.NewPCG(seed, 0))
	for f := 1; f <= 3; f++ {
		for range n {
			row := make([]float64, p)
			eta := math.Log(0.3 / 0.7)
			for k := range row {
				row[k] = rng.NormFloat64()
				eta += beta * row[k]
			}
			x = append(x, row)
			ev = append(ev, rng.Float64() < sigmoid(eta))
			fold = append(fold, f)
		}
	}
	return x, ev, fold
}

func TestRollingPenaltyCVChoice(t *testing.T) {
	grid := DefaultPenaltyGrid()
	if len(grid) != 11 || math.Abs(grid[0]-1e-4) > 1e-18 || math.Abs(grid[10]-10) > 1e-12 || math.Abs(grid[4]-0.01) > 1e-15 {
		t.Fatalf("grid %v", grid)
	}
	// A large sample with a clear signal wants little shrinkage; a small
	// one of pure noise wants the most (every slope at 0).
	xc, ec, fc := cvData(1, 3000, 5, 1)
	lossC, foldsC := RollingPenaltyCV(xc, ec, nil, fc, grid)
	xn, en, fn := cvData(2, 40, 8, 0)
	lossN, foldsN := RollingPenaltyCV(xn, en, nil, fn, grid)
	if foldsC != 2 || foldsN != 2 {
		t.Fatalf("folds %d %d, want 2 (folds 2 and 3 validated)", foldsC, foldsN)
	}
	bc, bn := bestPenalty(grid, lossC), bestPenalty(grid, lossN)
	t.Logf("clean: lambda %v loss %v\nnoisy: lambda %v loss %v", grid[bc], lossC, grid[bn], lossN)
	if !(grid[bn] > grid[bc]) || grid[bc] > 0.01 || grid[bn] < 0.1 {
		t.Errorf("penalty chosen: noisy %v, clean %v", grid[bn], grid[bc])
	}
	if !(lossC[bc] < lossC[len(grid)-1]) || !(lossN[bn] < lossN[0]) {
		t.Errorf("losses not better at the choice: %v %v", lossC, lossN)
	}
}

// With an enormous penalty the slopes vanish: each fold's prediction is
// the fitted rows' weighted event share p, and the loss the pooled
// −sum w [e ln p + (1 − e) ln(1 − p)] / sum w.
func TestRollingPenaltyCVInterceptOnly(t *testing.T) {
	x := [][]float64{{1}, {2}, {3}, {4}, {5}, {6}, {7}, {math.NaN()}}
	ev := []bool{true, false, false, true, true, false, true, false}
	w := []float64{1, 3, 1, 2, 1, 1, 2, 2}
	fold := []int{1, 1, 1, 2, 2, 3, 3, 3}
	loss, folds := RollingPenaltyCV(x, ev, w, fold, []float64{1e12})
	// Fold 2: fitted on fold 1, p = 1/5; validates units 4 (e, w 2), 5 (e, w 1).
	// Fold 3: fitted on folds 1-2, p = 4/8; validates w 1 (no), 2 (yes), 2 (no).
	l2 := -3 * math.Log(0.2)
	l3 := -5 * math.Log(0.5)
	want := (l2 + l3) / 8
	if folds != 2 || math.Abs(loss[0]-want) > 1e-9 {
		t.Errorf("loss %v folds %d, want %v, 2", loss, folds, want)
	}
	// A fold whose earlier rows have no event is skipped.
	ev2 := []bool{false, false, false, true, true, false, true, false}
	loss, folds = RollingPenaltyCV(x, ev2, w, fold, []float64{1e12})
	if folds != 1 || math.Abs(loss[0]-(-(2*math.Log(3.0/8)+3*math.Log(5.0/8)))/5) > 1e-9 {
		t.Errorf("skipped fold: loss %v folds %d", loss, folds)
	}
	// One fold only: nothing to validate.
	loss, folds = RollingPenaltyCV(x[:3], ev[:3], w[:3], fold[:3], []float64{1})
	if folds != 0 || !math.IsNaN(loss[0]) {
		t.Errorf("one fold: %v %d", loss, folds)
	}
	if g := bestPenalty([]float64{1, 2, 3}, []float64{0.5, 0.4, 0.4}); g != 2 {
		t.Errorf("tie: best %d, want the larger penalty (2)", g)
	}
}

// A saturated model on one categorical feature (an indicator for each
// non-base level, no penalty) reproduces the weighted event rate of each
// level; the base is the most frequent level in training.
func TestCategoricalSaturated(t *testing.T) {
	levels := []string{"b", "a", "c"}
	codes := []int32{0, 0, 1, 1, 1, 1, 2, 2, 2, -1}
	ev := []bool{true, false, true, false, false, true, true, true, false, true}
	w := []float64{1, 3, 2, 1, 1, 4, 1, 1, 2, 1}
	pr := &riskPairs{}
	for q := range codes {
		pr.row = append(pr.row, q)
		pr.x = append(pr.x, []float64{})
	}
	enc := &riskEncoding{}
	train := []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
	pr.encodeCategorical(enc, []featureValues{{name: "g", codes: codes, levels: levels}}, train)
	if !slices.Equal(enc.names, []string{"g=b", "g=c"}) || enc.cats[0].base != 1 {
		t.Fatalf("names %v base %d, want g=b, g=c and base a (most frequent)", enc.names, enc.cats[0].base)
	}
	if !math.IsNaN(pr.x[9][0]) || pr.x[0][0] != 1 || pr.x[0][1] != 0 || pr.x[2][0] != 0 || pr.x[6][1] != 1 {
		t.Fatalf("indicators %v", pr.x)
	}
	mean, sd := standardizeRows(pr.x, train)
	z := designRows(pr.x, train, mean, sd)
	b, err := FitLogistic(z, pick(ev, train), w[:9], 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32]float64{0: 1.0 / 4, 1: 6.0 / 8, 2: 2.0 / 4} // b, a, c
	for a, q := range train {
		if p := sigmoid(linear(b, z[a])); math.Abs(p-want[codes[q]]) > 1e-8 {
			t.Errorf("unit %d (level %s): p %v, want %v", q, levels[codes[q]], p, want[codes[q]])
		}
	}
	// The reasons of a household at level c: the two indicators count as
	// one contribution, named by its own level.
	zz := designRows(pr.x, []int{6}, mean, sd)[0]
	got := riskReasons(b[1:], zz, enc, func(int) int32 { return codes[6] }, 3)
	if c := b[1]*zz[0] + b[2]*zz[1]; c > 0 && !slices.Equal(got, []string{"g=c"}) || c <= 0 && len(got) != 0 {
		t.Errorf("reasons %v (contribution %v)", got, c)
	}
}

func TestTopReasons(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	b := []float64{1, -2, 0.5, 3, 1}
	z := []float64{0.5, -1, 4, -0.1, 0.2}
	// Contributions 0.5, 2, 2, −0.3, 0.2: b and c tie (feature order), then a.
	if got := TopReasons(names, b, z, 3); !slices.Equal(got, []string{"b", "c", "a"}) {
		t.Errorf("top 3: %v", got)
	}
	if got := TopReasons(names, b, z, 5); !slices.Equal(got, []string{"b", "c", "a", "e"}) {
		t.Errorf("only positive contributions: %v", got)
	}
	if got := TopReasons(names, b, []float64{0, 0, 0, 0, 0}, 3); len(got) != 0 {
		t.Errorf("at the mean: %v", got)
	}
}

func TestTiers(t *testing.T) {
	got := Tiers([]float64{0.05, 0.1, 0.2, 0.3, 0.5, 0.0999}, nil, DefaultRiskTiers, false)
	if want := []string{"low", "medium", "medium", "high", "high", "low"}; !slices.Equal(got, want) {
		t.Errorf("thresholds: %v, want %v", got, want)
	}
	// Shares 0.2 and 0.5 of ten scores: the cuts are the quantiles 0.8
	// (0.85) and 0.5 (0.55), so 0.9 and 1 are high, 0.6 to 0.8 medium.
	s := []float64{0.3, 0.1, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}
	got = Tiers(s, nil, []float64{0.2, 0.5}, true)
	want := []string{"low", "low", "low", "low", "low", "medium", "medium", "medium", "high", "high"}
	if !slices.Equal(got, want) {
		t.Errorf("shares: %v, want %v", got, want)
	}
	// Weight 5 on 0.1 (total 14): the quantile 0.8 (11.2 of 14) is 0.8
	// (cumulative 12), so 0.9 and 1 are high and 0.8 medium.
	w := []float64{1, 5, 1, 1, 1, 1, 1, 1, 1, 1}
	got = Tiers(s, w, []float64{0.2, 0.5}, true)
	if got[7] != "medium" || got[8] != "high" || got[9] != "high" {
		t.Errorf("weighted shares: %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("thresholds out of order did not panic")
		}
	}()
	Tiers(s, nil, []float64{0.1, 0.3}, false)
}

func TestCurveRows(t *testing.T) {
	score := []float64{0, 0.05, 0.0499, 1, 0.97, 0.5, 0.3, 0.95}
	ev := []bool{true, true, false, true, false, false, true, true}
	w := []float64{1, 2, 1, 1, 3, 1, 1, 1}
	v := riskRows{line: "z", ev: ev, w: w}
	rows := v.curveRows(score)
	sums := map[string]float64{}
	got := map[string]float64{}
	var curve []Result
	for _, r := range rows {
		switch r.Indicator {
		case "score_distribution":
			sums[r.Cell] += r.Estimate
			got[fmt.Sprintf("%s %.2f", r.Cell, *r.At)] = r.Estimate
		case "capture_curve":
			curve = append(curve, r)
		}
	}
	if len(curve) != 50 || len(rows) != 90 {
		t.Fatalf("%d curve rows, %d rows", len(curve), len(rows))
	}
	for cell, s := range sums {
		if math.Abs(s-1) > 1e-12 {
			t.Errorf("%s: shares sum to %v", cell, s)
		}
	}
	// Events (weight 6): 0 (w 1) and 0.05 (w 2) in bins 0 and 0.05, 0.3
	// in 0.30, 0.95 and 1 in the last bin (closed at 1). Non-events (weight
	// 5): 0.0499 in bin 0, 0.5 in 0.50, 0.97 (w 3) in 0.95.
	for key, want := range map[string]float64{"returned 0.00": 1.0 / 6, "returned 0.05": 2.0 / 6, "returned 0.30": 1.0 / 6,
		"returned 0.95": 2.0 / 6, "not_returned 0.00": 1.0 / 5, "not_returned 0.50": 1.0 / 5, "not_returned 0.95": 3.0 / 5, "returned 0.90": 0} {
		if math.Abs(got[key]-want) > 1e-15 {
			t.Errorf("%s: %v, want %v", key, got[key], want)
		}
	}
	prev := 0.0
	for j, r := range curve {
		if *r.At != float64(j+1)/50 || r.Estimate < prev {
			t.Errorf("curve point %d: at %v estimate %v after %v", j, *r.At, r.Estimate, prev)
		}
		prev = r.Estimate
		if k := *r.At; k == 0.1 || k == 0.5 {
			if c := CaptureAtK(score, ev, w, k); c != r.Estimate {
				t.Errorf("at %v: %v, capture_at_k %v", k, r.Estimate, c)
			}
		}
	}
	if curve[49].Estimate != 1 {
		t.Errorf("capture at 1: %v", curve[49].Estimate)
	}
}

// The SD of the log income changes of household 0 up to each wave.
func TestVolatility(t *testing.T) {
	x := []float64{100, 200, 100, 0, 400, 800}
	p := &panel{u: &units{x: x}, years: []string{"1", "2", "3", "4", "5", "6"}, at: []int32{0, 1, 2, 3, 4, 5}}
	ln2 := math.Log(2)
	// Changes: +ln2, −ln2, (none: 0 income), (none), +ln2; with all three
	// the mean is ln2/3, the squared deviations (4 + 16 + 4)/9 ln2², over 2.
	for k, want := range map[int]float64{1: math.NaN(), 2: ln2 * math.Sqrt2, 4: ln2 * math.Sqrt2, 5: ln2 * math.Sqrt(4.0/3)} {
		got := p.volatility(0, k)
		if math.IsNaN(want) != math.IsNaN(got) || math.Abs(got-want) > 1e-12 {
			t.Errorf("wave %d: %v, want %v", k, got, want)
		}
	}
}

// regionPanel writes a CSV panel: households 1-4 in region north, 5-8 in
// south, three years; grp a string feature and num a numeric one.
func regionPanel(t *testing.T, path string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("hh_id,year,income,weight,region,grp,num\n")
	inc := [][]float64{
		{50, 150, 50}, {50, 150, 150}, {150, 150, 50}, {150, 50, 150},
		{50, 150, 150}, {150, 150, 150}, {50, 50, 150}, {150, 150, 50},
	}
	for y := range 3 {
		for h, row := range inc {
			rg, grp := "north", []string{"x", "y", "x", "x"}[h%4]
			if h >= 4 {
				rg = "south"
			}
			fmt.Fprintf(&b, "%d,%d,%v,%d,%s,%s,%d\n", h+1, 2020+y, row[y], 1+h%2, rg, grp, h%3)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRiskRegionAndKinds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "panel.csv")
	regionPanel(t, path)
	s := dynStudy(t, path, "z=abs:100")
	out, err := RunRisk(context.Background(), s, Risk{ID: "hh_id", Year: "year", Population: "all", Region: "region",
		Features: []string{"grp", "num"}, Penalty: 0.1, Tiers: []float64{0.5, 0.2}})
	if err != nil {
		t.Fatal(err)
	}
	var cells []string
	for _, c := range out.Coefficients {
		cells = append(cells, c.Feature)
	}
	want := []string{"(intercept)", "log_income_ratio", "income_change", "income_change_missing", "years_poor", "years_since_poor", "income_volatility",
		"region_poverty_rate", "region_return_rate", "num", "grp=y"}
	if !slices.Equal(cells, want) {
		t.Fatalf("coefficients %v, want %v", cells, want)
	}
	// Training pairs are 2020 → 2021 (all eight). region_poverty_rate in
	// 2020: north has households 1, 2 poor (weights 1, 2) of weight 6, so
	// 3/6; south 5, 7 poor (1, 1) of 6, so 2/6. Unweighted mean over the
	// eight pairs: (4·3/6 + 4·2/6)/8 = 5/12. region_return_rate in 2020 has
	// no pairs: missing everywhere.
	if m := out.Coefficients[7].Mean; math.Abs(m-5.0/12) > 1e-15 {
		t.Errorf("region_poverty_rate mean %v, want 5/12", m)
	}
	if c := out.Coefficients[8]; c.Mean != 0 || c.SD != 1 || c.Value != 0 {
		t.Errorf("region_return_rate (all missing in training): %+v", c)
	}
	if out.Penalty != 0.1 {
		t.Errorf("penalty %v", out.Penalty)
	}
	counts := map[string]int{}
	for _, r := range out.Results {
		counts[r.Indicator]++
		if r.Indicator == "scored" && (len(r.Domain) != 2 || r.Domain[1].Column != "region") {
			t.Errorf("scored row domain %v", r.Domain)
		}
	}
	if counts["scored"] != 6 || counts["odds_ratio"] != 10 || counts["coefficient"] != 11 || counts["penalty"] != 1 || counts["cv_log_loss"] != 0 {
		t.Errorf("row counts %v", counts)
	}
	var nScored int
	for _, r := range out.Results {
		if r.Indicator == "scored" {
			nScored += r.N
		}
	}
	if nScored != len(out.Scores) || len(out.Scores) != 8 {
		t.Errorf("scored %d of %d", nScored, len(out.Scores))
	}
	for _, sc := range out.Scores {
		if want := Tiers([]float64{sc.Score}, nil, []float64{0.5, 0.2}, false)[0]; sc.Tier != want || len(sc.Reasons) > 3 {
			t.Errorf("%+v", sc)
		}
	}
	csv := string(EncodeScores(out.Scores, "hh_id", "year", "weight"))
	if !strings.HasPrefix(csv, "hh_id,year,score,tier,returned,weight,reasons,rules\n") {
		t.Errorf("scores header: %q", csv[:60])
	}
	// Forced kinds: num as a category.
	out, err = RunRisk(context.Background(), s, Risk{ID: "hh_id", Year: "year", Population: "all", Features: []string{"num:cat"}, Penalty: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if cells := out.Coefficients[len(out.Coefficients)-2:]; cells[0].Feature != "num=1" || cells[1].Feature != "num=2" {
		t.Errorf("num:cat: %v", cells)
	}
	if _, err := RunRisk(context.Background(), s, Risk{ID: "hh_id", Year: "year", Features: []string{"grp:num"}}); err == nil {
		t.Error("grp:num: no error")
	}
}

func TestRiskTooFewEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "panel.csv")
	regionPanel(t, path)
	// Nobody poor under a line of 1: no event in training.
	s := dynStudy(t, path, "z=abs:1")
	_, err := RunRisk(context.Background(), s, Risk{ID: "hh_id", Year: "year", Population: "all"})
	if !errors.Is(err, ErrTooFewEvents) || !strings.Contains(err.Error(), "0 returns to poverty") {
		t.Errorf("err %v", err)
	}
	// Everybody poor in 2020, so nobody at risk (exited needs two earlier years).
	s = dynStudy(t, path, "z=abs:100")
	_, err = RunRisk(context.Background(), s, Risk{ID: "hh_id", Year: "year"})
	if !errors.Is(err, ErrTooFewEvents) {
		t.Errorf("exited: err %v", err)
	}
	_, err = RunRisk(context.Background(), s, Risk{ID: "hh_id", Year: "year", TestYear: "2021"})
	if !errors.Is(err, ErrTooFewEvents) || !strings.Contains(err.Error(), "two earlier years") {
		t.Errorf("test year 2021: err %v", err)
	}
}
