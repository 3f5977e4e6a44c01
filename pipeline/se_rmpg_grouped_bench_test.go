//go:build unix

package pipeline

import "testing"

// Point estimates and linearized SEs of rmpg and Sen under the benchmark's
// 3 lines (one of them grouped, rural33=mean:0.33@province) by province.
func BenchmarkRMPGSenPoint(b *testing.B)      { benchTabulate(b, "none", "rmpg", "sen") }
func BenchmarkRMPGSenLinearized(b *testing.B) { benchTabulate(b, "linearized", "rmpg", "sen") }
