package indices

import (
	"encoding/binary"
	"errors"
	"math"
)

// Shipping accumulators between processes. A job split across machines
// accumulates PovertySums, EntropySums and GiniSums on each worker and
// merges them on another; these need their whole state, unexported fields
// included, to travel. MarshalBinary and UnmarshalBinary (encoding.Binary
// Marshaler, so encoding/gob uses them) write and read that state exactly:
// a decoded accumulator is bit for bit the one encoded, and adding to it or
// merging it gives what the original would have given.
//
// The encoding is a version byte, then little-endian fields: int64 counts
// and float64 bit patterns, in the order of the fields of the type.

// ErrBadState reports bytes that are not an accumulator's encoding.
var ErrBadState = errors.New("indices: malformed accumulator state")

const stateVersion = 1

// stateWriter appends fixed-size fields.
type stateWriter []byte

func (b *stateWriter) f(v float64) { *b = binary.LittleEndian.AppendUint64(*b, math.Float64bits(v)) }
func (b *stateWriter) i(v int64)   { *b = binary.LittleEndian.AppendUint64(*b, uint64(v)) }

// stateReader reads the fields back; err is set at the first short read.
type stateReader struct {
	b   []byte
	err error
}

func newStateReader(b []byte) *stateReader {
	if len(b) < 1 || b[0] != stateVersion {
		return &stateReader{err: ErrBadState}
	}
	return &stateReader{b: b[1:]}
}

func (r *stateReader) u() uint64 {
	if len(r.b) < 8 {
		r.err = ErrBadState
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *stateReader) f() float64 { return math.Float64frombits(r.u()) }
func (r *stateReader) i() int64   { return int64(r.u()) }

// done returns the error of the reads, and ErrBadState if bytes are left.
func (r *stateReader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = ErrBadState
	}
	return r.err
}

// MarshalBinary encodes the sums, including whether some unit faced a line
// z <= 0 (which makes the relative measures NaN).
func (s PovertySums) MarshalBinary() ([]byte, error) {
	w := stateWriter{stateVersion}
	w.i(int64(s.N))
	for _, v := range []float64{s.Pop, s.Income, s.Poor, s.SumGap, s.SumGap2, s.GapMoney, s.WattsSum, s.WattsPop} {
		w.f(v)
	}
	w.i(int64(s.NonPositiveN))
	w.f(s.NonPositiveWeight)
	bad := int64(0)
	if s.badLine {
		bad = 1
	}
	w.i(bad)
	return w, nil
}

// UnmarshalBinary sets s to the sums encoded by MarshalBinary.
func (s *PovertySums) UnmarshalBinary(b []byte) error {
	r := newStateReader(b)
	var t PovertySums
	t.N = int(r.i())
	for _, p := range []*float64{&t.Pop, &t.Income, &t.Poor, &t.SumGap, &t.SumGap2, &t.GapMoney, &t.WattsSum, &t.WattsPop} {
		*p = r.f()
	}
	t.NonPositiveN = int(r.i())
	t.NonPositiveWeight = r.f()
	switch r.i() {
	case 0:
	case 1:
		t.badLine = true
	default:
		r.err = ErrBadState
	}
	if err := r.done(); err != nil {
		return err
	}
	*s = t
	return nil
}

// MarshalBinary encodes the sums and their parameters (the exponents of the
// power sums) with their reference incomes.
func (s EntropySums) MarshalBinary() ([]byte, error) {
	w := stateWriter{stateVersion}
	w.i(int64(s.N))
	w.f(s.Pop)
	w.f(s.Income)
	w.i(int64(s.ZeroN))
	w.f(s.ZeroWeight)
	w.i(int64(s.NegativeN))
	w.f(s.NegativeWeight)
	w.f(s.center)
	w.f(s.logSum)
	w.f(s.xlogSum)
	w.i(int64(len(s.powers)))
	for _, q := range s.powers {
		w.f(q.p)
		w.f(q.sum)
		w.f(q.x0)
	}
	return w, nil
}

// UnmarshalBinary sets s to the sums encoded by MarshalBinary. It returns
// ErrBadState for bytes that no EntropySums encodes (an exponent 0, 1, not
// finite or out of order, a negative reference income).
func (s *EntropySums) UnmarshalBinary(b []byte) error {
	r := newStateReader(b)
	var t EntropySums
	t.N = int(r.i())
	t.Pop = r.f()
	t.Income = r.f()
	t.ZeroN = int(r.i())
	t.ZeroWeight = r.f()
	t.NegativeN = int(r.i())
	t.NegativeWeight = r.f()
	t.center = r.f()
	t.logSum = r.f()
	t.xlogSum = r.f()
	k := r.i()
	if r.err != nil || k < 0 || k > int64(len(r.b)/24) {
		return ErrBadState
	}
	if t.center != 0 {
		t.inv = 1 / t.center
	}
	if k > 0 {
		t.powers = make([]powerSum, k)
	}
	for j := range t.powers {
		q := &t.powers[j]
		q.p, q.sum, q.x0 = r.f(), r.f(), r.f()
		if q.p == 0 || q.p == 1 || math.IsNaN(q.p) || math.IsInf(q.p, 0) || !(q.x0 >= 0) ||
			j > 0 && !(t.powers[j-1].p < q.p) {
			return ErrBadState
		}
		q.kind = powKind(q.p)
		if q.x0 != 0 {
			q.inv = 1 / q.x0
		}
	}
	if !(t.center >= 0) {
		return ErrBadState
	}
	if err := r.done(); err != nil {
		return err
	}
	*s = t
	return nil
}

// NewGiniSumsAfter returns an empty GiniSums for units that come, in the
// order of income, after units of total weight below: the first unit added
// has C_1 = below + w_1. The sums of consecutive blocks of sorted units,
// each started at the weight of all the blocks before it, join by Append.
//
// This is how laeken's Gini is computed over data sorted in pieces (the
// buckets of a histogram grid, each sorted by a different worker): block
// b's contribution to sum_i {w_i x_i C_i} needs only its own units and the
// weight below it.
func NewGiniSumsAfter(below float64) GiniSums { return GiniSums{cum: below} }

// Append adds the sums of the next block of units, o, started by
// NewGiniSumsAfter at g's total weight: afterwards g holds the sums of its
// units followed by o's,
//
//	sum w x C = g's + o's,  sum w^2 x = g's + o's,  sum w x = g's + o's,
//	C = o's final cumulative weight.
//
// Appending blocks in order gives the sums of the sequential AddSorted
// up to the order of the floating-point additions: the same bits where
// every product and partial sum is exact (integer incomes and weights of
// moderate size), otherwise a difference of the order of 1e-16 relative per
// block.
func (g *GiniSums) Append(o GiniSums) {
	g.swxc += o.swxc
	g.sw2x += o.sw2x
	g.swx += o.swx
	g.cum = o.cum
}

// Join adds the sums of the next block of units, o, summed from zero (the
// zero value, C of its first unit its own weight): afterwards g holds the
// sums of its units followed by o's,
//
//	sum w x C += o's + C_g * o's sum w x,  sum w^2 x += o's,  sum w x += o's,
//	C = C_g + o's C,
//
// since each unit of o has C = C_g + its C within o. Unlike Append, no
// block needs the weight below it before it is summed.
func (g *GiniSums) Join(o GiniSums) {
	g.swxc += o.swxc + g.cum*o.swx
	g.sw2x += o.sw2x
	g.swx += o.swx
	g.cum += o.cum
}

// GiniByBucket accumulates GiniSums over units added in increasing order of
// income, bucket by bucket of the histogram grid (HistogramBucket): the
// units of each bucket are summed from zero and the buckets joined in
// order (GiniSums.Join). These are the additions of a runner that sorts
// each bucket on its own worker and joins the buckets' sums, so both give
// the same bits; the value is laeken's Gini, as AddSorted's, up to the
// order of the floating-point additions. The zero value is empty.
type GiniByBucket struct {
	total, bucket GiniSums
	at            uint32 // the bucket of the units in bucket
	started       bool
}

// AddSorted adds a unit with income x and weight w; x must not be smaller
// than any income added before.
func (g *GiniByBucket) AddSorted(x, w float64) {
	b := HistogramBucket(x)
	if g.started && b != g.at {
		g.total.Join(g.bucket)
		g.bucket = GiniSums{}
	}
	g.at, g.started = b, true
	g.bucket.AddSorted(x, w)
}

// Sums returns the sums of the units added.
func (g *GiniByBucket) Sums() GiniSums {
	t := g.total
	if g.started {
		t.Join(g.bucket)
	}
	return t
}

// MarshalBinary encodes the sums.
func (g GiniSums) MarshalBinary() ([]byte, error) {
	w := stateWriter{stateVersion}
	for _, v := range []float64{g.cum, g.swxc, g.sw2x, g.swx} {
		w.f(v)
	}
	return w, nil
}

// UnmarshalBinary sets g to the sums encoded by MarshalBinary.
func (g *GiniSums) UnmarshalBinary(b []byte) error {
	r := newStateReader(b)
	var t GiniSums
	for _, p := range []*float64{&t.cum, &t.swxc, &t.sw2x, &t.swx} {
		*p = r.f()
	}
	if err := r.done(); err != nil {
		return err
	}
	*g = t
	return nil
}
