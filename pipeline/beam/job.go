// Package povbeam runs povstat's poverty tables on Apache Beam, so that a
// registry too large for one machine is computed on an existing cluster
// (Flink, Spark, Dataflow) or, for tests, in-process by Beam's local runner
// prism. It is its own Go module: povstat's binary does not carry Beam.
//
// The job reads Parquet row groups in its own DoFn (one split per row
// group), and does three passes over them, each a per-split accumulator
// merged in split order (so a run's output is the same bytes every time):
//
//  1. weighted histograms of income per domain (indices.QuantileHistogram),
//     merged and located: the bucket holding each median;
//  2. the units of those buckets only (indices.QuantileCandidates): the
//     exact weighted medians, and the national line = fraction × median;
//  3. poverty sums under that line per domain (indices.PovertySums).
//
// The result rows are those of pipeline.Run for the same study, in the same
// order, encoded by pipeline.EncodeJSON.
package povbeam

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/povstat/povstat/indices"
	"github.com/povstat/povstat/pipeline"
)

// Job is what the runner computes: the study
//
//	columns: {income: Income, weight: Weight, size: Size}
//	unit: Unit, rows: households, equivalence: none
//	lines: [LineName=median:LineFraction]
//	domains: [By]
//	indicators: Indicators
//
// over the Parquet files of Inputs. Its fields are exported so that Beam can
// ship it to the workers.
type Job struct {
	Inputs       []string // Parquet files, or directories walked for *.parquet
	Income       string
	Weight       string
	Size         string // "" when rows are persons
	Unit         string // "persons" (default) or "households"
	LineName     string
	LineFraction float64
	By           []string // one breakdown (crossed columns); nil for the whole population only
	Indicators   []string // see Supported
	Out          string   // the results JSON file written
}

// Supported lists the indicators the Beam runner computes, in pipeline's
// default order. Sen and rmpg need the poor sorted, the inequality measures
// sorted or power sums not yet shipped (see the package README).
var Supported = []string{"population", "n", "mean", "median", "line",
	"headcount", "gap", "severity", "watts", "poor_population", "gap_total"}

var lineIndicators = []string{"headcount", "gap", "severity", "watts", "poor_population", "gap_total"}

// check validates a job.
func (j *Job) check() error {
	switch {
	case j.Income == "" || j.Weight == "":
		return fmt.Errorf("job: income and weight columns are needed")
	case j.LineName == "" || !(j.LineFraction > 0):
		return fmt.Errorf("job: a line name and a positive median fraction are needed")
	case j.Out == "":
		return fmt.Errorf("job: no output file")
	}
	if j.Unit == "" {
		j.Unit = "persons"
	}
	if j.Unit != "persons" && j.Unit != "households" {
		return fmt.Errorf("job: unit %q, want persons or households", j.Unit)
	}
	if len(j.Indicators) == 0 {
		j.Indicators = Supported
	}
	for _, n := range j.Indicators {
		if !slices.Contains(Supported, n) {
			return fmt.Errorf("job: indicator %q is not computed by the Beam runner (supported: %s)", n, strings.Join(Supported, ", "))
		}
	}
	return nil
}

// files expands the job's inputs to Parquet files in sorted order, as
// datasets.Read walks directories (names starting with . or _ skipped).
func (j *Job) files() ([]string, error) {
	var out []string
	for _, in := range j.Inputs {
		st, err := os.Stat(in)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, in)
			continue
		}
		var found []string
		err = filepath.WalkDir(in, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if p != in && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(name), ".parquet") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		slices.Sort(found)
		out = append(out, found...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("job: no Parquet file in %v", j.Inputs)
	}
	return out, nil
}

// Keys of the accumulators: the whole population, and each domain.
const nationalKey = "N"

func domainKey(values string) string { return "D" + values }

// tables turns the merged accumulators into pipeline's result rows.
func (j *Job) tables(z float64, medians map[string]float64, sums map[string]*indices.PovertySums) []pipeline.Result {
	var out []pipeline.Result
	nat := sums[nationalKey]
	if nat == nil {
		nat = &indices.PovertySums{}
	}
	if slices.Contains(j.Indicators, "line") {
		r := pipeline.Result{Indicator: "line", Line: j.LineName, Estimate: z, N: nat.N, Population: nat.Pop}
		if math.IsNaN(z) {
			r.Note = "no reference unit in this group"
		}
		out = append(out, r)
	}
	out = append(out, j.rows(nil, nat, medians[nationalKey])...)
	if len(j.By) > 0 {
		var doms []string
		for k := range sums {
			if k != nationalKey {
				doms = append(doms, k[1:])
			}
		}
		slices.SortFunc(doms, compareDomains)
		var base, pov []pipeline.Result
		for _, d := range doms {
			dv := domainValues(j.By, d)
			s := sums[domainKey(d)]
			rs := j.rows(dv, s, medians[domainKey(d)])
			nb := 0
			for _, r := range rs {
				if r.Line == "" {
					nb++
				}
			}
			base, pov = append(base, rs[:nb]...), append(pov, rs[nb:]...)
		}
		out = append(append(out, base...), pov...)
	}
	return out
}

// rows returns the base rows then the line's rows of one domain.
func (j *Job) rows(dom []pipeline.DomainValue, s *indices.PovertySums, median float64) []pipeline.Result {
	var out []pipeline.Result
	for _, name := range j.Indicators {
		r := pipeline.Result{Indicator: name, Domain: dom, N: s.N, Population: s.Pop}
		switch name {
		case "population":
			r.Estimate = s.Pop
		case "n":
			r.Estimate = float64(s.N)
		case "mean":
			r.Estimate = s.Mean()
		case "median":
			r.Estimate = median
		default:
			continue
		}
		out = append(out, r)
	}
	for _, name := range j.Indicators {
		if !slices.Contains(lineIndicators, name) {
			continue
		}
		r := pipeline.Result{Indicator: name, Line: j.LineName, Domain: dom, N: s.N, Population: s.Pop}
		switch name {
		case "headcount":
			r.Estimate = s.Headcount()
		case "gap":
			r.Estimate = s.Gap()
		case "severity":
			r.Estimate = s.Severity()
		case "watts":
			r.Estimate = s.Watts()
			r.ExcludedN, r.ExcludedPopulation = s.NonPositiveN, s.NonPositiveWeight
		case "poor_population":
			r.Estimate = s.Poor
		case "gap_total":
			r.Estimate = s.GapMoney
		}
		if math.IsNaN(r.Estimate) {
			r.Note = undefinedReason(name, s)
		}
		out = append(out, r)
	}
	return out
}

// undefinedReason is pipeline's note for a missing poverty estimate.
func undefinedReason(name string, s *indices.PovertySums) string {
	switch {
	case s.Pop == 0:
		return "empty domain"
	case name == "watts" && s.WattsPop == 0:
		return "no unit with positive income"
	}
	return "line is not positive"
}

func domainValues(cols []string, key string) []pipeline.DomainValue {
	vals := strings.Split(key, "\x00")
	out := make([]pipeline.DomainValue, len(cols))
	for i, c := range cols {
		out[i] = pipeline.DomainValue{Column: c, Value: vals[i]}
	}
	return out
}

// compareDomains orders domains as pipeline's groupings: column by column,
// numbers as numbers and before other strings.
func compareDomains(a, b string) int {
	as, bs := strings.Split(a, "\x00"), strings.Split(b, "\x00")
	for i := range as {
		if c := compareLevels(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return 0
}

func compareLevels(a, b string) int {
	fa, errA := strconv.ParseFloat(a, 64)
	fb, errB := strconv.ParseFloat(b, 64)
	switch {
	case errA == nil && errB == nil && fa != fb:
		return cmp.Compare(fa, fb)
	case errA == nil && errB != nil:
		return -1
	case errA != nil && errB == nil:
		return 1
	}
	return cmp.Compare(a, b)
}
