package main

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestDemoTables checks the annual tables and report.md of the demo: they
// are listed on stdout and in the manifest, and the tables hold the
// estimates of results.json.
func TestDemoTables(t *testing.T) {
	dir := t.TempDir()
	code, stdout, errs := povstat(t, "demo", "--out", dir, "--households", "3000")
	if code != 0 {
		t.Fatalf("demo exit %d: %s", code, errs)
	}
	const table = "tables/poverty_by_year_province_median60"
	var manifest struct {
		Outputs []struct{ Path string } `json:"outputs"`
	}
	if err := json.Unmarshal([]byte(mustRead(t, filepath.Join(dir, "manifest.json"))), &manifest); err != nil {
		t.Fatal(err)
	}
	var recorded []string
	for _, o := range manifest.Outputs {
		recorded = append(recorded, o.Path)
	}
	for _, f := range []string{"tables.xlsx", "report.md", table + ".csv", table + ".parquet", "tables/income_all.csv"} {
		if !strings.Contains(stdout, filepath.Join(dir, f)+"\n") {
			t.Errorf("stdout does not list %s", f)
		}
		if !slices.Contains(recorded, f) {
			t.Errorf("manifest does not record %s", f)
		}
	}

	// The headcount of every year × province in the table file is that of
	// results.json.
	want := map[string]float64{}
	for _, r := range decodeResults(t, mustRead(t, filepath.Join(dir, "results.json"))) {
		if r.Indicator == "headcount" && r.Line != nil && *r.Line == "median60" && len(r.Domain) == 2 && r.Estimate != nil && r.Cell == "" && r.At == nil {
			want[r.Domain["year"]+"/"+r.Domain["province"]] = *r.Estimate
		}
	}
	recs, err := csv.NewReader(strings.NewReader(mustRead(t, filepath.Join(dir, table+".csv")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+3*31 || !slices.Equal(recs[0][:4], []string{"year", "province", "headcount", "headcount_se"}) {
		t.Fatalf("%s: %d rows, header %q", table, len(recs), recs[0])
	}
	for _, rec := range recs[1:] {
		v, err := strconv.ParseFloat(rec[2], 64)
		if w, ok := want[rec[0]+"/"+rec[1]]; err != nil || !ok || v != w {
			t.Errorf("%s %s/%s: headcount %q, results.json %v", table, rec[0], rec[1], rec[2], w)
		}
	}

	// tables.xlsx opens and lists the table.
	f, err := excelize.OpenFile(filepath.Join(dir, "tables.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("contents")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		found = found || slices.Contains(r, table+".csv, .parquet")
	}
	if !found {
		t.Errorf("contents of tables.xlsx do not list %s", table)
	}

	md := mustRead(t, filepath.Join(dir, "report.md"))
	for _, want := range []string{"# demo — povstat report", "## Poverty lines", "## Methods", "](charts/headcount-median60-by-province.svg)"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
}
