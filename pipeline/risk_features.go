package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/povstat/povstat/datasets"
)

// riskFeature is a column of Risk.Features and how it enters the model.
type riskFeature struct {
	name string
	// kind is the kind read; auto (CSV and hive partition columns) is read
	// as categorical and becomes numeric when every value is a number.
	kind  datasets.Kind
	auto  bool
	force string // "num" or "cat" from a NAME:num or NAME:cat suffix; "" to decide by type
}

// parseRiskFeatures reads the feature list: a column name, optionally
// suffixed :num or :cat to force its kind.
func parseRiskFeatures(list []string) ([]riskFeature, error) {
	var out []riskFeature
	for _, f := range list {
		rf := riskFeature{name: f}
		if i := strings.LastIndexByte(f, ':'); i >= 0 {
			switch suf := f[i+1:]; suf {
			case "num", "cat":
				rf.name, rf.force = f[:i], suf
			default:
				return nil, fmt.Errorf("risk: feature %q: the suffix :%s is neither :num nor :cat", f, suf)
			}
		}
		if slices.ContainsFunc(out, func(o riskFeature) bool { return o.name == rf.name }) {
			return nil, fmt.Errorf("risk: feature %q is listed twice", rf.name)
		}
		out = append(out, rf)
	}
	return out, nil
}

// riskFeatureKinds decides how each feature is read from the input schema
// (infos): a column already read by a rule keeps the rule's kind (a number,
// or a trait: categorical); a Parquet integer, floating-point, decimal,
// date or time column is numeric; any other Parquet column (boolean,
// string, bytes) is categorical; a CSV or hive partition column is read as
// categorical and becomes numeric when all its values are numbers (auto).
// A :num or :cat suffix overrides the type.
func riskFeatureKinds(feats []riskFeature, infos []datasets.FileInfo, ruleKinds map[string]datasets.Kind) {
	for k := range feats {
		f := &feats[k]
		if kind, ok := ruleKinds[f.name]; ok {
			f.kind = kind
			f.auto = kind == datasets.Categorical && f.force == "num"
			continue
		}
		switch f.force {
		case "num":
			f.kind = datasets.Numeric
			if !allNumericFields(infos, f.name) {
				f.kind, f.auto = datasets.Categorical, true
			}
			continue
		case "cat":
			f.kind = datasets.Categorical
			continue
		}
		f.kind = datasets.Numeric
		for _, fi := range infos {
			fd, ok := fi.Field(f.name)
			if !ok {
				continue
			}
			switch {
			case fi.Format == datasets.FormatCSV || fd.Type == "partition" || fd.Type == "text":
				if f.kind == datasets.Numeric {
					f.auto = true
				}
				f.kind = datasets.Categorical
			case fd.Type == "bool" || !numericParquet(fd.Type):
				f.kind, f.auto = datasets.Categorical, false
			}
		}
	}
}

// allNumericFields reports whether every file holds col as a numeric
// Parquet column.
func allNumericFields(infos []datasets.FileInfo, col string) bool {
	for _, fi := range infos {
		fd, ok := fi.Field(col)
		if ok && (fi.Format == datasets.FormatCSV || fd.Type == "partition" || fd.Type == "text" || !numericParquet(fd.Type) || fd.Type == "bool") {
			return false
		}
	}
	return true
}

// numericParquet reports whether a Parquet type holds numbers (booleans
// excluded: they are categories).
func numericParquet(t string) bool {
	switch t {
	case "int32", "int64", "float", "double", "decimal", "date", "time", "timestamp":
		return true
	}
	return strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint")
}

// featureValues are the values of one feature column per table row.
type featureValues struct {
	name string
	// num holds a numeric feature (NaN where null or not finite); nil for a
	// categorical one.
	num []float64
	// codes and levels hold a categorical feature (code −1 where null).
	codes  []int32
	levels []string
}

// readFeature turns a table column into feature values, deciding an auto
// column by its values: numeric when every non-null value parses as a
// finite number (or, forced :num, is true/false), else categorical.
func readFeature(f riskFeature, c *datasets.Column) (featureValues, error) {
	fv := featureValues{name: f.name}
	null := func(r int) bool { return c.Null != nil && c.Null[r] }
	if c.Kind == datasets.Numeric {
		fv.num = make([]float64, len(c.Float))
		for r, v := range c.Float {
			if null(r) || math.IsInf(v, 0) {
				v = math.NaN()
			}
			fv.num[r] = v
		}
		return fv, nil
	}
	if f.auto {
		vals := make([]float64, len(c.Levels))
		ok := true
		for j, l := range c.Levels {
			v, err := strconv.ParseFloat(strings.TrimSpace(l), 64)
			switch {
			case err == nil && !math.IsInf(v, 0) && !math.IsNaN(v):
				vals[j] = v
			case f.force == "num" && (strings.EqualFold(l, "true") || strings.EqualFold(l, "false")):
				vals[j] = 0
				if truthy(l) {
					vals[j] = 1
				}
			case l == "" && allNull(c, j): // the level of null values only
				vals[j] = math.NaN()
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok {
			fv.num = make([]float64, len(c.Codes))
			for r, code := range c.Codes {
				fv.num[r] = vals[code]
				if null(r) {
					fv.num[r] = math.NaN()
				}
			}
			return fv, nil
		}
		if f.force == "num" {
			return fv, fmt.Errorf("risk: feature %q (:num): the column holds values that are not numbers", f.name)
		}
	}
	fv.codes = make([]int32, len(c.Codes))
	fv.levels = c.Levels
	for r, code := range c.Codes {
		fv.codes[r] = code
		if null(r) {
			fv.codes[r] = -1
		}
	}
	return fv, nil
}

// allNull reports whether every row with level j is null.
func allNull(c *datasets.Column, j int) bool {
	for r, code := range c.Codes {
		if int(code) == j && (c.Null == nil || !c.Null[r]) {
			return false
		}
	}
	return true
}

// volatility returns the sample standard deviation (denominator m − 1) of
// the log income changes ln(x_m/x_{m−1}) between consecutive waves m ≤ k of
// household h, over the changes where both incomes are positive; NaN with
// fewer than two changes.
func (p *panel) volatility(h, k int) float64 {
	nw := p.nw()
	var d []float64
	for m := 1; m <= k; m++ {
		a, b := p.at[h*nw+m-1], p.at[h*nw+m]
		if a >= 0 && b >= 0 && p.u.x[a] > 0 && p.u.x[b] > 0 {
			d = append(d, math.Log(p.u.x[b]/p.u.x[a]))
		}
	}
	if len(d) < 2 {
		return math.NaN()
	}
	var s float64
	for _, v := range d {
		s += v
	}
	mean := s / float64(len(d))
	var ss float64
	for _, v := range d {
		ss += (v - mean) * (v - mean)
	}
	return math.Sqrt(ss / float64(len(d)-1))
}

// regionRates adds the region features to the pairs: for a pair t−1 → t in
// region r (the household's region in t−1),
//
//	region_poverty_rate = sum_{i in r, wave t−1, status known} w_i [poor_i] / sum w_i
//	region_return_rate  = sum_{pairs q in r with outcome wave t−1} w_q e_q / sum w_q
//
// (the pairs being those at risk, with their region in their outcome year
// t−1), both NaN where the region has no such unit or pair (or the region
// is null). They use years up to t−1 only, so a test pair's rates come
// from training years.
func (pr *riskPairs) regionRates(p *panel, status []int8, region []int32, nRegions int) {
	nw := p.nw()
	popW := make([]float64, nRegions*nw)
	poorW := make([]float64, nRegions*nw)
	for i, st := range status {
		rg := region[p.rowOf[i]]
		if st < 0 || rg < 0 {
			continue
		}
		c := int(rg)*nw + p.wave[i]
		popW[c] += p.u.w[i]
		if st == statusPoor {
			poorW[c] += p.u.w[i]
		}
	}
	riskW := make([]float64, nRegions*nw)
	evW := make([]float64, nRegions*nw)
	for q, i := range pr.unit {
		rg := region[p.rowOf[i]]
		if rg < 0 {
			continue
		}
		c := int(rg)*nw + pr.wave[q]
		riskW[c] += p.u.w[i]
		if pr.event[q] {
			evW[c] += p.u.w[i]
		}
	}
	for q, j := range pr.prev {
		pov, ret := math.NaN(), math.NaN()
		if rg := region[p.rowOf[j]]; rg >= 0 {
			c := int(rg)*nw + p.wave[j]
			pov, ret = nanIfZero(popW[c], poorW[c]), nanIfZero(riskW[c], evW[c])
		}
		pr.x[q] = append(pr.x[q], pov, ret)
	}
}

// appendNumeric appends the numeric features (their values in t−1) to
// every pair's x.
func (pr *riskPairs) appendNumeric(nums []featureValues) {
	for q := range pr.x {
		for _, fv := range nums {
			pr.x[q] = append(pr.x[q], fv.num[pr.row[q]])
		}
	}
}

// riskEncoding is the design of the model: the names of its columns
// (built-ins, numeric features, then one indicator per non-base level of
// each categorical feature, "COL=LEVEL"), and for each categorical
// feature its column range and the levels behind them.
type riskEncoding struct {
	names []string
	cats  []catEncoding
}

type catEncoding struct {
	name   string
	first  int     // first model column
	level  []int32 // the level code of each of its columns
	base   int32   // the base (most frequent) level
	levels []string
}

// encodeCategorical chooses, for each categorical feature, the base level
// (the most frequent among the training pairs, unweighted; ties to the
// first level in level order) and an indicator for every other level seen
// in training, ordered by level (numbers as numbers). Levels not seen in
// training count as the base. It appends the indicators to every pair's
// x (NaN where the value is null, replaced later by the training mean).
func (pr *riskPairs) encodeCategorical(enc *riskEncoding, cats []featureValues, train []int) {
	for _, fv := range cats {
		count := make([]int, len(fv.levels))
		for _, q := range train {
			if code := fv.codes[pr.row[q]]; code >= 0 {
				count[code]++
			}
		}
		order := make([]int32, len(fv.levels))
		for j := range order {
			order[j] = int32(j)
		}
		slices.SortStableFunc(order, func(a, b int32) int { return compareLevels(fv.levels[a], fv.levels[b]) })
		base := int32(-1)
		for _, j := range order {
			if count[j] > 0 && (base < 0 || count[j] > count[base]) {
				base = j
			}
		}
		ce := catEncoding{name: fv.name, first: len(enc.names), base: base, levels: fv.levels}
		for _, j := range order {
			if count[j] > 0 && j != base {
				ce.level = append(ce.level, j)
				enc.names = append(enc.names, fv.name+"="+fv.levels[j])
			}
		}
		enc.cats = append(enc.cats, ce)
		for q := range pr.x {
			code := fv.codes[pr.row[q]]
			for _, j := range ce.level {
				v := 0.0
				switch {
				case code < 0:
					v = math.NaN()
				case code == j:
					v = 1
				}
				pr.x[q] = append(pr.x[q], v)
			}
		}
	}
}
