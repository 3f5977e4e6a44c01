package pipeline

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/povstat/povstat/datasets/synth"
)

// The risk panel of datasets/synth (documented in its package doc, "Return-
// to-poverty panel") knows the true probability of being poor next year,
// so the score can be compared with the best achievable score on the same
// pairs.
const (
	truthHouseholds = 20000
	truthYears      = 6
	truthSeed       = 2026
)

// truthPanel writes the risk panel to a temporary directory.
func truthPanel(t *testing.T) (dir string, p *synth.RiskPanel) {
	t.Helper()
	cfg := synth.RiskConfig{Households: truthHouseholds, Years: truthYears, Seed: truthSeed}
	dir = t.TempDir()
	if _, err := synth.WriteRisk(context.Background(), dir, cfg); err != nil {
		t.Fatal(err)
	}
	p, err := synth.NewRiskPanel(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dir, p
}

// truthStudy is the study of the risk panel under the absolute line of the
// generator, one unit per household row.
func truthStudy(t *testing.T, dir string) *Study {
	t.Helper()
	l, err := ParseLine("z=abs:" + strconv.Itoa(synth.DefaultRiskLine))
	if err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "truth", Inputs: []string{dir}, Income: "income", Weight: "weight", Lines: []Line{l}}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	return s
}

// pairedAUC computes, by brute force from the definition, the weighted AUCs
// of two scores on the same units and DeLong's variance of their
// difference, from the placement values V1 (events) and V0 (non-events) of
// each score:
//
//	Var(A_a - A_b) = sum_events w_i^2 (D1_i - (A_a - A_b))^2 / W1^2 + sum_non w_j^2 (D0_j - (A_a - A_b))^2 / W0^2
//
// with D = V_a - V_b (DeLong et al. 1988, with weights as in AUC).
func pairedAUC(a, b []float64, ev []bool, w []float64) (aucA, aucB, seDiff float64) {
	psi := func(x, y float64) float64 {
		switch {
		case x > y:
			return 1
		case x == y:
			return 0.5
		}
		return 0
	}
	var w1, w0 float64
	for i := range ev {
		if ev[i] {
			w1 += w[i]
		} else {
			w0 += w[i]
		}
	}
	va, vb := make([]float64, len(ev)), make([]float64, len(ev))
	for i := range ev {
		for j := range ev {
			switch {
			case ev[i] && !ev[j]:
				va[i] += w[j] * psi(a[i], a[j]) / w0
				vb[i] += w[j] * psi(b[i], b[j]) / w0
			case !ev[i] && ev[j]:
				va[i] += w[j] * psi(a[j], a[i]) / w1
				vb[i] += w[j] * psi(b[j], b[i]) / w1
			}
		}
		if ev[i] {
			aucA += w[i] * va[i] / w1
			aucB += w[i] * vb[i] / w1
		}
	}
	var v float64
	for i := range ev {
		d := va[i] - vb[i] - (aucA - aucB)
		if ev[i] {
			v += w[i] * w[i] * d * d / (w1 * w1)
		} else {
			v += w[i] * w[i] * d * d / (w0 * w0)
		}
	}
	return aucA, aucB, math.Sqrt(v)
}

// truthPairs returns, for the scored households of the test year (index
// test), the true probability p_poor_next and the income of the year before.
func truthPairs(t *testing.T, p *synth.RiskPanel, test int, ids []string) (truth, income []float64) {
	t.Helper()
	prev, err := p.Generate(test - 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		h, err := strconv.Atoi(id)
		if err != nil || h < 1 || h > len(prev) {
			t.Fatalf("id %q", id)
		}
		truth = append(truth, prev[h-1].PPoorNext)
		income = append(income, prev[h-1].Income)
	}
	return truth, income
}

var truthFeatures = []string{"illness", "disability", "elderly_alone", "urban", "labour", "hh_size", "disaster"}

// TestRiskAgainstTruth fits the score on the risk panel (households that
// left poverty, 20,000 households × 6 years, tested on the last year) and
// compares it on the same test pairs with the truth p_poor_next of the year
// before, with the income-only ranking (lowest income first, the order of
// -log_income_ratio) and with the rule income < 1.5 × line.
//
// Tolerances come from the sampling error, not from the results:
//   - best AUC: the gap A_truth − A_score must be below 0.03, and the
//     paired DeLong SE of the gap must be below 0.01, so that 0.03 is at
//     least 3 SE: a model that is really within 0.03 of the best fails only
//     by a 3-SE accident, and the check means something;
//   - beats chance and the income-only rankings: A_score − 0.5 and
//     A_score − A_income above 3 paired SEs (one-sided 0.13% by accident);
//
// Calibration is checked by TestRiskCalibrationAgainstTruth.
func TestRiskAgainstTruth(t *testing.T) {
	dir, p := truthPanel(t)
	s := truthStudy(t, dir)
	rules, err := ParseRules("low=income<1.5*line\n")
	if err != nil {
		t.Fatal(err)
	}
	out, err := RunRisk(context.Background(), s, Risk{ID: "hh_id", Year: "year", Features: truthFeatures, Population: "exited", Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	test := truthYears - 1
	n := len(out.Scores)
	ids := make([]string, n)
	score, w := make([]float64, n), make([]float64, n)
	ev := make([]bool, n)
	low := make([]float64, n)
	for i, r := range out.Scores {
		ids[i], score[i], w[i], ev[i] = r.ID, r.Score, r.Weight, r.Returned
		if slices.Contains(r.Rules, "low") {
			low[i] = 1
		}
		if r.Year != strconv.Itoa(synth.DefaultFirstYear+test) {
			t.Fatalf("scored year %s", r.Year)
		}
	}
	truth, income := truthPairs(t, p, test, ids)
	now, err := p.Generate(test)
	if err != nil {
		t.Fatal(err)
	}
	negIncome := make([]float64, n)
	for i, id := range ids {
		h, _ := strconv.Atoi(id)
		if ev[i] != (now[h-1].Income < synth.DefaultRiskLine) {
			t.Fatalf("household %s: returned %v, income %v", id, ev[i], now[h-1].Income)
		}
		negIncome[i] = -income[i]
	}
	aM, aT, seMT := pairedAUC(score, truth, ev, w)
	_, aI, seMI := pairedAUC(score, negIncome, ev, w)
	_, aL, seML := pairedAUC(score, low, ev, w)
	aucM, varM := AUC(score, ev, w)
	if math.Abs(aucM-aM) > 1e-9 {
		t.Fatalf("brute-force AUC %v, AUC %v", aM, aucM)
	}
	seM := math.Sqrt(varM)
	t.Logf("%d pairs: AUC score %.4f (SE %.4f), truth %.4f, -income %.4f, rule low %.4f; paired SE truth-score %.4f, score-income %.4f, score-low %.4f",
		n, aM, seM, aT, aI, aL, seMT, seMI, seML)
	if seMT > 0.01 {
		t.Errorf("SE of the gap to the best AUC %.4f: too few pairs for the 0.03 check", seMT)
	}
	if gap := aT - aM; gap > 0.03 {
		t.Errorf("score AUC %.4f is %.4f below the best achievable %.4f", aM, gap, aT)
	}
	if aM-0.5 < 3*seM {
		t.Errorf("score AUC %.4f not above chance by 3 SE (%.4f)", aM, seM)
	}
	if aM-aI < 3*seMI {
		t.Errorf("score AUC %.4f not above income-only %.4f by 3 paired SE (%.4f)", aM, aI, seMI)
	}
	if aM-aL < 3*seML {
		t.Errorf("score AUC %.4f not above the rule income < 1.5 line %.4f by 3 paired SE (%.4f)", aM, aL, seML)
	}
	// The same AUC is reported in the results.
	for _, r := range out.Results {
		if r.Model == "score" && r.Indicator == "auc" && math.Abs(r.Estimate-aM) > 1e-12 {
			t.Errorf("reported AUC %v, scores give %v", r.Estimate, aM)
		}
	}
}

// truthScores runs the score on the risk panel (households that left
// poverty, the last year tested) and returns the test pairs: score, truth,
// outcome, weight, and the number of training pairs.
func truthScores(t *testing.T) (score, truth []float64, ev []bool, w []float64, train int) {
	t.Helper()
	dir, p := truthPanel(t)
	out, err := RunRisk(context.Background(), truthStudy(t, dir), Risk{ID: "hh_id", Year: "year", Features: truthFeatures, Population: "exited"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range out.Scores {
		ids = append(ids, r.ID)
		score, ev, w = append(score, r.Score), append(ev, r.Returned), append(w, r.Weight)
	}
	truth, _ = truthPairs(t, p, truthYears-1, ids)
	for _, r := range out.Results {
		if r.Indicator == "coefficient" {
			train = r.N
		}
	}
	if train == 0 {
		t.Fatal("no coefficient rows")
	}
	return score, truth, ev, w, train
}

// TestRiskCalibrationAgainstTruth compares the mean score with the mean
// true probability, over all test pairs and in each weighted decile of the
// score. The tolerance is 3 standard errors of the difference between the
// decile's level as learnt from training pairs and as seen in the test
// year: 3 sqrt(p(1−p) deff (1/m_train + 1/m_test)), p the mean truth, m the
// pairs of a tenth of the training set and of the decile, deff Kish's
// n Σw²/(Σw)² (for the whole: m the pair counts themselves).
func TestRiskCalibrationAgainstTruth(t *testing.T) {
	score, truth, _, w, train := truthScores(t)
	n := len(score)
	var sw, sw2 float64
	for _, x := range w {
		sw += x
		sw2 += x * x
	}
	deff := float64(n) * sw2 / (sw * sw)
	check := func(name string, set []int, mTrain float64) {
		t.Helper()
		var ws, ss, ps float64
		for _, i := range set {
			ws += w[i]
			ss += w[i] * score[i]
			ps += w[i] * truth[i]
		}
		ms, mp := ss/ws, ps/ws
		tol := 3 * math.Sqrt(mp*(1-mp)*deff*(1/mTrain+1/float64(len(set))))
		t.Logf("%s: mean score %.4f, mean truth %.4f, tolerance %.4f", name, ms, mp, tol)
		if math.Abs(ms-mp) > tol {
			t.Errorf("%s: mean score %.4f, mean true probability %.4f (tolerance %.4f)", name, ms, mp, tol)
		}
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	check("all", idx, float64(train))
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(score[a], score[b]) })
	var cum float64
	var deciles [10][]int
	for _, i := range idx {
		d := min(int(10*cum/sw), 9)
		cum += w[i]
		deciles[d] = append(deciles[d], i)
	}
	for d, set := range deciles {
		check("D"+strconv.Itoa(d+1), set, float64(train)/10)
	}
}

// TestVulnerabilityAgainstTruth (the comparison with the score not under
// -short) fits the vulnerability model on the
// cross-section of the year before the last of the risk panel and
// validates it on the last year, against the panel score fitted on all
// households (population "all") on the same household pairs. The
// vulnerability sees only traits, not past income, so its AUC must be
// above chance and below the score's, each by more than 3 standard errors
// (for the difference the conservative SE_a + SE_b). Its headcount row is
// the weighted poverty rate of the generated rows of that year, and the
// mean equation has the signs of a_i in the data-generating process.
func TestVulnerabilityAgainstTruth(t *testing.T) {
	dir, p := truthPanel(t)
	s := truthStudy(t, dir)
	features := []string{"illness", "disability", "elderly_alone", "urban", "labour", "hh_size", "disaster"}
	vout, err := RunVulnerability(context.Background(), s, Vulnerability{ID: "hh_id", Year: "year", Features: features, By: [][]string{{"urban"}}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(rows []Result, model, ind, cell string, domLen int) Result {
		t.Helper()
		for _, r := range rows {
			if r.Model == model && r.Indicator == ind && r.Cell == cell && len(r.Domain) == domLen {
				return r
			}
		}
		t.Fatalf("no %s %s %s", model, ind, cell)
		return Result{}
	}
	va := get(vout.Results, "vulnerability", "auc", "", 1)
	t.Logf("vulnerability AUC %.4f (SE %.4f, n %d)", va.Estimate, va.SE, va.N)
	if va.N != truthHouseholds || va.Domain[0].Value != strconv.Itoa(synth.DefaultFirstYear+truthYears-1) {
		t.Errorf("vulnerability validated on %d pairs in %v, want %d in the last year", va.N, va.Domain, truthHouseholds)
	}
	if va.Estimate-0.5 < 3*va.SE {
		t.Errorf("vulnerability AUC %.4f not above chance by 3 SE (%.4f)", va.Estimate, va.SE)
	}
	if testing.Short() {
		t.Log("-short: the panel score on all households (about 5 s) is not fitted")
	} else {
		rout, err := RunRisk(context.Background(), s, Risk{ID: "hh_id", Year: "year", Features: features, Population: "all"})
		if err != nil {
			t.Fatal(err)
		}
		sa := get(rout.Results, "score", "auc", "", 1)
		t.Logf("score AUC on the same pairs %.4f (SE %.4f, n %d)", sa.Estimate, sa.SE, sa.N)
		if va.N != sa.N {
			t.Errorf("vulnerability validated on %d pairs, score on %d", va.N, sa.N)
		}
		if sa.Estimate-va.Estimate < 3*(sa.SE+va.SE) {
			t.Errorf("vulnerability AUC %.4f not below the panel score's %.4f by 3 SE", va.Estimate, sa.Estimate)
		}
	}
	rows, err := p.Generate(truthYears - 2)
	if err != nil {
		t.Fatal(err)
	}
	var pw, tw float64
	for _, r := range rows {
		tw += r.Weight
		if r.Income < synth.DefaultRiskLine {
			pw += r.Weight
		}
	}
	hc := get(vout.Results, "vulnerability", "headcount", "", 1)
	if math.Abs(hc.Estimate-pw/tw) > 1e-12 || hc.N != len(rows) {
		t.Errorf("headcount %v (n %d), generated rows %v (n %d)", hc.Estimate, hc.N, pw/tw, len(rows))
	}
	var vw float64
	for _, sc := range vout.Scores {
		if sc.Vulnerability >= DefaultVulnerabilityThreshold {
			vw += sc.Weight
		}
	}
	share := get(vout.Results, "vulnerability", "vulnerable_share", "", 1)
	mean := get(vout.Results, "vulnerability", "mean_vulnerability", "", 1)
	t.Logf("headcount %.4f, vulnerable share %.4f, mean vulnerability %.4f", hc.Estimate, share.Estimate, mean.Estimate)
	if math.Abs(share.Estimate-vw/tw) > 1e-12 {
		t.Errorf("vulnerable share %v, scores give %v", share.Estimate, vw/tw)
	}
	for cell, sign := range map[string]float64{"mean:urban": 1, "mean:elderly_alone": -1, "mean:disability": -1, "mean:illness": -1, "mean:disaster": -1} {
		if r := get(vout.Results, "vulnerability", "coefficient", cell, 1); r.Estimate*sign <= 0 {
			t.Errorf("%s = %v, want sign %v", cell, r.Estimate, sign)
		}
	}
}
