// Command povbeam runs povstat's poverty and inequality tables on Apache
// Beam: locally with prism (the default), or on a cluster with --runner
// flink|spark|dataflow and that runner's flags (--endpoint, --project,
// --region, --staging_location, ...). The Parquet or CSV files must be
// readable at the same paths by every worker (a shared file system). The
// results file is the same bytes as povstat indices --format json over the
// same files: both sum row group by row group and merge in the same order.
// The manifest (the schema of povstat run's manifest.json: inputs, rows
// read, used and excluded by each screening rule, lines, warnings, the
// results' SHA-256) goes to results.manifest.json beside results.json
// (--manifest), and the exclusions and warnings to stderr.
//
//	povbeam --input /data/registry --income income --weight weight --size hh_size \
//	        --line median60=median:0.6 --line prov=median:0.6@province --by province --out results.json
//	povbeam --input /data/registry --size hh_size --by urban --region-column province --ratio urban=true/false
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/povstat/povstat/pipeline"
	povbeam "github.com/povstat/povstat/pipeline/beam"
)

func main() {
	var j povbeam.Job
	input := flag.String("input", "", "Parquet or CSV files or directories, comma-separated")
	flag.StringVar(&j.Income, "income", "income", "income column")
	flag.StringVar(&j.Weight, "weight", "weight", "weight column")
	flag.StringVar(&j.Size, "size", "", "household size column (rows are households)")
	flag.StringVar(&j.Unit, "unit", "persons", "persons|households")
	flag.StringVar(&j.Equivalence, "equivalence", "none", "none|per-capita|sqrt|oecd")
	flag.StringVar(&j.Adults, "adults", "", "adults column (oecd)")
	flag.StringVar(&j.Children, "children", "", "children column (oecd)")
	flag.Func("line", "a poverty line NAME=SPEC as in povstat indices (repeatable; default median60=median:0.6)", func(v string) error {
		j.Lines = append(j.Lines, v)
		return nil
	})
	by := flag.String("by", "", "breakdown columns, comma-separated (crossed)")
	flag.StringVar(&j.Region, "region-column", "", "region column (povstat indices --region; --region is Dataflow's): the regional measures (region_mean, cv, williamson, max_min_ratio, Theil decompositions)")
	flag.Func("ratio", "a mean-income ratio COL=A/B, e.g. urban=true/false (repeatable)", func(v string) error {
		j.Ratios = append(j.Ratios, v)
		return nil
	})
	ind := flag.String("indicators", "", "indicators, comma-separated (default: "+strings.Join(povbeam.Supported, ",")+
		", with the regional measures and ratio when --region-column and --ratio are set); also ge_<alpha>, atkinson_<epsilon>, share_q1..share_q5, share_d1..share_d10, lorenz, generalized_lorenz")
	flag.StringVar(&j.Out, "out", "results.json", "results JSON file")
	flag.StringVar(&j.ManifestOut, "manifest", "", "manifest JSON file: inputs, rows excluded by each screening rule, lines, warnings, the results' SHA-256 (default: --out with .manifest.json)")
	flag.Parse()
	beam.Init()
	if err := setup(&j, *input, *by, *ind); err != nil {
		fmt.Fprintln(os.Stderr, "povbeam:", err)
		os.Exit(2)
	}
	p, err := povbeam.Build(&j)
	if err == nil {
		err = beamx.Run(context.Background(), p)
	}
	if err == nil {
		err = warn(j.ManifestOut)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "povbeam:", err)
		os.Exit(1)
	}
}

// warn prints, from the job's manifest, the rows the screening rules
// excluded or flagged and the run's warnings, as povstat indices prints
// them.
func warn(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	var m pipeline.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("manifest %s: %w", path, err)
	}
	for _, w := range append(m.Rows.Warnings(), m.Warnings...) {
		fmt.Fprintln(os.Stderr, "povbeam: warning:", w)
	}
	return nil
}

func setup(j *povbeam.Job, input, by, ind string) error {
	if input == "" {
		return fmt.Errorf("--input is needed")
	}
	j.Inputs = strings.Split(input, ",")
	if len(j.Lines) == 0 {
		j.Lines = []string{"median60=median:0.6"}
	}
	for _, l := range j.Lines {
		if _, err := pipeline.ParseLine(l); err != nil {
			return fmt.Errorf("--line: %w", err)
		}
	}
	if by != "" {
		j.By = strings.Split(by, ",")
	}
	if ind != "" {
		j.Indicators = strings.Split(ind, ",")
	}
	return nil
}
