package synth

import (
	"context"
	"fmt"
	"io"
	"iter"
	"path/filepath"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

// FileName is the name of the Parquet file of each year in the directory
// written by Write.
const FileName = "households.parquet"

// checkYear returns an error wrapping ErrConfig if yearIndex is not a year
// of p.
func (p *Panel) checkYear(yearIndex int) error {
	if yearIndex < 0 || yearIndex >= p.cfg.Years {
		return fmt.Errorf("%w: year index %d outside 0..%d", ErrConfig, yearIndex, p.cfg.Years-1)
	}
	return nil
}

// WriteYear writes the rows of year yearIndex of the panel for cfg to w as a
// Parquet file (see Panel.WriteYear).
func WriteYear(w io.Writer, cfg Config, yearIndex int) error {
	p, err := New(cfg)
	if err != nil {
		return err
	}
	return p.WriteYear(context.Background(), w, yearIndex)
}

// WriteYear writes the rows of year yearIndex to w as a Parquet file, one
// row group per RowGroupSize rows, all columns required. The file has no
// year column. It generates the next row group while encoding the current
// one, and checks ctx between row groups. The bytes depend only on the
// Config and yearIndex.
func (p *Panel) WriteYear(ctx context.Context, w io.Writer, yearIndex int) error {
	if err := p.checkYear(yearIndex); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	pw := parquet.NewGenericWriter[Household](w, writerOptions(p.cfg)...)
	groups, stop := p.rowGroups(yearIndex)
	defer stop()
	return writeGroups(ctx, pw, func(yield func([]Household) bool) {
		for rows := range groups {
			if !yield(rows) {
				return
			}
		}
	}, "households")
}

// writeGroups writes each row group of groups through pw (one Flush a
// group), checking ctx between groups, and closes pw; what names the rows
// in errors.
func writeGroups[T any](ctx context.Context, pw *parquet.GenericWriter[T], groups iter.Seq[[]T], what string) error {
	for rows := range groups {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := pw.Write(rows); err != nil {
			return fmt.Errorf("writing %s: %w", what, err)
		}
		if err := pw.Flush(); err != nil {
			return fmt.Errorf("writing %s: %w", what, err)
		}
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("closing parquet writer: %w", err)
	}
	return nil
}

// rowGroups generates the row groups of year yearIndex in a goroutine, one
// ahead of the reader of the channel, in two buffers used in turn: a buffer
// is refilled only after the reader has asked for the next group, so it
// must be done with a group before receiving the next. stop ends the
// goroutine and waits for it.
func (p *Panel) rowGroups(yearIndex int) (groups <-chan []Household, stop func()) {
	size := min(p.cfg.RowGroupSize, p.cfg.Households)
	bufs := [2][]Household{make([]Household, size), make([]Household, size)}
	ready := make(chan []Household) // unbuffered, see above
	done := make(chan struct{})
	go func() {
		defer close(ready)
		for k, first := 0, 0; first < p.cfg.Households; k, first = k+1, first+size {
			rows := bufs[k%2][:min(size, p.cfg.Households-first)]
			p.Fill(rows, yearIndex, first)
			select {
			case ready <- rows:
			case <-done:
				return
			}
		}
	}()
	return ready, func() {
		close(done)
		for range ready {
		}
	}
}

// writerOptions are the Parquet writer options for cfg.
func writerOptions(cfg Config) []parquet.WriterOption {
	return []parquet.WriterOption{
		parquet.Compression(&parquet.Uncompressed),
		parquet.MaxRowsPerRowGroup(int64(cfg.RowGroupSize)),
		parquet.CreatedBy("povstat synth", "", ""),
		parquet.KeyValueMetadata("povstat.synth.seed", strconv.FormatUint(cfg.Seed, 10)),
	}
}

// Write writes every year of the panel for cfg under dir, in the hive
// layout dir/year=YYYY/households.parquet, and returns the paths in year
// order. Each file is written to a temporary name in its directory and
// renamed when complete, so a failed or cancelled run leaves no partial
// file under the final name. It checks ctx between row groups.
func Write(ctx context.Context, dir string, cfg Config) ([]string, error) {
	p, err := New(cfg)
	if err != nil {
		return nil, err
	}
	var paths []string
	for y := range p.cfg.Years {
		path := filepath.Join(dir, "year="+strconv.Itoa(p.cfg.Year(y)), FileName)
		if err := p.writeFile(ctx, path, y); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// writeFile writes year y to path through a temporary file.
func (p *Panel) writeFile(ctx context.Context, path string, y int) error {
	if err := writeAtomic(path, func(w io.Writer) error { return p.WriteYear(ctx, w, y) }); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
