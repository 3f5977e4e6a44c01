package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// povstat runs the command in-process and returns its exit code and output.
func povstat(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

type jsonRow struct {
	Indicator  string            `json:"indicator"`
	Line       *string           `json:"line"`
	Domain     map[string]string `json:"domain"`
	Estimate   *float64          `json:"estimate"`
	N          int               `json:"n"`
	Population float64           `json:"population"`
	ExcludedN  int               `json:"excluded_n"`
	ExcludedW  float64           `json:"excluded_population"`
	Note       string            `json:"note"`
	Ratio      string            `json:"ratio"`
	SE         *float64          `json:"se"`
	CILower    *float64          `json:"ci_lower"`
	CIUpper    *float64          `json:"ci_upper"`
	RSE        *float64          `json:"rse"`
	Deff       *float64          `json:"deff"`
	SEMethod   string            `json:"se_method"`
	Unreliable bool              `json:"unreliable"`
	At         *float64          `json:"at"`
	Cell       string            `json:"cell"`
	Model      string            `json:"model"`
}

// decodeResults decodes the documented {"results":[...]} JSON of every
// command, refusing any field the schema does not name.
func decodeResults(t *testing.T, s string) []jsonRow {
	t.Helper()
	var doc struct {
		Results []jsonRow `json:"results"`
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("results are not the documented JSON: %v\n%s", err, s)
	}
	return doc.Results
}

func sharedData(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared reference data not available: %v", err)
	}
	return p
}

// TestIndicesEUSILC checks the command against R laeken on its EU-SILC
// sample: person rows, weight rb050, equivalised income eqIncome.
func TestIndicesEUSILC(t *testing.T) {
	for _, file := range []string{"eusilc.parquet", "eusilc.csv"} {
		t.Run(file, func(t *testing.T) {
			path := sharedData(t, file)
			code, out, errs := povstat(t, "indices", "--input", path, "--income", "eqIncome", "--weight", "rb050",
				"--line", "eu=median:0.6", "--indicators", "median,mean,line,headcount,rmpg", "--by", "db040")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			want := map[string]float64{
				"median":    18098.7266666667,
				"mean":      19890.8069312955,
				"line":      10859.236,
				"headcount": 0.144442181675336,
				"rmpg":      0.189285968184134,
			}
			got := map[string]bool{}
			regions := map[string]bool{}
			for _, r := range decodeResults(t, out) {
				if len(r.Domain) > 0 {
					regions[r.Domain["db040"]] = true
					continue
				}
				w, ok := want[r.Indicator]
				if !ok {
					continue
				}
				got[r.Indicator] = true
				if r.Estimate == nil || math.Abs(*r.Estimate-w) > 1e-9*w {
					t.Errorf("%s = %v, laeken %v", r.Indicator, r.Estimate, w)
				}
				if r.N != 14827 {
					t.Errorf("%s: n = %d, want 14827", r.Indicator, r.N)
				}
			}
			if len(got) != len(want) {
				t.Errorf("indicators found %v, want %v", got, want)
			}
			if len(regions) != 9 {
				t.Errorf("%d regions, want 9", len(regions))
			}
		})
	}
}

// TestInequalityEUSILC checks gini and qsr against R laeken, and that the
// regional Theil decomposition adds up, on the EU-SILC sample.
func TestInequalityEUSILC(t *testing.T) {
	path := sharedData(t, "eusilc.parquet")
	code, out, errs := povstat(t, "indices", "--input", path, "--income", "eqIncome", "--weight", "rb050",
		"--region", "db040", "--indicators", "gini,qsr,theil_t,theil_t_between,theil_t_within,williamson,cv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got := map[string]jsonRow{}
	for _, r := range decodeResults(t, out) {
		got[r.Indicator] = r
	}
	for ind, want := range map[string]float64{"gini": 0.264896192113229, "qsr": 3.97000432603667} {
		if e := got[ind].Estimate; e == nil || math.Abs(*e-want) > 1e-9*want {
			t.Errorf("%s = %v, laeken %v", ind, e, want)
		}
	}
	b, w, total := *got["theil_t_between"].Estimate, *got["theil_t_within"].Estimate, *got["theil_t"].Estimate
	if math.Abs(b+w-total) > 1e-12 {
		t.Errorf("theil_t between %v + within %v != %v", b, w, total)
	}
	// Three incomes are exactly 0: Theil leaves them out and says so.
	if got["theil_t"].ExcludedN != 3 {
		t.Errorf("theil_t excluded_n = %d, want 3", got["theil_t"].ExcludedN)
	}
	if wi := got["williamson"].Estimate; wi == nil || !(*wi > 0 && *wi < 1) {
		t.Errorf("williamson = %v", wi)
	}
}

func TestIndicesDuckDBFile(t *testing.T) {
	path := sharedData(t, "duckdb_households_100k.parquet")
	code, out, errs := povstat(t, "indices", "--input", path, "--income", "income", "--weight", "weight",
		"--size", "hh_size", "--by", "urban", "--line", "p=median:0.5@province", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "indicator,line,province,urban,estimate,n,population,") {
		t.Errorf("csv header: %q", strings.SplitN(out, "\n", 2)[0])
	}
	if n := strings.Count(out, "\nline,p,"); n != 31 {
		t.Errorf("%d line rows, want one per province (31)", n)
	}
}

func TestDemoIsReproducible(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	for i, d := range dirs {
		prev := runtime.GOMAXPROCS(1 + i)
		code, _, errs := povstat(t, "demo", "--out", d, "--households", "3000")
		runtime.GOMAXPROCS(prev)
		if code != 0 {
			t.Fatalf("demo exit %d: %s", code, errs)
		}
	}
	for _, f := range []string{"results.json", "results.csv", "results.xlsx", "results.parquet", "report.html", "data/year=2021/households.parquet", "flags.csv", "scores.csv",
		"tables.xlsx", "report.md", "tables/poverty_by_year_province_median60.csv", "tables/poverty_by_year_province_median60.parquet"} {
		a, err1 := os.ReadFile(filepath.Join(dirs[0], f))
		b, err2 := os.ReadFile(filepath.Join(dirs[1], f))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", f, err1, err2)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between GOMAXPROCS=1 and 2", f)
		}
	}
	rows := decodeResults(t, mustRead(t, filepath.Join(dirs[0], "results.json")))
	if len(rows) == 0 {
		t.Fatal("no results")
	}
	// time: year gives the change since the previous year.
	byYear := map[string]float64{}
	change := math.NaN()
	for _, r := range rows {
		if r.Line == nil || *r.Line != "median60" || len(r.Domain) != 1 || r.Estimate == nil {
			continue
		}
		switch r.Indicator {
		case "headcount":
			byYear[r.Domain["year"]] = *r.Estimate
		case "headcount_change":
			if r.Domain["year"] == "2021" {
				change = *r.Estimate
			}
		}
	}
	if want := byYear["2021"] - byYear["2020"]; math.Abs(change-want) > 1e-15 {
		t.Errorf("headcount_change 2021 = %v, want %v", change, want)
	}
	// compare: the sweep of 41 fractions of each year's median meets the
	// line median60 = median:0.6@year at 0.6; dynamics: and risk: add
	// their rows and files.
	points := map[float64]bool{}
	kinds := map[string]bool{}
	for _, r := range rows {
		kinds[r.Indicator] = true
		if r.Line == nil || *r.Line != "rel" || r.At == nil || r.Indicator != "headcount" {
			continue
		}
		points[*r.At] = true
		if y := r.Domain["year"]; *r.At == 0.6 && len(r.Domain) == 1 && math.Abs(*r.Estimate-byYear[y]) > 1e-12 {
			t.Errorf("sweep rel at 0.6 in %s = %v, median60 %v", y, *r.Estimate, byYear[y])
		}
	}
	if len(points) != 41 {
		t.Errorf("sweep rel has %d points, want 41", len(points))
	}
	for _, k := range []string{"overlap", "trait_mean:hh_size", "dominance_first", "rank_correlation", "transition", "flagged", "auc", "capture_at_k"} {
		if !kinds[k] {
			t.Errorf("no %s rows in the demo", k)
		}
	}
	for f, head := range map[string]string{"flags.csv": "hh_id,year,rule\n", "scores.csv": "hh_id,year,score,"} {
		if !strings.HasPrefix(mustRead(t, filepath.Join(dirs[0], f)), head) {
			t.Errorf("%s does not start with %q", f, head)
		}
	}
	var manifest struct {
		Inputs []struct{ SHA256 string } `json:"inputs"`
		Seed   uint64                    `json:"seed"`
	}
	if err := json.Unmarshal([]byte(mustRead(t, filepath.Join(dirs[0], "manifest.json"))), &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest.Inputs) != 3 || len(manifest.Inputs[0].SHA256) != 64 || manifest.Seed != 20201231 {
		t.Errorf("manifest inputs/seed: %+v", manifest)
	}
}

func TestErrors(t *testing.T) {
	data := t.TempDir()
	csv := filepath.Join(data, "hh.csv")
	if err := os.WriteFile(csv, []byte("income,weight,region\n1,1,a\n2,x,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(data, "good.csv")
	if err := os.WriteFile(good, []byte("income,weight,region\n1,1,a\n2,1,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no command", nil, 2, []string{"Usage"}},
		{"unknown command", []string{"frobnicate"}, 2, []string{"unknown command"}},
		{"missing income flag", []string{"indices", "--input", good, "--weight", "weight"}, 2, []string{"--income"}},
		{"bad line", []string{"indices", "--input", good, "--income", "income", "--weight", "weight", "--line", "x=medain:0.5"}, 2, []string{"medain"}},
		{"missing column", []string{"indices", "--input", good, "--income", "incom", "--weight", "weight"}, 1, []string{"incom", "income"}},
		{"bad number", []string{"indices", "--input", csv, "--income", "income", "--weight", "weight"}, 1, []string{"hh.csv", "weight", "3"}},
		{"bad format", []string{"indices", "--input", good, "--income", "income", "--weight", "weight", "--format", "xml"}, 2, []string{"xml"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := povstat(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (%s)", code, tt.code, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q does not mention %q", errs, w)
				}
			}
		})
	}
}

func TestRunBadStudyWritesNothing(t *testing.T) {
	dir := t.TempDir()
	study := filepath.Join(dir, "study.yaml")
	if err := os.WriteFile(study, []byte("inputs: [nowhere.parquet]\ncolumns: {income: x, weight: w}\ndomians: [[a]]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, _, errs := povstat(t, "run", study, "--out", out)
	if code == 0 || !strings.Contains(errs, "study.yaml:3") || !strings.Contains(errs, "domains") {
		t.Errorf("exit %d, stderr %q: want an error at study.yaml:3 suggesting domains", code, errs)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output directory exists after a failed run: %v", err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestReportCommand(t *testing.T) {
	data := t.TempDir()
	if code, _, errs := povstat(t, "gen", "--households", "600", "--years", "2", "--out", data); code != 0 {
		t.Fatalf("gen: %s", errs)
	}
	out := filepath.Join(t.TempDir(), "rep")
	code, _, errs := povstat(t, "report", "--input", data, "--income", "income", "--weight", "weight", "--size", "hh_size",
		"--by", "year", "--by", "province", "--time", "year", "--strata", "stratum", "--psu", "psu", "--out", out)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errs)
	}
	html := mustRead(t, filepath.Join(out, "report.html"))
	if !strings.Contains(html, "<svg") || strings.Contains(html, "<script") {
		t.Error("report.html lacks inline charts or has a script")
	}
	for _, f := range []string{"results.json", "results.csv", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if code, _, _ := povstat(t, "report", "--input", data, "--income", "income", "--weight", "weight", "--out", out, "--lang", "fr"); code != 2 {
		t.Errorf("--lang fr: exit %d, want 2 (en or zh)", code)
	}
}

// TestIndicesReportsExcludedRows: rows a screening rule excludes are
// counted on stderr with the rule, the column and an example file row, as
// the manifest of povstat run records them; the results use the others.
func TestIndicesReportsExcludedRows(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.csv")
	data := "income,weight,hh_size\n100,1,2\n200,0,2\n,1,2\n300,1,0\n400,2,3\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := povstat(t, "indices", "--input", path, "--income", "income", "--weight", "weight",
		"--size", "hh_size", "--indicators", "n")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"1 of 5 rows excluded: missing income (column income), e.g. " + path + " row 3",
		"1 of 5 rows excluded: zero or negative weight (column weight), e.g. " + path + " row 2",
		"1 of 5 rows excluded: zero or negative household size (column hh_size), e.g. " + path + " row 4",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if rows := decodeResults(t, stdout); len(rows) != 1 || rows[0].Estimate == nil || *rows[0].Estimate != 2 {
		t.Errorf("results: %s", stdout)
	}
}
