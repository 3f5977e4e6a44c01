package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dynPanel: households 1–3 over 2020–2022 under z = 100 (see
// pipeline/dynamics_test.go for a fuller hand-worked panel). Household 2
// falls into poverty in 2021 and leaves it in 2022.
const dynPanel = `hh_id,year,income,weight,ill
1,2020,50,1,false
2,2020,200,2,false
3,2020,300,1,true
1,2021,60,1,false
2,2021,90,2,false
3,2021,300,1,false
1,2022,70,1,false
2,2022,160,2,false
3,2022,300,1,false
`

func TestDynamicsCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "panel.csv")
	if err := os.WriteFile(in, []byte(dynPanel), 0o644); err != nil {
		t.Fatal(err)
	}
	flags := filepath.Join(dir, "flags.csv")
	args := []string{"dynamics", "--input", in, "--id", "hh_id", "--year", "year", "--income", "income", "--weight", "weight",
		"--line", "z=abs:100", "--rule", "low=income<1.5*line", "--rule", "ill=ill", "--flags-out", flags}
	code, stdout, stderr := povstat(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc := struct{ Results []jsonRow }{decodeResults(t, stdout)}
	got := map[string]float64{}
	for _, r := range doc.Results {
		if r.Estimate != nil {
			got[r.Indicator+"|"+r.Cell+"|"+r.Domain["year"]] = *r.Estimate
		}
	}
	for key, want := range map[string]float64{
		"transition|non_poor→poor|2021": 2.0 / 3, // household 2 (weight 2) of 3
		"transition|poor→poor|2021":     1,
		"entries||2021":                 2,
		"exit_rate||2022":               2.0 / 3, // household 2 of 1 + 2 poor
		"chronic||":                     0.25,
		"flagged|ill|2020":              1,
		"flagged|low|2022":              1, // 70 < 150; 160 is not
	} {
		if g, ok := got[key]; !ok || abs(g-want) > 1e-12 {
			t.Errorf("%s = %v (present %v), want %v", key, g, ok, want)
		}
	}
	b, err := os.ReadFile(flags)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "hh_id,year,rule\n1,2020,low\n3,2020,ill\n") {
		t.Errorf("flags file:\n%s", b)
	}
	// --quintiles adds the quintile transition matrices, rows summing to 1.
	code, stdout, stderr = povstat(t, append(args[:len(args)-2], "--quintiles")...)
	if code != 0 {
		t.Fatalf("--quintiles: exit %d: %s", code, stderr)
	}
	doc.Results = nil
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	rowSum := map[string]float64{}
	nq := 0
	for _, r := range doc.Results {
		if r.Indicator != "quintile_transition" {
			continue
		}
		nq++
		if r.Estimate != nil {
			rowSum[r.Domain["year"]+"|"+strings.Split(r.Cell, "→")[0]] += *r.Estimate
		}
	}
	if nq == 0 || nq%25 != 0 {
		t.Errorf("--quintiles: %d quintile_transition rows", nq)
	}
	for k, s := range rowSum {
		if abs(s-1) > 1e-12 {
			t.Errorf("--quintiles: row %s sums to %v", k, s)
		}
	}
	// CSV and table formats carry the cell.
	if code, out, _ := povstat(t, append(args[:len(args)-2], "--format", "csv")...); code != 0 || !strings.Contains(out, ",cell,") || !strings.Contains(out, "poor→poor") {
		t.Errorf("csv: exit %d\n%s", code, out)
	}
	if code, out, _ := povstat(t, append(args[:len(args)-2], "--format", "table")...); code != 0 || !strings.Contains(out, "poor→poor") || !strings.Contains(out, "cell") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestDynamicsExitCodes(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "panel.csv")
	if err := os.WriteFile(in, []byte(dynPanel), 0o644); err != nil {
		t.Fatal(err)
	}
	dup := filepath.Join(dir, "dup.csv")
	if err := os.WriteFile(dup, []byte(dynPanel+"2,2022,10,1,false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"dynamics", "--income", "income", "--weight", "weight", "--line", "z=abs:100"}
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no id", []string{"--input", in, "--year", "year"}, 2, "--id and --year are required"},
		{"bad rule", []string{"--input", in, "--id", "hh_id", "--year", "year", "--rule", "x=income<a*line"}, 2, "bad rule"},
		{"near-poor below 1", []string{"--input", in, "--id", "hh_id", "--year", "year", "--near-poor", "0.5"}, 2, "--near-poor"},
		{"unknown column", []string{"--input", in, "--id", "hhid", "--year", "year"}, 1, `unknown column "hhid"`},
		{"duplicate id", []string{"--input", dup, "--id", "hh_id", "--year", "year"}, 1, "row 10"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := povstat(t, append(base, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.msg) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.msg)
			}
		})
	}
}
