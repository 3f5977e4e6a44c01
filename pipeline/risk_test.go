package pipeline

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/povstat/povstat/datasets/synth"
	"github.com/povstat/povstat/indices"
)

// Four events and four non-events: the events beat 4, 4, 3 and 2 of the
// non-events, so A = 13/16; placements V1 = {1, 1, 3/4, 1/2} and
// V0 = {1/2, 3/4, 1, 1} give Var = 2 × 0.171875/16.
var aucScore = []float64{0.9, 0.8, 0.6, 0.3, 0.7, 0.5, 0.2, 0.1}
var aucEvent = []bool{true, true, true, true, false, false, false, false}

func TestAUCHand(t *testing.T) {
	score, event := slices.Clone(aucScore), slices.Clone(aucEvent)
	for _, w := range [][]float64{nil, {1, 1, 1, 1, 1, 1, 1, 1}, {3, 3, 3, 3, 3, 3, 3, 3}} {
		a, v := AUC(score, event, w)
		if math.Abs(a-13.0/16) > 1e-15 || math.Abs(v-0.021484375) > 1e-15 {
			t.Errorf("weights %v: AUC %v var %v, want 0.8125, 0.021484375", w, a, v)
		}
	}
	if !slices.Equal(score, aucScore) || !slices.Equal(event, aucEvent) {
		t.Error("inputs changed")
	}
	// Replication: weight 2 on a unit is the unit twice.
	a1, _ := AUC(append(slices.Clone(score), 0.6), append(slices.Clone(event), true), nil)
	a2, _ := AUC(score, event, []float64{1, 1, 2, 1, 1, 1, 1, 1})
	if math.Abs(a1-a2) > 1e-15 {
		t.Errorf("replication %v != weight %v", a1, a2)
	}
	if a, _ := AUC([]float64{1, 1, 1, 1}, []bool{true, false, true, false}, nil); a != 0.5 {
		t.Errorf("all tied: %v, want 0.5", a)
	}
	if a, v := AUC([]float64{1, 2}, []bool{true, true}, nil); !math.IsNaN(a) || !math.IsNaN(v) {
		t.Errorf("no non-event: %v %v, want NaN", a, v)
	}
}

func TestCaptureAtK(t *testing.T) {
	for _, tt := range []struct {
		k, want float64
	}{{0.125, 0.25}, {0.25, 0.5}, {0.375, 0.5}, {0.5, 0.75}, {1, 1}} {
		if got := CaptureAtK(aucScore, aucEvent, nil, tt.k); math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("k=%v: %v, want %v", tt.k, got, tt.want)
		}
	}
	// Ties at the cut are taken in proportion.
	if got := CaptureAtK([]float64{1, 1, 1, 1}, []bool{true, false, false, false}, nil, 0.5); got != 0.5 {
		t.Errorf("tied: %v, want 0.5", got)
	}
	if got := Brier([]float64{0.8, 0.4}, []bool{true, false}, []float64{1, 3}); math.Abs(got-(0.04+3*0.16)/4) > 1e-15 {
		t.Errorf("brier %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("k = 0 did not panic")
		}
	}()
	CaptureAtK(aucScore, aucEvent, nil, 0)
}

// A binary feature without penalty: the MLE is the saturated model,
// b0 = logit(event share at x=0), b0+b1 = logit(event share at x=1).
func TestFitLogisticClosedForm(t *testing.T) {
	x := [][]float64{{0}, {0}, {0}, {1}, {1}, {1}}
	ev := []bool{true, false, false, true, true, false}
	w := []float64{1, 2, 1, 3, 1, 1}
	b, err := FitLogistic(x, ev, w, 0)
	if err != nil {
		t.Fatal(err)
	}
	logit := func(p float64) float64 { return math.Log(p / (1 - p)) }
	want := []float64{logit(1.0 / 4), logit(4.0/5) - logit(1.0/4)}
	for k := range want {
		if math.Abs(b[k]-want[k]) > 1e-9 {
			t.Errorf("b = %v, want %v", b, want)
		}
	}
	// Intercept only: logit of the weighted share, whatever the scale of w.
	b, err = FitLogistic([][]float64{{}, {}, {}}, []bool{true, false, false}, []float64{30, 5, 5}, 0.1)
	if err != nil || math.Abs(b[0]-math.Log(3)) > 1e-9 {
		t.Errorf("intercept only: %v %v, want ln 3", b, err)
	}
	// With a penalty the gradient vanishes: sum w (p - e) x / W + lambda b = 0.
	b, err = FitLogistic(x, ev, w, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	var g0, g1 float64
	for i := range x {
		r := sigmoid(b[0] + b[1]*x[i][0])
		if ev[i] {
			r--
		}
		g0 += w[i] * r / 9
		g1 += w[i] * r * x[i][0] / 9
	}
	g1 += 0.5 * b[1]
	if math.Abs(g0) > 1e-10 || math.Abs(g1) > 1e-10 || !(b[1] > 0 && b[1] < want[1]) {
		t.Errorf("penalised: b %v, gradient %v %v", b, g0, g1)
	}
	if _, err := FitLogistic(x, []bool{false, false, false, false, false, false}, nil, 0.1); err == nil {
		t.Error("no event: no error")
	}
}

func TestRiskSynth(t *testing.T) {
	if testing.Short() {
		t.Skip("synthetic panel")
	}
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), dir, synth.Config{Households: 6000, Years: 5, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	rules, err := ParseRules("low=income<1.5*line\nfall=fall>0.3\nillness=illness\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, pop := range []string{"exited", "nonpoor"} {
		t.Run(pop, func(t *testing.T) {
			s := dynStudy(t, dir, "rel=median:0.6@year")
			out, err := RunRisk(context.Background(), s, Risk{ID: "hh_id", Year: "year", Population: pop, Rules: rules,
				Features: []string{"labour", "illness", "disability", "n_elderly", "disaster"}})
			if err != nil {
				t.Fatal(err)
			}
			auc := map[string]float64{}
			for _, r := range out.Results {
				if r.Indicator == "auc" {
					auc[r.Model] = r.Estimate
					t.Logf("%s auc %.4f [%.4f, %.4f] n %d", r.Model, r.Estimate, r.CILower, r.CIUpper, r.N)
				}
				if r.Domain[0].Value != "2024" {
					t.Errorf("row in year %s", r.Domain[0].Value)
				}
			}
			// A random score on the same households.
			rng := rand.New(rand.NewPCG(1, 0))
			sc, ev, w := make([]float64, len(out.Scores)), make([]bool, len(out.Scores)), make([]float64, len(out.Scores))
			for i, s := range out.Scores {
				sc[i], ev[i], w[i] = rng.Float64(), s.Returned, s.Weight
			}
			random, _ := AUC(sc, ev, w)
			t.Logf("random auc %.4f, %d scored", random, len(out.Scores))
			if !(auc["score"] > 0.7) || !(auc["score"] > random+0.15) {
				t.Errorf("score AUC %v, random %v", auc["score"], random)
			}
			if !(auc["score"] > auc["rule:fall"]) || !(auc["score"] > auc["rule:low"]) {
				t.Errorf("score AUC %v not above the rules: %v", auc["score"], auc)
			}
		})
	}
}

// riskPanel writes a CSV panel of n households over 4 years with a random
// walk in log income; perm, when set, permutes the incomes of the last year.
func riskPanel(t *testing.T, path string, n int, shuffle bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 0))
	var b strings.Builder
	b.WriteString("hh_id,year,income,weight,score_x\n")
	last := make([]float64, n)
	rows := make([][]float64, 4)
	for y := range 4 {
		rows[y] = make([]float64, n)
		for h := range n {
			if y == 0 {
				last[h] = math.Log(100) + 0.6*rng.NormFloat64()
			} else {
				last[h] = 0.5*last[h] + 0.5*math.Log(100) + 0.4*rng.NormFloat64()
			}
			rows[y][h] = math.Exp(last[h] + 0.5)
		}
	}
	if shuffle {
		rand.New(rand.NewPCG(6, 0)).Shuffle(n, func(i, j int) { rows[3][i], rows[3][j] = rows[3][j], rows[3][i] })
	}
	for y := range 4 {
		for h := range n {
			fmt.Fprintf(&b, "%d,%d,%.4f,%d,%.3f\n", h+1, 2020+y, rows[y][h], 1+h%3, rng.Float64())
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRiskNoLeakage(t *testing.T) {
	dir := t.TempDir()
	var coefs [2][]Coefficient
	var aucs [2]float64
	for k, shuffle := range []bool{false, true} {
		path := filepath.Join(dir, fmt.Sprintf("p%d.csv", k))
		riskPanel(t, path, 1500, shuffle)
		s := dynStudy(t, path, "z=abs:100")
		out, err := RunRisk(context.Background(), s, Risk{ID: "hh_id", Year: "year", Population: "nonpoor", Features: []string{"score_x"}})
		if err != nil {
			t.Fatal(err)
		}
		coefs[k] = out.Coefficients
		aucs[k] = out.Results[0].Estimate
		if out.Results[0].Indicator != "auc" || out.Results[0].Model != "score" {
			t.Fatalf("first row %+v", out.Results[0])
		}
	}
	if !slices.Equal(coefs[0], coefs[1]) {
		t.Errorf("coefficients depend on the test year:\n%v\n%v", coefs[0], coefs[1])
	}
	if !(aucs[0] > 0.65) || !(math.Abs(aucs[1]-0.5) < 0.1) {
		t.Errorf("AUC %v (real), %v (shuffled outcome)", aucs[0], aucs[1])
	}
	t.Logf("AUC %v, shuffled %v", aucs[0], aucs[1])
	// Too few events to train.
	path := filepath.Join(dir, "p0.csv")
	s := dynStudy(t, path, "z=abs:1")
	if _, err := RunRisk(context.Background(), s, Risk{ID: "hh_id", Year: "year"}); err == nil || !strings.Contains(err.Error(), "too few events") {
		t.Errorf("no events: err %v", err)
	}
}

// With bootstrap SEs the validation rows vary with the replicates' weights
// of the scored households, the model fixed: the Brier score's SE is that
// of its ratio's linearized variable, written out here from the scores and
// given to indices.Linearized over the full design (within Monte-Carlo
// error); the AUC keeps DeLong's interval, the coefficients have none.
func TestRiskBootstrapValidation(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), dir, synth.Config{Households: 4000, Years: 4, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "r", Inputs: []string{dir}, Income: "income", Weight: "weight", Strata: "stratum", PSU: "psu",
		SEMethod: "bootstrap", Replicates: 250, Seed: 5, Lines: []Line{mustLine(t, "rel=median:0.6@year")}}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	out, err := RunRisk(context.Background(), s, Risk{ID: "hh_id", Year: "year", Population: "nonpoor", Penalty: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	u, unit := panelUnits(t, s)
	sq := make([]float64, len(u.x)) // (s - y)^2 on the scored units
	in := make([]float64, len(u.x))
	var num, den float64
	for _, sc := range out.Scores {
		i, ok := unit[[2]string{sc.ID, sc.Year}]
		if !ok || sc.Weight != u.w[i] {
			t.Fatalf("score of %s %s: no unit with its weight", sc.ID, sc.Year)
		}
		y := b2f(sc.Returned)
		sq[i], in[i] = (sc.Score-y)*(sc.Score-y), 1
		num += u.w[i] * sq[i]
		den += u.w[i]
	}
	infl := make([]float64, len(u.x))
	for i := range infl {
		infl[i] = (sq[i] - num/den*in[i]) / den
	}
	design := indices.Design{Strata: u.factors["stratum"].codes, PSU: u.factors["psu"].codes, Weights: u.w}
	ref := indices.Linearized(design, infl).SE
	var seen int
	for _, r := range out.Results {
		switch {
		case r.Indicator == "brier" && r.Model == "score":
			seen++
			t.Logf("brier SE %v, linearized %v (ratio %.3f)", r.SE, ref, r.SE/ref)
			if math.Abs(r.Estimate-num/den) > 1e-12 || math.Abs(r.SE/ref-1) > 0.15 || !strings.HasSuffix(r.SEMethod, "model and line fixed") {
				t.Errorf("brier %v ± %v (%s), linearized by hand %v ± %v", r.Estimate, r.SE, r.SEMethod, num/den, ref)
			}
		case r.Indicator == "auc":
			seen++
			if r.SEMethod != "delong" {
				t.Errorf("auc: %q, want delong", r.SEMethod)
			}
		case r.Indicator == "penalty":
			if r.SEMethod != "unavailable" {
				t.Errorf("penalty: %q, want unavailable", r.SEMethod)
			}
		}
	}
	if seen != 2 {
		t.Errorf("%d brier and auc rows", seen)
	}

	// The coefficients: the bootstrap refits the model per replicate, the
	// linearized SEs come from the sandwich of the penalised estimating
	// equation; two independent ways that agree within Monte-Carlo error.
	ls := *s
	ls.SEMethod = "linearized"
	lin, err := RunRisk(context.Background(), &ls, Risk{ID: "hh_id", Year: "year", Population: "nonpoor", Penalty: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	var ratios []float64
	for i, r := range out.Results {
		l := lin.Results[i]
		if r.Indicator != "coefficient" && r.Indicator != "odds_ratio" {
			continue
		}
		if l.Indicator != r.Indicator || l.Cell != r.Cell || l.Estimate != r.Estimate {
			t.Fatalf("row %d: %s %s, linearized run's %s %s", i, r.Indicator, r.Cell, l.Indicator, l.Cell)
		}
		if !strings.HasSuffix(r.SEMethod, "penalty and line fixed") || !strings.HasSuffix(l.SEMethod, "penalty and line fixed") {
			t.Errorf("%s %s: methods %q and %q", r.Indicator, r.Cell, r.SEMethod, l.SEMethod)
		}
		if l.SE > 0 {
			ratios = append(ratios, r.SE/l.SE)
			t.Logf("%s %s: bootstrap %.4g, linearized %.4g", r.Indicator, r.Cell, r.SE, l.SE)
		}
		if r.Indicator == "odds_ratio" && l.SE > 0 && !(l.CILower < r.Estimate && r.Estimate < l.CIUpper && math.Abs(math.Log(l.CIUpper)+math.Log(l.CILower)-2*math.Log(r.Estimate)) < 1e-9) {
			t.Errorf("odds ratio %s: interval [%v, %v] is not exp(b -+ t se) around %v", r.Cell, l.CILower, l.CIUpper, r.Estimate)
		}
	}
	slices.Sort(ratios)
	if len(ratios) < 4 || ratios[len(ratios)/2] < 0.85 || ratios[len(ratios)/2] > 1.2 || ratios[0] < 0.5 || ratios[len(ratios)-1] > 2 {
		t.Errorf("bootstrap over linearized SEs of the coefficients: %.3f", ratios)
	}
}
