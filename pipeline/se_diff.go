package pipeline

import (
	"math"
	"strings"
)

// linRecord is the linearized variable of one result row, kept for the
// variances of differences: its weighted totals in the PSUs of its domain
// (psu[k], tot[k]; zero in the other PSUs) plus c times a global part (an
// estimated line's linearized variable; nil for none). method, when not
// empty, is the se_method its differences build on, when not the row's
// (the median: its row's interval is Woodruff's, its differences'
// linearized; see keepMedian).
type linRecord struct {
	psu    []int32
	tot    []float64
	c      float64
	glob   *globalPart
	method string
}

// recordAcc returns the record of variable k in domain d of acc.
func recordAcc(acc *cellAcc, k, d int, c float64, glob *globalPart) *linRecord {
	lo, hi := acc.cells.off[d], acc.cells.off[d+1]
	r := &linRecord{psu: acc.cells.psu[lo:hi], tot: make([]float64, hi-lo), c: c, glob: glob}
	for cell := lo; cell < hi; cell++ {
		r.tot[cell-lo] = acc.tot[cell*acc.m+k]
	}
	return r
}

// keep stores the record of the row (ind, line, domain d of g), when the
// study keeps records (it has a time column).
func (j *seJob) keep(ind, line string, g *grouping, d int, r *linRecord) {
	if j.records == nil {
		return
	}
	if i, ok := j.index[resultKey(ind, line, g.domain(d))]; ok {
		j.records[i] = r
	}
}

// keepRatio is keep for a ratio row.
func (j *seJob) keepRatio(name string, g *grouping, d int, r *linRecord) {
	if j.records == nil {
		return
	}
	if i, ok := j.ratioIndex[resultKey("ratio", name, g.domain(d))]; ok {
		j.records[i] = r
	}
}

// diffVariance returns the linearized variance of results[a] minus
// results[b], two estimates from the same sample (two domains, two
// periods, two lines): by linearity, the linearized variable of the
// difference is the difference of their linearized variables over the full
// sample, z = z_a - z_b, whose variance
//
//	V(z) = V(z_a) + V(z_b) - 2 Cov(z_a, z_b)
//
// takes the covariance into account: PSUs holding units of both (a panel,
// a domain and the whole population) or a shared estimated line. ok is
// false when either row has no linearized record (no linearized SE).
func (j *seJob) diffVariance(a, b int) (v float64, ok bool) {
	ra, rb := j.records[a], j.records[b]
	if ra == nil || rb == nil {
		return math.NaN(), false
	}
	sp := j.e.sparse()
	defer j.e.sparsePool.Put(sp)
	sp.Reset()
	for k, p := range ra.psu {
		sp.Add(int(p), ra.tot[k])
	}
	for k, p := range rb.psu {
		sp.Add(int(p), -rb.tot[k])
	}
	switch {
	case ra.glob == nil && rb.glob == nil:
		return sp.Variance(0, nil), true
	case rb.glob == nil:
		return sp.Variance(ra.c, ra.glob.shared), true
	case ra.glob == nil:
		return sp.Variance(-rb.c, rb.glob.shared), true
	case ra.glob == rb.glob:
		return sp.Variance(ra.c-rb.c, ra.glob.shared), true
	}
	// Two different global parts (two estimated lines): their combination
	// c_a L_a - c_b L_b, from their PSU totals.
	T := make([]float64, len(ra.glob.T))
	for p := range T {
		T[p] = ra.c*ra.glob.T[p] - rb.c*rb.glob.T[p]
	}
	return sp.Variance(1, j.e.psuLinearizer().NewShared(T)), true
}

// diffFunc returns the standard error of results[cur] - results[prev]
// for changeRows: from diffVariance, with the t quantile of the design and
// the method of the later row (of its record, when it names one); NaN and
// "unavailable" without records.
func (j *seJob) diffFunc() func(cur, prev int) (float64, float64, string) {
	return func(cur, prev int) (float64, float64, string) {
		v, ok := j.diffVariance(cur, prev)
		if !ok {
			return math.NaN(), j.e.t, "unavailable"
		}
		method := j.results[cur].SEMethod
		if m := j.records[cur].method; m != "" {
			method = m
		}
		return math.Sqrt(v), j.e.t, diffMethod(method)
	}
}

// diffMethod is the se_method of a difference of rows with method m:
// "difference" inserted before a final "line fixed", which stays last.
func diffMethod(m string) string {
	if base, ok := strings.CutSuffix(m, ", line fixed"); ok {
		return base + ", difference, line fixed"
	}
	return m + ", difference"
}

// differenceRows returns rows for differences of results of the same
// sample, with the standard error of each difference from diff
// (covariance included; diff as changeRows takes it: the linearized
// diffFunc, or the replicates' differences):
//
//   - lines: for each pair of lines A, B of the study (in study order) and
//     each row of an indicator under A, a row "<indicator>_diff" with
//     "line": "A|B", in the row's domain: estimate(A) - estimate(B);
//   - domains: for each row in a domain of a breakdown (not the whole
//     population), a row "<indicator>_vs_all": its estimate minus the
//     same indicator's (same line, ratio) for the whole population.
//
// Counts (n, population) are those of the first row. A difference is null
// where either estimate is; its SE is NaN with the method "unavailable"
// where diff has none. Rows of line values, n and existing changes and
// differences are left out.
func differenceRows(lines []Line, results []Result, diff func(a, b int) (se, t float64, method string), kinds ...string) []Result {
	index := map[string]int{}
	for i, r := range results {
		index[resultKey(r.Indicator, r.Line+"\x00"+r.Ratio, r.Domain)] = i
	}
	skip := func(r Result) bool {
		return r.Indicator == "line" || r.Indicator == "n" || strings.HasSuffix(r.Indicator, "_change") ||
			strings.HasSuffix(r.Indicator, "_diff") || strings.HasSuffix(r.Indicator, "_vs_all")
	}
	row := func(a, b int, ind, line string) Result {
		r := results[a]
		r.Indicator, r.Line = ind, line
		r.Estimate = results[a].Estimate - results[b].Estimate
		r.ExcludedN, r.ExcludedPopulation, r.Note = 0, 0, ""
		if math.IsNaN(r.Estimate) {
			r.Note = "no estimate in one of the two rows"
		}
		if r.SEMethod != "" {
			nan := math.NaN()
			r.SE, r.CILower, r.CIUpper, r.RSE, r.Deff, r.Unreliable = nan, nan, nan, nan, nan, false
			r.SEMethod = "unavailable"
			if diff != nil {
				se, t, method := diff(a, b)
				r.SE, r.SEMethod = se, method
				r.CILower, r.CIUpper = r.Estimate-t*se, r.Estimate+t*se
				r.RSE = se / math.Abs(r.Estimate)
			}
		}
		return r
	}
	var out []Result
	for _, kind := range kinds {
		switch kind {
		case "lines":
			for la := range lines {
				for lb := la + 1; lb < len(lines); lb++ {
					A, B := lines[la].Name, lines[lb].Name
					for a, r := range results {
						if r.Line != A || skip(r) {
							continue
						}
						if b, ok := index[resultKey(r.Indicator, B+"\x00"+r.Ratio, r.Domain)]; ok {
							out = append(out, row(a, b, r.Indicator+"_diff", A+"|"+B))
						}
					}
				}
			}
		case "domains":
			for a, r := range results {
				if len(r.Domain) == 0 || skip(r) {
					continue
				}
				if b, ok := index[resultKey(r.Indicator, r.Line+"\x00"+r.Ratio, nil)]; ok {
					out = append(out, row(a, b, r.Indicator+"_vs_all", r.Line))
				}
			}
		}
	}
	return out
}
