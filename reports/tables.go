package reports

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/povstat/povstat/pipeline"
	"github.com/xuri/excelize/v2"
)

// The tables of a study run as a spreadsheet (results.xlsx): the long
// results table, the annual tables a statistics bureau publishes (one per
// breakdown and line: domains as rows, indicators as columns), the lines and
// the provenance of the run.

// workbookDate is the creation and modification date written in the
// document properties, so that the same results give the same bytes.
const workbookDate = "1970-01-01T00:00:00Z"

// Sheet names Excel reserves or the workbook uses for itself.
var fixedSheets = []string{"results", "lines", "provenance", "history"}

// Workbook renders the results of a study run as an Excel workbook with the
// sheets "results" (the long table, with the columns of results.csv,
// numbers as numbers and an empty cell where an estimate does not exist),
// one annual table per breakdown and line (domains as rows, indicators as
// columns, with the standard error and confidence interval beside each
// estimate that has one; unreliable estimates shaded), "lines" and
// "provenance" (the manifest without its timings). Header rows are bold
// and frozen; rates have the format 0.0%, counts and money #,##0.
//
// The bytes depend only on the study and the results: the document
// properties carry a fixed date, and input paths are shown relative to the
// directory the inputs share.
func Workbook(s *pipeline.Study, out *pipeline.Output) ([]byte, error) {
	return workbookBytes("results.xlsx", func(wb *workbook) error { return wb.write(s, out) })
}

// workbookBytes returns the bytes of a new workbook that fill writes; name
// prefixes its errors.
func workbookBytes(name string, fill func(*workbook) error) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	wb := &workbook{f: f, styles: map[cellStyle]int{}}
	if err := fill(wb); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b.Bytes(), nil
}

// workbook holds the file being written and its cell styles.
type workbook struct {
	f      *excelize.File
	styles map[cellStyle]int
	names  []string // sheet names in use, lower case
}

// cellStyle is the look of a cell: a number format ("" for General), bold,
// shaded (an unreliable estimate), a title.
type cellStyle struct {
	format string
	bold   bool
	shaded bool
	title  bool
	wrap   bool
}

func (wb *workbook) style(cs cellStyle) (int, error) {
	if id, ok := wb.styles[cs]; ok {
		return id, nil
	}
	st := &excelize.Style{}
	if cs.format != "" {
		format := cs.format
		st.CustomNumFmt = &format
	}
	if cs.bold || cs.title {
		st.Font = &excelize.Font{Bold: true}
		if cs.title {
			st.Font.Size = 13
		}
	}
	if cs.shaded {
		st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}}
	}
	if cs.wrap {
		st.Alignment = &excelize.Alignment{WrapText: true, Vertical: "top"}
	}
	id, err := wb.f.NewStyle(st)
	if err != nil {
		return 0, err
	}
	wb.styles[cs] = id
	return id, nil
}

// sheet is one worksheet being filled.
type sheet struct {
	wb     *workbook
	name   string
	widths map[int]float64
	err    error
}

// newSheet adds a worksheet named as close to name as Excel allows.
func (wb *workbook) newSheet(name string, first bool) *sheet {
	name = wb.sheetName(name)
	sh := &sheet{wb: wb, name: name, widths: map[int]float64{}}
	if first {
		sh.err = wb.f.SetSheetName("Sheet1", name)
	} else {
		_, sh.err = wb.f.NewSheet(name)
	}
	return sh
}

// sheetName makes name a valid sheet name not yet in use: characters Excel
// forbids become "_", it is cut to 31 characters, and a taken name gets a
// suffix ~2, ~3, ...
func (wb *workbook) sheetName(name string) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(name, "'")
	if name == "" {
		name = "table"
	}
	cut := func(s string, n int) string {
		for utf8.RuneCountInString(s) > n {
			_, size := utf8.DecodeLastRuneInString(s)
			s = s[:len(s)-size]
		}
		return s
	}
	try := cut(name, 31)
	for k := 2; slices.Contains(wb.names, strings.ToLower(try)); k++ {
		suffix := "~" + strconv.Itoa(k)
		try = cut(name, 31-len(suffix)) + suffix
	}
	wb.names = append(wb.names, strings.ToLower(try))
	return try
}

// set writes v (string, float64, int, bool; nil or NaN leave the cell
// empty) at column col, row row (both 1-based) with style cs.
func (sh *sheet) set(col, row int, v any, cs cellStyle) {
	if sh.err != nil {
		return
	}
	ref, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		sh.err = err
		return
	}
	f := sh.wb.f
	width := 0
	switch v := v.(type) {
	case nil:
	case string:
		if v != "" {
			err = f.SetCellStr(sh.name, ref, v)
			width = utf8.RuneCountInString(v)
		}
	case float64:
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			err = f.SetCellFloat(sh.name, ref, v, -1, 64)
			width = numberWidth(v, cs.format)
		}
	case int:
		err = f.SetCellInt(sh.name, ref, int64(v))
		width = numberWidth(float64(v), cs.format)
	case bool:
		err = f.SetCellBool(sh.name, ref, v)
		width = 5
	default:
		err = fmt.Errorf("cell %s: unexpected %T", ref, v)
	}
	if err == nil && cs != (cellStyle{}) {
		var id int
		if id, err = sh.wb.style(cs); err == nil {
			err = f.SetCellStyle(sh.name, ref, ref, id)
		}
	}
	if err != nil {
		sh.err = err
		return
	}
	if cs.bold {
		width++
	}
	if !cs.title && !cs.wrap && float64(width) > sh.widths[col] {
		sh.widths[col] = float64(width)
	}
}

// numberWidth is about the number of characters v takes in format.
func numberWidth(v float64, format string) int {
	switch {
	case strings.HasSuffix(format, "%"):
		return len(formatRate(v)) + 1
	case strings.HasPrefix(format, "#,##0"):
		n := len(thousands(v))
		if i := strings.IndexByte(format, '.'); i >= 0 {
			n += len(format) - i
		}
		return n
	case strings.HasPrefix(format, "0."):
		return len(strconv.FormatFloat(v, 'f', len(format)-2, 64))
	}
	return len(strconv.FormatFloat(v, 'g', 10, 64))
}

// finish sets the column widths (between 6 and 60 characters) and freezes
// the panes above row and left of col (0 for none).
func (sh *sheet) finish(col, row int) error {
	if sh.err != nil {
		return sh.err
	}
	f := sh.wb.f
	for _, c := range slices.Sorted(maps.Keys(sh.widths)) {
		name, err := excelize.ColumnNumberToName(c)
		if err != nil {
			return err
		}
		w := math.Min(60, math.Max(6, sh.widths[c]+2))
		if err := f.SetColWidth(sh.name, name, name, w); err != nil {
			return err
		}
	}
	if col == 0 && row == 0 {
		return nil
	}
	top, err := excelize.CoordinatesToCellName(col+1, row+1)
	if err != nil {
		return err
	}
	pane := "bottomLeft"
	switch {
	case col > 0 && row > 0:
		pane = "bottomRight"
	case col > 0:
		pane = "topRight"
	}
	return f.SetPanes(sh.name, &excelize.Panes{Freeze: true, XSplit: col, YSplit: row, TopLeftCell: top, ActivePane: pane})
}

// docProps sets the workbook's properties: the study's name, povstat's
// version and a fixed date (the bytes depend only on the results).
func (wb *workbook) docProps(s *pipeline.Study) error {
	return wb.f.SetDocProps(&excelize.DocProperties{
		Title:          s.Name,
		Creator:        "povstat " + pipeline.Version,
		LastModifiedBy: "povstat " + pipeline.Version,
		Created:        workbookDate,
		Modified:       workbookDate,
	})
}

func (wb *workbook) write(s *pipeline.Study, out *pipeline.Output) error {
	if err := wb.docProps(s); err != nil {
		return err
	}
	if err := wb.results(out.Results); err != nil {
		return fmt.Errorf("sheet results: %w", err)
	}
	for _, t := range annualTables(s, out.Results) {
		if err := wb.annual(s, t); err != nil {
			return fmt.Errorf("sheet %s: %w", t.name, err)
		}
	}
	if err := wb.lines(s, out.Results); err != nil {
		return fmt.Errorf("sheet lines: %w", err)
	}
	if err := wb.provenance(s, &out.Manifest, out.Warnings); err != nil {
		return fmt.Errorf("sheet provenance: %w", err)
	}
	wb.f.SetActiveSheet(0)
	return nil
}

// formatOf is the number format of an estimate of ind: 0.0% for rates and
// shares, 0.000 for indices, 0.00 for ratios, #,##0 for counts and for
// money (#,##0.00 for amounts below 100). A change (<indicator>_change) has
// the format of its indicator.
func formatOf(ind string, v float64) string {
	switch styleOf(strings.TrimSuffix(ind, "_change")) {
	case styleRate:
		return "0.0%"
	case styleIndex:
		return "0.000"
	case styleRatio:
		return "0.00"
	case styleCount:
		return "#,##0"
	}
	if math.Abs(v) < 100 {
		return "#,##0.00"
	}
	return "#,##0"
}

// seFormatOf is the number format of a standard error of ind: one digit
// more than the estimate's, as a standard error is small beside it.
func seFormatOf(ind string, est float64) string {
	switch f := formatOf(ind, est); f {
	case "0.0%":
		return "0.00%"
	case "#,##0":
		return f
	default:
		return f + "0"
	}
}

// csvColumns are the columns of results.csv (pipeline.EncodeCSV), in its
// order: the domain columns, and ratio, at, cell and the standard error
// columns only when some result has them.
type csvColumns struct {
	domain              []string
	ratio, at, cell, se bool
	header              []string
}

func newCSVColumns(results []pipeline.Result) csvColumns {
	var c csvColumns
	for _, r := range results {
		for _, d := range r.Domain {
			if !slices.Contains(c.domain, d.Column) {
				c.domain = append(c.domain, d.Column)
			}
		}
		c.ratio = c.ratio || r.Ratio != ""
		c.at = c.at || r.At != nil
		c.cell = c.cell || r.Cell != ""
		c.se = c.se || r.SEMethod != ""
	}
	c.header = append([]string{"indicator", "line"}, c.domain...)
	for _, o := range []struct {
		ok   bool
		name string
	}{{c.ratio, "ratio"}, {c.at, "at"}, {c.cell, "cell"}} {
		if o.ok {
			c.header = append(c.header, o.name)
		}
	}
	c.header = append(c.header, "estimate", "n", "population", "excluded_n", "excluded_population", "note")
	if c.se {
		c.header = append(c.header, "se", "ci_lower", "ci_upper", "rse", "deff", "se_method", "unreliable")
	}
	return c
}

// domainValue is the value of column col in d, "" when d does not involve it.
func domainValue(d []pipeline.DomainValue, col string) string {
	for _, v := range d {
		if v.Column == col {
			return v.Value
		}
	}
	return ""
}

// results writes the long table.
func (wb *workbook) results(results []pipeline.Result) error {
	sh := wb.newSheet("results", true)
	cols := newCSVColumns(results)
	bold := cellStyle{bold: true}
	for i, h := range cols.header {
		sh.set(i+1, 1, h, bold)
	}
	for i, r := range results {
		row := i + 2
		var cells []any
		var styles []cellStyle
		add := func(v any, cs cellStyle) {
			cells = append(cells, v)
			styles = append(styles, cs)
		}
		add(r.Indicator, cellStyle{})
		add(r.Line, cellStyle{})
		for _, c := range cols.domain {
			add(domainValue(r.Domain, c), cellStyle{})
		}
		if cols.ratio {
			add(r.Ratio, cellStyle{})
		}
		if cols.at {
			if r.At != nil {
				add(*r.At, cellStyle{})
			} else {
				add(nil, cellStyle{})
			}
		}
		if cols.cell {
			add(r.Cell, cellStyle{})
		}
		format := formatOf(r.Indicator, r.Estimate)
		count := cellStyle{format: "#,##0"}
		add(r.Estimate, cellStyle{format: format, shaded: r.Unreliable})
		add(r.N, count)
		add(r.Population, count)
		if r.ExcludedN > 0 {
			add(r.ExcludedN, count)
			add(r.ExcludedPopulation, count)
		} else {
			add(nil, cellStyle{})
			add(nil, cellStyle{})
		}
		add(r.Note, cellStyle{})
		if cols.se {
			add(r.SE, cellStyle{format: seFormatOf(r.Indicator, r.Estimate)})
			add(r.CILower, cellStyle{format: format})
			add(r.CIUpper, cellStyle{format: format})
			add(r.RSE, cellStyle{format: "0.0%"})
			add(r.Deff, cellStyle{format: "0.00"})
			add(r.SEMethod, cellStyle{})
			if r.Unreliable {
				add(true, cellStyle{})
			} else {
				add(nil, cellStyle{})
			}
		}
		for j, v := range cells {
			sh.set(j+1, row, v, styles[j])
		}
	}
	if i := slices.Index(cols.header, "note"); i >= 0 {
		sh.widths[i+1] = math.Min(sh.widths[i+1], 50)
	}
	return sh.finish(0, 1)
}

// annualTable is one breakdown and line laid out as domains × measures.
type annualTable struct {
	name     string // the sheet name asked for
	title    string
	cols     []string // the breakdown
	line     *pipeline.Line
	measures []measure
	withSE   []bool // whether the measure of the same index has standard errors
	domains  [][]pipeline.DomainValue
	cells    map[string]pipeline.Result // by measureKey
}

func measureKey(m measure, d []pipeline.DomainValue) string {
	return m.ind + "\x00" + m.ratio + "\x00" + domainKey(d)
}

// annualTables lays out the results of every breakdown of the study (the
// whole population first) for no line and for each line, leaving out
// tables without a result. The rows of a line's value come first in a
// line's table; regional means, whose domains add the region column, and
// the rows of sweeps and overlaps are left to the long table.
func annualTables(s *pipeline.Study, results []pipeline.Result) []annualTable {
	var ts []annualTable
	lines := []*pipeline.Line{nil}
	for i := range s.Lines {
		lines = append(lines, &s.Lines[i])
	}
	for _, cols := range breakdowns(s) {
		bd := "all"
		if len(cols) > 0 {
			bd = strings.Join(cols, "×")
		}
		for _, l := range lines {
			t := annualTable{name: bd, cols: cols, line: l, cells: map[string]pipeline.Result{}}
			line := ""
			if l != nil {
				line = l.Name
				t.name += " " + l.Name
				t.title = "Line " + l.Name + " (" + lineWords(*l) + ") by " + describe(cols)
			} else {
				t.title = "Population, income and inequality by " + describe(cols)
			}
			seen := map[string]bool{}
			for _, r := range results {
				if r.Line != line || !sameColumns(r.Domain, cols) || r.At != nil || r.Cell != "" || r.Indicator == "region_mean" {
					continue
				}
				m := measure{ind: r.Indicator, ratio: r.Ratio}
				at := slices.Index(t.measures, m)
				if at < 0 {
					at = len(t.measures)
					t.measures = append(t.measures, m)
					t.withSE = append(t.withSE, false)
				}
				t.withSE[at] = t.withSE[at] || r.SEMethod != ""
				if k := domainKey(r.Domain); !seen[k] {
					seen[k] = true
					t.domains = append(t.domains, r.Domain)
				}
				t.cells[measureKey(m, r.Domain)] = r
			}
			if len(t.measures) == 0 {
				continue
			}
			// The line's own value first.
			if i := slices.Index(t.measures, measure{ind: "line"}); i > 0 {
				m, se := t.measures[i], t.withSE[i]
				t.measures = slices.Insert(slices.Delete(t.measures, i, i+1), 0, m)
				t.withSE = slices.Insert(slices.Delete(t.withSE, i, i+1), 0, se)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// annual writes one annual table: a title, a note, the header (two rows
// when some estimate has a standard error: the indicator over its estimate,
// SE and confidence bounds) and one row per domain (annualGrid, shared with
// tables.xlsx).
func (wb *workbook) annual(s *pipeline.Study, t annualTable) error {
	sh := wb.newSheet(t.name, false)
	sh.set(1, 1, t.title, cellStyle{title: true})
	sh.set(1, 2, annualNote(s, t), cellStyle{wrap: true})
	domainCols, last, end := annualGrid{s: s, t: t, head: 4}.write(sh)
	if sh.err == nil {
		sh.err = wb.f.SetRowHeight(sh.name, 2, 15*math.Ceil(float64(utf8.RuneCountInString(annualNote(s, t)))/150))
	}
	if sh.err == nil {
		to, _ := excelize.CoordinatesToCellName(max(end, 8), 2)
		sh.err = wb.f.MergeCell(sh.name, "A2", to)
	}
	return sh.finish(domainCols, last)
}

// annualNote is the note under the title of an annual table.
func annualNote(s *pipeline.Study, t annualTable) string {
	var b strings.Builder
	b.WriteString("Weighted estimates for " + unitNoun(s.Unit) + "; a unit is poor when its income is strictly below the line. " +
		"Rates and shares are percentages. An empty cell has no estimate (see the sheet results for the reason).")
	if t.line != nil {
		b.WriteString(" Line " + t.line.Name + " = " + t.line.Spec() + ".")
	}
	if slices.Contains(t.withSE, true) {
		b.WriteString(" SE: standard error; CI: " + errorLevel(s) + " confidence interval.")
		limit := "the study's limit"
		if s.RSELimit > 0 {
			limit = percent(s.RSELimit)
		}
		b.WriteString(" A shaded estimate has a relative standard error above " + limit + ": unreliable, to be read with caution.")
	}
	return b.String()
}

// lines writes the poverty lines and their values, one row per group of a
// grouped line.
func (wb *workbook) lines(s *pipeline.Study, results []pipeline.Result) error {
	sh := wb.newSheet("lines", false)
	var rows []pipeline.Result
	var groupCols []string
	for _, r := range results {
		if r.Indicator != "line" {
			continue
		}
		rows = append(rows, r)
		for _, d := range r.Domain {
			if !slices.Contains(groupCols, d.Column) {
				groupCols = append(groupCols, d.Column)
			}
		}
	}
	header := append(append([]string{"line", "spec", "meaning"}, groupCols...), "value", "n", "population")
	bold := cellStyle{bold: true}
	for i, h := range header {
		sh.set(i+1, 1, h, bold)
	}
	row := 2
	for _, l := range s.Lines {
		for _, r := range rows {
			if r.Line != l.Name {
				continue
			}
			sh.set(1, row, l.Name, cellStyle{})
			sh.set(2, row, l.Spec(), cellStyle{})
			sh.set(3, row, lineWords(l), cellStyle{})
			for j, c := range groupCols {
				sh.set(4+j, row, domainValue(r.Domain, c), cellStyle{})
			}
			k := 4 + len(groupCols)
			sh.set(k, row, r.Estimate, cellStyle{format: formatOf("line", r.Estimate)})
			sh.set(k+1, row, r.N, cellStyle{format: "#,##0"})
			sh.set(k+2, row, r.Population, cellStyle{format: "#,##0"})
			row++
		}
	}
	return sh.finish(0, 1)
}

// provenance writes the manifest without its timings and outputs: the
// software, the study, the inputs with their hashes, what each screening
// rule did and the warnings.
func (wb *workbook) provenance(s *pipeline.Study, m *pipeline.Manifest, warnings []string) error {
	sh := wb.newSheet("provenance", false)
	p := newPaths(m.Inputs)
	bold := cellStyle{bold: true}
	row := 1
	heading := func(cells ...string) {
		if row > 1 {
			row++
		}
		for i, c := range cells {
			sh.set(i+1, row, c, bold)
		}
		row++
	}
	heading("item", "value")
	study := ""
	if m.Study.Path != "" {
		study = filepath.Base(m.Study.Path)
	}
	for _, f := range []struct {
		k string
		v any
	}{
		{"povstat", m.Povstat}, {"Go", m.GoVersion}, {"study", m.Study.Name}, {"study file", study},
		{"study SHA-256", m.Study.SHA256}, {"seed", strconv.FormatUint(m.Seed, 10)}, {"unit", m.Unit},
		{"equivalence", m.Equivalence}, {"rows read", m.Rows.Read}, {"rows used", m.Rows.Used},
	} {
		sh.set(1, row, f.k, cellStyle{})
		if n, ok := f.v.(int); ok {
			sh.set(2, row, n, cellStyle{format: "#,##0"})
		} else {
			sh.set(2, row, f.v, cellStyle{})
		}
		row++
	}
	for _, l := range m.Lines {
		sh.set(1, row, "line "+l.Name, cellStyle{})
		sh.set(2, row, l.Spec, cellStyle{})
		row++
	}
	heading("input", "SHA-256", "rows", "row groups")
	for _, in := range m.Inputs {
		sh.set(1, row, p.text(in.Path), cellStyle{})
		sh.set(2, row, in.SHA256, cellStyle{})
		sh.set(3, row, in.Rows, cellStyle{format: "#,##0"})
		sh.set(4, row, in.RowGroups, cellStyle{format: "#,##0"})
		row++
	}
	heading("rule", "column", "action", "rows", "examples")
	for _, r := range m.Rows.Rules {
		ex := make([]string, len(r.Examples))
		for i, e := range r.Examples {
			ex[i] = p.text(e)
		}
		sh.set(1, row, r.Rule, cellStyle{})
		sh.set(2, row, r.Column, cellStyle{})
		sh.set(3, row, r.Action, cellStyle{})
		sh.set(4, row, r.Rows, cellStyle{format: "#,##0"})
		sh.set(5, row, strings.Join(ex, "; "), cellStyle{})
		row++
	}
	if len(warnings) > 0 {
		heading("warning")
		for _, w := range warnings {
			sh.set(1, row, p.text(w), cellStyle{})
			row++
		}
	}
	return sh.finish(0, 1)
}
