package pipeline

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// TransferTarget restricts transfers to the units whose Column has Value.
type TransferTarget struct {
	Column, Value string
}

// ParseTransferTarget parses a target group written COL=VALUE.
func ParseTransferTarget(s string) (TransferTarget, error) {
	col, val, ok := strings.Cut(s, "=")
	col = strings.TrimSpace(col)
	if !ok || col == "" {
		return TransferTarget{}, fmt.Errorf("transfer target %q: expected COL=VALUE, e.g. urban=rural", s)
	}
	return TransferTarget{Column: col, Value: val}, nil
}

// transferShares gives, for one line and a budget B spent over the whole
// population, the weighted share of each unit's population still poor
// (x + t < z) after the transfer, under the two schemes:
//
//   - targeted: the eligible poor are lifted in increasing order of their
//     gap z_i - x_i, each at a cost of w_i (z_i - x_i), until B runs out; the
//     remainder lifts that share of the next unit's population (a unit's
//     weight stands for w_i people with the same gap). This is the fractional
//     knapsack "lift the most people for B", so it minimizes the headcount
//     after the transfer; it is not the gap-minimizing rule, which fills the
//     poorest first.
//   - uniform: every eligible person gets t = B / W_e (W_e the eligible
//     population) and a unit stays poor when x_i + t < z_i.
//
// eligible nil means every unit. Units whose line has no value (NaN) get
// share NaN. uniformOK is false when no one is eligible.
func transferShares(u *units, lv *lineValues, eligible []bool, budget float64) (targeted, uniform []float64, uniformOK bool) {
	n := len(u.x)
	targeted = make([]float64, n)
	uniform = make([]float64, n)
	var order []int32
	var we float64
	for i := range n {
		z := lv.z[i]
		if math.IsNaN(z) {
			targeted[i], uniform[i] = math.NaN(), math.NaN()
			continue
		}
		if u.x[i] < z {
			targeted[i] = 1
		}
		if eligible == nil || eligible[i] {
			we += u.w[i]
			if u.x[i] < z {
				order = append(order, int32(i))
			}
		}
	}
	slices.SortStableFunc(order, func(a, b int32) int {
		return cmp.Compare(lv.z[a]-u.x[a], lv.z[b]-u.x[b])
	})
	left := budget
	for _, i := range order {
		cost := u.w[i] * (lv.z[i] - u.x[i])
		if cost <= left {
			targeted[i] = 0
			left -= cost
			continue
		}
		targeted[i] = 1 - left/cost
		break
	}
	uniformOK = we > 0
	t := budget / we
	for i := range n {
		z := lv.z[i]
		if math.IsNaN(z) {
			continue
		}
		x := u.x[i]
		if eligible == nil || eligible[i] {
			x += t
		}
		if x < z {
			uniform[i] = 1
		}
	}
	return targeted, uniform, uniformOK
}

// transferRows are the headcount_after_transfer rows of one line in every
// domain of g: cell "targeted" and "uniform", At the budget.
func transferRows(u *units, g *grouping, lv *lineValues, budget *float64, targeted, uniform []float64, uniformOK bool, targetText string) []Result {
	k := g.size()
	n := make([]int, k)
	pop := make([]float64, k)
	exN := make([]int, k)
	exW := make([]float64, k)
	poor := make([][2]float64, k)
	for i, c := range g.codes {
		n[c]++
		pop[c] += u.w[i]
		if math.IsNaN(targeted[i]) {
			exN[c]++
			exW[c] += u.w[i]
			continue
		}
		poor[c][0] += u.w[i] * targeted[i]
		poor[c][1] += u.w[i] * uniform[i]
	}
	var out []Result
	for j := range k {
		for m, cell := range []string{"targeted", "uniform"} {
			r := Result{Indicator: "headcount_after_transfer", Line: lv.line.Name, Domain: g.domain(j), At: budget, Cell: cell, N: n[j], Population: pop[j]}
			base := pop[j] - exW[j]
			switch {
			case base <= 0:
				r.Estimate, r.Note = math.NaN(), "empty domain"
			case m == 1 && !uniformOK:
				r.Estimate, r.Note = math.NaN(), "no one is in the transfer target group "+targetText
			default:
				r.Estimate = poor[j][m] / base
			}
			if exN[j] > 0 {
				r.ExcludedN, r.ExcludedPopulation = exN[j], exW[j]
				if r.Note == "" {
					r.Note = "some units belong to a line group without reference units and are left out"
				}
			}
			out = append(out, r)
		}
	}
	return out
}

// eligibleUnits marks the units of the target group; nil target: nil (all).
func eligibleUnits(u *units, t *TransferTarget) ([]bool, error) {
	if t == nil {
		return nil, nil
	}
	g, err := newGrouping(len(u.x), []string{t.Column}, u.factors)
	if err != nil {
		return nil, fmt.Errorf("transfer target %s=%s: %w", t.Column, t.Value, err)
	}
	code := -1
	for j := range g.size() {
		if g.keys[j][0] == t.Value {
			code = j
		}
	}
	e := make([]bool, len(u.x))
	for i, c := range g.codes {
		e[i] = int(c) == code
	}
	return e, nil
}
