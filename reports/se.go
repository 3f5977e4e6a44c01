package reports

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/povstat/povstat/pipeline"
)

// Standard errors in the report: the interval under each estimate, the
// flag of unreliable estimates with a footnote under their table, and the
// paragraph of the methods. A study that asks for no standard error has
// results without SEMethod and a report without any of these.

// hasErrors reports whether the study computed standard errors: some
// result carries a method, "unavailable" included.
func hasErrors(results []pipeline.Result) bool {
	return slices.ContainsFunc(results, func(r pipeline.Result) bool { return r.SEMethod != "" })
}

// Methods of a result without a usable interval.
const (
	methodUnavailable = "unavailable"
	methodFixed       = "fixed: no sampling error"
)

// addError adds to the cell of an estimate its confidence interval, as a
// second line formatted like the estimate, and its standard error, relative
// standard error, design effect and method to the title; an unreliable
// estimate is flagged. Rows (n) are sample counts: they have none. The
// cell is unchanged when the study asks for no standard error.
func addError(c *cell, r pipeline.Result) { addErrorIn("en", c, r) }

// addErrorIn is addError with the texts of the title in language lang;
// the method, as the pipeline writes it, is not translated.
func addErrorIn(lang string, c *cell, r pipeline.Result) {
	if r.SEMethod == "" || r.Indicator == "n" || math.IsNaN(r.Estimate) {
		return
	}
	var lines []string
	if c.Title != "" {
		lines = append(lines, c.Title)
	}
	switch {
	case r.SEMethod == methodUnavailable:
		lines = append(lines, T(lang, "no standard error for this indicator (see Methods)"))
	case r.SEMethod == methodFixed:
		lines = append(lines, T(lang, methodFixed))
	case math.IsNaN(r.SE):
		lines = append(lines, Tf(lang, "no standard error (%s)", r.SEMethod))
	default:
		if !math.IsNaN(r.CILower) && !math.IsNaN(r.CIUpper) {
			c.CI = shortIntervalIn(lang, r.Indicator, r.Estimate, r.CILower, r.CIUpper)
			lines = append(lines, Tf(lang, "confidence interval %s", formatIntervalIn(lang, r.Indicator, r.Estimate, r.CILower, r.CIUpper)))
		}
		se := Tf(lang, "SE %s", formatSEIn(lang, r.Indicator, r.SE))
		if !math.IsNaN(r.RSE) && !math.IsInf(r.RSE, 0) {
			se += Tf(lang, ", RSE %s", formatRate(r.RSE))
		}
		if !math.IsNaN(r.Deff) && !math.IsInf(r.Deff, 0) {
			se += Tf(lang, ", design effect %s", formatRatio(r.Deff))
		}
		if r.Unreliable {
			se += T(lang, ": unreliable")
		}
		lines = append(lines, se, r.SEMethod)
	}
	c.Unreliable = r.Unreliable
	c.Title = strings.Join(lines, "\n")
}

// shortInterval is the interval shown under an estimate: its bounds, or
// for the counts and totals, whose bounds are long numbers, ± its
// half-width when it is symmetric: "±29,040,006".
func shortInterval(ind string, est, lo, hi float64) string {
	return shortIntervalIn("en", ind, est, lo, hi)
}

// shortIntervalIn is shortInterval in language lang.
func shortIntervalIn(lang, ind string, est, lo, hi float64) string {
	st := styleOf(ind)
	half := (hi - lo) / 2
	if (st == styleCount || ind == "gap_total") && math.Abs((hi-est)-(est-lo)) <= 1e-9*math.Abs(hi-lo) {
		return "±" + formatLike(st, est, half)
	}
	return formatIntervalIn(lang, ind, est, lo, hi)
}

// formatInterval writes the bounds of an interval like the estimate est of
// indicator ind: "12.1–13.4%", "43,465–44,834", "0.412–0.431". A negative
// bound is joined with " to ": "-0.1 to 0.5%".
func formatInterval(ind string, est, lo, hi float64) string {
	return formatIntervalIn("en", ind, est, lo, hi)
}

// formatIntervalIn is formatInterval in language lang: " to " is " 至 ".
func formatIntervalIn(lang, ind string, est, lo, hi float64) string {
	st := styleOf(ind)
	a, b := formatLike(st, est, lo), formatLike(st, est, hi)
	unit := ""
	if st == styleRate {
		a, unit = strings.TrimSuffix(a, "%"), "%"
		b = strings.TrimSuffix(b, "%")
	}
	sep := "–"
	if strings.HasPrefix(a, "-") || strings.HasPrefix(b, "-") {
		sep = T(lang, " to ")
	}
	return a + sep + b + unit
}

// formatLike writes v in the style of the estimates of an indicator; money
// has two decimals when the estimate est is below 100 in absolute value, as
// formatMoney. A value that rounds to zero is written without a sign.
func formatLike(st style, est, v float64) string {
	var s string
	switch st {
	case styleRate:
		s = formatRate(v)
	case styleIndex:
		s = formatIndex(v)
	case styleRatio:
		s = formatRatio(v)
	case styleCount:
		s = formatCount(v)
	default:
		if math.Abs(est) < 100 {
			s = strconv.FormatFloat(v, 'f', 2, 64)
		} else {
			s = thousands(v)
		}
	}
	if rest, ok := strings.CutPrefix(s, "-"); ok && strings.Trim(rest, "0.,%") == "" {
		return rest
	}
	return s
}

// formatSE writes a standard error with two significant digits (whole
// numbers with thousands separators from 100 on), in percentage points for
// the indicators shown as percentages: 0.00316 is "0.32 pp" for a headcount.
func formatSE(ind string, se float64) string { return formatSEIn("en", ind, se) }

// formatSEIn is formatSE in language lang: percentage points are 个百分点.
func formatSEIn(lang, ind string, se float64) string {
	if styleOf(ind) == styleRate {
		return significant(100*se) + T(lang, " pp")
	}
	return significant(se)
}

// significant writes v >= 0 with two significant digits, or rounded to a
// whole number with thousands separators when it is at least 100.
func significant(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100 || math.IsInf(v, 0):
		return thousands(v)
	}
	d := 1 - int(math.Floor(math.Log10(v)))
	return strconv.FormatFloat(v, 'f', min(d, 12), 64)
}

// percent writes a fraction as a percentage without spurious digits:
// 0.95 is "95%", 0.3 is "30%", 0.975 is "97.5%".
func percent(v float64) string {
	return strconv.FormatFloat(math.Round(100*v*1e6)/1e6, 'f', -1, 64) + "%"
}

// errorLevel is the confidence level of the study; 0.95 when unset.
func errorLevel(s *pipeline.Study) string {
	if s.Level > 0 && s.Level < 1 {
		return percent(s.Level)
	}
	return "95%"
}

// cardInterval is the line of a headline under its value: the interval
// with its level, its bounds in full, "" without one.
func cardInterval(s *pipeline.Study, r pipeline.Result) string {
	var c cell
	addErrorIn(s.Lang, &c, r)
	if c.CI == "" {
		return ""
	}
	t := Tf(s.Lang, "%s CI %s", errorLevel(s), formatIntervalIn(s.Lang, r.Indicator, r.Estimate, r.CILower, r.CIUpper))
	if c.Unreliable {
		t += " †"
	}
	return t
}

// flagTables writes the footnote of the unreliable estimates under every
// table that has one, and counts them in the summary of a folded table.
func flagTables(s *pipeline.Study, ts []*table) {
	note := T(s.Lang, "† Relative standard error above the study's limit: unreliable, to be read with caution (as Eurostat's flag “u”, low reliability).")
	if s.RSELimit > 0 {
		note = Tf(s.Lang, "† Relative standard error above %s: unreliable, to be read with caution (as Eurostat's flag “u”, low reliability).", percent(s.RSELimit))
	}
	for _, t := range ts {
		n := 0
		for _, row := range t.Rows {
			for _, c := range row {
				if c.Unreliable {
					n++
				}
			}
		}
		if n == 0 {
			continue
		}
		t.Flag = note
		if t.Collapsed {
			t.Summary += T(s.Lang, "; ") + pluralIn(s.Lang, n, "unreliable estimate") + " †"
		}
	}
}

// tables lists every table of the page.
func (p *page) tables() []*table {
	var ts []*table
	for _, t := range []*table{p.Key, p.KeySpread} {
		if t != nil {
			ts = append(ts, t)
		}
	}
	secs := []*section{&p.Base, &p.Inequality, &p.Ratios, &p.Dynamics}
	for _, group := range [][]section{p.Lines, p.Poverty, p.Regional} {
		for i := range group {
			secs = append(secs, &group[i])
		}
	}
	for _, sec := range secs {
		for i := range sec.Tables {
			ts = append(ts, &sec.Tables[i])
		}
	}
	return ts
}

// errorSummary is the paragraph of the methods on standard errors.
type errorSummary struct {
	Level                string // "95%"
	Strata, PSU, FPC     string // design columns, "" for none
	Lonely               string // what strata with a single PSU add
	Linearized, Woodruff bool
	WoodruffLines        []string  // lines at a fraction of a median, with Woodruff's interval
	Bootstrap            string    // "500 replicates, seed 7"; "" when not used
	DF                   string    // degrees of freedom of the t quantile, "" when unknown
	Fixed                []indList // SE with the line held fixed
	Estimated            []indList // SE with the line's own variance
	Unavailable          []indList // no SE
	UnavailableLines     []string  // lines whose value has no SE
	Limit                string    // RSE limit, "" when none
}

// indList is a list of indicators and the lines it holds for: Every
// line (when there are several), or Lines, none when it holds for the
// only line or the indicators have no line.
type indList struct {
	Inds  []string
	Every bool
	Lines []string
	Lang  string // the language of the report
}

var dfPattern = regexp.MustCompile(`\bt\((\d+)\)`)

// errorMethods summarizes the standard errors of the results shown: the
// design, the methods used, the level and degrees of freedom, the
// indicators that hold the line fixed and those without a standard error.
// nil when the study asks for none.
func errorMethods(s *pipeline.Study, results []pipeline.Result) *errorSummary {
	if !hasErrors(results) {
		return nil
	}
	e := &errorSummary{Level: errorLevel(s), Strata: s.Strata, PSU: s.PSU, FPC: s.FPC, Lonely: lonelyWordsIn(s.Lang, s.Lonely)}
	if s.RSELimit > 0 {
		e.Limit = percent(s.RSELimit)
	}
	shown := slices.DeleteFunc(slices.Clone(s.Indicators), func(ind string) bool { return ind == "n" || ind == "line" })
	// Per indicator and line ("" for indicators without one): whether
	// some row has a standard error with the line fixed, with the line
	// estimated, or none at all.
	type key struct{ ind, line string }
	fixed, estimated, some, has := map[key]bool{}, map[key]bool{}, map[key]bool{}, map[key]bool{}
	var dfs []string
	for _, r := range results {
		switch {
		case strings.HasPrefix(r.SEMethod, "bootstrap") && e.Bootstrap == "":
			if i, j := strings.Index(r.SEMethod, "("), strings.Index(r.SEMethod, ")"); i >= 0 && j > i {
				e.Bootstrap = strings.TrimPrefix(r.SEMethod[i+1:j], "Rao-Wu, ")
			}
		case strings.HasPrefix(r.SEMethod, "woodruff"):
			e.Woodruff = true
			if r.Indicator == "line" && !slices.Contains(e.WoodruffLines, r.Line) {
				e.WoodruffLines = append(e.WoodruffLines, r.Line)
			}
		}
		if strings.Contains(r.SEMethod, "linearized") {
			e.Linearized = true
		}
		if m := dfPattern.FindStringSubmatch(r.SEMethod); m != nil && !slices.Contains(dfs, m[1]) {
			dfs = append(dfs, m[1])
		}
		if r.Indicator == "line" {
			if r.SEMethod == methodUnavailable && !slices.Contains(e.UnavailableLines, r.Line) {
				e.UnavailableLines = append(e.UnavailableLines, r.Line)
			}
			continue
		}
		k := key{r.Indicator, r.Line}
		if r.SEMethod == "" || !slices.Contains(shown, r.Indicator) {
			continue
		}
		some[k] = true
		if r.SEMethod == methodUnavailable {
			continue
		}
		has[k] = true
		if r.Line == "" || math.IsNaN(r.SE) {
			continue
		}
		if strings.HasSuffix(r.SEMethod, "line fixed") {
			fixed[k] = true
		} else if strings.HasPrefix(r.SEMethod, "linearized") {
			estimated[k] = true
		}
	}
	if len(dfs) > 0 {
		ns := make([]string, len(dfs))
		for i, d := range dfs {
			v, _ := strconv.Atoi(d)
			ns[i] = thousands(float64(v))
		}
		e.DF = andListIn(s.Lang, ns)
	}
	var lines []string // the lines of the results, in the order of the study
	for _, l := range s.Lines {
		if slices.ContainsFunc(shown, func(ind string) bool { return some[key{ind, l.Name}] }) {
			lines = append(lines, l.Name)
		}
	}
	linesOf := func(ind string, in func(key) bool) []string {
		var ls []string
		for _, l := range lines {
			if in(key{ind, l}) {
				ls = append(ls, l)
			}
		}
		return ls
	}
	fixedBy, estimatedBy, unavailableBy := map[string][]string{}, map[string][]string{}, map[string][]string{}
	var alone []string // indicators without a line and without a standard error
	for _, ind := range shown {
		fixedBy[ind] = linesOf(ind, func(k key) bool { return fixed[k] })
		estimatedBy[ind] = linesOf(ind, func(k key) bool { return estimated[k] })
		unavailableBy[ind] = linesOf(ind, func(k key) bool { return some[k] && !has[k] })
		if k := (key{ind, ""}); some[k] && !has[k] {
			alone = append(alone, ind)
		}
	}
	e.Fixed = byLines(shown, fixedBy, lines)
	e.Estimated = byLines(shown, estimatedBy, lines)
	e.Unavailable = byLines(shown, unavailableBy, lines)
	if len(alone) > 0 {
		e.Unavailable = append(e.Unavailable, indList{Inds: alone})
	}
	for _, ls := range [][]indList{e.Fixed, e.Estimated, e.Unavailable} {
		for i := range ls {
			ls[i].Lang = s.Lang
		}
	}
	e.Bootstrap = bootstrapWords(s.Lang, e.Bootstrap)
	return e
}

var replicatesPattern = regexp.MustCompile(`^(\d+) replicates, seed (\d+)$`)

// bootstrapWords writes the replicates and seed of a bootstrap, "500
// replicates, seed 7" as the pipeline names them, in language lang.
func bootstrapWords(lang, b string) string {
	m := replicatesPattern.FindStringSubmatch(b)
	if m == nil {
		return b
	}
	return Tf(lang, "%s replicates, seed %s", m[1], m[2])
}

// byLines groups the indicators of a map from indicator to lines, in the
// order of inds: indicators under the same lines share an indList.
func byLines(inds []string, m map[string][]string, all []string) []indList {
	var out []indList
	index := map[string]int{}
	for _, ind := range inds {
		ls := m[ind]
		if len(ls) == 0 {
			continue
		}
		k := strings.Join(ls, "\x00")
		i, ok := index[k]
		if !ok {
			l := indList{Lines: ls}
			if slices.Equal(ls, all) {
				l.Every, l.Lines = len(all) > 1, nil
			}
			i = len(out)
			index[k] = i
			out = append(out, l)
		}
		out[i].Inds = append(out[i].Inds, ind)
	}
	return out
}

// lonelyWords says what a stratum with a single PSU adds to a variance.
func lonelyWords(rule string) string { return lonelyWordsIn("en", rule) }

// lonelyWordsIn is lonelyWords in language lang.
func lonelyWordsIn(lang, rule string) string {
	switch rule {
	case "remove", "certainty":
		return Tf(lang, "add nothing (%s)", rule)
	case "average":
		return T(lang, "add the mean contribution of the other strata (average)")
	case "fail":
		return T(lang, "would stop the run (fail); there is none")
	}
	return T(lang, "add the squared deviation of their PSU total from the mean PSU total of the design (adjust, as R survey)")
}

// errorFields are the design and variance settings of the study, for the
// provenance list; none when the study asks for no standard error.
func errorFields(s *pipeline.Study, results []pipeline.Result) []field {
	if !hasErrors(results) {
		return nil
	}
	lang := s.Lang
	var fs []field
	for _, f := range []field{{T(lang, "Strata"), s.Strata, true}, {T(lang, "PSU"), s.PSU, true}, {T(lang, "Sampling fraction"), s.FPC, true}} {
		if f.Value != "" {
			fs = append(fs, f)
		}
	}
	v := T(lang, s.SEMethod)
	if s.SEMethod == "bootstrap" && s.Replicates > 0 {
		v += ", " + pluralIn(lang, s.Replicates, "replicate")
	}
	v += Tf(lang, "; %s confidence intervals", errorLevel(s))
	if s.RSELimit > 0 {
		v += Tf(lang, "; unreliable above an RSE of %s", percent(s.RSELimit))
	}
	return append(fs, field{T(lang, "Standard errors"), strings.TrimPrefix(v, T(lang, "; ")), false})
}
