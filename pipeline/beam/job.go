// Package povbeam runs povstat's poverty and inequality tables on Apache
// Beam, so that a registry too large for one machine is computed on an
// existing cluster (Flink, Spark, Dataflow) or, for tests, in-process by
// Beam's local runner prism. It is its own Go module: povstat's binary does
// not carry Beam.
//
// The job reads Parquet row groups in its own DoFn (one split per row
// group) and passes over them three or four times; each pass makes a
// per-split accumulator, and the accumulators are merged on one worker in
// split order (so a run's output is the same bytes every time) into a
// state that the next pass receives as a side input:
//
//  1. per domain and per line group: counts and income totals, weighted
//     histograms of income (indices.QuantileHistogram), and per cell of
//     pipeline's finest columns (breakdown, region, ratio columns) the
//     counts and income totals (the regional measures, the ratios) and the
//     entropy sums (indices.EntropySums, shipped by their MarshalBinary);
//     merged, the histograms locate the bucket of each median and of each
//     quantile that cuts the quantile shares (qsr: P20, P80; palma: P40,
//     P90; share_q*, share_d*: the quintiles, deciles);
//  2. the units of those buckets only: the exact weighted medians and
//     quantiles, and every line's value in every group (a fraction of the
//     median or mean of the group's reference units, or a fixed value);
//     and every unit keyed by domain and bucket, for the Gini (see
//     gini.go);
//  3. poverty sums per line and cell (indices.PovertySums), histograms
//     of the poor's incomes relative to their line, and each domain's
//     income by the groups its quantiles make (indices.ShareSums, one per
//     set of cuts), from which pipeline.ShareMeasure gives the shares;
//  4. (sen, rmpg) as pass 2 for the poor: the median of their relative
//     incomes (rmpg) and their Gini (sen).
//
// The result rows are those of pipeline.Run for the same study, in the same
// order, encoded by pipeline.EncodeJSON, and the same bytes: pipeline blocks
// every sum by split as this runner does (a split's units added in row
// order from zero, the splits merged in split order, every domain's
// poverty and entropy sums merged from its cells in cell order), builds the regional and ratio rows from the cells with the same
// code (pipeline.RegionRows, RatioRow), finds its quantiles from a
// histogram per split merged in split
// order (or the same bits from a sorted copy, indices.QuantilesBlocked),
// and joins the Gini's buckets as giniFn does (indices.GiniByBucket).
package povbeam

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/povstat/povstat/indices"
	"github.com/povstat/povstat/pipeline"
)

// Job is what the runner computes: the study
//
//	columns: {income: Income, weight: Weight, size: Size, adults: Adults, children: Children}
//	unit: Unit, rows: households (persons without Size), equivalence: Equivalence
//	lines: Lines
//	domains: [By]
//	region: Region, ratios: Ratios
//	indicators: Indicators
//
// over the Parquet and CSV files of Inputs (files, or directories walked as
// datasets.Read walks them). Its fields are exported so that Beam can
// ship it to the workers.
type Job struct {
	Inputs []string // Parquet or CSV files, or directories
	Income string
	Weight string
	Size   string // "" when rows are persons
	Unit   string // "persons" (default) or "households"
	// Equivalence is none (the default), per-capita, sqrt or oecd (with
	// the Adults and Children columns), as a study's equivalence.
	Equivalence, Adults, Children string
	// Lines are the poverty lines, NAME=SPEC as in a study or --line:
	// abs:VALUE, median:FRACTION or mean:FRACTION, optionally @COL[,COL]
	// (a line per group) and ?COL=VALUE[&COL=VALUE] (the reference units).
	Lines []string
	// LineName and LineFraction are the older form of one national line,
	// LineName=median:LineFraction, used when Lines is empty.
	LineName     string
	LineFraction float64
	By           []string // one breakdown (crossed columns); nil for the whole population only
	Region       string   // the region column of the regional measures (pipeline.RegionIndicators); "" for none
	Ratios       []string // mean-income ratios COL=A/B (the indicator ratio)
	Indicators   []string // see Supported; nil for Supported (with the regional measures and ratio when set)
	Out          string   // the results JSON file written
	// ManifestOut is the run's manifest (pipeline.Manifest, the schema of
	// povstat run's manifest.json): the inputs with their rows and row
	// groups, the rows read, used and excluded by each screening rule, the
	// lines, the warnings, the inputs' and the results file's SHA-256, and
	// the timings (inspect: listing the splits; compute: from building the
	// pipeline to the results, read and computed together). "" for Out
	// with .manifest.json for .json.
	ManifestOut string
}

// Supported lists the indicators the Beam runner computes, in pipeline's
// default order; besides these, ge_<alpha>, atkinson_<epsilon>,
// share_q1..share_q5 and share_d1..share_d10, the regional measures
// (pipeline.RegionIndicators) with a Region, ratio with Ratios, and
// lorenz and generalized_lorenz when named. Standard errors are not
// computed (see the package README).
var Supported = []string{"population", "n", "mean", "median", "line",
	"headcount", "gap", "severity", "watts", "sen", "rmpg", "poor_population", "gap_total",
	"gini", "theil_t", "theil_l", "qsr", "palma"}

var (
	lorenzIndicators = []string{"lorenz", "generalized_lorenz"} // asked for by name: not in Supported, pipeline's defaults
	baseIndicators   = []string{"population", "n", "mean", "median"}
	lineIndicators   = []string{"headcount", "gap", "severity", "watts", "sen", "rmpg", "poor_population", "gap_total"}
)

// inequality is a parsed inequality indicator: gini, an entropy measure
// with its parameter (theil_t = ge_1, theil_l = ge_0), or a quantile-share
// measure with the probabilities of its cuts.
type inequality struct {
	name  string
	param float64
	cuts  []float64 // qsr, palma, share_*: pipeline.QuantileCuts
}

// share reports whether q is a quantile-share measure.
func (q inequality) share() bool { return q.cuts != nil }

// parseInequality recognises gini, theil_t, theil_l, ge_<alpha> (finite
// alpha), atkinson_<epsilon> (finite epsilon >= 0), qsr, palma,
// share_q1..share_q5 and share_d1..share_d10, as pipeline does.
func parseInequality(name string) (inequality, bool) {
	switch name {
	case "gini", "theil_t", "theil_l":
		return inequality{name: name}, true
	}
	if cuts, ok := pipeline.QuantileCuts(name); ok {
		return inequality{name: name, cuts: cuts}, true
	}
	for _, prefix := range []string{"ge_", "atkinson_"} {
		if v, ok := strings.CutPrefix(name, prefix); ok {
			p, err := strconv.ParseFloat(v, 64)
			if err == nil && !math.IsInf(p, 0) && !math.IsNaN(p) && (prefix == "ge_" || p >= 0) {
				return inequality{name: name, param: p}, true
			}
		}
	}
	return inequality{}, false
}

// check validates a job and fills in its defaults.
func (j *Job) check() error {
	switch {
	case j.Income == "" || j.Weight == "":
		return fmt.Errorf("job: income and weight columns are needed")
	case j.Out == "":
		return fmt.Errorf("job: no output file")
	}
	if j.ManifestOut == "" {
		j.ManifestOut = strings.TrimSuffix(j.Out, ".json") + ".manifest.json"
	}
	if len(j.Lines) == 0 {
		if j.LineName == "" || !(j.LineFraction > 0) {
			return fmt.Errorf("job: no line (Lines, or a line name and a positive median fraction)")
		}
		j.Lines = []string{j.LineName + "=median:" + strconv.FormatFloat(j.LineFraction, 'g', -1, 64)}
	}
	if _, err := j.lines(); err != nil {
		return err
	}
	if j.Unit == "" {
		j.Unit = "persons"
	}
	if j.Unit != "persons" && j.Unit != "households" {
		return fmt.Errorf("job: unit %q, want persons or households", j.Unit)
	}
	for _, r := range j.Ratios {
		if _, err := pipeline.ParseRatio(r); err != nil {
			return fmt.Errorf("job: %w", err)
		}
	}
	if len(j.Indicators) == 0 {
		j.Indicators = slices.Clone(Supported)
		if j.Region != "" {
			j.Indicators = append(j.Indicators, pipeline.RegionIndicators()...)
		}
		if len(j.Ratios) > 0 {
			j.Indicators = append(j.Indicators, "ratio")
		}
	}
	for _, n := range j.Indicators {
		switch {
		case slices.Contains(pipeline.RegionIndicators(), n) && j.Region == "":
			return fmt.Errorf("job: indicator %q needs a region column", n)
		case n == "ratio" && len(j.Ratios) == 0:
			return fmt.Errorf("job: indicator ratio needs ratios (COL=A/B)")
		case n == "ratio" || slices.Contains(pipeline.RegionIndicators(), n) || slices.Contains(lorenzIndicators, n):
			continue
		}
		if _, ok := parseInequality(n); !ok && !slices.Contains(Supported, n) {
			return fmt.Errorf("job: indicator %q is not computed by the Beam runner (supported: %s, ge_<alpha>, atkinson_<epsilon>, share_q1..share_q5, share_d1..share_d10, lorenz, generalized_lorenz, the regional measures with a region, ratio with ratios)",
				n, strings.Join(Supported, ", "))
		}
	}
	return nil
}

// ratios parses the job's ratios.
func (j *Job) ratios() []pipeline.Ratio {
	out := make([]pipeline.Ratio, len(j.Ratios))
	for i, r := range j.Ratios {
		out[i], _ = pipeline.ParseRatio(r) // checked by check
	}
	return out
}

// entropyByCell reports whether the cells keep entropy sums: for an
// entropy measure, or a Theil decomposition across regions.
func (j *Job) entropyByCell() bool {
	_, _, any := j.entropyParams()
	return any || slices.ContainsFunc(j.Indicators, func(n string) bool {
		return strings.HasPrefix(n, "theil_t_") || strings.HasPrefix(n, "theil_l_")
	})
}

// lines parses the job's lines.
func (j *Job) lines() ([]pipeline.Line, error) {
	var out []pipeline.Line
	for _, spec := range j.Lines {
		l, err := pipeline.ParseLine(spec)
		if err != nil {
			return nil, fmt.Errorf("job: %w", err)
		}
		if slices.ContainsFunc(out, func(o pipeline.Line) bool { return o.Name == l.Name }) {
			return nil, fmt.Errorf("job: line %q given twice", l.Name)
		}
		out = append(out, l)
	}
	return out, nil
}

// mustLines is lines for a checked job.
func (j *Job) mustLines() []pipeline.Line {
	ls, err := j.lines()
	if err != nil {
		panic(err) // Build checked the job
	}
	return ls
}

func (j *Job) wants(names ...string) bool {
	return slices.ContainsFunc(j.Indicators, func(n string) bool { return slices.Contains(names, n) })
}

// inequalities lists the job's inequality indicators, in its order.
func (j *Job) inequalities() []inequality {
	var out []inequality
	for _, n := range j.Indicators {
		if q, ok := parseInequality(n); ok {
			out = append(out, q)
		}
	}
	return out
}

// entropyParams returns the GE alphas and Atkinson epsilons other than 0
// and 1, and whether any entropy measure is asked for.
func (j *Job) entropyParams() (alphas, epsilons []float64, any bool) {
	for _, q := range j.inequalities() {
		switch {
		case q.name == "gini" || q.share():
			continue
		case strings.HasPrefix(q.name, "ge_"):
			alphas = append(alphas, q.param)
		case strings.HasPrefix(q.name, "atkinson_"):
			epsilons = append(epsilons, q.param)
		}
		any = true
	}
	return alphas, epsilons, any
}

// shareCuts lists the distinct cut probabilities of the job's quantile-share
// measures (one set for qsr, one for palma, one for the quintile shares,
// one for the decile shares), in the order of the indicators, and of the
// Lorenz curves (pipeline.LorenzCutShares); each set has its sums by group
// (indices.ShareSums) in every domain.
func (j *Job) shareCuts() [][]float64 {
	var out [][]float64
	add := func(cuts []float64) {
		if !slices.ContainsFunc(out, func(c []float64) bool { return slices.Equal(c, cuts) }) {
			out = append(out, cuts)
		}
	}
	for _, q := range j.inequalities() {
		if q.share() {
			add(q.cuts)
		}
	}
	if len(j.lorenz()) > 0 { // the Lorenz curves' sums up to their quantiles
		add(pipeline.LorenzCutShares())
	}
	return out
}

// lorenz lists the Lorenz curves asked for, in the order asked.
func (j *Job) lorenz() []string {
	var out []string
	for _, n := range j.Indicators {
		if slices.Contains(lorenzIndicators, n) {
			out = append(out, n)
		}
	}
	return out
}

// quantileProbs lists the probabilities of every quantile the job's
// quantile-share measures need, increasing, each once.
func (j *Job) quantileProbs() []float64 {
	var ps []float64
	for _, c := range j.shareCuts() {
		ps = append(ps, c...)
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}

// catColumns lists the categorical columns the job reads: the breakdown,
// then each line's groups and conditions, each once.
func (j *Job) catColumns() []string {
	var cols []string
	add := func(c string) {
		if !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	for _, c := range j.By {
		add(c)
	}
	if j.Region != "" {
		add(j.Region)
	}
	for _, r := range j.ratios() {
		add(r.Column)
	}
	for _, l := range j.mustLines() {
		for _, c := range l.By {
			add(c)
		}
		for _, c := range l.Where {
			add(c.Column)
		}
	}
	return cols
}

// Keys of the accumulators: the whole population and each domain of the
// breakdown; each group of a line; a line within a domain; a bucket of the
// histogram grid within one of these.
const nationalKey = "N"

func domainKey(values string) string { return "D" + values }

// cellKey is the key of a cell of pipeline's finest columns, whose first
// values are the breakdown's.
func cellKey(values string) string { return "C" + values }

// finestColumns are pipeline's finest columns of the job's study.
func (j *Job) finestColumns() []string {
	s, err := j.study()
	if err != nil {
		panic(err) // checked by Build
	}
	return pipeline.FinestColumns(s)
}

// domainsOfCell returns the domains a cell belongs to: the whole
// population, then its domain of the breakdown.
func (j *Job) domainsOfCell(cell string) []string {
	if len(j.By) == 0 {
		return []string{nationalKey}
	}
	values := strings.Split(cell[1:], "\x00")
	return []string{nationalKey, domainKey(strings.Join(values[:len(j.By)], "\x00"))}
}

func lineKey(line int, values string) string { return "L" + strconv.Itoa(line) + "\x01" + values }

func sumsKey(line int, domain string) string { return "S" + strconv.Itoa(line) + "\x01" + domain }

// quantileKey is the key of the quantile target at p of a domain (key
// domain); the median's is the domain key itself.
func quantileKey(domain string, p float64) string {
	return "Q" + strconv.FormatFloat(p, 'g', -1, 64) + "\x03" + domain
}

// quantileDomain returns the domain key of a quantileKey, and false for
// another key.
func quantileDomain(k string) (string, bool) {
	if !strings.HasPrefix(k, "Q") {
		return "", false
	}
	_, d, ok := strings.Cut(k, "\x03")
	return d, ok
}

func bucketKey(key string, b uint32) string { return fmt.Sprintf("%s\x02%08x", key, b) }

// splitBucketKey undoes bucketKey.
func splitBucketKey(k string) (key string, b uint32, err error) {
	i := strings.LastIndexByte(k, 2)
	if i < 0 {
		return "", 0, fmt.Errorf("povbeam: bad bucket key %q", k)
	}
	v, err := strconv.ParseUint(k[i+1:], 16, 32)
	return k[:i], uint32(v), err
}

// groupsOf returns the group values of the keys of m that start with
// prefix, in pipeline's output order.
func groupsOf[V any](m map[string]V, prefix string) []string {
	var out []string
	for k := range m {
		if v, ok := strings.CutPrefix(k, prefix); ok {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, compareDomains)
	return out
}

// fromCells sets every domain's accumulator in m (key(d)) from those of
// the cells (key(c) for c in cells, in pipeline's cell order, those
// present): the whole population's from every cell, each domain of the
// breakdown's from its own, each merged in cell order from the zero value,
// as pipeline merges its domains from its finest cells.
func fromCells[V any](j *Job, m map[string]V, cells []string, key func(string) string, merge func(dst *V, src V)) {
	acc := map[string]*V{}
	for _, c := range cells {
		v, ok := m[key(c)]
		if !ok {
			continue
		}
		for _, d := range j.domainsOfCell(c) {
			a := acc[d]
			if a == nil {
				a = new(V)
				acc[d] = a
			}
			merge(a, v)
		}
	}
	for d, a := range acc {
		m[key(d)] = *a
	}
}

// cellKeys are the keys of the cells met, in pipeline's cell order.
func cellKeys(cells map[string]groupStats) []string {
	var out []string
	for _, c := range groupsOf(cells, "C") {
		out = append(out, cellKey(c))
	}
	return out
}

// tables turns the merged accumulators into pipeline's result rows, in
// pipeline's order: the lines' rows, then for the whole population and then
// the breakdown, the base rows of every domain, each line's rows of every
// domain, and the inequality rows of every domain.
func (j *Job) tables(st *state) []pipeline.Result {
	lines := j.mustLines()
	var out []pipeline.Result
	if j.wants("line") {
		for i, l := range lines {
			for _, g := range groupsOf(st.Ref, lineKey(i, "")) {
				k := lineKey(i, g)
				r := pipeline.Result{Indicator: "line", Line: l.Name, Domain: domainValues(l.By, g),
					Estimate: st.Values[k], N: st.Ref[k].N, Population: st.Ref[k].Pop}
				if math.IsNaN(r.Estimate) {
					r.Note = "no reference unit in this group"
				}
				out = append(out, r)
			}
		}
	}
	breakdowns := [][]string{{nationalKey}}
	if len(j.By) > 0 {
		var keys []string
		for _, d := range groupsOf(st.Base, "D") {
			keys = append(keys, domainKey(d))
		}
		breakdowns = append(breakdowns, keys)
	}
	for _, keys := range breakdowns {
		for _, k := range keys {
			out = append(out, j.baseRows(st, k)...)
		}
		for i, l := range lines {
			for _, k := range keys {
				out = append(out, j.povertyRows(st, l.Name, sumsKey(i, k), k)...)
			}
		}
		for _, k := range keys {
			out = append(out, j.inequalityRows(st, k)...)
		}
		if j.Region != "" && !(keys[0] != nationalKey && slices.Contains(j.By, j.Region)) {
			for _, k := range keys {
				out = append(out, j.regionRows(st, k)...)
			}
		}
		if j.wants("ratio") {
			for _, r := range j.ratios() {
				for _, k := range keys {
					out = append(out, j.ratioRow(st, r, k))
				}
			}
		}
	}
	// The curves after every other row, as pipeline.
	if inds := j.lorenz(); len(inds) > 0 {
		ps := pipeline.LorenzCutShares()
		for _, keys := range breakdowns {
			for _, k := range keys {
				b := st.Base[k]
				out = append(out, pipeline.LorenzRows(inds, j.domainOf(k), b.N, b.Pop, b.Income, quantileValues(st, k, ps), j.shareSums(st, k, ps))...)
			}
		}
	}
	return out
}

// cellValue returns a cell's value of the finest column at position at.
func cellValue(cell string, at int) string { return strings.Split(cell[1:], "\x00")[at] }

// inDomain reports whether cell belongs to domain key.
func (j *Job) inDomain(cell, key string) bool { return slices.Contains(j.domainsOfCell(cell), key) }

// regionRows returns the regional measures of one domain, as pipeline's
// regionRows: each region's count, population, income and entropy sums
// merged from the domain's cells of that region in cell order.
func (j *Job) regionRows(st *state, key string) []pipeline.Result {
	cells := cellKeys(st.Cells)
	at := slices.Index(j.finestColumns(), j.Region)
	var levels []string
	for _, c := range cells {
		if v := cellValue(c, at); !slices.Contains(levels, v) {
			levels = append(levels, v)
		}
	}
	slices.SortFunc(levels, pipeline.CompareLevels)
	r := len(levels)
	n, pop, income := make([]int, r), make([]float64, r), make([]float64, r)
	var entropy []indices.EntropySums
	if j.entropyByCell() {
		entropy = make([]indices.EntropySums, r)
	}
	for _, c := range cells {
		if !j.inDomain(c, key) {
			continue
		}
		q := slices.Index(levels, cellValue(c, at))
		cs := st.Cells[c]
		pop[q] += cs.Pop
		income[q] += cs.Income
		n[q] += cs.N
		if entropy != nil {
			entropy[q].Merge(st.Entropy[c])
		}
	}
	b := st.Base[key]
	return pipeline.RegionRows(j.Region, j.Indicators, j.domainOf(key), levels, n, pop, income, entropy, b.N, b.Pop)
}

// ratioRow returns one ratio's row of one domain, as pipeline's ratioRows:
// the two groups' populations and incomes merged from the domain's cells in
// cell order.
func (j *Job) ratioRow(st *state, r pipeline.Ratio, key string) pipeline.Result {
	var num, den [2]float64 // pop, income
	at := slices.Index(j.finestColumns(), r.Column)
	for _, c := range cellKeys(st.Cells) {
		if !j.inDomain(c, key) {
			continue
		}
		cs := st.Cells[c]
		switch cellValue(c, at) {
		case r.Numerator:
			num[0] += cs.Pop
			num[1] += cs.Income
		case r.Denominator:
			den[0] += cs.Pop
			den[1] += cs.Income
		}
	}
	b := st.Base[key]
	return pipeline.RatioRow(r, j.domainOf(key), num[0], num[1], den[0], den[1], b.N, b.Pop)
}

// domainOf returns the domain values of a domain key.
func (j *Job) domainOf(key string) []pipeline.DomainValue {
	if key == nationalKey {
		return nil
	}
	return domainValues(j.By, key[1:])
}

// baseRows returns population, n, mean and median of one domain.
func (j *Job) baseRows(st *state, key string) []pipeline.Result {
	b := st.Base[key]
	var out []pipeline.Result
	for _, name := range j.Indicators {
		r := pipeline.Result{Indicator: name, Domain: j.domainOf(key), N: b.N, Population: b.Pop}
		switch name {
		case "population":
			r.Estimate = b.Pop
		case "n":
			r.Estimate = float64(b.N)
		case "mean":
			r.Estimate = nanIfZero(b.Pop, b.Income)
		case "median":
			r.Estimate = st.Medians[key]
		default:
			continue
		}
		out = append(out, r)
	}
	return out
}

func nanIfZero(den, num float64) float64 {
	if den == 0 {
		return math.NaN()
	}
	return num / den
}

// povertyRows returns one line's rows of one domain (sums key sk, domain
// key dk), as pipeline's povertyRows: units whose line group has no
// reference unit count in n and population and are left out of the
// estimates.
func (j *Job) povertyRows(st *state, line, sk, dk string) []pipeline.Result {
	s, un := st.Sums[sk], st.Unres[sk]
	var out []pipeline.Result
	for _, name := range j.Indicators {
		if !slices.Contains(lineIndicators, name) {
			continue
		}
		var poorGini, rmpg float64
		switch name {
		case "sen":
			g := st.Gini[sk]
			poorGini = g.Gini()
		case "rmpg":
			rmpg = 1 - st.Medians[poorKey(sk)]
		}
		r := pipeline.PovertyResult(name, line, j.domainOf(dk), s, un.N, un.Pop, poorGini, rmpg)
		out = append(out, r)
	}
	return out
}

// poorKey is the key of the median of the poor's relative incomes.
func poorKey(sk string) string { return "P" + sk }

// shareSums returns a domain's sums by the groups of the quantiles at
// probabilities cuts (pass 3); empty sums at the domain's quantiles where
// no unit was added.
func (j *Job) shareSums(st *state, key string, cuts []float64) indices.ShareSums {
	i := slices.IndexFunc(j.shareCuts(), func(c []float64) bool { return slices.Equal(c, cuts) })
	if ss, ok := st.Shares[key]; ok {
		return revive(ss[i])
	}
	return indices.NewShareSums(quantileValues(st, key, cuts))
}

// quantileValues returns a domain's resolved quantiles at ps.
func quantileValues(st *state, key string, ps []float64) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = st.Medians[quantileKey(key, p)]
	}
	return out
}

// revive rebuilds sums decoded by gob, which carries their exported
// fields only: the same cuts and sums, and whether a cut is NaN.
func revive(s indices.ShareSums) indices.ShareSums {
	r := indices.NewShareSums(s.Cuts)
	r.Merge(s)
	return r
}

// inequalityRows returns the inequality indicators of one domain.
func (j *Job) inequalityRows(st *state, key string) []pipeline.Result {
	b := st.Base[key]
	var out []pipeline.Result
	for _, q := range j.inequalities() {
		r := pipeline.Result{Indicator: q.name, Domain: j.domainOf(key), N: b.N, Population: b.Pop}
		switch {
		case q.name == "gini":
			g := st.Gini[key]
			r.Estimate = g.Gini()
		case q.share():
			r.Estimate = pipeline.ShareMeasure(q.name, j.shareSums(st, key, q.cuts))
		default:
			r.Estimate, r.ExcludedN, r.ExcludedPopulation = pipeline.EntropyMeasure(q.name, st.Entropy[key])
		}
		if math.IsNaN(r.Estimate) {
			r.Note = pipeline.InequalityReason(b.Pop)
		}
		out = append(out, r)
	}
	return out
}

func domainValues(cols []string, key string) []pipeline.DomainValue {
	if len(cols) == 0 {
		return nil
	}
	vals := strings.Split(key, "\x00")
	out := make([]pipeline.DomainValue, len(cols))
	for i, c := range cols {
		out[i] = pipeline.DomainValue{Column: c, Value: vals[i]}
	}
	return out
}

// compareDomains orders domains as pipeline's groupings: column by column,
// numbers as numbers and before other strings.
func compareDomains(a, b string) int {
	as, bs := strings.Split(a, "\x00"), strings.Split(b, "\x00")
	for i := range as {
		if c := pipeline.CompareLevels(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return 0
}
