package pipeline

import (
	"fmt"
	"math"
	"sort"

	"github.com/povstat/povstat/indices"
)

// nQuintiles is the number of income groups of the quintile transitions.
const nQuintiles = 5

// quantileGroup returns the group of x among the groups that the
// non-decreasing cut points make, with the tie rule of indices.Shares: group
// 0 is x <= cuts[0], group j is cuts[j-1] < x <= cuts[j], the last group
// x > cuts[len(cuts)-1]. It is the number of cut points below x.
func quantileGroup(x float64, cuts []float64) int {
	return sort.SearchFloat64s(cuts, x)
}

// quintileOf gives each unit its income quintile in its own wave: the cut
// points of wave k are the weighted quantiles 0.2, 0.4, 0.6 and 0.8 of the
// incomes of the wave's units (indices.Quantiles, laeken's rule), and a unit
// at a cut point belongs to the lower quintile. Units of a wave without
// weight get -1.
func (p *panel) quintileOf() []int8 {
	nw := p.nw()
	xs := make([][]float64, nw)
	ws := make([][]float64, nw)
	for i, k := range p.wave {
		xs[k] = append(xs[k], p.u.x[i])
		ws[k] = append(ws[k], p.u.w[i])
	}
	ps := make([]float64, nQuintiles-1)
	for j := range ps {
		ps[j] = float64(j+1) / nQuintiles
	}
	cuts := make([][]float64, nw)
	for k := range cuts {
		cuts[k] = indices.Quantiles(nil, ps, xs[k], ws[k])
	}
	q := make([]int8, len(p.u.x))
	for i, x := range p.u.x {
		c := cuts[p.wave[i]]
		if len(c) == 0 || math.IsNaN(c[0]) {
			q[i] = -1
			continue
		}
		q[i] = int8(quantileGroup(x, c))
	}
	return q
}

// quintileRows gives the quintile transition matrices between consecutive
// waves: for each wave t after the first (domain {year: t}) and each pair of
// quintiles A, B the row quintile_transition, cell "QA→QB", with the share
// of the units linked to the previous wave that were in quintile A there
// and are in quintile B in t, weighted by the weight of t. Quintiles are
// those of quintileOf, each wave's own. n and population count the units of
// the cell; a row of the matrix without units has NaN estimates and a note.
func (p *panel) quintileRows() []Result {
	q := p.quintileOf()
	nw := p.nw()
	n := make([][nQuintiles][nQuintiles]int, nw)
	w := make([][nQuintiles][nQuintiles]float64, nw)
	for i, k := range p.wave {
		j := p.prev(i)
		if j < 0 || q[i] < 0 || q[j] < 0 {
			continue
		}
		n[k][q[j]][q[i]]++
		w[k][q[j]][q[i]] += p.u.w[i]
	}
	var out []Result
	for k := 1; k < nw; k++ {
		dom := []DomainValue{{Column: p.yearCol, Value: p.years[k]}}
		for from := range nQuintiles {
			var fw float64
			var fn int
			for to := range nQuintiles {
				fw += w[k][from][to]
				fn += n[k][from][to]
			}
			for to := range nQuintiles {
				r := Result{Indicator: "quintile_transition", Domain: dom, Cell: fmt.Sprintf("Q%d→Q%d", from+1, to+1),
					Estimate: nanIfZero(fw, w[k][from][to]), N: n[k][from][to], Population: w[k][from][to]}
				if fn == 0 {
					r.Note = fmt.Sprintf("no household linked to %s=%s was in Q%d there", p.yearCol, p.years[k-1], from+1)
				}
				out = append(out, r)
			}
		}
	}
	return out
}
