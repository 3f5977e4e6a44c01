package synth

import "math/rand/v2"

// mix64 is the SplitMix64 finaliser: a bijection of uint64 that turns
// nearby keys (household 7, household 8) into unrelated PCG states.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Stream kinds: the low bits of a stream key say what the stream draws.
const (
	kindTraits   = 0 // a household's permanent traits
	kindYear     = 1 // a household's draws in one year (kindYear + yearIndex)
	kindGeo      = 1<<20 - 1
	kindDisaster = 1<<20 - 2
)

// streamKey names the stream of a kind for an entity (a household, or 0 for
// the geography).
func streamKey(entity uint64, kind uint64) uint64 {
	return entity<<20 | kind
}

// stream is a reseedable random source: one per goroutine, reseeded for each
// household and year, so the draws of a household never depend on which
// goroutine generates it.
type stream struct {
	src rand.PCG
	*rand.Rand
}

func newStream() *stream {
	s := new(stream)
	s.Rand = rand.New(&s.src)
	return s
}

// reset positions s at the start of the stream named key under seed.
func (s *stream) reset(seed, key uint64) {
	s.src.Seed(mix64(seed), mix64(key))
}

// uniform returns a draw from [lo, hi).
func (s *stream) uniform(lo, hi float64) float64 {
	return lo + (hi-lo)*s.Float64()
}

// pair returns two independent draws from [0, 1) with 32-bit resolution,
// from a single 64-bit output.
func (s *stream) pair() (float64, float64) {
	u := s.Uint64()
	return float64(u>>32) * 0x1p-32, float64(u&0xffffffff) * 0x1p-32
}

// bernoulli returns true with probability p.
func (s *stream) bernoulli(p float64) bool {
	return s.Float64() < p
}

// pick returns the index i with probability p[i]; the p sum to 1 (the
// last index takes any rounding slack).
func (s *stream) pick(p []float64) int {
	u := s.Float64()
	for i, pi := range p[:len(p)-1] {
		if u < pi {
			return i
		}
		u -= pi
	}
	return len(p) - 1
}
