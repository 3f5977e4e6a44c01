// Package datasets reads the columns that a study needs from household and
// person microdata stored as Parquet or CSV, into flat Go slices.
//
// A caller asks for columns by name and says how it wants each one: Numeric
// (one float64 per row) or Categorical (dictionary codes plus level strings,
// for group keys such as regions or strata). Open reads one table from an
// io.ReaderAt; Read expands files and directories (with hive partitions such
// as year=2020/) and concatenates them; Inspect lists files and their columns
// from the Parquet footer or CSV header alone, so a study can be validated
// before any data is read.
//
// Parquet files are decoded page by page: the column chunks of every row group
// are decoded concurrently, straight into the output slices. Results do not
// depend on the degree of parallelism: categorical levels are numbered in the
// order in which they first occur in the table (files in order, row groups in
// order, rows in order).
//
// Null values are kept, never dropped: a Numeric column holds 0 at a null row,
// a Categorical column gives nulls the level "", and Column.Null marks them.
// Screening rules (negative weights, missing incomes) belong to the caller.
//
// Errors name the file and the column, and the row or row group where known:
// they are *RowError values that unwrap to one of the sentinel errors of this
// package (ErrMissingColumn, ErrNotNumeric, ErrBadValue, …), so callers test
// them with errors.Is.
//
// The package keeps no state: every call reads its arguments and nothing else.
package datasets
