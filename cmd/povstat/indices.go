package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/povstat/povstat/pipeline"
)

const indicesSynopsis = `--input PATH [--input PATH ...] --income COL --weight COL
       [--unit persons|households] [--size COL] [--by COL[,COL...]]
       [--line NAME=SPEC ...] [--indicators LIST] [--format json|csv|table]
       [--memory 4GiB]

PATH is a Parquet or CSV file, or a directory of them (hive partitions such as
year=2020/ become columns). SPEC is abs:VALUE | median:FRACTION | mean:FRACTION,
optionally followed by @COL[,COL] (a line per group of these columns) and
?COL=VALUE[&COL=VALUE] (the reference statistic over that subpopulation only).
The default line is median60=median:0.6. Each --by is one breakdown (COL,COL is
their cross-classification); the whole population is always included.
--region adds the disparity across its groups within every domain; --ratio
urban=true/false the ratio of the mean incomes of two groups. --memory sets a
memory budget: above it the job streams over Parquet row groups (progress on
stderr when it is a terminal), with the same results; every indicator streams,
standard errors do not. Rows excluded by the screening rules (missing or
non-finite income or weight, weight <= 0, household size <= 0) are counted on
stderr by rule, with an example file row.`

// studyFlags are the flags shared by commands that describe a study on the
// command line.
type studyFlags struct {
	inputs, by, lines            listFlag
	income, weight, size, unit   string
	rows, equivalence            string
	adults, children, indicators string
	nonpositive, region, time    string
	memory                       string
	strata, psu, fpc, lonely     string
	se, repWeights, repType      string
	rho                          float64
	replicates                   int
	level, rseLimit              float64
	differences                  string
	seed                         uint64
	ratios                       listFlag
}

func cmdIndices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("indices", indicesSynopsis, stderr)
	var f studyFlags
	f.registerStudy(fs)
	format := fs.String("format", "json", "output format: json, csv or table")
	if err := parseOptions(fs, args); err != nil {
		return err
	}
	s, err := f.study()
	if err != nil {
		return err
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	out, err := pipeline.Run(ctx, s, pipeline.SkipHashes(), pipeline.WithProgress(newProgressBar(stderr)))
	if err != nil {
		return err
	}
	// No manifest is written: the rows the screening rules excluded are
	// reported on stderr instead.
	return writeResults(stdout, stderr, *format, out.Results, append(out.Manifest.Rows.Warnings(), out.Warnings...))
}

// registerData registers the flags that say where the data are and what
// a unit of analysis is, shared by the commands that read microdata.
func (f *studyFlags) registerData(fs *flag.FlagSet) {
	fs.Var(&f.inputs, "input", "input `PATH`: Parquet/CSV file or directory (repeatable)")
	fs.StringVar(&f.income, "income", "", "income `COL`umn")
	fs.StringVar(&f.weight, "weight", "", "weight `COL`umn")
	fs.StringVar(&f.unit, "unit", "persons", "unit of analysis: persons or households")
	fs.StringVar(&f.size, "size", "", "household size `COL`umn (rows are then households; with --unit persons each counts size x weight persons)")
	fs.StringVar(&f.rows, "rows", "", "what one row is: households or persons (default households when --size is given, else persons)")
	fs.StringVar(&f.equivalence, "equivalence", "none", "equivalence scale applied to income: none, per-capita, sqrt or oecd")
	fs.StringVar(&f.adults, "adults", "", "number-of-adults `COL`umn (oecd scale)")
	fs.StringVar(&f.children, "children", "", "number-of-children `COL`umn (oecd scale)")
}

// registerStudy registers every flag that describes a study on the command
// line (indices and report share them).
func (f *studyFlags) registerStudy(fs *flag.FlagSet) {
	f.registerData(fs)
	fs.Var(&f.by, "by", "breakdown `COL[,COL...]` (repeatable)")
	fs.Var(&f.lines, "line", "poverty line `NAME=SPEC` (repeatable)")
	fs.StringVar(&f.indicators, "indicators", "", "comma-separated `LIST` of indicators (default: all)")
	fs.StringVar(&f.nonpositive, "nonpositive", "exclude", "incomes <= 0 in watts, Theil, GE, Atkinson: exclude (and count) or error")
	fs.StringVar(&f.region, "region", "", "region `COL`umn for the regional disparity indicators (cv, williamson, theil_*_between, ...)")
	fs.StringVar(&f.time, "time", "", "period `COL`umn, e.g. year: adds <indicator>_change rows, the change since the previous period (needs a --by with it)")
	fs.Var(&f.ratios, "ratio", "ratio of group means `COL=A/B`, e.g. urban=true/false (repeatable)")
	fs.StringVar(&f.memory, "memory", "", "memory `BUDGET`, e.g. 4GiB: in memory when the estimate fits, else streaming over row groups")
	f.registerDesign(fs)
	fs.StringVar(&f.differences, "differences", "", "difference rows with their standard errors: `lines,domains` (pairs of lines; each domain minus the whole population)")
}

// registerDesign registers the flags of the sample design and of the
// standard errors.
func (f *studyFlags) registerDesign(fs *flag.FlagSet) {
	fs.StringVar(&f.strata, "strata", "", "stratum `COL`umn of the sample design")
	fs.StringVar(&f.psu, "psu", "", "primary sampling unit `COL`umn of the sample design")
	fs.StringVar(&f.fpc, "fpc", "", "`COL`umn with the sampling fraction of the PSUs in each stratum (finite population correction)")
	fs.StringVar(&f.lonely, "lonely", "adjust", "strata with a single PSU: adjust, remove, certainty, average or fail")
	fs.StringVar(&f.se, "se", "", "standard errors: none, linearized, bootstrap or replicates (default: replicates with --repweights, linearized with --strata or --psu, else none)")
	fs.StringVar(&f.repWeights, "repweights", "", "replicate weight columns shipped with the data, `PREFIX*` (e.g. wr*)")
	fs.StringVar(&f.repType, "reptype", "", "kind of the --repweights: bootstrap (default), JK1, JKn, BRR or Fay")
	fs.Float64Var(&f.rho, "rho", 0, "Fay's coefficient, with --reptype Fay")
	fs.IntVar(&f.replicates, "replicates", 500, "bootstrap replicates")
	fs.Float64Var(&f.level, "level", 0.95, "confidence level of ci_lower and ci_upper")
	fs.Float64Var(&f.rseLimit, "rse-limit", 0.3, "mark estimates whose relative standard error exceeds this as unreliable (0: never)")
	fs.Uint64Var(&f.seed, "seed", 1, "random seed (bootstrap)")
}

// writeResults prints the warnings to stderr and the results to stdout in
// format (json, csv or table; see checkFormat).
func writeResults(stdout, stderr io.Writer, format string, results []pipeline.Result, warnings []string) error {
	for _, w := range warnings {
		fmt.Fprintln(stderr, "povstat: warning:", w)
	}
	var err error
	switch format {
	case "json":
		_, err = stdout.Write(pipeline.EncodeJSON(results))
	case "csv":
		_, err = stdout.Write(pipeline.EncodeCSV(results))
	case "table":
		err = writeTable(stdout, results)
	}
	return err
}

// checkFormat rejects an unknown --format.
func checkFormat(format string) error {
	if format != "json" && format != "csv" && format != "table" {
		return usagef("--format %q: want json, csv or table", format)
	}
	return nil
}

// study turns the flags into a study, with the same defaults and checks as
// a study file.
func (f *studyFlags) study() (*pipeline.Study, error) {
	if len(f.inputs) == 0 {
		return nil, usagef("--input is required")
	}
	if f.income == "" || f.weight == "" {
		return nil, usagef("--income and --weight are required")
	}
	var lines []pipeline.Line
	for _, l := range f.lines {
		line, err := pipeline.ParseLine(l)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		line.Pos = "--line " + l
		lines = append(lines, line)
	}
	var ratios []pipeline.Ratio
	for _, r := range f.ratios {
		ratio, err := pipeline.ParseRatio(r)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		ratio.Pos = "--ratio " + r
		ratios = append(ratios, ratio)
	}
	var domains [][]string
	for _, b := range f.by {
		domains = append(domains, splitList(b))
	}
	s := &pipeline.Study{
		Name:        "indices",
		Inputs:      f.inputs,
		Income:      f.income,
		Weight:      f.weight,
		Size:        f.size,
		Adults:      f.adults,
		Children:    f.children,
		Unit:        f.unit,
		Rows:        f.rows,
		Equivalence: f.equivalence,
		Lines:       lines,
		Domains:     domains,
		Indicators:  splitList(f.indicators),
		Nonpositive: f.nonpositive,
		Region:      f.region,
		Time:        f.time,
		Strata:      f.strata,
		PSU:         f.psu,
		FPC:         f.fpc,
		Lonely:      f.lonely,
		SEMethod:    f.se,
		RepWeights:  f.repWeights,
		RepType:     f.repType,
		Rho:         f.rho,
		Replicates:  f.replicates,
		Level:       f.level,
		RSELimit:    f.rseLimit,
		Differences: splitList(f.differences),
		Ratios:      ratios,
		Seed:        f.seed,
	}
	if f.memory != "" {
		b, err := pipeline.ParseBytes(f.memory)
		if err != nil {
			return nil, usageError{"--memory: " + err.Error()}
		}
		s.Memory = b
	}
	s.MarkRSELimitSet()
	if err := s.Complete(); err != nil {
		return nil, usageError{err.Error()}
	}
	return s, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// tableNum formats a figure of a table for people: six significant
// digits, "–" for none.
func tableNum(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// tableNote is the note column of a table row: the row's note, after
// "unreliable" and the rows left out when there are.
func tableNote(r pipeline.Result) string {
	note := r.Note
	if r.Unreliable {
		note = strings.TrimSpace("unreliable " + note)
	}
	if r.ExcludedN > 0 {
		note = strings.TrimSpace(fmt.Sprintf("%d rows left out %s", r.ExcludedN, note))
	}
	return note
}

// writeTable prints the results aligned for people: one row per result.
func writeTable(w io.Writer, results []pipeline.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	withSE := slices.ContainsFunc(results, func(r pipeline.Result) bool { return r.SEMethod != "" })
	num := tableNum
	withCell := slices.ContainsFunc(results, func(r pipeline.Result) bool { return r.Cell != "" || r.At != nil })
	header := "indicator\tline\tdomain\t"
	if withCell {
		header += "cell\tat\t"
	}
	header += "estimate\t"
	if withSE {
		header += "se\tci_lower\tci_upper\t"
	}
	fmt.Fprintln(tw, header+"n\tpopulation\tnote\t")
	for _, r := range results {
		var dom []string
		for _, d := range r.Domain {
			dom = append(dom, d.Column+"="+d.Value)
		}
		est := num(r.Estimate)
		if withSE {
			est += "\t" + num(r.SE) + "\t" + num(r.CILower) + "\t" + num(r.CIUpper)
		}
		note := tableNote(r)
		line := r.Line
		if r.Ratio != "" {
			line = r.Ratio
		}
		domain := strings.Join(dom, ",")
		if withCell {
			at := ""
			if r.At != nil {
				at = num(*r.At)
			}
			domain += "\t" + r.Cell + "\t" + at
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t\n", r.Indicator, line, domain,
			est, r.N, strconv.FormatFloat(r.Population, 'f', 0, 64), note)
	}
	return tw.Flush()
}

// newProgressBar returns a progress bar drawn on stderr for the streaming
// passes, or nil (no progress) when stderr is not a terminal: a file, a
// pipe, a test's buffer. It draws one line per pass, redrawn at most every
// 200 ms, with the rows per second and the time left, estimated from the
// rows done so far.
func newProgressBar(stderr io.Writer) pipeline.ProgressFunc {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	var start, drawn time.Time
	rows, splits := 0, 0
	return func(ev pipeline.ProgressEvent) {
		now := time.Now()
		if ev.Done == 0 && !ev.Finished {
			start, drawn, rows, splits = now, time.Time{}, 0, 0
		}
		rows += ev.RowsDone
		splits = ev.Done
		if !ev.Finished && now.Sub(drawn) < 200*time.Millisecond {
			return
		}
		drawn = now
		fmt.Fprint(f, "\r"+progressLine(ev.Pass, splits, ev.Splits, rows, ev.Rows, now.Sub(start)))
		if ev.Finished {
			fmt.Fprintln(f)
		}
	}
}

// progressLine renders one line of the bar: the pass, a 30-cell bar of the
// splits done, rows/s and the time left (rows left / rows per second).
func progressLine(pass string, done, total, rows, totalRows int, elapsed time.Duration) string {
	const width = 30
	fill := 0
	if total > 0 {
		fill = done * width / total
	}
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	rate := 0.0
	if secs := elapsed.Seconds(); secs > 0 {
		rate = float64(rows) / secs
	}
	left := "?"
	if rate > 0 && totalRows >= rows {
		left = (time.Duration(float64(totalRows-rows)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("%s [%s] %d/%d splits, %.3g rows/s, %s left ", pass, bar, done, total, rate, left)
}
