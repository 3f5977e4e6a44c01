// Package reports renders the results of a study for people: a
// self-contained HTML report now; charts and spreadsheets later.
package reports

import (
	"bytes"
	_ "embed"
	"html/template"
	"math"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/povstat/povstat/pipeline"
)

//go:embed report.html.tmpl
var reportTemplate string

// report is the parsed template. Parsing once is safe: a template is only
// read by Execute, and the functions it calls are pure.
var report = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) },
	"T":   T,
	// TH is T for the texts of the template that hold markup (<code>,
	// <sub>): the catalogue is ours, not data.
	"TH": func(lang, en string) template.HTML { return template.HTML(T(lang, en)) },
	// THf is Tf for such texts: the arguments are escaped, but for
	// template.HTML ones (from codes).
	"THf": func(lang, format string, args ...any) template.HTML {
		for i, a := range args {
			if v, ok := a.(string); ok {
				args[i] = escapeText(v)
			}
		}
		return template.HTML(Tf(lang, format, args...))
	},
	"Tf":    Tf,
	"codes": codes,
}).Parse(reportTemplate))

// textEscaper escapes text as html/template does in element content.
var textEscaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

func escapeText(s string) string { return textEscaper.Replace(s) }

// codes writes names as a list of <code> elements: "<code>a</code>,
// <code>b</code>" (separated by "、" in Chinese).
func codes(lang string, names []string) template.HTML {
	var b strings.Builder
	for i, n := range names {
		switch {
		case i > 0 && lang == "zh":
			b.WriteString("、")
		case i > 0:
			b.WriteString(", ")
		}
		b.WriteString("<code>" + escapeText(n) + "</code>")
	}
	return template.HTML(b.String())
}

// collapseRows is the number of rows above which a table is folded into a
// closed <details> element.
const collapseRows = 12

// keyLevels is the largest number of domains a one-column breakdown may have
// for its headcounts to be columns of the key figures table.
const keyLevels = 6

// page is the data behind the report template.
type page struct {
	Lang       string // the language of the texts, "en" or "zh"
	HTMLLang   string // the lang attribute of <html>: "en" or "zh-CN"
	Title      string
	Version    string
	Intro      string
	Contents   []entry
	Cards      []headline
	Key        *table
	KeySpread  *table
	Warnings   []string
	Lines      []section
	Poverty    []section
	Base       section
	Inequality section
	Regional   []section
	Ratios     section
	Dynamics   section       // the panel dynamics of a dynamics: section (dynamics.go)
	Region     string        // the region column, for the texts of the regional section
	SE         *errorSummary // nil when the study asks for no standard error
	Study      []field
	Software   []field
	Inputs     table
	Screening  table
	Figures    map[string][]figure // the charts, by the ID of their section
	Curves     curveSections       // comparing lines, return to poverty, methods of curves (html_curves.go)
}

// entry is one item of the table of contents: Links are shown after it on
// the same line, Sub below it.
type entry struct {
	ID, Text string
	Links    []entry
	Sub      []entry
}

// section is a titled group of tables with an anchor.
type section struct {
	ID, Title, Detail, Spec string
	Tables                  []table
}

// headline is one figure of the summary.
type headline struct {
	Label, Value, Detail string
	CI                   string // the confidence interval, "" for none
}

// field is one labelled value of the provenance lists.
type field struct {
	Label, Value string
	Mono         bool
}

// table is one rendered table: a caption, an optional row of column groups,
// a header and rows of cells. Tables with many rows are folded (Collapsed)
// and Summary tells what is inside.
type table struct {
	ID        string
	Caption   string
	Summary   string
	Collapsed bool
	Groups    []group
	Header    []column
	Rows      [][]cell
	Empty     string // shown when there is no row
	Note      string // shown under the table
	Flag      string // the footnote of unreliable estimates, under the note
}

// group spans Span columns of the header.
type group struct {
	Text string
	Span int
}

// column is a header cell; Title explains it on hover.
type column struct {
	Text, Title string
	Numeric     bool
}

// cell is one table cell. Bar, between 0 and 1, draws a small bar before
// the text; Repeat marks a domain value equal to the one above it; Missing
// marks an estimate that does not exist (Title says why). CI is the
// confidence interval shown under an estimate, Unreliable flags it.
type cell struct {
	Text       string
	Title      string
	Numeric    bool
	Bar        float64
	HasBar     bool
	Repeat     bool
	Missing    bool
	Wrap       bool
	Mono       bool
	CI         string
	Unreliable bool
}

// HTML renders the report of a study run as one self-contained HTML page:
// no script, no external resource. Every string from the data or the study
// is escaped by html/template. The bytes depend only on the study and the
// results, not on timings or on where the files are: absolute paths are
// shown relative to the directory the inputs share.
func HTML(s *pipeline.Study, out *pipeline.Output) []byte {
	p := newPage(s, out, figures(s, out.Results))
	var b bytes.Buffer
	if err := report.Execute(&b, p); err != nil {
		panic("reports: template: " + err.Error()) // the template and its data are ours
	}
	return b.Bytes()
}

// intro is the sentence under the title.
func intro(s *pipeline.Study, m *pipeline.Manifest, inequality bool, se *errorSummary) string {
	lang := s.Lang
	var b strings.Builder
	what := T(lang, "Poverty lines and poverty indicators")
	if inequality {
		what = T(lang, "Poverty lines, poverty and inequality indicators")
	}
	b.WriteString(Tf(lang, "%s of the study %s", what, strconv.Quote(s.Name)))
	if m.Rows.Read > 0 {
		if len(m.Inputs) > 0 {
			b.WriteString(Tf(lang, ", computed from %s in %s", pluralIn(lang, m.Rows.Used, "row"), pluralIn(lang, len(m.Inputs), "input file")))
		} else {
			b.WriteString(Tf(lang, ", computed from %s", pluralIn(lang, m.Rows.Used, "row")))
		}
	}
	b.WriteString(Tf(lang, ". Figures are weighted counts and shares of %s; a unit is poor when its income is strictly below the line. ", unitNounIn(lang, s.Unit)))
	if inequality {
		b.WriteString(T(lang, "Headcount, gap, severity, the relative median gap and income shares are percentages; "+
			"Watts, Sen, Gini and the entropy measures are indices; S80/S20, Palma and group ratios are ratios. "))
	} else {
		b.WriteString(T(lang, "Headcount, gap, severity and the relative median gap are percentages; Watts and Sen are indices. "))
	}
	b.WriteString(T(lang, "The whole population pools every row used."))
	if se != nil {
		b.WriteString(Tf(lang, " Under each estimate with a standard error, in small type, its %s confidence interval; hover it for the standard error, the relative standard error (RSE) and the method.", se.Level))
		if se.Limit != "" {
			b.WriteString(Tf(lang, " † marks an unreliable estimate, with an RSE above %s.", se.Limit))
		}
	}
	return b.String()
}

func unitNoun(unit string) string {
	if unit == "" {
		return "units"
	}
	return unit
}

// unitNounIn is unitNoun in language lang: the unit of the study is a name
// from the study file ("persons", "households"), translated when the
// catalogue has it.
func unitNounIn(lang, unit string) string {
	return T(lang, unitNoun(unit))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(float64(n)) + " " + noun + "s"
}

// headlines picks the whole-population population, mean and median.
func headlines(s *pipeline.Study, m *pipeline.Manifest, results []pipeline.Result) []headline {
	var hs []headline
	dom, where := headlineDomain(s, results)
	for _, ind := range []string{"population", "mean", "median"} {
		r, ok := find(results, ind, "", dom)
		if !ok {
			continue
		}
		h := headline{Label: labelIn(s.Lang, ind).text, Value: valueCell(r).Text, CI: cardInterval(s, r)}
		if ind == "population" {
			h.Label = Tf(s.Lang, "Population (%s)", unitNounIn(s.Lang, s.Unit))
			h.Detail = pluralIn(s.Lang, r.N, "row")
			if m.Rows.Read > r.N {
				h.Detail = Tf(s.Lang, "%s of %s read", h.Detail, thousands(float64(m.Rows.Read)))
			}
			if dom != nil {
				h.Detail = Tf(s.Lang, "%s; %s", where, h.Detail)
			}
		} else {
			h.Detail = T(s.Lang, "per unit, whole population")
			if dom != nil {
				h.Detail = Tf(s.Lang, "per unit, %s", where)
			}
		}
		hs = append(hs, h)
	}
	return hs
}

// headlineDomain is the domain of the headline figures: with a time column
// whose periods are a breakdown, the latest period (a population pooled
// over the years would count everyone once a year); else the whole
// population (nil). where names it, e.g. "year 2022".
func headlineDomain(s *pipeline.Study, results []pipeline.Result) (dom []pipeline.DomainValue, where string) {
	if s.Time == "" {
		return nil, ""
	}
	ps := periods(s, results, "population")
	if len(ps) == 0 {
		return nil, ""
	}
	latest := ps[len(ps)-1]
	return []pipeline.DomainValue{{Column: s.Time, Value: latest}}, s.Time + " " + latest
}

// keyTable has one row per line: its definition, its value, the headcount
// of the whole population and of the domains of small one-column
// breakdowns, and the poor population.
func keyTable(s *pipeline.Study, results []pipeline.Result) *table {
	if len(s.Lines) == 0 {
		return nil
	}
	hasHC := slices.Contains(s.Indicators, "headcount")
	hasPoor := slices.Contains(s.Indicators, "poor_population")
	lang := s.Lang
	t := &table{ID: "key-lines", Caption: T(lang, "Poverty by line")}
	t.Header = []column{{Text: T(lang, "Line")}, {Text: T(lang, "Definition")}, {Text: T(lang, "Line value"), Numeric: true, Title: T(lang, "the line; a range when it is computed in groups")}}
	var whole []string
	if hasHC {
		whole = append(whole, "headcount")
	}
	if hasPoor {
		whole = append(whole, "poor_population")
	}
	for _, ind := range whole {
		t.Header = append(t.Header, column{Text: labelIn(lang, ind).text, Title: labelIn(lang, ind).title, Numeric: true})
	}
	t.Groups = []group{{"", 3}}
	if len(whole) > 0 {
		t.Groups = append(t.Groups, group{T(lang, "Whole population"), len(whole)})
	}
	// The headcount of each domain of the small one-column breakdowns.
	var levels [][]pipeline.DomainValue
	for _, cols := range s.Domains {
		if !hasHC || len(cols) != 1 {
			continue
		}
		ds := domainsOf(results, cols)
		if len(ds) == 0 || len(ds) > keyLevels {
			continue
		}
		for _, d := range ds {
			t.Header = append(t.Header, column{Text: d[0].Value, Title: Tf(lang, "%s where %s = %s", labelIn(lang, "headcount").title, d[0].Column, d[0].Value), Numeric: true})
		}
		t.Groups = append(t.Groups, group{Tf(lang, "Headcount by %s", cols[0]), len(ds)})
		levels = append(levels, ds...)
	}
	for _, l := range s.Lines {
		row := []cell{{Text: l.Name}, {Text: lineWordsIn(lang, l), Wrap: true}, lineValueIn(lang, l, results)}
		for _, ind := range whole {
			row = append(row, estimateCellIn(lang, results, ind, l.Name, nil))
		}
		for _, d := range levels {
			row = append(row, estimateCellIn(lang, results, "headcount", l.Name, d))
		}
		t.Rows = append(t.Rows, row)
	}
	if len(t.Groups) == 1 {
		t.Groups = nil
	}
	return t
}

// estimateCell is the cell of one result, a dash when there is none.
func estimateCell(results []pipeline.Result, ind, line string, d []pipeline.DomainValue) cell {
	return estimateCellIn("en", results, ind, line, d)
}

// estimateCellIn is estimateCell in language lang.
func estimateCellIn(lang string, results []pipeline.Result, ind, line string, d []pipeline.DomainValue) cell {
	r, ok := find(results, ind, line, d)
	if !ok {
		return cell{Text: "–", Numeric: true, Missing: true, Title: T(lang, "not computed")}
	}
	return valueCellIn(lang, r)
}

// lineValue is the value of a line, or the range of its values over its groups.
func lineValue(l pipeline.Line, results []pipeline.Result) cell {
	return lineValueIn("en", l, results)
}

// lineValueIn is lineValue in language lang.
func lineValueIn(lang string, l pipeline.Line, results []pipeline.Result) cell {
	lo, hi := math.Inf(1), math.Inf(-1)
	groups := 0
	for _, r := range results {
		if r.Indicator != "line" || r.Line != l.Name {
			continue
		}
		if len(r.Domain) == 0 {
			return valueCellIn(lang, r)
		}
		groups++
		if !math.IsNaN(r.Estimate) {
			lo, hi = math.Min(lo, r.Estimate), math.Max(hi, r.Estimate)
		}
	}
	if groups == 0 || lo > hi {
		return cell{Text: "–", Numeric: true, Missing: true, Title: T(lang, "no value")}
	}
	c := cell{Text: formatMoney(lo), Numeric: true, Title: Tf(lang, "%s by %s", pluralIn(lang, groups, "group"), describeIn(lang, l.By))}
	if hi > lo {
		c.Text += " – " + formatMoney(hi)
	}
	return c
}

// lineWords says what a line is, e.g. "60% of the median income, in each year".
func lineWords(l pipeline.Line) string { return lineWordsIn("en", l) }

// lineWordsIn is lineWords in language lang.
func lineWordsIn(lang string, l pipeline.Line) string {
	var b strings.Builder
	pct := strconv.FormatFloat(100*l.Value, 'f', -1, 64)
	var where []string
	for _, c := range l.Where {
		where = append(where, c.Column+" = "+c.Value)
	}
	switch {
	case l.Basis == "abs":
		b.WriteString(Tf(lang, "fixed at %s", formatMoney(l.Value)))
	case l.Basis == "median" && len(where) > 0:
		b.WriteString(Tf(lang, "%s%% of the median income of units with %s", pct, strings.Join(where, T(lang, " and "))))
		where = nil
	case l.Basis == "mean" && len(where) > 0:
		b.WriteString(Tf(lang, "%s%% of the mean income of units with %s", pct, strings.Join(where, T(lang, " and "))))
		where = nil
	case l.Basis == "median":
		b.WriteString(Tf(lang, "%s%% of the median income", pct))
	case l.Basis == "mean":
		b.WriteString(Tf(lang, "%s%% of the mean income", pct))
	default:
		b.WriteString(l.Spec())
	}
	if len(where) > 0 {
		b.WriteString(Tf(lang, " of units with %s", strings.Join(where, T(lang, " and "))))
	}
	if len(l.By) > 0 {
		b.WriteString(Tf(lang, ", computed in each %s", describeIn(lang, l.By)))
	}
	return b.String()
}

// lineSections lists the value of every line in every group.
func lineSections(s *pipeline.Study, results []pipeline.Result) []section {
	lang := s.Lang
	var ss []section
	for i, l := range s.Lines {
		sec := section{ID: "line-" + strconv.Itoa(i+1), Title: l.Name, Detail: lineWordsIn(lang, l), Spec: l.Name + "=" + l.Spec()}
		t := table{ID: sec.ID + "-values", Caption: T(lang, "Line values"), Header: domainColumns(l.By)}
		t.Header = append(t.Header,
			column{Text: T(lang, "Line"), Numeric: true},
			column{Text: T(lang, "Reference rows"), Numeric: true, Title: T(lang, "rows the line was computed from")},
			column{Text: T(lang, "Reference population"), Numeric: true, Title: T(lang, "weighted units the line was computed from")})
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, r := range results {
			if r.Indicator != "line" || r.Line != l.Name {
				continue
			}
			row := domainCells(r.Domain, l.By)
			v := valueCellIn(lang, r)
			v.HasBar = false
			row = append(row, v, countCell(float64(r.N)), countCell(r.Population))
			t.Rows = append(t.Rows, row)
			if !math.IsNaN(r.Estimate) {
				lo, hi = math.Min(lo, r.Estimate), math.Max(hi, r.Estimate)
			}
		}
		if len(t.Rows) == 0 {
			continue
		}
		markRepeats(t.Rows, len(l.By))
		if len(t.Rows) > collapseRows {
			t.Collapsed = true
			t.Summary = Tf(lang, "%s by %s", pluralIn(lang, len(t.Rows), "group"), describeIn(lang, l.By))
			if lo <= hi {
				t.Summary += Tf(lang, "; from %s to %s", formatMoney(lo), formatMoney(hi))
			}
		}
		if len(l.By) == 0 {
			t.Caption = ""
		}
		sec.Tables = []table{t}
		ss = append(ss, sec)
	}
	return ss
}

var baseIndicators = []string{"population", "n", "mean", "median"}

var povertyIndicators = []string{"headcount", "gap", "severity", "watts", "sen", "rmpg", "poor_population", "gap_total"}

// label is how an indicator is shown: a header and its explanation.
type label struct{ text, title string }

var labels = map[string]label{
	"population":      {"Population", "population: weighted number of units"},
	"n":               {"Rows", "n: rows of the sample"},
	"mean":            {"Mean income", "mean: weighted mean income"},
	"median":          {"Median income", "median: weighted median income"},
	"headcount":       {"Headcount", "headcount, FGT(0): share of units below the line"},
	"gap":             {"Poverty gap", "gap, FGT(1): mean relative shortfall"},
	"severity":        {"Severity", "severity, FGT(2): mean squared relative shortfall"},
	"watts":           {"Watts", "watts: Watts index"},
	"sen":             {"Sen", "sen: Sen index"},
	"rmpg":            {"Rel. median gap", "rmpg: (line − median income of the poor) / line"},
	"poor_population": {"Poor population", "poor_population: weighted number of poor units"},
	"gap_total":       {"Total gap", "gap_total: money that lifts every poor unit to the line"},

	"gini":    {"Gini", "gini: Gini coefficient (Eurostat/laeken weighted formula)"},
	"theil_t": {"Theil T", "theil_t: Theil T index, GE(1); incomes ≤ 0 left out"},
	"theil_l": {"Theil L", "theil_l: mean log deviation, GE(0); incomes ≤ 0 left out"},
	"qsr":     {"S80/S20", "qsr: income of the units above the 80th percentile over that of the units at or below the 20th"},
	"palma":   {"Palma", "palma: income of the units above the 90th percentile over that of the units at or below the 40th"},

	"region_mean":           {"Mean income", "region_mean: weighted mean income of the region"},
	"cv":                    {"CV", "cv: coefficient of variation of the regional mean incomes, unweighted"},
	"williamson":            {"Williamson", "williamson: coefficient of variation of the regional mean incomes weighted by population"},
	"max_min_ratio":         {"Max / min", "max_min_ratio: highest over lowest regional mean income"},
	"theil_t_between":       {"Between", "theil_t_between: Theil T between regions, as if every unit had the mean income of its region"},
	"theil_t_within":        {"Within", "theil_t_within: income-share-weighted sum of the Theil T of each region"},
	"theil_t_between_share": {"Between share", "theil_t_between_share: between-region part of Theil T, as a share of the total"},
	"theil_l_between":       {"Between", "theil_l_between: Theil L between regions, as if every unit had the mean income of its region"},
	"theil_l_within":        {"Within", "theil_l_within: population-share-weighted sum of the Theil L of each region"},
	"theil_l_between_share": {"Between share", "theil_l_between_share: between-region part of Theil L, as a share of the total"},
}

// baseSection has one table per breakdown with population, n, mean, median.
func baseSection(s *pipeline.Study, results []pipeline.Result) section {
	sec := section{ID: "income", Title: T(s.Lang, "Population and income")}
	inds := selected(s.Indicators, baseIndicators)
	if len(inds) == 0 {
		return sec
	}
	for j, cols := range breakdowns(s) {
		t := pivotIn(s.Lang, results, cols, "", inds)
		t.ID = "income-" + strconv.Itoa(j+1)
		t.Caption = byCaption(s.Lang, cols)
		sec.Tables = append(sec.Tables, t)
	}
	return sec
}

// povertySections has one section per line with a table per breakdown.
func povertySections(s *pipeline.Study, results []pipeline.Result) []section {
	inds := selected(s.Indicators, povertyIndicators)
	if len(inds) == 0 {
		return nil
	}
	var ss []section
	for i, l := range s.Lines {
		sec := section{ID: "poverty-" + strconv.Itoa(i+1), Title: Tf(s.Lang, "Line %s", l.Name), Detail: lineWordsIn(s.Lang, l), Spec: l.Name + "=" + l.Spec()}
		for j, cols := range breakdowns(s) {
			t := pivotIn(s.Lang, results, cols, l.Name, inds)
			t.ID = sec.ID + "-" + strconv.Itoa(j+1)
			t.Caption = byCaption(s.Lang, cols)
			sec.Tables = append(sec.Tables, t)
		}
		ss = append(ss, sec)
	}
	return ss
}

func breakdowns(s *pipeline.Study) [][]string {
	return append([][]string{nil}, s.Domains...)
}

func describe(cols []string) string {
	if len(cols) == 0 {
		return "whole population"
	}
	return strings.Join(cols, " × ")
}

func selected(asked, group []string) []string {
	var out []string
	for _, a := range asked {
		if slices.Contains(group, a) {
			out = append(out, a)
		}
	}
	return out
}

// find returns the result of one indicator, line and domain.
func find(results []pipeline.Result, ind, line string, d []pipeline.DomainValue) (pipeline.Result, bool) {
	for _, r := range results {
		if r.Indicator == ind && r.Line == line && slices.Equal(r.Domain, d) {
			return r, true
		}
	}
	return pipeline.Result{}, false
}

// domainsOf lists the domains of a breakdown in the order of the results.
func domainsOf(results []pipeline.Result, cols []string) [][]pipeline.DomainValue {
	seen := map[string]bool{}
	var ds [][]pipeline.DomainValue
	for _, r := range results {
		if r.Indicator == "line" || !sameColumns(r.Domain, cols) {
			continue
		}
		k := domainKey(r.Domain)
		if !seen[k] {
			seen[k] = true
			ds = append(ds, r.Domain)
		}
	}
	return ds
}

// pivot lays the results of one breakdown and line out as domains ×
// indicators, leaving out indicators without any result.
func pivot(results []pipeline.Result, cols []string, line string, inds []string) table {
	return pivotIn("en", results, cols, line, inds)
}

// pivotIn is pivot in language lang.
func pivotIn(lang string, results []pipeline.Result, cols []string, line string, inds []string) table {
	ms := make([]measure, len(inds))
	for i, ind := range inds {
		ms[i] = measure{ind: ind}
	}
	return pivotMeasuresIn(lang, results, cols, line, ms)
}

// measure is one numeric column of a pivot: an indicator and, for ratio
// rows, the ratio (COL=A/B) they name.
type measure struct{ ind, ratio string }

func (m measure) matches(r pipeline.Result) bool { return r.Indicator == m.ind && r.Ratio == m.ratio }

// column is the heading of the measure.
func (m measure) column() column { return m.columnIn("en") }

// columnIn is the heading of the measure in language lang.
func (m measure) columnIn(lang string) column {
	if m.ratio != "" {
		l := ratioLabelIn(lang, m.ratio)
		return column{Text: l.text, Title: l.title, Numeric: true}
	}
	l := labelIn(lang, m.ind)
	return column{Text: l.text, Title: l.title, Numeric: true}
}

// pivotMeasures lays the results of one breakdown and line out as domains ×
// measures, leaving out measures without any result. Measures that belong
// to a family (income shares, the terms of a decomposition) get a heading
// over their columns.
func pivotMeasures(results []pipeline.Result, cols []string, line string, ms []measure) table {
	return pivotMeasuresIn("en", results, cols, line, ms)
}

// pivotMeasuresIn is pivotMeasures in language lang.
func pivotMeasuresIn(lang string, results []pipeline.Result, cols []string, line string, ms []measure) table {
	var have []measure
	for _, m := range ms {
		if slices.ContainsFunc(results, func(r pipeline.Result) bool {
			return m.matches(r) && r.Line == line && sameColumns(r.Domain, cols)
		}) {
			have = append(have, m)
		}
	}
	t := table{Header: domainColumns(cols), Empty: T(lang, "No result for this breakdown.")}
	heads := make([]string, len(cols))
	for _, m := range have {
		t.Header = append(t.Header, m.columnIn(lang))
		heads = append(heads, T(lang, familyHeading(m.ind)))
	}
	if slices.ContainsFunc(heads, func(h string) bool { return h != "" }) {
		for _, h := range heads {
			if n := len(t.Groups); n > 0 && t.Groups[n-1].Text == h {
				t.Groups[n-1].Span++
			} else {
				t.Groups = append(t.Groups, group{h, 1})
			}
		}
	}
	index := map[string]int{}
	for _, r := range results {
		if r.Line != line || !sameColumns(r.Domain, cols) {
			continue
		}
		at := slices.IndexFunc(have, func(m measure) bool { return m.matches(r) })
		if at < 0 {
			continue
		}
		key := domainKey(r.Domain)
		row, ok := index[key]
		if !ok {
			row = len(t.Rows)
			index[key] = row
			cells := domainCells(r.Domain, cols)
			for range have {
				cells = append(cells, cell{Numeric: true, Missing: true, Text: "–", Title: T(lang, "not computed")})
			}
			t.Rows = append(t.Rows, cells)
		}
		t.Rows[row][len(cols)+at] = valueCellIn(lang, r)
	}
	markRepeats(t.Rows, len(cols))
	if len(t.Rows) > collapseRows {
		t.Collapsed = true
		t.Summary = pluralIn(lang, len(t.Rows), "domain")
	}
	return t
}

// markRepeats fades the leading domain values that repeat the row above,
// so that the groups of a cross-classification stand out.
func markRepeats(rows [][]cell, ncols int) {
	for i := 1; i < len(rows); i++ {
		for j := 0; j < ncols-1; j++ {
			if rows[i][j].Text != rows[i-1][j].Text || (j > 0 && !rows[i][j-1].Repeat) {
				break
			}
			rows[i][j].Repeat = true
		}
	}
}

func sameColumns(d []pipeline.DomainValue, cols []string) bool {
	if len(d) != len(cols) {
		return false
	}
	for i := range d {
		if d[i].Column != cols[i] {
			return false
		}
	}
	return true
}

func domainKey(d []pipeline.DomainValue) string {
	var b strings.Builder
	for _, v := range d {
		b.WriteString(v.Value)
		b.WriteByte(0)
	}
	return b.String()
}

func domainColumns(cols []string) []column {
	h := make([]column, len(cols))
	for i, c := range cols {
		h[i] = column{Text: c}
	}
	return h
}

func domainCells(d []pipeline.DomainValue, cols []string) []cell {
	cells := make([]cell, len(cols))
	for i := range cols {
		if i < len(d) {
			cells[i] = cell{Text: d[i].Value}
		}
	}
	return cells
}

func countCell(v float64) cell { return cell{Text: formatCount(v), Numeric: true} }

// valueCell formats an estimate by the kind of indicator: rates and
// shares as percentages, indices with three decimals, ratios with two,
// counts and money with thousands separators. A missing estimate is a dash
// with its note as title; rows left out by a rule are told in the title.
func valueCell(r pipeline.Result) cell { return valueCellIn("en", r) }

// valueCellIn is valueCell with its titles in language lang (the note of
// a result, written by the pipeline, stays as it is).
func valueCellIn(lang string, r pipeline.Result) cell {
	c := cell{Numeric: true, Title: r.Note}
	if math.IsNaN(r.Estimate) {
		c.Text = "–"
		c.Missing = true
		if c.Title == "" {
			c.Title = T(lang, "no estimate")
		}
		return c
	}
	switch styleOf(r.Indicator) {
	case styleRate:
		c.Text = formatRate(r.Estimate)
		if r.Indicator == "headcount" {
			c.Bar = math.Max(0, math.Min(1, r.Estimate))
			c.HasBar = true
		}
	case styleIndex:
		c.Text = formatIndex(r.Estimate)
	case styleRatio:
		c.Text = formatRatio(r.Estimate)
	case styleCount:
		c.Text = formatCount(r.Estimate)
	default:
		c.Text = formatMoney(r.Estimate)
	}
	if r.ExcludedN > 0 {
		left := Tf(lang, "%s left out", pluralIn(lang, r.ExcludedN, "row"))
		if r.ExcludedPopulation > 0 {
			left += Tf(lang, " (%s weighted)", formatCount(r.ExcludedPopulation))
		}
		c.Title = strings.TrimSpace(c.Title + " " + left)
	}
	addErrorIn(lang, &c, r)
	return c
}

// formatRate shows a fraction as a percentage with one decimal: 0.1234 is
// "12.3%". NaN is a dash.
func formatRate(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
}

// formatIndex shows an index with three decimals.
func formatIndex(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// formatRatio shows a ratio with two decimals: 2.4696 is "2.47". NaN is a
// dash.
func formatRatio(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// formatMoney shows an amount rounded to whole units with thousands
// separators, or with two decimals when it is below 100 in absolute value
// (a line of 1.90 a day). NaN is a dash.
func formatMoney(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.Abs(v) < 100:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return thousands(v)
}

// formatCount shows a (weighted) count rounded to a whole number with
// thousands separators. NaN is a dash.
func formatCount(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return thousands(v)
}

// thousands rounds v to an integer (half away from zero) and writes it with
// a comma every three digits: 1234567.6 is "1,234,568", -1234 is "-1,234".
func thousands(v float64) string {
	v = math.Round(v)
	if math.IsInf(v, 0) {
		if v < 0 {
			return "-∞"
		}
		return "∞"
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', 0, 64)
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// longNumber is a number with at least four integer digits and a fraction,
// or a whole number of at least four digits after "weighted ", as warnings
// print weighted counts.
var longNumber = regexp.MustCompile(`\b\d{4,}\.\d+\b|weighted \d{4,}(?:\.\d+)?\b`)

// tidyWarning writes the long weighted counts of a warning as whole numbers
// with thousands separators.
func tidyWarning(w string) string {
	return longNumber.ReplaceAllStringFunc(w, func(s string) string {
		prefix, num := "", s
		if rest, ok := strings.CutPrefix(s, "weighted "); ok {
			prefix, num = "weighted ", rest
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return s
		}
		return prefix + thousands(v)
	})
}

// paths shows the absolute paths of inputs relative to the directory they
// share, so that the report does not depend on where the data lie.
type paths struct {
	abs, shown []string // longest first
}

func newPaths(inputs []pipeline.InputRecord) *paths {
	var abs []string
	for _, in := range inputs {
		if filepath.IsAbs(in.Path) && !slices.Contains(abs, in.Path) {
			abs = append(abs, in.Path)
		}
	}
	p := &paths{}
	if len(abs) == 0 {
		return p
	}
	dir := filepath.Dir(abs[0])
	for _, a := range abs[1:] {
		for dir != filepath.Dir(dir) && !strings.HasPrefix(a, dir+string(filepath.Separator)) {
			dir = filepath.Dir(dir)
		}
	}
	slices.SortStableFunc(abs, func(a, b string) int { return len(b) - len(a) })
	for _, a := range abs {
		rel, err := filepath.Rel(dir, a)
		if err != nil {
			rel = filepath.Base(a)
		}
		p.abs = append(p.abs, a)
		p.shown = append(p.shown, path.Join("…", filepath.ToSlash(rel)))
	}
	return p
}

// text replaces the absolute input paths in s.
func (p *paths) text(s string) string {
	for i, a := range p.abs {
		s = strings.ReplaceAll(s, a, p.shown[i])
	}
	return s
}

// studyFields lists the settings of the study.
func studyFields(s *pipeline.Study) []field {
	lang := s.Lang
	fs := []field{{T(lang, "Income"), s.Income, true}, {T(lang, "Weight"), s.Weight, true}}
	for _, f := range []field{{T(lang, "Household size"), s.Size, true}, {T(lang, "Adults"), s.Adults, true}, {T(lang, "Children"), s.Children, true}} {
		if f.Value != "" {
			fs = append(fs, f)
		}
	}
	fs = append(fs, field{T(lang, "Unit"), T(lang, s.Unit), false}, field{T(lang, "A row is"), T(lang, s.Rows), false}, field{T(lang, "Equivalence scale"), T(lang, s.Equivalence), false})
	var ds []string
	for _, cols := range breakdowns(s) {
		ds = append(ds, describeIn(lang, cols))
	}
	fs = append(fs, field{T(lang, "Breakdowns"), strings.Join(ds, T(lang, "; ")), false}, field{T(lang, "Indicators"), strings.Join(s.Indicators, ", "), true})
	if s.Nonpositive != "" {
		fs = append(fs, field{T(lang, "Incomes ≤ 0 in Watts"), T(lang, s.Nonpositive), false})
	}
	var out []field
	for _, f := range fs {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	return out
}

// provenance lists the software and the study file, the inputs and what
// the screening rules did.
func provenance(m *pipeline.Manifest, p *paths) ([]field, table, table) {
	return provenanceIn("en", m, p)
}

// provenanceIn is provenance in language lang.
func provenanceIn(lang string, m *pipeline.Manifest, p *paths) ([]field, table, table) {
	sw := []field{{"povstat", m.Povstat, true}, {"Go", m.GoVersion, true}}
	if m.Study.Path != "" {
		sw = append(sw, field{T(lang, "Study file"), filepath.Base(m.Study.Path), true})
	}
	if m.Study.SHA256 != "" {
		sw = append(sw, field{T(lang, "Study SHA-256"), m.Study.SHA256, true})
	}
	sw = append(sw, field{T(lang, "Seed"), strconv.FormatUint(m.Seed, 10), true})
	var out []field
	for _, f := range sw {
		if f.Value != "" {
			out = append(out, f)
		}
	}

	in := table{ID: "inputs", Caption: T(lang, "Inputs"), Empty: T(lang, "No input file recorded."),
		Header: []column{{Text: T(lang, "File")}, {Text: T(lang, "Rows"), Numeric: true}, {Text: T(lang, "Row groups"), Numeric: true}, {Text: "SHA-256"}}}
	for _, r := range m.Inputs {
		in.Rows = append(in.Rows, []cell{{Text: p.text(r.Path), Mono: true}, countCell(float64(r.Rows)), countCell(float64(r.RowGroups)), {Text: r.SHA256, Mono: true}})
	}
	if len(in.Rows) > collapseRows {
		in.Collapsed = true
		in.Summary = pluralIn(lang, len(in.Rows), "file")
	}

	sc := table{ID: "screening", Caption: Tf(lang, "%s rows read, %s used", thousands(float64(m.Rows.Read)), thousands(float64(m.Rows.Used))),
		Empty:  T(lang, "No row was excluded or flagged."),
		Header: []column{{Text: T(lang, "Rule")}, {Text: T(lang, "Column")}, {Text: T(lang, "Action")}, {Text: T(lang, "Rows"), Numeric: true}, {Text: T(lang, "Examples")}}}
	for _, r := range m.Rows.Rules {
		ex := make([]string, len(r.Examples))
		for i, e := range r.Examples {
			ex[i] = p.text(e)
		}
		sc.Rows = append(sc.Rows, []cell{{Text: r.Rule}, {Text: r.Column, Mono: true}, {Text: T(lang, r.Action)}, countCell(float64(r.Rows)), {Text: strings.Join(ex, "; "), Wrap: true, Mono: true}})
	}
	return out, in, sc
}

// contents is the table of contents.
func contents(p *page) []entry {
	lang := p.Lang
	es := []entry{{ID: "key", Text: T(lang, "Key figures")}}
	if len(p.Lines) > 0 {
		e := entry{ID: "lines", Text: T(lang, "Poverty lines")}
		for _, s := range p.Lines {
			e.Links = append(e.Links, entry{ID: s.ID, Text: s.Title})
		}
		es = append(es, e)
	}
	if len(p.Poverty) > 0 {
		e := entry{ID: "poverty", Text: T(lang, "Poverty by domain")}
		for _, s := range p.Poverty {
			sub := entry{ID: s.ID, Text: s.Title}
			for _, t := range s.Tables {
				sub.Links = append(sub.Links, entry{ID: t.ID, Text: captionLink(lang, t.Caption)})
			}
			e.Sub = append(e.Sub, sub)
		}
		es = append(es, e)
	}
	if len(p.Base.Tables) > 0 {
		es = append(es, tableEntryIn(lang, p.Base))
	}
	if len(p.Inequality.Tables) > 0 {
		es = append(es, tableEntryIn(lang, p.Inequality))
	}
	if len(p.Regional) > 0 {
		e := entry{ID: "regions", Text: T(lang, "Regional disparity")}
		for _, s := range p.Regional {
			sub := entry{ID: s.ID, Text: s.Title}
			if len(s.Tables) > 1 {
				sub = tableEntryIn(lang, s)
			}
			e.Sub = append(e.Sub, sub)
		}
		es = append(es, e)
	}
	if len(p.Ratios.Tables) > 0 {
		es = append(es, tableEntryIn(lang, p.Ratios))
	}
	if len(p.Dynamics.Tables) > 0 {
		es = append(es, tableEntryIn(lang, p.Dynamics))
	}
	es = append(es, entry{ID: "methods", Text: T(lang, "Methods")}, entry{ID: "provenance", Text: T(lang, "Data and provenance")})
	return es
}

// tableEntry is the entry of a section with a link to each of its tables.
func tableEntry(s section) entry { return tableEntryIn("en", s) }

// tableEntryIn is tableEntry for a section in language lang.
func tableEntryIn(lang string, s section) entry {
	e := entry{ID: s.ID, Text: s.Title}
	for _, t := range s.Tables {
		e.Links = append(e.Links, entry{ID: t.ID, Text: captionLink(lang, t.Caption)})
	}
	return e
}

// newPage assembles the report's page model from a study run; report.html
// and report.md render it. figs are the charts by section.
func newPage(s *pipeline.Study, out *pipeline.Output, figs map[string][]figure) page {
	m := &out.Manifest
	paths := newPaths(m.Inputs)
	p := page{
		Lang:       s.Lang,
		HTMLLang:   htmlLang(s.Lang),
		Title:      s.Name,
		Version:    pipeline.Version,
		Cards:      append(headlines(s, m, out.Results), spreadHeadlines(s, out.Results)...),
		Key:        keyTable(s, out.Results),
		KeySpread:  keySpreadTable(s, out.Results),
		Lines:      lineSections(s, out.Results),
		Poverty:    povertySections(s, out.Results),
		Base:       baseSection(s, out.Results),
		Inequality: inequalitySection(s, out.Results),
		Regional:   regionalSections(s, out.Results),
		Ratios:     ratioSection(s, out.Results),
		Dynamics:   dynamicsSection(s, out.Results),
		Region:     s.Region,
		SE:         errorMethods(s, out.Results),
		Study:      append(studyFields(s), errorFields(s, out.Results)...),
		Figures:    figs,
	}
	p.Intro = intro(s, m, len(p.Inequality.Tables) > 0, p.SE)
	flagTables(s, p.tables())
	for _, w := range out.Warnings {
		p.Warnings = append(p.Warnings, warningIn(s.Lang, tidyWarning(paths.text(w))))
	}
	p.Software, p.Inputs, p.Screening = provenanceIn(s.Lang, m, paths)
	p.Curves = curveSectionsOf(s, out.Results)
	p.Contents = withCurveEntries(s.Lang, contents(&p), p.Curves)
	return p
}
