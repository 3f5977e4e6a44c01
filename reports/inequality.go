package reports

import (
	"slices"
	"strconv"
	"strings"

	"github.com/povstat/povstat/pipeline"
)

// The sections on inequality within domains, on disparity across regions
// and on group ratios. The pipeline tells its rows apart only by name: the
// base indicators (population, n, mean, median) have no line either.

// inequalityNames are the person-level inequality indicators without a
// parameter; ge_<alpha>, atkinson_<epsilon> and the income shares are
// recognised by isInequality.
var inequalityNames = []string{"gini", "theil_t", "theil_l", "qsr", "palma"}

// regionCoefficients are the regional disparity indicators of one domain,
// in the order of their columns; region_mean has a table of its own.
var regionCoefficients = []string{"cv", "williamson", "max_min_ratio",
	"theil_t_between", "theil_t_within", "theil_t_between_share",
	"theil_l_between", "theil_l_within", "theil_l_between_share"}

// isInequality reports whether ind is a person-level inequality indicator:
// gini, theil_t, theil_l, qsr, palma, ge_<alpha>, atkinson_<epsilon>,
// share_q1..share_q5 or share_d1..share_d10. Other names, such as
// "gini_change" or "share_q6", are not.
func isInequality(ind string) bool {
	if slices.Contains(inequalityNames, ind) {
		return true
	}
	for _, p := range []string{"ge_", "atkinson_", "share_q", "share_d"} {
		if strings.HasPrefix(ind, p) {
			return pipeline.KnownIndicator(ind)
		}
	}
	return false
}

// share returns the group of an income share indicator and the number of
// groups (5 for share_q<k>, 10 for share_d<k>); 0, 0 for other indicators.
func share(ind string) (k, groups int) {
	if !isInequality(ind) {
		return 0, 0
	}
	for _, q := range []struct {
		prefix string
		groups int
	}{{"share_q", 5}, {"share_d", 10}} {
		if v, ok := strings.CutPrefix(ind, q.prefix); ok {
			k, _ := strconv.Atoi(v)
			return k, q.groups
		}
	}
	return 0, 0
}

// style is how the estimates of an indicator are written.
type style int

const (
	styleMoney style = iota // thousands separators, two decimals below 100
	styleRate               // a percentage with one decimal
	styleIndex              // three decimals
	styleRatio              // two decimals
	styleCount              // a whole number with thousands separators
)

func styleOf(ind string) style {
	switch ind {
	case "headcount", "gap", "severity", "rmpg", "theil_t_between_share", "theil_l_between_share",
		"status", "transition", "entry_rate", "exit_rate", "reentry_rate", "chronic", "transient", "never_poor",
		"poor_years_share", "flagged_share":
		return styleRate
	case "sen", "watts", "cv", "williamson", "theil_t_between", "theil_t_within", "theil_l_between", "theil_l_within":
		return styleIndex
	case "qsr", "palma", "max_min_ratio", "ratio":
		return styleRatio
	case "n", "population", "poor_population":
		return styleCount
	}
	if isInequality(ind) {
		if _, groups := share(ind); groups > 0 {
			return styleRate
		}
		return styleIndex
	}
	return styleMoney
}

// labelOf is the heading of an indicator, including the members of the
// parametric families.
func labelOf(ind string) label { return labelIn("en", ind) }

// labelIn is the heading of an indicator in language lang; the name of the
// indicator that starts its explanation is not translated.
func labelIn(lang, ind string) label {
	if l, ok := labels[ind]; ok {
		return label{T(lang, l.text), T(lang, l.title)}
	}
	if k, groups := share(ind); groups > 0 {
		if groups == 10 {
			return label{"D" + strconv.Itoa(k), Tf(lang, "%s: share of income of the units in decile group %d of %d", ind, k, groups)}
		}
		return label{"Q" + strconv.Itoa(k), Tf(lang, "%s: share of income of the units in quintile group %d of %d", ind, k, groups)}
	}
	if !isInequality(ind) {
		return label{ind, ind}
	}
	if v, ok := strings.CutPrefix(ind, "ge_"); ok {
		return label{"GE(" + v + ")", Tf(lang, "%s: generalized entropy index of order %s; %s left out", ind, v, T(lang, excludedRule(ind)))}
	}
	v := strings.TrimPrefix(ind, "atkinson_")
	return label{Tf(lang, "Atkinson(%s)", v), Tf(lang, "%s: Atkinson index with inequality aversion %s; %s left out", ind, v, T(lang, excludedRule(ind)))}
}

// excludedRule says which incomes an entropy measure leaves out: incomes
// ≤ 0 for GE with alpha ≤ 1 (Theil T and L) and Atkinson with epsilon ≥ 1,
// incomes < 0 for the other members; "" for the other indicators.
func excludedRule(ind string) string {
	switch ind {
	case "theil_t", "theil_l":
		return "incomes ≤ 0"
	}
	if !isInequality(ind) {
		return ""
	}
	if v, ok := strings.CutPrefix(ind, "ge_"); ok {
		if a, _ := strconv.ParseFloat(v, 64); a <= 1 {
			return "incomes ≤ 0"
		}
		return "incomes < 0"
	}
	if v, ok := strings.CutPrefix(ind, "atkinson_"); ok {
		if e, _ := strconv.ParseFloat(v, 64); e >= 1 {
			return "incomes ≤ 0"
		}
		return "incomes < 0"
	}
	return ""
}

// familyHeading is the heading over the columns of a family of indicators
// shown side by side, "" for indicators that stand alone.
func familyHeading(ind string) string {
	switch {
	case strings.HasPrefix(ind, "theil_t_"):
		return "Theil T decomposition"
	case strings.HasPrefix(ind, "theil_l_"):
		return "Theil L decomposition"
	}
	switch _, groups := share(ind); groups {
	case 5:
		return "Quintile shares"
	case 10:
		return "Decile shares"
	}
	return ""
}

// ratioLabel is the heading of a ratio COL=A/B.
func ratioLabel(ratio string) label { return ratioLabelIn("en", ratio) }

// ratioLabelIn is ratioLabel in language lang.
func ratioLabelIn(lang, ratio string) label {
	q, err := pipeline.ParseRatio(ratio)
	if err != nil {
		return label{ratio, "ratio: " + ratio}
	}
	return label{q.Column + " = " + q.Numerator + " / " + q.Denominator,
		Tf(lang, "ratio: weighted mean income of the units with %s = %s over that of the units with %s = %s",
			q.Column, q.Numerator, q.Column, q.Denominator)}
}

// inequalityOf lists the inequality indicators of a study in its order,
// except that the income shares come last, quintiles before deciles, each
// by group, so that a heading can span them.
func inequalityOf(asked []string) []string {
	var out []string
	for _, ind := range asked {
		if isInequality(ind) && !slices.Contains(out, ind) {
			out = append(out, ind)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int {
		ka, ga := share(a)
		kb, gb := share(b)
		if ga != gb {
			return ga - gb
		}
		return ka - kb
	})
	return out
}

// hasResult reports whether some result without a line has an indicator
// of inds.
func hasResult(results []pipeline.Result, inds []string) bool {
	return slices.ContainsFunc(results, func(r pipeline.Result) bool {
		return r.Line == "" && slices.Contains(inds, r.Indicator)
	})
}

// inequalitySection has one table per breakdown: domains × the inequality
// indicators of the study. It has no table when the study asks for none or
// none was computed.
func inequalitySection(s *pipeline.Study, results []pipeline.Result) section {
	sec := section{ID: "inequality", Title: T(s.Lang, "Inequality")}
	inds := inequalityOf(s.Indicators)
	if !hasResult(results, inds) {
		return sec
	}
	for j, cols := range breakdowns(s) {
		t := pivotIn(s.Lang, results, cols, "", inds)
		t.ID = "inequality-" + strconv.Itoa(j+1)
		t.Caption = byCaption(s.Lang, cols)
		t.Note = excludedNoteIn(s.Lang, results, cols, inds)
		sec.Tables = append(sec.Tables, t)
	}
	return sec
}

// excludedNote says how many rows the entropy measures of a table leave
// out, over all its domains together.
func excludedNote(results []pipeline.Result, cols []string, inds []string) string {
	return excludedNoteIn("en", results, cols, inds)
}

// excludedNoteIn is excludedNote in language lang.
func excludedNoteIn(lang string, results []pipeline.Result, cols []string, inds []string) string {
	type left struct {
		rule string
		n    int
		pop  float64
	}
	var order []left
	names := map[left][]string{}
	for _, ind := range inds {
		rule := excludedRule(ind)
		if rule == "" {
			continue
		}
		l := left{rule: rule}
		for _, r := range results {
			if r.Indicator == ind && r.Line == "" && sameColumns(r.Domain, cols) {
				l.n += r.ExcludedN
				l.pop += r.ExcludedPopulation
			}
		}
		if l.n == 0 {
			continue
		}
		if _, ok := names[l]; !ok {
			order = append(order, l)
		}
		names[l] = append(names[l], labelIn(lang, ind).text)
	}
	var parts []string
	for _, l := range order {
		format := "%s leaves out %s with %s"
		if len(names[l]) > 1 {
			format = "%s leave out %s with %s"
		}
		p := Tf(lang, format, andListIn(lang, names[l]), pluralIn(lang, l.n, "row"), T(lang, l.rule))
		if l.pop > 0 {
			p += Tf(lang, " (%s weighted)", formatCount(l.pop))
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return ""
	}
	note := strings.Join(parts, T(lang, "; "))
	if len(cols) > 0 {
		note += T(lang, ", over all domains together; hover a value for its domain")
	}
	return note + T(lang, ".")
}

// andList joins "a", "b" and "c" as "a, b and c".
func andList(xs []string) string {
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// regionalSections has, when the study sets a region column, the disparity
// coefficients (one table per breakdown that does not include the region
// column) and the mean income of each region.
func regionalSections(s *pipeline.Study, results []pipeline.Result) []section {
	if s.Region == "" {
		return nil
	}
	lang := s.Lang
	var skipped []string
	for _, cols := range s.Domains {
		if slices.Contains(cols, s.Region) {
			skipped = append(skipped, describeIn(lang, cols))
		}
	}
	leftOut := ""
	if len(skipped) > 0 {
		leftOut = Tf(lang, " Breakdowns that include %s (%s) have a single region in each domain and are not shown.", s.Region, strings.Join(skipped, T(lang, "; ")))
	}
	var ss []section
	if coefs := selected(s.Indicators, regionCoefficients); hasResult(results, coefs) {
		sec := section{ID: "disparity", Title: T(lang, "Disparity coefficients"),
			Detail: T(lang, "CV and Williamson are coefficients of variation of the regional mean incomes, unweighted and weighted by population; "+
				"max / min is the highest regional mean over the lowest. The Theil terms are indices; the between share is the part of "+
				"Theil's index due to the differences between the regional means, as a percentage.") + leftOut}
		for j, cols := range breakdowns(s) {
			if slices.Contains(cols, s.Region) {
				continue
			}
			t := pivotIn(lang, results, cols, "", coefs)
			t.ID = "disparity-" + strconv.Itoa(j+1)
			t.Caption = byCaption(lang, cols)
			sec.Tables = append(sec.Tables, t)
		}
		ss = append(ss, sec)
	}
	if ts := regionMeans(s, results); len(ts) > 0 && slices.Contains(s.Indicators, "region_mean") {
		ss = append(ss, section{ID: "region-means", Title: T(lang, "Regional mean income"),
			Detail: Tf(lang, "The weighted mean income of each %s group in each domain; a dash marks a group without any unit in the domain.", s.Region),
			Tables: ts})
	}
	return ss
}

// wideColumns is the largest number of domains a breakdown may have for
// them to be columns of the regional means table; a breakdown with more
// has a long table of its own (domain and region × mean income).
const wideColumns = 12

// regionMeans lays the regional means out as regions × the domains of the
// breakdowns without the region column, the whole population first.
func regionMeans(s *pipeline.Study, results []pipeline.Result) []table {
	type key struct{ cols, values string }
	keyOf := func(d []pipeline.DomainValue) key {
		var c strings.Builder
		for _, v := range d {
			c.WriteString(v.Column)
			c.WriteByte(0)
		}
		return key{c.String(), domainKey(d)}
	}
	means := map[key]pipeline.Result{}
	var regions []string
	for _, r := range results {
		if r.Indicator != "region_mean" || r.Line != "" || len(r.Domain) == 0 || r.Domain[len(r.Domain)-1].Column != s.Region {
			continue
		}
		means[keyOf(r.Domain)] = r
		if v := r.Domain[len(r.Domain)-1].Value; !slices.Contains(regions, v) {
			regions = append(regions, v)
		}
	}
	if len(regions) == 0 {
		return nil
	}
	lang := s.Lang
	wide := table{ID: "region-means-all", Caption: Tf(lang, "Mean income by %s", s.Region), Header: []column{{Text: s.Region}}, Groups: []group{{"", 1}}}
	var domains [][]pipeline.DomainValue // the columns of wide
	var long []table
	for j, cols := range breakdowns(s) {
		if slices.Contains(cols, s.Region) {
			continue
		}
		full := append(slices.Clone(cols), s.Region)
		var ds [][]pipeline.DomainValue
		seen := map[string]bool{}
		for _, r := range results {
			if r.Indicator != "region_mean" || r.Line != "" || !sameColumns(r.Domain, full) {
				continue
			}
			d := r.Domain[:len(cols)]
			if k := domainKey(d); !seen[k] {
				seen[k] = true
				ds = append(ds, d)
			}
		}
		switch {
		case len(ds) == 0:
			continue
		case len(ds) > wideColumns:
			t := pivotIn(lang, results, full, "", []string{"region_mean"})
			t.ID = "region-means-" + strconv.Itoa(j+1)
			t.Caption = Tf(lang, "By %s, by %s", describeIn(lang, cols), s.Region)
			long = append(long, t)
			continue
		}
		g := group{Tf(lang, "By %s", describeIn(lang, cols)), len(ds)}
		if len(cols) == 0 {
			g.Text = T(lang, "Whole population")
		}
		wide.Groups = append(wide.Groups, g)
		for _, d := range ds {
			c := column{Text: T(lang, "All"), Title: Tf(lang, "mean income of each %s group in the whole population", s.Region), Numeric: true}
			if len(d) > 0 {
				vs, where := make([]string, len(d)), make([]string, len(d))
				for i, v := range d {
					vs[i], where[i] = v.Value, v.Column+" = "+v.Value
				}
				c.Text = strings.Join(vs, " · ")
				c.Title = Tf(lang, "mean income of each %s group where %s", s.Region, andListIn(lang, where))
			}
			wide.Header = append(wide.Header, c)
			domains = append(domains, d)
		}
	}
	var out []table
	if len(domains) > 0 {
		lo, hi := 0.0, 0.0
		some := false
		for _, region := range regions {
			row := []cell{{Text: region}}
			for _, d := range domains {
				r, ok := means[keyOf(append(slices.Clone(d), pipeline.DomainValue{Column: s.Region, Value: region}))]
				if !ok {
					row = append(row, cell{Text: "–", Numeric: true, Missing: true, Title: Tf(lang, "no unit of this %s in this domain", s.Region)})
					continue
				}
				c := valueCellIn(lang, r)
				if base := Tf(lang, "%s, population %s", pluralIn(lang, r.N, "row"), formatCount(r.Population)); c.Title == "" {
					c.Title = base
				} else if r.Note == "" && r.ExcludedN == 0 {
					c.Title = base + "\n" + c.Title // the standard error
				}
				row = append(row, c)
				if c.Missing {
					continue
				}
				if !some || r.Estimate < lo {
					lo = r.Estimate
				}
				if !some || r.Estimate > hi {
					hi = r.Estimate
				}
				some = true
			}
			wide.Rows = append(wide.Rows, row)
		}
		if len(wide.Groups) == 2 && len(domains) == 1 {
			wide.Groups = nil // the whole population alone
		}
		if len(wide.Rows) > collapseRows {
			wide.Collapsed = true
			wide.Summary = pluralIn(lang, len(regions), "region") + " × " + pluralIn(lang, len(domains), "domain")
			if some {
				wide.Summary += Tf(lang, "; from %s to %s", formatMoney(lo), formatMoney(hi))
			}
		}
		out = append(out, wide)
	}
	return append(out, long...)
}

// ratioSection has one table per breakdown, domains × the ratios of the
// study. A ratio is left out of the breakdowns that include its column:
// there, one of its groups is always empty.
func ratioSection(s *pipeline.Study, results []pipeline.Result) section {
	sec := section{ID: "ratios", Title: T(s.Lang, "Group ratios")}
	if len(s.Ratios) == 0 || !slices.Contains(s.Indicators, "ratio") || !hasResult(results, []string{"ratio"}) {
		return sec
	}
	for j, cols := range breakdowns(s) {
		var ms []measure
		for _, q := range s.Ratios {
			if !slices.Contains(cols, q.Column) {
				ms = append(ms, measure{ind: "ratio", ratio: q.String()})
			}
		}
		if len(ms) == 0 {
			continue
		}
		t := pivotMeasuresIn(s.Lang, results, cols, "", ms)
		t.ID = "ratios-" + strconv.Itoa(j+1)
		t.Caption = byCaption(s.Lang, cols)
		sec.Tables = append(sec.Tables, t)
	}
	return sec
}

// spreadHeadlines are the whole-population figures of inequality: the
// Gini coefficient, Williamson's coefficient and each group ratio.
func spreadHeadlines(s *pipeline.Study, results []pipeline.Result) []headline {
	lang := s.Lang
	var hs []headline
	dom, where := headlineDomain(s, results)
	if r, ok := find(results, "gini", "", dom); ok && slices.Contains(s.Indicators, "gini") {
		d := T(lang, "income inequality, whole population")
		if dom != nil {
			d = Tf(lang, "income inequality, %s", where)
		}
		hs = append(hs, headline{Label: T(lang, "Gini coefficient"), Value: valueCell(r).Text, Detail: d, CI: cardInterval(s, r)})
	}
	if r, ok := find(results, "williamson", "", dom); ok && s.Region != "" && slices.Contains(s.Indicators, "williamson") {
		n := 0
		for _, m := range results {
			if m.Indicator == "region_mean" && len(m.Domain) == 1 && m.Domain[0].Column == s.Region {
				n++
			}
		}
		d := Tf(lang, "population-weighted CV of the mean incomes of the %s groups", s.Region)
		switch {
		case n > 0 && lang == "zh":
			d = Tf(lang, "population-weighted CV of the mean incomes of %d %s groups", n, s.Region)
		case n > 0:
			d = "population-weighted CV of the mean incomes of " + plural(n, s.Region+" group")
		}
		hs = append(hs, headline{Label: T(lang, "Williamson coefficient"), Value: valueCell(r).Text, Detail: d, CI: cardInterval(s, r)})
	}
	for _, q := range s.Ratios {
		if !slices.Contains(s.Indicators, "ratio") {
			break
		}
		for _, r := range results {
			if r.Indicator == "ratio" && r.Ratio == q.String() && slices.Equal(r.Domain, dom) {
				d := Tf(lang, "%s = %s over %s = %s, whole population", q.Column, q.Numerator, q.Column, q.Denominator)
				if dom != nil {
					d = Tf(lang, "%s = %s over %s = %s, %s", q.Column, q.Numerator, q.Column, q.Denominator, where)
				}
				hs = append(hs, headline{Label: T(lang, "Mean income ratio"), Value: valueCell(r).Text, CI: cardInterval(s, r), Detail: d})
				break
			}
		}
	}
	return hs
}

// keySpreadTable has a row for the Gini coefficient, Williamson's
// coefficient and each group ratio, with their values in the whole
// population and in the domains of the small one-column breakdowns (by
// year, say). It is nil when there is no such breakdown: the cards say it
// all.
func keySpreadTable(s *pipeline.Study, results []pipeline.Result) *table {
	var ms []measure
	if slices.Contains(s.Indicators, "gini") {
		ms = append(ms, measure{ind: "gini"})
	}
	if s.Region != "" && slices.Contains(s.Indicators, "williamson") {
		ms = append(ms, measure{ind: "williamson"})
	}
	if slices.Contains(s.Indicators, "ratio") {
		for _, q := range s.Ratios {
			ms = append(ms, measure{ind: "ratio", ratio: q.String()})
		}
	}
	ms = slices.DeleteFunc(ms, func(m measure) bool {
		return !slices.ContainsFunc(results, func(r pipeline.Result) bool { return m.matches(r) && r.Line == "" })
	})
	if len(ms) == 0 {
		return nil
	}
	lang := s.Lang
	t := &table{ID: "key-spread", Caption: T(lang, "Inequality and disparity"),
		Header: []column{{Text: T(lang, "Indicator")}, {Text: T(lang, "Whole population"), Numeric: true}},
		Groups: []group{{"", 2}}}
	var levels [][]pipeline.DomainValue
	for _, cols := range s.Domains {
		if len(cols) != 1 {
			continue
		}
		ds := domainsOf(results, cols)
		if len(ds) == 0 || len(ds) > keyLevels {
			continue
		}
		for _, d := range ds {
			t.Header = append(t.Header, column{Text: d[0].Value, Title: d[0].Column + " = " + d[0].Value, Numeric: true})
		}
		t.Groups = append(t.Groups, group{Tf(lang, "By %s", cols[0]), len(ds)})
		levels = append(levels, ds...)
	}
	if len(levels) == 0 {
		return nil
	}
	for _, m := range ms {
		name := cell{Text: labelIn(lang, m.ind).text, Title: labelIn(lang, m.ind).title}
		switch {
		case m.ind == "gini":
			name.Text = T(lang, "Gini coefficient")
		case m.ind == "williamson":
			name.Text = Tf(lang, "Williamson coefficient (%s)", s.Region)
		case m.ratio != "":
			l := ratioLabelIn(lang, m.ratio)
			name = cell{Text: Tf(lang, "Mean income ratio %s", l.text), Title: l.title}
		}
		row := []cell{name}
		for _, d := range append([][]pipeline.DomainValue{nil}, levels...) {
			at := slices.IndexFunc(results, func(r pipeline.Result) bool {
				return m.matches(r) && r.Line == "" && slices.Equal(r.Domain, d)
			})
			if at < 0 {
				row = append(row, cell{Text: "–", Numeric: true, Missing: true, Title: T(lang, "not computed")})
				continue
			}
			row = append(row, valueCellIn(lang, results[at]))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
