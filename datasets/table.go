package datasets

import (
	"fmt"
	"sort"
)

// Kind says how the caller wants a column.
type Kind int

const (
	// Numeric asks for float64 values, one per row. Every Parquet integer,
	// floating-point and boolean type converts (false and true become 0 and
	// 1, unsigned integers keep their value, decimals are divided by
	// 10^scale); CSV cells are parsed with strconv.ParseFloat.
	Numeric Kind = iota
	// Categorical asks for group keys: one code per row indexing a list of
	// level strings.
	Categorical
)

// String returns "numeric" or "categorical".
func (k Kind) String() string {
	switch k {
	case Numeric:
		return "numeric"
	case Categorical:
		return "categorical"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Request names one column to read and the Kind wanted. Name is matched
// exactly (case-sensitive) against top-level Parquet fields, CSV header cells
// and hive partition keys.
type Request struct {
	Name string
	Kind Kind
}

// Column holds the values of one requested column, one entry per table row.
//
// A Numeric column fills Float and leaves Codes and Levels nil. A
// Categorical column fills Codes and Levels and leaves Float nil.
type Column struct {
	Name string
	Kind Kind

	// Float holds the values of a Numeric column: 0 where the value is null.
	Float []float64

	// Null is true where the value is null. It is nil when no row is null.
	Null []bool

	// Codes holds, for a Categorical column, the index into Levels of each
	// row's value.
	Codes []int32

	// Levels holds the distinct values of a Categorical column as strings, in
	// order of first occurrence: integers in decimal, booleans as "true" and
	// "false", floating-point values as strconv.FormatFloat(v, 'g', -1, bits),
	// strings and byte arrays as they are. Null values take the level "" (the
	// same level as an empty string, should the column hold one); Null tells
	// them apart.
	Levels []string
}

// Source describes one file behind a Table.
type Source struct {
	// Path is the path as given or as found when walking a directory (for
	// Open: the Name option, "" by default).
	Path string
	// Start is the table row of the file's first row; Rows its row count.
	Start int
	Rows  int
	// RowGroups is the number of Parquet row groups; 0 for CSV.
	RowGroups int
	// RowGroupRows is the row count of each row group, in order (nil for
	// CSV): with Start, where each split of the file (see Splits) begins in
	// the table, for a caller that sums split by split as a distributed
	// runner does.
	RowGroupRows []int
	// Partition holds the constant columns of the file: hive partition
	// values from its path (e.g. {"year": "2020"}) and the Partition option.
	// It is nil when there are none.
	Partition map[string]string
}

// Table is the result of Open or Read: the requested columns, all Rows long,
// and the files they came from, in row order.
type Table struct {
	Rows    int
	Columns []*Column // in request order
	Sources []Source  // in row order; Sources[i].Start increases
}

// Column returns the column with the given name, or nil if the table has
// none.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Locate maps a 0-based table row to the file it came from and the 1-based
// row within that file (the n-th data row: for CSV, not counting the header).
// It panics if row is not in [0, t.Rows).
func (t *Table) Locate(row int) (path string, fileRow int) {
	if row < 0 || row >= t.Rows {
		panic("datasets: row out of range")
	}
	i := sort.Search(len(t.Sources), func(i int) bool { return t.Sources[i].Start > row }) - 1
	s := t.Sources[i]
	return s.Path, row - s.Start + 1
}
