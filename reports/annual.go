package reports

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/povstat/povstat/pipeline"
)

// The annual tables as a statistics bureau publishes them (tables.xlsx)
// and as files for R, pandas and Stata (tables/STEM.csv and
// tables/STEM.parquet). Both are renderings of the annualTable model of
// tables.go, which also gives the annual sheets of results.xlsx.

// TablesWorkbook renders the annual tables of a study run as an Excel
// workbook for publication: a sheet "contents" listing the tables (and
// their files under tables/ in the study's formats csv and parquet), then
// one sheet per table (the sheets of results.xlsx without the long table):
// a title row "Table k. …", note rows (source, line definition, units,
// what a flag means, standard error method), and the table itself, with
// the domains of the breakdown as rows and the indicators as columns.
// Rates and shares have the format 0.0%, weighted populations are shown in
// thousands (#,##0.0,), money and row counts with thousands separators;
// an estimate with a standard error is followed by its SE and confidence
// bounds, and an unreliable estimate is shaded and marked † (the cell
// keeps its number: the mark is part of its number format).
//
// The bytes depend only on the study and the results.
func TablesWorkbook(s *pipeline.Study, out *pipeline.Output) ([]byte, error) {
	return workbookBytes("tables.xlsx", func(wb *workbook) error { return wb.publish(s, out) })
}

// publish writes the contents sheet and one sheet per annual table.
func (wb *workbook) publish(s *pipeline.Study, out *pipeline.Output) error {
	if err := wb.docProps(s); err != nil {
		return err
	}
	ts := annualTables(s, out.Results)
	stems := tableStems(ts)
	lang := s.Lang
	sh := wb.newSheet("contents", true)
	bold := cellStyle{bold: true}
	sh.set(1, 1, Tf(lang, "Annual tables of the study %s", strconv.Quote(s.Name)), cellStyle{title: true})
	sh.set(1, 2, sourceNote(s, &out.Manifest), cellStyle{})
	var exts []string // the files of each table, from the study's formats (TableFiles)
	for _, f := range []string{"csv", "parquet"} {
		if slices.Contains(s.Formats, f) {
			exts = append(exts, "."+f)
		}
	}
	header := []string{T(lang, "Table"), T(lang, "Sheet"), T(lang, "Title")}
	if len(exts) > 0 {
		header = append(header, T(lang, "Files"))
	}
	for i, h := range header {
		sh.set(i+1, 4, h, bold)
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = wb.sheetName(t.name)
		sh.set(1, 5+i, i+1, cellStyle{})
		sh.set(2, 5+i, names[i], cellStyle{})
		sh.set(3, 5+i, t.title, cellStyle{})
		if len(exts) > 0 {
			sh.set(4, 5+i, "tables/"+stems[i]+strings.Join(exts, ", "), cellStyle{})
		}
	}
	if len(ts) == 0 {
		sh.set(1, 5, T(lang, "No annual table: the study has no result to tabulate."), cellStyle{})
	}
	if sh.err == nil {
		sh.widths[3] = math.Min(sh.widths[3], 90)
	}
	if err := sh.finish(0, 4); err != nil {
		return fmt.Errorf("sheet contents: %w", err)
	}
	for i, t := range ts {
		if err := wb.publishTable(s, out, t, names[i], i+1); err != nil {
			return fmt.Errorf("sheet %s: %w", names[i], err)
		}
	}
	wb.f.SetActiveSheet(0)
	return nil
}

// publishTable writes table number k on the sheet name (already reserved
// by sheetName).
func (wb *workbook) publishTable(s *pipeline.Study, out *pipeline.Output, t annualTable, name string, k int) error {
	sh := &sheet{wb: wb, name: name, widths: map[int]float64{}}
	_, sh.err = wb.f.NewSheet(name)
	sh.set(1, 1, Tf(s.Lang, "Table %d. %s", k, t.title), cellStyle{title: true})
	notes := publishNotes(s, &out.Manifest, t)
	for i, n := range notes {
		sh.set(1, 2+i, n, cellStyle{})
	}
	g := annualGrid{s: s, t: t, head: len(notes) + 3, publish: true}
	cols, last, _ := g.write(sh)
	return sh.finish(cols, last)
}

// publishNotes are the note rows under the title of a published table:
// the source, the line, the units, the flag and the standard errors.
func publishNotes(s *pipeline.Study, m *pipeline.Manifest, t annualTable) []string {
	lang := s.Lang
	notes := []string{sourceNote(s, m)}
	if t.line != nil {
		notes = append(notes, Tf(lang, "Line: %s = %s, %s.", t.line.Name, t.line.Spec(), lineWordsIn(lang, *t.line)))
	}
	notes = append(notes, Tf(lang, "Units: weighted estimates for %s; a unit is poor when its income is strictly below the line. "+
		"Rates and shares in percent; populations in thousands of %s; money in the units of the income column %s; rows are sample rows. "+
		"An empty cell has no estimate (results.csv gives the reason).", unitNoun(s.Unit), unitNoun(s.Unit), s.Income))
	if slices.Contains(t.errorColumns(), true) {
		limit := T(lang, "the study's limit")
		if s.RSELimit > 0 {
			limit = percent(s.RSELimit)
		}
		notes = append(notes, Tf(lang, "† (shaded): relative standard error above %s: unreliable, to be read with caution (Eurostat flag u).", limit))
		notes = append(notes, standardErrorNote(s, t))
	}
	return notes
}

// sourceNote names the study, the data and the software of a run.
func sourceNote(s *pipeline.Study, m *pipeline.Manifest) string {
	src := Tf(s.Lang, "Source: study %s", strconv.Quote(s.Name))
	if m.Study.SHA256 != "" {
		src += " (SHA-256 " + m.Study.SHA256 + ")"
	}
	if m.Rows.Read > 0 {
		src += Tf(s.Lang, ", %s rows used of %s read from %d input files", thousands(float64(m.Rows.Used)), thousands(float64(m.Rows.Read)), len(m.Inputs))
	}
	return src + Tf(s.Lang, "; povstat %s.", pipeline.Version)
}

// standardErrorNote says how the standard errors of a table were computed:
// the design, the study's method and the methods of its cells.
func standardErrorNote(s *pipeline.Study, t annualTable) string {
	var methods []string
	for _, d := range t.domains {
		for _, m := range t.measures {
			r, ok := t.cells[measureKey(m, d)]
			if ok && r.SEMethod != "" && !slices.Contains(methods, r.SEMethod) {
				methods = append(methods, r.SEMethod)
			}
		}
	}
	slices.Sort(methods)
	design := []string{}
	for _, f := range []struct{ what, col string }{{"strata", s.Strata}, {"PSUs", s.PSU}, {"sampling fractions", s.FPC}} {
		if f.col != "" {
			design = append(design, T(s.Lang, f.what)+" "+f.col)
		}
	}
	note := Tf(s.Lang, "SE: standard error; CI: %s confidence interval. Method: %s", errorLevel(s), s.SEMethod)
	if len(design) > 0 {
		note += Tf(s.Lang, ", design with %s", strings.Join(design, ", "))
	}
	if len(methods) > 0 {
		note += Tf(s.Lang, "; in this table: %s", strings.Join(methods, "; "))
	}
	return note + "."
}

// heading is the heading of measure k of an annual table.
func (t annualTable) heading(lang string, k int) string {
	m := t.measures[k]
	switch {
	case m.ind == "line":
		return T(lang, "Line value")
	case strings.HasSuffix(m.ind, "_change"):
		return Tf(lang, "%s, change", labelIn(lang, strings.TrimSuffix(m.ind, "_change")).text)
	}
	return m.column().Text
}

// annualGrid writes the header and the rows of an annual table from row
// head of a sheet: one header row, or two when some estimate has a
// standard error (the indicator over its estimate, SE and confidence
// bounds). For publication (tables.xlsx), an unreliable estimate is also
// marked † by its number format, weighted populations are shown in
// thousands, and row counts have no standard error columns.
type annualGrid struct {
	s       *pipeline.Study
	t       annualTable
	head    int
	publish bool
}

// write fills the sheet and returns the number of domain columns and the
// last header row, for the frozen panes, and the last column used.
func (g annualGrid) write(sh *sheet) (domainCols, last, end int) {
	s, t, lang := g.s, g.t, g.s.Lang
	withSE := t.withSE
	if g.publish {
		withSE = t.errorColumns()
	}
	last = g.head
	if slices.Contains(withSE, true) {
		last = g.head + 1
	}
	bold := cellStyle{bold: true}
	keys := t.cols
	if len(keys) == 0 {
		keys = []string{"domain"}
	}
	for i, c := range keys {
		sh.set(i+1, last, c, bold)
	}
	col := len(keys) + 1
	starts := make([]int, len(t.measures))
	for i, m := range t.measures {
		starts[i] = col
		text := t.heading(lang, i)
		if g.publish && inThousands(m.ind) {
			text += T(lang, " (thousands)")
		}
		if !withSE[i] {
			sh.set(col, last, text, bold)
			col++
			continue
		}
		sh.set(col, g.head, text, bold)
		for j, sub := range []string{T(lang, "Estimate"), T(lang, "SE"), errorLevel(s) + T(lang, " CI lower"), errorLevel(s) + T(lang, " CI upper")} {
			sh.set(col+j, last, sub, bold)
		}
		if sh.err == nil {
			from, _ := excelize.CoordinatesToCellName(col, g.head)
			to, _ := excelize.CoordinatesToCellName(col+3, g.head)
			sh.err = sh.wb.f.MergeCell(sh.name, from, to)
		}
		col += 4
	}
	for i, d := range t.domains {
		row := last + 1 + i
		if len(t.cols) == 0 {
			sh.set(1, row, T(lang, "whole population"), cellStyle{})
		}
		for j, c := range t.cols {
			sh.set(j+1, row, domainValue(d, c), cellStyle{})
		}
		for k, m := range t.measures {
			r, ok := t.cells[measureKey(m, d)]
			if !ok {
				continue
			}
			format, seFormat := formatOf(r.Indicator, r.Estimate), seFormatOf(r.Indicator, r.Estimate)
			if g.publish && inThousands(r.Indicator) {
				format, seFormat = "#,##0.0,", "#,##0.00,"
			}
			est := cellStyle{format: format, shaded: r.Unreliable}
			if g.publish && r.Unreliable {
				est.format = flagged(format)
			}
			sh.set(starts[k], row, r.Estimate, est)
			if withSE[k] && r.SEMethod != "" {
				sh.set(starts[k]+1, row, r.SE, cellStyle{format: seFormat})
				sh.set(starts[k]+2, row, r.CILower, cellStyle{format: format})
				sh.set(starts[k]+3, row, r.CIUpper, cellStyle{format: format})
			}
		}
	}
	return len(keys), last, col - 1
}

// errorColumns tells for each measure whether a table file or a published
// table gives it standard error columns: when some estimate has one, except
// for row counts (n), which are not estimates.
func (t annualTable) errorColumns() []bool {
	cols := slices.Clone(t.withSE)
	for k, m := range t.measures {
		cols[k] = cols[k] && strings.TrimSuffix(m.ind, "_change") != "n"
	}
	return cols
}

// inThousands reports whether the estimates of ind are weighted numbers of
// units, which a published table shows in thousands.
func inThousands(ind string) bool {
	switch strings.TrimSuffix(ind, "_change") {
	case "population", "poor_population":
		return true
	}
	return false
}

// flagged is a number format that writes " †" after the number, for an
// unreliable estimate: 0.0% becomes 0.0%" †".
func flagged(format string) string {
	if format == "" {
		format = "General"
	}
	return format + `" †"`
}

// tableStems are the file names (without extension) of annual tables:
// "income_all", "poverty_all_median60", "income_by_year",
// "poverty_by_year_province_median60": what they hold, the breakdown and
// the line, with every character other than a letter, digit, '.', '-' or
// '_' replaced by '_'. A stem already taken (letter case ignored, as on
// Windows and macOS) gets a suffix -2, -3, ...
func tableStems(ts []annualTable) []string {
	stems := make([]string, len(ts))
	taken := map[string]bool{}
	for i, t := range ts {
		parts := []string{"income"}
		if t.line != nil {
			parts[0] = "poverty"
		}
		if len(t.cols) == 0 {
			parts = append(parts, "all")
		} else {
			parts = append(parts, "by")
			for _, c := range t.cols {
				parts = append(parts, fileName(c))
			}
		}
		if t.line != nil {
			parts = append(parts, fileName(t.line.Name))
		}
		stem := strings.Join(slices.DeleteFunc(parts, func(p string) bool { return p == "" }), "_")
		try := stem
		for k := 2; taken[strings.ToLower(try)]; k++ {
			try = stem + "-" + strconv.Itoa(k)
		}
		taken[strings.ToLower(try)] = true
		stems[i] = try
	}
	return stems
}

// columnName is the name of the column of measure m in a table file: the
// indicator, or "ratio_" and the ratio, with every character other than a
// letter, digit or '_' replaced by '_' (atkinson_0.5 is atkinson_0_5), so
// that R, pandas and Stata take it as it is.
func columnName(m measure) string {
	name := m.ind
	if m.ratio != "" {
		name += "_" + m.ratio
	}
	var b strings.Builder
	for _, r := range name {
		if r == '_' || r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
