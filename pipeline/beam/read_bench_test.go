package povbeam

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/povstat/povstat/datasets/synth"
)

// BenchmarkReadSplits reads every split of a generated file of 2^19
// households in 256 row groups, as a DoFn does: with a reader per split
// (the footer, which lists every row group, parsed for each) and with the
// DoFn's reader (the footer parsed once, the buffers reused).
func BenchmarkReadSplits(b *testing.B) {
	dir := b.TempDir()
	if _, err := synth.Write(context.Background(), filepath.Join(dir, "data"),
		synth.Config{Households: 1 << 19, Years: 1, Seed: 3, RowGroupSize: 1 << 11}); err != nil {
		b.Fatal(err)
	}
	j := &Job{Inputs: []string{filepath.Join(dir, "data")}, Income: "income", Weight: "weight", Size: "hh_size",
		Unit: "persons", By: []string{"province"}, Indicators: []string{"mean"}}
	sps, _, err := listSplits(context.Background(), j)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	count := func(*unit) { n++ }
	for _, c := range []struct {
		name string
		r    func() *reader
	}{{"reader per split", func() *reader { return nil }}, {"reader per DoFn", func() *reader { return &reader{} }}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				r := c.r()
				n = 0
				for _, sp := range sps {
					if _, err := readSplit(r, j, sp, count); err != nil {
						b.Fatal(err)
					}
				}
				if err := r.close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(sps)), "splits")
		})
	}
	if n == 0 {
		b.Fatal("no units read")
	}
}
