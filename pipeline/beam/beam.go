package povbeam

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"os"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"

	"github.com/povstat/povstat/indices"
	"github.com/povstat/povstat/pipeline"
)

// Partial is the accumulator of one split, gob-encoded: Beam ships it from
// the worker that read the split to the one that merges.
type Partial struct {
	Index int // the split's Index: partials merge in this order
	Data  []byte
}

// The accumulators of the three passes, by key (nationalKey or a domainKey).
type (
	histograms map[string][]indices.Bucket
	candidates map[string]units
	units      struct{ X, W []float64 }
	sumsByKey  map[string]*indices.PovertySums
)

// targets are pass 1's result, the side input of pass 2.
type targets map[string]indices.QuantileTarget

// lineValue is pass 2's result, the side input of pass 3.
type lineValue struct {
	Z       float64
	Medians map[string]float64
}

func encode(v any) []byte {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		panic(fmt.Sprintf("povbeam: encoding %T: %v", v, err)) // only our own types are encoded
	}
	return b.Bytes()
}

func decode(data []byte, v any) error {
	return gob.NewDecoder(bytes.NewReader(data)).Decode(v)
}

// sideValue reads a singleton side input.
func sideValue(iter func(*[]byte) bool, v any) error {
	var b []byte
	if !iter(&b) {
		return fmt.Errorf("povbeam: empty side input")
	}
	return decode(b, v)
}

// histFn is pass 1: the histograms of a split.
type histFn struct{ Job *Job }

func (f *histFn) ProcessElement(sp Split, emit func(Partial)) error {
	h := map[string]*indices.QuantileHistogram{}
	add := func(k string, x, w float64) {
		if h[k] == nil {
			h[k] = &indices.QuantileHistogram{}
		}
		h[k].Add(x, w)
	}
	err := readSplit(f.Job, sp, func(u unit) {
		add(nationalKey, u.x, u.w)
		if len(f.Job.By) > 0 {
			add(domainKey(u.domain), u.x, u.w)
		}
	})
	if err != nil {
		return err
	}
	out := histograms{}
	for k, v := range h {
		out[k] = v.Buckets()
	}
	emit(Partial{Index: sp.Index, Data: encode(out)})
	return nil
}

// candFn is pass 2: the units of a split in the medians' buckets.
type candFn struct{ Job *Job }

func (f *candFn) ProcessElement(sp Split, side func(*[]byte) bool, emit func(Partial)) error {
	var ts targets
	if err := sideValue(side, &ts); err != nil {
		return err
	}
	out := candidates{}
	keep := func(k string, x, w float64) {
		t, ok := ts[k]
		if !ok || t.Done || indices.HistogramBucket(x) != t.Bucket {
			return
		}
		c := out[k]
		c.X, c.W = append(c.X, x), append(c.W, w)
		out[k] = c
	}
	err := readSplit(f.Job, sp, func(u unit) {
		keep(nationalKey, u.x, u.w)
		if len(f.Job.By) > 0 {
			keep(domainKey(u.domain), u.x, u.w)
		}
	})
	if err != nil {
		return err
	}
	emit(Partial{Index: sp.Index, Data: encode(out)})
	return nil
}

// sumsFn is pass 3: the poverty sums of a split under the line.
type sumsFn struct{ Job *Job }

func (f *sumsFn) ProcessElement(sp Split, side func(*[]byte) bool, emit func(Partial)) error {
	var lv lineValue
	if err := sideValue(side, &lv); err != nil {
		return err
	}
	out := sumsByKey{}
	add := func(k string, x, w float64) {
		if out[k] == nil {
			out[k] = &indices.PovertySums{}
		}
		out[k].Add(x, w, lv.Z)
	}
	err := readSplit(f.Job, sp, func(u unit) {
		add(nationalKey, u.x, u.w)
		if len(f.Job.By) > 0 {
			add(domainKey(u.domain), u.x, u.w)
		}
	})
	if err != nil {
		return err
	}
	emit(Partial{Index: sp.Index, Data: encode(out)})
	return nil
}

// gather returns the partials of a pass (all under one key) in split order.
func gather(iter func(*Partial) bool) []Partial {
	var parts []Partial
	var p Partial
	for iter(&p) {
		parts = append(parts, p)
	}
	slices.SortFunc(parts, func(a, b Partial) int { return a.Index - b.Index })
	return parts
}

// locateFn merges pass 1 and emits the targets of the medians.
type locateFn struct{}

func (f *locateFn) ProcessElement(_ int, iter func(*Partial) bool, emit func([]byte)) error {
	h := map[string]*indices.QuantileHistogram{nationalKey: {}}
	for _, p := range gather(iter) {
		var hs histograms
		if err := decode(p.Data, &hs); err != nil {
			return err
		}
		for _, k := range sortedKeys(hs) {
			if h[k] == nil {
				h[k] = &indices.QuantileHistogram{}
			}
			for _, b := range hs[k] {
				h[k].AddBucket(b)
			}
		}
	}
	ts := targets{}
	for k, v := range h {
		ts[k] = v.Locate(0.5)
	}
	emit(encode(ts))
	return nil
}

// resolveFn merges pass 2 and emits the medians and the line.
type resolveFn struct{ Job *Job }

func (f *resolveFn) ProcessElement(_ int, iter func(*Partial) bool, side func(*[]byte) bool, emit func([]byte)) error {
	var ts targets
	if err := sideValue(side, &ts); err != nil {
		return err
	}
	all := candidates{}
	for _, p := range gather(iter) {
		var c candidates
		if err := decode(p.Data, &c); err != nil {
			return err
		}
		for _, k := range sortedKeys(c) {
			a := all[k]
			a.X, a.W = append(a.X, c[k].X...), append(a.W, c[k].W...)
			all[k] = a
		}
	}
	lv := lineValue{Medians: map[string]float64{}}
	for k, t := range ts {
		lv.Medians[k] = t.Resolve(all[k].X, all[k].W)
	}
	lv.Z = f.Job.LineFraction * lv.Medians[nationalKey]
	emit(encode(lv))
	return nil
}

// tableFn merges pass 3 and emits the results JSON.
type tableFn struct{ Job *Job }

func (f *tableFn) ProcessElement(_ int, iter func(*Partial) bool, side func(*[]byte) bool, emit func([]byte)) error {
	var lv lineValue
	if err := sideValue(side, &lv); err != nil {
		return err
	}
	sums := sumsByKey{}
	for _, p := range gather(iter) {
		var s sumsByKey
		if err := decode(p.Data, &s); err != nil {
			return err
		}
		for _, k := range sortedKeys(s) {
			if sums[k] == nil {
				sums[k] = &indices.PovertySums{}
			}
			sums[k].Merge(*s[k])
		}
	}
	if !(lv.Z > 0) {
		for _, s := range sums {
			markBadLine(s, lv.Z)
		}
	}
	emit(pipeline.EncodeJSON(f.Job.tables(lv.Z, lv.Medians, sums)))
	return nil
}

// markBadLine gives s the flag that a unit faced a line z <= 0 (which the
// shipped sums lose, the flag being unexported): it adds a unit of weight 0
// at income 0 facing z and takes back its counts.
func markBadLine(s *indices.PovertySums, z float64) {
	s.Add(0, 0, z)
	s.N--
	s.NonPositiveN--
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// writeFn writes the results file, atomically.
type writeFn struct{ Path string }

func (f *writeFn) ProcessElement(b []byte) error {
	return pipeline.WriteFileAtomic(f.Path, b)
}

func init() {
	register.DoFn2x1[Split, func(Partial), error](&histFn{})
	register.DoFn3x1[Split, func(*[]byte) bool, func(Partial), error](&candFn{})
	register.DoFn3x1[Split, func(*[]byte) bool, func(Partial), error](&sumsFn{})
	register.DoFn3x1[int, func(*Partial) bool, func([]byte), error](&locateFn{})
	register.DoFn4x1[int, func(*Partial) bool, func(*[]byte) bool, func([]byte), error](&resolveFn{})
	register.DoFn4x1[int, func(*Partial) bool, func(*[]byte) bool, func([]byte), error](&tableFn{})
	register.DoFn1x1[[]byte, error](&writeFn{})
	register.Emitter1[Partial]()
	register.Emitter1[[]byte]()
	register.Iter1[Partial]()
	register.Iter1[[]byte]()
}

// Build returns the Beam pipeline of a job, for any runner.
func Build(j *Job) (*beam.Pipeline, error) {
	if err := j.check(); err != nil {
		return nil, err
	}
	files, err := j.files()
	if err != nil {
		return nil, err
	}
	splits, err := listSplits(files)
	if err != nil {
		return nil, err
	}
	p, s := beam.NewPipelineWithRoot()
	sp := beam.Reshuffle(s, beam.CreateList(s, splits))
	merge := func(name string, parts beam.PCollection) beam.PCollection {
		return beam.GroupByKey(s.Scope(name), beam.AddFixedKey(s, parts))
	}
	h := merge("histograms", beam.ParDo(s, &histFn{Job: j}, sp))
	ts := beam.ParDo(s, &locateFn{}, h)
	c := merge("candidates", beam.ParDo(s, &candFn{Job: j}, sp, beam.SideInput{Input: ts}))
	lv := beam.ParDo(s, &resolveFn{Job: j}, c, beam.SideInput{Input: ts})
	sums := merge("sums", beam.ParDo(s, &sumsFn{Job: j}, sp, beam.SideInput{Input: lv}))
	out := beam.ParDo(s, &tableFn{Job: j}, sums, beam.SideInput{Input: lv})
	beam.ParDo0(s, &writeFn{Path: j.Out}, out)
	return p, nil
}

// RunLocal runs a job in this process with Beam's local runner prism and
// returns the results JSON it wrote to j.Out. The program must have called
// beam.Init first (at the start of main, or in TestMain).
func RunLocal(ctx context.Context, j *Job) ([]byte, error) {
	p, err := Build(j)
	if err != nil {
		return nil, err
	}
	if _, err := prism.Execute(ctx, p); err != nil {
		return nil, fmt.Errorf("povbeam: %w", err)
	}
	return os.ReadFile(j.Out)
}
