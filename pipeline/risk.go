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
	// Features are numeric columns (Parquet booleans read as 0/1; a trait
	// column of a rule is 1 when true) taken in the year before the
	// outcome; a null value is replaced by the training mean.
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
	// Penalty is the L2 penalty; DefaultRiskPenalty when 0.
	Penalty float64
}

// RiskScore is the score of one household of the test year.
type RiskScore struct {
	ID, Year string
	Score    float64
	Returned bool
	Weight   float64
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
	Rows         RowCounts
	Warnings     []string
}

// Built-in features of the risk model, computed from the household's own
// history up to t−1.
var riskBuiltins = []string{"log_income_ratio", "income_change", "income_change_missing", "years_poor"}

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
// t−1), and the columns of r.Features in t−1. Features are standardised
// with the (unweighted) mean and SD of the training pairs (t before the test
// year) and the model is FitLogistic on them; the test year's pairs are
// then scored. Nothing of the test year enters the fit.
//
// The rows, all in the domain {year: test year} with the line's name:
// for model "score" auc (with a DeLong CI, se_method "delong"), brier,
// capture_at_k (at = k) for each k, the calibration table (calibration,
// cell D1..D10: the observed event rate of each weighted decile of the
// score, see Calibration; calibration_predicted: the decile's mean score;
// n and population: the decile's units), calibration_error (see
// CalibrationError), events and n, then for each rule
// ("rule:NAME", the rule's flag in t−1 as a 0/1 score) auc and
// capture_at_k (at = the flagged share of the weight), and last
// coefficient rows (model "score", cell the feature, on the standardised
// scale). Without events or non-events in training it returns an error
// wrapping ErrTooFewEvents; without them in the test year the
// validation estimates are NaN with a note.
func RunRisk(ctx context.Context, s *Study, r Risk) (*RiskOutput, error) {
	if r.ID == "" || r.Year == "" {
		return nil, errors.New("risk: the id and year columns are required")
	}
	if len(s.Lines) == 0 {
		return nil, errors.New("risk: a poverty line is required")
	}
	switch r.Population {
	case "":
		r.Population = "exited"
	case "exited", "nonpoor", "all":
	default:
		return nil, fmt.Errorf("risk: population %q: want exited, nonpoor or all", r.Population)
	}
	if r.TopK == nil {
		r.TopK = []float64{0.05, 0.10, 0.20}
	}
	for _, k := range r.TopK {
		if !(k > 0 && k <= 1) {
			return nil, fmt.Errorf("risk: top-k share %v: want 0 < k <= 1", k)
		}
	}
	if r.Penalty == 0 {
		r.Penalty = DefaultRiskPenalty
	}
	if !(r.Penalty > 0) || math.IsInf(r.Penalty, 0) {
		return nil, fmt.Errorf("risk: penalty %v: want a positive number", r.Penalty)
	}
	d := Dynamics{ID: r.ID, Year: r.Year, Rules: r.Rules}
	extra, err := panelColumns(d)
	if err != nil {
		return nil, err
	}
	for _, f := range r.Features {
		if f == r.ID || f == r.Year || slices.Contains(riskBuiltins, f) {
			return nil, fmt.Errorf("risk: feature %q: not a column usable as a feature", f)
		}
		if !slices.ContainsFunc(extra, func(e extraColumn) bool { return e.req.Name == f }) {
			extra = append(extra, extraColumn{key: "feature " + f, req: datasets.Request{Name: f, Kind: datasets.Numeric}})
		}
	}
	ld, err := load(ctx, s, loadOptions{extra: extra})
	if err != nil {
		return nil, err
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
	pr := p.riskPairs(status, lv, r, ld.tbl)
	train, score := pr.split(test)
	names := append(slices.Clone(riskBuiltins), r.Features...)
	mean, sd := standardize(pr, train, len(names))
	xs := func(set []int) [][]float64 {
		x := make([][]float64, len(set))
		for a, q := range set {
			x[a] = make([]float64, len(names))
			for k := range names {
				v := pr.x[q][k]
				if math.IsNaN(v) {
					v = mean[k]
				}
				x[a][k] = (v - mean[k]) / sd[k]
			}
		}
		return x
	}
	sub := func(set []int) (ev []bool, w []float64) {
		for _, q := range set {
			ev = append(ev, pr.event[q])
			w = append(w, p.u.w[pr.unit[q]])
		}
		return ev, w
	}
	trEv, trW := sub(train)
	b, err := FitLogistic(xs(train), trEv, trW, r.Penalty)
	if err != nil {
		if errors.Is(err, ErrNoFit) {
			return nil, fmt.Errorf("risk: training on %s before %s: %w to fit (%d pairs at risk): %v", r.Year, p.years[test], ErrTooFewEvents, len(train), err)
		}
		return nil, fmt.Errorf("risk: %w", err)
	}
	out.Coefficients = append(out.Coefficients, Coefficient{Feature: "(intercept)", Value: b[0], OddsRatioPerSD: math.Exp(b[0])})
	for k, n := range names {
		out.Coefficients = append(out.Coefficients, Coefficient{Feature: n, Value: b[k+1], Mean: mean[k], SD: sd[k], OddsRatioPerSD: math.Exp(b[k+1])})
	}
	ev, w := sub(score)
	sc := make([]float64, len(score))
	for a, xi := range xs(score) {
		e := b[0]
		for k, v := range xi {
			e += b[k+1] * v
		}
		sc[a] = sigmoid(e)
	}
	for a, q := range score {
		i := pr.unit[q]
		rs := RiskScore{ID: p.idf.levels[p.hh[i]], Year: p.years[test], Score: sc[a], Returned: ev[a], Weight: w[a]}
		for ri, rule := range r.Rules {
			if flagged[ri][pr.prev[q]] {
				rs.Rules = append(rs.Rules, rule.Name)
			}
		}
		out.Scores = append(out.Scores, rs)
	}
	slices.SortStableFunc(out.Scores, func(a, b RiskScore) int { return compareLevels(a.ID, b.ID) })
	v := riskRows{dom: []DomainValue{{Column: r.Year, Value: p.years[test]}}, line: l.Name, ev: ev, w: w}
	out.Results = append(out.Results, v.model("score", sc, r.TopK, true)...)
	for ri, rule := range r.Rules {
		f := make([]float64, len(score))
		for a, q := range score {
			if flagged[ri][pr.prev[q]] {
				f[a] = 1
			}
		}
		out.Results = append(out.Results, v.model("rule:"+rule.Name, f, nil, false)...)
	}
	for _, c := range out.Coefficients {
		out.Results = append(out.Results, Result{Indicator: "coefficient", Model: "score", Line: l.Name, Domain: v.dom,
			Cell: c.Feature, Estimate: c.Value, N: len(train), Population: sumFloat(trW)})
	}
	return out, nil
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
	wave       []int       // wave of t
	event      []bool      // poor at t
	x          [][]float64 // features; NaN where missing
}

func (p *panel) riskPairs(status []int8, lv *lineValues, r Risk, tbl *datasets.Table) *riskPairs {
	pr := &riskPairs{}
	nw := p.nw()
	cols := make([]*datasets.Column, len(r.Features))
	for k, f := range r.Features {
		cols[k] = tbl.Column(f)
	}
	for i := range p.u.x {
		j := p.prev(i)
		if j < 0 || status[i] < 0 || status[j] < 0 {
			continue
		}
		if r.Population != "all" && status[j] == statusPoor {
			continue
		}
		h, k := int(p.hh[i]), p.wave[i]
		poorYears, before := 0, false
		for m := 0; m < k; m++ {
			if u := p.at[h*nw+m]; u >= 0 && status[u] == statusPoor {
				poorYears++
				if m < k-1 {
					before = true
				}
			}
		}
		if r.Population == "exited" && !before {
			continue
		}
		x := make([]float64, 0, len(riskBuiltins)+len(cols))
		x = append(x, math.Log(math.Max(p.u.x[j]/lv.z[j], 1e-3)))
		if jj := p.prev(j); jj >= 0 && p.u.x[jj] > 0 && p.u.x[j] > 0 {
			x = append(x, math.Log(p.u.x[j]/p.u.x[jj]), 0)
		} else {
			x = append(x, 0, 1)
		}
		x = append(x, float64(poorYears))
		row := p.rowOf[j]
		for _, c := range cols {
			v := math.NaN()
			switch {
			case c.Null != nil && c.Null[row]:
			case c.Levels != nil: // also a rule's trait column: true is 1
				v = 0
				if truthy(c.Levels[c.Codes[row]]) {
					v = 1
				}
			case !math.IsInf(c.Float[row], 0):
				v = c.Float[row]
			}
			x = append(x, v)
		}
		pr.unit = append(pr.unit, i)
		pr.prev = append(pr.prev, j)
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

// standardize returns the unweighted mean and SD (denominator n) of each
// feature over the training pairs, skipping missing values. A constant (or
// absent) feature gets SD 1.
func standardize(pr *riskPairs, train []int, nf int) (mean, sd []float64) {
	mean, sd = make([]float64, nf), make([]float64, nf)
	for k := range nf {
		var s, n float64
		for _, q := range train {
			if v := pr.x[q][k]; !math.IsNaN(v) {
				s += v
				n++
			}
		}
		if n > 0 {
			mean[k] = s / n
		}
		var ss float64
		for _, q := range train {
			if v := pr.x[q][k]; !math.IsNaN(v) {
				ss += (v - mean[k]) * (v - mean[k])
			}
		}
		sd[k] = 1
		if n > 1 && ss > 0 {
			sd[k] = math.Sqrt(ss / n)
		}
	}
	return mean, sd
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
		out = append(out, v.calibration(score)...)
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
// returned (0/1), WEIGHT and rules (the flagging rules joined by ";"),
// ID, YEAR and WEIGHT being the names of the id, year and weight columns
// (weight when none).
func EncodeScores(scores []RiskScore, idCol, yearCol, weightCol string) []byte {
	if weightCol == "" {
		weightCol = "weight"
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{idCol, yearCol, "score", "returned", weightCol, "rules"}) // a bytes.Buffer does not fail
	for _, s := range scores {
		ret := "0"
		if s.Returned {
			ret = "1"
		}
		_ = w.Write([]string{s.ID, s.Year, strconv.FormatFloat(s.Score, 'g', -1, 64), ret, formatNumber(s.Weight), strings.Join(s.Rules, ";")})
	}
	w.Flush()
	return b.Bytes()
}
