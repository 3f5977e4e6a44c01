package datasets

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// openFixture opens an in-memory Parquet file named fixture.parquet.
func openFixture(t *testing.T, data []byte, reqs []Request, opts ...Option) *Table {
	t.Helper()
	opts = append([]Option{Columns(reqs...), Name("fixture.parquet")}, opts...)
	tb, err := Open(bytes.NewReader(data), int64(len(data)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestOpenParquetFixtures(t *testing.T) {
	cols := fixColumns()
	for _, cfg := range fixConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			data := writeFixture(t, cols, cfg)
			for _, kind := range []Kind{Numeric, Categorical} {
				reqs, want := fixtureRequests(cols, kind)
				tb := openFixture(t, data, reqs, Parallelism(3))
				if tb.Rows != fixRows || len(tb.Columns) != len(reqs) {
					t.Fatalf("%v: got %d rows, %d columns", kind, tb.Rows, len(tb.Columns))
				}
				for i, w := range want {
					if tb.Columns[i].Name != reqs[i].Name {
						t.Errorf("column %d is %s, want %s", i, tb.Columns[i].Name, reqs[i].Name)
					}
					if d := sameColumn(tb.Column(w.Name), w); d != "" {
						t.Errorf("%s %v: %s", w.Name, kind, d)
					}
				}
			}
		})
	}
}

// TestOpenParallelismInvariance checks that results are identical whatever
// the parallelism.
func TestOpenParallelismInvariance(t *testing.T) {
	cols := fixColumns()
	data := writeFixture(t, cols, fixConfig{name: "many", version: 2, rowGroup: 37, pageSize: 200})
	var cat, num []Request
	for _, c := range cols {
		cat = append(cat, Request{Name: c.name, Kind: Categorical})
		if c.num != nil {
			num = append(num, Request{Name: c.name, Kind: Numeric})
		}
	}
	for _, rs := range [][]Request{cat, num} {
		base := openFixture(t, data, rs, Parallelism(1))
		for _, par := range []int{2, 3, 8, 64} {
			tb := openFixture(t, data, rs, Parallelism(par))
			for i, c := range tb.Columns {
				if d := sameColumn(c, base.Columns[i]); d != "" {
					t.Errorf("Parallelism(%d) %s: %s", par, c.Name, d)
				}
			}
		}
	}
}

func TestOpenNoColumns(t *testing.T) {
	data := writeFixture(t, fixColumns(), fixConfig{version: 2, rowGroup: 300})
	tb := openFixture(t, data, nil)
	want := []Source{{Path: "fixture.parquet", Rows: fixRows, RowGroups: 4, RowGroupRows: []int{300, 300, 300, 100}}}
	if tb.Rows != fixRows || len(tb.Columns) != 0 || !slices.EqualFunc(tb.Sources, want, sameSource) {
		t.Errorf("got %+v", tb)
	}
}

func sameSource(a, b Source) bool {
	return a.Path == b.Path && a.Start == b.Start && a.Rows == b.Rows && a.RowGroups == b.RowGroups &&
		slices.Equal(a.RowGroupRows, b.RowGroupRows) &&
		len(a.Partition) == len(b.Partition) && (len(a.Partition) == 0 || mapsEqual(a.Partition, b.Partition))
}

func mapsEqual(a, b map[string]string) bool {
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return len(a) == len(b)
}

func TestOpenPartitionOption(t *testing.T) {
	cols := fixColumns()[:1]
	data := writeFixture(t, cols, fixConfig{version: 2})
	tb := openFixture(t, data,
		[]Request{{"year", Numeric}, {"region", Categorical}, {"d", Categorical}, {"blank", Numeric}},
		Partition(map[string]string{"year": "2020", "region": "AT1", "d": "shadowed", "blank": ""}))
	year, region, blank := tb.Column("year"), tb.Column("region"), tb.Column("blank")
	if year.Null != nil || year.Float[0] != 2020 || year.Float[fixRows-1] != 2020 {
		t.Errorf("year: %v…", year.Float[:3])
	}
	if !slices.Equal(region.Levels, []string{"AT1"}) || region.Codes[fixRows-1] != 0 {
		t.Errorf("region: %q", region.Levels)
	}
	if blank.Null == nil || !blank.Null[0] || blank.Float[0] != 0 {
		t.Errorf("blank partition value should be null")
	}
	if d := tb.Column("d"); slices.Contains(d.Levels, "shadowed") {
		t.Errorf("file column should take precedence over the partition value")
	}
}

func TestOpenErrors(t *testing.T) {
	cols := fixColumns()
	data := writeFixture(t, cols, fixConfig{version: 2})
	tests := []struct {
		name   string
		data   []byte
		opts   []Option
		want   error
		column string
		row    int
	}{
		{name: "missing column", data: data, opts: []Option{Columns(Request{"income", Numeric})},
			want: ErrMissingColumn, column: "income"},
		{name: "string as numeric", data: data, opts: []Option{Columns(Request{"d", Numeric}, Request{"s", Numeric})},
			want: ErrNotNumeric, column: "s"},
		{name: "fixed bytes as numeric", data: data, opts: []Option{Columns(Request{"fx", Numeric})},
			want: ErrNotNumeric, column: "fx"},
		{name: "duplicate request", data: data, opts: []Option{Columns(Request{"d", Numeric}, Request{"d", Categorical})},
			want: ErrDuplicateColumn},
		{name: "bad partition number", data: data,
			opts: []Option{Columns(Request{"year", Numeric}), Partition(map[string]string{"year": "twenty"})},
			want: ErrBadValue, column: "year"},
		{name: "csv bad number", data: []byte("a,b\n1,2\n3,x\n"),
			opts: []Option{Format(FormatCSV), Columns(Request{"a", Numeric}, Request{"b", Numeric})},
			want: ErrBadValue, column: "b", row: 3},
		{name: "csv missing column", data: []byte("a,b\n1,2\n"),
			opts: []Option{Format(FormatCSV), Columns(Request{"c", Categorical})},
			want: ErrMissingColumn, column: "c"},
		{name: "csv duplicate header", data: []byte("a,a\n1,2\n"),
			opts: []Option{Format(FormatCSV), Columns(Request{"a", Numeric})},
			want: ErrDuplicateColumn, column: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]Option{Name("hh.file")}, tt.opts...)
			_, err := Open(bytes.NewReader(tt.data), int64(len(tt.data)), opts...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if tt.column == "" {
				return
			}
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("%v is not a *RowError", err)
			}
			if re.File != "hh.file" || re.Column != tt.column || lineOrRow(re) != tt.row {
				t.Errorf("got file %q column %q row %d line %d, want hh.file %q %d", re.File, re.Column, re.Row, re.Line, tt.column, tt.row)
			}
			msg := err.Error()
			if !strings.Contains(msg, "hh.file") || !strings.Contains(msg, `"`+tt.column+`"`) {
				t.Errorf("message %q does not name file and column", msg)
			}
		})
	}
}

func TestOpenNotParquet(t *testing.T) {
	data := []byte("this is not a parquet file at all")
	_, err := Open(bytes.NewReader(data), int64(len(data)), Name("junk.parquet"), Columns(Request{"x", Numeric}))
	if err == nil || !strings.Contains(err.Error(), "junk.parquet") {
		t.Errorf("got %v, want an error naming junk.parquet", err)
	}
}

func TestOpenCorruptPage(t *testing.T) {
	cols := fixColumns()[:1]
	data := writeFixture(t, cols, fixConfig{version: 1})
	// Overwrite the middle of the data pages; the footer stays intact.
	bad := slices.Clone(data)
	for i := 20; i < len(bad)/2; i++ {
		bad[i] = 0xff
	}
	_, err := Open(bytes.NewReader(bad), int64(len(bad)), Name("bad.parquet"), Columns(Request{"d", Numeric}))
	var re *RowError
	if !errors.As(err, &re) || re.File != "bad.parquet" || re.Column != "d" || re.RowGroup != 0 {
		t.Errorf("got %v, want a *RowError for bad.parquet column d row group 0", err)
	}
}

func TestOpenNested(t *testing.T) {
	type rec struct {
		ID   int64   `parquet:"id"`
		Tags []int64 `parquet:"tags,list"`
		Kids []int32 `parquet:"kids"`
	}
	var buf bytes.Buffer
	if err := writeStructs(&buf, []rec{{1, []int64{1, 2}, []int32{3}}, {2, nil, nil}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tags", "kids"} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()), Name("nested.parquet"),
				Columns(Request{"id", Numeric}, Request{name, Categorical}))
			var re *RowError
			if !errors.Is(err, ErrNested) || !errors.As(err, &re) || re.Column != name {
				t.Errorf("got %v, want ErrNested for column %s", err, name)
			}
		})
	}
}

// lineOrRow is where a RowError points: the CSV line, else the row.
func lineOrRow(re *RowError) int {
	if re.Line > 0 {
		return re.Line
	}
	return re.Row
}

// fixtureRequests requests every fixture column of kind (numeric ones only
// for Numeric) and returns the columns a read must give.
func fixtureRequests(cols []fixCol, kind Kind) (reqs []Request, want []*Column) {
	for _, c := range cols {
		switch {
		case kind == Categorical:
			want = append(want, wantCategorical(c))
		case c.num != nil:
			want = append(want, wantNumeric(c))
		default:
			continue
		}
		reqs = append(reqs, Request{Name: c.name, Kind: kind})
	}
	return reqs, want
}
