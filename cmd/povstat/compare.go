package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/povstat/povstat/pipeline"
)

const compareSynopsis = `--input PATH [--input PATH ...] --income COL --weight COL
       [--unit persons|households] [--size COL] [--by COL[,COL...]]
       [--sweep NAME=BASIS:FROM:TO:STEP[@COL,...][?COL=VALUE&...] ...] [--line NAME=SPEC ...]
       [--target-headcount H] [--budget B]
       [--transfer-budget B [--transfer-target COL=VALUE]]
       [--dominance COL [--dominance-range FROM:TO]] [--rank-correlation]
       [--traits COL[:mean|:share][,...]]
       [--strata COL] [--psu COL] [--fpc COL] [--lonely adjust|remove|certainty|average|fail]
       [--se none|linearized|bootstrap|replicates] [--replicates 500] [--seed S]
       [--repweights PREFIX*] [--reptype bootstrap|JK1|JKn|BRR|Fay] [--rho R]
       [--level 0.95] [--rse-limit 0.3]
       [--format json|csv|table]

Compares poverty lines for the whole population and each domain of --by.
--sweep gives headcount, gap, severity, poor_population and gap_total at
every line of a grid: BASIS abs (the lines themselves) or median or mean
(fractions of the national median or mean income), e.g. rel=median:0.3:0.7:0.01;
rows carry "at", the grid point. As in a line SPEC, @COL,... takes the median or
mean within each group of the columns (each unit faces its own group's line:
prov=median:0.4:0.7:0.05@province; "line" rows give each group's value) and
?COL=VALUE&... takes it over that subpopulation only. --line (SPEC as in 'povstat indices') shows
named lines side by side, with the overlap of their poor for each pair
("overlap" rows, line "A|B", cell both, a_only, b_only or neither).
--target-headcount H gives the smallest line whose headcount (x < z) is at
least H (line_for_headcount, and line_for_headcount_fraction of the median);
--budget B the line whose gap_total is B (line_for_budget, line_for_budget_fraction).
--transfer-budget B gives, for each --line, headcount_after_transfer (cell
targeted: the smallest gaps closed first, which minimizes the headcount;
cell uniform: the same amount per person) to everyone or to --transfer-target.
--dominance COL compares the incidence (dominance_first) and deficit
(dominance_second) curves of each pair of its groups over --dominance-range
or the sweeps' lines: cell a_dominates, b_dominates, equal or cross (estimate:
the first crossing), over the whole population and within each domain of --by
without COL (--by year,province --dominance year compares years within provinces). --rank-correlation gives the Spearman correlation of the
--by domains' headcounts between lines (rank_correlation). --traits (two
--line at least) describes each overlap cell of each pair: trait_mean:COL, the
weighted mean of a numeric column, or trait_share:COL=LEVEL, the weighted share
of each level (booleans and text; :mean or :share forces the kind).
With a sample design (--strata, --psu) or --se, the population rows, the named
lines' rows and every sweep point's line, headcount, gap, severity,
poor_population and gap_total get standard errors and intervals as in
'povstat indices' (a relative point's includes its estimated line); each point
costs what one line's standard errors cost. The other rows have none
(se_method "unavailable").`

func cmdCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", compareSynopsis, stderr)
	var f studyFlags
	f.registerData(fs)
	fs.Var(&f.by, "by", "breakdown `COL[,COL...]` (repeatable)")
	fs.Var(&f.lines, "line", "named poverty line `NAME=SPEC` (repeatable)")
	var sweeps listFlag
	fs.Var(&sweeps, "sweep", "grid of lines `NAME=BASIS:FROM:TO:STEP[@COL,...][?COL=VALUE]`, BASIS abs, median or mean (repeatable)")
	var target, budget optionalFloat
	fs.Var(&target, "target-headcount", "find the line whose headcount is this share `H` in (0, 1]")
	fs.Var(&budget, "budget", "find the line whose gap_total is this amount `B` >= 0")
	var transferBudget optionalFloat
	fs.Var(&transferBudget, "transfer-budget", "headcount of each named line after spending this amount `B` >= 0")
	transferTarget := fs.String("transfer-target", "", "spend the transfers on the group `COL=VALUE` only")
	dominance := fs.String("dominance", "", "compare the poverty curves of the groups of `COL`")
	dominanceRange := fs.String("dominance-range", "", "range of lines `FROM:TO` of --dominance (default: the sweeps' lines)")
	rankCorrelation := fs.Bool("rank-correlation", false, "rank correlation of the --by domains' headcounts between lines")
	traits := fs.String("traits", "", "describe the overlap cells by the columns `COL[:mean|:share],...`")
	format := fs.String("format", "json", "output format: json, csv or table")
	f.registerDesign(fs)
	if err := parseOptions(fs, args); err != nil {
		return err
	}
	var c pipeline.Comparison
	for _, sw := range sweeps {
		s, err := pipeline.ParseSweep(sw)
		if err != nil {
			return usageError{err.Error()}
		}
		s.Pos = "--sweep " + sw
		c.Sweeps = append(c.Sweeps, s)
	}
	if target.set {
		if !(target.v > 0 && target.v <= 1) {
			return usagef("--target-headcount %v: want a share in (0, 1]", target.v)
		}
		c.TargetHeadcount = &target.v
	}
	if budget.set {
		if !(budget.v >= 0) || math.IsInf(budget.v, 0) {
			return usagef("--budget %v: want a finite amount >= 0", budget.v)
		}
		c.Budget = &budget.v
	}
	if transferBudget.set {
		if !(transferBudget.v >= 0) || math.IsInf(transferBudget.v, 0) {
			return usagef("--transfer-budget %v: want a finite amount >= 0", transferBudget.v)
		}
		if len(f.lines) == 0 {
			return usagef("--transfer-budget needs a --line")
		}
		c.TransferBudget = &transferBudget.v
	}
	if *transferTarget != "" {
		if !transferBudget.set {
			return usagef("--transfer-target needs --transfer-budget")
		}
		t, err := pipeline.ParseTransferTarget(*transferTarget)
		if err != nil {
			return usageError{err.Error()}
		}
		c.TransferTarget = &t
	}
	c.Dominance = strings.TrimSpace(*dominance)
	if *dominanceRange != "" {
		if c.Dominance == "" {
			return usagef("--dominance-range needs --dominance")
		}
		from, to, err := pipeline.ParseRange(*dominanceRange)
		if err != nil {
			return usagef("--dominance-range: %v", err)
		}
		c.DominanceRange = &[2]float64{from, to}
	}
	if c.Dominance != "" && c.DominanceRange == nil && len(c.Sweeps) == 0 {
		return usagef("--dominance needs --dominance-range or a --sweep")
	}
	if *rankCorrelation {
		if len(f.by) == 0 || len(f.lines) < 2 && len(c.Sweeps) == 0 {
			return usagef("--rank-correlation needs --by and two --line or a --sweep")
		}
		c.RankCorrelation = true
	}
	if *traits != "" {
		if len(f.lines) < 2 {
			return usagef("--traits needs two --line at least")
		}
		t, err := pipeline.ParseTraits(*traits)
		if err != nil {
			return usageError{err.Error()}
		}
		c.Traits = t
	}
	if len(c.Sweeps) == 0 && len(f.lines) == 0 && !target.set && !budget.set && c.Dominance == "" {
		return usagef("nothing to compare: give --sweep, --line, --target-headcount, --budget or --dominance")
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	s, err := f.study()
	if err != nil {
		return err
	}
	s.Name = "compare"
	if len(f.lines) == 0 {
		s.Lines = nil // not the default line of indices
	}
	c.Lines = s.Lines
	out, err := pipeline.Compare(ctx, s, c)
	if err != nil {
		return err
	}
	if *format == "table" {
		for _, w := range append(out.Rows.Warnings(), out.Warnings...) {
			fmt.Fprintln(stderr, "povstat: warning:", w)
		}
		return writeCompareTable(stdout, out.Results)
	}
	return writeResults(stdout, stderr, *format, out.Results, append(out.Rows.Warnings(), out.Warnings...))
}

// optionalFloat is a float flag that knows whether it was given.
type optionalFloat struct {
	v   float64
	set bool
}

func (o *optionalFloat) String() string {
	if o == nil || !o.set {
		return ""
	}
	return strconv.FormatFloat(o.v, 'g', -1, 64)
}

func (o *optionalFloat) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	o.v, o.set = v, true
	return nil
}

var _ flag.Value = (*optionalFloat)(nil)

// writeCompareTable prints the results of compare aligned for people,
// with the at and cell columns.
func writeCompareTable(w io.Writer, results []pipeline.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	withSE := slices.ContainsFunc(results, func(r pipeline.Result) bool { return r.SEMethod != "" })
	header := "indicator\tline\tat\tcell\tdomain\testimate\t"
	if withSE {
		header += "se\tci_lower\tci_upper\t"
	}
	fmt.Fprintln(tw, header+"n\tpopulation\tnote\t")
	for _, r := range results {
		var dom []string
		for _, d := range r.Domain {
			dom = append(dom, d.Column+"="+d.Value)
		}
		at := ""
		if r.At != nil {
			at = tableNum(*r.At)
		}
		est := tableNum(r.Estimate)
		if withSE {
			est += "\t" + tableNum(r.SE) + "\t" + tableNum(r.CILower) + "\t" + tableNum(r.CIUpper)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t\n", r.Indicator, r.Line, at, r.Cell,
			strings.Join(dom, ","), est, r.N, strconv.FormatFloat(r.Population, 'f', 0, 64), tableNote(r))
	}
	return tw.Flush()
}
