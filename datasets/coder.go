package datasets

import (
	"math"
	"slices"
	"strings"
)

// intCoder numbers distinct int64 keys in order of first occurrence. Keys in
// a small range are looked up in a dense offset array. Once the range grows
// past limit (or the array would be too sparse), keys that have come in
// increasing order (ids of sorted data) are looked up by binary search in
// keys, which needs no other memory; at the first key out of order a map
// takes over. Null has a code of its own. An intCoder is used by one
// goroutine at a time.
type intCoder struct {
	lo    int64
	dense []int32 // dense[v-lo] is the code of v plus 1, 0 if v is unseen
	m     map[int64]int32
	keys  []int64 // keys[code]; 0 at the null code
	null  int32   // code of null, -1 until a null is seen
	limit int     // longest dense array; 0 means no dense array
	// asc: the keys (but null) have come in increasing order, the last
	// being top; sorted: the dense array is given up for the search.
	asc, sorted bool
	top         int64
}

// newIntCoder returns an empty coder that keeps a dense array of at most
// limit entries.
func newIntCoder(limit int) *intCoder {
	return &intCoder{null: -1, limit: limit, asc: true}
}

// code returns the code of v, numbering v if it is new.
func (c *intCoder) code(v int64) int32 {
	if i := uint64(v - c.lo); i < uint64(len(c.dense)) && c.dense[i] != 0 {
		return c.dense[i] - 1
	}
	return c.slow(v)
}

// slow handles keys that code does not find in the dense array.
func (c *intCoder) slow(v int64) int32 {
	if c.m != nil {
		x, ok := c.m[v]
		if !ok {
			x = c.add(v)
			c.m[v] = x
		}
		return x
	}
	if c.sorted {
		if !c.hasKeys() || v > c.top {
			return c.add(v)
		}
		if x, ok := c.search(v); ok {
			return x
		}
		c.toMap()
		return c.slow(v)
	}
	if uint64(v-c.lo) >= uint64(len(c.dense)) && !c.cover(v) {
		if c.asc {
			c.sorted, c.dense, c.lo = true, nil, 0
		} else {
			c.toMap()
		}
		return c.slow(v)
	}
	i := v - c.lo
	if x := c.dense[i]; x != 0 {
		return x - 1
	}
	x := c.add(v)
	c.dense[i] = x + 1
	return x
}

// add appends v to the keys and returns its code.
func (c *intCoder) add(v int64) int32 {
	if c.hasKeys() {
		c.asc = c.asc && v > c.top
		c.top = max(c.top, v)
	} else {
		c.top = v
	}
	x := int32(len(c.keys))
	c.keys = append(c.keys, v)
	return x
}

// hasKeys reports whether a key other than null has been numbered.
func (c *intCoder) hasKeys() bool {
	return len(c.keys) > 1 || len(c.keys) == 1 && c.null < 0
}

// search looks v up in the keys, which have come in increasing order
// (c.asc): keys[:null] and keys[null+1:] are each increasing, the second
// above the first.
func (c *intCoder) search(v int64) (int32, bool) {
	keys, off := c.keys, 0
	if n := int(c.null); n >= 0 {
		if n > 0 && v <= keys[n-1] {
			keys = keys[:n]
		} else {
			keys, off = keys[n+1:], n+1
		}
	}
	i, ok := slices.BinarySearch(keys, v)
	return int32(off + i), ok
}

// nullCode returns the code of null, numbering it if it is new.
func (c *intCoder) nullCode() int32 {
	if c.null < 0 {
		c.null = int32(len(c.keys))
		c.keys = append(c.keys, 0)
	}
	return c.null
}

// sparseSpan is the longest dense array kept whatever the keys seen: past
// it, an array must have an entry in use per 64 (ids such as
// county×10⁶ + k go to the map early, before an array of limit entries is
// made and cleared).
const sparseSpan = 1 << 20

// cover grows the dense array, at least doubling it, so that it holds v. It
// reports false when that would exceed the limit, or leave the array too sparse.
func (c *intCoder) cover(v int64) bool {
	lo, hi := v, v
	if len(c.dense) > 0 {
		lo, hi = min(c.lo, v), max(c.lo+int64(len(c.dense))-1, v)
	}
	span := uint64(hi-lo) + 1
	if span == 0 || span > uint64(c.limit) || span > sparseSpan && span > 64*uint64(len(c.keys)+1) {
		return false
	}
	want := max(span, min(2*uint64(len(c.dense)), uint64(c.limit)), 64)
	if extra := want - span; extra > 0 {
		// Grow towards v (upwards at first), within the ends of int64.
		down := len(c.dense) > 0 && v < c.lo
		roomBelow := uint64(lo-math.MinInt64) >= extra
		roomAbove := uint64(math.MaxInt64-hi) >= extra
		switch {
		case down && roomBelow:
			lo -= int64(extra)
		case roomAbove:
			hi += int64(extra)
		case roomBelow:
			lo -= int64(extra)
		}
	}
	dense := make([]int32, uint64(hi-lo)+1)
	for x, k := range c.keys {
		if int32(x) != c.null {
			dense[k-lo] = int32(x) + 1
		}
	}
	c.lo, c.dense = lo, dense
	return true
}

// toMap moves the coder from the dense array or the search to a map.
func (c *intCoder) toMap() {
	c.m = make(map[int64]int32, 2*len(c.keys)+16)
	for x, k := range c.keys {
		if int32(x) != c.null {
			c.m[k] = int32(x)
		}
	}
	c.dense, c.lo, c.sorted = nil, 0, false
}

// levels formats the keys as level strings, "" for null.
// The strings are cut from one string that holds them all (one allocation
// rather than one per level).
func (c *intCoder) levels(p physical) []string {
	var buf []byte
	ends := make([]int, len(c.keys))
	for x, k := range c.keys {
		if int32(x) != c.null {
			buf = p.appendKey(buf, k)
		}
		ends[x] = len(buf)
	}
	all := string(buf)
	out := make([]string, len(c.keys))
	start := 0
	for x, end := range ends {
		out[x], start = all[start:end], end
	}
	return out
}

// strCoder numbers distinct byte strings in order of first occurrence. Null
// shares the code of "". A strCoder is used by one goroutine at a time.
type strCoder struct {
	m    map[string]int32
	keys []string
}

// newStrCoder returns an empty coder.
func newStrCoder() *strCoder {
	return &strCoder{m: make(map[string]int32)}
}

// code returns the code of b, numbering it if it is new.
func (c *strCoder) code(b []byte) int32 {
	if x, ok := c.m[string(b)]; ok {
		return x
	}
	return c.codeString(string(b))
}

// codeString returns the code of s, numbering it if it is new.
func (c *strCoder) codeString(s string) int32 {
	x, ok := c.m[s]
	if !ok {
		s = strings.Clone(s) // s may point into a larger buffer
		x = int32(len(c.keys))
		c.keys = append(c.keys, s)
		c.m[s] = x
	}
	return x
}

// nullCode returns the code of null, which is that of "".
func (c *strCoder) nullCode() int32 { return c.codeString("") }

// floatKey returns the intCoder key of a floating-point value: its bits, with
// every NaN mapped to one.
func floatKey(v float64) int64 {
	if v != v {
		return int64(math.Float64bits(math.NaN()))
	}
	return int64(math.Float64bits(v))
}
