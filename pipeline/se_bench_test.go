//go:build unix

package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/povstat/povstat/datasets/synth"
)

// seBenchHouseholds is the size of the generated registry of the SE
// benchmarks (POVSTAT_SE_BENCH_N overrides it).
func seBenchHouseholds() int {
	if n, err := strconv.Atoi(os.Getenv("POVSTAT_SE_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

// seBenchUnits generates a registry once per benchmark (or reads the one in
// POVSTAT_SE_BENCH_DATA) and loads the units
// of the benchmark study: persons, 3 lines, by province, strata and PSUs.
func seBenchUnits(b *testing.B, indicators ...string) (*Study, *units) {
	b.Helper()
	dir := os.Getenv("POVSTAT_SE_BENCH_DATA") // e.g. the registry of povstat bench
	if dir == "" {
		dir = filepath.Join(b.TempDir(), "data")
		if _, err := synth.Write(context.Background(), dir, synth.Config{Households: seBenchHouseholds(), Years: 1, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	s := &Study{Name: "bench", Inputs: []string{dir}, Income: "income", Weight: "weight", Size: "hh_size",
		Strata: "stratum", PSU: "psu", Domains: [][]string{{"province"}}, Indicators: indicators}
	for _, l := range []string{"median60=median:0.6", "median50=median:0.5", "rural33=mean:0.33@province?urban=false"} {
		line, err := ParseLine(l)
		if err != nil {
			b.Fatal(err)
		}
		s.Lines = append(s.Lines, line)
	}
	if err := s.Complete(); err != nil {
		b.Fatal(err)
	}
	d, err := load(context.Background(), s, loadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return s, d.u
}

// benchTabulate times tabulate of the study with the given SE method.
func benchTabulate(b *testing.B, method string, indicators ...string) {
	s, u := seBenchUnits(b, indicators...)
	s.SEMethod = method
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, _, err := tabulate(context.Background(), s, u); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time is steadier than wall time on a shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
}

// cpuTime returns the user + system CPU time of the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var benchPoverty = []string{"line", "headcount", "gap", "severity"}

// Point estimates and linearized SEs of the poverty indicators of 3 lines
// by province: the SEs should cost at most about as much again.
func BenchmarkPovertyPoint(b *testing.B)      { benchTabulate(b, "none", benchPoverty...) }
func BenchmarkPovertyLinearized(b *testing.B) { benchTabulate(b, "linearized", benchPoverty...) }

// The same for all default indicators.
func BenchmarkAllPoint(b *testing.B)      { benchTabulate(b, "none") }
func BenchmarkAllLinearized(b *testing.B) { benchTabulate(b, "linearized") }
