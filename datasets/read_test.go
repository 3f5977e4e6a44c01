package datasets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// household is the row type of the Parquet files written by the Read tests.
type household struct {
	ID     int64    `parquet:"id"`
	Region string   `parquet:"region,dict"`
	Income *float64 `parquet:"income,optional"`
	Weight float64  `parquet:"weight"`
}

func fptr(v float64) *float64 { return &v }

// writeFile writes data to dir/rel, creating directories.
func writeFile(t *testing.T, dir, rel string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeHouseholds writes rows as a Parquet file at dir/rel.
func writeHouseholds(t *testing.T, dir, rel string, rows []household) string {
	t.Helper()
	var buf strings.Builder
	if err := writeStructs(&buf, rows); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, rel, []byte(buf.String()))
}

// hiveDir lays out a hive-partitioned directory: two Parquet files and a CSV
// file with regions in different orders, plus files Read must skip.
func hiveDir(t *testing.T) string {
	dir := t.TempDir()
	writeHouseholds(t, dir, "year=2021/province=3/part-0.parquet", []household{
		{ID: 5, Region: "south", Income: fptr(50), Weight: 1},
		{ID: 6, Region: "north", Income: nil, Weight: 2},
	})
	writeHouseholds(t, dir, "year=2020/province=4/part-0.parquet", []household{
		{ID: 1, Region: "north", Income: fptr(10), Weight: 1},
		{ID: 2, Region: "east", Income: fptr(20), Weight: 3},
		{ID: 3, Region: "north", Income: fptr(30), Weight: 1},
	})
	writeFile(t, dir, "year=2020/province=3/part-1.csv", []byte("id,region,income,weight\n4,west,,4\n"))
	writeFile(t, dir, "year=2020/_temporary/part-9.parquet", []byte("not parquet"))
	writeFile(t, dir, "year=2020/.part-0.parquet.crc", []byte("not parquet"))
	writeFile(t, dir, "_SUCCESS", nil)
	writeFile(t, dir, "README.txt", []byte("not data"))
	return dir
}

func TestReadHive(t *testing.T) {
	dir := hiveDir(t)
	reqs := []Request{{"id", Numeric}, {"region", Categorical}, {"income", Numeric}, {"year", Numeric}, {"province", Categorical}}
	tb, err := Read(context.Background(), []string{dir}, reqs)
	if err != nil {
		t.Fatal(err)
	}
	// Sorted paths: year=2020/province=3/part-1.csv, year=2020/province=4/…, year=2021/….
	wantPaths := []string{"year=2020/province=3/part-1.csv", "year=2020/province=4/part-0.parquet", "year=2021/province=3/part-0.parquet"}
	wantStarts := []int{0, 1, 4}
	if len(tb.Sources) != len(wantPaths) {
		t.Fatalf("got %d sources, want %d: %+v", len(tb.Sources), len(wantPaths), tb.Sources)
	}
	for i, s := range tb.Sources {
		if s.Path != filepath.Join(dir, filepath.FromSlash(wantPaths[i])) || s.Start != wantStarts[i] {
			t.Errorf("source %d: got %s at %d", i, s.Path, s.Start)
		}
	}
	if tb.Sources[1].RowGroups != 1 || tb.Sources[0].RowGroups != 0 || tb.Sources[2].Partition["year"] != "2021" {
		t.Errorf("sources: %+v", tb.Sources)
	}
	if tb.Rows != 6 {
		t.Fatalf("got %d rows, want 6", tb.Rows)
	}
	checkFloats(t, tb.Column("id"), []float64{4, 1, 2, 3, 5, 6}, nil)
	checkFloats(t, tb.Column("income"), []float64{0, 10, 20, 30, 50, 0}, []bool{true, false, false, false, false, true})
	checkFloats(t, tb.Column("year"), []float64{2020, 2020, 2020, 2020, 2021, 2021}, nil)
	checkLevels(t, tb.Column("region"), []string{"west", "north", "east", "north", "south", "north"}, []string{"west", "north", "east", "south"})
	checkLevels(t, tb.Column("province"), []string{"3", "4", "4", "4", "3", "3"}, []string{"3", "4"})

	for _, tt := range []struct {
		row  int
		path string
		line int
	}{{0, wantPaths[0], 1}, {1, wantPaths[1], 1}, {3, wantPaths[1], 3}, {5, wantPaths[2], 2}} {
		path, line := tb.Locate(tt.row)
		if path != filepath.Join(dir, filepath.FromSlash(tt.path)) || line != tt.line {
			t.Errorf("Locate(%d) = %s, %d; want %s, %d", tt.row, path, line, tt.path, tt.line)
		}
	}
}

func checkFloats(t *testing.T, c *Column, want []float64, null []bool) {
	t.Helper()
	if c == nil || !slices.Equal(c.Float, want) || !slices.Equal(c.Null, null) {
		t.Errorf("got %+v, want %v null %v", c, want, null)
	}
}

func checkLevels(t *testing.T, c *Column, want, levels []string) {
	t.Helper()
	if c == nil {
		t.Fatal("missing column")
	}
	got := make([]string, len(c.Codes))
	for i, x := range c.Codes {
		got[i] = c.Levels[x]
	}
	if !slices.Equal(got, want) || !slices.Equal(c.Levels, levels) {
		t.Errorf("%s: got %q levels %q, want %q levels %q", c.Name, got, c.Levels, want, levels)
	}
}

func TestReadFilesAndOptions(t *testing.T) {
	dir := hiveDir(t)
	a := filepath.Join(dir, "year=2021", "province=3", "part-0.parquet")
	b := filepath.Join(dir, "year=2020", "province=4", "part-0.parquet")
	// Explicit files keep the order given; the option overrides hive values.
	tb, err := Read(context.Background(), []string{a, b}, []Request{{"id", Numeric}, {"year", Categorical}},
		Partition(map[string]string{"year": "all"}), Parallelism(1))
	if err != nil {
		t.Fatal(err)
	}
	checkFloats(t, tb.Column("id"), []float64{5, 6, 1, 2, 3}, nil)
	checkLevels(t, tb.Column("year"), []string{"all", "all", "all", "all", "all"}, []string{"all"})

	// Format forces the format of an explicit file whatever its name.
	txt := writeFile(t, dir, "data.txt", []byte("id\n7\n8\n"))
	tb, err = Read(context.Background(), []string{txt}, []Request{{"id", Numeric}}, Format(FormatCSV))
	if err != nil {
		t.Fatal(err)
	}
	checkFloats(t, tb.Column("id"), []float64{7, 8}, nil)
}

func TestReadErrors(t *testing.T) {
	dir := hiveDir(t)
	empty := t.TempDir()
	bad := t.TempDir()
	writeFile(t, bad, "a.csv", []byte("id,income\n1,2\n2,abc\n"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		paths []string
		reqs  []Request
		want  error
		file  string // suffix of RowError.File
		row   int
	}{
		{name: "missing in one file", ctx: context.Background(), paths: []string{dir},
			reqs: []Request{{"id", Numeric}, {"hh_size", Numeric}}, want: ErrMissingColumn, file: "part-1.csv"},
		{name: "string as numeric", ctx: context.Background(), paths: []string{filepath.Join(dir, "year=2021")},
			reqs: []Request{{"region", Numeric}}, want: ErrNotNumeric, file: "part-0.parquet"},
		{name: "bad csv number", ctx: context.Background(), paths: []string{bad},
			reqs: []Request{{"income", Numeric}}, want: ErrBadValue, file: "a.csv", row: 3},
		{name: "empty directory", ctx: context.Background(), paths: []string{empty}, want: ErrNoFiles},
		{name: "no paths", ctx: context.Background(), want: ErrNoFiles},
		{name: "no such file", ctx: context.Background(), paths: []string{filepath.Join(empty, "x.parquet")}, want: os.ErrNotExist},
		{name: "canceled", ctx: ctx, paths: []string{dir}, reqs: []Request{{"id", Numeric}}, want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(tt.ctx, tt.paths, tt.reqs)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if tt.file == "" {
				return
			}
			var re *RowError
			if !errors.As(err, &re) || !strings.HasSuffix(re.File, tt.file) || lineOrRow(re) != tt.row {
				t.Errorf("got %#v, want file …%s row %d", err, tt.file, tt.row)
			}
		})
	}
}

func TestHivePartition(t *testing.T) {
	tests := []struct {
		path  string
		extra map[string]string
		want  map[string]string
	}{
		{"a/b.parquet", nil, nil},
		{"year=2020/b.parquet", nil, map[string]string{"year": "2020"}},
		{"/data/year=2020/region=Lower%20Austria/x=/f.csv", nil,
			map[string]string{"year": "2020", "region": "Lower Austria", "x": ""}},
		{"k=1/k=2/f.parquet", nil, map[string]string{"k": "2"}},
		{"k=1/=2/f.parquet", map[string]string{"k": "9", "z": "0"}, map[string]string{"k": "9", "z": "0"}},
		{"dir/year=2020.parquet", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := hivePartition(filepath.FromSlash(tt.path), tt.extra)
			if (got == nil) != (tt.want == nil) || !mapsEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
