package pipeline

import (
	"math"
	"slices"

	"github.com/povstat/povstat/indices"
)

// regionTasks: the linearized SEs of the regional disparity coefficients
// cv, williamson, theil_t_between and theil_l_between across the groups
// of the study's region column, in every domain of g (a breakdown without
// the region column, as regionRows): indices.DisparityInfluence over the
// domain's units, smooth functions of the regional totals of income and
// population, and the variance over the full design. One task per
// coefficient.
func (j *seJob) regionTasks(g *grouping) []func() error {
	if j.s.Region == "" || g.has(j.s.Region) {
		return nil
	}
	rg := j.p.groupings[colsKey([]string{j.s.Region})]
	if rg == nil {
		return nil
	}
	var tasks []func() error
	for _, m := range []struct {
		name    string
		measure indices.Disparity
	}{
		{"cv", indices.DisparityCV},
		{"williamson", indices.DisparityWilliamson},
		{"theil_t_between", indices.DisparityTheilTBetween},
		{"theil_l_between", indices.DisparityTheilLBetween},
	} {
		if !slices.Contains(j.s.Indicators, m.name) {
			continue
		}
		tasks = append(tasks, func() error {
			j.regionRowsSE(g, rg, m.name, m.measure)
			return nil
		})
	}
	return tasks
}

// regionRowsSE sets the SE of the coefficient name in every domain of g.
func (j *seJob) regionRowsSE(g, rg *grouping, name string, measure indices.Disparity) {
	members := j.members(g)
	cells := j.e.cells(members)
	sp := j.e.sparse()
	defer j.e.sparsePool.Put(sp)
	method := j.e.methodName()
	for d := 0; d < g.size(); d++ {
		if _, ok := j.index[resultKey(name, "", g.domain(d))]; !ok {
			continue
		}
		idx := members.idx[members.off[d]:members.off[d+1]]
		xs, ws := make([]float64, len(idx)), make([]float64, len(idx))
		region, cellOf := make([]int32, len(idx)), make([]int32, len(idx))
		for k, i := range idx {
			xs[k], ws[k], region[k], cellOf[k] = j.u.x[i], j.u.w[i], rg.codes[i], cells.of[i]
		}
		v, vs := math.NaN(), math.NaN()
		if len(idx) > 0 {
			z := indices.DisparityInfluence(nil, xs, ws, region, measure)
			var tot []float64
			v, vs, tot = j.e.compactVariance(sp, cells, d, idx, cellOf, ws, z, 0, nil, nil)
			j.keep(name, "", g, d, &linRecord{psu: cells.psu[cells.off[d]:cells.off[d+1]], tot: tot})
		}
		j.set(name, "", g, d, j.resultValue(name, "", g, d, j.index), v, vs, method)
	}
}
