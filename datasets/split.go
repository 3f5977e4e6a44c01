package datasets

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// Split is one piece of the input that can be read on its own: one row group
// of a Parquet file, or a whole CSV file. Splits lets a job stream over its
// input with memory bounded by the largest split instead of the whole table,
// and lets a distributed runner hand splits to workers.
type Split struct {
	// Path is the file, as given or as found when walking a directory.
	Path   string
	Format FileFormat
	// Size is the file's size in bytes when Splits read it; ReadSplit fails
	// with ErrFileChanged when it differs.
	Size int64
	// RowGroup is the 0-based Parquet row group; -1 for CSV.
	RowGroup int
	// Start is the 0-based row within the file of the split's first row
	// (the rows of the row groups before it); 0 for CSV.
	Start int
	// Rows is the split's row count, from the Parquet footer; -1 for CSV
	// (counting rows needs reading the file).
	Rows int
	// Partition holds the file's constant columns (hive directories and the
	// Partition option), as Source.Partition. It is nil when there are none.
	Partition map[string]string
}

// Splits lists the splits of every file behind paths, in the order Read
// reads their rows: files in Read's order, then row groups in file order.
// The options are those of Read (Format, Partition); it reads Parquet
// footers only, and CSV files not at all.
//
// Errors are those of Read's first step: ErrNoFiles, a footer that cannot be
// read, and errors of the file system and ctx, each naming the file.
func Splits(ctx context.Context, paths []string, opts ...Option) ([]Split, error) {
	cfg := newConfig(opts)
	files, err := expand(paths, cfg)
	if err != nil {
		return nil, err
	}
	var out []Split
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sps, err := fileSplits(f)
		if err != nil {
			return nil, err
		}
		out = append(out, sps...)
	}
	return out, nil
}

// fileSplits returns the splits of one file.
func fileSplits(f fileSpec) ([]Split, error) {
	fh, size, err := openFile(f.path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	base := Split{Path: f.path, Format: f.format, Size: size, RowGroup: -1, Rows: -1, Partition: cloneMap(f.partition)}
	if f.format == FormatCSV {
		return []Split{base}, nil
	}
	pf, err := openParquet(fh, size, f.path)
	if err != nil {
		return nil, err
	}
	rgs := pf.RowGroups()
	out := make([]Split, len(rgs))
	start := 0
	for i, rg := range rgs {
		sp := base
		sp.Partition = cloneMap(f.partition)
		sp.RowGroup, sp.Start, sp.Rows = i, start, int(rg.NumRows())
		out[i] = sp
		start += sp.Rows
	}
	return out, nil
}

// ReadSplit reads the requested columns of one split into a Table of that
// split only, with the decoders of Read: the values, null marks and errors
// are those Read gives for the same rows. Column chunks are decoded in
// parallel (Parallelism option); the Format and Partition options are
// ignored (the split carries its format and partition values).
//
// The table's single Source names the file, and its Start is minus
// sp.Start: the table row where the file's first row would be, so that
// Table.Locate and the RowError values of Screen give rows within the file
// (1-based), as for a table read by Read. RowErrors of decoding name the
// file, the column and the row group.
//
// Categorical codes index the split's own Levels, so the same code means
// different values in different splits. A caller that combines splits maps
// codes through their level strings: with one map[string]int32 per column
// that numbers each split's Levels, in their order, the first time a string
// appears, the splits taken in the order of Splits, the codes and levels are
// those Read gives the whole table.
//
// It returns ErrFileChanged when the file's size is not sp.Size, and an error
// when the row group does not exist. ReadSplit panics if a request has an
// unknown Kind.
func ReadSplit(ctx context.Context, sp Split, reqs []Request, opts ...Option) (*Table, error) {
	return ReadSplitInto(ctx, sp, reqs, nil, opts...)
}

// ReadSplitInto is ReadSplit decoding the values of a Parquet split into the
// buffers of buf, a table that an earlier ReadSplit or ReadSplitInto returned
// for the same requests and that the caller no longer uses: the float values
// and codes of a column go into the column's buffers when they are large
// enough, and into new ones otherwise. The returned table may share memory
// with buf (its levels and null marks are always new). A job streaming over
// many splits saves the allocation and zeroing of its columns for every
// split. buf may be nil; CSV splits ignore it.
func ReadSplitInto(ctx context.Context, sp Split, reqs []Request, buf *Table, opts ...Option) (*Table, error) {
	var r SplitReader
	defer r.Close()
	return r.Read(ctx, sp, reqs, buf, opts...)
}

// SplitReader reads splits one after another as ReadSplitInto does, keeping
// the Parquet file of the last split open with its footer parsed: reading
// the row groups of a file in turn opens it and parses its footer once, not
// once per row group (a footer lists every row group, so parsing it for
// each would cost the square of their number). The file's size is checked
// against the split's at every read. The zero value is ready to use; a
// SplitReader is not safe for concurrent use, and Close closes its file.
type SplitReader struct {
	path string
	fh   *os.File
	pf   *parquet.File
}

// Read reads one split as ReadSplitInto.
func (r *SplitReader) Read(ctx context.Context, sp Split, reqs []Request, buf *Table, opts ...Option) (*Table, error) {
	cfg := newConfig(opts)
	if err := checkRequests(reqs); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if sp.Format == FormatCSV {
		fh, size, err := openFile(sp.Path)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		if size != sp.Size {
			return nil, fmt.Errorf("reading %s: %w", sp.Path, ErrFileChanged)
		}
		return readCSV(ctx, fh, fileSpec{path: sp.Path, format: sp.Format, partition: sp.Partition}, reqs)
	}
	pf, err := r.open(sp)
	if err != nil {
		return nil, err
	}
	rgs := pf.RowGroups()
	if sp.RowGroup < 0 || sp.RowGroup >= len(rgs) {
		return nil, fmt.Errorf("reading %s: %w: no row group %d (the file has %d)", sp.Path, ErrFileChanged, sp.RowGroup, len(rgs))
	}
	n := int(rgs[sp.RowGroup].NumRows())
	if sp.Rows >= 0 && n != sp.Rows {
		return nil, fmt.Errorf("reading %s: %w: row group %d has %d rows, not %d", sp.Path, ErrFileChanged, sp.RowGroup, n, sp.Rows)
	}
	plans, err := planParquet(sp.Path, pf, reqs, sp.Partition)
	if err != nil {
		return nil, err
	}
	t, err := decodeRowGroup(ctx, newParquetJob(sp.Path, pf, r.fh, plans), sp.RowGroup, n, cfg.parallelism, buf)
	if err != nil {
		return nil, err
	}
	t.Sources = []Source{{Path: sp.Path, Start: -sp.Start, Rows: n, RowGroups: 1, RowGroupRows: []int{n}, Partition: cloneMap(sp.Partition)}}
	return t, nil
}

// open returns the parsed footer of the split's file, opening the file
// unless it is the one already open, and checks its size.
func (r *SplitReader) open(sp Split) (*parquet.File, error) {
	if r.fh != nil && r.path == sp.Path {
		st, err := r.fh.Stat()
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("reading %s: %w", sp.Path, err)
		}
		if st.Size() != sp.Size {
			r.Close()
			return nil, fmt.Errorf("reading %s: %w", sp.Path, ErrFileChanged)
		}
		return r.pf, nil
	}
	r.Close()
	fh, size, err := openFile(sp.Path)
	if err != nil {
		return nil, err
	}
	if size != sp.Size {
		fh.Close()
		return nil, fmt.Errorf("reading %s: %w", sp.Path, ErrFileChanged)
	}
	pf, err := openParquet(fh, size, sp.Path)
	if err != nil {
		fh.Close()
		return nil, err
	}
	r.path, r.fh, r.pf = sp.Path, fh, pf
	return pf, nil
}

// Close closes the file kept open, if any.
func (r *SplitReader) Close() error {
	if r.fh == nil {
		return nil
	}
	err := r.fh.Close()
	r.path, r.fh, r.pf = "", nil, nil
	return err
}

// decodeRowGroup decodes row group rg (n rows) of a job into a new Table,
// its columns in parallel on up to par goroutines. It reuses the job's
// chunk decoder and level merger on views of the job in which row group rg
// starts at row 0: one where rg keeps its index in the file's row groups
// (for decodeChunk), one with rg as the only row group (for mergeChunks).
// The values go into the buffers of buf where they fit (see ReadSplitInto):
// the decoders write every row, null rows included, so a reused buffer holds
// nothing of its previous split.
func decodeRowGroup(ctx context.Context, job *parquetJob, rg, n, par int, buf *Table) (*Table, error) {
	at := *job
	at.starts = make([]int, rg+2)
	at.starts[rg+1] = n
	alone := *job
	alone.starts = []int{0, n}

	cols := make([]*Column, len(job.plans))
	outs := make([]colOut, len(job.plans))
	for c := range job.plans {
		cols[c] = reuseColumn(buf, c, job.plans[c].req, n)
		outs[c] = colOut{float: cols[c].Float, codes: cols[c].Codes, nulls: newNullBuf(n)}
	}
	err := forEach(ctx, len(job.plans), par, func(c int) error {
		p := &job.plans[c]
		if p.leaf < 0 {
			cols[c].Levels = fillPartition(p, outs[c], n)
			return nil
		}
		res, err := at.decodeChunk(rg, c, outs[c])
		if err != nil || p.req.Kind != Categorical {
			return err
		}
		cols[c].Levels, err = alone.mergeChunks(ctx, p, []chunkResult{res}, outs[c].codes, 1)
		return err
	})
	if err != nil {
		return nil, err
	}
	for c, col := range cols {
		col.Null = outs[c].nulls.marks()
	}
	return &Table{Rows: n, Columns: cols}, nil
}

// reuseColumn returns a column of n rows for req, on the buffers of column c
// of buf when it is the same column with room for n rows, else a new one.
func reuseColumn(buf *Table, c int, req Request, n int) *Column {
	if buf == nil || c >= len(buf.Columns) {
		return newColumn(req, n)
	}
	old := buf.Columns[c]
	if old == nil || old.Name != req.Name || old.Kind != req.Kind {
		return newColumn(req, n)
	}
	col := &Column{Name: req.Name, Kind: req.Kind}
	switch {
	case req.Kind == Numeric && cap(old.Float) >= n:
		col.Float = old.Float[:n]
	case req.Kind != Numeric && cap(old.Codes) >= n:
		col.Codes = old.Codes[:n]
	default:
		return newColumn(req, n)
	}
	return col
}

// MergeScreening combines the screenings of consecutive splits, in row
// order, into the screening Screen gives their concatenation: the rows of
// each rule add up, examples are kept in row order up to the limit, and the
// rules are listed in Screen's fixed order (those of the roles r, then the
// null levels of the categorical columns cats, in table order). Keep is nil
// in the result: it concerns the rows of one split. Nil screenings are
// skipped.
func MergeScreening(r Roles, cats []string, parts ...*Screening) *Screening {
	rs := rulesFor(r)
	rank := func(c Count) int {
		for i, x := range rs {
			if x.name == c.Rule && x.column == c.Column {
				return i
			}
		}
		for i, name := range cats {
			if name == c.Column {
				return len(rs) + i
			}
		}
		return len(rs) + len(cats)
	}
	out := &Screening{}
	byRank := map[int]*Count{}
	var order []int
	for _, p := range parts {
		if p == nil {
			continue
		}
		out.Kept += p.Kept
		for _, c := range p.Rules {
			k := rank(c)
			m, ok := byRank[k]
			if !ok {
				m = &Count{Rule: c.Rule, Column: c.Column, Action: c.Action}
				byRank[k] = m
				order = append(order, k)
			}
			m.Rows += c.Rows
			for _, e := range c.Examples {
				if len(m.Examples) < maxExamples {
					m.Examples = append(m.Examples, e)
				}
			}
		}
	}
	slices.Sort(order)
	for _, k := range order {
		out.Rules = append(out.Rules, *byRank[k])
	}
	return out
}
