package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/povstat/povstat/datasets"
)

// ErrDuplicateID reports a household id that appears twice in one year.
var ErrDuplicateID = errors.New("household id appears more than once in the same year")

// ErrNoID reports a row whose household id or year is null.
var ErrNoID = errors.New("no household id or year (null value)")

// Dynamics asks for the poverty dynamics of a household panel: rows of
// households in several years, linked by an id column.
type Dynamics struct {
	// ID and Year name the household id and year columns (categorical;
	// years are ordered as numbers when they are numbers).
	ID, Year string
	// NearPoor is the upper edge of the near-poor band as a multiple of the
	// line; 1.5 when 0.
	NearPoor float64
	// Rules are the monitoring rules; see Rule.
	Rules []Rule
	// Quintiles asks for the income quintile transition matrices
	// (quintile_transition rows).
	Quintiles bool
}

// DynamicsOutput is the outcome of RunDynamics.
type DynamicsOutput struct {
	Results []Result
	// Flags lists every household-year flagged by a rule, by year, then id
	// (numbers compared as numbers), then rule order.
	Flags    []Flag
	Rows     RowCounts
	Warnings []string
}

// Status classes of a household-year.
const (
	statusPoor    = 0
	statusNear    = 1
	statusNonPoor = 2
	nStatus       = 3
)

var statusNames = [nStatus]string{"poor", "near_poor", "non_poor"}

// RunDynamics reads and screens the inputs of s as Run does (units,
// weights, equivalence), links the rows of each household across the
// years present (the waves, in order) by d.ID, and for each line of s
// gives each household-year a status: poor when x < z, near-poor when
// z <= x < NearPoor·z, else non-poor, z the line the unit faces (a line
// grouped by the year column, median:0.6@year, is evaluated per year).
// A wave's previous wave is the year present before it, consecutive or not.
//
// Every share and count is weighted by the unit weight of the later year
// (of the year of the row; for spells, of the household's last year).
// Domains are the whole population and each breakdown of s.Domains, with
// a household in the domain of its own value in the year of the row
// (for spells: in its last year). The rows, in this order:
//
//	households, linked,            per year (domain {year}): rows of the year, those
//	unmatched_new, unmatched_lost  also in the previous wave, those not, and those of
//	                               the previous wave missing in this one (weighted by
//	                               the previous wave's weight)
//
// then, when d.Quintiles, for each year after the first (domain {year}):
//
//	quintile_transition  cell "QA→QB": share of the units linked to the previous
//	                     wave that were in income quintile A there and are in B now
//
// with each wave's own quintiles: cut points the weighted quantiles 0.2, 0.4,
// 0.6 and 0.8 of the wave's incomes (indices.Quantile, laeken's rule), a unit
// at a cut point in the lower quintile (as indices.Shares);
//
// then for each line, for each breakdown, for each domain {year, ...}:
//
//	status          cell poor, near_poor or non_poor: share of the year's units
//	transition      cell "A→B" (t > first wave): share of the units linked to the
//	                previous wave with status A there that have status B now
//	entries, exits  weighted units not poor (poor) in t-1 and poor (not poor) in t
//	entry_rate      entries over units not poor in t-1
//	exit_rate       exits over units poor in t-1
//	reentries       units poor in t, not poor in t-1, poor in some wave before t-1
//	reentry_rate    reentries over units not poor in t-1 and poor before (t ≥ third wave)
//
// then for each breakdown, over households observed in at least two waves
// (the others counted in excluded_n):
//
//	chronic, transient, never_poor  shares poor in every, some, no observed wave
//	poor_years_share                mean share of observed years spent poor
//
// and for each rule (first line), each breakdown and domain {year, ...}:
// flagged (cell: rule name, or any_rule; estimate, n and population: the
// flagged units) and flagged_share (flagged over the domain's units).
//
// On rows with a cell (status, transition, flagged) n and population count
// the units in the cell; on rates they count the base (the denominator).
// An empty base gives a NaN estimate with a note. It is an error when an
// id appears twice in one year (ErrDuplicateID) or an id or year is null
// (ErrNoID), both in a *datasets.RowError naming file and row.
func RunDynamics(ctx context.Context, s *Study, d Dynamics) (*DynamicsOutput, error) {
	if d.ID == "" || d.Year == "" {
		return nil, errors.New("dynamics: the id and year columns are required")
	}
	if d.NearPoor == 0 {
		d.NearPoor = 1.5
	}
	if !(d.NearPoor >= 1) || math.IsInf(d.NearPoor, 0) {
		return nil, fmt.Errorf("dynamics: near-poor multiple %v: want a number >= 1", d.NearPoor)
	}
	extra, err := panelColumns(d)
	if err != nil {
		return nil, err
	}
	ld, err := load(ctx, s, loadOptions{extra: extra})
	if err != nil {
		return nil, err
	}
	out := &DynamicsOutput{Rows: RowCounts{Read: ld.tbl.Rows, Used: len(ld.u.x), Rules: ld.scr.Rules}}
	p, err := linkPanel(ld, d)
	if err != nil {
		return nil, err
	}
	ps, err := newRatioSE(s, ld.u)
	if err != nil {
		return nil, err
	}
	breakdowns := [][]string{nil}
	for _, b := range s.Domains {
		// Rows are by year already: a breakdown loses the year column, and
		// one that becomes the whole population or repeats another goes.
		b = slices.DeleteFunc(slices.Clone(b), func(c string) bool { return c == d.Year })
		if len(b) > 0 && !slices.ContainsFunc(breakdowns, func(o []string) bool { return slices.Equal(o, b) }) {
			breakdowns = append(breakdowns, b)
		}
	}
	var flagged [][]bool
	out.Results, flagged, out.Warnings, err = p.rows(ctx, s, d, breakdowns, ps)
	if err != nil {
		return nil, err
	}
	out.Warnings = append(slices.Clone(p.warnings), out.Warnings...)
	if flagged != nil {
		out.Flags = p.flagList(d.Rules, flagged)
	}
	// The bootstrap and replicate weights estimate every row again, lines
	// and quintiles included.
	estimate := func(ctx context.Context, ru *units) ([]Result, error) {
		q := *p
		q.u = ru
		rows, _, _, err := q.rows(ctx, s, d, breakdowns, nil)
		return rows, err
	}
	if err := sectionReplicateErrors(ctx, s, ld.u, out.Results, estimate); err != nil {
		return nil, err
	}
	if s.SEMethod != "" && s.SEMethod != "none" {
		for i := range out.Results {
			markNoSE(s, &out.Results[i]) // the rows without one of their own: counts of households; quintiles under linearization
		}
	}
	return out, nil
}

// rows gives the rows of the panel over its units (their weights), in
// their order: the households, the quintile transitions, for each line
// the status, transition and flow rows and the spells of every breakdown,
// then the rules' rows (flagged: the rules' flags, nil without rules);
// with standard errors when ps is not nil.
func (p *panel) rows(ctx context.Context, s *Study, d Dynamics, breakdowns [][]string, ps *ratioSE) (out []Result, flagged [][]bool, warnings []string, err error) {
	out = p.panelRows()
	if d.Quintiles {
		out = append(out, p.quintileRows()...)
	}
	var first *lineValues
	for _, l := range s.Lines {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, err
		}
		if l.Basis != "abs" && !slices.Contains(l.By, d.Year) {
			warnings = append(warnings, fmt.Sprintf("line %q is not grouped by %s: one value over all years pooled (write e.g. median:0.6@%s for a line per year)", l.Name, d.Year, d.Year))
		}
		lv, err := refLine(p.u, l)
		if err != nil {
			return nil, nil, nil, err
		}
		if first == nil {
			first = lv
		}
		status, unknown := p.statuses(lv, d.NearPoor)
		if unknown > 0 {
			warnings = append(warnings, fmt.Sprintf("line %q: %d household-years have no line value (no reference unit) and no status", l.Name, unknown))
		}
		for _, b := range breakdowns {
			rows, err := p.dynamicsRows(b, status, l.Name, ps)
			if err != nil {
				return nil, nil, nil, err
			}
			out = append(out, rows...)
		}
		for _, b := range breakdowns {
			rows, err := p.spellRows(b, status, l.Name, ps)
			if err != nil {
				return nil, nil, nil, err
			}
			out = append(out, rows...)
		}
	}
	if len(d.Rules) > 0 && first != nil {
		flagged = p.evalRules(d.Rules, first)
		for _, b := range breakdowns {
			rows, err := p.ruleRows(b, d.Rules, flagged, first.line.Name, ps)
			if err != nil {
				return nil, nil, nil, err
			}
			out = append(out, rows...)
		}
	}
	return out, flagged, warnings, nil
}

// panel links the units (household-years) of a study.
type panel struct {
	u         *units
	tbl       *datasets.Table
	rowOf     []int // table row of each unit
	idf       *factor
	years     []string // wave labels, in order
	wave      []int    // wave of each unit
	hh        []int32  // household of each unit (its id code)
	at        []int32  // at[h*W+k]: the unit of household h in wave k, or -1
	yearCol   string
	idCol     string
	warnings  []string
	unmatched [][2]int // per wave: units new, units lost
}

func (p *panel) nw() int { return len(p.years) }

// prev returns the unit of the same household in the previous wave, or -1.
func (p *panel) prev(i int) int {
	k := p.wave[i]
	if k == 0 {
		return -1
	}
	return int(p.at[int(p.hh[i])*p.nw()+k-1])
}

func linkPanel(ld *loaded, d Dynamics) (*panel, error) {
	u, tbl := ld.u, ld.tbl
	p := &panel{u: u, tbl: tbl, idf: u.factors[d.ID], yearCol: d.Year, idCol: d.ID}
	keep := ld.scr.Keep
	for r := 0; r < tbl.Rows; r++ {
		if keep == nil || keep[r] {
			p.rowOf = append(p.rowOf, r)
		}
	}
	for _, col := range []string{d.ID, d.Year} {
		c := tbl.Column(col)
		for _, r := range p.rowOf {
			if c.Null != nil && c.Null[r] {
				file, row := tbl.Locate(r)
				return nil, &datasets.RowError{File: file, Column: col, Row: row, RowGroup: -1, Err: ErrNoID}
			}
		}
	}
	yf := u.factors[d.Year]
	p.years = slices.SortedFunc(slices.Values(yf.levels), compareLevels)
	waveOfCode := make([]int, len(yf.levels))
	for c, lev := range yf.levels {
		waveOfCode[c] = slices.Index(p.years, lev)
	}
	n, nw, nh := len(u.x), len(p.years), len(p.idf.levels)
	p.wave = make([]int, n)
	p.hh = p.idf.codes
	p.at = make([]int32, nh*nw)
	for j := range p.at {
		p.at[j] = -1
	}
	for i := 0; i < n; i++ {
		k := waveOfCode[yf.codes[i]]
		p.wave[i] = k
		slot := int(p.hh[i])*nw + k
		if old := p.at[slot]; old >= 0 {
			file, row := tbl.Locate(p.rowOf[i])
			ofile, orow := tbl.Locate(p.rowOf[old])
			return nil, &datasets.RowError{File: file, Column: d.ID, Row: row, RowGroup: -1,
				Err: fmt.Errorf("%w: %s=%s in %s=%s, first on %s row %d", ErrDuplicateID, d.ID, p.idf.levels[p.hh[i]],
					d.Year, p.years[k], displayFile(ofile), orow)}
		}
		p.at[slot] = int32(i)
	}
	p.unmatched = make([][2]int, nw)
	for h := 0; h < nh; h++ {
		for k := 1; k < nw; k++ {
			cur, prv := p.at[h*nw+k], p.at[h*nw+k-1]
			switch {
			case cur >= 0 && prv < 0:
				p.unmatched[k][0]++
			case cur < 0 && prv >= 0:
				p.unmatched[k][1]++
			}
		}
	}
	for k := 1; k < nw; k++ {
		if m := p.unmatched[k]; m[0] > 0 || m[1] > 0 {
			p.warnings = append(p.warnings, fmt.Sprintf("%s=%s: %d households not in %s=%s (new), %d of %s=%s missing (lost)",
				d.Year, p.years[k], m[0], d.Year, p.years[k-1], m[1], d.Year, p.years[k-1]))
		}
	}
	return p, nil
}

func displayFile(f string) string {
	if f == "" {
		return "input"
	}
	return f
}

// panelRows counts the households of each year and how they link.
func (p *panel) panelRows() []Result {
	nw := p.nw()
	n := make([]int, nw)
	pop := make([]float64, nw)
	linked := make([]int, nw)
	linkedPop := make([]float64, nw)
	lost := make([]int, nw)
	lostPop := make([]float64, nw)
	for i := range p.wave {
		k := p.wave[i]
		n[k]++
		pop[k] += p.u.w[i]
		if p.prev(i) >= 0 {
			linked[k]++
			linkedPop[k] += p.u.w[i]
		}
		if k+1 < nw && p.at[int(p.hh[i])*nw+k+1] < 0 {
			lost[k+1]++
			lostPop[k+1] += p.u.w[i]
		}
	}
	var out []Result
	for k := 0; k < nw; k++ {
		dom := []DomainValue{{Column: p.yearCol, Value: p.years[k]}}
		row := func(ind string, c int, w float64) Result {
			return Result{Indicator: ind, Domain: dom, Estimate: float64(c), N: c, Population: w}
		}
		out = append(out, row("households", n[k], pop[k]))
		if k == 0 {
			continue
		}
		out = append(out, row("linked", linked[k], linkedPop[k]),
			row("unmatched_new", n[k]-linked[k], pop[k]-linkedPop[k]),
			row("unmatched_lost", lost[k], lostPop[k]))
	}
	return out
}

// statuses classifies every unit under a line; -1 where the line has no
// value. It returns the number of such units.
func (p *panel) statuses(lv *lineValues, nearPoor float64) ([]int8, int) {
	st := make([]int8, len(p.u.x))
	unknown := 0
	for i, x := range p.u.x {
		z := lv.z[i]
		switch {
		case math.IsNaN(z):
			st[i] = -1
			unknown++
		case x < z:
			st[i] = statusPoor
		case x < nearPoor*z:
			st[i] = statusNear
		default:
			st[i] = statusNonPoor
		}
	}
	return st, unknown
}

// yearGrouping groups the units by year and the columns of a breakdown;
// wave gives the wave of each group.
func (p *panel) yearGrouping(cols []string) (*grouping, []int, error) {
	g, err := newGrouping(len(p.u.x), append([]string{p.yearCol}, cols...), p.u.factors)
	if err != nil {
		return nil, nil, err
	}
	wave := make([]int, g.size())
	for j := range wave {
		wave[j] = slices.Index(p.years, g.keys[j][0])
	}
	return g, wave, nil
}

// exitedBefore reports whether the household of unit i was poor in a wave
// before the previous one (it had exited poverty, when it was not poor in
// the previous wave).
func (p *panel) exitedBefore(i int, status []int8) bool {
	nw := p.nw()
	h, k := int(p.hh[i]), p.wave[i]
	for m := 0; m < k-1; m++ {
		if u := p.at[h*nw+m]; u >= 0 && status[u] == statusPoor {
			return true
		}
	}
	return false
}

// linkedFrom returns the status of the household of unit i in the
// previous wave when both waves have one, else -1.
func (p *panel) linkedFrom(i int, status []int8) int8 {
	j := p.prev(i)
	if status[i] < 0 || j < 0 {
		return -1
	}
	return status[j]
}

// dynamicsRows gives the status, transition and flow rows of a breakdown,
// with their standard errors when ps is not nil.
func (p *panel) dynamicsRows(cols []string, status []int8, line string, ps *ratioSE) ([]Result, error) {
	g, wave, err := p.yearGrouping(cols)
	if err != nil {
		return nil, err
	}
	k := g.size()
	type acc struct {
		statusN   [nStatus]int
		statusW   [nStatus]float64
		transN    [nStatus][nStatus]int
		transW    [nStatus][nStatus]float64
		reN, reBN int
		reW, reBW float64
	}
	a := make([]acc, k)
	var members *domainMembers
	if ps != nil {
		members = newDomainMembers(g.codes, k)
	}
	for i, c := range g.codes {
		s := status[i]
		if s < 0 {
			continue
		}
		w := p.u.w[i]
		a[c].statusN[s]++
		a[c].statusW[s] += w
		j := p.prev(i)
		if j < 0 || status[j] < 0 {
			continue
		}
		a[c].transN[status[j]][s]++
		a[c].transW[status[j]][s] += w
		if status[j] == statusPoor {
			continue
		}
		if p.exitedBefore(i, status) {
			a[c].reBN++
			a[c].reBW += w
			if s == statusPoor {
				a[c].reN++
				a[c].reW += w
			}
		}
	}
	var out []Result
	for j := 0; j < k; j++ {
		dom := g.domain(j)
		ac := &a[j]
		var mem []int32
		if members != nil {
			mem = members.idx[members.off[j]:members.off[j+1]]
		}
		var tn int
		var tw float64
		for s := range nStatus {
			tn += ac.statusN[s]
			tw += ac.statusW[s]
		}
		hasStatus := func(i int) float64 { return b2f(status[i] >= 0) }
		for s := range nStatus {
			r := Result{Indicator: "status", Line: line, Domain: dom, Cell: statusNames[s],
				Estimate: nanIfZero(tw, ac.statusW[s]), N: ac.statusN[s], Population: ac.statusW[s]}
			if tn == 0 {
				r.Note = "no household with a status in this domain"
			}
			ps.ratio(&r, mem, func(i int) float64 { return b2f(status[i] == int8(s)) }, hasStatus)
			out = append(out, r)
		}
		if wave[j] == 0 {
			continue
		}
		prevYear := p.years[wave[j]-1]
		for from := range nStatus {
			var fn int
			var fw float64
			for to := range nStatus {
				fn += ac.transN[from][to]
				fw += ac.transW[from][to]
			}
			for to := range nStatus {
				r := Result{Indicator: "transition", Line: line, Domain: dom, Cell: statusNames[from] + "→" + statusNames[to],
					Estimate: nanIfZero(fw, ac.transW[from][to]), N: ac.transN[from][to], Population: ac.transW[from][to]}
				if fn == 0 {
					r.Note = fmt.Sprintf("no household of this domain was %s in %s=%s", statusNames[from], p.yearCol, prevYear)
				}
				ps.ratio(&r, mem, func(i int) float64 { return b2f(p.linkedFrom(i, status) == int8(from) && status[i] == int8(to)) },
					func(i int) float64 { return b2f(p.linkedFrom(i, status) == int8(from)) })
				out = append(out, r)
			}
		}
		// Flows from the transition counts.
		var enN, exN, poorN, notN int
		var enW, exW, poorW, notW float64
		for to := range nStatus {
			poorN += ac.transN[statusPoor][to]
			poorW += ac.transW[statusPoor][to]
			if to != statusPoor {
				exN += ac.transN[statusPoor][to]
				exW += ac.transW[statusPoor][to]
			}
		}
		for from := 1; from < nStatus; from++ {
			enN += ac.transN[from][statusPoor]
			enW += ac.transW[from][statusPoor]
			for to := range nStatus {
				notN += ac.transN[from][to]
				notW += ac.transW[from][to]
			}
		}
		// The flows' numerators and bases per unit, for their SEs.
		type unitFn = func(i int) float64
		notPoorBefore := func(i int) float64 { return b2f(p.linkedFrom(i, status) > statusPoor) }
		poorBefore := func(i int) float64 { return b2f(p.linkedFrom(i, status) == statusPoor) }
		entered := func(i int) float64 { return notPoorBefore(i) * b2f(status[i] == statusPoor) }
		exited := func(i int) float64 { return poorBefore(i) * b2f(status[i] != statusPoor) }
		exitedBefore := func(i int) float64 { return notPoorBefore(i) * b2f(p.exitedBefore(i, status)) }
		reentered := func(i int) float64 { return exitedBefore(i) * b2f(status[i] == statusPoor) }
		rate := func(ind string, num, den float64, dn int, note string, y, x unitFn) Result {
			r := Result{Indicator: ind, Line: line, Domain: dom, Estimate: nanIfZero(den, num), N: dn, Population: den}
			if dn == 0 {
				r.Note = note
			}
			ps.ratio(&r, mem, y, x)
			return r
		}
		count := func(ind string, c int, w float64, y unitFn) Result {
			r := Result{Indicator: ind, Line: line, Domain: dom, Estimate: w, N: c, Population: w}
			ps.ratio(&r, mem, y, nil)
			return r
		}
		out = append(out,
			count("entries", enN, enW, entered),
			rate("entry_rate", enW, notW, notN, "no household of this domain was not poor in "+p.yearCol+"="+prevYear, entered, notPoorBefore),
			count("exits", exN, exW, exited),
			rate("exit_rate", exW, poorW, poorN, "no household of this domain was poor in "+p.yearCol+"="+prevYear, exited, poorBefore))
		if wave[j] >= 2 {
			out = append(out,
				count("reentries", ac.reN, ac.reW, reentered),
				rate("reentry_rate", ac.reW, ac.reBW, ac.reBN, "no household of this domain had exited poverty by "+p.yearCol+"="+prevYear, reentered, exitedBefore))
		}
	}
	return out, nil
}

// spellRows gives the spell rows of a breakdown: households observed (with
// a status) in at least two waves, in the domain of their last wave (with
// standard errors when ps is not nil: each household is its last unit).
func (p *panel) spellRows(cols []string, status []int8, line string, ps *ratioSE) ([]Result, error) {
	g, err := newGrouping(len(p.u.x), cols, p.u.factors)
	if err != nil {
		return nil, err
	}
	k := g.size()
	type acc struct {
		n, exN                     int
		w, exW                     float64
		chronic, transient, never  float64
		chronicN, transientN, nevN int
		years                      float64
	}
	a := make([]acc, k)
	nw := p.nw()
	// With SEs: the last unit of each household observed twice or more,
	// by domain, and its share of poor waves (NaN for the others).
	var lasts [][]int32
	var share []float64
	if ps != nil {
		lasts = make([][]int32, k)
		share = make([]float64, len(p.u.x))
	}
	for h := 0; h < len(p.idf.levels); h++ {
		obs, poor, last := 0, 0, -1
		for m := 0; m < nw; m++ {
			if u := p.at[h*nw+m]; u >= 0 && status[u] >= 0 {
				obs++
				if status[u] == statusPoor {
					poor++
				}
				last = int(u)
			}
		}
		if last < 0 {
			continue
		}
		c := g.codes[last]
		w := p.u.w[last]
		if obs < 2 {
			a[c].exN++
			a[c].exW += w
			continue
		}
		a[c].n++
		a[c].w += w
		a[c].years += w * float64(poor) / float64(obs)
		if ps != nil {
			lasts[c] = append(lasts[c], int32(last))
			share[last] = float64(poor) / float64(obs)
		}
		switch {
		case poor == obs:
			a[c].chronic += w
			a[c].chronicN++
		case poor > 0:
			a[c].transient += w
			a[c].transientN++
		default:
			a[c].never += w
			a[c].nevN++
		}
	}
	var out []Result
	for j := 0; j < k; j++ {
		ac := &a[j]
		dom := g.domain(j)
		var mem []int32
		if lasts != nil {
			mem = lasts[j]
		}
		one := func(int) float64 { return 1 }
		for _, v := range []struct {
			ind string
			num float64
			y   func(i int) float64
		}{
			{"chronic", ac.chronic, func(i int) float64 { return b2f(share[i] == 1) }},
			{"transient", ac.transient, func(i int) float64 { return b2f(share[i] > 0 && share[i] < 1) }},
			{"never_poor", ac.never, func(i int) float64 { return b2f(share[i] == 0) }},
			{"poor_years_share", ac.years, func(i int) float64 { return share[i] }},
		} {
			r := Result{Indicator: v.ind, Line: line, Domain: dom, Estimate: nanIfZero(ac.w, v.num), N: ac.n, Population: ac.w,
				ExcludedN: ac.exN, ExcludedPopulation: ac.exW}
			if ac.n == 0 {
				r.Note = "no household of this domain observed in two or more years"
			}
			ps.ratio(&r, mem, v.y, one)
			out = append(out, r)
		}
	}
	return out, nil
}

// evalRules flags the units: flagged[r][i] for rule r and unit i.
func (p *panel) evalRules(rules []Rule, lv *lineValues) [][]bool {
	cols := map[string]*datasets.Column{}
	rowOf := p.rowOf
	var v ruleVars
	flagged := make([][]bool, len(rules))
	for r := range flagged {
		flagged[r] = make([]bool, len(p.u.x))
	}
	for _, r := range rules {
		num, trait := r.columns()
		for _, c := range append(num, trait) {
			if c != "" {
				cols[c] = p.tbl.Column(c)
			}
		}
	}
	var row int
	v.col = func(name string) float64 {
		c := cols[name]
		if c.Null != nil && c.Null[row] {
			return math.NaN()
		}
		return c.Float[row]
	}
	v.trait = func(name string) bool {
		c := cols[name]
		if c.Null != nil && c.Null[row] {
			return false
		}
		return truthy(c.Levels[c.Codes[row]])
	}
	for i, x := range p.u.x {
		row = rowOf[i]
		v.x, v.z, v.fall = x, lv.z[i], math.NaN()
		if j := p.prev(i); j >= 0 && p.u.x[j] > 0 {
			v.fall = (p.u.x[j] - x) / p.u.x[j]
		}
		for r, rule := range rules {
			flagged[r][i] = rule.flags(v)
		}
	}
	return flagged
}

// ruleRows counts the flagged units of each rule in every domain of a
// breakdown by year (with standard errors when ps is not nil).
func (p *panel) ruleRows(cols []string, rules []Rule, flagged [][]bool, line string, ps *ratioSE) ([]Result, error) {
	g, wave, err := p.yearGrouping(cols)
	if err != nil {
		return nil, err
	}
	k, nr := g.size(), len(rules)
	n := make([]int, k)
	w := make([]float64, k)
	fn := make([]int, k*(nr+1))
	fw := make([]float64, k*(nr+1))
	for i, c := range g.codes {
		n[c]++
		w[c] += p.u.w[i]
		anyFlag := false
		for r := range rules {
			if flagged[r][i] {
				anyFlag = true
				fn[int(c)*(nr+1)+r]++
				fw[int(c)*(nr+1)+r] += p.u.w[i]
			}
		}
		if anyFlag {
			fn[int(c)*(nr+1)+nr]++
			fw[int(c)*(nr+1)+nr] += p.u.w[i]
		}
	}
	var members *domainMembers
	if ps != nil {
		members = newDomainMembers(g.codes, k)
	}
	one := func(int) float64 { return 1 }
	var out []Result
	for j := 0; j < k; j++ {
		dom := g.domain(j)
		var mem []int32
		if members != nil {
			mem = members.idx[members.off[j]:members.off[j+1]]
		}
		for r := 0; r <= nr; r++ {
			name, l := anyRule, ""
			if r < nr {
				name = rules[r].Name
				if rules[r].usesLine() {
					l = line
				}
			}
			m := j*(nr+1) + r
			y := func(i int) float64 {
				if r < nr {
					return b2f(flagged[r][i])
				}
				return b2f(slices.ContainsFunc(flagged, func(f []bool) bool { return f[i] }))
			}
			count := Result{Indicator: "flagged", Line: l, Domain: dom, Cell: name, Estimate: fw[m], N: fn[m], Population: fw[m]}
			share := Result{Indicator: "flagged_share", Line: l, Domain: dom, Cell: name, Estimate: nanIfZero(w[j], fw[m]), N: n[j], Population: w[j]}
			if r < nr && wave[j] == 0 && rules[r].uses("fall") {
				// The first year has no previous one: the fall, and the rule,
				// are undefined (not "nobody flagged").
				note := "the income fall needs the previous year, which the first year has not"
				count.Estimate, count.Note = math.NaN(), note
				share.Estimate, share.Note = math.NaN(), note
			}
			ps.ratio(&count, mem, y, nil)
			ps.ratio(&share, mem, y, one)
			out = append(out, count, share)
		}
	}
	return out, nil
}

// flagList lists the flags by year, id and rule.
func (p *panel) flagList(rules []Rule, flagged [][]bool) []Flag {
	order := make([]int32, len(p.idf.levels))
	for h := range order {
		order[h] = int32(h)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return compareLevels(p.idf.levels[a], p.idf.levels[b]) })
	var out []Flag
	nw := p.nw()
	for k := 0; k < nw; k++ {
		for _, h := range order {
			i := p.at[int(h)*nw+k]
			if i < 0 {
				continue
			}
			for r, rule := range rules {
				if flagged[r][i] {
					out = append(out, Flag{ID: p.idf.levels[h], Year: p.years[k], Rule: rule.Name})
				}
			}
		}
	}
	return out
}

// String writes a rule as NAME=EXPR.
func (r Rule) String() string { return r.Name + "=" + strings.TrimSpace(r.Expr) }
