package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/povstat/povstat/datasets"
)

// ErrMemoryBudget reports a study that fits the memory budget neither in
// memory nor streaming.
var ErrMemoryBudget = errors.New("the memory budget is too small")

// MemoryRecord is the manifest's record of how a run used memory: the
// budget (0: none), the estimates of both paths from the input footers,
// and the path chosen ("in-memory" or "streaming").
type MemoryRecord struct {
	Mode           string `json:"mode"`
	BudgetBytes    int64  `json:"budget_bytes"`
	EstimateBytes  int64  `json:"estimate_bytes,omitempty"`  // the in-memory path; 0 when not estimated (no budget)
	StreamingBytes int64  `json:"streaming_bytes,omitempty"` // the streaming path
	Rows           int64  `json:"rows,omitempty"`            // rows of the inputs (CSV: estimated from the size)
	Splits         int    `json:"splits,omitempty"`          // splits read by the streaming path
	Unsupported    string `json:"unsupported,omitempty"`     // why streaming could not be used
}

// ProgressEvent reports the progress of a streaming pass: sent when it
// starts (Done 0), after each split (RowsDone rows more), and at its end
// (Finished).
type ProgressEvent struct {
	Pass     string // e.g. "pass 1/3: histograms and sums"
	Splits   int    // splits in the pass
	Rows     int    // rows in the pass (CSV files count 0: unknown before reading)
	Done     int    // splits done
	RowsDone int    // rows of the split just done
	Finished bool
}

// ProgressFunc receives progress events, from one goroutine at a time.
type ProgressFunc func(ProgressEvent)

// WithProgress sends the progress of long passes to f.
func WithProgress(f ProgressFunc) Option { return func(c *runConfig) { c.progress = f } }

// MemoryBudget sets the memory budget in bytes, overriding the study's
// options.memory; 0 keeps the study's.
func MemoryBudget(bytes int64) Option { return func(c *runConfig) { c.budget = bytes } }

// Streaming makes Run take the streaming path whatever the budget (for
// tests and benchmarks); the study must be one it supports.
func Streaming() Option { return func(c *runConfig) { c.forceStream = true } }

// InMemory makes Run take the in-memory path whatever the budget.
func InMemory() Option { return func(c *runConfig) { c.forceMemory = true } }

// Memory estimate, in bytes, from the row count R of the footers:
//
//	in-memory  = base + R·(Σ_c b_c + 1 + 16 + 4·F + 12·G + 16·M + 8·L + 24·S + 16·V + 256·S·V)
//	streaming  = base + 2·R_split·(2·(Σ_c b_c + 1) + 3·20) + cells + 16·(M + B·Q)·R/256
//
// where b_c is 8 bytes for a numeric column and 4 for a categorical one
// (codes), 1 the keep mark of screening, 16 a unit's income and weight,
// F the columns grouping units (4-byte codes), G the groupings (breakdowns,
// line groups, the finest cell: 4-byte codes plus an 8-byte combined key
// while built), M the medians asked for (a 16-byte copy of the units of each
// group), L the lines (an 8-byte line per unit), S 1 when an indicator the
// streaming runner lacks is asked for (Gini, Sen and rmpg sort the units:
// order and sorted copies) and
// V 1 with standard errors (influence values; with S, 256 more: the
// units of every breakdown in income order with their PSU cells, the
// influence values of the tasks running at once and their scratch,
// measured at 280 bytes a unit over the point job for all indicators
// with 3 lines by province at 1e7 households); R_split is the largest
// split's rows: the streaming runner holds its columns and keep marks twice
// (two loaders) and the units of three splits (20 bytes: income, weight,
// 4-byte cell), in buffers reused from split to split, and the factor 2 is
// the garbage collector's headroom (GOGC=100) for the rest; cells 4 KiB per
// breakdown and line for the histograms and sums; 16·(M + B·Q)·R/256 pass
// 2's candidates, the units in the histogram bucket of each median and of
// each of the Q quantiles of the B breakdowns (the quantile shares' and
// Lorenz curves' cuts) (income and weight; a bucket of the 2^20-bucket
// grid spans 1/256 of a binary order of magnitude, and holds well under
// 1/256 of the units of a smooth income distribution; with rmpg, M also
// counts the median of each line's poor in every breakdown); with the
// Gini or sen, the units of a pass of theirs, 40 bytes a unit and
// breakdown (giniCapacity: at most a quarter of the budget; the Gini's
// passes and the poor's come one after the other); and base 64 MiB for
// the program and the runtime. CSV files count one row per 16 bytes. Measured
// on generated households (one breakdown, one median line, the median): in
// memory, 1e7 households peak at 309 MiB for an estimate of 1.5 GiB (the
// formula still counts copies that medians, groupings and lines no longer
// make: it errs high, towards streaming); all indicators with 3 lines by
// province, 1.2 GiB for 2.3 GiB, and with linearized SEs 3.8 GiB for
// 5.0 GiB; streaming over row groups of 2^20
// rows, 1e8 households peak at 226 MiB for an estimate of 318 MiB, 1e9 at
// 366 MiB for 479 MiB.
const (
	memoryBase = 64 << 20
	csvRowSize = 16
)

// memoryPlan is the choice of a run's path.
type memoryPlan struct {
	rec    MemoryRecord
	stream bool
}

// chooseMemory estimates the memory of both paths and picks one: in
// memory when it fits the budget (or there is none), streaming when it
// does not and the study is one the streaming runner computes, else an
// error naming the estimate and the budget.
func chooseMemory(ctx context.Context, s *Study, cfg runConfig) (*memoryPlan, error) {
	budget := s.Memory
	if cfg.budget > 0 {
		budget = cfg.budget
	}
	unsupported := StreamUnsupported(s)
	plan := &memoryPlan{rec: MemoryRecord{Mode: "in-memory", BudgetBytes: budget}}
	if unsupported != nil {
		plan.rec.Unsupported = strings.TrimPrefix(unsupported.Error(), ErrNeedsMemory.Error()+": ")
	}
	if cfg.forceMemory || budget <= 0 && !cfg.forceStream {
		return plan, nil
	}
	splits, err := datasets.Splits(ctx, s.Inputs)
	if err != nil {
		return nil, fmt.Errorf("read inputs: %w", err)
	}
	plan.rec.Rows, plan.rec.EstimateBytes, plan.rec.StreamingBytes = estimateMemory(s, splits, budget)
	switch {
	case cfg.forceStream:
		if unsupported != nil {
			return nil, unsupported
		}
	case plan.rec.EstimateBytes <= budget:
		return plan, nil
	case unsupported != nil:
		return nil, fmt.Errorf("%w: the in-memory path needs about %s for %d rows, the budget is %s, and %v",
			ErrMemoryBudget, FormatBytes(plan.rec.EstimateBytes), plan.rec.Rows, FormatBytes(budget), unsupported)
	case plan.rec.StreamingBytes > budget:
		return nil, fmt.Errorf("%w: the in-memory path needs about %s and the streaming path about %s (its largest split), the budget is %s",
			ErrMemoryBudget, FormatBytes(plan.rec.EstimateBytes), FormatBytes(plan.rec.StreamingBytes), FormatBytes(budget))
	}
	plan.stream = true
	plan.rec.Mode = "streaming"
	plan.rec.Splits = len(splits)
	return plan, nil
}

// guard sets the budget as the Go runtime's soft memory limit for the
// run and returns the function that restores the previous limit.
func (p *memoryPlan) guard() func() {
	if p.rec.BudgetBytes <= 0 {
		return func() {}
	}
	prev := debug.SetMemoryLimit(p.rec.BudgetBytes)
	return func() { debug.SetMemoryLimit(prev) }
}

// estimateMemory applies the formula above to the splits, under the
// memory budget (0: none).
func estimateMemory(s *Study, splits []datasets.Split, budget int64) (rows, inMemory, streaming int64) {
	perCol := int64(0)
	for _, r := range requests(s) {
		if r.Kind == datasets.Numeric {
			perCol += 8
		} else {
			perCol += 4
		}
	}
	factors := int64(len(uniqueStrings(categoricalColumns(s))))
	groupings := int64(2 + len(s.Domains) + len(s.Lines))
	medians, sorted, se := int64(0), int64(0), int64(0)
	for _, name := range s.Indicators {
		if name == "median" {
			medians += int64(1 + len(s.Domains))
		}
		if name == "gini" || name == "sen" || name == "rmpg" {
			sorted = 1
		}
	}
	for _, l := range s.Lines {
		if l.Basis == "median" {
			medians++
		}
	}
	if s.SEMethod != "" && s.SEMethod != "none" {
		se = 1
	}
	var largest int64
	for _, sp := range splits {
		n := int64(sp.Rows)
		if sp.Rows < 0 {
			n = sp.Size / csvRowSize
		}
		rows += n
		largest = max(largest, n)
	}
	unit := perCol + 1 + 16 + 4*factors + 12*groupings + 16*medians + 8*int64(len(s.Lines)) + 24*sorted + 16*se + 256*sorted*se
	inMemory = memoryBase + rows*unit
	// Streaming keeps the candidates of every quantile like a median's:
	// the quantile shares' and Lorenz curves' cuts of every breakdown.
	want := wants{}
	for _, name := range s.Indicators {
		want[name] = true
	}
	reqs, _ := statsRequests(s, want)
	targets := medians + int64(1+len(s.Domains))*int64(len(reqs[0].quantiles))
	if want["rmpg"] { // the median of each line's poor in every breakdown
		targets += int64(len(s.Lines) * (1 + len(s.Domains)))
	}
	streaming = memoryBase + 2*largest*(2*(perCol+1)+3*20) + 4096*int64(len(s.Domains)+len(s.Lines)+1) + 16*targets*rows/256
	nb := 1 + len(s.Domains)
	if want["gini"] || want["sen"] { // a Gini pass's units (stream_gini.go), or the poor's (stream_poor.go): one after the other
		streaming += 40 * int64(nb) * min(rows, int64(giniCapacity(budget, nb)))
	}
	return rows, inMemory, streaming
}

func uniqueStrings(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// ParseBytes parses a memory size: a number with an optional unit B, KB,
// MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), case
// insensitive, e.g. "4GiB", "512MB", "1.5GiB", "1000000".
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' })
	unit := strings.ToLower(strings.TrimSpace(t[len(num):]))
	mult := map[string]float64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
	m, ok := mult[unit]
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if !ok || err != nil || !(v > 0) || v*m >= math.MaxInt64 {
		return 0, fmt.Errorf("memory size %q: want a positive number with an optional unit (e.g. 4GiB, 512MB)", s)
	}
	return int64(v * m), nil
}

// FormatBytes writes a size in binary units, e.g. "1.5 GiB".
func FormatBytes(b int64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	v, i := float64(b), -1
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + []string{"KiB", "MiB", "GiB", "TiB"}[i]
}
