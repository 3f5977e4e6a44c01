package povbeam

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/pipeline"
)

// Split is one split of the job's input, the unit of parallel work: a
// datasets.Split (one Parquet row group, or one CSV file), JSON-encoded in
// Spec so that Beam ships it as bytes. Index numbers the splits in the
// order of datasets.Splits, the order in which pipeline.Run reads the rows,
// so that partial results merge in the same order on every run and ties
// are taken in pipeline's order.
type Split struct {
	Index int
	Spec  []byte
}

// listSplits returns the splits of the job's inputs, in order, and their
// files, in order.
func listSplits(ctx context.Context, j *Job) ([]Split, []string, error) {
	sps, err := datasets.Splits(ctx, j.Inputs)
	if err != nil {
		return nil, nil, fmt.Errorf("job: %w", err)
	}
	out := make([]Split, len(sps))
	var files []string
	for i, sp := range sps {
		b, err := json.Marshal(sp)
		if err != nil {
			return nil, nil, err
		}
		out[i] = Split{Index: i, Spec: b}
		if len(files) == 0 || files[len(files)-1] != sp.Path {
			files = append(files, sp.Path)
		}
	}
	return out, files, nil
}

// study returns the job as a pipeline study, for the reader: the same
// columns, unit, equivalence and lines, so that pipeline.ReadSplitUnits
// reads, screens and builds the units as pipeline.Run does.
func (j *Job) study() (*pipeline.Study, error) {
	cols := map[string]string{"income": j.Income, "weight": j.Weight}
	rows := "persons"
	if j.Size != "" {
		cols["size"], rows = j.Size, "households"
	}
	if j.Adults != "" {
		cols["adults"] = j.Adults
	}
	if j.Children != "" {
		cols["children"] = j.Children
	}
	equivalence := j.Equivalence
	if equivalence == "" {
		equivalence = "none"
	}
	doc := map[string]any{"inputs": j.Inputs, "columns": cols, "unit": j.Unit, "rows": rows,
		"equivalence": equivalence, "lines": j.Lines, "indicators": j.Indicators}
	if len(j.By) > 0 {
		doc["domains"] = [][]string{j.By}
	}
	if j.Region != "" {
		doc["region"] = j.Region
	}
	if len(j.Ratios) > 0 {
		doc["ratios"] = j.Ratios
	}
	b, err := json.Marshal(doc) // JSON is YAML
	if err != nil {
		return nil, err
	}
	s, err := pipeline.ParseStudy("povbeam-job.yaml", b)
	if err != nil {
		return nil, fmt.Errorf("job: %w", err)
	}
	return s, nil
}

// unit is one unit of analysis of a split after screening.
type unit struct {
	x, w   float64
	pos    int      // its position among the split's units: the order of ties
	levels []string // the values of the job's categorical columns (catColumns)
}

// reader is what a DoFn that reads splits keeps from one split to the next
// (from its Setup to its Teardown): the job's study, parsed once, and a
// pipeline.SplitUnitsReader, which parses each file's footer once per
// bundle instead of once per row group and reuses its column buffers. Its
// file is closed at the end of every bundle, since runners need not call
// Teardown (prism does not), and reopened by the next bundle's first read.
type reader struct {
	s  *pipeline.Study
	rd pipeline.SplitUnitsReader
}

// close closes the reader's file; r may be nil (a DoFn never set up).
func (r *reader) close() error {
	if r == nil {
		return nil
	}
	return r.rd.Close()
}

// readSplit reads one split with pipeline's reader (datasets' reader,
// datasets.Screen's rules, pipeline's units) and calls add for every unit:
// income x, weight w, its position and its levels of the job's categorical
// columns. The unit passed to add is reused: add must not keep it. r is the
// DoFn's reader; nil reads with a reader of this split only. It returns the
// split's screening, without its Keep marks.
func readSplit(r *reader, j *Job, sp Split, add func(*unit)) (*datasets.Screening, error) {
	var ds datasets.Split
	if err := json.Unmarshal(sp.Spec, &ds); err != nil {
		return nil, fmt.Errorf("povbeam: split %d: %w", sp.Index, err)
	}
	if r == nil {
		r = &reader{}
		defer r.close()
	}
	if r.s == nil {
		s, err := j.study()
		if err != nil {
			return nil, err
		}
		r.s = s
	}
	su, err := r.rd.Read(context.Background(), r.s, ds)
	if err != nil {
		return nil, err
	}
	cats := j.catColumns()
	fs := make([]pipeline.SplitFactor, len(cats))
	for c, name := range cats {
		f, ok := su.Factors[name]
		if !ok {
			return nil, fmt.Errorf("%s: column %q was not read", ds.Path, name)
		}
		fs[c] = f
	}
	u := unit{levels: make([]string, len(cats))}
	for i := range su.X {
		u.x, u.w, u.pos = su.X[i], su.W[i], i
		for c, f := range fs {
			u.levels[c] = f.Levels[f.Codes[i]]
		}
		add(&u)
	}
	scr := *su.Screening
	scr.Keep = nil
	return &scr, nil
}
