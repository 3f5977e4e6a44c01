package reports

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/povstat/povstat/pipeline"
)

// sweep is one sweep of lines of pipeline.Compare in one domain: at each
// point its line (the domain's own, else the national one, when there is
// one), the headcount and the deficit per unit (gap_total over the
// population).
type sweep struct {
	name   string
	money  bool // every point has a line: x is the line, else the point
	pts    []sweepPoint
	lo, hi float64 // the range of x
}

type sweepPoint struct {
	at, line, headcount, deficit float64 // NaN where there is none
	headLo, headHi               float64 // the headcount's confidence interval, NaN for none
}

// x is where a point is drawn: its line, or the point itself (a fraction).
func (sw sweep) x(p sweepPoint) float64 {
	if sw.money {
		return p.line
	}
	return p.at
}

// isSweepRow reports whether a row belongs to a sweep: it has a line and
// a point, and no model or cell.
func isSweepRow(r pipeline.Result) bool {
	return r.At != nil && r.Line != "" && r.Model == "" && r.Cell == "" && !math.IsNaN(*r.At)
}

// sweepsOf gathers the sweeps of the results in domain d (nil: the whole
// population), in order of first appearance: the headcount and gap_total
// rows of the domain, and the line rows of the domain or, when the domain
// has none, of the whole population (a national sweep has one line per
// point, a sweep by year one per year and point).
func sweepsOf(results []pipeline.Result, d []pipeline.DomainValue) []sweep {
	var out []sweep
	index := map[string]int{}
	points := map[string]map[float64]*sweepPoint{}
	national := map[string]map[float64]float64{} // the lines of the whole population
	key := domainKey(d)
	for _, r := range results {
		if !isSweepRow(r) {
			continue
		}
		here := len(r.Domain) == len(d) && domainKey(r.Domain) == key
		if r.Indicator == "line" && len(r.Domain) == 0 {
			if national[r.Line] == nil {
				national[r.Line] = map[float64]float64{}
			}
			national[r.Line][*r.At] = r.Estimate
		}
		if !here || r.Indicator != "headcount" && r.Indicator != "gap_total" && r.Indicator != "line" {
			continue
		}
		if _, ok := index[r.Line]; !ok {
			index[r.Line] = len(out)
			out = append(out, sweep{name: r.Line})
			points[r.Line] = map[float64]*sweepPoint{}
		}
		p, ok := points[r.Line][*r.At]
		if !ok {
			nan := math.NaN()
			p = &sweepPoint{at: *r.At, line: nan, headcount: nan, deficit: nan, headLo: nan, headHi: nan}
			points[r.Line][*r.At] = p
		}
		switch r.Indicator {
		case "line":
			p.line = r.Estimate
		case "headcount":
			p.headcount = r.Estimate
			if hasCI(r) {
				p.headLo, p.headHi = r.CILower, r.CIUpper
			}
		case "gap_total":
			if r.Population > 0 {
				p.deficit = r.Estimate / r.Population
			}
		}
	}
	var kept []sweep
	for _, sw := range out {
		for _, at := range slices.Sorted(maps.Keys(points[sw.name])) {
			p := *points[sw.name][at]
			if v, ok := national[sw.name][at]; ok && math.IsNaN(p.line) {
				p.line = v
			}
			sw.pts = append(sw.pts, p)
		}
		if len(sw.pts) < 2 || !slices.ContainsFunc(sw.pts, func(p sweepPoint) bool { return !math.IsNaN(p.headcount) }) {
			continue // a line row alone or no curve
		}
		sw.money = !slices.ContainsFunc(sw.pts, func(p sweepPoint) bool { return math.IsNaN(p.line) || math.IsInf(p.line, 0) })
		sw.lo, sw.hi = math.Inf(1), math.Inf(-1)
		for _, p := range sw.pts {
			sw.lo, sw.hi = math.Min(sw.lo, sw.x(p)), math.Max(sw.hi, sw.x(p))
		}
		kept = append(kept, sw)
	}
	return kept
}

// sweepPeriods lists the periods whose domain {time: period} has the
// headcount rows of a sweep, in order (the latest maxCurves).
func sweepPeriods(s *pipeline.Study, results []pipeline.Result, name string) []string {
	var ps []string
	for _, r := range results {
		if isSweepRow(r) && r.Line == name && r.Indicator == "headcount" && len(r.Domain) == 1 &&
			r.Domain[0].Column == s.Time && !slices.Contains(ps, r.Domain[0].Value) {
			ps = append(ps, r.Domain[0].Value)
		}
	}
	slices.SortStableFunc(ps, comparePeriods)
	if len(ps) > maxCurves {
		ps = ps[len(ps)-maxCurves:]
	}
	return ps
}

// namedLine is a configured line with one value in a domain.
type namedLine struct {
	name  string
	value float64
}

// namedLines lists the lines of the results that are not sweeps and have
// a value in domain d (a line row without At; nil: the whole population),
// in the order of the results.
func namedLines(results []pipeline.Result, d []pipeline.DomainValue) []namedLine {
	var out []namedLine
	key := domainKey(d)
	for _, r := range results {
		if r.Indicator != "line" || r.At != nil || r.Line == "" || r.Model != "" || len(r.Domain) != len(d) ||
			domainKey(r.Domain) != key || math.IsNaN(r.Estimate) || math.IsInf(r.Estimate, 0) {
			continue
		}
		if !slices.ContainsFunc(out, func(l namedLine) bool { return l.name == r.Line }) {
			out = append(out, namedLine{r.Line, r.Estimate})
		}
	}
	return out
}

// lineMarks marks the configured lines on the money axis of sweeps: each
// line's national value or, for a line computed by period, its value in
// the latest period (named in the legend); only the values within the
// range of the sweeps (within 5% of its width beyond either end).
func lineMarks(s *pipeline.Study, results []pipeline.Result, sws []sweep, latest string) []mark {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, sw := range sws {
		if !sw.money {
			return nil
		}
		lo, hi = math.Min(lo, sw.lo), math.Max(hi, sw.hi)
	}
	pad := 0.05 * (hi - lo)
	var ms []mark
	add := func(l namedLine, label string) {
		if l.value >= lo-pad && l.value <= hi+pad && !slices.ContainsFunc(sws, func(sw sweep) bool { return sw.name == l.name }) {
			ms = append(ms, mark{x: l.value, label: label})
		}
	}
	national := namedLines(results, nil)
	for _, l := range national {
		add(l, Tf(s.Lang, "Line %s: %s", l.name, formatMoney(l.value)))
	}
	if latest != "" {
		for _, l := range namedLines(results, []pipeline.DomainValue{{Column: s.Time, Value: latest}}) {
			if !slices.ContainsFunc(national, func(n namedLine) bool { return n.name == l.name }) {
				add(l, Tf(s.Lang, "Line %s, %s %s: %s", l.name, s.Time, latest, formatMoney(l.value)))
			}
		}
	}
	return ms
}

// sweepCurves are the curves of a sweep: one per period when the study
// has a time column and the results have the sweep by period (latest is
// the last period), else the whole population's.
func sweepCurves(s *pipeline.Study, results []pipeline.Result, sw sweep) (sws []sweep, labels []string, latest string) {
	if s.Time != "" {
		ps := sweepPeriods(s, results, sw.name)
		for _, p := range ps {
			for _, x := range sweepsOf(results, []pipeline.DomainValue{{Column: s.Time, Value: p}}) {
				if x.name == sw.name {
					sws, labels = append(sws, x), append(labels, s.Time+" "+p)
				}
			}
		}
		if len(sws) >= 2 {
			if slices.ContainsFunc(sws, func(x sweep) bool { return x.money != sws[0].money }) {
				for i := range sws {
					sws[i].money = false // one axis for all: the points
				}
			}
			return sws, labels, ps[len(ps)-1]
		}
	}
	return []sweep{sw}, []string{T(s.Lang, "Whole population")}, ""
}

// compareCharts are the charts of the comparison of lines: for each sweep
// the incidence curve (headcount against the line) and the deficit curve
// (the total gap per unit against the line), one curve per period when the
// study has a time column and the sweep is by period, else for the whole
// population, with the configured lines marked; for each pair of named
// lines the overlap of their poor.
func compareCharts(s *pipeline.Study, results []pipeline.Result) []chartSpec {
	var sps []chartSpec
	for _, sw := range sweepsOf(results, nil) {
		sws, labels, latest := sweepCurves(s, results, sw)
		money := sws[0].money
		xAxis, xTicks := T(s.Lang, "Poverty line (income units)"), plot.Ticker(tickFormat{formatTickAmount})
		if !money {
			xAxis, xTicks = T(s.Lang, "Poverty line (fraction of the reference income)"), tickFormat{formatTickIndex}
		}
		marks := lineMarks(s, results, sws, latest)
		var head, def []curve
		for i, x := range sws {
			var hp, dp, lo, hi plotter.XYs
			for _, p := range x.pts {
				if !math.IsNaN(p.headcount) {
					hp = append(hp, plotter.XY{X: x.x(p), Y: p.headcount})
					lo, hi = append(lo, plotter.XY{X: x.x(p), Y: p.headLo}), append(hi, plotter.XY{X: x.x(p), Y: p.headHi})
				}
				if !math.IsNaN(p.deficit) {
					dp = append(dp, plotter.XY{X: x.x(p), Y: p.deficit})
				}
			}
			if len(hp) >= 2 {
				c := curve{label: labels[i], pts: hp}
				// A band when every point has its interval.
				if !slices.ContainsFunc(append(lo, hi...), func(p plotter.XY) bool { return math.IsNaN(p.Y) || math.IsInf(p.Y, 0) }) {
					slices.Reverse(hi)
					c.band = append(lo, hi...)
				}
				head = append(head, c)
			}
			if len(dp) >= 2 {
				def = append(def, curve{label: labels[i], pts: dp})
			}
		}
		ax := axes{x: xAxis, y: Tf(s.Lang, "Headcount (%% of %s below the line)", T(s.Lang, unitNoun(s.Unit))),
			xTicks: xTicks, yTicks: tickFormat{formatTickRate}, zeroY: true, legendBottom: true, band: ciLabel(s)}
		if len(head) > 0 {
			sps = append(sps, curveChart("incidence-"+sw.name, Tf(s.Lang, "Poverty incidence curve, %s", sw.name), "comparing", ax, head, marks))
		}
		ax.band = ""
		if len(def) > 0 {
			ax.y = Tf(s.Lang, "Total gap per head of all %s (income units)", T(s.Lang, unitNoun(s.Unit)))
			ax.yTicks = tickFormat{formatTickAmount}
			sps = append(sps, curveChart("deficit-"+sw.name, Tf(s.Lang, "Poverty deficit curve, %s", sw.name), "comparing", ax, def, marks))
		}
	}
	for _, pr := range overlapsOf(results, nil) {
		sps = append(sps, overlapBars(s, pr))
	}
	return sps
}

// overlap is the overlap of the poor of two named lines in one domain.
type overlap struct {
	a, b                      string // the lines
	dom                       []pipeline.DomainValue
	both, aOnly, bOnly, none  float64
	population                float64
	excludedN                 int
	excludedPopulation, total float64
}

// poorEither is the weighted number poor under at least one line.
func (o overlap) poorEither() float64 { return o.both + o.aOnly + o.bOnly }

// overlapsOf gathers the overlap rows ("overlap", Line "A|B", four cells)
// of the domains d (nil: the whole population; else a predicate), by pair
// and domain in the order of the results.
func overlapsOf(results []pipeline.Result, keep func(d []pipeline.DomainValue) bool) []overlap {
	var out []overlap
	index := map[string]int{}
	for _, r := range results {
		if r.Indicator != "overlap" || r.Model != "" || r.At != nil {
			continue
		}
		if keep == nil && len(r.Domain) != 0 || keep != nil && !keep(r.Domain) {
			continue
		}
		a, b, ok := strings.Cut(r.Line, "|")
		if !ok {
			continue
		}
		k := r.Line + "\x01" + domainKey(r.Domain)
		j, seen := index[k]
		if !seen {
			j = len(out)
			index[k] = j
			nan := math.NaN()
			out = append(out, overlap{a: a, b: b, dom: r.Domain, both: nan, aOnly: nan, bOnly: nan, none: nan,
				population: r.Population, excludedN: r.ExcludedN, excludedPopulation: r.ExcludedPopulation})
		}
		switch r.Cell {
		case "both":
			out[j].both = r.Estimate
		case "a_only":
			out[j].aOnly = r.Estimate
		case "b_only":
			out[j].bOnly = r.Estimate
		case "neither":
			out[j].none = r.Estimate
		}
	}
	return slices.DeleteFunc(out, func(o overlap) bool {
		return math.IsNaN(o.both) || math.IsNaN(o.aOnly) || math.IsNaN(o.bOnly)
	})
}

// overlapBars is the bar chart of the poor under both lines, under A only
// and under B only, in the whole population; the people poor under
// neither are told under the title (their bar would dwarf the others).
func overlapBars(s *pipeline.Study, o overlap) chartSpec {
	lang := s.Lang
	labels := []string{Tf(lang, "Poor under %s only", o.b), Tf(lang, "Poor under %s only", o.a), T(lang, "Poor under both lines")}
	vals := plotter.Values{o.bOnly, o.aOnly, o.both}
	title := Tf(lang, "Who is poor under %s and %s", o.a, o.b)
	sp := chartSpec{name: fileName("overlap-" + o.a + "-" + o.b), title: title, section: "comparing",
		width: 16 * vg.Centimeter, height: 7 * vg.Centimeter}
	axis := Tf(lang, "Number of %s (weighted)", T(lang, unitNoun(s.Unit)))
	note := ""
	if !math.IsNaN(o.none) {
		note = Tf(lang, "Poor under neither line: %s", formatCount(o.none))
	}
	sp.build = func() *plot.Plot {
		p := newPlot(title)
		if note != "" {
			p.Title.Text += "\n" + note
		}
		grid := plotter.NewGrid()
		grid.Horizontal.Width = 0
		p.Add(grid)
		bc, err := plotter.NewBarChart(vals, vg.Length(0.5)*vg.Centimeter)
		if err != nil {
			panic("reports: " + err.Error()) // the width is positive
		}
		bc.Horizontal = true
		bc.Color = barColor
		bc.LineStyle.Width = 0
		p.Add(bc)
		p.NominalY(labels...)
		p.X.Min = 0
		p.X.Max = math.Max(p.X.Max*1.04, 1)
		p.X.Label.Text = axis
		p.X.Tick.Marker = tickFormat{formatTickAmount}
		styleTexts(p)
		return p
	}
	return sp
}

// comparing is the report's section on the comparison of lines: what each
// line covers, how many people, what lifting them would cost, where two
// lines differ, and how the count and the cost move with the line.
type comparing struct {
	Title, Intro string
	Lines        *table
	Points       []string
}

// comparingSection is the section "Comparing lines", present when the
// results hold a sweep of lines or the overlap of two lines (povstat
// compare, or a study's compare section); nil otherwise.
func comparingSection(s *pipeline.Study, results []pipeline.Result) *comparing {
	lang := s.Lang
	sweeps := sweepsOf(results, nil)
	pairs := overlapsOf(results, nil)
	if len(sweeps) == 0 && len(pairs) == 0 {
		return nil
	}
	c := &comparing{
		Title: T(lang, "Comparing lines"),
		Intro: T(lang, "Different poverty lines count different people as poor. For each candidate line: what it is, its value, how many people fall below it, and what it would cost to lift every one of them exactly up to the line if each could be reached and given just what they lack (the total poverty gap, a lower bound on the cost of any real programme). Then, for two lines, whether they pick out the same people, and where they differ; and, for a range of lines, how the number of poor and the cost grow as the line is raised, with each configured line marked on the curves."),
	}
	unit := T(lang, unitNoun(s.Unit))
	// The study's lines, then the other lines with a national value (the
	// named lines of povstat compare).
	var ls []pipeline.Line
	for _, l := range s.Lines {
		if slices.ContainsFunc(results, func(r pipeline.Result) bool { return r.Indicator == "line" && r.At == nil && r.Line == l.Name }) {
			ls = append(ls, l)
		}
	}
	for _, l := range namedLines(results, nil) {
		if !slices.ContainsFunc(ls, func(x pipeline.Line) bool { return x.Name == l.name }) {
			ls = append(ls, pipeline.Line{Name: l.name})
		}
	}
	if len(ls) > 0 {
		t := &table{ID: "comparing-lines", Caption: T(lang, "The lines side by side, whole population"), Header: []column{
			{Text: T(lang, "Line")}, {Text: T(lang, "What it is")}, {Text: T(lang, "Value"), Numeric: true},
			{Text: Tf(lang, "Poor %s", unit), Numeric: true, Title: T(lang, "weighted number below the line")},
			{Text: T(lang, "Share poor"), Numeric: true, Title: T(lang, "headcount: the share below the line")},
			{Text: T(lang, "Cost of lifting all to the line"), Numeric: true, Title: T(lang, "total gap: the sum of every poor unit's shortfall from the line")},
		}}
		for _, l := range ls {
			what := ""
			if l.Basis != "" {
				what = lineWordsIn(lang, l)
			}
			t.Rows = append(t.Rows, []cell{{Text: l.Name, Mono: true}, {Text: what, Wrap: true},
				lineValueIn(lang, l, results),
				estimateCellIn(lang, results, "poor_population", l.Name, nil),
				estimateCellIn(lang, results, "headcount", l.Name, nil),
				estimateCellIn(lang, results, "gap_total", l.Name, nil)})
		}
		if !slices.ContainsFunc(t.Rows, func(r []cell) bool { return !r[5].Missing }) {
			t.Header = t.Header[:5] // no line has a gap_total
			for i := range t.Rows {
				t.Rows[i] = t.Rows[i][:5]
			}
		}
		c.Lines = t
	}
	for _, o := range pairs {
		c.Points = append(c.Points, overlapSentence(lang, unit, o))
		if w := whereTheyDiffer(s, results, o); w != "" {
			c.Points = append(c.Points, w)
		}
	}
	for _, sw := range sweeps {
		if p := sweepSentence(lang, unit, sw); p != "" {
			c.Points = append(c.Points, p)
		}
	}
	return c
}

// overlapSentence tells how many are poor under both lines and under one.
func overlapSentence(lang, unit string, o overlap) string {
	agree := "–"
	if e := o.poorEither(); e > 0 {
		agree = formatRate(o.both / e)
	}
	return Tf(lang, "Lines %s and %s: %s %s are poor under both, %s under %s only and %s under %s only; of those either line calls poor, %s are poor under both.",
		o.a, o.b, formatCount(o.both), unit, formatCount(o.aOnly), o.a, formatCount(o.bOnly), o.b, agree)
}

// whereTheyDiffer names the (at most three) domains of the first
// one-column breakdown where the largest share of the population is poor
// under one of the two lines only.
func whereTheyDiffer(s *pipeline.Study, results []pipeline.Result, pair overlap) string {
	for _, cols := range s.Domains {
		if len(cols) != 1 || cols[0] == s.Time {
			continue
		}
		os := overlapsOf(results, func(d []pipeline.DomainValue) bool { return sameColumns(d, cols) })
		os = slices.DeleteFunc(os, func(o overlap) bool {
			return o.a != pair.a || o.b != pair.b || !(o.population > 0) || !(o.aOnly+o.bOnly > 0)
		})
		if len(os) == 0 {
			continue
		}
		share := func(o overlap) float64 { return (o.aOnly + o.bOnly) / o.population }
		slices.SortStableFunc(os, func(x, y overlap) int {
			return cmp.Or(cmp.Compare(share(y), share(x)), strings.Compare(domainKey(x.dom), domainKey(y.dom)))
		})
		var parts []string
		for _, o := range os[:min(3, len(os))] {
			parts = append(parts, Tf(s.Lang, "%s (%s poor under one line only)", o.dom[0].Value, formatRate(share(o))))
		}
		return Tf(s.Lang, "By %s, %s and %s differ most in: %s.", cols[0], pair.a, pair.b, strings.Join(parts, "; "))
	}
	return ""
}

// sweepSentence tells how the headcount and the cost move over a sweep.
func sweepSentence(lang, unit string, sw sweep) string {
	var first, last *sweepPoint
	for i := range sw.pts {
		if p := &sw.pts[i]; !math.IsNaN(p.headcount) {
			if first == nil {
				first = p
			}
			last = p
		}
	}
	if first == nil || first == last {
		return ""
	}
	from, to := Tf(lang, "%s of the reference income", formatTickRate(first.at)), Tf(lang, "%s of the reference income", formatTickRate(last.at))
	if sw.money {
		from, to = formatMoney(first.line), formatMoney(last.line)
	}
	out := Tf(lang, "Over the range %s, as the line rises from %s to %s, the share of %s below it rises from %s to %s.",
		sw.name, from, to, unit, formatRate(first.headcount), formatRate(last.headcount))
	if !math.IsNaN(first.deficit) && !math.IsNaN(last.deficit) {
		out += " " + Tf(lang, "The cost of lifting everyone to the line, per head of the population, rises from %s to %s.",
			formatMoney(first.deficit), formatMoney(last.deficit))
	}
	return out
}
