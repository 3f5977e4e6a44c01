package datasets

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Read reads the requested columns from every file behind paths and
// concatenates them, in order, into one Table.
//
// Each path is a file, read whatever its name, or a directory, walked
// recursively for files named *.parquet and *.csv (any case), taken in sorted
// path order; directories and files whose names start with "." or "_" (such
// as _temporary/ or _SUCCESS) are skipped. Paths are taken in the order given.
// A file is CSV if its name ends in .csv and Parquet otherwise, unless the
// Format option names the format of the files given explicitly.
//
// Every directory component of a file's path of the form key=value (hive
// partitioning, e.g. year=2020/province=3/) adds a constant column key to the
// file's rows, with value URL-unescaped; a deeper directory overrides a
// shallower one, the Partition option overrides both, and a column stored in
// the file overrides all of them. An empty value or __HIVE_DEFAULT_PARTITION__
// is null.
//
// Categorical levels are merged across files by their strings, numbered in
// order of first occurrence; codes are renumbered accordingly. Read first
// opens every file (reading Parquet footers and whole CSV files), so that a
// missing column fails before any Parquet data is decoded; then it decodes
// each Parquet file straight into the table. It checks ctx between files and
// between column chunks. The Columns and Name options are ignored.
//
// Errors are those of Open, ErrNoFiles when paths hold no file, ErrFileChanged
// when a file changes while it is read, and errors of the file system and ctx,
// each saying which file or step failed. Read panics if a request has an
// unknown Kind.
func Read(ctx context.Context, paths []string, reqs []Request, opts ...Option) (*Table, error) {
	cfg := newConfig(opts)
	if err := checkRequests(reqs); err != nil {
		return nil, err
	}
	files, err := expand(paths, cfg)
	if err != nil {
		return nil, err
	}
	parts := make([]*filePart, len(files))
	total := 0
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if parts[i], err = prepare(ctx, f, reqs); err != nil {
			return nil, err
		}
		parts[i].start = total
		total += parts[i].rows
	}
	return assemble(ctx, parts, reqs, total, cfg.parallelism)
}

// filePart is one file of a Read: its footer and plans (Parquet) or its
// decoded table (CSV), and where its rows go.
type filePart struct {
	spec  fileSpec
	start int
	rows  int
	size  int64
	job   *parquetJob // Parquet
	table *Table      // CSV
}

// prepare reads the footer of a Parquet file and checks the requests, or
// reads a whole CSV file.
func prepare(ctx context.Context, f fileSpec, reqs []Request) (*filePart, error) {
	fh, size, err := openFile(f.path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	p := &filePart{spec: f, size: size}
	if f.format == FormatCSV {
		p.table, err = readCSV(ctx, fh, f, reqs)
		if err != nil {
			return nil, err
		}
		p.rows = p.table.Rows
		return p, nil
	}
	pf, err := openParquet(fh, p.size, f.path)
	if err != nil {
		return nil, err
	}
	plans, err := planParquet(f.path, pf, reqs, f.partition)
	if err != nil {
		return nil, err
	}
	p.job = newParquetJob(f.path, pf, nil, plans)
	p.rows = p.job.rows()
	return p, nil
}

// openFile opens a file for reading and returns its size.
func openFile(path string) (*os.File, int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("reading %s: %w", path, err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, 0, fmt.Errorf("reading %s: %w", path, err)
	}
	return fh, st.Size(), nil
}

// assemble allocates the table and decodes or copies every file into it.
func assemble(ctx context.Context, parts []*filePart, reqs []Request, total, par int) (*Table, error) {
	t := &Table{Rows: total, Columns: make([]*Column, len(reqs)), Sources: make([]Source, len(parts))}
	nulls := make([]*nullBuf, len(reqs))
	for c, req := range reqs {
		t.Columns[c] = newColumn(req, total)
		nulls[c] = newNullBuf(total)
	}
	sets := make([]levelSet, len(reqs))
	for i, p := range parts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		outs := segments(t.Columns, nulls, p.start, p.rows)
		levels, err := p.fill(ctx, outs, par)
		if err != nil {
			return nil, err
		}
		for c := range reqs {
			if reqs[c].Kind == Categorical {
				applyRemap(outs[c].codes, sets[c].remap(levels[c]))
			}
		}
		t.Sources[i] = p.source()
	}
	for c, col := range t.Columns {
		if col.Kind == Categorical {
			col.Levels = sets[c].levels
		}
		col.Null = nulls[c].marks()
	}
	return t, nil
}

// segments returns where the rows [start, start+n) of every column go.
func segments(cols []*Column, nulls []*nullBuf, start, n int) []colOut {
	outs := make([]colOut, len(cols))
	for c, col := range cols {
		outs[c] = colOut{nulls: nulls[c], off: start}
		if col.Float != nil {
			outs[c].float = col.Float[start : start+n]
		}
		if col.Codes != nil {
			outs[c].codes = col.Codes[start : start+n]
		}
	}
	return outs
}

// fill writes the file's rows to outs: decoding a Parquet file (reopened, and
// checked to be unchanged) or copying a CSV table.
func (p *filePart) fill(ctx context.Context, outs []colOut, par int) ([][]string, error) {
	if p.table != nil {
		return copyTable(p.table, outs), nil
	}
	fh, size, err := openFile(p.spec.path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if size != p.size {
		return nil, fmt.Errorf("reading %s: %w", p.spec.path, ErrFileChanged)
	}
	p.job.r = fh
	defer func() { p.job.r = nil }()
	return p.job.decode(ctx, outs, par)
}

// copyTable copies the columns of a table read alone to outs and returns
// their levels.
func copyTable(t *Table, outs []colOut) [][]string {
	levels := make([][]string, len(t.Columns))
	for c, col := range t.Columns {
		copy(outs[c].float, col.Float)
		copy(outs[c].codes, col.Codes)
		if col.Null != nil {
			copy(outs[c].null(0, t.Rows), col.Null)
		}
		levels[c] = col.Levels
	}
	return levels
}

// source describes the file for Table.Sources.
func (p *filePart) source() Source {
	s := Source{Path: p.spec.path, Start: p.start, Rows: p.rows, Partition: cloneMap(p.spec.partition)}
	if p.job != nil {
		s.RowGroups = len(p.job.starts) - 1
		s.RowGroupRows = p.job.rowGroupRows()
	}
	return s
}

// expand lists the files behind paths, with their formats and partitions.
func expand(paths []string, cfg config) ([]fileSpec, error) {
	var files []fileSpec
	for _, root := range paths {
		st, err := os.Stat(root)
		if err != nil {
			return nil, fmt.Errorf("finding files: %w", err)
		}
		if !st.IsDir() {
			f := fileSpec{path: root, format: formatOf(root)}
			if cfg.formatSet {
				f.format = cfg.format
			}
			files = append(files, f)
			continue
		}
		found, err := walk(root)
		if err != nil {
			return nil, fmt.Errorf("finding files: %w", err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("finding files: %w in %s", ErrNoFiles, root)
		}
		for _, path := range found {
			files = append(files, fileSpec{path: path, format: formatOf(path)})
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("finding files: %w", ErrNoFiles)
	}
	for i := range files {
		files[i].partition = hivePartition(files[i].path, cfg.partition)
	}
	return files, nil
}

// walk returns the Parquet and CSV files below the directory root, sorted.
func walk(root string) ([]string, error) {
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == root {
			return nil
		}
		if hidden(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && hasDataExt(d.Name()) {
			found = append(found, path)
		}
		return nil
	})
	slices.Sort(found)
	return found, err
}

// hidden reports whether a file or directory name is skipped by walk.
func hidden(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// hasDataExt reports whether a file name ends in .parquet or .csv, in any
// case.
func hasDataExt(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".parquet" || ext == ".csv"
}

// formatOf returns the format of a file by its name.
func formatOf(path string) FileFormat {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return FormatCSV
	}
	return FormatParquet
}

// hivePartition returns the key=value directory components of path, with
// extra laid over them; nil when there are none.
func hivePartition(path string, extra map[string]string) map[string]string {
	m := make(map[string]string)
	dir := filepath.ToSlash(filepath.Dir(path))
	for _, comp := range strings.Split(dir, "/") {
		k, v, ok := strings.Cut(comp, "=")
		if !ok || k == "" {
			continue
		}
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
		if u, err := url.PathUnescape(k); err == nil {
			k = u
		}
		m[k] = v
	}
	maps.Copy(m, extra)
	if len(m) == 0 {
		return nil
	}
	return m
}
