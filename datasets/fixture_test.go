package datasets

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/snappy"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding"
)

// fixCol is one column of a test file: its Parquet node, its values (nil for
// null) and what Open should make of them.
type fixCol struct {
	name string
	node parquet.Node // required leaf; fixOptions may wrap it
	opt  bool         // optional
	vals []any
	// num gives the expected Numeric value of a non-null value; nil if the
	// column is not numeric.
	num func(v any) float64
	// str gives the expected level string of a non-null value.
	str func(v any) string
	// enc is the encoding used in "alt" configurations (delta etc.), nil to
	// keep the default.
	enc encoding.Encoding
}

// fixConfig says how to write a test file.
type fixConfig struct {
	name     string
	dict     bool // dictionary-encode every column
	alt      bool // use each column's alternative encoding
	version  int  // data page version
	codec    compress.Codec
	rowGroup int64 // rows per row group; 0 for one
	pageSize int   // page buffer size; 0 for the default
	dictMax  int64 // dictionary size past which pages fall back to plain; 0 for none
}

var fixConfigs = []fixConfig{
	{name: "plain_v2", version: 2},
	{name: "plain_v1", version: 1},
	{name: "dict_v2_rowgroups", dict: true, version: 2, rowGroup: 97},
	{name: "dict_v1_zstd_small_pages", dict: true, version: 1, codec: &zstd.Codec{}, pageSize: 256, rowGroup: 300},
	{name: "delta_snappy_small_pages", alt: true, version: 2, codec: &snappy.Codec{}, pageSize: 128, rowGroup: 211},
	{name: "delta_v1_one_row_group", alt: true, version: 1, pageSize: 512},
	{name: "dict_fallback_to_plain", dict: true, version: 2, pageSize: 256, dictMax: 96, rowGroup: 600},
}

// fixRows is the number of rows of the test files.
const fixRows = 1000

// fixColumns returns the columns of the test files: every physical type,
// required and optional, signed and unsigned, with nulls, NaN, -0 and "".
func fixColumns() []fixCol {
	n := fixRows
	d, f, i32, i64, u32, u64, b, s, dec, fx := make([]any, n), make([]any, n), make([]any, n), make([]any, n),
		make([]any, n), make([]any, n), make([]any, n), make([]any, n), make([]any, n), make([]any, n)
	words := []string{"Vienna", "Tyrol", "", "Styria", "Салзбург"}
	for r := range n {
		d[r] = float64(r)*1.5 - 100
		if r%7 == 3 {
			d[r] = nil
		}
		f[r] = float32(r%13) / 4
		i32[r] = int32(r%31 - 15)
		if r%11 == 0 {
			i32[r] = nil
		}
		i64[r] = int64(r)*1_000_003 - 1<<40
		u32[r] = uint32(4_000_000_000 + r%5)
		u64[r] = uint64(1<<63) + uint64(r%3)
		b[r] = r%3 == 0
		if r%17 == 5 {
			b[r] = nil
		}
		s[r] = words[(r*r)%len(words)]
		if r%19 == 7 {
			s[r] = nil
		}
		dec[r] = int64(r%50 - 20) // scale 2: -0.20 … 0.29
		fx[r] = fmt.Sprintf("%04d", r%9)
	}
	d[10], d[11] = math.NaN(), math.Copysign(0, -1)
	numF := func(v any) float64 { return toFloat(v) }
	return []fixCol{
		{name: "d", node: parquet.Leaf(parquet.DoubleType), opt: true, vals: d, num: numF, str: fmtFloat64, enc: &parquet.ByteStreamSplit},
		{name: "f", node: parquet.Leaf(parquet.FloatType), vals: f, num: numF,
			str: func(v any) string { return strconv.FormatFloat(float64(v.(float32)), 'g', -1, 32) }, enc: &parquet.ByteStreamSplit},
		{name: "i32", node: parquet.Int(32), opt: true, vals: i32, num: numF, str: fmtInt, enc: &parquet.DeltaBinaryPacked},
		{name: "i64", node: parquet.Int(64), vals: i64, num: numF, str: fmtInt, enc: &parquet.DeltaBinaryPacked},
		{name: "u32", node: parquet.Uint(32), vals: u32, num: numF, str: fmtInt, enc: &parquet.DeltaBinaryPacked},
		{name: "u64", node: parquet.Uint(64), opt: true, vals: u64, num: numF, str: fmtInt, enc: &parquet.DeltaBinaryPacked},
		{name: "b", node: parquet.Leaf(parquet.BooleanType), opt: true, vals: b, num: numF,
			str: func(v any) string { return strconv.FormatBool(v.(bool)) }, enc: &parquet.RLE},
		{name: "s", node: parquet.String(), opt: true, vals: s, str: func(v any) string { return v.(string) }, enc: &parquet.DeltaByteArray},
		{name: "dec", node: parquet.Decimal(2, 10, parquet.Int64Type), vals: dec,
			num: func(v any) float64 { return float64(v.(int64)) / 100 },
			str: func(v any) string { return strconv.FormatFloat(float64(v.(int64))/100, 'g', -1, 64) }},
		{name: "fx", node: parquet.Leaf(parquet.FixedLenByteArrayType(4)), vals: fx,
			str: func(v any) string { return v.(string) }},
	}
}

func fmtFloat64(v any) string { return strconv.FormatFloat(v.(float64), 'g', -1, 64) }

func fmtInt(v any) string {
	switch x := v.(type) {
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	}
	panic(fmt.Sprintf("fmtInt(%T)", v))
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case uint32:
		return float64(x)
	case uint64:
		return float64(x)
	case bool:
		if x {
			return 1
		}
		return 0
	}
	panic(fmt.Sprintf("toFloat(%T)", v))
}

// writeFixture writes cols as a Parquet file configured by cfg.
func writeFixture(t testing.TB, cols []fixCol, cfg fixConfig) []byte {
	t.Helper()
	group := parquet.Group{}
	for _, c := range cols {
		node := c.node
		switch {
		case cfg.dict:
			node = parquet.Encoded(node, &parquet.RLEDictionary)
		case cfg.alt && c.enc != nil:
			node = parquet.Encoded(node, c.enc)
		}
		if c.opt {
			node = parquet.Optional(node)
		}
		group[c.name] = node
	}
	schema := parquet.NewSchema("fixture", group)
	opts := []parquet.WriterOption{schema, parquet.DataPageVersion(max(cfg.version, 1))}
	if cfg.codec != nil {
		opts = append(opts, parquet.Compression(cfg.codec))
	}
	if cfg.rowGroup > 0 {
		opts = append(opts, parquet.MaxRowsPerRowGroup(cfg.rowGroup))
	}
	if cfg.pageSize > 0 {
		opts = append(opts, parquet.PageBufferSize(cfg.pageSize))
	}
	if cfg.dictMax > 0 {
		opts = append(opts, parquet.DictionaryMaxBytes(cfg.dictMax))
	}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, opts...)
	byName := make(map[string]fixCol, len(cols))
	for _, c := range cols {
		byName[c.name] = c
	}
	leaves := schema.Columns() // leaf paths in column order
	n := len(cols[0].vals)
	rows := make([]parquet.Row, n)
	for r := range n {
		row := make(parquet.Row, len(leaves))
		for ci, path := range leaves {
			c := byName[path[0]]
			v := c.vals[r]
			def := 0
			if c.opt {
				def = 1
			}
			if v == nil {
				row[ci] = parquet.NullValue().Level(0, 0, ci)
				continue
			}
			if s, ok := v.(string); ok {
				row[ci] = parquet.ByteArrayValue([]byte(s)).Level(0, def, ci)
				continue
			}
			row[ci] = parquet.ValueOf(v).Level(0, def, ci)
		}
		rows[r] = row
	}
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wantNumeric returns the Numeric column that Open should return for c.
func wantNumeric(c fixCol) *Column {
	col := &Column{Name: c.name, Kind: Numeric, Float: make([]float64, len(c.vals))}
	for r, v := range c.vals {
		if v == nil {
			if col.Null == nil {
				col.Null = make([]bool, len(c.vals))
			}
			col.Null[r] = true
			continue
		}
		col.Float[r] = c.num(v)
	}
	return col
}

// wantCategorical returns the Categorical column that Open should return for
// c: levels in order of first occurrence, null as "".
func wantCategorical(c fixCol) *Column {
	col := &Column{Name: c.name, Kind: Categorical, Codes: make([]int32, len(c.vals))}
	seen := map[string]int32{}
	for r, v := range c.vals {
		s := ""
		if v == nil {
			if col.Null == nil {
				col.Null = make([]bool, len(c.vals))
			}
			col.Null[r] = true
		} else {
			s = c.str(v)
		}
		x, ok := seen[s]
		if !ok {
			x = int32(len(col.Levels))
			col.Levels = append(col.Levels, s)
			seen[s] = x
		}
		col.Codes[r] = x
	}
	return col
}

// sameColumn reports the first difference between two columns, "" if none.
// Floats compare by bits so that NaN equals NaN and -0 differs from 0.
func sameColumn(got, want *Column) string {
	switch {
	case got == nil:
		return "missing column"
	case got.Name != want.Name || got.Kind != want.Kind:
		return fmt.Sprintf("got %s %v, want %s %v", got.Name, got.Kind, want.Name, want.Kind)
	case (got.Null == nil) != (want.Null == nil):
		return fmt.Sprintf("Null is nil: got %v, want %v", got.Null == nil, want.Null == nil)
	case !slices.Equal(got.Null, want.Null):
		return "Null differs"
	case len(got.Float) != len(want.Float) || len(got.Codes) != len(want.Codes):
		return fmt.Sprintf("lengths: got %d/%d, want %d/%d", len(got.Float), len(got.Codes), len(want.Float), len(want.Codes))
	case !slices.Equal(got.Levels, want.Levels):
		return fmt.Sprintf("levels: got %q, want %q", got.Levels, want.Levels)
	case !slices.Equal(got.Codes, want.Codes):
		return "codes differ"
	}
	for i := range got.Float {
		if floatBits(got.Float[i]) != floatBits(want.Float[i]) {
			return fmt.Sprintf("row %d: got %v, want %v", i, got.Float[i], want.Float[i])
		}
	}
	return ""
}

func floatBits(v float64) uint64 {
	if v != v {
		return 1
	}
	return math.Float64bits(v)
}

// sharedData returns the path of a file of the shared reference data, or
// skips the test when the data is absent.
func sharedData(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "shared", "data", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data absent: %v", err)
	}
	return p
}

// writeStructs writes rows as a Parquet file with parquet-go's generic
// writer.
func writeStructs[T any](w io.Writer, rows []T, opts ...parquet.WriterOption) error {
	pw := parquet.NewGenericWriter[T](w, opts...)
	if _, err := pw.Write(rows); err != nil {
		return err
	}
	return pw.Close()
}
