package pipeline

import (
	"math"
	"slices"
	"strings"
)

// Spearman returns Spearman's rank correlation of x and y: the Pearson
// correlation of their ranks, tied values getting the mean of their ranks,
//
//	rho = sum_i {(r_i - rbar)(s_i - sbar)} / sqrt(sum_i {(r_i - rbar)^2} sum_i {(s_i - sbar)^2})
//
// It is NaN when there are fewer than 2 pairs or either side is constant.
// It panics if the lengths differ. Reference: Spearman (1904), "The proof
// and measurement of association between two things".
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) {
		panic("pipeline: slice length mismatch")
	}
	if len(x) < 2 {
		return math.NaN()
	}
	r, s := ranks(x), ranks(y)
	n := float64(len(x))
	mean := (n + 1) / 2
	var sxy, sxx, syy float64
	for i := range r {
		a, b := r[i]-mean, s[i]-mean
		sxy += a * b
		sxx += a * a
		syy += b * b
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// ranks returns the 1-based ranks of x, ties at their mean rank.
func ranks(x []float64) []float64 {
	idx := radixOrder(x) // increasing, ties in index order
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && x[idx[j]] == x[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // mean of ranks i+1..j
		for k := i; k < j; k++ {
			r[idx[k]] = mid
		}
		i = j
	}
	return r
}

// rankSeries is the headcount of every group of one breakdown under one
// line (or one point of a sweep).
type rankSeries struct {
	line string
	at   *float64
	h    map[string]float64 // domain text -> headcount
	pop  map[string]float64
}

// rankRows are the rank_correlation rows of one breakdown (cols), from the
// headcount rows already in results: for each pair of named lines A, B in
// order, Line "A|B"; for each sweep, every point against the first point,
// Line the sweep's name and At the point. Cell names the breakdown's
// columns. Domains without a headcount under either line are left out.
func rankRows(results []Result, cols []string, lineNames []string, sweeps []Sweep) []Result {
	key := strings.Join(cols, ",")
	inBreakdown := func(r Result) bool {
		if len(r.Domain) != len(cols) {
			return false
		}
		for i, d := range r.Domain {
			if d.Column != cols[i] {
				return false
			}
		}
		return true
	}
	series := func(line string, at *float64) rankSeries {
		s := rankSeries{line: line, at: at, h: map[string]float64{}, pop: map[string]float64{}}
		for _, r := range results {
			if r.Indicator != "headcount" || r.Line != line || !inBreakdown(r) || (at == nil) != (r.At == nil) || (at != nil && *at != *r.At) {
				continue
			}
			if !math.IsNaN(r.Estimate) {
				d := domainKey(r.Domain)
				s.h[d], s.pop[d] = r.Estimate, r.Population
			}
		}
		return s
	}
	row := func(a, b rankSeries, line string, at *float64) Result {
		var x, y []float64
		var pop float64
		for _, d := range sortedKeys(a.h) {
			if hb, ok := b.h[d]; ok {
				x, y = append(x, a.h[d]), append(y, hb)
				pop += a.pop[d]
			}
		}
		r := Result{Indicator: "rank_correlation", Line: line, At: at, Cell: key, Estimate: Spearman(x, y), N: len(x), Population: pop}
		if math.IsNaN(r.Estimate) {
			r.Note = "fewer than 2 domains, or every domain has the same headcount"
		}
		return r
	}
	var out []Result
	named := make([]rankSeries, len(lineNames))
	for i, l := range lineNames {
		named[i] = series(l, nil)
	}
	for a := range named {
		for b := a + 1; b < len(named); b++ {
			out = append(out, row(named[a], named[b], lineNames[a]+"|"+lineNames[b], nil))
		}
	}
	for _, sw := range sweeps {
		pts := sw.Points()
		first := series(sw.Name, &pts[0])
		for k := range pts {
			out = append(out, row(first, series(sw.Name, &pts[k]), sw.Name, &pts[k]))
		}
	}
	return out
}

func domainKey(d []DomainValue) string {
	var b strings.Builder
	for _, v := range d {
		b.WriteString(v.Column + "\x00" + v.Value + "\x00")
	}
	return b.String()
}

func sortedKeys(m map[string]float64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
