package datasets

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Errors returned by this package wrap one of them (most
// often inside a *RowError), so callers test them with errors.Is.
var (
	// ErrMissingColumn: a requested column is in neither the file nor its
	// partition values.
	ErrMissingColumn = errors.New("column not found")
	// ErrNotNumeric: a column requested as Numeric holds strings, byte
	// arrays or another type that does not convert to float64.
	ErrNotNumeric = errors.New("column is not numeric")
	// ErrBadValue: a CSV cell or partition value requested as Numeric does
	// not parse as a number.
	ErrBadValue = errors.New("value is not a number")
	// ErrNested: a requested Parquet column is a group, a list, a map or a
	// repeated field; only flat columns can be read.
	ErrNested = errors.New("nested or repeated column")
	// ErrUnsupportedType: a Parquet column type that neither Kind can read
	// (INT96 timestamps).
	ErrUnsupportedType = errors.New("unsupported column type")
	// ErrDuplicateColumn: a column is requested twice, or a CSV header names
	// a requested column twice.
	ErrDuplicateColumn = errors.New("duplicate column")
	// ErrCorrupt: the file's pages disagree with its metadata (row counts,
	// dictionary indexes).
	ErrCorrupt = errors.New("corrupt file")
	// ErrNoFiles: the paths given to Read or Inspect hold no Parquet or CSV
	// file.
	ErrNoFiles = errors.New("no parquet or csv files")
	// ErrFileChanged: a file changed size between reading its footer and its
	// data.
	ErrFileChanged = errors.New("file changed while reading")
)

// RowError reports a problem with a column of a file, and the row or row
// group where known. It unwraps to Err, which wraps a sentinel error.
type RowError struct {
	File     string // path of the file as given, or the Name option
	Column   string // column name; "" when the error concerns no column
	Row      int    // 1-based data row in the file (a CSV header not counted), as Table.Locate; 0 if unknown
	Line     int    // CSV: 1-based line in the file, to find it in an editor; 0 otherwise
	RowGroup int    // 0-based Parquet row group; -1 if unknown or not Parquet
	Err      error
}

// Error formats the error as
//
//	file: column "name", row group 3, row 1042: cause
//	file.csv: column "name", row 1041 (line 1042): cause
//
// leaving out the parts that are unknown.
func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(displayName(e.File))
	sep := ": "
	if e.Column != "" {
		fmt.Fprintf(&b, "%scolumn %q", sep, e.Column)
		sep = ", "
	}
	if e.RowGroup >= 0 {
		fmt.Fprintf(&b, "%srow group %d", sep, e.RowGroup)
		sep = ", "
	}
	switch {
	case e.Row > 0 && e.Line > 0:
		fmt.Fprintf(&b, "%srow %d (line %d)", sep, e.Row, e.Line)
	case e.Row > 0:
		fmt.Fprintf(&b, "%srow %d", sep, e.Row)
	case e.Line > 0:
		fmt.Fprintf(&b, "%sline %d", sep, e.Line)
	}
	b.WriteString(": ")
	if e.Err == nil {
		b.WriteString("<nil>")
	} else {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *RowError) Unwrap() error { return e.Err }

// displayName names a file in messages, also when the caller gave no name.
func displayName(name string) string {
	if name == "" {
		return "(unnamed input)"
	}
	return name
}

// columnError returns a *RowError for a column-level problem of a file.
func columnError(file, column string, err error) *RowError {
	return &RowError{File: file, Column: column, RowGroup: -1, Err: err}
}
