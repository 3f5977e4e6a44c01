// Command povstat computes poverty lines and poverty and inequality
// indicators from household or person microdata in Parquet or CSV.
//
// Usage:
//
//	povstat demo --out DIR          generate demo data, run the demo study, write results and report
//	povstat run STUDY.yaml --out DIR
//	povstat indices --input PATH --income COL --weight COL [flags]
//	povstat disparity --table FILE --value COL --population COL [flags]
//	povstat classify --input PATH --income COL --weight COL --group COL --ref SPEC [flags]
//	povstat report --input PATH --income COL --weight COL --out DIR [flags]
//	povstat compare --input PATH --income COL --weight COL [--sweep ...] [--line ...] [flags]
//	povstat dynamics --input PATH --id COL --year COL --income COL --weight COL [flags]
//	povstat risk --input PATH --id COL --year COL --income COL --weight COL --line NAME=SPEC [flags]
//	povstat gen --households N --years Y --seed S --out DIR
//	povstat bench [--households N]
//	povstat version
//
// Run `povstat COMMAND -h` for the flags of a command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

const usage = `povstat: poverty and inequality statistics from microdata

Usage:
  povstat demo --out DIR          generate demo data, run the demo study, write results and report
  povstat run STUDY.yaml --out DIR
                                  run a study file; writes results.json, results.csv, manifest.json, report.html
  povstat indices --input PATH --income COL --weight COL [flags]
                                  ad-hoc indicators to standard output (json, csv or table)
  povstat gen --households N --years Y --seed S --out DIR
                                  write synthetic household panel microdata as Parquet
  povstat disparity --table FILE --value COL --population COL [--region COL] [--by COL]
                                  disparity coefficients from a table of regions
  povstat classify --input PATH --income COL --weight COL --group COL --ref SPEC [flags]
                                  flag units (e.g. villages) whose mean income is below a reference
  povstat report --input PATH --income COL --weight COL --out DIR [the flags of indices]
                                  the report (HTML, charts, tables) of an ad-hoc study
  povstat compare --input PATH --income COL --weight COL [--sweep NAME=BASIS:FROM:TO:STEP] [--line NAME=SPEC] [flags]
                                  compare poverty lines: sweeps, overlaps, the line for a headcount or a budget
  povstat dynamics --input PATH --id COL --year COL --income COL --weight COL [--line NAME=SPEC] [--rule NAME=EXPR] [flags]
                                  panel dynamics: transitions, entries, exits, re-entries, spells, monitoring flags
  povstat risk --input PATH --id COL --year COL --income COL --weight COL --line NAME=SPEC [--features COL,...] [flags]
                                  return-to-poverty risk score, validated on the last year against monitoring rules
  povstat vulnerability --input PATH --income COL --weight COL --line NAME=SPEC --features COL,... [--id COL --year COL] [flags]
                                  vulnerability as expected poverty (FGLS of log income and its variance) from one cross-section
  povstat bench [--households N]  time the indices job against the bare decode
  povstat bench-scale [--sizes 10000000,100000000] [--modes ...]
                                  wall time and peak memory of the in-memory and streaming paths against the decode
  povstat version

Run 'povstat COMMAND -h' for the flags of a command.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit code: 0 on
// success, 1 when the job failed, 2 for a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr)
	case "run":
		err = cmdRun(ctx, args[1:], stdout, stderr)
	case "indices":
		err = cmdIndices(ctx, args[1:], stdout, stderr)
	case "gen":
		err = cmdGen(ctx, args[1:], stdout, stderr)
	case "disparity":
		err = cmdDisparity(ctx, args[1:], stdout, stderr)
	case "classify":
		err = cmdClassify(ctx, args[1:], stdout, stderr)
	case "report":
		err = cmdReport(ctx, args[1:], stdout, stderr)
	case "compare":
		err = cmdCompare(ctx, args[1:], stdout, stderr)
	case "dynamics":
		err = cmdDynamics(ctx, args[1:], stdout, stderr)
	case "risk":
		err = cmdRisk(ctx, args[1:], stdout, stderr)
	case "vulnerability":
		err = cmdVulnerability(ctx, args[1:], stdout, stderr)
	case "bench":
		err = cmdBench(ctx, args[1:], stdout, stderr)
	case "bench-scale":
		err = cmdBenchScale(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "povstat", version())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "povstat: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "povstat %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "povstat %s: %v\n", args[0], err)
		return 1
	}
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// listFlag collects a flag given several times.
type listFlag []string

func (l *listFlag) String() string     { return fmt.Sprint([]string(*l)) }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// newFlagSet returns a flag set that reports errors instead of exiting.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: povstat %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseOptions parses args that take flags only.
func parseOptions(fs *flag.FlagSet, args []string) error {
	pos, err := parseFlags(fs, args)
	if err == nil && len(pos) > 0 {
		err = usagef("unexpected argument %q", pos[0])
	}
	return err
}

// needOut checks that an --out directory was given.
func needOut(out string) error {
	if out == "" {
		return usagef("--out is required")
	}
	return nil
}

// parseFlags parses args, allowing positional arguments before flags.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
