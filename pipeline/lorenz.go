package pipeline

import (
	"math"

	"github.com/povstat/povstat/indices"
)

// lorenzIndicators are the points of the Lorenz curve (lorenz) and of the
// generalized Lorenz curve (generalized_lorenz) of each domain.
var lorenzIndicators = []string{"lorenz", "generalized_lorenz"}

// lorenzPoints is the number of points of each curve: p = 1/20, 2/20, ...,
// 20/20 of the population.
const lorenzPoints = 20

// LorenzPoints returns the shares of the population at which the lorenz
// and generalized_lorenz rows give the curves: 0.05, 0.10, ..., 1 (each
// k/20, the float64 nearest to the decimal). The slice is new on each call.
func LorenzPoints() []float64 {
	ps := make([]float64, lorenzPoints)
	for k := range ps {
		ps[k] = float64(k+1) / lorenzPoints
	}
	return ps
}

// lorenzRows returns, for every domain of the whole population and of each
// breakdown, and for each of lorenz and generalized_lorenz asked for (in
// the order asked), one row per point p of LorenzPoints with At = p:
// lorenz is indices.Lorenz, the share of the domain's income held by its
// poorest p (linear inside a unit's weight, L(1) = 1), generalized_lorenz
// is indices.GeneralizedLorenz, the mean income times L(p). Every income
// is kept, negative ones included, as for gini (laeken keeps negative
// incomes in the Gini); the curve then dips below zero. N and Population
// are the domain's. An empty domain, or one whose income is zero for
// lorenz, has NaN estimates with a note. order is the units sorted by
// income (sortedOrder); it is not used when no curve is asked for.
//
// The rows have no standard error of their own: a study with linearized
// SEs marks them unavailable, the bootstrap gives them one as it does
// every row. They have no _change rows (the study's time column is a
// domain column like any other).
func lorenzRows(p *plan, u *units, breakdowns [][]string, order []int32, asked []string, cd *cellData) []Result {
	var inds []string
	for _, name := range asked {
		if ind, ok := parseIndicator(name); ok && ind.family == familyLorenz {
			inds = append(inds, name)
		}
	}
	if len(inds) == 0 {
		return nil
	}
	ps := LorenzPoints()
	ys := make([]float64, len(ps))
	// The units sorted once with their finest cell (cd's, when the inequality
	// rows gathered them already), split by each breakdown.
	finest := p.groupings[colsKey(p.finestCols)]
	rep := representatives(finest)
	var sorted *sortedCells
	if cd != nil && cd.g == finest {
		sorted = cd.sortedUnits(u, order) // shared with the inequality rows
	} else {
		sorted = newSortedCells(u, finest, order)
	}
	var out []Result
	for _, cols := range breakdowns {
		g := p.groupings[colsKey(cols)]
		st := p.stats[statsRequest{cols: cols}.key()]
		off, xs, ws := sorted.segments(g.size(), groupsOfCells(g, rep))
		for j := 0; j < g.size(); j++ {
			x, w := xs[off[j]:off[j+1]], ws[off[j]:off[j+1]]
			dom := g.domain(j)
			for _, ind := range inds {
				if ind == "lorenz" {
					indices.LorenzSorted(ys, ps, x, w)
				} else {
					indices.GeneralizedLorenzSorted(ys, ps, x, w)
				}
				for k := range ps {
					at := ps[k]
					r := Result{Indicator: ind, Domain: dom, Estimate: ys[k], N: st.n[j], Population: st.pop[j], At: &at}
					if math.IsNaN(r.Estimate) {
						r.Note = lorenzReason(st.pop[j])
					}
					out = append(out, r)
				}
			}
		}
	}
	return out
}

func lorenzReason(pop float64) string {
	if pop == 0 {
		return "empty domain"
	}
	return "undefined: the domain's total income is zero"
}
