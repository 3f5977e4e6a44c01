package datasets

import (
	"math"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// physical says how the values of a Parquet leaf column are stored and how
// they read as numbers and as level strings.
type physical struct {
	kind     parquet.Kind
	unsigned bool // INT32/INT64 holding an unsigned logical or converted type
	scale    int  // decimal scale of an INT32/INT64 DECIMAL; 0 otherwise
}

// physicalOf describes the storage of values of type t.
func physicalOf(t parquet.Type) physical {
	p := physical{kind: t.Kind()}
	if lt := t.LogicalType(); lt != nil {
		switch v := lt.Value.(type) {
		case *format.IntType:
			p.unsigned = !v.IsSigned
		case *format.DecimalType:
			p.scale = int(v.Scale)
		}
	}
	if ct := t.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
			p.unsigned = true
		}
	}
	if p.kind != parquet.Int32 && p.kind != parquet.Int64 {
		p.unsigned, p.scale = false, 0
	}
	return p
}

// numeric reports whether the values convert to float64.
func (p physical) numeric() bool {
	switch p.kind {
	case parquet.Boolean, parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
		return true
	}
	return false
}

// isBytes reports whether the values are byte strings (coded by strCoder).
func (p physical) isBytes() bool {
	return p.kind == parquet.ByteArray || p.kind == parquet.FixedLenByteArray
}

// pow10 returns the divisor that turns an unscaled decimal into its value.
func (p physical) pow10() float64 { return math.Pow10(p.scale) }

// appendKey appends the level string of an integer key produced by
// intCoder for a column of this storage to dst: decimal integers,
// "true"/"false", or strconv.FormatFloat(v, 'g', -1, bits) for floats (keys
// hold float bits) and scaled decimals.
func (p physical) appendKey(dst []byte, k int64) []byte {
	switch {
	case p.kind == parquet.Boolean:
		return strconv.AppendBool(dst, k != 0)
	case p.kind == parquet.Float:
		return strconv.AppendFloat(dst, math.Float64frombits(uint64(k)), 'g', -1, 32)
	case p.kind == parquet.Double:
		return strconv.AppendFloat(dst, math.Float64frombits(uint64(k)), 'g', -1, 64)
	case p.scale != 0 && p.unsigned:
		return strconv.AppendFloat(dst, float64(uint64(k))/p.pow10(), 'g', -1, 64)
	case p.scale != 0:
		return strconv.AppendFloat(dst, float64(k)/p.pow10(), 'g', -1, 64)
	case p.unsigned:
		return strconv.AppendUint(dst, uint64(k), 10)
	}
	return strconv.AppendInt(dst, k, 10)
}

// typeName names a Parquet column type for Field.Type: "bool", "int8" …
// "int64", "uint8" … "uint64", "float", "double", "decimal", "date", "time",
// "timestamp", "string", "json", "uuid", "bytes", "fixed_len_byte_array",
// "decimal_bytes" (a decimal stored as bytes) or "int96".
func typeName(t parquet.Type) string {
	if lt := t.LogicalType(); lt != nil {
		switch v := lt.Value.(type) {
		case *format.StringType, *format.EnumType:
			return "string"
		case *format.JsonType:
			return "json"
		case *format.IntType:
			name := "int"
			if !v.IsSigned {
				name = "uint"
			}
			return name + strconv.Itoa(int(v.BitWidth))
		case *format.DecimalType:
			if k := t.Kind(); k == parquet.Int32 || k == parquet.Int64 {
				return "decimal"
			}
			return "decimal_bytes"
		case *format.DateType:
			return "date"
		case *format.TimeType:
			return "time"
		case *format.TimestampType:
			return "timestamp"
		case *format.UUIDType:
			return "uuid"
		}
	}
	if ct := t.ConvertedType(); ct != nil && *ct == deprecated.UTF8 {
		return "string"
	}
	switch t.Kind() {
	case parquet.Boolean:
		return "bool"
	case parquet.Int32:
		return "int32"
	case parquet.Int64:
		return "int64"
	case parquet.Int96:
		return "int96"
	case parquet.Float:
		return "float"
	case parquet.Double:
		return "double"
	case parquet.ByteArray:
		return "bytes"
	case parquet.FixedLenByteArray:
		return "fixed_len_byte_array"
	}
	return "unknown"
}
