package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestCompareFigures(t *testing.T) {
	for _, tt := range []struct {
		name string
		a, b figures
		ok   bool
		diff float64
	}{
		{"equal", figures{"": 2, "1": 4}, figures{"": 2, "1": 4}, true, 0},
		// 1+2^-34 and 1 differ by 2^-34/(1+2^-34) relative (5.8e-11, both
		// exact in float64 up to the division): within 1e-9.
		{"within tolerance", figures{"": 1 + 0x1p-34}, figures{"": 1}, true, 0x1p-34 / (1 + 0x1p-34)},
		{"beyond tolerance", figures{"": 1 + 1e-8}, figures{"": 1}, false, 0},
		{"missing key", figures{"1": 1}, figures{"2": 1}, false, 0},
		{"NaN", figures{"": 1}, figures{"": 0 * func() float64 { return 1 }() / 0}, false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := compareFigures(tt.a, tt.b)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if tt.ok && d != tt.diff {
				t.Errorf("diff %g, want %g", d, tt.diff)
			}
		})
	}
}

// TestBothEnginesAgree runs the whole benchmark on a small generated
// registry: it fails if DuckDB and povstat differ on any figure.
func TestBothEnginesAgree(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"--households", "3000", "--threads", "2", "--repeat", "1", "--data", t.TempDir()}, &out, &errb)
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	for _, name := range []string{"weighted median", "weighted medians by province", "weighted Gini", "headcount under 60% of the median, by province"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("no row %q in\n%s", name, out.String())
		}
	}
}
