package pipeline

import (
	"fmt"
	"strings"
)

// Ratio asks for the ratio of the weighted mean incomes of two groups of a
// column, e.g. urban over rural: Column "urban", Numerator "true",
// Denominator "false". It is written COL=A/B.
type Ratio struct {
	Column, Numerator, Denominator string
	Pos                            string // where it was written, for messages
}

// ParseRatio reads COL=A/B.
func ParseRatio(s string) (Ratio, error) {
	col, groups, ok := strings.Cut(s, "=")
	num, den, ok2 := strings.Cut(groups, "/")
	col, num, den = strings.TrimSpace(col), strings.TrimSpace(num), strings.TrimSpace(den)
	if !ok || !ok2 || col == "" || num == "" || den == "" || strings.Contains(den, "/") {
		return Ratio{}, fmt.Errorf("ratio %q: want COL=A/B, e.g. urban=true/false", s)
	}
	if num == den {
		return Ratio{}, fmt.Errorf("ratio %q: the two groups are the same", s)
	}
	return Ratio{Column: col, Numerator: num, Denominator: den}, nil
}

// String writes the ratio back as COL=A/B.
func (r Ratio) String() string { return r.Column + "=" + r.Numerator + "/" + r.Denominator }
