package datasets

import (
	"fmt"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// catDecoder turns the pages of one column chunk into codes of levels
// numbered in order of first occurrence within the chunk. Byte-string columns
// are coded by strs, all others by ints. It is used by one goroutine at a
// time.
type catDecoder struct {
	phys   physical
	maxDef byte
	ints   *intCoder
	strs   *strCoder

	dict      parquet.Dictionary // dictionary that dictCodes belongs to
	dictCodes []int32            // code of each dictionary entry, -1 until seen
	dictKey   func(j int32) int32
}

// newCatDecoder returns a decoder for a chunk of rows rows.
func newCatDecoder(phys physical, maxDef byte, rows int) *catDecoder {
	d := &catDecoder{phys: phys, maxDef: maxDef}
	if phys.isBytes() {
		d.strs = newStrCoder()
	} else {
		d.ints = newIntCoder(denseLimit(phys, rows))
	}
	return d
}

// denseLimit is the largest range of integer keys that a coder for rows rows
// keeps in a dense array: floating-point keys never are.
func denseLimit(phys physical, rows int) int {
	if phys.kind == parquet.Float || phys.kind == parquet.Double {
		return 0
	}
	return min(max(4*rows, 1<<12), 1<<22)
}

// decode writes the codes of the len(dst) rows of page to dst. It reports
// whether the page held a null.
func (d *catDecoder) decode(dst []int32, page parquet.Page) (hadNull bool, err error) {
	defs, nonNull, err := pageLevels(page, len(dst), d.maxDef)
	if err != nil {
		return false, err
	}
	r := pageRows{dst: dst, defs: defs, maxDef: d.maxDef}
	data := page.Data()
	if dict := page.Dictionary(); dict != nil {
		if err := d.useDictionary(dict); err != nil {
			return false, err
		}
		return defs != nil, d.codeIndexes(r, data.Int32(), nonNull)
	}
	switch d.phys.kind {
	case parquet.Int32:
		if d.phys.unsigned {
			err = codeInts(r, data.Uint32(), nonNull, d.ints)
		} else {
			err = codeInts(r, data.Int32(), nonNull, d.ints)
		}
	case parquet.Int64:
		if d.phys.unsigned {
			err = codeInts(r, data.Uint64(), nonNull, d.ints)
		} else {
			err = codeInts(r, data.Int64(), nonNull, d.ints)
		}
	case parquet.Float:
		err = codeFloats(r, data.Float(), nonNull, d.ints)
	case parquet.Double:
		err = codeFloats(r, data.Double(), nonNull, d.ints)
	case parquet.Boolean:
		err = codeBools(r, data.Boolean(), nonNull, d.ints)
	case parquet.ByteArray:
		b, offsets := data.ByteArray()
		err = codeByteArrays(r, b, offsets, nonNull, d.strs)
	case parquet.FixedLenByteArray:
		b, size := data.FixedLenByteArray()
		err = codeFixed(r, b, size, nonNull, d.strs)
	default:
		err = ErrUnsupportedType
	}
	return defs != nil, err
}

// pageRows is the destination of the codes of one page.
type pageRows struct {
	dst    []int32
	defs   []byte // nil when no row is null
	maxDef byte
}

// fill writes the codes of the page's rows: code(k) for the k-th non-null
// value, null() for null rows, in row order.
func (r pageRows) fill(code func(k int) int32, null func() int32) {
	if r.defs == nil {
		for i := range r.dst {
			r.dst[i] = code(i)
		}
		return
	}
	k := 0
	for i, l := range r.defs[:len(r.dst)] {
		if l == r.maxDef {
			r.dst[i] = code(k)
			k++
		} else {
			r.dst[i] = null()
		}
	}
}

// tooFew returns the error for a page with fewer values than non-null rows.
func tooFew(have, want int) error {
	return fmt.Errorf("%w: page has %d values, want %d", ErrCorrupt, have, want)
}

// integer is the set of Go types that Parquet integer pages hold.
type integer interface {
	int32 | int64 | uint32 | uint64
}

// codeInts codes the first n values of vals.
func codeInts[T integer](r pageRows, vals []T, n int, c *intCoder) error {
	if len(vals) < n {
		return tooFew(len(vals), n)
	}
	vals = vals[:n]
	if r.defs == nil {
		dst := r.dst[:len(vals)]
		// Sorted or clustered data (households of one PSU in a row) repeat
		// keys that are too far apart for the dense array: the last key
		// looked up in the map is kept.
		last, lastCode := int64(0), int32(-1)
		for i, v := range vals {
			// c.code, inlined by hand.
			k := int64(v)
			if j := uint64(k - c.lo); j < uint64(len(c.dense)) && c.dense[j] != 0 {
				dst[i] = c.dense[j] - 1
			} else if k == last && lastCode >= 0 {
				dst[i] = lastCode
			} else {
				last, lastCode = k, c.slow(k)
				dst[i] = lastCode
			}
		}
		return nil
	}
	r.fill(func(k int) int32 { return c.code(int64(vals[k])) }, c.nullCode)
	return nil
}

// codeFloats codes the first n values of vals by their bits.
func codeFloats[T float32 | float64](r pageRows, vals []T, n int, c *intCoder) error {
	if len(vals) < n {
		return tooFew(len(vals), n)
	}
	vals = vals[:n]
	r.fill(func(k int) int32 { return c.code(floatKey(float64(vals[k]))) }, c.nullCode)
	return nil
}

// codeBools codes the first n bits of a bit-packed boolean array as 0 and 1.
func codeBools(r pageRows, bits []byte, n int, c *intCoder) error {
	if len(bits)*8 < n {
		return tooFew(len(bits)*8, n)
	}
	r.fill(func(k int) int32 { return c.code(int64(bits[k>>3] >> (k & 7) & 1)) }, c.nullCode)
	return nil
}

// codeByteArrays codes the first n strings of a byte array page, whose k-th
// value is b[offsets[k]:offsets[k+1]].
func codeByteArrays(r pageRows, b []byte, offsets []uint32, n int, c *strCoder) error {
	if len(offsets) < n+1 {
		return tooFew(max(len(offsets)-1, 0), n)
	}
	if !validOffsets(offsets, n, len(b)) {
		return fmt.Errorf("%w: byte array offsets", ErrCorrupt)
	}
	r.fill(func(k int) int32 { return c.code(b[offsets[k]:offsets[k+1]]) }, c.nullCode)
	return nil
}

// codeFixed codes the first n values of a fixed-length byte array page.
func codeFixed(r pageRows, b []byte, size, n int, c *strCoder) error {
	if size <= 0 || len(b)/size < n {
		return tooFew(len(b)/max(size, 1), n)
	}
	r.fill(func(k int) int32 { return c.code(b[k*size : (k+1)*size]) }, c.nullCode)
	return nil
}

// useDictionary makes dict the dictionary of the following indexed pages.
func (d *catDecoder) useDictionary(dict parquet.Dictionary) error {
	if dict == d.dict {
		return nil
	}
	n := dict.Len()
	codes := make([]int32, n)
	for i := range codes {
		codes[i] = -1
	}
	data := dict.Page().Data()
	var code func(j int32) int32
	switch {
	case d.phys.kind == parquet.ByteArray:
		b, offsets := data.ByteArray()
		if !validOffsets(offsets, n, len(b)) {
			return fmt.Errorf("%w: dictionary offsets", ErrCorrupt)
		}
		code = func(j int32) int32 { return d.strs.code(b[offsets[j]:offsets[j+1]]) }
	case d.phys.kind == parquet.FixedLenByteArray:
		b, size := data.FixedLenByteArray()
		if size <= 0 || len(b)/size < n {
			return fmt.Errorf("%w: dictionary values", ErrCorrupt)
		}
		code = func(j int32) int32 { return d.strs.code(b[int(j)*size : int(j+1)*size]) }
	default:
		keys, err := intKeys(&data, d.phys, n)
		if err != nil {
			return fmt.Errorf("dictionary: %w", err)
		}
		code = func(j int32) int32 { return d.ints.code(keys[j]) }
	}
	d.dict, d.dictCodes, d.dictKey = dict, codes, code
	return nil
}

// validOffsets reports whether offsets delimit n byte strings within a
// buffer of size bytes.
func validOffsets(offsets []uint32, n, size int) bool {
	if len(offsets) < n+1 || int(offsets[n]) > size {
		return false
	}
	for k := range n {
		if offsets[k] > offsets[k+1] {
			return false
		}
	}
	return true
}

// codeIndexes codes the first n dictionary indexes of idx, numbering each
// dictionary entry when it first occurs.
func (d *catDecoder) codeIndexes(r pageRows, idx []int32, n int) error {
	if len(idx) < n {
		return tooFew(len(idx), n)
	}
	idx = idx[:n]
	codes := d.dictCodes
	for _, j := range idx {
		if uint32(j) >= uint32(len(codes)) {
			return fmt.Errorf("%w: dictionary index %d out of range [0, %d)", ErrCorrupt, j, len(codes))
		}
	}
	if r.defs == nil {
		dst := r.dst[:len(idx)]
		for i, j := range idx {
			x := codes[j]
			if x < 0 {
				x = d.dictKey(j)
				codes[j] = x
			}
			dst[i] = x
		}
		return nil
	}
	r.fill(func(k int) int32 {
		j := idx[k]
		x := codes[j]
		if x < 0 {
			x = d.dictKey(j)
			codes[j] = x
		}
		return x
	}, d.nullCode)
	return nil
}

// nullCode returns the code of null in the decoder's coder.
func (d *catDecoder) nullCode() int32 {
	if d.strs != nil {
		return d.strs.nullCode()
	}
	return d.ints.nullCode()
}

// intKeys converts the first n values of data to intCoder keys.
func intKeys(data *encoding.Values, phys physical, n int) ([]int64, error) {
	keys := make([]int64, n)
	switch phys.kind {
	case parquet.Int32:
		if phys.unsigned {
			return keys, intsInto(keys, data.Uint32())
		}
		return keys, intsInto(keys, data.Int32())
	case parquet.Int64:
		if phys.unsigned {
			return keys, intsInto(keys, data.Uint64())
		}
		return keys, intsInto(keys, data.Int64())
	case parquet.Float:
		return keys, floatsInto(keys, data.Float())
	case parquet.Double:
		return keys, floatsInto(keys, data.Double())
	case parquet.Boolean:
		bits := data.Boolean()
		if len(bits)*8 < n {
			return nil, tooFew(len(bits)*8, n)
		}
		for k := range keys {
			keys[k] = int64(bits[k>>3] >> (k & 7) & 1)
		}
		return keys, nil
	}
	return nil, ErrUnsupportedType
}

// intsInto writes int64(src[k]) to dst[k].
func intsInto[T integer](dst []int64, src []T) error {
	if len(src) < len(dst) {
		return tooFew(len(src), len(dst))
	}
	for k := range dst {
		dst[k] = int64(src[k])
	}
	return nil
}

// floatsInto writes floatKey(src[k]) to dst[k].
func floatsInto[T float32 | float64](dst []int64, src []T) error {
	if len(src) < len(dst) {
		return tooFew(len(src), len(dst))
	}
	for k := range dst {
		dst[k] = floatKey(float64(src[k]))
	}
	return nil
}
