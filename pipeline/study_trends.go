package pipeline

import (
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Trend asks the report for a chart of one indicator across the periods of
// the study's time column: one series per line (Line "" and a line
// indicator: every line), or, with By, one series per group of the By
// column (Groups, or every group when nil), from the rows of a domain
// [time, By] (in either order).
type Trend struct {
	Indicator string
	Line      string
	By        string
	Groups    []string
}

// studyTrendKeys are the keys of an item of outputs.trends.
var studyTrendKeys = []string{"indicator", "line", "by", "groups"}

// trends reads outputs.trends, a list of indicator names or mappings
//
//	trends:
//	  - gap                     # every line, whole population
//	  - indicator: headcount
//	    line: median60
//	    by: province            # one series per province (a domain [year, province] is needed)
//	    groups: [Gansu, Guizhou]
//
// It needs the time key, and it is read after lines, domains, indicators
// and time, which it checks against.
func (p *studyParser) trends(s *Study, e *ast.MappingValueNode) {
	if p.isNull(e) {
		return
	}
	const key = "outputs.trends"
	if s.Time == "" {
		p.fail(e.Value, key, "trend charts need the time key")
		return
	}
	items, _ := p.items(e.Value, key, "a list of indicators or mappings with keys "+strings.Join(studyTrendKeys, ", "))
	for i, it := range items {
		ikey := p.itemKey(e.Value, key, i)
		var t Trend
		if _, ok := p.resolve(it).(*ast.MappingNode); !ok {
			name, ok := p.name(it, ikey, "indicator")
			if !ok {
				continue
			}
			t.Indicator = name
		} else {
			f := p.fields(it, ikey, studyTrendKeys)
			if !p.require(f, "indicator", ikey+".indicator", studyLine(it), "the indicator to chart") {
				continue
			}
			t.Indicator, _ = p.name(f["indicator"].Value, ikey+".indicator", "indicator")
			if le := f["line"]; !p.isNull(le) {
				t.Line, _ = p.name(le.Value, ikey+".line", "line name")
			}
			if be := f["by"]; !p.isNull(be) {
				t.By, _ = p.name(be.Value, ikey+".by", "column name")
			}
			if ge := f["groups"]; !p.isNull(ge) {
				gs, _ := p.items(ge.Value, ikey+".groups", "a list of groups")
				t.Groups = []string{}
				for j, g := range gs {
					if v, ok := p.text(g, p.itemKey(ge.Value, ikey+".groups", j)); ok {
						t.Groups = append(t.Groups, v)
					}
				}
			}
		}
		if msg := s.trendProblem(t); msg != "" {
			p.fail(it, ikey, "%s", msg)
			continue
		}
		s.Trends = append(s.Trends, t)
	}
}

// trendProblem says why a trend chart cannot be drawn from the study's
// results, or "".
func (s *Study) trendProblem(t Trend) string {
	ind, ok := parseIndicator(t.Indicator)
	switch {
	case t.Indicator == "":
		return "no indicator"
	case !ok:
		return fmt.Sprintf("unknown indicator %q", t.Indicator)
	case !slices.Contains(s.Indicators, t.Indicator):
		return fmt.Sprintf("indicator %q is not in the study's indicators", t.Indicator)
	case ind.family == familyLorenz:
		return fmt.Sprintf("%s is a curve, not a trend", t.Indicator)
	case t.Line != "" && ind.family != familyLine:
		return fmt.Sprintf("indicator %q has no line", t.Indicator)
	case t.Line != "" && !slices.ContainsFunc(s.Lines, func(l Line) bool { return l.Name == t.Line }):
		return fmt.Sprintf("no line %q in the study", t.Line)
	case t.By == "" && len(t.Groups) > 0:
		return "groups need by"
	case t.By == s.Time:
		return fmt.Sprintf("by %q is the time column itself", t.By)
	case t.By != "" && !slices.ContainsFunc(s.Domains, func(d []string) bool {
		return len(d) == 2 && slices.Contains(d, s.Time) && slices.Contains(d, t.By)
	}):
		return fmt.Sprintf("by %q needs a domain [%s, %s]", t.By, s.Time, t.By)
	}
	return ""
}
