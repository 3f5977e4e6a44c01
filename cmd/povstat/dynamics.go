package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/povstat/povstat/pipeline"
)

const dynamicsSynopsis = `--input PATH [--input PATH ...] --id COL --year COL --income COL --weight COL
       [--size COL] [--unit persons|households] [--line NAME=SPEC ...] [--near-poor 1.5]
       [--quintiles] [--by COL[,COL...]] [--rule NAME=EXPR ...] [--rules FILE] [--flags-out FILE]
       [--strata COL] [--psu COL] [--fpc COL] [--lonely adjust|remove|certainty|average|fail]
       [--se none|linearized|bootstrap|replicates] [--replicates 500] [--seed S]
       [--repweights PREFIX*] [--reptype bootstrap|JK1|JKn|BRR|Fay] [--rho R]
       [--level 0.95] [--rse-limit 0.3]
       [--format json|csv|table]

Links the rows of each household across years by --id and gives each
household-year a status under each line: poor (income < line), near_poor
(below --near-poor times the line) or non_poor. Prints per year the households
linked and unmatched, the status shares, transition matrices between
consecutive years (cell "poor→near_poor": share of the row), entries, exits and
re-entries into poverty with their rates, and spells (chronic, transient,
never_poor). A relative line per year is written median:0.6@year. Shares are
weighted by the later year's weight. --quintiles adds the transition matrices
between consecutive years for income quintiles, each year's own weighted
quintiles (a household at a cut point in the lower one): quintile_transition,
cell "Q1→Q2", the share of the row.

Monitoring rules flag household-years: NAME=COL (a true/1/yes trait) or
NAME=A<B / NAME=A>B, each side NUMBER, TERM, NUMBER*TERM or TERM/TERM, a TERM
being income, line (the first line), fall (relative income fall since the
previous year) or a numeric column, e.g. low_income=income<1.5*line,
income_fall=fall>0.3, health=health_exp/income>0.4, illness=illness.
--rules FILE holds one rule a line (# comments). --flags-out writes every flag
(id, year, rule) as CSV.

With a sample design (--strata, --psu), the status shares, transitions,
entries, exits, re-entries and their rates, spells and flagged counts and
shares get linearized standard errors and intervals: the household-years of
all waves are the units of one design, each row a domain of it (the line is
held fixed). --se bootstrap (or replicates, with --repweights) estimates
every row again with each replicate's weights, lines and quintiles
included, so the quintile transitions get one too and an estimated line's
variation counts. The counts of households have none.`

func cmdDynamics(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dynamics", dynamicsSynopsis, stderr)
	var f studyFlags
	f.registerData(fs)
	fs.Var(&f.by, "by", "breakdown `COL[,COL...]` (repeatable); a household is in the domain of its value in the year of the row")
	fs.Var(&f.lines, "line", "poverty line `NAME=SPEC` (repeatable), e.g. rel=median:0.6@year")
	id := fs.String("id", "", "household id `COL`umn")
	year := fs.String("year", "", "year `COL`umn (a hive partition such as year=2020/ is one)")
	nearPoor := fs.Float64("near-poor", 1.5, "upper edge of the near-poor band, a multiple of the line (>= 1)")
	quintiles := fs.Bool("quintiles", false, "add the income quintile transition matrices between consecutive years")
	var ruleFlags listFlag
	fs.Var(&ruleFlags, "rule", "monitoring rule `NAME=EXPR` (repeatable), e.g. low_income=income<1.5*line")
	rulesFile := fs.String("rules", "", "`FILE` of monitoring rules, one NAME=EXPR a line")
	flagsOut := fs.String("flags-out", "", "write the flagged household-years as CSV to `FILE`")
	format := fs.String("format", "json", "output format: json, csv or table")
	f.registerDesign(fs)
	if err := parseOptions(fs, args); err != nil {
		return err
	}
	if *id == "" || *year == "" {
		return usagef("--id and --year are required")
	}
	if !(*nearPoor >= 1) {
		return usagef("--near-poor %v: want a number >= 1", *nearPoor)
	}
	d := pipeline.Dynamics{ID: *id, Year: *year, NearPoor: *nearPoor, Quintiles: *quintiles}
	rules, err := readRules(*rulesFile, ruleFlags)
	if err != nil {
		return err
	}
	d.Rules = rules
	if *flagsOut != "" && len(d.Rules) == 0 {
		return usagef("--flags-out needs a --rule or --rules")
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	s, err := f.study()
	if err != nil {
		return err
	}
	s.Name = "dynamics"
	out, err := pipeline.RunDynamics(ctx, s, d)
	if err != nil {
		return err
	}
	if *flagsOut != "" {
		if err := pipeline.WriteFileAtomic(*flagsOut, pipeline.EncodeFlags(out.Flags, *id, *year)); err != nil {
			return fmt.Errorf("--flags-out: %w", err)
		}
	}
	return writeResults(stdout, stderr, *format, out.Results, append(out.Rows.Warnings(), out.Warnings...))
}

// readRules reads the monitoring rules of --rules FILE, then of each
// --rule, refusing a name given twice.
func readRules(file string, flags []string) ([]pipeline.Rule, error) {
	var rules []pipeline.Rule
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, usagef("--rules: %v", err)
		}
		if rules, err = pipeline.ParseRules(string(b)); err != nil {
			return nil, usagef("--rules %s: %v", file, err)
		}
	}
	for _, text := range flags {
		r, err := pipeline.ParseRule(text)
		if err != nil {
			return nil, usagef("--rule: %v", err)
		}
		for _, old := range rules {
			if old.Name == r.Name {
				return nil, usagef("--rule %s: a rule %q is already defined", text, r.Name)
			}
		}
		rules = append(rules, r)
	}
	return rules, nil
}
