package reports

import (
	"slices"

	"github.com/povstat/povstat/pipeline"
)

// curveSections are the parts of the report drawn from curves: the
// comparison of lines, the return-to-poverty score, and the methods of
// the curves present.
type curveSections struct {
	Comparing *comparing
	Risk      *riskReport
	Methods   []method
}

// method is one entry of the report's methods: a term, its text and its
// references.
type method struct{ Term, Text, Ref string }

// curveSectionsOf makes the curve sections of a study's results.
func curveSectionsOf(s *pipeline.Study, results []pipeline.Result) curveSections {
	c := curveSections{Comparing: comparingSection(s, results), Risk: riskSection(s, results)}
	lang := s.Lang
	if slices.ContainsFunc(results, func(r pipeline.Result) bool {
		return r.At != nil && (r.Indicator == "lorenz" || r.Indicator == "generalized_lorenz")
	}) {
		c.Methods = append(c.Methods, method{
			Term: T(lang, "Lorenz and generalized Lorenz curves"),
			Text: T(lang, "With incomes sorted increasingly, C_k and S_k the weight and the weighted income of the first k units, W and S_n the totals, the Lorenz curve at p is L(p) = (S_{k−1} + (pW − C_{k−1}) x_k) / S_n, with k the unit whose weight holds the point (C_{k−1} < pW ≤ C_k): the share of total income held by the poorest p of the population. Each unit's weight is spread evenly over its income, so the curve is linear inside it and exact for a population of replicated units; L(1) = 1. The generalized Lorenz curve is GL(p) = μ L(p), the income of the poorest p divided by the whole population (GL(1) is the mean). The results give both at p = 5%, 10%, …, 100% in every domain; negative incomes are kept, as for the Gini coefficient. One curve above another everywhere means less inequality (Lorenz) or higher welfare for every concave social welfare function (generalized Lorenz)."),
			Ref:  "Lorenz, M. O. (1905), Methods of measuring the concentration of wealth, Publications of the American Statistical Association 9(70), 209–219. Shorrocks, A. F. (1983), Ranking income distributions, Economica 50(197), 3–17.", // references stay as published
		})
	}
	if c.Comparing != nil {
		c.Methods = append(c.Methods, method{
			Term: T(lang, "Incidence and deficit curves, overlap of lines"),
			Text: T(lang, "The incidence curve is the headcount H(z) = Σ w_i [x_i < z] / Σ w_i as a function of the line z; the deficit curve is the total gap per head, D(z) = Σ w_i (z − x_i) [x_i < z] / Σ w_i, the area under the incidence curve up to z. One population has less poverty than another for every line in a range when its incidence curve is nowhere above (first order), or, for every poverty measure that weighs larger gaps more, when its deficit curve is nowhere above (second order). The overlap of two lines A and B counts the weighted units poor under both, under A only, under B only and under neither; the four add up to the population."),
			Ref:  "Foster, J. E. and Shorrocks, A. F. (1988), Poverty orderings, Econometrica 56(1), 173–177. Atkinson, A. B. (1987), On the measurement of poverty, Econometrica 55(4), 749–764. Jenkins, S. P. and Lambert, P. J. (1997), Three ‘I’s of poverty curves, with an analysis of UK poverty trends, Oxford Economic Papers 49(3), 317–327.", // references stay as published
		})
	}
	if c.Risk != nil {
		c.Methods = append(c.Methods, method{
			Term: T(lang, "Validation of the risk score"),
			Text: T(lang, "The score is fitted on the transitions of earlier years and validated on the test year only. AUC: the weighted probability that a household that returned to poverty has a higher score than one that did not (ties count one half), with DeLong's confidence interval. Brier score: Σ w_i (s_i − y_i)² / Σ w_i. Calibration: households are split into ten weighted groups by score; for each, the mean score against the observed rate. Capture: the share of the weighted returns among the top share of households by score; a rule's point is the share it flags and the share of returns among them."),
			Ref:  "DeLong, E. R., DeLong, D. M. and Clarke-Pearson, D. L. (1988), Comparing the areas under two or more correlated receiver operating characteristic curves, Biometrics 44(3), 837–845. Brier, G. W. (1950), Verification of forecasts expressed in terms of probability, Monthly Weather Review 78(1), 1–3.", // references stay as published
		})
	}
	return c
}

// withCurveEntries adds the curve sections to the table of contents,
// before the methods.
func withCurveEntries(lang string, es []entry, c curveSections) []entry {
	var add []entry
	if c.Comparing != nil {
		e := entry{ID: "comparing", Text: c.Comparing.Title}
		if c.Comparing.Lines != nil {
			e.Links = append(e.Links, entry{ID: c.Comparing.Lines.ID, Text: T(lang, "the lines side by side")})
		}
		add = append(add, e)
	}
	if c.Risk != nil {
		add = append(add, entry{ID: "risk", Text: c.Risk.Title})
	}
	i := slices.IndexFunc(es, func(e entry) bool { return e.ID == "methods" })
	if i < 0 {
		i = len(es)
	}
	return slices.Insert(slices.Clone(es), i, add...)
}

// curveSpecs plans the charts of curves: Lorenz curves, the regional
// disparity coefficients over time, the comparison of lines and the
// return-to-poverty score.
func curveSpecs(s *pipeline.Study, results []pipeline.Result) []chartSpec {
	sps := lorenzCharts(s, results)
	if s.Time != "" && s.Region != "" {
		if sp, ok := disparityTrend(s, results); ok {
			sps = append(sps, sp)
		}
	}
	sps = append(sps, compareCharts(s, results)...)
	return append(sps, riskCharts(s, results)...)
}
