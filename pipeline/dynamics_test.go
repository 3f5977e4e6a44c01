package pipeline

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/datasets/synth"
)

// handPanel is 4 households × 4 years under the line z = 100 (near-poor
// below 150). Statuses (P poor, Q near-poor, N non-poor) and weights:
//
//	hh  2020    2021    2022    2023    weight
//	1   50 P    60 P    70 P    80 P    1
//	2   200 N   200 N   200 N   200 N   2
//	3   80 P    120 Q   300 N   90 P    3
//	4   200 N   90 P    140 Q   95 P    4 (5 in 2023)
//
// Transitions, weighted by the later year's weight:
//
//	2021: P→P 1, P→Q 3 (row 4: .25 .75 0); N→P 4, N→N 2 (row 6: 4/6 0 2/6); Q row empty.
//	      entries 4, entry_rate 4/6; exits 3, exit_rate 3/4.
//	2022: P→P 1, P→Q 4 (.2 .8 0); Q→N 3 (0 0 1); N→N 2.
//	      entries 0 (rate 0/5); exits 4, exit_rate 4/5; re-entry base h3 (poor 2020,
//	      near 2021) weight 3, reentries 0, rate 0.
//	2023: P→P 1; Q→P 5 (h4); N→P 3 (h3), N→N 2 (row .6 0 .4).
//	      entries 8, entry_rate 8/10; exits 0, exit_rate 0/1; re-entry base h3 (poor
//	      2020) + h4 (poor 2021) = 8, reentries 8, rate 1.
//
// Spells, weighted by the 2023 weight (total 11): chronic h1 1/11, never
// h2 2/11, transient h3+h4 8/11; poor_years_share (1·1 + 3·.5 + 5·.5)/11 = 5/11.
const handPanel = `hh_id,year,income,weight,ill,health
1,2020,50,1,false,0
2,2020,200,2,false,0
3,2020,80,3,false,0
4,2020,200,4,false,0
1,2021,60,1,false,0
2,2021,200,2,false,0
3,2021,120,3,false,70
4,2021,90,4,false,0
1,2022,70,1,false,0
2,2022,200,2,true,0
3,2022,300,3,false,0
4,2022,140,4,false,0
1,2023,80,1,false,0
2,2023,200,2,false,0
3,2023,90,3,false,0
4,2023,95,5,false,0
`

func writeDynTemp(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func dynStudy(t *testing.T, input string, line string, by ...[]string) *Study {
	t.Helper()
	l, err := ParseLine(line)
	if err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "dynamics", Inputs: []string{input}, Income: "income", Weight: "weight", Lines: []Line{l}, Domains: by}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	return s
}

// find returns the estimate of the row with indicator, cell and year (and
// fails when there is not exactly one).
func findDyn(t *testing.T, rows []Result, ind, cell, year string) Result {
	t.Helper()
	var got []Result
	for _, r := range rows {
		y := ""
		if len(r.Domain) > 1 || len(r.Domain) == 1 && r.Domain[0].Column != "year" {
			continue
		}
		if len(r.Domain) == 1 {
			y = r.Domain[0].Value
		}
		if r.Indicator == ind && r.Cell == cell && y == year {
			got = append(got, r)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%s %s %s: %d rows", ind, cell, year, len(got))
	}
	return got[0]
}

func TestDynamicsHandWorked(t *testing.T) {
	path := writeDynTemp(t, "panel.csv", handPanel)
	rules, err := ParseRules("# monitoring\nlow=income<1.5*line\nfall=fall>0.3\nill=ill\nhealth=health/income>0.5\n")
	if err != nil {
		t.Fatal(err)
	}
	out, err := RunDynamics(context.Background(), dynStudy(t, path, "z=abs:100"), Dynamics{ID: "hh_id", Year: "year", Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	for _, c := range []struct {
		ind, cell, year string
		want            float64
	}{
		{"households", "", "2020", 4},
		{"linked", "", "2021", 4},
		{"unmatched_new", "", "2021", 0},
		{"status", "poor", "2023", 9.0 / 11},
		{"status", "non_poor", "2023", 2.0 / 11},
		{"status", "near_poor", "2023", 0},
		{"transition", "poor→poor", "2021", 0.25},
		{"transition", "poor→near_poor", "2021", 0.75},
		{"transition", "non_poor→poor", "2021", 4.0 / 6},
		{"transition", "near_poor→poor", "2021", nan},
		{"entries", "", "2021", 4},
		{"entry_rate", "", "2021", 4.0 / 6},
		{"exit_rate", "", "2021", 0.75},
		{"transition", "poor→near_poor", "2022", 0.8},
		{"transition", "near_poor→non_poor", "2022", 1},
		{"entry_rate", "", "2022", 0},
		{"exits", "", "2022", 4},
		{"exit_rate", "", "2022", 0.8},
		{"reentries", "", "2022", 0},
		{"reentry_rate", "", "2022", 0},
		{"transition", "near_poor→poor", "2023", 1},
		{"transition", "non_poor→poor", "2023", 0.6},
		{"entries", "", "2023", 8},
		{"entry_rate", "", "2023", 0.8},
		{"exit_rate", "", "2023", 0},
		{"reentries", "", "2023", 8},
		{"reentry_rate", "", "2023", 1},
		{"chronic", "", "", 1.0 / 11},
		{"transient", "", "", 8.0 / 11},
		{"never_poor", "", "", 2.0 / 11},
		{"poor_years_share", "", "", 5.0 / 11},
		{"flagged", "low", "2020", 4},
		{"flagged_share", "low", "2020", 0.4},
		{"flagged", "fall", "2020", nan}, // no previous year: the fall is undefined
		{"flagged_share", "fall", "2020", nan},
		{"flagged", "fall", "2021", 4},
		{"flagged", "fall", "2023", 8},
		{"flagged", "ill", "2022", 2},
		{"flagged", "health", "2021", 3},
		{"flagged", "any_rule", "2022", 1 + 2 + 4}, // low: h1, h4; ill: h2
	} {
		r := findDyn(t, out.Results, c.ind, c.cell, c.year)
		if math.IsNaN(c.want) {
			if !math.IsNaN(r.Estimate) || r.Note == "" {
				t.Errorf("%s %s %s = %v (note %q), want NaN with a note", c.ind, c.cell, c.year, r.Estimate, r.Note)
			}
			continue
		}
		if math.Abs(r.Estimate-c.want) > 1e-12 {
			t.Errorf("%s %s %s = %v, want %v", c.ind, c.cell, c.year, r.Estimate, c.want)
		}
	}
	if r := findDyn(t, out.Results, "transition", "near_poor→poor", "2023"); r.Line != "z" || r.N != 1 || r.Population != 5 {
		t.Errorf("transition row %+v: want line z, n 1, population 5 (the later weight)", r)
	}
	if r := findDyn(t, out.Results, "flagged", "fall", "2021"); r.Line != "" {
		t.Errorf("fall rule names line %q", r.Line)
	}
	if r := findDyn(t, out.Results, "flagged", "low", "2021"); r.Line != "z" {
		t.Errorf("low rule names line %q, want z", r.Line)
	}
	if len(out.Warnings) != 0 {
		t.Errorf("warnings %q", out.Warnings)
	}
	// Flags name their rule, by year then id.
	var got []string
	for _, f := range out.Flags {
		if f.Year == "2023" {
			got = append(got, f.ID+":"+f.Rule)
		}
	}
	if want := "1:low 3:low 3:fall 4:low 4:fall"; strings.Join(got, " ") != want {
		t.Errorf("2023 flags %q, want %q", strings.Join(got, " "), want)
	}
	csv := string(EncodeFlags(out.Flags[:1], "hh_id", "year"))
	if csv != "hh_id,year,rule\n1,2020,low\n" {
		t.Errorf("EncodeFlags = %q", csv)
	}
}

func TestDynamicsWeightsScale(t *testing.T) {
	// Multiplying every weight by 3 changes counts, not shares.
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimSpace(handPanel), "\n") {
		if i == 0 {
			b.WriteString(line + "\n")
			continue
		}
		f := strings.Split(line, ",")
		f[3] = map[string]string{"1": "3", "2": "6", "3": "9", "4": "12", "5": "15"}[f[3]]
		b.WriteString(strings.Join(f, ",") + "\n")
	}
	a, err := RunDynamics(context.Background(), dynStudy(t, writeDynTemp(t, "a.csv", handPanel), "z=abs:100"), Dynamics{ID: "hh_id", Year: "year"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := RunDynamics(context.Background(), dynStudy(t, writeDynTemp(t, "c.csv", b.String()), "z=abs:100"), Dynamics{ID: "hh_id", Year: "year"})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Results) != len(c.Results) {
		t.Fatalf("%d rows vs %d", len(a.Results), len(c.Results))
	}
	for i := range a.Results {
		ra, rc := a.Results[i], c.Results[i]
		if math.Abs(rc.Population-3*ra.Population) > 1e-9 {
			t.Errorf("%s %s: population %v, want 3×%v", ra.Indicator, ra.Cell, rc.Population, ra.Population)
		}
		isCount := strings.HasPrefix(ra.Indicator, "entries") || ra.Indicator == "exits" || ra.Indicator == "reentries"
		if !isCount && !(math.IsNaN(ra.Estimate) && math.IsNaN(rc.Estimate)) && math.Abs(ra.Estimate-rc.Estimate) > 1e-12 &&
			!(ra.Indicator == "households" || ra.Indicator == "linked") {
			t.Errorf("%s %s: estimate %v vs %v", ra.Indicator, ra.Cell, ra.Estimate, rc.Estimate)
		}
	}
}

func TestDynamicsUnmatched(t *testing.T) {
	// Household 2 is missing in 2021 and household 5 appears in 2021.
	text := strings.Replace(handPanel, "2,2021,200,2,false,0\n", "5,2021,90,1,false,0\n", 1)
	out, err := RunDynamics(context.Background(), dynStudy(t, writeDynTemp(t, "p.csv", text), "z=abs:100"), Dynamics{ID: "hh_id", Year: "year"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ind, year string
		want, pop float64
	}{
		{"linked", "2021", 3, 8},
		{"unmatched_new", "2021", 1, 1},
		{"unmatched_lost", "2021", 1, 2},
		{"unmatched_new", "2022", 1, 2},
		{"unmatched_lost", "2022", 1, 1},
		{"linked", "2023", 4, 11},
	} {
		r := findDyn(t, out.Results, c.ind, "", c.year)
		if r.Estimate != c.want || r.Population != c.pop {
			t.Errorf("%s %s = %v (population %v), want %v (%v)", c.ind, c.year, r.Estimate, r.Population, c.want, c.pop)
		}
	}
	if len(out.Warnings) != 2 || !strings.Contains(out.Warnings[0], "year=2021: 1 households not in year=2020 (new), 1 of year=2020 missing (lost)") {
		t.Errorf("warnings %q", out.Warnings)
	}
	// Household 5 (one year) is left out of the spells and counted.
	if r := findDyn(t, out.Results, "chronic", "", ""); r.ExcludedN != 1 || r.N != 4 {
		t.Errorf("chronic: n %d, excluded %d; want 4 and 1", r.N, r.ExcludedN)
	}
	// 2022: household 2 is back but unlinked, so it is in no transition.
	var n int
	for _, r := range out.Results {
		if r.Indicator == "transition" && len(r.Domain) == 1 && r.Domain[0].Value == "2022" {
			n += r.N
		}
	}
	if n != 3 {
		t.Errorf("2022 transitions cover %d households, want 3", n)
	}
}

func TestDynamicsDuplicateID(t *testing.T) {
	text := handPanel + "3,2022,10,1,false,0\n"
	_, err := RunDynamics(context.Background(), dynStudy(t, writeDynTemp(t, "dup.csv", text), "z=abs:100"), Dynamics{ID: "hh_id", Year: "year"})
	var re *datasets.RowError
	if !errors.Is(err, ErrDuplicateID) || !errors.As(err, &re) || re.Row != 17 || re.Column != "hh_id" {
		t.Fatalf("err = %v, want a RowError at row 17 wrapping ErrDuplicateID", err)
	}
	if !strings.Contains(err.Error(), "first on") || !strings.Contains(err.Error(), "row 11") {
		t.Errorf("err %q does not name the first row", err)
	}
}

func TestParseRule(t *testing.T) {
	for _, tt := range []struct {
		text string
		ok   bool
	}{
		{"low=income<1.5*line", true},
		{"fall=fall>0.3", true},
		{"h=health_exp/income>0.4", true},
		{"ill=illness", true},
		{"t=transfers > 0.5*income", true},
		{"x", false},
		{"=income<1", false},
		{"x=income<a*line", false},
		{"x=line", false},
		{"any_rule=ill", false},
		{"x=income<", false},
	} {
		_, err := ParseRule(tt.text)
		if (err == nil) != tt.ok {
			t.Errorf("ParseRule(%q) err = %v, want ok %v", tt.text, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrRule) {
			t.Errorf("ParseRule(%q) err %v does not wrap ErrRule", tt.text, err)
		}
	}
	if _, err := ParseRules("a=ill\na=ill\n"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("duplicate rule: err %v", err)
	}
}

func TestDynamicsSynth(t *testing.T) {
	if testing.Short() {
		t.Skip("synthetic panel")
	}
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), dir, synth.Config{Households: 3000, Years: 4, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	rules, err := ParseRules("low=income<1.5*line\nfall=fall>0.3\nillness=illness\ndisaster=disaster\n")
	if err != nil {
		t.Fatal(err)
	}
	s := dynStudy(t, dir, "rel=median:0.6@year", []string{"urban"})
	out, err := RunDynamics(context.Background(), s, Dynamics{ID: "hh_id", Year: "year", Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Warnings) != 0 {
		t.Errorf("warnings %q", out.Warnings)
	}
	// Row shares of each transition matrix add up to 1.
	sums := map[string]float64{}
	for _, r := range out.Results {
		if r.Indicator == "transition" && !math.IsNaN(r.Estimate) {
			from, _, _ := strings.Cut(r.Cell, "→")
			sums[domainText(r.Domain)+"|"+from] += r.Estimate
		}
	}
	if len(sums) < 3*3*3 {
		t.Errorf("only %d transition rows", len(sums))
	}
	for k, v := range sums {
		if math.Abs(v-1) > 1e-9 {
			t.Errorf("transition row %s sums to %v", k, v)
		}
	}
	for _, y := range []string{"2021", "2022", "2023"} {
		if r := findDyn(t, out.Results, "linked", "", y); r.Estimate != 3000 {
			t.Errorf("linked %s = %v, want 3000", y, r.Estimate)
		}
		poor := findDyn(t, out.Results, "status", "poor", y).Estimate
		entry := findDyn(t, out.Results, "entry_rate", "", y).Estimate
		exit := findDyn(t, out.Results, "exit_rate", "", y).Estimate
		if !(poor > 0.03 && poor < 0.4) || !(entry > 0 && entry < 0.3) || !(exit > 0.05 && exit < 0.95) {
			t.Errorf("%s: poor %v, entry %v, exit %v: implausible", y, poor, entry, exit)
		}
		// Stocks and flows agree: poor_t = poor_{t-1} - exits + entries among linked units.
		pp := findDyn(t, out.Results, "transition", "poor→poor", y).Population
		en := findDyn(t, out.Results, "entries", "", y).Estimate
		pop := findDyn(t, out.Results, "status", "poor", y).Population
		if math.Abs(pp+en-pop) > 1e-6*pop {
			t.Errorf("%s: poor→poor %v + entries %v != poor %v", y, pp, en, pop)
		}
	}
	rr := findDyn(t, out.Results, "reentry_rate", "", "2023").Estimate
	if !(rr > 0 && rr < 1) {
		t.Errorf("reentry_rate 2023 = %v", rr)
	}
	var spell float64
	for _, ind := range []string{"chronic", "transient", "never_poor"} {
		spell += findDyn(t, out.Results, ind, "", "").Estimate
	}
	if math.Abs(spell-1) > 1e-12 {
		t.Errorf("spells add up to %v", spell)
	}
	for _, rule := range []string{"low", "fall", "illness", "disaster"} {
		if r := findDyn(t, out.Results, "flagged_share", rule, "2022"); !(r.Estimate > 0 && r.Estimate < 0.8) {
			t.Errorf("rule %s flags %v of 2022", rule, r.Estimate)
		}
	}
}

// A study's domains that differ only by the year column give each
// dynamics row once: [year] is the whole population and [year, ill]
// repeats [ill].
func TestDynamicsDomainsWithYear(t *testing.T) {
	in := writeDynTemp(t, "p.csv", handPanel)
	plain, err := RunDynamics(context.Background(), dynStudy(t, in, "z=abs:100", []string{"ill"}), Dynamics{ID: "hh_id", Year: "year"})
	if err != nil {
		t.Fatal(err)
	}
	withYear, err := RunDynamics(context.Background(), dynStudy(t, in, "z=abs:100", []string{"year"}, []string{"year", "ill"}, []string{"ill"}), Dynamics{ID: "hh_id", Year: "year"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range withYear.Results {
		k := r.Indicator + "|" + r.Cell + "|" + domainText(r.Domain)
		if seen[k] {
			t.Fatalf("row %s twice", k)
		}
		seen[k] = true
	}
	if len(withYear.Results) != len(plain.Results) {
		t.Errorf("%d rows with the year in the domains, %d without", len(withYear.Results), len(plain.Results))
	}
}
