package pipeline

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/povstat/povstat/datasets"
)

// Sweep is a grid of poverty lines, written
//
//	NAME=BASIS:FROM:TO:STEP[@COL[,COL...]][?COL=VALUE[&COL=VALUE...]]
//
// for example rel=median:0.30:0.70:0.01, usd=abs:1000:5000:250 or
// prov=median:0.4:0.7:0.05@province. BASIS is abs (the grid holds the
// lines themselves) or median or mean (the grid holds fractions of the
// weighted median or mean income). The reference of a relative sweep is
// that of a line SPEC (see Line): without "@" and "?" the whole
// population (one national line per point); after "@" the columns within
// whose groups the median or mean is taken (a unit faces F times the
// reference of its own group at point F); after "?" the conditions a unit
// must meet to count in the reference statistic. An absolute sweep takes
// neither.
type Sweep struct {
	Name           string
	Basis          string // "abs", "median" or "mean"
	From, To, Step float64
	By             []string    // grouping columns of the reference, nil for one
	Where          []Condition // reference subpopulation, nil for all units
	Pos            string      // where it was written, for error messages
}

// grouped reports whether the sweep's reference is not the median or mean
// of the whole population: it has "@" columns or "?" conditions.
func (sw Sweep) grouped() bool { return len(sw.By) > 0 || len(sw.Where) > 0 }

// refLine is the line whose value in each group is the sweep's reference:
// the fraction 1 of its basis, with its By columns and Where conditions.
func (sw Sweep) refLine() Line {
	return Line{Name: sw.Name, Basis: sw.Basis, Value: 1, By: sw.By, Where: sw.Where, Pos: sw.Pos}
}

// Columns returns the columns the sweep's reference names, as Line.Columns.
func (sw Sweep) Columns() []string { return sw.refLine().Columns() }

// maxSweepPoints bounds the points of one sweep.
const maxSweepPoints = 100001

// ParseSweep parses a sweep written NAME=BASIS:FROM:TO:STEP, optionally
// followed by @COLUMNS and ?CONDITIONS as in a line SPEC (see Sweep).
// FROM <= TO, STEP > 0, and the grid has at most 100001 points.
func ParseSweep(s string) (Sweep, error) {
	name, spec, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok {
		return Sweep{}, fmt.Errorf("sweep %q: expected NAME=BASIS:FROM:TO:STEP, e.g. rel=median:0.3:0.7:0.01", s)
	}
	if err := specCheckName(name); err != nil {
		return Sweep{}, fmt.Errorf("sweep %q: %w", name, err)
	}
	spec, ref := strings.TrimSpace(spec), ""
	if i := strings.IndexAny(spec, "@?"); i >= 0 {
		spec, ref = spec[:i], spec[i:]
	}
	parts := strings.Split(spec, ":")
	if len(parts) != 4 {
		return Sweep{}, fmt.Errorf("sweep %q: %q: expected BASIS:FROM:TO:STEP, e.g. median:0.3:0.7:0.01", name, spec)
	}
	sw := Sweep{Name: name, Basis: strings.TrimSpace(parts[0])}
	if !slices.Contains(specBases, sw.Basis) {
		return Sweep{}, fmt.Errorf("sweep %q: unknown basis %q; want abs, median or mean", name, sw.Basis)
	}
	for i, dst := range []*float64{&sw.From, &sw.To, &sw.Step} {
		v, err := strconv.ParseFloat(strings.TrimSpace(parts[i+1]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Sweep{}, fmt.Errorf("sweep %q: %s %q is not a finite number", name, []string{"FROM", "TO", "STEP"}[i], parts[i+1])
		}
		*dst = v
	}
	if ref != "" {
		if sw.Basis == "abs" {
			return Sweep{}, fmt.Errorf("sweep %q: %q: an absolute sweep has the same lines for every group; \"@\" and \"?\" need median or mean", name, ref)
		}
		l, err := specParse(name, sw.Basis+":1"+ref) // the reference, parsed as a line's
		if err != nil {
			return Sweep{}, fmt.Errorf("sweep %q: %q: %w", name, ref, err)
		}
		sw.By, sw.Where = l.By, l.Where
	}
	if err := sw.check(); err != nil {
		return Sweep{}, err
	}
	return sw, nil
}

// Spec returns the canonical text of the sweep without its name, as
// Line.Spec does for a line: BASIS:FROM:TO:STEP[@COLS][?CONDITIONS].
func (sw Sweep) Spec() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	head := sw.Basis + ":" + f(sw.From) + ":" + f(sw.To) + ":" + f(sw.Step)
	if !sw.grouped() {
		return head
	}
	_, tail, _ := strings.Cut(sw.refLine().Spec(), ":1")
	return head + tail
}

func (sw Sweep) check() error {
	switch {
	case !(sw.Step > 0):
		return fmt.Errorf("sweep %q: STEP %v: want a number > 0", sw.Name, sw.Step)
	case !(sw.From <= sw.To):
		return fmt.Errorf("sweep %q: FROM %v is above TO %v", sw.Name, sw.From, sw.To)
	case sw.Basis != "abs" && sw.From < 0:
		return fmt.Errorf("sweep %q: FROM %v: a fraction of the %s cannot be negative", sw.Name, sw.From, sw.Basis)
	case (sw.To-sw.From)/sw.Step >= maxSweepPoints:
		return fmt.Errorf("sweep %q: more than %d points", sw.Name, maxSweepPoints)
	case sw.Basis == "abs" && sw.grouped():
		return fmt.Errorf("sweep %q: an absolute sweep takes no \"@\" columns or \"?\" conditions", sw.Name)
	}
	return nil
}

// Points returns the grid FROM + k·STEP, k = 0, 1, ..., up to and including
// TO (TO is included when it is within 1e-9 steps of a grid point). Each
// point is computed from k, not by repeated addition, and rounded to the
// decimals of FROM and STEP (0.3 + 7·0.01 is 0.37, not 0.37000000000000005).
func (sw Sweep) Points() []float64 {
	k := math.Floor((sw.To-sw.From)/sw.Step + 1e-9)
	d := max(decimals(sw.From), decimals(sw.Step))
	pts := make([]float64, 0, int(k)+1)
	for i := 0; i <= int(k); i++ {
		v := sw.From + float64(i)*sw.Step
		if d <= 15 {
			v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'f', d, 64), 64)
		}
		pts = append(pts, v)
	}
	return pts
}

// decimals returns the number of decimal places of the shortest decimal
// that reads back as v.
func decimals(v float64) int {
	s := strconv.FormatFloat(math.Abs(v), 'g', -1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	d := 0
	if _, frac, ok := strings.Cut(mant, "."); ok {
		d = len(frac)
	}
	if exp != "" {
		e, _ := strconv.Atoi(exp)
		d -= e
	}
	return max(d, 0)
}

// Comparison asks Compare for a comparison of poverty lines.
type Comparison struct {
	// Sweeps are grids of national lines.
	Sweeps []Sweep
	// Lines are the named lines shown side by side, with the overlap of
	// their poor for each pair in the given order.
	Lines []Line
	// TargetHeadcount, when not nil, asks for the line whose headcount is
	// this share, in (0, 1].
	TargetHeadcount *float64
	// Budget, when not nil, asks for the line whose gap_total is this
	// amount, >= 0.
	Budget *float64
	// TransferBudget, when not nil, asks for the headcount of each named
	// line after this amount, >= 0, is spent (see Compare).
	TransferBudget *float64
	// TransferTarget, when not nil, restricts the transfers to a group.
	TransferTarget *TransferTarget
	// Dominance, when not empty, is the column whose groups (years,
	// regions) are compared for poverty dominance over DominanceRange.
	Dominance string
	// DominanceRange is the range of lines [FROM, TO] of the dominance
	// comparison; nil: from the lowest to the highest line of the sweeps.
	DominanceRange *[2]float64
	// RankCorrelation asks for the rank correlations of the domains'
	// headcounts between lines.
	RankCorrelation bool
	// Traits are columns described over the overlap cells of each pair of
	// named lines (two lines at least).
	Traits []Trait
}

// Compared is the outcome of Compare.
type Compared struct {
	Results  []Result
	Rows     RowCounts
	Warnings []string
}

// Compare reads and screens the inputs of s exactly as Run does and
// compares poverty lines, for the whole population and every domain of
// s.Domains. s is complete; its own lines, indicators, region and ratios
// are not used, and it is not changed. The results are, in this order:
//
//   - population of every domain;
//   - for the named lines c.Lines: their "line" rows (one per group of their
//     By columns), and headcount and poor_population in every domain, as
//     Run gives them;
//   - for each pair (A, B) of named lines, in order, four rows "overlap" in
//     every domain, Line "A|B", Cell "both", "a_only", "b_only" or
//     "neither": the weighted units poor (x < z) under both lines, under A
//     only, under B only, under neither. Units whose line group has no
//     reference unit are in none of the cells and are counted in
//     ExcludedN/ExcludedPopulation;
//   - with Traits, after each pair's overlap rows, the rows of traitRows
//     in every domain: "trait_mean:COL" (the weighted mean of COL over
//     the cell's units) or, one row per level, "trait_share:COL=LEVEL"
//     (the weighted share of the level), Line "A|B", Cell as the overlap
//     rows. Units are weighted as in every other row (persons when units
//     are persons of household rows);
//   - for each sweep, the "line" row of every point (At the point, Estimate
//     the line; for a grouped sweep one row per group of its reference,
//     with the group in Domain, N and Population its reference units), then
//     in every domain and at every point headcount, gap, severity,
//     poor_population and gap_total (At the point). In a grouped sweep each
//     unit faces F times its own group's reference, and each point's rows
//     are those of the named line BASIS:F@COLS?CONDITIONS (units whose group
//     has no reference unit are left out and counted in ExcludedN and
//     ExcludedPopulation);
//   - with a target headcount H, in every domain: line_for_headcount, the
//     smallest line z (a float64) whose headcount, the weighted share of
//     units with x < z, is at least H. With the domain's incomes sorted and
//     c_i their cumulative weight shares, k = min{i : c_i >= H}, and z is
//     the float64 just above x_k: every unit with x <= x_k is poor and at z
//     = x_k itself the headcount is below H. This is laeken's Q(H) made
//     strict, without Q's averaging when c_k = H exactly.
//     line_for_headcount_fraction is z over the domain's median income.
//   - with a budget B, in every domain: line_for_budget, the line z at
//     which gap_total, sum_i {w_i * (z - x_i) * [x_i < z]}, equals B
//     (continuous and increasing in z, solved exactly on the segment where
//     it crosses B; the smallest such z, the lowest income when B = 0), and
//     line_for_budget_fraction, z over the domain's median income.
//   - with a transfer budget B, for each named line, in every domain:
//     headcount_after_transfer, Cell "targeted" and "uniform", At B: the
//     headcount (x + t < z) after B is spent over the whole population
//     (or the units of TransferTarget). Targeted: the poor are lifted to
//     the line in increasing order of their gap z - x, the last one in
//     part (a unit's weight is that many people), which minimizes the
//     headcount (the rule that minimizes the gap instead fills the
//     poorest first). Uniform: everyone eligible gets B over their
//     population;
//   - with a dominance column, for each pair (A, B) of its groups in
//     order, over the whole population and then within every domain of
//     each breakdown of s.Domains with the column taken out (a breakdown
//     [year, province] with dominance by year compares the years within
//     each province; the Domain of the rows says where; a group absent
//     from a domain gives rows with the note "empty group"):
//     dominance_first (incidence
//     curves H(z), the share with x < z) and dominance_second (deficit
//     curves, the integral of H: sum_i {w_i (z - x_i) [x_i < z]} / W, that
//     is gap_total over the population), Line "A|B", Cell "a_dominates"
//     (A's curve nowhere above B's and somewhere below over the range: A
//     has less poverty), "b_dominates", "equal" or "cross", Estimate the
//     first crossing point (NaN unless "cross"). The curves are compared
//     exactly on the sorted incomes (steps and linear pieces), with
//     differences within 1e-12 (relative, for deficits) taken as 0. The
//     range is DominanceRange, else the lowest to the highest line of the
//     sweeps (over every group of a grouped sweep);
//   - with RankCorrelation, for every breakdown of s.Domains:
//     rank_correlation, Spearman's correlation of its domains' headcounts
//     between each pair of named lines (Line "A|B") and between the first
//     and each point of each sweep (Line the sweep, At the point), Cell
//     the breakdown's columns.
//
// Inverse rows carry the target (H or B) in At and no Line.
//
// The sweeps take one pass over the units, whatever the number of points:
// each unit's income is placed between two consecutive lines of the grid
// (by binary search) and its weight w, w x and w x² added to that interval
// of its cell of the finest cross-classification; the poor at a line are
// the intervals below it. In the same pass each unit is placed on the grid
// of fractions of each grouped sweep, against its own group's reference
// (see refAcc). The inverse rows take one sort of the incomes.
func Compare(ctx context.Context, s *Study, c Comparison) (*Compared, error) {
	for _, sw := range c.Sweeps {
		if err := sw.check(); err != nil {
			return nil, err
		}
	}
	if h := c.TargetHeadcount; h != nil && !(*h > 0 && *h <= 1) {
		return nil, fmt.Errorf("target headcount %v: want a share in (0, 1]", *h)
	}
	if b := c.Budget; b != nil && !(*b >= 0 && !math.IsInf(*b, 0)) {
		return nil, fmt.Errorf("budget %v: want a finite amount >= 0", *b)
	}
	if b := c.TransferBudget; b != nil && !(*b >= 0 && !math.IsInf(*b, 0)) {
		return nil, fmt.Errorf("transfer budget %v: want a finite amount >= 0", *b)
	}
	if r := c.DominanceRange; r != nil && !(r[0] <= r[1] && !math.IsInf(r[0], 0) && !math.IsInf(r[1], 0)) {
		return nil, fmt.Errorf("dominance range %v:%v: want finite FROM <= TO", r[0], r[1])
	}
	if c.Dominance != "" && c.DominanceRange == nil && len(c.Sweeps) == 0 {
		return nil, fmt.Errorf("dominance by %q: no range; give one or a sweep", c.Dominance)
	}
	if len(c.Traits) > 0 && len(c.Lines) < 2 {
		return nil, fmt.Errorf("traits: need two named lines at least")
	}
	for _, t := range c.Traits {
		if err := t.check(); err != nil {
			return nil, fmt.Errorf("traits: %w", err)
		}
	}
	names := map[string]bool{}
	for _, l := range c.Lines {
		if names[l.Name] {
			return nil, fmt.Errorf("line %q is given twice", l.Name)
		}
		names[l.Name] = true
	}
	for _, sw := range c.Sweeps {
		if names[sw.Name] {
			return nil, fmt.Errorf("sweep %q: the name is already used", sw.Name)
		}
		names[sw.Name] = true
	}
	sc := *s
	// The named lines, then the references of the grouped sweeps: read and
	// planned as lines, so that their columns, groups and medians are
	// those of the line code.
	sc.Lines = slices.Clone(c.Lines)
	for _, sw := range c.Sweeps {
		if sw.grouped() {
			sc.Lines = append(sc.Lines, sw.refLine())
		}
	}
	sc.Region, sc.Ratios, sc.Time = "", nil, ""
	sc.SEMethod = ""
	var opts loadOptions
	// The design (or replicate weights) of s's standard errors is read
	// with the units (compareErrors).
	ls := sc
	ls.SEMethod = s.SEMethod
	if c.Dominance != "" {
		opts.extra = append(opts.extra, extraColumn{key: "dominance", req: datasets.Request{Name: c.Dominance, Kind: datasets.Categorical}})
	}
	if t := c.TransferTarget; t != nil {
		opts.extra = append(opts.extra, extraColumn{key: "transfer target", req: datasets.Request{Name: t.Column, Kind: datasets.Categorical}})
	}
	opts.extra = append(opts.extra, traitExtras(&sc, c.Traits)...)
	d, err := load(ctx, &ls, opts)
	if err != nil {
		return nil, err
	}
	u := d.u
	traits, err := buildTraits(d, c.Traits)
	if err != nil {
		return nil, err
	}
	inverse := c.TargetHeadcount != nil || c.Budget != nil
	p, err := makePlan(ctx, &sc, u, wants{"median": inverse})
	if err != nil {
		return nil, err
	}
	breakdowns := append([][]string{nil}, sc.Domains...)
	finest := p.groupings[colsKey(p.finestCols)]
	rep := representatives(finest)
	out := &Compared{Rows: RowCounts{Read: d.tbl.Rows, Used: len(u.x), Rules: d.scr.Rules}}

	for _, cols := range breakdowns {
		out.Results = append(out.Results, baseRows(p.groupings[colsKey(cols)], p.stats[statsRequest{cols: cols}.key()], []string{"population"})...)
	}

	// Named lines, evaluated as Run does.
	lines := make([]*lineValues, len(c.Lines))
	cells := make([][]lineSums, len(c.Lines))
	var tasks []func() error
	for i, l := range c.Lines {
		tasks = append(tasks, func() (err error) {
			if lines[i], err = p.evalLine(u, l); err != nil {
				return err
			}
			cells[i] = cellSums(u, finest, rep, lines[i])
			return nil
		})
	}
	if err := runTasks(ctx, tasks); err != nil {
		return nil, err
	}
	for _, lv := range lines {
		out.Results = append(out.Results, lv.rows()...)
	}
	for _, cols := range breakdowns {
		g := p.groupings[colsKey(cols)]
		for l, lv := range lines {
			out.Results = append(out.Results, povertyRows(u, g, lv, cells[l], nil, wants{}, []string{"headcount", "poor_population"}, nil)...)
		}
	}
	for a := range lines {
		for b := a + 1; b < len(lines); b++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			ov := overlapCells(u, finest, lines[a], lines[b])
			for _, cols := range breakdowns {
				out.Results = append(out.Results, overlapRows(p.groupings[colsKey(cols)], rep, ov, lines[a].line.Name+"|"+lines[b].line.Name)...)
			}
			if len(traits) > 0 {
				cell := overlapOfUnits(u, lines[a], lines[b])
				for _, cols := range breakdowns {
					out.Results = append(out.Results, traitRows(u, p.groupings[colsKey(cols)], cell, traits, lines[a].line.Name+"|"+lines[b].line.Name)...)
				}
			}
		}
	}

	if len(c.Sweeps) > 0 {
		refs := make([]*lineValues, len(c.Sweeps))
		for i, sw := range c.Sweeps {
			if sw.grouped() {
				if refs[i], err = p.evalLine(u, sw.refLine()); err != nil {
					return nil, err
				}
			}
		}
		rows, err := sweepRows(ctx, u, p, breakdowns, c.Sweeps, refs)
		if err != nil {
			return nil, err
		}
		out.Results = append(out.Results, rows...)
	}
	if inverse {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out.Results = append(out.Results, inverseRows(u, p, breakdowns, c.TargetHeadcount, c.Budget)...)
	}
	if c.TransferBudget != nil {
		eligible, err := eligibleUnits(u, c.TransferTarget)
		if err != nil {
			return nil, err
		}
		targetText := ""
		if t := c.TransferTarget; t != nil {
			targetText = t.Column + "=" + t.Value
		}
		for _, lv := range lines {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			tg, un, ok := transferShares(u, lv, eligible, *c.TransferBudget)
			for _, cols := range breakdowns {
				out.Results = append(out.Results, transferRows(u, p.groupings[colsKey(cols)], lv, c.TransferBudget, tg, un, ok, targetText)...)
			}
		}
	}
	if c.Dominance != "" {
		g, err := newGrouping(len(u.x), []string{c.Dominance}, u.factors)
		if err != nil {
			return nil, fmt.Errorf("dominance by %q: %w", c.Dominance, err)
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		if r := c.DominanceRange; r != nil {
			lo, hi = r[0], r[1]
		} else {
			for _, r := range out.Results {
				if r.Indicator == "line" && r.At != nil && !math.IsNaN(r.Estimate) && slices.ContainsFunc(c.Sweeps, func(sw Sweep) bool { return sw.Name == r.Line }) {
					lo, hi = min(lo, r.Estimate), max(hi, r.Estimate)
				}
			}
		}
		if lo > hi {
			return nil, fmt.Errorf("dominance by %q: the sweeps have no line", c.Dominance)
		}
		out.Results = append(out.Results, dominanceRows(u, g, lo, hi)...)
		for _, cols := range dominanceBreakdowns(sc.Domains, c.Dominance) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rows, err := domainDominanceRows(u, g, cols, lo, hi)
			if err != nil {
				return nil, fmt.Errorf("dominance by %q within %s: %w", c.Dominance, strings.Join(cols, ","), err)
			}
			out.Results = append(out.Results, rows...)
		}
	}
	if c.RankCorrelation {
		var lineNames []string
		for _, l := range c.Lines {
			lineNames = append(lineNames, l.Name)
		}
		for _, cols := range sc.Domains {
			out.Results = append(out.Results, rankRows(out.Results, cols, lineNames, c.Sweeps)...)
		}
	}
	if err := compareErrors(ctx, s, u, c, out.Results); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, r := range out.Results {
		if r.Indicator == "line" && math.IsNaN(r.Estimate) {
			w := fmt.Sprintf("line %q has no value in %s: %s", r.Line, compareDomainText(r.Domain), r.Note)
			if !seen[w] { // a grouped sweep repeats it at every point
				seen[w] = true
				out.Warnings = append(out.Warnings, w)
			}
		}
	}
	return out, nil
}

func compareDomainText(d []DomainValue) string {
	if len(d) == 0 {
		return "the whole population"
	}
	var parts []string
	for _, v := range d {
		parts = append(parts, v.Column+"="+v.Value)
	}
	return strings.Join(parts, ",")
}

// overlapCell counts the units of one finest cell by their poverty under
// two lines: [0] both, [1] a only, [2] b only, [3] neither; unresolved
// counts the units one of whose lines has no value.
type overlapCell struct {
	n           [4]int
	w           [4]float64
	unresolvedN int
	unresolvedW float64
}

// overlapNames are the cells of an overlap table, in output order.
var overlapNames = [4]string{"both", "a_only", "b_only", "neither"}

func overlapCells(u *units, finest *grouping, a, b *lineValues) []overlapCell {
	cells := make([]overlapCell, finest.size())
	for i, c := range finest.codes {
		za, zb := a.z[i], b.z[i]
		if math.IsNaN(za) || math.IsNaN(zb) {
			cells[c].unresolvedN++
			cells[c].unresolvedW += u.w[i]
			continue
		}
		pa, pb := u.x[i] < za, u.x[i] < zb
		k := 3
		switch {
		case pa && pb:
			k = 0
		case pa:
			k = 1
		case pb:
			k = 2
		}
		cells[c].n[k]++
		cells[c].w[k] += u.w[i]
	}
	return cells
}

func overlapRows(g *grouping, rep []int, cells []overlapCell, name string) []Result {
	k := g.size()
	sums := make([]overlapCell, k)
	for c, cell := range cells {
		j := g.codes[rep[c]]
		for m := range 4 {
			sums[j].n[m] += cell.n[m]
			sums[j].w[m] += cell.w[m]
		}
		sums[j].unresolvedN += cell.unresolvedN
		sums[j].unresolvedW += cell.unresolvedW
	}
	var out []Result
	for j := range k {
		s := sums[j]
		n := s.n[0] + s.n[1] + s.n[2] + s.n[3] + s.unresolvedN
		pop := s.w[0] + s.w[1] + s.w[2] + s.w[3] + s.unresolvedW
		for m, cell := range overlapNames {
			r := Result{Indicator: "overlap", Line: name, Domain: g.domain(j), Cell: cell, Estimate: s.w[m], N: n, Population: pop}
			if s.unresolvedN > 0 {
				r.ExcludedN, r.ExcludedPopulation = s.unresolvedN, s.unresolvedW
				r.Note = "some units belong to a line group without reference units and are left out"
			}
			out = append(out, r)
		}
	}
	return out
}

// binSums are the sums of the units of one cell whose income lies in one
// interval between consecutive lines of the grid.
type binSums struct {
	n          int
	w, wx, wx2 float64
}

// sweepChunks is the fixed number of parts the units are split into for the
// sweep pass; fixed, so that sums (and bytes) do not depend on GOMAXPROCS.
const sweepChunks = 8

// sweepRows computes the rows of every sweep; refs[s] is the reference of
// sweep s when it is grouped (see Sweep.refLine), else nil.
func sweepRows(ctx context.Context, u *units, p *plan, breakdowns [][]string, sweeps []Sweep, refs []*lineValues) ([]Result, error) {
	whole := p.stats[statsRequest{}.key()]
	var median float64
	if slices.ContainsFunc(sweeps, func(sw Sweep) bool { return sw.Basis == "median" && !sw.grouped() }) {
		if whole.median != nil {
			median = whole.median[0]
		} else {
			median = computeStats(u, p.groupings[colsKey(nil)], nil, true).median[0]
		}
	}
	mean := nanIfZero(whole.pop[0], whole.income[0])
	// The lines of every sweep, and their union, sorted.
	pts := make([][]float64, len(sweeps))
	zs := make([][]float64, len(sweeps))
	var grid []float64
	for s, sw := range sweeps {
		pts[s] = sw.Points()
		if refs[s] != nil {
			continue // a grouped sweep has its own grid per group
		}
		zs[s] = make([]float64, len(pts[s]))
		for k, v := range pts[s] {
			switch sw.Basis {
			case "abs":
				zs[s][k] = v
			case "median":
				zs[s][k] = v * median
			case "mean":
				zs[s][k] = v * mean
			}
			if !math.IsNaN(zs[s][k]) {
				grid = append(grid, zs[s][k])
			}
		}
	}
	slices.Sort(grid)
	grid = slices.Compact(grid)
	nb := len(grid) + 1 // bin b holds grid[b-1] <= x < grid[b]
	finest := p.groupings[colsKey(p.finestCols)]
	nc := finest.size()
	n := len(u.x)
	var grouped []int // the grouped sweeps
	for s := range sweeps {
		if refs[s] != nil {
			grouped = append(grouped, s)
		}
	}
	national := len(grouped) < len(sweeps)
	parts := make([][]binSums, sweepChunks)
	gparts := make([][]*refAcc, sweepChunks)
	var tasks []func() error
	for ch := range sweepChunks {
		lo, hi := ch*n/sweepChunks, (ch+1)*n/sweepChunks
		tasks = append(tasks, func() error {
			bins := make([]binSums, nc*nb)
			accs := make([]*refAcc, len(grouped))
			for a, s := range grouped {
				accs[a] = newRefAcc(nc, len(pts[s]))
			}
			for i := lo; i < hi; i++ {
				x, w := u.x[i], u.w[i]
				c := int(finest.codes[i])
				if national {
					b := sort.SearchFloat64s(grid, x) // first grid line >= x
					if b < len(grid) && grid[b] == x {
						b++ // x is not poor at a line equal to it
					}
					s := &bins[c*nb+b]
					s.n++
					s.w += w
					s.wx += w * x
					s.wx2 += w * x * x
				}
				for a, sw := range grouped {
					accs[a].add(c, x, w, refs[sw].z[i], pts[sw])
				}
			}
			parts[ch], gparts[ch] = bins, accs
			return nil
		})
	}
	if err := runTasks(ctx, tasks); err != nil {
		return nil, err
	}
	bins := parts[0]
	for _, part := range parts[1:] {
		for i := range bins {
			bins[i].n += part[i].n
			bins[i].w += part[i].w
			bins[i].wx += part[i].wx
			bins[i].wx2 += part[i].wx2
		}
	}
	gaccs := make([]*refAcc, len(sweeps))
	for a, s := range grouped {
		gaccs[s] = gparts[0][a]
		for _, part := range gparts[1:] {
			gaccs[s].merge(part[a])
		}
	}
	rep := representatives(finest)
	var out []Result
	for s, sw := range sweeps {
		if refs[s] != nil {
			out = append(out, groupedLineRows(refs[s], pts[s])...)
			continue
		}
		for k, z := range zs[s] {
			r := Result{Indicator: "line", Line: sw.Name, At: &pts[s][k], Estimate: z, N: whole.n[0], Population: whole.pop[0]}
			if math.IsNaN(z) {
				r.Note = "the " + sw.Basis + " income does not exist"
			}
			out = append(out, r)
		}
	}
	for _, cols := range breakdowns {
		g := p.groupings[colsKey(cols)]
		k := g.size()
		// The bins of each domain: the sums of its cells.
		dom := make([]binSums, k*nb)
		for c := range nc {
			j := int(g.codes[rep[c]])
			for b := range nb {
				src := bins[c*nb+b]
				dst := &dom[j*nb+b]
				dst.n += src.n
				dst.w += src.w
				dst.wx += src.wx
				dst.wx2 += src.wx2
			}
		}
		gdom := make([]*refAcc, len(sweeps))
		for _, s := range grouped {
			gdom[s] = gaccs[s].domains(g, rep)
		}
		for j := range k {
			row := dom[j*nb : (j+1)*nb]
			total := binSums{}
			for _, b := range row {
				total.n += b.n
				total.w += b.w
			}
			// prefix[b] sums bins 0..b: the units poor (x < z) at z = grid[b].
			prefix := make([]binSums, nb)
			acc := binSums{}
			for b := range nb {
				acc.w += row[b].w
				acc.wx += row[b].wx
				acc.wx2 += row[b].wx2
				prefix[b] = acc
			}
			for s, sw := range sweeps {
				if gdom[s] != nil {
					out = append(out, gdom[s].rows(sw.Name, pts[s], j, g.domain(j))...)
					continue
				}
				for kk, z := range zs[s] {
					at := &pts[s][kk]
					var poor binSums
					if !math.IsNaN(z) {
						gi, _ := slices.BinarySearch(grid, z)
						poor = prefix[gi]
					}
					out = append(out, sweepPointRows(sw.Name, at, z, poor, total, g.domain(j))...)
				}
			}
		}
	}
	return out, nil
}

// sweepIndicators are the indicators of each point of a sweep.
var sweepIndicators = []string{"headcount", "gap", "severity", "poor_population", "gap_total"}

// sweepPointRows are the rows of one point of a sweep in one domain, from
// the sums over its poor units: W = Σ w, S1 = Σ w x, S2 = Σ w x², so that
//
//	headcount = W / N,  gap = (z W − S1) / (z N),  severity = (z² W − 2 z S1 + S2) / (z² N)
//	poor_population = W,  gap_total = z W − S1
func sweepPointRows(name string, at *float64, z float64, poor, total binSums, dom []DomainValue) []Result {
	out := make([]Result, 0, len(sweepIndicators))
	for _, ind := range sweepIndicators {
		r := Result{Indicator: ind, Line: name, Domain: dom, At: at, N: total.n, Population: total.w}
		switch {
		case math.IsNaN(z):
			r.Estimate, r.Note = math.NaN(), "the line does not exist"
		case total.w == 0:
			r.Estimate, r.Note = math.NaN(), "empty domain"
		default:
			gapTotal := max(z*poor.w-poor.wx, 0)
			switch ind {
			case "headcount":
				r.Estimate = poor.w / total.w
			case "gap", "severity":
				if !(z > 0) {
					r.Estimate, r.Note = math.NaN(), "line is not positive"
					break
				}
				if ind == "gap" {
					r.Estimate = gapTotal / (z * total.w)
				} else {
					r.Estimate = max(z*z*poor.w-2*z*poor.wx+poor.wx2, 0) / (z * z * total.w)
				}
			case "poor_population":
				r.Estimate = poor.w
			case "gap_total":
				r.Estimate = gapTotal
			}
		}
		out = append(out, r)
	}
	return out
}

// inverseState walks one domain's incomes in increasing order.
type inverseState struct {
	n                 int     // units passed
	w, wx             float64 // their sums
	headcount, budget float64 // the solutions, once found
	foundH, foundB    bool
}

// inverseRows solves for the lines of a target headcount and of a budget in
// every domain, in one pass over the units sorted by income.
func inverseRows(u *units, p *plan, breakdowns [][]string, target, budget *float64) []Result {
	order := radixOrder(u.x)
	type bd struct {
		g     *grouping
		st    *groupStats
		state []inverseState
	}
	bds := make([]bd, len(breakdowns))
	for i, cols := range breakdowns {
		g := p.groupings[colsKey(cols)]
		bds[i] = bd{g: g, st: p.stats[statsRequest{cols: cols}.key()], state: make([]inverseState, g.size())}
	}
	// Ties: a unit's value v is processed after every smaller value; the
	// checks at v use the sums over x < v, and headcount is tested after
	// all units at v are added (the share with x <= v).
	for idx := 0; idx < len(order); {
		v := u.x[order[idx]]
		end := idx
		for end < len(order) && u.x[order[end]] == v {
			end++
		}
		for bi := range bds {
			b := &bds[bi]
			// Budget: gap_total at z = v over x < v.
			if budget != nil {
				for t := idx; t < end; t++ {
					st := &b.state[b.g.codes[order[t]]]
					if st.foundB {
						continue
					}
					if g := v*st.w - st.wx; g >= *budget {
						st.foundB = true
						if st.w == 0 {
							st.budget = v
						} else {
							st.budget = min((*budget+st.wx)/st.w, v)
						}
					}
				}
			}
			for t := idx; t < end; t++ {
				i := order[t]
				st := &b.state[b.g.codes[i]]
				st.n++
				st.w += u.w[i]
				st.wx += u.w[i] * u.x[i]
			}
			if target != nil {
				for t := idx; t < end; t++ {
					j := b.g.codes[order[t]]
					st := &b.state[j]
					if !st.foundH && (st.w/b.st.pop[j] >= *target || st.n == b.st.n[j]) {
						st.foundH = true
						st.headcount = math.Nextafter(v, math.Inf(1))
					}
				}
			}
		}
		idx = end
	}
	var out []Result
	for _, b := range bds {
		for j := range b.g.size() {
			st := b.state[j]
			dom := b.g.domain(j)
			n, pop, median := b.st.n[j], b.st.pop[j], b.st.median[j]
			if target != nil {
				z := st.headcount
				if !st.foundH {
					z = math.NaN()
				}
				out = append(out,
					inverseRow("line_for_headcount", target, z, dom, n, pop),
					inverseRow("line_for_headcount_fraction", target, z/median, dom, n, pop))
			}
			if budget != nil {
				z := st.budget
				if !st.foundB {
					z = math.NaN()
					if st.w > 0 {
						z = (*budget + st.wx) / st.w
					}
				}
				out = append(out,
					inverseRow("line_for_budget", budget, z, dom, n, pop),
					inverseRow("line_for_budget_fraction", budget, z/median, dom, n, pop))
			}
		}
	}
	return out
}

func inverseRow(ind string, at *float64, z float64, dom []DomainValue, n int, pop float64) Result {
	r := Result{Indicator: ind, Domain: dom, At: at, Estimate: z, N: n, Population: pop}
	if math.IsNaN(z) || math.IsInf(z, 0) {
		r.Estimate = math.NaN()
		r.Note = "no such line in this domain"
		if strings.HasSuffix(ind, "_fraction") {
			r.Note = "no such line, or no positive median, in this domain"
		}
	}
	return r
}
