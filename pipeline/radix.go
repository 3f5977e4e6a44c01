package pipeline

import "math"

// sortKey maps a float64 to a uint64 whose unsigned order is the numeric
// order of the floats (NaN excluded; -0 sorts just before +0).
func sortKey(x float64) uint64 {
	b := math.Float64bits(x)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// radixOrder returns the indices 0..len(keys)-1 ordered by increasing
// value, ties in index order: an LSD radix sort in 11-bit digits, stable,
// O(n) and free of comparisons, which matters for sorting ten million
// incomes. A pass whose digit is the same for every key is skipped.
func radixOrder(values []float64) []int32 {
	n := len(values)
	keys := make([]uint64, n)
	idx := make([]int32, n)
	for i, v := range values {
		keys[i] = sortKey(v)
		idx[i] = int32(i)
	}
	if n < 2 {
		return idx
	}
	tmpK := make([]uint64, n)
	tmpI := make([]int32, n)
	const bits = 11
	const buckets = 1 << bits
	var count [buckets]int
	for shift := uint(0); shift < 64; shift += bits {
		clear(count[:])
		for _, k := range keys {
			count[(k>>shift)&(buckets-1)]++
		}
		if count[(keys[0]>>shift)&(buckets-1)] == n {
			continue // every key has this digit
		}
		pos := 0
		for d := range count {
			c := count[d]
			count[d] = pos
			pos += c
		}
		for j, k := range keys {
			d := (k >> shift) & (buckets - 1)
			p := count[d]
			tmpK[p], tmpI[p] = k, idx[j]
			count[d]++
		}
		keys, tmpK = tmpK, keys
		idx, tmpI = tmpI, idx
	}
	return idx
}
