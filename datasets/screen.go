package datasets

import (
	"fmt"
)

// Roles names the numeric columns a job uses and what each one is, so that
// Screen knows which values are legal. Empty names are not used.
type Roles struct {
	Income   string // may be negative (business losses), never missing or non-finite
	Weight   string // must be positive and finite
	Size     string // household size: positive and finite
	Adults   string // counts: finite and >= 0
	Children string
	FPC      string // sampling fraction of the design: present and finite (its range is the variance's to check)
}

// Count is what one screening rule did: the rows it excluded (or, for a rule
// whose Action is "kept", flagged and kept), with a few examples.
type Count struct {
	Rule     string   `json:"rule"`
	Column   string   `json:"column"`
	Action   string   `json:"action"` // "excluded" or "kept"
	Rows     int      `json:"rows"`
	Examples []string `json:"examples,omitempty"` // "file row N", at most maxExamples
}

// Screening is the outcome of Screen.
type Screening struct {
	// Keep marks the rows that pass every rule; nil when all rows pass.
	Keep []bool
	// Kept is the number of rows kept.
	Kept int
	// Rules lists every rule that matched at least one row, in a fixed
	// order. A row matched by several rules counts under the first only.
	Rules []Count
}

const maxExamples = 5

// rule is one screening rule over a numeric column.
type rule struct {
	name, column, action string
	match                test
}

// test is what a rule looks for in a value.
type test int

const (
	missing     test = iota // null
	nonFinite               // NaN or ±Inf
	notPositive             // <= 0
	negative                // < 0
)

// next returns the first row at or after from whose value in c the test
// matches, or -1. Null values match only the missing test. Each test is its
// own tight loop: on clean data a rule costs one branch-light scan.
func (t test) next(c *Column, from int) int {
	vals, null := c.Float, c.Null
	isNull := func(i int) bool { return null != nil && null[i] }
	switch t {
	case missing:
		for i := from; i < len(null); i++ {
			if null[i] {
				return i
			}
		}
	case nonFinite:
		for i := from; i < len(vals); i++ {
			if v := vals[i]; v-v != 0 && !isNull(i) { // NaN or ±Inf
				return i
			}
		}
	case notPositive:
		for i := from; i < len(vals); i++ {
			if vals[i] <= 0 && !isNull(i) {
				return i
			}
		}
	case negative:
		for i := from; i < len(vals); i++ {
			if vals[i] < 0 && !isNull(i) {
				return i
			}
		}
	}
	return -1
}

func rulesFor(r Roles) []rule {
	var rs []rule
	add := func(col string, rules ...rule) {
		if col == "" {
			return
		}
		for _, x := range rules {
			x.column = col
			rs = append(rs, x)
		}
	}
	add(r.Income,
		rule{name: "missing income", action: "excluded", match: missing},
		rule{name: "non-finite income", action: "excluded", match: nonFinite})
	add(r.Weight,
		rule{name: "missing weight", action: "excluded", match: missing},
		rule{name: "non-finite weight", action: "excluded", match: nonFinite},
		rule{name: "zero or negative weight", action: "excluded", match: notPositive})
	add(r.Size,
		rule{name: "missing household size", action: "excluded", match: missing},
		rule{name: "non-finite household size", action: "excluded", match: nonFinite},
		rule{name: "zero or negative household size", action: "excluded", match: notPositive})
	for _, c := range []string{r.Adults, r.Children} {
		add(c,
			rule{name: "missing count", action: "excluded", match: missing},
			rule{name: "non-finite count", action: "excluded", match: nonFinite},
			rule{name: "negative count", action: "excluded", match: negative})
	}
	add(r.FPC,
		rule{name: "missing sampling fraction", action: "excluded", match: missing},
		rule{name: "non-finite sampling fraction", action: "excluded", match: nonFinite})
	add(r.Income, rule{name: "negative income", action: "kept", match: negative})
	return rs
}

func (s *Screening) exclude(row, n int) {
	if s.Keep == nil {
		s.Keep = make([]bool, n)
		for j := range s.Keep {
			s.Keep[j] = true
		}
	}
	s.Keep[row] = false
	s.Kept--
}

// Screen applies the validation rules of the job's roles to t: rows with a
// missing or non-finite income, weight, size or count, a weight or size that
// is not positive, or a negative count are excluded; negative incomes are
// legal (business losses), kept and counted. Null values in categorical
// columns are kept as their own level "" and counted. Nothing is dropped
// silently: every rule that matched reports its count and example rows.
//
// It returns an error naming the column when a role's column was not read
// or is not numeric.
func Screen(t *Table, r Roles) (*Screening, error) {
	rs := rulesFor(r)
	cols := make([]*Column, len(rs))
	for i, x := range rs {
		c := t.Column(x.column)
		if c == nil {
			return nil, fmt.Errorf("screen: column %q: %w", x.column, ErrMissingColumn)
		}
		if c.Kind != Numeric {
			return nil, fmt.Errorf("screen: column %q is not numeric", x.column)
		}
		cols[i] = c
	}
	s := &Screening{Kept: t.Rows}
	counts := make([]Count, len(rs))
	for i, x := range rs {
		counts[i] = Count{Rule: x.name, Column: x.column, Action: x.action}
		c := cols[i]
		for row := x.match.next(c, 0); row >= 0; row = x.match.next(c, row+1) {
			if s.Keep != nil && !s.Keep[row] {
				continue // an earlier rule excluded it
			}
			counts[i].Rows++
			if len(counts[i].Examples) < maxExamples {
				path, fileRow := t.Locate(row)
				counts[i].Examples = append(counts[i].Examples, fmt.Sprintf("%s row %d", path, fileRow))
			}
			if x.action == "excluded" {
				s.exclude(row, t.Rows)
			}
		}
	}
	for _, c := range t.Columns {
		if c.Kind == Categorical && c.Null != nil {
			n := 0
			for _, isNull := range c.Null {
				if isNull {
					n++
				}
			}
			if n > 0 {
				counts = append(counts, Count{Rule: "missing value (kept as empty level)", Column: c.Name, Action: "kept", Rows: n})
			}
		}
	}
	for _, c := range counts {
		if c.Rows > 0 {
			s.Rules = append(s.Rules, c)
		}
	}
	return s, nil
}
