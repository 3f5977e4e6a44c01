package datasets

import (
	"fmt"
	"maps"
	"runtime"
)

// FileFormat is the storage format of a table.
type FileFormat int

const (
	// FormatParquet is Apache Parquet, the default.
	FormatParquet FileFormat = iota
	// FormatCSV is comma-separated text (RFC 4180, as read by encoding/csv)
	// whose first record names the columns. An empty cell is a null value.
	FormatCSV
)

// String returns "parquet" or "csv".
func (f FileFormat) String() string {
	switch f {
	case FormatParquet:
		return "parquet"
	case FormatCSV:
		return "csv"
	}
	return fmt.Sprintf("FileFormat(%d)", int(f))
}

// Option configures Open and Read.
type Option func(*config)

// config collects the options of one call.
type config struct {
	reqs        []Request
	name        string
	format      FileFormat
	formatSet   bool
	partition   map[string]string
	parallelism int
}

// newConfig applies opts over the defaults.
func newConfig(opts []Option) config {
	c := config{parallelism: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(&c)
	}
	if c.parallelism < 1 {
		c.parallelism = 1
	}
	return c
}

// Columns adds requests for columns to read, in the order the table will hold
// them. Without it, Open reads no column and reports only the row count. Read
// takes its requests as an argument and ignores this option.
func Columns(reqs ...Request) Option {
	reqs = append([]Request(nil), reqs...)
	return func(c *config) { c.reqs = append(c.reqs, reqs...) }
}

// Name sets the file name that Open uses in errors and in Source.Path. Read
// uses the paths it reads and ignores this option.
func Name(name string) Option {
	return func(c *config) { c.name = name }
}

// Format sets the storage format. Open defaults to FormatParquet. Read
// defaults to the file extension (.csv for CSV, anything else Parquet);
// with this option every file given explicitly is read in the given format
// (files found by walking a directory keep their extension's format). It
// panics if f is neither FormatParquet nor FormatCSV.
func Format(f FileFormat) Option {
	if f != FormatParquet && f != FormatCSV {
		panic("datasets: unknown FileFormat")
	}
	return func(c *config) { c.format, c.formatSet = f, true }
}

// Partition adds constant columns: every row of the table gets value m[k]
// in column k, as for hive partition directories. A column present in the
// file takes precedence over a partition value of the same name. With Read,
// these values override hive values parsed from the paths. The map is
// copied.
func Partition(m map[string]string) Option {
	m = maps.Clone(m)
	return func(c *config) {
		if c.partition == nil {
			c.partition = make(map[string]string, len(m))
		}
		maps.Copy(c.partition, m)
	}
}

// Parallelism sets how many goroutines decode Parquet column chunks at once.
// The default is runtime.GOMAXPROCS(0); n < 1 means 1. Results do not depend
// on it.
func Parallelism(n int) Option {
	return func(c *config) { c.parallelism = n }
}
