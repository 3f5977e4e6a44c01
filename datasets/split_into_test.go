package datasets

import (
	"context"
	"errors"
	"os"
	"testing"
)

// TestReadSplitIntoReuses reads every row group of the fixture files into
// one reused table, in reverse order so that the buffers hold another row
// group's values (and null pattern) each time: every table equals the one
// ReadSplit gives the same split, and the buffers are the reused ones.
func TestReadSplitIntoReuses(t *testing.T) {
	ctx := context.Background()
	cols := fixColumns()
	for _, cfg := range fixConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "year=2020/f.parquet", writeFixture(t, cols, cfg))
			sps, err := Splits(ctx, []string{dir})
			if err != nil {
				t.Fatal(err)
			}
			for _, kind := range []Kind{Numeric, Categorical} {
				reqs, _ := fixtureRequests(cols, kind)
				reqs = append(reqs, Request{Name: "year", Kind: kind})
				var buf *Table
				for i := len(sps) - 1; i >= 0; i-- {
					want, err := ReadSplit(ctx, sps[i], reqs)
					if err != nil {
						t.Fatal(err)
					}
					got, err := ReadSplitInto(ctx, sps[i], reqs, buf)
					if err != nil {
						t.Fatal(err)
					}
					if d := sameTable(got, want); d != "" {
						t.Errorf("%v row group %d: %s", kind, i, d)
					}
					if buf != nil && got.Rows <= buf.Rows {
						for c, col := range got.Columns {
							old := buf.Columns[c]
							if kind == Numeric && got.Rows > 0 && &col.Float[0] != &old.Float[0] ||
								kind == Categorical && got.Rows > 0 && &col.Codes[0] != &old.Codes[0] {
								t.Errorf("%v row group %d: column %s not decoded into the buffer", kind, i, col.Name)
							}
						}
					}
					buf = got
				}
			}
		})
	}
}

// TestReadSplitIntoOtherColumns gives ReadSplitInto a buffer of other
// columns, or too short: it decodes into new buffers, as ReadSplit.
func TestReadSplitIntoOtherColumns(t *testing.T) {
	ctx := context.Background()
	cols := fixColumns()
	dir := t.TempDir()
	writeFile(t, dir, "f.parquet", writeFixture(t, cols, fixConfigs[0]))
	sps, err := Splits(ctx, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	num, _ := fixtureRequests(cols, Numeric)
	cat, _ := fixtureRequests(cols, Categorical)
	short := &Table{Rows: 1, Columns: make([]*Column, len(num))}
	for c, r := range num {
		short.Columns[c] = &Column{Name: r.Name, Kind: Numeric, Float: []float64{42}}
	}
	for _, tc := range []struct {
		name string
		reqs []Request
		buf  *Table
	}{{"other kind", cat, mustReadSplit(t, sps[0], num)}, {"too short", num, short}} {
		want := mustReadSplit(t, sps[0], tc.reqs)
		got, err := ReadSplitInto(ctx, sps[0], tc.reqs, tc.buf)
		if err != nil {
			t.Fatal(err)
		}
		if d := sameTable(got, want); d != "" {
			t.Errorf("%s: %s", tc.name, d)
		}
		if tc.name == "too short" && short.Columns[0].Float[0] != 42 {
			t.Errorf("%s: the short buffer was written", tc.name)
		}
	}
}

func mustReadSplit(t *testing.T, sp Split, reqs []Request) *Table {
	t.Helper()
	tb, err := ReadSplit(context.Background(), sp, reqs)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestSplitReader reads the row groups of two files with one SplitReader,
// in order, backwards and alternating between the files: every table equals
// ReadSplit's. A file that grows while open fails with ErrFileChanged.
func TestSplitReader(t *testing.T) {
	ctx := context.Background()
	cols := fixColumns()
	dir := t.TempDir()
	data := writeFixture(t, cols, fixConfigs[2]) // row groups of 97
	writeFile(t, dir, "a.parquet", data)
	pathB := writeFile(t, dir, "b.parquet", data)
	sps, err := Splits(ctx, []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(sps) < 4 || sps[0].Path == sps[len(sps)-1].Path {
		t.Fatalf("want two files of several row groups: %d splits", len(sps))
	}
	reqs, _ := fixtureRequests(cols, Numeric)
	half := len(sps) / 2
	var order []int
	for i := range sps {
		order = append(order, i)
	}
	for i := len(sps) - 1; i >= 0; i-- {
		order = append(order, i)
	}
	for i := range half {
		order = append(order, i, half+i)
	}
	var r SplitReader
	defer r.Close()
	for _, i := range order {
		got, err := r.Read(ctx, sps[i], reqs, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := sameTable(got, mustReadSplit(t, sps[i], reqs)); d != "" {
			t.Fatalf("split %d: %s", i, d)
		}
	}
	if _, err := r.Read(ctx, sps[len(sps)-1], reqs, nil); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(pathB, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := r.Read(ctx, sps[len(sps)-2], reqs, nil); !errors.Is(err, ErrFileChanged) {
		t.Errorf("file grown while open: %v, want ErrFileChanged", err)
	}
}
