package reports

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot/plotter"

	"github.com/povstat/povstat/pipeline"
)

// riskSet is the validation of a return-to-poverty score in the results
// (pipeline.RunRisk): the rows of one line and domain (the test year) with
// a model.
type riskSet struct {
	line string
	dom  []pipeline.DomainValue
	rows []pipeline.Result
}

// riskOf finds the rows of the first line and domain with a "score" model.
func riskOf(results []pipeline.Result) (riskSet, bool) {
	i := slices.IndexFunc(results, func(r pipeline.Result) bool { return r.Model == "score" })
	if i < 0 {
		return riskSet{}, false
	}
	rs := riskSet{line: results[i].Line, dom: results[i].Domain}
	key := domainKey(rs.dom)
	for _, r := range results {
		if r.Model != "" && r.Line == rs.line && len(r.Domain) == len(rs.dom) && domainKey(r.Domain) == key {
			rs.rows = append(rs.rows, r)
		}
	}
	return rs, true
}

// get returns the row of a model and indicator (the first, when At or Cell
// tell several apart).
func (rs riskSet) get(model, ind string) (pipeline.Result, bool) {
	i := slices.IndexFunc(rs.rows, func(r pipeline.Result) bool { return r.Model == model && r.Indicator == ind })
	if i < 0 {
		return pipeline.Result{}, false
	}
	return rs.rows[i], true
}

// rules lists the rule models, "rule:NAME", in order.
func (rs riskSet) rules() []string {
	var out []string
	for _, r := range rs.rows {
		if strings.HasPrefix(r.Model, "rule:") && !slices.Contains(out, r.Model) {
			out = append(out, r.Model)
		}
	}
	return out
}

// captures are the capture_at_k rows of a model, by increasing At.
func (rs riskSet) captures(model string) []pipeline.Result {
	var out []pipeline.Result
	for _, r := range rs.rows {
		if r.Model == model && r.Indicator == "capture_at_k" && r.At != nil && !math.IsNaN(*r.At) {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b pipeline.Result) int { return cmp.Compare(*a.At, *b.At) })
	return out
}

// ruleLabel names a rule model: "Rule NAME".
func ruleLabel(lang, model string) string {
	return Tf(lang, "Rule %s", strings.TrimPrefix(model, "rule:"))
}

// riskCharts are the charts of a return-to-poverty score: calibration
// (observed rate against mean score by tenth of the score, against the
// diagonal), capture (share of returns caught against share of households
// visited in decreasing order of score, the rules as points) and the
// distribution of the score among households that returned and those that
// did not.
func riskCharts(s *pipeline.Study, results []pipeline.Result) []chartSpec {
	rs, ok := riskOf(results)
	if !ok {
		return nil
	}
	lang := s.Lang
	where := ""
	if len(rs.dom) > 0 {
		where = ", " + domainText(rs.dom)
	}
	var sps []chartSpec
	if pts := calibrationPoints(rs); len(pts) >= 2 {
		end := 0.0
		for _, p := range pts {
			end = math.Max(end, math.Max(p.X, p.Y))
		}
		end = math.Min(1, math.Ceil(end*1.05*20)/20)
		ax := axes{x: T(lang, "Predicted risk: mean score of each tenth of households (%)"),
			y: T(lang, "Observed rate of return to poverty (%)"), xTicks: tickFormat{formatTickRate}, yTicks: tickFormat{formatTickRate},
			diagonal: T(lang, "Perfect calibration"), diagonalTo: end, zeroY: true, legendLeft: true}
		sps = append(sps, curveChart("risk-calibration", T(lang, "Calibration of the risk score")+where, "risk", ax,
			[]curve{{label: T(lang, "Risk score"), pts: pts, glyphs: true}}, nil))
	}
	var cs []curve
	if pts := capturePoints(rs); len(pts) >= 2 {
		cs = append(cs, curve{label: T(lang, "Risk score"), pts: pts})
	}
	for k, m := range rs.rules() {
		for _, r := range rs.captures(m) {
			if !math.IsNaN(r.Estimate) {
				cs = append(cs, curve{label: ruleLabel(lang, m), pts: plotter.XYs{{X: *r.At, Y: r.Estimate}}, only: true, color: markColor(k), shape: k})
			}
		}
	}
	if len(cs) > 0 {
		ax := axes{x: T(lang, "Share of households visited, highest risk first (%)"), y: T(lang, "Share of returns to poverty caught (%)"),
			xTicks: tickFormat{formatTickRate}, yTicks: tickFormat{formatTickRate},
			diagonal: T(lang, "Visiting at random"), zeroY: true, legendBottom: true}
		sps = append(sps, curveChart("risk-capture", T(lang, "Returns to poverty caught by visits")+where, "risk", ax, cs, nil))
	}
	var ds []curve
	for _, g := range []struct{ cell, label string }{{"returned", "Returned to poverty"}, {"not_returned", "Did not return"}} {
		var pts plotter.XYs
		for _, r := range rs.rows {
			if r.Model == "score" && r.Indicator == "score_distribution" && r.Cell == g.cell && r.At != nil && !math.IsNaN(r.Estimate) {
				pts = append(pts, plotter.XY{X: *r.At + scoreBin/2, Y: r.Estimate})
			}
		}
		slices.SortStableFunc(pts, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
		if len(pts) >= 2 {
			ds = append(ds, curve{label: T(lang, g.label), pts: pts, glyphs: true})
		}
	}
	if len(ds) > 0 {
		ax := axes{x: T(lang, "Risk score (predicted chance of returning to poverty, %)"), y: T(lang, "Share of the group's households (%)"),
			xTicks: tickFormat{formatTickRate}, yTicks: tickFormat{formatTickRate}, zeroY: true, headroom: true}
		sps = append(sps, curveChart("risk-scores", T(lang, "Distribution of the risk score")+where, "risk", ax, ds, nil))
	}
	return sps
}

// scoreBin is the width of the bins of the score_distribution rows.
const scoreBin = 0.05

// calibrationPoints are the tenths of the calibration table: mean score
// (calibration_predicted) against observed rate (calibration), by cell D1..D10.
func calibrationPoints(rs riskSet) plotter.XYs {
	obs, pred := map[string]float64{}, map[string]float64{}
	var cells []string
	for _, r := range rs.rows {
		if r.Model != "score" || r.Cell == "" || math.IsNaN(r.Estimate) {
			continue
		}
		switch r.Indicator {
		case "calibration":
			obs[r.Cell] = r.Estimate
			cells = append(cells, r.Cell)
		case "calibration_predicted":
			pred[r.Cell] = r.Estimate
		}
	}
	var pts plotter.XYs
	for _, c := range cells {
		if p, ok := pred[c]; ok {
			pts = append(pts, plotter.XY{X: p, Y: obs[c]})
		}
	}
	return pts
}

// capturePoints is the capture curve of the score from (0, 0): the
// capture_curve rows, or else its capture_at_k points and (1, 1).
func capturePoints(rs riskSet) plotter.XYs {
	pts := plotter.XYs{{X: 0, Y: 0}}
	for _, c := range curvesOf(rs.rows, "capture_curve", rs.line, "score") {
		if domainKey(c.dom) == domainKey(rs.dom) {
			return append(pts, c.pts...)
		}
	}
	for _, r := range rs.captures("score") {
		if !math.IsNaN(r.Estimate) {
			pts = append(pts, plotter.XY{X: *r.At, Y: r.Estimate})
		}
	}
	if len(pts) < 2 {
		return nil
	}
	if pts[len(pts)-1].X < 1 {
		pts = append(pts, plotter.XY{X: 1, Y: 1})
	}
	return pts
}

// domainText writes a domain as "year 2021, province north".
func domainText(d []pipeline.DomainValue) string {
	parts := make([]string, len(d))
	for i, v := range d {
		parts[i] = v.Column + " " + v.Value
	}
	return strings.Join(parts, ", ")
}

// riskReport is the report's section on the return-to-poverty score.
type riskReport struct {
	Title, Intro string
	Points       []string
	Table        *table
}

// riskSection is the section "Return to poverty", present when the results
// hold the validation of a risk score; nil otherwise.
func riskSection(s *pipeline.Study, results []pipeline.Result) *riskReport {
	rs, ok := riskOf(results)
	if !ok {
		return nil
	}
	lang := s.Lang
	sec := &riskReport{
		Title: T(lang, "Return to poverty"),
		Intro: T(lang, "Households that left poverty can fall back. A risk score ranks them by their predicted chance of being poor again next year, from their income, its recent change, the years they were poor and the other features of the model, fitted on earlier years only and checked here on a later year it never saw. The question a programme asks: if only some households can be visited, how many of those who will fall back does each way of choosing catch? The monitoring rules officials use today are shown beside the score."),
	}
	when := ""
	if len(rs.dom) > 0 {
		when = domainText(rs.dom)
	}
	if n, ok := rs.get("score", "n"); ok {
		if ev, ok := rs.get("score", "events"); ok && n.Population > 0 {
			sec.Points = append(sec.Points, Tf(lang, "Test period %s, line %s: %s households at risk (%s weighted), of which %s returned to poverty (%s weighted, %s).",
				when, rs.line, formatCount(n.Estimate), formatCount(n.Population), formatCount(float64(ev.N)), formatCount(ev.Estimate), formatRate(ev.Estimate/n.Population)))
		}
	}
	if a, ok := rs.get("score", "auc"); ok && !math.IsNaN(a.Estimate) {
		p := Tf(lang, "Ranking: the score's AUC is %s, the chance that a household that returned is ranked above one that did not (0.5 is a coin toss, 1 a perfect ranking).", formatIndex(a.Estimate))
		if !math.IsNaN(a.CILower) && !math.IsNaN(a.CIUpper) {
			p += " " + Tf(lang, "95%% confidence interval: %s to %s.", formatIndex(a.CILower), formatIndex(a.CIUpper))
		}
		sec.Points = append(sec.Points, p)
	}
	if b, ok := rs.get("score", "brier"); ok && !math.IsNaN(b.Estimate) {
		sec.Points = append(sec.Points, Tf(lang, "Accuracy of the predicted chances: Brier score %s (the mean squared gap between the predicted chance and what happened; lower is better).", formatIndex(b.Estimate)))
	}
	t := &table{ID: "risk-capture", Caption: T(lang, "Returns to poverty caught by each way of choosing whom to visit"), Header: []column{
		{Text: T(lang, "Choice")},
		{Text: T(lang, "Households visited"), Numeric: true, Title: T(lang, "weighted share of the households at risk that are visited or flagged")},
		{Text: T(lang, "Returns caught"), Numeric: true, Title: T(lang, "weighted share of the households that returned to poverty that are among those visited")},
		{Text: T(lang, "AUC"), Numeric: true, Title: T(lang, "chance that a household that returned is ranked above one that did not")},
	}}
	row := func(label string, r pipeline.Result, auc cell, repeat bool) {
		t.Rows = append(t.Rows, []cell{{Text: label, Repeat: repeat}, {Text: formatRate(*r.At), Numeric: true}, valueCellIn(lang, rateRow(r)), auc})
	}
	aucCell := func(model string) cell {
		a, ok := rs.get(model, "auc")
		if !ok {
			return cell{Text: "–", Numeric: true, Missing: true}
		}
		c := cell{Text: formatIndex(a.Estimate), Numeric: true, Title: a.Note}
		if math.IsNaN(a.Estimate) {
			c.Text, c.Missing = "–", true
		}
		return c
	}
	for i, r := range rs.captures("score") {
		row(T(lang, "Risk score, highest first"), r, aucCell("score"), i > 0)
	}
	for _, m := range rs.rules() {
		for i, r := range rs.captures(m) {
			row(ruleLabel(lang, m), r, aucCell(m), i > 0)
		}
	}
	if len(t.Rows) > 0 {
		sec.Points = append(sec.Points, ruleComparisons(lang, rs)...)
		t.Note = T(lang, "A rule flags a fixed set of households, so it has one row: the share it flags and the share of returns among them. The score can be cut at any share; the chart below shows every cut.")
		sec.Table = t
	}
	return sec
}

// rateRow is a capture row shown as a rate.
func rateRow(r pipeline.Result) pipeline.Result {
	r.Indicator = "headcount" // a share: formatted as a percentage
	return r
}

// ruleComparisons compares each rule with the score visiting as many
// households as the rule flags (the capture curve of the score,
// interpolated linearly between its points).
func ruleComparisons(lang string, rs riskSet) []string {
	pts := capturePoints(rs)
	var out []string
	for _, m := range rs.rules() {
		for _, r := range rs.captures(m) {
			if math.IsNaN(r.Estimate) {
				continue
			}
			p := Tf(lang, "%s flags %s of households and catches %s of the returns to poverty.", ruleLabel(lang, m), formatRate(*r.At), formatRate(r.Estimate))
			if v, ok := interpolate(pts, *r.At); ok {
				p += " " + Tf(lang, "Visiting the same share in order of the score would catch %s.", formatRate(v))
			}
			out = append(out, p)
		}
	}
	return out
}

// interpolate reads a curve with increasing x at x, linearly between its
// points; false outside it.
func interpolate(pts plotter.XYs, x float64) (float64, bool) {
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		if x >= a.X && x <= b.X {
			if b.X == a.X {
				return b.Y, true
			}
			return a.Y + (x-a.X)*(b.Y-a.Y)/(b.X-a.X), true
		}
	}
	return 0, false
}
