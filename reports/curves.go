package reports

import (
	"cmp"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/povstat/povstat/pipeline"
)

// curve is one line of a curve chart: its legend and its points.
type curve struct {
	label  string
	pts    plotter.XYs
	glyphs bool        // draw a dot at each point
	dashed bool        // a dashed line (reference curves)
	only   bool        // points only, no line (a rule's single point)
	shape  int         // the glyph of a points-only curve (see pointShape)
	color  color.Color // nil: the series color of its position
	// band is the outline of a shaded confidence band around the curve:
	// the lower bounds in increasing x, then the upper ones back; nil for
	// none.
	band plotter.XYs
}

// mark is a vertical reference line at x (a poverty line), named in the
// legend.
type mark struct {
	x     float64
	label string
}

// axes are the texts and scales of a curve chart.
type axes struct {
	x, y           string
	xTicks, yTicks plot.Ticker
	diagonal       string  // legend of the line y = x over [0, 1]; "" for none
	diagonalTo     float64 // the diagonal ends at (diagonalTo, diagonalTo); 0 means 1
	zeroY          bool    // the y axis starts at 0 (or below, for negative values)
	legendLeft     bool    // legend in the top left corner, else top right
	legendBottom   bool    // legend at the bottom
	headroom       bool    // room above the data for the legend
	band           string  // legend of the curves' shaded bands ("95% confidence interval")
}

// maxCurves is the largest number of curves drawn in one chart.
const maxCurves = 8

// curveChart plans a chart of curves against a continuous x axis, with
// vertical marks and an optional diagonal. The bytes depend only on its
// arguments.
func curveChart(name, title, section string, ax axes, cs []curve, marks []mark) chartSpec {
	sp := chartSpec{name: fileName(name), title: title, section: section, width: 16 * vg.Centimeter, height: 10 * vg.Centimeter}
	sp.build = func() *plot.Plot {
		p := newPlot(title)
		p.Add(plotter.NewGrid())
		lo, hi := math.Inf(1), math.Inf(-1) // the y range of the data, for the marks
		if ax.zeroY {
			lo, hi = 0, 0
		}
		for _, c := range cs {
			for _, pt := range append(c.pts, c.band...) {
				lo, hi = math.Min(lo, pt.Y), math.Max(hi, pt.Y)
			}
		}
		// The bands first, under every line.
		banded := false
		for k, c := range cs {
			if len(c.band) < 4 {
				continue
			}
			col := c.color
			if col == nil {
				col = seriesColor(k)
			}
			poly, err := plotter.NewPolygon(c.band)
			if err != nil {
				panic("reports: " + err.Error()) // the values are finite
			}
			poly.Color, poly.LineStyle.Width = translucent(col), 0
			p.Add(poly)
			if !banded && ax.band != "" {
				p.Legend.Add(ax.band, poly)
			}
			banded = true
		}
		if ax.diagonal != "" {
			end := ax.diagonalTo
			if end == 0 {
				end = 1
			}
			lo, hi = math.Min(lo, 0), math.Max(hi, end)
			dl := plotLine(plotter.XYs{{X: 0, Y: 0}, {X: end, Y: end}})
			dl.Color, dl.Width = color.Gray{Y: 0x80}, vg.Points(1)
			dl.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
			p.Add(dl)
			p.Legend.Add(ax.diagonal, dl)
		}
		for k, c := range cs {
			col := c.color
			if col == nil {
				col = seriesColor(k)
			}
			if c.only {
				sc, err := plotter.NewScatter(c.pts)
				if err != nil {
					panic("reports: " + err.Error()) // the values are finite
				}
				sc.Color, sc.Shape, sc.Radius = col, pointShape(c.shape), vg.Points(4)
				p.Add(sc)
				p.Legend.Add(c.label, sc)
				continue
			}
			ln := plotLine(c.pts)
			ln.Color, ln.Width = col, vg.Points(1.5)
			if c.dashed || k >= seriesColors {
				ln.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			}
			p.Add(ln)
			if c.glyphs {
				sc, err := plotter.NewScatter(c.pts)
				if err != nil {
					panic("reports: " + err.Error())
				}
				sc.Color, sc.Shape, sc.Radius = col, draw.CircleGlyph{}, vg.Points(2.2)
				p.Add(sc)
				p.Legend.Add(c.label, ln, sc)
			} else {
				p.Legend.Add(c.label, ln)
			}
		}
		if !(hi > lo) {
			hi = lo + 1
		}
		for k, m := range marks {
			ml := plotLine(plotter.XYs{{X: m.x, Y: lo}, {X: m.x, Y: hi}})
			ml.Color, ml.Width = markColor(k), vg.Points(1.2)
			ml.Dashes = markDashes(k)
			p.Add(ml)
			p.Legend.Add(m.label, ml)
		}
		p.X.Label.Text, p.Y.Label.Text = ax.x, ax.y
		p.X.Tick.Marker, p.Y.Tick.Marker = ax.xTicks, ax.yTicks
		if ax.zeroY && p.Y.Min > 0 {
			p.Y.Min = 0
		}
		if ax.diagonal == "" {
			p.X.Max += 0.03 * (p.X.Max - p.X.Min) // room for the last tick label
		}
		if ax.headroom {
			p.Y.Max += (p.Y.Max - p.Y.Min) * 0.08 * float64(len(cs)+len(marks))
		}
		p.Legend.Top = !ax.legendBottom
		p.Legend.Left = ax.legendLeft
		p.Legend.XOffs, p.Legend.YOffs = vg.Points(4), -vg.Points(4)
		if !ax.legendLeft {
			p.Legend.XOffs = -vg.Points(4)
		}
		if ax.legendBottom {
			p.Legend.YOffs = vg.Points(4)
		}
		styleTexts(p)
		return p
	}
	return sp
}

// seriesColors is the number of distinct colors of seriesColor.
const seriesColors = 6

func plotLine(pts plotter.XYs) *plotter.Line {
	l, err := plotter.NewLine(pts)
	if err != nil {
		panic("reports: " + err.Error()) // the values are finite
	}
	return l
}

// pointShape is the k-th glyph of points-only curves: with the colors of
// markColor, the first twelve curves differ in color or shape.
func pointShape(k int) draw.GlyphDrawer {
	shapes := []draw.GlyphDrawer{draw.PyramidGlyph{}, draw.BoxGlyph{}, draw.CircleGlyph{}, draw.CrossGlyph{}, draw.RingGlyph{}, draw.PlusGlyph{}}
	return shapes[k%len(shapes)]
}

// markColor and markDashes tell the vertical marks apart.
func markColor(k int) color.Color {
	cs := []color.RGBA{
		{R: 0xc0, G: 0x39, B: 0x2b, A: 0xff},
		{R: 0x2e, G: 0x8b, B: 0x57, A: 0xff},
		{R: 0xb4, G: 0x69, B: 0x0e, A: 0xff},
		{R: 0x6a, G: 0x3d, B: 0x9a, A: 0xff},
	}
	return cs[k%len(cs)]
}

func markDashes(k int) []vg.Length {
	ds := [][]vg.Length{
		{vg.Points(5), vg.Points(3)},
		{vg.Points(2), vg.Points(2)},
		{vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)},
		{vg.Points(1), vg.Points(3)},
	}
	return ds[(k/4)%len(ds)]
}

// domainCurve is the points of one curve indicator (rows with At) in one
// domain, in increasing order of At.
type domainCurve struct {
	dom []pipeline.DomainValue
	pts plotter.XYs
}

// curvesOf gathers the rows of ind (with At, Line line and Model model)
// into one curve per domain, in the order of first appearance; a curve
// with a missing point is left out.
func curvesOf(results []pipeline.Result, ind, line, model string) []domainCurve {
	var out []domainCurve
	index := map[string]int{}
	bad := map[string]bool{}
	for _, r := range results {
		if r.Indicator != ind || r.At == nil || r.Line != line || r.Model != model || r.Cell != "" {
			continue
		}
		k := domainKey(r.Domain)
		if math.IsNaN(r.Estimate) || math.IsInf(r.Estimate, 0) || math.IsNaN(*r.At) {
			bad[k] = true
			continue
		}
		j, ok := index[k]
		if !ok {
			j = len(out)
			index[k] = j
			out = append(out, domainCurve{dom: r.Domain})
		}
		out[j].pts = append(out[j].pts, plotter.XY{X: *r.At, Y: r.Estimate})
	}
	var kept []domainCurve
	for _, c := range out {
		if bad[domainKey(c.dom)] {
			continue
		}
		slices.SortStableFunc(c.pts, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
		kept = append(kept, c)
	}
	return kept
}

// lorenzCurves picks the curves of a Lorenz chart: one per period when the
// study has a time column and the results have the curve by period; else
// the whole population and the domains of the first breakdown (the least
// and the most equal when there are more than maxCurves); else the whole
// population. by names the column of the curves ("" for the whole
// population only).
func lorenzCurves(s *pipeline.Study, results []pipeline.Result, ind string) (cs []curve, by string) {
	all := curvesOf(results, ind, "", "")
	whole := func() []curve {
		for _, c := range all {
			if len(c.dom) == 0 {
				return []curve{{label: T(s.Lang, "Whole population"), pts: fromZero(c.pts)}}
			}
		}
		return nil
	}
	if s.Time != "" {
		var ps []domainCurve
		for _, c := range all {
			if len(c.dom) == 1 && c.dom[0].Column == s.Time {
				ps = append(ps, c)
			}
		}
		slices.SortStableFunc(ps, func(a, b domainCurve) int { return comparePeriods(a.dom[0].Value, b.dom[0].Value) })
		if len(ps) > maxCurves {
			ps = ps[len(ps)-maxCurves:] // the latest periods
		}
		if len(ps) >= 2 {
			for _, c := range ps {
				cs = append(cs, curve{label: s.Time + " " + c.dom[0].Value, pts: fromZero(c.pts)})
			}
			return cs, s.Time
		}
	}
	if len(s.Domains) > 0 {
		cols := s.Domains[0]
		var ds []domainCurve
		for _, c := range all {
			if sameColumns(c.dom, cols) {
				ds = append(ds, c)
			}
		}
		if len(ds) > maxCurves-1 {
			// The least and the most equal: the largest and smallest area
			// under the curve (trapezoids over the points).
			slices.SortStableFunc(ds, func(a, b domainCurve) int { return cmp.Compare(curveArea(b.pts), curveArea(a.pts)) })
			ds = []domainCurve{ds[0], ds[len(ds)-1]}
		}
		if len(ds) > 0 {
			cs = whole()
			for _, c := range ds {
				cs = append(cs, curve{label: domainLabel(c.dom), pts: fromZero(c.pts)})
			}
			return cs, strings.Join(cols, " × ")
		}
	}
	return whole(), ""
}

// fromZero puts the origin (0, 0) before the points of a Lorenz curve.
func fromZero(pts plotter.XYs) plotter.XYs {
	if len(pts) > 0 && pts[0].X == 0 {
		return pts
	}
	return append(plotter.XYs{{X: 0, Y: 0}}, pts...)
}

// curveArea is the area under a curve from its first point, by
// trapezoids, from the origin.
func curveArea(pts plotter.XYs) float64 {
	a := 0.0
	pts = fromZero(pts)
	for i := 1; i < len(pts); i++ {
		a += (pts[i].X - pts[i-1].X) * (pts[i].Y + pts[i-1].Y) / 2
	}
	return a
}

// domainLabel writes a domain's values, e.g. "north, urban".
func domainLabel(d []pipeline.DomainValue) string {
	vs := make([]string, len(d))
	for i, v := range d {
		vs[i] = v.Value
	}
	return strings.Join(vs, ", ")
}

// lorenzCharts are the Lorenz and generalized Lorenz charts of the results'
// lorenz and generalized_lorenz rows.
func lorenzCharts(s *pipeline.Study, results []pipeline.Result) []chartSpec {
	var sps []chartSpec
	popAxis := Tf(s.Lang, "Share of %s, poorest first (%%)", T(s.Lang, unitNoun(s.Unit)))
	if cs, by := lorenzCurves(s, results, "lorenz"); len(cs) > 0 {
		name, title := "lorenz", T(s.Lang, "Lorenz curve")
		if by != "" {
			name, title = "lorenz-by-"+by, Tf(s.Lang, "Lorenz curves by %s", by)
		}
		ax := axes{x: popAxis, y: T(s.Lang, "Share of total income (%)"),
			xTicks: tickFormat{formatTickRate}, yTicks: tickFormat{formatTickRate},
			diagonal: T(s.Lang, "Line of equality"), zeroY: true, legendLeft: true}
		sps = append(sps, curveChart(name, title, "inequality", ax, cs, nil))
	}
	if cs, by := lorenzCurves(s, results, "generalized_lorenz"); len(cs) > 0 {
		name, title := "generalized-lorenz", T(s.Lang, "Generalized Lorenz curve")
		if by != "" {
			name, title = "generalized-lorenz-by-"+by, Tf(s.Lang, "Generalized Lorenz curves by %s", by)
		}
		ax := axes{x: popAxis, y: T(s.Lang, "Income of the poorest, per head of all (income units)"),
			xTicks: tickFormat{formatTickRate}, yTicks: tickFormat{formatTickAmount}, zeroY: true, legendLeft: true}
		sps = append(sps, curveChart(name, title, "inequality", ax, cs, nil))
	}
	return sps
}

// disparityIndicators are the coefficients of the disparity trend chart,
// with their legends.
var disparityIndicators = []struct{ ind, label string }{
	{"cv", "Coefficient of variation of regional means"},
	{"williamson", "Williamson's coefficient"},
	{"theil_t_between_share", "Theil T: share between regions"},
	{"theil_l_between_share", "Theil L: share between regions"},
}

// disparityTrend is the regional disparity coefficients over the periods.
func disparityTrend(s *pipeline.Study, results []pipeline.Result) (chartSpec, bool) {
	var ss []series
	var ps []string
	for _, d := range disparityIndicators {
		for _, p := range periods(s, results, d.ind) {
			if !slices.Contains(ps, p) {
				ps = append(ps, p)
			}
		}
	}
	slices.SortStableFunc(ps, comparePeriods)
	if len(ps) < 2 {
		return chartSpec{}, false
	}
	for _, d := range disparityIndicators {
		if sr, ok := trendSeries(s, results, d.ind, "", ps); ok {
			sr.label = T(s.Lang, d.label)
			ss = append(ss, sr)
		}
	}
	if len(ss) == 0 {
		return chartSpec{}, false
	}
	title := Tf(s.Lang, "Regional disparity by %s", s.Time)
	axis := T(s.Lang, "Coefficient (0 = no disparity; shares as fractions)")
	return trendChart(s, "disparity-by-"+s.Time, title, "regions", axis, ps, ss, tickFormat{formatTickIndex}), true
}
