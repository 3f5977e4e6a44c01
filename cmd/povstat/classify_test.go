package main

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/povstat/povstat/datasets/synth"
)

// villagesCSV: 2 provinces × 3 villages of 2 households (worked in
// pipeline/classify_test.go). Village means 3, 10, 25 in province 1 and 8,
// 3, 50 in province 2; villages 13 and 23 are urban. The rural means are
// 6.5 and 5.5, so under 60 % of them (3.9 and 3.3) lie villages 11 and 22,
// with 2 + 4 of 16 households. Half the provincial medians (10 and 7) are 5
// and 3.5: both households of village 11 and one (weight 2) of 22 are below.
const villagesCSV = `province,village,urban,income,weight
1,11,false,2,1
1,11,false,4,1
1,12,false,8,1
1,12,false,12,1
1,13,true,20,1
1,13,true,30,1
2,21,false,5,1
2,21,false,9,3
2,22,false,2,2
2,22,false,4,2
2,23,true,40,1
2,23,true,60,1
`

func writeVillages(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "villages.csv")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func classifyArgs(input string, extra ...string) []string {
	return append([]string{"classify", "--input", input, "--income", "income", "--weight", "weight",
		"--unit", "households", "--group", "village", "--ref", "mean:0.6@province?urban=false"}, extra...)
}

func TestClassifyHandWorked(t *testing.T) {
	in := writeVillages(t, villagesCSV)
	list := filepath.Join(t.TempDir(), "flagged.csv")
	code, out, errs := povstat(t, classifyArgs(in, "--household-ref", "median:0.5@province", "--by", "province", "--list", list)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got := map[string]jsonRow{}
	for _, r := range decodeResults(t, out) {
		key := r.Indicator + " " + r.Domain["province"]
		if r.Indicator == "line" && *r.Line == "household_ref" {
			key = "household " + key
		}
		got[key] = r
	}
	for key, want := range map[string]float64{
		"line 1":                        3.9,
		"line 2":                        3.3,
		"household line 1":              5,
		"household line 2":              3.5,
		"groups ":                       6,
		"flagged_groups ":               2,
		"flagged_share ":                0.375,
		"flagged_population ":           6,
		"flagged_households ":           3,
		"flagged_household_population ": 4,
		"flagged_share 1":               2.0 / 6,
		"flagged_share 2":               0.4,
		"flagged_households 2":          1,
	} {
		r, ok := got[key]
		if !ok || r.Estimate == nil || math.Abs(*r.Estimate-want) > 1e-12 {
			t.Errorf("%s = %+v, want %v", key, r.Estimate, want)
		}
	}
	if r := got["flagged_share "]; r.Line == nil || *r.Line != "ref" || r.N != 12 || r.Population != 16 {
		t.Errorf("flagged_share row %+v: want line ref, n 12, population 16", r)
	}
	want := "village,mean,threshold,n,population,province,household_threshold,households,household_population\n" +
		"11,3,3.9,2,2,1,5,2,2\n" +
		"22,3,3.3,2,4,2,3.5,1,2\n"
	if b := mustRead(t, list); b != want {
		t.Errorf("list:\n%s\nwant:\n%s", b, want)
	}
	entries, err := os.ReadDir(filepath.Dir(list))
	if err != nil || len(entries) != 1 {
		t.Errorf("list directory holds %v (%v); want the list only, no temporary file", entries, err)
	}
}

func TestClassifyFormats(t *testing.T) {
	in := writeVillages(t, villagesCSV)
	code, out, errs := povstat(t, classifyArgs(in, "--by", "urban", "--format", "csv")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "indicator,line,province,urban,estimate,n,population,") ||
		!strings.Contains(out, "\nflagged_share,ref,,false,0.5,8,12,") {
		t.Errorf("csv:\n%s", out)
	}
	code, out, errs = povstat(t, classifyArgs(in, "--format", "table")...)
	if code != 0 || !strings.Contains(out, "flagged_groups") || !strings.Contains(out, "province=2") {
		t.Errorf("table: exit %d %s\n%s", code, errs, out)
	}
}

func TestClassifyListIsDeterministic(t *testing.T) {
	in := writeVillages(t, villagesCSV)
	var lists []string
	for procs := 1; procs <= 2; procs++ {
		list := filepath.Join(t.TempDir(), "sub", "flagged.csv")
		prev := runtime.GOMAXPROCS(procs)
		code, _, errs := povstat(t, "classify", "--input", in, "--income", "income", "--weight", "weight", "--unit", "households",
			"--group", "village", "--ref", "mean:0.6@province", "--by", "province,urban", "--list", list)
		runtime.GOMAXPROCS(prev)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		lists = append(lists, mustRead(t, list))
	}
	// mean:0.6@province: thresholds 7.6 and 8.64, villages 11, 21 and 22.
	want := "village,mean,threshold,n,population,province,urban\n" +
		"11,3,7.6,2,2,1,false\n" + "21,8,8.64,2,4,2,false\n" + "22,3,8.64,2,4,2,false\n"
	if lists[0] != want || lists[1] != lists[0] {
		t.Errorf("lists:\n%s\n%s\nwant:\n%s", lists[0], lists[1], want)
	}
}

func TestClassifyErrors(t *testing.T) {
	good := writeVillages(t, villagesCSV)
	spans := writeVillages(t, villagesCSV+"2,12,false,7,1\n")
	base := []string{"classify", "--input", good, "--income", "income", "--weight", "weight"}
	for _, tt := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"help", []string{"classify", "-h"}, 0, []string{"--household-ref"}},
		{"no group", append(base, "--ref", "mean:0.6"), 2, []string{"--group"}},
		{"no ref", append(base, "--group", "village"), 2, []string{"--ref"}},
		{"no input", []string{"classify", "--income", "income", "--weight", "weight", "--group", "village", "--ref", "mean:0.6"}, 2, []string{"--input"}},
		{"bad ref", append(base, "--group", "village", "--ref", "maen:0.6"), 2, []string{"--ref", "maen", "mean"}},
		{"ref with a name", append(base, "--group", "village", "--ref", "r=mean:0.6"), 2, []string{"--ref"}},
		{"bad household ref", append(base, "--group", "village", "--ref", "mean:0.6", "--household-ref", "median:0"), 2, []string{"--household-ref", "fraction"}},
		{"bad format", append(base, "--group", "village", "--ref", "mean:0.6", "--format", "xml"), 2, []string{"xml"}},
		{"bad unit", append(base, "--group", "village", "--ref", "mean:0.6", "--unit", "people"), 2, []string{"people"}},
		{"stray argument", append(base, "--group", "village", "--ref", "mean:0.6", "extra"), 2, []string{"extra"}},
		{"missing group column", append(base, "--group", "vilage", "--ref", "mean:0.6"), 1, []string{"vilage", "village"}},
		{"missing ref column", append(base, "--group", "village", "--ref", "mean:0.6@provnce"), 1, []string{"--ref", "provnce", "province"}},
		{"village spans provinces", classifyArgs(spans), 1, []string{"village=12", "province=1", "province=2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := povstat(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (%s)", code, tt.code, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q does not mention %q", errs, w)
				}
			}
		})
	}
}

// TestClassifyFailureWritesNoList: a failed job leaves no list behind.
func TestClassifyFailureWritesNoList(t *testing.T) {
	spans := writeVillages(t, villagesCSV+"2,12,false,7,1\n")
	list := filepath.Join(t.TempDir(), "flagged.csv")
	if code, _, errs := povstat(t, classifyArgs(spans, "--list", list)...); code != 1 {
		t.Fatalf("exit %d, want 1 (%s)", code, errs)
	}
	if _, err := os.Stat(list); !os.IsNotExist(err) {
		t.Errorf("list exists after a failed job: %v", err)
	}
}

// TestClassifySynth classifies the villages of a generated panel by 60 %
// of the provincial rural mean, persons as the unit.
func TestClassifySynth(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Write(context.Background(), filepath.Join(dir, "data"), synth.Config{Households: 3000, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, "flagged.csv")
	code, out, errs := povstat(t, "classify", "--input", filepath.Join(dir, "data"), "--income", "income",
		"--weight", "weight", "--size", "hh_size", "--group", "village", "--ref", "mean:0.6@province?urban=false",
		"--household-ref", "median:0.5@province", "--by", "province", "--list", list)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var flagged float64
	for _, r := range decodeResults(t, out) {
		switch {
		case r.Indicator == "flagged_share" && (r.Estimate == nil || *r.Estimate < 0 || *r.Estimate > 1):
			t.Errorf("flagged_share %v = %v", r.Domain, r.Estimate)
		case r.Indicator == "flagged_groups" && len(r.Domain) == 0:
			flagged = *r.Estimate
		}
	}
	f, err := os.Open(list)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs)-1 != int(flagged) || flagged == 0 {
		t.Fatalf("list has %d villages, results say %v flagged", len(recs)-1, flagged)
	}
	for _, rec := range recs[1:] {
		mean, err1 := strconv.ParseFloat(rec[1], 64)
		threshold, err2 := strconv.ParseFloat(rec[2], 64)
		if err1 != nil || err2 != nil || !(mean < threshold) {
			t.Errorf("village %s: mean %s is not below its threshold %s", rec[0], rec[1], rec[2])
		}
	}
}
