package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"

	"github.com/povstat/povstat/pipeline"
)

// The tables of seStudy/seOutput: the whole population and region, each
// without a line and for the lines eu and half.
var seStems = []string{"income_all", "poverty_all_eu", "poverty_all_half", "income_by_region", "poverty_by_region_eu", "poverty_by_region_half"}

func TestTableStems(t *testing.T) {
	s := seStudy(t)
	if got := tableStems(annualTables(s, seOutput().Results)); !slices.Equal(got, seStems) {
		t.Errorf("stems %q, want %q", got, seStems)
	}
	// Unsafe characters become '_'; a stem taken (in any case) gets -2.
	l := mustLine(t, "eu=median:0.6")
	ts := []annualTable{
		{cols: []string{"a b"}}, {cols: []string{"a_b"}}, {cols: []string{"A_B"}},
		{cols: []string{"région/zone"}, line: &l}, {},
	}
	want := []string{"income_by_a_b", "income_by_a_b-2", "income_by_A_B-3", "poverty_by_r_gion_zone_eu", "income_all"}
	if got := tableStems(ts); !slices.Equal(got, want) {
		t.Errorf("stems %q, want %q", got, want)
	}
}

func TestColumnName(t *testing.T) {
	for _, c := range []struct {
		m    measure
		want string
	}{
		{measure{ind: "headcount"}, "headcount"},
		{measure{ind: "atkinson_0.5"}, "atkinson_0_5"},
		{measure{ind: "ratio", ratio: "urban=true/false"}, "ratio_urban_true_false"},
		{measure{ind: "ge_-1"}, "ge__1"},
	} {
		if got := columnName(c.m); got != c.want {
			t.Errorf("columnName(%v) = %q, want %q", c.m, got, c.want)
		}
	}
}

func TestTablesWorkbook(t *testing.T) {
	s, out := seStudy(t), seOutput()
	s.Formats = []string{"csv", "json", "xlsx", "parquet"}
	b, err := TablesWorkbook(s, out)
	if err != nil {
		t.Fatal(err)
	}
	f := openWorkbook(t, b)
	want := []string{"contents", "all", "all eu", "all half", "region", "region eu", "region half"}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets %q, want %q", got, want)
	}
	// The contents list each table with its files.
	r := rowOf(t, f, "contents", "5", "region eu")
	if v, _ := f.GetCellValue("contents", "D"+strconv.Itoa(r)); v != "tables/poverty_by_region_eu.csv, .parquet" {
		t.Errorf("contents: files %q", v)
	}

	// Title, then the notes: source, line, units, flag, standard errors.
	const sh = "region eu"
	title, _ := f.GetCellValue(sh, "A1")
	if !strings.HasPrefix(title, "Table 5. Line eu (60% of the median income) by region") {
		t.Errorf("title %q", title)
	}
	var notes []string
	for row := 2; ; row++ {
		v, _ := f.GetCellValue(sh, "A"+strconv.Itoa(row))
		if v == "" {
			break
		}
		notes = append(notes, v)
	}
	for i, prefix := range []string{"Source: study ", "Line: eu = median:0.6, 60% of the median income.", "Units: weighted estimates for persons",
		"† (shaded): relative standard error above 30%", "SE: standard error; CI: 95% confidence interval. Method: linearized, design with strata stratum, PSUs psu"} {
		if i >= len(notes) || !strings.HasPrefix(notes[i], prefix) {
			t.Errorf("note %d: want %q…, notes %q", i+1, prefix, notes)
		}
	}
	if len(notes) == 5 && !strings.Contains(notes[4], "linearized, t(3940), line fixed") {
		t.Errorf("the standard error note does not name the cells' method: %q", notes[4])
	}

	// Two header rows after a blank row: the indicator over Estimate, SE, CI.
	head := len(notes) + 3
	rows, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[head-1]; !slices.Equal(got, []string{"", "Headcount"}) {
		t.Errorf("header row %d = %q", head, got)
	}
	if got := rows[head]; !slices.Equal(got, []string{"region", "Estimate", "SE", "95% CI lower", "95% CI upper"}) {
		t.Errorf("header row %d = %q", head+1, got)
	}
	// The north's headcount, 0.1234 with SE 0.05 (RSE 41% > 30%), is
	// unreliable: the number stays, shaded and marked † by its format.
	north := rowOf(t, f, sh, "north")
	est, se := 0.1234, 0.05 // variables: the bounds are computed as seOutput does, in float64
	for i, want := range []float64{est, se, est - 2*se, est + 2*se} {
		got := rows[north-1]
		if v, err := strconv.ParseFloat(got[1+i], 64); err != nil || math.Abs(v-want) > 1e-15 {
			t.Errorf("north %q, want %v in column %d", got, want, 2+i)
		}
	}
	st := cellStyleOf(t, f, sh, "B"+strconv.Itoa(north))
	if numFmt(st) != `0.0%" †"` || len(st.Fill.Color) == 0 {
		t.Errorf("unreliable estimate: format %q, fill %v", numFmt(st), st.Fill.Color)
	}
	if v, _ := f.GetCellValue(sh, "B"+strconv.Itoa(north)); v != "12.3% †" {
		t.Errorf("unreliable estimate shows %q, want 12.3%% †", v)
	}
	// The empty region has no estimate: an empty cell.
	if got := rows[north]; len(got) > 1 && got[1] != "" {
		t.Errorf("empty domain %q", got)
	}

	// Populations in thousands; rows (n) without standard error columns.
	rows, _ = f.GetRows("all", excelize.Options{RawCellValue: true})
	bottom := slices.IndexFunc(rows, func(r []string) bool { return slices.Contains(r, "Estimate") })
	if bottom < 1 {
		t.Fatalf("sheet all: no header")
	}
	top := rows[bottom-1]
	pop := slices.Index(top, "Population (thousands)")
	if pop < 0 || rows[bottom][pop] != "Estimate" || rows[bottom][pop+1] != "SE" {
		t.Errorf("population header %q / %q", top, rows[bottom])
	}
	if n := slices.Index(rows[bottom], "Rows"); n < 0 || rows[bottom][n+1] != "Estimate" {
		t.Errorf("rows have standard error columns: %q", rows[bottom])
	}
	ref, _ := excelize.CoordinatesToCellName(pop+1, bottom+2)
	if v, _ := f.GetCellValue("all", ref); v != "1,234.6" {
		t.Errorf("population 1,234,567.6 in thousands shows %q, want 1,234.6", v)
	}
}

func TestTablesWorkbookSameBytes(t *testing.T) {
	a, err1 := TablesWorkbook(seStudy(t), seOutput())
	b, err2 := TablesWorkbook(seStudy(t), seOutput())
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if !bytes.Equal(a, b) {
		t.Error("tables.xlsx differs between two runs")
	}
}

// tableFile returns the file named name of files.
func tableFile(t *testing.T, files []pipeline.File, name string) []byte {
	t.Helper()
	for _, f := range files {
		if f.Name == name {
			return f.Data
		}
	}
	t.Fatalf("no file %s", name)
	return nil
}

func TestTableFiles(t *testing.T) {
	files, err := TableFiles(seStudy(t), seOutput(), []string{"json", "csv", "parquet"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, stem := range seStems {
		names = append(names, "tables/"+stem+".csv", "tables/"+stem+".parquet")
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Name)
	}
	if !slices.Equal(got, names) {
		t.Errorf("files %q, want %q", got, names)
	}

	// CSV: the north's headcount with its standard error, the empty region
	// with empty cells.
	recs, err := csv.NewReader(bytes.NewReader(tableFile(t, files, "tables/poverty_by_region_eu.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	est, se := 0.1234, 0.05 // variables: the bounds are computed as seOutput does, in float64
	want := [][]string{
		{"region", "headcount", "headcount_se", "headcount_ci_lower", "headcount_ci_upper", "headcount_unreliable"},
		{"north", "0.1234", "0.05", f(est - 2*se), f(est + 2*se), "true"},
		{evil, "", "", "", "", "false"},
	}
	if !slices.EqualFunc(recs, want, slices.Equal) {
		t.Errorf("csv\n%q\nwant\n%q", recs, want)
	}
	// Row counts are integers without standard errors; a population of
	// 1234567.6 is written without an exponent.
	recs, _ = csv.NewReader(bytes.NewReader(tableFile(t, files, "tables/income_all.csv"))).ReadAll()
	if !slices.Equal(recs[0][:7], []string{"population", "population_se", "population_ci_lower", "population_ci_upper", "population_unreliable", "n", "mean"}) {
		t.Errorf("income_all header %q", recs[0])
	}
	if recs[1][0] != "1234567.6" || recs[1][5] != "2390" {
		t.Errorf("income_all row %q", recs[1])
	}

	// Parquet: the same values, typed, null where the CSV is empty.
	b := tableFile(t, files, "tables/poverty_by_region_eu.parquet")
	cols, rows, schema := parquetRows(t, b)
	if !slices.Equal(cols, want[0]) {
		t.Errorf("parquet columns %q", cols)
	}
	types := map[string]string{}
	for _, c := range cols {
		leaf, _ := schema.Lookup(c)
		types[c] = leaf.Node.Type().String()
		if leaf.Node.Optional() {
			types[c] += "?"
		}
	}
	wantTypes := map[string]string{"region": "STRING", "headcount": "DOUBLE?", "headcount_se": "DOUBLE?",
		"headcount_ci_lower": "DOUBLE?", "headcount_ci_upper": "DOUBLE?", "headcount_unreliable": "BOOLEAN"}
	for c, w := range wantTypes {
		if types[c] != w {
			t.Errorf("column %s: type %s, want %s", c, types[c], w)
		}
	}
	if rows[0][1].Double() != 0.1234 || rows[0][2].Double() != 0.05 || !rows[0][5].Boolean() {
		t.Errorf("north %v", rows[0])
	}
	if string(rows[1][0].ByteArray()) != evil || !rows[1][1].IsNull() || !rows[1][2].IsNull() || rows[1][5].Boolean() {
		t.Errorf("empty region %v", rows[1])
	}
	_, rows, schema = parquetRows(t, tableFile(t, files, "tables/income_all.parquet"))
	if leaf, _ := schema.Lookup("n"); leaf.Node.Type().Kind() != parquet.Int64 || rows[0][leaf.ColumnIndex].Int64() != 2390 {
		t.Errorf("n: %v %v", leaf.Node.Type(), rows[0][leaf.ColumnIndex])
	}

	// The Arrow schema names every column with its type.
	fields := fileArrowSchema(t, b)
	wantFields := []arrowField{{"region", arrowUtf8, false, 0}, {"headcount", arrowFloatingPoint, true, 0}, {"headcount_se", arrowFloatingPoint, true, 0},
		{"headcount_ci_lower", arrowFloatingPoint, true, 0}, {"headcount_ci_upper", arrowFloatingPoint, true, 0}, {"headcount_unreliable", arrowBool, false, 0}}
	if !slices.Equal(fields, wantFields) {
		t.Errorf("arrow schema %v, want %v", fields, wantFields)
	}
}

func TestTableFilesFormats(t *testing.T) {
	for _, formats := range [][]string{nil, {"json"}, {"xlsx"}} {
		files, err := TableFiles(seStudy(t), seOutput(), formats)
		if err != nil || len(files) != 0 {
			t.Errorf("formats %q: %d files, %v", formats, len(files), err)
		}
	}
	files, _ := TableFiles(seStudy(t), seOutput(), []string{"parquet"})
	for _, f := range files {
		if !strings.HasSuffix(f.Name, ".parquet") {
			t.Errorf("formats [parquet]: %s", f.Name)
		}
	}
}

func TestTableFilesSameBytes(t *testing.T) {
	a, _ := TableFiles(seStudy(t), seOutput(), []string{"csv", "parquet"})
	b, _ := TableFiles(seStudy(t), seOutput(), []string{"csv", "parquet"})
	if !slices.EqualFunc(a, b, func(x, y pipeline.File) bool { return x.Name == y.Name && bytes.Equal(x.Data, y.Data) }) {
		t.Error("table files differ between two runs")
	}
}

func TestTableFilesClash(t *testing.T) {
	s := testStudy(t)
	s.Domains = [][]string{{"headcount"}}
	out := &pipeline.Output{Results: []pipeline.Result{
		{Indicator: "headcount", Line: "eu", Domain: []pipeline.DomainValue{{Column: "headcount", Value: "x"}}, Estimate: 0.1},
	}}
	_, err := TableFiles(s, out, []string{"csv"})
	if err == nil || !strings.Contains(err.Error(), `"headcount"`) || !strings.Contains(err.Error(), "poverty_by_headcount_eu") {
		t.Errorf("got %v, want an error naming the table and the column", err)
	}
}

// arrowField is a field of an Arrow schema as the test reads it.
type arrowField struct {
	name     string
	typeID   byte
	nullable bool
	bits     int // the bit width of an Int, the precision of a FloatingPoint
}

// fileArrowSchema reads the ARROW:schema of a Parquet file.
func fileArrowSchema(t *testing.T, b []byte) []arrowField {
	t.Helper()
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := pf.Lookup(arrowSchemaKey)
	if !ok {
		t.Fatal("no ARROW:schema")
	}
	return readArrowSchema(t, v)
}

// readArrowSchema decodes an encapsulated IPC Schema message: a small
// flatbuffers reader, independent of the writer (it reads the arrow-go
// reference in TestArrowSchemaReference).
func readArrowSchema(t *testing.T, enc string) []arrowField {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if len(raw) < 8 || le.Uint32(raw) != 0xFFFFFFFF {
		t.Fatalf("no continuation marker: % x", raw[:min(8, len(raw))])
	}
	n := int(le.Uint32(raw[4:]))
	if n%8 != 0 || 8+n > len(raw) {
		t.Fatalf("metadata length %d of %d bytes", n, len(raw))
	}
	buf := raw[8 : 8+n]
	// field returns the position of a field of the table at tab, 0 if absent.
	field := func(tab, slot int) int {
		vt := tab - int(int32(le.Uint32(buf[tab:])))
		if 4+2*slot >= int(le.Uint16(buf[vt:])) {
			return 0
		}
		if off := int(le.Uint16(buf[vt+4+2*slot:])); off != 0 {
			return tab + off
		}
		return 0
	}
	deref := func(at int) int { return at + int(le.Uint32(buf[at:])) }
	msg := deref(0)
	if p := field(msg, 0); p == 0 || le.Uint16(buf[p:]) != 4 {
		t.Errorf("metadata version is not V5")
	}
	if p := field(msg, 1); p == 0 || buf[p] != 1 {
		t.Fatalf("message header is not a Schema")
	}
	schema := deref(field(msg, 2))
	vec := deref(field(schema, 1))
	var fs []arrowField
	for i := range int(le.Uint32(buf[vec:])) {
		f := deref(vec + 4 + 4*i)
		name := deref(field(f, 0))
		af := arrowField{name: string(buf[name+4 : name+4+int(le.Uint32(buf[name:]))])}
		if p := field(f, 1); p != 0 {
			af.nullable = buf[p] == 1
		}
		if p := field(f, 2); p != 0 {
			af.typeID = buf[p]
		}
		typ := deref(field(f, 3))
		switch af.typeID {
		case arrowInt:
			if p := field(typ, 0); p != 0 {
				af.bits = int(le.Uint32(buf[p:]))
			}
		case arrowFloatingPoint:
			if p := field(typ, 0); p != 0 {
				af.bits = int(le.Uint16(buf[p:]))
			}
		}
		if af.typeID == arrowFloatingPoint && af.bits != arrowDouble {
			t.Errorf("field %s: precision %d, want DOUBLE", af.name, af.bits)
		}
		if af.typeID == arrowFloatingPoint {
			af.bits = 0 // compared as a double
		}
		fs = append(fs, af)
	}
	return fs
}

// arrowGoSchema is the ARROW:schema that arrow-go v17's pqarrow writer
// (WithStoreSchema) gives a table of the columns region (utf8), headcount
// (float64, nullable), n (int64, nullable) and unreliable (bool).
const arrowGoSchema = "/////ygBAAAQAAAAAAAKAAwACgAJAAQACgAAABAAAAAAAQQACAAIAAAABAAIAAAABAAAAAQAAADIAAAAfAAAADQAAAAEAAAAWP///xAAAAAQAAAAAAAABgwAAAAAAAAASP///woAAAB1bnJlbGlhYmxlAADM////EAAAABgAAAAAAAIBHAAAAAAAAAAIAAwACAAHAAgAAAAAAAABQAAAAAEAAABuAAAAEAAUABAADwAOAAgAAAAEABAAAAAQAAAAGAAAAAAAAwEYAAAAAAAAAAAABgAIAAYABgAAAAAAAgAJAAAAaGVhZGNvdW50AAAAEAAUABAAAAAPAAgAAAAEABAAAAAQAAAAFAAAAAAAAAUQAAAAAAAAAAQABAAEAAAABgAAAHJlZ2lvbgAAAAAAAP////8AAAAA"

// TestArrowSchema reads arrow-go's own encoding of a schema and povstat's
// encoding of the same schema with the same reader: both give the same
// fields.
func TestArrowSchema(t *testing.T) {
	want := []arrowField{{"region", arrowUtf8, false, 0}, {"headcount", arrowFloatingPoint, true, 0}, {"n", arrowInt, true, 64}, {"unreliable", arrowBool, false, 0}}
	if got := readArrowSchema(t, arrowGoSchema); !slices.Equal(got, want) {
		t.Fatalf("the reader reads arrow-go's schema as %v, want %v", got, want)
	}
	got := readArrowSchema(t, arrowSchema([]string{"region", "headcount", "n", "unreliable"}, []parquetKind{kindString, kindNullable, kindOptInt, kindBool}))
	if !slices.Equal(got, want) {
		t.Errorf("povstat's schema reads as %v, want %v", got, want)
	}
}

// TestTableFilesPyarrow reads the table files with pandas over pyarrow,
// which applies the ARROW:schema, when python3 has pyarrow.
func TestTableFilesPyarrow(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil || exec.Command(py, "-c", "import pyarrow, pandas").Run() != nil {
		t.Skip("python3 with pyarrow and pandas not found")
	}
	files, err := TableFiles(seStudy(t), seOutput(), []string{"csv", "parquet"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := `
import sys, pyarrow.parquet as pq, pandas as pd
d = sys.argv[1] + "/tables/"
t = pq.read_table(d + "poverty_by_region_eu.parquet")
print(t.schema.pandas_metadata is None, ",".join(str(f.type) + ("?" if f.nullable else "") for f in t.schema))
df = t.to_pandas()
c = pd.read_csv(d + "poverty_by_region_eu.csv", keep_default_na=False, na_values=[""])
print(df["headcount"].iloc[0], df["headcount"].isna().iloc[1], df["headcount_unreliable"].tolist(), c["headcount_unreliable"].tolist())
n = pq.read_table(d + "income_all.parquet").schema.field("n").type
print(n)
`
	got, err := exec.Command(py, "-c", script, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, got)
	}
	want := "True string,double?,double?,double?,double?,bool\n0.1234 True [True, False] [True, False]\nint64\n"
	if string(got) != want {
		t.Errorf("pyarrow reads\n%s\nwant\n%s", got, want)
	}
}

// TestAnnualSheetsShared: results.xlsx and tables.xlsx lay out the same
// table from the same model: the same domains and estimates.
func TestAnnualSheetsShared(t *testing.T) {
	s, out := seStudy(t), seOutput()
	rb, err := Workbook(s, out)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := TablesWorkbook(s, out)
	if err != nil {
		t.Fatal(err)
	}
	rf, tf := openWorkbook(t, rb), openWorkbook(t, tb)
	for _, sh := range []string{"region eu", "region half"} {
		rr, tr := rowOf(t, rf, sh, "north"), rowOf(t, tf, sh, "north")
		a, _ := rf.GetCellValue(sh, "B"+strconv.Itoa(rr), excelize.Options{RawCellValue: true})
		b, _ := tf.GetCellValue(sh, "B"+strconv.Itoa(tr), excelize.Options{RawCellValue: true})
		if a == "" || a != b {
			t.Errorf("sheet %s: north %q in results.xlsx, %q in tables.xlsx", sh, a, b)
		}
	}
}

// TestTablesWorkbookFiles: the contents name the table files only in the
// formats the study writes them in.
func TestTablesWorkbookFiles(t *testing.T) {
	for _, c := range []struct {
		formats []string
		want    string
	}{
		{[]string{"json", "xlsx"}, ""},
		{[]string{"xlsx", "csv"}, "tables/poverty_by_region_eu.csv"},
		{[]string{"parquet", "xlsx", "csv"}, "tables/poverty_by_region_eu.csv, .parquet"},
	} {
		s := seStudy(t)
		s.Formats = c.formats
		b, err := TablesWorkbook(s, seOutput())
		if err != nil {
			t.Fatal(err)
		}
		f := openWorkbook(t, b)
		r := rowOf(t, f, "contents", "5", "region eu")
		if v, _ := f.GetCellValue("contents", "D"+strconv.Itoa(r)); v != c.want {
			t.Errorf("formats %q: files %q, want %q", c.formats, v, c.want)
		}
	}
}
