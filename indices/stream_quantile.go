package indices

import (
	"cmp"
	"math"
	"slices"
)

// Streaming exact weighted quantiles, in two passes over the units, with
// memory bounded by the grid and the units of a few buckets, not by n:
//
//	pass 1: per domain, a histogram over a fixed grid of the value
//	        (QuantileHistogram; merge the partitions' histograms);
//	        Locate finds the bucket that holds each requested quantile;
//	pass 2: keep only the units in those buckets (QuantileCandidates;
//	        merge the partitions' candidates) and resolve exactly.
//
// The grid cuts the real line at float64 values: a value's bucket is the top
// HistogramBits bits of its order-preserving key (the float64 bit pattern
// with the sign bit flipped for positives and all bits flipped for
// negatives), so bucket boundaries are exact and every value, negative, zero,
// tiny or huge, has exactly one bucket, buckets being in the order of their
// values. With 20 bits a bucket spans a relative width of 2^-8 (0.39 %) of
// the values in it.
//
// The answer is laeken's weighted quantile, as Quantile, with the same tie
// rule (the mean of Q and the next value with positive weight where the
// cumulative share equals p exactly). The cumulative shares are float64 sums,
// bucket by bucket and then unit by unit in increasing order, and
// Quantile's are sums in the order of its selection; where sums of weights
// are exact (integer weights, or multiples of one power of two, whose totals
// stay below 2^53) both are exact, and the answers are identical whatever the
// partitions and the order of merging. Otherwise the two can differ only when
// a cumulative share lies within rounding (about 1e-16 relative) of p, which
// weights such as tenths make common (a share that is p in decimal need not
// be in binary). The two-pass answer is then a function of the partitions
// and of the order in which their histograms merge; QuantilesBlocked gives
// it, to the bit, for partitions given as blocks of one slice.

// HistogramBits is the number of leading bits of a value's order-preserving
// key that name its bucket: the grid has 2^HistogramBits buckets.
const HistogramBits = 20

const (
	pageBits  = 8 // buckets per page: 2^pageBits
	pageCount = 1 << (HistogramBits - pageBits)
	pageSize  = 1 << pageBits
)

// orderKey maps x to a uint64 in the order of the values: a < b if and only
// if orderKey(a) < orderKey(b), for every non-NaN float64. Both zeros map to
// the key of +0, as -0 == +0.
func orderKey(x float64) uint64 {
	if x == 0 {
		x = 0 // -0 becomes +0
	}
	b := math.Float64bits(x)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// HistogramBucket returns the bucket of x on the grid, in [0, 2^HistogramBits).
// Buckets are in the order of their values. It panics if x is NaN.
func HistogramBucket(x float64) uint32 {
	if math.IsNaN(x) {
		panic("indices: NaN value in a quantile histogram")
	}
	return uint32(orderKey(x) >> (64 - HistogramBits))
}

// histPage holds pageSize consecutive buckets, each in one 32-byte cell so
// that adding a unit touches one cache line.
type histPage [pageSize]histCell

// histCell is one bucket.
type histCell struct {
	w        float64 // sum of weights
	n        int64   // units with positive weight
	min, max float64 // smallest and largest value with positive weight
}

// QuantileHistogram is pass 1 of the streaming quantile: for each bucket of
// the grid, the weight, the number of units with positive weight and the
// smallest and largest of their values. Units with weight 0 take no part, as
// in Quantile. Memory grows with the range of the values (pages of 256
// buckets, about 8 KiB each, are made as values reach them), not with n.
//
// The zero value is an empty histogram. Histograms of disjoint sets of units
// merge exactly (the sums up to floating-point addition).
type QuantileHistogram struct {
	pages []*histPage // pageCount pages, nil until the first unit
	n     int64       // units with positive weight
}

// Add adds one unit with value x and weight w. It panics if x is NaN or w is
// negative or NaN.
func (h *QuantileHistogram) Add(x, w float64) {
	if !(w >= 0) {
		panic("indices: negative weight")
	}
	b := HistogramBucket(x)
	if w == 0 {
		return
	}
	if h.pages != nil { // the common case, inlined
		if pg := h.pages[b>>pageBits]; pg != nil {
			c := &pg[b&(pageSize-1)]
			c.w += w
			c.n++
			c.min = min(c.min, x)
			c.max = max(c.max, x)
			h.n++
			return
		}
	}
	h.addBucket(b, w, 1, x, x)
}

// AddAll adds every unit of x with its weight (nil weights: 1). It panics if
// the lengths differ, a weight is negative or a value is NaN.
func (h *QuantileHistogram) AddAll(x, weights []float64) {
	eachUnit(x, weights, h.Add)
}

func (h *QuantileHistogram) addBucket(b uint32, w float64, n int64, lo, hi float64) {
	if h.pages == nil {
		h.pages = make([]*histPage, pageCount)
	}
	pg := h.pages[b>>pageBits]
	if pg == nil {
		pg = &histPage{}
		for i := range pg {
			pg[i].min, pg[i].max = math.Inf(1), math.Inf(-1)
		}
		h.pages[b>>pageBits] = pg
	}
	s := b & (pageSize - 1)
	c := &pg[s]
	c.w += w
	c.n += n
	c.min = min(c.min, lo)
	c.max = max(c.max, hi)
	h.n += n
}

// Merge adds the histogram of other units, o, to h.
func (h *QuantileHistogram) Merge(o *QuantileHistogram) {
	for _, b := range o.Buckets() {
		h.AddBucket(b)
	}
}

// Bucket is one non-empty bucket of a QuantileHistogram, in a form that can
// be shipped between processes: Index on the grid, the sum W of the weights
// of its N units with positive weight, and the smallest and largest of their
// values.
type Bucket struct {
	Index    uint32
	W        float64
	N        int64
	Min, Max float64
}

// Buckets lists the non-empty buckets of h in increasing order.
func (h *QuantileHistogram) Buckets() []Bucket {
	var out []Bucket
	for p, pg := range h.pages {
		if pg == nil {
			continue
		}
		for s := range pageSize {
			if c := &pg[s]; c.n > 0 {
				out = append(out, Bucket{Index: uint32(p<<pageBits | s), W: c.w, N: c.n, Min: c.min, Max: c.max})
			}
		}
	}
	return out
}

// AddBucket merges one bucket (of another histogram, see Buckets) into h.
// It panics if the bucket is not one of the grid, has N < 1, a negative
// weight, or values outside it.
func (h *QuantileHistogram) AddBucket(b Bucket) {
	if b.Index >= 1<<HistogramBits || b.N < 1 || !(b.W >= 0) || !(b.Min <= b.Max) ||
		HistogramBucket(b.Min) != b.Index || HistogramBucket(b.Max) != b.Index {
		panic("indices: invalid histogram bucket")
	}
	h.addBucket(b.Index, b.W, b.N, b.Min, b.Max)
}

// N returns the number of units with positive weight added.
func (h *QuantileHistogram) N() int64 { return h.n }

// QuantileTarget is where pass 1 places the p-quantile of one histogram:
// either the answer itself (Done), or the bucket whose units pass 2 must
// collect, with the weight below it.
type QuantileTarget struct {
	P      float64
	Done   bool    // Value is the answer; no unit is needed
	Value  float64 // the answer when Done
	Bucket uint32  // the bucket holding Q(P) when not Done
	Below  float64 // weight of the buckets below Bucket
	Total  float64 // total weight
	// Next is the smallest value with positive weight above Bucket, for the
	// tie rule; HasNext is false when Bucket is the last one.
	Next    float64
	HasNext bool
}

// Locate returns the target of the p-quantile of h. An empty histogram (no
// unit with positive weight) gives Done with NaN, as Quantile; p = 0 and
// p = 1 are Done with the smallest and the largest value. It panics if p is
// outside [0, 1].
func (h *QuantileHistogram) Locate(p float64) QuantileTarget {
	return h.LocateAll([]float64{p})[0]
}

// LocateAll is Locate for several probabilities, in one scan of the grid.
func (h *QuantileHistogram) LocateAll(ps []float64) []QuantileTarget {
	return locate(h.Buckets(), ps)
}

// locate is LocateAll over the buckets in use, in increasing order.
func locate(bs []Bucket, ps []float64) []QuantileTarget {
	out := make([]QuantileTarget, len(ps))
	for i, p := range ps {
		checkQuantileArgs(p, nil, nil)
		out[i] = QuantileTarget{P: p, Done: true, Value: math.NaN()}
	}
	if len(bs) == 0 {
		return out
	}
	total := 0.0
	for _, b := range bs {
		total += b.W
	}
	for i, p := range ps {
		switch p {
		case 0:
			out[i].Value = bs[0].Min
			continue
		case 1:
			out[i].Value = bs[len(bs)-1].Max
			continue
		}
		cum := 0.0
		for k, b := range bs {
			below := cum
			cum += b.W
			if cum/total < p && k < len(bs)-1 {
				continue
			}
			t := QuantileTarget{P: p, Bucket: b.Index, Below: below, Total: total}
			if k+1 < len(bs) {
				t.Next, t.HasNext = bs[k+1].Min, true
			}
			if b.Min == b.Max { // one value: no unit needed
				t.Done, t.Value = true, b.Min
				if cum/total == p && t.HasNext {
					t.Value = (b.Min + t.Next) / 2
				}
			}
			out[i] = t
			break
		}
	}
	return out
}

// Resolve returns Q(P) from the units of the target's bucket, x and weights
// (nil weights: 1), in any order; units outside the bucket or with weight 0
// are ignored. It sorts copies and leaves x and weights unchanged. It panics
// if the lengths differ or a weight is negative.
func (t QuantileTarget) Resolve(x, weights []float64) float64 {
	if t.Done {
		return t.Value
	}
	var xs, ws []float64
	eachUnit(x, weights, func(v, w float64) {
		if w > 0 && HistogramBucket(v) == t.Bucket {
			xs, ws = append(xs, v), append(ws, w)
		}
	})
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	// Sort by value, then weight, so the sums do not depend on the order
	// in which partitions were merged.
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(xs[a], xs[b]); c != 0 {
			return c
		}
		return cmp.Compare(ws[a], ws[b])
	})
	cum := t.Below
	for k := 0; k < len(order); {
		v := xs[order[k]]
		for k < len(order) && xs[order[k]] == v {
			cum += ws[order[k]]
			k++
		}
		if cum/t.Total < t.P {
			continue
		}
		if cum/t.Total != t.P {
			return v
		}
		if k < len(order) {
			return (v + xs[order[k]]) / 2
		}
		if t.HasNext {
			return (v + t.Next) / 2
		}
		return v
	}
	if len(order) == 0 {
		panic("indices: no unit of the quantile's bucket was given")
	}
	// Rounding left the target just above the unit sums: the crossing is at
	// the end of the bucket.
	return xs[order[len(order)-1]]
}

// DomainHistograms are the pass-1 histograms of k domains, numbered 0..k-1.
// The zero value has no domain; see NewDomainHistograms.
type DomainHistograms struct {
	H []QuantileHistogram
}

// NewDomainHistograms returns empty histograms for k domains.
func NewDomainHistograms(k int) *DomainHistograms {
	return &DomainHistograms{H: make([]QuantileHistogram, k)}
}

// AddAll adds the units of x with their weights (nil: 1) to the histograms of
// their domains (domain[i] in [0, k)). It panics if the lengths differ, a
// weight is negative, a value NaN or a domain out of range.
func (d *DomainHistograms) AddAll(domain []int32, x, weights []float64) {
	if len(domain) != len(x) {
		panic("indices: slice length mismatch")
	}
	i := 0
	eachUnit(x, weights, func(v, w float64) {
		d.H[domain[i]].Add(v, w)
		i++
	})
}

// Merge adds the histograms of other units, over the same domains, to d.
func (d *DomainHistograms) Merge(o *DomainHistograms) {
	if len(o.H) != len(d.H) {
		panic("indices: merging histograms of different domains")
	}
	for j := range d.H {
		d.H[j].Merge(&o.H[j])
	}
}

// Locate returns, for each domain j, the targets of the probabilities ps.
func (d *DomainHistograms) Locate(ps []float64) [][]QuantileTarget {
	out := make([][]QuantileTarget, len(d.H))
	for j := range d.H {
		out[j] = d.H[j].LocateAll(ps)
	}
	return out
}

// QuantileCandidates is pass 2: it keeps the units that fall in the buckets
// of the targets of their domain (from DomainHistograms.Locate), and only
// those. Candidates of disjoint sets of units merge by Merge, in any order.
type QuantileCandidates struct {
	Targets [][]QuantileTarget
	X, W    [][]float64 // per domain, the kept units
	wanted  [][]uint32  // per domain, the distinct buckets wanted
}

// NewQuantileCandidates returns an empty pass-2 collector for the targets.
func NewQuantileCandidates(targets [][]QuantileTarget) *QuantileCandidates {
	return &QuantileCandidates{Targets: targets, X: make([][]float64, len(targets)), W: make([][]float64, len(targets))}
}

// want lists the distinct buckets wanted in each domain (once, lazily, so a
// collector rebuilt from its exported fields works too).
func (c *QuantileCandidates) want() {
	if c.wanted != nil {
		return
	}
	c.wanted = make([][]uint32, len(c.Targets))
	for j, ts := range c.Targets {
		for _, t := range ts {
			if !t.Done && !slices.Contains(c.wanted[j], t.Bucket) {
				c.wanted[j] = append(c.wanted[j], t.Bucket)
			}
		}
	}
}

// Add keeps the unit (x, w) of domain j if its bucket is wanted there.
func (c *QuantileCandidates) Add(j int, x, w float64) {
	c.want()
	if len(c.wanted[j]) == 0 || !(w > 0) {
		if w < 0 {
			panic("indices: negative weight")
		}
		return
	}
	if slices.Contains(c.wanted[j], HistogramBucket(x)) {
		c.X[j] = append(c.X[j], x)
		c.W[j] = append(c.W[j], w)
	}
}

// AddAll is Add for every unit (nil weights: 1).
func (c *QuantileCandidates) AddAll(domain []int32, x, weights []float64) {
	if len(domain) != len(x) {
		panic("indices: slice length mismatch")
	}
	i := 0
	eachUnit(x, weights, func(v, w float64) {
		c.Add(int(domain[i]), v, w)
		i++
	})
}

// Merge adds the candidates of other units, for the same targets, to c.
func (c *QuantileCandidates) Merge(o *QuantileCandidates) {
	if len(o.X) != len(c.X) {
		panic("indices: merging candidates of different domains")
	}
	for j := range c.X {
		c.X[j] = append(c.X[j], o.X[j]...)
		c.W[j] = append(c.W[j], o.W[j]...)
	}
}

// Quantiles returns Q(p) for each domain j and each probability of its
// targets, out[j][i], equal to Quantile(ps[i]) over the domain's units (see
// the note on rounding above).
func (c *QuantileCandidates) Quantiles() [][]float64 {
	out := make([][]float64, len(c.Targets))
	for j, ts := range c.Targets {
		out[j] = make([]float64, len(ts))
		for i, t := range ts {
			out[j][i] = t.Resolve(c.X[j], c.W[j])
		}
	}
	return out
}

// StreamQuantiles runs both passes over units held in memory: the quantiles
// ps of x in each of k domains (domain[i] in [0, k)), out[j][i]. It is the
// reference use of the streaming scheme; a job over partitions calls the
// same steps on each partition and merges.
func StreamQuantiles(ps []float64, k int, domain []int32, x, weights []float64) [][]float64 {
	h := NewDomainHistograms(k)
	h.AddAll(domain, x, weights)
	c := NewQuantileCandidates(h.Locate(ps))
	c.AddAll(domain, x, weights)
	return c.Quantiles()
}

// QuantilesBlocked returns in dst (nil: a new slice) the weighted
// quantiles at ps (each in [0, 1]) of the units x, weights (nil: 1) that
// come in blocks: block b is [blocks[b], blocks[b+1]), blocks ending at
// len(x) (nil: one block). The answers are, to the bit, those of the
// two-pass algorithm fed the blocks in order: a QuantileHistogram of each
// block (weights added in unit order), merged in block order, LocateAll,
// then QuantileTarget.Resolve over the units of the located buckets. They
// come from sorting a copy instead of a grid, which costs less for a small
// domain than the grid's pages. It panics if a weight is negative or the
// blocks do not cover x.
//
// The two-pass answer depends on the blocks only through rounding, where a
// cumulative weight share lies within about 1e-16 of p; a runner that
// reads the units in blocks (row groups) on different machines gets the
// same answer from the histograms of its blocks.
func QuantilesBlocked(dst, ps, x, weights []float64, blocks []int) []float64 {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	if len(blocks) < 2 {
		blocks = []int{0, len(x)}
	}
	if blocks[0] != 0 || blocks[len(blocks)-1] != len(x) {
		panic("indices: blocks do not cover the units")
	}
	if len(x) >= 1<<32 {
		panic("indices: too many units for QuantilesBlocked")
	}
	type unit struct {
		bucket uint32
		block  int32
		x, w   float64
	}
	var us []unit
	for b := 0; b+1 < len(blocks); b++ {
		for i := blocks[b]; i < blocks[b+1]; i++ {
			w := weightAt(weights, i)
			if !(w >= 0) {
				panic("indices: negative weight")
			}
			if w > 0 {
				us = append(us, unit{HistogramBucket(x[i]), int32(b), x[i], w})
			}
		}
	}
	// By bucket, then unit (so block, then unit order within the block): a
	// bucket's weight is its blocks' sums, each added in unit order from
	// zero, added in block order. The keys, bucket and position, sort as
	// integers.
	keys := make([]uint64, len(us))
	for i, u := range us {
		keys[i] = uint64(u.bucket)<<32 | uint64(i)
	}
	slices.Sort(keys)
	sorted := make([]unit, len(us))
	for i, k := range keys {
		sorted[i] = us[uint32(k)]
	}
	us = sorted
	var bs []Bucket
	var starts []int // of each bucket's units in us
	for k := 0; k < len(us); {
		bk := Bucket{Index: us[k].bucket, Min: math.Inf(1), Max: math.Inf(-1)}
		starts = append(starts, k)
		for k < len(us) && us[k].bucket == bk.Index {
			blk, part := us[k].block, 0.0
			for ; k < len(us) && us[k].bucket == bk.Index && us[k].block == blk; k++ {
				part += us[k].w
				bk.N++
				bk.Min, bk.Max = min(bk.Min, us[k].x), max(bk.Max, us[k].x)
			}
			bk.W += part
		}
		bs = append(bs, bk)
	}
	starts = append(starts, len(us))
	if dst == nil {
		dst = make([]float64, len(ps))
	}
	var xs, ws []float64
	for i, t := range locate(bs, ps) {
		if t.Done {
			dst[i] = t.Value
			continue
		}
		k, _ := slices.BinarySearchFunc(bs, t.Bucket, func(b Bucket, v uint32) int { return cmp.Compare(b.Index, v) })
		xs, ws = xs[:0], ws[:0]
		for _, u := range us[starts[k]:starts[k+1]] {
			xs, ws = append(xs, u.x), append(ws, u.w)
		}
		dst[i] = t.Resolve(xs, ws)
	}
	return dst
}
