package reports

import (
	"slices"
	"strconv"

	"github.com/povstat/povstat/pipeline"
)

// The panel dynamics of a study's dynamics: section (pipeline.RunDynamics)
// in the report: for each line, the years as rows with the poor share
// and the entry, exit and re-entry rates; the spells of the whole
// population under each line; the share of households each monitoring
// rule flags, by year. Every figure carries its interval when the study
// computes standard errors.

// dynamicsIntro introduces the section (the report template writes it
// out too).
const dynamicsIntro = "Households followed from one year to the next under each line. Entry rate: of the households not poor the year before, the share poor this year; exit rate: of those poor the year before, the share not poor; re-entry rate: of the households not poor the year before that had been poor in an earlier year, the share poor again. Spells sort the households seen in two years or more by the years they were poor. The monitoring rules flag households by their circumstances in the year."

// dynamicsColumn is a column of the dynamics tables: the rows of an
// indicator (and cell), with its heading.
type dynamicsColumn struct {
	ind, cell   string
	text, title string
}

// dynamicsColumns are the columns of the table of a line by year.
func dynamicsColumns(lang string) []dynamicsColumn {
	return []dynamicsColumn{
		{"status", "poor", T(lang, "Poor"), T(lang, "share of the households with a status that are poor (x < z)")},
		{"entry_rate", "", T(lang, "Entry rate"), T(lang, "share of the households not poor the year before that are poor")},
		{"exit_rate", "", T(lang, "Exit rate"), T(lang, "share of the households poor the year before that are not poor")},
		{"reentry_rate", "", T(lang, "Re-entry rate"), T(lang, "among the households not poor the year before that had been poor earlier, the share poor again")},
	}
}

// spellColumns are the columns of the spells table.
func spellColumns(lang string) []dynamicsColumn {
	return []dynamicsColumn{
		{"chronic", "", T(lang, "Chronic"), T(lang, "poor in every year observed")},
		{"transient", "", T(lang, "Transient"), T(lang, "poor in some of the years observed, not all")},
		{"never_poor", "", T(lang, "Never poor"), T(lang, "poor in no year observed")},
		{"poor_years_share", "", T(lang, "Share of years poor"), T(lang, "mean share of the years observed in which the household was poor")},
	}
}

// dynamicsSection is the section of the panel dynamics; it has no table
// without a dynamics: section.
func dynamicsSection(s *pipeline.Study, results []pipeline.Result) section {
	lang := s.Lang
	sec := section{ID: "dynamics", Title: T(lang, "Poverty dynamics")}
	if s.Dynamics == nil {
		return sec
	}
	year := s.Dynamics.Year
	byYear := func(r pipeline.Result) bool {
		return len(r.Domain) == 1 && r.Domain[0].Column == year && r.Model == ""
	}
	// The lines, in order of their first status row.
	var lines []string
	for _, r := range results {
		if r.Indicator == "status" && byYear(r) && !slices.Contains(lines, r.Line) {
			lines = append(lines, r.Line)
		}
	}
	for k, line := range lines {
		t := dynamicsTable(lang, results, year, dynamicsColumns(lang), func(r pipeline.Result) bool {
			return r.Line == line && byYear(r)
		}, func(r pipeline.Result) string { return r.Domain[0].Value })
		t.ID = "dynamics-" + strconv.Itoa(k+1)
		t.Caption = Tf(lang, "Line %s, by %s", line, year)
		t.Header[0] = column{Text: year}
		sec.Tables = append(sec.Tables, t)
	}
	if len(lines) > 0 {
		t := dynamicsTable(lang, results, "", spellColumns(lang), func(r pipeline.Result) bool {
			return len(r.Domain) == 0 && slices.Contains(lines, r.Line)
		}, func(r pipeline.Result) string { return r.Line })
		t.ID = "dynamics-spells"
		t.Caption = T(lang, "Spells of the households seen in two years or more")
		t.Header[0] = column{Text: T(lang, "Line")}
		if len(t.Rows) > 0 {
			sec.Tables = append(sec.Tables, t)
		}
	}
	if t, ok := ruleTable(lang, results, year, byYear); ok {
		sec.Tables = append(sec.Tables, t)
	}
	return sec
}

// dynamicsTable has a row per key (in order of first appearance) of the
// rows that keep, and a column per column: the estimate with its
// interval.
func dynamicsTable(lang string, results []pipeline.Result, first string, cols []dynamicsColumn, keep func(pipeline.Result) bool, key func(pipeline.Result) string) table {
	t := table{Header: []column{{Text: first}}, Empty: T(lang, "No result for this breakdown.")}
	for _, c := range cols {
		t.Header = append(t.Header, column{Text: c.text, Title: c.title, Numeric: true})
	}
	index := map[string]int{}
	for _, r := range results {
		at := slices.IndexFunc(cols, func(c dynamicsColumn) bool { return c.ind == r.Indicator && c.cell == r.Cell })
		if at < 0 || !keep(r) {
			continue
		}
		k := key(r)
		row, ok := index[k]
		if !ok {
			row = len(t.Rows)
			index[k] = row
			cells := []cell{{Text: k}}
			for range cols {
				cells = append(cells, cell{Numeric: true, Missing: true, Text: "–", Title: T(lang, "not computed")})
			}
			t.Rows = append(t.Rows, cells)
		}
		t.Rows[row][1+at] = valueCellIn(lang, r)
	}
	return t
}

// ruleTable has a row per monitoring rule (any_rule last, as the rows
// come) and a column per year: the share of the households it flags.
func ruleTable(lang string, results []pipeline.Result, year string, byYear func(pipeline.Result) bool) (table, bool) {
	var years, rules []string
	for _, r := range results {
		if r.Indicator == "flagged_share" && byYear(r) {
			if y := r.Domain[0].Value; !slices.Contains(years, y) {
				years = append(years, y)
			}
			if !slices.Contains(rules, r.Cell) {
				rules = append(rules, r.Cell)
			}
		}
	}
	if len(rules) == 0 {
		return table{}, false
	}
	t := table{ID: "dynamics-rules", Caption: T(lang, "Share of households flagged by each monitoring rule"),
		Header: []column{{Text: T(lang, "Rule")}}}
	for _, y := range years {
		t.Header = append(t.Header, column{Text: year + " " + y, Numeric: true})
	}
	for _, rule := range rules {
		name := rule
		if rule == "any_rule" {
			name = T(lang, "Any rule")
		}
		cells := []cell{{Text: name}}
		for range years {
			cells = append(cells, cell{Numeric: true, Missing: true, Text: "–", Title: T(lang, "not computed")})
		}
		t.Rows = append(t.Rows, cells)
	}
	for _, r := range results {
		if r.Indicator == "flagged_share" && byYear(r) {
			t.Rows[slices.Index(rules, r.Cell)][1+slices.Index(years, r.Domain[0].Value)] = valueCellIn(lang, r)
		}
	}
	return t, true
}
