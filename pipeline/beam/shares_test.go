package povbeam

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/povstat/povstat/pipeline"
)

// TestBeamQuantileSharesByHand: the quantile shares of a tiny table split
// over two row groups, worked by hand. Province 1 has the units (income,
// weight) (1, 2), (2, 1), (3, 1), (5, 2), (5, 1), (8, 1), (10, 2): total
// weight 10, cumulative weight 2, 3, 4, 7, 8, 10 at 1, 2, 3, 5, 8, 10. By
// laeken's rule P20 = (1+2)/2 = 1.5 (the share reaches 0.2 exactly at 1),
// P40 = (3+5)/2 = 4, P60 = 5, P80 = (8+10)/2 = 9, P90 = 10. Incomes by
// quintile group: 2 (x <= 1.5), 2+3 = 5, 5*3 = 15 (the ties at P60 = 5 all
// in the third group), 8, 10*2 = 20; total 50. So QSR = 20/2 = 10, the
// quintile shares are 0.04, 0.1, 0.3, 0.16, 0.4, and Palma = 0/7 = 0 (no
// unit above P90 = 10, 2+2+3 = 7 at or below P40 = 4). Province 2 is one
// unit of income 7: every cut is 7, all its income in the bottom group:
// QSR 0, share_q1 1, the others 0. Province 3's income is all zero: no
// estimate. The whole population's are checked against pipeline.Run.
func TestBeamQuantileSharesByHand(t *testing.T) {
	dir := t.TempDir()
	hh := func(x, w float64, prov int32) household {
		return household{Income: x, Weight: w, HHSize: 1, Province: prov}
	}
	writeRowGroups(t, filepath.Join(dir, "data", "a.parquet"), [][]household{
		{hh(5, 1, 1), hh(10, 2, 1), hh(1, 2, 1), hh(0, 3, 3)},
		{hh(8, 1, 1), hh(3, 1, 1), hh(7, 4, 2), hh(5, 2, 1), hh(2, 1, 1), hh(0, 1, 3)},
	})
	inds := "qsr, palma, share_q1, share_q2, share_q3, share_q4, share_q5"
	j := &Job{Inputs: []string{filepath.Join(dir, "data")}, Income: "income", Weight: "weight", Size: "hh_size",
		Lines: []string{"z=abs:4"}, By: []string{"province"}, Indicators: splitList(inds), Out: filepath.Join(dir, "beam.json")}
	got, err := RunLocal(context.Background(), j)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]float64{
		"1": {"qsr": 10, "palma": 0, "share_q1": 0.04, "share_q2": 0.1, "share_q3": 0.3, "share_q4": 0.16, "share_q5": 0.4},
		"2": {"qsr": 0, "palma": 0, "share_q1": 1, "share_q2": 0, "share_q3": 0, "share_q4": 0, "share_q5": 0},
		"3": {"qsr": math.NaN(), "palma": math.NaN(), "share_q1": math.NaN(), "share_q2": math.NaN(),
			"share_q3": math.NaN(), "share_q4": math.NaN(), "share_q5": math.NaN()},
	}
	var res struct {
		Results []struct {
			Indicator string
			Domain    map[string]string
			Estimate  *float64
			Note      string
		}
	}
	if err := json.Unmarshal(got, &res); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range res.Results {
		w, ok := want[r.Domain["province"]][r.Indicator]
		if !ok {
			continue
		}
		checked++
		switch {
		case math.IsNaN(w):
			if r.Estimate != nil || r.Note == "" {
				t.Errorf("province %s %s: estimate %v, note %q; want none, with a note", r.Domain["province"], r.Indicator, r.Estimate, r.Note)
			}
		case r.Estimate == nil || math.Abs(*r.Estimate-w) > 1e-15*math.Max(1, w):
			t.Errorf("province %s %s: got %v, want %v", r.Domain["province"], r.Indicator, r.Estimate, w)
		}
	}
	if checked != 3*7 {
		t.Errorf("checked %d rows, want %d", checked, 3*7)
	}
	out := runPipeline(t, dir, study(inds, "z=abs:4", "province"))
	if want := pipeline.EncodeJSON(out.Results); !bytes.Equal(got, want) {
		t.Errorf("results differ:\nbeam:     %s\npipeline: %s", got, want)
	}
}
