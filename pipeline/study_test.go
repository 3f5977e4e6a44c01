package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const studyDir = "testdata/studies"

// studyMust parses a study from text, failing the test on error.
func studyMust(t *testing.T, path, text string) *Study {
	t.Helper()
	s, err := ParseStudy(path, []byte(text))
	if err != nil {
		t.Fatalf("ParseStudy(%s):\n%s\n%v", path, text, err)
	}
	return s
}

// studyErrLines parses a study that must fail and returns its error
// message, one problem a line.
func studyErrLines(t *testing.T, path, text string) []string {
	t.Helper()
	s, err := ParseStudy(path, []byte(text))
	if err == nil {
		t.Fatalf("ParseStudy(%s) = %+v, want an error", path, s)
	}
	if s != nil {
		t.Errorf("ParseStudy(%s) returned a study with its error", path)
	}
	return strings.Split(err.Error(), "\n")
}

func TestLoadStudyFull(t *testing.T) {
	path := filepath.Join(studyDir, "full.yaml")
	s, err := LoadStudy(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	pos := func(line int) string { return fmt.Sprintf("%s:%d", path, line) }
	want := &Study{
		Name:   "demo",
		Path:   path,
		Dir:    studyDir,
		SHA256: hex.EncodeToString(sum[:]),
		Inputs: []string{filepath.Join(studyDir, "data"), "/srv/shared/extra.csv"},
		Income: "income", Weight: "weight", Size: "hh_size", Adults: "n_adults", Children: "n_children",
		Unit:        "persons",
		Rows:        "households",
		Equivalence: "oecd",
		Lines: []Line{
			{Name: "median60", Basis: "median", Value: 0.6, Pos: pos(14)},
			{Name: "rural33", Basis: "mean", Value: 0.33, By: []string{"province"}, Where: []Condition{{"urban", "false"}}, Pos: pos(16)},
			{Name: "tieling", Basis: "median", Value: 0.45, By: []string{"county"}, Pos: pos(17)},
			{Name: "x", Basis: "median", Value: 0.5, Where: []Condition{{"urban", "true"}, {"province", "3"}}, Pos: pos(18)},
			{Name: "national", Basis: "abs", Value: 4000, Pos: pos(19)},
		},
		Domains:     [][]string{{"province"}, {"province", "urban"}, {"county"}},
		Indicators:  []string{"headcount", "gap", "severity", "watts"},
		Formats:     []string{"json"},
		Report:      false,
		Lang:        "en",
		Seed:        20201231,
		Nonpositive: "error",
		SEMethod:    "none",
		Lonely:      "adjust",
		Replicates:  defaultReplicates,
		Level:       defaultLevel,
		RSELimit:    defaultRSELimit,
	}
	s.keyLines = nil
	if !reflect.DeepEqual(s, want) {
		t.Errorf("LoadStudy(%s)\n got %+v\nwant %+v", path, s, want)
	}
}

func TestLoadStudyMinimalDefaults(t *testing.T) {
	path := filepath.Join(studyDir, "minimal.yaml")
	s, err := LoadStudy(path)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		field     string
		got, want any
	}{
		{"Name", s.Name, "minimal"},
		{"Inputs", s.Inputs, []string{filepath.Join(studyDir, "hh.parquet")}},
		{"Income", s.Income, "eqinc"},
		{"Weight", s.Weight, "rb050"},
		{"Size", s.Size, ""},
		{"Unit", s.Unit, "persons"},
		{"Rows", s.Rows, "persons"},
		{"Equivalence", s.Equivalence, "none"},
		{"Lines", s.Lines, []Line{{Name: "median60", Basis: "median", Value: 0.6, Pos: "default"}}},
		{"Domains", s.Domains, [][]string(nil)},
		{"Indicators", s.Indicators, DefaultIndicators()},
		{"Formats", s.Formats, []string{"csv", "json"}},
		{"Report", s.Report, true},
		{"Seed", s.Seed, uint64(1)},
		{"Nonpositive", s.Nonpositive, "exclude"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.field, c.got, c.want)
		}
	}
}

func TestLoadStudyMissingFile(t *testing.T) {
	_, err := LoadStudy(filepath.Join(studyDir, "no-such-study.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadStudy of a missing file: err = %v, want fs.ErrNotExist", err)
	}
}

// TestLoadStudyErrors checks every problem of each invalid fixture, with
// its line number and key.
func TestLoadStudyErrors(t *testing.T) {
	indicators := strings.Join(knownIndicatorList(), ", ")
	nameRule := "a name starts with a letter and has only letters, digits, '_', '.' and '-'"
	tests := []struct {
		file string
		want []string // without the leading "testdata/studies/FILE:"
	}{
		{"unknown_key.yaml", []string{
			`5: columns.weigth: unknown key (did you mean "weight"?)`,
			`6: domians: unknown key (did you mean "domains"?)`,
			`8: colour: unknown key; want one of ` + strings.Join(studyTopKeys, ", "),
			`10: outputs.format: unknown key (did you mean "formats"?)`,
		}},
		{"bad_values.yaml", []string{
			`7: unit: unknown value "housholds"; want persons or households (did you mean "households"?)`,
			`8: rows: unknown value "people"; want households or persons`,
			`9: equivalence: oecd needs columns.children, the numbers of adults and children in the household`,
			`10: indicators[1]: unknown indicator "gimi" (did you mean "gini"?); want one of ` + indicators,
			`10: indicators[2]: "headcount" is listed twice`,
			`10: indicators[3]: unknown indicator "povgap"; want one of ` + indicators,
			`12: outputs.formats[1]: unknown format "pdf"; want one of csv, json, xlsx, parquet`,
			`13: outputs.report: expected true or false, got a string "yes"`,
			`14: seed: expected a whole number from 0 to 18446744073709551615, got a number "-4"`,
			`16: options.nonpositive: unknown value "drop"; want exclude or error`,
		}},
		{"bad_types.yaml", []string{
			`1: name: expected a string, got a list`,
			`2: inputs: expected a list of Parquet or CSV files or directories, got a mapping`,
			`3: columns: expected a mapping with keys income, weight, size, adults, children, got a list`,
			`4: unit: unknown value "1"; want persons or households`,
			`5: lines: line "eu": expected NAME=SPEC, e.g. eu=median:0.6`,
			`7: domains[0]: empty domain; the whole population is always included`,
			`8: domains[1][1]: column "province" is already in this domain`,
			`9: domains[2]: expected a list of columns, got a mapping`,
			`11: outputs: expected a mapping with keys formats, report, lang, font, trends, got a string`,
			`12: seed: expected a whole number from 0 to 18446744073709551615, got a string "7"`,
			`13: options: expected a mapping with keys nonpositive, memory, got a list`,
		}},
		{"bad_lines.yaml", []string{
			`5: lines[1]: line "eu" is already defined at line 4`,
			`6: lines[2]: line "rural": "median:abc": fraction must be a number, got "abc"`,
			`8: lines[3]: line "gd": "mean:0.33@province?urban": condition "urban": expected COLUMN=VALUE`,
			`9: lines[4].spec: missing; want its SPEC, e.g. median:0.6`,
			`10: lines[5]: expected NAME=SPEC or a mapping with name and spec, got a list`,
			`11: lines[6]: line "9lives": bad character '9' in name; ` + nameRule,
			`12: lines[7]: line "eu" is already defined at line 4`,
			`14: lines[7].note: unknown key; want one of name, spec`,
		}},
		{"bad_flow_lines.yaml", []string{
			`3: lines[2]: line "province": expected NAME=SPEC, e.g. eu=median:0.6 (inside [ ] a ',' separates items: quote a spec with several @ columns)`,
		}},
		{"bad_needs.yaml", []string{
			`6: rows: unit households needs household rows (rows: households); person rows carry no household id`,
			`7: equivalence: per-capita needs columns.size, the number of persons in the household`,
		}},
		{"bad_missing.yaml", []string{
			`1: inputs: missing; want a list of Parquet or CSV files or directories`,
			`2: columns.income: missing; want the name of the income column`,
			`2: columns.weight: missing; want the name of the weight column`,
		}},
		{"bad_syntax.yaml", []string{`2: invalid YAML: ',' or ']' must be specified`}},
		{"bad_two_docs.yaml", []string{`4: more than one YAML document; a study file holds one`}},
		{"empty.yaml", []string{`1: empty study; expected a mapping with at least inputs and columns`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(studyDir, tt.file)
			s, err := LoadStudy(path)
			if err == nil {
				t.Fatalf("LoadStudy(%s) = %+v, want an error", path, s)
			}
			got := strings.Split(err.Error(), "\n")
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = path + ":" + w
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("LoadStudy(%s) errors\n got %s\nwant %s", path, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
			}
		})
	}
}

func TestParseStudyPaths(t *testing.T) {
	const text = "inputs: [a.csv, sub/b.parquet, ../c, /abs/d]\ncolumns: {income: i, weight: w}\n"
	tests := []struct {
		path, dir string
		inputs    []string
	}{
		{"study.yaml", ".", []string{"a.csv", "sub/b.parquet", "../c", "/abs/d"}},
		{"proj/study.yaml", "proj", []string{"proj/a.csv", "proj/sub/b.parquet", "c", "/abs/d"}},
		{"/srv/proj/study.yaml", "/srv/proj", []string{"/srv/proj/a.csv", "/srv/proj/sub/b.parquet", "/srv/c", "/abs/d"}},
	}
	for _, tt := range tests {
		s := studyMust(t, tt.path, text)
		if s.Path != tt.path || s.Dir != tt.dir || !reflect.DeepEqual(s.Inputs, tt.inputs) {
			t.Errorf("ParseStudy(%s): Path %q Dir %q Inputs %q; want %q %q %q", tt.path, s.Path, s.Dir, s.Inputs, tt.path, tt.dir, tt.inputs)
		}
	}
	got := studyErrLines(t, "p/s.yaml", "inputs: [a.csv, ./a.csv, '']\ncolumns: {income: i, weight: w}\n")
	want := []string{`p/s.yaml:1: inputs[1]: p/a.csv is already inputs[0]`, `p/s.yaml:1: inputs[2]: empty path`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("duplicate inputs: got %q, want %q", got, want)
	}
}

func TestParseStudySHA256(t *testing.T) {
	const text = "inputs: [d]\ncolumns: {income: i, weight: w}\n"
	s := studyMust(t, "s.yaml", text)
	if want := "6fef6029f8515842a17b74b1bf418b91649d5ea9aeac7d348dda8ae6dd1bacb2"; s.SHA256 != want {
		t.Errorf("SHA256 = %s, want %s", s.SHA256, want)
	}
	// The hash is of the bytes, not of the meaning: a comment changes it.
	s2 := studyMust(t, "s.yaml", "# same study\n"+text)
	if s2.SHA256 == s.SHA256 {
		t.Error("SHA256 ignores a comment; want the hash of the file bytes")
	}
}

func TestParseStudyName(t *testing.T) {
	const text = "inputs: [d]\ncolumns: {income: i, weight: w}\n"
	if s := studyMust(t, "dir/eu-silc.2019.yaml", text); s.Name != "eu-silc.2019" {
		t.Errorf("default Name = %q, want the file name without extension", s.Name)
	}
	if s := studyMust(t, "s.yaml", "name: 2019 wave\n"+text); s.Name != "2019 wave" {
		t.Errorf("Name = %q", s.Name)
	}
	got := studyErrLines(t, "s.yaml", "name: ''\n"+text)
	if want := []string{`s.yaml:1: name: empty name`}; !reflect.DeepEqual(got, want) {
		t.Errorf("empty name: got %q, want %q", got, want)
	}
}

func TestParseStudyUnitRows(t *testing.T) {
	const base = "inputs: [d]\ncolumns: {income: i, weight: w%s}\n%s"
	tests := []struct {
		columns, extra string
		unit, rows     string
	}{
		{"", "", "persons", "persons"},
		{", size: n", "", "persons", "households"},
		{"", "unit: households\n", "households", "households"},
		{", size: n", "unit: households\n", "households", "households"},
		{", size: n", "rows: persons\n", "persons", "persons"},
		{"", "rows: persons\n", "persons", "persons"},
		{", size: n", "unit: persons\nrows: households\n", "persons", "households"},
	}
	for _, tt := range tests {
		text := fmt.Sprintf(base, tt.columns, tt.extra)
		s := studyMust(t, "s.yaml", text)
		if s.Unit != tt.unit || s.Rows != tt.rows {
			t.Errorf("%s: unit %q rows %q, want %q %q", text, s.Unit, s.Rows, tt.unit, tt.rows)
		}
	}
	errs := []struct {
		columns, extra, want string
	}{
		{"", "rows: households\n", "s.yaml:3: rows: unit persons with household rows needs columns.size, the number of persons in each household"},
		{"", "unit: households\nrows: persons\n", "s.yaml:4: rows: unit households needs household rows (rows: households); person rows carry no household id"},
		{"", "equivalence: sqrt\n", "s.yaml:3: equivalence: sqrt needs columns.size, the number of persons in the household"},
		{", size: n", "equivalence: oecd\n", "s.yaml:3: equivalence: oecd needs columns.adults and columns.children, the numbers of adults and children in the household"},
		{"", "equivalence: OECD\n", `s.yaml:3: equivalence: unknown value "OECD"; want none, per-capita, oecd or sqrt (did you mean "oecd"?)`},
	}
	for _, tt := range errs {
		text := fmt.Sprintf(base, tt.columns, tt.extra)
		if got := studyErrLines(t, "s.yaml", text); !reflect.DeepEqual(got, []string{tt.want}) {
			t.Errorf("%s:\n got %q\nwant %q", text, got, tt.want)
		}
	}
	s := studyMust(t, "s.yaml", fmt.Sprintf(base, ", adults: a, children: c", "equivalence: oecd\n"))
	if s.Equivalence != "oecd" || s.Adults != "a" || s.Children != "c" {
		t.Errorf("oecd study: %+v", s)
	}
}

func TestParseStudyEmptyAndNull(t *testing.T) {
	const base = "inputs: [d]\ncolumns: {income: i, weight: w}\n"
	// Null means "not given": the default.
	s := studyMust(t, "s.yaml", base+"lines:\ndomains:\nindicators:\noutputs:\noptions:\n")
	if len(s.Lines) != 1 || s.Lines[0].Name != "median60" || s.Domains != nil ||
		len(s.Indicators) != len(DefaultIndicators()) || !s.Report || len(s.Formats) != 2 || s.Nonpositive != "exclude" {
		t.Errorf("null keys did not give the defaults: %+v", s)
	}
	// An explicit empty list of lines or formats means none.
	s = studyMust(t, "s.yaml", base+"lines: []\noutputs: {formats: []}\n")
	if s.Lines == nil || len(s.Lines) != 0 || s.Formats == nil || len(s.Formats) != 0 {
		t.Errorf("lines: [] gave %#v, formats: [] gave %#v; want empty, non-nil", s.Lines, s.Formats)
	}
	got := studyErrLines(t, "s.yaml", "inputs: []\ncolumns: {income: i, weight: w}\nindicators: []\n")
	want := []string{
		"s.yaml:1: inputs: empty; want a list of Parquet or CSV files or directories",
		"s.yaml:3: indicators: empty; want some of " + strings.Join(knownIndicatorList(), ", ") + ", or no indicators key for the defaults",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("empty lists:\n got %q\nwant %q", got, want)
	}
}

func TestParseStudyScalarLists(t *testing.T) {
	// A single value stands for a list of one.
	s := studyMust(t, "s.yaml", "inputs: d.csv\ncolumns: {income: i, weight: w}\nlines: eu=median:0.6\ndomains: province\nindicators: headcount\noutputs: {formats: csv}\n")
	if !reflect.DeepEqual(s.Inputs, []string{"d.csv"}) || len(s.Lines) != 1 || !reflect.DeepEqual(s.Domains, [][]string{{"province"}}) ||
		!reflect.DeepEqual(s.Indicators, []string{"headcount"}) || !reflect.DeepEqual(s.Formats, []string{"csv"}) {
		t.Errorf("scalar lists: %+v", s)
	}
}

func TestParseStudyQuotedFlowLine(t *testing.T) {
	s := studyMust(t, "s.yaml", "inputs: [d]\ncolumns: {income: i, weight: w}\nlines: [eu=median:0.6, 't=median:0.45@county,province']\n")
	if len(s.Lines) != 2 || !reflect.DeepEqual(s.Lines[1].By, []string{"county", "province"}) || s.Lines[1].Pos != "s.yaml:3" {
		t.Errorf("lines = %+v", s.Lines)
	}
}

func TestParseStudyAliases(t *testing.T) {
	text := `inputs: [d]
columns:
  income: &inc income
  weight: weight
domains:
  - &geo [province, urban]
lines:
  - &eu eu=median:0.6
  - name: eu_by_region
    spec: !!str median:0.6@region
indicators: [*inc]
`
	got := studyErrLines(t, "s.yaml", text)
	want := []string{`s.yaml:11: indicators[0]: unknown indicator "income"; want one of ` + strings.Join(knownIndicatorList(), ", ")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alias resolved wrongly:\n got %q\nwant %q", got, want)
	}
	s := studyMust(t, "s.yaml", strings.Replace(text, "[*inc]", "[headcount]", 1))
	if len(s.Lines) != 2 || s.Lines[0].Spec() != "median:0.6" || s.Lines[1].Spec() != "median:0.6@region" ||
		!reflect.DeepEqual(s.Domains, [][]string{{"province", "urban"}}) || s.Income != "income" {
		t.Errorf("anchors and tags: %+v", s)
	}
	got = studyErrLines(t, "s.yaml", "inputs: [d]\ncolumns: {income: i, weight: w}\ndomains:\n  - &g [a, b]\n  - *g\n")
	want = []string{`s.yaml:5: domains[1]: same columns as an earlier domain (a, b)`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alias of a domain:\n got %q\nwant %q", got, want)
	}
}

func TestParseStudySeed(t *testing.T) {
	const base = "inputs: [d]\ncolumns: {income: i, weight: w}\nseed: "
	for text, want := range map[string]uint64{"0": 0, "20201231": 20201231, "18446744073709551615": 1<<64 - 1, "0x10": 16} {
		if s := studyMust(t, "s.yaml", base+text+"\n"); s.Seed != want {
			t.Errorf("seed %s: got %d, want %d", text, s.Seed, want)
		}
	}
	for _, text := range []string{"1.5", "-1", "abc", "[1]", "18446744073709551616"} {
		got := studyErrLines(t, "s.yaml", base+text+"\n")
		if len(got) != 1 || !strings.HasPrefix(got[0], "s.yaml:3: seed: expected a whole number from 0 to 18446744073709551615, got ") {
			t.Errorf("seed %s: got %q", text, got)
		}
	}
}

func TestParseStudyLineMappingErrors(t *testing.T) {
	const base = "inputs: [d]\ncolumns: {income: i, weight: w}\nlines:\n"
	tests := []struct{ lines, want string }{
		{"  - spec: median:0.6\n", "s.yaml:4: lines[0].name: missing; want the line's name"},
		{"  - name: [a]\n    spec: median:0.6\n", "s.yaml:4: lines[0].name: expected a string, got a list"},
		{"  - name: eu\n    spec: median:-1\n", `s.yaml:5: lines[0]: line "eu": "median:-1": fraction must be greater than 0, got "-1"`},
		{"  - name: eu\n    spce: median:0.6\n", `s.yaml:5: lines[0].spce: unknown key (did you mean "spec"?)`},
		{"  - {name: eu, spec: median:0.6}\n  - eu=mean:0.5\n", `s.yaml:5: lines[1]: line "eu" is already defined at line 4`},
		{"  - 42\n", `s.yaml:4: lines[0]: line "42": expected NAME=SPEC, e.g. eu=median:0.6`},
	}
	for _, tt := range tests {
		if got := studyErrLines(t, "s.yaml", base+tt.lines); !reflect.DeepEqual(got, []string{tt.want}) {
			t.Errorf("%s\n got %q\nwant %q", tt.lines, got, tt.want)
		}
	}
}

func TestParseStudyDomains(t *testing.T) {
	const base = "inputs: [d]\ncolumns: {income: i, weight: w}\ndomains:\n"
	s := studyMust(t, "s.yaml", base+"  - [province]\n  - [urban, province]\n  - [province, urban]\n")
	if want := [][]string{{"province"}, {"urban", "province"}, {"province", "urban"}}; !reflect.DeepEqual(s.Domains, want) {
		t.Errorf("Domains = %q, want %q", s.Domains, want)
	}
	got := studyErrLines(t, "s.yaml", base+"  - [province]\n  - [province]\n  - ['']\n")
	want := []string{
		"s.yaml:5: domains[1]: same columns as an earlier domain (province)",
		"s.yaml:6: domains[2][0]: empty column name",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bad domains:\n got %q\nwant %q", got, want)
	}
}

func TestParseStudyMisc(t *testing.T) {
	tests := []struct{ text, want string }{
		{"- a\n- b\n", "s.yaml:1: expected a mapping with keys " + strings.Join(studyTopKeys, ", ") + ", got a list"},
		{"just text\n", "s.yaml:1: expected a mapping with keys " + strings.Join(studyTopKeys, ", ") + ", got a string"},
		{"inputs: [d]\ninputs: [e]\ncolumns: {income: i, weight: w}\n", `s.yaml:2: invalid YAML: mapping key "inputs" already defined at [1:1]`},
		{"inputs: [d]\ncolumns: {income: i, weight: ''}\n", "s.yaml:2: columns.weight: empty column name"},
		{"inputs: [d]\ncolumns: {income: i, weight: w}\nindicators: {headcount: true}\n", "s.yaml:3: indicators: expected a list of indicators, got a mapping"},
		{"inputs: [d]\ncolumns: {income: i, weight: w}\ninput: [e]\n", `s.yaml:3: input: unknown key (did you mean "inputs"?)`},
	}
	for _, tt := range tests {
		if got := studyErrLines(t, "s.yaml", tt.text); !reflect.DeepEqual(got, []string{tt.want}) {
			t.Errorf("%s\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
}

func TestCheckColumns(t *testing.T) {
	path := filepath.Join(studyDir, "unknown_columns.yaml")
	s, err := LoadStudy(path)
	if err != nil {
		t.Fatal(err)
	}
	available := []string{"income", "weight", "hh_size", "province", "urban"}
	has := map[string]bool{}
	for _, c := range available {
		has[c] = true
	}
	list := "input has: income, weight, hh_size, province, urban"
	want := []string{
		path + `:3: columns.income: unknown column "incme" (did you mean "income"? ` + list + `)`,
		path + `:9: lines[1] "rural33": unknown column "urbn" (did you mean "urban"? ` + list + `)`,
		path + `:12: domains[1]: unknown column "region" (` + list + `)`,
	}
	for name, f := range map[string]func(string) bool{"has": func(c string) bool { return has[c] }, "nil": nil} {
		err := s.CheckColumns(f, available)
		if err == nil {
			t.Fatalf("%s: CheckColumns = nil, want errors", name)
		}
		if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: CheckColumns\n got %s\nwant %s", name, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
		}
	}
	all := append(available, "incme", "urbn", "region")
	if err := s.CheckColumns(nil, all); err != nil {
		t.Errorf("CheckColumns with every column: %v", err)
	}
}

func TestCheckColumnsStudyByHand(t *testing.T) {
	// A study made in code (say from command-line flags) has no file
	// positions; a line from --line names its flag.
	l, err := ParseLine("rural=mean:0.33@province?urbn=false")
	if err != nil {
		t.Fatal(err)
	}
	l.Pos = "--line"
	s := &Study{Income: "income", Weight: "wt", Lines: []Line{l}, Domains: [][]string{{"region"}}}
	available := make([]string, 30)
	for i := range available {
		available[i] = fmt.Sprintf("c%02d", i)
	}
	available[0], available[1], available[2] = "income", "province", "urban"
	err = s.CheckColumns(nil, available)
	list := strings.Join(available[:20], ", ") + ", … (30 in all)"
	want := []string{
		`columns.weight: unknown column "wt" (input has: ` + list + `)`,
		`--line: line "rural": unknown column "urbn" (did you mean "urban"? input has: ` + list + `)`,
		`domains[0]: unknown column "region" (input has: ` + list + `)`,
	}
	if err == nil {
		t.Fatal("CheckColumns = nil, want errors")
	}
	if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("CheckColumns\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	s.Weight = "c05"
	s.Lines = nil
	s.Domains = nil
	if err := s.CheckColumns(nil, available); err != nil {
		t.Errorf("CheckColumns = %v, want nil", err)
	}
	if err := (&Study{Income: "x", Weight: "y"}).CheckColumns(nil, nil); err == nil ||
		!strings.Contains(err.Error(), `unknown column "x" (input has: no columns)`) {
		t.Errorf("no columns: %v", err)
	}
}

func TestKnownIndicator(t *testing.T) {
	for _, name := range []string{"population", "n", "mean", "median", "line", "headcount", "gap", "severity", "watts", "sen", "rmpg", "poor_population", "gap_total",
		"gini", "theil_t", "theil_l", "ge_2", "ge_-1", "ge_0.5", "atkinson_0.5", "atkinson_1", "atkinson_2", "qsr", "palma",
		"share_q1", "share_q5", "share_d10", "cv", "williamson", "max_min_ratio", "region_mean", "theil_l_between_share", "ratio"} {
		if !KnownIndicator(name) {
			t.Errorf("KnownIndicator(%q) = false", name)
		}
	}
	for _, name := range []string{"", "Headcount", "fgt0", "ge_", "ge_x", "ge_inf", "atkinson_-1", "share_q0", "share_q6", "share_d11", "share_q01"} {
		if KnownIndicator(name) {
			t.Errorf("KnownIndicator(%q) = true", name)
		}
	}
	d := DefaultIndicators()
	if len(d) != 18 || d[0] != "population" || d[12] != "gap_total" || d[13] != "gini" {
		t.Errorf("DefaultIndicators() = %q", d)
	}
	d[0] = "changed"
	if DefaultIndicators()[0] != "population" {
		t.Error("DefaultIndicators returns shared state")
	}
}

func ExampleParseStudy() {
	study := `name: demo
inputs: [data]
columns: {income: income, weight: weight, size: hh_size}
lines:
  - eu=median:0.6
  - rural33=mean:0.33@province?urban=false
domians: [[province]]
`
	s, err := ParseStudy("study.yaml", []byte(study))
	fmt.Println(s, err)

	s, err = ParseStudy("study.yaml", []byte(strings.Replace(study, "domians", "domains", 1)))
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Name, s.Inputs, s.Unit, s.Rows, s.Domains)
	for _, l := range s.Lines {
		fmt.Println(l.Pos, l.Name, l.Spec())
	}
	fmt.Println(s.CheckColumns(nil, []string{"income", "weight", "hh_size", "province", "urbn"}))
	// Output:
	// <nil> study.yaml:7: domians: unknown key (did you mean "domains"?)
	// demo [data] persons households [[province]]
	// study.yaml:5 eu median:0.6
	// study.yaml:6 rural33 mean:0.33@province?urban=false
	// study.yaml:6: lines[1] "rural33": unknown column "urban" (did you mean "urbn"? input has: income, weight, hh_size, province, urbn)
}

func TestParseStudyMergeKeys(t *testing.T) {
	text := `inputs: [d]
columns: &cols
  income: income
  weight: weight
lines:
  - &base {name: eu, spec: median:0.6}
  - <<: *base
    name: eu50
    spec: median:0.5
  - {<<: *base, name: eu70}
`
	s := studyMust(t, "s.yaml", text)
	want := []string{"eu=median:0.6", "eu50=median:0.5", "eu70=median:0.6"}
	var got []string
	for _, l := range s.Lines {
		got = append(got, l.Name+"="+l.Spec())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines with merge keys = %q, want %q", got, want)
	}
	errs := studyErrLines(t, "s.yaml", "inputs: [d]\ncolumns:\n  <<: [x]\n  income: i\n  weight: w\n")
	if want := []string{"s.yaml:3: columns.<<: expected an alias of a mapping, got a string"}; !reflect.DeepEqual(errs, want) {
		t.Errorf("bad merge: got %q, want %q", errs, want)
	}
}

func TestParseStudyOddYAML(t *testing.T) {
	const base = "inputs: [d]\ncolumns: {income: i, weight: w}\n"
	// A byte order mark is allowed, and is part of the hashed bytes.
	s := studyMust(t, "s.yaml", "\ufeff"+base)
	if s.Income != "i" || s.SHA256 == studyMust(t, "s.yaml", base).SHA256 {
		t.Errorf("BOM: %+v", s)
	}
	tests := []struct{ text, want string }{
		{"inputs: [d]\ncolumns: {income: i, weight: *nope}\n", "s.yaml:2: columns.weight: expected a string, got an alias with no anchor"},
		{base + "unit: ~\n", "s.yaml:3: unit: expected a string, got nothing"},
		{base + "lines:\n  - eu=median:0.6\n  -\n", "s.yaml:5: lines[1]: expected NAME=SPEC or a mapping with name and spec, got nothing"},
	}
	for _, tt := range tests {
		if got := studyErrLines(t, "s.yaml", tt.text); !reflect.DeepEqual(got, []string{tt.want}) {
			t.Errorf("%s\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
}
