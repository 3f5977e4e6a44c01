package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/indices"
)

// Sentinel errors of a disparity job. A row that breaks a rule is reported
// as a *datasets.RowError that unwraps to one of them.
var (
	// ErrMissingValue: the value, population or region of a row is null.
	ErrMissingValue = errors.New("missing value")
	// ErrNonFinite: the value or population of a row is NaN or infinite.
	ErrNonFinite = errors.New("value is not finite")
	// ErrPopulation: the population of a row is zero or negative.
	ErrPopulation = errors.New("population is not positive")
	// ErrDuplicateRegion: a region has two rows in one group.
	ErrDuplicateRegion = errors.New("duplicate region")
)

// DisparitySpec describes a disparity job over a region-level table: one
// row per region (and per group of By, such as a year) with a value (GDP
// per capita, mean income, ...) and a population.
type DisparitySpec struct {
	// Table is the Parquet or CSV file (or a directory of them, read as by
	// datasets.Read).
	Table string
	// Value and Population name the numeric columns; both are required.
	Value, Population string
	// Region names the region column, "" for none. With it, a region that
	// has two rows in one group is an error, a row without a region is left
	// out, and the indicator region_value may be asked for.
	Region string
	// By lists the columns whose cross-classification gives the groups
	// (each computed separately); empty for one group, the whole table.
	By []string
	// Time is the column of By whose consecutive levels give the change
	// rows (cv_change, williamson_change); "" for none. See YearColumn.
	Time string
	// Indicators lists the indicators, in output order; empty for
	// DisparityIndicators().
	Indicators []string
	// Strict makes a row that breaks a rule an error instead of leaving it
	// out with a warning.
	Strict bool
}

// disparityIndicatorNames are the indicators of a group, in default order.
var disparityIndicatorNames = []string{
	"population", "n", "mean", "cv", "williamson", "max_min_ratio", "theil_t", "theil_l",
}

// disparityChanged are the indicators that get a change row with a time
// column.
var disparityChanged = []string{"cv", "williamson"}

// DisparityIndicators returns the indicators a disparity job computes when
// it names none: population, n, mean, cv, williamson, max_min_ratio, theil_t
// and theil_l. Besides these, region_value (each region's value, needs a
// region column) may be asked for. The slice is new on each call.
func DisparityIndicators() []string {
	return slices.Clone(disparityIndicatorNames)
}

// YearColumn returns the first of cols whose name says it is a period —
// year, yr, period, time, 年, 年份 or 年度, or a name ending in "year" or
// "_yr", in any case — or "" when none does. It is the default Time of a
// disparity job with a breakdown.
func YearColumn(cols []string) string {
	for _, c := range cols {
		l := strings.ToLower(c)
		switch {
		case l == "yr", l == "period", l == "time", l == "年", l == "年份", l == "年度",
			strings.HasSuffix(l, "year"), strings.HasSuffix(l, "_yr"):
			return c
		}
	}
	return ""
}

// Complete applies the defaults to a spec and checks it: the table, value
// and population are required, no column has two roles, Time is one of By,
// and every indicator is known (region_value only with a region). An
// indicator listed twice is kept once. Whether the columns exist is checked
// by RunDisparity.
func (s *DisparitySpec) Complete() error {
	if len(s.Indicators) == 0 {
		s.Indicators = DisparityIndicators()
	}
	var errs []error
	if s.Table == "" {
		errs = append(errs, errors.New("no table"))
	}
	if s.Value == "" || s.Population == "" {
		errs = append(errs, errors.New("the value and population columns are required"))
	}
	roles := map[string]string{}
	role := func(col, what string) {
		if col == "" {
			return
		}
		if prev, ok := roles[col]; ok {
			errs = append(errs, fmt.Errorf("column %q is both the %s and the %s", col, prev, what))
			return
		}
		roles[col] = what
	}
	role(s.Value, "value")
	role(s.Population, "population")
	role(s.Region, "region")
	for _, b := range s.By {
		role(b, "breakdown column")
	}
	if s.Time != "" && !slices.Contains(s.By, s.Time) {
		errs = append(errs, fmt.Errorf("time column %q is not one of the breakdown columns %v", s.Time, s.By))
	}
	var inds []string
	for _, name := range s.Indicators {
		switch {
		case slices.Contains(inds, name):
			continue
		case name == "region_value" && s.Region == "":
			errs = append(errs, errors.New("indicator region_value needs a region column"))
		case name != "region_value" && !slices.Contains(disparityIndicatorNames, name):
			errs = append(errs, fmt.Errorf("unknown indicator %q: want %s or region_value",
				name, strings.Join(disparityIndicatorNames, ", ")))
		}
		inds = append(inds, name)
	}
	s.Indicators = inds
	return errors.Join(errs...)
}

// DisparityOutput is what a disparity job produces.
type DisparityOutput struct {
	// Results are the rows of every group, groups in the order of their
	// level strings (numbers compared as numbers): region_value rows,
	// then the indicators in the order asked for, then the change rows.
	Results []Result
	// Warnings name the rows left out, by file, column and rule.
	Warnings []string
	// Rows counts the rows read and used, and what each rule left out.
	Rows RowCounts
}

// Disparity returns the disparity indicators across the regions of one
// domain, region i having the value values[i] and the population pops[i].
// indicators name them, in output order, from DisparityIndicators
// (region_value, which needs the region names, is skipped):
//
//	population     P = sum_i p_i
//	n              the number of regions
//	mean           ybar = sum_i {p_i y_i} / P
//	cv             sqrt(sum_i {(y_i - m)^2} / n) / m,  m = sum_i y_i / n   (indices.CV, unweighted)
//	williamson     sqrt(sum_i {p_i (y_i - ybar)^2} / P) / ybar             (indices.Williamson)
//	max_min_ratio  max_i y_i / min_i y_i
//	theil_t        sum_i {(p_i/P) (y_i/ybar) ln(y_i/ybar)}               (indices.TheilT)
//	theil_l        sum_i {(p_i/P) ln(ybar/y_i)}                          (indices.TheilL)
//
// Every region counts as its population, all at its value: the Theil
// indices are the between-region parts of a decomposition by region.
//
// Each result has the domain, N = n and Population = P. An indicator that
// does not exist has the estimate NaN and a Note: every one but population
// and n with no region, the dispersion indicators with fewer than two
// regions, cv and williamson when their mean is not positive, max_min_ratio
// with a value <= 0, and theil_t and theil_l when any value is <= 0 (they
// are not computed over the positive values only, which would change the
// set of regions compared).
//
// nil pops mean every region has population 1 (williamson is then cv). It
// panics if the lengths differ, a value is not finite, a population is not
// positive and finite, or an indicator is unknown.
//
// Reference: Williamson (1965), Econ. Dev. Cult. Change 13(4), 1–84;
// Shorrocks (1980), Econometrica 48(3), 613–625.
func Disparity(values, pops []float64, domain []DomainValue, indicators []string) []Result {
	if pops == nil {
		pops = make([]float64, len(values))
		for i := range pops {
			pops[i] = 1
		}
	}
	if len(values) != len(pops) {
		panic("pipeline: slice length mismatch")
	}
	total := 0.0
	nonPositive := 0
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			panic("pipeline: value is not finite")
		}
		if p := pops[i]; !(p > 0) || math.IsInf(p, 1) {
			panic("pipeline: population is not positive and finite")
		}
		total += pops[i]
		if v <= 0 {
			nonPositive++
		}
	}
	n := len(values)
	out := make([]Result, 0, len(indicators))
	for _, name := range indicators {
		r := Result{Indicator: name, Domain: domain, N: n, Population: total}
		switch name {
		case "region_value":
			continue
		case "population":
			r.Estimate = total
		case "n":
			r.Estimate = float64(n)
		case "mean":
			r.Estimate = indices.Mean(values, pops)
		case "cv", "williamson", "max_min_ratio", "theil_t", "theil_l":
			r.Estimate, r.Note = dispersionOf(name, values, pops, nonPositive)
		default:
			panic(fmt.Sprintf("pipeline: unknown disparity indicator %q", name))
		}
		if n == 0 && name != "population" && name != "n" {
			r.Estimate, r.Note = math.NaN(), "no region in this group"
		}
		out = append(out, r)
	}
	return out
}

// dispersionOf computes one of the dispersion indicators of Disparity, or
// NaN and the reason.
func dispersionOf(name string, values, pops []float64, nonPositive int) (float64, string) {
	if len(values) < 2 {
		return math.NaN(), "fewer than two regions"
	}
	var v float64
	var why string
	switch name {
	case "cv":
		v, why = indices.CV(values, nil), "the mean value is not positive"
	case "williamson":
		v, why = indices.Williamson(values, pops), "the population-weighted mean value is not positive"
	case "max_min_ratio":
		v, why = indices.MaxMinRatio(values, nil), "the smallest value is not positive"
	case "theil_t", "theil_l":
		if nonPositive > 0 {
			return math.NaN(), fmt.Sprintf("%d %s with a value <= 0; Theil indices need positive values",
				nonPositive, dispPlural(nonPositive, "region", "regions"))
		}
		if name == "theil_t" {
			v = indices.TheilT(values, pops)
		} else {
			v = indices.TheilL(values, pops)
		}
		why = "no estimate"
	}
	if math.IsNaN(v) {
		return v, why
	}
	return v, ""
}

func dispPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// RunDisparity reads the region table of a spec and computes the disparity
// indicators of every group of s.By (Disparity), with the change since the
// previous period of cv and williamson when s.Time is set: a row
// "<indicator>_change" in every group but the first of each run of groups
// that differ only in the time column, whose estimate is the estimate in
// this group minus the estimate in the previous one (time levels compared
// as numbers when both are numbers, else as strings), NaN with a note when
// either is.
//
// Rows with a missing or non-finite value or population, a population <= 0,
// or (with a region column) no region are left out and counted: in the
// results' excluded_n and excluded_population of their group (the
// population of a row left out counts when it is positive and finite), in
// Rows and in a warning naming the file, column and rows. With s.Strict the
// first row that breaks a rule (rules in the order above) is an error
// instead. A region with two rows in one group is
// always an error, naming the file, the region, the group and the rows.
// Rows are numbered from 1 within their file, not counting a CSV header.
//
// Errors are those of Complete, of datasets.Read (a missing column, a value
// that is not a number, ...) and *datasets.RowError values that unwrap to
// ErrMissingValue, ErrNonFinite, ErrPopulation or ErrDuplicateRegion.
func RunDisparity(ctx context.Context, spec DisparitySpec) (*DisparityOutput, error) {
	s := spec
	s.By = slices.Clone(spec.By)
	s.Indicators = slices.Clone(spec.Indicators)
	if err := s.Complete(); err != nil {
		return nil, fmt.Errorf("disparity: %w", err)
	}
	reqs := []datasets.Request{{Name: s.Value, Kind: datasets.Numeric}, {Name: s.Population, Kind: datasets.Numeric}}
	if s.Region != "" {
		reqs = append(reqs, datasets.Request{Name: s.Region, Kind: datasets.Categorical})
	}
	for _, b := range s.By {
		reqs = append(reqs, datasets.Request{Name: b, Kind: datasets.Categorical})
	}
	tbl, err := datasets.Read(ctx, []string{s.Table}, reqs)
	if err != nil {
		return nil, fmt.Errorf("read table: %w", err)
	}
	scr, err := screenRegions(&s, tbl)
	if err != nil {
		return nil, err
	}
	factors := map[string]*factor{}
	for _, b := range s.By {
		c := tbl.Column(b)
		factors[b] = &factor{codes: c.Codes, levels: c.Levels}
	}
	g, err := newGrouping(tbl.Rows, s.By, factors)
	if err != nil {
		return nil, fmt.Errorf("disparity: %w", err)
	}
	members := make([][]int, g.size())
	for i, c := range g.codes {
		members[c] = append(members[c], i)
	}
	if err := checkDuplicates(&s, tbl, g, members); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	value, pop := tbl.Column(s.Value).Float, tbl.Column(s.Population).Float
	blocks := make([][]Result, g.size())
	for j, rows := range members {
		var xs, ps []float64
		exN, exPop := 0, 0.0
		for _, i := range rows {
			if scr.reason[i] != "" {
				exN++
				if p := pop[i]; p > 0 && !math.IsInf(p, 1) {
					exPop += p
				}
				continue
			}
			xs, ps = append(xs, value[i]), append(ps, pop[i])
		}
		dom := g.domain(j)
		if slices.Contains(s.Indicators, "region_value") {
			blocks[j] = regionValueRows(&s, tbl, rows, scr, dom)
		}
		for _, r := range Disparity(xs, ps, dom, s.Indicators) {
			r.ExcludedN, r.ExcludedPopulation = exN, exPop
			blocks[j] = append(blocks[j], r)
		}
	}
	out := &DisparityOutput{Warnings: scr.warnings}
	for _, b := range blocks {
		out.Results = append(out.Results, b...)
	}
	if s.Time != "" {
		changed := slices.DeleteFunc(slices.Clone(out.Results), func(r Result) bool {
			return !slices.Contains(disparityChanged, r.Indicator)
		})
		out.Results = append(out.Results, changeRows(changed, s.Time, nil)...)
	}
	out.Rows = RowCounts{Read: tbl.Rows, Used: tbl.Rows - scr.excluded, Rules: scr.rules}
	return out, nil
}

// regionScreening is the outcome of screenRegions.
type regionScreening struct {
	reason   []string // per row, the rule that left it out, "" if kept
	excluded int
	rules    []datasets.Count
	warnings []string
}

// regionRule is one check of a region table row.
type regionRule struct {
	name, column string
	err          error
	match        func(i int) bool
}

// screenRegions applies the row rules of a disparity job, in order; a row
// that breaks several counts under the first.
func screenRegions(s *DisparitySpec, tbl *datasets.Table) (*regionScreening, error) {
	var rules []regionRule
	numeric := func(col, what string) {
		c := tbl.Column(col)
		rules = append(rules,
			regionRule{"missing " + what, col, ErrMissingValue, func(i int) bool { return dispNull(c, i) }},
			regionRule{"non-finite " + what, col, ErrNonFinite, func(i int) bool {
				v := c.Float[i]
				return math.IsNaN(v) || math.IsInf(v, 0)
			}})
	}
	numeric(s.Value, "value")
	numeric(s.Population, "population")
	pc := tbl.Column(s.Population)
	rules = append(rules, regionRule{"zero or negative population", s.Population, ErrPopulation,
		func(i int) bool { return pc.Float[i] <= 0 }})
	if s.Region != "" {
		rc := tbl.Column(s.Region)
		rules = append(rules, regionRule{"missing region", s.Region, ErrMissingValue,
			func(i int) bool { return dispNull(rc, i) }})
	}
	scr := &regionScreening{reason: make([]string, tbl.Rows)}
	hits := make([][]int, len(rules))
	for i := 0; i < tbl.Rows; i++ {
		for k, r := range rules {
			if r.match(i) {
				scr.reason[i] = r.name
				hits[k] = append(hits[k], i)
				scr.excluded++
				break
			}
		}
	}
	for k, r := range rules {
		rows := hits[k]
		if len(rows) == 0 {
			continue
		}
		if s.Strict {
			file, row := tbl.Locate(rows[0])
			err := error(&datasets.RowError{File: file, Column: r.column, Row: row, RowGroup: -1, Err: r.err})
			if scr.excluded > 1 {
				err = fmt.Errorf("%w (%d rows in all break a rule; strict)", err, scr.excluded)
			}
			return nil, err
		}
		count := datasets.Count{Rule: r.name, Column: r.column, Action: "excluded", Rows: len(rows)}
		for _, i := range rows[:min(len(rows), 5)] {
			file, row := tbl.Locate(i)
			count.Examples = append(count.Examples, fmt.Sprintf("%s row %d", file, row))
		}
		scr.rules = append(scr.rules, count)
		scr.warnings = append(scr.warnings, dispRowWarnings(tbl, r, rows)...)
	}
	return scr, nil
}

// dispRowWarnings says which rows a rule left out, one warning per file.
func dispRowWarnings(tbl *datasets.Table, r regionRule, rows []int) []string {
	const listed = 10
	var out []string
	for k := 0; k < len(rows); {
		file, _ := tbl.Locate(rows[k])
		var nums []string
		n := 0
		for ; k < len(rows); k++ {
			f, row := tbl.Locate(rows[k])
			if f != file {
				break
			}
			if n < listed {
				nums = append(nums, strconv.Itoa(row))
			}
			n++
		}
		list := strings.Join(nums, ", ")
		if n > listed {
			list += fmt.Sprintf(" and %d more", n-listed)
		}
		out = append(out, fmt.Sprintf("%s: column %q: %d %s left out (%s): %s %s",
			file, r.column, n, dispPlural(n, "row", "rows"), r.name, dispPlural(n, "row", "rows"), list))
	}
	return out
}

func dispNull(c *datasets.Column, i int) bool { return c.Null != nil && c.Null[i] }

// checkDuplicates fails on the first region (in row order) that has more
// than one row in a group, naming all of its rows there.
func checkDuplicates(s *DisparitySpec, tbl *datasets.Table, g *grouping, members [][]int) error {
	if s.Region == "" {
		return nil
	}
	rc := tbl.Column(s.Region)
	for j, rows := range members {
		seen := map[int32]bool{}
		for _, i := range rows {
			code := rc.Codes[i]
			if dispNull(rc, i) {
				continue
			}
			if !seen[code] {
				seen[code] = true
				continue
			}
			var at []int
			for _, k := range rows {
				if rc.Codes[k] == code && !dispNull(rc, k) {
					at = append(at, k)
				}
			}
			file, row := tbl.Locate(i)
			where := "in the table"
			if dom := g.domain(j); len(dom) > 0 {
				var parts []string
				for _, d := range dom {
					parts = append(parts, d.Column+"="+d.Value)
				}
				where = "in group " + strings.Join(parts, ", ")
			}
			return &datasets.RowError{File: file, Column: s.Region, Row: row, RowGroup: -1,
				Err: fmt.Errorf("%w %q %s: %s", ErrDuplicateRegion, rc.Levels[code], where, dispRowList(tbl, at))}
		}
	}
	return nil
}

// dispRowList names table rows as "rows 3 and 9" (one file) or "a.csv row 3
// and b.csv row 9".
func dispRowList(tbl *datasets.Table, rows []int) string {
	first, _ := tbl.Locate(rows[0])
	oneFile := true
	for _, i := range rows {
		if f, _ := tbl.Locate(i); f != first {
			oneFile = false
		}
	}
	names := make([]string, len(rows))
	for k, i := range rows {
		f, row := tbl.Locate(i)
		names[k] = strconv.Itoa(row)
		if !oneFile {
			names[k] = f + " row " + names[k]
		}
	}
	list := strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	if oneFile {
		return "rows " + list
	}
	return list
}

// regionValueRows returns a region_value row for every kept row of a
// group, regions in the order of their names (numbers as numbers).
func regionValueRows(s *DisparitySpec, tbl *datasets.Table, rows []int, scr *regionScreening, dom []DomainValue) []Result {
	rc := tbl.Column(s.Region)
	value, pop := tbl.Column(s.Value).Float, tbl.Column(s.Population).Float
	var kept []int
	for _, i := range rows {
		if scr.reason[i] == "" {
			kept = append(kept, i)
		}
	}
	slices.SortStableFunc(kept, func(a, b int) int {
		return compareLevels(rc.Levels[rc.Codes[a]], rc.Levels[rc.Codes[b]])
	})
	out := make([]Result, 0, len(kept))
	for _, i := range kept {
		rdom := append(slices.Clone(dom), DomainValue{Column: s.Region, Value: rc.Levels[rc.Codes[i]]})
		out = append(out, Result{Indicator: "region_value", Domain: rdom, Estimate: value[i], N: 1, Population: pop[i]})
	}
	return out
}
