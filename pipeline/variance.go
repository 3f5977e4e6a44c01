package pipeline

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/povstat/povstat/indices"
)

// ErrLonelyPSU reports a stratum with a single PSU when the study asks
// for an error (design.lonely: fail).
var ErrLonelyPSU = errors.New("stratum with a single PSU")

// varEngine holds the sample design of the units and computes the
// design-based variances of domain estimators with indices.Linearized (R
// survey's svyrecvar; linearized variables as R convey). A domain's
// variable is zero outside it, over the full design: domains are never cut
// out of the sample.
type varEngine struct {
	psu       []int32 // compact PSU of each unit
	stratumOf []int32 // stratum of each PSU
	design    indices.Design
	pseudo    *indices.Linearizer // one pseudo-unit per PSU (psuLinearizer)
	once      sync.Once           // makes pseudo
	// sparsePool holds *indices.Sparse accumulators over pseudo, reused
	// across domains and goroutines.
	sparsePool sync.Pool
	cellCache  sync.Map // *domainMembers -> *psuCells
	df         int      // PSUs minus strata: degrees of freedom of t intervals
	t          float64  // the t quantile of the study's level with df degrees of freedom
}

// newVarEngine builds the design of the units: PSUs nested in strata (a
// PSU code that recurs in two strata is two PSUs), every unit its own PSU
// without a PSU column.
func newVarEngine(s *Study, u *units) (*varEngine, error) {
	n := len(u.x)
	e := &varEngine{psu: make([]int32, n)}
	strata := make([]int32, n)
	if s.Strata != "" {
		copy(strata, u.factors[s.Strata].codes)
	}
	if s.PSU == "" {
		e.stratumOf = strata
		for i := range e.psu {
			e.psu[i] = int32(i)
		}
	} else {
		// PSU ids in order of first appearance of (stratum, PSU code): an
		// array by PSU code for its first stratum, a map for a code that
		// recurs in other strata.
		type key struct{ h, p int32 }
		f := u.factors[s.PSU]
		codes := f.codes
		first := make([]int32, len(f.levels)) // PSU id + 1 of (first stratum, code)
		firstH := make([]int32, len(f.levels))
		other := map[key]int32{}
		for i := range e.psu {
			h, c := strata[i], codes[i]
			switch id := first[c]; {
			case id == 0:
				p := int32(len(e.stratumOf))
				first[c], firstH[c] = p+1, h
				e.stratumOf = append(e.stratumOf, h)
				e.psu[i] = p
			case firstH[c] == h:
				e.psu[i] = id - 1
			default:
				p, ok := other[key{h, c}]
				if !ok {
					p = int32(len(e.stratumOf))
					other[key{h, c}] = p
					e.stratumOf = append(e.stratumOf, h)
				}
				e.psu[i] = p
			}
		}
	}
	lonely, err := indices.ParseLonely(s.Lonely)
	if err != nil {
		return nil, err
	}
	for _, f := range u.fpc {
		if !(f >= 0 && f < 1) {
			return nil, fmt.Errorf("design.fpc: sampling fraction %v is not in [0, 1)", f)
		}
	}
	e.design = indices.Design{Strata: strata, PSU: e.psu, Weights: u.w, FPC: u.fpc, Lonely: lonely}
	// The strata with one PSU and the degrees of freedom from the design
	// of one pseudo-unit per PSU, weighted by its units' total weight: the
	// same as the units' design (a PSU counts when one of its units has a
	// nonzero weight), at the cost of the PSUs.
	pw := make([]float64, len(e.stratumOf))
	for i, p := range e.psu {
		pw[p] += u.w[i]
	}
	pd := e.psuLinearizer() // indexed once, for these and the variances
	if single := pd.SinglePSUStrata(); lonely == indices.LonelyFail && len(single) > 0 {
		return nil, fmt.Errorf("%d strata (%s): %w (set design.lonely to adjust, remove, certainty or average)", len(single), strataNames(s, u, single), ErrLonelyPSU)
	}
	e.df = max(pd.DFWith(pw), 1)
	e.t = indices.TQuantile(0.5+s.Level/2, e.df)
	return e, nil
}

// strataNames names the strata of codes, as column=value (the first five,
// then how many more).
func strataNames(s *Study, u *units, codes []int32) string {
	var names []string
	for k, c := range codes {
		if k == 5 {
			names = append(names, fmt.Sprintf("and %d more", len(codes)-k))
			break
		}
		name := "the whole sample"
		if s.Strata != "" {
			name = s.Strata + "=" + strconv.Quote(u.factors[s.Strata].levels[c])
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}

// linVar is the linearized variable of one estimator in every domain of a
// breakdown: a local part a_i on the units of the domain, plus c[d] times a
// global part L_i shared by all domains (the linearized variable of an
// estimated poverty line; nil when there is none).
type linVar struct {
	a []float64 // per unit, for the unit's own domain
	c []float64 // per domain; nil when L is nil
	L []float64 // per unit; nil for none
}

// domainVariances returns the variance of the estimator in each domain
// of a breakdown, whose units are members.idx[members.off[d]:members.off[d+1]],
// under the design and, for the design effect, under simple random
// sampling with replacement of the same number of units.
//
// One pass over the units adds each unit's weighted local part to the
// total of its (domain, PSU) cell; each domain's cell totals then go to an
// indices.Sparse over one pseudo-unit per PSU (weight 1, its stratum and
// FPC), and the global part's PSU totals, computed once, to an
// indices.Shared: the same variance as indices.Linearized of the
// unit-level variable, at a cost of O(units) for the breakdown plus
// O(cells + strata touched) per domain, instead of O(PSUs) per domain.
func (e *varEngine) domainVariances(members *domainMembers, w []float64, v linVar) ([]float64, []float64) {
	des, srs, _, _ := e.domainVariancesAcc(members, w, v)
	return des, srs
}

// domainVariancesAcc is domainVariances that also returns the cell totals
// (variable 0 of acc) and the global part, for the variances of
// differences (linRecord).
func (e *varEngine) domainVariancesAcc(members *domainMembers, w []float64, v linVar) ([]float64, []float64, *cellAcc, *globalPart) {
	acc := e.newCellAcc(members, 1)
	var glob *globalPart
	var sumAL []float64
	if v.L != nil {
		glob = e.global(w, v.L)
		sumAL = make([]float64, len(members.off)-1)
	}
	for d := range len(members.off) - 1 {
		for _, i := range members.idx[members.off[d]:members.off[d+1]] {
			wa := w[i] * v.a[i]
			acc.add(i, d, 0, wa)
			if glob != nil {
				sumAL[d] += wa * w[i] * v.L[i]
			}
		}
	}
	des, srs := e.accVariances(acc, 0, glob, v.c, sumAL)
	return des, srs, acc, glob
}

// psuCells are the (domain, PSU) cells of the units of a breakdown: the
// cells of domain d are off[d]:off[d+1], of[i] is unit i's cell and psu[c]
// the PSU of cell c.
type psuCells struct {
	of  []int32
	psu []int32
	off []int
}

// cells returns (once per members) the psuCells of a breakdown.
func (e *varEngine) cells(members *domainMembers) *psuCells {
	if c, ok := e.cellCache.Load(members); ok {
		return c.(*psuCells)
	}
	k := len(members.off) - 1
	nPSU := len(e.stratumOf)
	c := &psuCells{of: make([]int32, len(e.psu)), off: make([]int, k+1)}
	cellOfPSU := make([]int32, nPSU)
	seen := make([]int32, nPSU) // domain + 1 that last used the PSU
	for d := range k {
		for _, i := range members.idx[members.off[d]:members.off[d+1]] {
			p := e.psu[i]
			if seen[p] != int32(d)+1 {
				seen[p] = int32(d) + 1
				cellOfPSU[p] = int32(len(c.psu))
				c.psu = append(c.psu, p)
			}
			c.of[i] = cellOfPSU[p]
		}
		c.off[d+1] = len(c.psu)
	}
	stored, _ := e.cellCache.LoadOrStore(members, c)
	return stored.(*psuCells)
}

// cellAcc accumulates m linearized variables of the domains of a
// breakdown at once: per variable, the weighted totals of every (domain,
// PSU) cell, and per domain the sums of w a and (w a)^2 for the variance
// under simple random sampling. Variable k of cell c is tot[c*m+k].
type cellAcc struct {
	cells       *psuCells
	m           int
	tot         []float64
	sumA, sumAA []float64 // per domain*m + k
}

func (e *varEngine) newCellAcc(members *domainMembers, m int) *cellAcc {
	c := e.cells(members)
	k := len(c.off) - 1
	return &cellAcc{cells: c, m: m, tot: make([]float64, len(c.psu)*m),
		sumA: make([]float64, k*m), sumAA: make([]float64, k*m)}
}

// add adds wa, unit i's weighted value of variable k, in domain d.
func (a *cellAcc) add(i int32, d, k int, wa float64) {
	a.tot[int(a.cells.of[i])*a.m+k] += wa
	a.sumA[d*a.m+k] += wa
	a.sumAA[d*a.m+k] += wa * wa
}

// accVariances returns the design and SRS variances in each domain of
// variable k of acc plus c[d] times the global part glob (none when nil);
// sumAL[d] is the sum over the domain's units of (w a)(w L).
func (e *varEngine) accVariances(acc *cellAcc, k int, glob *globalPart, c, sumAL []float64) ([]float64, []float64) {
	nd := len(acc.cells.off) - 1
	sp := e.sparse()
	defer e.sparsePool.Put(sp)
	var shared *indices.Shared
	if glob != nil {
		shared = glob.shared
	}
	n := float64(len(e.psu))
	design, srs := make([]float64, nd), make([]float64, nd)
	for d := range nd {
		sp.Reset()
		for cell := acc.cells.off[d]; cell < acc.cells.off[d+1]; cell++ {
			sp.Add(int(acc.cells.psu[cell]), acc.tot[cell*acc.m+k])
		}
		sumT, sumTT, cd := acc.sumA[d*acc.m+k], acc.sumAA[d*acc.m+k], 0.0
		if glob != nil {
			cd = c[d]
			sumT += cd * glob.sumL
			sumTT += 2*cd*sumAL[d] + cd*cd*glob.sumLL
		}
		design[d] = sp.Variance(cd, shared)
		// Each unit its own PSU, one stratum: n/(n-1) (sum t^2 - (sum t)^2/n).
		srs[d] = n / (n - 1) * max(sumTT-sumT*sumT/n, 0)
	}
	return design, srs
}

// sparse returns an accumulator of the PSU design from the engine's pool
// (put it back with e.sparsePool.Put): one per goroutine.
func (e *varEngine) sparse() *indices.Sparse {
	if sp, ok := e.sparsePool.Get().(*indices.Sparse); ok {
		return sp
	}
	return e.psuLinearizer().NewSparse()
}

// domainMembers lists the units of each domain of a breakdown: domain d
// is idx[off[d]:off[d+1]], in unit order.
type domainMembers struct {
	off []int
	idx []int32
}

func newDomainMembers(codes []int32, k int) *domainMembers {
	m := &domainMembers{off: make([]int, k+1), idx: make([]int32, len(codes))}
	for _, c := range codes {
		m.off[c+1]++
	}
	for d := 1; d <= k; d++ {
		m.off[d] += m.off[d-1]
	}
	next := append([]int(nil), m.off[:k]...)
	for i, c := range codes {
		m.idx[next[c]] = int32(i)
		next[c]++
	}
	return m
}

// newDomainMembersOrdered is newDomainMembers with the units of each domain
// in the order of order (a permutation of the units, such as the units
// sorted by income).
func newDomainMembersOrdered(codes []int32, k int, order []int32) *domainMembers {
	m := &domainMembers{off: make([]int, k+1), idx: make([]int32, len(codes))}
	for _, c := range codes {
		m.off[c+1]++
	}
	for d := 1; d <= k; d++ {
		m.off[d] += m.off[d-1]
	}
	next := append([]int(nil), m.off[:k]...)
	for _, i := range order {
		c := codes[i]
		m.idx[next[c]] = i
		next[c]++
	}
	return m
}

// maskedMembers is newDomainMembers (order nil) or newDomainMembersOrdered
// over the units where mask is true (nil: all units).
func maskedMembers(codes []int32, k int, mask []bool, order []int32) *domainMembers {
	m := &domainMembers{off: make([]int, k+1)}
	for i, c := range codes {
		if mask == nil || mask[i] {
			m.off[c+1]++
		}
	}
	for d := 1; d <= k; d++ {
		m.off[d] += m.off[d-1]
	}
	m.idx = make([]int32, m.off[k])
	next := append([]int(nil), m.off[:k]...)
	add := func(i int32) {
		if mask == nil || mask[i] {
			c := codes[i]
			m.idx[next[c]] = i
			next[c]++
		}
	}
	switch {
	case order == nil:
		for i := range codes {
			add(int32(i))
		}
	case mask == nil:
		for _, i := range order {
			add(i)
		}
	default:
		// In a given order, the units are read at random: one read of
		// their code, -1 outside the mask, instead of two.
		mc := make([]int32, len(codes))
		for i, c := range codes {
			mc[i] = c
			if !mask[i] {
				mc[i] = -1
			}
		}
		for _, i := range order {
			if c := mc[i]; c >= 0 {
				m.idx[next[c]] = i
				next[c]++
			}
		}
	}
	return m
}

// globalPart is a linearized variable L over all units shared by the
// domains of a breakdown (an estimated line's), prepared for
// compactVariance: its PSU totals as an indices.Shared, and its sums for
// the simple random sampling variance.
type globalPart struct {
	L []float64 // nil when no domain's variance needs it (a line's, see refCore)
	// step, when not nil, is L as a step function of the units' incomes
	// x_i and weights w_i: L_i = step[1] for x_i <= stepAt, step[0] for
	// x_i > stepAt, when w_i > 0, and 0 when w_i = 0 (a quantile's
	// influence function), so that L is read from the incomes in order
	// rather than at random (stepL).
	step        *[2]float64
	stepAt      float64
	T           []float64 // per PSU: the weighted totals of L
	shared      *indices.Shared
	sumL, sumLL float64
}

// stepL returns, in dst (grown as needed), the global part's L on units
// of incomes xs and weights ws, from its step (which must not be nil).
func (g *globalPart) stepL(dst, xs, ws []float64) []float64 {
	if cap(dst) < len(xs) {
		dst = make([]float64, len(xs))
	}
	dst = dst[:len(xs)]
	for k, x := range xs {
		dst[k] = 0
		if ws[k] > 0 {
			dst[k] = g.step[b2i(x <= g.stepAt)]
		}
	}
	return dst
}

// global prepares the shared variable L with weights w.
func (e *varEngine) global(w, L []float64) *globalPart {
	g := &globalPart{L: L}
	T := make([]float64, len(e.stratumOf))
	for i, l := range L {
		wl := w[i] * l
		T[e.psu[i]] += wl
		g.sumL += wl
		g.sumLL += wl * wl
	}
	g.T = T
	g.shared = e.psuLinearizer().NewShared(T)
	return g
}

// globalOf is global(w, L) from the PSU totals T of w L and the sums of
// w L and (w L)^2 over the units in unit order, computed by the caller (L
// may be nil when compactVariance will not be given the part).
func (e *varEngine) globalOf(L, T []float64, sumL, sumLL float64) *globalPart {
	return &globalPart{L: L, T: T, shared: e.psuLinearizer().NewShared(T), sumL: sumL, sumLL: sumLL}
}

// compactVariance returns the design and SRS variances of the linearized
// variable that is a[k] on unit idx[k], of weight w[k] and cell cellOf[k]
// (units of domain d of cells; the variable is zero on the other units),
// plus c times the global part g (none when g is nil; gl, when not nil,
// holds its L on the units idx, in their order, read instead of g.L at
// random): the units' weighted
// values are summed by (domain, PSU) cell, and the cells go to sp (reset,
// used as scratch). The per-unit slices are in the domain's own order, so
// that the loop reads them in sequence.
func (e *varEngine) compactVariance(sp *indices.Sparse, cells *psuCells, d int, idx, cellOf []int32, w, a []float64, c float64, g *globalPart, gl []float64) (v, vs float64, tot []float64) {
	base := cells.off[d]
	tot = make([]float64, cells.off[d+1]-base)
	var sumA, sumAA, sumAL float64
	for k, cell := range cellOf {
		wa := w[k] * a[k]
		tot[int(cell)-base] += wa
		sumA += wa
		sumAA += wa * wa
		switch {
		case gl != nil:
			sumAL += wa * w[k] * gl[k]
		case g != nil:
			sumAL += wa * w[k] * g.L[idx[k]]
		}
	}
	sp.Reset()
	for k, t := range tot {
		sp.Add(int(cells.psu[base+k]), t)
	}
	var shared *indices.Shared
	sumT, sumTT := sumA, sumAA
	if g != nil {
		shared = g.shared
		sumT += c * g.sumL
		sumTT += 2*c*sumAL + c*c*g.sumLL
	}
	n := float64(len(w))
	return sp.Variance(c, shared), n / (n - 1) * max(sumTT-sumT*sumT/n, 0), tot
}

// psuLinearizer is the design of one pseudo-unit per PSU, weight 1,
// prepared once.
func (e *varEngine) psuLinearizer() *indices.Linearizer {
	e.once.Do(e.makePseudo)
	return e.pseudo
}

func (e *varEngine) makePseudo() {
	e.pseudo = indices.NewLinearizer(e.psuDesign(), len(e.stratumOf))
}

// psuDesign is the design of one pseudo-unit per PSU, weight 1, with its
// stratum and FPC.
func (e *varEngine) psuDesign() indices.Design {
	nPSU := len(e.stratumOf)
	ids := make([]int32, nPSU)
	ones := make([]float64, nPSU)
	for p := range ids {
		ids[p], ones[p] = int32(p), 1
	}
	var fpc []float64
	if e.design.FPC != nil {
		fpc = make([]float64, nPSU)
		for i, p := range e.psu {
			fpc[p] = e.design.FPC[i]
		}
	}
	return indices.Design{Strata: e.stratumOf, PSU: ids, Weights: ones, FPC: fpc, Lonely: e.design.Lonely}
}

// interval returns the confidence interval estimate ± t se.
func (e *varEngine) interval(est, se float64) (lo, hi float64) {
	return est - e.t*se, est + e.t*se
}

// methodName is the se_method of linearized rows.
func (e *varEngine) methodName() string {
	return "linearized, t(" + strconv.Itoa(e.df) + ")"
}
