package datasets

import (
	"context"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// TestEUSILC reads the laeken eusilc sample from Parquet and from CSV and
// checks that both agree with each other and with published values.
func TestEUSILC(t *testing.T) {
	pq := sharedData(t, "eusilc.parquet")
	cs := sharedData(t, "eusilc.csv")
	reqs := []Request{
		{"eqIncome", Numeric}, {"rb050", Numeric}, {"db040", Categorical}, {"db030", Categorical},
		{"age", Numeric}, {"py010n", Numeric}, {"pl030", Categorical}, {"rb090", Categorical}, {"pb220a", Categorical},
	}
	tables := map[string]*Table{}
	for _, p := range []string{pq, cs} {
		tb, err := Read(context.Background(), []string{p}, reqs)
		if err != nil {
			t.Fatal(err)
		}
		tables[p] = tb
		if tb.Rows != 14827 {
			t.Errorf("%s: %d rows, want 14827", p, tb.Rows)
		}
		if n := len(tb.Column("db040").Levels); n != 9 {
			t.Errorf("%s: %d regions, want 9", p, n)
		}
		if n := len(tb.Column("db030").Levels); n != 6000 {
			t.Errorf("%s: %d households, want 6000", p, n)
		}
		// Published weighted mean of eqIncome (laeken::weightedMean).
		x, w := tb.Column("eqIncome").Float, tb.Column("rb050").Float
		var sw, swx float64
		zeros := 0
		for i := range x {
			sw += w[i]
			swx += w[i] * x[i]
			if x[i] == 0 {
				zeros++
			}
		}
		if m := swx / sw; math.Abs(m-19890.8069312955) > 1e-6 {
			t.Errorf("%s: weighted mean %v, want 19890.8069312955", p, m)
		}
		if zeros != 3 {
			t.Errorf("%s: %d zero incomes, want 3", p, zeros)
		}
		if py := tb.Column("py010n"); py.Null == nil || countTrue(py.Null) != 2720 {
			t.Errorf("%s: py010n should have 2720 nulls", p)
		}
	}
	a, b := tables[pq], tables[cs]
	for i, ca := range a.Columns {
		cb := b.Columns[i]
		if !slices.Equal(ca.Null, cb.Null) {
			t.Errorf("%s: nulls differ between Parquet and CSV", ca.Name)
		}
		for r := range ca.Float {
			if d := math.Abs(ca.Float[r] - cb.Float[r]); d > 1e-9*math.Abs(ca.Float[r]) {
				t.Errorf("%s row %d: parquet %v, csv %v", ca.Name, r, ca.Float[r], cb.Float[r])
				break
			}
		}
		for r := range ca.Codes {
			if ca.Levels[ca.Codes[r]] != cb.Levels[cb.Codes[r]] {
				t.Errorf("%s row %d: parquet %q, csv %q", ca.Name, r, ca.Levels[ca.Codes[r]], cb.Levels[cb.Codes[r]])
				break
			}
		}
	}
	var sa, sb float64
	for r := range a.Rows {
		sa += a.Column("rb050").Float[r]
		sb += b.Column("rb050").Float[r]
	}
	if math.Abs(sa-sb) > 1e-6 {
		t.Errorf("sum of rb050: parquet %v, csv %v", sa, sb)
	}
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}

// TestDuckDB reads the file written by DuckDB and compares every column with
// parquet-go's row reader.
func TestDuckDB(t *testing.T) {
	path := sharedData(t, "duckdb_households_100k.parquet")
	names := []string{"hh_id", "province", "county", "urban", "hh_size", "income", "weight"}
	var num, cat []Request
	for _, n := range names {
		num = append(num, Request{n, Numeric})
		cat = append(cat, Request{n, Categorical})
	}
	tn, err := Read(context.Background(), []string{path}, num)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := Read(context.Background(), []string{path}, cat)
	if err != nil {
		t.Fatal(err)
	}
	if tn.Rows != 100000 || tc.Rows != 100000 {
		t.Fatalf("got %d and %d rows, want 100000", tn.Rows, tc.Rows)
	}
	if n := len(tc.Column("province").Levels); n != 31 {
		t.Errorf("got %d provinces, want 31", n)
	}
	if got := slices.Sorted(slices.Values(tc.Column("urban").Levels)); !slices.Equal(got, []string{"false", "true"}) {
		t.Errorf("urban levels %q", got)
	}
	want := slowRead(t, path, names)
	for c, name := range names {
		fc, cc := tn.Column(name), tc.Column(name)
		if len(want[c]) != tn.Rows {
			t.Fatalf("%s: slow path read %d rows", name, len(want[c]))
		}
		for r, v := range want[c] {
			if v.IsNull() {
				t.Fatalf("%s row %d: unexpected null", name, r)
			}
			f, s := slowValue(v)
			if fc.Float[r] != f || cc.Levels[cc.Codes[r]] != s {
				t.Fatalf("%s row %d: got %v %q, want %v %q", name, r, fc.Float[r], cc.Levels[cc.Codes[r]], f, s)
			}
		}
		if fc.Null != nil || cc.Null != nil {
			t.Errorf("%s: no value is null", name)
		}
	}
}

// slowRead reads the named columns with parquet-go's row reader.
func slowRead(t *testing.T, path string, names []string) [][]parquet.Value {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	st, _ := fh.Stat()
	f, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = f.Root().Column(n).Index()
	}
	out := make([][]parquet.Value, len(names))
	r := parquet.NewReader(f)
	defer r.Close()
	rows := make([]parquet.Row, 1024)
	for {
		n, err := r.ReadRows(rows)
		for _, row := range rows[:n] {
			for i, j := range idx {
				out[i] = append(out[i], row[j].Clone())
			}
		}
		if err != nil {
			break
		}
	}
	return out
}

// slowValue returns the expected Numeric value and level string of v.
func slowValue(v parquet.Value) (float64, string) {
	switch v.Kind() {
	case parquet.Boolean:
		if v.Boolean() {
			return 1, "true"
		}
		return 0, "false"
	case parquet.Int32:
		return float64(v.Int32()), v.String()
	case parquet.Int64:
		return float64(v.Int64()), v.String()
	case parquet.Double:
		return v.Double(), v.String()
	}
	panic("unexpected kind " + v.Kind().String())
}
