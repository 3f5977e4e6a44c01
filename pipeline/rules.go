package pipeline

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Rule is a monitoring rule: it flags the household-years that meet its
// condition. Rules are data; ParseRule reads one from the text
//
//	NAME=COL                a trait: COL is true ("true", "1", "yes", any case)
//	NAME=SIDE<SIDE          a comparison (also >)
//	SIDE  := NUMBER | [NUMBER*]TERM[/TERM]
//	TERM  := income | line | fall | COL
//
// income is the unit's income (equivalised as the study says), line the
// value of the (first) poverty line the unit faces, fall the relative
// income fall since the household's previous year, (x_{t-1} - x_t)/x_{t-1}
// (none in a household's first year or when x_{t-1} <= 0), and COL any
// other numeric column. Examples:
//
//	low_income=income<1.5*line
//	income_fall=fall>0.3
//	health=health_exp/income>0.4
//	illness=illness
//
// A comparison with a missing value (a null column, no fall) does not flag.
type Rule struct {
	// Name names the rule in the results and the flags.
	Name string
	// Expr is the condition as written.
	Expr string
	// Trait is the boolean column of a trait rule; "" for a comparison.
	Trait string
	// Op is '<' or '>' for a comparison.
	Op          byte
	Left, Right RuleSide
}

// RuleSide is one side of a comparison: Factor × Num / Den, where a term
// is income, line, fall or a column name, and "" stands for 1.
type RuleSide struct {
	Factor   float64
	Num, Den string
}

// ErrRule reports a rule that cannot be parsed.
var ErrRule = errors.New("bad rule")

// ruleTerms are the terms of the rule language that are not columns.
var ruleTerms = []string{"income", "line", "fall"}

// ParseRule parses NAME=EXPR (see Rule).
func ParseRule(text string) (Rule, error) {
	name, expr, ok := strings.Cut(text, "=")
	name, expr = strings.TrimSpace(name), strings.TrimSpace(expr)
	if !ok || name == "" || expr == "" {
		return Rule{}, fmt.Errorf("rule %q: %w: want NAME=EXPR, e.g. low_income=income<1.5*line", text, ErrRule)
	}
	if name == anyRule {
		return Rule{}, fmt.Errorf("rule %q: %w: the name %q is reserved", text, ErrRule, anyRule)
	}
	r := Rule{Name: name, Expr: expr}
	i := strings.IndexAny(expr, "<>")
	if i < 0 {
		if !validColumnName(expr) || isRuleTerm(expr) {
			return Rule{}, fmt.Errorf("rule %q: %w: %q is neither a comparison (A<B, A>B) nor a column", text, ErrRule, expr)
		}
		r.Trait = expr
		return r, nil
	}
	r.Op = expr[i]
	var err error
	if r.Left, err = parseRuleSide(expr[:i]); err != nil {
		return Rule{}, fmt.Errorf("rule %q: %w", text, err)
	}
	if r.Right, err = parseRuleSide(expr[i+1:]); err != nil {
		return Rule{}, fmt.Errorf("rule %q: %w", text, err)
	}
	return r, nil
}

func parseRuleSide(s string) (RuleSide, error) {
	s = strings.TrimSpace(s)
	side := RuleSide{Factor: 1}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		side.Factor = v
		return side, nil
	}
	if f, rest, ok := strings.Cut(s, "*"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return side, fmt.Errorf("%w: %q: want NUMBER*TERM", ErrRule, s)
		}
		side.Factor, s = v, strings.TrimSpace(rest)
	}
	num, den, _ := strings.Cut(s, "/")
	side.Num, side.Den = strings.TrimSpace(num), strings.TrimSpace(den)
	if !validColumnName(side.Num) || strings.Contains(s, "/") && !validColumnName(side.Den) {
		return side, fmt.Errorf("%w: %q: want NUMBER, TERM, NUMBER*TERM or TERM/TERM", ErrRule, s)
	}
	return side, nil
}

func validColumnName(s string) bool {
	return s != "" && !strings.ContainsAny(s, "<>=*/ \t")
}

func isRuleTerm(s string) bool {
	for _, t := range ruleTerms {
		if s == t {
			return true
		}
	}
	return false
}

// Columns returns the numeric columns the rule reads (not income, line or
// fall), and its trait column.
func (r Rule) columns() (numeric []string, trait string) {
	for _, t := range []string{r.Left.Num, r.Left.Den, r.Right.Num, r.Right.Den} {
		if t != "" && !isRuleTerm(t) {
			numeric = append(numeric, t)
		}
	}
	return numeric, r.Trait
}

// usesLine reports whether the rule compares with the poverty line.
func (r Rule) usesLine() bool { return r.uses("line") }

// uses reports whether the rule reads the term (income, line, fall).
func (r Rule) uses(term string) bool {
	for _, t := range []string{r.Left.Num, r.Left.Den, r.Right.Num, r.Right.Den} {
		if t == term {
			return true
		}
	}
	return false
}

// anyRule is the cell of the rows counting units flagged by any rule.
const anyRule = "any_rule"

// ruleVars are the values a rule reads for one unit.
type ruleVars struct {
	x, z, fall float64
	col        func(name string) float64 // NaN when null
	trait      func(name string) bool
}

func (v ruleVars) term(t string) float64 {
	switch t {
	case "":
		return 1
	case "income":
		return v.x
	case "line":
		return v.z
	case "fall":
		return v.fall
	}
	return v.col(t)
}

func (v ruleVars) side(s RuleSide) float64 {
	return s.Factor * v.term(s.Num) / v.term(s.Den)
}

// flags reports whether the rule flags a unit; NaN values never flag.
func (r Rule) flags(v ruleVars) bool {
	if r.Trait != "" {
		return v.trait(r.Trait)
	}
	a, b := v.side(r.Left), v.side(r.Right)
	if math.IsNaN(a) || math.IsNaN(b) {
		return false
	}
	if r.Op == '<' {
		return a < b
	}
	return a > b
}

// truthy reports whether a level of a trait column means true.
func truthy(level string) bool {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "true", "1", "yes", "y", "t":
		return true
	}
	return false
}

// ParseRules reads rules from text, one NAME=EXPR per line; blank lines
// and lines starting with # are skipped. Errors name the line.
func ParseRules(text string) ([]Rule, error) {
	var rules []Rule
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, err := ParseRule(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("line %d: rule %q: %w: defined twice", i+1, r.Name, ErrRule)
		}
		seen[r.Name] = true
		rules = append(rules, r)
	}
	return rules, nil
}

// Flag is one household-year flagged by one rule.
type Flag struct {
	ID, Year, Rule string
}

// EncodeFlags returns the flags as CSV under the header ID,YEAR,rule, ID
// and YEAR being the names of the id and year columns.
func EncodeFlags(flags []Flag, idCol, yearCol string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{idCol, yearCol, "rule"}) // a bytes.Buffer does not fail
	for _, f := range flags {
		_ = w.Write([]string{f.ID, f.Year, f.Rule})
	}
	w.Flush()
	return b.Bytes()
}
