package reports

import (
	"bytes"
	"encoding/csv"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"

	"github.com/povstat/povstat/pipeline"
)

func openWorkbook(t *testing.T, b []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("open workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// rowOf returns the 1-based row of sheet whose first cells are want.
func rowOf(t *testing.T, f *excelize.File, sheet string, want ...string) int {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) >= len(want) && slices.Equal(r[:len(want)], want) {
			return i + 1
		}
	}
	t.Fatalf("sheet %s: no row starting %q", sheet, want)
	return 0
}

func cellStyleOf(t *testing.T, f *excelize.File, sheet, ref string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func numFmt(st *excelize.Style) string {
	if st.CustomNumFmt == nil {
		return ""
	}
	return *st.CustomNumFmt
}

func TestWorkbook(t *testing.T) {
	out := seOutput()
	b, err := Workbook(seStudy(t), out)
	if err != nil {
		t.Fatal(err)
	}
	f := openWorkbook(t, b)
	wantSheets := []string{"results", "all", "all eu", "all half", "region", "region eu", "region half", "lines", "provenance"}
	if got := f.GetSheetList(); !slices.Equal(got, wantSheets) {
		t.Errorf("sheets %q, want %q", got, wantSheets)
	}

	// The long table has the header of results.csv, bold and frozen.
	header, _, _ := strings.Cut(string(pipeline.EncodeCSV(out.Results)), "\n")
	rows, err := f.GetRows("results")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != header {
		t.Errorf("results header\n%s\nwant\n%s", got, header)
	}
	if len(rows) != len(out.Results)+1 {
		t.Errorf("results has %d rows, want %d", len(rows), len(out.Results)+1)
	}
	if st := cellStyleOf(t, f, "results", "A1"); st.Font == nil || !st.Font.Bold {
		t.Error("results header is not bold")
	}
	if p, err := f.GetPanes("results"); err != nil || !p.Freeze || p.YSplit != 1 {
		t.Errorf("results panes %+v, %v; want frozen under row 1", p, err)
	}

	// A headcount is a number formatted as a percentage; a missing one is empty.
	est := slices.Index(rows[0], "estimate") + 1
	ref := func(col, row int) string {
		r, _ := excelize.CoordinatesToCellName(col, row)
		return r
	}
	hc := ref(est, rowOf(t, f, "results", "headcount", "eu", ""))
	if v, _ := f.GetCellValue("results", hc, excelize.Options{RawCellValue: true}); v != "0.1234" {
		t.Errorf("headcount cell holds %q, want 0.1234", v)
	}
	if v, _ := f.GetCellValue("results", hc); v != "12.3%" {
		t.Errorf("headcount cell shows %q, want 12.3%%", v)
	}
	if typ, _ := f.GetCellType("results", hc); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("headcount cell type %v, want a number", typ)
	}
	if got := numFmt(cellStyleOf(t, f, "results", hc)); got != "0.0%" {
		t.Errorf("headcount format %q, want 0.0%%", got)
	}
	missing := ref(est, rowOf(t, f, "results", "headcount", "eu", evil))
	if v, _ := f.GetCellValue("results", missing, excelize.Options{RawCellValue: true}); v != "" {
		t.Errorf("missing headcount holds %q, want an empty cell", v)
	}
	pop := ref(est+2, rowOf(t, f, "results", "population", "", ""))
	if v, _ := f.GetCellValue("results", pop); v != "1,234,568" {
		t.Errorf("population shows %q, want 1,234,568", v)
	}

	// The annual table: domains as rows, estimate, SE and CI under each
	// indicator, the unreliable estimate shaded.
	const sh = "region eu"
	if v, _ := f.GetCellValue(sh, "B4"); v != "Headcount" {
		t.Errorf("%s B4 = %q, want Headcount", sh, v)
	}
	for i, want := range []string{"region", "Estimate", "SE", "95% CI lower", "95% CI upper"} {
		if v, _ := f.GetCellValue(sh, ref(i+1, 5)); v != want {
			t.Errorf("%s row 5 column %d = %q, want %q", sh, i+1, v, want)
		}
	}
	north := rowOf(t, f, sh, "north")
	if v, _ := f.GetCellValue(sh, ref(2, north)); v != "12.3%" {
		t.Errorf("north headcount shows %q, want 12.3%%", v)
	}
	if v, _ := f.GetCellValue(sh, ref(3, north), excelize.Options{RawCellValue: true}); v != "0.05" {
		t.Errorf("north SE holds %q, want 0.05", v)
	}
	if st := cellStyleOf(t, f, sh, ref(2, north)); len(st.Fill.Color) == 0 {
		t.Error("the unreliable headcount is not shaded")
	}
	if v, _ := f.GetCellValue(sh, ref(2, rowOf(t, f, sh, evil)), excelize.Options{RawCellValue: true}); v != "" {
		t.Errorf("empty domain's headcount holds %q, want an empty cell", v)
	}
	if p, err := f.GetPanes(sh); err != nil || !p.Freeze || p.YSplit != 5 || p.XSplit != 1 {
		t.Errorf("%s panes %+v, %v; want frozen under row 5 and right of column A", sh, p, err)
	}
	if w, _ := f.GetColWidth(sh, "A"); w < 6 {
		t.Errorf("%s column A width %v", sh, w)
	}

	// The lines and the provenance, with paths relative to the inputs.
	if v, _ := f.GetCellValue("lines", ref(5, rowOf(t, f, "lines", "half", "mean:0.5@region?urban=false", "50% of the mean income of units with urban = false, computed in each region", "north"))); v != "10,000" {
		t.Errorf("line half in the north shows %q, want 10,000", v)
	}
	prov, _ := f.GetRows("provenance")
	var all []string
	for _, r := range prov {
		all = append(all, strings.Join(r, "|"))
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{"…/a/x.parquet|aaaa|1,200|1", "seed|7", "weight <= 0|weight|excluded|10|…/a/x.parquet row 5", "povstat|0.1.0-test"} {
		if !strings.Contains(text, want) {
			t.Errorf("provenance lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "/srv/") || strings.Contains(text, "123.456") {
		t.Errorf("provenance shows absolute paths or timings:\n%s", text)
	}
}

func TestWorkbookWithoutStandardErrors(t *testing.T) {
	b, err := Workbook(testStudy(t), testOutput())
	if err != nil {
		t.Fatal(err)
	}
	f := openWorkbook(t, b)
	const sh = "all eu"
	for i, want := range []string{"domain", "Line value", "Headcount", "Watts", "Poor population", "Total gap"} {
		ref, _ := excelize.CoordinatesToCellName(i+1, 4)
		if v, _ := f.GetCellValue(sh, ref); v != want {
			t.Errorf("%s %s = %q, want %q", sh, ref, v, want)
		}
	}
	for ref, want := range map[string]string{"A5": "whole population", "B5": "9,000", "C5": "12.3%", "D5": "0.046", "E5": "152,345", "F5": "-1,234"} {
		if v, _ := f.GetCellValue(sh, ref); v != want {
			t.Errorf("%s %s = %q, want %q", sh, ref, v, want)
		}
	}
	if p, _ := f.GetPanes(sh); !p.Freeze || p.YSplit != 4 {
		t.Errorf("%s panes %+v, want frozen under row 4", sh, p)
	}
	rows, _ := f.GetRows("results")
	if slices.Contains(rows[0], "se") {
		t.Errorf("results header %q has standard error columns", rows[0])
	}
}

func TestWorkbookSameBytes(t *testing.T) {
	for _, c := range []struct {
		name string
		s    *pipeline.Study
		out  func() *pipeline.Output
	}{
		{"plain", testStudy(t), testOutput},
		{"se", seStudy(t), seOutput},
		{"spread", spreadStudy(t), spreadOutput},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := Workbook(c.s, c.out())
			if err != nil {
				t.Fatal(err)
			}
			b, err := Workbook(c.s, c.out())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Error("two renders of the same results differ")
			}
		})
	}
}

func TestSheetName(t *testing.T) {
	wb := &workbook{names: []string{"results"}}
	for _, c := range []struct{ in, want string }{
		{"Results", "Results~2"},
		{"a/b:c", "a_b_c"},
		{"'x'", "x"},
		{"", "table"},
		{strings.Repeat("é", 40), strings.Repeat("é", 31)},
		{strings.Repeat("é", 40), strings.Repeat("é", 29) + "~2"},
	} {
		if got := wb.sheetName(c.in); got != c.want {
			t.Errorf("sheetName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// parquetRows reads a Parquet file into its column names and rows of values.
func parquetRows(t *testing.T, b []byte) ([]string, [][]parquet.Value, *parquet.Schema) {
	t.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, path := range pf.Schema().Columns() {
		names = append(names, strings.Join(path, "."))
	}
	r := parquet.NewReader(bytes.NewReader(b))
	defer r.Close()
	var rows [][]parquet.Value
	buf := make([]parquet.Row, 16)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			vals := make([]parquet.Value, len(names))
			for _, v := range row {
				vals[v.Column()] = v.Clone()
			}
			rows = append(rows, vals)
		}
		if err != nil {
			break
		}
	}
	return names, rows, pf.Schema()
}

func TestParquetTable(t *testing.T) {
	for _, c := range []struct {
		name string
		out  *pipeline.Output
	}{{"plain", testOutput()}, {"se", seOutput()}, {"spread", spreadOutput()}} {
		t.Run(c.name, func(t *testing.T) {
			b, err := ParquetTable(c.out)
			if err != nil {
				t.Fatal(err)
			}
			names, rows, schema := parquetRows(t, b)
			records, err := csv.NewReader(bytes.NewReader(pipeline.EncodeCSV(c.out.Results))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names, records[0]) {
				t.Fatalf("columns %q, want those of results.csv %q", names, records[0])
			}
			if len(rows) != len(records)-1 {
				t.Fatalf("%d rows, want %d", len(rows), len(records)-1)
			}
			for i, name := range names {
				leaf, _ := schema.Lookup(name)
				kind := leaf.Node.Type().Kind()
				want := map[string]parquet.Kind{"estimate": parquet.Double, "n": parquet.Int64, "population": parquet.Double,
					"indicator": parquet.ByteArray, "se": parquet.Double, "unreliable": parquet.Boolean}
				if k, ok := want[name]; ok && k != kind {
					t.Errorf("column %s is %v, want %v", name, kind, k)
				}
				if name == "estimate" && !leaf.Node.Optional() {
					t.Error("estimate is not nullable")
				}
				for j, row := range rows {
					v, cell := row[i], records[j+1][i]
					var got string
					switch {
					case v.IsNull():
					case kind == parquet.Double:
						w, err := strconv.ParseFloat(cell, 64)
						if err != nil || w != v.Double() {
							t.Errorf("row %d %s = %v, csv %q", j+1, name, v.Double(), cell)
						}
						continue
					case kind == parquet.Int64:
						got = strconv.FormatInt(v.Int64(), 10)
					case kind == parquet.Boolean:
						if v.Boolean() {
							got = "true"
						}
					default:
						got = v.String()
					}
					if got != cell {
						t.Errorf("row %d %s = %q, csv %q", j+1, name, got, cell)
					}
				}
			}
			again, err := ParquetTable(c.out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, again) {
				t.Error("two renders of the same results differ")
			}
		})
	}
}

func TestParquetTableNaN(t *testing.T) {
	out := &pipeline.Output{Results: []pipeline.Result{{Indicator: "headcount", Line: "eu", Estimate: math.NaN(), Note: "empty domain"}}}
	b, err := ParquetTable(out)
	if err != nil {
		t.Fatal(err)
	}
	names, rows, _ := parquetRows(t, b)
	if i := slices.Index(names, "estimate"); !rows[0][i].IsNull() {
		t.Errorf("estimate = %v, want null", rows[0][i])
	}
}

func TestParquetTableClash(t *testing.T) {
	out := &pipeline.Output{Results: []pipeline.Result{{Indicator: "n", Domain: []pipeline.DomainValue{{Column: "estimate", Value: "x"}}, Estimate: 1}}}
	if _, err := ParquetTable(out); err == nil || !strings.Contains(err.Error(), `"estimate"`) {
		t.Errorf("got %v, want an error naming the column", err)
	}
}
