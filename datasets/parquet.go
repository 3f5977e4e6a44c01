package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

// readBufferSize is the buffer of each column chunk reader: large enough to
// read many small pages per call.
const readBufferSize = 64 << 10

// openParquet reads the footer of a Parquet file. Page indexes and bloom
// filters are not read: whole columns are decoded.
func openParquet(r io.ReaderAt, size int64, name string) (*parquet.File, error) {
	f, err := parquet.OpenFile(r, size,
		parquet.SkipPageIndex(true),
		parquet.SkipBloomFilters(true),
		parquet.ReadBufferSize(readBufferSize),
	)
	if err != nil {
		return nil, fmt.Errorf("reading footer of %s: %w", displayName(name), err)
	}
	return f, nil
}

// colPlan says where one requested column of one file comes from: a Parquet
// leaf column or a constant partition value.
type colPlan struct {
	req    Request
	leaf   int // index of the leaf column chunk; -1 for a partition value
	phys   physical
	maxDef byte
	value  string // the partition value, when leaf < 0
}

// planParquet finds every request in the schema of f or, failing that, in
// part. It checks that each column can be read as the Kind requested.
func planParquet(name string, f *parquet.File, reqs []Request, part map[string]string) ([]colPlan, error) {
	plans := make([]colPlan, len(reqs))
	for i, req := range reqs {
		col := f.Root().Column(req.Name)
		if col == nil {
			p, err := planPartition(name, req, part)
			if err != nil {
				return nil, err
			}
			plans[i] = p
			continue
		}
		if !col.Leaf() || col.MaxRepetitionLevel() > 0 || col.MaxDefinitionLevel() > 1 {
			return nil, columnError(name, req.Name, ErrNested)
		}
		phys := physicalOf(col.Type())
		if err := checkKind(req.Kind, phys); err != nil {
			return nil, columnError(name, req.Name, fmt.Errorf("%w (%s)", err, typeName(col.Type())))
		}
		plans[i] = colPlan{req: req, leaf: col.Index(), phys: phys, maxDef: byte(col.MaxDefinitionLevel())}
	}
	return plans, nil
}

// checkKind reports whether values stored as phys can be read as k.
func checkKind(k Kind, phys physical) error {
	switch {
	case phys.kind == parquet.Int96:
		return ErrUnsupportedType
	case k == Numeric && !phys.numeric():
		return ErrNotNumeric
	}
	return nil
}

// planPartition plans a request served by a partition value.
func planPartition(name string, req Request, part map[string]string) (colPlan, error) {
	v, ok := part[req.Name]
	if !ok {
		return colPlan{}, columnError(name, req.Name, ErrMissingColumn)
	}
	if req.Kind == Numeric && !isNullPartition(v) {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return colPlan{}, columnError(name, req.Name, fmt.Errorf("%w: partition value %q", ErrBadValue, v))
		}
	}
	return colPlan{req: req, leaf: -1, value: v}, nil
}

// isNullPartition reports whether a partition value stands for null: empty,
// or Hive's __HIVE_DEFAULT_PARTITION__.
func isNullPartition(v string) bool {
	return v == "" || v == "__HIVE_DEFAULT_PARTITION__"
}

// colOut is where the rows of one column of one file go: float or codes as
// long as the file, and the null marks of the whole column, of which the
// file's rows start at off.
type colOut struct {
	float []float64
	codes []int32
	nulls *nullBuf
	off   int
}

// null returns the null marks of the file's rows [lo, hi).
func (o colOut) null(lo, hi int) []bool { return o.nulls.rows(o.off+lo, o.off+hi) }

// parquetJob decodes the planned columns of one Parquet file.
type parquetJob struct {
	name   string
	file   *parquet.File
	r      io.ReaderAt // where pages are read from
	plans  []colPlan
	starts []int // first row of each row group; starts[len] is the row count
}

// newParquetJob prepares to decode plans from f, reading pages from r.
func newParquetJob(name string, f *parquet.File, r io.ReaderAt, plans []colPlan) *parquetJob {
	rgs := f.RowGroups()
	starts := make([]int, len(rgs)+1)
	for i, rg := range rgs {
		starts[i+1] = starts[i] + int(rg.NumRows())
	}
	return &parquetJob{name: name, file: f, r: r, plans: plans, starts: starts}
}

// rows returns the number of rows of the file.
func (j *parquetJob) rows() int { return j.starts[len(j.starts)-1] }

// rowGroupRows returns the row count of each row group, for Source.
func (j *parquetJob) rowGroupRows() []int {
	out := make([]int, len(j.starts)-1)
	for i := range out {
		out[i] = j.starts[i+1] - j.starts[i]
	}
	return out
}

// chunkResult holds the levels of a Categorical column chunk.
type chunkResult struct {
	ints *intCoder
	strs *strCoder
}

// decode decodes every planned column into outs (one per plan, each
// j.rows() long), column chunks in parallel on up to par goroutines, and
// returns the levels of each Categorical column (nil for Numeric ones):
// codes index the file's levels, numbered in order of first occurrence.
func (j *parquetJob) decode(ctx context.Context, outs []colOut, par int) ([][]string, error) {
	nrg, ncol := len(j.starts)-1, len(j.plans)
	chunks := make([]chunkResult, nrg*ncol)
	err := forEach(ctx, len(chunks), par, func(t int) error {
		rg, c := t/ncol, t%ncol
		if j.plans[c].leaf < 0 {
			return nil
		}
		res, err := j.decodeChunk(rg, c, outs[c])
		chunks[t] = res
		return err
	})
	if err != nil {
		return nil, err
	}
	results := make([][]string, ncol)
	for c := range j.plans {
		p := &j.plans[c]
		if p.leaf < 0 {
			results[c] = fillPartition(p, outs[c], j.rows())
			continue
		}
		if p.req.Kind == Categorical {
			col := make([]chunkResult, nrg)
			for rg := range nrg {
				col[rg] = chunks[rg*ncol+c]
			}
			levels, err := j.mergeChunks(ctx, p, col, outs[c].codes, par)
			if err != nil {
				return nil, err
			}
			results[c] = levels
		}
	}
	return results, nil
}

// decodeChunk decodes the pages of column c of row group rg into its rows of
// out.
func (j *parquetJob) decodeChunk(rg, c int, out colOut) (chunkResult, error) {
	p := &j.plans[c]
	lo, hi := j.starts[rg], j.starts[rg+1]
	fail := func(err error) error {
		return &RowError{File: j.name, Column: p.req.Name, RowGroup: rg, Err: err}
	}
	chunk := j.file.RowGroups()[rg].ColumnChunks()[p.leaf]
	pages := chunkPages(chunk, j.r)
	defer pages.Close()

	var res chunkResult
	var num *numDecoder
	var cat *catDecoder
	if p.req.Kind == Numeric {
		num = &numDecoder{phys: p.phys, maxDef: p.maxDef}
	} else {
		cat = newCatDecoder(p.phys, p.maxDef, hi-lo)
		res.ints, res.strs = cat.ints, cat.strs
	}
	row := lo
	for {
		page, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return res, fail(err)
		}
		n := int(page.NumRows())
		if n > hi-row {
			parquet.Release(page)
			return res, fail(fmt.Errorf("%w: pages hold more than the %d rows of the row group", ErrCorrupt, hi-lo))
		}
		err = decodePage(num, cat, out, row, n, page)
		parquet.Release(page)
		if err != nil {
			return res, fail(err)
		}
		row += n
	}
	if row != hi {
		return res, fail(fmt.Errorf("%w: pages hold %d rows, row group has %d", ErrCorrupt, row-lo, hi-lo))
	}
	return res, nil
}

// decodePage decodes a page of n rows into the rows [row, row+n) of out,
// with num for a Numeric column or cat for a Categorical one.
func decodePage(num *numDecoder, cat *catDecoder, out colOut, row, n int, page parquet.Page) error {
	null := func() []bool { return out.null(row, row+n) }
	if num != nil {
		return num.decode(out.float[row:row+n], null, page)
	}
	hadNull, err := cat.decode(out.codes[row:row+n], page)
	if hadNull && err == nil {
		markNulls(null(), page.DefinitionLevels(), cat.maxDef)
	}
	return err
}

// markNulls sets null[i] where defs[i] is below maxDef.
func markNulls(null []bool, defs []byte, maxDef byte) {
	for i, l := range defs[:len(null)] {
		if l != maxDef {
			null[i] = true
		}
	}
}

// chunkPages returns the pages of a column chunk, read from r when the chunk
// belongs to a file.
func chunkPages(chunk parquet.ColumnChunk, r io.ReaderAt) parquet.Pages {
	if fc, ok := chunk.(*parquet.FileColumnChunk); ok {
		return fc.PagesFrom(r)
	}
	return chunk.Pages()
}

// fillPartition writes the constant value of a partition column to out
// (n rows) and returns its levels if it is Categorical.
func fillPartition(p *colPlan, out colOut, n int) []string {
	isNull := isNullPartition(p.value)
	if isNull {
		marks := out.null(0, n)
		for i := range marks {
			marks[i] = true
		}
	}
	if p.req.Kind == Categorical {
		clear(out.codes)
		if isNull {
			return []string{""}
		}
		return []string{p.value}
	}
	v := 0.0
	if !isNull {
		v, _ = strconv.ParseFloat(p.value, 64) // checked by planPartition
	}
	for i := range out.float {
		out.float[i] = v
	}
	return nil
}
