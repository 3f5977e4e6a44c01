package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/datasets/synth"
	"github.com/povstat/povstat/indices"
)

// villageCSV is a worked example: 2 provinces × 3 villages of 2 households;
// village 13 and 23 are urban. The weights count households (rows are
// households, unit households).
//
//	province village urban  incomes (weights)    village mean
//	1        11      false  2 (1), 4 (1)         3
//	1        12      false  8 (1), 12 (1)        10
//	1        13      true   20 (1), 30 (1)       25
//	2        21      false  5 (1), 9 (3)         (5 + 27)/4 = 8
//	2        22      false  2 (2), 4 (2)         (4 + 8)/4 = 3
//	2        23      true   40 (1), 60 (1)       50
//
// mean:0.6@province?urban=false: the rural means are (2+4+8+12)/4 = 6.5 in
// province 1 and (5+27+4+8)/8 = 5.5 in province 2, the thresholds 3.9 and
// 3.3: villages 11 (3 < 3.9) and 22 (3 < 3.3) are flagged, with 2 and 4
// households of 16 (share 0.375; 2/6 in province 1, 4/10 in province 2).
//
// mean:0.6@province over all units: means 76/6 and 144/10 = 14.4,
// thresholds 7.6 and 8.64: villages 11, 21 and 22 are flagged.
//
// median:0.5@province (second stage): province 1 has incomes 2, 4, 8, 12,
// 20, 30 of weight 1, cumulative share 1/2 exactly at 8, median (8+12)/2 =
// 10, threshold 5: both households of village 11 (2 and 4). Province 2 has 2
// (w2), 4 (w2), 5 (w1), 9 (w3), ... of total weight 10, share 1/2 exactly at
// 5, median (5+9)/2 = 7, threshold 3.5: in village 22 the household with 2
// (w2), not the one with 4. In all 3 households (rows), weighted 2+2 = 4.
//
// The size column is used by the persons tests only.
const villageCSV = `province,village,urban,size,income,weight
1,11,false,1,2,1
1,11,false,3,4,1
1,12,false,1,8,1
1,12,false,1,12,1
1,13,true,1,20,1
1,13,true,1,30,1
2,21,false,1,5,1
2,21,false,1,9,3
2,22,false,1,2,2
2,22,false,1,4,2
2,23,true,1,40,1
2,23,true,1,60,1
`

func villageStudy(t *testing.T, csv string, domains ...[]string) *Study {
	t.Helper()
	path := filepath.Join(t.TempDir(), "villages.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "classify", Inputs: []string{path}, Income: "income", Weight: "weight",
		Unit: "households", Domains: domains, Seed: 1}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	return s
}

// mustSpec parses a SPEC; an empty name leaves Classify to name the line.
func mustSpec(t *testing.T, name, spec string) Line {
	t.Helper()
	l, err := ParseLineSpec(cmp.Or(name, "x"), spec)
	if err != nil {
		t.Fatal(err)
	}
	l.Name = name
	return l
}

func flaggedNames(c *Classified) []string {
	var out []string
	for _, g := range c.Groups {
		if g.Flagged {
			out = append(out, g.Group)
		}
	}
	return out
}

func TestClassifyHandWorked(t *testing.T) {
	s := villageStudy(t, villageCSV, []string{"province"})
	h := mustSpec(t, "", "median:0.5@province")
	c, err := Classify(context.Background(), s, Classification{
		Group: "village", Ref: mustSpec(t, "", "mean:0.6@province?urban=false"), HouseholdRef: &h})
	if err != nil {
		t.Fatal(err)
	}
	if got := flaggedNames(c); !slices.Equal(got, []string{"11", "22"}) {
		t.Errorf("flagged %v, want [11 22]", got)
	}
	for _, tt := range []struct {
		ind, line, dom string
		want           float64
		n              int
		pop            float64
	}{
		{"line", "ref", "province=1", 3.9, 4, 4},
		{"line", "ref", "province=2", 3.3, 4, 8},
		{"line", "household_ref", "province=1", 5, 6, 6},
		{"line", "household_ref", "province=2", 3.5, 6, 10},
		{"groups", "", "", 6, 12, 16},
		{"flagged_groups", "ref", "", 2, 12, 16},
		{"flagged_share", "ref", "", 0.375, 12, 16},
		{"flagged_population", "ref", "", 6, 12, 16},
		{"flagged_households", "household_ref", "", 3, 12, 16},
		{"flagged_household_population", "household_ref", "", 4, 12, 16},
		{"groups", "", "province=1", 3, 6, 6},
		{"flagged_groups", "ref", "province=1", 1, 6, 6},
		{"flagged_share", "ref", "province=1", 2.0 / 6, 6, 6},
		{"flagged_population", "ref", "province=2", 4, 6, 10},
		{"flagged_share", "ref", "province=2", 0.4, 6, 10},
		{"flagged_households", "household_ref", "province=1", 2, 6, 6},
		{"flagged_households", "household_ref", "province=2", 1, 6, 10},
		{"flagged_household_population", "household_ref", "province=2", 2, 6, 10},
	} {
		r := find(t, c.Results, tt.ind, tt.line, tt.dom)
		if math.Abs(r.Estimate-tt.want) > 1e-12 || r.N != tt.n || r.Population != tt.pop {
			t.Errorf("%s %s %q = %v (n %d, population %v), want %v (%d, %v)",
				tt.ind, tt.line, tt.dom, r.Estimate, r.N, r.Population, tt.want, tt.n, tt.pop)
		}
	}
	want := map[string]ClassifiedGroup{
		"11": {Mean: 3, Threshold: 3.9, N: 2, Population: 2, Flagged: true, HouseholdThreshold: 5, Households: 2, HouseholdPopulation: 2},
		"22": {Mean: 3, Threshold: 3.3, N: 2, Population: 4, Flagged: true, HouseholdThreshold: 3.5, Households: 1, HouseholdPopulation: 2},
		"21": {Mean: 8, Threshold: 3.3, N: 2, Population: 4},
		"13": {Mean: 25, Threshold: 3.9, N: 2, Population: 2},
	}
	for _, g := range c.Groups {
		w, ok := want[g.Group]
		if !ok {
			continue
		}
		if math.Abs(g.Mean-w.Mean) > 1e-12 || math.Abs(g.Threshold-w.Threshold) > 1e-12 || g.N != w.N ||
			g.Population != w.Population || g.Flagged != w.Flagged || g.Households != w.Households ||
			g.HouseholdPopulation != w.HouseholdPopulation ||
			w.Flagged && math.Abs(g.HouseholdThreshold-w.HouseholdThreshold) > 1e-12 {
			t.Errorf("group %s = %+v, want %+v", g.Group, g, w)
		}
		if !w.Flagged && !math.IsNaN(g.HouseholdThreshold) {
			t.Errorf("group %s is not flagged but has household threshold %v", g.Group, g.HouseholdThreshold)
		}
	}
	if !slices.Equal(c.Regions, []string{"province"}) || c.Rows.Read != 12 || c.Rows.Used != 12 {
		t.Errorf("regions %v, rows %+v", c.Regions, c.Rows)
	}
	wantList := "village,mean,threshold,n,population,province,household_threshold,households,household_population\n" +
		"11,3,3.9,2,2,1,5,2,2\n" +
		"22,3,3.3,2,4,2,3.5,1,2\n"
	if got := string(EncodeGroupList(c, "village")); got != wantList {
		t.Errorf("list:\n%s\nwant:\n%s", got, wantList)
	}
}

func TestClassifyReferences(t *testing.T) {
	for _, tt := range []struct {
		name, ref string
		flagged   []string
	}{
		{"conditional", "mean:0.6@province?urban=false", []string{"11", "22"}},
		{"grouped, all units", "mean:0.6@province", []string{"11", "21", "22"}},
		// One national mean 220/16 = 13.75, 60 %: 8.25.
		{"national", "mean:0.6", []string{"11", "21", "22"}},
		// Strictly below: a mean equal to the threshold is not flagged.
		{"tie", "abs:3", nil},
		{"just above the tie", "abs:3.0000001", []string{"11", "22"}},
		// Rural median of province 1: 2, 4, 8, 12 → (4+8)/2 = 6; of
		// province 2: 5 (w1), 9 (w3), 2 (w2), 4 (w2): share 1/2 exactly at
		// 4 → (4+5)/2 = 4.5. Thresholds 6 and 4.5.
		{"median", "median:1@province?urban=false", []string{"11", "22"}},
		// Two @ columns: every village lies in one province × urban cell.
		// Rural cells as above; urban cells: means 25 and 50, thresholds 15
		// and 30 (60 %), no urban village below.
		{"two columns", "mean:0.6@province,urban", []string{"11", "22"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := villageStudy(t, villageCSV)
			c, err := Classify(context.Background(), s, Classification{Group: "village", Ref: mustSpec(t, "", tt.ref)})
			if err != nil {
				t.Fatal(err)
			}
			if got := flaggedNames(c); !slices.Equal(got, tt.flagged) {
				t.Errorf("flagged %v, want %v", got, tt.flagged)
			}
			if slices.ContainsFunc(c.Results, func(r Result) bool { return strings.HasPrefix(r.Indicator, "flagged_household") }) {
				t.Error("household rows without a household reference")
			}
		})
	}
}

// TestClassifyPersons counts persons: weight × size.
func TestClassifyPersons(t *testing.T) {
	s := villageStudy(t, villageCSV, []string{"urban"})
	s.Unit, s.Size, s.Rows = "persons", "size", ""
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	c, err := Classify(context.Background(), s, Classification{Group: "village", Ref: mustSpec(t, "", "mean:0.6@province?urban=false")})
	if err != nil {
		t.Fatal(err)
	}
	// Village 11 now has persons weights 1 and 3: mean (2 + 12)/4 = 3.5; the
	// rural mean of province 1 is (2 + 12 + 8 + 12)/6 = 34/6, threshold 3.4:
	// 11 is no longer flagged. Province 2 is unchanged: 22 is flagged, 4 of
	// 18 persons (rural: 4 of 14).
	if got := flaggedNames(c); !slices.Equal(got, []string{"22"}) {
		t.Errorf("flagged %v, want [22]", got)
	}
	for _, tt := range []struct {
		ind, dom string
		want     float64
	}{
		{"flagged_share", "", 4.0 / 18},
		{"flagged_share", "urban=false", 4.0 / 14},
		{"flagged_share", "urban=true", 0},
		{"groups", "urban=true", 2},
		{"flagged_groups", "urban=false", 1},
	} {
		line := "ref"
		if tt.ind == "groups" {
			line = ""
		}
		if r := find(t, c.Results, tt.ind, line, tt.dom); math.Abs(r.Estimate-tt.want) > 1e-12 {
			t.Errorf("%s %q = %v, want %v", tt.ind, tt.dom, r.Estimate, tt.want)
		}
	}
}

func TestClassifyErrors(t *testing.T) {
	for _, tt := range []struct {
		name, csv, ref, group string
		want                  []string
		is                    error
	}{
		{"village spans provinces", villageCSV + "2,12,false,1,7,1\n", "mean:0.6@province?urban=false", "village",
			[]string{"village=12", "province=1", "province=2", "--ref"}, nil},
		{"null group", villageCSV + "2,,false,1,7,1\n", "mean:0.6", "village",
			[]string{"villages.csv", "village", "row 13"}, ErrNoGroup},
		{"missing group column", villageCSV, "mean:0.6", "vilage", []string{"vilage", `did you mean "village"`}, nil},
		{"missing ref column", villageCSV, "mean:0.6@provnce", "village", []string{"provnce", `did you mean "province"`}, nil},
		{"no reference unit", villageCSV, "mean:0.6?urban=maybe", "village", []string{"urban=maybe"}, nil},
		{"group is the income", villageCSV, "mean:0.6", "income", []string{"income"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := villageStudy(t, tt.csv)
			ref := mustSpec(t, "ref", tt.ref)
			ref.Pos = "--ref " + tt.ref
			_, err := Classify(context.Background(), s, Classification{Group: tt.group, Ref: ref})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tt.is != nil {
				var re *datasets.RowError
				if !errors.Is(err, tt.is) || !errors.As(err, &re) || re.Row != 13 {
					t.Errorf("error %v: want a RowError at row 13 wrapping %v", err, tt.is)
				}
			}
		})
	}
}

// TestClassifyNoThreshold: a province without reference units has no
// threshold; its villages are not flagged, and a warning and a note say so.
func TestClassifyNoThreshold(t *testing.T) {
	s := villageStudy(t, villageCSV, []string{"province"})
	c, err := Classify(context.Background(), s, Classification{Group: "village", Ref: mustSpec(t, "", "mean:0.6@province?village=11")})
	if err != nil {
		t.Fatal(err)
	}
	// Province 1: threshold 0.6 × 3 = 1.8, nothing below; province 2: none.
	if got := flaggedNames(c); len(got) != 0 {
		t.Errorf("flagged %v", got)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "3 of 6 groups") {
		t.Errorf("warnings %q", c.Warnings)
	}
	if r := find(t, c.Results, "flagged_groups", "ref", "province=2"); !strings.Contains(r.Note, "3 groups have no threshold") {
		t.Errorf("note %q", r.Note)
	}
	if r := find(t, c.Results, "line", "ref", "province=2"); !math.IsNaN(r.Estimate) {
		t.Errorf("line of province 2 = %v, want NaN", r.Estimate)
	}
}

// TestClassifyListOrder: the list is sorted by region, then by group as
// numbers, and a group in several regions lists them all.
func TestClassifyListOrder(t *testing.T) {
	csv := "province,village,income,weight\n" +
		"10,100,1,1\n" + "10,9,1,1\n" + "2,30,1,1\n" + "2,30,1,1\n" + "2,4,1,1\n" + "10,4,1,1\n" + "3,5,100,1\n"
	s := villageStudy(t, csv, []string{"province"})
	c, err := Classify(context.Background(), s, Classification{Group: "village", Ref: mustSpec(t, "", "abs:2")})
	if err != nil {
		t.Fatal(err)
	}
	want := "village,mean,threshold,n,population,province\n" +
		"30,1,2,2,2,2\n" + "4,1,2,2,2,2;10\n" + "9,1,2,1,1,10\n" + "100,1,2,1,1,10\n"
	if got := string(EncodeGroupList(c, "village")); got != want {
		t.Errorf("list:\n%s\nwant:\n%s", got, want)
	}
	// Village 4 lies in provinces 2 and 10: it counts in both.
	if r := find(t, c.Results, "flagged_groups", "ref", "province=10"); r.Estimate != 3 {
		t.Errorf("flagged groups in province 10 = %v, want 3", r.Estimate)
	}
	if r := find(t, c.Results, "groups", "", ""); r.Estimate != 5 {
		t.Errorf("groups = %v, want 5", r.Estimate)
	}
}

// TestClassifySynth classifies the villages of the synthetic panel: shares
// are fractions, every flagged village is below its threshold and every
// other one is not, the counts of the provinces add up, and the list and
// results are the same bytes whatever GOMAXPROCS is.
func TestClassifySynth(t *testing.T) {
	dir := t.TempDir()
	paths, err := synth.Write(context.Background(), dir, synth.Config{Households: 4000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "classify", Inputs: paths, Income: "income", Weight: "weight", Size: "hh_size",
		Domains: [][]string{{"province"}, {"urban"}}, Seed: 1}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	h := mustSpec(t, "", "median:0.5@province")
	cl := Classification{Group: "village", Ref: mustSpec(t, "", "mean:0.6@province?urban=false"), HouseholdRef: &h}
	var lists, results [][]byte
	var c *Classified
	for _, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		c, err = Classify(context.Background(), s, cl)
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		lists = append(lists, EncodeGroupList(c, "village"))
		results = append(results, EncodeJSON(c.Results))
	}
	if !bytes.Equal(lists[0], lists[1]) || !bytes.Equal(results[0], results[1]) {
		t.Error("list or results differ between GOMAXPROCS=1 and 4")
	}
	flagged := 0
	for _, g := range c.Groups {
		if g.Flagged != (g.Mean < g.Threshold) {
			t.Errorf("village %s: mean %v, threshold %v, flagged %v", g.Group, g.Mean, g.Threshold, g.Flagged)
		}
		if g.Flagged {
			flagged++
			if g.Households > g.N || g.HouseholdPopulation > g.Population {
				t.Errorf("village %s: %d households below of %d", g.Group, g.Households, g.N)
			}
		}
	}
	t.Logf("%d of %d villages flagged", flagged, len(c.Groups))
	if flagged == 0 || flagged == len(c.Groups) {
		t.Errorf("%d of %d villages flagged; want some, not all", flagged, len(c.Groups))
	}
	var provinceFlagged, total float64
	for _, r := range c.Results {
		if r.Indicator == "flagged_household_population" {
			if fp := find(t, c.Results, "flagged_population", "ref", domainText(r.Domain)); r.Estimate > fp.Estimate {
				t.Errorf("%v: %v persons below the household line of %v in flagged villages", r.Domain, r.Estimate, fp.Estimate)
			}
		}
		switch r.Indicator {
		case "flagged_share":
			if !(r.Estimate >= 0 && r.Estimate <= 1) {
				t.Errorf("flagged_share %v = %v", r.Domain, r.Estimate)
			}
		case "flagged_groups":
			if len(r.Domain) == 0 {
				total = r.Estimate
			} else if r.Domain[0].Column == "province" {
				provinceFlagged += r.Estimate
			}
		}
	}
	if hh := find(t, c.Results, "flagged_households", "household_ref", ""); hh.Estimate == 0 {
		t.Error("no household below the household line in a flagged village")
	}
	if total != float64(flagged) || provinceFlagged != total {
		t.Errorf("flagged groups: %v in all, %v summed over provinces, %d in the list", total, provinceFlagged, flagged)
	}
	if lines := bytes.Count(lists[0], []byte("\n")); lines != flagged+1 {
		t.Errorf("list has %d lines, want %d", lines, flagged+1)
	}
}

// With a design, the flagged share and population have the SEs of their
// ratio's and total's linearized variables (the flags of the villages held
// fixed), written out here from the flagged groups and given to
// indices.Linearized; the bootstrap classifies again and gives SEs of the
// same size (a little larger: the flags vary too); counts have none.
func TestClassifyStandardErrors(t *testing.T) {
	dir := t.TempDir()
	paths, err := synth.Write(context.Background(), dir, synth.Config{Households: 4000, Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	study := func(method string) *Study {
		s := &Study{Name: "classify", Inputs: paths, Income: "income", Weight: "weight", Size: "hh_size",
			Strata: "stratum", PSU: "psu", SEMethod: method, Replicates: 300, Seed: 1}
		if err := s.Complete(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	c := Classification{Group: "village", Ref: mustLine(t, "ref=mean:0.6@province")}
	out, err := Classify(context.Background(), study("linearized"), c)
	if err != nil {
		t.Fatal(err)
	}
	flagged := map[string]bool{}
	for _, g := range out.Groups {
		flagged[g.Group] = g.Flagged
	}
	u, _, _, err := classifyUnits(context.Background(), study("linearized"), "village")
	if err != nil {
		t.Fatal(err)
	}
	f := u.factors["village"]
	y := make([]float64, len(u.x))
	var num, den float64
	for i := range y {
		y[i] = b2f(flagged[f.levels[f.codes[i]]])
		num += u.w[i] * y[i]
		den += u.w[i]
	}
	share := make([]float64, len(y))
	for i := range share {
		share[i] = (y[i] - num/den) / den
	}
	design := indices.Design{Strata: u.factors["stratum"].codes, PSU: u.factors["psu"].codes, Weights: u.w}
	wantSE := map[string]float64{
		"flagged_share":      indices.Linearized(design, share).SE,
		"flagged_population": indices.Linearized(design, y).SE,
	}
	lin := map[string]float64{}
	for _, r := range out.Results {
		if len(r.Domain) != 0 {
			continue
		}
		if want, ok := wantSE[r.Indicator]; ok {
			lin[r.Indicator] = r.SE
			if math.Abs(r.SE-want) > 1e-9*want || !strings.HasPrefix(r.SEMethod, "linearized") {
				t.Errorf("%s: SE %v (%s), by hand %v", r.Indicator, r.SE, r.SEMethod, want)
			}
		}
		if r.Indicator == "flagged_groups" && r.SEMethod != "unavailable" {
			t.Errorf("flagged_groups: %q, want unavailable", r.SEMethod)
		}
	}
	if len(lin) != 2 {
		t.Fatalf("rows %v", lin)
	}
	boot, err := Classify(context.Background(), study("bootstrap"), c)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range boot.Results {
		if l, ok := lin[r.Indicator]; ok && len(r.Domain) == 0 {
			if !strings.HasPrefix(r.SEMethod, "bootstrap") || r.SE/l < 0.8 || r.SE/l > 1.6 {
				t.Errorf("bootstrap %s: SE %v (%s), linearized with the flags fixed %v", r.Indicator, r.SE, r.SEMethod, l)
			}
		}
	}
}
