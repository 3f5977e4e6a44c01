package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/datasets/synth"
)

const benchSynopsis = `[--households N] [--data DIR] [--repeat R]

Generates (once) a registry of N synthetic households, then times in this one
process: the bare decode of the columns the job reads (income, weight, hh_size,
province, urban); and
'povstat indices' (persons, 3 lines, by the 31 provinces; FGT0-2 only, then all
indicators; inequality measures; FGT0-2 and all indicators with linearized
standard errors; regional disparity), JSON written and discarded. Reports the
best of R runs of each and its ratio to the decode, and for the standard
errors their ratio to the same job's point estimates.`

func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", benchSynopsis, stderr)
	households := fs.Int("households", 10_000_000, "households in the generated registry")
	data := fs.String("data", "", "data `DIR`ectory (default $TMPDIR/povstat-bench-N; generated when absent)")
	repeat := fs.Int("repeat", 3, "runs of each measurement (the best is reported)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole benchmark to `FILE`")
	only := fs.String("only", "", "run only the jobs whose name holds `TEXT` (and the jobs they are compared with)")
	if err := parseOptions(fs, args); err != nil {
		return err
	}
	dir := *data
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "povstat-bench-"+strconv.Itoa(*households))
	}
	if err := ensureBenchData(ctx, dir, *households, stderr); err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	defer stop()
	decode := func() error {
		_, err := datasets.Read(ctx, []string{dir}, []datasets.Request{
			{Name: "income", Kind: datasets.Numeric},
			{Name: "weight", Kind: datasets.Numeric},
			{Name: "hh_size", Kind: datasets.Numeric},
			{Name: "province", Kind: datasets.Categorical},
			{Name: "urban", Kind: datasets.Categorical},
		})
		return err
	}
	common := []string{"indices", "--input", dir, "--income", "income", "--weight", "weight", "--size", "hh_size",
		"--by", "province", "--line", "median60=median:0.6", "--line", "median50=median:0.5",
		"--line", "rural33=mean:0.33@province?urban=false", "--format", "json"}
	design := []string{"--strata", "stratum", "--psu", "psu"}
	fgt := []string{"--indicators", "line,headcount,gap,severity"}
	jobs := []benchJob{
		{"povstat indices: 3 lines, FGT0-2, by province", concat(common, fgt), -1},
		{"povstat indices: all indicators, 3 lines, by province", common, -1},
		{"povstat indices: gini, theil_t/l, qsr, palma, deciles, by province", concat(common,
			[]string{"--indicators", "gini,theil_t,theil_l,qsr,palma,share_d1,share_d10"}), -1},
		{"povstat indices: 3 lines, FGT0-2, by province, linearized SEs (strata, PSUs)", concat(common, fgt, design), 0},
		{"povstat indices: all indicators, 3 lines, by province, linearized SEs (strata, PSUs)", concat(common, design), 1},
		{"povstat indices: regional disparity across provinces, by urban", []string{"indices", "--input", dir,
			"--income", "income", "--weight", "weight", "--size", "hh_size", "--by", "urban", "--region", "province",
			"--ratio", "urban=true/false", "--format", "json"}, -1},
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "households\t%d\t\nGOMAXPROCS\t%d\t\n", *households, runtime.GOMAXPROCS(0))
	base, err := best(*repeat, decode)
	if err != nil {
		return err
	}
	fmt.Fprintf(tw, "decode income, weight, hh_size, province, urban\t%.3f s\t1.00x\t\n", base.Seconds())
	times := make([]time.Duration, len(jobs))
	for k, j := range jobs {
		if *only != "" && !strings.Contains(j.name, *only) && !neededBy(jobs, k, *only) {
			continue
		}
		d, err := best(*repeat, func() error {
			var errb bytes.Buffer
			if code := run(ctx, j.args, io.Discard, &errb); code != 0 {
				return fmt.Errorf("%s: exit %d: %s", strings.Join(j.args, " "), code, errb.String())
			}
			return nil
		})
		if err != nil {
			return err
		}
		times[k] = d
		extra := ""
		if j.point >= 0 && times[j.point] > 0 {
			extra = fmt.Sprintf("%.2fx the point estimates", d.Seconds()/times[j.point].Seconds())
		}
		fmt.Fprintf(tw, "%s\t%.3f s\t%.2fx\t%s\t\n", j.name, d.Seconds(), d.Seconds()/base.Seconds(), extra)
	}
	return tw.Flush()
}

// startCPUProfile writes a CPU profile to path until stop is called (a no-op
// for an empty path).
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// benchJob is one job of bench: a povstat command line, and the index of the
// job with the same point estimates for the cost of its standard errors (-1:
// none).
type benchJob struct {
	name  string
	args  []string
	point int
}

// neededBy reports whether job k is the point-estimate job of a job selected
// by --only.
func neededBy(jobs []benchJob, k int, only string) bool {
	for _, j := range jobs {
		if j.point == k && strings.Contains(j.name, only) {
			return true
		}
	}
	return false
}

// concat returns the arguments of parts one after another, in a new slice.
func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// best runs f n times and returns the shortest wall time.
func best(n int, f func() error) (time.Duration, error) {
	var min time.Duration
	for i := 0; i < max(n, 1); i++ {
		runtime.GC()
		t := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if d := time.Since(t); i == 0 || d < min {
			min = d
		}
	}
	return min, nil
}

func ensureBenchData(ctx context.Context, dir string, households int, stderr io.Writer) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	fmt.Fprintf(stderr, "generating %d households into %s ...\n", households, dir)
	t := time.Now()
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	if _, err := synth.Write(ctx, tmp, synth.Config{Households: households, Years: 1, FirstYear: 2020, Seed: 1}); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "generated in %.1f s\n", time.Since(t).Seconds())
	return nil
}
