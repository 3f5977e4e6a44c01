// Command duckbench times DuckDB and povstat computing the same tables from
// the same generated Parquet registry with the same number of threads, checks
// that both give the same numbers, and prints the times with their ratios and
// the bare decode time of povstat's reader.
//
// It lives in its own module so that povstat never depends on DuckDB (a cgo
// library that takes minutes to build):
//
//	cd cmd/duckbench && go run . --households 1000000,10000000 --threads 2
//
// Tables, over persons (each household counts weight × hh_size persons with
// the household's per-capita income; rows with a weight or size <= 0 or a
// non-finite income are left out, as povstat's screening does):
//
//   - the weighted median (laeken's rule; DuckDB: a window cumulative sum);
//   - the weighted median of each province;
//   - the weighted Gini (laeken's formula; DuckDB: a window cumulative sum);
//   - the headcount under 60 % of the national median, by province.
//
// The data are those of `povstat bench`: $TMPDIR/povstat-bench-N, generated
// once by datasets/synth (one year, seed 1).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// relTol is the largest relative difference accepted between the two engines.
const relTol = 1e-9

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "duckbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("duckbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("households", "1000000,10000000", "comma-separated registry sizes (households)")
	threads := fs.Int("threads", runtime.NumCPU(), "threads for both engines (GOMAXPROCS, DuckDB's threads)")
	repeat := fs.Int("repeat", 2, "runs of each measurement (the best is reported)")
	root := fs.String("data", os.TempDir(), "directory holding povstat-bench-N (generated when absent)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	runtime.GOMAXPROCS(*threads)
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 31 {
			return fmt.Errorf("--households: bad size %q", s)
		}
		dir, err := ensureData(ctx, *root, n, stderr)
		if err != nil {
			return err
		}
		if err := benchSize(ctx, stdout, dir, n, *threads, *repeat); err != nil {
			return fmt.Errorf("%d households: %w", n, err)
		}
	}
	return nil
}

// benchSize measures every table on one registry and prints a table.
func benchSize(ctx context.Context, stdout io.Writer, dir string, n, threads, repeat int) error {
	duck, err := openDuck(dir, threads)
	if err != nil {
		return err
	}
	defer duck.Close()
	own := &povstat{dir: dir, threads: threads}
	decode, err := best(repeat, func() error { return own.decode(ctx) })
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%d households, %d threads\tpovstat\tDuckDB\tDuckDB ÷ povstat\tpovstat ÷ decode\tmax rel. diff\t\n", n, threads)
	fmt.Fprintf(tw, "decode income, weight, hh_size, province\t%.3f s\t\t\t1.00\t\t\n", decode.Seconds())
	for _, t := range tables() {
		var ours, theirs figures
		dOurs, err := best(repeat, func() (err error) { ours, err = t.own(ctx, own); return err })
		if err != nil {
			return fmt.Errorf("povstat %s: %w", t.name, err)
		}
		dTheirs, err := best(repeat, func() (err error) { theirs, err = duck.query(ctx, t.sql); return err })
		if err != nil {
			return fmt.Errorf("duckdb %s: %w", t.name, err)
		}
		diff, err := compareFigures(ours, theirs)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		fmt.Fprintf(tw, "%s\t%.3f s\t%.3f s\t%.2f\t%.2f\t%.1e\t\n", t.name, dOurs.Seconds(), dTheirs.Seconds(),
			dTheirs.Seconds()/dOurs.Seconds(), dOurs.Seconds()/decode.Seconds(), diff)
	}
	fmt.Fprintln(tw)
	return tw.Flush()
}

// figures are the numbers of one table by key: "" for the whole population,
// else the province.
type figures map[string]float64

// compareFigures checks that both engines give the same keys and numbers
// within relTol, and returns the largest relative difference.
func compareFigures(a, b figures) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("povstat gives %d figures, DuckDB %d", len(a), len(b))
	}
	worst := 0.0
	for k, va := range a {
		vb, ok := b[k]
		if !ok {
			return 0, fmt.Errorf("DuckDB has no figure for %q", k)
		}
		d := relDiff(va, vb)
		if !(d <= relTol) {
			return 0, fmt.Errorf("figure %q: povstat %v, DuckDB %v (relative difference %.2g)", k, va, vb, d)
		}
		worst = max(worst, d)
	}
	return worst, nil
}

func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return abs(a-b) / max(abs(a), abs(b))
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// best runs f n times and returns the shortest wall time.
func best(n int, f func() error) (time.Duration, error) {
	var least time.Duration
	for i := range max(n, 1) {
		runtime.GC()
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if d := time.Since(t); i == 0 || d < least {
			least = d
		}
	}
	return least, nil
}
