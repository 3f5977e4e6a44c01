package povbeam

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/indices"
	"github.com/povstat/povstat/pipeline"
)

// Partial is the accumulator of one split (or one bucket), gob-encoded:
// Beam ships it from the worker that made it to the one that merges.
// Partials merge in the order of Index, then Key.
type Partial struct {
	Index int // the split's Index; -1 for the marker that makes a merge run over no partial
	Key   string
	Data  []byte
}

// groupStats are a row count, weighted count and weighted income total.
type groupStats struct {
	N           int
	Pop, Income float64
}

func (g *groupStats) add(x, w float64) {
	g.N++
	g.Pop += w
	g.Income += w * x
}

func (g *groupStats) merge(o groupStats) {
	g.N += o.N
	g.Pop += o.Pop
	g.Income += o.Income
}

// state is what the passes know, grown stage by stage and shipped to the
// workers as a side input. Keys are described at nationalKey.
type state struct {
	Rows    pipeline.RowCounts             // read, used and excluded by each screening rule
	Files   []pipeline.InputRecord         // the input files, their rows and row groups, in order
	Base    map[string]groupStats          // domain: all its units
	Cells   map[string]groupStats          // cell (keyer.cell): all its units, for the regional measures and ratios
	Ref     map[string]groupStats          // line group (every group met): its reference units
	Entropy map[string]indices.EntropySums // domain
	Targets map[string]indices.QuantileTarget
	Medians map[string]float64 // resolved targets, by the targets' keys
	Values  map[string]float64 // line group: the line's value
	Gini    map[string]indices.GiniSums
	Sums    map[string]indices.PovertySums // line within domain
	Unres   map[string]groupStats          // line within domain: units of a group without reference units
	Shares  map[string][]indices.ShareSums // domain: by group of each of Job.shareCuts (gob drops their NaN flag: see revive)
}

// part1 is pass 1's accumulator of a split.
type part1 struct {
	Base, Ref map[string]groupStats
	Cells     map[string]groupStats // by cell (keyer.cell)
	Screening *datasets.Screening   // the split's, without its Keep marks
	Path      string                // the split's file
	RowGroup  bool                  // whether the split is a Parquet row group
	Seen      map[string]bool       // col=value of the lines' conditions met by some unit
	Hist      map[string][]indices.Bucket
	Entropy   map[string]indices.EntropySums
}

// part3 is pass 3's accumulator of a split.
type part3 struct {
	Sums   map[string]indices.PovertySums
	Unres  map[string]groupStats
	Hist   map[string][]indices.Bucket    // the poor's relative incomes, line within domain
	Shares map[string][]indices.ShareSums // domain: as state.Shares
}

// units are candidates of a quantile target.
type units struct{ X, W []float64 }

func encode(v any) []byte {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		panic(fmt.Sprintf("povbeam: encoding %T: %v", v, err)) // only our own types are encoded
	}
	return b.Bytes()
}

func decode(data []byte, v any) error {
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(v); err != nil {
		return fmt.Errorf("povbeam: decoding %T: %w", v, err)
	}
	return nil
}

// sideState reads the singleton side input of the state.
func sideState(iter func(*[]byte) bool) (*state, error) {
	var b []byte
	if !iter(&b) {
		return nil, fmt.Errorf("povbeam: empty side input")
	}
	st := &state{}
	if err := decode(b, st); err != nil {
		return nil, err
	}
	st.makeMaps()
	return st, nil
}

// makeMaps makes the maps that gob left nil (it sends no empty map).
func (st *state) makeMaps() {
	mk := func(m any) {
		switch m := m.(type) {
		case *map[string]groupStats:
			if *m == nil {
				*m = map[string]groupStats{}
			}
		case *map[string]float64:
			if *m == nil {
				*m = map[string]float64{}
			}
		}
	}
	mk(&st.Base)
	mk(&st.Cells)
	mk(&st.Ref)
	mk(&st.Unres)
	mk(&st.Medians)
	mk(&st.Values)
	if st.Entropy == nil {
		st.Entropy = map[string]indices.EntropySums{}
	}
	if st.Targets == nil {
		st.Targets = map[string]indices.QuantileTarget{}
	}
	if st.Gini == nil {
		st.Gini = map[string]indices.GiniSums{}
	}
	if st.Sums == nil {
		st.Sums = map[string]indices.PovertySums{}
	}
	if st.Shares == nil {
		st.Shares = map[string][]indices.ShareSums{}
	}
}

// histograms collects QuantileHistograms by key.
type histograms map[string]*indices.QuantileHistogram

func (h histograms) add(k string, x, w float64) {
	if h[k] == nil {
		h[k] = &indices.QuantileHistogram{}
	}
	h[k].Add(x, w)
}

func (h histograms) buckets() map[string][]indices.Bucket {
	out := map[string][]indices.Bucket{}
	for k, v := range h {
		out[k] = v.Buckets()
	}
	return out
}

func (h histograms) merge(bs map[string][]indices.Bucket) {
	for _, k := range sortedKeys(bs) {
		if h[k] == nil {
			h[k] = &indices.QuantileHistogram{}
		}
		for _, b := range bs[k] {
			h[k].AddBucket(b)
		}
	}
}

// histFn is pass 1: per split, the counts and income of every domain and
// line group, the histograms of the domains' incomes (medians, Gini) and of
// the median lines' reference incomes, and the entropy sums.
type histFn struct {
	Job *Job
	r   *reader
}

// Setup, FinishBundle and Teardown give the DoFn its reader (see reader).
func (f *histFn) Setup()                           { f.r = &reader{} }
func (f *histFn) FinishBundle(func(Partial)) error { return f.r.close() }
func (f *histFn) Teardown() error                  { return f.r.close() }

func (f *histFn) ProcessElement(sp Split, emit func(Partial)) error {
	j := f.Job
	k := newKeyer(j)
	alphas, epsilons, _ := j.entropyParams()
	entropy := j.entropyByCell()
	needHist := j.wants("median") || len(j.shareCuts()) > 0
	p := part1{Base: map[string]groupStats{}, Ref: map[string]groupStats{}, Cells: map[string]groupStats{}, Seen: map[string]bool{}, Entropy: map[string]indices.EntropySums{}}
	h := histograms{}
	var doms []string
	scr, err := readSplit(f.r, j, sp, func(u *unit) {
		doms = k.domains(u, doms)
		for _, d := range doms {
			b := p.Base[d]
			b.add(u.x, u.w)
			p.Base[d] = b
			if needHist {
				h.add(d, u.x, u.w)
			}
		}
		c := k.cell(u) // by cell, as pipeline
		cs := p.Cells[c]
		cs.add(u.x, u.w)
		p.Cells[c] = cs
		if entropy {
			e, ok := p.Entropy[c]
			if !ok {
				e = indices.NewEntropySums(alphas, epsilons)
			}
			e.Add(u.x, u.w)
			p.Entropy[c] = e
		}
		for i, lc := range k.lines {
			for c, at := range lc.where {
				if u.levels[at] == lc.values[c] {
					p.Seen[lc.line.Where[c].Column+"="+lc.values[c]] = true
				}
			}
			g := k.group(i, u)
			r := p.Ref[g]
			if k.reference(i, u) {
				r.add(u.x, u.w)
				if lc.line.Basis == "median" {
					h.add(g, u.x, u.w)
				}
			}
			p.Ref[g] = r
		}
	})
	if err != nil {
		return err
	}
	p.Hist = h.buckets()
	p.Screening = scr
	var ds datasets.Split
	if err := json.Unmarshal(sp.Spec, &ds); err != nil {
		return err
	}
	p.Path, p.RowGroup = ds.Path, ds.RowGroup >= 0
	emit(Partial{Index: sp.Index, Data: encode(p)})
	return nil
}

// gather returns the partials of a stage in order, without the marker.
func gather(iter func(*Partial) bool) []Partial {
	var parts []Partial
	var p Partial
	for iter(&p) {
		if p.Index >= 0 {
			parts = append(parts, p)
		}
	}
	slices.SortFunc(parts, func(a, b Partial) int {
		if a.Index != b.Index {
			return a.Index - b.Index
		}
		return compareStrings(a.Key, b.Key)
	})
	return parts
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// locateFn merges pass 1: the state with the targets of the medians and
// of the quantiles that cut the quantile shares.
type locateFn struct{ Job *Job }

func (f *locateFn) ProcessElement(_ int, iter func(*Partial) bool, emit func([]byte)) error {
	j := f.Job
	lines := j.mustLines()
	st := &state{Base: map[string]groupStats{nationalKey: {}}, Ref: map[string]groupStats{}, Cells: map[string]groupStats{}, Entropy: map[string]indices.EntropySums{},
		Targets: map[string]indices.QuantileTarget{}, Medians: map[string]float64{},
		Values: map[string]float64{}, Gini: map[string]indices.GiniSums{}}
	for i, l := range lines {
		if len(l.By) == 0 {
			st.Ref[lineKey(i, "")] = groupStats{}
		}
	}
	alphas, epsilons, _ := j.entropyParams()
	entropy := j.entropyByCell()
	seen := map[string]bool{}
	h := histograms{}
	var scrs []*datasets.Screening // in split order
	for _, part := range gather(iter) {
		var p part1
		if err := decode(part.Data, &p); err != nil {
			return err
		}
		scrs = append(scrs, p.Screening)
		st.addFile(p.Path, p.Screening.Rows(), p.RowGroup)
		for _, k := range sortedKeys(p.Base) {
			b := st.Base[k]
			b.merge(p.Base[k])
			st.Base[k] = b
		}
		for _, k := range sortedKeys(p.Ref) {
			r := st.Ref[k]
			r.merge(p.Ref[k])
			st.Ref[k] = r
		}
		for _, k := range sortedKeys(p.Cells) {
			c := st.Cells[k]
			c.merge(p.Cells[k])
			st.Cells[k] = c
		}
		for _, k := range sortedKeys(p.Entropy) {
			e, ok := st.Entropy[k]
			if !ok {
				e = indices.NewEntropySums(alphas, epsilons)
			}
			e.Merge(p.Entropy[k])
			st.Entropy[k] = e
		}
		for k := range p.Seen {
			seen[k] = true
		}
		h.merge(p.Hist)
	}
	s, err := j.study()
	if err != nil {
		return err
	}
	st.Rows = pipeline.SplitRows(s, scrs...)
	for _, l := range lines {
		for _, c := range l.Where {
			if l.Basis != "abs" && !seen[c.Column+"="+c.Value] {
				return fmt.Errorf("line %q: no unit has %s=%s", l.Name, c.Column, c.Value)
			}
		}
	}
	if entropy {
		fromCells(j, st.Entropy, cellKeys(st.Cells), func(d string) string { return d }, func(dst *indices.EntropySums, src indices.EntropySums) {
			dst.Merge(src) // the zero value takes src's parameters
		})
	}
	ps := j.quantileProbs()
	for k := range st.Base {
		if j.wants("median") {
			st.Targets[k] = target(h, k)
		}
		if len(ps) > 0 {
			hk := h[k]
			if hk == nil {
				hk = &indices.QuantileHistogram{}
			}
			for i, t := range hk.LocateAll(ps) {
				st.Targets[quantileKey(k, ps[i])] = t
			}
		}
	}
	for i, l := range lines {
		if l.Basis != "median" {
			continue
		}
		for _, g := range groupsOf(st.Ref, lineKey(i, "")) {
			st.Targets[lineKey(i, g)] = target(h, lineKey(i, g))
		}
	}
	emit(encode(st))
	return nil
}

// target locates the median of h[k] (NaN for no unit).
func target(h histograms, k string) indices.QuantileTarget {
	if h[k] == nil {
		return (&indices.QuantileHistogram{}).Locate(0.5)
	}
	return h[k].Locate(0.5)
}

// item is a value of a unit under one key: its income in a domain or line
// group, or its income relative to a line in a domain (poor units only).
type item struct {
	key  string
	v    float64
	gini bool // the value enters the Gini of key
}

// items lists the values of u that pass 2 (poor false) or pass 4 (poor
// true) collects.
func items(j *Job, k *keyer, st *state, u *unit, poor bool, doms []string, dst []item) []item {
	dst = dst[:0]
	if !poor {
		gini := j.wants("gini")
		for _, d := range doms {
			dst = append(dst, item{key: d, v: u.x, gini: gini})
		}
		for i := range k.lines {
			if k.reference(i, u) {
				dst = append(dst, item{key: k.group(i, u), v: u.x})
			}
		}
		return dst
	}
	sen := j.wants("sen")
	for i := range k.lines {
		z := lineValue(st, k.group(i, u))
		if !(u.x < z && z > 0) {
			continue
		}
		for _, d := range doms {
			dst = append(dst, item{key: sumsKey(i, d), v: u.x / z, gini: sen})
		}
	}
	return dst
}

// lineValue is the line of a group; NaN where the group has no reference
// unit.
func lineValue(st *state, group string) float64 {
	if z, ok := st.Values[group]; ok {
		return z
	}
	return math.NaN()
}

// collectFn is pass 2 (Poor false: incomes) or pass 4 (Poor true: the
// poor's incomes relative to their line): per split, the units in the
// buckets of the quantile targets (the main output) and, for the Gini, the
// units of every bucket keyed by domain and bucket (the second output, one
// batch per key and split).
type collectFn struct {
	Job  *Job
	Poor bool
	r    *reader
}

// Setup, FinishBundle and Teardown give the DoFn its reader (see reader).
func (f *collectFn) Setup() { f.r = &reader{} }
func (f *collectFn) FinishBundle(func(*[]byte) bool, func(Partial), func(string, []byte)) error {
	return f.r.close()
}
func (f *collectFn) Teardown() error { return f.r.close() }

func (f *collectFn) ProcessElement(sp Split, side func(*[]byte) bool, emit func(Partial), emitBatch func(string, []byte)) error {
	st, err := sideState(side)
	if err != nil {
		return err
	}
	k := newKeyer(f.Job)
	want := wantedBuckets(st, f.Poor)
	cands := map[string]units{}
	batches := map[string][]byte{}
	var doms []string
	var its []item
	_, err = readSplit(f.r, f.Job, sp, func(u *unit) {
		doms = k.domains(u, doms)
		its = items(f.Job, k, st, u, f.Poor, doms, its)
		for _, it := range its {
			b := indices.HistogramBucket(it.v)
			if u.w > 0 && slices.Contains(want[it.key], b) {
				c := cands[it.key]
				c.X, c.W = append(c.X, it.v), append(c.W, u.w)
				cands[it.key] = c
			}
			if it.gini {
				bk := bucketKey(it.key, b)
				batches[bk] = appendRecord(batches[bk], record{x: it.v, w: u.w, split: int64(sp.Index), pos: int64(u.pos)})
			}
		}
	})
	if err != nil {
		return err
	}
	emit(Partial{Index: sp.Index, Data: encode(cands)})
	for _, bk := range sortedKeys(batches) {
		emitBatch(bk, batches[bk])
	}
	return nil
}

// wantedBuckets lists, by collected key, the buckets of the targets not
// resolved yet that pass 2 (poor false: the medians of domains and line
// groups, the domains' other quantiles) or pass 4 (poor true: the poor's
// medians) resolves.
func wantedBuckets(st *state, poor bool) map[string][]uint32 {
	want := map[string][]uint32{}
	for tk, t := range st.Targets {
		key, ok := collectedKey(tk, poor)
		if ok && !t.Done && !slices.Contains(want[key], t.Bucket) {
			want[key] = append(want[key], t.Bucket)
		}
	}
	return want
}

// collectedKey is the key whose collected units resolve the target of key
// tk, and whether pass 4 (poor) or 2 (not poor) resolves it.
func collectedKey(tk string, poor bool) (string, bool) {
	if isPoor := len(tk) > 0 && tk[0] == 'P'; isPoor != poor {
		return "", false
	}
	if poor {
		return tk[1:], true
	}
	if d, ok := quantileDomain(tk); ok {
		return d, true
	}
	return tk, true
}

// resolveFn merges pass 2 (or 4): the medians and quantiles; after pass 2,
// the lines.
type resolveFn struct {
	Job  *Job
	Poor bool
}

func (f *resolveFn) ProcessElement(_ int, iter func(*Partial) bool, side func(*[]byte) bool, emit func([]byte)) error {
	st, err := sideState(side)
	if err != nil {
		return err
	}
	all := map[string]units{}
	for _, p := range gather(iter) {
		var c map[string]units
		if err := decode(p.Data, &c); err != nil {
			return err
		}
		for _, k := range sortedKeys(c) {
			a := all[k]
			a.X, a.W = append(a.X, c[k].X...), append(a.W, c[k].W...)
			all[k] = a
		}
	}
	for _, key := range sortedKeys(st.Targets) {
		ck, ok := collectedKey(key, f.Poor)
		if !ok {
			continue
		}
		c := all[ck]
		st.Medians[key] = st.Targets[key].Resolve(c.X, c.W)
	}
	if !f.Poor {
		f.Job.lineValues(st)
	}
	emit(encode(st))
	return nil
}

// lineValues gives every group of every line its value, as pipeline's
// evalLine: a fixed value, or the fraction of the median or mean income of
// the group's reference units (NaN without any).
func (j *Job) lineValues(st *state) {
	for i, l := range j.mustLines() {
		for _, g := range groupsOf(st.Ref, lineKey(i, "")) {
			k := lineKey(i, g)
			switch l.Basis {
			case "abs":
				st.Values[k] = l.Value
			case "median":
				st.Values[k] = l.Value * st.Medians[k]
			case "mean":
				st.Values[k] = l.Value * nanIfZero(st.Ref[k].Pop, st.Ref[k].Income)
			}
		}
	}
}

// bucketFn sorts the units of one bucket of one domain (from every split)
// and returns their Gini sums, summed from zero.
type bucketFn struct{}

func (f *bucketFn) ProcessElement(key string, iter func(*[]byte) bool, emit func(Partial)) error {
	var recs []record
	var b []byte
	for iter(&b) {
		var err error
		if recs, err = decodeRecords(recs, b); err != nil {
			return err
		}
	}
	g := bucketGini(recs)
	emit(Partial{Key: key, Data: encode(g)})
	return nil
}

// giniFn joins the buckets' Gini sums, in the order of the buckets, into
// each domain's (indices.GiniSums.Join, as indices.GiniByBucket joins them
// in pipeline).
type giniFn struct{}

func (f *giniFn) ProcessElement(_ int, iter func(*Partial) bool, side func(*[]byte) bool, emit func([]byte)) error {
	st, err := sideState(side)
	if err != nil {
		return err
	}
	type block struct {
		b uint32
		g indices.GiniSums
	}
	blocks := map[string][]block{}
	for _, p := range gather(iter) {
		key, b, err := splitBucketKey(p.Key)
		if err != nil {
			return err
		}
		var g indices.GiniSums
		if err := decode(p.Data, &g); err != nil {
			return err
		}
		blocks[key] = append(blocks[key], block{b, g})
	}
	for _, key := range sortedKeys(blocks) {
		bs := blocks[key]
		slices.SortFunc(bs, func(a, b block) int { return int(int64(a.b) - int64(b.b)) })
		var g indices.GiniSums
		for _, b := range bs {
			g.Join(b.g)
		}
		st.Gini[key] = g
	}
	emit(encode(st))
	return nil
}

// sumsFn is pass 3: per split, the poverty sums of every line in every
// cell, the histograms of the poor's incomes relative to their line in
// every domain (for rmpg), and every domain's income and weight by the
// groups of its quantiles (the quantile shares).
type sumsFn struct {
	Job *Job
	r   *reader
}

// Setup, FinishBundle and Teardown give the DoFn its reader (see reader).
func (f *sumsFn) Setup()                                               { f.r = &reader{} }
func (f *sumsFn) FinishBundle(func(*[]byte) bool, func(Partial)) error { return f.r.close() }
func (f *sumsFn) Teardown() error                                      { return f.r.close() }

func (f *sumsFn) ProcessElement(sp Split, side func(*[]byte) bool, emit func(Partial)) error {
	st, err := sideState(side)
	if err != nil {
		return err
	}
	j := f.Job
	k := newKeyer(j)
	poorHist := j.wants("rmpg")
	p := part3{Sums: map[string]indices.PovertySums{}, Unres: map[string]groupStats{}, Shares: map[string][]indices.ShareSums{}}
	h := histograms{}
	cuts := j.shareCuts()
	var doms []string
	_, err = readSplit(f.r, j, sp, func(u *unit) {
		doms = k.domains(u, doms)
		if len(cuts) > 0 {
			for _, d := range doms {
				ss, ok := p.Shares[d]
				if !ok {
					ss = newShareSums(st, d, cuts)
					p.Shares[d] = ss
				}
				for i := range ss {
					ss[i].Add(u.x, u.w)
				}
			}
		}
		cell := k.cell(u)
		for i := range k.lines {
			z := lineValue(st, k.group(i, u))
			sk := sumsKey(i, cell) // by cell, as pipeline (see keyer.cell)
			if math.IsNaN(z) {
				un := p.Unres[sk]
				un.N++
				un.Pop += u.w
				p.Unres[sk] = un
				continue
			}
			s := p.Sums[sk]
			s.Add(u.x, u.w, z)
			p.Sums[sk] = s
			if poorHist && u.x < z && z > 0 {
				for _, d := range doms {
					h.add(sumsKey(i, d), u.x/z, u.w)
				}
			}
		}
	})
	if err != nil {
		return err
	}
	p.Hist = h.buckets()
	emit(Partial{Index: sp.Index, Data: encode(p)})
	return nil
}

// newShareSums returns a domain's empty sums by the groups of each set of
// cuts, at its resolved quantiles.
func newShareSums(st *state, d string, cuts [][]float64) []indices.ShareSums {
	ss := make([]indices.ShareSums, len(cuts))
	for i, c := range cuts {
		ss[i] = indices.NewShareSums(quantileValues(st, d, c))
	}
	return ss
}

// sumsMergeFn merges pass 3: the sums (the whole population's from the
// cells) and the targets of the poor's medians (rmpg).
type sumsMergeFn struct{ Job *Job }

func (f *sumsMergeFn) ProcessElement(_ int, iter func(*Partial) bool, side func(*[]byte) bool, emit func([]byte)) error {
	st, err := sideState(side)
	if err != nil {
		return err
	}
	st.Sums, st.Unres, st.Shares = map[string]indices.PovertySums{}, map[string]groupStats{}, map[string][]indices.ShareSums{}
	cuts := f.Job.shareCuts()
	h := histograms{}
	for _, part := range gather(iter) {
		var p part3
		if err := decode(part.Data, &p); err != nil {
			return err
		}
		for _, k := range sortedKeys(p.Sums) {
			s := st.Sums[k]
			s.Merge(p.Sums[k])
			st.Sums[k] = s
		}
		for _, k := range sortedKeys(p.Shares) {
			ss, ok := st.Shares[k]
			if !ok {
				ss = newShareSums(st, k, cuts)
				st.Shares[k] = ss
			}
			for i := range ss {
				ss[i].Merge(p.Shares[k][i])
			}
		}
		for _, k := range sortedKeys(p.Unres) {
			u := st.Unres[k]
			u.N += p.Unres[k].N
			u.Pop += p.Unres[k].Pop
			st.Unres[k] = u
		}
		h.merge(p.Hist)
	}
	cells := cellKeys(st.Cells)
	for i := range f.Job.mustLines() {
		key := func(d string) string { return sumsKey(i, d) }
		fromCells(f.Job, st.Sums, cells, key, func(dst *indices.PovertySums, src indices.PovertySums) { dst.Merge(src) })
		fromCells(f.Job, st.Unres, cells, key, func(dst *groupStats, src groupStats) {
			dst.N += src.N
			dst.Pop += src.Pop
		})
	}
	for i := range f.Job.mustLines() {
		for d := range st.Base {
			sk := sumsKey(i, d)
			if f.Job.wants("rmpg") {
				st.Targets[poorKey(sk)] = target(h, sk)
			}
		}
	}
	emit(encode(st))
	return nil
}

// tableFn turns the final state into the results JSON and the manifest.
// Built (Unix nanoseconds, on the machine that built the pipeline) and
// Inspect (the seconds listing the splits took) time the run for the
// manifest.
type tableFn struct {
	Job     *Job
	Built   int64
	Inspect float64
}

func (f *tableFn) ProcessElement(b []byte, hashes func(*[]byte) bool, emit func([]byte), emitManifest func([]byte)) error {
	var st state
	if err := decode(b, &st); err != nil {
		return err
	}
	st.makeMaps()
	sums := map[string]string{} // the inputs' SHA-256, by path
	var h []byte
	for hashes(&h) {
		var rec pipeline.InputRecord
		if err := json.Unmarshal(h, &rec); err != nil {
			return err
		}
		sums[rec.Path] = rec.SHA256
	}
	for i := range st.Files {
		st.Files[i].SHA256 = sums[st.Files[i].Path]
	}
	results := f.Job.tables(&st)
	out := pipeline.EncodeJSON(results)
	m, err := f.Job.manifest(&st, results, out, pipeline.Timings{
		InspectSeconds: f.Inspect,
		ComputeSeconds: time.Since(time.Unix(0, f.Built)).Seconds(),
	})
	if err != nil {
		return err
	}
	emit(out)
	emitManifest(m)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// addFile counts a split's rows under its file, for the manifest.
func (st *state) addFile(path string, rows int, rowGroup bool) {
	if n := len(st.Files); n == 0 || st.Files[n-1].Path != path {
		st.Files = append(st.Files, pipeline.InputRecord{Path: path})
	}
	f := &st.Files[len(st.Files)-1]
	f.Rows += rows
	if rowGroup {
		f.RowGroups++
	}
}

// manifest is the run's manifest (Job.ManifestOut) for its results.
func (j *Job) manifest(st *state, results []pipeline.Result, resultsJSON []byte, t pipeline.Timings) ([]byte, error) {
	s, err := j.study()
	if err != nil {
		return nil, err
	}
	warnings, err := pipeline.ResultWarnings(s, results)
	if err != nil {
		return nil, err
	}
	m := pipeline.Manifest{Povstat: pipeline.Version, GoVersion: runtime.Version(), Study: pipeline.StudyInfo{Name: "povbeam"},
		Unit: s.Unit, Equivalence: s.Equivalence, Inputs: st.Files, Rows: st.Rows, Warnings: warnings, Timings: t}
	for _, l := range s.Lines {
		m.Lines = append(m.Lines, pipeline.LineInfo{Name: l.Name, Spec: l.Spec()})
	}
	sum := sha256.Sum256(resultsJSON)
	m.Outputs = []pipeline.OutputRecord{{Path: j.Out, SHA256: hex.EncodeToString(sum[:])}}
	return m.JSON(), nil
}

// hashFn hashes an input file for the manifest (datasets.HashFile, the
// SHA-256 of its bytes, as pipeline.Run's manifest has it), on a worker
// beside the passes over the splits.
type hashFn struct{}

func (f *hashFn) ProcessElement(path string, emit func([]byte)) error {
	sum, err := datasets.HashFile(path)
	if err != nil {
		return err
	}
	b, err := json.Marshal(pipeline.InputRecord{Path: path, SHA256: sum})
	if err != nil {
		return err
	}
	emit(b)
	return nil
}

// writeFn writes the results file, atomically.
type writeFn struct{ Path string }

func (f *writeFn) ProcessElement(b []byte) error {
	return pipeline.WriteFileAtomic(f.Path, b)
}

func init() {
	register.DoFn2x1[Split, func(Partial), error](&histFn{})
	register.DoFn3x1[int, func(*Partial) bool, func([]byte), error](&locateFn{})
	register.DoFn4x1[Split, func(*[]byte) bool, func(Partial), func(string, []byte), error](&collectFn{})
	register.DoFn4x1[int, func(*Partial) bool, func(*[]byte) bool, func([]byte), error](&resolveFn{})
	register.DoFn3x1[string, func(*[]byte) bool, func(Partial), error](&bucketFn{})
	register.DoFn4x1[int, func(*Partial) bool, func(*[]byte) bool, func([]byte), error](&giniFn{})
	register.DoFn3x1[Split, func(*[]byte) bool, func(Partial), error](&sumsFn{})
	register.DoFn4x1[int, func(*Partial) bool, func(*[]byte) bool, func([]byte), error](&sumsMergeFn{})
	register.DoFn4x1[[]byte, func(*[]byte) bool, func([]byte), func([]byte), error](&tableFn{})
	register.DoFn2x1[string, func([]byte), error](&hashFn{})
	register.DoFn1x1[[]byte, error](&writeFn{})
	register.Emitter1[Partial]()
	register.Emitter1[[]byte]()
	register.Emitter2[string, []byte]()
	register.Iter1[Partial]()
	register.Iter1[[]byte]()
}

// Build returns the Beam pipeline of a job, for any runner.
func Build(j *Job) (*beam.Pipeline, error) {
	if err := j.check(); err != nil {
		return nil, err
	}
	if _, err := j.study(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	splits, files, err := listSplits(context.Background(), j)
	if err != nil {
		return nil, err
	}
	inspect := time.Since(t0).Seconds()
	p, s := beam.NewPipelineWithRoot()
	sp := beam.Reshuffle(s, beam.CreateList(s, splits))
	// merge groups a stage's partials on one worker; the marker makes the
	// merge run even when the stage emitted nothing.
	merge := func(name string, parts beam.PCollection) beam.PCollection {
		s := s.Scope(name)
		all := beam.Flatten(s, parts, beam.Create(s, Partial{Index: -1}))
		return beam.GroupByKey(s, beam.AddFixedKey(s, all))
	}
	side := func(st beam.PCollection) beam.SideInput { return beam.SideInput{Input: st} }
	// gini sorts the batches of each bucket and merges the buckets' sums.
	gini := func(name string, batches, st beam.PCollection) beam.PCollection {
		s := s.Scope(name)
		sums := beam.ParDo(s, &bucketFn{}, beam.GroupByKey(s, batches))
		return beam.ParDo(s, &giniFn{}, merge(name+" merge", sums), side(st))
	}

	st := beam.ParDo(s, &locateFn{Job: j}, merge("histograms", beam.ParDo(s, &histFn{Job: j}, sp)))
	cands, batches := beam.ParDo2(s, &collectFn{Job: j}, sp, side(st))
	st2 := beam.ParDo(s, &resolveFn{Job: j}, merge("candidates", cands), side(st))
	st2 = gini("gini", batches, st2)
	st3 := beam.ParDo(s, &sumsMergeFn{Job: j}, merge("sums", beam.ParDo(s, &sumsFn{Job: j}, sp, side(st2))), side(st2))
	if j.wants("sen", "rmpg") {
		cands, batches := beam.ParDo2(s, &collectFn{Job: j, Poor: true}, sp, side(st3))
		st3 = beam.ParDo(s, &resolveFn{Job: j, Poor: true}, merge("poor candidates", cands), side(st3))
		st3 = gini("poor gini", batches, st3)
	}
	// The inputs' hashes, one file a worker.
	hashes := beam.ParDo(s.Scope("hashes"), &hashFn{}, beam.Reshuffle(s, beam.CreateList(s, files)))
	out, manifest := beam.ParDo2(s, &tableFn{Job: j, Built: time.Now().UnixNano(), Inspect: inspect}, st3, side(hashes))
	beam.ParDo0(s, &writeFn{Path: j.Out}, out)
	beam.ParDo0(s.Scope("manifest"), &writeFn{Path: j.ManifestOut}, manifest)
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
