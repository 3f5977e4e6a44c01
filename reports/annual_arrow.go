package reports

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"slices"
)

// arrowSchemaKey is the key of the Parquet key-value metadata under which
// Arrow's Parquet writers (C++ and so pyarrow and R arrow, arrow-go's
// pqarrow) store the Arrow schema of a file, which their readers then
// take in place of the one they would infer from the Parquet types.
const arrowSchemaKey = "ARROW:schema"

// Arrow's type ids (the union Type of Schema.fbs) and other constants of
// the Arrow IPC format (format/Schema.fbs, format/Message.fbs).
const (
	arrowInt           = 2
	arrowFloatingPoint = 3
	arrowUtf8          = 5
	arrowBool          = 6

	arrowDouble        = 2          // Precision.DOUBLE
	arrowMetadataV5    = 4          // MetadataVersion.V5
	arrowHeaderSchema  = 1          // MessageHeader.Schema
	arrowContinuation  = 0xFFFFFFFF // the marker before an IPC message's length
	arrowMessageAlign  = 8          // an IPC message's metadata is padded to 8 bytes
	flatbufferMaxAlign = 8
)

// arrowSchema is the Arrow schema of columns of the given kinds as Arrow's
// Parquet writers store it: the base64 (standard, padded) of an
// encapsulated IPC Schema message (the continuation marker 0xFFFFFFFF, the
// little-endian int32 length of the metadata padded to 8 bytes, the
// Message flatbuffer, no body). Strings are utf8, doubles float64, int64
// int64 and booleans bool; a column is nullable unless its kind is
// required (kindString, kindDouble, kindInt, kindBool).
//
// Reference: Apache Arrow, Columnar format, "Serialization and
// Interprocess Communication (IPC)": Encapsulated message format; the
// flatbuffers schemas format/Schema.fbs and format/Message.fbs.
func arrowSchema(names []string, kinds []parquetKind) string {
	fields := make([]fbRef, len(names))
	for i, name := range names {
		typeID, typ := arrowType(kinds[i])
		nullable := kinds[i] == kindOptional || kinds[i] == kindNullable || kinds[i] == kindOptInt
		fields[i] = func(b *flatbuffer) int {
			return b.table([]fbField{
				{slot: 0, ref: func(b *flatbuffer) int { return b.str(name) }},
				{slot: 1, size: 1, value: boolByte(nullable)},
				{slot: 2, size: 1, value: uint64(typeID)},
				{slot: 3, ref: typ},
				{slot: 5, ref: func(b *flatbuffer) int { return b.vector(nil) }}, // children
			})
		}
	}
	schema := func(b *flatbuffer) int {
		// endianness (slot 0) is Little, the default.
		return b.table([]fbField{{slot: 1, ref: func(b *flatbuffer) int { return b.vector(fields) }}})
	}
	msg := newFlatbuffer(func(b *flatbuffer) int {
		// bodyLength (slot 3) is 0, the default.
		return b.table([]fbField{
			{slot: 0, size: 2, value: arrowMetadataV5},
			{slot: 1, size: 1, value: arrowHeaderSchema},
			{slot: 2, ref: schema},
		})
	})
	for len(msg)%arrowMessageAlign != 0 {
		msg = append(msg, 0)
	}
	out := binary.LittleEndian.AppendUint32(nil, arrowContinuation)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(msg)))
	return base64.StdEncoding.EncodeToString(append(out, msg...))
}

// arrowType is the Arrow type id of a kind and the writer of its type
// table.
func arrowType(k parquetKind) (byte, fbRef) {
	empty := func(b *flatbuffer) int { return b.table(nil) }
	switch k {
	case kindString, kindOptional:
		return arrowUtf8, empty
	case kindDouble, kindNullable:
		return arrowFloatingPoint, func(b *flatbuffer) int {
			return b.table([]fbField{{slot: 0, size: 2, value: arrowDouble}})
		}
	case kindInt, kindOptInt:
		return arrowInt, func(b *flatbuffer) int {
			return b.table([]fbField{{slot: 0, size: 4, value: 64}, {slot: 1, size: 1, value: 1}})
		}
	}
	return arrowBool, empty
}

func boolByte(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}

// flatbuffer builds a flatbuffer front to back: each table, vector or
// string is written before the objects it refers to, so that every
// reference (an unsigned 32-bit offset from where it is stored) points
// forward, as flatbuffers require; a table's vtable precedes it (a signed
// offset). Scalars are aligned to their size from the start of the
// buffer, tables to 8 bytes, so that a verifier checking alignment
// accepts it.
type flatbuffer struct{ buf []byte }

// fbRef writes an object and returns its position.
type fbRef func(b *flatbuffer) int

// fbField is a field of a table: a scalar of size bytes (1, 2, 4 or 8)
// and value, or a reference written by ref.
type fbField struct {
	slot  int
	size  int
	value uint64
	ref   fbRef
}

// newFlatbuffer returns the bytes of a flatbuffer whose root is the
// object written by root.
func newFlatbuffer(root fbRef) []byte {
	b := &flatbuffer{buf: make([]byte, 4)}
	pos := root(b)
	binary.LittleEndian.PutUint32(b.buf, uint32(pos))
	return b.buf
}

func (b *flatbuffer) pad(align int) {
	for len(b.buf)%align != 0 {
		b.buf = append(b.buf, 0)
	}
}

// table writes a vtable and its table, then the objects the table refers
// to, and returns the table's position.
func (b *flatbuffer) table(fields []fbField) int {
	size := func(f fbField) int {
		if f.ref != nil {
			return 4
		}
		return f.size
	}
	order := slices.Clone(fields)
	slices.SortStableFunc(order, func(x, y fbField) int { return cmp.Compare(size(y), size(x)) })
	offsets := map[int]int{}
	slots := 0
	inline := 4 // the table starts with the offset to its vtable
	for _, f := range order {
		inline = (inline + size(f) - 1) / size(f) * size(f)
		offsets[f.slot] = inline
		inline += size(f)
		slots = max(slots, f.slot+1)
	}
	b.pad(2)
	vt := len(b.buf)
	b.buf = binary.LittleEndian.AppendUint16(b.buf, uint16(4+2*slots))
	b.buf = binary.LittleEndian.AppendUint16(b.buf, uint16(inline))
	for s := range slots {
		b.buf = binary.LittleEndian.AppendUint16(b.buf, uint16(offsets[s]))
	}
	b.pad(flatbufferMaxAlign)
	t := len(b.buf)
	b.buf = append(b.buf, make([]byte, inline)...)
	binary.LittleEndian.PutUint32(b.buf[t:], uint32(t-vt))
	for _, f := range order {
		at := t + offsets[f.slot]
		switch {
		case f.ref != nil:
		case f.size == 1:
			b.buf[at] = byte(f.value)
		case f.size == 2:
			binary.LittleEndian.PutUint16(b.buf[at:], uint16(f.value))
		case f.size == 4:
			binary.LittleEndian.PutUint32(b.buf[at:], uint32(f.value))
		default:
			binary.LittleEndian.PutUint64(b.buf[at:], f.value)
		}
	}
	for _, f := range fields {
		if f.ref != nil {
			b.link(t+offsets[f.slot], f.ref)
		}
	}
	return t
}

// link writes the object of ref and stores at at the offset to it.
func (b *flatbuffer) link(at int, ref fbRef) {
	pos := ref(b)
	binary.LittleEndian.PutUint32(b.buf[at:], uint32(pos-at))
}

// vector writes a vector of references and then their objects, and
// returns its position.
func (b *flatbuffer) vector(items []fbRef) int {
	b.pad(4)
	v := len(b.buf)
	b.buf = binary.LittleEndian.AppendUint32(b.buf, uint32(len(items)))
	b.buf = append(b.buf, make([]byte, 4*len(items))...)
	for i, item := range items {
		b.link(v+4+4*i, item)
	}
	return v
}

// str writes a string: its length, its bytes and a terminating zero.
func (b *flatbuffer) str(s string) int {
	b.pad(4)
	p := len(b.buf)
	b.buf = binary.LittleEndian.AppendUint32(b.buf, uint32(len(s)))
	b.buf = append(b.buf, s...)
	b.buf = append(b.buf, 0)
	return p
}
