package datasets

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Field describes one column of a file.
type Field struct {
	Name string
	// Type is the Parquet type ("bool", "int32", "int64", "uint8" …,
	// "float", "double", "decimal", "date", "timestamp", "string", "bytes",
	// …), "group", "list" or "map" for nested fields, "text" for a CSV
	// column (its cells are parsed when read) or "partition" for a hive
	// partition value.
	Type string
	// Nullable is true for optional Parquet fields and for CSV columns.
	Nullable bool
	// Repeated is true for Parquet fields that are repeated or nested: they
	// cannot be read.
	Repeated bool
}

// FileInfo describes one file behind the paths given to Inspect.
type FileInfo struct {
	Path   string
	Format FileFormat
	// Rows is the row count from the Parquet footer; -1 for CSV (counting
	// rows needs reading the file).
	Rows int64
	// Fields lists the file's top-level columns in file order, then its
	// partition columns in key order. A partition key that is also a file
	// column is listed once, as the file column.
	Fields    []Field
	Partition map[string]string
}

// Field returns the field of fi with the given name and whether there is
// one.
func (fi *FileInfo) Field(name string) (Field, bool) {
	for _, f := range fi.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Inspect lists the files behind paths, found as by Read (with the same
// Format and Partition options), and the columns of each, reading only
// Parquet footers and CSV headers. It returns the errors of Read for paths
// that hold no file, and errors naming the file that cannot be read.
func Inspect(paths []string, opts ...Option) ([]FileInfo, error) {
	cfg := newConfig(opts)
	files, err := expand(paths, cfg)
	if err != nil {
		return nil, err
	}
	infos := make([]FileInfo, len(files))
	for i, f := range files {
		if infos[i], err = inspectFile(f); err != nil {
			return nil, err
		}
	}
	return infos, nil
}

// inspectFile reads the footer or header of one file.
func inspectFile(f fileSpec) (FileInfo, error) {
	fh, size, err := openFile(f.path)
	if err != nil {
		return FileInfo{}, err
	}
	defer fh.Close()
	info := FileInfo{Path: f.path, Format: f.format, Rows: -1, Partition: cloneMap(f.partition)}
	if f.format == FormatCSV {
		info.Fields, err = csvFields(fh, f.path)
	} else {
		info.Rows, info.Fields, err = parquetFields(fh, size, f.path)
	}
	if err != nil {
		return FileInfo{}, err
	}
	for _, k := range slices.Sorted(maps.Keys(f.partition)) {
		if _, ok := info.Field(k); !ok {
			info.Fields = append(info.Fields, Field{Name: k, Type: "partition", Nullable: isNullPartition(f.partition[k])})
		}
	}
	return info, nil
}

// parquetFields reads the row count and top-level fields from a footer.
func parquetFields(r io.ReaderAt, size int64, path string) (int64, []Field, error) {
	pf, err := openParquet(r, size, path)
	if err != nil {
		return 0, nil, err
	}
	cols := pf.Root().Columns()
	fields := make([]Field, len(cols))
	for i, c := range cols {
		fields[i] = Field{Name: c.Name(), Nullable: c.Optional()}
		switch {
		case c.Leaf():
			fields[i].Type = typeName(c.Type())
			fields[i].Repeated = c.Repeated()
		default:
			fields[i].Type = groupName(c.Type())
			fields[i].Repeated = true
		}
	}
	return pf.NumRows(), fields, nil
}

// groupName names a nested type: "list", "map" or "group".
func groupName(t parquet.Type) string {
	if lt := t.LogicalType(); lt != nil {
		switch lt.Value.(type) {
		case *format.ListType:
			return "list"
		case *format.MapType:
			return "map"
		}
	}
	return "group"
}

// csvFields reads the header of a CSV file.
func csvFields(r io.Reader, path string) ([]Field, error) {
	header, err := csv.NewReader(r).Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading header of %s: %w", path, err)
	}
	fields := make([]Field, len(header))
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\uFEFF")
		}
		fields[i] = Field{Name: h, Type: "text", Nullable: true}
	}
	return fields, nil
}

// Validate checks, from Inspect's output alone, that every file can serve
// every request: each requested column must be a field of the file (or a
// partition value) and, for Parquet, flat and of a type that the requested
// Kind can read. It returns the first problem as a *RowError wrapping
// ErrMissingColumn, ErrNested, ErrNotNumeric or ErrUnsupportedType, or
// ErrDuplicateColumn when a column is requested twice. Partition values and
// CSV cells are only checked when read.
func Validate(files []FileInfo, reqs []Request) error {
	if err := checkRequests(reqs); err != nil {
		return err
	}
	for i := range files {
		fi := &files[i]
		for _, req := range reqs {
			f, ok := fi.Field(req.Name)
			if !ok {
				return columnError(fi.Path, req.Name, ErrMissingColumn)
			}
			if err := checkField(fi.Format, f, req.Kind); err != nil {
				return columnError(fi.Path, req.Name, fmt.Errorf("%w (%s)", err, f.Type))
			}
		}
	}
	return nil
}

// checkField reports whether field f of a file in format ff can be read as k.
func checkField(ff FileFormat, f Field, k Kind) error {
	if ff == FormatCSV || f.Type == "partition" {
		return nil
	}
	switch {
	case f.Repeated:
		return ErrNested
	case f.Type == "int96":
		return ErrUnsupportedType
	case k == Numeric && !numericType(f.Type):
		return ErrNotNumeric
	}
	return nil
}

// numericType reports whether a Field.Type of a Parquet column converts to
// float64.
func numericType(t string) bool {
	switch t {
	case "bool", "int32", "int64", "float", "double", "decimal", "date", "time", "timestamp":
		return true
	}
	return strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint")
}
