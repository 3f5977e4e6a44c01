package datasets

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ctxCheckRows is how often, in rows, the CSV reader checks its context.
const ctxCheckRows = 1 << 16

// csvColumn accumulates one requested column of a CSV file.
type csvColumn struct {
	plan  colPlan // leaf is the field index, or -1 for a partition value
	col   *Column
	codes *strCoder
	nulls bool
}

// readCSV reads the requests from a CSV table whose first record names the
// columns. Empty cells are null; Numeric cells must parse with
// strconv.ParseFloat.
func readCSV(ctx context.Context, r io.Reader, f fileSpec, reqs []Request) (*Table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading header of %s: %w", displayName(f.path), err)
	}
	cols, err := planCSV(f, header, reqs)
	if err != nil {
		return nil, err
	}
	n := 0
	for {
		if n%ctxCheckRows == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("reading %s: %w", displayName(f.path), ctx.Err())
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(f.path, err)
		}
		if err := addRecord(cr, f.path, rec, cols); err != nil {
			return nil, err
		}
		n++
	}
	return csvTable(f, n, cols), nil
}

// csvError wraps an error of encoding/csv, which carries the line number.
func csvError(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &RowError{File: path, Line: pe.Line, RowGroup: -1, Err: err}
	}
	return fmt.Errorf("reading %s: %w", displayName(path), err)
}

// planCSV matches the requests with the header fields and the partition
// values of f.
func planCSV(f fileSpec, header []string, reqs []Request) ([]*csvColumn, error) {
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	}
	cols := make([]*csvColumn, len(reqs))
	for i, req := range reqs {
		c := &csvColumn{plan: colPlan{req: req, leaf: -1}, col: &Column{Name: req.Name, Kind: req.Kind}}
		for j, h := range header {
			if h != req.Name {
				continue
			}
			if c.plan.leaf >= 0 {
				return nil, columnError(f.path, req.Name, fmt.Errorf("%w in the header", ErrDuplicateColumn))
			}
			c.plan.leaf = j
		}
		if c.plan.leaf < 0 {
			p, err := planPartition(f.path, req, f.partition)
			if err != nil {
				return nil, err
			}
			c.plan = p
		}
		if req.Kind == Categorical {
			c.codes = newStrCoder()
		}
		cols[i] = c
	}
	return cols, nil
}

// addRecord appends the requested cells of one record.
func addRecord(cr *csv.Reader, path string, rec []string, cols []*csvColumn) error {
	for _, c := range cols {
		if c.plan.leaf < 0 {
			continue
		}
		cell := rec[c.plan.leaf]
		null := cell == ""
		if null && !c.nulls {
			c.nulls = true
			c.col.Null = make([]bool, max(len(c.col.Float), len(c.col.Codes)), cap(c.col.Float)+cap(c.col.Codes))
		}
		if c.nulls {
			c.col.Null = append(c.col.Null, null)
		}
		if c.plan.req.Kind == Categorical {
			c.col.Codes = append(c.col.Codes, c.codes.codeString(cell))
			continue
		}
		v := 0.0
		if !null {
			var err error
			if v, err = strconv.ParseFloat(cell, 64); err != nil {
				line, _ := cr.FieldPos(c.plan.leaf)
				return &RowError{File: path, Column: c.plan.req.Name, Row: len(c.col.Float) + 1, Line: line, RowGroup: -1,
					Err: fmt.Errorf("%w: %q", ErrBadValue, cell)}
			}
		}
		c.col.Float = append(c.col.Float, v)
	}
	return nil
}

// csvTable assembles the table of a CSV file of n rows.
func csvTable(f fileSpec, n int, cols []*csvColumn) *Table {
	t := &Table{Rows: n, Columns: make([]*Column, len(cols))}
	for i, c := range cols {
		col := c.col
		if c.plan.leaf < 0 {
			col = newColumn(c.plan.req, n)
			out := colOut{float: col.Float, codes: col.Codes, nulls: newNullBuf(n)}
			col.Levels = fillPartition(&c.plan, out, n)
			col.Null = out.nulls.marks()
		} else if c.codes != nil {
			col.Levels = c.codes.keys
		}
		if col.Kind == Numeric && col.Float == nil {
			col.Float = []float64{}
		}
		if col.Kind == Categorical && col.Codes == nil {
			col.Codes = []int32{}
		}
		t.Columns[i] = col
	}
	t.Sources = []Source{{Path: f.path, Rows: n, Partition: cloneMap(f.partition)}}
	return t
}
