package datasets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// concatSplits reads every split of paths and concatenates them into one
// table, mapping categorical codes through their level strings in order of
// first appearance, as ReadSplit's documentation tells callers to.
func concatSplits(t *testing.T, paths []string, reqs []Request, opts ...Option) (*Table, []Split) {
	t.Helper()
	ctx := context.Background()
	sps, err := Splits(ctx, paths, opts...)
	if err != nil {
		t.Fatal(err)
	}
	out := &Table{Columns: make([]*Column, len(reqs))}
	index := make([]map[string]int32, len(reqs))
	for c, r := range reqs {
		out.Columns[c] = &Column{Name: r.Name, Kind: r.Kind}
		index[c] = map[string]int32{}
	}
	for _, sp := range sps {
		tb, err := ReadSplit(ctx, sp, reqs, Parallelism(2))
		if err != nil {
			t.Fatal(err)
		}
		if sp.Rows >= 0 && tb.Rows != sp.Rows {
			t.Fatalf("%s row group %d: %d rows, split says %d", sp.Path, sp.RowGroup, tb.Rows, sp.Rows)
		}
		for c, col := range tb.Columns {
			dst := out.Columns[c]
			null := col.Null
			if null == nil {
				null = make([]bool, tb.Rows)
			}
			if dst.Null != nil || col.Null != nil {
				if dst.Null == nil {
					dst.Null = make([]bool, out.Rows)
				}
				dst.Null = append(dst.Null, null...)
			}
			if col.Kind == Numeric {
				dst.Float = append(dst.Float, col.Float...)
				continue
			}
			remap := make([]int32, len(col.Levels))
			for x, l := range col.Levels {
				code, ok := index[c][l]
				if !ok {
					code = int32(len(dst.Levels))
					index[c][l] = code
					dst.Levels = append(dst.Levels, l)
				}
				remap[x] = code
			}
			for _, x := range col.Codes {
				dst.Codes = append(dst.Codes, remap[x])
			}
		}
		out.Rows += tb.Rows
	}
	return out, sps
}

// sameTable reports the first difference between two tables' columns.
func sameTable(got, want *Table) string {
	if got.Rows != want.Rows {
		return fmt.Sprintf("%d rows, want %d", got.Rows, want.Rows)
	}
	for c, w := range want.Columns {
		g := got.Columns[c]
		if g.Float == nil && w.Float != nil && len(w.Float) == 0 {
			g.Float = []float64{}
		}
		if d := sameColumn(g, w); d != "" {
			return w.Name + ": " + d
		}
	}
	return ""
}

// TestReadSplitFixtures reads every fixture file split by split: the
// concatenation equals both the values the fixture was written with and what
// Read gives.
func TestReadSplitFixtures(t *testing.T) {
	cols := fixColumns()
	for _, cfg := range fixConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeFile(t, dir, "year=2020/f.parquet", writeFixture(t, cols, cfg))
			for _, kind := range []Kind{Numeric, Categorical} {
				reqs, want := fixtureRequests(cols, kind)
				reqs = append(reqs, Request{Name: "year", Kind: kind})
				got, sps := concatSplits(t, []string{dir}, reqs)
				groups := 1
				if cfg.rowGroup > 0 {
					groups = int((fixRows + cfg.rowGroup - 1) / cfg.rowGroup)
				}
				if len(sps) != groups {
					t.Fatalf("%d splits, want %d row groups", len(sps), groups)
				}
				for i, sp := range sps {
					if sp.Path != path || sp.RowGroup != i || sp.Start != i*int(max(cfg.rowGroup, 0)) || sp.Partition["year"] != "2020" {
						t.Errorf("split %d: %+v", i, sp)
					}
				}
				for i, w := range want {
					if d := sameColumn(got.Columns[i], w); d != "" {
						t.Errorf("%s %v: %s", w.Name, kind, d)
					}
				}
				year := got.Columns[len(reqs)-1]
				if kind == Numeric && (year.Float[0] != 2020 || year.Float[fixRows-1] != 2020) ||
					kind == Categorical && (len(year.Levels) != 1 || year.Levels[0] != "2020") {
					t.Errorf("partition column: %+v", year.Levels)
				}
				read, err := Read(context.Background(), []string{dir}, reqs)
				if err != nil {
					t.Fatal(err)
				}
				if d := sameTable(got, read); d != "" {
					t.Errorf("%v: splits differ from Read: %s", kind, d)
				}
			}
		})
	}
}

// writeGrouped writes rows as a Parquet file with rowGroup rows per row
// group.
func writeGrouped(t *testing.T, dir, rel string, rows []household, rowGroup int64) string {
	t.Helper()
	var buf strings.Builder
	if err := writeStructs(&buf, rows, parquet.MaxRowsPerRowGroup(rowGroup)); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, rel, []byte(buf.String()))
}

// TestReadSplitHive mixes Parquet files of several row groups with a CSV
// file in a hive directory: the splits concatenate to Read's table, and
// Screen on a split names the row within the file.
func TestReadSplitHive(t *testing.T) {
	dir := hiveDir(t)
	var rows []household
	for i := range 10 {
		r := household{ID: int64(100 + i), Region: []string{"north", "west", "hill"}[i%3], Income: fptr(float64(i)), Weight: 1}
		if i == 7 {
			r.Income = nil // file row 8, in row group 2 (rows 7..9)
		}
		rows = append(rows, r)
	}
	writeGrouped(t, dir, "year=2022/province=9/part-0.parquet", rows, 3)
	reqs := []Request{{"id", Numeric}, {"region", Categorical}, {"income", Numeric}, {"year", Numeric}, {"province", Categorical}}
	got, sps := concatSplits(t, []string{dir}, reqs)
	read, err := Read(context.Background(), []string{dir}, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameTable(got, read); d != "" {
		t.Fatalf("splits differ from Read: %s", d)
	}
	// 1 CSV + 1 + 1 + 4 row groups of the new file.
	if len(sps) != 7 || sps[0].Format != FormatCSV || sps[0].RowGroup != -1 || sps[0].Rows != -1 || sps[6].Start != 9 || sps[6].Rows != 1 {
		t.Fatalf("splits: %+v", sps)
	}
	sp := sps[5] // row group 2 of part-0.parquet in year=2022
	tb, err := ReadSplit(context.Background(), sp, reqs)
	if err != nil {
		t.Fatal(err)
	}
	scr, err := Screen(tb, Roles{Income: "income", Weight: "id"})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "year=2022", "province=9", "part-0.parquet") + " row 8"
	if len(scr.Rules) != 1 || scr.Rules[0].Examples[0] != want || scr.Kept != 2 {
		t.Errorf("screen of a split: %+v, want an example %q", scr.Rules, want)
	}
}

func TestReadSplitErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := writeGrouped(t, dir, "a.parquet", []household{{ID: 1, Region: "x", Weight: 1}, {ID: 2, Region: "y", Weight: 1}}, 1)
	sps, err := Splits(ctx, []string{path})
	if err != nil || len(sps) != 2 {
		t.Fatalf("%v %+v", err, sps)
	}
	var re *RowError
	_, err = ReadSplit(ctx, sps[1], []Request{{"region", Numeric}})
	if !errors.As(err, &re) || re.File != path || re.Column != "region" || !errors.Is(err, ErrNotNumeric) {
		t.Errorf("numeric request of a string column: %v", err)
	}
	_, err = ReadSplit(ctx, sps[1], []Request{{"nope", Numeric}})
	if !errors.Is(err, ErrMissingColumn) {
		t.Errorf("missing column: %v", err)
	}
	bad := sps[1]
	bad.RowGroup = 5
	if _, err := ReadSplit(ctx, bad, nil); err == nil || !strings.Contains(err.Error(), "no row group 5") {
		t.Errorf("row group out of range: %v", err)
	}
	if err := os.WriteFile(path, append(mustRead(t, path), 0), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSplit(ctx, sps[0], nil); !errors.Is(err, ErrFileChanged) {
		t.Errorf("changed file: %v", err)
	}
	if _, err := Splits(ctx, []string{t.TempDir()}); !errors.Is(err, ErrNoFiles) {
		t.Errorf("empty directory: %v", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
