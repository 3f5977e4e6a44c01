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
func newGrouping(n int, cols []string, factors map[string]*factor) (*grouping, error) {
	g := &grouping{cols: cols, codes: make([]int32, n)}
	if len(cols) == 0 {
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
	combined := make([]int64, n)
	for i := range combined {
		var k int64
		for _, f := range fs {
			k = k*int64(len(f.levels)) + int64(f.codes[i])
		}
		combined[i] = k
	}
	present := distinct(combined, space)
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
	index := make(map[int64]int32, len(order))
	for rank, j := range order {
		g.keys[rank] = keys[j]
		index[present[j]] = int32(rank)
	}
	if space <= denseLimit {
		lut := make([]int32, space)
		for k, r := range index {
			lut[k] = r
		}
		for i, k := range combined {
			g.codes[i] = lut[k]
		}
	} else {
		for i, k := range combined {
			g.codes[i] = index[k]
		}
	}
	return g, nil
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
