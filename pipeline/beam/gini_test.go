package povbeam

import (
	"cmp"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/povstat/povstat/indices"
)

// giniByBuckets computes the Gini as the runner does: records keyed by
// bucket, each bucket's records shuffled (as they arrive from the splits in
// any order), sorted and summed from zero, joined in bucket order.
func giniByBuckets(r *rand.Rand, recs []record) float64 {
	byBucket := map[uint32][]record{}
	for _, rc := range recs {
		b := indices.HistogramBucket(rc.x)
		byBucket[b] = append(byBucket[b], rc)
	}
	var g indices.GiniSums
	for _, b := range slices.Sorted(maps.Keys(byBucket)) {
		rs := byBucket[b]
		r.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
		g.Join(bucketGini(rs))
	}
	return g.Gini()
}

// TestBucketGiniHandWorked: x = {1, 2, 3, 4} with unit weights has
// G = 2 sum i x_(i) / (n sum x) - (n+1)/n = 60/40 - 5/4 = 1/4, whatever the
// order of the records; ties 1 (w 1), 2 (w 1), 2 (w 3) give sum w x C = 35,
// sum w^2 x = 21, G = (70 - 21)/45 - 1 = 4/45.
func TestBucketGiniHandWorked(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		recs []record
		ans  float64
	}{
		{[]record{{x: 4, w: 1, pos: 0}, {x: 2, w: 1, pos: 1}, {x: 1, w: 1, pos: 2}, {x: 3, w: 1, pos: 3}}, 0.25},
		{[]record{{x: 2, w: 3, pos: 0}, {x: 1, w: 1, pos: 1}, {x: 2, w: 1, pos: 2}}, 4.0 / 45},
	} {
		if got := giniByBuckets(r, tt.recs); math.Abs(got-tt.ans) > 1e-15 {
			t.Errorf("got %v, want %v", got, tt.ans)
		}
	}
}

// TestBucketGiniTies: with many ties, negative and zero incomes (-0 and +0
// share a bucket) and integer weights, the bucketed Gini is bit for bit the
// in-memory one (indices.Gini) whatever the arrival order, and ties are
// taken in input order (split, position) as pipeline's stable sort does.
func TestBucketGiniTies(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var recs []record
	var x, w []float64
	for i := range 3000 {
		v := float64(r.IntN(40) - 5)
		switch r.IntN(20) {
		case 0:
			v = math.Copysign(0, -1)
		case 1:
			v = 1000 + float64(r.IntN(3)) // one bucket, three values
		}
		wt := float64(1 + r.IntN(9))
		recs = append(recs, record{x: v, w: wt, split: int64(i / 500), pos: int64(i % 500)})
		x, w = append(x, v), append(w, wt)
	}
	want := indices.Gini(x, w)
	for range 3 {
		if got := giniByBuckets(r, append([]record(nil), recs...)); got != want {
			t.Fatalf("bucketed %v, in memory %v", got, want)
		}
	}
	// The order of ties: equal values sort by split, then position.
	rs := []record{{x: 2, split: 1, pos: 0}, {x: 2, split: 0, pos: 7}, {x: math.Copysign(0, -1), split: 3}, {x: 0, split: 0}, {x: 2, split: 0, pos: 3}}
	bucketGini(rs)
	if !math.Signbit(rs[0].x) || math.Signbit(rs[1].x) {
		t.Errorf("-0 does not sort just before +0: %v", rs)
	}
	for i, want := range [][2]int64{{0, 3}, {0, 7}, {1, 0}} {
		if rs[2+i].split != want[0] || rs[2+i].pos != want[1] {
			t.Errorf("ties out of input order: %v", rs)
		}
	}
}

// TestBucketGiniEqualsPipeline: with real weights and incomes spread over
// many buckets, where sums are not exact, the runner's bucketed Gini is bit
// for bit pipeline's (indices.GiniByBucket over the units in input order,
// sorted stably), whatever the arrival order.
func TestBucketGiniEqualsPipeline(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var recs []record
	for i := range 5000 {
		v := math.Exp(r.NormFloat64()*0.8 + 9)
		if i%50 == 0 {
			v = float64(r.IntN(3)) // ties at 0, 1, 2
		}
		recs = append(recs, record{x: v, w: 0.5 + r.Float64()*900, split: int64(i / 700), pos: int64(i % 700)})
	}
	sorted := slices.Clone(recs)
	slices.SortStableFunc(sorted, func(a, b record) int { return cmp.Compare(sortKey(a.x), sortKey(b.x)) })
	var g indices.GiniByBucket
	for _, rc := range sorted {
		g.AddSorted(rc.x, rc.w)
	}
	sums := g.Sums()
	want := sums.Gini()
	for range 3 {
		if got := giniByBuckets(r, slices.Clone(recs)); got != want {
			t.Fatalf("bucketed %v, pipeline %v", got, want)
		}
	}
	if seq := indices.Gini(sortedX(sorted), sortedW(sorted)); math.Abs(seq-want) > 1e-13 {
		t.Errorf("bucketed %v, sequential %v", want, seq)
	}
}

func sortedX(rs []record) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.x
	}
	return out
}

func sortedW(rs []record) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.w
	}
	return out
}
