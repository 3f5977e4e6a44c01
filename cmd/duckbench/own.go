package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/datasets/synth"
	"github.com/povstat/povstat/indices"
	"github.com/povstat/povstat/pipeline"
)

// table is one measured table: DuckDB's query and povstat's path.
type table struct {
	name string
	sql  string
	own  func(ctx context.Context, p *povstat) (figures, error)
}

func tables() []table {
	return []table{
		{"weighted median", fmt.Sprintf(sqlMedian, medianCTE("")),
			func(ctx context.Context, p *povstat) (figures, error) {
				return p.study(ctx, "lines: []\nindicators: [median]\n", "median", "")
			}},
		{"weighted median, two-pass histogram (indices.StreamQuantiles)", fmt.Sprintf(sqlMedian, medianCTE("")),
			func(ctx context.Context, p *povstat) (figures, error) { return p.streamMedian(ctx) }},
		{"weighted medians by province", fmt.Sprintf(sqlMedian, medianCTE("province")),
			func(ctx context.Context, p *povstat) (figures, error) {
				return p.study(ctx, "lines: []\ndomains: [[province]]\nindicators: [median]\n", "median", "province")
			}},
		{"weighted Gini", sqlGini,
			func(ctx context.Context, p *povstat) (figures, error) {
				return p.study(ctx, "lines: []\nindicators: [gini]\n", "gini", "")
			}},
		{"headcount under 60% of the median, by province", fmt.Sprintf(sqlHeadcountByProv, medianCTE("")),
			func(ctx context.Context, p *povstat) (figures, error) {
				return p.study(ctx, "lines: [median60=median:0.6]\ndomains: [[province]]\nindicators: [headcount]\n", "headcount", "province")
			}},
	}
}

// povstat runs povstat's own path on the registry in dir.
type povstat struct {
	dir     string
	threads int
}

// columns are the columns every table reads.
var columns = []datasets.Request{
	{Name: "income", Kind: datasets.Numeric},
	{Name: "weight", Kind: datasets.Numeric},
	{Name: "hh_size", Kind: datasets.Numeric},
	{Name: "province", Kind: datasets.Categorical},
}

// decode is the bare read of the columns, the reference time.
func (p *povstat) decode(ctx context.Context) error {
	_, err := datasets.Read(ctx, []string{p.dir}, columns, datasets.Parallelism(p.threads))
	return err
}

// study runs a study (its body after the common keys) through
// pipeline.Run and returns the estimates of one indicator: of the whole
// population when by is "", else of each group of by.
func (p *povstat) study(ctx context.Context, body, indicator, by string) (figures, error) {
	text := fmt.Sprintf("name: duckbench\ninputs: [%s]\ncolumns: {income: income, weight: weight, size: hh_size}\n"+
		"unit: persons\nrows: households\nequivalence: none\n%s", strconv.Quote(p.dir), body)
	s, err := pipeline.ParseStudy(filepath.Join(p.dir, "duckbench.yaml"), []byte(text))
	if err != nil {
		return nil, err
	}
	out, err := pipeline.Run(ctx, s, pipeline.SkipHashes())
	if err != nil {
		return nil, err
	}
	f := figures{}
	for _, r := range out.Results {
		if r.Indicator != indicator {
			continue
		}
		switch {
		case by == "" && len(r.Domain) == 0:
			f[""] = r.Estimate
		case by != "" && len(r.Domain) == 1 && r.Domain[0].Column == by:
			f[r.Domain[0].Value] = r.Estimate
		}
	}
	return f, nil
}

// streamMedian reads the columns and finds the weighted median of persons
// by the two-pass histogram scheme, partition by partition of 1M units.
func (p *povstat) streamMedian(ctx context.Context) (figures, error) {
	tbl, err := datasets.Read(ctx, []string{p.dir}, columns[:3], datasets.Parallelism(p.threads))
	if err != nil {
		return nil, err
	}
	inc, wt, size := tbl.Column("income").Float, tbl.Column("weight").Float, tbl.Column("hh_size").Float
	x, w := make([]float64, 0, len(inc)), make([]float64, 0, len(inc))
	for i := range inc {
		if wt[i] > 0 && size[i] > 0 && finite(inc[i]) && finite(wt[i]) {
			x, w = append(x, inc[i]), append(w, wt[i]*size[i])
		}
	}
	dom := make([]int32, len(x))
	q := indices.StreamQuantiles([]float64{0.5}, 1, dom, x, w)
	return figures{"": q[0][0]}, nil
}

func finite(v float64) bool { return v-v == 0 }

// ensureData returns root/povstat-bench-N, generating it first if absent
// (as `povstat bench` does, so both share the files).
func ensureData(ctx context.Context, root string, households int, stderr io.Writer) (string, error) {
	dir := filepath.Join(root, "povstat-bench-"+strconv.Itoa(households))
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	fmt.Fprintf(stderr, "generating %d households into %s ...\n", households, dir)
	t := time.Now()
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	if _, err := synth.Write(ctx, tmp, synth.Config{Households: households, Years: 1, FirstYear: 2020, Seed: 1}); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	fmt.Fprintf(stderr, "generated in %.1f s\n", time.Since(t).Seconds())
	return dir, nil
}
