package datasets

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/snappy"
)

// benchHousehold is the row type of the benchmark file.
type benchHousehold struct {
	Income   float64 `parquet:"income"`
	Weight   float64 `parquet:"weight"`
	Province int32   `parquet:"province,dict"`
}

// writeBenchFile writes n households in row groups of 128Ki rows with snappy
// compression, as a typical export would.
func writeBenchFile(b *testing.B, path string, n int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewGenericWriter[benchHousehold](f,
		parquet.MaxRowsPerRowGroup(128<<10), parquet.Compression(&snappy.Codec{}))
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([]benchHousehold, 0, 4096)
	for i := range n {
		rows = append(rows, benchHousehold{
			Income:   math.Exp(9.4 + 0.8*rng.NormFloat64()),
			Weight:   50 + 450*rng.Float64(),
			Province: int32(1 + rng.IntN(31)),
		})
		if len(rows) == cap(rows) || i == n-1 {
			if _, err := w.Write(rows); err != nil {
				b.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReadParquet reads income and weight (Numeric) and province
// (Categorical) from a 1M-row file.
func BenchmarkReadParquet(b *testing.B) {
	const n = 1_000_000
	path := filepath.Join(b.TempDir(), "households.parquet")
	writeBenchFile(b, path, n)
	reqs := []Request{{"income", Numeric}, {"weight", Numeric}, {"province", Categorical}}
	for b.Loop() {
		t, err := Read(context.Background(), []string{path}, reqs)
		if err != nil {
			b.Fatal(err)
		}
		if t.Rows != n {
			b.Fatalf("got %d rows", t.Rows)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
