package reports

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/povstat/povstat/pipeline"
)

// Chart is one chart of the results of a study, rendered as SVG, PNG and
// PDF. The bytes depend only on the study and the results: the same
// results give the same bytes in every run.
type Chart struct {
	// Name is the file name without its extension, e.g.
	// "headcount-median60-by-province"; it is unique within a study.
	Name string
	// Title is the chart's title; Section is the anchor of the report
	// section that shows it.
	Title, Section string
	SVG, PNG, PDF  []byte
}

// Charts draws the charts of a study from its results (nothing is
// recomputed from the microdata):
//
//   - the headcount of every line by region (the study's region, or else its
//     largest one-column breakdown), as sorted bars with confidence whiskers
//     when the results carry intervals, and the national value as a
//     reference line; in the latest period when the breakdown is crossed with
//     the study's time column;
//   - when the study has a time column, the headcount of every line and the
//     Gini coefficient over the periods;
//   - when the study has a region, the mean income of each region against
//     the national mean.
//
// A chart whose data are absent is left out. The texts are in the study's
// language; Chinese charts need a CJK font (see chartFontsFor), and the
// error is ErrNoCJKFont when there is none. Otherwise the error is that of
// rendering.
func Charts(s *pipeline.Study, out *pipeline.Output) ([]Chart, error) {
	fonts, err := chartFontsFor(s)
	if err != nil {
		return nil, err
	}
	var cs []Chart
	for _, sp := range chartSpecs(s, out.Results) {
		sp.text = fonts
		c := Chart{Name: sp.name, Title: sp.title, Section: sp.section}
		var err error
		if c.SVG, err = sp.render("svg"); err == nil {
			if c.PNG, err = sp.render("png"); err == nil {
				c.PDF, err = sp.render("pdf")
			}
		}
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", sp.name, err)
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// ChartFiles lists the files of the charts: charts/NAME.svg, .png and .pdf.
func ChartFiles(cs []Chart) []pipeline.File {
	var fs []pipeline.File
	for _, c := range cs {
		fs = append(fs,
			pipeline.File{Name: "charts/" + c.Name + ".svg", Data: c.SVG},
			pipeline.File{Name: "charts/" + c.Name + ".png", Data: c.PNG},
			pipeline.File{Name: "charts/" + c.Name + ".pdf", Data: c.PDF})
	}
	return fs
}

// figure is a chart as the report shows it: inline SVG.
type figure struct {
	Name, Title string
	SVG         template.HTML
}

// figures renders the charts of a study as inline SVG, by report section.
// The SVG comes from gonum/plot, which escapes every text it draws (region
// names included) as XML; the XML prolog and the namespace declarations
// (which an HTML parser does not need) are cut. A Chinese report without a
// CJK font has no chart: Charts, which the same run calls, reports the
// missing font.
func figures(s *pipeline.Study, results []pipeline.Result) map[string][]figure {
	fs := map[string][]figure{}
	fonts, err := chartFontsFor(s)
	if err != nil {
		return fs
	}
	for _, sp := range chartSpecs(s, results) {
		sp.text = fonts
		b, err := sp.render("svg")
		if err != nil {
			panic("reports: chart " + sp.name + ": " + err.Error()) // an SVG into memory does not fail
		}
		fs[sp.section] = append(fs[sp.section], figure{Name: sp.name, Title: sp.title, SVG: template.HTML(inlineSVG(b))})
	}
	return fs
}

var (
	svgProlog = regexp.MustCompile(`^<\?xml[^>]*\?>\s*(<!--[^>]*-->\s*)?`)
	svgSize   = regexp.MustCompile(`^<svg width="[^"]*" height="[^"]*"`)
	svgNS     = regexp.MustCompile(`\s+xmlns(:xlink)?="[^"]*"`)
)

// inlineSVG prepares an SVG document for inclusion in an HTML page: no
// prolog, no namespaces, a size set by the page's style sheet.
func inlineSVG(b []byte) string {
	s := svgProlog.ReplaceAllString(string(b), "")
	s = svgSize.ReplaceAllString(s, `<svg role="img"`)
	end := strings.IndexByte(s, '>')
	if end < 0 {
		return s
	}
	return svgNS.ReplaceAllString(s[:end], "") + s[end:]
}

// chartSpec is a chart to draw: build makes a fresh plot for each format.
type chartSpec struct {
	name, title, section string
	width, height        vg.Length
	build                func() *plot.Plot
	text                 *cjkText // the fonts of a Chinese chart; nil for English
}

// pngDPI is the resolution of the PNG files.
const pngDPI = 150

// pdfDate is the creation date written into every PDF (fpdf writes the
// current time otherwise): the Unix epoch, as SOURCE_DATE_EPOCH=0.
const pdfDate = "D:19700101000000"

var pdfDates = regexp.MustCompile(`/(CreationDate|ModDate) \(D:\d{14}\)`)

func (sp chartSpec) render(format string) ([]byte, error) {
	p := sp.build()
	var b bytes.Buffer
	switch format {
	case "svg":
		cv := vgsvg.New(sp.width, sp.height)
		sp.draw(p, cv)
		if _, err := cv.WriteTo(&b); err != nil {
			return nil, err
		}
	case "png":
		cv := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(sp.width, sp.height), vgimg.UseDPI(pngDPI))}
		sp.draw(p, cv)
		if _, err := cv.WriteTo(&b); err != nil {
			return nil, err
		}
	case "pdf":
		cv := vgpdf.New(sp.width, sp.height)
		if sp.text != nil {
			cv = sp.text.pdfImage(p, sp.width, sp.height)
		} else {
			p.Draw(draw.New(cv))
		}
		if _, err := cv.WriteTo(&b); err != nil {
			return nil, err
		}
		// The dates have a fixed length: the cross-reference offsets stay right.
		return pdfDates.ReplaceAll(b.Bytes(), []byte("/$1 ("+pdfDate+")")), nil
	default:
		panic("reports: unknown chart format " + format)
	}
	return b.Bytes(), nil
}

// draw draws a plot on a canvas, in the CJK fonts for a Chinese chart.
func (sp chartSpec) draw(p *plot.Plot, cv vg.CanvasSizer) {
	if sp.text != nil {
		sp.text.draw(p, cv)
		return
	}
	p.Draw(draw.New(cv))
}

// chartSpecs plans the charts of a study; see Charts.
func chartSpecs(s *pipeline.Study, results []pipeline.Result) []chartSpec {
	var sps []chartSpec
	if col := barColumn(s, results); col != "" {
		for i, l := range s.Lines {
			if sp, ok := regionBars(s, results, col, "headcount", l.Name, "poverty-"+strconv.Itoa(i+1)); ok {
				sps = append(sps, sp)
			}
		}
	}
	if s.Time != "" {
		if sp, ok := headcountTrend(s, results); ok {
			sps = append(sps, sp)
		}
		if sp, ok := giniTrend(s, results); ok {
			sps = append(sps, sp)
		}
		sps = append(sps, trendSpecs(s, results)...) // outputs.trends (trends.go)
	}
	if s.Region != "" {
		if sp, ok := regionBars(s, results, s.Region, "region_mean", "", "regions"); ok {
			sps = append(sps, sp)
		}
	}
	sps = append(sps, curveSpecs(s, results)...) // Lorenz, disparity trend, comparison of lines, risk (html_curves.go)
	return sps
}

// barColumn is the column of the headcount bars: the study's region when a
// breakdown has it, or else the one-column breakdown with the most domains
// (the time column aside).
func barColumn(s *pipeline.Study, results []pipeline.Result) string {
	if s.Region != "" {
		for _, cols := range s.Domains {
			if slices.Contains(cols, s.Region) {
				return s.Region
			}
		}
	}
	best, most := "", 1
	for _, cols := range s.Domains {
		if len(cols) != 1 || cols[0] == s.Time {
			continue
		}
		if n := len(domainsOf(results, cols)); n > most {
			best, most = cols[0], n
		}
	}
	return best
}

// bar is one bar: a domain's label and its result.
type bar struct {
	label string
	r     pipeline.Result
}

// hasCI reports whether a result carries a confidence interval.
func hasCI(r pipeline.Result) bool {
	return r.SEMethod != "" && r.SEMethod != "unavailable" && !math.IsNaN(r.CILower) && !math.IsNaN(r.CIUpper)
}

// regionBars is the chart of one indicator (and line) by the groups of col,
// in the whole population or, when the results are by time and col, in the
// latest period; the reference line is the value of the whole population
// (of that period): the indicator itself, or the mean for region_mean.
func regionBars(s *pipeline.Study, results []pipeline.Result, col, ind, line, section string) (chartSpec, bool) {
	// The context is the domain without col: {} or {time: latest}.
	var ctx []pipeline.DomainValue
	latest := ""
	for _, r := range results {
		if r.Indicator != ind || r.Line != line || len(r.Domain) != 2 || s.Time == "" {
			continue
		}
		if r.Domain[0].Column == s.Time && r.Domain[1].Column == col && (latest == "" || comparePeriods(r.Domain[0].Value, latest) > 0) {
			latest = r.Domain[0].Value
		}
	}
	if latest != "" {
		ctx = []pipeline.DomainValue{{Column: s.Time, Value: latest}}
	}
	var bars []bar
	for _, r := range results {
		if r.Indicator != ind || r.Line != line || math.IsNaN(r.Estimate) || len(r.Domain) != len(ctx)+1 ||
			!slices.Equal(r.Domain[:len(ctx)], ctx) || r.Domain[len(ctx)].Column != col {
			continue
		}
		bars = append(bars, bar{r.Domain[len(ctx)].Value, r})
	}
	if len(bars) < 2 {
		return chartSpec{}, false
	}
	slices.SortStableFunc(bars, func(a, b bar) int {
		return cmp.Or(cmp.Compare(a.r.Estimate, b.r.Estimate), strings.Compare(a.label, b.label))
	})
	refInd := ind
	if ind == "region_mean" {
		refInd = "mean"
	}
	ref, hasRef := find(results, refInd, line, ctx)
	hasRef = hasRef && !math.IsNaN(ref.Estimate)

	rate := styleOf(ind) == styleRate
	format := formatMoney
	if rate {
		format = formatRate
	}
	lang := s.Lang
	where := ""
	if latest != "" {
		where = Tf(lang, ", %s %s", s.Time, latest)
	}
	var sp chartSpec
	if ind == "region_mean" {
		sp.name = "mean-income-by-" + col
		sp.title = Tf(lang, "Mean income by %s", col) + where
	} else {
		sp.name = ind + "-" + line + "-by-" + col
		sp.title = Tf(lang, "%s by %s, line %s", labelIn(lang, ind).text, col, line) + where
	}
	sp.name = fileName(sp.name)
	sp.section = section
	sp.width = 16 * vg.Centimeter
	sp.height = vg.Length(2.6+0.55*float64(len(bars))) * vg.Centimeter
	withCI := slices.ContainsFunc(bars, func(b bar) bool { return hasCI(b.r) })
	axis := Tf(lang, "%s (%% of %s)", labelIn(lang, ind).text, unitNounIn(lang, s.Unit))
	if !rate {
		axis = T(lang, "Mean income (income units a unit)")
		if s.Unit != "" {
			axis = Tf(lang, "Mean income per %s (income units)", T(lang, strings.TrimSuffix(s.Unit, "s")))
		}
	}
	title := sp.title
	sp.build = func() *plot.Plot {
		p := newPlot(title)
		grid := plotter.NewGrid()
		grid.Horizontal.Width = 0
		p.Add(grid)
		vals := make(plotter.Values, len(bars))
		names := make([]string, len(bars))
		for i, b := range bars {
			vals[i], names[i] = b.r.Estimate, b.label
		}
		bc, err := plotter.NewBarChart(vals, vg.Length(0.32)*vg.Centimeter)
		if err != nil {
			panic("reports: " + err.Error()) // the width is positive
		}
		bc.Horizontal = true
		bc.Color = barColor
		bc.LineStyle.Width = 0
		p.Add(bc)
		if withCI {
			var w whiskers
			for i, b := range bars {
				if !hasCI(b.r) {
					continue
				}
				w.XYs = append(w.XYs, plotter.XY{X: b.r.Estimate, Y: float64(i)})
				w.XErrors = append(w.XErrors, struct{ Low, High float64 }{b.r.Estimate - b.r.CILower, b.r.CIUpper - b.r.Estimate})
			}
			eb, err := plotter.NewXErrorBars(w)
			if err != nil {
				panic("reports: " + err.Error()) // the values are finite
			}
			eb.LineStyle.Color = whiskerColor
			eb.LineStyle.Width = vg.Points(1)
			eb.CapWidth = vg.Points(5)
			p.Add(eb)
			p.Legend.Add(ciLabel(s), &plotter.Line{LineStyle: eb.LineStyle})
		}
		if hasRef {
			rl, err := plotter.NewLine(plotter.XYs{{X: ref.Estimate, Y: -0.6}, {X: ref.Estimate, Y: float64(len(bars)) - 0.4}})
			if err != nil {
				panic("reports: " + err.Error())
			}
			rl.Color = refColor
			rl.Width = vg.Points(1.5)
			rl.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			p.Add(rl)
			what := T(lang, "National")
			if ind == "region_mean" {
				what = T(lang, "National mean")
			}
			p.Legend.Add(what+T(lang, ": ")+format(ref.Estimate), rl)
		}
		p.NominalY(names...)
		p.X.Min = 0
		p.X.Max *= 1.04
		p.X.Label.Text = axis
		if rate {
			p.X.Tick.Marker = tickFormat{formatTickRate}
		} else {
			p.X.Tick.Marker = tickFormat{formatTickAmount}
		}
		p.Legend.Top = false
		p.Legend.Left = false
		p.Legend.XOffs = -vg.Points(4)
		p.Legend.YOffs = vg.Points(4)
		styleTexts(p)
		return p
	}
	return sp, true
}

// ciLabel names the whiskers: "95% confidence interval".
func ciLabel(s *pipeline.Study) string {
	if s.Level > 0 && s.Level < 1 {
		return Tf(s.Lang, "%s%% confidence interval", strconv.FormatFloat(100*s.Level, 'f', -1, 64))
	}
	return T(s.Lang, "confidence interval")
}

// whiskers are the confidence intervals of a bar chart.
type whiskers struct {
	plotter.XYs
	plotter.XErrors
}

// yWhiskers are the confidence intervals of a line chart.
type yWhiskers struct {
	plotter.XYs
	plotter.YErrors
}

// periods lists the values of the time column in the domains {time: v} of
// an indicator, in order.
func periods(s *pipeline.Study, results []pipeline.Result, ind string) []string {
	var ps []string
	for _, r := range results {
		if r.Indicator == ind && len(r.Domain) == 1 && r.Domain[0].Column == s.Time && !slices.Contains(ps, r.Domain[0].Value) {
			ps = append(ps, r.Domain[0].Value)
		}
	}
	slices.SortStableFunc(ps, comparePeriods)
	return ps
}

// comparePeriods orders periods as numbers when both are, as strings
// otherwise.
func comparePeriods(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(a, b)
}

// series is one line of a trend chart: its legend and its results by period.
type series struct {
	label string
	rs    []pipeline.Result // one per period; Estimate NaN where none
}

// headcountTrend is the headcount of every line over the periods.
func headcountTrend(s *pipeline.Study, results []pipeline.Result) (chartSpec, bool) {
	ps := periods(s, results, "headcount")
	if len(ps) < 2 {
		return chartSpec{}, false
	}
	var ss []series
	for _, l := range s.Lines {
		if sr, ok := trendSeries(s, results, "headcount", l.Name, ps); ok {
			sr.label = l.Name
			ss = append(ss, sr)
		}
	}
	if len(ss) == 0 {
		return chartSpec{}, false
	}
	title := Tf(s.Lang, "Headcount by %s, every line", s.Time)
	axis := Tf(s.Lang, "%s (%% of %s)", labelIn(s.Lang, "headcount").text, unitNounIn(s.Lang, s.Unit))
	return trendChart(s, "headcount-by-"+s.Time, title, "poverty", axis, ps, ss, tickFormat{formatTickRate}), true
}

// giniTrend is the Gini coefficient over the periods.
func giniTrend(s *pipeline.Study, results []pipeline.Result) (chartSpec, bool) {
	ps := periods(s, results, "gini")
	if len(ps) < 2 {
		return chartSpec{}, false
	}
	sr, ok := trendSeries(s, results, "gini", "", ps)
	if !ok {
		return chartSpec{}, false
	}
	sr.label = T(s.Lang, "Gini")
	return trendChart(s, "gini-by-"+s.Time, Tf(s.Lang, "Gini coefficient by %s", s.Time), "inequality", T(s.Lang, "Gini coefficient (index, 0 to 1)"), ps, []series{sr}, tickFormat{formatTickIndex}), true
}

func trendSeries(s *pipeline.Study, results []pipeline.Result, ind, line string, ps []string) (series, bool) {
	sr := series{rs: make([]pipeline.Result, len(ps))}
	found := false
	for i, p := range ps {
		r, ok := find(results, ind, line, []pipeline.DomainValue{{Column: s.Time, Value: p}})
		if !ok {
			r.Estimate = math.NaN()
		}
		found = found || !math.IsNaN(r.Estimate)
		sr.rs[i] = r
	}
	return sr, found
}

func trendChart(s *pipeline.Study, name, title, section, axis string, ps []string, ss []series, yTicks plot.Ticker) chartSpec {
	sp := chartSpec{name: fileName(name), title: title, section: section, width: 16 * vg.Centimeter, height: 9 * vg.Centimeter}
	sp.build = func() *plot.Plot {
		p := newPlot(title)
		grid := plotter.NewGrid()
		grid.Vertical.Width = 0
		p.Add(grid)
		for k, sr := range ss {
			var pts plotter.XYs
			var w yWhiskers
			for i, r := range sr.rs {
				if math.IsNaN(r.Estimate) {
					continue
				}
				pts = append(pts, plotter.XY{X: float64(i), Y: r.Estimate})
				if hasCI(r) {
					w.XYs = append(w.XYs, plotter.XY{X: float64(i), Y: r.Estimate})
					w.YErrors = append(w.YErrors, struct{ Low, High float64 }{r.Estimate - r.CILower, r.CIUpper - r.Estimate})
				}
			}
			ln, pt, err := plotter.NewLinePoints(pts)
			if err != nil {
				panic("reports: " + err.Error()) // the values are finite
			}
			c := seriesColor(k)
			ln.Color, ln.Width = c, vg.Points(1.5)
			pt.Color, pt.Shape, pt.Radius = c, draw.CircleGlyph{}, vg.Points(2.5)
			p.Add(ln, pt)
			if len(w.XYs) > 0 {
				eb, err := plotter.NewYErrorBars(w)
				if err != nil {
					panic("reports: " + err.Error())
				}
				eb.LineStyle.Color, eb.LineStyle.Width, eb.CapWidth = c, vg.Points(1), vg.Points(5)
				p.Add(eb)
			}
			if len(ss) > 1 {
				p.Legend.Add(sr.label, ln, pt)
			}
		}
		ticks := make([]plot.Tick, len(ps))
		for i, v := range ps {
			ticks[i] = plot.Tick{Value: float64(i), Label: v}
		}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.X.Min, p.X.Max = -0.3, float64(len(ps)-1)+0.3
		p.X.Label.Text = s.Time
		p.Y.Label.Text = axis
		p.Y.Tick.Marker = yTicks
		p.Y.Min = 0
		p.Y.Max *= 1 + 0.08*float64(len(ss)) // room for the legend
		p.Legend.Top = true
		p.Legend.Left = false
		styleTexts(p)
		return p
	}
	return sp
}

// Colors of the charts: the bars and lines of the report's style sheet.
var (
	barColor     = color.RGBA{R: 0x6f, G: 0x9a, B: 0xd8, A: 0xff}
	whiskerColor = color.RGBA{R: 0x32, G: 0x3a, B: 0x4d, A: 0xff}
	refColor     = color.RGBA{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff}
)

// translucent is c at a fifth of its opacity (confidence bands).
func translucent(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	const a = 0x33 // premultiplied: each channel scaled by a/0xff
	return color.RGBA{R: uint8(r >> 8 * a / 0xff), G: uint8(g >> 8 * a / 0xff), B: uint8(b >> 8 * a / 0xff), A: a}
}

func seriesColor(i int) color.Color {
	cs := []color.RGBA{
		{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff},
		{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff},
		{R: 0x2e, G: 0x8b, B: 0x57, A: 0xff},
		{R: 0xb4, G: 0x69, B: 0x0e, A: 0xff},
		{R: 0x6a, G: 0x3d, B: 0x9a, A: 0xff},
		{R: 0x4b, G: 0x54, B: 0x68, A: 0xff},
	}
	return cs[i%len(cs)]
}

// chartFonts holds the Liberation fonts gonum/plot ships, so that the
// charts look the same on every machine and never depend on system fonts.
var chartFonts = text.Plain{Fonts: font.NewCache(liberation.Collection())}

var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	return p
}

// styleTexts sets every text of a plot to Liberation Sans.
func styleTexts(p *plot.Plot) {
	set := func(st *text.Style, size vg.Length) {
		st.Font = font.From(sans, size)
		st.Handler = chartFonts
	}
	p.TextHandler = chartFonts
	set(&p.Title.TextStyle, 12)
	set(&p.X.Label.TextStyle, 10)
	set(&p.Y.Label.TextStyle, 10)
	set(&p.X.Tick.Label, 9)
	set(&p.Y.Tick.Label, 9)
	set(&p.Legend.TextStyle, 9)
}

// tickFormat labels the default ticks with a formatter.
type tickFormat struct{ format func(float64) string }

// Ticks labels about five round values (1, 2, 2.5 or 5 times a power of
// ten apart) between lo and hi.
func (t tickFormat) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	raw := (hi - lo) / 5
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * pow
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*pow >= raw {
			step = m * pow
			break
		}
	}
	var ts []plot.Tick
	for k := math.Ceil(lo / step); k*step <= hi*(1+1e-9); k++ {
		v := k * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ts = append(ts, plot.Tick{Value: v, Label: t.format(v)})
	}
	return ts
}

// formatTickRate writes a fraction as a percentage with the digits it
// needs: 0.25 is "25%", 0.125 is "12.5%".
func formatTickRate(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e8)/1e6, 'f', -1, 64) + "%"
}

// formatTickAmount writes an amount with thousands separators.
func formatTickAmount(v float64) string {
	if v == math.Trunc(v) {
		return thousands(v)
	}
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// formatTickIndex writes an index with the digits it needs.
func formatTickIndex(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// fileName makes a name safe as a file name.
func fileName(s string) string {
	return strings.Trim(unsafeName.ReplaceAllString(s, "_"), "_.")
}
