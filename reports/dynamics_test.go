package reports

import (
	"strings"
	"testing"

	"github.com/povstat/povstat/pipeline"
)

// The dynamics section: a table of a line by year (poor share, entry,
// exit and re-entry rates, each with its interval), the spells, and the
// rules' shares by year; none without a dynamics: section.
func TestDynamicsSection(t *testing.T) {
	s := testStudy(t)
	out := testOutput()
	if sec := dynamicsSection(s, out.Results); len(sec.Tables) != 0 {
		t.Fatalf("a dynamics section without dynamics: %+v", sec)
	}
	rate := func(ind, cell, year string, v float64) pipeline.Result {
		r := pipeline.Result{Indicator: ind, Line: "eu", Cell: cell, Estimate: v, N: 100, Population: 1000,
			SE: 0.01, CILower: v - 0.02, CIUpper: v + 0.02, SEMethod: "linearized, t(9), line fixed"}
		if year != "" {
			r.Domain = dom("year", year)
		}
		return r
	}
	out.Results = append(out.Results,
		rate("status", "poor", "2020", 0.25), rate("status", "near_poor", "2020", 0.2),
		rate("status", "poor", "2021", 0.2), rate("entry_rate", "", "2021", 0.05), rate("exit_rate", "", "2021", 0.3),
		rate("chronic", "", "", 0.1), rate("transient", "", "", 0.25), rate("never_poor", "", "", 0.65),
		rate("poor_years_share", "", "", 0.2),
		rate("flagged_share", "low", "2020", 0.4), rate("flagged_share", "low", "2021", 0.45),
		rate("flagged_share", "any_rule", "2021", 0.5))
	s.Dynamics = &pipeline.DynamicsSection{Dynamics: pipeline.Dynamics{ID: "id", Year: "year"}}
	sec := dynamicsSection(s, out.Results)
	if len(sec.Tables) != 3 {
		t.Fatalf("%d tables, want the line, the spells and the rules", len(sec.Tables))
	}
	text := func(tb table) string {
		var b strings.Builder
		for _, row := range tb.Rows {
			for _, c := range row {
				b.WriteString(c.Text + "|")
			}
			b.WriteString("\n")
		}
		return b.String()
	}
	for k, want := range []string{
		"2020|25.0%|–|–|–|\n2021|20.0%|5.0%|30.0%|–|\n",
		"eu|10.0%|25.0%|65.0%|20.0%|\n",
		"low|40.0%|45.0%|\nAny rule|–|50.0%|\n",
	} {
		if got := text(sec.Tables[k]); got != want {
			t.Errorf("table %d (%s):\n%s\nwant\n%s", k, sec.Tables[k].Caption, got, want)
		}
	}
	if c := sec.Tables[0].Rows[1][3]; c.CI != "28.0–32.0%" || !strings.Contains(c.Title, "SE 1.0 pp") {
		t.Errorf("exit rate cell without its interval: %+v", c)
	}
	html := string(HTML(s, out))
	if !strings.Contains(sectionOf(html, "dynamics"), "Line eu, by year") || !strings.Contains(html, `<a href="#dynamics">Poverty dynamics</a>`) {
		t.Error("no dynamics section or contents entry in the report")
	}
}
