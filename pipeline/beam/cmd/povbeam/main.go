// Command povbeam runs a povstat poverty table on Apache Beam: locally with
// prism (the default), or on a cluster with --runner flink|spark|dataflow and
// that runner's flags (--endpoint, --project, --region, --staging_location,
// ...). The Parquet files must be readable at the same paths by every
// worker (a shared file system).
//
//	povbeam --input /data/registry --income income --weight weight --size hh_size \
//	        --line median60=median:0.6 --by province --out results.json
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	povbeam "github.com/povstat/povstat/pipeline/beam"
)

func main() {
	var j povbeam.Job
	input := flag.String("input", "", "Parquet files or directories, comma-separated")
	flag.StringVar(&j.Income, "income", "income", "income column")
	flag.StringVar(&j.Weight, "weight", "weight", "weight column")
	flag.StringVar(&j.Size, "size", "", "household size column (rows are households)")
	flag.StringVar(&j.Unit, "unit", "persons", "persons|households")
	line := flag.String("line", "median60=median:0.6", "the national relative line, NAME=median:FRACTION")
	by := flag.String("by", "", "breakdown columns, comma-separated (crossed)")
	ind := flag.String("indicators", strings.Join(povbeam.Supported, ","), "indicators")
	flag.StringVar(&j.Out, "out", "results.json", "results JSON file")
	flag.Parse()
	beam.Init()
	if err := setup(&j, *input, *line, *by, *ind); err != nil {
		fmt.Fprintln(os.Stderr, "povbeam:", err)
		os.Exit(2)
	}
	p, err := povbeam.Build(&j)
	if err == nil {
		err = beamx.Run(context.Background(), p)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "povbeam:", err)
		os.Exit(1)
	}
}

func setup(j *povbeam.Job, input, line, by, ind string) error {
	if input == "" {
		return fmt.Errorf("--input is needed")
	}
	j.Inputs = strings.Split(input, ",")
	name, spec, ok := strings.Cut(line, "=")
	frac, found := strings.CutPrefix(spec, "median:")
	f, err := strconv.ParseFloat(frac, 64)
	if !ok || !found || err != nil {
		return fmt.Errorf("--line %q: want NAME=median:FRACTION", line)
	}
	j.LineName, j.LineFraction = name, f
	if by != "" {
		j.By = strings.Split(by, ",")
	}
	j.Indicators = strings.Split(ind, ",")
	return nil
}
