// Package indices computes poverty and inequality statistics from columns of
// incomes and sampling weights.
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
// Poverty is strict: a unit is poor when its income is strictly below the
// line, x < z, as in Eurostat's at-risk-of-poverty rate and R laeken's arpr.
package indices
