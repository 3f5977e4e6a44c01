package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/povstat/povstat/pipeline"
)

// TableFiles returns every annual table of a study run (the tables of
// tables.xlsx) as tables/STEM.csv when formats has "csv" and as
// tables/STEM.parquet when it has "parquet"; STEM is like
// "poverty_by_year_province_median60" (see the contents sheet of
// tables.xlsx).
//
// A table file has one row per domain of the breakdown and the columns:
// the breakdown's columns (strings, as in results.csv); then for each
// indicator its estimate, named as the indicator (ratios "ratio_COL_A_B",
// characters other than letters, digits and '_' replaced by '_'), and when
// it has standard errors (row counts n have none) NAME_se, NAME_ci_lower,
// NAME_ci_upper and NAME_unreliable. Estimates are doubles (row counts n
// are int64), NAME_unreliable booleans. A missing value is an empty CSV
// cell and a Parquet null. CSV numbers are the shortest decimals that read
// back as the same double, without an exponent between 1e-6 and 1e21, as
// in results.csv. The Parquet files carry their Arrow
// schema (key ARROW:schema), as pyarrow and R arrow write it.
//
// The bytes depend only on the study and the results. A breakdown column
// named like a column of the table is an error naming both.
func TableFiles(s *pipeline.Study, out *pipeline.Output, formats []string) ([]pipeline.File, error) {
	ts := annualTables(s, out.Results)
	stems := tableStems(ts)
	var files []pipeline.File
	for i, t := range ts {
		ft, err := t.flat()
		if err != nil {
			return nil, fmt.Errorf("tables/%s: %w", stems[i], err)
		}
		for _, f := range formats {
			switch f {
			case "csv":
				files = append(files, pipeline.File{Name: "tables/" + stems[i] + ".csv", Data: ft.csv()})
			case "parquet":
				b, err := encodeParquet("table", ft.names, ft.kinds, ft.rows)
				if err != nil {
					return nil, fmt.Errorf("tables/%s.parquet: %w", stems[i], err)
				}
				files = append(files, pipeline.File{Name: "tables/" + stems[i] + ".parquet", Data: b})
			}
		}
	}
	return files, nil
}

// flatTable is an annual table as rows of typed values: string, float64
// (NaN for none), int64 (-1 for none) and bool.
type flatTable struct {
	names []string
	kinds []parquetKind
	rows  [][]any
}

// flat lays an annual table out as a flat table.
func (t annualTable) flat() (flatTable, error) {
	var ft flatTable
	add := func(name string, k parquetKind) {
		ft.names = append(ft.names, name)
		ft.kinds = append(ft.kinds, k)
	}
	for _, c := range t.cols {
		add(c, kindString)
	}
	withSE := t.errorColumns()
	for k, m := range t.measures {
		name := columnName(m)
		if m.ind == "n" {
			add(name, kindOptInt)
		} else {
			add(name, kindNullable)
		}
		if withSE[k] {
			add(name+"_se", kindNullable)
			add(name+"_ci_lower", kindNullable)
			add(name+"_ci_upper", kindNullable)
			add(name+"_unreliable", kindBool)
		}
	}
	seen := map[string]bool{}
	for _, n := range ft.names {
		if seen[n] {
			return ft, fmt.Errorf("two columns named %q (a breakdown column has the name of an indicator's column)", n)
		}
		if strings.Contains(n, ",") {
			return ft, fmt.Errorf("column %q: Parquet column names may not contain a comma", n)
		}
		seen[n] = true
	}
	nan := math.NaN()
	for _, d := range t.domains {
		row := make([]any, 0, len(ft.names))
		for _, c := range t.cols {
			row = append(row, domainValue(d, c))
		}
		for k, m := range t.measures {
			r, ok := t.cells[measureKey(m, d)]
			est := nan
			if ok {
				est = r.Estimate
			}
			if m.ind == "n" {
				n := int64(-1)
				if !math.IsNaN(est) {
					n = int64(math.Round(est))
				}
				row = append(row, n)
			} else {
				row = append(row, est)
			}
			if withSE[k] {
				se, lo, hi := nan, nan, nan
				if ok && r.SEMethod != "" {
					se, lo, hi = r.SE, r.CILower, r.CIUpper
				}
				row = append(row, se, lo, hi, ok && r.Unreliable)
			}
		}
		ft.rows = append(ft.rows, row)
	}
	return ft, nil
}

// csv writes the table as CSV: a header of column names, then one record
// per row.
func (ft flatTable) csv() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(ft.names) // a bytes.Buffer does not fail
	rec := make([]string, len(ft.names))
	for _, row := range ft.rows {
		for i, v := range row {
			rec[i] = csvText(v)
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}

// csvText writes a value of a flat table: NaN, infinities and negative
// counts (none) as empty cells.
func csvText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ""
		}
		b, _ := json.Marshal(v) // as results.csv: no exponent from 1e-6 to 1e21
		return string(b)
	case int64:
		if v < 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	}
	panic(fmt.Sprintf("reports: table value of type %T", v))
}
