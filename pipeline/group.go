package pipeline

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
)

// factor is a categorical column over the units of analysis: a code per
// unit and the level behind each code.
type factor struct {
	codes  []int32
	levels []string
}

// grouping assigns every unit to one group of a cross-classification of
// factors. Group indices follow the output order: groups sorted by their
// level strings, numbers compared as numbers.
type grouping struct {
	cols  []string
	codes []int32    // group of each unit
	keys  [][]string // level of each column, per group
}

func (g *grouping) size() int { return len(g.keys) }

// has reports whether col is one of the grouping's columns.
func (g *grouping) has(col string) bool { return slices.Contains(g.cols, col) }

// domain returns the column/value pairs of group k.
func (g *grouping) domain(k int) []DomainValue {
	if len(g.cols) == 0 {
		return nil
	}
	d := make([]DomainValue, len(g.cols))
	for i, c := range g.cols {
		d[i] = DomainValue{Column: c, Value: g.keys[k][i]}
	}
	return d
}

// denseLimit bounds the combined code space that is counted in an array
// rather than a map.
const denseLimit = 1 << 22

// newGrouping cross-classifies the factors named by cols over n units.
// A grouping by one column maps the factor's codes to ranks through a table
// of its levels, and shares the factor's codes when their order is already
// the output order (codes are never written after they are made); several
// columns combine their codes, k = (c_1*L_2 + c_2)*L_3 + c_3 ..., counted in
// an array up to denseLimit combinations and in a map beyond.
func newGrouping(n int, cols []string, factors map[string]*factor) (*grouping, error) {
	g := &grouping{cols: cols}
	if len(cols) == 0 {
		g.codes = make([]int32, n)
		g.keys = [][]string{{}}
		return g, nil
	}
	fs := make([]*factor, len(cols))
	space := int64(1)
	for i, c := range cols {
		f, ok := factors[c]
		if !ok {
			return nil, fmt.Errorf("no column %q was read", c)
		}
		fs[i] = f
		l := int64(max(len(f.levels), 1))
		if space > (1<<62)/l {
			return nil, fmt.Errorf("domain %v has too many combinations", cols)
		}
		space *= l
	}
	if space > denseLimit {
		sparseGrouping(g, n, fs, space)
		return g, nil
	}
	seen := make([]bool, space)
	if len(fs) == 1 {
		for _, c := range fs[0].codes[:n] {
			seen[c] = true
		}
	} else {
		for i := range n {
			seen[combinedKey(fs, i)] = true
		}
	}
	var present []int64
	for k, s := range seen {
		if s {
			present = append(present, int64(k))
		}
	}
	lut := make([]int32, space)
	identity := len(fs) == 1 && len(present) == len(fs[0].levels)
	for rank, j := range rankKeys(g, present, fs) {
		lut[present[j]] = int32(rank)
		identity = identity && j == rank && present[j] == int64(rank)
	}
	if identity { // one column, every level present, in output order
		g.codes = fs[0].codes[:n:n]
		return g, nil
	}
	g.codes = make([]int32, n)
	if len(fs) == 1 {
		for i, c := range fs[0].codes[:n] {
			g.codes[i] = lut[c]
		}
		return g, nil
	}
	for i := range g.codes {
		g.codes[i] = lut[combinedKey(fs, i)]
	}
	return g, nil
}

// combinedKey is the combined code of unit i over the factors fs.
func combinedKey(fs []*factor, i int) int64 {
	var k int64
	for _, f := range fs {
		k = k*int64(len(f.levels)) + int64(f.codes[i])
	}
	return k
}

// sparseGrouping is newGrouping's case of more combinations than
// denseLimit: the combined codes are held and their ranks looked up in a
// map.
func sparseGrouping(g *grouping, n int, fs []*factor, space int64) {
	combined := make([]int64, n)
	for i := range combined {
		combined[i] = combinedKey(fs, i)
	}
	present := distinct(combined, space)
	index := make(map[int64]int32, len(present))
	for rank, j := range rankKeys(g, present, fs) {
		index[present[j]] = int32(rank)
	}
	g.codes = make([]int32, n)
	for i, k := range combined {
		g.codes[i] = index[k]
	}
}

// rankKeys sets g.keys to the level tuples of the present combined codes
// (increasing) in output order, and returns the position in present of
// each rank.
func rankKeys(g *grouping, present []int64, fs []*factor) []int {
	keys := make([][]string, len(present))
	for j, k := range present {
		keys[j] = decode(k, fs)
	}
	order := make([]int, len(present))
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(a, b int) int { return compareKeys(keys[a], keys[b]) })
	g.keys = make([][]string, len(order))
	for rank, j := range order {
		g.keys[rank] = keys[j]
	}
	return order
}

// distinct returns the distinct values of keys, in increasing order.
func distinct(keys []int64, space int64) []int64 {
	var out []int64
	if space <= denseLimit {
		seen := make([]bool, space)
		for _, k := range keys {
			seen[k] = true
		}
		for k, s := range seen {
			if s {
				out = append(out, int64(k))
			}
		}
		return out
	}
	seen := make(map[int64]struct{})
	for _, k := range keys {
		seen[k] = struct{}{}
	}
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func decode(k int64, fs []*factor) []string {
	key := make([]string, len(fs))
	for i := len(fs) - 1; i >= 0; i-- {
		n := int64(len(fs[i].levels))
		key[i] = fs[i].levels[k%n]
		k /= n
	}
	return key
}

// compareKeys orders level tuples column by column; two levels that both
// parse as numbers compare as numbers, otherwise as strings.
func compareKeys(a, b []string) int {
	for i := range a {
		if c := compareLevels(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

func compareLevels(a, b string) int {
	fa, errA := strconv.ParseFloat(a, 64)
	fb, errB := strconv.ParseFloat(b, 64)
	switch {
	case errA == nil && errB == nil && fa != fb:
		return cmp.Compare(fa, fb)
	case errA == nil && errB != nil:
		return -1
	case errA != nil && errB == nil:
		return 1
	}
	return cmp.Compare(a, b)
}

// partition gathers x and w of the units selected by keep (nil: all) by
// group, in unit order within each group: group k occupies
// [off[k], off[k+1]) of xs and ws.
func partition(codes []int32, groups int, keep []bool, x, w []float64) (off []int, xs, ws []float64) {
	off = make([]int, groups+1)
	for i, c := range codes {
		if keep == nil || keep[i] {
			off[c+1]++
		}
	}
	for k := 1; k <= groups; k++ {
		off[k] += off[k-1]
	}
	xs = make([]float64, off[groups])
	ws = make([]float64, off[groups])
	next := slices.Clone(off[:groups])
	for i, c := range codes {
		if keep == nil || keep[i] {
			p := next[c]
			xs[p], ws[p] = x[i], w[i]
			next[c]++
		}
	}
	return off, xs, ws
}
