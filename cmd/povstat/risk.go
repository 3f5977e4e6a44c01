package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/povstat/povstat/pipeline"
)

const riskSynopsis = `--input PATH [--input PATH ...] --id COL --year COL --income COL --weight COL
       --line NAME=SPEC [--features COL[:num|:cat],...] [--region COL]
       [--population exited|nonpoor|all] [--test-year T] [--top-k 0.05,0.10,0.20]
       [--penalty L] [--tiers 0.3,0.1 | --tiers top:0.05,0.20]
       [--rule NAME=EXPR ...] [--rules FILE] [--scores-out FILE] [--format json|csv|table]
       [--strata COL] [--psu COL] [--se linearized|bootstrap|replicates] [--replicates 500] [--seed S]
       [--repweights PREFIX*] [--reptype bootstrap|JK1|JKn|BRR|Fay] [--level 0.95]

Fits a return-to-poverty risk score on a household panel and validates it on
the test year (the last year by default). The population at risk in year t is
the households not poor in t-1 that were poor before (--population exited),
all households not poor in t-1 (nonpoor) or all households (all); the event is
being poor in t under the (first) line. Features come from t-1 and before only:
log income over the line, the income change from t-2, years poor so far, the
income volatility (SD of the log income changes up to t-1), with --region the
region's poverty rate and return rate in t-1, and the columns of --features:
Parquet numbers are numeric, Parquet booleans and strings categorical (one
indicator per level, the most frequent level the base), CSV columns numeric
when every value is a number; COL:num or COL:cat forces the kind. The model is
a weighted logistic regression (gonum/optimize, Newton) on standardised
features, trained on years before the test year, with an L2 penalty chosen by
rolling-origin cross-validation over the training years (train on years < t,
validate on t; grid 1e-4..10) unless --penalty fixes it. Rows (model "score",
and "rule:NAME" for each monitoring rule, which flags in t-1): auc with a
DeLong confidence interval, brier (score), capture_at_k (share of the returns
to poverty among the top k share of households; for a rule, among its flagged
households, at = their share), events and n; for the score also a calibration
table over the weighted deciles of the score (calibration, cell D1..D10: the
observed rate of returns; calibration_predicted: the mean score),
calibration_error, capture_curve (at = 0.02..1) and score_distribution (at =
bin 0..0.95 of width 0.05, cell returned or not_returned); then penalty,
cv_log_loss (at = penalty), coefficient and odds_ratio (per SD; cell: feature)
and, with --region, scored (households by region and tier, cell the tier).
--tiers sets the score thresholds of the high and medium tiers (default
0.3,0.1), or with top: the shares of households in them. --scores-out writes
one CSV row per scored household: id, year, score, tier, returned (0/1),
weight, the top three reasons (features raising the score most) and the rules
that flagged it.

With --se bootstrap (Rao-Wu over --strata and --psu) or replicates
(--repweights), the validation rows of the score and the rules (but the AUC,
which keeps DeLong's interval) get replicate standard errors with the model,
the line and the population at risk held fixed: the sampling error of
measuring a given score on the test year. The coefficients and odds ratios
get standard errors under every method, the penalty held fixed: linearized,
the sandwich of the penalised estimating equation over the design; bootstrap
or replicates, the model fitted again per replicate. The penalty rows have
none.`

func cmdRisk(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("risk", riskSynopsis, stderr)
	var f studyFlags
	f.registerData(fs)
	fs.Var(&f.lines, "line", "poverty line `NAME=SPEC`, e.g. rel=median:0.6@year (the first one is used)")
	id := fs.String("id", "", "household id `COL`umn")
	year := fs.String("year", "", "year `COL`umn (a hive partition such as year=2020/ is one)")
	features := fs.String("features", "", "feature `COL[:num|:cat],...` taken in the year before the outcome (kind by column type unless suffixed)")
	region := fs.String("region", "", "region `COL`umn: regional poverty and return rates as features, scored counts by region")
	penalty := fs.Float64("penalty", 0, "fixed L2 `PENALTY` on standardised features (default: chosen by cross-validation)")
	tiers := fs.String("tiers", "", "tier thresholds `HIGH,MEDIUM` of the score (default 0.3,0.1), or top:SHARE,SHARE of households")
	population := fs.String("population", "exited", "population at risk: exited, nonpoor or all")
	testYear := fs.String("test-year", "", "`YEAR` to score and validate (default: the last year)")
	topK := fs.String("top-k", "0.05,0.10,0.20", "shares `K,...` of households that can be visited")
	var ruleFlags listFlag
	fs.Var(&ruleFlags, "rule", "monitoring rule `NAME=EXPR` (repeatable) validated beside the score")
	rulesFile := fs.String("rules", "", "`FILE` of monitoring rules, one NAME=EXPR a line")
	scoresOut := fs.String("scores-out", "", "write the scores of the test year as CSV to `FILE`")
	format := fs.String("format", "json", "output format: json, csv or table")
	f.registerDesign(fs)
	if err := parseOptions(fs, args); err != nil {
		return err
	}
	if *id == "" || *year == "" {
		return usagef("--id and --year are required")
	}
	if len(f.lines) == 0 {
		return usagef("--line is required")
	}
	r := pipeline.Risk{ID: *id, Year: *year, Features: splitList(*features), Population: *population, TestYear: *testYear, Region: *region}
	if *penalty < 0 || math.IsNaN(*penalty) || math.IsInf(*penalty, 0) {
		return usagef("--penalty %v: want a number > 0", *penalty)
	}
	r.Penalty = *penalty
	if *tiers != "" {
		spec, shares := strings.CutPrefix(*tiers, "top:")
		r.TierShares = shares
		for _, v := range splitList(spec) {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return usagef("--tiers %q: %q is not a number", *tiers, v)
			}
			r.Tiers = append(r.Tiers, x)
		}
		switch {
		case len(r.Tiers) != 2:
			return usagef("--tiers %q: want two values, high then medium", *tiers)
		case shares && !(r.Tiers[0] > 0 && r.Tiers[0] <= r.Tiers[1] && r.Tiers[1] <= 1):
			return usagef("--tiers %q: want shares 0 < high <= medium <= 1", *tiers)
		case !shares && !(r.Tiers[0] >= r.Tiers[1] && r.Tiers[1] >= 0 && r.Tiers[0] <= 1):
			return usagef("--tiers %q: want thresholds 1 >= high >= medium >= 0", *tiers)
		}
	}
	switch r.Population {
	case "exited", "nonpoor", "all":
	default:
		return usagef("--population %q: want exited, nonpoor or all", r.Population)
	}
	for _, k := range splitList(*topK) {
		v, err := strconv.ParseFloat(k, 64)
		if err != nil || !(v > 0 && v <= 1) {
			return usagef("--top-k %q: want shares 0 < k <= 1", k)
		}
		r.TopK = append(r.TopK, v)
	}
	if r.TopK == nil {
		r.TopK = []float64{}
	}
	rules, err := readRules(*rulesFile, ruleFlags)
	if err != nil {
		return err
	}
	r.Rules = rules
	if err := checkFormat(*format); err != nil {
		return err
	}
	s, err := f.study()
	if err != nil {
		return err
	}
	s.Name = "risk"
	out, err := pipeline.RunRisk(ctx, s, r)
	if err != nil {
		return err
	}
	if *scoresOut != "" {
		if err := pipeline.WriteFileAtomic(*scoresOut, pipeline.EncodeScores(out.Scores, *id, *year, s.Weight)); err != nil {
			return fmt.Errorf("--scores-out: %w", err)
		}
	}
	return writeResults(stdout, stderr, *format, out.Results, append(out.Rows.Warnings(), out.Warnings...))
}
