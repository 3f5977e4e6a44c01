package main

import (
	"context"
	"fmt"
	"io"

	"github.com/povstat/povstat/pipeline"
)

const classifySynopsis = `--input PATH [--input PATH ...] --income COL --weight COL
       [--size COL] [--unit persons|households] --group COL --ref SPEC
       [--household-ref SPEC] [--by COL[,COL...]] [--list FILE] [--format json|csv|table]
       [--strata COL] [--psu COL] [--se none|linearized|bootstrap|replicates] [--replicates 500] [--seed S]

Flags the groups of --group (e.g. villages) whose weighted mean income is
below the threshold --ref, a SPEC as in 'povstat indices --line' without the
NAME: abs:VALUE | median:FRACTION | mean:FRACTION, optionally followed by
@COL[,COL] (a threshold per group of these columns, within which every group
must lie) and ?COL=VALUE[&COL=VALUE] (the reference statistic over that
subpopulation only), e.g. mean:0.6@province?urban=false. --household-ref adds a
second stage: the units of flagged groups with an income below it, e.g.
median:0.5@province. Units and weights are those of 'povstat indices'.
Prints groups, flagged_groups, flagged_share and flagged_population (and
flagged_households, flagged_household_population) for the whole population
and each domain of --by; --list writes the flagged groups as CSV.

With a sample design (--strata, --psu), flagged_share, flagged_population and
flagged_household_population get linearized standard errors with the flags
held fixed; --se bootstrap (or replicates) classifies the groups again with
each replicate's weights, so the flags' own variation counts. The counts of
groups and households have none.`

func cmdClassify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("classify", classifySynopsis, stderr)
	var f studyFlags
	f.registerData(fs)
	fs.Var(&f.by, "by", "breakdown `COL[,COL...]` for the counts (repeatable)")
	group := fs.String("group", "", "`COL`umn of the groups to classify, e.g. village")
	ref := fs.String("ref", "", "threshold of the group means, a line `SPEC`, e.g. mean:0.6@province?urban=false")
	householdRef := fs.String("household-ref", "", "threshold for the units of flagged groups, a line `SPEC`, e.g. median:0.5@province")
	list := fs.String("list", "", "write the flagged groups as CSV to `FILE`")
	format := fs.String("format", "json", "output format: json, csv or table")
	f.registerDesign(fs)
	if err := parseOptions(fs, args); err != nil {
		return err
	}
	if *group == "" {
		return usagef("--group is required")
	}
	if *ref == "" {
		return usagef("--ref is required")
	}
	c := pipeline.Classification{Group: *group}
	var err error
	if c.Ref, err = parseRef("ref", *ref); err != nil {
		return err
	}
	if *householdRef != "" {
		h, err := parseRef("household_ref", *householdRef)
		if err != nil {
			return err
		}
		c.HouseholdRef = &h
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	s, err := f.study()
	if err != nil {
		return err
	}
	s.Name = "classify"
	out, err := pipeline.Classify(ctx, s, c)
	if err != nil {
		return err
	}
	for _, w := range append(out.Rows.Warnings(), out.Warnings...) {
		fmt.Fprintln(stderr, "povstat: warning:", w)
	}
	if *list != "" {
		if err := pipeline.WriteFileAtomic(*list, pipeline.EncodeGroupList(out, *group)); err != nil {
			return fmt.Errorf("--list: %w", err)
		}
	}
	return writeResults(stdout, io.Discard, *format, out.Results, nil)
}

// parseRef parses the SPEC of --ref or --household-ref; a mistake is a
// usage error.
func parseRef(name, spec string) (pipeline.Line, error) {
	l, err := pipeline.ParseLineSpec(name, spec)
	if err != nil {
		return pipeline.Line{}, usagef("--%s: %v", flagName(name), err)
	}
	l.Pos = "--" + flagName(name) + " " + spec
	return l, nil
}

func flagName(line string) string {
	if line == "household_ref" {
		return "household-ref"
	}
	return "ref"
}
