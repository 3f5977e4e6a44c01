// Package indices computes poverty and inequality statistics, and their
// design-based variances, from columns of incomes and sampling weights.
//
// Every function is pure: it reads its arguments, never modifies them unless
// its name says so (InPlace), does no I/O and keeps no state. Weights are an
// argument; nil weights mean every unit has weight 1. Weights must be
// non-negative; a unit with weight 0 takes no part in an estimate, so a domain
// is estimated by giving the units outside it weight 0 (or by a mask), over the
// full sample.
//
// Misuse (slices of different lengths, a probability outside [0, 1], a
// negative weight) panics. An estimate that does not exist for valid input (an
// empty domain, a total weight of zero, a poverty line of zero) is NaN, and the
// documentation of each function says when.
//
// Conventions:
//
//   - Poverty is strict: a unit is poor when its income is strictly below the
//     line, x < z, as in Eurostat's at-risk-of-poverty rate and R laeken's arpr.
//   - Quantiles follow the Eurostat definition of R laeken (Quantile).
//   - The Gini coefficient is laeken's weighted formula (Gini); R convey's
//     differs slightly with non-unit weights.
//   - Measures undefined for some incomes leave those units out (R convey's
//     rule): Watts, GE(alpha <= 1) (Theil T and L) and Atkinson(epsilon >= 1)
//     leave out incomes <= 0, the other GE and Atkinson members incomes < 0;
//     NonPositive and Negative count them.
//   - Quantile groups (Shares, QSR, Palma) put a unit at a cut point in the
//     group below it.
//   - Accumulators (PovertySums, EntropySums, ShareSums, GiniSums) compute
//     many domains in one pass and merge across partitions. Floating-point
//     sums depend on their order; a caller that wants the same bits from
//     any partitioning fixes the order: blocks summed from zero and merged
//     in block order, the Gini's histogram buckets joined in order
//     (GiniByBucket), quantiles by the two-pass histograms over the blocks
//     (QuantilesBlocked gives the same bits from a sorted copy).
//
// Variance: Linearized(d Design, infl) is the Taylor-linearization variance
// of a stratified one-stage (with replacement) design, as R survey's
// svyrecvar, for an estimator's influence function (the XxxInfluence
// functions, as R convey); WoodruffInterval gives quantile intervals; the
// Replicates type gives bootstrap (Rao-Wu), jackknife and BRR variances.
package indices
