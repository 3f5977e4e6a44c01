package datasets

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestScreen(t *testing.T) {
	const data = `income,weight,size,region
1,1,2,a
,1,1,a
NaN,1,1,b
-5,2,1,b
3,0,1,
4,-1,1,c
5,1,0,c
6,1,,c
7,1,1,c
`
	tbl, err := Open(bytes.NewReader([]byte(data)), int64(len(data)), Format(FormatCSV), Name("hh.csv"),
		Columns(Request{"income", Numeric}, Request{"weight", Numeric}, Request{"size", Numeric}, Request{"region", Categorical}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Screen(tbl, Roles{Income: "income", Weight: "weight", Size: "size"})
	if err != nil {
		t.Fatal(err)
	}
	wantKeep := []bool{true, false, false, true, false, false, false, false, true}
	for i, k := range wantKeep {
		if s.Keep[i] != k {
			t.Errorf("row %d: keep %v, want %v", i+1, s.Keep[i], k)
		}
	}
	if s.Kept != 3 {
		t.Errorf("kept %d, want 3", s.Kept)
	}
	// Rows counts the kept rows and the excluded ones, not the kept rows a
	// rule flags (negative income, a missing region).
	if s.Rows() != 9 {
		t.Errorf("rows %d, want 9", s.Rows())
	}
	got := map[string]int{}
	for _, c := range s.Rules {
		got[c.Rule+"/"+c.Action] = c.Rows
	}
	want := map[string]int{
		"missing income/excluded":                  1,
		"non-finite income/excluded":               1,
		"zero or negative weight/excluded":         2,
		"zero or negative household size/excluded": 1,
		"missing household size/excluded":          1,
		"negative income/kept":                     1,
		"missing value (kept as empty level)/kept": 1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %d rows, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rules %v, want %v", got, want)
	}
	for _, c := range s.Rules {
		if c.Rule == "zero or negative weight" {
			if len(c.Examples) != 2 || !strings.HasPrefix(c.Examples[0], "hh.csv row 5") {
				t.Errorf("examples %q, want hh.csv rows 5 and 6", c.Examples)
			}
		}
		if c.Rule == "missing value (kept as empty level)" && !slices.Equal(c.Examples, []string{"hh.csv row 5"}) {
			t.Errorf("missing region: examples %q, want hh.csv row 5", c.Examples)
		}
	}
}

func TestScreenAllGoodKeepsNil(t *testing.T) {
	const data = "income,weight\n1,1\n2,3\n"
	tbl, err := Open(bytes.NewReader([]byte(data)), int64(len(data)), Format(FormatCSV),
		Columns(Request{"income", Numeric}, Request{"weight", Numeric}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Screen(tbl, Roles{Income: "income", Weight: "weight"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Keep != nil || s.Kept != 2 || len(s.Rules) != 0 {
		t.Errorf("screening of good rows: %+v", s)
	}
	if _, err := Screen(tbl, Roles{Income: "income", Weight: "w"}); err == nil {
		t.Error("no error for a role column that was not read")
	}
}
