package pipeline

import (
	"reflect"
	"testing"
)

const trendBase = `inputs: d.csv
columns: {income: i, weight: w}
lines: [eu=median:0.6@year, abs=abs:100]
domains: [[year], [year, province], [urban]]
indicators: [headcount, gap, gini, mean]
time: year
`

func TestParseStudyTrends(t *testing.T) {
	s := studyMust(t, "s.yaml", trendBase+`outputs:
  trends:
    - gap
    - indicator: headcount
      line: eu
      by: province
      groups: [Gansu, "3"]
    - {indicator: gini}
`)
	want := []Trend{{Indicator: "gap"}, {Indicator: "headcount", Line: "eu", By: "province", Groups: []string{"Gansu", "3"}}, {Indicator: "gini"}}
	if !reflect.DeepEqual(s.Trends, want) {
		t.Errorf("trends %+v, want %+v", s.Trends, want)
	}
}

func TestParseStudyTrendErrors(t *testing.T) {
	got := studyErrLines(t, "s.yaml", trendBase+`outputs:
  trends:
    - severity
    - {indicator: gini, line: eu}
    - {indicator: gap, line: nope}
    - {indicator: mean, by: urban}
    - {indicator: mean, groups: [a]}
    - {line: eu}
    - {indicator: mean, colour: red}
`)
	want := []string{
		`s.yaml:9: outputs.trends[0]: indicator "severity" is not in the study's indicators`,
		`s.yaml:10: outputs.trends[1]: indicator "gini" has no line`,
		`s.yaml:11: outputs.trends[2]: no line "nope" in the study`,
		`s.yaml:12: outputs.trends[3]: by "urban" needs a domain [year, urban]`,
		`s.yaml:13: outputs.trends[4]: groups need by`,
		`s.yaml:14: outputs.trends[5].indicator: missing; want the indicator to chart`,
		`s.yaml:15: outputs.trends[6].colour: unknown key; want one of indicator, line, by, groups`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors\n got %q\nwant %q", got, want)
	}
	got = studyErrLines(t, "s.yaml", "inputs: d.csv\ncolumns: {income: i, weight: w}\noutputs: {trends: [headcount]}\n")
	if want := []string{`s.yaml:3: outputs.trends: trend charts need the time key`}; !reflect.DeepEqual(got, want) {
		t.Errorf("without time: %q", got)
	}
}
