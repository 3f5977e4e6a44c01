package pipeline

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/povstat/povstat/datasets"
)

// ErrNoGroup reports a unit whose group column is null: it cannot be
// classified, and is not dropped silently.
var ErrNoGroup = errors.New("no group (null value)")

// Classification asks which groups of units (villages, say) have a weighted
// mean income below a threshold, and optionally which units of those groups
// have an income below a second one.
type Classification struct {
	// Group is the column whose groups are classified, e.g. "village".
	Group string
	// Ref is the threshold of the group means, a line like those of a study
	// (see Line): an absolute value, or a fraction of the weighted median or
	// mean income of its reference units in each group of its By columns
	// (and among those meeting its Where conditions). Every group must lie
	// within one group of the By columns. Its Name (default "ref") names it
	// in the results.
	Ref Line
	// HouseholdRef, when not nil, is the threshold of the second stage:
	// units of the flagged groups whose income is below it are counted.
	// Each unit faces the value of its own group of the By columns. Its Name
	// defaults to "household_ref".
	HouseholdRef *Line
}

// Classified is the outcome of Classify.
type Classified struct {
	// Results are the rows of the long results table (see Classify).
	Results []Result
	// Groups holds every group, sorted by its Regions values (compared
	// value by value) and then by group, numbers compared as numbers.
	Groups []ClassifiedGroup
	// Regions are the breakdown columns, each once, in order of first use;
	// the group column itself is left out.
	Regions []string
	// HouseholdStage is true when the classification had a HouseholdRef.
	HouseholdStage bool
	// Rows counts the rows read and used, and those excluded by each
	// screening rule, as in a manifest.
	Rows     RowCounts
	Warnings []string
}

// ClassifiedGroup is one group of a Classification.
type ClassifiedGroup struct {
	Group string
	// Regions holds the group's values of each of Classified.Regions,
	// sorted as the domains of a breakdown: one value, or several for a
	// group whose units have several.
	Regions [][]string
	// Mean is the weighted mean income of the group's units, Σ w x / Σ w.
	Mean float64
	// Threshold is the value of Ref for the group; NaN when its group of
	// Ref's By columns has no reference unit.
	Threshold float64
	// N and Population count the group's rows and weighted units.
	N          int
	Population float64
	// Flagged is Mean < Threshold (false when Threshold is NaN).
	Flagged bool
	// The second stage, on flagged groups only: the value of HouseholdRef
	// when it is the same for every unit of the group (else NaN), and the
	// rows and weighted units with income below their HouseholdRef value.
	HouseholdThreshold  float64
	Households          int
	HouseholdPopulation float64
}

// Classify reads and screens the inputs of s exactly as Run does (columns,
// unit of analysis, weights, equivalence scale), classifies the groups of
// c.Group and counts them in the whole population and in every domain of
// s.Domains. s is complete (from ParseStudy or Complete); its lines,
// indicators, region and ratios are not used, and it is not changed.
//
// A group g with units i, incomes x_i and weights w_i has the mean
//
//	m_g = sum_i {w_i * x_i} / sum_i {w_i}
//
// and is flagged when m_g < z_g, z_g the value of c.Ref for g's group of
// Ref's By columns (strictly below, as a poor unit is below its line; a
// group whose z_g does not exist, no reference unit, is not flagged and a
// warning says so). A unit of a flagged group is a flagged household when
// x_i < h_i, h_i the value of c.HouseholdRef for the unit.
//
// The results are, first, the "line" rows of Ref (and of HouseholdRef), one
// per group of its By columns; then, for the whole population and each
// domain of each breakdown, with N and Population those of the domain:
//
//	groups                         groups with a unit in the domain
//	flagged_groups                 those flagged (Line: Ref's name)
//	flagged_share                  weighted share of the domain's units living in a flagged group
//	flagged_population             weighted units living in a flagged group
//	flagged_households             rows of flagged groups below HouseholdRef (Line: its name)
//	flagged_household_population   their weighted units
//
// Counts of groups and households are rows of the data, not weighted. A
// group that reaches into several domains counts in each. It is an error
// when a group lies in more than one group of Ref's By columns, when a
// unit's group is null (ErrNoGroup, in a *datasets.RowError), or when a
// column is missing.
func Classify(ctx context.Context, s *Study, c Classification) (*Classified, error) {
	if c.Group == "" {
		return nil, errors.New("classify: no group column")
	}
	ref := c.Ref
	if ref.Name == "" {
		ref.Name = "ref"
	}
	sc := *s
	sc.Lines = []Line{ref}
	var href *Line
	if c.HouseholdRef != nil {
		h := *c.HouseholdRef
		if h.Name == "" {
			h.Name = "household_ref"
		}
		if h.Name == ref.Name {
			return nil, fmt.Errorf("classify: the two references are both called %q", h.Name)
		}
		sc.Lines = append(sc.Lines, h)
		href = &sc.Lines[1]
	}
	sc.Region, sc.Ratios = "", nil
	u, groups, rows, err := classifyUnits(ctx, &sc, c.Group)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return classify(ctx, &sc, u, groups, sc.Lines[0], href, rows)
}

// classifyUnits reads the inputs of s and the group column, screens the
// rows and builds the units as Run does, with the group column's factor
// added under its name.
func classifyUnits(ctx context.Context, s *Study, group string) (*units, *grouping, RowCounts, error) {
	var rows RowCounts
	d, err := load(ctx, s, loadOptions{extra: []extraColumn{{key: "group", req: datasets.Request{Name: group, Kind: datasets.Categorical}}}})
	if err != nil {
		return nil, nil, rows, err
	}
	gc := d.tbl.Column(group)
	for row, null := range gc.Null {
		if null && (d.scr.Keep == nil || d.scr.Keep[row]) {
			file, line := d.tbl.Locate(row)
			return nil, nil, rows, &datasets.RowError{File: file, Column: group, Row: line, RowGroup: -1, Err: ErrNoGroup}
		}
	}
	g, err := newGrouping(len(d.u.x), []string{group}, d.u.factors)
	if err != nil {
		return nil, nil, rows, err
	}
	rows = RowCounts{Read: d.tbl.Rows, Used: len(d.u.x), Rules: d.scr.Rules}
	return d.u, g, rows, nil
}

// refLine evaluates a reference line over all units.
func refLine(u *units, l Line) (*lineValues, error) {
	g, err := newGrouping(len(u.x), l.By, u.factors)
	if err != nil {
		return nil, fmt.Errorf("%sline %q: %w", posPrefix(l.Pos), l.Name, err)
	}
	mask, err := whereMask(u, l)
	if err != nil {
		return nil, err
	}
	return evalLine(u, l, g, computeStats(u, g, mask, l.Basis == "median"))
}

// classify does the work of Classify on the units, with the standard
// errors of s's method: linearized with the flags held fixed; the
// bootstrap and replicate weights classify the groups again.
func classify(ctx context.Context, s *Study, u *units, groups *grouping, ref Line, href *Line, rows RowCounts) (*Classified, error) {
	rs, err := newRatioSE(s, u)
	if err != nil {
		return nil, err
	}
	out, err := classifyWith(ctx, s, u, groups, ref, href, rows, rs)
	if err != nil {
		return nil, err
	}
	if s.SEMethod == "" || s.SEMethod == "none" {
		return out, nil
	}
	estimate := func(ctx context.Context, ru *units) ([]Result, error) {
		rep, err := classifyWith(ctx, s, ru, groups, ref, href, rows, nil)
		if err != nil {
			return nil, err
		}
		return alignResults(out.Results, rep.Results), nil
	}
	if err := sectionReplicateErrors(ctx, s, u, out.Results, estimate); err != nil {
		return nil, err
	}
	for i := range out.Results {
		markNoSE(s, &out.Results[i]) // the counts of groups, the thresholds under linearization
	}
	return out, nil
}

// classifyWith is classify over units u (their weights) with the
// linearized standard errors of rs (none when nil).
func classifyWith(ctx context.Context, s *Study, u *units, groups *grouping, ref Line, href *Line, rows RowCounts, rs *ratioSE) (*Classified, error) {
	lv, err := refLine(u, ref)
	if err != nil {
		return nil, err
	}
	k := groups.size()
	// The @-group of every group: the same for all its units.
	at := make([]int32, k)
	for j := range at {
		at[j] = -1
	}
	for i, gj := range groups.codes {
		a := lv.groups.codes[i]
		switch {
		case at[gj] < 0:
			at[gj] = a
		case at[gj] != a:
			return nil, fmt.Errorf("%sline %q: %s lies in more than one group of @%s (%s and %s); each %s must lie within one",
				posPrefix(ref.Pos), ref.Name, domainText(groups.domain(int(gj))), strings.Join(ref.By, ","),
				domainText(lv.groups.domain(int(at[gj]))), domainText(lv.groups.domain(int(a))), groups.cols[0])
		}
	}
	st := computeStats(u, groups, nil, false)
	out := &Classified{Rows: rows, HouseholdStage: href != nil}
	cg := make([]ClassifiedGroup, k)
	noThreshold := 0
	for j := range cg {
		g := &cg[j]
		g.Group = groups.keys[j][0]
		g.Mean = nanIfZero(st.pop[j], st.income[j])
		g.Threshold = lv.values[at[j]]
		g.N, g.Population = st.n[j], st.pop[j]
		g.Flagged = g.Mean < g.Threshold
		g.HouseholdThreshold = math.NaN()
		if math.IsNaN(g.Threshold) {
			noThreshold++
		}
	}
	if noThreshold > 0 {
		where := ""
		if len(ref.By) > 0 {
			where = " in their group of @" + strings.Join(ref.By, ",")
		}
		out.Warnings = append(out.Warnings, fmt.Sprintf("%d of %d groups of %s have no threshold (no reference unit of line %q%s) and are not flagged",
			noThreshold, k, groups.cols[0], ref.Name, where))
	}

	var hv *lineValues
	below := make([]bool, len(u.x)) // units of flagged groups below the household threshold
	if href != nil {
		if hv, err = refLine(u, *href); err != nil {
			return nil, err
		}
		for i, gj := range groups.codes {
			g := &cg[gj]
			if g.Flagged && u.x[i] < hv.z[i] {
				below[i] = true
				g.Households++
				g.HouseholdPopulation += u.w[i]
			}
		}
		householdThresholds(cg, groups, hv)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Breakdowns: the whole population, then each domain.
	out.Results = lv.rows()
	if hv != nil {
		out.Results = append(out.Results, hv.rows()...)
	}
	breakdowns := append([][]string{nil}, s.Domains...)
	for _, cols := range breakdowns {
		bg, err := newGrouping(len(u.x), cols, u.factors)
		if err != nil {
			return nil, err
		}
		out.Results = append(out.Results, classifyRows(u, groups, bg, cg, below, ref.Name, href, rs)...)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}

	// The groups, with their regions, in list order.
	for _, c := range finestColumns(s.Domains) {
		if c != groups.cols[0] {
			out.Regions = append(out.Regions, c)
		}
	}
	for j := range cg {
		cg[j].Regions = make([][]string, len(out.Regions))
	}
	for r, col := range out.Regions {
		f := u.factors[col]
		vals := make([][]int32, k)
		for i, gj := range groups.codes {
			v := vals[gj]
			if code := f.codes[i]; len(v) == 0 || v[len(v)-1] != code && !slices.Contains(v, code) {
				vals[gj] = append(vals[gj], code)
			}
		}
		for j, codes := range vals {
			levels := make([]string, len(codes))
			for m, code := range codes {
				levels[m] = f.levels[code]
			}
			slices.SortFunc(levels, compareLevels)
			cg[j].Regions[r] = levels
		}
	}
	slices.SortStableFunc(cg, func(a, b ClassifiedGroup) int {
		for r := range a.Regions {
			if c := slices.CompareFunc(a.Regions[r], b.Regions[r], compareLevels); c != 0 {
				return c
			}
		}
		return 0
	})
	out.Groups = cg
	return out, nil
}

// householdThresholds sets the HouseholdThreshold of every flagged group
// whose units all face the same value of the household line.
func householdThresholds(cg []ClassifiedGroup, groups *grouping, hv *lineValues) {
	mixed := make([]bool, len(cg))
	set := make([]bool, len(cg))
	for i, gj := range groups.codes {
		if !cg[gj].Flagged || mixed[gj] {
			continue
		}
		z := hv.z[i]
		switch {
		case !set[gj]:
			set[gj] = true
			cg[gj].HouseholdThreshold = z
		case z != cg[gj].HouseholdThreshold: // also when both are NaN
			mixed[gj] = true
			cg[gj].HouseholdThreshold = math.NaN()
		}
	}
}

// classifyRows counts the groups, flagged groups and their units in every
// domain of bg (the shares and populations with their SEs when rs is not
// nil).
func classifyRows(u *units, groups, bg *grouping, cg []ClassifiedGroup, below []bool, refName string, href *Line, rs *ratioSE) []Result {
	d := bg.size()
	// The units of each domain, in unit order.
	off := make([]int, d+1)
	for _, c := range bg.codes {
		off[c+1]++
	}
	for j := 1; j <= d; j++ {
		off[j] += off[j-1]
	}
	idx := make([]int32, len(bg.codes))
	next := slices.Clone(off[:d])
	for i, c := range bg.codes {
		idx[next[c]] = int32(i)
		next[c]++
	}
	stamp := make([]int, len(cg))
	for j := range stamp {
		stamp[j] = -1
	}
	var out []Result
	for j := 0; j < d; j++ {
		var n, nGroups, nFlagged, nNoThreshold, nHH int
		var pop, flaggedPop, hhPop float64
		for _, i := range idx[off[j]:off[j+1]] {
			gj := groups.codes[i]
			g := &cg[gj]
			n++
			pop += u.w[i]
			if stamp[gj] != j {
				stamp[gj] = j
				nGroups++
				if g.Flagged {
					nFlagged++
				}
				if math.IsNaN(g.Threshold) {
					nNoThreshold++
				}
			}
			if g.Flagged {
				flaggedPop += u.w[i]
			}
			if below[i] {
				nHH++
				hhPop += u.w[i]
			}
		}
		dom := bg.domain(j)
		row := func(ind, line string, v float64) Result {
			return Result{Indicator: ind, Line: line, Domain: dom, Estimate: v, N: n, Population: pop}
		}
		flagged := row("flagged_groups", refName, float64(nFlagged))
		if nNoThreshold > 0 {
			flagged.Note = fmt.Sprintf("%d groups have no threshold (no reference unit) and are not flagged", nNoThreshold)
		}
		share := row("flagged_share", refName, nanIfZero(pop, flaggedPop))
		if n == 0 {
			share.Note = "no unit in this domain"
		}
		mem := idx[off[j]:off[j+1]]
		inFlagged := func(i int) float64 { return b2f(cg[groups.codes[i]].Flagged) }
		population := row("flagged_population", refName, flaggedPop)
		rs.ratio(&share, mem, inFlagged, func(int) float64 { return 1 })
		rs.ratio(&population, mem, inFlagged, nil)
		out = append(out, row("groups", "", float64(nGroups)), flagged, share, population)
		if href != nil {
			hh := row("flagged_household_population", href.Name, hhPop)
			rs.ratio(&hh, mem, func(i int) float64 { return b2f(below[i]) }, nil)
			out = append(out, row("flagged_households", href.Name, float64(nHH)), hh)
		}
	}
	return out
}

// domainText writes a domain as col=value[,col=value...].
func domainText(d []DomainValue) string {
	parts := make([]string, len(d))
	for i, v := range d {
		parts[i] = v.Column + "=" + v.Value
	}
	return strings.Join(parts, ",")
}

// EncodeGroupList returns the flagged groups of c as CSV, in the order of
// c.Groups, under the header
//
//	GROUP,mean,threshold,n,population,REGION...[,household_threshold,households,household_population]
//
// GROUP being the group column's name and REGION the columns of c.Regions;
// the household columns come with a second stage. A group in several
// regions has their values joined by ";". Numbers are written as by
// EncodeCSV; a missing threshold is an empty cell.
func EncodeGroupList(c *Classified, group string) []byte {
	header := append([]string{group, "mean", "threshold", "n", "population"}, c.Regions...)
	if c.HouseholdStage {
		header = append(header, "household_threshold", "households", "household_population")
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(header) // a bytes.Buffer does not fail
	for _, g := range c.Groups {
		if !g.Flagged {
			continue
		}
		rec := []string{g.Group, formatNumber(g.Mean), formatNumber(g.Threshold), strconv.Itoa(g.N), formatNumber(g.Population)}
		for _, r := range g.Regions {
			rec = append(rec, strings.Join(r, ";"))
		}
		if c.HouseholdStage {
			rec = append(rec, formatNumber(g.HouseholdThreshold), strconv.Itoa(g.Households), formatNumber(g.HouseholdPopulation))
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}
