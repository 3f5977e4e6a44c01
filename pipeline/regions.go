package pipeline

import (
	"math"
	"slices"

	"github.com/povstat/povstat/indices"
)

// regionRows computes, in every domain of g, the disparity across the
// groups of the region column: each region's weighted mean income
// (region_mean, with the region in the domain), the unweighted coefficient
// of variation of the regional means (cv, population SD), Williamson's
// population-weighted CV, the max/min ratio of regional means, and the
// exact decomposition of Theil T and Theil L into between- and
// within-region parts with the between share. Regions with no unit in a
// domain take no part in it. A breakdown that includes the region column
// has nothing to compare and gets no rows.
func regionRows(s *Study, g *grouping, rg *grouping, st *groupStats, cd *cellData, nd ineqNeeds, want wants) []Result {
	if g.has(s.Region) {
		return nil
	}
	k, r := g.size(), rg.size()
	pop := make([]float64, k*r)
	income := make([]float64, k*r)
	n := make([]int, k*r)
	var entropy []indices.EntropySums
	if cd.entropy != nil {
		entropy = make([]indices.EntropySums, k*r)
	}
	for c := range cd.rep {
		at := int(g.codes[cd.rep[c]])*r + int(rg.codes[cd.rep[c]])
		pop[at] += cd.pop[c]
		income[at] += cd.income[c]
		n[at] += cd.n[c]
		if entropy != nil {
			entropy[at].Merge(cd.entropy[c])
		}
	}
	var out []Result
	for j := 0; j < k; j++ {
		var ent []indices.EntropySums
		if entropy != nil {
			ent = entropy[j*r : (j+1)*r]
		}
		levels := make([]string, r)
		for q := range levels {
			levels[q] = rg.keys[q][0]
		}
		out = append(out, RegionRows(s.Region, s.Indicators, g.domain(j), levels, n[j*r:(j+1)*r], pop[j*r:(j+1)*r],
			income[j*r:(j+1)*r], ent, st.n[j], st.pop[j])...)
	}
	return out
}

// RegionRows returns the regional disparity rows of one domain dom (of n
// units and population domPop) as Run computes them: the indicators among
// region_mean, cv, williamson, max_min_ratio and the Theil T and L
// decompositions (theil_t_between, ...), from each region's count,
// population, income and entropy sums (entropy nil without a Theil
// decomposition), regions in the order of levels, those with no unit left
// out. A runner that sums elsewhere (pipeline/beam) builds its rows with
// it.
func RegionRows(region string, indicators []string, dom []DomainValue, levels []string, n []int, pop, income []float64, entropy []indices.EntropySums, domN int, domPop float64) []Result {
	var out []Result
	var means, pops []float64
	var sums []indices.EntropySums
	wantMean := slices.Contains(indicators, "region_mean")
	for q := range levels {
		if n[q] == 0 {
			continue
		}
		mean := nanIfZero(pop[q], income[q])
		means = append(means, mean)
		pops = append(pops, pop[q])
		if entropy != nil {
			sums = append(sums, entropy[q])
		}
		if wantMean {
			rdom := append(append([]DomainValue(nil), dom...), DomainValue{Column: region, Value: levels[q]})
			out = append(out, Result{Indicator: "region_mean", Domain: rdom, Estimate: mean, N: n[q], Population: pop[q]})
		}
	}
	var tt, tl indices.Decomposition
	if entropy != nil {
		tt, tl = indices.DecomposeGESums(sums, 1), indices.DecomposeGESums(sums, 0)
	}
	for _, name := range indicators {
		var v float64
		switch name {
		case "cv":
			v = indices.CV(means, nil)
		case "williamson":
			v = indices.Williamson(means, pops)
		case "max_min_ratio":
			v = indices.MaxMinRatio(means, nil)
		case "theil_t_between":
			v = tt.Between
		case "theil_t_within":
			v = tt.Within
		case "theil_t_between_share":
			v = tt.BetweenShare()
		case "theil_l_between":
			v = tl.Between
		case "theil_l_within":
			v = tl.Within
		case "theil_l_between_share":
			v = tl.BetweenShare()
		default:
			continue
		}
		res := Result{Indicator: name, Domain: dom, Estimate: v, N: domN, Population: domPop}
		if math.IsNaN(v) {
			res.Note = "fewer than two regions, or a regional mean that is not positive"
		}
		out = append(out, res)
	}
	return out
}

// ratioRows computes, in every domain of g, the ratio of the weighted mean
// income of the units with Column == Numerator to that of the units with
// Column == Denominator, for each ratio of the study.
func ratioRows(s *Study, u *units, g *grouping, st *groupStats, cd *cellData) []Result {
	var out []Result
	for _, ratio := range s.Ratios {
		f := u.factors[ratio.Column]
		k := g.size()
		var num, den [2][]float64 // pop, income
		for i := range num {
			num[i], den[i] = make([]float64, k), make([]float64, k)
		}
		for c, i := range cd.rep {
			level := f.levels[f.codes[i]]
			j := g.codes[i]
			switch level {
			case ratio.Numerator:
				num[0][j] += cd.pop[c]
				num[1][j] += cd.income[c]
			case ratio.Denominator:
				den[0][j] += cd.pop[c]
				den[1][j] += cd.income[c]
			}
		}
		for j := 0; j < k; j++ {
			out = append(out, RatioRow(ratio, g.domain(j), num[0][j], num[1][j], den[0][j], den[1][j], st.n[j], st.pop[j]))
		}
	}
	return out
}

// RatioRow returns the ratio row of one domain dom (of n units and
// population domPop) as Run computes it: the mean income of the units of
// the numerator group (population numPop, income numIncome) over that of
// the denominator group's. A runner that sums elsewhere (pipeline/beam)
// builds its rows with it.
func RatioRow(ratio Ratio, dom []DomainValue, numPop, numIncome, denPop, denIncome float64, domN int, domPop float64) Result {
	v := nanIfZero(denPop, denIncome)
	v = nanIfZero(v, nanIfZero(numPop, numIncome))
	r := Result{Indicator: "ratio", Ratio: ratio.String(), Domain: dom, Estimate: v, N: domN, Population: domPop}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.Estimate = math.NaN()
		r.Note = "a group of the ratio has no unit or a zero mean in this domain"
	}
	return r
}
