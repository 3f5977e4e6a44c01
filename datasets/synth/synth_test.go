package synth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// writeYear returns the Parquet bytes of one year.
func writeYear(t testing.TB, cfg Config, year int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteYear(&buf, cfg, year); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// generate returns the rows of one year.
func generate(t testing.TB, cfg Config, year int) []Household {
	t.Helper()
	rows, err := Generate(cfg, year)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestWriteYearDeterministic(t *testing.T) {
	cfg := Config{Households: 5000, Years: 2, Seed: 7, RowGroupSize: 1500}
	a := writeYear(t, cfg, 1)
	prev := runtime.GOMAXPROCS(1)
	b := writeYear(t, cfg, 1)
	runtime.GOMAXPROCS(max(prev, 4))
	c := writeYear(t, cfg, 1)
	runtime.GOMAXPROCS(prev)
	if !bytes.Equal(a, b) || !bytes.Equal(a, c) {
		t.Fatal("same config, different bytes across GOMAXPROCS")
	}
	cfg.Seed = 8
	if bytes.Equal(a, writeYear(t, cfg, 1)) {
		t.Fatal("different seeds, same bytes")
	}
	cfg.Seed = 7
	if bytes.Equal(a, writeYear(t, cfg, 0)) {
		t.Fatal("different years, same bytes")
	}
}

func TestFillIndependentOfChunking(t *testing.T) {
	p, err := New(Config{Households: 20000, Years: 3, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	whole := make([]Household, 20000)
	p.Fill(whole, 2, 0)
	pieces := make([]Household, 20000)
	for _, cut := range [][2]int{{0, 1}, {1, 4097}, {4097, 12345}, {12345, 20000}} {
		p.Fill(pieces[cut[0]:cut[1]], 2, cut[0])
	}
	if !slices.Equal(whole, pieces) {
		t.Fatal("rows depend on how the range is cut")
	}
}

func TestPanelConsistency(t *testing.T) {
	cfg := Config{Households: 3000, Years: 3, Seed: 11}
	years := make([][]Household, cfg.Years)
	for y := range years {
		years[y] = generate(t, cfg, y)
	}
	for y := 1; y < cfg.Years; y++ {
		changed := 0
		for i, r := range years[y] {
			r0 := years[y-1][i]
			if r.HHID != r0.HHID || r.Province != r0.Province || r.Prefecture != r0.Prefecture ||
				r.County != r0.County || r.Village != r0.Village || r.Urban != r0.Urban ||
				r.Stratum != r0.Stratum || r.PSU != r0.PSU || r.Weight != r0.Weight ||
				r.HHSize != r0.HHSize || r.Disability != r0.Disability || r.HeadFemale != r0.HeadFemale {
				t.Fatalf("year %d row %d: fixed fields changed: %+v vs %+v", y, i, r, r0)
			}
			if r.HeadAge != r0.HeadAge+1 {
				t.Fatalf("year %d row %d: head age %d after %d", y, i, r.HeadAge, r0.HeadAge)
			}
			if r.Income != r0.Income {
				changed++
			}
		}
		if changed < len(years[y])*9/10 {
			t.Errorf("year %d: only %d incomes changed", y, changed)
		}
		if r := logIncomeCorrelation(years[y-1], years[y]); r < 0.5 || r > 0.95 {
			t.Errorf("year %d: correlation of log incomes with the year before %.2f, want 0.5–0.95", y, r)
		}
	}
}

// logIncomeCorrelation is the correlation of log incomes between two years
// of the same households, over positive incomes.
func logIncomeCorrelation(a, b []Household) float64 {
	var n, sx, sy, sxx, syy, sxy float64
	for i := range a {
		if a[i].Income <= 0 || b[i].Income <= 0 {
			continue
		}
		x, y := math.Log(a[i].Income), math.Log(b[i].Income)
		n++
		sx += x
		sy += y
		sxx += x * x
		syy += y * y
		sxy += x * y
	}
	return (sxy - sx*sy/n) / math.Sqrt((sxx-sx*sx/n)*(syy-sy*sy/n))
}

func TestHierarchyFullScale(t *testing.T) {
	p, err := New(Config{Households: 2_000_000})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, pr := range Provinces() {
		want += pr.Counties
	}
	if len(p.counties) != want {
		t.Errorf("%d counties, want %d", len(p.counties), want)
	}
	if n := len(p.villages); n < 90_000 || n > 110_000 {
		t.Errorf("%d villages, want about 100,000 (20 households each)", n)
	}
	checkIDs(t, p)
}

func TestHierarchySmall(t *testing.T) {
	p, err := New(Config{Households: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.counties); n < 80 || n > 120 {
		t.Errorf("%d counties for 1000 households, want about 90", n)
	}
	perProvince := map[int32]int{}
	for _, c := range p.counties {
		perProvince[c.province]++
	}
	for _, pr := range Provinces() {
		if n := perProvince[int32(pr.Code)]; n < min(3, pr.Counties) {
			t.Errorf("%s: %d counties", pr.Name, n)
		}
	}
	psus := map[int][2]int{} // stratum index → rural, urban PSU counts
	for _, v := range p.villages {
		s := p.stratumIndex(v) / 2
		c := psus[s]
		c[b2i(v.urban)]++
		psus[s] = c
	}
	for s, c := range psus {
		if c[0]+c[1] >= 4 && (c[0] < 2 || c[1] < 2) {
			t.Errorf("province %d: %d rural and %d urban PSUs", s+1, c[0], c[1])
		}
	}
	checkIDs(t, p)
}

// checkIDs checks that ids are unique and nested.
func checkIDs(t *testing.T, p *Panel) {
	t.Helper()
	counties := map[int32]bool{}
	for _, c := range p.counties {
		if counties[c.id] {
			t.Fatalf("duplicate county %d", c.id)
		}
		counties[c.id] = true
		if c.id/100 != c.prefecture || c.prefecture/100 != c.province || c.province < 1 || c.province > 31 {
			t.Fatalf("county %d, prefecture %d, province %d not nested", c.id, c.prefecture, c.province)
		}
	}
	for i, v := range p.villages {
		if i > 0 && v.id <= p.villages[i-1].id {
			t.Fatalf("village ids not increasing at %d", i)
		}
		if v.id/1_000_000 != int64(p.counties[v.county].id) {
			t.Fatalf("village %d not in county %d", v.id, p.counties[v.county].id)
		}
		if p.villageSize(i) < 1 {
			t.Fatalf("village %d is empty", v.id)
		}
	}
}

// sample is a year of rows with person weights (weight × hh_size).
type sample struct {
	rows []Household
	w    []float64
}

func newSample(rows []Household) sample {
	w := make([]float64, len(rows))
	for i, r := range rows {
		w[i] = r.Weight * float64(r.HHSize)
	}
	return sample{rows, w}
}

// median is the person-weighted median income of the rows that keep says.
func (s sample) median(keep func(Household) bool) float64 {
	var idx []int
	var total float64
	for i, r := range s.rows {
		if keep(r) {
			idx = append(idx, i)
			total += s.w[i]
		}
	}
	sort.Slice(idx, func(a, b int) bool { return s.rows[idx[a]].Income < s.rows[idx[b]].Income })
	var c float64
	for _, i := range idx {
		if c += s.w[i]; c >= total/2 {
			return s.rows[i].Income
		}
	}
	return math.NaN()
}

// mean is the person-weighted mean of f over the rows that keep says.
func (s sample) mean(keep func(Household) bool, f func(Household) float64) float64 {
	var sw, sx float64
	for i, r := range s.rows {
		if keep(r) {
			sw += s.w[i]
			sx += s.w[i] * f(r)
		}
	}
	return sx / sw
}

func all(Household) bool         { return true }
func urban(r Household) bool     { return r.Urban }
func rural(r Household) bool     { return !r.Urban }
func income(r Household) float64 { return r.Income }

func within(t *testing.T, name string, got, lo, hi float64) {
	t.Helper()
	if !(got >= lo && got <= hi) {
		t.Errorf("%s = %.4g, want %.4g–%.4g", name, got, lo, hi)
	}
}

func TestShares(t *testing.T) {
	s := newSample(generate(t, Config{Households: 50000, Seed: 5}, 0))
	var sumW, sumSize, sumWSize float64
	for _, r := range s.rows {
		if !(r.Weight > 0) {
			t.Fatalf("household %d: weight %v", r.HHID, r.Weight)
		}
		if r.HHSize != r.NAdults+r.NChildren+r.NElderly || r.HHSize < 1 {
			t.Fatalf("household %d: size %d ≠ %d+%d+%d", r.HHID, r.HHSize, r.NAdults, r.NChildren, r.NElderly)
		}
		if r.Labour < 0 || r.Labour > r.NAdults+r.NElderly {
			t.Fatalf("household %d: %d workers", r.HHID, r.Labour)
		}
		sumW += r.Weight
		sumSize += float64(r.HHSize)
		sumWSize += r.Weight * float64(r.HHSize)
	}
	n := float64(len(s.rows))
	within(t, "mean hh_size", sumSize/n, 2.6, 3.2)
	within(t, "weighted mean hh_size", sumWSize/sumW, 2.6, 3.2)
	within(t, "total households (millions)", sumW/1e6, 480, 510)
	within(t, "total persons (billions)", sumWSize/1e9, 1.38, 1.44)
	isUrban := func(r Household) float64 { return float64(b2i(r.Urban)) }
	within(t, "urban share of persons", s.mean(all, isUrban), 0.60, 0.68)
	share := func(f func(Household) bool) float64 {
		k := 0
		for _, r := range s.rows {
			if f(r) {
				k++
			}
		}
		return float64(k) / n
	}
	within(t, "elderly-alone share", share(func(r Household) bool { return r.ElderlyAlone }), 0.08, 0.18)
	within(t, "illness share", share(func(r Household) bool { return r.Illness }), 0.05, 0.20)
	within(t, "disability share", share(func(r Household) bool { return r.Disability }), 0.02, 0.08)
	within(t, "transfer recipient share", share(func(r Household) bool { return r.Transfers > 0 }), 0.10, 0.50)
}

func TestIncomeDistribution(t *testing.T) {
	s := newSample(generate(t, Config{Households: 50000, Seed: 5}, 0))
	med := s.median(all)
	within(t, "national median", med, 25000, 35000)
	within(t, "urban median", s.median(urban), 38000, 50000)
	within(t, "rural median", s.median(rural), 14000, 20000)
	within(t, "urban/rural ratio of means", s.mean(urban, income)/s.mean(rural, income), 2.2, 3.0)
	for _, c := range []struct{ share, lo, hi float64 }{{0.4, 0.10, 0.20}, {0.5, 0.15, 0.27}, {0.6, 0.20, 0.35}} {
		poor := func(r Household) float64 { return float64(b2i(r.Income < c.share*med)) }
		within(t, fmt.Sprintf("headcount at %.0f%% of the median", 100*c.share), s.mean(all, poor), c.lo, c.hi)
	}
	// Provinces: means in the configured order (rank correlation), the
	// richest and poorest at the ends.
	ps := Provinces()
	got := make([]float64, len(ps))
	want := make([]float64, len(ps))
	for i, pr := range ps {
		code := int32(pr.Code)
		got[i] = s.mean(func(r Household) bool { return r.Province == code }, income)
		want[i] = pr.Income
	}
	within(t, "rank correlation of province means", spearman(got, want), 0.9, 1)
	rank := ranks(got)
	for _, name := range []string{"Shanghai", "Beijing"} {
		if i := provinceIndex(ps, name); rank[i] < float64(len(ps)-2) {
			t.Errorf("%s ranks %v of %d", name, rank[i]+1, len(ps))
		}
	}
	if i := provinceIndex(ps, "Gansu"); rank[i] > 3 {
		t.Errorf("Gansu ranks %v of %d", rank[i]+1, len(ps))
	}
}

func provinceIndex(ps []Province, name string) int {
	return slices.IndexFunc(ps, func(p Province) bool { return p.Name == name })
}

// ranks returns the 0-based ranks of x (no ties expected).
func ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for k, i := range idx {
		r[i] = float64(k)
	}
	return r
}

func spearman(x, y []float64) float64 {
	rx, ry := ranks(x), ranks(y)
	var d2 float64
	for i := range rx {
		d2 += (rx[i] - ry[i]) * (rx[i] - ry[i])
	}
	n := float64(len(x))
	return 1 - 6*d2/(n*(n*n-1))
}

func TestNonPositiveIncomes(t *testing.T) {
	rows := generate(t, Config{Households: 200000, Seed: 9}, 0)
	k := 0
	for _, r := range rows {
		if r.Income <= 0 {
			k++
			if r.Transfers != 0 || r.HHIncome != r.Income*float64(r.HHSize) {
				t.Fatalf("loss household %+v", r)
			}
		}
	}
	within(t, "zero or negative incomes per 10,000", float64(k)/20, 1, 20)
}

func TestDisasterAndRecovery(t *testing.T) {
	cfg := Config{Households: 50000, Years: 3, Seed: 2}
	y := [3][]Household{generate(t, cfg, 0), generate(t, cfg, 1), generate(t, cfg, 2)}
	var hit, other [2]struct{ sum, n float64 }
	for i := range y[0] {
		if y[0][i].Income <= 0 || y[1][i].Income <= 0 || y[2][i].Income <= 0 || y[0][i].Disaster || y[2][i].Disaster {
			continue
		}
		g := &other
		if y[1][i].Disaster {
			g = &hit
		}
		for k := range 2 {
			g[k].sum += math.Log(y[k+1][i].Income / y[k][i].Income)
			g[k].n++
		}
	}
	if hit[0].n < 200 {
		t.Fatalf("only %v households hit in year 1 alone", hit[0].n)
	}
	fall := hit[0].sum/hit[0].n - other[0].sum/other[0].n
	recover := hit[1].sum/hit[1].n - other[1].sum/other[1].n
	if fall > -0.2 || recover < 0.1 {
		t.Errorf("disaster: log income change relative to others %.3f in the year hit, %.3f the year after", fall, recover)
	}
}

func TestPovertyExitsAndReentries(t *testing.T) {
	cfg := Config{Households: 20000, Years: 4, Seed: 4}
	poor := make([][]bool, cfg.Years)
	for y := range poor {
		s := newSample(generate(t, cfg, y))
		z := 0.5 * s.median(all)
		poor[y] = make([]bool, len(s.rows))
		for i, r := range s.rows {
			poor[y][i] = r.Income < z
		}
	}
	var exits, reentries, persistent int
	for i := range poor[0] {
		if poor[0][i] && !poor[1][i] {
			exits++
			if poor[2][i] || poor[3][i] {
				reentries++
			}
		}
		if poor[0][i] && poor[1][i] && poor[2][i] && poor[3][i] {
			persistent++
		}
	}
	if exits < 200 || reentries < 50 || persistent < 200 {
		t.Errorf("exits %d, re-entries %d, always poor %d", exits, reentries, persistent)
	}
}

func TestSchema(t *testing.T) {
	cfg := Config{Households: 3000, Seed: 1, RowGroupSize: 1000}
	data := writeYear(t, cfg, 0)
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if f.NumRows() != 3000 || len(f.RowGroups()) != 3 {
		t.Errorf("%d rows in %d row groups, want 3000 in 3", f.NumRows(), len(f.RowGroups()))
	}
	want := map[string]parquet.Kind{
		"hh_id": parquet.Int64, "province": parquet.Int32, "prefecture": parquet.Int32,
		"county": parquet.Int32, "village": parquet.Int64, "urban": parquet.Boolean,
		"hh_size": parquet.Int32, "n_adults": parquet.Int32, "n_children": parquet.Int32,
		"n_elderly": parquet.Int32, "head_age": parquet.Int32, "head_female": parquet.Boolean,
		"illness": parquet.Boolean, "disability": parquet.Boolean, "elderly_alone": parquet.Boolean,
		"disaster": parquet.Boolean, "labour": parquet.Int32, "transfers": parquet.Double,
		"health_exp": parquet.Double, "income": parquet.Double, "weight": parquet.Double,
		"stratum": parquet.Int32, "psu": parquet.Int64, "hh_income": parquet.Double,
	}
	fields := f.Schema().Fields()
	if len(fields) != len(want) {
		t.Errorf("%d columns, want %d", len(fields), len(want))
	}
	for _, fd := range fields {
		k, ok := want[fd.Name()]
		switch {
		case !ok:
			t.Errorf("unexpected column %q", fd.Name())
		case !fd.Leaf() || !fd.Required() || fd.Type().Kind() != k:
			t.Errorf("column %q: %v required=%v, want required %v", fd.Name(), fd.Type(), fd.Required(), k)
		}
	}
	got, err := parquet.Read[Household](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, generate(t, cfg, 0)) {
		t.Error("rows read back differ from Generate")
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Households: 500, Years: 2, FirstYear: 2018, Seed: 1}
	paths, err := Write(context.Background(), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(dir, "year=2018", FileName),
		filepath.Join(dir, "year=2019", FileName),
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("paths %q, want %q", paths, want)
	}
	for y, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, writeYear(t, cfg, y)) {
			t.Errorf("%s differs from WriteYear", path)
		}
	}
	checkNoTemp(t, dir)
}

func TestWriteCancelled(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Write(ctx, dir, Config{Households: 500, Seed: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "year=2020", FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cancelled run left a file: %v", err)
	}
	checkNoTemp(t, dir)
}

// checkNoTemp fails if a temporary file is left under dir.
func checkNoTemp(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", path)
		}
		return err
	})
}

func TestConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		Name string
		cfg  Config
		year int
	}{
		{"too few households", Config{Households: 30}, 0},
		{"negative years", Config{Households: 100, Years: -1}, 0},
		{"too many years", Config{Households: 100, Years: MaxYears + 1}, 0},
		{"negative row group", Config{Households: 100, RowGroupSize: -1}, 0},
		{"year index past the end", Config{Households: 100, Years: 2}, 2},
		{"negative year index", Config{Households: 100}, -1},
	} {
		t.Run(tt.Name, func(t *testing.T) {
			if err := WriteYear(io.Discard, tt.cfg, tt.year); !errors.Is(err, ErrConfig) {
				t.Errorf("WriteYear: %v, want ErrConfig", err)
			}
			if _, err := Generate(tt.cfg, tt.year); !errors.Is(err, ErrConfig) {
				t.Errorf("Generate: %v, want ErrConfig", err)
			}
		})
	}
}

func TestFillPanics(t *testing.T) {
	p, err := New(Config{Households: 100, Years: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		Name        string
		n, year, at int
	}{
		{"year", 10, 2, 0},
		{"negative first", 10, 0, -1},
		{"past the end", 10, 0, 95},
	} {
		t.Run(tt.Name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			p.Fill(make([]Household, tt.n), tt.year, tt.at)
		})
	}
}

func TestApportion(t *testing.T) {
	for _, tt := range []struct {
		total int
		w     []float64
		lo    int
		want  []int
	}{
		{10, []float64{1, 1, 1}, 0, []int{4, 3, 3}},
		{10, []float64{0, 0, 0}, 1, []int{4, 3, 3}},
		{7, []float64{3, 1}, 1, []int{5, 2}},
		{5, []float64{1, 1, 1, 1, 1}, 1, []int{1, 1, 1, 1, 1}},
	} {
		if got := apportion(tt.total, tt.w, tt.lo); !slices.Equal(got, tt.want) {
			t.Errorf("apportion(%d, %v, %d) = %v, want %v", tt.total, tt.w, tt.lo, got, tt.want)
		}
	}
}

func ExampleGenerate() {
	rows, err := Generate(Config{Households: 1000, Seed: 42}, 0)
	if err != nil {
		panic(err)
	}
	first, last := rows[0], rows[len(rows)-1]
	fmt.Println(len(rows), first.HHID, first.Province, last.HHID, last.Province)
	// Output: 1000 1 1 1000 31
}

func BenchmarkWriteYear(b *testing.B) {
	p, err := New(Config{Households: 1_000_000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := p.WriteYear(context.Background(), io.Discard, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/household")
}

func BenchmarkFill(b *testing.B) {
	p, err := New(Config{Households: 1_000_000, Years: 5, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]Household, 1_000_000)
	for _, year := range []int{0, 4} {
		b.Run(fmt.Sprintf("year%d", year), func(b *testing.B) {
			for b.Loop() {
				p.Fill(rows, year, 0)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/household")
		})
	}
}
