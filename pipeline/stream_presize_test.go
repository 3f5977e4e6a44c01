package pipeline

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/povstat/povstat/indices"
)

// TestPresizeCandidates: presize gives each group's candidates exactly the
// room its units in the median's bucket take (pass 1's count equals what
// pass 2 keeps: zero weights left out of both), and the medians are
// indices.Quantile's over each group's units.
func TestPresizeCandidates(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 9))
	const n, groups = 20000, 5
	x, w := make([]float64, n), make([]float64, n)
	dom := make([]int32, n)
	for i := range x {
		dom[i] = int32(rng.IntN(groups))
		x[i] = math.Round(math.Exp(7 + 0.8*rng.NormFloat64())) // ties in a bucket
		if rng.IntN(10) == 0 {
			x[i] = 1000 // many units in one bucket
		}
		w[i] = float64(rng.IntN(4)) // some zero weights
	}
	h := indices.NewDomainHistograms(groups + 1) // the last group is empty
	h.AddAll(dom, x, w)
	targets := h.Locate([]float64{0.5})
	c := indices.NewQuantileCandidates(targets)
	presize(c, h, targets)
	c.AddAll(dom, x, w)
	q := c.Quantiles()
	done := 0
	for j := range groups {
		if targets[j][0].Done { // pass 1 found it (a bucket of one value): nothing to keep
			if c.X[j] != nil {
				t.Errorf("group %d: %d candidates for a median found in pass 1", j, len(c.X[j]))
			}
		} else if len(c.X[j]) == 0 || len(c.X[j]) != cap(c.X[j]) || len(c.W[j]) != cap(c.W[j]) {
			t.Errorf("group %d: %d candidates, capacity %d and %d", j, len(c.X[j]), cap(c.X[j]), cap(c.W[j]))
		}
		done += btoi(targets[j][0].Done)
		var gx, gw []float64
		for i := range x {
			if int(dom[i]) == j {
				gx, gw = append(gx, x[i]), append(gw, w[i])
			}
		}
		if want := indices.Quantile(0.5, gx, gw); q[j][0] != want {
			t.Errorf("group %d: median %v, want %v", j, q[j][0], want)
		}
	}
	if done == groups {
		t.Fatal("every median found in pass 1: no candidates tested")
	}
	if c.X[groups] != nil {
		t.Errorf("empty group: candidates %v", c.X[groups])
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
