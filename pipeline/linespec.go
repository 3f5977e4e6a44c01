package pipeline

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Condition restricts the reference population of a line to the units whose
// Column holds Value (compared as text).
type Condition struct{ Column, Value string }

// Line is a poverty line, written NAME=SPEC where SPEC is
//
//	BASIS:NUMBER[@COL[,COL...]][?COL=VALUE[&COL=VALUE...]]
//
// BASIS is abs (NUMBER is the line itself), median or mean (NUMBER is the
// fraction of the weighted median or mean income). After "@" come the
// columns within whose groups the line is computed separately; after "?"
// the conditions, all of which a unit must meet to count in the reference
// statistic. For example:
//
//	eu=median:0.6
//	tieling=median:0.45@county
//	gd_household=mean:0.33@province?urban=false
//	national=abs:4000
//	x=median:0.5?urban=true&province=3
type Line struct {
	Name  string
	Basis string      // "abs", "median" or "mean"
	Value float64     // the absolute value (abs) or the fraction (median, mean)
	By    []string    // grouping columns, nil for one national line
	Where []Condition // reference subpopulation, nil for all units
	Pos   string      // where it was written, e.g. "study.yaml:14" or "--line" (for error messages)
}

// specBases are the accepted BASIS words, in the order error messages list them.
var specBases = []string{"abs", "median", "mean"}

// ParseLine parses a line written NAME=SPEC (see Line). Pos is left empty
// for the caller to fill in.
func ParseLine(s string) (Line, error) {
	name, spec, ok := strings.Cut(s, "=")
	if !ok || strings.Contains(name, ":") { // no NAME= before the SPEC
		return Line{}, fmt.Errorf("line %q: expected NAME=SPEC, e.g. eu=median:0.6", s)
	}
	return ParseLineSpec(strings.TrimSpace(name), spec)
}

// ParseLineSpec parses the SPEC of the line called name (see Line).
// Spaces around the parts are ignored. Column names and condition values
// may not contain any of ",@?&=". Pos is left empty.
func ParseLineSpec(name, spec string) (Line, error) {
	if err := specCheckName(name); err != nil {
		return Line{}, fmt.Errorf("line %q: %w", name, err)
	}
	l, err := specParse(name, strings.TrimSpace(spec))
	if err != nil {
		return Line{}, fmt.Errorf("line %q: %q: %w", name, spec, err)
	}
	return l, nil
}

// specCheckName checks that a line name matches [A-Za-z][A-Za-z0-9_.-]*.
func specCheckName(name string) error {
	const want = "a name starts with a letter and has only letters, digits, '_', '.' and '-'"
	if name == "" {
		return fmt.Errorf("empty name; %s", want)
	}
	for i, r := range name {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		digit := r >= '0' && r <= '9'
		if i == 0 && !letter || !letter && !digit && !strings.ContainsRune("_.-", r) {
			return fmt.Errorf("bad character %q in name; %s", r, want)
		}
	}
	return nil
}

// specParse parses a trimmed SPEC.
func specParse(name, spec string) (Line, error) {
	head, where, hasWhere := strings.Cut(spec, "?")
	head, by, hasBy := strings.Cut(head, "@")
	l := Line{Name: name}
	var err error
	if l.Basis, l.Value, err = specBasis(strings.TrimSpace(head)); err != nil {
		return Line{}, err
	}
	if hasBy {
		if l.By, err = specBy(by); err != nil {
			return Line{}, err
		}
	}
	if hasWhere {
		if l.Where, err = specWhere(where); err != nil {
			return Line{}, err
		}
	}
	return l, nil
}

// specBasis parses BASIS:NUMBER.
func specBasis(s string) (string, float64, error) {
	basis, num, ok := strings.Cut(s, ":")
	if !ok {
		return "", 0, fmt.Errorf("expected BASIS:NUMBER with BASIS one of abs, median or mean (e.g. median:0.6)")
	}
	basis, num = strings.TrimSpace(basis), strings.TrimSpace(num)
	what := "fraction"
	switch basis {
	case "abs":
		what = "value"
	case "median", "mean":
	default:
		return "", 0, fmt.Errorf("unknown basis %q; want abs, median or mean%s", basis, specHint(basis, specBases))
	}
	v, err := strconv.ParseFloat(num, 64)
	switch {
	case err != nil && num == "":
		return "", 0, fmt.Errorf("missing %s after %q", what, basis+":")
	case err != nil:
		return "", 0, fmt.Errorf("%s must be a number, got %q", what, num)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "", 0, fmt.Errorf("%s must be finite, got %q", what, num)
	case basis == "abs" && v < 0:
		return "", 0, fmt.Errorf("value must be 0 or more, got %q", num)
	case basis != "abs" && v <= 0:
		return "", 0, fmt.Errorf("fraction must be greater than 0, got %q", num)
	}
	return basis, v, nil
}

// specBy parses the COL[,COL...] after "@".
func specBy(s string) ([]string, error) {
	var cols []string
	for _, c := range strings.Split(s, ",") {
		c = strings.TrimSpace(c)
		if err := specCheckColumn(c, "after \"@\""); err != nil {
			return nil, err
		}
		if strings.Contains(c, "=") {
			return nil, fmt.Errorf("column %q after \"@\" contains '='; a reference subpopulation is written ?COL=VALUE after the columns", c)
		}
		for _, d := range cols {
			if d == c {
				return nil, fmt.Errorf("column %q given twice after \"@\"", c)
			}
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// specWhere parses the COL=VALUE[&COL=VALUE...] after "?".
func specWhere(s string) ([]Condition, error) {
	if strings.ContainsAny(s, "@?") {
		return nil, fmt.Errorf("unexpected '@' or '?' in %q: write @COLUMNS before ?CONDITIONS and join conditions with '&'", "?"+s)
	}
	var conds []Condition
	for _, part := range strings.Split(s, "&") {
		col, val, ok := strings.Cut(part, "=")
		col, val = strings.TrimSpace(col), strings.TrimSpace(val)
		switch {
		case !ok:
			return nil, fmt.Errorf("condition %q: expected COLUMN=VALUE", strings.TrimSpace(part))
		case strings.Contains(val, "="):
			return nil, fmt.Errorf("condition %q: more than one '='", strings.TrimSpace(part))
		case val == "":
			return nil, fmt.Errorf("condition %q: empty value", strings.TrimSpace(part))
		}
		if err := specCheckColumn(col, "in condition "+strconv.Quote(strings.TrimSpace(part))); err != nil {
			return nil, err
		}
		for _, c := range conds {
			if c.Column == col {
				return nil, fmt.Errorf("two conditions on column %q", col)
			}
		}
		conds = append(conds, Condition{Column: col, Value: val})
	}
	return conds, nil
}

// specCheckColumn rejects an empty column name; where says where it was.
func specCheckColumn(col, where string) error {
	if col == "" {
		return fmt.Errorf("empty column name %s", where)
	}
	return nil
}

// Spec returns the canonical SPEC text of the line, without its name:
// the number formatted with strconv 'g' -1, no spaces. For a line returned
// by ParseLineSpec, ParseLineSpec(l.Name, l.Spec()) gives the line back.
func (l Line) Spec() string {
	var b strings.Builder
	b.WriteString(l.Basis)
	b.WriteByte(':')
	b.WriteString(strconv.FormatFloat(l.Value, 'g', -1, 64))
	if len(l.By) > 0 {
		b.WriteByte('@')
		b.WriteString(strings.Join(l.By, ","))
	}
	for i, c := range l.Where {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(c.Column + "=" + c.Value)
	}
	return b.String()
}

// Columns returns every column the line references: its By columns, then
// its Where columns, each once, in order of first appearance.
func (l Line) Columns() []string {
	var cols []string
	add := func(c string) {
		for _, d := range cols {
			if d == c {
				return
			}
		}
		cols = append(cols, c)
	}
	for _, c := range l.By {
		add(c)
	}
	for _, c := range l.Where {
		add(c.Column)
	}
	return cols
}

// specHint returns ` (did you mean "x"?)` for the option closest to word,
// or "" when none is close.
func specHint(word string, options []string) string {
	if c := specClosest(word, options); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

// specClosest returns the option nearest to word by edit distance (with
// transpositions), if it is near enough to be a likely typo; else "".
func specClosest(word string, options []string) string {
	limit := min(max(1, len(word)/3), 3)
	best, bestD := "", limit+1
	lw := strings.ToLower(word)
	for _, o := range options {
		if d := specDistance(lw, strings.ToLower(o)); d < bestD && d < len(o) {
			best, bestD = o, d
		}
	}
	return best
}

// specDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and adjacent transpositions.
func specDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}
