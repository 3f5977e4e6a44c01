package datasets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func TestOpenCSV(t *testing.T) {
	data := "\uFEFFid,region,income\n" +
		"1,north,10.5\n" +
		"2,\"south, coast\",\n" +
		"3,,1e3\n" +
		"4,\"multi\nline\",-0\n" +
		"5,north,NaN\n"
	tb, err := Open(strings.NewReader(data), int64(len(data)), Format(FormatCSV), Name("hh.csv"),
		Columns(Request{"income", Numeric}, Request{"region", Categorical}, Request{"id", Categorical}))
	if err != nil {
		t.Fatal(err)
	}
	inc := tb.Column("income")
	want := []float64{10.5, 0, 1000, math.Copysign(0, -1), math.NaN()}
	for i, w := range want {
		if floatBits(inc.Float[i]) != floatBits(w) {
			t.Errorf("income row %d: got %v, want %v", i, inc.Float[i], w)
		}
	}
	if !slices.Equal(inc.Null, []bool{false, true, false, false, false}) {
		t.Errorf("income nulls %v", inc.Null)
	}
	checkLevels(t, tb.Column("region"), []string{"north", "south, coast", "", "multi\nline", "north"},
		[]string{"north", "south, coast", "", "multi\nline"})
	if r := tb.Column("region"); !slices.Equal(r.Null, []bool{false, false, true, false, false}) {
		t.Errorf("region nulls %v", r.Null)
	}
	if id := tb.Column("id"); id.Null != nil || len(id.Levels) != 5 {
		t.Errorf("id: %+v", id)
	}
	if len(tb.Sources) != 1 || tb.Sources[0].Path != "hh.csv" || tb.Sources[0].Rows != 5 {
		t.Errorf("sources %+v", tb.Sources)
	}
}

func TestOpenCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want error
		row  int
	}{
		{"bad number after quoted newline", "a,b\n1,\"x\ny\"\nz,2\n", ErrBadValue, 4},
		{"NA is not null", "a\n1\nNA\n", ErrBadValue, 3},
		{"spaces", "a\n 1\n", ErrBadValue, 2},
		{"ragged record", "a,b\n1,2\n3\n", errCSVSyntax, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(strings.NewReader(tt.data), int64(len(tt.data)), Format(FormatCSV), Name("x.csv"),
				Columns(Request{"a", Numeric}))
			var re *RowError
			if !errors.As(err, &re) || re.Line != tt.row || re.File != "x.csv" {
				t.Fatalf("got %v, want a *RowError at line %d", err, tt.row)
			}
			if tt.want != errCSVSyntax && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// errCSVSyntax marks, in TestOpenCSVErrors, an error of encoding/csv.
var errCSVSyntax = errors.New("csv syntax")

func TestOpenEmptyCSV(t *testing.T) {
	for _, data := range []string{"", "a,b\n"} {
		tb, err := Open(strings.NewReader(data), int64(len(data)), Format(FormatCSV))
		if err != nil || tb.Rows != 0 {
			t.Errorf("%q: got %v, %v", data, tb, err)
		}
	}
	data := "a,b\n"
	tb, err := Open(strings.NewReader(data), int64(len(data)), Format(FormatCSV),
		Columns(Request{"a", Numeric}, Request{"b", Categorical}))
	if err != nil || tb.Rows != 0 || tb.Columns[0].Float == nil || tb.Columns[1].Codes == nil {
		t.Errorf("got %+v, %v; want empty non-nil columns", tb, err)
	}
}

func TestInspectAndValidate(t *testing.T) {
	dir := hiveDir(t)
	infos, err := Inspect([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 3 {
		t.Fatalf("got %d files, want 3", len(infos))
	}
	csvInfo, pqInfo := infos[0], infos[1]
	if csvInfo.Format != FormatCSV || csvInfo.Rows != -1 || pqInfo.Format != FormatParquet || pqInfo.Rows != 3 {
		t.Errorf("infos %+v", infos)
	}
	wantPQ := []Field{
		{Name: "id", Type: "int64"},
		{Name: "region", Type: "string"},
		{Name: "income", Type: "double", Nullable: true},
		{Name: "weight", Type: "double"},
		{Name: "province", Type: "partition"},
		{Name: "year", Type: "partition"},
	}
	if !slices.Equal(pqInfo.Fields, wantPQ) {
		t.Errorf("parquet fields:\n got %+v\nwant %+v", pqInfo.Fields, wantPQ)
	}
	if f, ok := csvInfo.Field("income"); !ok || f.Type != "text" || !f.Nullable {
		t.Errorf("csv income field %+v", f)
	}
	if csvInfo.Partition["province"] != "3" {
		t.Errorf("partition %v", csvInfo.Partition)
	}

	tests := []struct {
		name string
		reqs []Request
		want error
	}{
		{"ok", []Request{{"id", Numeric}, {"region", Categorical}, {"year", Numeric}}, nil},
		{"missing", []Request{{"id", Numeric}, {"hh_size", Numeric}}, ErrMissingColumn},
		{"string as numeric", []Request{{"region", Numeric}}, ErrNotNumeric},
		{"duplicate", []Request{{"id", Numeric}, {"id", Numeric}}, ErrDuplicateColumn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(infos, tt.reqs)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestInspectNested(t *testing.T) {
	type rec struct {
		ID   int64   `parquet:"id"`
		Tags []int64 `parquet:"tags,list"`
		Kids []int32 `parquet:"kids"`
	}
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := writeStructs(&buf, []rec{{1, []int64{1}, nil}}); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, dir, "n.parquet", buf.Bytes())
	infos, err := Inspect([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{{Name: "id", Type: "int64"}, {Name: "tags", Type: "list", Repeated: true}, {Name: "kids", Type: "int32", Repeated: true}}
	if !slices.Equal(infos[0].Fields, want) {
		t.Errorf("got %+v, want %+v", infos[0].Fields, want)
	}
	if err := Validate(infos, []Request{{"tags", Categorical}}); !errors.Is(err, ErrNested) {
		t.Errorf("got %v, want ErrNested", err)
	}
}

func TestHashFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "abc.txt")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := HashFile(p)
	if want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; err != nil || got != want {
		t.Errorf("got %s, %v; want %s", got, err, want)
	}
	if _, err := HashFile(p + ".missing"); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "abc.txt.missing") {
		t.Errorf("got %v", err)
	}
}

func TestLocate(t *testing.T) {
	tb := &Table{Rows: 7, Sources: []Source{
		{Path: "a", Start: 0, Rows: 3}, {Path: "empty", Start: 3, Rows: 0}, {Path: "b", Start: 3, Rows: 4},
	}}
	tests := []struct {
		row  int
		path string
		line int
	}{{0, "a", 1}, {2, "a", 3}, {3, "b", 1}, {6, "b", 4}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.row), func(t *testing.T) {
			if p, l := tb.Locate(tt.row); p != tt.path || l != tt.line {
				t.Errorf("got %s %d, want %s %d", p, l, tt.path, tt.line)
			}
		})
	}
	for _, row := range []int{-1, 7} {
		t.Run(fmt.Sprint("panics ", row), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Locate(%d) did not panic", row)
				}
			}()
			tb.Locate(row)
		})
	}
}

func TestRowErrorMessage(t *testing.T) {
	tests := []struct {
		err  *RowError
		want string
	}{
		{&RowError{File: "hh.parquet", Column: "income", Row: 1042, RowGroup: 3, Err: ErrCorrupt},
			`hh.parquet: column "income", row group 3, row 1042: corrupt file`},
		{&RowError{File: "hh.csv", Column: "w", Row: 7, RowGroup: -1, Err: ErrBadValue},
			`hh.csv: column "w", row 7: value is not a number`},
		{&RowError{File: "", RowGroup: -1, Err: ErrMissingColumn}, `(unnamed input): column not found`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got %q", got)
			}
			if !errors.Is(tt.err, tt.err.Err) {
				t.Errorf("does not unwrap")
			}
		})
	}
}

func TestIntCoder(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		keys  []int64
	}{
		{"small range", 1 << 12, []int64{5, 3, 5, 31, 1, 3, -2}},
		{"grows down and up", 1 << 12, []int64{1000, 10, 3000, 10, -500, 1000}},
		{"switches to map", 100, []int64{1, 2, 1000, 2, -1 << 40, 1000, 1}},
		{"map from the start", 0, []int64{7, 7, 8}},
		{"extremes", 1 << 12, []int64{math.MaxInt64, math.MinInt64, 0, math.MaxInt64, math.MinInt64 + 1}},
		{"near max", 1 << 12, []int64{math.MaxInt64 - 1, math.MaxInt64, math.MaxInt64 - 5}},
		{"near min", 1 << 12, []int64{math.MinInt64 + 1, math.MinInt64, math.MinInt64 + 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newIntCoder(tt.limit)
			seen := map[int64]int32{}
			var order []int64
			for i, k := range tt.keys {
				if i == 2 {
					if x := c.nullCode(); x != int32(len(order)) {
						t.Errorf("null code %d, want %d", x, len(order))
					}
					order = append(order, 0)
				}
				want, ok := seen[k]
				if !ok {
					want = int32(len(order))
					seen[k] = want
					order = append(order, k)
				}
				if got := c.code(k); got != want {
					t.Errorf("key %d: code %d, want %d", k, got, want)
				}
			}
			if !slices.Equal(c.keys, order) || len(c.dense) > max(tt.limit, 64) {
				t.Errorf("keys %v, want %v (dense %d)", c.keys, order, len(c.dense))
			}
			for k, want := range seen {
				if got := c.code(k); got != want {
					t.Errorf("again %d: code %d, want %d", k, got, want)
				}
			}
		})
	}
}

func TestKindAndFormatStrings(t *testing.T) {
	if Numeric.String() != "numeric" || Categorical.String() != "categorical" || Kind(9).String() != "Kind(9)" {
		t.Error("Kind.String")
	}
	if FormatParquet.String() != "parquet" || FormatCSV.String() != "csv" {
		t.Error("FileFormat.String")
	}
}

func TestSpreadFloats(t *testing.T) {
	tests := []struct {
		name string
		defs []byte
	}{
		{"no null", []byte{1, 1, 1}},
		{"null first", []byte{0, 1, 1}},
		{"null last", []byte{1, 1, 0}},
		{"runs", []byte{1, 0, 0, 1, 1, 0, 1}},
		{"all null", []byte{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var vals, want []float64
			var wantNull []bool
			for i, l := range tt.defs {
				if l == 1 {
					vals = append(vals, float64(i+1))
					want = append(want, float64(i+1))
				} else {
					want = append(want, 0)
				}
				wantNull = append(wantNull, l == 0)
			}
			dst := slices.Repeat([]float64{-9}, len(tt.defs))
			null := make([]bool, len(tt.defs))
			spreadFloats(dst, null, tt.defs, 1, vals)
			if !slices.Equal(dst, want) || !slices.Equal(null, wantNull) {
				t.Errorf("got %v %v, want %v %v", dst, null, want, wantNull)
			}
		})
	}
}

func TestInspectTypes(t *testing.T) {
	data := writeFixture(t, fixColumns(), fixConfig{version: 2})
	p := writeFile(t, t.TempDir(), "year=2024/fixture.parquet", data)
	infos, err := Inspect([]string{p})
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{
		{Name: "b", Type: "bool", Nullable: true},
		{Name: "d", Type: "double", Nullable: true},
		{Name: "dec", Type: "decimal"},
		{Name: "f", Type: "float"},
		{Name: "fx", Type: "fixed_len_byte_array"},
		{Name: "i32", Type: "int32", Nullable: true},
		{Name: "i64", Type: "int64"},
		{Name: "s", Type: "string", Nullable: true},
		{Name: "u32", Type: "uint32"},
		{Name: "u64", Type: "uint64", Nullable: true},
		{Name: "year", Type: "partition"},
	}
	if len(infos) != 1 || infos[0].Rows != fixRows || !slices.Equal(infos[0].Fields, want) {
		t.Fatalf("got %+v\nwant fields %+v", infos, want)
	}
	var numeric []Request
	for _, f := range want {
		if f.Name != "s" && f.Name != "fx" {
			numeric = append(numeric, Request{f.Name, Numeric})
		}
	}
	if err := Validate(infos, numeric); err != nil {
		t.Errorf("Validate: %v", err)
	}
	// What Validate accepts, Read reads.
	if _, err := Read(context.Background(), []string{p}, numeric); err != nil {
		t.Errorf("Read: %v", err)
	}
	if err := Validate(infos, []Request{{"fx", Numeric}}); !errors.Is(err, ErrNotNumeric) {
		t.Errorf("Validate fx: got %v, want ErrNotNumeric", err)
	}
}

func TestTableColumnAbsent(t *testing.T) {
	tb := &Table{Columns: []*Column{{Name: "a"}}}
	if tb.Column("a") == nil || tb.Column("b") != nil {
		t.Error("Column lookup")
	}
}

func TestFormatPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Format(7) did not panic")
		}
	}()
	Format(FileFormat(7))
}

// Ids far apart (county×10⁶ + k) give up the dense array before one of the
// limit's length is made: while they come in increasing order they are
// searched for in the keys, then a map takes over; dense ids keep the
// array.
func TestIntCoderSparse(t *testing.T) {
	c := newIntCoder(1 << 22)
	keys := []int64{1_000_000, 1_000_001, 2_000_000, 3_000_000, 2_000_000, 4_000_001, 1_000_001}
	want := []int32{0, 1, 2, 3, 2, 4, 1}
	for i, k := range keys {
		if i == 3 {
			c.nullCode() // code 3: the search skips it
			want = []int32{0, 1, 2, 4, 2, 5, 1}
		}
		if got := c.code(k); got != want[i] {
			t.Errorf("sorted ids: key %d has code %d, want %d", k, got, want[i])
		}
	}
	if c.m != nil || !c.sorted || len(c.dense) > sparseSpan {
		t.Errorf("sorted ids: map %v, search %v, dense array of %d", c.m != nil, c.sorted, len(c.dense))
	}
	if got := c.code(1_500_000); got != 6 || c.m == nil || c.sorted {
		t.Errorf("a key out of order: code %d (want 6), map %v, search %v", got, c.m != nil, c.sorted)
	}
	if got := c.code(3_000_000); got != 4 {
		t.Errorf("after the map: code %d, want 4", got)
	}
	e := newIntCoder(1 << 22)
	for i, k := range []int64{5, 3, 5_000_000, 3, 5, 5_000_000} {
		if got, want := e.code(k), []int32{0, 1, 2, 1, 0, 2}[i]; got != want {
			t.Errorf("ids out of order: key %d has code %d, want %d", k, got, want)
		}
	}
	if e.m == nil {
		t.Error("ids out of order, then far apart: no map")
	}
	d := newIntCoder(1 << 22)
	for k := range int64(3 << 20) {
		d.code(k)
	}
	if d.m != nil || d.sorted || len(d.dense) < 3<<20 {
		t.Errorf("dense ids: map %v, search %v, dense array of %d", d.m != nil, d.sorted, len(d.dense))
	}
}

// Decimals past 2^53 that print alike are one level, in a file of several
// row groups; the others keep theirs.
func TestDecimalLevelsFold(t *testing.T) {
	big := int64(1) << 60
	vals := []any{big, big + 1, int64(5), big + 1, big, int64(7), int64(5), big}
	cols := []fixCol{{name: "dec", node: parquet.Decimal(2, 18, parquet.Int64Type), vals: vals}}
	dir := t.TempDir()
	writeFile(t, dir, "a.parquet", writeFixture(t, cols, fixConfig{rowGroup: 3}))
	tbl, err := Read(context.Background(), []string{dir}, []Request{{Name: "dec", Kind: Categorical}})
	if err != nil {
		t.Fatal(err)
	}
	col := tbl.Columns[0]
	bigLevel := strconv.FormatFloat(float64(big)/100, 'g', -1, 64)
	if want := []string{bigLevel, "0.05", "0.07"}; !slices.Equal(col.Levels, want) {
		t.Fatalf("levels %q, want %q", col.Levels, want)
	}
	if want := []int32{0, 0, 1, 0, 0, 2, 1, 0}; !slices.Equal(col.Codes, want) {
		t.Errorf("codes %v, want %v", col.Codes, want)
	}
}

// The codes of intCoder, whatever path it takes (dense array, search of
// ascending keys, map), are the order of first occurrence: checked
// against a map on random sequences of sorted runs, repeats, jumps, nulls
// and keys out of order.
func TestIntCoderRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for trial := range 300 {
		limit := []int{0, 64, 1 << 12, 1 << 22}[trial%4]
		c := newIntCoder(limit)
		want := map[int64]int32{}
		null := int32(-1)
		next := int32(0)
		k := int64(rng.IntN(1000)) - 500
		for range 2000 {
			switch p := rng.IntN(100); {
			case p < 2: // null
				if null < 0 {
					null, next = next, next+1
				}
				if got := c.nullCode(); got != null {
					t.Fatalf("trial %d: null code %d, want %d", trial, got, null)
				}
				continue
			case p < 50: // the same key again
			case p < 85: // the next key up, near or far
				k += 1 + int64(rng.IntN(3))*int64(rng.IntN(2_000_000))
			case p < 95: // an earlier key
				k -= int64(rng.IntN(50))
			default: // anywhere
				k = rng.Int64N(1<<40) - 1<<39
			}
			w, ok := want[k]
			if !ok {
				w, next = next, next+1
				want[k] = w
			}
			if got := c.code(k); got != w {
				t.Fatalf("trial %d (limit %d): key %d has code %d, want %d", trial, limit, k, got, w)
			}
		}
		if len(c.keys) != int(next) {
			t.Fatalf("trial %d: %d keys, want %d", trial, len(c.keys), next)
		}
	}
}
