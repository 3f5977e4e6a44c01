package main

import (
	"context"
	"io"
	"strings"

	"github.com/povstat/povstat/pipeline"
)

const disparitySynopsis = `--table FILE --value COL --population COL [--region COL]
       [--by COL[,COL...]] [--time COL|auto|none] [--indicators LIST]
       [--format json|csv|table] [--strict]

FILE is a Parquet or CSV table with one row per region (and per group of --by,
e.g. per year), holding the region's value (GDP per capita, mean income, ...)
and its population. Each group of --by (the whole table without --by) gives
population, n, mean (population-weighted), cv (unweighted, population SD),
williamson (population-weighted CV), max_min_ratio, theil_t and theil_l (each
region counting as its population at its value); --indicators may add
region_value (needs --region). With a time column in --by (by default the one
named year, ...; --time none for none), cv_change and williamson_change give
the change since the previous period. Rows with a missing or non-finite value
or population, or a population <= 0, are left out with a warning (--strict:
an error); a region twice in one group is an error.`

func cmdDisparity(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("disparity", disparitySynopsis, stderr)
	var spec pipeline.DisparitySpec
	fs.StringVar(&spec.Table, "table", "", "region table `FILE`: Parquet or CSV")
	fs.StringVar(&spec.Value, "value", "", "value `COL`umn (e.g. GDP per capita)")
	fs.StringVar(&spec.Population, "population", "", "population `COL`umn")
	fs.StringVar(&spec.Region, "region", "", "region `COL`umn: duplicates are an error; enables region_value")
	var by listFlag
	fs.Var(&by, "by", "compute per group of `COL[,COL...]` (e.g. year; year,province is their cross-classification)")
	timeCol := fs.String("time", "auto", "period `COL`umn of --by for the change rows; auto: the --by column named year (or ending in year), none: no change rows")
	indicators := fs.String("indicators", "", "comma-separated `LIST` of indicators (default: population,n,mean,cv,williamson,max_min_ratio,theil_t,theil_l)")
	fs.BoolVar(&spec.Strict, "strict", false, "fail on a row with a missing or bad value or population instead of leaving it out")
	format := fs.String("format", "json", "output format: json, csv or table")
	if err := parseOptions(fs, args); err != nil {
		return err
	}
	if spec.Table == "" {
		return usagef("--table is required")
	}
	if spec.Value == "" || spec.Population == "" {
		return usagef("--value and --population are required")
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	if len(by) > 1 {
		return usagef("--by is given once: --by COL,COL for a cross-classification")
	}
	spec.By = splitList(strings.Join(by, ","))
	spec.Indicators = splitList(*indicators)
	switch *timeCol {
	case "auto":
		spec.Time = pipeline.YearColumn(spec.By)
	case "none":
	default:
		spec.Time = *timeCol
	}
	if err := spec.Complete(); err != nil {
		return usageError{err.Error()}
	}
	out, err := pipeline.RunDisparity(ctx, spec)
	if err != nil {
		return err
	}
	return writeResults(stdout, stderr, *format, out.Results, append(out.Rows.Warnings(), out.Warnings...))
}
