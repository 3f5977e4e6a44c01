package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/povstat/povstat/datasets"
)

// Version is the povstat version written into every manifest.
const Version = "0.1.0-dev"

// Output is what a study run produces: the results table, the manifest that
// records how, and warnings for the user (also in the manifest).
type Output struct {
	Results  []Result
	Manifest Manifest
	Warnings []string
	// Flags and Scores are the monitoring flags and risk scores of the
	// study's dynamics: and risk: sections (nil without them); Files are
	// the extra files the sections ask for (flags.csv, scores.csv).
	Flags  []Flag
	Scores []RiskScore
	Files  []File
}

// ErrNonPositive reports incomes <= 0 in a measure that is undefined for
// them, when the study asks for an error instead of leaving them out.
var ErrNonPositive = errors.New("incomes <= 0 where the measure is undefined")

// Run carries out a study: it checks the study against the inputs' schemas,
// reads the columns it needs, screens the rows, evaluates the poverty lines
// and computes every indicator for every domain. It writes nothing; see
// WriteOutputs. The results are the same whatever GOMAXPROCS is.
func Run(ctx context.Context, s *Study, opts ...Option) (*Output, error) {
	var cfg runConfig
	for _, o := range opts {
		o(&cfg)
	}
	t0 := time.Now()
	mem, err := chooseMemory(ctx, s, cfg)
	if err != nil {
		return nil, err
	}
	defer mem.guard()()
	if mem.stream {
		return runStreamed(ctx, s, cfg, mem, t0)
	}
	m := Manifest{Povstat: Version, GoVersion: runtime.Version(), Seed: s.Seed}
	m.Study = StudyInfo{Name: s.Name, Path: s.Path, SHA256: s.SHA256}
	m.Memory = &mem.rec
	hashes := noHashes
	var t1 time.Time
	d, err := load(ctx, s, loadOptions{consume: true, onInspect: func(infos []datasets.FileInfo) {
		t1 = time.Now()
		if !cfg.skipHashes {
			hashes = hashInputs(infos)
		}
	}})
	if err != nil {
		return nil, err
	}
	t2 := time.Now()
	tbl, scr, u, original := d.tbl, d.scr, d.u, d.original
	// The units hold (or share) every column that tabulating needs: drop the
	// table's, so that the garbage collector can reuse the memory of those
	// the units do not share.
	tbl.Columns = nil
	out := &Output{}
	out.Results, out.Warnings, err = tabulate(ctx, s, u)
	if err != nil {
		return nil, err
	}
	if err := runSections(ctx, s, out, RowCounts{Read: tbl.Rows, Used: len(u.x)}); err != nil {
		return nil, err
	}
	t3 := time.Now()

	m.Inputs, err = inputRecords(original, tbl, hashes)
	if err != nil {
		return nil, err
	}
	m.Rows = RowCounts{Read: tbl.Rows, Used: len(u.x), Rules: scr.Rules}
	for _, l := range s.Lines {
		m.Lines = append(m.Lines, LineInfo{Name: l.Name, Spec: l.Spec()})
	}
	m.Unit, m.Equivalence = s.Unit, s.Equivalence
	m.Warnings = out.Warnings
	m.Timings = Timings{
		InspectSeconds: t1.Sub(t0).Seconds(),
		ReadSeconds:    t2.Sub(t1).Seconds(),
		ComputeSeconds: t3.Sub(t2).Seconds(),
	}
	out.Manifest = m
	return out, nil
}

// loaded is the data of a study, read and screened.
type loaded struct {
	tbl      *datasets.Table
	scr      *datasets.Screening
	u        *units
	original []string // the input paths as read (tbl.Sources name them relative to the study)
}

// loadOptions adapt load to a job beyond Run.
type loadOptions struct {
	// extra are further columns to read; each must exist (checked with the
	// study's columns, before any data is read), named by key in errors.
	extra []extraColumn
	// onInspect is called with the input files once their schemas are read.
	onInspect func([]datasets.FileInfo)
	// consume says that the job reads no column of the table after load:
	// the units may be written over the columns they come from.
	consume bool
}

// extraColumn is a column a job reads besides the study's own.
type extraColumn struct {
	key string // the flag or key that names it, for messages
	req datasets.Request
}

// load inspects the inputs, checks that every column the study (and the
// job) names exists before reading any data, reads the needed columns,
// screens the rows and builds the units of analysis. Input paths in the
// table are made relative to the study's directory.
func load(ctx context.Context, s *Study, opts loadOptions) (*loaded, error) {
	infos, err := datasets.Inspect(s.Inputs)
	if err != nil {
		return nil, fmt.Errorf("inspect inputs: %w", err)
	}
	if err := checkColumns(s, infos, opts.extra); err != nil {
		return nil, err
	}
	if opts.onInspect != nil {
		opts.onInspect(infos)
	}
	reqs := requests(s)
	// The replicate weight columns of variance.repweights, read into
	// units.rep when the study's SEs come from them.
	var repCols []string
	if s.SEMethod == "replicates" {
		if repCols, err = s.repColumns(fieldNames(infos)); err != nil {
			return nil, err
		}
	}
	for _, c := range repCols {
		opts.extra = append(opts.extra, extraColumn{key: "variance.repweights", req: datasets.Request{Name: c, Kind: datasets.Numeric}})
	}
	for _, e := range opts.extra {
		if slices.ContainsFunc(reqs, func(r datasets.Request) bool { return r.Name == e.req.Name && r.Kind != e.req.Kind }) {
			return nil, fmt.Errorf("%s: column %q is already read as another kind of column (income, weight, size, adults or children are numbers)", e.key, e.req.Name)
		}
		if !slices.ContainsFunc(reqs, func(r datasets.Request) bool { return r.Name == e.req.Name }) {
			reqs = append(reqs, e.req)
		}
	}
	tbl, err := datasets.Read(ctx, s.Inputs, reqs)
	if err != nil {
		return nil, fmt.Errorf("read inputs: %w", err)
	}
	// Name files relative to the study in everything written (row examples,
	// the manifest), so that outputs do not depend on where a study lives.
	d := &loaded{tbl: tbl, original: make([]string, len(tbl.Sources))}
	for i := range tbl.Sources {
		d.original[i] = tbl.Sources[i].Path
		tbl.Sources[i].Path = relativeTo(s.Dir, d.original[i])
	}
	roles := s.roles()
	if d.scr, err = datasets.Screen(tbl, roles); err != nil {
		return nil, fmt.Errorf("screen rows: %w", err)
	}
	// Replicate weights are read after the units: their columns stay.
	if d.u, err = makeUnits(s, tbl, d.scr.Keep, opts.consume && len(repCols) == 0); err != nil {
		return nil, err
	}
	if d.u.rep, err = replicateWeights(s, tbl, d.scr.Keep, repCols); err != nil {
		return nil, err
	}
	return d, nil
}

// fieldNames lists the names of the inputs' fields, each once, in order
// of first appearance.
func fieldNames(infos []datasets.FileInfo) []string {
	var names []string
	seen := map[string]bool{}
	for _, fi := range infos {
		for _, f := range fi.Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				names = append(names, f.Name)
			}
		}
	}
	return names
}

// replicateWeights returns the replicate weights of the kept rows, as unit
// weights (times the household size where units are persons of household
// rows). A missing, non-finite or negative replicate weight is an error
// naming file, column and row: a replicate cannot be completed.
func replicateWeights(s *Study, tbl *datasets.Table, keep []bool, cols []string) ([][]float64, error) {
	if len(cols) == 0 {
		return nil, nil
	}
	size := floatColumn(tbl, s.sizeColumn())
	persons := s.Unit == "persons" && s.Rows == "households" && size != nil
	out := make([][]float64, len(cols))
	for r, name := range cols {
		c := tbl.Column(name)
		for i, v := range c.Float {
			if keep != nil && !keep[i] {
				continue
			}
			if c.Null != nil && c.Null[i] || !(v >= 0) || math.IsInf(v, 0) {
				file, row := tbl.Locate(i)
				return nil, &datasets.RowError{File: file, Column: name, Row: row, RowGroup: -1,
					Err: fmt.Errorf("replicate weight %v: want a finite number >= 0", v)}
			}
			if persons {
				v *= size[i]
			}
			out[r] = append(out[r], v)
		}
	}
	return out, nil
}

// requests lists the columns a study needs: numbers for the income and
// weight roles, categories for lines and domains.
func requests(s *Study) []datasets.Request {
	var reqs []datasets.Request
	seen := map[string]bool{}
	add := func(name string, kind datasets.Kind) {
		if name == "" || seen[name] {
			return
		}
		seen[name] = true
		reqs = append(reqs, datasets.Request{Name: name, Kind: kind})
	}
	for _, c := range []string{s.Income, s.Weight, s.sizeColumn(), s.adultsColumn(), s.childrenColumn(), s.fpcColumn()} {
		add(c, datasets.Numeric)
	}
	for _, c := range categoricalColumns(s) {
		add(c, datasets.Categorical)
	}
	return reqs
}

func categoricalColumns(s *Study) []string {
	var cols []string
	for _, l := range s.Lines {
		cols = append(cols, l.Columns()...)
	}
	for _, d := range s.Domains {
		cols = append(cols, d...)
	}
	if s.Region != "" {
		cols = append(cols, s.Region)
	}
	for _, r := range s.Ratios {
		cols = append(cols, r.Column)
	}
	if s.SEMethod != "" && s.SEMethod != "none" {
		cols = append(cols, s.designColumns()...)
	}
	return cols
}

// checkColumns reports the columns the study and the job's extra columns
// name that the inputs lack, before any data is read.
func checkColumns(s *Study, infos []datasets.FileInfo, extra []extraColumn) error {
	have := map[string]bool{}
	var names []string
	for _, fi := range infos {
		for _, f := range fi.Fields {
			if !have[f.Name] {
				have[f.Name] = true
				names = append(names, f.Name)
			}
		}
	}
	errs := []error{s.CheckColumns(func(c string) bool { return have[c] }, names)}
	for _, e := range extra {
		if !have[e.req.Name] {
			errs = append(errs, &studyError{key: e.key, err: fmt.Errorf("unknown column %q (%sinput has: %s)",
				e.req.Name, studyDidYouMean(e.req.Name, names), studyColumnList(names))})
		}
	}
	return errors.Join(errs...)
}

// Option changes how Run works, not what it computes.
type Option func(*runConfig)

type runConfig struct {
	skipHashes bool
	// progress, budget, forceStream and forceMemory: see memory.go.
	progress                 ProgressFunc
	budget                   int64
	forceStream, forceMemory bool
}

// SkipHashes leaves the SHA-256 of the inputs out of the manifest, for
// callers that do not write one (povstat indices): hashing reads every
// input file whole.
func SkipHashes() Option { return func(c *runConfig) { c.skipHashes = true } }

func noHashes() (map[string]string, error) { return nil, nil }

// hashInputs starts hashing every input file and returns a function that
// waits for the hashes.
func hashInputs(infos []datasets.FileInfo) func() (map[string]string, error) {
	type res struct {
		path, sum string
		err       error
	}
	ch := make(chan res, len(infos))
	go func() {
		for _, fi := range infos {
			sum, err := datasets.HashFile(fi.Path)
			ch <- res{fi.Path, sum, err}
		}
	}()
	return func() (map[string]string, error) {
		m := map[string]string{}
		for range infos {
			r := <-ch
			if r.err != nil {
				return nil, fmt.Errorf("hash %s: %w", r.path, r.err)
			}
			m[r.path] = r.sum
		}
		return m, nil
	}
}

func inputRecords(original []string, tbl *datasets.Table, hashes func() (map[string]string, error)) ([]InputRecord, error) {
	sums, err := hashes()
	if err != nil {
		return nil, err
	}
	recs := make([]InputRecord, 0, len(tbl.Sources))
	for i, src := range tbl.Sources {
		if _, ok := sums[original[i]]; !ok && sums != nil {
			return nil, fmt.Errorf("no hash of input %s", original[i])
		}
		recs = append(recs, InputRecord{Path: src.Path, SHA256: sums[original[i]], Rows: src.Rows, RowGroups: src.RowGroups})
	}
	return recs, nil
}

// relativeTo writes path relative to dir when it lies below dir, so that a
// manifest does not depend on where a study directory was placed.
func relativeTo(dir, path string) string {
	if dir == "" {
		return path
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return path
	}
	return filepath.ToSlash(rel)
}

// buildUnits turns the kept rows into units of analysis. When every row is
// kept, the units share the table's columns instead of copying them: the
// incomes without an equivalence scale, the weights when units are rows,
// the sampling fractions and the codes of factors whose levels are all
// used. Neither the units nor the table are written after they are made.
func buildUnits(s *Study, tbl *datasets.Table, keep []bool) (*units, error) {
	return makeUnits(s, tbl, keep, false)
}

// makeUnits is buildUnits; with consume, the incomes and weights are
// written over their own columns (each read for that role only) instead
// of into new arrays, for a caller that reads them no more.
func makeUnits(s *Study, tbl *datasets.Table, keep []bool, consume bool) (*units, error) {
	if !slices.Contains(keep, false) {
		keep = nil
	}
	n := tbl.Rows
	if keep != nil {
		n = 0
		for _, k := range keep {
			if k {
				n++
			}
		}
	}
	income := tbl.Column(s.Income).Float
	weight := tbl.Column(s.Weight).Float
	size := floatColumn(tbl, s.sizeColumn())
	adults := floatColumn(tbl, s.adultsColumn())
	children := floatColumn(tbl, s.childrenColumn())
	u := &units{factors: map[string]*factor{}, blocks: unitBlocks(tbl, keep)}
	var eq func(i int, x float64) float64 // the equivalised income of row i
	switch s.Equivalence {
	case "per-capita":
		eq = func(i int, x float64) float64 { return x / size[i] }
	case "sqrt":
		eq = func(i int, x float64) float64 { return x / math.Sqrt(size[i]) }
	case "oecd":
		eq = func(i int, x float64) float64 { return x / oecdScale(adults[i], children[i]) }
	}
	dst := func(name string, v []float64) []float64 { // where the units of column name go
		if consume && roleOnly(s, name) {
			return v
		}
		return nil
	}
	u.x = keptValues(dst(s.Income, income), income, keep, n, eq)
	var perPerson func(i int, w float64) float64 // the weight of the persons of row i
	if s.Unit == "persons" && s.Rows == "households" && size != nil {
		perPerson = func(i int, w float64) float64 { return w * size[i] }
	}
	u.w = keptValues(dst(s.Weight, weight), weight, keep, n, perPerson)
	if fpc := floatColumn(tbl, s.fpcColumn()); fpc != nil && n > 0 {
		u.fpc = keptValues(nil, fpc, keep, n, nil)
	}
	for _, c := range tbl.Columns {
		if c.Kind == datasets.Categorical {
			u.factors[c.Name] = compactFactor(c, keep, n)
		}
	}
	// A column read as a number (e.g. the household size) may also group
	// the units (a breakdown by household size): its values become levels.
	for _, name := range categoricalColumns(s) {
		if _, ok := u.factors[name]; !ok {
			if c := tbl.Column(name); c != nil && c.Kind == datasets.Numeric {
				u.factors[name] = compactFactor(numericLevels(c), keep, n)
			}
		}
	}
	return u, nil
}

// unitBlocks returns units.blocks: where the units of each split of the
// table's files start, given the rows keep marks (nil: all), and the unit
// count last.
func unitBlocks(tbl *datasets.Table, keep []bool) []int {
	rows := []int{0} // the first row of each split, then the row count
	cut := func(r int) {
		if r > rows[len(rows)-1] && r < tbl.Rows { // a table of one split has Start <= 0
			rows = append(rows, r)
		}
	}
	for _, src := range tbl.Sources {
		cut(src.Start)
		r := src.Start
		for _, n := range src.RowGroupRows {
			r += n
			cut(r)
		}
	}
	rows = append(rows, tbl.Rows)
	if keep == nil {
		return rows
	}
	out := make([]int, len(rows))
	n := 0
	for b := 0; b+1 < len(rows); b++ {
		out[b] = n
		for _, k := range keep[rows[b]:rows[b+1]] {
			if k {
				n++
			}
		}
	}
	out[len(rows)-1] = n
	return out
}

// unitChunk is the number of rows a goroutine of keptValues transforms.
const unitChunk = 1 << 20

// keptValues returns f(i, v[i]) for the n rows i that keep marks (nil: all),
// in row order, in dst[:n] (nil: a new array; dst may be v). nil f is the
// identity, and then with every row kept the result is v itself, not a
// copy. With every row kept, rows are transformed in chunks on up to
// GOMAXPROCS goroutines.
func keptValues(dst, v []float64, keep []bool, n int, f func(i int, v float64) float64) []float64 {
	if keep == nil && f == nil {
		return v[:n:n]
	}
	if dst == nil {
		dst = make([]float64, n)
	}
	out := dst[:n:n]
	if keep != nil {
		j := 0
		for i, x := range v {
			if !keep[i] {
				continue
			}
			if f != nil {
				x = f(i, x)
			}
			out[j] = x // j <= i: v is read before it is written when dst is v
			j++
		}
		return out
	}
	var tasks []func() error
	for lo := 0; lo < n; lo += unitChunk {
		hi := min(lo+unitChunk, n)
		tasks = append(tasks, func() error {
			for i := lo; i < hi; i++ {
				out[i] = f(i, v[i])
			}
			return nil
		})
	}
	_ = runTasks(context.Background(), tasks) // the tasks cannot fail
	return out
}

// roleOnly reports whether column name is read once by the study: for one
// role, and not as a category or a design column.
func roleOnly(s *Study, name string) bool {
	count := 0
	for _, c := range []string{s.Income, s.Weight, s.sizeColumn(), s.adultsColumn(), s.childrenColumn(), s.fpcColumn()} {
		if c == name {
			count++
		}
	}
	return count == 1 && !slices.Contains(categoricalColumns(s), name)
}

// numericLevels turns a numeric column into a categorical one whose levels
// are its distinct values written as numbers; null values get the level "".
// Each distinct value is written once: values are told apart by their bits
// (distinct values write distinct levels; every NaN writes "NaN").
func numericLevels(c *datasets.Column) *datasets.Column {
	out := &datasets.Column{Name: c.Name, Kind: datasets.Categorical, Null: c.Null, Codes: make([]int32, len(c.Float))}
	index := map[uint64]int32{}
	null := int32(-1) // the code of "", once a null is met
	for i, v := range c.Float {
		if c.Null != nil && c.Null[i] {
			if null < 0 {
				null = int32(len(out.Levels))
				out.Levels = append(out.Levels, "")
			}
			out.Codes[i] = null
			continue
		}
		bits := math.Float64bits(v)
		if math.IsNaN(v) {
			bits = math.Float64bits(math.NaN())
		}
		code, ok := index[bits]
		if !ok {
			code = int32(len(out.Levels))
			index[bits] = code
			out.Levels = append(out.Levels, strconv.FormatFloat(v, 'g', -1, 64))
		}
		out.Codes[i] = code
	}
	return out
}

// oecdScale is the OECD-modified equivalence scale: 1 for the first adult,
// 0.5 for each other adult, 0.3 for each child. A household of children
// only counts its first member as the adult.
func oecdScale(adults, children float64) float64 {
	if adults < 1 {
		adults, children = 1, children-1+adults
	}
	return 1 + 0.5*(adults-1) + 0.3*math.Max(children, 0)
}

func floatColumn(tbl *datasets.Table, name string) []float64 {
	if name == "" {
		return nil
	}
	return tbl.Column(name).Float
}

// compactFactor keeps the codes of the kept rows and drops the levels no
// kept row has. With every row kept (keep nil) and every level used, the
// factor shares the column's codes.
func compactFactor(c *datasets.Column, keep []bool, n int) *factor {
	used := make([]int32, len(c.Levels))
	if keep == nil {
		for _, code := range c.Codes {
			used[code] = 1
		}
		if !slices.Contains(used, 0) {
			return &factor{codes: c.Codes[:n:n], levels: slices.Clone(c.Levels)}
		}
	}
	codes := make([]int32, 0, n)
	for i, code := range c.Codes {
		if keep == nil || keep[i] {
			codes = append(codes, code)
			used[code] = 1
		}
	}
	f := &factor{}
	for j := range used {
		if used[j] == 1 {
			used[j] = int32(len(f.levels))
			f.levels = append(f.levels, c.Levels[j])
		} else {
			used[j] = -1
		}
	}
	for i, code := range codes {
		codes[i] = used[code]
	}
	f.codes = codes
	return f
}

// exclusionWarnings reports the units that measures undefined for some
// incomes (Watts, Theil, GE, Atkinson) left out of the whole population,
// one warning per measure, or fails when the study asks for an error
// (options.nonpositive: error).
func exclusionWarnings(s *Study, results []Result) ([]string, error) {
	var warnings []string
	for _, r := range results {
		if len(r.Domain) != 0 || r.ExcludedN == 0 || !leavesOutIncomes(r.Indicator) {
			continue
		}
		which := "with income <= 0"
		if ind, _ := parseIndicator(r.Indicator); strings.HasPrefix(r.Indicator, "ge_") && ind.param > 1 ||
			strings.HasPrefix(r.Indicator, "atkinson_") && ind.param < 1 {
			which = "with income < 0"
		}
		if r.Indicator == "watts" {
			which += " (line " + r.Line + ")"
		}
		if s.Nonpositive == "error" {
			return nil, fmt.Errorf("%s: %d units (weighted %.0f) %s: %w (options.nonpositive: error)",
				r.Indicator, r.ExcludedN, r.ExcludedPopulation, which, ErrNonPositive)
		}
		warnings = append(warnings, fmt.Sprintf("%s: %d units (weighted %.0f) %s are left out of it, as in R convey; see excluded_n in the results",
			r.Indicator, r.ExcludedN, r.ExcludedPopulation, which))
	}
	return warnings, nil
}

// leavesOutIncomes reports whether an indicator is undefined for some
// incomes and leaves those units out.
func leavesOutIncomes(name string) bool {
	return name == "watts" || name == "theil_t" || name == "theil_l" ||
		strings.HasPrefix(name, "ge_") || strings.HasPrefix(name, "atkinson_")
}

// runTasks runs the tasks on up to GOMAXPROCS goroutines and returns the
// first error in task order.
func runTasks(ctx context.Context, tasks []func() error) error {
	errs := make([]error, len(tasks))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, t := range tasks {
		if err := ctx.Err(); err != nil {
			return err
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = t()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// roles are the columns the screening rules check (see datasets.Screen).
func (s *Study) roles() datasets.Roles {
	return datasets.Roles{Income: s.Income, Weight: s.Weight, Size: s.sizeColumn(), Adults: s.adultsColumn(), Children: s.childrenColumn(), FPC: s.fpcColumn()}
}
