package pipeline

import (
	"math"
	"slices"
	"strings"

	"github.com/povstat/povstat/indices"
)

// seJob holds what the standard errors of one study need.
type seJob struct {
	s       *Study
	u       *units
	p       *plan
	e       *varEngine
	order   []int32 // units sorted by income
	strata  []int32 // stratum of each unit
	lonely  indices.Lonely
	results []Result

	ratioIndex  map[string]int // ratio rows by (indicator, ratio, domain)
	lineRefs    map[*lineValues]*lineRef
	memberCache map[string]*domainMembers
}

// addStandardErrors fills SE, interval, RSE, design effect and method of
// every result that has a linearized form; the others get the method
// "unavailable". Linearized variables follow R convey; the median's interval
// is Woodruff's, as R survey's svyquantile.
func addStandardErrors(j *seJob, lines []*lineValues, results []Result) {
	j.results = results
	j.lineRefs = map[*lineValues]*lineRef{}
	j.memberCache = map[string]*domainMembers{}
	j.strata = make([]int32, len(j.u.x))
	for i, p := range j.e.psu {
		j.strata[i] = j.e.stratumOf[p]
	}
	j.lonely, _ = indices.ParseLonely(j.s.Lonely) // checked by Complete
	index := map[string]int{}
	j.ratioIndex = map[string]int{}
	for i, r := range results {
		index[resultKey(r.Indicator, r.Line, r.Domain)] = i
		if r.Ratio != "" {
			j.ratioIndex[resultKey(r.Indicator, r.Ratio, r.Domain)] = i
		}
		results[i].SEMethod = "unavailable"
		results[i].SE, results[i].CILower, results[i].CIUpper = math.NaN(), math.NaN(), math.NaN()
		results[i].RSE, results[i].Deff = math.NaN(), math.NaN()
	}
	set := func(ind, line string, g *grouping, d int, est, v, vsrs float64, method string) {
		i, ok := index[resultKey(ind, line, g.domain(d))]
		if !ok {
			return
		}
		r := &results[i]
		se := math.Sqrt(v)
		r.SE, r.SEMethod = se, method
		r.CILower, r.CIUpper = j.e.interval(est, se)
		r.RSE = se / math.Abs(est)
		if vsrs > 0 {
			r.Deff = v / vsrs
		}
		r.Unreliable = j.s.RSELimit > 0 && r.RSE > j.s.RSELimit
	}
	for _, cols := range append([][]string{nil}, j.s.Domains...) {
		g := j.p.groupings[colsKey(cols)]
		st := j.p.stats[statsRequest{cols: cols}.key()]
		j.baseErrors(g, st, set, results, index)
		for _, lv := range lines {
			j.lineErrors(g, st, lv, set)
		}
		j.influenceErrors(g, lines, set, index)
		j.ratioErrors(g, set)
	}
	for _, lv := range lines {
		j.lineValueErrors(lv, results, index)
	}
}

func resultKey(ind, line string, dom []DomainValue) string {
	var b strings.Builder
	b.WriteString(ind + "\x00" + line)
	for _, d := range dom {
		b.WriteString("\x00" + d.Column + "=" + d.Value)
	}
	return b.String()
}

type setFunc func(ind, line string, g *grouping, d int, est, v, vsrs float64, method string)

// baseErrors: population (a total), mean (a ratio of totals) and median
// (Woodruff's interval).
func (j *seJob) baseErrors(g *grouping, st *groupStats, set setFunc, results []Result, index map[string]int) {
	u, k := j.u, g.size()
	method := j.e.methodName()
	ones := make([]float64, len(u.x))
	for i := range ones {
		ones[i] = 1
	}
	members := j.members(g)
	v, vs := j.e.domainVariances(members, u.w, linVar{a: ones})
	for d := 0; d < k; d++ {
		set("population", "", g, d, st.pop[d], v[d], vs[d], method)
	}
	a := make([]float64, len(u.x))
	for i, d := range g.codes {
		a[i] = (u.x[i] - st.income[d]/st.pop[d]) / st.pop[d]
	}
	v, vs = j.e.domainVariances(members, u.w, linVar{a: a})
	for d := 0; d < k; d++ {
		set("mean", "", g, d, st.income[d]/st.pop[d], v[d], vs[d], method)
	}
	if _, ok := index[resultKey("median", "", g.domain(0))]; !ok {
		return
	}
	for d := 0; d < k; d++ {
		i, ok := index[resultKey("median", "", g.domain(d))]
		if !ok {
			continue
		}
		des := j.domainDesign(g, d)
		q, lo, hi, se := indices.WoodruffInterval(des, u.x, 0.5, j.s.Level)
		set("median", "", g, d, q, se*se, math.NaN(), "woodruff, "+method)
		results[i].CILower, results[i].CIUpper = lo, hi
	}
}

// domainDesign is the design with weights zero outside domain d of g.
func (j *seJob) domainDesign(g *grouping, d int) indices.Design {
	w := make([]float64, len(j.u.w))
	for i, c := range g.codes {
		if int(c) == d {
			w[i] = j.u.w[i]
		}
	}
	return indices.Design{Strata: j.strata, PSU: j.e.psu, Weights: w, FPC: j.u.fpcOrNil(), Lonely: j.lonely}
}

// influenceErrors: the indicators whose influence functions indices
// provides, computed per domain over the full design with weights zero
// outside the domain: Gini, Theil, GE, Atkinson, QSR; and, for each line,
// Sen (line fixed) and RMPG (with a national median line's own variance,
// as convey's svyrmpg).
func (j *seJob) influenceErrors(g *grouping, lines []*lineValues, set setFunc, index map[string]int) {
	u, k := j.u, g.size()
	method := j.e.methodName()
	var inds []indicator
	for _, name := range j.s.Indicators {
		if ind, ok := parseIndicator(name); ok && ind.family == familyInequality && ind.groups == 0 && name != "palma" {
			inds = append(inds, ind)
		}
	}
	wantSen, wantRMPG := slices.Contains(j.s.Indicators, "sen"), slices.Contains(j.s.Indicators, "rmpg")
	if len(inds) == 0 && !wantSen && !wantRMPG {
		return
	}
	refLines := make([]indices.Line, len(lines))
	for l, lv := range lines {
		refLines[l] = j.referenceLine(lv)
	}
	infl := make([]float64, len(u.x))
	// The influence functions are computed with weights zero outside the
	// domain, so their local part vanishes there, but an estimated line's
	// part covers its whole reference population: the variance takes the
	// full design's weights (convey's svyrecvar(lin/prob, full design)).
	full, srs := j.e.units(u.w)
	for d := 0; d < k; d++ {
		des := j.domainDesign(g, d)
		estimate := func(ind, line string, value float64, infl []float64, m string) {
			v := full.Linearized(infl).SE
			vs := srs.Linearized(infl).SE
			set(ind, line, g, d, value, v*v, vs*vs, m)
		}
		for _, ind := range inds {
			if _, ok := index[resultKey(ind.name, "", g.domain(d))]; !ok {
				continue
			}
			switch {
			case ind.name == "gini":
				infl = indices.GiniInfluence(infl, u.x, des.Weights)
			case ind.name == "theil_t":
				infl = indices.GEInfluence(infl, u.x, des.Weights, 1)
			case ind.name == "theil_l":
				infl = indices.GEInfluence(infl, u.x, des.Weights, 0)
			case ind.name == "qsr":
				infl = indices.QSRInfluence(infl, u.x, des.Weights)
			case strings.HasPrefix(ind.name, "ge_"):
				infl = indices.GEInfluence(infl, u.x, des.Weights, ind.param)
			case strings.HasPrefix(ind.name, "atkinson_"):
				infl = indices.AtkinsonInfluence(infl, u.x, des.Weights, ind.param)
			default:
				continue
			}
			estimate(ind.name, "", j.resultValue(ind.name, "", g, d, index), infl, method)
		}
		for l, lv := range lines {
			z := lv.values[0]
			single := len(lv.line.By) == 0
			if wantRMPG && single {
				infl = indices.RMPGInfluence(infl, u.x, des.Weights, refLines[l])
				m := method
				if refLines[l].Infl == nil {
					m += ", line fixed"
				}
				estimate("rmpg", lv.line.Name, j.resultValue("rmpg", lv.line.Name, g, d, index), infl, m)
			}
			if wantSen && single {
				infl = indices.SenInfluence(infl, u.x, des.Weights, z)
				estimate("sen", lv.line.Name, j.resultValue("sen", lv.line.Name, g, d, index), infl, method+", line fixed")
			}
		}
	}
}

// ratioErrors: the ratio R = mean_A / mean_B of two groups' mean incomes in
// every domain, a smooth function of four totals, with linearized variable
//
//	z_i = R ([i in A] (x_i - mean_A) / Y_A - [i in B] (x_i - mean_B) / Y_B)
//
// over the domain's units (Y_A, Y_B the groups' weighted income totals).
func (j *seJob) ratioErrors(g *grouping, set setFunc) {
	u, k := j.u, g.size()
	for _, ratio := range j.s.Ratios {
		f := u.factors[ratio.Column]
		num, den := int32(-1), int32(-1)
		for c, lev := range f.levels {
			switch lev {
			case ratio.Numerator:
				num = int32(c)
			case ratio.Denominator:
				den = int32(c)
			}
		}
		NA, YA, NB, YB := make([]float64, k), make([]float64, k), make([]float64, k), make([]float64, k)
		for i, d := range g.codes {
			switch f.codes[i] {
			case num:
				NA[d] += u.w[i]
				YA[d] += u.w[i] * u.x[i]
			case den:
				NB[d] += u.w[i]
				YB[d] += u.w[i] * u.x[i]
			}
		}
		a := make([]float64, len(u.x))
		for i, d := range g.codes {
			r := (YA[d] / NA[d]) / (YB[d] / NB[d])
			switch f.codes[i] {
			case num:
				a[i] = r * (u.x[i] - YA[d]/NA[d]) / YA[d]
			case den:
				a[i] = -r * (u.x[i] - YB[d]/NB[d]) / YB[d]
			}
			if math.IsNaN(a[i]) || math.IsInf(a[i], 0) {
				a[i] = 0
			}
		}
		v, vs := j.e.domainVariances(j.members(g), u.w, linVar{a: a})
		for d := 0; d < k; d++ {
			est := (YA[d] / NA[d]) / (YB[d] / NB[d])
			if math.IsNaN(est) || math.IsInf(est, 0) {
				continue
			}
			j.setRatio(ratio.String(), g, d, est, v[d], vs[d])
		}
	}
}

// setRatio fills the SE of a ratio row (rows are keyed by their ratio, not
// a line).
func (j *seJob) setRatio(name string, g *grouping, d int, est, v, vs float64) {
	i, ok := j.ratioIndex[resultKey("ratio", name, g.domain(d))]
	if !ok {
		return
	}
	r := &j.results[i]
	se := math.Sqrt(v)
	r.SE, r.SEMethod = se, j.e.methodName()
	r.CILower, r.CIUpper = j.e.interval(est, se)
	r.RSE = se / math.Abs(est)
	if vs > 0 {
		r.Deff = v / vs
	}
	r.Unreliable = j.s.RSELimit > 0 && r.RSE > j.s.RSELimit
}

// referenceLine is a national line as indices sees it: with the
// influence function of a median line over its reference units, fixed
// otherwise.
func (j *seJob) referenceLine(lv *lineValues) indices.Line {
	l := lv.line
	if len(l.By) > 0 {
		return indices.Line{}
	}
	if l.Basis != "median" {
		return indices.Line{Z: lv.values[0]}
	}
	ref, err := whereMask(j.u, l)
	if err != nil {
		return indices.Line{Z: lv.values[0]}
	}
	w := j.u.w
	if ref != nil {
		w = make([]float64, len(j.u.w))
		for i, in := range ref {
			if in {
				w[i] = j.u.w[i]
			}
		}
	}
	return indices.RelativeLine(nil, j.u.x, w, 0.5, l.Value)
}

// resultValue is the estimate of a result row, NaN when absent.
func (j *seJob) resultValue(ind, line string, g *grouping, d int, index map[string]int) float64 {
	if i, ok := index[resultKey(ind, line, g.domain(d))]; ok {
		return j.results[i].Estimate
	}
	return math.NaN()
}

// woodruff inverts the interval p ± t se(F) of the CDF at the quantile
// through the quantile function (qrule "math"): the interval and the SE
// (upper - lower)/(2 t) that R survey reports.
func (j *seJob) woodruff(xs, ws []float64, p, seF float64) (lo, hi, se float64) {
	pl, ph := math.Max(p-j.e.t*seF, 0), math.Min(p+j.e.t*seF, 1)
	lo, hi = indices.QuantileSorted(pl, xs, ws), indices.QuantileSorted(ph, xs, ws)
	return lo, hi, (hi - lo) / (2 * j.e.t)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// lineErrors: the poverty indicators of one line. The headcount under a
// national relative line includes the line's own sampling variance (R
// convey's svyarpr: the density of the domain's incomes at the line times
// the linearized line); the other indicators, and every indicator under an
// absolute or a grouped line, hold the line fixed.
func (j *seJob) lineErrors(g *grouping, st *groupStats, lv *lineValues, set setFunc) {
	u, k := j.u, g.size()
	n := len(u.x)
	name := lv.line.Name
	fixed := j.e.methodName() + ", line fixed"
	var sums = make([]indices.PovertySums, k)
	for i, d := range g.codes {
		if z := lv.z[i]; !math.IsNaN(z) {
			sums[d].Add(u.x[i], u.w[i], z)
		}
	}
	run := func(ind string, a []float64, value func(s indices.PovertySums) float64, lin *linVar, method string) {
		lv := linVar{a: a}
		if lin != nil {
			lv = *lin
		}
		v, vs := j.e.domainVariances(j.members(g), u.w, lv)
		for d := 0; d < k; d++ {
			set(ind, name, g, d, value(sums[d]), v[d], vs[d], method)
		}
	}
	a := make([]float64, n)
	// Headcount.
	for i, d := range g.codes {
		a[i] = (b2f(u.x[i] < lv.z[i]) - sums[d].Headcount()) / sums[d].Pop
	}
	if lin, ok := j.estimatedLine(g, lv, a); ok {
		run("headcount", nil, indices.PovertySums.Headcount, &lin, j.e.methodName())
	} else {
		run("headcount", a, indices.PovertySums.Headcount, nil, fixed)
	}
	for _, m := range []struct {
		ind   string
		alpha float64
		value func(indices.PovertySums) float64
	}{{"gap", 1, indices.PovertySums.Gap}, {"severity", 2, indices.PovertySums.Severity}} {
		for i, d := range g.codes {
			z, x := lv.z[i], u.x[i]
			gi := 0.0
			if x < z {
				gi = math.Pow((z-x)/z, m.alpha)
			}
			a[i] = (gi - m.value(sums[d])) / sums[d].Pop
		}
		run(m.ind, a, m.value, nil, fixed)
	}
	for i, d := range g.codes {
		z, x := lv.z[i], u.x[i]
		a[i] = 0
		if x > 0 {
			l := 0.0
			if x < z {
				l = math.Log(z / x)
			}
			a[i] = (l - sums[d].Watts()) / sums[d].WattsPop
		}
	}
	run("watts", a, indices.PovertySums.Watts, nil, fixed)
	for i := range a {
		a[i] = b2f(u.x[i] < lv.z[i])
	}
	run("poor_population", a, func(s indices.PovertySums) float64 { return s.Poor }, nil, fixed)
	for i := range a {
		a[i] = math.Max(lv.z[i]-u.x[i], 0)
	}
	run("gap_total", a, func(s indices.PovertySums) float64 { return s.GapMoney }, nil, fixed)
}

// estimatedLine returns the linearized variable of the headcount under a
// national relative line z = f * stat(R) over the reference units R: the
// local part a plus c_d L, with L the linearized statistic of R and c_d the
// density of domain d's incomes at z times dz/dstat (R convey's svyarpr;
// Osier 2009). ok is false for absolute and grouped lines.
func (j *seJob) estimatedLine(g *grouping, lv *lineValues, a []float64) (linVar, bool) {
	l := lv.line
	if l.Basis == "abs" || len(l.By) > 0 {
		return linVar{}, false
	}
	ref := j.lineReference(lv)
	if ref == nil {
		return linVar{}, false
	}
	members := j.members(g)
	c := make([]float64, g.size())
	xs, ws := make([]float64, 0), make([]float64, 0)
	for d := range c {
		xs, ws = xs[:0], ws[:0]
		for _, i := range members.idx[members.off[d]:members.off[d+1]] {
			xs, ws = append(xs, j.u.x[i]), append(ws, j.u.w[i])
		}
		c[d] = indices.KernelDensity(xs, ws, lv.values[0], ref.h) * ref.scale
	}
	return linVar{a: a, c: c, L: ref.L}, true
}

// lineRef is what the headcount of every domain needs of a national
// relative line: the linearized statistic L of its reference units, the
// factor dz/dstat times the statistic's linearization constant, and the
// bandwidth of the reference units (for the density of a domain's incomes
// at the line, as convey's svyarpr on a subset).
type lineRef struct {
	L     []float64
	scale float64
	h     float64
}

// lineReference computes (once per line) the lineRef of a national
// relative line; nil when the reference population is undefined.
func (j *seJob) lineReference(lv *lineValues) *lineRef {
	if r, ok := j.lineRefs[lv]; ok {
		return r
	}
	u, l := j.u, lv.line
	z := lv.values[0]
	mask, err := whereMask(u, l)
	if err != nil {
		j.lineRefs[lv] = nil
		return nil
	}
	w := u.w
	if mask != nil {
		w = make([]float64, len(u.w))
		for i, in := range mask {
			if in {
				w[i] = u.w[i]
			}
		}
	}
	var NR, incR float64
	for i, wi := range w {
		NR += wi
		incR += wi * u.x[i]
	}
	r := &lineRef{L: make([]float64, len(u.x)), h: indices.Bandwidth(u.x, w)}
	switch l.Basis {
	case "median":
		m := z / l.Value
		fm := indices.KernelDensity(u.x, w, m, r.h)
		for i, wi := range w {
			if wi > 0 {
				r.L[i] = b2f(u.x[i] <= m) - 0.5
			}
		}
		r.scale = -l.Value / (NR * fm)
	case "mean":
		mu := incR / NR
		for i, wi := range w {
			if wi > 0 {
				r.L[i] = u.x[i] - mu
			}
		}
		r.scale = l.Value / NR
	}
	j.lineRefs[lv] = r
	return r
}

// members returns (once per breakdown) the units of each domain of g.
func (j *seJob) members(g *grouping) *domainMembers {
	key := colsKey(g.cols)
	if m, ok := j.memberCache[key]; ok {
		return m
	}
	m := newDomainMembers(g.codes, g.size())
	j.memberCache[key] = m
	return m
}

// lineValueErrors: the SE of a national relative line, f times the SE of
// its statistic (Woodruff's for a median).
func (j *seJob) lineValueErrors(lv *lineValues, results []Result, index map[string]int) {
	l := lv.line
	if l.Basis == "abs" {
		for j := range lv.groups.keys {
			if i, ok := index[resultKey("line", l.Name, lv.groups.domain(j))]; ok {
				r := &results[i]
				r.SE, r.CILower, r.CIUpper, r.RSE = 0, r.Estimate, r.Estimate, 0
				r.SEMethod = "fixed: no sampling error"
			}
		}
		return
	}
	i, ok := index[resultKey("line", l.Name, nil)]
	if !ok || len(l.By) > 0 {
		return
	}
	u := j.u
	ref, err := whereMask(u, l)
	if err != nil {
		return
	}
	one := &grouping{codes: make([]int32, len(u.x)), keys: [][]string{{}}}
	a := make([]float64, len(u.x))
	var NR, incR float64
	for i := range u.x {
		if ref == nil || ref[i] {
			NR += u.w[i]
			incR += u.w[i] * u.x[i]
		}
	}
	r := &results[i]
	switch l.Basis {
	case "median":
		m := lv.values[0] / l.Value
		for i := range a {
			if ref == nil || ref[i] {
				a[i] = (b2f(u.x[i] <= m) - 0.5) / NR
			}
		}
		v, _ := j.e.domainVariances(newDomainMembers(one.codes, 1), u.w, linVar{a: a})
		rx, rw := maskedSorted(u, j.order, ref)
		lo, hi, se := j.woodruff(rx, rw, 0.5, math.Sqrt(v[0]))
		r.SE, r.CILower, r.CIUpper = l.Value*se, l.Value*lo, l.Value*hi
		r.SEMethod = "woodruff, " + j.e.methodName()
	case "mean":
		mu := incR / NR
		for i := range a {
			if ref == nil || ref[i] {
				a[i] = (u.x[i] - mu) / NR
			}
		}
		v, _ := j.e.domainVariances(newDomainMembers(one.codes, 1), u.w, linVar{a: a})
		r.SE = l.Value * math.Sqrt(v[0])
		r.CILower, r.CIUpper = j.e.interval(r.Estimate, r.SE)
		r.SEMethod = j.e.methodName()
	}
	r.RSE = r.SE / math.Abs(r.Estimate)
	r.Unreliable = j.s.RSELimit > 0 && r.RSE > j.s.RSELimit
}

// maskedSorted returns the incomes and weights of the units of mask (nil:
// all) in increasing order.
func maskedSorted(u *units, order []int32, mask []bool) (xs, ws []float64) {
	for _, i := range order {
		if mask == nil || mask[i] {
			xs = append(xs, u.x[i])
			ws = append(ws, u.w[i])
		}
	}
	return xs, ws
}

// convDensity is R convey's kernel density estimate of the weighted
// incomes xs at x (indices.KernelDensity with convey's bandwidth
// indices.Bandwidth).
func convDensity(xs, ws []float64, x float64) float64 {
	return indices.KernelDensity(xs, ws, x, indices.Bandwidth(xs, ws))
}
