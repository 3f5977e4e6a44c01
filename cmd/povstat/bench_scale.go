package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/pipeline"
)

const benchScaleSynopsis = `[--sizes 10000000,100000000] [--data DIR] [--modes M,...]

For each size N, generates (once) a registry of N synthetic households under
DIR/povstat-bench-N, then runs in a child process each mode of --modes:
decode (the bare decode of the columns the job reads: income, weight, hh_size,
province, into memory); in-memory (the job in memory); decode-stream (the same
columns decoded row group by row group on every core and dropped); streaming
(the job streaming over the row groups). The job is 'povstat indices' in
persons by the 31 provinces with the line median60=median:0.6 and population,
n, mean, median, headcount, gap, severity, watts, theil_t. Reports each one's
wall time and peak resident memory (the child's maximum RSS), and the ratios
in-memory ÷ decode and streaming ÷ decode-stream. 1e8 households need about
3 GB of disk and 10 GB of memory in memory; 1e9 (about 30 GB of disk) is
meant to be run by hand with --modes decode-stream,streaming.`

// benchScaleJob is one measurement of bench-scale, run in a child process.
type benchScaleJob struct {
	Mode    string  `json:"mode"` // decode | in-memory | streaming
	Seconds float64 `json:"seconds"`
	PeakRSS int64   `json:"peak_rss_bytes"`
}

func cmdBenchScale(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench-scale", benchScaleSynopsis, stderr)
	sizes := fs.String("sizes", "10000000", "comma-separated registry `SIZES` in households")
	data := fs.String("data", os.TempDir(), "`DIR`ectory holding the generated registries")
	child := fs.String("child", "", "internal: run one `MODE` on --input and report it")
	input := fs.String("input", "", "internal: the registry of --child")
	modes := fs.String("modes", "decode,in-memory,decode-stream,streaming", "the `MODES` to measure, comma-separated")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of each measurement to `FILE`.MODE.N")
	if err := parseOptions(fs, args); err != nil {
		return err
	}
	if *child != "" {
		return benchScaleChild(ctx, *child, *input, *cpuprofile, stdout)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var want []string
	for _, m := range splitList(*modes) {
		if !slices.Contains(benchScaleModes, m) {
			return usagef("--modes: unknown mode %q (want %s)", m, strings.Join(benchScaleModes, ", "))
		}
		want = append(want, m)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "households\tdecode s\tpeak\tin-memory s\tpeak\t÷decode\tdecode-stream s\tpeak\tstreaming s\tpeak\t÷decode-stream\t")
	for _, sz := range splitList(*sizes) {
		n, err := strconv.Atoi(sz)
		if err != nil || n < 1 {
			return usagef("--sizes: %q is not a number of households", sz)
		}
		dir := filepath.Join(*data, "povstat-bench-"+strconv.Itoa(n))
		if err := ensureBenchData(ctx, dir, n, stderr); err != nil {
			return err
		}
		res := map[string]benchScaleJob{}
		for _, mode := range benchScaleModes {
			if !slices.Contains(want, mode) {
				continue
			}
			prof := ""
			if *cpuprofile != "" {
				prof = *cpuprofile + "." + mode + "." + strconv.Itoa(n)
			}
			j, err := benchScaleRun(ctx, exe, mode, dir, prof, stderr)
			if err != nil {
				return fmt.Errorf("bench-scale %s %d: %w", mode, n, err)
			}
			res[mode] = j
		}
		cell := func(mode string) string {
			j, ok := res[mode]
			if !ok {
				return "—\t—"
			}
			return fmt.Sprintf("%.2f\t%s", j.Seconds, pipeline.FormatBytes(j.PeakRSS))
		}
		ratio := func(job, base string) string {
			a, okA := res[job]
			b, okB := res[base]
			if !okA || !okB {
				return "—"
			}
			return fmt.Sprintf("%.2f", a.Seconds/b.Seconds)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", n, cell("decode"), cell("in-memory"), ratio("in-memory", "decode"),
			cell("decode-stream"), cell("streaming"), ratio("streaming", "decode-stream"))
	}
	return tw.Flush()
}

// benchScaleModes are the measurements of bench-scale, in the order they run.
var benchScaleModes = []string{"decode", "in-memory", "decode-stream", "streaming"}

// benchScaleRun runs one measurement in a child process and reads its wall
// time and maximum resident set size.
func benchScaleRun(ctx context.Context, exe, mode, dir, prof string, stderr io.Writer) (benchScaleJob, error) {
	cmd := exec.CommandContext(ctx, exe, "bench-scale", "--child", mode, "--input", dir, "--cpuprofile", prof)
	cmd.Stderr = stderr
	t := time.Now()
	out, err := cmd.Output()
	if err != nil {
		return benchScaleJob{}, err
	}
	j := benchScaleJob{Mode: mode, Seconds: time.Since(t).Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		j.PeakRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	var inner benchScaleJob
	if err := json.Unmarshal(out, &inner); err != nil {
		return benchScaleJob{}, fmt.Errorf("child output %q: %w", out, err)
	}
	j.Seconds = inner.Seconds // without the child's start
	j.PeakRSS = max(j.PeakRSS, inner.PeakRSS)
	return j, nil
}

// benchScaleStudy is the job of bench-scale.
func benchScaleStudy(dir string) (*pipeline.Study, error) {
	l, err := pipeline.ParseLine("median60=median:0.6")
	if err != nil {
		return nil, err
	}
	s := &pipeline.Study{Name: "bench-scale", Inputs: []string{dir}, Income: "income", Weight: "weight", Size: "hh_size",
		Unit: "persons", Rows: "households", Domains: [][]string{{"province"}}, Lines: []pipeline.Line{l}, Seed: 1,
		Indicators: []string{"population", "n", "mean", "median", "headcount", "gap", "severity", "watts", "theil_t"}}
	return s, s.Complete()
}

// benchScaleChild runs one measurement and prints it as JSON.
func benchScaleChild(ctx context.Context, mode, dir, prof string, stdout io.Writer) error {
	stop, err := startCPUProfile(prof)
	if err != nil {
		return err
	}
	defer stop()
	t := time.Now()
	switch mode {
	case "decode":
		_, err := datasets.Read(ctx, []string{dir}, []datasets.Request{
			{Name: "income", Kind: datasets.Numeric}, {Name: "weight", Kind: datasets.Numeric},
			{Name: "hh_size", Kind: datasets.Numeric}, {Name: "province", Kind: datasets.Categorical}})
		if err != nil {
			return err
		}
	case "decode-stream":
		if err := decodeStream(ctx, dir); err != nil {
			return err
		}
	case "in-memory", "streaming":
		s, err := benchScaleStudy(dir)
		if err != nil {
			return err
		}
		opt := pipeline.InMemory()
		if mode == "streaming" {
			opt = pipeline.Streaming()
		}
		if _, err := pipeline.Run(ctx, s, pipeline.SkipHashes(), opt); err != nil {
			return err
		}
	default:
		return usagef("--child: unknown mode %q", mode)
	}
	return json.NewEncoder(stdout).Encode(benchScaleJob{Mode: mode, Seconds: time.Since(t).Seconds(), PeakRSS: vmHWM()})
}

// decodeStream decodes the job's columns of every row group of dir, one row
// group per core at a time, and drops them: the decode a streaming run
// cannot avoid. Each worker reads as the streaming runner's loaders do,
// with a datasets.SplitReader (each file's footer parsed once per worker)
// decoding into the buffers of its previous split (datasets.ReadSplitInto).
func decodeStream(ctx context.Context, dir string) error {
	splits, err := datasets.Splits(ctx, []string{dir})
	if err != nil {
		return err
	}
	reqs := []datasets.Request{{Name: "income", Kind: datasets.Numeric}, {Name: "weight", Kind: datasets.Numeric},
		{Name: "hh_size", Kind: datasets.Numeric}, {Name: "province", Kind: datasets.Categorical}}
	var next atomic.Int64
	errs := make([]error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Go(func() {
			var rd datasets.SplitReader
			var buf *datasets.Table
			for i := int(next.Add(1) - 1); i < len(splits) && errs[w] == nil; i = int(next.Add(1) - 1) {
				var t *datasets.Table
				if t, errs[w] = rd.Read(ctx, splits[i], reqs, buf, datasets.Parallelism(1)); t != nil {
					buf = t
				}
			}
			if err := rd.Close(); errs[w] == nil {
				errs[w] = err
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// vmHWM returns the process's peak resident set size from /proc/self/status
// (0 where there is none).
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	var kb int64
	for _, line := range strings.Split(string(b), "\n") {
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			return kb * 1024
		}
	}
	return 0
}
