package pipeline

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"slices"
	"strconv"
)

// Result is one row of the long results table: one indicator, for one
// poverty line (or none), in one domain.
type Result struct {
	Indicator string
	// Model names the model of a validation row of a risk score ("score",
	// "rule:NAME"); empty on other rows, which then have no "model".
	Model string
	// Line names the poverty line; empty for indicators that have none
	// (population, n, mean, median).
	Line string
	// Domain lists the column/value pairs that define the domain, in the
	// order of the breakdown; empty for the whole population. For a line row
	// of a grouped line it holds the group.
	Domain []DomainValue
	// Estimate is the value; NaN when there is none, with Note saying why.
	Estimate float64
	// N and Population count the rows and the weighted units of the domain
	// (for line rows: of the reference units the line was computed from).
	N          int
	Population float64
	// ExcludedN and ExcludedPopulation count the rows of the domain left out
	// of this estimate by a rule (for watts: incomes <= 0).
	ExcludedN          int
	ExcludedPopulation float64
	Note               string
	// Ratio names the groups of a ratio row, COL=A/B; empty on other rows.
	Ratio string
	// At is the grid point of a row of a sweep of lines (the fraction of a
	// relative sweep, the value of an absolute one) or the target of an
	// inverse row (see Compare); nil on other rows, which then have no "at".
	At *float64
	// Cell names the cell of an overlap row (both, a_only, b_only,
	// neither); empty on other rows.
	Cell string

	// Standard error, confidence interval, relative standard error
	// (SE/|estimate|) and design effect, NaN where there is none; SEMethod
	// says how the SE was made ("" when the study asks for none: the fields
	// are then left out). Unreliable marks an RSE above the study's limit.
	SE, CILower, CIUpper, RSE, Deff float64
	SEMethod                        string
	Unreliable                      bool
}

// DomainValue is one column of a domain and its value, as a string.
type DomainValue struct {
	Column, Value string
}

// EncodeJSON returns the results as {"results":[...]}, one row per line,
// with the keys of every row in a fixed order, so that the same results give
// the same bytes. A missing estimate is null.
func EncodeJSON(results []Result) []byte {
	var b bytes.Buffer
	b.WriteString("{\"results\":[")
	for i, r := range results {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n{\"indicator\":")
		writeJSONString(&b, r.Indicator)
		if r.Model != "" {
			b.WriteString(",\"model\":")
			writeJSONString(&b, r.Model)
		}
		b.WriteString(",\"line\":")
		if r.Line == "" {
			b.WriteString("null")
		} else {
			writeJSONString(&b, r.Line)
		}
		b.WriteString(",\"domain\":{")
		for j, d := range r.Domain {
			if j > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, d.Column)
			b.WriteByte(':')
			writeJSONString(&b, d.Value)
		}
		b.WriteString("}")
		if r.Ratio != "" {
			b.WriteString(",\"ratio\":")
			writeJSONString(&b, r.Ratio)
		}
		if r.At != nil {
			b.WriteString(",\"at\":")
			b.WriteString(jsonNumber(*r.At))
		}
		if r.Cell != "" {
			b.WriteString(",\"cell\":")
			writeJSONString(&b, r.Cell)
		}
		b.WriteString(",\"estimate\":")
		b.WriteString(jsonNumber(r.Estimate))
		b.WriteString(",\"n\":")
		b.WriteString(strconv.Itoa(r.N))
		b.WriteString(",\"population\":")
		b.WriteString(jsonNumber(r.Population))
		if r.SEMethod != "" {
			for _, f := range []struct {
				key string
				v   float64
			}{{"se", r.SE}, {"ci_lower", r.CILower}, {"ci_upper", r.CIUpper}, {"rse", r.RSE}, {"deff", r.Deff}} {
				b.WriteString(",\"" + f.key + "\":")
				b.WriteString(jsonNumber(f.v))
			}
			b.WriteString(",\"se_method\":")
			writeJSONString(&b, r.SEMethod)
			if r.Unreliable {
				b.WriteString(",\"unreliable\":true")
			}
		}
		if r.ExcludedN > 0 {
			b.WriteString(",\"excluded_n\":")
			b.WriteString(strconv.Itoa(r.ExcludedN))
			b.WriteString(",\"excluded_population\":")
			b.WriteString(jsonNumber(r.ExcludedPopulation))
		}
		if r.Note != "" {
			b.WriteString(",\"note\":")
			writeJSONString(&b, r.Note)
		}
		b.WriteByte('}')
	}
	b.WriteString("\n]}\n")
	return b.Bytes()
}

// EncodeCSV returns the results as a long CSV table with one column per
// domain column (in order of first appearance), empty where a row's domain
// does not involve it, and an empty estimate where there is none. The
// columns model, ratio, at and cell appear only when some row has one.
func EncodeCSV(results []Result) []byte {
	cols := domainColumns(results)
	header := []string{"indicator"}
	withModel := slices.ContainsFunc(results, func(r Result) bool { return r.Model != "" })
	if withModel {
		header = append(header, "model")
	}
	header = append(header, "line")
	header = append(header, cols...)
	withRatio := slices.ContainsFunc(results, func(r Result) bool { return r.Ratio != "" })
	if withRatio {
		header = append(header, "ratio")
	}
	withAt := slices.ContainsFunc(results, func(r Result) bool { return r.At != nil })
	if withAt {
		header = append(header, "at")
	}
	withCell := slices.ContainsFunc(results, func(r Result) bool { return r.Cell != "" })
	if withCell {
		header = append(header, "cell")
	}
	header = append(header, "estimate", "n", "population", "excluded_n", "excluded_population", "note")
	withSE := slices.ContainsFunc(results, func(r Result) bool { return r.SEMethod != "" })
	if withSE {
		header = append(header, "se", "ci_lower", "ci_upper", "rse", "deff", "se_method", "unreliable")
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(header) // a bytes.Buffer does not fail
	for _, r := range results {
		rec := make([]string, 0, len(header))
		rec = append(rec, r.Indicator)
		if withModel {
			rec = append(rec, r.Model)
		}
		rec = append(rec, r.Line)
		for _, c := range cols {
			v := ""
			for _, d := range r.Domain {
				if d.Column == c {
					v = d.Value
				}
			}
			rec = append(rec, v)
		}
		if withRatio {
			rec = append(rec, r.Ratio)
		}
		if withAt {
			at := ""
			if r.At != nil {
				at = formatNumber(*r.At)
			}
			rec = append(rec, at)
		}
		if withCell {
			rec = append(rec, r.Cell)
		}
		est := ""
		if !math.IsNaN(r.Estimate) {
			est = formatNumber(r.Estimate)
		}
		exN, exPop := "", ""
		if r.ExcludedN > 0 {
			exN, exPop = strconv.Itoa(r.ExcludedN), formatNumber(r.ExcludedPopulation)
		}
		rec = append(rec, est, strconv.Itoa(r.N), formatNumber(r.Population), exN, exPop, r.Note)
		if withSE {
			unreliable := ""
			if r.Unreliable {
				unreliable = "true"
			}
			rec = append(rec, formatNumber(r.SE), formatNumber(r.CILower), formatNumber(r.CIUpper),
				formatNumber(r.RSE), formatNumber(r.Deff), r.SEMethod, unreliable)
		}
		_ = w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}

func domainColumns(results []Result) []string {
	var cols []string
	seen := map[string]bool{}
	for _, r := range results {
		for _, d := range r.Domain {
			if !seen[d.Column] {
				seen[d.Column] = true
				cols = append(cols, d.Column)
			}
		}
	}
	return cols
}

// formatNumber writes v as the shortest decimal that reads back as v, in
// plain notation for 1e-6 <= |v| < 1e21 and in exponent notation otherwise
// (the rule of encoding/json).
func formatNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "null"
	}
	return formatNumber(v)
}

func writeJSONString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}
