package pipeline

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/indices"
)

// The streaming runner computes a study in passes over the splits of its
// input (datasets.Splits: Parquet row groups, whole CSV files), holding one
// or two splits at a time instead of every row:
//
//	pass 1: screening, the n, population and income of every group of every
//	        breakdown and line (over its reference units), a weighted
//	        histogram of income per group whose median is needed
//	        (indices.QuantileHistogram), and the entropy sums of every cell
//	        of the finest breakdown;
//	pass 2: the units in the histogram bucket of each median
//	        (indices.QuantileCandidates) → exact medians, then the lines;
//	pass 3: the poverty sums of every line in every cell.
//
// Each split is screened (datasets.Screen) and turned into units
// (buildUnits) exactly as Run does with the whole table. The units of every
// split are taken in file and row order, and every sum is added in that
// order, group by group and cell by cell, as Run adds them: the sums,
// counts, medians and lines equal Run's (medians up to the rounding note of
// indices.QuantileHistogram: a cumulative weight share within about 1e-16
// of one half; sums to the last bit in practice, and within 1e-13 relative
// in the tests).
//
// Memory is the largest split's columns and units (twice: the next split is
// decoded while one is summed), the histograms (about 8 KiB per 256 buckets
// in use per median group), the candidates of the median buckets (a few
// thousandths of the units of a group at most, as a bucket spans 0.39 % of
// the values in it) and the sums of the cells.

// streamIndicators are the indicators the streaming runner computes.
func streamSupported(name string) bool {
	ind, ok := parseIndicator(name)
	if !ok {
		return false
	}
	switch ind.family {
	case familyBase:
		return true
	case familyLine:
		return name != "sen" && name != "rmpg"
	case familyInequality:
		return name == "theil_t" || name == "theil_l" || strings.HasPrefix(name, "ge_") || strings.HasPrefix(name, "atkinson_")
	case familyRegion:
		return true
	}
	return false
}

// StreamUnsupported returns nil when the streaming runner can compute the
// study, else an error listing what needs every unit in memory: standard
// errors, indicators that sort all units (gini, qsr, palma, shares, sen,
// rmpg, Lorenz curves), ratios, and the compare:, dynamics: and risk:
// sections.
func StreamUnsupported(s *Study) error {
	var why []string
	if s.SEMethod != "" && s.SEMethod != "none" {
		why = append(why, "standard errors (variance.method: "+s.SEMethod+")")
	}
	var inds []string
	for _, name := range s.Indicators {
		if !streamSupported(name) {
			inds = append(inds, name)
		}
	}
	if len(inds) > 0 {
		why = append(why, "indicators "+strings.Join(inds, ", "))
	}
	if s.Compare != nil {
		why = append(why, "the compare: section")
	}
	if s.Dynamics != nil {
		why = append(why, "the dynamics: section")
	}
	if s.Risk != nil {
		why = append(why, "the risk: section")
	}
	if len(why) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNeedsMemory, strings.Join(why, "; "))
}

// ErrNeedsMemory reports a study that the streaming runner cannot compute:
// it needs the in-memory path, and so a memory budget large enough for it.
var ErrNeedsMemory = fmt.Errorf("streaming cannot compute these (they need the in-memory path and a larger memory budget)")

// streamRun is the state of one streaming run.
type streamRun struct {
	s        *Study
	reqs     []datasets.Request
	roles    datasets.Roles
	splits   []datasets.Split
	cols     []string // the categorical columns of the units (factor names)
	finest   []string // the columns of the finest breakdown cell (as plan.finestCols)
	progress ProgressFunc

	cells    cellSpace // stream cells: one per combination of cols
	fcells   keySpace  // provisional finest cells
	fcellOf  []int32   // per stream cell, its provisional finest cell
	requests []*streamStats

	// per provisional finest cell
	cdN      []int
	cdPop    []float64
	cdIncome []float64
	entropy  []indices.EntropySums
	nd       ineqNeeds

	scr   *datasets.Screening
	read  int
	used  int
	files []datasets.Source // one per file (its path as read), for the manifest
}

// streamStats is one statistics request (statsRequest) of the study,
// accumulated over provisional groups numbered as they appear.
type streamStats struct {
	req    statsRequest
	idx    []int // positions of req.cols in streamRun.cols
	groups keySpace
	of     []int32 // per stream cell, its provisional group
	inRef  []bool  // per stream cell, whether it meets the line's Where conditions
	n      []int
	pop    []float64
	income []float64
	hist   *indices.DomainHistograms // nil unless the median is needed
	cand   *indices.QuantileCandidates
	median []float64
}

// keySpace numbers tuples of global level codes in order of first
// appearance.
type keySpace struct {
	index map[string]int32
	keys  [][]int32
}

func (k *keySpace) id(key []int32) (int32, bool) {
	if k.index == nil {
		k.index = map[string]int32{}
	}
	s := packKey(key)
	if id, ok := k.index[s]; ok {
		return id, false
	}
	id := int32(len(k.keys))
	k.index[s] = id
	k.keys = append(k.keys, slices.Clone(key))
	return id, true
}

func packKey(key []int32) string {
	b := make([]byte, 0, 4*len(key))
	for _, v := range key {
		b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	}
	return string(b)
}

// cellSpace numbers the combinations of the categorical columns (stream
// cells) and the levels of each column, as strings, across splits.
type cellSpace struct {
	levels [][]string         // per column, its levels in order of first appearance
	index  []map[string]int32 // per column, level → code
	cells  keySpace
}

// runStreamed carries out a study on the streaming path and records it in
// the manifest as Run does.
func runStreamed(ctx context.Context, s *Study, cfg runConfig, mem *memoryPlan, t0 time.Time) (*Output, error) {
	if err := StreamUnsupported(s); err != nil {
		return nil, err
	}
	infos, err := datasets.Inspect(s.Inputs)
	if err != nil {
		return nil, fmt.Errorf("inspect inputs: %w", err)
	}
	if err := checkColumns(s, infos, nil); err != nil {
		return nil, err
	}
	hashes := noHashes
	if !cfg.skipHashes {
		hashes = hashInputs(infos)
	}
	t1 := time.Now()
	splits, err := datasets.Splits(ctx, s.Inputs)
	if err != nil {
		return nil, fmt.Errorf("read inputs: %w", err)
	}
	r := newStreamRun(s, splits, cfg.progress)
	if err := r.pass(ctx, "pass 1/3: histograms and sums", r.addPass1); err != nil {
		return nil, err
	}
	if r.needsMedians() {
		r.locate()
		if err := r.pass(ctx, "pass 2/3: median candidates", r.addPass2); err != nil {
			return nil, err
		}
	}
	r.resolve()
	t2 := time.Now()
	out, err := r.finish(ctx)
	if err != nil {
		return nil, err
	}
	t3 := time.Now()
	m := Manifest{Povstat: Version, GoVersion: runtime.Version(), Seed: s.Seed, Rows: out.Manifest.Rows}
	m.Study = StudyInfo{Name: s.Name, Path: s.Path, SHA256: s.SHA256}
	sums, err := hashes()
	if err != nil {
		return nil, err
	}
	for _, f := range r.files {
		if _, ok := sums[f.Path]; !ok && sums != nil {
			return nil, fmt.Errorf("no hash of input %s", f.Path)
		}
		m.Inputs = append(m.Inputs, InputRecord{Path: relativeTo(s.Dir, f.Path), SHA256: sums[f.Path], Rows: f.Rows, RowGroups: f.RowGroups})
	}
	for _, l := range s.Lines {
		m.Lines = append(m.Lines, LineInfo{Name: l.Name, Spec: l.Spec()})
	}
	m.Unit, m.Equivalence = s.Unit, s.Equivalence
	m.Warnings = out.Warnings
	m.Timings = Timings{InspectSeconds: t1.Sub(t0).Seconds(), ReadSeconds: t2.Sub(t1).Seconds(), ComputeSeconds: t3.Sub(t2).Seconds()}
	m.Memory = &mem.rec
	out.Manifest = m
	return out, nil
}

func newStreamRun(s *Study, splits []datasets.Split, progress ProgressFunc) *streamRun {
	r := &streamRun{s: s, reqs: requests(s), splits: splits, progress: progress,
		roles: s.roles()}
	for _, c := range categoricalColumns(s) {
		if !slices.Contains(r.cols, c) {
			r.cols = append(r.cols, c)
		}
	}
	r.cells.levels = make([][]string, len(r.cols))
	r.cells.index = make([]map[string]int32, len(r.cols))
	for i := range r.cols {
		r.cells.index[i] = map[string]int32{}
	}
	want := wants{}
	for _, name := range s.Indicators {
		want[name] = true
	}
	reqs, finest := statsRequests(s, want)
	r.finest = finest
	index := map[string]*streamStats{}
	for _, q := range reqs {
		if st, ok := index[q.key()]; ok {
			st.req.median = st.req.median || q.median
			continue
		}
		st := &streamStats{req: q}
		for _, c := range q.cols {
			st.idx = append(st.idx, slices.Index(r.cols, c))
		}
		index[q.key()] = st
		r.requests = append(r.requests, st)
	}
	for _, st := range r.requests {
		if st.req.median {
			st.hist = indices.NewDomainHistograms(0)
		}
	}
	r.nd = inequalityNeeds(s)
	r.scr = &datasets.Screening{}
	return r
}

// splitUnits is one split read, screened and turned into units, with the
// stream cell of each unit.
type splitUnits struct {
	sp    datasets.Split
	rows  int
	scr   *datasets.Screening
	u     *units
	cell  []int32
	table *datasets.Table
}

// load reads one split and builds its units as Run builds the units of the
// whole table.
func (r *streamRun) load(ctx context.Context, sp datasets.Split) (*splitUnits, error) {
	tbl, err := datasets.ReadSplit(ctx, sp, r.reqs)
	if err != nil {
		return nil, fmt.Errorf("read inputs: %w", err)
	}
	tbl.Sources[0].Path = relativeTo(r.s.Dir, sp.Path)
	scr, err := datasets.Screen(tbl, r.roles)
	if err != nil {
		return nil, fmt.Errorf("screen rows: %w", err)
	}
	u, err := buildUnits(r.s, tbl, scr.Keep)
	if err != nil {
		return nil, err
	}
	return &splitUnits{sp: sp, rows: tbl.Rows, scr: scr, u: u, table: tbl}, nil
}

// pass reads every split in order, the next one decoded while the current
// one is added, and calls add on each.
func (r *streamRun) pass(ctx context.Context, name string, add func(*splitUnits)) error {
	type loaded struct {
		su  *splitUnits
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan loaded, 1)
	go func() {
		for _, sp := range r.splits {
			su, err := r.load(ctx, sp)
			select {
			case ch <- loaded{su, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	total := 0
	for _, sp := range r.splits {
		total += max(sp.Rows, 0)
	}
	r.report(ProgressEvent{Pass: name, Splits: len(r.splits), Rows: total})
	done := 0
	for range r.splits {
		l := <-ch
		if l.err != nil {
			return l.err
		}
		r.mapCells(l.su)
		add(l.su)
		done++
		r.report(ProgressEvent{Pass: name, Splits: len(r.splits), Rows: total, Done: done, RowsDone: l.su.rows})
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r.report(ProgressEvent{Pass: name, Splits: len(r.splits), Rows: total, Done: done, Finished: true})
	return nil
}

func (r *streamRun) report(ev ProgressEvent) {
	if r.progress != nil {
		r.progress(ev)
	}
}

// mapCells gives every unit of a split its stream cell, numbering new
// levels and cells as they appear.
func (r *streamRun) mapCells(su *splitUnits) {
	n := len(su.u.x)
	su.cell = make([]int32, n)
	fs := make([]*factor, len(r.cols))
	remap := make([][]int32, len(r.cols))
	for i, c := range r.cols {
		fs[i] = su.u.factors[c]
		remap[i] = make([]int32, len(fs[i].levels))
		for x, lev := range fs[i].levels {
			code, ok := r.cells.index[i][lev]
			if !ok {
				code = int32(len(r.cells.levels[i]))
				r.cells.index[i][lev] = code
				r.cells.levels[i] = append(r.cells.levels[i], lev)
			}
			remap[i][x] = code
		}
	}
	space, small := int64(1), true
	for _, f := range fs {
		l := int64(max(len(f.levels), 1))
		if space > (1<<62)/l {
			small = false
			break
		}
		space *= l
	}
	local := map[int64]int32{}
	key := make([]int32, len(r.cols))
	for u := range n {
		var k int64
		for _, f := range fs {
			k = k*int64(len(f.levels)) + int64(f.codes[u])
		}
		c, ok := local[k]
		if !ok || !small {
			for i, f := range fs {
				key[i] = remap[i][f.codes[u]]
			}
			id, isNew := r.cells.cells.id(key)
			if isNew {
				r.newCell(key)
			}
			c = id
			if small {
				local[k] = c
			}
		}
		su.cell[u] = c
	}
}

// newCell records, for a new stream cell, its group in every request, its
// finest cell and whether it meets each line's Where conditions.
func (r *streamRun) newCell(key []int32) {
	project := func(idx []int) []int32 {
		out := make([]int32, len(idx))
		for i, j := range idx {
			out[i] = key[j]
		}
		return out
	}
	for _, st := range r.requests {
		g, isNew := st.groups.id(project(st.idx))
		st.of = append(st.of, g)
		if isNew {
			st.n = append(st.n, 0)
			st.pop = append(st.pop, 0)
			st.income = append(st.income, 0)
			if st.hist != nil {
				st.hist.H = append(st.hist.H, indices.QuantileHistogram{})
			}
		}
		st.inRef = append(st.inRef, r.meets(key, st.req.line))
	}
	fidx := make([]int, len(r.finest))
	for i, c := range r.finest {
		fidx[i] = slices.Index(r.cols, c)
	}
	f, isNew := r.fcells.id(project(fidx))
	r.fcellOf = append(r.fcellOf, f)
	if isNew {
		r.cdN = append(r.cdN, 0)
		r.cdPop = append(r.cdPop, 0)
		r.cdIncome = append(r.cdIncome, 0)
		if r.nd.entropy {
			r.entropy = append(r.entropy, indices.NewEntropySums(r.nd.alphas, r.nd.epsilons))
		}
	}
}

// meets reports whether a cell meets the Where conditions of a line (nil:
// every cell).
func (r *streamRun) meets(key []int32, l *Line) bool {
	if l == nil {
		return true
	}
	for _, c := range l.Where {
		i := slices.Index(r.cols, c.Column)
		if i < 0 || r.cells.levels[i][key[i]] != c.Value {
			return false
		}
	}
	return true
}

// addPass1 adds a split to the screening, the group sums, the histograms
// and the cell sums.
func (r *streamRun) addPass1(su *splitUnits) {
	r.mergeScreening(su.scr, su.table)
	r.read += su.rows
	r.used += len(su.u.x)
	r.addSource(su)
	x, w := su.u.x, su.u.w
	for _, st := range r.requests {
		for i, c := range su.cell {
			if !st.inRef[c] {
				continue
			}
			g := st.of[c]
			st.n[g]++
			st.pop[g] += w[i]
			st.income[g] += w[i] * x[i]
			if st.hist != nil {
				st.hist.H[g].Add(x[i], w[i])
			}
		}
	}
	for i, c := range su.cell {
		f := r.fcellOf[c]
		r.cdN[f]++
		r.cdPop[f] += w[i]
		r.cdIncome[f] += w[i] * x[i]
		if r.entropy != nil {
			r.entropy[f].Add(x[i], w[i])
		}
	}
}

// addSource counts the split's rows under its file, for the manifest.
func (r *streamRun) addSource(su *splitUnits) {
	path := su.sp.Path
	if n := len(r.files); n == 0 || r.files[n-1].Path != path {
		r.files = append(r.files, datasets.Source{Path: path})
	}
	f := &r.files[len(r.files)-1]
	f.Rows += su.rows
	if su.sp.RowGroup >= 0 {
		f.RowGroups++
	}
}

// mergeScreening adds the screening of the next split to the run's.
func (r *streamRun) mergeScreening(o *datasets.Screening, tbl *datasets.Table) {
	var cats []string
	for _, c := range tbl.Columns {
		if c.Kind == datasets.Categorical {
			cats = append(cats, c.Name)
		}
	}
	r.scr = datasets.MergeScreening(r.roles, cats, r.scr, o)
}

func (r *streamRun) needsMedians() bool {
	return slices.ContainsFunc(r.requests, func(st *streamStats) bool { return st.hist != nil })
}

// locate finds the bucket of every median after pass 1.
func (r *streamRun) locate() {
	for _, st := range r.requests {
		if st.hist != nil {
			st.cand = indices.NewQuantileCandidates(st.hist.Locate([]float64{0.5}))
		}
	}
}

// addPass2 keeps the units in the buckets of the medians.
func (r *streamRun) addPass2(su *splitUnits) {
	for _, st := range r.requests {
		if st.cand == nil {
			continue
		}
		for i, c := range su.cell {
			if st.inRef[c] {
				st.cand.Add(int(st.of[c]), su.u.x[i], su.u.w[i])
			}
		}
	}
}

// resolve computes the medians from the candidates.
func (r *streamRun) resolve() {
	for _, st := range r.requests {
		if st.cand != nil {
			q := st.cand.Quantiles()
			st.median = make([]float64, len(q))
			for g := range q {
				st.median[g] = q[g][0]
			}
			st.cand, st.hist = nil, nil
		}
	}
}

// cellUnits makes pseudo-units, one per stream cell, whose factors are the
// cells' levels: groupings over them have the groups, in the same order,
// that groupings over the units have.
func (r *streamRun) cellUnits() *units {
	n := len(r.cells.cells.keys)
	u := &units{x: make([]float64, n), w: make([]float64, n), factors: map[string]*factor{}}
	for i, c := range r.cols {
		f := &factor{levels: r.cells.levels[i], codes: make([]int32, n)}
		for k, key := range r.cells.cells.keys {
			f.codes[k] = key[i]
		}
		u.factors[c] = f
	}
	return u
}

// stats returns the statistics of a request in the order of g, a grouping
// of its columns over the stream cells.
func (st *streamStats) stats(g *grouping) *groupStats {
	k := g.size()
	out := &groupStats{n: make([]int, k), pop: make([]float64, k), income: make([]float64, k)}
	if st.median != nil {
		out.median = make([]float64, k)
	}
	for c, p := range st.of {
		j := g.codes[c]
		out.n[j], out.pop[j], out.income[j] = st.n[p], st.pop[p], st.income[p]
		if st.median != nil {
			out.median[j] = st.median[p]
		}
	}
	return out
}

func (r *streamRun) request(q statsRequest) *streamStats {
	for _, st := range r.requests {
		if st.req.key() == q.key() {
			return st
		}
	}
	panic("pipeline: statistics not requested")
}
