package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/povstat/povstat/datasets"
)

// dispFixture returns the path of a file in testdata/disparity.
func dispFixture(name string) string { return filepath.Join("testdata", "disparity", name) }

// dispGet returns the result of an indicator in the domain "col=value,..."
// ("" for none).
func dispGet(t *testing.T, rs []Result, indicator, domain string) Result {
	t.Helper()
	for _, r := range rs {
		var parts []string
		for _, d := range r.Domain {
			parts = append(parts, d.Column+"="+d.Value)
		}
		if r.Indicator == indicator && strings.Join(parts, ",") == domain {
			return r
		}
	}
	t.Fatalf("no result %s in %q", indicator, domain)
	return Result{}
}

// The hand-worked example: regions with values 10, 20, 30 and populations
// 1, 2, 1.
//
//	mean        (10 + 40 + 30)/4 = 20
//	cv          unweighted mean 20, SD sqrt((100 + 0 + 100)/3): sqrt(200/3)/20
//	williamson  sqrt((1·100 + 2·0 + 1·100)/4)/20 = sqrt(50)/20
//	max/min     30/10 = 3
//	theil_t     1/4·(1/2)ln(1/2) + 2/4·1·ln 1 + 1/4·(3/2)ln(3/2)
//	theil_l     1/4·ln 2 + 2/4·ln 1 + 1/4·ln(2/3)
var dispHand = map[string]float64{
	"population":    4,
	"n":             3,
	"mean":          20,
	"cv":            math.Sqrt(200.0/3) / 20,
	"williamson":    math.Sqrt(50) / 20,
	"max_min_ratio": 3,
	"theil_t":       0.25*0.5*math.Log(0.5) + 0.25*1.5*math.Log(1.5),
	"theil_l":       0.25*math.Log(2) + 0.25*math.Log(2.0/3),
}

func TestDisparityHandWorked(t *testing.T) {
	values, pops := []float64{10, 20, 30}, []float64{1, 2, 1}
	dom := []DomainValue{{"year", "2020"}}
	rs := Disparity(values, pops, dom, DisparityIndicators())
	if !slices.Equal(values, []float64{10, 20, 30}) || !slices.Equal(pops, []float64{1, 2, 1}) {
		t.Errorf("inputs changed: %v %v", values, pops)
	}
	if len(rs) != len(dispHand) {
		t.Fatalf("%d results, want %d", len(rs), len(dispHand))
	}
	for i, r := range rs {
		if r.Indicator != DisparityIndicators()[i] {
			t.Errorf("result %d is %s, want %s", i, r.Indicator, DisparityIndicators()[i])
		}
		if want := dispHand[r.Indicator]; !sameOrClose(r.Estimate, want) {
			t.Errorf("%s = %v, want %v", r.Indicator, r.Estimate, want)
		}
		if r.N != 3 || r.Population != 4 || r.Note != "" || !slices.Equal(r.Domain, dom) {
			t.Errorf("%s: n %d, population %v, note %q, domain %v", r.Indicator, r.N, r.Population, r.Note, r.Domain)
		}
	}
	// The Theil indices are the between-region parts of a decomposition
	// of the population by region.
	var x []float64
	var group []int
	for i, v := range values {
		for range int(pops[i]) {
			x, group = append(x, v), append(group, i)
		}
	}
	if d := dispGet(t, rs, "theil_t", "year=2020"); !sameOrClose(d.Estimate, decomposeBetween(x, group, 1)) {
		t.Errorf("theil_t %v is not the between part %v", d.Estimate, decomposeBetween(x, group, 1))
	}
}

// TestDisparityInvariance checks that the indicators do not depend on the
// unit of the values, the unit of the populations, the order of the regions
// or splitting each region in two halves at the same value.
func TestDisparityInvariance(t *testing.T) {
	values, pops := []float64{3, 7, 12, 5}, []float64{4, 1, 2, 9}
	inds := []string{"cv", "williamson", "max_min_ratio", "theil_t", "theil_l"}
	base := Disparity(values, pops, nil, inds)
	scale := func(s []float64, c float64) []float64 {
		out := slices.Clone(s)
		for i := range out {
			out[i] *= c
		}
		return out
	}
	half := scale(pops, 0.5)
	cases := []struct {
		name        string
		values, pop []float64
	}{
		{"values scaled", scale(values, 1000), pops},
		{"populations scaled", values, scale(pops, 1e6)},
		{"reversed", []float64{5, 12, 7, 3}, []float64{9, 2, 1, 4}},
		{"split", slices.Concat(values, values), slices.Concat(half, half)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Disparity(c.values, c.pop, nil, inds)
			for i, r := range got {
				if math.Abs(r.Estimate-base[i].Estimate) > 1e-12 {
					t.Errorf("%s = %v, want %v", r.Indicator, r.Estimate, base[i].Estimate)
				}
			}
		})
	}
}

func TestDisparityNilPopulations(t *testing.T) {
	values := []float64{4, 9, 1, 6}
	unit := Disparity(values, []float64{1, 1, 1, 1}, nil, DisparityIndicators())
	for i, r := range Disparity(values, nil, nil, DisparityIndicators()) {
		if !sameOrClose(r.Estimate, unit[i].Estimate) || r.Population != 4 {
			t.Errorf("%s with nil populations = %v (population %v), with 1s %v", r.Indicator, r.Estimate, r.Population, unit[i].Estimate)
		}
	}
	if cv, w := dispGet(t, unit, "cv", ""), dispGet(t, unit, "williamson", ""); !sameOrClose(cv.Estimate, w.Estimate) {
		t.Errorf("with equal populations williamson %v != cv %v", w.Estimate, cv.Estimate)
	}
}

// decomposeBetween returns the between-group part of GE(alpha) over x with
// unit weights, computed from group means.
func decomposeBetween(x []float64, group []int, alpha float64) float64 {
	sum, n := map[int]float64{}, map[int]float64{}
	total := 0.0
	for i, v := range x {
		sum[group[i]] += v
		n[group[i]]++
		total += v
	}
	mu := total / float64(len(x))
	b := 0.0
	for g := range sum {
		r := sum[g] / n[g] / mu
		b += n[g] / float64(len(x)) * r * math.Log(r)
	}
	return b
}

func TestDisparityNoEstimate(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name         string
		values, pops []float64
		want         map[string]float64
		note         string // of the rows with no estimate
	}{
		{"no region", nil, nil,
			map[string]float64{"population": 0, "n": 0, "mean": nan, "cv": nan, "theil_t": nan}, "no region in this group"},
		{"one region", []float64{5}, []float64{2},
			map[string]float64{"n": 1, "mean": 5, "cv": nan, "williamson": nan, "max_min_ratio": nan, "theil_l": nan}, "fewer than two regions"},
		// -10, 20, 30 with populations 1, 2, 1: unweighted mean 40/3,
		// weighted mean 15, Williamson sqrt((625 + 2·25 + 225)/4)/15 = 1.
		{"a negative value", []float64{-10, 20, 30}, []float64{1, 2, 1},
			map[string]float64{"mean": 15, "cv": math.Sqrt((math.Pow(-10-40.0/3, 2)+math.Pow(20-40.0/3, 2)+math.Pow(30-40.0/3, 2))/3) / (40.0 / 3),
				"williamson": 1, "max_min_ratio": nan, "theil_t": nan, "theil_l": nan}, ""},
		{"a zero value", []float64{0, 20, 30}, []float64{1, 2, 1},
			map[string]float64{"theil_t": nan, "theil_l": nan}, "1 region with a value <= 0; Theil indices need positive values"},
		{"mean not positive", []float64{-30, 10}, []float64{1, 1},
			map[string]float64{"mean": -10, "cv": nan, "williamson": nan}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := Disparity(c.values, c.pops, nil, DisparityIndicators())
			for ind, want := range c.want {
				r := dispGet(t, rs, ind, "")
				if !sameOrClose(r.Estimate, want) {
					t.Errorf("%s = %v, want %v", ind, r.Estimate, want)
				}
				if math.IsNaN(want) != (r.Note != "") {
					t.Errorf("%s: note %q with estimate %v", ind, r.Note, r.Estimate)
				}
				if c.note != "" && math.IsNaN(want) && r.Note != c.note {
					t.Errorf("%s: note %q, want %q", ind, r.Note, c.note)
				}
			}
		})
	}
}

func TestDisparityPanics(t *testing.T) {
	cases := []struct {
		name         string
		values, pops []float64
		inds         []string
	}{
		{"length mismatch", []float64{1, 2}, []float64{1}, nil},
		{"NaN value", []float64{math.NaN(), 2}, []float64{1, 1}, nil},
		{"infinite value", []float64{math.Inf(1), 2}, []float64{1, 1}, nil},
		{"zero population", []float64{1, 2}, []float64{0, 1}, nil},
		{"NaN population", []float64{1, 2}, []float64{math.NaN(), 1}, nil},
		{"infinite population", []float64{1, 2}, []float64{math.Inf(1), 1}, nil},
		{"unknown indicator", []float64{1, 2}, []float64{1, 1}, []string{"gini"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			Disparity(c.values, c.pops, nil, c.inds)
		})
	}
}

func ExampleDisparity() {
	values := []float64{10, 20, 30} // e.g. GDP per capita of three regions
	pops := []float64{1, 2, 1}      // their populations
	for _, r := range Disparity(values, pops, nil, []string{"mean", "cv", "williamson", "max_min_ratio"}) {
		fmt.Printf("%s %.4f\n", r.Indicator, r.Estimate)
	}
	// Output:
	// mean 20.0000
	// cv 0.4082
	// williamson 0.3536
	// max_min_ratio 3.0000
}

func TestRunDisparityCSV(t *testing.T) {
	out, err := RunDisparity(context.Background(), DisparitySpec{Table: dispFixture("hand.csv"),
		Value: "value", Population: "population", Region: "region",
		Indicators: append(DisparityIndicators(), "region_value")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Warnings) != 0 || out.Rows.Read != 3 || out.Rows.Used != 3 {
		t.Errorf("warnings %v, rows %+v", out.Warnings, out.Rows)
	}
	var got []string
	for _, r := range out.Results {
		got = append(got, r.Indicator)
	}
	want := []string{"region_value", "region_value", "region_value",
		"population", "n", "mean", "cv", "williamson", "max_min_ratio", "theil_t", "theil_l"}
	if !slices.Equal(got, want) {
		t.Errorf("indicators %v, want %v", got, want)
	}
	for ind, w := range dispHand {
		if r := dispGet(t, out.Results, ind, ""); !sameOrClose(r.Estimate, w) {
			t.Errorf("%s = %v, want %v", ind, r.Estimate, w)
		}
	}
	if r := dispGet(t, out.Results, "region_value", "region=B"); r.Estimate != 20 || r.Population != 2 || r.N != 1 {
		t.Errorf("region_value B = %+v", r)
	}
}

// dispYearsCheck checks the results of the worked two-year table: 2020 is the hand-worked example,
// in 2021 A and C move to 12 and 28.
func dispYearsCheck(t *testing.T, rs []Result) {
	t.Helper()
	cv20, cv21 := math.Sqrt(200.0/3)/20, math.Sqrt(128.0/3)/20
	w20, w21 := math.Sqrt(50)/20, math.Sqrt(32)/20
	checks := []struct {
		ind, dom string
		want     float64
	}{
		{"cv", "year=2020", cv20},
		{"cv", "year=2021", cv21},
		{"williamson", "year=2020", w20},
		{"williamson", "year=2021", w21},
		{"cv_change", "year=2021", cv21 - cv20},
		{"williamson_change", "year=2021", w21 - w20},
		{"mean", "year=2021", 20},
		{"max_min_ratio", "year=2021", 28.0 / 12},
	}
	for _, c := range checks {
		if r := dispGet(t, rs, c.ind, c.dom); !sameOrClose(r.Estimate, c.want) {
			t.Errorf("%s %s = %v, want %v", c.ind, c.dom, r.Estimate, c.want)
		}
	}
	// Groups in year order (the file has 2021 first), each with its
	// indicators and then its change rows; none for the first year.
	var order []string
	for _, r := range rs {
		order = append(order, r.Domain[0].Value+" "+r.Indicator)
	}
	want := []string{"2020 population", "2020 n", "2020 mean", "2020 cv", "2020 williamson", "2020 max_min_ratio", "2020 theil_t", "2020 theil_l",
		"2021 population", "2021 n", "2021 mean", "2021 cv", "2021 williamson", "2021 max_min_ratio", "2021 theil_t", "2021 theil_l",
		"2021 cv_change", "2021 williamson_change"}
	if !slices.Equal(order, want) {
		t.Errorf("rows\n%v\nwant\n%v", order, want)
	}
}

func TestRunDisparityYears(t *testing.T) {
	out, err := RunDisparity(context.Background(), DisparitySpec{Table: dispFixture("years.csv"),
		Value: "value", Population: "population", Region: "region", By: []string{"year"}, Time: "year"})
	if err != nil {
		t.Fatal(err)
	}
	dispYearsCheck(t, out.Results)

	// Without a time column there are no change rows.
	out, err = RunDisparity(context.Background(), DisparitySpec{Table: dispFixture("years.csv"),
		Value: "value", Population: "population", By: []string{"year"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Results {
		if strings.HasSuffix(r.Indicator, "_change") {
			t.Errorf("change row without a time column: %+v", r)
		}
	}
}

// TestRunDisparityChangeByOther checks that changes compare the same group
// of the other breakdown columns, and say why when one year has none.
func TestRunDisparityChangeByOther(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.csv")
	const table = `province,year,city,gdp,pop
P,2020,a,10,1
P,2020,b,20,1
Q,2020,c,10,1
Q,2020,d,30,1
P,2021,a,10,1
P,2021,b,30,1
Q,2021,c,10,1
`
	if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := RunDisparity(context.Background(), DisparitySpec{Table: path, Value: "gdp", Population: "pop",
		Region: "city", By: []string{"province", "year"}, Time: "year", Indicators: []string{"cv"}})
	if err != nil {
		t.Fatal(err)
	}
	// P: cv 2020 = 5/15, 2021 = 10/20.
	if r := dispGet(t, out.Results, "cv_change", "province=P,year=2021"); !sameOrClose(r.Estimate, 0.5-1.0/3) {
		t.Errorf("P cv_change = %v", r.Estimate)
	}
	r := dispGet(t, out.Results, "cv_change", "province=Q,year=2021")
	if !math.IsNaN(r.Estimate) || !strings.Contains(r.Note, "year=2021") {
		t.Errorf("Q cv_change = %v, note %q", r.Estimate, r.Note)
	}
	if n := len(out.Results); n != 6 {
		t.Errorf("%d rows, want 4 cv and 2 cv_change", n)
	}
}

type dispRow struct {
	Year       int64   `parquet:"year"`
	City       string  `parquet:"city"`
	GDP        float64 `parquet:"gdp_per_capita"`
	Population int64   `parquet:"population"`
}

func TestRunDisparityParquet(t *testing.T) {
	rows := []dispRow{
		{2021, "A", 12, 1}, {2021, "B", 20, 2}, {2021, "C", 28, 1},
		{2020, "A", 10, 1}, {2020, "B", 20, 2}, {2020, "C", 30, 1},
	}
	path := filepath.Join(t.TempDir(), "regions.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[dispRow](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := RunDisparity(context.Background(), DisparitySpec{Table: path,
		Value: "gdp_per_capita", Population: "population", Region: "city", By: []string{"year"}, Time: "year"})
	if err != nil {
		t.Fatal(err)
	}
	dispYearsCheck(t, out.Results)
	csvOut, err := RunDisparity(context.Background(), DisparitySpec{Table: dispFixture("years.csv"),
		Value: "value", Population: "population", Region: "region", By: []string{"year"}, Time: "year"})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := EncodeJSON(out.Results), EncodeJSON(csvOut.Results); string(a) != string(b) {
		t.Errorf("Parquet and CSV differ:\n%s\n%s", a, b)
	}
}

// bad.csv: A, B, C as in the hand-worked example, then
//
//	row 4  D  40  -5   population <= 0
//	row 5  E      3    missing value
//	row 6  F  50  0    population <= 0
//	row 7     60  1    missing region
func TestRunDisparityExcluded(t *testing.T) {
	spec := DisparitySpec{Table: dispFixture("bad.csv"), Value: "value", Population: "population", Region: "region"}
	out, err := RunDisparity(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	for ind, w := range dispHand {
		r := dispGet(t, out.Results, ind, "")
		if !sameOrClose(r.Estimate, w) {
			t.Errorf("%s = %v, want %v", ind, r.Estimate, w)
		}
		if r.ExcludedN != 4 || r.ExcludedPopulation != 4 {
			t.Errorf("%s: excluded %d rows, population %v; want 4, 4 (E and the row without region)", ind, r.ExcludedN, r.ExcludedPopulation)
		}
	}
	if out.Rows.Read != 7 || out.Rows.Used != 3 {
		t.Errorf("rows %+v", out.Rows)
	}
	var rules []string
	for _, c := range out.Rows.Rules {
		rules = append(rules, fmt.Sprintf("%s/%s/%d", c.Rule, c.Column, c.Rows))
	}
	if want := []string{"missing value/value/1", "zero or negative population/population/2", "missing region/region/1"}; !slices.Equal(rules, want) {
		t.Errorf("rules %v, want %v", rules, want)
	}
	warn := strings.Join(out.Warnings, "\n")
	for _, s := range []string{"bad.csv", `column "population": 2 rows left out (zero or negative population): rows 4, 6`,
		`column "value": 1 row left out (missing value): row 5`, `column "region"`} {
		if !strings.Contains(warn, s) {
			t.Errorf("warnings do not say %q:\n%s", s, warn)
		}
	}

	spec.Strict = true
	_, err = RunDisparity(context.Background(), spec)
	var re *datasets.RowError
	if !errors.Is(err, ErrMissingValue) || !errors.As(err, &re) || re.Column != "value" || re.Row != 5 {
		t.Fatalf("strict: %v", err)
	}
	if !strings.Contains(err.Error(), "bad.csv") || !strings.Contains(err.Error(), "4 rows") {
		t.Errorf("strict error %q", err)
	}
}

func TestRunDisparityErrors(t *testing.T) {
	cases := []struct {
		name   string
		spec   DisparitySpec
		target error
		says   []string
	}{
		{"duplicate region", DisparitySpec{Table: dispFixture("duplicate.csv"), Value: "value", Population: "population",
			Region: "region", By: []string{"year"}}, ErrDuplicateRegion,
			[]string{"duplicate.csv", `"A"`, "year=2020", "rows 1 and 4"}},
		{"duplicate region, no breakdown", DisparitySpec{Table: dispFixture("duplicate.csv"), Value: "value", Population: "population",
			Region: "region"}, ErrDuplicateRegion, []string{`"A"`, "in the table", "rows 1, 3 and 4"}},
		{"missing column", DisparitySpec{Table: dispFixture("hand.csv"), Value: "gdp", Population: "population"},
			datasets.ErrMissingColumn, []string{"hand.csv", `"gdp"`}},
		{"missing by column", DisparitySpec{Table: dispFixture("hand.csv"), Value: "value", Population: "population", By: []string{"year"}},
			datasets.ErrMissingColumn, []string{`"year"`}},
		{"missing file", DisparitySpec{Table: dispFixture("nowhere.csv"), Value: "value", Population: "population"},
			os.ErrNotExist, []string{"nowhere.csv"}},
		{"value not numeric", DisparitySpec{Table: dispFixture("hand.csv"), Value: "region", Population: "population"},
			datasets.ErrBadValue, []string{`"region"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := RunDisparity(context.Background(), c.spec)
			if !errors.Is(err, c.target) {
				t.Fatalf("error %v, want %v", err, c.target)
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %s", err, s)
				}
			}
		})
	}
}

func TestDisparitySpecComplete(t *testing.T) {
	ok := DisparitySpec{Table: "t.csv", Value: "v", Population: "p"}
	cases := []struct {
		name string
		edit func(*DisparitySpec)
		err  string // "" for none
	}{
		{"defaults", func(*DisparitySpec) {}, ""},
		{"no table", func(s *DisparitySpec) { s.Table = "" }, "no table"},
		{"no value", func(s *DisparitySpec) { s.Value = "" }, "value and population"},
		{"same column", func(s *DisparitySpec) { s.Population = "v" }, `"v" is both the value and the population`},
		{"region in by", func(s *DisparitySpec) { s.Region, s.By = "r", []string{"year", "r"} }, `"r" is both the region and the breakdown column`},
		{"time not in by", func(s *DisparitySpec) { s.Time = "year" }, `time column "year"`},
		{"unknown indicator", func(s *DisparitySpec) { s.Indicators = []string{"cv", "gini"} }, `unknown indicator "gini"`},
		{"region_value without region", func(s *DisparitySpec) { s.Indicators = []string{"region_value"} }, "needs a region"},
		{"region_value", func(s *DisparitySpec) { s.Region, s.Indicators = "r", []string{"region_value"} }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := ok
			c.edit(&s)
			err := s.Complete()
			switch {
			case c.err == "" && err != nil:
				t.Fatal(err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("error %v, want %q", err, c.err)
			}
		})
	}
	s := ok
	s.Indicators = []string{"cv", "mean", "cv"}
	if err := s.Complete(); err != nil || !slices.Equal(s.Indicators, []string{"cv", "mean"}) {
		t.Errorf("indicators %v, %v", s.Indicators, err)
	}
	s = ok
	if err := s.Complete(); err != nil || !slices.Equal(s.Indicators, DisparityIndicators()) {
		t.Errorf("default indicators %v, %v", s.Indicators, err)
	}
}

func TestYearColumn(t *testing.T) {
	cases := []struct {
		cols []string
		want string
	}{
		{nil, ""},
		{[]string{"province"}, ""},
		{[]string{"province", "year"}, "year"},
		{[]string{"Year"}, "Year"},
		{[]string{"survey_year", "year"}, "survey_year"},
		{[]string{"yr"}, "yr"},
		{[]string{"年份"}, "年份"},
		{[]string{"yearly_total"}, ""},
	}
	for _, c := range cases {
		if got := YearColumn(c.cols); got != c.want {
			t.Errorf("YearColumn(%v) = %q, want %q", c.cols, got, c.want)
		}
	}
}
