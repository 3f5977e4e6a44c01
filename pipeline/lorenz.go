package pipeline

import (
	"math"
	"slices"

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

// LorenzOrdinate returns the row of indicator ind (lorenz or
// generalized_lorenz) at the m-th point p of LorenzPoints of a domain of
// weight pop and income income, from its quantiles qs at the points below
// 1 and its sums by the groups those quantiles cut (below, an
// indices.ShareSums with cuts qs):
//
//	GL(p) = [S(<=q) + (pW - W(<=q)) q] / W,   L(p) = GL(p) W / S
//
// with q the domain's weighted quantile at p, W(<=q) and S(<=q) the
// weight and income of its units up to q (the groups up to m, added in
// group order), W = pop and S = income. It is indices.Lorenz's ordinate
// (the units at q hold the point, each unit's weight spread evenly over
// its income) in terms of q alone: the units at q add w q to S(<=q) and w
// to W(<=q), which cancel, so any income at which the cumulative weight
// reaches pW gives the same ordinate. At p = 1, L = 1 and GL is the mean.
// NaN for an empty domain, or when q is NaN, and for lorenz when the
// income is zero.
func LorenzOrdinate(ind string, m int, qs []float64, below indices.ShareSums, pop, income float64) float64 {
	ps := LorenzPoints()
	if pop == 0 || (ind == "lorenz" && income == 0) {
		return math.NaN()
	}
	if m == len(ps)-1 {
		if ind == "lorenz" {
			return 1
		}
		return income / pop
	}
	q := qs[m]
	var w, s float64
	for g := 0; g <= m; g++ {
		w += below.Pop[g]
		s += below.Income[g]
	}
	v := s + (ps[m]*pop-w)*q
	if ind == "lorenz" {
		return v / income
	}
	return v / pop
}

// lorenzRows returns, for every domain of the whole population and of each
// breakdown, and for each of lorenz and generalized_lorenz asked for (in
// the order asked), one row per point p of LorenzPoints with At = p:
// lorenz is the share of the domain's income held by its poorest p
// (linear inside a unit's weight, L(1) = 1), generalized_lorenz the mean
// income times L(p) (LorenzOrdinate: indices.Lorenz and
// indices.GeneralizedLorenz up to rounding). Every income is kept,
// negative ones included, as for gini (laeken keeps negative incomes in
// the Gini); the curve then dips below zero. N and Population are the
// domain's. An empty domain, or one whose income is zero for lorenz, has
// NaN estimates with a note.
//
// No sort: the quantiles come from the histograms over row groups with the
// median (statsRequests), the sums up to them are summed in unit order,
// blocked by split (blockedShareSums), as the Beam runner sums them split
// by split, so that both give the same bytes.
//
// Their linearized standard errors are lorenzErrors'; the bootstrap gives
// them one as it does every row. They have no _change rows (the study's time column is a
// domain column like any other).
func lorenzRows(p *plan, u *units, breakdowns [][]string, asked []string) []Result {
	inds := lorenzAsked(asked)
	if len(inds) == 0 {
		return nil
	}
	cutPs := LorenzCutShares()
	var out []Result
	for _, cols := range breakdowns {
		g := p.groupings[colsKey(cols)]
		st := p.stats[statsRequest{cols: cols}.key()]
		k := g.size()
		qs := make([][]float64, k) // by domain, at cutPs
		if slices.ContainsFunc(cutPs, func(p float64) bool { return st.quantiles[p] == nil }) {
			qs = groupQuantiles(g.codes, k, nil, u.x, u.w, u.blocks, cutPs)
		} else {
			for j := range qs {
				qs[j] = make([]float64, len(cutPs))
				for m, p := range cutPs {
					qs[j][m] = st.quantiles[p][j]
				}
			}
		}
		below := blockedShareSums(u, g, qs)
		for j := range k {
			out = append(out, LorenzRows(inds, g.domain(j), st.n[j], st.pop[j], st.income[j], qs[j], below[j])...)
		}
	}
	return out
}

// LorenzRows returns the rows of a domain's curves: for each indicator of
// inds (lorenz, generalized_lorenz), one row per point of LorenzPoints
// (LorenzOrdinate, with a note where it is NaN), given the domain's units,
// weight and income, its quantiles qs at the points below 1 and its sums
// by the groups they cut.
func LorenzRows(inds []string, dom []DomainValue, n int, pop, income float64, qs []float64, below indices.ShareSums) []Result {
	ps := LorenzPoints()
	var out []Result
	for _, ind := range inds {
		for m := range ps {
			r := Result{Indicator: ind, Domain: dom, N: n, Population: pop, At: &ps[m],
				Estimate: LorenzOrdinate(ind, m, qs, below, pop, income)}
			if math.IsNaN(r.Estimate) {
				r.Note = lorenzReason(pop)
			}
			out = append(out, r)
		}
	}
	return out
}

// LorenzCutShares returns the points of LorenzPoints below 1, at which a
// domain's curves need its quantiles. The slice is new on each call.
func LorenzCutShares() []float64 {
	ps := LorenzPoints()
	return ps[:len(ps)-1]
}

// blockedShareSums returns, for every domain j of g, its units' sums by
// the groups of cuts[j] (indices.ShareSums), added in unit order block by
// block (units.eachBlock) and merged in block order, as the Beam runner
// adds them split by split.
func blockedShareSums(u *units, g *grouping, cuts [][]float64) []indices.ShareSums {
	k := g.size()
	total := make([]indices.ShareSums, k)
	for j := range total {
		total[j] = indices.NewShareSums(cuts[j])
	}
	codes := g.codes
	if k == 1 {
		codes = nil
	}
	type blockSums struct {
		sums []indices.ShareSums
		met  []bool // the domains of the block's units
	}
	eachBlockParallel(u, func() *blockSums {
		b := &blockSums{sums: make([]indices.ShareSums, k), met: make([]bool, k)}
		for j := range b.sums {
			b.sums[j] = indices.NewShareSums(cuts[j])
		}
		return b
	}, func(b *blockSums, lo, hi int) {
		for i := lo; i < hi; i++ {
			j := 0
			if codes != nil {
				j = int(codes[i])
			}
			b.met[j] = true
			b.sums[j].Add(u.x[i], u.w[i])
		}
	}, func(b *blockSums) {
		for j, m := range b.met {
			if m {
				total[j].Merge(b.sums[j])
				clear(b.sums[j].Pop)
				clear(b.sums[j].Income)
				b.met[j] = false
			}
		}
	})
	return total
}

func lorenzReason(pop float64) string {
	if pop == 0 {
		return "empty domain"
	}
	return "undefined: the domain's total income is zero"
}
