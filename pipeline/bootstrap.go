package pipeline

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strconv"

	"github.com/povstat/povstat/indices"
)

// addBootstrapErrors fills the standard errors of every result by the
// Rao-Wu rescaled bootstrap (R survey's subbootstrap): the whole study is
// estimated again with each replicate's weights, lines included, so every
// indicator gets a standard error, with the variation of estimated lines
// taken into account. Replicates come from the study's seed and are the same
// whatever GOMAXPROCS is; replicates run in parallel (GOMAXPROCS at a
// time), each one computed as the full sample is. Intervals are estimate ± t se
// with PSUs − strata degrees of freedom.
//
// It returns the standard error of the difference of two results, from
// the differences of their replicate estimates (so with their covariance).
func addBootstrapErrors(ctx context.Context, s *Study, u *units, e *varEngine, results []Result) (func(i, j int) (float64, float64, string), error) {
	return bootstrapErrors(ctx, s, u, e, results, tabulateReplicate(s))
}

// bootstrapErrors is addBootstrapErrors with the estimates of a replicate
// given by estimate (the results of the full sample, in their order, from
// the units with the replicate's weights).
func bootstrapErrors(ctx context.Context, s *Study, u *units, e *varEngine, results []Result, estimate replicateEstimator) (func(i, j int) (float64, float64, string), error) {
	strata := make([]int32, len(u.x))
	for i, p := range e.psu {
		strata[i] = e.stratumOf[p]
	}
	rp := indices.RaoWuBootstrap(strata, e.psu, u.w, s.Replicates, s.Seed)
	method := "bootstrap (Rao-Wu, " + strconv.Itoa(s.Replicates) + " replicates, seed " + strconv.FormatUint(s.Seed, 10) + "), t(" + strconv.Itoa(e.df) + ")"
	return addReplicateErrors(ctx, s, u, rp, method, e.t, results, estimate)
}

// sectionReplicateErrors gives results the bootstrap or replicate-weight
// standard errors of study s's method (nothing for the other methods),
// each replicate's estimates coming from estimate: the sections beyond
// Run (dynamics, vulnerability, risk) estimate their own rows again.
func sectionReplicateErrors(ctx context.Context, s *Study, u *units, results []Result, estimate replicateEstimator) error {
	switch s.SEMethod {
	case "bootstrap":
		e, err := newVarEngine(s, u)
		if err != nil {
			return err
		}
		_, err = bootstrapErrors(ctx, s, u, e, results, estimate)
		return err
	case "replicates":
		_, err := suppliedReplicateErrors(ctx, s, u, results, estimate)
		return err
	}
	return nil
}

// replicateEstimator estimates the results again over the units ru, which
// are the full sample's with a replicate's weights.
type replicateEstimator func(ctx context.Context, ru *units) ([]Result, error)

// tabulateReplicate is the replicate estimator of Run's results: tabulate
// without standard errors, changes or differences.
func tabulateReplicate(s *Study) replicateEstimator {
	rs := *s
	rs.SEMethod, rs.Time, rs.Nonpositive, rs.Differences = "none", "", "exclude", nil
	return func(ctx context.Context, ru *units) ([]Result, error) {
		out, _, err := tabulate(ctx, &rs, ru)
		return out, err
	}
}

// sampleCounts are the indicators whose estimate counts sample rows,
// which have no sampling error: n, the households of a panel (RunDynamics)
// and the groups and households counted by Classify, which are marked
// unavailable.
var sampleCounts = map[string]bool{"n": true, "households": true, "linked": true, "unmatched_new": true, "unmatched_lost": true,
	"groups": true, "flagged_groups": true, "flagged_households": true}

// addSuppliedReplicateErrors fills the standard errors from the replicate
// weights shipped with the data (variance.repweights), of the kind
// variance.reptype, with t intervals on R - 1 degrees of freedom (R
// survey's default for replicate designs: the rank of the replicate
// weights minus one).
func addSuppliedReplicateErrors(ctx context.Context, s *Study, u *units, results []Result) (func(i, j int) (float64, float64, string), error) {
	return suppliedReplicateErrors(ctx, s, u, results, tabulateReplicate(s))
}

// suppliedReplicateErrors is addSuppliedReplicateErrors with the estimates
// of a replicate given by estimate.
func suppliedReplicateErrors(ctx context.Context, s *Study, u *units, results []Result, estimate replicateEstimator) (func(i, j int) (float64, float64, string), error) {
	rp := indices.NewReplicates(indices.ReplicateMethod(s.RepType), u.w, u.rep, s.Rho)
	df := len(u.rep) - 1
	method := "replicate weights (" + s.RepType + ", " + strconv.Itoa(len(u.rep)) + " columns " + s.RepWeights + "), t(" + strconv.Itoa(df) + ")"
	return addReplicateErrors(ctx, s, u, rp, method, indices.TQuantile(0.5+s.Level/2, df), results, estimate)
}

// addReplicateErrors estimates the results again with each replicate's
// weights (estimate) and gives every result the replicate variance of rp,
// an interval estimate ± t se, and its RSE. Sample counts (n, and the
// households of a panel) have none; a row with an SE method of its own
// keeps it.
func addReplicateErrors(ctx context.Context, s *Study, u *units, rp indices.Replicates, method string, t float64, results []Result, estimate replicateEstimator) (func(i, j int) (float64, float64, string), error) {
	R := rp.Len()
	reps := make([][]float64, len(results))
	for i := range reps {
		reps[i] = make([]float64, R)
	}
	// Replicates run in parallel, each with its own weights; each writes
	// only its own column of reps, so the result does not depend on the
	// order in which they finish.
	workers := max(1, min(runtime.GOMAXPROCS(0), R))
	tasks := make([]func() error, workers)
	for k := range tasks {
		tasks[k] = func() error {
			w := make([]float64, len(u.x))
			for r := k; r < R; r += workers {
				if err := ctx.Err(); err != nil {
					return err
				}
				rp.Weights(w, r)
				ru := &units{x: u.x, w: w, factors: u.factors, blocks: u.blocks}
				out, err := estimate(ctx, ru)
				if err != nil {
					return fmt.Errorf("bootstrap replicate %d: %w", r, err)
				}
				if len(out) != len(results) {
					return fmt.Errorf("bootstrap replicate %d: %d results, the full sample has %d", r, len(out), len(results))
				}
				for i := range out {
					reps[i][r] = out[i].Estimate
				}
			}
			return nil
		}
	}
	if err := runTasks(ctx, tasks); err != nil {
		return nil, err
	}
	fixed := map[string]bool{}
	for _, l := range s.Lines {
		fixed[l.Name] = l.Basis == "abs"
	}
	for i := range results {
		res := &results[i]
		if res.SEMethod != "" {
			continue // an interval of its own (a validation's AUC: DeLong)
		}
		if res.Indicator == "line" && fixed[res.Line] {
			res.SE, res.CILower, res.CIUpper, res.RSE, res.Deff = 0, res.Estimate, res.Estimate, 0, math.NaN()
			res.SEMethod = "fixed: no sampling error"
			continue
		}
		count := sampleCounts[res.Indicator]
		if count && res.Indicator != "n" {
			markNoSE(s, res)
			continue
		}
		res.SEMethod = method
		res.Deff = math.NaN()
		se := math.NaN()
		if !math.IsNaN(res.Estimate) && !count {
			se = rp.SE(res.Estimate, reps[i])
		}
		res.SE = se
		res.CILower, res.CIUpper = res.Estimate-t*se, res.Estimate+t*se
		res.RSE = se / math.Abs(res.Estimate)
		res.Unreliable = s.RSELimit > 0 && res.RSE > s.RSELimit
		if math.IsNaN(se) && !count && !math.IsNaN(res.Estimate) {
			res.Note = "no standard error: the estimate is undefined in some replicate"
		}
	}
	d := make([]float64, R)
	diff := func(i, j int) (float64, float64, string) {
		for r := range d {
			d[r] = reps[i][r] - reps[j][r]
		}
		return rp.SE(results[i].Estimate-results[j].Estimate, d), t, diffMethod(method)
	}
	return diff, nil
}
