package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/povstat/povstat/datasets"
)

// Trait is a column described over the cells of the overlap of two named
// lines (see Compare).
type Trait struct {
	Column string
	// Kind is "mean" (the weighted mean of a numeric column), "share" (the
	// weighted share of each level) or "" (mean when every non-null value
	// of the column is a finite number, share otherwise: booleans and
	// text get shares).
	Kind string
}

// ParseTraits parses a list of traits written COL[:mean|:share],... (see
// Trait). A column name may not contain "," or "=".
func ParseTraits(s string) ([]Trait, error) {
	var out []Trait
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		t := Trait{Column: part}
		if i := strings.LastIndex(part, ":"); i >= 0 {
			if k := part[i+1:]; k == "mean" || k == "share" {
				t = Trait{Column: strings.TrimSpace(part[:i]), Kind: k}
			}
		}
		if err := t.check(); err != nil {
			return nil, fmt.Errorf("traits %q: %w", s, err)
		}
		if slices.ContainsFunc(out, func(o Trait) bool { return o.Column == t.Column }) {
			return nil, fmt.Errorf("traits %q: column %q is given twice", s, t.Column)
		}
		out = append(out, t)
	}
	return out, nil
}

func (t Trait) check() error {
	switch {
	case t.Column == "":
		return fmt.Errorf("empty column name; expected COL[:mean|:share],...")
	case strings.ContainsAny(t.Column, ",="):
		return fmt.Errorf("column %q: a trait column name cannot contain ',' or '='", t.Column)
	case t.Kind != "" && t.Kind != "mean" && t.Kind != "share":
		return fmt.Errorf("column %q: kind %q; want mean, share or none", t.Column, t.Kind)
	}
	return nil
}

// numericRoles are the study's columns read as numbers.
func numericRoles(s *Study) []string {
	return []string{s.Income, s.Weight, s.sizeColumn(), s.adultsColumn(), s.childrenColumn(), s.fpcColumn()}
}

// traitExtras are the columns to read for the traits: every trait column
// that is not already read as a number, read as categories (any column,
// numbers included, can be read so; numeric levels are parsed back).
func traitExtras(s *Study, traits []Trait) []extraColumn {
	var out []extraColumn
	roles := numericRoles(s)
	for _, t := range traits {
		if !slices.Contains(roles, t.Column) {
			out = append(out, extraColumn{key: "traits", req: datasets.Request{Name: t.Column, Kind: datasets.Categorical}})
		}
	}
	return out
}

// traitValues is one trait over the units: either numbers (mean) or a
// grouping of its levels (share).
type traitValues struct {
	trait  Trait
	kind   string    // "mean" or "share"
	value  []float64 // per unit, for means
	has    []bool    // per unit: the unit has a value
	levels *grouping // for shares; the null level "" is not a level
}

// buildTraits reads the traits' values of the kept units.
func buildTraits(d *loaded, traits []Trait) ([]traitValues, error) {
	n := len(d.u.x)
	keep := d.scr.Keep
	out := make([]traitValues, 0, len(traits))
	for _, t := range traits {
		tv := traitValues{trait: t, has: make([]bool, n)}
		col := d.tbl.Column(t.Column)
		var f *factor
		if col != nil && col.Kind == datasets.Numeric {
			// A numeric role (the household size): numbers as they are.
			if t.Kind != "share" {
				tv.kind, tv.value = "mean", make([]float64, 0, n)
				for i, v := range col.Float {
					if keep != nil && !keep[i] {
						continue
					}
					tv.has[len(tv.value)] = !(col.Null != nil && col.Null[i]) && !math.IsNaN(v) && !math.IsInf(v, 0)
					tv.value = append(tv.value, v)
				}
				out = append(out, tv)
				continue
			}
			f = compactFactor(numericLevels(col), keep, n)
		} else if f = d.u.factors[t.Column]; f == nil {
			return nil, fmt.Errorf("traits: column %q was not read", t.Column)
		}
		// Levels as numbers, when they all are.
		nums := make([]float64, len(f.levels))
		numeric := true
		for j, l := range f.levels {
			if l == "" {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(l), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				if t.Kind == "mean" {
					return nil, fmt.Errorf("traits: column %q has the value %q, not a finite number, and cannot be averaged", t.Column, l)
				}
				numeric = false
				break
			}
			nums[j] = v
		}
		if t.Kind == "mean" || t.Kind == "" && numeric {
			tv.kind, tv.value = "mean", make([]float64, n)
			for i, c := range f.codes {
				tv.value[i], tv.has[i] = nums[c], f.levels[c] != ""
			}
			out = append(out, tv)
			continue
		}
		g, err := newGrouping(n, []string{t.Column}, map[string]*factor{t.Column: f})
		if err != nil {
			return nil, fmt.Errorf("traits: column %q: %w", t.Column, err)
		}
		tv.kind, tv.levels = "share", g
		for i, c := range g.codes {
			tv.has[i] = g.keys[c][0] != ""
		}
		out = append(out, tv)
	}
	return out, nil
}

// overlapOfUnits places every unit in its overlap cell under lines a and
// b: 0 both, 1 a only, 2 b only, 3 neither (as overlapNames), -1 when one
// of its lines has no value.
func overlapOfUnits(u *units, a, b *lineValues) []int8 {
	out := make([]int8, len(u.x))
	for i, x := range u.x {
		za, zb := a.z[i], b.z[i]
		if math.IsNaN(za) || math.IsNaN(zb) {
			out[i] = -1
			continue
		}
		pa, pb := x < za, x < zb
		switch {
		case pa && pb:
			out[i] = 0
		case pa:
			out[i] = 1
		case pb:
			out[i] = 2
		default:
			out[i] = 3
		}
	}
	return out
}

// traitRows are the rows of the traits over the overlap cells of one pair
// of lines, named name ("A|B"), in every domain of g. For each domain, trait
// (and level, in the order of domains) and cell (both, a_only, b_only,
// neither):
//
//	trait_mean:COL         sum_i {w_i * v_i} / sum_i {w_i}
//	trait_share:COL=LEVEL  sum_i {w_i * [v_i = LEVEL]} / sum_i {w_i}
//
// over the units i of the domain and cell with a value of COL. N and
// Population are the cell's units; those without a value are in
// ExcludedN and ExcludedPopulation. A cell with no unit with a value has
// NaN. Every level of the whole population has a row in every cell, so the
// shares of a cell add up to 1.
func traitRows(u *units, g *grouping, cell []int8, traits []traitValues, name string) []Result {
	k := g.size()
	var out []Result
	for _, tv := range traits {
		// Sums per domain and cell: n, w, excluded n and w, and the
		// weighted sum (mean) or the weight per level (share).
		nl := 1
		if tv.kind == "share" {
			nl = tv.levels.size()
		}
		type sums struct {
			n, exN int
			w, exW float64
			v      []float64
		}
		s := make([]sums, k*4)
		for i := range s {
			s[i].v = make([]float64, nl)
		}
		for i, c := range cell {
			if c < 0 {
				continue
			}
			dst := &s[int(g.codes[i])*4+int(c)]
			w := u.w[i]
			dst.n++
			dst.w += w
			if !tv.has[i] {
				dst.exN++
				dst.exW += w
				continue
			}
			if tv.kind == "mean" {
				dst.v[0] += w * tv.value[i]
			} else {
				dst.v[tv.levels.codes[i]] += w
			}
		}
		var levels []int // the levels written: all but the null level
		if tv.kind == "share" {
			for l := range nl {
				if tv.levels.keys[l][0] != "" {
					levels = append(levels, l)
				}
			}
		} else {
			levels = []int{0}
		}
		for j := range k {
			dom := g.domain(j)
			for _, l := range levels {
				ind := "trait_mean:" + tv.trait.Column
				if tv.kind == "share" {
					ind = "trait_share:" + tv.trait.Column + "=" + tv.levels.keys[l][0]
				}
				for m, cellName := range overlapNames {
					c := s[j*4+m]
					r := Result{Indicator: ind, Line: name, Domain: dom, Cell: cellName, N: c.n, Population: c.w,
						ExcludedN: c.exN, ExcludedPopulation: c.exW}
					if base := c.w - c.exW; c.n > c.exN && base > 0 {
						r.Estimate = c.v[l] / base
					} else {
						r.Estimate, r.Note = math.NaN(), "no unit with a value of "+tv.trait.Column+" in this cell"
					}
					if c.exN > 0 && r.Note == "" {
						r.Note = "units without a value of " + tv.trait.Column + " are left out"
					}
					out = append(out, r)
				}
			}
		}
	}
	return out
}
