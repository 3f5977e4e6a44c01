package pipeline

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/povstat/povstat/datasets"
)

// ErrTooFewEvents reports a panel with too few returns to poverty (or too
// few households that did not return) to fit or validate a risk score.
var ErrTooFewEvents = errors.New("too few events")

// DefaultRiskPenalty is the L2 penalty of the risk model (see FitLogistic)
// on standardised features.
const DefaultRiskPenalty = 1e-3

// Risk asks for a return-to-poverty risk score fitted on a household panel
// and validated on its last (or a chosen) year.
type Risk struct {
	// ID and Year name the household id and year columns, as in Dynamics.
	ID, Year string
	// Features are columns taken in the year before the outcome, numeric
	// or categorical by their type (see riskFeatureKinds: Parquet numbers
	// are numeric, Parquet booleans and strings categorical, CSV columns
	// numeric when every value is a number); a NAME:num or NAME:cat suffix
	// forces the kind. A categorical feature enters as one indicator per
	// level, the most frequent level in training being the base. A null
	// value is replaced by the training mean.
	Features []string
	// Population is "exited" (not poor in t−1, poor in some year before;
	// the default when ""), "nonpoor" (not poor in t−1) or "all".
	Population string
	// TestYear is the year scored and validated; the last year when "".
	TestYear string
	// TopK are the shares of households that can be visited; 0.05, 0.10
	// and 0.20 when nil.
	TopK []float64
	// Rules are monitoring rules (see Rule) validated beside the score,
	// each flagging a household in t−1.
	Rules []Rule
	// Penalty is a fixed L2 penalty; when 0 it is chosen by rolling-origin
	// cross-validation over the training years (see RollingPenaltyCV)
	// among PenaltyGrid (DefaultPenaltyGrid when nil).
	Penalty     float64
	PenaltyGrid []float64
	// Region names a region column (categorical): it adds the features
	// region_poverty_rate and region_return_rate (see regionRates) and the
	// scored rows by region and tier.
	Region string
	// Tiers are the score thresholds {high, medium} (DefaultRiskTiers when
	// nil) or, with TierShares, the shares {high, medium} of the test
	// year's weight (see Tiers).
	Tiers      []float64
	TierShares bool
}

// RiskScore is the score of one household of the test year.
type RiskScore struct {
	ID, Year string
	Score    float64
	// Tier is "high", "medium" or "low" (see Tiers).
	Tier     string
	Returned bool
	Weight   float64
	// Region is the household's region in t−1 (with Risk.Region).
	Region string
	// Reasons are the features that raise the score most (see riskReasons),
	// at most three.
	Reasons []string
	// Rules names the rules that flagged the household in t−1.
	Rules []string
}

// Coefficient is a coefficient of the risk model on standardised
// features (the intercept has Feature "(intercept)"), with the training
// mean and standard deviation used to standardise.
type Coefficient struct {
	Feature        string
	Value          float64
	Mean, SD       float64
	OddsRatioPerSD float64
}

// RiskOutput is the outcome of RunRisk.
type RiskOutput struct {
	Results      []Result
	Scores       []RiskScore
	Coefficients []Coefficient
	// Penalty is the L2 penalty of the fit (fixed or cross-validated).
	Penalty  float64
	Rows     RowCounts
	Warnings []string
}

// Built-in features of the risk model, computed from the household's own
// history up to t−1.
var riskBuiltins = []string{"log_income_ratio", "income_change", "income_change_missing", "years_poor", "years_since_poor", "income_volatility"}

// Built-in features added with a region column.
var riskRegionBuiltins = []string{"region_poverty_rate", "region_return_rate"}

// RunRisk fits a return-to-poverty score and validates it. It reads and
// links the panel as RunDynamics does and classifies each household-year
// as poor under the first line of s (x < z). A pair (t−1 → t) of one
// household is in the population at risk when the household has a status
// in both years, is not poor in t−1 and (Population "exited") was poor in
// some year before t−1; the event is being poor in t. Each pair has the
// weight of year t.
//
// Features of a pair come only from years up to t−1: the built-ins
// log_income_ratio = ln(x/z) in t−1 (the ratio floored at 1e-3),
// income_change = ln(x_{t−1}/x_{t−2}) (0 with income_change_missing = 1
// when there is no positive income in t−2), years_poor (years poor up to
// t−1), years_since_poor (waves from the last poor year to t−1: 1 for a
// household that left poverty in t−1; missing for one never poor),
// income_volatility (the SD of the household's log income changes up
// to t−1, see panel.volatility), with r.Region region_poverty_rate and
// region_return_rate in t−1 (see regionRates), then the numeric columns of
// r.Features in t−1 and an indicator for each non-base level of its
// categorical columns (see encodeCategorical). Features are standardised
// with the (unweighted) mean and SD of the training pairs (t before the
// test year; a missing value takes the mean) and the model is FitLogistic
// on them, with r.Penalty or the penalty chosen by RollingPenaltyCV over
// the training years (folds: the outcome years); the test year's pairs are
// then scored. Nothing of the test year enters the fit.
//
// The rows, all in the domain {year: test year} with the line's name:
// for model "score" auc (with a DeLong CI, se_method "delong"), brier,
// capture_at_k (at = k) for each k, the calibration table (calibration,
// cell D1..D10: the observed event rate of each weighted decile of the
// score, see Calibration; calibration_predicted: the decile's mean score;
// n and population: the decile's units), calibration_error (see
// CalibrationError), events and n, then capture_curve and
// score_distribution (see curveRows); for each rule ("rule:NAME", the
// rule's flag in t−1 as a 0/1 score) auc, capture_at_k (at = the flagged
// share of the weight), events and n; then penalty (the L2 penalty of the
// fit, with a note saying how it was chosen) and cv_log_loss (at = each
// penalty of the grid, see RollingPenaltyCV), coefficient rows (model
// "score", cell the feature, on the standardised scale) and odds_ratio
// rows (exp of each slope: the odds ratio per SD of the feature, or for an
// indicator per SD of the indicator); with r.Region, scored rows (see
// scoredRows) in the domain {year, region}. Without events or non-events
// in training it returns an error wrapping ErrTooFewEvents; without them in
// the test year the validation estimates are NaN with a note.
func RunRisk(ctx context.Context, s *Study, r Risk) (*RiskOutput, error) {
	if err := r.check(s); err != nil {
		return nil, err
	}
	d := Dynamics{ID: r.ID, Year: r.Year, Rules: r.Rules}
	extra, err := panelColumns(d)
	if err != nil {
		return nil, err
	}
	feats, err := parseRiskFeatures(r.Features)
	if err != nil {
		return nil, err
	}
	kinds := map[string]datasets.Kind{}
	for _, e := range extra {
		kinds[e.req.Name] = e.req.Kind
	}
	for _, f := range feats {
		if f.name == r.ID || f.name == r.Year || f.name == r.Region || slices.Contains(riskBuiltins, f.name) || slices.Contains(riskRegionBuiltins, f.name) {
			return nil, fmt.Errorf("risk: feature %q: not a column usable as a feature", f.name)
		}
	}
	if r.Region != "" {
		if k, ok := kinds[r.Region]; ok && k != datasets.Categorical {
			return nil, fmt.Errorf("risk: region %q is used as a number by a rule", r.Region)
		}
		if _, ok := kinds[r.Region]; !ok {
			extra = append(extra, extraColumn{key: "region", req: datasets.Request{Name: r.Region, Kind: datasets.Categorical}})
			kinds[r.Region] = datasets.Categorical
		}
	}
	if len(feats) > 0 {
		infos, err := datasets.Inspect(s.Inputs)
		if err != nil {
			return nil, fmt.Errorf("inspect inputs: %w", err)
		}
		riskFeatureKinds(feats, infos, kinds)
		for _, f := range feats {
			if _, ok := kinds[f.name]; !ok {
				extra = append(extra, extraColumn{key: "feature " + f.name, req: datasets.Request{Name: f.name, Kind: f.kind}})
			}
		}
	}
	ld, err := load(ctx, s, loadOptions{extra: extra})
	if err != nil {
		return nil, err
	}
	var nums, cats []featureValues
	for _, f := range feats {
		fv, err := readFeature(f, ld.tbl.Column(f.name))
		if err != nil {
			return nil, err
		}
		if fv.num != nil {
			nums = append(nums, fv)
		} else {
			cats = append(cats, fv)
		}
	}
	out := &RiskOutput{Rows: RowCounts{Read: ld.tbl.Rows, Used: len(ld.u.x), Rules: ld.scr.Rules}}
	p, err := linkPanel(ld, d)
	if err != nil {
		return nil, err
	}
	out.Warnings = p.warnings
	l := s.Lines[0]
	if len(s.Lines) > 1 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("risk uses the first line, %q; the others are ignored", l.Name))
	}
	if l.Basis != "abs" && !slices.Contains(l.By, d.Year) {
		out.Warnings = append(out.Warnings, fmt.Sprintf("line %q is not grouped by %s: one value over all years pooled (write e.g. median:0.6@%s for a line per year)", l.Name, d.Year, d.Year))
	}
	lv, err := refLine(ld.u, l)
	if err != nil {
		return nil, err
	}
	status, _ := p.statuses(lv, 1.5)
	test := len(p.years) - 1
	if r.TestYear != "" {
		if test = slices.Index(p.years, r.TestYear); test < 0 {
			return nil, fmt.Errorf("risk: test year %s=%s is not in the data (years %s)", r.Year, r.TestYear, strings.Join(p.years, ", "))
		}
	}
	if test < 2 {
		return nil, fmt.Errorf("risk: test year %s=%s: %w: need at least two earlier years to train on", r.Year, p.years[test], ErrTooFewEvents)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var flagged [][]bool
	if len(r.Rules) > 0 {
		flagged = p.evalRules(r.Rules, lv)
	}
	pr := p.riskPairs(status, lv, r)
	enc := &riskEncoding{names: slices.Clone(riskBuiltins)}
	var region *datasets.Column
	if r.Region != "" {
		region = ld.tbl.Column(r.Region)
		codes := slices.Clone(region.Codes)
		for row := range codes {
			if region.Null != nil && region.Null[row] {
				codes[row] = -1
			}
		}
		pr.regionRates(p, status, codes, len(region.Levels))
		enc.names = append(enc.names, riskRegionBuiltins...)
	}
	pr.appendNumeric(nums)
	for _, fv := range nums {
		enc.names = append(enc.names, fv.name)
	}
	train, score := pr.split(test)
	pr.encodeCategorical(enc, cats, train)
	names := enc.names
	mean, sd := standardizeRows(pr.x, train)
	sub := func(set []int) (ev []bool, w []float64) {
		for _, q := range set {
			ev = append(ev, pr.event[q])
			w = append(w, p.u.w[pr.unit[q]])
		}
		return ev, w
	}
	trEv, trW := sub(train)
	v := riskRows{dom: []DomainValue{{Column: r.Year, Value: p.years[test]}}, line: l.Name}
	if !hasBoth(trEv, trW) {
		return nil, fmt.Errorf("risk: training on %s before %s: %w to fit (%d pairs at risk, %d returns to poverty): need both returns and non-returns",
			r.Year, p.years[test], ErrTooFewEvents, len(train), countTrue(trEv))
	}
	trX := make([][]float64, len(train))
	trFold := make([]int, len(train))
	for a, q := range train {
		trX[a], trFold[a] = pr.x[q], pr.wave[q]
	}
	penalty, penRows, err := choosePenalty(r, trX, trEv, trW, trFold, v)
	if err != nil {
		return nil, err
	}
	out.Penalty = penalty
	trZ := designRows(pr.x, train, mean, sd)
	b, err := FitLogistic(trZ, trEv, trW, penalty)
	if err != nil {
		return nil, fmt.Errorf("risk: training on %s before %s (%d pairs at risk, %d returns to poverty): %w", r.Year, p.years[test], len(train), countTrue(trEv), err)
	}
	out.Coefficients = append(out.Coefficients, Coefficient{Feature: "(intercept)", Value: b[0], OddsRatioPerSD: math.Exp(b[0])})
	for k, n := range names {
		out.Coefficients = append(out.Coefficients, Coefficient{Feature: n, Value: b[k+1], Mean: mean[k], SD: sd[k], OddsRatioPerSD: math.Exp(b[k+1])})
	}
	ev, w := sub(score)
	v.ev, v.w = ev, w
	zs := designRows(pr.x, score, mean, sd)
	sc := make([]float64, len(score))
	for a, z := range zs {
		sc[a] = sigmoid(linear(b, z))
	}
	thresholds := r.Tiers
	if thresholds == nil {
		thresholds = DefaultRiskTiers
	}
	tiers := Tiers(sc, w, thresholds, r.TierShares)
	for a, q := range score {
		i, row := pr.unit[q], pr.row[q]
		rs := RiskScore{ID: p.idf.levels[p.hh[i]], Year: p.years[test], Score: sc[a], Tier: tiers[a], Returned: ev[a], Weight: w[a]}
		if region != nil {
			rs.Region = region.Levels[region.Codes[row]]
		}
		rs.Reasons = riskReasons(b[1:], zs[a], enc, func(c int) int32 { return cats[c].codes[row] }, 3)
		for ri, rule := range r.Rules {
			if flagged[ri][pr.prev[q]] {
				rs.Rules = append(rs.Rules, rule.Name)
			}
		}
		out.Scores = append(out.Scores, rs)
	}
	slices.SortStableFunc(out.Scores, func(a, b RiskScore) int { return compareLevels(a.ID, b.ID) })
	// The validation rows of the score and the rules, over the scored pairs
	// with weights w (the full sample's, or a replicate's).
	ruleFlags := make([][]float64, len(r.Rules))
	for ri := range r.Rules {
		ruleFlags[ri] = make([]float64, len(score))
		for a, q := range score {
			if flagged[ri][pr.prev[q]] {
				ruleFlags[ri][a] = 1
			}
		}
	}
	validation := func(w []float64) []Result {
		vw := v
		vw.w = w
		rows := vw.model("score", sc, r.TopK, true)
		rows = append(rows, vw.curveRows(sc)...)
		for ri, rule := range r.Rules {
			rows = append(rows, vw.model("rule:"+rule.Name, ruleFlags[ri], nil, false)...)
		}
		return rows
	}
	out.Results = validation(w)
	nValidation := len(out.Results)
	out.Results = append(out.Results, penRows...)
	// The coefficients and odds ratios of fitted coefficients b.
	coefRows := func(b []float64) []Result {
		var rows []Result
		for _, ind := range []string{"coefficient", "odds_ratio"} {
			for k, c := range out.Coefficients {
				est := b[k]
				if ind == "odds_ratio" {
					if c.Feature == "(intercept)" {
						continue
					}
					est = math.Exp(b[k])
				}
				rows = append(rows, Result{Indicator: ind, Model: "score", Line: l.Name, Domain: v.dom,
					Cell: c.Feature, Estimate: est, N: len(train), Population: sumFloat(trW)})
			}
		}
		return rows
	}
	nCoef := len(out.Results)
	out.Results = append(out.Results, coefRows(b)...)
	coefEnd := len(out.Results)
	if region != nil {
		out.Results = append(out.Results, scoredRows(out.Scores, l.Name, r.Year, p.years[test], r.Region)...)
	}
	if s.SEMethod != "" && s.SEMethod != "none" {
		trUnits := make([]int32, len(train))
		for a, q := range train {
			trUnits[a] = int32(pr.unit[q])
		}
		if err := riskErrors(ctx, s, ld.u, out.Results, riskSE{
			validation: func(ru *units) []Result {
				wr := make([]float64, len(score))
				for a, q := range score {
					wr[a] = ru.w[pr.unit[q]]
				}
				return validation(wr)
			},
			coefficients: coefRows,
			nValidation:  nValidation, coefFrom: nCoef, coefTo: coefEnd,
			z: trZ, ev: trEv, units: trUnits, b: b, penalty: penalty,
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// riskSE is what riskErrors needs of a fitted score: its validation rows
// and coefficient rows over given weights (results[:nValidation] and
// results[coefFrom:coefTo]), and the training rows (standardised
// features z, events ev, the units of the pairs), coefficients b and
// penalty of the fit.
type riskSE struct {
	validation       func(ru *units) []Result
	coefficients     func(b []float64) []Result
	nValidation      int
	coefFrom, coefTo int
	z                [][]float64
	ev               []bool
	units            []int32
	b                []float64
	penalty          float64
}

// riskErrors gives the rows of a risk score their standard errors.
//
// The validation rows hold the model, the line and the population at
// risk fixed: under the bootstrap or replicate weights they vary with the
// weights of the scored pairs only (the AUC keeps DeLong's interval).
//
// The coefficients hold the penalty, the standardisation and the line
// fixed. Linearized, they take the sandwich of the penalised estimating
// equation g(b) = sum_i w_i s_i / W + lambda P b = 0, s_i = (p_i - e_i)
// (1, z_i), P = diag(0, 1, ..., 1): pair i's linearized variable is
//
//	u_i = -H^-1 (s_i + lambda P b) / W,  H = sum_i w_i p_i (1 - p_i) (1, z_i)(1, z_i)' / W + lambda P
//
// (with lambda = 0, R survey's svyglm), the odds ratio's SE exp(b_k) times
// b_k's and its interval exp(b_k -+ t se). Under the bootstrap or
// replicate weights the model is fitted again (FitLogistic) with each
// replicate's weights of the training pairs.
//
// The penalty, cross-validation and region rows have none.
func riskErrors(ctx context.Context, s *Study, u *units, results []Result, r riskSE) error {
	coef := func(i int) bool { return i >= r.coefFrom && i < r.coefTo }
	for i := range results {
		if i >= r.nValidation && !coef(i) || s.SEMethod == "linearized" && !coef(i) {
			markNoSE(s, &results[i])
		}
	}
	if s.SEMethod == "linearized" {
		return riskLinearizedCoefficients(s, u, results[r.coefFrom:r.coefTo], r)
	}
	trW := make([]float64, len(r.units))
	estimate := func(ctx context.Context, ru *units) ([]Result, error) {
		rows := r.validation(ru)
		for a, i := range r.units {
			trW[a] = ru.w[i]
		}
		if b, err := FitLogistic(r.z, r.ev, trW, r.penalty); err == nil {
			rows = append(rows, r.coefficients(b)...)
		}
		return alignResults(results, rows), nil
	}
	if err := sectionReplicateErrors(ctx, s, u, results, estimate); err != nil {
		return err
	}
	// An odds ratio's interval is exp of its coefficient's.
	coefOf := map[string]Result{}
	for i := r.coefFrom; i < r.coefTo; i++ {
		if c := results[i]; c.Indicator == "coefficient" {
			coefOf[c.Cell] = c
		}
	}
	for i := range results {
		res := &results[i]
		if strings.HasPrefix(res.SEMethod, "bootstrap") || strings.HasPrefix(res.SEMethod, "replicate") {
			if coef(i) {
				res.SEMethod += ", penalty and line fixed"
			} else {
				res.SEMethod += ", model and line fixed"
			}
		}
		if c, ok := coefOf[res.Cell]; ok && coef(i) && res.Indicator == "odds_ratio" && c.SE > 0 {
			t := (c.CIUpper - c.Estimate) / c.SE
			res.CILower, res.CIUpper = math.Exp(c.Estimate-t*c.SE), math.Exp(c.Estimate+t*c.SE)
		}
		if coef(i) && res.Indicator == "coefficient" {
			res.Unreliable = false // a coefficient near 0 has a large RSE whatever its SE
		}
		markNoSE(s, res)
	}
	return nil
}

// riskLinearizedCoefficients sets the linearized SEs of the coefficient
// and odds ratio rows (see riskErrors).
func riskLinearizedCoefficients(s *Study, u *units, rows []Result, r riskSE) error {
	e, err := newVarEngine(s, u)
	if err != nil {
		return err
	}
	np := len(r.b)
	W := 0.0
	for _, i := range r.units {
		W += u.w[i]
	}
	H := mat.NewSymDense(np, nil)
	zi := make([]float64, np)
	pOf := make([]float64, len(r.z))
	for a, z := range r.z {
		zi[0] = 1
		copy(zi[1:], z)
		p := sigmoid(linear(r.b, z))
		pOf[a] = p
		H.SymRankOne(H, u.w[r.units[a]]*p*(1-p)/W, mat.NewVecDense(np, zi))
	}
	for k := 1; k < np; k++ {
		H.SetSym(k, k, H.At(k, k)+r.penalty)
	}
	var ch mat.Cholesky
	if !ch.Factorize(H) {
		for i := range rows {
			markNoSE(s, &rows[i])
		}
		return nil
	}
	var hinv mat.SymDense
	if err := ch.InverseTo(&hinv); err != nil {
		return err
	}
	// The linearized variable of every coefficient at each pair.
	infl := make([][]float64, np) // infl[k][a]
	for k := range infl {
		infl[k] = make([]float64, len(r.z))
	}
	g := make([]float64, np)
	for a, z := range r.z {
		ev := 0.0
		if r.ev[a] {
			ev = 1
		}
		g[0] = pOf[a] - ev
		for k, v := range z {
			g[k+1] = (pOf[a]-ev)*v + r.penalty*r.b[k+1]
		}
		for k := range np {
			sum := 0.0
			for m := range np {
				sum += hinv.At(k, m) * g[m]
			}
			infl[k][a] = -sum / W
		}
	}
	rs := &ratioSE{e: e, u: u, s: s}
	method := e.methodName() + ", penalty and line fixed"
	byUnit := make(map[int32]int, len(r.units))
	for a, i := range r.units {
		byUnit[i] = a
	}
	for i := range rows {
		row := &rows[i]
		k := 0 // the coefficient of the row: rows list the coefficients, then the odds ratios of all but the intercept
		if row.Indicator == "coefficient" {
			k = i
		} else {
			k = i - np + 1
		}
		b := r.b[k]
		est := row.Estimate
		row.Estimate = b
		rs.ratio(row, r.units, func(j int) float64 { return infl[k][byUnit[int32(j)]] }, nil)
		row.Estimate = est
		se := row.SE
		if row.Indicator == "odds_ratio" {
			row.SE = est * se
			row.CILower, row.CIUpper = math.Exp(b-e.t*se), math.Exp(b+e.t*se)
		} else {
			row.CILower, row.CIUpper = e.interval(b, se)
		}
		row.RSE = row.SE / math.Abs(est)
		// A coefficient near 0 has a large RSE whatever its SE: only odds
		// ratios are flagged.
		row.Unreliable = row.Indicator == "odds_ratio" && s.RSELimit > 0 && row.RSE > s.RSELimit
		row.SEMethod = method
	}
	return nil
}

// check validates r and fills its defaults.
func (r *Risk) check(s *Study) error {
	if r.ID == "" || r.Year == "" {
		return errors.New("risk: the id and year columns are required")
	}
	if len(s.Lines) == 0 {
		return errors.New("risk: a poverty line is required")
	}
	switch r.Population {
	case "":
		r.Population = "exited"
	case "exited", "nonpoor", "all":
	default:
		return fmt.Errorf("risk: population %q: want exited, nonpoor or all", r.Population)
	}
	if r.TopK == nil {
		r.TopK = []float64{0.05, 0.10, 0.20}
	}
	for _, k := range r.TopK {
		if !(k > 0 && k <= 1) {
			return fmt.Errorf("risk: top-k share %v: want 0 < k <= 1", k)
		}
	}
	if r.Penalty < 0 || math.IsNaN(r.Penalty) || math.IsInf(r.Penalty, 0) {
		return fmt.Errorf("risk: penalty %v: want a positive number (or 0 to choose it by cross-validation)", r.Penalty)
	}
	if r.PenaltyGrid != nil && len(r.PenaltyGrid) == 0 {
		return errors.New("risk: empty penalty grid")
	}
	for _, g := range r.PenaltyGrid {
		if !(g >= 0) || math.IsInf(g, 0) {
			return fmt.Errorf("risk: penalty grid value %v: want a number >= 0", g)
		}
	}
	if r.Tiers != nil {
		if len(r.Tiers) != 2 {
			return fmt.Errorf("risk: tiers %v: want two thresholds, high then medium", r.Tiers)
		}
		hi, med := r.Tiers[0], r.Tiers[1]
		switch {
		case r.TierShares && !(hi > 0 && hi <= med && med <= 1):
			return fmt.Errorf("risk: tier shares %v: want 0 < high <= medium <= 1", r.Tiers)
		case !r.TierShares && !(hi >= med && med >= 0 && hi <= 1):
			return fmt.Errorf("risk: tier thresholds %v: want 1 >= high >= medium >= 0", r.Tiers)
		}
	} else if r.TierShares {
		return errors.New("risk: tier shares need the shares (Tiers)")
	}
	return nil
}

func countTrue(v []bool) int {
	n := 0
	for _, b := range v {
		if b {
			n++
		}
	}
	return n
}

// panelColumns lists the id, year and rule columns of a panel job.
func panelColumns(d Dynamics) ([]extraColumn, error) {
	extra := []extraColumn{
		{key: "id", req: datasets.Request{Name: d.ID, Kind: datasets.Categorical}},
		{key: "year", req: datasets.Request{Name: d.Year, Kind: datasets.Categorical}},
	}
	kinds := map[string]datasets.Kind{d.ID: datasets.Categorical, d.Year: datasets.Categorical}
	for _, r := range d.Rules {
		num, trait := r.columns()
		add := func(c string, k datasets.Kind) error {
			if old, ok := kinds[c]; ok {
				if old != k {
					return fmt.Errorf("rule %q: column %q is used both as a number and as a trait or key", r.Name, c)
				}
				return nil
			}
			kinds[c] = k
			extra = append(extra, extraColumn{key: "rule " + r.Name, req: datasets.Request{Name: c, Kind: k}})
			return nil
		}
		for _, c := range num {
			if err := add(c, datasets.Numeric); err != nil {
				return nil, err
			}
		}
		if trait != "" {
			if err := add(trait, datasets.Categorical); err != nil {
				return nil, err
			}
		}
	}
	return extra, nil
}

// riskPairs are the household pairs (t−1 → t) at risk.
type riskPairs struct {
	unit, prev []int       // unit of year t and of year t−1
	row        []int       // table row of the unit of t−1
	wave       []int       // wave of t
	event      []bool      // poor at t
	x          [][]float64 // features; NaN where missing
}

// riskPairs finds the pairs at risk with their built-in features (see
// RunRisk).
func (p *panel) riskPairs(status []int8, lv *lineValues, r Risk) *riskPairs {
	pr := &riskPairs{}
	nw := p.nw()
	for i := range p.u.x {
		j := p.prev(i)
		if j < 0 || status[i] < 0 || status[j] < 0 {
			continue
		}
		if r.Population != "all" && status[j] == statusPoor {
			continue
		}
		h, k := int(p.hh[i]), p.wave[i]
		poorYears, before, last := 0, false, -1
		for m := 0; m < k; m++ {
			if u := p.at[h*nw+m]; u >= 0 && status[u] == statusPoor {
				poorYears++
				last = m
				if m < k-1 {
					before = true
				}
			}
		}
		if r.Population == "exited" && !before {
			continue
		}
		x := make([]float64, 0, len(riskBuiltins)+len(riskRegionBuiltins)+len(r.Features))
		x = append(x, math.Log(math.Max(p.u.x[j]/lv.z[j], 1e-3)))
		if jj := p.prev(j); jj >= 0 && p.u.x[jj] > 0 && p.u.x[j] > 0 {
			x = append(x, math.Log(p.u.x[j]/p.u.x[jj]), 0)
		} else {
			x = append(x, 0, 1)
		}
		since := math.NaN()
		if last >= 0 {
			since = float64(k - 1 - last)
		}
		x = append(x, float64(poorYears), since, p.volatility(h, k-1))
		pr.unit = append(pr.unit, i)
		pr.prev = append(pr.prev, j)
		pr.row = append(pr.row, p.rowOf[j])
		pr.wave = append(pr.wave, k)
		pr.event = append(pr.event, status[i] == statusPoor)
		pr.x = append(pr.x, x)
	}
	return pr
}

// split returns the training pairs (t before the test wave) and the test
// pairs (t the test wave).
func (pr *riskPairs) split(test int) (train, score []int) {
	for q, k := range pr.wave {
		switch {
		case k < test:
			train = append(train, q)
		case k == test:
			score = append(score, q)
		}
	}
	return train, score
}

// riskRows builds the validation rows of the test year.
type riskRows struct {
	dom  []DomainValue
	line string
	ev   []bool
	w    []float64
}

func (v riskRows) model(name string, score []float64, topK []float64, isScore bool) []Result {
	n, pop := len(score), sumFloat(v.w)
	var nEv int
	var wEv float64
	for a, e := range v.ev {
		if e {
			nEv++
			wEv += v.w[a]
		}
	}
	note := ""
	if nEv == 0 || nEv == n {
		note = "the test year has no events or no non-events: no validation"
	}
	row := func(ind string, est float64) Result {
		r := Result{Indicator: ind, Model: name, Line: v.line, Domain: v.dom, Estimate: est, N: n, Population: pop}
		if math.IsNaN(est) {
			r.Note = note
		}
		return r
	}
	auc, variance := AUC(score, v.ev, v.w)
	ar := row("auc", auc)
	se := math.Sqrt(variance)
	ar.SEMethod, ar.SE, ar.RSE, ar.Deff = "delong", se, se/auc, math.NaN()
	ar.CILower, ar.CIUpper = math.Max(0, auc-1.959963984540054*se), math.Min(1, auc+1.959963984540054*se)
	out := []Result{ar}
	if isScore {
		out = append(out, row("brier", Brier(score, v.ev, v.w)))
		for _, k := range topK {
			r := row("capture_at_k", math.NaN())
			if n > 0 {
				r = row("capture_at_k", CaptureAtK(score, v.ev, v.w, k))
			}
			r.At = &k
			out = append(out, r)
		}
		out = append(out, v.calibration(name, score)...)
	} else {
		var fw, cw float64
		for a, s := range score {
			if s == 1 {
				fw += v.w[a]
				if v.ev[a] {
					cw += v.w[a]
				}
			}
		}
		r := row("capture_at_k", nanIfZero(wEv, cw))
		at := nanIfZero(pop, fw)
		r.At = &at
		out = append(out, r)
	}
	out = append(out,
		Result{Indicator: "events", Model: name, Line: v.line, Domain: v.dom, Estimate: wEv, N: nEv, Population: wEv},
		Result{Indicator: "n", Model: name, Line: v.line, Domain: v.dom, Estimate: float64(n), N: n, Population: pop})
	return out
}

func sumFloat(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

// EncodeScores returns the scores as CSV under the header ID, YEAR, score,
// tier, returned (0/1), WEIGHT, reasons (the top reasons joined by ";") and
// rules (the flagging rules joined by ";"), ID, YEAR and WEIGHT being the
// names of the id, year and weight columns (weight when none).
func EncodeScores(scores []RiskScore, idCol, yearCol, weightCol string) []byte {
	if weightCol == "" {
		weightCol = "weight"
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{idCol, yearCol, "score", "tier", "returned", weightCol, "reasons", "rules"}) // a bytes.Buffer does not fail
	for _, s := range scores {
		ret := "0"
		if s.Returned {
			ret = "1"
		}
		_ = w.Write([]string{s.ID, s.Year, strconv.FormatFloat(s.Score, 'g', -1, 64), s.Tier, ret, formatNumber(s.Weight),
			strings.Join(s.Reasons, ";"), strings.Join(s.Rules, ";")})
	}
	w.Flush()
	return b.Bytes()
}
