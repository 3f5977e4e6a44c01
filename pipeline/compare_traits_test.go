package pipeline

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// traitsCSV: lines a = 2.5 and b = 1.5 (b below a: no unit is poor under
// b only), households:
//
//	unit region income weight hh_size urban  cell
//	1    A      1      1      4       true   both
//	2    A      2      2      3       false  a_only
//	3    B      3      1      2       true   neither
//	4    B      1      3      6       false  both
//	5    B      2      1      5       true   a_only
//	6    A      3      1      1       (null) neither
const traitsCSV = `region,income,weight,hh_size,urban
A,1,1,4,true
A,2,2,3,false
B,3,1,2,true
B,1,3,6,false
B,2,1,5,true
A,3,1,1,
`

func traitsStudy(t *testing.T) *Study {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hh.csv")
	if err := os.WriteFile(path, []byte(traitsCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "compare", Inputs: []string{path}, Income: "income", Weight: "weight",
		Unit: "households", Domains: [][]string{{"region"}}, Seed: 1}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	s.Lines = nil
	return s
}

func traitRow(t *testing.T, rs []Result, indicator, domain, cell string) Result {
	t.Helper()
	for _, r := range rs {
		if r.Indicator == indicator && r.Line == "a|b" && domainText(r.Domain) == domain && r.Cell == cell {
			return r
		}
	}
	t.Fatalf("no row %s / %q / %s", indicator, domain, cell)
	return Result{}
}

func TestCompareTraits(t *testing.T) {
	s := traitsStudy(t)
	traits, err := ParseTraits("hh_size, urban")
	if err != nil {
		t.Fatal(err)
	}
	c := Comparison{Lines: []Line{mustLine(t, "a=abs:2.5"), mustLine(t, "b=abs:1.5")}, Traits: traits}
	out, err := Compare(context.Background(), s, c)
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	tests := []struct {
		indicator, domain, cell string
		want                    float64
		n, excluded             int
	}{
		// Whole population. both: units 1 (w 1, size 4) and 4 (w 3, size 6):
		// (4 + 18) / 4 = 5.5; urban: 1 of 4.
		{"trait_mean:hh_size", "", "both", 5.5, 2, 0},
		{"trait_share:urban=true", "", "both", 0.25, 2, 0},
		{"trait_share:urban=false", "", "both", 0.75, 2, 0},
		// a_only: units 2 (w 2, size 3, rural) and 5 (w 1, size 5, urban):
		// (6 + 5) / 3.
		{"trait_mean:hh_size", "", "a_only", 11.0 / 3, 2, 0},
		{"trait_share:urban=true", "", "a_only", 1.0 / 3, 2, 0},
		{"trait_share:urban=false", "", "a_only", 2.0 / 3, 2, 0},
		// b_only: no unit.
		{"trait_mean:hh_size", "", "b_only", nan, 0, 0},
		{"trait_share:urban=true", "", "b_only", nan, 0, 0},
		// neither: units 3 (size 2, urban) and 6 (size 1, urban null):
		// (2 + 1) / 2; urban over unit 3 only, unit 6 left out.
		{"trait_mean:hh_size", "", "neither", 1.5, 2, 0},
		{"trait_share:urban=true", "", "neither", 1, 2, 1},
		{"trait_share:urban=false", "", "neither", 0, 2, 1},
		// Region A: units 1 (both), 2 (a_only), 6 (neither).
		{"trait_mean:hh_size", "region=A", "both", 4, 1, 0},
		{"trait_mean:hh_size", "region=A", "a_only", 3, 1, 0},
		{"trait_mean:hh_size", "region=A", "neither", 1, 1, 0},
		{"trait_share:urban=true", "region=A", "neither", nan, 1, 1},
		// Region B: units 4 (both), 5 (a_only), 3 (neither).
		{"trait_mean:hh_size", "region=B", "both", 6, 1, 0},
		{"trait_share:urban=false", "region=B", "both", 1, 1, 0},
		{"trait_share:urban=true", "region=B", "a_only", 1, 1, 0},
		{"trait_mean:hh_size", "region=B", "neither", 2, 1, 0},
	}
	for _, tt := range tests {
		r := traitRow(t, out.Results, tt.indicator, tt.domain, tt.cell)
		if !(r.Estimate == tt.want || math.Abs(r.Estimate-tt.want) < 1e-12 || math.IsNaN(tt.want) && math.IsNaN(r.Estimate)) {
			t.Errorf("%s %q %s = %v, want %v", tt.indicator, tt.domain, tt.cell, r.Estimate, tt.want)
		}
		if r.N != tt.n || r.ExcludedN != tt.excluded {
			t.Errorf("%s %q %s: n %d excluded %d, want %d %d", tt.indicator, tt.domain, tt.cell, r.N, r.ExcludedN, tt.n, tt.excluded)
		}
		if math.IsNaN(r.Estimate) && r.Note == "" {
			t.Errorf("%s %q %s: NaN without a note", tt.indicator, tt.domain, tt.cell)
		}
	}
	// Trait rows come after the overlap rows of their pair; the shares of
	// a cell add up to 1 over the levels (where the cell has a value).
	sums := map[string]float64{}
	for _, r := range out.Results {
		if col, _, ok := strings.Cut(strings.TrimPrefix(r.Indicator, "trait_share:"), "="); ok && strings.HasPrefix(r.Indicator, "trait_share:") {
			if !math.IsNaN(r.Estimate) {
				sums[col+"|"+domainText(r.Domain)+"|"+r.Cell] += r.Estimate
			}
		}
	}
	if len(sums) == 0 {
		t.Fatal("no share rows")
	}
	for k, v := range sums {
		if math.Abs(v-1) > 1e-12 {
			t.Errorf("shares of %s add up to %v, want 1", k, v)
		}
	}
}

// A numeric role column (the household size of persons from household
// rows) is a trait as it is read; with :share its values are levels.
func TestCompareTraitsNumericRole(t *testing.T) {
	s := traitsStudy(t)
	s.Unit, s.Rows, s.Size = "persons", "households", "hh_size"
	c := Comparison{Lines: []Line{mustLine(t, "a=abs:2.5"), mustLine(t, "b=abs:1.5")},
		Traits: []Trait{{Column: "hh_size"}, {Column: "region", Kind: "share"}}}
	out, err := Compare(context.Background(), s, c)
	if err != nil {
		t.Fatal(err)
	}
	// Persons: weight × size. both: unit 1 (4 persons of size 4), unit 4
	// (18 persons of size 6): (16 + 108) / 22.
	if r := traitRow(t, out.Results, "trait_mean:hh_size", "", "both"); math.Abs(r.Estimate-124.0/22) > 1e-12 || r.Population != 22 {
		t.Errorf("persons' mean size in both = %v (population %v), want 124/22 (22)", r.Estimate, r.Population)
	}
	// region shares in both: A 4 persons, B 18.
	if r := traitRow(t, out.Results, "trait_share:region=B", "", "both"); math.Abs(r.Estimate-18.0/22) > 1e-12 {
		t.Errorf("share of B in both = %v, want 18/22", r.Estimate)
	}

	c.Traits = []Trait{{Column: "hh_size", Kind: "share"}}
	out, err = Compare(context.Background(), s, c)
	if err != nil {
		t.Fatal(err)
	}
	// a_only: unit 2 (2 × 3 = 6 persons of size 3), unit 5 (5 of size 5).
	if r := traitRow(t, out.Results, "trait_share:hh_size=3", "", "a_only"); math.Abs(r.Estimate-6.0/11) > 1e-12 {
		t.Errorf("share of size 3 in a_only = %v, want 6/11", r.Estimate)
	}
	if r := traitRow(t, out.Results, "trait_share:hh_size=6", "", "a_only"); r.Estimate != 0 {
		t.Errorf("share of size 6 in a_only = %v, want 0", r.Estimate)
	}
}

func TestCompareTraitsErrors(t *testing.T) {
	s := traitsStudy(t)
	two := []Line{mustLine(t, "a=abs:2.5"), mustLine(t, "b=abs:1.5")}
	tests := []struct {
		name string
		c    Comparison
		want string
	}{
		{"one line", Comparison{Lines: two[:1], Traits: []Trait{{Column: "urban"}}}, "two named lines"},
		{"unknown column", Comparison{Lines: two, Traits: []Trait{{Column: "urbn"}}}, `unknown column "urbn"`},
		{"mean of text", Comparison{Lines: two, Traits: []Trait{{Column: "urban", Kind: "mean"}}}, "not a finite number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compare(context.Background(), s, tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
}

func TestParseTraits(t *testing.T) {
	tests := []struct {
		in   string
		want []Trait
		err  bool
	}{
		{"hh_size", []Trait{{Column: "hh_size"}}, false},
		{"hh_size:share, urban:mean,age", []Trait{{"hh_size", "share"}, {"urban", "mean"}, {"age", ""}}, false},
		{"a:b", []Trait{{Column: "a:b"}}, false},
		{"", nil, true},
		{"a,,b", nil, true},
		{"a,a:share", nil, true},
		{"a=b", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseTraits(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("ParseTraits(%q) error %v", tt.in, err)
			continue
		}
		if !tt.err && !slices.Equal(got, tt.want) {
			t.Errorf("ParseTraits(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
