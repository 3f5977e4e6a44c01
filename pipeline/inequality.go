package pipeline

import (
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"

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

	sortOnce sync.Once
	sorted   *sortedCells // the units sorted by income (sortedUnits)
}

// ineqNeeds says what the inequality indicators of a study need.
type ineqNeeds struct {
	inds     []indicator // person-level inequality indicators, in study order
	alphas   []float64   // GE parameters other than 0 and 1
	epsilons []float64   // Atkinson parameters other than 0 and 1
	entropy  bool        // some GE, Theil or Atkinson measure (or a Theil decomposition)
	sorted   bool        // gini: needs the units sorted
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
			// Only the Gini sums the units in order of income: the quantile
			// shares' cuts come with the medians (statsRequests) and their
			// sums from one pass in unit order (shareSums).
			nd.sorted = nd.sorted || name == "gini"
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
	codes := g.codes
	if k == 1 { // one cell: every unit in it, no codes read
		codes = nil
	}
	// Blocked by split (units.eachBlock): a block's sums start at zero.
	part := &groupStats{n: make([]int, k), pop: make([]float64, k), income: make([]float64, k)}
	var ent []indices.EntropySums
	if cd.entropy != nil {
		ent = make([]indices.EntropySums, k)
		for c := range ent {
			ent[c] = indices.NewEntropySums(nd.alphas, nd.epsilons)
		}
	}
	many := k > 1<<12 // then the block's cells are listed, not all merged
	var touched []int32
	all := &groupStats{n: cd.n, pop: cd.pop, income: cd.income}
	u.eachBlock(func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var c int32
			if codes != nil {
				c = codes[i]
			}
			if many && part.n[c] == 0 {
				touched = append(touched, c)
			}
			x, w := u.x[i], u.w[i]
			part.n[c]++
			part.pop[c] += w
			part.income[c] += w * x
			if ent != nil {
				ent[c].Add(x, w)
			}
		}
		if ent != nil {
			merge := func(c int) {
				cd.entropy[c].Merge(ent[c])
				ent[c].Reset()
			}
			if many {
				for _, c := range touched {
					merge(int(c))
				}
			} else {
				for c := range ent {
					if part.n[c] > 0 {
						merge(c)
					}
				}
			}
		}
		all.mergeBlock(part, touched, many)
		touched = touched[:0]
	})
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

// sortedCells is every unit in increasing order of income (ties in the
// order of sortedOrder): its income, weight and cell of a grouping. It is
// gathered from the units once, at random, and split into the sorted
// segments of any coarser grouping by sequential passes.
type sortedCells struct {
	x, w  []float64
	cells []int32 // nil for one cell
	ch    chunks
}

// newSortedCells gathers the units in the order of order with their cell
// of g. Each unit's income, weight and cell are first put side by side, so
// that the gather costs one cache miss per unit rather than three.
func newSortedCells(u *units, g *grouping, order []int32) *sortedCells {
	n := len(order)
	ch := newChunks(n)
	if g.size() == 1 {
		return newSortedUnits(u, order, ch)
	}
	type unit struct {
		x, w float64
		cell int32
	}
	units := make([]unit, n)
	ch.run(func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			units[i] = unit{u.x[i], u.w[i], g.codes[i]}
		}
	})
	sc := &sortedCells{x: make([]float64, n), w: make([]float64, n), cells: make([]int32, n), ch: ch}
	ch.run(func(_, lo, hi int) {
		for p, i := range order[lo:hi] {
			v := &units[i]
			sc.x[lo+p], sc.w[lo+p], sc.cells[lo+p] = v.x, v.w, v.cell
		}
	})
	return sc
}

// newSortedUnits is newSortedCells for one cell: no cells are kept.
func newSortedUnits(u *units, order []int32, ch chunks) *sortedCells {
	n := len(order)
	xw := make([][2]float64, n)
	ch.run(func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			xw[i] = [2]float64{u.x[i], u.w[i]}
		}
	})
	sc := &sortedCells{x: make([]float64, n), w: make([]float64, n), ch: ch}
	ch.run(func(_, lo, hi int) {
		for p, i := range order[lo:hi] {
			sc.x[lo+p], sc.w[lo+p] = xw[i][0], xw[i][1]
		}
	})
	return sc
}

// segments splits the sorted units by group, where groupOf[c] is the
// group (of k) of cell c: group j is [off[j], off[j+1]) of xs and ws,
// sorted, ties in the order of the units. A first pass over the chunks
// counts the units of each group in each chunk, which fixes where every
// unit goes, and a second puts them there. One group is the sorted units
// themselves, not a copy: xs and ws are read-only.
func (sc *sortedCells) segments(k int, groupOf []int32) (off []int, xs, ws []float64) {
	n := len(sc.x)
	switch {
	case k == 1:
		return []int{0, n}, sc.x, sc.w
	case sc.cells == nil: // one cell, all in its group
		off = make([]int, k+1)
		for j := groupOf[0] + 1; int(j) <= k; j++ {
			off[j] = n
		}
		return off, sc.x, sc.w
	}
	next := make([][]int, sc.ch.k) // per chunk, the next position of each group
	sc.ch.run(func(c, lo, hi int) {
		cnt := make([]int, k)
		for _, cell := range sc.cells[lo:hi] {
			cnt[groupOf[cell]]++
		}
		next[c] = cnt
	})
	off = make([]int, k+1)
	for j := range k {
		off[j+1] = off[j]
		for c := range next {
			cnt := next[c][j]
			next[c][j] = off[j+1]
			off[j+1] += cnt
		}
	}
	xs, ws = make([]float64, n), make([]float64, n)
	sc.ch.run(func(c, lo, hi int) {
		pos := next[c]
		for p, cell := range sc.cells[lo:hi] {
			j := groupOf[cell]
			xs[pos[j]], ws[pos[j]] = sc.x[lo+p], sc.w[lo+p]
			pos[j]++
		}
	})
	return off, xs, ws
}

// groupsOfCells returns the group of g of each cell of a finer grouping,
// given a unit of each cell (rep; -1 for an empty cell, put in group 0).
func groupsOfCells(g *grouping, rep []int) []int32 {
	groupOf := make([]int32, len(rep))
	for c, i := range rep {
		if i >= 0 {
			groupOf[c] = g.codes[i]
		}
	}
	return groupOf
}

// sortedSegments gathers incomes and weights in sorted order by group of g:
// group j is [off[j], off[j+1]) of xs and ws, sorted (ties in the order of
// order).
func sortedSegments(u *units, g *grouping, order []int32) (off []int, xs, ws []float64) {
	groupOf := make([]int32, g.size())
	for j := range groupOf {
		groupOf[j] = int32(j)
	}
	return newSortedCells(u, g, order).segments(g.size(), groupOf)
}

// sortedUnits returns the units in the order of order with their cell,
// gathered on the first call only: every breakdown's inequality rows share
// them (tabulate drops them once those are done).
func (cd *cellData) sortedUnits(u *units, order []int32) *sortedCells {
	cd.sortOnce.Do(func() { cd.sorted = newSortedCells(u, cd.g, order) })
	return cd.sorted
}

// inequalityRows computes the person-level inequality indicators of every
// domain of g; sets and ss are the quantile shares' sums (shareSums), gini
// the Gini of every domain (nil: from the units in order).
func inequalityRows(u *units, g *grouping, st *groupStats, cd *cellData, order []int32, nd ineqNeeds, sets [][]float64, ss [][]indices.ShareSums, gini []float64) []Result {
	k := g.size()
	var entropy []indices.EntropySums
	if cd.entropy != nil {
		entropy = cd.mergeEntropy(g, nd)
	}
	var off []int
	var xs, ws []float64
	if nd.sorted && gini == nil {
		off, xs, ws = cd.sortedUnits(u, order).segments(k, groupsOfCells(g, cd.rep))
	}
	segs := make([]sortedSegment, k)
	if nd.sorted && gini == nil {
		for j := range segs {
			segs[j] = newSortedSegment(xs[off[j]:off[j+1]], ws[off[j]:off[j+1]])
		}
	}
	var out []Result
	for j := 0; j < k; j++ {
		dom := g.domain(j)
		seg := segs[j]
		for _, ind := range nd.inds {
			r := Result{Indicator: ind.name, Domain: dom, N: st.n[j], Population: st.pop[j]}
			switch {
			case ind.name == "gini" && gini != nil:
				r.Estimate = gini[j]
			case ind.name == "gini":
				r.Estimate = seg.gini()
			case ind.name == "qsr" || ind.name == "palma" || ind.groups > 0:
				cuts, _ := QuantileCuts(ind.name)
				at := slices.IndexFunc(sets, func(c []float64) bool { return slices.Equal(c, cuts) })
				r.Estimate = ShareMeasure(ind.name, ss[j][at])
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

// shareSums returns the sets of cut shares of the quantile-share
// indicators of nd (QuantileCuts, each set once) and, for every domain j of
// g and set c, the domain's sums by the groups its quantiles at those
// shares make (groupQuantiles, as the runners that read row groups find
// them), over its units in unit order, blocked by split (units.eachBlock),
// as the Beam runner sums them split by split.
func shareSums(u *units, g *grouping, st *groupStats, nd ineqNeeds) ([][]float64, [][]indices.ShareSums) {
	sets := nd.shareSets()
	if len(sets) == 0 {
		return nil, nil
	}
	// Each unit's group in every set comes from its group among the union
	// of the sets' shares (the cuts do not decrease, so cut m of the union
	// lies below x exactly when x's union group exceeds m), counted once.
	var union []float64
	for _, ps := range sets {
		union = append(union, ps...)
	}
	slices.Sort(union)
	union = slices.Compact(union)
	nu, ns := len(union), len(sets)
	ng := 0 // groups of the largest set
	for _, ps := range sets {
		ng = max(ng, len(ps)+1)
	}
	table := make([]int, ns*(nu+1)) // set c's group of union group ug: table[c*(nu+1)+ug]
	for c, ps := range sets {
		for ug := range nu + 1 {
			for _, p := range ps {
				if slices.Index(union, p) < ug {
					table[c*(nu+1)+ug]++
				}
			}
		}
	}
	k := g.size()
	qs := make([][]float64, k) // by domain, at the union's shares
	for j := range qs {
		qs[j] = make([]float64, nu)
	}
	if slices.ContainsFunc(union, func(p float64) bool { return st.quantiles[p] == nil }) {
		for j, q := range groupQuantiles(g.codes, k, nil, u.x, u.w, u.blocks, union) {
			copy(qs[j], q)
		}
	} else {
		for m, p := range union { // found with the median (statsRequests)
			for j := range qs {
				qs[j][m] = st.quantiles[p][j]
			}
		}
	}
	total := make([][]indices.ShareSums, k)
	ukey := make([]uint64, k*nu) // the union's cuts of domain j as order keys: ukey[j*nu+m]
	for j := range k {
		total[j] = make([]indices.ShareSums, ns)
		for c, ps := range sets {
			at := make([]float64, len(ps))
			for i, p := range ps {
				at[i] = qs[j][slices.Index(union, p)]
			}
			total[j][c] = indices.NewShareSums(at)
		}
		for m := range union {
			ukey[j*nu+m] = compareKey(qs[j][m])
		}
	}
	codes := g.codes
	if k == 1 {
		codes = nil
	}
	// A block's sums, flat: set c's group grp of domain j at (j*ns+c)*ng+grp.
	type blockSums struct {
		pop, income []float64
		met         []bool
	}
	eachBlockParallel(u, func() *blockSums {
		return &blockSums{pop: make([]float64, k*ns*ng), income: make([]float64, k*ns*ng), met: make([]bool, k)}
	}, func(b *blockSums, lo, hi int) {
		pop, income, met := b.pop, b.income, b.met
		xs, ws := u.x[lo:hi], u.w[lo:hi]
		var cs []int32
		if codes != nil {
			cs = codes[lo:hi]
		}
		for i, x := range xs {
			w := ws[i]
			j := 0
			if cs != nil {
				j = int(cs[i])
			}
			met[j] = true
			// x's union group: the cuts below x, counted by the borrow
			// of key(cut) - key(x), without a branch.
			kx, ug := compareKey(x), 0
			for _, kc := range ukey[j*nu : j*nu+nu] {
				_, borrow := bits.Sub64(kc, kx, 0)
				ug += int(borrow)
			}
			at := j * ns * ng
			for c := range ns { // as ShareSums.Add
				q := at + c*ng + table[c*(nu+1)+ug]
				pop[q] += w
				income[q] += w * x
			}
		}
	}, func(b *blockSums) {
		for j, m := range b.met {
			if !m {
				continue
			}
			for c := range ns {
				at := (j*ns + c) * ng
				n := len(total[j][c].Pop)
				part := indices.ShareSums{Cuts: total[j][c].Cuts, Pop: b.pop[at : at+n], Income: b.income[at : at+n]}
				total[j][c].Merge(part)
				clear(part.Pop)
				clear(part.Income)
			}
			b.met[j] = false
		}
	})
	return sets, total
}

// shareSets returns the sets of cut shares of the quantile-share
// indicators of nd (QuantileCuts), each set once, in order.
func (nd ineqNeeds) shareSets() [][]float64 {
	var sets [][]float64
	for _, ind := range nd.inds {
		if cuts, ok := QuantileCuts(ind.name); ok && !slices.ContainsFunc(sets, func(c []float64) bool { return slices.Equal(c, cuts) }) {
			sets = append(sets, cuts)
		}
	}
	return sets
}

// compareKey maps x to a key in the order of the values as < compares
// them: -0 and +0 share one key (sortKey keeps -0 before +0).
func compareKey(x float64) uint64 {
	if x == 0 {
		x = 0
	}
	return sortKey(x)
}

// quantiles returns the shares of the population p, in increasing order,
// at which the qsr, palma and share indicators cut the distribution.
func (nd ineqNeeds) quantiles() []float64 {
	var ps []float64
	for _, ind := range nd.inds {
		switch {
		case ind.name == "qsr":
			ps = append(ps, 0.2, 0.8)
		case ind.name == "palma":
			ps = append(ps, 0.4, 0.9)
		case ind.groups > 0:
			for j := 1; j < ind.groups; j++ {
				ps = append(ps, float64(j)/float64(ind.groups))
			}
		}
	}
	slices.Sort(ps)
	return slices.Compact(ps)
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
type sortedSegment struct{ x, w []float64 }

func newSortedSegment(x, w []float64) sortedSegment { return sortedSegment{x: x, w: w} }

// nextPositive returns the mean of v and the first income of x of
// positive weight, or v when there is none.
func nextPositive(v float64, x, w []float64) float64 {
	for i, wi := range w {
		if wi > 0 {
			return (v + x[i]) / 2
		}
	}
	return v
}

// gini is laeken's Gini of the segment, its sums joined bucket by bucket
// of the histogram grid as the Beam runner joins them (indices.GiniByBucket).
func (s sortedSegment) gini() float64 {
	var g indices.GiniByBucket
	for i, x := range s.x {
		g.AddSorted(x, s.w[i])
	}
	sums := g.Sums()
	return sums.Gini()
}
