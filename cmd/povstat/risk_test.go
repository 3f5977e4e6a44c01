package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/povstat/povstat/datasets/synth"
)

func TestRiskCommand(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), filepath.Join(dir, "data"), synth.Config{Households: 3000, Years: 4, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	scores := filepath.Join(dir, "scores.csv")
	code, stdout, stderr := povstat(t, "risk", "--input", filepath.Join(dir, "data"), "--id", "hh_id", "--year", "year",
		"--income", "income", "--weight", "weight", "--unit", "households", "--line", "rel=median:0.6@year",
		"--features", "labour,illness", "--population", "nonpoor", "--rule", "low=income<1.5*line", "--scores-out", scores,
		"--region", "province", "--tiers", "top:0.1,0.3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := struct{ Results []jsonRow }{decodeResults(t, stdout)}
	got := map[string]int{}
	scored := map[string]int{}
	for _, r := range doc.Results {
		key := r.Model + "|" + r.Indicator
		got[key]++
		if r.Indicator == "scored" {
			scored[r.Cell] += r.N
			if r.Domain["province"] == "" {
				t.Errorf("scored row without a province: %v", r.Domain)
			}
		}
		if r.Domain["year"] != "2023" || r.Line == nil || *r.Line != "rel" {
			t.Errorf("row %s: domain %v line %v", key, r.Domain, r.Line)
		}
		switch r.Indicator {
		case "auc":
			if r.Estimate == nil || r.CILower == nil || r.CIUpper == nil || !(*r.CILower < *r.Estimate && *r.Estimate < *r.CIUpper) {
				t.Errorf("%s: auc without a CI", key)
			}
		case "calibration_error":
			if r.Estimate == nil || !(*r.Estimate >= 0 && *r.Estimate < 0.2) {
				t.Errorf("%s: %v", key, r.Estimate)
			}
		case "capture_at_k":
			if r.At == nil || r.Estimate == nil {
				t.Errorf("%s: no at or estimate", key)
			}
		}
	}
	for key, want := range map[string]int{"score|auc": 1, "score|brier": 1, "score|capture_at_k": 3, "score|events": 1, "score|n": 1,
		"rule:low|auc": 1, "rule:low|capture_at_k": 1, "rule:low|brier": 0, "score|coefficient": 11, "score|odds_ratio": 10,
		"score|penalty": 1, "score|cv_log_loss": 11, "score|capture_curve": 50, "score|score_distribution": 40,
		"score|calibration": 10, "score|calibration_predicted": 10, "score|calibration_error": 1, "rule:low|calibration": 0} {
		if got[key] != want {
			t.Errorf("%d rows %s, want %d", got[key], key, want)
		}
	}
	b, err := os.ReadFile(scores)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "hh_id,year,score,tier,returned,weight,reasons,rules" || len(lines) < 100 {
		t.Errorf("scores: %d lines, header %q", len(lines), lines[0])
	}
	// Tiers by shares: about 10 % high and 20 % medium of the (weighted)
	// households; every scored household is counted once by region.
	if n := scored["high"] + scored["medium"] + scored["low"]; n != len(lines)-1 || !(scored["high"] > 0 && scored["high"] < scored["medium"] && scored["medium"] < scored["low"]) {
		t.Errorf("scored by tier %v, %d scores", scored, len(lines)-1)
	}
	// The same bytes again.
	_, stdout2, _ := povstat(t, "risk", "--input", filepath.Join(dir, "data"), "--id", "hh_id", "--year", "year",
		"--income", "income", "--weight", "weight", "--unit", "households", "--line", "rel=median:0.6@year",
		"--features", "labour,illness", "--population", "nonpoor", "--rule", "low=income<1.5*line",
		"--region", "province", "--tiers", "top:0.1,0.3")
	if stdout2 != stdout {
		t.Error("a second run gives other bytes")
	}
	for _, bad := range [][]string{{"--tiers", "0.1,0.3"}, {"--tiers", "top:0.5,0.2"}, {"--tiers", "0.3"}, {"--penalty", "-1"}} {
		args := append([]string{"risk", "--input", dir, "--id", "hh_id", "--year", "year", "--income", "income", "--weight", "weight", "--line", "z=abs:1"}, bad...)
		if code, _, _ := povstat(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	// Usage errors.
	if code, _, _ := povstat(t, "risk", "--input", dir, "--id", "hh_id", "--year", "year", "--income", "income", "--weight", "weight"); code != 2 {
		t.Errorf("no --line: exit %d, want 2", code)
	}
}
