package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/povstat/povstat/datasets/synth"
)

func mustRule(t *testing.T, s string) Rule {
	t.Helper()
	r, err := ParseRule(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoadStudySections(t *testing.T) {
	path := filepath.Join(studyDir, "sections.yaml")
	s, err := LoadStudy(path)
	if err != nil {
		t.Fatal(err)
	}
	pos := func(line int) string { return fmt.Sprintf("%s:%d", path, line) }
	f := func(v float64) *float64 { return &v }
	rel := Sweep{Name: "rel", Basis: "median", From: 0.3, To: 0.7, Step: 0.01, By: []string{"year"}, Pos: pos(10)}
	money := Sweep{Name: "money", Basis: "abs", From: 1000, To: 5000, Step: 500, Pos: pos(11)}
	median60 := Line{Name: "median60", Basis: "median", Value: 0.6, By: []string{"year"}, Pos: pos(5)}
	wantCompare := &Comparison{
		Sweeps:          []Sweep{rel, money},
		Lines:           []Line{median60, {Name: "eu", Basis: "median", Value: 0.5, By: []string{"year"}, Pos: pos(12)}},
		TargetHeadcount: f(0.1),
		Budget:          f(1e9),
		TransferBudget:  f(2e9),
		TransferTarget:  &TransferTarget{Column: "urban", Value: "false"},
		Dominance:       "year",
		DominanceRange:  &[2]float64{2000, 9000},
		RankCorrelation: true,
		Traits:          []Trait{{Column: "hh_size"}, {Column: "urban", Kind: "share"}},
	}
	if !reflect.DeepEqual(s.Compare, wantCompare) {
		t.Errorf("Compare\n got %+v\nwant %+v", s.Compare, wantCompare)
	}
	rules := []Rule{mustRule(t, "low_income=income<1.5*line"), mustRule(t, "health=health_exp/hh_income>0.4"), mustRule(t, "ill=illness")}
	wantDynamics := &DynamicsSection{
		Dynamics: Dynamics{ID: "hh_id", Year: "year", NearPoor: 1.4, Rules: rules, Quintiles: true},
		Lines:    []Line{median60},
		FlagsOut: true,
	}
	if !reflect.DeepEqual(s.Dynamics, wantDynamics) {
		t.Errorf("Dynamics\n got %+v\nwant %+v", s.Dynamics, wantDynamics)
	}
	wantRisk := &RiskSection{
		Risk: Risk{ID: "hh_id", Year: "year", Features: []string{"illness", "labour"}, Population: "nonpoor", TestYear: "2022",
			TopK: []float64{0.1, 0.3}, Rules: rules[:1], Penalty: 0.01, Region: "province", Tiers: []float64{0.4, 0.2}},
		Line:      &Line{Name: "near", Basis: "median", Value: 0.7, By: []string{"year"}, Pos: pos(35)},
		ScoresOut: true,
	}
	if !reflect.DeepEqual(s.Risk, wantRisk) {
		t.Errorf("Risk\n got %+v\nwant %+v", s.Risk, wantRisk)
	}
	// Every column a section names is checked, with its place.
	err = s.CheckColumns(nil, []string{"income", "weight", "hh_size", "year", "province"})
	for _, k := range []string{"compare.transfer_target", "compare.traits[1]", "dynamics.id", "dynamics.rules.health", "dynamics.rules.ill", "risk.features[1]"} {
		if !strings.Contains(fmt.Sprint(err), k) {
			t.Errorf("CheckColumns does not report %s:\n%v", k, err)
		}
	}
	if strings.Contains(fmt.Sprint(err), "dynamics.year") || strings.Contains(fmt.Sprint(err), "compare.dominance:") {
		t.Errorf("CheckColumns reports columns the input has:\n%v", err)
	}
}

func TestLoadStudySectionErrors(t *testing.T) {
	path := filepath.Join(studyDir, "bad_sections.yaml")
	_, err := LoadStudy(path)
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`6: compare.sweeps[0]: sweep "rel": "@year": an absolute sweep has the same lines for every group; "@" and "?" need median or mean`,
		`7: compare.lines[0]: no line "median6O" in lines (did you mean "median60"?); want one of median60, or NAME=SPEC`,
		`8: compare.target_headcount: want a share in (0, 1], got 1.5`,
		`9: compare.transfer_target: needs compare.transfer_budget`,
		`10: compare.dominance_range: needs compare.dominance`,
		`10: compare.dominance_range: range "9:1": FROM is above TO`,
		`11: compare.rank_corelation: unknown key (did you mean "rank_correlation"?)`,
		`12: dynamics.id: missing; want the household id column`,
		`14: dynamics.near_poor: want a multiple of the line >= 1, got 0.5`,
		`16: dynamics.rules.low: rule "low=income<<2": bad rule: "<2": want NUMBER, TERM, NUMBER*TERM or TERM/TERM`,
		`17: dynamics.flags_out: expected true or false, got a string "yes"`,
		`21: risk.line: expected one line (a name or NAME=SPEC), got a list`,
		`22: risk.population: unknown value "exit"; want exited, nonpoor or all`,
		`23: risk.top_k[1]: want a share in (0, 1], got 2`,
		`24: risk.penalty: want a number >= 0, got -1`,
		`25: risk.tiers: want 1 >= high >= medium > 0, got [0.1 0.3]`,
		`26: risk.tier_shares: expected true or false, got a string "maybe"`,
	}
	got := strings.Split(err.Error(), "\n")
	for i := range want {
		want[i] = path + ":" + want[i]
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

// sectionsPanel writes a small synthetic panel and a study over it with
// the given sections (YAML text appended to the study), and loads it.
func sectionsPanel(t *testing.T, sections string) *Study {
	t.Helper()
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), filepath.Join(dir, "data"), synth.Config{Households: 1500, Years: 3, FirstYear: 2020, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	text := `inputs: [data]
columns: {income: income, weight: weight, size: hh_size}
lines: [median60=median:0.6@year, absolute=abs:4000]
domains: [[year], [year, urban]]
indicators: [headcount, gap, line]
` + sections
	path := filepath.Join(dir, "study.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadStudy(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRunSections checks that Run appends the rows of each section, as
// Compare, RunDynamics and RunRisk give them, after the study's own rows,
// which stay byte-identical, and returns the files the sections ask for.
func TestRunSections(t *testing.T) {
	ctx := context.Background()
	s := sectionsPanel(t, `compare:
  sweeps: [rel=median:0.4:0.6:0.1@year]
  lines: [median60, absolute]
  dominance: year
dynamics:
  id: hh_id
  year: year
  lines: [median60]
  rules: {low: income<1.5*line, ill: illness}
  flags_out: true
risk:
  id: hh_id
  year: year
  population: nonpoor
  features: [illness, labour]
  rules: [low=income<1.5*line]
  scores_out: true
`)
	out, err := Run(ctx, s, SkipHashes())
	if err != nil {
		t.Fatal(err)
	}
	plain := *s
	plain.Compare, plain.Dynamics, plain.Risk = nil, nil, nil
	base, err := Run(ctx, &plain, SkipHashes())
	if err != nil {
		t.Fatal(err)
	}
	n := len(base.Results)
	if !bytes.Equal(EncodeJSON(out.Results[:n]), EncodeJSON(base.Results)) {
		t.Error("the study's own results change with the sections")
	}
	if base.Files != nil || base.Flags != nil || base.Scores != nil {
		t.Error("a study without sections has section outputs")
	}
	cmp, err := Compare(ctx, s, *s.Compare)
	if err != nil {
		t.Fatal(err)
	}
	sc := *s
	sc.Lines = s.Dynamics.Lines
	dyn, err := RunDynamics(ctx, &sc, s.Dynamics.Dynamics)
	if err != nil {
		t.Fatal(err)
	}
	sc.Lines = s.Lines[:1]
	risk, err := RunRisk(ctx, &sc, s.Risk.Risk)
	if err != nil {
		t.Fatal(err)
	}
	// The comparison's rows, but those the study has already (its lines'
	// population, line, headcount and poor_population rows), then the
	// dynamics and risk rows.
	same := func(a, b Result) bool {
		return a.Indicator == b.Indicator && a.Line == b.Line && domainText(a.Domain) == domainText(b.Domain) &&
			a.Cell == b.Cell && (a.At == nil) == (b.At == nil) && (a.At == nil || *a.At == *b.At)
	}
	var want []Result
	dups := 0
	for _, r := range cmp.Results {
		if slices.ContainsFunc(base.Results, func(b Result) bool { return same(b, r) }) {
			dups++
			continue
		}
		want = append(want, r)
	}
	if dups == 0 || dups == len(cmp.Results) {
		t.Errorf("%d of %d compare rows repeat the study's", dups, len(cmp.Results))
	}
	want = append(append(want, dyn.Results...), risk.Results...)
	if got := out.Results[n:]; !bytes.Equal(EncodeJSON(got), EncodeJSON(want)) {
		t.Errorf("section rows: %d, want %d (compare %d, dynamics %d, risk %d), or they differ", len(got), len(want), len(cmp.Results), len(dyn.Results), len(risk.Results))
	}
	files := map[string][]byte{}
	for _, f := range out.Files {
		files[f.Name] = f.Data
	}
	if !bytes.Equal(files["flags.csv"], EncodeFlags(dyn.Flags, "hh_id", "year")) || len(dyn.Flags) == 0 {
		t.Errorf("flags.csv differs from RunDynamics' flags (%d)", len(dyn.Flags))
	}
	if !bytes.Equal(files["scores.csv"], EncodeScores(risk.Scores, "hh_id", "year", "weight")) || len(risk.Scores) == 0 {
		t.Errorf("scores.csv differs from RunRisk's scores (%d)", len(risk.Scores))
	}
	if len(out.Files) != 2 || !reflect.DeepEqual(out.Flags, dyn.Flags) || len(out.Scores) != len(risk.Scores) {
		t.Errorf("%d files, %d flags, %d scores", len(out.Files), len(out.Flags), len(out.Scores))
	}
	for _, w := range out.Warnings[len(base.Warnings):] {
		if !strings.HasPrefix(w, "compare: ") && !strings.HasPrefix(w, "dynamics: ") && !strings.HasPrefix(w, "risk: ") {
			t.Errorf("section warning without its section: %q", w)
		}
	}
	if !reflect.DeepEqual(out.Manifest.Warnings, out.Warnings) {
		t.Error("the manifest lacks the sections' warnings")
	}
}

// TestRunSectionsTooFewEvents: a risk score that cannot be fitted (two
// years: no pair to train on) is a warning; the other results stand.
func TestRunSectionsTooFewEvents(t *testing.T) {
	s := sectionsPanel(t, "risk: {id: hh_id, year: year, test_year: 2021}\n")
	out, err := Run(context.Background(), s, SkipHashes())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(out.Warnings, "\n"), "risk: no score") || len(out.Files) != 0 {
		t.Errorf("warnings %q, %d files", out.Warnings, len(out.Files))
	}
	sc := *s
	sc.Lines = sc.Lines[:1]
	if _, err := RunRisk(context.Background(), &sc, s.Risk.Risk); !errors.Is(err, ErrTooFewEvents) {
		t.Errorf("RunRisk: %v, want ErrTooFewEvents", err)
	}
}

// TestRunSectionsUnknownColumn: a column a section names that the input
// lacks is reported with its place before anything is computed.
func TestRunSectionsUnknownColumn(t *testing.T) {
	s := sectionsPanel(t, "dynamics: {id: hh_idd, year: year}\n")
	_, err := Run(context.Background(), s, SkipHashes())
	if err == nil || !strings.Contains(err.Error(), "study.yaml:6: dynamics.id: unknown column \"hh_idd\" (did you mean \"hh_id\"?") {
		t.Errorf("err = %v", err)
	}
}

func TestCompleteSections(t *testing.T) {
	s := &Study{Inputs: []string{"x.csv"}, Income: "x", Weight: "w",
		Compare:  &Comparison{Sweeps: []Sweep{{Name: "a", Basis: "abs", From: 1, To: 2, Step: 1, By: []string{"p"}}}},
		Dynamics: &DynamicsSection{Dynamics: Dynamics{ID: "id"}},
		Risk:     &RiskSection{Risk: Risk{Year: "year"}}}
	err := s.Complete()
	for _, w := range []string{"absolute sweep", "dynamics: the id and year", "risk: the id and year"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Complete: %v, want %q", err, w)
		}
	}
}
