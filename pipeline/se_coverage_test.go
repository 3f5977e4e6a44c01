package pipeline

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/povstat/povstat/indices"
)

// coveragePopulation is a finite population of households in strata and
// clusters (PSUs): 12 strata of 50 clusters of 25 households, incomes
// lognormal with a stratum effect and a cluster effect (so that units of a
// cluster are alike and the design effect is well above 1).
type coveragePopulation struct {
	strata, clusters, size int
	income                 []float64 // household h of cluster c of stratum s at (s*clusters+c)*size+h
}

func newCoveragePopulation(seed uint64) *coveragePopulation {
	p := &coveragePopulation{strata: 12, clusters: 50, size: 25}
	rng := rand.New(rand.NewPCG(seed, 1))
	for s := range p.strata {
		for range p.clusters {
			effect := 0.25 * rng.NormFloat64()
			for range p.size {
				p.income = append(p.income, math.Round(math.Exp(9.5+0.05*float64(s)+effect+0.6*rng.NormFloat64())))
			}
		}
	}
	return p
}

// sample draws n clusters with replacement in each stratum, takes all
// their households (weight clusters/n) and writes them as CSV; a cluster
// drawn twice is two PSUs.
func (p *coveragePopulation) sample(rng *rand.Rand, n int, path string) error {
	var b strings.Builder
	b.WriteString("income,weight,stratum,psu\n")
	w := float64(p.clusters) / float64(n)
	for s := range p.strata {
		for k := range n {
			c := rng.IntN(p.clusters)
			for h := range p.size {
				fmt.Fprintf(&b, "%g,%g,%d,%d\n", p.income[(s*p.clusters+c)*p.size+h], w, s, k)
			}
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// TestCoverage draws 400 stratified cluster samples from a known
// population and runs the study on each (pipeline.Run, linearized SEs):
// the 95% intervals of the mean, of the headcount under a fixed line and
// under the sample's own 60%-of-median line, of the Gini, of the headcount
// difference between the two lines and of the Lorenz ordinates L(0.5) and
// GL(0.2) must cover the population value in 92% to 98% of the samples
// (binomial SE of the rate 1.1%: a 20% error in the SEs would give about
// 89% or 99%). About 5 s; skipped with -short.
func TestCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("coverage simulation: skipped with -short")
	}
	const samples, n = 400, 8
	pop := newCoveragePopulation(1)
	// Population values.
	mean, zFixed := 0.0, 12000.0
	for _, x := range pop.income {
		mean += x / float64(len(pop.income))
	}
	sorted := slices.Sorted(slices.Values(pop.income))
	median := sorted[len(sorted)/2] // N even: laeken's rule averages the two middle values
	median = (median + sorted[len(sorted)/2-1]) / 2
	share := func(z float64) float64 {
		poor := 0
		for _, x := range pop.income {
			if x < z {
				poor++
			}
		}
		return float64(poor) / float64(len(pop.income))
	}
	truth := map[string]float64{
		"mean":            mean,
		"headcount fixed": share(zFixed),
		"headcount rel":   share(0.6 * median),
		"gini":            giniOf(sorted),
	}
	truth["headcount_diff fixed|rel"] = truth["headcount fixed"] - truth["headcount rel"]
	truth["lorenz 0.5"] = indices.Lorenz(nil, []float64{0.5}, pop.income, nil)[0]
	truth["generalized_lorenz 0.2"] = indices.GeneralizedLorenz(nil, []float64{0.2}, pop.income, nil)[0]

	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(2, 2))
	covered := map[string]int{}
	for k := range samples {
		path := filepath.Join(dir, fmt.Sprintf("s%d.csv", k%4))
		if err := pop.sample(rng, n, path); err != nil {
			t.Fatal(err)
		}
		s := &Study{Name: "coverage", Inputs: []string{path}, Income: "income", Weight: "weight",
			Strata: "stratum", PSU: "psu", Indicators: []string{"mean", "headcount", "gini", "lorenz", "generalized_lorenz"}}
		for _, l := range []string{"fixed=abs:12000", "rel=median:0.6"} {
			line, err := ParseLine(l)
			if err != nil {
				t.Fatal(err)
			}
			s.Lines = append(s.Lines, line)
		}
		if err := s.Complete(); err != nil {
			t.Fatal(err)
		}
		s.SEMethod = "linearized"
		out, err := Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		rows := out.Results
		for _, r := range rows {
			key := strings.TrimSpace(r.Indicator + " " + r.Line)
			if r.At != nil {
				key = fmt.Sprintf("%s %g", r.Indicator, *r.At)
			}
			if v, ok := truth[key]; ok && r.CILower <= v && v <= r.CIUpper {
				covered[key]++
			}
		}
		// The difference of the two headcounts, covariance included.
		d, err := load(t.Context(), s, loadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		res, diff := linearizedWithDiff(t, s, d.u)
		for _, r := range differenceRows(s.Lines, res, diff, "lines") {
			if r.Indicator == "headcount_diff" && len(r.Domain) == 0 {
				if v := truth["headcount_diff fixed|rel"]; r.CILower <= v && v <= r.CIUpper {
					covered["headcount_diff fixed|rel"]++
				}
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(truth)) {
		rate := float64(covered[key]) / samples
		t.Logf("%-26s population %.6g, coverage %.3f", key, truth[key], rate)
		if rate < 0.92 || rate > 0.98 {
			t.Errorf("%s: 95%% intervals cover the population value in %.1f%% of %d samples, want 92%% to 98%%", key, 100*rate, samples)
		}
	}
}

// giniOf is laeken's Gini of incomes sorted in increasing order, each of
// weight 1: (2 sum_i x_i i - sum_i x_i) / (N sum_i x_i) - 1.
func giniOf(sorted []float64) float64 {
	var num, tot float64
	for i, x := range sorted {
		num += 2 * x * float64(i+1)
		tot += x
	}
	return (num-tot)/(float64(len(sorted))*tot) - 1
}
