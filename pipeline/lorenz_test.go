package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/povstat/povstat/indices"
	"gonum.org/v1/gonum/floats"
)

// lorenzAt returns the row of ind in domain dom ("" or "col=value") at p.
func lorenzAt(t *testing.T, rs []Result, ind, dom string, p float64) Result {
	t.Helper()
	for _, r := range rs {
		var parts []string
		for _, d := range r.Domain {
			parts = append(parts, d.Column+"="+d.Value)
		}
		if r.Indicator == ind && r.At != nil && *r.At == p && strings.Join(parts, ",") == dom {
			return r
		}
	}
	t.Fatalf("no %s row in %q at %v", ind, dom, p)
	return Result{}
}

func TestRunLorenzHandWorked(t *testing.T) {
	s := handStudy(t, "z=abs:2.5")
	s.Indicators = []string{"lorenz", "generalized_lorenz", "gini"}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	rs := out.Results
	// Units used (see handCSV), sorted: -1 (w 1), 1 (w 1), 2 (w 1), 3 (w 2),
	// 4 (w 1): W = 6, total income T = 12 (the negative income is kept, as
	// for gini). Poorest quarter (weight 1.5): -1 + 0.5·1 = -0.5; half
	// (weight 3): -1 + 1 + 2 = 2; three quarters (4.5): 2 + 1.5·3 = 6.5.
	// Region A: 1, 2 (W 2, T 3); region B: -1, 3 (w 2), 4 (W 4, T 9).
	for _, tt := range []struct {
		dom     string
		p       float64
		l, gl   float64
		n       int
		pop     float64
		comment string
	}{
		{"", 0.25, -0.5 / 12, -0.5 / 6, 5, 6, ""},
		{"", 0.5, 2.0 / 12, 2.0 / 6, 5, 6, ""},
		{"", 0.75, 6.5 / 12, 6.5 / 6, 5, 6, ""},
		{"", 1, 1, 2, 5, 6, "GL(1) is the mean"},
		{"region=A", 0.25, 0.5 / 3, 0.5 / 2, 2, 2, ""},
		{"region=A", 0.5, 1.0 / 3, 1.0 / 2, 2, 2, ""},
		{"region=B", 0.5, 2.0 / 9, 2.0 / 4, 3, 4, ""},
		{"region=B", 0.1, -0.4 / 9, -0.4 / 4, 3, 4, ""},
	} {
		l := lorenzAt(t, rs, "lorenz", tt.dom, tt.p)
		gl := lorenzAt(t, rs, "generalized_lorenz", tt.dom, tt.p)
		if !sameOrClose(l.Estimate, tt.l) || !sameOrClose(gl.Estimate, tt.gl) {
			t.Errorf("%q p=%v: L %v GL %v, want %v %v", tt.dom, tt.p, l.Estimate, gl.Estimate, tt.l, tt.gl)
		}
		if l.N != tt.n || l.Population != tt.pop || l.Line != "" || l.SEMethod != "" {
			t.Errorf("%q: n %d population %v line %q se %q", tt.dom, l.N, l.Population, l.Line, l.SEMethod)
		}
	}
	// 20 points per curve and domain (3 domains), at k/20, in order.
	count := map[string]int{}
	for _, r := range rs {
		if r.Indicator == "lorenz" || r.Indicator == "generalized_lorenz" {
			k := count[r.Indicator] % 20
			if r.At == nil || *r.At != float64(k+1)/20 {
				t.Fatalf("%s row %d at %v, want %v", r.Indicator, count[r.Indicator], r.At, float64(k+1)/20)
			}
			count[r.Indicator]++
		}
	}
	if count["lorenz"] != 60 || count["generalized_lorenz"] != 60 {
		t.Errorf("rows: %v, want 60 of each", count)
	}
	j := EncodeJSON(rs)
	if !bytes.Contains(j, []byte(`{"indicator":"lorenz","line":null,"domain":{},"at":1,"estimate":1,`)) || !bytes.Contains(j, []byte(`"at":0.05`)) {
		t.Errorf("JSON rows of lorenz: %s", j)
	}
}

// With a time column the curves get no _change rows (their points would
// all share one key); the other indicators keep theirs.
func TestRunLorenzNoChangeRows(t *testing.T) {
	s := handStudy(t, "z=abs:2.5")
	s.Indicators = []string{"lorenz", "gini"}
	s.Time = "region"
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var gini bool
	for _, r := range out.Results {
		if r.Indicator == "lorenz_change" {
			t.Fatalf("lorenz_change row: %+v", r)
		}
		gini = gini || r.Indicator == "gini_change"
	}
	if !gini {
		t.Error("no gini_change row")
	}
}

// Standard errors: by linearization (L(1) = 1 fixed, with SE 0); the
// bootstrap estimates the curves again in each replicate, as every other
// row.
func TestRunLorenzStandardErrors(t *testing.T) {
	for _, method := range []string{"linearized", "bootstrap"} {
		s := handStudy(t, "z=abs:2.5")
		s.Indicators = []string{"headcount", "lorenz"}
		s.SEMethod = method
		s.Replicates = 20
		if err := s.Complete(); err != nil {
			t.Fatal(err)
		}
		out, err := Run(context.Background(), s)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		r := lorenzAt(t, out.Results, "lorenz", "", 0.5)
		switch method {
		case "linearized":
			if !strings.HasPrefix(r.SEMethod, "linearized") || !(r.SE > 0) {
				t.Errorf("linearized: se %v method %q", r.SE, r.SEMethod)
			}
			if l1 := lorenzAt(t, out.Results, "lorenz", "", 1); l1.SE != 0 || !strings.HasPrefix(l1.SEMethod, "fixed") {
				t.Errorf("linearized: SE of L(1) = %v (%s), want 0", l1.SE, l1.SEMethod)
			}
		case "bootstrap":
			if !strings.HasPrefix(r.SEMethod, "bootstrap") || !(r.SE > 0) {
				t.Errorf("bootstrap: se %v method %q", r.SE, r.SEMethod)
			}
			if l1 := lorenzAt(t, out.Results, "lorenz", "", 1); l1.SE != 0 {
				t.Errorf("bootstrap: SE of L(1) = %v, want 0", l1.SE)
			}
		}
	}
}

func TestLorenzIndicatorKnown(t *testing.T) {
	for _, name := range []string{"lorenz", "generalized_lorenz"} {
		if !KnownIndicator(name) {
			t.Errorf("%s is not a known indicator", name)
		}
	}
	if KnownIndicator("lorenz_1") {
		t.Error("lorenz_1 is known")
	}
}

// TestLorenzAgainstIndices checks the curves (quantiles from the
// histograms, the sums below them blocked by input file) against
// indices.Lorenz and indices.GeneralizedLorenz of each domain's units (a
// sort and a cumulative scan) on generated data in several CSV files:
// integer incomes with many ties and weights in quarters, where the
// cumulative weight hits p W exactly at some points, and real incomes and
// weights; a domain of large groups (the histogram path) and small ones
// (the sorted copy). Equal up to rounding: 1e-12 of the domain's mean
// income.
func TestLorenzAgainstIndices(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, integer := range []bool{true, false} {
		dir := t.TempDir()
		type row struct {
			x, w float64
			r    string
		}
		var rows []row
		var inputs []string
		for f := range 3 {
			var b strings.Builder
			b.WriteString("income,weight,region\n")
			n := 8000 + 1000*f
			for range n {
				r := row{r: "big"}
				if rng.IntN(10) == 0 {
					r.r = fmt.Sprintf("small%d", rng.IntN(4))
				}
				if integer {
					r.x, r.w = float64(rng.IntN(60)-5), float64(1+rng.IntN(8))/4
				} else {
					r.x, r.w = math.Exp(9+0.8*rng.NormFloat64()), 0.5+rng.Float64()*3
				}
				rows = append(rows, r)
				fmt.Fprintf(&b, "%v,%v,%s\n", r.x, r.w, r.r)
			}
			path := filepath.Join(dir, fmt.Sprintf("p%d.csv", f))
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, path)
		}
		s := &Study{Name: "lorenz", Inputs: inputs, Income: "income", Weight: "weight", Unit: "households",
			Domains: [][]string{{"region"}}, Indicators: []string{"lorenz", "generalized_lorenz"}}
		if err := s.Complete(); err != nil {
			t.Fatal(err)
		}
		out, err := Run(context.Background(), s, SkipHashes())
		if err != nil {
			t.Fatal(err)
		}
		doms := map[string][2][]float64{}
		for _, r := range rows {
			for _, d := range []string{"", "region=" + r.r} {
				v := doms[d]
				v[0], v[1] = append(v[0], r.x), append(v[1], r.w)
				doms[d] = v
			}
		}
		ps := LorenzPoints()
		for d, v := range doms {
			mean := floats.Dot(v[0], v[1]) / floats.Sum(v[1])
			l := indices.Lorenz(nil, ps, v[0], v[1])
			gl := indices.GeneralizedLorenz(nil, ps, v[0], v[1])
			for k, p := range ps {
				gotL, gotGL := lorenzAt(t, out.Results, "lorenz", d, p).Estimate, lorenzAt(t, out.Results, "generalized_lorenz", d, p).Estimate
				if math.Abs(gotGL-gl[k]) > 1e-12*math.Abs(mean) || math.Abs(gotL-l[k]) > 1e-12 {
					t.Errorf("integer %v %q p=%v: L %v GL %v, want %v %v", integer, d, p, gotL, gotGL, l[k], gl[k])
				}
			}
		}
	}
}

// TestLorenzOrdinateEdges: one unit (the curve is the diagonal, GL(p) =
// p x), incomes summing to zero (L undefined, GL defined), an empty domain
// and an undefined quantile.
func TestLorenzOrdinateEdges(t *testing.T) {
	ps := LorenzPoints()
	qs := make([]float64, len(ps)-1)
	for m := range qs {
		qs[m] = 7
	}
	one := indices.NewShareSums(qs)
	one.Add(7, 2)
	for m, p := range ps {
		if got := LorenzOrdinate("lorenz", m, qs, one, 2, 14); math.Abs(got-p) > 1e-15 {
			t.Errorf("one unit: L(%v) = %v", p, got)
		}
		if got := LorenzOrdinate("generalized_lorenz", m, qs, one, 2, 14); math.Abs(got-7*p) > 1e-14 {
			t.Errorf("one unit: GL(%v) = %v", p, got)
		}
	}
	// Incomes -3 and 3 of weight 1: S = 0; the poorer half holds -3.
	qz := make([]float64, len(ps)-1)
	for m := range qz {
		qz[m] = -3
		if ps[m] > 0.5 {
			qz[m] = 3
		}
	}
	zero := indices.NewShareSums(qz)
	zero.Add(-3, 1)
	zero.Add(3, 1)
	if got := LorenzOrdinate("lorenz", 9, qz, zero, 2, 0); !math.IsNaN(got) {
		t.Errorf("zero income: L = %v, want NaN", got)
	}
	if got := LorenzOrdinate("generalized_lorenz", 9, qz, zero, 2, 0); got != -1.5 { // p = 1/2: -3 / 2
		t.Errorf("zero income: GL(1/2) = %v, want -1.5", got)
	}
	if got := LorenzOrdinate("generalized_lorenz", 19, qz, zero, 2, 0); got != 0 {
		t.Errorf("zero income: GL(1) = %v, want 0", got)
	}
	empty := indices.NewShareSums(qs)
	if got := LorenzOrdinate("generalized_lorenz", 3, qs, empty, 0, 0); !math.IsNaN(got) {
		t.Errorf("empty domain: %v, want NaN", got)
	}
	nan := slices.Repeat([]float64{math.NaN()}, len(ps)-1)
	if got := LorenzOrdinate("lorenz", 3, nan, indices.NewShareSums(nan), 2, 14); !math.IsNaN(got) {
		t.Errorf("NaN quantile: %v, want NaN", got)
	}
}

// TestLorenzLinearizedByDerivatives checks the linearized SEs of the
// curves against the derivatives of the estimators themselves: the
// ordinate of each domain (indices.GeneralizedLorenz, indices.Lorenz) is
// recomputed with one unit's weight changed, and its change per unit of
// weight is that unit's linearized variable (the ordinate is piecewise
// linear in the weights, so the difference quotient is exact but for
// rounding); their PSU totals give the variance of a stratified design
// with replacement, sum_h n_h/(n_h - 1) sum_p (y_hp - mean_h)^2, written
// out here. Real weights, 4 strata of 5 PSUs, a domain cutting across
// them.
func TestLorenzLinearizedByDerivatives(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	type unit struct {
		x, w         float64
		stratum, psu int
		region       string
	}
	var us []unit
	var b strings.Builder
	b.WriteString("income,weight,stratum,psu,region\n")
	for h := range 4 {
		for p := range 5 {
			for range 6 + rng.IntN(6) {
				u := unit{x: math.Round(math.Exp(9+0.7*rng.NormFloat64())*100) / 100, w: 1 + 4*rng.Float64(), stratum: h, psu: h*10 + p, region: []string{"a", "b"}[rng.IntN(2)]}
				us = append(us, u)
				fmt.Fprintf(&b, "%v,%v,%d,%d,%s\n", u.x, u.w, u.stratum, u.psu, u.region)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &Study{Name: "lorenz-se", Inputs: []string{path}, Income: "income", Weight: "weight", Unit: "households",
		Strata: "stratum", PSU: "psu", Domains: [][]string{{"region"}}, Indicators: []string{"lorenz", "generalized_lorenz"}, SEMethod: "linearized"}
	if err := s.Complete(); err != nil {
		t.Fatal(err)
	}
	out, err := Run(context.Background(), s, SkipHashes())
	if err != nil {
		t.Fatal(err)
	}
	ps := LorenzPoints()
	checked := 0
	for _, dom := range []string{"", "region=b"} {
		in := func(u unit) bool { return dom == "" || "region="+u.region == dom }
		ordinate := func(ind string, k int, ws []float64) float64 {
			var x, w []float64
			for i, u := range us {
				if in(u) {
					x, w = append(x, u.x), append(w, ws[i])
				}
			}
			if ind == "lorenz" {
				return indices.Lorenz(nil, ps[k:k+1], x, w)[0]
			}
			return indices.GeneralizedLorenz(nil, ps[k:k+1], x, w)[0]
		}
		ws := make([]float64, len(us))
		for i, u := range us {
			ws[i] = u.w
		}
		for _, ind := range []string{"lorenz", "generalized_lorenz"} {
			for _, k := range []int{0, 4, 9, 15, 18, 19} {
				if ind == "lorenz" && k == 19 {
					continue // L(1) = 1
				}
				base := ordinate(ind, k, ws)
				// y[psu]: the PSU totals of w z.
				y := map[int]float64{}
				for i, u := range us {
					y[u.psu] += 0 // every PSU counts, the domain's or not
					if !in(u) {
						continue
					}
					eps := 1e-6 * u.w
					ws[i] += eps
					z := (ordinate(ind, k, ws) - base) / eps
					ws[i] = u.w
					y[u.psu] += u.w * z
				}
				v := 0.0
				for h := range 4 {
					var tot []float64
					for p := range 5 {
						tot = append(tot, y[h*10+p])
					}
					mean := floats.Sum(tot) / 5
					for _, t := range tot {
						v += 5.0 / 4 * (t - mean) * (t - mean)
					}
				}
				r := lorenzAt(t, out.Results, ind, dom, ps[k])
				if math.Abs(r.Estimate-base) > 1e-12*math.Abs(base) {
					t.Errorf("%s %q p=%v: estimate %v, indices %v", ind, dom, ps[k], r.Estimate, base)
				}
				if want := math.Sqrt(v); math.Abs(r.SE-want) > 1e-4*want {
					t.Errorf("%s %q p=%v: SE %v, by the derivatives %v", ind, dom, ps[k], r.SE, want)
				}
				checked++
			}
		}
	}
	if checked != 22 {
		t.Errorf("%d rows checked", checked)
	}
}
