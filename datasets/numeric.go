package datasets

import (
	"bytes"
	"fmt"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// numDecoder turns the pages of one column chunk into float64 values. It is
// used by one goroutine at a time.
type numDecoder struct {
	phys    physical
	maxDef  byte
	dict    parquet.Dictionary // dictionary whose values dict64 holds
	dict64  []float64
	scratch []float64 // non-null values of a page with nulls
}

// decode writes the len(dst) rows of page into dst (0 at nulls) and, if the
// page has nulls, marks them in null(), which returns len(dst) marks.
func (d *numDecoder) decode(dst []float64, null func() []bool, page parquet.Page) error {
	defs, nonNull, err := pageLevels(page, len(dst), d.maxDef)
	if err != nil {
		return err
	}
	vals := dst
	if defs != nil {
		vals = grow(d.scratch, nonNull)
		d.scratch = vals
	}
	data := page.Data()
	if dict := page.Dictionary(); dict != nil {
		err = d.lookup(vals, dict, data.Int32())
	} else {
		err = floatsOf(vals, &data, d.phys)
	}
	if err != nil || defs == nil {
		return err
	}
	spreadFloats(dst, null(), defs, d.maxDef, vals)
	return nil
}

// lookup writes the dictionary values of the indexes idx to dst.
func (d *numDecoder) lookup(dst []float64, dict parquet.Dictionary, idx []int32) error {
	if dict != d.dict {
		data := dict.Page().Data()
		vals := make([]float64, dict.Len())
		if err := floatsOf(vals, &data, d.phys); err != nil {
			return fmt.Errorf("dictionary: %w", err)
		}
		d.dict, d.dict64 = dict, vals
	}
	if len(idx) < len(dst) {
		return fmt.Errorf("%w: page has %d dictionary indexes, want %d", ErrCorrupt, len(idx), len(dst))
	}
	vals := d.dict64
	for i, j := range idx[:len(dst)] {
		if uint32(j) >= uint32(len(vals)) {
			return fmt.Errorf("%w: dictionary index %d out of range [0, %d)", ErrCorrupt, j, len(vals))
		}
		dst[i] = vals[j]
	}
	return nil
}

// pageLevels returns the definition levels of a page of n rows of a column
// with the given maximum definition level, and the number of non-null rows.
// defs is nil when every row is non-null.
func pageLevels(page parquet.Page, n int, maxDef byte) (defs []byte, nonNull int, err error) {
	if page.RepetitionLevels() != nil {
		return nil, 0, ErrNested
	}
	defs = page.DefinitionLevels()
	if maxDef == 0 || len(defs) == 0 {
		return nil, n, nil
	}
	if len(defs) != n {
		return nil, 0, fmt.Errorf("%w: page has %d definition levels for %d rows", ErrCorrupt, len(defs), n)
	}
	nonNull = bytes.Count(defs, []byte{maxDef})
	if nonNull == n {
		return nil, n, nil
	}
	return defs, nonNull, nil
}

// grow returns s resized to n, reallocated if its capacity is too small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// spreadFloats places the non-null values vals at the rows of dst whose
// definition level is maxDef, and writes 0 and marks null the other rows. It
// copies runs of non-null rows at once.
func spreadFloats(dst []float64, null []bool, defs []byte, maxDef byte, vals []float64) {
	null, defs = null[:len(dst)], defs[:len(dst)]
	k := 0
	for i := 0; i < len(defs); {
		j := i + nextNull(defs[i:], maxDef)
		k += copy(dst[i:j], vals[k:])
		for ; j < len(defs) && defs[j] != maxDef; j++ {
			dst[j] = 0
			null[j] = true
		}
		i = j
	}
}

// nextNull returns the index of the first level in defs below maxDef, or
// len(defs) if there is none.
func nextNull(defs []byte, maxDef byte) int {
	if maxDef == 1 { // flat columns: levels are 0 (null) or 1
		if i := bytes.IndexByte(defs, 0); i >= 0 {
			return i
		}
		return len(defs)
	}
	for i, l := range defs {
		if l != maxDef {
			return i
		}
	}
	return len(defs)
}

// floatsOf converts the first len(dst) values of data, stored as described by
// phys, to float64.
func floatsOf(dst []float64, data *encoding.Values, phys physical) error {
	var err error
	switch phys.kind {
	case parquet.Double:
		if src := data.Double(); len(src) >= len(dst) {
			copy(dst, src)
		} else {
			err = convert(dst, src)
		}
	case parquet.Float:
		err = convert(dst, data.Float())
	case parquet.Int32:
		if phys.unsigned {
			err = convert(dst, data.Uint32())
		} else {
			err = convert(dst, data.Int32())
		}
	case parquet.Int64:
		if phys.unsigned {
			err = convert(dst, data.Uint64())
		} else {
			err = convert(dst, data.Int64())
		}
	case parquet.Boolean:
		err = convertBits(dst, data.Boolean())
	default:
		return ErrNotNumeric
	}
	if err == nil && phys.scale != 0 {
		p := phys.pow10()
		for i := range dst {
			dst[i] /= p
		}
	}
	return err
}

// number is the set of Go types that Parquet numeric pages hold.
type number interface {
	int32 | int64 | uint32 | uint64 | float32 | float64
}

// convert writes float64(src[i]) to dst[i] for every i < len(dst).
func convert[T number](dst []float64, src []T) error {
	if len(src) < len(dst) {
		return fmt.Errorf("%w: page has %d values, want %d", ErrCorrupt, len(src), len(dst))
	}
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = float64(v)
	}
	return nil
}

// convertBits writes the bits of a bit-packed boolean array (least
// significant bit first) to dst as 0 and 1.
func convertBits(dst []float64, bits []byte) error {
	if len(bits)*8 < len(dst) {
		return fmt.Errorf("%w: page has %d boolean values, want %d", ErrCorrupt, len(bits)*8, len(dst))
	}
	for i := range dst {
		dst[i] = float64(bits[i>>3] >> (i & 7) & 1)
	}
	return nil
}
