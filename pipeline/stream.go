package pipeline

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/indices"
)

// The streaming runner computes a study in passes over the splits of its
// input (datasets.Splits: Parquet row groups, whole CSV files), holding a
// few splits at a time instead of every row:
//
//	pass 1: screening, the n, population and income of every group of every
//	        breakdown and line (over its reference units), a weighted
//	        histogram of income per group whose median or quantiles are
//	        needed (indices.QuantileHistogram), and the entropy sums of
//	        every cell of the finest breakdown;
//	pass 2: the units in the histogram bucket of each median and quantile
//	        (indices.QuantileCandidates) → exact medians and quantiles, then
//	        the lines;
//	pass 3: the poverty sums of every line in every cell, and every
//	        domain's income by the groups its quantiles make (the quantile
//	        shares and the Lorenz curves, streamShares);
//	then, for the Gini, one pass per range of histogram buckets, from
//	        the counts of pass 1 (stream_gini.go).
//
// Pass 1 screens each split (datasets.Screen) and keeps the rows it
// excluded; passes 2 and 3 read only the columns of the units and drop
// those rows again. Units are built as Run builds them (buildUnits) with
// the whole table. Pass 2 keeps only the units whose income lies in the
// bucket of some median (a bit set over the grid), before their cell is
// looked up. The units of every split are taken in file and row order,
// and every sum is added in that order, group by group and cell by cell,
// as Run adds them: the sums, counts, medians and lines equal Run's
// (every sum and histogram blocked by split, units.eachBlock: to the bit).
//
// Work is spread over the cores without changing any order of summation:
// two loaders read, screen and build the units of alternate splits (their
// column buffers reused from split to split and pass to pass, see
// datasets.ReadSplitInto) while the units of the previous split are
// summed; in pass 1 each statistics request and the finest cells are
// summed by their own goroutine, in pass 3 the finest cells are dealt out
// to one goroutine per core. Each group's or cell's sums are added by one
// goroutine in row order, so the results are the same bits whatever
// GOMAXPROCS is.
//
// Memory is the largest split's columns twice (a table per loader), its
// units (income, weight and cell) three times, the histograms (about 8 KiB
// per 256 buckets in use per median group), the candidates of the median
// buckets (a few thousandths of the units of a group at most, as a bucket
// spans 0.39 % of the values in it) and the sums of the cells.

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
		return true
	case familyInequality, familyRegion, familyLorenz, familyRatio:
		return true
	}
	return false
}

// StreamUnsupported returns nil when the streaming runner can compute the
// study, else an error listing what needs every unit in memory: standard
// errors, and the compare:, dynamics: and risk: sections.
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
	// a split's sums by finest cell, merged into those above after it
	cdBlock    blockStats
	entBlock   []indices.EntropySums
	entTouched []int32
	// cdShare is the request whose groups are the finest cells, over all
	// units, when there is one: its sums are the cells' (the same units in
	// the same order), kept once, and cdN, cdPop, cdIncome stay zero.
	cdShare *streamStats

	decodeOpts []datasets.Option // of every split read
	// The buffers of the splits, reused from pass to pass: a table per
	// loader and the units of streamLoaders()+1 splits.
	tables []*datasets.Table
	free   chan *splitUnits

	scr   *datasets.Screening
	excl  [][]int32 // per split, the rows screening excluded (pass 1), for the later passes
	read  int
	used  int
	files []datasets.Source // one per file (its path as read), for the manifest

	giniCount *bucketCounts // the units of each histogram bucket (pass 1), when the Gini is asked for (stream_gini.go)
	budget    int64         // the memory budget (0: none)
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
	hist   *indices.DomainHistograms // nil unless a quantile is needed
	cand   *indices.QuantileCandidates
	median []float64
	// quantiles[p][g] is group g's quantile at p of req.quantiles (the
	// quantile shares' and Lorenz curves' cuts), found with the median.
	quantiles map[float64][]float64
	block     blockStats // a split's n, pop and income, merged into the others after it
}

// blockStats are the sums of one split by group, which start at zero and
// are then merged into the totals (units.eachBlock).
type blockStats struct {
	part    groupStats
	touched []int32
}

// reset sizes the sums for k groups, all zero.
func (b *blockStats) reset(k int) *groupStats {
	p := &b.part
	for len(p.n) < k {
		p.n, p.pop, p.income = append(p.n, 0), append(p.pop, 0), append(p.income, 0)
	}
	b.touched = b.touched[:0]
	return p
}

// add adds a unit of group g.
func (b *blockStats) add(g int32, x, w float64) {
	p := &b.part
	if p.n[g] == 0 {
		b.touched = append(b.touched, g)
	}
	p.n[g]++
	p.pop[g] += w
	p.income[g] += w * x
}

// mergeInto adds the split's sums to n, pop and income and clears them.
func (b *blockStats) mergeInto(n []int, pop, income []float64) {
	all := groupStats{n: n, pop: pop, income: income}
	all.mergeBlock(&b.part, b.touched, true)
	b.touched = b.touched[:0]
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
	r.budget = mem.rec.BudgetBytes
	if err := r.pass(ctx, "pass 1/3: histograms and sums", func() *splitLoader { return r.newLoader(true, nil) }, r.all(), r.addPass1); err != nil {
		return nil, err
	}
	if r.needsMedians() {
		want := r.locate()
		mk := func() *splitLoader { return r.newLoader(false, want) }
		if err := r.pass(ctx, "pass 2/3: median candidates", mk, r.all(), r.addPass2); err != nil {
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
			st.req.quantiles = append(st.req.quantiles, q.quantiles...)
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
		if len(st.ps()) > 0 {
			st.hist = indices.NewDomainHistograms(0)
		}
	}
	for _, st := range r.requests {
		if st.req.line == nil && slices.Equal(st.req.cols, r.finest) {
			r.cdShare = st
		}
	}
	r.nd = inequalityNeeds(s)
	if slices.Contains(s.Indicators, "gini") {
		r.giniCount = &bucketCounts{}
	}
	r.scr = &datasets.Screening{}
	r.excl = make([][]int32, len(splits))
	if nl := streamLoaders(); nl > 1 {
		// The loaders share the cores: each decodes its columns one by one.
		r.decodeOpts = []datasets.Option{datasets.Parallelism(max(1, runtime.GOMAXPROCS(0)/nl))}
	}
	return r
}

// splitUnits is one split read, screened and turned into units: the
// income x and weight w of every kept row and its stream cell. Its buffers
// go back to the pass's pool once the split is added.
type splitUnits struct {
	index int // in streamRun.splits
	sp    datasets.Split
	rows  int
	scr   *datasets.Screening // pass 1 only
	excl  []int32             // pass 1: the rows screening excluded
	x, w  []float64
	// cell is the split's own numbering of the combinations of the stream
	// columns (combos, len(cols) level codes apiece, in order of first
	// appearance) until mapCells turns it into the stream cell.
	cell   []int32
	combos []int32
	levels [][]string // per stream column, the split's levels
}

// splitLoader reads the splits of one pass, one at a time, into buffers
// reused from split to split.
type splitLoader struct {
	r      *streamRun
	reqs   []datasets.Request
	screen bool            // pass 1: screen each split, else reuse pass 1's exclusions
	want   []uint64        // pass 2: the histogram buckets of the units to keep (a bit set), nil: all
	sel    []bool          // pass 2: the rows kept and in a wanted bucket
	tbl    *datasets.Table // the last split's columns, whose buffers the next one reuses
	rd     datasets.SplitReader
	keep   []bool           // passes 2 and 3: the kept rows
	lut    []int32          // dense local key → local combination, -1 when not seen
	sparse map[string]int32 // local key → local combination when the keys are too many for lut

	// inX, inW: the income (weight) column is decoded into the units'
	// x (w) buffer and the units written over it (see lend), as the
	// column serves that role only.
	inX, inW bool
}

// maxDenseCells bounds the dense table of local combinations (4 MiB); a
// variable for the tests.
var maxDenseCells = 1 << 20

// newLoader returns the loader of a pass: pass 1 reads every column and
// screens; later passes read only the columns of the units and drop the
// rows pass 1 excluded, and, with want (pass 2), the units whose income is
// in no bucket of want.
func (r *streamRun) newLoader(first bool, want []uint64) *splitLoader {
	l := &splitLoader{r: r, screen: first, reqs: r.reqs, want: want,
		inX: roleOnly(r.s, r.s.Income), inW: roleOnly(r.s, r.s.Weight)}
	if !first {
		need := map[string]bool{r.s.Income: true, r.s.Weight: true, r.s.sizeColumn(): true,
			r.s.adultsColumn(): true, r.s.childrenColumn(): true}
		for _, c := range r.cols {
			need[c] = true
		}
		l.reqs = nil
		for _, q := range r.reqs {
			if need[q.Name] {
				l.reqs = append(l.reqs, q)
			}
		}
	}
	return l
}

// load reads one split into su and builds its units as Run builds the
// units of the whole table (buildUnits), and their local combinations.
func (l *splitLoader) load(ctx context.Context, idx int, su *splitUnits) error {
	r := l.r
	sp := r.splits[idx]
	l.lend(su)
	tbl, err := l.rd.Read(ctx, sp, l.reqs, l.tbl, l.r.decodeOpts...)
	if err != nil {
		return fmt.Errorf("read inputs: %w", err)
	}
	l.tbl = tbl
	su.index, su.sp, su.rows, su.scr, su.excl = idx, sp, tbl.Rows, nil, nil
	var keep []bool
	if l.screen {
		tbl.Sources[0].Path = relativeTo(r.s.Dir, sp.Path)
		scr, err := datasets.Screen(tbl, r.roles)
		if err != nil {
			return fmt.Errorf("screen rows: %w", err)
		}
		su.scr, keep = scr, scr.Keep
		for i, k := range keep {
			if !k {
				su.excl = append(su.excl, int32(i))
			}
		}
	} else if ex := r.excl[idx]; len(ex) > 0 {
		l.keep = slices.Grow(l.keep[:0], tbl.Rows)[:tbl.Rows]
		for i := range l.keep {
			l.keep[i] = true
		}
		for _, i := range ex {
			l.keep[i] = false
		}
		keep = l.keep
	}
	n := tbl.Rows - len(su.excl)
	if !l.screen {
		n = tbl.Rows - len(r.excl[idx])
	}
	su.x = unitBuffer(l.inX, tbl, r.s.Income, su.x, n)
	su.w = unitBuffer(l.inW, tbl, r.s.Weight, su.w, n)
	su.cell = slices.Grow(su.cell[:0], n)[:n]
	if l.want != nil {
		l.sel = slices.Grow(l.sel[:0], tbl.Rows)[:tbl.Rows]
	}
	m := l.values(tbl, keep, su)
	su.x, su.w, su.cell = su.x[:m], su.w[:m], su.cell[:m]
	if l.want != nil {
		keep = l.sel
	}
	return l.combos(tbl, keep, su)
}

// lend points the income and weight columns of the loader's table at the
// buffers of su, when they take the units' values (inX, inW), so that
// ReadSplitInto decodes into them: the units are then written over the
// column (unit k from row i >= k, read before it is written) instead of
// copied from it, and the table holds no array of an earlier split's
// units, which the adder may still be reading. A buffer too small (or nil)
// makes the reader allocate one, which su takes (unitBuffer).
func (l *splitLoader) lend(su *splitUnits) {
	if l.tbl == nil {
		return
	}
	s := l.r.s
	for _, c := range l.tbl.Columns {
		switch {
		case l.inX && c.Name == s.Income:
			c.Float = su.x[:cap(su.x)]
		case l.inW && c.Name == s.Weight:
			c.Float = su.w[:cap(su.w)]
		}
	}
}

// unitBuffer returns the buffer of n units: with in, column name of tbl
// (which lend gave buf's array, or which the reader allocated), else buf
// grown to n.
func unitBuffer(in bool, tbl *datasets.Table, name string, buf []float64, n int) []float64 {
	if in {
		return tbl.Column(name).Float[:n]
	}
	return slices.Grow(buf[:0], n)[:n]
}

// Equivalence scales of the units' incomes, as numbers for the inner loop.
const (
	scaleNone = iota
	scalePerCapita
	scaleSqrt
	scaleOECD
)

// values writes the income and weight of every kept row, as buildUnits
// computes them, and returns how many it wrote. In pass 2 (want set) it
// writes only the units whose income lies in a wanted bucket and marks
// their rows in l.sel.
func (l *splitLoader) values(tbl *datasets.Table, keep []bool, su *splitUnits) int {
	s := l.r.s
	income := tbl.Column(s.Income).Float
	weight := tbl.Column(s.Weight).Float
	size := floatColumn(tbl, s.sizeColumn())
	adults := floatColumn(tbl, s.adultsColumn())
	children := floatColumn(tbl, s.childrenColumn())
	personsFromHouseholds := s.Unit == "persons" && s.Rows == "households" && size != nil
	scale := map[string]int{"per-capita": scalePerCapita, "sqrt": scaleSqrt, "oecd": scaleOECD}[s.Equivalence]
	want, sel := l.want, l.sel
	xs, ws := su.x, su.w
	if keep == nil && want == nil && scale == scaleNone { // every row, incomes as they are
		if !l.inX {
			copy(xs, income[:tbl.Rows])
		}
		if !personsFromHouseholds {
			if !l.inW {
				copy(ws, weight[:tbl.Rows])
			}
			return tbl.Rows
		}
		for i, v := range weight[:tbl.Rows] {
			ws[i] = v * size[i]
		}
		return tbl.Rows
	}
	k := 0
	for i := range tbl.Rows {
		if keep != nil && !keep[i] {
			if want != nil {
				sel[i] = false
			}
			continue
		}
		x := income[i]
		switch scale {
		case scalePerCapita:
			x /= size[i]
		case scaleSqrt:
			x /= math.Sqrt(size[i])
		case scaleOECD:
			x /= oecdScale(adults[i], children[i])
		}
		if want != nil {
			b := indices.HistogramBucket(x)
			in := want[b/64]&(1<<(b%64)) != 0
			sel[i] = in
			if !in {
				continue
			}
		}
		w := weight[i]
		if personsFromHouseholds {
			w *= size[i]
		}
		xs[k], ws[k] = x, w
		k++
	}
	return k
}

// combos numbers the combinations of the stream columns' level codes among
// the kept rows in order of first appearance, and gives every unit its own.
// A column read as a number groups by its values written as numbers, as in
// buildUnits.
func (l *splitLoader) combos(tbl *datasets.Table, keep []bool, su *splitUnits) error {
	cols := l.r.cols
	codes := make([][]int32, len(cols))
	su.levels = make([][]string, len(cols))
	space, dense := 1, true
	for i, name := range cols {
		c := tbl.Column(name)
		if c == nil {
			return fmt.Errorf("column %q: %w", name, datasets.ErrMissingColumn)
		}
		if c.Kind == datasets.Numeric {
			c = numericLevels(c)
		}
		codes[i], su.levels[i] = c.Codes, c.Levels
		nl := max(len(c.Levels), 1)
		if dense && space > maxDenseCells/nl {
			dense = false
		}
		space *= nl
	}
	su.combos = su.combos[:0]
	if !dense {
		l.sparseCombos(tbl.Rows, codes, keep, su)
		return nil
	}
	if len(l.lut) < space {
		l.lut = make([]int32, space)
		for i := range l.lut {
			l.lut[i] = -1
		}
	}
	if len(cols) == 1 {
		l.oneColumn(codes[0], keep, su)
		l.resetLUT(su)
		return nil
	}
	k := 0
	for u := 0; u < tbl.Rows; u++ {
		if keep != nil && !keep[u] {
			continue
		}
		key := 0
		for i, c := range codes {
			key = key*len(su.levels[i]) + int(c[u])
		}
		id := l.lut[key]
		if id < 0 {
			id = int32(len(su.combos) / max(len(cols), 1))
			if len(cols) == 0 {
				id = 0
			}
			l.lut[key] = id
			for _, c := range codes {
				su.combos = append(su.combos, c[u])
			}
			if len(cols) == 0 {
				su.combos = append(su.combos, 0) // one combination, of no column
			}
		}
		su.cell[k] = id
		k++
	}
	l.resetLUT(su)
	return nil
}

// oneColumn is combos for a single stream column: its codes are the keys.
func (l *splitLoader) oneColumn(codes []int32, keep []bool, su *splitUnits) {
	lut, cell := l.lut, su.cell
	k := 0
	for u, c := range codes {
		if keep != nil && !keep[u] {
			continue
		}
		id := lut[c]
		if id < 0 {
			id = int32(len(su.combos))
			lut[c] = id
			su.combos = append(su.combos, c)
		}
		cell[k] = id
		k++
	}
}

// resetLUT marks the combinations of the split unseen again.
func (l *splitLoader) resetLUT(su *splitUnits) {
	nc := len(l.r.cols)
	if nc == 0 {
		l.lut[0] = -1
		return
	}
	for j := 0; j < len(su.combos); j += nc {
		key := 0
		for i := range nc {
			key = key*len(su.levels[i]) + int(su.combos[j+i])
		}
		l.lut[key] = -1
	}
}

// sparseCombos is combos through a map, for combinations too many for a
// dense table.
func (l *splitLoader) sparseCombos(rows int, codes [][]int32, keep []bool, su *splitUnits) {
	if l.sparse == nil {
		l.sparse = map[string]int32{}
	}
	clear(l.sparse)
	nc := len(codes)
	key := make([]int32, nc)
	k := 0
	for u := 0; u < rows; u++ {
		if keep != nil && !keep[u] {
			continue
		}
		for i, c := range codes {
			key[i] = c[u]
		}
		p := packKey(key)
		id, ok := l.sparse[p]
		if !ok {
			id = int32(len(su.combos) / nc)
			l.sparse[p] = id
			su.combos = append(su.combos, key...)
		}
		su.cell[k] = id
		k++
	}
}

// streamLoaders is the number of splits read at once: two when there are
// cores to spare, so that one split is decoded while the next is screened
// and turned into units, and another summed.
func streamLoaders() int {
	return min(2, runtime.GOMAXPROCS(0))
}

// pass reads the splits idx with loaders made by mk, streamLoaders splits at
// once (split k of idx by loader k mod streamLoaders), and calls add on each
// in the order of idx.
func (r *streamRun) pass(ctx context.Context, name string, mk func() *splitLoader, idx []int, add func(*splitUnits)) error {
	type loaded struct {
		su  *splitUnits
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	nl := streamLoaders()
	// Each loader holds at most one split (sends are unbuffered) and the
	// adder one: nl+1 buffers never run short.
	if r.free == nil {
		r.free = make(chan *splitUnits, nl+1)
		for range nl + 1 {
			r.free <- &splitUnits{}
		}
		r.tables = make([]*datasets.Table, nl)
	}
	free := r.free
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait() // the loaders give back their tables before the next pass
	}()
	chans := make([]chan loaded, nl)
	for k := range chans {
		chans[k] = make(chan loaded)
		ld := mk()
		ld.tbl = r.tables[k]
		wg.Go(func() {
			defer func() {
				ld.rd.Close()
				r.tables[k] = ld.tbl
			}()
			for p := k; p < len(idx); p += nl {
				var su *splitUnits
				select {
				case su = <-free:
				case <-ctx.Done():
					return
				}
				err := ld.load(ctx, idx[p], su)
				select {
				case chans[k] <- loaded{su, err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		})
	}
	total := 0
	for _, i := range idx {
		total += max(r.splits[i].Rows, 0)
	}
	r.report(ProgressEvent{Pass: name, Splits: len(idx), Rows: total})
	done := 0
	for p := range idx {
		l := <-chans[p%nl]
		if l.err != nil {
			return l.err
		}
		r.mapCells(l.su)
		add(l.su)
		done++
		r.report(ProgressEvent{Pass: name, Splits: len(idx), Rows: total, Done: done, RowsDone: l.su.rows})
		free <- l.su
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r.report(ProgressEvent{Pass: name, Splits: len(idx), Rows: total, Done: done, Finished: true})
	return nil
}

func (r *streamRun) report(ev ProgressEvent) {
	if r.progress != nil {
		r.progress(ev)
	}
}

// mapCells turns the split's own combinations into stream cells, numbering
// new levels (in the split's level order, the levels no kept row has left
// out, as buildUnits compacts them) and new cells (in order of first
// appearance) as they appear.
func (r *streamRun) mapCells(su *splitUnits) {
	nc := len(r.cols)
	remap := make([][]int32, nc)
	for i := range nc {
		levels := su.levels[i]
		used := make([]bool, len(levels))
		for j := i; j < len(su.combos); j += nc {
			used[su.combos[j]] = true
		}
		remap[i] = make([]int32, len(levels))
		for x, lev := range levels {
			if !used[x] {
				continue
			}
			code, ok := r.cells.index[i][lev]
			if !ok {
				code = int32(len(r.cells.levels[i]))
				r.cells.index[i][lev] = code
				r.cells.levels[i] = append(r.cells.levels[i], lev)
			}
			remap[i][x] = code
		}
	}
	ncombos := len(su.combos)
	if nc > 0 {
		ncombos /= nc
	}
	cell := make([]int32, ncombos)
	key := make([]int32, nc)
	for j := range cell {
		for i := range nc {
			key[i] = remap[i][su.combos[j*nc+i]]
		}
		id, isNew := r.cells.cells.id(key)
		if isNew {
			r.newCell(key)
		}
		cell[j] = id
	}
	for u, c := range su.cell {
		su.cell[u] = cell[c]
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
	r.mergeScreening(su.scr)
	r.excl[su.index] = su.excl
	r.read += su.rows
	r.used += len(su.x)
	r.addSource(su)
	tasks := make([]func(), 0, len(r.requests)+1)
	for _, st := range r.requests {
		tasks = append(tasks, func() { st.add(su) })
	}
	if r.cdShare == nil || r.entropy != nil {
		tasks = append(tasks, func() { r.addCells(su) })
	}
	if r.giniCount != nil {
		tasks = append(tasks, func() {
			for _, x := range su.x {
				r.giniCount.add(x)
			}
		})
	}
	inParallel(tasks)
}

// inParallel runs tasks that share no state at once, one per goroutine, and
// waits for them. Each one adds in row order, whatever GOMAXPROCS is.
func inParallel(tasks []func()) {
	if len(tasks) == 0 {
		return
	}
	if runtime.GOMAXPROCS(0) == 1 {
		for _, t := range tasks {
			t()
		}
		return
	}
	var wg sync.WaitGroup
	for _, t := range tasks[1:] {
		wg.Go(t)
	}
	tasks[0]()
	wg.Wait()
}

// add adds the units of a split to the request's group sums and
// histograms.
func (st *streamStats) add(su *splitUnits) {
	x, w := su.x, su.w
	of, inRef := st.of, st.inRef
	all := st.req.line == nil // every cell is in the reference units
	b := &st.block
	b.reset(len(st.n))
	defer b.mergeInto(st.n, st.pop, st.income) // blocked by split, as Run (units.eachBlock)
	if st.hist == nil {
		for i, c := range su.cell {
			if all || inRef[c] {
				b.add(of[c], x[i], w[i])
			}
		}
		return
	}
	// The split's histograms, merged after it, as Run's (groupQuantiles)
	// and the Beam runner's are; a small split's by sorting its units.
	if len(su.cell) < smallBlock && len(st.hist.H) < 1<<20 {
		groups, keep := make([]int32, len(su.cell)), make([]bool, len(su.cell))
		for i, c := range su.cell {
			if all || inRef[c] {
				groups[i], keep[i] = of[c], true
				b.add(of[c], x[i], w[i])
			}
		}
		st.hist.MergeBlock(groups, keep, x, w)
		return
	}
	blk := indices.NewDomainHistograms(len(st.hist.H))
	h := blk.H
	for i, c := range su.cell {
		if all || inRef[c] {
			g := of[c]
			b.add(g, x[i], w[i])
			h[g].Add(x[i], w[i])
		}
	}
	st.hist.Merge(blk)
}

// addCells adds the units of a split to the sums of their provisional
// finest cells: the count, population and income (unless a request has
// them: cdShare) and the entropy sums.
func (r *streamRun) addCells(su *splitUnits) {
	x, w := su.x, su.w
	if r.cdShare == nil {
		b := &r.cdBlock
		b.reset(len(r.cdN))
		for i, c := range su.cell {
			b.add(r.fcellOf[c], x[i], w[i])
		}
		b.mergeInto(r.cdN, r.cdPop, r.cdIncome)
	}
	if r.entropy != nil {
		for len(r.entBlock) < len(r.entropy) {
			r.entBlock = append(r.entBlock, indices.NewEntropySums(r.nd.alphas, r.nd.epsilons))
		}
		touched := r.entTouched[:0]
		for i, c := range su.cell {
			f := r.fcellOf[c]
			if r.entBlock[f].N == 0 {
				touched = append(touched, f)
			}
			r.entBlock[f].Add(x[i], w[i])
		}
		for _, f := range touched {
			r.entropy[f].Merge(r.entBlock[f])
			r.entBlock[f].Reset()
		}
		r.entTouched = touched
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
func (r *streamRun) mergeScreening(o *datasets.Screening) {
	var cats []string
	for _, q := range r.reqs { // a split's columns are in request order
		if q.Kind == datasets.Categorical {
			cats = append(cats, q.Name)
		}
	}
	r.scr = datasets.MergeScreening(r.roles, cats, r.scr, o)
}

func (r *streamRun) needsMedians() bool {
	return slices.ContainsFunc(r.requests, func(st *streamStats) bool { return st.hist != nil })
}

// locate finds the bucket of every median after pass 1 and returns the
// buckets pass 2 looks for, as a bit set over the grid.
func (r *streamRun) locate() []uint64 {
	want := make([]uint64, 1<<indices.HistogramBits/64)
	for _, st := range r.requests {
		if st.hist == nil {
			continue
		}
		targets := st.hist.Locate(st.ps())
		st.cand = indices.NewQuantileCandidates(targets)
		presize(st.cand, st.hist, targets)
		for _, ts := range targets {
			for _, t := range ts {
				if !t.Done {
					want[t.Bucket/64] |= 1 << (t.Bucket % 64)
				}
			}
		}
	}
	return want
}

// presize gives the candidates of each group the capacity of the units
// with positive weight that pass 1 counted in its wanted buckets: the
// units pass 2 keeps. They are then held in arrays of their size, not in
// arrays up to a quarter larger that appending grows, old and new both
// live while the last one is copied (at 1e9 units the national median's
// bucket alone holds millions of them).
func presize(c *indices.QuantileCandidates, h *indices.DomainHistograms, targets [][]indices.QuantileTarget) {
	for j, ts := range targets {
		var wanted []uint32
		for _, t := range ts {
			if !t.Done && !slices.Contains(wanted, t.Bucket) {
				wanted = append(wanted, t.Bucket)
			}
		}
		if len(wanted) == 0 {
			continue
		}
		var n int64
		for _, b := range h.H[j].Buckets() {
			if slices.Contains(wanted, b.Index) {
				n += b.N
			}
		}
		c.X[j], c.W[j] = make([]float64, 0, n), make([]float64, 0, n)
	}
}

// all lists every split.
func (r *streamRun) all() []int {
	idx := make([]int, len(r.splits))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// addPass2 keeps the units in the buckets of the medians (the loader left
// out the units in no median's bucket).
func (r *streamRun) addPass2(su *splitUnits) {
	for _, st := range r.requests {
		if st.cand == nil {
			continue
		}
		for i, c := range su.cell {
			if st.inRef[c] {
				st.cand.Add(int(st.of[c]), su.x[i], su.w[i])
			}
		}
	}
}

// ps returns the shares of the quantiles of the request, increasing, each
// once: its median and its quantiles (as groupStats.setQuantiles).
func (st *streamStats) ps() []float64 {
	ps := slices.Clone(st.req.quantiles)
	if st.req.median {
		ps = append(ps, 0.5)
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}

// resolve computes the medians and quantiles from the candidates.
func (r *streamRun) resolve() {
	for _, st := range r.requests {
		if st.cand == nil {
			continue
		}
		st.median, st.quantiles = splitQuantiles(st.ps(), st.cand.Quantiles(), st.req.median, st.req.quantiles)
		st.cand, st.hist = nil, nil
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
	if st.quantiles != nil {
		out.quantiles = map[float64][]float64{}
		for p := range st.quantiles {
			out.quantiles[p] = make([]float64, k)
		}
	}
	for c, p := range st.of {
		j := g.codes[c]
		out.n[j], out.pop[j], out.income[j] = st.n[p], st.pop[p], st.income[p]
		if st.median != nil {
			out.median[j] = st.median[p]
		}
		for q, v := range st.quantiles {
			out.quantiles[q][j] = v[p]
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
