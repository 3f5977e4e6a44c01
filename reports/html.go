// Package reports renders the results of a study for people: a
// self-contained HTML report now; charts and spreadsheets later.
package reports

import (
	"bytes"
	_ "embed"
	"html/template"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/povstat/povstat/pipeline"
)

//go:embed report.html.tmpl
var reportTemplate string

// page is the data behind the report template.
type page struct {
	Title     string
	Version   string
	Study     *pipeline.Study
	Manifest  *pipeline.Manifest
	Headlines []headline
	Lines     []table
	Base      []table
	Poverty   []table
	Warnings  []string
}

// headline is one figure of the summary.
type headline struct {
	Label, Value, Detail string
}

// table is one rendered table: a caption, a header and rows of cells.
type table struct {
	Caption string
	Header  []string
	Rows    [][]cell
}

// cell is one table cell; Bar, between 0 and 1, draws a bar behind rates.
type cell struct {
	Text    string
	Numeric bool
	Bar     float64
	Title   string
}

// HTML renders the report of a study run as one self-contained HTML page:
// no script, no external resource. Every string from the data or the study
// is escaped by html/template. The bytes depend only on the study and the
// results, not on timings.
func HTML(s *pipeline.Study, out *pipeline.Output) []byte {
	p := page{
		Title:    s.Name,
		Version:  pipeline.Version,
		Study:    s,
		Manifest: &out.Manifest,
		Warnings: out.Warnings,
	}
	p.Headlines = headlines(s, out.Results)
	p.Lines = lineTables(s, out.Results)
	p.Base = baseTables(s, out.Results)
	p.Poverty = povertyTables(s, out.Results)
	t := template.Must(template.New("report").Funcs(template.FuncMap{
		"base": filepath.Base,
		"pct":  func(v float64) string { return strconv.FormatFloat(100*v, 'f', 0, 64) },
	}).Parse(reportTemplate))
	var b bytes.Buffer
	if err := t.Execute(&b, p); err != nil {
		panic("reports: template: " + err.Error()) // the template and its data are ours
	}
	return b.Bytes()
}

// headlines picks the whole-population figures: population, mean, median
// and, for each line, the headcount and the poor population.
func headlines(s *pipeline.Study, results []pipeline.Result) []headline {
	var hs []headline
	for _, r := range results {
		if len(r.Domain) != 0 {
			continue
		}
		switch {
		case r.Indicator == "population":
			hs = append(hs, headline{"Population", formatCount(r.Estimate), strconv.Itoa(r.N) + " rows"})
		case r.Indicator == "mean" || r.Indicator == "median":
			hs = append(hs, headline{strings.ToUpper(r.Indicator[:1]) + r.Indicator[1:] + " income", formatMoney(r.Estimate), ""})
		case r.Indicator == "headcount":
			hs = append(hs, headline{"Headcount, line " + r.Line, formatRate(r.Estimate), lineSpec(s, r.Line)})
		}
	}
	return hs
}

func lineSpec(s *pipeline.Study, name string) string {
	for _, l := range s.Lines {
		if l.Name == name {
			return l.Spec()
		}
	}
	return ""
}

// lineTables lists the value of every line in every group.
func lineTables(s *pipeline.Study, results []pipeline.Result) []table {
	var ts []table
	for _, l := range s.Lines {
		t := table{Caption: l.Name + " = " + l.Spec(), Header: append(slices.Clone(l.By), "line", "reference n", "reference population")}
		for _, r := range results {
			if r.Indicator != "line" || r.Line != l.Name {
				continue
			}
			row := domainCells(r.Domain, l.By)
			row = append(row, numCell(formatMoney(r.Estimate), r.Note), numCell(strconv.Itoa(r.N), ""), numCell(formatCount(r.Population), ""))
			t.Rows = append(t.Rows, row)
		}
		if len(t.Rows) > 0 {
			ts = append(ts, t)
		}
	}
	return ts
}

var baseIndicators = []string{"population", "n", "mean", "median"}

var povertyIndicators = []string{"headcount", "gap", "severity", "watts", "sen", "rmpg", "poor_population", "gap_total"}

// baseTables has one table per breakdown with population, n, mean, median.
func baseTables(s *pipeline.Study, results []pipeline.Result) []table {
	inds := selected(s.Indicators, baseIndicators)
	if len(inds) == 0 {
		return nil
	}
	var ts []table
	for _, cols := range breakdowns(s) {
		ts = append(ts, pivot(results, cols, "", inds, "Population and income by "+describe(cols)))
	}
	return ts
}

// povertyTables has one table per breakdown and line.
func povertyTables(s *pipeline.Study, results []pipeline.Result) []table {
	inds := selected(s.Indicators, povertyIndicators)
	if len(inds) == 0 {
		return nil
	}
	var ts []table
	for _, l := range s.Lines {
		for _, cols := range breakdowns(s) {
			ts = append(ts, pivot(results, cols, l.Name, inds, "Line "+l.Name+" ("+l.Spec()+") by "+describe(cols)))
		}
	}
	return ts
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

// pivot lays the results of one breakdown and line out as domains × indicators.
func pivot(results []pipeline.Result, cols []string, line string, inds []string, caption string) table {
	t := table{Caption: caption, Header: append(slices.Clone(cols), inds...)}
	index := map[string]int{}
	for _, r := range results {
		if r.Line != line || !sameColumns(r.Domain, cols) || !slices.Contains(inds, r.Indicator) {
			continue
		}
		key := domainKey(r.Domain)
		row, ok := index[key]
		if !ok {
			row = len(t.Rows)
			index[key] = row
			cells := domainCells(r.Domain, cols)
			for range inds {
				cells = append(cells, cell{Numeric: true})
			}
			t.Rows = append(t.Rows, cells)
		}
		t.Rows[row][len(cols)+slices.Index(inds, r.Indicator)] = valueCell(r)
	}
	return t
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

func domainCells(d []pipeline.DomainValue, cols []string) []cell {
	cells := make([]cell, len(cols))
	for i := range cols {
		if i < len(d) {
			cells[i] = cell{Text: d[i].Value}
		}
	}
	return cells
}

func numCell(text, title string) cell { return cell{Text: text, Numeric: true, Title: title} }

// valueCell formats an estimate by the kind of indicator.
func valueCell(r pipeline.Result) cell {
	c := cell{Numeric: true, Title: r.Note}
	if math.IsNaN(r.Estimate) {
		c.Text = "–"
		return c
	}
	switch r.Indicator {
	case "headcount", "gap", "severity", "rmpg", "sen", "watts":
		c.Text = formatRate(r.Estimate)
		c.Bar = math.Max(0, math.Min(1, r.Estimate))
	case "n":
		c.Text = formatCount(r.Estimate)
	case "population", "poor_population":
		c.Text = formatCount(r.Estimate)
	default:
		c.Text = formatMoney(r.Estimate)
	}
	if r.ExcludedN > 0 {
		c.Title = strings.TrimSpace(c.Title + " " + strconv.Itoa(r.ExcludedN) + " rows left out")
	}
	return c
}

// formatRate shows a fraction as a percentage with one decimal.
func formatRate(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
}

// formatMoney shows an amount rounded to whole units with thousands separators.
func formatMoney(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return thousands(math.Round(v))
}

func formatCount(v float64) string { return formatMoney(v) }

func thousands(v float64) string {
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
