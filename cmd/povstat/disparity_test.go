package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// disparityFixture returns the path of a region table of the pipeline tests.
func disparityFixture(name string) string {
	return filepath.Join("..", "..", "pipeline", "testdata", "disparity", name)
}

// disparityRow returns the JSON row of an indicator in a domain
// ("col=value", "" for none).
func disparityRow(t *testing.T, rows []jsonRow, indicator, domain string) jsonRow {
	t.Helper()
	for _, r := range rows {
		d := ""
		for k, v := range r.Domain {
			d = k + "=" + v
		}
		if r.Indicator == indicator && d == domain {
			return r
		}
	}
	t.Fatalf("no row %s in %q", indicator, domain)
	return jsonRow{}
}

func TestDisparityHandWorked(t *testing.T) {
	code, out, errs := povstat(t, "disparity", "--table", disparityFixture("hand.csv"),
		"--value", "value", "--population", "population", "--region", "region")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows := decodeResults(t, out)
	want := map[string]float64{
		"population":    4,
		"n":             3,
		"mean":          20,
		"cv":            math.Sqrt(200.0/3) / 20,
		"williamson":    math.Sqrt(50) / 20,
		"max_min_ratio": 3,
		"theil_t":       0.25*0.5*math.Log(0.5) + 0.25*1.5*math.Log(1.5),
		"theil_l":       0.25*math.Log(2) + 0.25*math.Log(2.0/3),
	}
	if len(rows) != len(want) {
		t.Errorf("%d rows, want %d", len(rows), len(want))
	}
	for ind, w := range want {
		r := disparityRow(t, rows, ind, "")
		if r.Estimate == nil || math.Abs(*r.Estimate-w) > 1e-12 {
			t.Errorf("%s = %v, want %v", ind, r.Estimate, w)
		}
		if r.Line != nil || r.N != 3 || r.Population != 4 {
			t.Errorf("%s: line %v, n %d, population %v", ind, r.Line, r.N, r.Population)
		}
	}
}

func TestDisparityYears(t *testing.T) {
	code, out, errs := povstat(t, "disparity", "--table", disparityFixture("years.csv"),
		"--value", "value", "--population", "population", "--region", "region", "--by", "year")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows := decodeResults(t, out)
	cv20, cv21 := math.Sqrt(200.0/3)/20, math.Sqrt(128.0/3)/20
	w20, w21 := math.Sqrt(50)/20, math.Sqrt(32)/20
	for _, c := range []struct {
		ind, dom string
		want     float64
	}{
		{"cv", "year=2020", cv20},
		{"cv", "year=2021", cv21},
		{"cv_change", "year=2021", cv21 - cv20},
		{"williamson_change", "year=2021", w21 - w20},
	} {
		r := disparityRow(t, rows, c.ind, c.dom)
		if r.Estimate == nil || math.Abs(*r.Estimate-c.want) > 1e-12 {
			t.Errorf("%s %s = %v, want %v", c.ind, c.dom, r.Estimate, c.want)
		}
	}
	for _, r := range rows {
		if strings.HasSuffix(r.Indicator, "_change") && r.Domain["year"] == "2020" {
			t.Errorf("change row for the first year: %+v", r)
		}
	}

	// --time none: no change rows.
	code, out, _ = povstat(t, "disparity", "--table", disparityFixture("years.csv"),
		"--value", "value", "--population", "population", "--by", "year", "--time", "none")
	if code != 0 || strings.Contains(out, "_change") {
		t.Errorf("--time none: exit %d\n%s", code, out)
	}
}

func TestDisparityFormats(t *testing.T) {
	args := []string{"disparity", "--table", disparityFixture("years.csv"), "--value", "value",
		"--population", "population", "--by", "year", "--indicators", "cv,williamson"}
	code, out, errs := povstat(t, append(args, "--format", "csv")...)
	if code != 0 {
		t.Fatalf("csv: exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "indicator,line,year,estimate,n,population,excluded_n,excluded_population,note" {
		t.Errorf("csv header %q", lines[0])
	}
	if len(lines) != 7 || !strings.HasPrefix(lines[6], "williamson_change,,2021,") {
		t.Errorf("csv rows:\n%s", out)
	}
	code, out, errs = povstat(t, append(args, "--format", "table")...)
	if code != 0 {
		t.Fatalf("table: exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "indicator ") || !strings.Contains(out, "cv_change") || !strings.Contains(out, "year=2021") {
		t.Errorf("table:\n%s", out)
	}
}

type disparityParquetRow struct {
	Year   int32   `parquet:"year"`
	Prefec string  `parquet:"prefecture"`
	GDP    float64 `parquet:"gdp_pc"`
	Pop    float64 `parquet:"pop"`
}

func TestDisparityParquet(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prefectures.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[disparityParquetRow](f)
	if _, err := w.Write([]disparityParquetRow{{2020, "A", 10, 1}, {2020, "B", 20, 2}, {2020, "C", 30, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errs := povstat(t, "disparity", "--table", path, "--value", "gdp_pc", "--population", "pop",
		"--region", "prefecture", "--by", "year", "--indicators", "williamson,region_value")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows := decodeResults(t, out)
	if r := disparityRow(t, rows, "williamson", "year=2020"); r.Estimate == nil || math.Abs(*r.Estimate-math.Sqrt(50)/20) > 1e-12 {
		t.Errorf("williamson = %v", r.Estimate)
	}
	var regions []string
	for _, r := range rows {
		if r.Indicator == "region_value" {
			regions = append(regions, r.Domain["prefecture"])
		}
	}
	if strings.Join(regions, ",") != "A,B,C" {
		t.Errorf("region_value rows for %v", regions)
	}
}

// TestDisparityBadData checks that rows left out are never silent, and the
// exit codes: 0 with warnings, 1 for bad data, 2 for bad flags.
func TestDisparityBadData(t *testing.T) {
	bad := []string{"disparity", "--table", disparityFixture("bad.csv"), "--value", "value",
		"--population", "population", "--region", "region"}
	code, out, errs := povstat(t, bad...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, s := range []string{"warning", "bad.csv", `column "population"`, "rows 4, 6", `column "value"`, "row 5", `column "region"`, "row 7"} {
		if !strings.Contains(errs, s) {
			t.Errorf("stderr does not say %q:\n%s", s, errs)
		}
	}
	if r := disparityRow(t, decodeResults(t, out), "cv", ""); r.ExcludedN != 4 {
		t.Errorf("cv excluded_n = %d, want 4", r.ExcludedN)
	}

	code, _, errs = povstat(t, append(bad, "--strict")...)
	if code != 1 || !strings.Contains(errs, "bad.csv") || !strings.Contains(errs, "row 5") {
		t.Errorf("--strict: exit %d: %s", code, errs)
	}

	code, out, _ = povstat(t, "disparity", "--table", disparityFixture("nonpositive.csv"), "--value", "value", "--population", "population")
	if code != 0 {
		t.Fatalf("non-positive values: exit %d", code)
	}
	rows := decodeResults(t, out)
	if r := disparityRow(t, rows, "theil_t", ""); r.Estimate != nil || !strings.Contains(r.Note, "value <= 0") {
		t.Errorf("theil_t with a value <= 0: %v, note %q", r.Estimate, r.Note)
	}
	if r := disparityRow(t, rows, "cv", ""); r.Estimate == nil {
		t.Errorf("cv not computed with a negative value")
	}
}

func TestDisparityExitCodes(t *testing.T) {
	hand := disparityFixture("hand.csv")
	cases := []struct {
		name string
		args []string
		code int
		says string
	}{
		{"help", []string{"-h"}, 0, "Usage: povstat disparity"},
		{"no table", []string{"--value", "value", "--population", "population"}, 2, "--table is required"},
		{"no population", []string{"--table", hand, "--value", "value"}, 2, "--population"},
		{"bad format", []string{"--table", hand, "--value", "value", "--population", "population", "--format", "xml"}, 2, "xml"},
		{"unknown flag", []string{"--table", hand, "--value", "value", "--population", "population", "--weight", "w"}, 2, "weight"},
		{"argument", []string{"--table", hand, "--value", "value", "--population", "population", "extra"}, 2, "extra"},
		{"unknown indicator", []string{"--table", hand, "--value", "value", "--population", "population", "--indicators", "cv,gini"}, 2, "gini"},
		{"region_value without region", []string{"--table", hand, "--value", "value", "--population", "population", "--indicators", "region_value"}, 2, "region"},
		{"time not in by", []string{"--table", hand, "--value", "value", "--population", "population", "--time", "year"}, 2, "year"},
		{"by twice", []string{"--table", hand, "--value", "value", "--population", "population", "--by", "a", "--by", "b"}, 2, "--by COL,COL"},
		{"same column twice", []string{"--table", hand, "--value", "value", "--population", "value"}, 2, "both"},
		{"missing column", []string{"--table", hand, "--value", "gdp", "--population", "population"}, 1, `column "gdp"`},
		{"missing file", []string{"--table", "nowhere.csv", "--value", "value", "--population", "population"}, 1, "nowhere.csv"},
		{"duplicate region", []string{"--table", disparityFixture("duplicate.csv"), "--value", "value", "--population", "population",
			"--region", "region", "--by", "year"}, 1, `duplicate region "A" in group year=2020: rows 1 and 4`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := povstat(t, append([]string{"disparity"}, c.args...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d: %s", code, c.code, errs)
			}
			if !strings.Contains(out+errs, c.says) {
				t.Errorf("output does not say %q:\n%s%s", c.says, out, errs)
			}
		})
	}
}
