package datasets

import (
	"context"
	"fmt"
	"io"
	"maps"
)

// Open reads the columns requested with the Columns option from one Parquet
// (the default) or CSV table held by r, size bytes long.
//
// The Name option names the table in errors and in Source.Path; Partition
// adds constant columns; Parallelism bounds the goroutines decoding Parquet
// column chunks. The table has one Source. With no Columns option, Open
// returns the row count and no column.
//
// Errors are *RowError values naming the file and the column (and the row or
// row group where known) that wrap ErrMissingColumn, ErrNotNumeric,
// ErrBadValue, ErrNested, ErrUnsupportedType, ErrDuplicateColumn or
// ErrCorrupt, or errors that say which step failed ("reading footer of …").
// Open panics if a request has an unknown Kind.
func Open(r io.ReaderAt, size int64, opts ...Option) (*Table, error) {
	cfg := newConfig(opts)
	if err := checkRequests(cfg.reqs); err != nil {
		return nil, err
	}
	f := fileSpec{path: cfg.name, format: cfg.format, partition: cfg.partition}
	return readOne(context.Background(), r, size, f, cfg.reqs, cfg.parallelism)
}

// checkRequests rejects requests of the same column twice and panics on an
// unknown Kind.
func checkRequests(reqs []Request) error {
	seen := make(map[string]bool, len(reqs))
	for _, r := range reqs {
		if r.Kind != Numeric && r.Kind != Categorical {
			panic("datasets: unknown Kind")
		}
		if seen[r.Name] {
			return fmt.Errorf("%w: %q requested twice", ErrDuplicateColumn, r.Name)
		}
		seen[r.Name] = true
	}
	return nil
}

// fileSpec is one file to read: its path or name, format and constant
// partition columns.
type fileSpec struct {
	path      string
	format    FileFormat
	partition map[string]string
}

// readOne reads the requests from one file into a new Table.
func readOne(ctx context.Context, r io.ReaderAt, size int64, f fileSpec, reqs []Request, par int) (*Table, error) {
	switch f.format {
	case FormatCSV:
		return readCSV(ctx, io.NewSectionReader(r, 0, size), f, reqs)
	default:
		pf, err := openParquet(r, size, f.path)
		if err != nil {
			return nil, err
		}
		plans, err := planParquet(f.path, pf, reqs, f.partition)
		if err != nil {
			return nil, err
		}
		job := newParquetJob(f.path, pf, r, plans)
		return decodeTable(ctx, job, f, par)
	}
}

// decodeTable decodes a Parquet job into a new Table of its own.
func decodeTable(ctx context.Context, job *parquetJob, f fileSpec, par int) (*Table, error) {
	n := job.rows()
	cols := make([]*Column, len(job.plans))
	outs := make([]colOut, len(job.plans))
	for i := range job.plans {
		cols[i] = newColumn(job.plans[i].req, n)
		outs[i] = colOut{float: cols[i].Float, codes: cols[i].Codes, nulls: newNullBuf(n)}
	}
	levels, err := job.decode(ctx, outs, par)
	if err != nil {
		return nil, err
	}
	for i, c := range cols {
		c.Levels = levels[i]
		c.Null = outs[i].nulls.marks()
	}
	src := Source{Path: f.path, Rows: n, RowGroups: len(job.starts) - 1, RowGroupRows: job.rowGroupRows(), Partition: cloneMap(f.partition)}
	return &Table{Rows: n, Columns: cols, Sources: []Source{src}}, nil
}

// newColumn allocates a column of n rows for req, without null marks.
func newColumn(req Request, n int) *Column {
	c := &Column{Name: req.Name, Kind: req.Kind}
	if req.Kind == Numeric {
		c.Float = make([]float64, n)
	} else {
		c.Codes = make([]int32, n)
	}
	return c
}

// cloneMap copies m, returning nil for an empty map.
func cloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
