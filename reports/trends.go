package reports

import (
	"math"
	"slices"

	"github.com/povstat/povstat/pipeline"
	"gonum.org/v1/plot"
)

// trendSpecs are the trend charts the study asks for in outputs.trends.
func trendSpecs(s *pipeline.Study, results []pipeline.Result) []chartSpec {
	var sps []chartSpec
	for _, t := range s.Trends {
		if sp, ok := chosenTrend(s, results, t); ok {
			sps = append(sps, sp)
		}
	}
	return sps
}

// chosenTrend draws one indicator over the periods: a series per line (a
// line indicator without Line), or per group of t.By (domain [time, By] in
// the study's order), else the one series of the whole population. Missing
// periods are gaps; intervals are drawn where the rows have them.
func chosenTrend(s *pipeline.Study, results []pipeline.Result, t pipeline.Trend) (chartSpec, bool) {
	ps, ss := trendData(s, results, t)
	if len(ps) < 2 || len(ss) == 0 {
		return chartSpec{}, false
	}
	label := labelIn(s.Lang, t.Indicator).text
	title := Tf(s.Lang, "%s, trend by %s", label, s.Time)
	name := t.Indicator + "-by-" + s.Time
	if t.Line != "" {
		title = Tf(s.Lang, "%s, trend by %s, line %s", label, s.Time, t.Line)
		name += "-" + t.Line
	}
	if t.By != "" {
		title += Tf(s.Lang, ", by %s", t.By)
		name += "-by-" + t.By
	}
	var ticks plot.Ticker
	axis := label
	switch styleOf(t.Indicator) {
	case styleRate:
		ticks = tickFormat{formatTickRate}
		axis = Tf(s.Lang, "%s (%% of %s)", label, unitNounIn(s.Lang, s.Unit))
	case styleIndex, styleRatio:
		ticks = tickFormat{formatTickIndex}
	default:
		ticks = tickFormat{formatTickAmount}
	}
	return trendChart(s, "trend-"+name, title, trendSection(t.Indicator), axis, ps, ss, ticks), true
}

// trendSection is the report section a trend chart of indicator ind goes to.
func trendSection(ind string) string {
	switch {
	case slices.Contains([]string{"region_mean", "cv", "williamson", "max_min_ratio", "ratio", "theil_t_between", "theil_t_within",
		"theil_t_between_share", "theil_l_between", "theil_l_within", "theil_l_between_share"}, ind):
		return "regions"
	case isInequality(ind):
		return "inequality"
	}
	return "poverty"
}

// isLineIndicator reports whether ind has one row per poverty line.
func isLineIndicator(ind string) bool {
	return slices.Contains([]string{"line", "headcount", "gap", "severity", "watts", "sen", "rmpg", "poor_population", "gap_total"}, ind)
}

// trendData returns the periods (sorted) and the series of a trend chart.
func trendData(s *pipeline.Study, results []pipeline.Result, t pipeline.Trend) (ps []string, ss []series) {
	lines := []string{t.Line}
	if t.Line == "" && isLineIndicator(t.Indicator) {
		lines = lines[:0]
		for _, l := range s.Lines {
			lines = append(lines, l.Name)
		}
	}
	if t.By == "" {
		ps = periods(s, results, t.Indicator)
		for _, line := range lines {
			if sr, ok := trendSeries(s, results, t.Indicator, line, ps); ok {
				sr.label = line
				ss = append(ss, sr)
			}
		}
	} else {
		timeFirst := slices.ContainsFunc(s.Domains, func(d []string) bool { return len(d) == 2 && d[0] == s.Time && d[1] == t.By })
		dom := func(p, g string) []pipeline.DomainValue {
			if timeFirst {
				return []pipeline.DomainValue{{Column: s.Time, Value: p}, {Column: t.By, Value: g}}
			}
			return []pipeline.DomainValue{{Column: t.By, Value: g}, {Column: s.Time, Value: p}}
		}
		groups := t.Groups
		for _, r := range results {
			if r.Indicator != t.Indicator || r.Line != lines[0] || len(r.Domain) != 2 {
				continue
			}
			for _, d := range r.Domain {
				switch {
				case d.Column == s.Time && !slices.Contains(ps, d.Value):
					ps = append(ps, d.Value)
				case d.Column == t.By && t.Groups == nil && !slices.Contains(groups, d.Value):
					groups = append(groups, d.Value)
				}
			}
		}
		slices.SortStableFunc(ps, comparePeriods)
		if t.Groups == nil {
			slices.SortStableFunc(groups, comparePeriods)
		}
		for _, g := range groups {
			sr := series{label: t.By + " " + g, rs: make([]pipeline.Result, len(ps))}
			found := false
			for i, p := range ps {
				r, ok := find(results, t.Indicator, lines[0], dom(p, g))
				if !ok {
					r.Estimate = math.NaN()
				}
				found = found || !math.IsNaN(r.Estimate)
				sr.rs[i] = r
			}
			if found {
				ss = append(ss, sr)
			}
		}
	}
	return ps, ss
}
