package datasets

import (
	"fmt"
	"slices"
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

// Rows returns the number of rows screened: those kept and those a rule
// excluded.
func (s *Screening) Rows() int {
	n := s.Kept
	for _, c := range s.Rules {
		if c.Action == "excluded" {
			n += c.Rows
		}
	}
	return n
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

// matches reports whether the test matches row i of c. Null values match
// only the missing test.
func (t test) matches(c *Column, i int) bool {
	if t == missing {
		return i < len(c.Null) && c.Null[i]
	}
	if i >= len(c.Float) || (c.Null != nil && c.Null[i]) {
		return false
	}
	switch v := c.Float[i]; t {
	case nonFinite:
		return v-v != 0 // NaN or ±Inf
	case notPositive:
		return v <= 0
	case negative:
		return v < 0
	}
	return false
}

// tests is a set of tests, one bit per test.
type tests uint8

func (ts tests) has(t test) bool { return ts&(1<<t) != 0 }

// next returns the first row at or after from that some test of ts may
// match in c, or -1: every row a test matches, and possibly others (a null
// row, say, that only the value tests look at). It is one tight loop over
// the column whatever the tests: on clean data the rules of a column cost
// one branch-light scan together.
func (ts tests) next(c *Column, from int) int {
	vals, null := c.Float, c.Null
	if !ts.has(missing) {
		null = nil // null rows match no other test
	}
	end := len(vals)
	if null != nil {
		end = min(end, len(null))
	}
	i := -1
	switch {
	case ts.has(notPositive):
		i = scanNotPositive(vals, null, from, end)
	case ts.has(negative):
		i = scanNegative(vals, null, from, end)
	case ts.has(nonFinite):
		i = scanNonFinite(vals, null, from, end)
	case null != nil:
		if k := slices.Index(null[min(from, end):end], true); k >= 0 {
			i = min(from, end) + k
		}
	}
	if i >= 0 {
		return i
	}
	for i := max(from, end); i < len(null); i++ { // null marks past the values
		if null[i] {
			return i
		}
	}
	return -1
}

// scanNotPositive returns the first row i in [from, end) with null[i] (null
// may be nil) or a value that is not positive or not finite, or -1.
func scanNotPositive(vals []float64, null []bool, from, end int) int {
	if null == nil {
		for i := from; i < end; i++ {
			if v := vals[i]; !(v > 0) || v-v != 0 {
				return i
			}
		}
		return -1
	}
	for i := from; i < end; i++ {
		if v := vals[i]; null[i] || !(v > 0) || v-v != 0 {
			return i
		}
	}
	return -1
}

// scanNegative is scanNotPositive for values that are negative or not
// finite.
func scanNegative(vals []float64, null []bool, from, end int) int {
	if null == nil {
		for i := from; i < end; i++ {
			if v := vals[i]; !(v >= 0) || v-v != 0 {
				return i
			}
		}
		return -1
	}
	for i := from; i < end; i++ {
		if v := vals[i]; null[i] || !(v >= 0) || v-v != 0 {
			return i
		}
	}
	return -1
}

// scanNonFinite is scanNotPositive for values that are not finite.
func scanNonFinite(vals []float64, null []bool, from, end int) int {
	if null == nil {
		for i := from; i < end; i++ {
			if v := vals[i]; v-v != 0 {
				return i
			}
		}
		return -1
	}
	for i := from; i < end; i++ {
		if v := vals[i]; null[i] || v-v != 0 {
			return i
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

// columnScan walks the rows of one column that some of its rules may match.
type columnScan struct {
	col   *Column
	tests tests // the tests of the column's rules
	at    int   // the next such row, -1 when none is left
}

// columnScans returns one scan per distinct column of the rules, each at
// its first row that some rule may match.
func columnScans(rs []rule, cols []*Column) []columnScan {
	var scans []columnScan
	for i, x := range rs {
		k := slices.IndexFunc(scans, func(sc columnScan) bool { return sc.col == cols[i] })
		if k < 0 {
			k = len(scans)
			scans = append(scans, columnScan{col: cols[i]})
		}
		scans[k].tests |= 1 << x.match
	}
	for k := range scans {
		scans[k].at = scans[k].tests.next(scans[k].col, 0)
	}
	return scans
}

// screenRow applies the rules to one row in their order, as if each rule
// were applied to every row in turn: each rule that matches counts the row
// (and notes it as an example, up to maxExamples per rule, rows coming in
// order), and the first that excludes it ends its screening, so that a
// row counts under the first excluding rule only.
func (s *Screening) screenRow(t *Table, row int, rs []rule, cols []*Column, counts []Count) {
	for i, x := range rs {
		if !x.match.matches(cols[i], row) {
			continue
		}
		counts[i].Rows++
		if len(counts[i].Examples) < maxExamples {
			path, fileRow := t.Locate(row)
			counts[i].Examples = append(counts[i].Examples, fmt.Sprintf("%s row %d", path, fileRow))
		}
		if x.action == "excluded" {
			s.exclude(row, t.Rows)
			return
		}
	}
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
	}
	scans := columnScans(rs, cols)
	for {
		row := -1
		for _, sc := range scans {
			if sc.at >= 0 && (row < 0 || sc.at < row) {
				row = sc.at
			}
		}
		if row < 0 {
			break
		}
		s.screenRow(t, row, rs, cols, counts)
		for k := range scans {
			if scans[k].at == row {
				scans[k].at = scans[k].tests.next(scans[k].col, row+1)
			}
		}
	}
	for _, c := range t.Columns {
		if c.Kind == Categorical && c.Null != nil {
			cnt := Count{Rule: "missing value (kept as empty level)", Column: c.Name, Action: "kept"}
			for row, isNull := range c.Null {
				if isNull {
					cnt.Rows++
					if len(cnt.Examples) < maxExamples {
						path, fileRow := t.Locate(row)
						cnt.Examples = append(cnt.Examples, fmt.Sprintf("%s row %d", path, fileRow))
					}
				}
			}
			if cnt.Rows > 0 {
				counts = append(counts, cnt)
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
