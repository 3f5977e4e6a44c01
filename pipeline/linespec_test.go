package pipeline

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		in   string
		want Line
		spec string // canonical Spec(); "" means the input's SPEC
	}{
		{in: "eu=median:0.6", want: Line{Name: "eu", Basis: "median", Value: 0.6}},
		{in: "tieling=median:0.45@county", want: Line{Name: "tieling", Basis: "median", Value: 0.45, By: []string{"county"}}},
		{
			in:   "gd_household=mean:0.33@province?urban=false",
			want: Line{Name: "gd_household", Basis: "mean", Value: 0.33, By: []string{"province"}, Where: []Condition{{"urban", "false"}}},
		},
		{in: "national=abs:4000", want: Line{Name: "national", Basis: "abs", Value: 4000}},
		{
			in:   "x=median:0.5?urban=true&province=3",
			want: Line{Name: "x", Basis: "median", Value: 0.5, Where: []Condition{{"urban", "true"}, {"province", "3"}}},
		},
		{in: "zero=abs:0", want: Line{Name: "zero", Basis: "abs", Value: 0}},
		{in: "rich=median:2", want: Line{Name: "rich", Basis: "median", Value: 2}},
		{in: "a.b-c_1=mean:.5", want: Line{Name: "a.b-c_1", Basis: "mean", Value: 0.5}, spec: "mean:0.5"},
		{in: "big=abs:1e6", want: Line{Name: "big", Basis: "abs", Value: 1e6}, spec: "abs:1e+06"},
		{
			in:   "two=median:0.6@province,urban",
			want: Line{Name: "two", Basis: "median", Value: 0.6, By: []string{"province", "urban"}},
		},
		{
			in:   " sp = median : 0.6 @ province , urban ? region = north east ",
			want: Line{Name: "sp", Basis: "median", Value: 0.6, By: []string{"province", "urban"}, Where: []Condition{{"region", "north east"}}},
			spec: "median:0.6@province,urban?region=north east",
		},
		{
			in:   "same=median:0.6@province?province=3",
			want: Line{Name: "same", Basis: "median", Value: 0.6, By: []string{"province"}, Where: []Condition{{"province", "3"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLine(tt.in)
			if err != nil {
				t.Fatalf("ParseLine(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseLine(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			spec := tt.spec
			if spec == "" {
				_, spec, _ = strings.Cut(tt.in, "=")
			}
			if got.Spec() != spec {
				t.Errorf("Spec() = %q, want %q", got.Spec(), spec)
			}
			back, err := ParseLineSpec(got.Name, got.Spec())
			if err != nil || !reflect.DeepEqual(back, got) {
				t.Errorf("round trip: ParseLineSpec(%q, %q) = %#v, %v; want %#v", got.Name, got.Spec(), back, err, got)
			}
		})
	}
}

func TestParseLineErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // the whole error message
	}{
		{"median:0.6", `line "median:0.6": expected NAME=SPEC, e.g. eu=median:0.6`},
		{"", `line "": expected NAME=SPEC, e.g. eu=median:0.6`},
		{"median:0.5?urban=true", `line "median:0.5?urban=true": expected NAME=SPEC, e.g. eu=median:0.6`},
		{"=median:0.6", `line "": empty name; a name starts with a letter and has only letters, digits, '_', '.' and '-'`},
		{"1eu=median:0.6", `line "1eu": bad character '1' in name; a name starts with a letter and has only letters, digits, '_', '.' and '-'`},
		{"e u=median:0.6", `line "e u": bad character ' ' in name; a name starts with a letter and has only letters, digits, '_', '.' and '-'`},
		{"_eu=median:0.6", `line "_eu": bad character '_' in name; a name starts with a letter and has only letters, digits, '_', '.' and '-'`},
		{"eu=", `line "eu": "": expected BASIS:NUMBER with BASIS one of abs, median or mean (e.g. median:0.6)`},
		{"eu=median", `line "eu": "median": expected BASIS:NUMBER with BASIS one of abs, median or mean (e.g. median:0.6)`},
		{"eu=0.6", `line "eu": "0.6": expected BASIS:NUMBER with BASIS one of abs, median or mean (e.g. median:0.6)`},
		{"eu=medain:0.6", `line "eu": "medain:0.6": unknown basis "medain"; want abs, median or mean (did you mean "median"?)`},
		{"eu=Median:0.6", `line "eu": "Median:0.6": unknown basis "Median"; want abs, median or mean (did you mean "median"?)`},
		{"eu=quantile:0.6", `line "eu": "quantile:0.6": unknown basis "quantile"; want abs, median or mean`},
		{"eu=median:abc", `line "eu": "median:abc": fraction must be a number, got "abc"`},
		{"eu=median:", `line "eu": "median:": missing fraction after "median:"`},
		{"eu=abs:", `line "eu": "abs:": missing value after "abs:"`},
		{"eu=median:60%", `line "eu": "median:60%": fraction must be a number, got "60%"`},
		{"eu=median:0", `line "eu": "median:0": fraction must be greater than 0, got "0"`},
		{"eu=mean:-0.5", `line "eu": "mean:-0.5": fraction must be greater than 0, got "-0.5"`},
		{"eu=median:NaN", `line "eu": "median:NaN": fraction must be finite, got "NaN"`},
		{"eu=median:inf", `line "eu": "median:inf": fraction must be finite, got "inf"`},
		{"eu=abs:-1", `line "eu": "abs:-1": value must be 0 or more, got "-1"`},
		{"eu=abs:+Inf", `line "eu": "abs:+Inf": value must be finite, got "+Inf"`},
		{"eu=abs:1e400", `line "eu": "abs:1e400": value must be a number, got "1e400"`},
		{"eu=median:0.6:1", `line "eu": "median:0.6:1": fraction must be a number, got "0.6:1"`},
		{"eu=median:0.6@", `line "eu": "median:0.6@": empty column name after "@"`},
		{"eu=median:0.6@a,,b", `line "eu": "median:0.6@a,,b": empty column name after "@"`},
		{"eu=median:0.6@a,", `line "eu": "median:0.6@a,": empty column name after "@"`},
		{"eu=median:0.6@a,a", `line "eu": "median:0.6@a,a": column "a" given twice after "@"`},
		{"eu=median:0.6@urban=1", `line "eu": "median:0.6@urban=1": column "urban=1" after "@" contains '='; a reference subpopulation is written ?COL=VALUE after the columns`},
		{"eu=median:0.6?", `line "eu": "median:0.6?": condition "": expected COLUMN=VALUE`},
		{"eu=median:0.6?urban", `line "eu": "median:0.6?urban": condition "urban": expected COLUMN=VALUE`},
		{"eu=median:0.6?urban=", `line "eu": "median:0.6?urban=": condition "urban=": empty value`},
		{"eu=median:0.6?=1", `line "eu": "median:0.6?=1": empty column name in condition "=1"`},
		{"eu=median:0.6?a=1&", `line "eu": "median:0.6?a=1&": condition "": expected COLUMN=VALUE`},
		{"eu=median:0.6?a=1=2", `line "eu": "median:0.6?a=1=2": condition "a=1=2": more than one '='`},
		{"eu=median:0.6?a=1&a=2", `line "eu": "median:0.6?a=1&a=2": two conditions on column "a"`},
		{"eu=median:0.6?a=1@county", `line "eu": "median:0.6?a=1@county": unexpected '@' or '?' in "?a=1@county": write @COLUMNS before ?CONDITIONS and join conditions with '&'`},
		{"eu=median:0.6?a=1?b=2", `line "eu": "median:0.6?a=1?b=2": unexpected '@' or '?' in "?a=1?b=2": write @COLUMNS before ?CONDITIONS and join conditions with '&'`},
		{"eu=median0.6", `line "eu": "median0.6": expected BASIS:NUMBER with BASIS one of abs, median or mean (e.g. median:0.6)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			l, err := ParseLine(tt.in)
			if err == nil {
				t.Fatalf("ParseLine(%q) = %#v, want error %q", tt.in, l, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseLine(%q) error\n got %s\nwant %s", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseLineSpecChecksName(t *testing.T) {
	if _, err := ParseLineSpec("9lives", "median:0.6"); err == nil || !strings.Contains(err.Error(), `line "9lives"`) {
		t.Errorf("ParseLineSpec with a bad name: err = %v", err)
	}
	l, err := ParseLineSpec("eu", "median:0.6")
	if err != nil || l.Name != "eu" || l.Pos != "" {
		t.Errorf("ParseLineSpec(eu, median:0.6) = %#v, %v", l, err)
	}
}

func TestLineSpecRoundTripValues(t *testing.T) {
	// Spec prints the shortest text that parses back to the same float64.
	for _, v := range []float64{0.6, 1.0 / 3, 0.1 + 0.2, 4000, 1e-300, 123456789.123, 1e21} {
		l := Line{Name: "z", Basis: "abs", Value: v}
		back, err := ParseLineSpec(l.Name, l.Spec())
		if err != nil || back.Value != v {
			t.Errorf("abs %v: Spec %q parsed back as %v, %v", v, l.Spec(), back.Value, err)
		}
	}
}

func TestLineColumns(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"eu=median:0.6", nil},
		{"t=median:0.45@county", []string{"county"}},
		{"g=mean:0.33@province?urban=false", []string{"province", "urban"}},
		{"x=median:0.5?urban=true&province=3", []string{"urban", "province"}},
		{"y=median:0.5@province,urban?province=3&region=n", []string{"province", "urban", "region"}},
	}
	for _, tt := range tests {
		l, err := ParseLine(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Columns(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Columns() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSpecClosest(t *testing.T) {
	options := []string{"name", "inputs", "columns", "domains", "indicators", "outputs", "options"}
	tests := []struct{ word, want string }{
		{"domians", "domains"},
		{"input", "inputs"},
		{"Columns", "columns"},
		{"indicator", "indicators"},
		{"xyz", ""},
		{"", ""},
		{"outptus", "outputs"},
	}
	for _, tt := range tests {
		if got := specClosest(tt.word, options); got != tt.want {
			t.Errorf("specClosest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

// FuzzParseLine checks that every line ParseLine accepts survives the
// round trip through Spec, and that its values obey the rules.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"eu=median:0.6", "t=median:0.45@county", "g=mean:0.33@province?urban=false",
		"n=abs:4000", "x=median:0.5?urban=true&province=3", "a=abs:1e-3@a, b?c = d", "bad=median:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLine(s)
		if err != nil {
			return
		}
		if l.Basis == "abs" && !(l.Value >= 0) || l.Basis != "abs" && !(l.Value > 0) {
			t.Errorf("ParseLine(%q): value %v out of range", s, l.Value)
		}
		back, err := ParseLineSpec(l.Name, l.Spec())
		if err != nil || !reflect.DeepEqual(back, l) {
			t.Errorf("ParseLine(%q) = %#v; Spec %q parses back as %#v, %v", s, l, l.Spec(), back, err)
		}
	})
}

func ExampleParseLine() {
	l, err := ParseLine("gd_household=mean:0.33@province?urban=false")
	if err != nil {
		panic(err)
	}
	fmt.Println(l.Name, l.Basis, l.Value, l.By, l.Where)
	fmt.Println(l.Spec())
	fmt.Println(l.Columns())
	_, err = ParseLine("eu=median:abc")
	fmt.Println(err)
	// Output:
	// gd_household mean 0.33 [province] [{urban false}]
	// mean:0.33@province?urban=false
	// [province urban]
	// line "eu": "median:abc": fraction must be a number, got "abc"
}
