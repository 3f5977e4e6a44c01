package pipeline

import (
	"math"
	"slices"
	"strings"

	"github.com/povstat/povstat/indices"
)

// cellData holds, for every cell of the finest cross-classification of the
// study (all breakdown columns, the region column and the ratio columns),
// the sums that every breakdown merges: one pass over the units serves them
// all.
type cellData struct {
	g       *grouping
	rep     []int // a unit of each cell
	n       []int
	pop     []float64
	income  []float64
	entropy []indices.EntropySums // nil unless an entropy measure is asked for
}

// ineqNeeds says what the inequality indicators of a study need.
type ineqNeeds struct {
	inds     []indicator // person-level inequality indicators, in study order
	alphas   []float64   // GE parameters other than 0 and 1
	epsilons []float64   // Atkinson parameters other than 0 and 1
	entropy  bool        // some GE, Theil or Atkinson measure (or a Theil decomposition)
	sorted   bool        // gini or a quantile-share measure: needs the units sorted
}

func inequalityNeeds(s *Study) ineqNeeds {
	var nd ineqNeeds
	for _, name := range s.Indicators {
		ind, _ := parseIndicator(name)
		switch {
		case ind.family == familyRegion && (name == "region_mean" || name == "cv" || name == "williamson" || name == "max_min_ratio"):
		case ind.family == familyRegion:
			nd.entropy = true
		case ind.family != familyInequality:
		case name == "gini" || name == "qsr" || name == "palma" || ind.groups > 0:
			nd.inds = append(nd.inds, ind)
			nd.sorted = true
		default:
			nd.inds = append(nd.inds, ind)
			nd.entropy = true
			if strings.HasPrefix(name, "ge_") && ind.param != 0 && ind.param != 1 && !slices.Contains(nd.alphas, ind.param) {
				nd.alphas = append(nd.alphas, ind.param)
			}
			if strings.HasPrefix(name, "atkinson_") && ind.param != 0 && ind.param != 1 && !slices.Contains(nd.epsilons, ind.param) {
				nd.epsilons = append(nd.epsilons, ind.param)
			}
		}
	}
	return nd
}

// newCellData makes the sums of every cell of g in one pass.
func newCellData(u *units, g *grouping, nd ineqNeeds) *cellData {
	k := g.size()
	cd := &cellData{g: g, rep: representatives(g), n: make([]int, k), pop: make([]float64, k), income: make([]float64, k)}
	if nd.entropy {
		cd.entropy = make([]indices.EntropySums, k)
		for c := range cd.entropy {
			cd.entropy[c] = indices.NewEntropySums(nd.alphas, nd.epsilons)
		}
	}
	for i, c := range g.codes {
		x, w := u.x[i], u.w[i]
		cd.n[c]++
		cd.pop[c] += w
		cd.income[c] += w * x
		if cd.entropy != nil {
			cd.entropy[c].Add(x, w)
		}
	}
	return cd
}

// mergeEntropy adds the entropy sums of the cells into the groups of g.
func (cd *cellData) mergeEntropy(g *grouping, nd ineqNeeds) []indices.EntropySums {
	out := make([]indices.EntropySums, g.size())
	for j := range out {
		out[j] = indices.NewEntropySums(nd.alphas, nd.epsilons)
	}
	for c, e := range cd.entropy {
		out[g.codes[cd.rep[c]]].Merge(e)
	}
	return out
}

// sortedOrder returns the units in increasing order of income (ties by
// unit index), so that every domain's units, taken in this order, are
// sorted too.
func sortedOrder(u *units) []int32 { return radixOrder(u.x) }

// sortedSegments gathers incomes and weights in sorted order by group of g:
// group j is [off[j], off[j+1]) of xs and ws, sorted.
func sortedSegments(u *units, g *grouping, order []int32) (off []int, xs, ws []float64) {
	codes := make([]int32, len(order))
	sx := make([]float64, len(order))
	sw := make([]float64, len(order))
	for k, i := range order {
		codes[k], sx[k], sw[k] = g.codes[i], u.x[i], u.w[i]
	}
	return partition(codes, g.size(), nil, sx, sw)
}

// inequalityRows computes the person-level inequality indicators of every
// domain of g.
func inequalityRows(u *units, g *grouping, st *groupStats, cd *cellData, order []int32, nd ineqNeeds) []Result {
	k := g.size()
	var entropy []indices.EntropySums
	if cd.entropy != nil {
		entropy = cd.mergeEntropy(g, nd)
	}
	var off []int
	var xs, ws []float64
	if nd.sorted {
		off, xs, ws = sortedSegments(u, g, order)
	}
	var out []Result
	for j := 0; j < k; j++ {
		dom := g.domain(j)
		var seg sortedSegment
		if nd.sorted {
			seg = newSortedSegment(xs[off[j]:off[j+1]], ws[off[j]:off[j+1]])
		}
		for _, ind := range nd.inds {
			r := Result{Indicator: ind.name, Domain: dom, N: st.n[j], Population: st.pop[j]}
			switch {
			case ind.name == "gini":
				r.Estimate = seg.gini()
			case ind.name == "qsr":
				r.Estimate = indices.QSRAt(seg.x, seg.w, seg.q(0.2), seg.q(0.8))
			case ind.name == "palma":
				r.Estimate = indices.PalmaAt(seg.x, seg.w, seg.q(0.4), seg.q(0.9))
			case ind.groups > 0:
				r.Estimate = seg.share(ind.groups, ind.group)
			default:
				r.Estimate, r.ExcludedN, r.ExcludedPopulation = entropyMeasure(entropy[j], ind)
			}
			if math.IsNaN(r.Estimate) {
				r.Note = inequalityReason(st.pop[j])
			}
			out = append(out, r)
		}
	}
	return out
}

// entropyMeasure evaluates a GE, Theil or Atkinson indicator and counts the
// units it leaves out: incomes <= 0 for GE(alpha <= 1) and
// Atkinson(epsilon >= 1), incomes < 0 for the others.
func entropyMeasure(e indices.EntropySums, ind indicator) (v float64, exN int, exW float64) {
	var strict bool // leaves out zeros too
	switch {
	case ind.name == "theil_t":
		v, strict = e.TheilT(), true
	case ind.name == "theil_l":
		v, strict = e.TheilL(), true
	case strings.HasPrefix(ind.name, "ge_"):
		v, strict = e.GE(ind.param), ind.param <= 1
	default:
		v, strict = e.Atkinson(ind.param), ind.param >= 1
	}
	exN, exW = e.NegativeN, e.NegativeWeight
	if strict {
		exN, exW = exN+e.ZeroN, exW+e.ZeroWeight
	}
	return v, exN, exW
}

func inequalityReason(pop float64) string {
	if pop == 0 {
		return "empty domain"
	}
	return "undefined for these incomes (zero mean or bottom share, or no included unit)"
}

// sortedSegment is the units of one domain in increasing order of income.
type sortedSegment struct {
	x, w   []float64
	cache  map[float64]float64 // quantiles by p
	shares map[int][]float64   // income shares by number of groups
}

func newSortedSegment(x, w []float64) sortedSegment {
	return sortedSegment{x: x, w: w, cache: map[float64]float64{}, shares: map[int][]float64{}}
}

// q returns the weighted p-quantile (laeken's rule) of the segment.
func (s sortedSegment) q(p float64) float64 {
	if v, ok := s.cache[p]; ok {
		return v
	}
	v := indices.QuantileSorted(p, s.x, s.w)
	s.cache[p] = v
	return v
}

func (s sortedSegment) gini() float64 {
	var g indices.GiniSums
	for i, x := range s.x {
		g.AddSorted(x, s.w[i])
	}
	return g.Gini()
}

// share returns the income share of group j (1-based) of k quantile groups
// (indices.Shares).
func (s sortedSegment) share(k, j int) float64 {
	if sh, ok := s.shares[k]; ok {
		return sh[j-1]
	}
	sh := s.computeShares(k)
	s.shares[k] = sh
	return sh[j-1]
}

func (s sortedSegment) computeShares(k int) []float64 {
	cuts := make([]float64, k-1)
	for j := range cuts {
		cuts[j] = s.q(float64(j+1) / float64(k))
	}
	if slices.ContainsFunc(cuts, math.IsNaN) {
		out := make([]float64, k)
		for j := range out {
			out[j] = math.NaN()
		}
		return out
	}
	return indices.SharesAt(nil, s.x, s.w, cuts)
}
