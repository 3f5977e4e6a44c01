package reports

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"

	"github.com/povstat/povstat/pipeline"
)

// ParquetTable returns the long results table as a Parquet file with the
// columns of results.csv, in its order and typed: indicator, line, the
// domain columns, ratio and cell as strings (null where results.csv is
// empty), at, estimate, population, excluded_population and the standard
// error columns as doubles (null where there is none), n and excluded_n as
// int64, unreliable as a boolean. The bytes depend only on the results.
//
// A domain column named like a column of the table (e.g. "estimate") is an
// error.
func ParquetTable(out *pipeline.Output) ([]byte, error) {
	results := out.Results
	cols := newCSVColumns(results)
	kinds := make([]parquetKind, len(cols.header))
	for i, name := range cols.header {
		kinds[i] = kindOf(name, i >= 2 && i < 2+len(cols.domain))
	}
	rows := make([][]any, 0, len(results))
	for _, r := range results {
		vals := make([]any, 0, len(cols.header))
		vals = append(vals, r.Indicator, r.Line)
		for _, c := range cols.domain {
			vals = append(vals, domainValue(r.Domain, c))
		}
		if cols.ratio {
			vals = append(vals, r.Ratio)
		}
		if cols.at {
			at := math.NaN()
			if r.At != nil {
				at = *r.At
			}
			vals = append(vals, at)
		}
		if cols.cell {
			vals = append(vals, r.Cell)
		}
		exN, exPop := -1, math.NaN()
		if r.ExcludedN > 0 {
			exN, exPop = r.ExcludedN, r.ExcludedPopulation
		}
		vals = append(vals, r.Estimate, int64(r.N), r.Population, int64(exN), exPop, r.Note)
		if cols.se {
			vals = append(vals, r.SE, r.CILower, r.CIUpper, r.RSE, r.Deff, r.SEMethod, r.Unreliable)
		}
		rows = append(rows, vals)
	}
	b, err := encodeParquet("results", cols.header, kinds, rows)
	if err != nil {
		return nil, fmt.Errorf("results.parquet: %w", err)
	}
	return b, nil
}

// encodeParquet writes rows of values (string, float64, int64, bool; see
// parquetKind for their nulls) as a Parquet file with the named columns of
// the given kinds, in their order, Snappy-compressed, with the Arrow
// schema of the columns under the key ARROW:schema. Two columns of the same
// name, or a name with a comma, are an error.
func encodeParquet(schemaName string, names []string, kinds []parquetKind, rows [][]any) ([]byte, error) {
	group := make(orderedGroup, len(names))
	seen := map[string]bool{}
	for i, name := range names {
		if seen[name] {
			return nil, fmt.Errorf("two columns named %q (a domain column has the name of a column of the table)", name)
		}
		if strings.Contains(name, ",") {
			return nil, fmt.Errorf("column %q: Parquet column names may not contain a comma", name)
		}
		seen[name] = true
		group[i] = &orderedField{Node: kinds[i].node(), name: name, index: i}
	}
	schema := parquet.NewSchema(schemaName, group)
	var b bytes.Buffer
	w := parquet.NewWriter(&b, schema,
		parquet.Compression(&parquet.Snappy),
		parquet.CreatedBy("povstat", pipeline.Version, ""),
		parquet.MaxRowsPerRowGroup(1<<20),
		parquet.KeyValueMetadata(arrowSchemaKey, arrowSchema(names, kinds)),
	)
	prows := make([]parquet.Row, 0, len(rows))
	for _, vals := range rows {
		row := make(parquet.Row, len(vals))
		for i, v := range vals {
			row[i] = kinds[i].value(v).Level(0, kinds[i].def(v), i)
		}
		prows = append(prows, row)
	}
	if _, err := w.WriteRows(prows); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// parquetKind is the type of a column of results.parquet and of the
// tables' Parquet files.
type parquetKind int

const (
	kindString   parquetKind = iota // required string
	kindOptional                    // string, null when empty
	kindDouble                      // required double
	kindNullable                    // double, null when NaN or infinite
	kindInt                         // required int64
	kindOptInt                      // int64, null when negative
	kindBool                        // required boolean
)

func kindOf(name string, domain bool) parquetKind {
	if domain {
		return kindOptional
	}
	switch name {
	case "indicator", "se_method":
		return kindString
	case "population":
		return kindDouble
	case "n":
		return kindInt
	case "excluded_n":
		return kindOptInt
	case "unreliable":
		return kindBool
	case "at", "estimate", "excluded_population", "se", "ci_lower", "ci_upper", "rse", "deff":
		return kindNullable
	}
	return kindOptional // line, ratio, cell, note
}

func (k parquetKind) node() parquet.Node {
	switch k {
	case kindString:
		return parquet.String()
	case kindOptional:
		return parquet.Optional(parquet.String())
	case kindDouble:
		return parquet.Leaf(parquet.DoubleType)
	case kindNullable:
		return parquet.Optional(parquet.Leaf(parquet.DoubleType))
	case kindInt:
		return parquet.Int(64)
	case kindOptInt:
		return parquet.Optional(parquet.Int(64))
	}
	return parquet.Leaf(parquet.BooleanType)
}

// present reports whether v is a value rather than a null.
func (k parquetKind) present(v any) bool {
	switch v := v.(type) {
	case string:
		return k == kindString || v != ""
	case float64:
		return k == kindDouble || !(math.IsNaN(v) || math.IsInf(v, 0))
	case int64:
		return k == kindInt || v >= 0
	}
	return true
}

// def is the definition level of v: 1 for a value of an optional column, 0
// for a null or a value of a required column.
func (k parquetKind) def(v any) int {
	switch k {
	case kindOptional, kindNullable, kindOptInt:
		if k.present(v) {
			return 1
		}
	}
	return 0
}

func (k parquetKind) value(v any) parquet.Value {
	if !k.present(v) {
		return parquet.Value{}
	}
	switch v := v.(type) {
	case string:
		return parquet.ByteArrayValue([]byte(v))
	case float64:
		return parquet.DoubleValue(v)
	case int64:
		return parquet.Int64Value(v)
	case bool:
		return parquet.BooleanValue(v)
	}
	panic(fmt.Sprintf("reports: parquet value of type %T", v))
}

// orderedGroup is a Parquet group whose fields keep their order
// (parquet.Group sorts them by name).
type orderedGroup []parquet.Field

func (g orderedGroup) ID() int { return 0 }
func (g orderedGroup) String() string {
	var b strings.Builder
	_ = parquet.PrintSchema(&b, "results", g)
	return b.String()
}
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type {
	fields := make([]reflect.StructField, len(g))
	for i, f := range g {
		fields[i] = reflect.StructField{
			Name: "F" + strconv.Itoa(i),
			Type: f.GoType(),
			Tag:  reflect.StructTag(`parquet:` + strconv.Quote(f.Name())),
		}
	}
	return reflect.StructOf(fields)
}

// orderedField is a field of an orderedGroup.
type orderedField struct {
	parquet.Node
	name  string
	index int
}

func (f *orderedField) Name() string { return f.name }

func (f *orderedField) Value(base reflect.Value) reflect.Value {
	if base.Kind() == reflect.Struct {
		return base.Field(f.index)
	}
	return reflect.Value{}
}
