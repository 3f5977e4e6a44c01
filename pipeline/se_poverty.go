package pipeline

import (
	"math"
	"sync"

	"github.com/povstat/povstat/indices"
)

// The poverty indicators of povertyErrors and their linearized variables
// a_i = (g_i - P_D b_i) / K_D in a domain D: g_i the unit's value, b_i its
// base (1, or [x_i > 0] for watts), P_D the estimate and K_D the divisor
// (the domain's population, or 1 for the totals, whose P_D is 0).
const (
	povHeadcount = iota
	povGap
	povSeverity
	povWatts
	povPoor
	povGapTotal
	povVars
)

var povNames = [povVars]string{"headcount", "gap", "severity", "watts", "poor_population", "gap_total"}

// povertyErrors: the poverty indicators of one line in every breakdown,
// from one pass over the units. The headcount under a national relative
// line includes the line's own sampling variance (R convey's svyarpr: the
// density of the domain's incomes at the line times the linearized line),
// under a grouped relative line each group's (groupedHeadcount); the other
// indicators, and every indicator under an absolute line, hold the line
// fixed.
//
// Every breakdown is a coarsening of the finest grouping F of the study,
// and a_i is linear in the raw sums of g_i and b_i, so one pass adds w g_i
// and w b_i into the (F-domain, PSU) cells, and w^2 g^2, w^2 g, w^2 b into
// the F-domains (for the variance under simple random sampling); a domain
// D of any breakdown then has the PSU totals
//
//	t_Dp = sum_{F-domains f in D} (G_fp - P_D B_fp) / K_D
//
// at the cost of its cells.
func (j *seJob) povertyErrors(breakdowns [][]string, lv *lineValues) {
	u := j.u
	name := lv.line.Name
	F := j.p.groupings[colsKey(j.p.finestCols)]
	fm := j.finestMembers()
	cells := j.e.cells(fm)
	nf := F.size()
	// Which indicators: want[v] when the row of the whole population
	// exists (every breakdown has the same indicators).
	var want [povVars]bool
	wanted := false
	for v := range povVars {
		_, want[v] = j.index[resultKey(povNames[v], name, nil)]
		wanted = wanted || want[v]
	}
	if !wanted {
		return
	}
	ref := j.estimatedRef(lv)
	base := j.base
	const m = povVars // per cell: G for each variable (B is in base)
	cellSums := make([]float64, len(cells.psu)*m)
	// Per F-domain: sum w g, sum w^2 g^2, sum w^2 g per variable, and
	// sum w^2 g L for the headcount's line part; the sums of the base B
	// are in base.
	type fsum struct {
		g, gg, g1 [povVars]float64
		gl        float64
	}
	fs := make([]fsum, nf)
	national, zn := lv.national(), math.NaN() // a national line: every unit's z is zn, not read
	if national {
		zn = lv.values[0]
	}
	// The kernel sums at the line of the units of each F-domain: under a
	// national relative line at zn with the bandwidth of its reference
	// units; under a grouped one (groupedHeadcount), by F-domain and line
	// group, at each group's line with its bandwidth.
	// They run beside the pass below (a goroutine of its own: the tasks of
	// the lines are fewer than twice the cores, and this one keeps them
	// busy to the end).
	gl := j.grouped[lv]
	var kernN, kernF []float64
	var kernels sync.WaitGroup
	ng := 0
	switch {
	case ref != nil && want[povHeadcount]:
		kernels.Go(func() {
			tot := make([]float64, nf)
			for f := range tot {
				tot[f] = j.base.f[f].b
			}
			k := kernelJob{z: zn, h: []float64{ref.h}, cells: F.codes}
			kernN = k.negligibleSums(u, nf, tot)
		})
	case gl != nil && want[povHeadcount]:
		ng = lv.groups.size()
		kernels.Go(func() {
			k := kernelJob{zs: lv.z, h: gl.h, groups: lv.groups.codes, cells: F.codes}
			kernF = k.negligibleSums(u, nf, gl.cellW)
		})
	}
	// One pass in unit order, so that every F-domain and cell gets its
	// units in unit order (as over fm); g is zero for the units that are
	// not poor, which add nothing.
	for i, fc := range F.codes {
		z, x := zn, u.x[i]
		if !national {
			z = lv.z[i]
		}
		if !(x < z) {
			continue
		}
		f, w := int(fc), u.w[i]
		var g [povVars]float64
		g[povHeadcount] = 1
		g1 := (z - x) / z
		g[povGap], g[povSeverity] = g1, g1*g1 // math.Pow(g1, 2) exactly
		if x > 0 && want[povWatts] {
			g[povWatts] = math.Log(z / x)
		}
		g[povPoor] = 1
		if want[povGapTotal] {
			g[povGapTotal] = math.Max(z-x, 0)
		}
		c := int(cells.of[i]) * m
		s := &fs[f]
		for v := range povVars {
			if want[v] {
				wg := w * g[v]
				cellSums[c+v] += wg
				s.g[v] += wg
				s.gg[v] += wg * wg
				s.g1[v] += w * wg
			}
		}
		if ref != nil {
			s.gl += w * w * g[povHeadcount] * ref.l(u, i)
		}
	}
	kernels.Wait()
	sp := j.e.sparse()
	defer j.e.sparsePool.Put(sp)
	n := float64(len(u.x))
	fixed := j.e.methodName() + ", line fixed"
	for _, cols := range breakdowns {
		g := j.p.groupings[colsKey(cols)]
		k := g.size()
		sums := j.lineSumsOf(g, lv)
		// The F-domains of each domain of g.
		of := make([][]int, k)
		for f := range nf {
			if fm.off[f+1] > fm.off[f] {
				d := g.codes[fm.idx[fm.off[f]]]
				of[d] = append(of[d], f)
			}
		}
		// c[d]: the coefficient of the line's linearized variable in the
		// headcount's, the density of the domain's incomes at the line
		// (the line's reference bandwidth h) times dz/dstat (R convey's
		// svyarpr on a subset; Osier 2009).
		var c []float64
		if kernN != nil {
			pop := j.p.stats[statsRequest{cols: cols}.key()].pop
			c = make([]float64, k)
			for d := range k {
				sum := 0.0
				for _, f := range of[d] {
					sum += kernN[f]
				}
				c[d] = sum / (pop[d] * ref.h) * ref.scale
				if !(ref.h > 0) || math.IsNaN(zn) || pop[d] == 0 {
					c[d] = math.NaN()
				}
			}
		}
		for v := range povVars {
			if !want[v] {
				continue
			}
			if v == povHeadcount && kernF != nil {
				kern := make([]float64, k*ng)
				for d := range k {
					for _, f := range of[d] {
						for lg := range ng {
							kern[d*ng+lg] += kernF[f*ng+lg]
						}
					}
				}
				j.groupedHeadcount(g, lv, gl, kern, func(sp *indices.Sparse, d int) {
					j.addPovertyCells(sp, cellSums, cells, of[d], v, povP(v, sums[d]), povK(v, sums[d]))
				}, sums)
				continue
			}
			for d := range k {
				P, K := povP(v, sums[d]), povK(v, sums[d])
				var sumG, sumGG, sumG1, sumB, sumBB, sumGL, sumBL float64
				for _, f := range of[d] {
					s, b := &fs[f], &base.f[f]
					sumG, sumGG, sumG1 = sumG+s.g[v], sumGG+s.gg[v], sumG1+s.g1[v]
					if v == povWatts {
						sumB, sumBB = sumB+b.bp, sumBB+b.bbp
					} else {
						sumB, sumBB = sumB+b.b, sumBB+b.bb
					}
					sumGL = sumGL + s.gl
					if ref != nil {
						sumBL = sumBL + ref.blF[f]
					}
				}
				sp.Reset()
				j.addPovertyCells(sp, cellSums, cells, of[d], v, P, K)
				sumA := (sumG - P*sumB) / K
				sumAA := (sumGG - 2*P*sumG1 + P*P*sumBB) / (K * K)
				method, cd, shared := fixed, 0.0, (*indices.Shared)(nil)
				if v == povHeadcount && ref != nil {
					method, cd, shared = j.e.methodName(), c[d], ref.glob.shared
					sumAL := (sumGL - P*sumBL) / K
					sumA += cd * ref.glob.sumL
					sumAA += 2*cd*sumAL + cd*cd*ref.glob.sumLL
				}
				des := sp.Variance(cd, shared)
				srs := n / (n - 1) * max(sumAA-sumA*sumA/n, 0)
				est := povValue(v, sums[d])
				j.set(povNames[v], name, g, d, est, des, srs, method)
				if j.records != nil {
					r := &linRecord{c: cd}
					if shared != nil {
						r.glob = ref.glob
					}
					r.psu, r.tot = sp.Totals(nil, nil)
					j.keep(povNames[v], name, g, d, r)
				}
			}
		}
	}
}

// addPovertyCells adds to sp the PSU totals of variable v in a domain made
// of the F-domains fs: (G - P B) / K over their cells, G from cellSums
// (povVars per cell) and B from j.base.
func (j *seJob) addPovertyCells(sp *indices.Sparse, cellSums []float64, cells *psuCells, fs []int, v int, P, K float64) {
	b := 0
	if v == povWatts {
		b = 1
	}
	cb := j.base.cell
	for _, f := range fs {
		for c := cells.off[f]; c < cells.off[f+1]; c++ {
			sp.Add(int(cells.psu[c]), (cellSums[c*povVars+v]-P*cb[c*2+b])/K)
		}
	}
}

// povBase are the sums of povertyErrors that do not depend on the line,
// computed once for all lines: per cell of the finest grouping F, sum w
// and sum w [x > 0]; per F-domain, sum w, sum w [x > 0], sum w^2 and
// sum w^2 [x > 0]. Each sum adds its units in unit order.
type povBase struct {
	cell []float64 // cell c: cell[2c], cell[2c+1]
	f    []povBaseF
}

type povBaseF struct{ b, bp, bb, bbp float64 }

// povertyBase computes the povBase of the units.
func (j *seJob) povertyBase() *povBase {
	u := j.u
	F := j.p.groupings[colsKey(j.p.finestCols)]
	cells := j.e.cells(j.finestMembers())
	pb := &povBase{cell: make([]float64, 2*len(cells.psu)), f: make([]povBaseF, F.size())}
	for i, f := range F.codes {
		x, w := u.x[i], u.w[i]
		pos := 0.0
		if x > 0 {
			pos = 1
		}
		c := 2 * int(cells.of[i])
		pb.cell[c] += w
		pb.cell[c+1] += w * pos
		s := &pb.f[f]
		s.b += w
		s.bp += w * pos
		s.bb += w * w
		s.bbp += w * w * pos
	}
	return pb
}

// lineSumsOf returns the poverty sums of line lv in each domain of g: those
// of the point estimates, merged as povertyRows does.
func (j *seJob) lineSumsOf(g *grouping, lv *lineValues) []indices.PovertySums {
	sums := make([]indices.PovertySums, g.size())
	if cells, ok := j.lineCells[lv]; ok {
		for _, cell := range cells {
			if cell.rep >= 0 {
				sums[g.codes[cell.rep]].Merge(cell.sums)
			}
		}
		return sums
	}
	for i, d := range g.codes {
		if z := lv.at(i); !math.IsNaN(z) {
			sums[d].Add(j.u.x[i], j.u.w[i], z)
		}
	}
	return sums
}

// povValue, povP and povK are the estimate, the centre P_D and the
// divisor K_D of variable v in a domain with sums s.
func povValue(v int, s indices.PovertySums) float64 {
	switch v {
	case povHeadcount:
		return s.Headcount()
	case povGap:
		return s.Gap()
	case povSeverity:
		return s.Severity()
	case povWatts:
		return s.Watts()
	case povPoor:
		return s.Poor
	}
	return s.GapMoney
}

func povP(v int, s indices.PovertySums) float64 {
	if v == povPoor || v == povGapTotal {
		return 0
	}
	return povValue(v, s)
}

func povK(v int, s indices.PovertySums) float64 {
	switch v {
	case povPoor, povGapTotal:
		return 1
	case povWatts:
		return s.WattsPop
	}
	return s.Pop
}
