package povbeam

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/povstat/povstat/indices"
)

// The Gini by a distributed exact sort. The histogram grid of
// indices.HistogramBucket cuts the value line into ordered buckets. Pass 2
// (or 4) keys every unit by domain and bucket; Beam groups each bucket's
// units on one worker, which sorts them and sums laeken's sums
// (indices.GiniSums) over them from zero; the buckets' sums are then
// joined in bucket order (GiniSums.Join). pipeline adds its sorted units
// bucket by bucket and joins the buckets the same way
// (indices.GiniByBucket), so both make the same additions.
//
// Ties. pipeline sorts the units by income with a stable radix sort on the
// float64 bits (-0 just before +0) and takes tied incomes in unit order:
// file, row group, row. A bucket is sorted the same way: by the same key,
// then by split (file, row group) and position in the split. So every unit
// meets the same cumulative weight within its bucket as in pipeline, and
// the sums are the same bits.

// record is one unit of a bucket: value, weight and its place in the input.
type record struct {
	x, w       float64
	split, pos int64
}

const recordSize = 32

func appendRecord(b []byte, r record) []byte {
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(r.x))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(r.w))
	b = binary.LittleEndian.AppendUint64(b, uint64(r.split))
	return binary.LittleEndian.AppendUint64(b, uint64(r.pos))
}

// decodeRecords appends the records of a batch to dst.
func decodeRecords(dst []record, b []byte) ([]record, error) {
	if len(b)%recordSize != 0 {
		return dst, fmt.Errorf("povbeam: a bucket batch of %d bytes", len(b))
	}
	for ; len(b) > 0; b = b[recordSize:] {
		dst = append(dst, record{
			x:     math.Float64frombits(binary.LittleEndian.Uint64(b)),
			w:     math.Float64frombits(binary.LittleEndian.Uint64(b[8:])),
			split: int64(binary.LittleEndian.Uint64(b[16:])),
			pos:   int64(binary.LittleEndian.Uint64(b[24:])),
		})
	}
	return dst, nil
}

// sortKey is pipeline's radix sort key: the unsigned order of the keys is
// the numeric order of the values, -0 just before +0.
func sortKey(x float64) uint64 {
	b := math.Float64bits(x)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// compareRecords orders records as pipeline's sort: by value, ties in
// input order.
func compareRecords(a, b record) int {
	ka, kb := sortKey(a.x), sortKey(b.x)
	switch {
	case ka < kb:
		return -1
	case ka > kb:
		return 1
	case a.split != b.split:
		return int(a.split - b.split)
	}
	return int(a.pos - b.pos)
}

// bucketGini sorts the records of one bucket and returns their Gini sums,
// summed from zero (joined in bucket order by giniFn).
func bucketGini(recs []record) indices.GiniSums {
	slices.SortFunc(recs, compareRecords)
	var g indices.GiniSums
	for _, r := range recs {
		g.AddSorted(r.x, r.w)
	}
	return g
}
