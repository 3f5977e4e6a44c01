package pipeline

import (
	"strings"
	"testing"
)

func TestParseStudyDesign(t *testing.T) {
	const base = "inputs: [d]\ncolumns: {income: i, weight: w}\n"
	s, err := ParseStudy("s.yaml", []byte(base+"design: {strata: db040, psu: db030, lonely: remove}\nvariance: {replicates: 200, level: 0.9, rse_limit: 0}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Strata != "db040" || s.PSU != "db030" || s.Lonely != "remove" || s.SEMethod != "linearized" ||
		s.Replicates != 200 || s.Level != 0.9 || s.RSELimit != 0 {
		t.Errorf("design/variance parsed as %+v", s)
	}
	s, err = ParseStudy("s.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if s.SEMethod != "none" || s.Level != defaultLevel || s.RSELimit != defaultRSELimit || s.Replicates != defaultReplicates {
		t.Errorf("defaults without a design: %+v", s)
	}
	_, err = ParseStudy("s.yaml", []byte(base+"design: {stratum: x, lonely: drop}\nvariance: {method: jackknife, level: 95, replicates: 1.5}\n"))
	for _, want := range []string{
		`s.yaml:3: design.stratum: unknown key (did you mean "strata"?)`,
		`s.yaml:3: design.lonely: unknown value "drop"`,
		`s.yaml:4: variance.method: unknown value "jackknife"`,
		`s.yaml:4: variance.level: want a number between 0 and 1`,
		`s.yaml:4: variance.replicates: want a whole number`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
