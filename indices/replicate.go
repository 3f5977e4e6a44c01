package indices

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// ReplicateMethod names how a set of replicate weights was formed. The
// method fixes the scale factors of the replicate variance, as the type of
// R survey's svrepdesign does.
type ReplicateMethod string

// The replicate methods, with the scale factors that Replicates.Variance
// uses (see Replicates).
const (
	MethodBootstrap ReplicateMethod = "bootstrap" // Rao–Wu(–Yue) rescaled bootstrap
	MethodJK1       ReplicateMethod = "JK1"       // delete-one-PSU jackknife, unstratified
	MethodJKn       ReplicateMethod = "JKn"       // delete-one-PSU jackknife within strata
	MethodBRR       ReplicateMethod = "BRR"       // balanced repeated replication
	MethodFay       ReplicateMethod = "Fay"       // BRR with Fay's coefficient rho
)

// Replicates is a set of R replicate weights over the n units of a sample and
// the scale factors that turn the spread of replicate estimates into a
// variance:
//
//	v = Scale * sum_r {RScales[r] * (theta_r - c)^2}
//
// where theta_r is the estimate computed with the weights of replicate r and
// c is the mean of the theta_r over the replicates with RScales[r] > 0, or,
// when MSE is set, the full-sample estimate (R survey's svrVar, with its
// default survey.replicates.mse = FALSE). The factors follow R survey 4.x:
//
//	method     Scale                  RScales[r]        survey source (R/surveyrep.R, R/bootstrap.R)
//	bootstrap  1/(R-1)                1                 subbootweights; svrepdesign(type="bootstrap")
//	JK1        (G-1)/G, G PSUs        1                 jk1weights (no fpc)
//	JKn        1                      (n_h-1)/n_h       jknweights (no fpc), h the stratum of the deleted PSU
//	BRR        1/R                    1                 as.svrepdesign, svrepdesign(type="BRR")
//	Fay        1/(R (1-rho)^2)        1                 as.svrepdesign, svrepdesign(type="Fay")
//
// The fields may be changed after construction (for instance Scale = 4/R for
// successive-difference replicates, or a bootstrap whose replicates are
// averages of k bootstrap draws, Scale = k/(R-1)).
//
// Replicates made from a design (RaoWuBootstrap, JK1, JKn, BRR) store no R × n
// matrix: each replicate is a multiplier per PSU, made on demand from the
// design (and, for the bootstrap, the seed), so 500 replicates of 10 million
// units cost the memory of the design alone. Replicates made from supplied
// columns (NewReplicates) keep a reference to them. Either kind keeps a
// reference to the full-sample weights; do not modify them while the
// Replicates is in use. A Replicates is safe for concurrent use.
type Replicates struct {
	Method  ReplicateMethod
	Scale   float64
	RScales []float64 // one per replicate; nil means all 1
	Rho     float64   // Fay's coefficient (0 for BRR); informative, changing it changes no weight
	MSE     bool      // centre on the full-sample estimate, not the replicate mean

	// LonelyStrata counts the strata with a single PSU. They have no
	// replicate variation: the bootstrap gives their PSU multiplier 1 in
	// every replicate and JKn makes no replicate for them, so they add
	// nothing to the variance (survey's lonely.psu = "certainty"). Callers
	// that want "fail" or "adjust" check this count.
	LonelyStrata int

	n       int
	weights []float64 // full-sample weights; nil means 1
	layout  *psuLayout
	kind    repKind
	r       int
	seed    uint64      // bootstrap
	rho     float64     // BRR/Fay multipliers 2-rho and rho
	deleted []int32     // jackknife: the PSU deleted by each replicate
	columns [][]float64 // supplied replicate weights, R × n
}

type repKind uint8

const (
	repColumns repKind = iota
	repBootstrap
	repJackknife
	repBRR
)

// Len returns R, the number of replicates.
func (rp Replicates) Len() int { return rp.r }

// Units returns n, the number of units that the replicate weights cover.
func (rp Replicates) Units() int { return rp.n }

// NumPSU returns the number of PSUs of a design-based Replicates (0 for
// supplied columns): the length of the Multipliers of a replicate.
func (rp Replicates) NumPSU() int {
	if rp.layout == nil {
		return 0
	}
	return rp.layout.numPSU()
}

// Variance returns the replicate variance of an estimator whose full-sample
// estimate is full and whose estimate with the weights of replicate r is
// reps[r]:
//
//	v = Scale * sum_r {RScales[r] * (reps[r] - c)^2}
//
// with c = full when MSE is set and the mean of reps over the replicates with
// RScales[r] > 0 otherwise. full is used only when MSE is set. A NaN
// replicate estimate (an empty domain in some replicate, say) makes the
// variance NaN; R survey would drop that replicate with a warning, povstat
// does not drop replicates silently. It panics if len(reps) != Len().
func (rp Replicates) Variance(full float64, reps []float64) float64 {
	if len(reps) != rp.r {
		panic("indices: slice length mismatch")
	}
	rscale := func(r int) float64 {
		if rp.RScales == nil {
			return 1
		}
		return rp.RScales[r]
	}
	c := full
	if !rp.MSE {
		sum, k := 0.0, 0
		for r, v := range reps {
			if rscale(r) > 0 {
				sum += v
				k++
			}
		}
		c = sum / float64(k)
	}
	v := 0.0
	for r, t := range reps {
		d := t - c
		v += rscale(r) * d * d
	}
	return rp.Scale * v
}

// SE returns the square root of Variance(full, reps).
func (rp Replicates) SE(full float64, reps []float64) float64 {
	return math.Sqrt(rp.Variance(full, reps))
}

// Weights writes the n weights of replicate r to dst and returns it. A nil
// dst is allocated. It panics if r is out of range or len(dst) != Units().
func (rp Replicates) Weights(dst []float64, r int) []float64 {
	dst = replicateDst(dst, rp.n)
	rp.checkReplicate(r)
	if rp.kind == repColumns {
		copy(dst, rp.columns[r])
		return dst
	}
	g := newRepGen(rp)
	rp.expand(dst, g.multipliers(r), rp.weights)
	return dst
}

// Multipliers writes the multiplier of each PSU in replicate r to dst and
// returns it: the replicate weight of a unit is its full-sample weight times
// the multiplier of its PSU. PSUs are numbered stratum by stratum, strata
// and the PSUs within each in order of first appearance in the data (see
// PSUOf). A nil dst is allocated. It panics for supplied columns, if r is out
// of range or if len(dst) != NumPSU().
func (rp Replicates) Multipliers(dst []float64, r int) []float64 {
	if rp.layout == nil {
		panic("indices: supplied replicate weights have no PSU multipliers")
	}
	dst = replicateDst(dst, rp.layout.numPSU())
	rp.checkReplicate(r)
	g := newRepGen(rp)
	copy(dst, g.multipliers(r))
	return dst
}

// PSUOf returns the index, in Multipliers, of the PSU of unit i (-1 for
// supplied columns).
func (rp Replicates) PSUOf(i int) int {
	if rp.layout == nil {
		return -1
	}
	return int(rp.layout.unit[i])
}

// Estimates evaluates an estimator once per replicate: dst[r] = f(w_r), where
// w_r holds the n replicate weights of replicate r (in the order of the
// units). A nil dst is allocated; it panics if len(dst) != Len().
//
// The replicates are evaluated in parallel by up to GOMAXPROCS goroutines,
// each filling its own buffer of n weights, so f must be safe for concurrent
// use; it may modify w, which is refilled before each call, but must not keep
// it. The result does not depend on GOMAXPROCS or on scheduling: dst[r]
// depends on r alone (as long as f is a function of w). A panic in f is
// re-raised in the caller.
func (rp Replicates) Estimates(dst []float64, f func(w []float64) float64) []float64 {
	dst = replicateDst(dst, rp.r)
	rp.parallel(func(g *repGen, w []float64, r int) {
		if rp.kind == repColumns {
			copy(w, rp.columns[r])
		} else {
			rp.expand(w, g.multipliers(r), rp.weights)
		}
		dst[r] = f(w)
	}, true)
	return dst
}

// Totals returns the replicate totals of y: dst[r] = sum_i {w_ri * y_i}, with
// w_ri the weight of unit i in replicate r. nil y means y_i = 1, which gives
// the replicate population sizes. A weighted mean's replicates are then
// Totals(nil, y)[r] / Totals(nil, nil)[r], and so for every ratio of totals
// (a headcount is the mean of the poverty indicator).
//
// For a design-based Replicates this costs O(n) once plus O(G) per replicate
// (G PSUs): the totals of y per PSU are formed once and each replicate
// multiplies them by its PSU multipliers. It runs in parallel over replicates
// and its result does not depend on GOMAXPROCS. A nil dst is allocated; it
// panics if len(dst) != Len() or len(y) != Units().
func (rp Replicates) Totals(dst, y []float64) []float64 {
	dst = replicateDst(dst, rp.r)
	if y != nil && len(y) != rp.n {
		panic("indices: slice length mismatch")
	}
	if rp.kind == repColumns {
		rp.parallel(func(_ *repGen, _ []float64, r int) {
			s := 0.0
			for i, w := range rp.columns[r] {
				s += w * weightAt(y, i)
			}
			dst[r] = s
		}, false)
		return dst
	}
	psuTotal := make([]float64, rp.layout.numPSU())
	for i, g := range rp.layout.unit {
		psuTotal[g] += weightAt(rp.weights, i) * weightAt(y, i)
	}
	rp.parallel(func(g *repGen, _ []float64, r int) {
		s := 0.0
		for j, m := range g.multipliers(r) {
			s += m * psuTotal[j]
		}
		dst[r] = s
	}, false)
	return dst
}

// NewReplicates wraps replicate weights supplied with the data (a public-use
// file's replicate columns): columns[r][i] is the weight of unit i in
// replicate r, the weight itself and not a multiplier of weights (survey's
// combined.weights = TRUE). weights are the full-sample weights (nil: 1).
// rho is Fay's coefficient, 0 <= rho < 1, and must be 0 unless method is
// MethodFay. The scale factors are set as in the table of Replicates:
//
//   - bootstrap: Scale = 1/(R-1), survey's svrepdesign default
//     (bootstrap.average = 1);
//   - JK1: Scale = (R-1)/R, which assumes one replicate per PSU (survey
//     guesses 1/max multiplier; set Scale if the replicates are grouped);
//   - JKn: Scale = 1 and RScales[r] = 1/max_i {columns[r][i] / w_i} over
//     units with w_i > 0, which is (n_h-1)/n_h when replicate r deletes a PSU
//     of a stratum with n_h PSUs (survey's guess for JKn multipliers);
//   - BRR: Scale = 1/R; Fay: Scale = 1/(R (1-rho)^2).
//
// It panics on an unknown method, fewer than two replicates, columns whose
// length differs from weights or from each other, a negative weight, a rho
// out of range, or a JKn replicate whose largest weight ratio is not above 1.
func NewReplicates(method ReplicateMethod, weights []float64, columns [][]float64, rho float64) Replicates {
	R := len(columns)
	if R < 2 {
		panic("indices: fewer than two replicates")
	}
	n := len(columns[0])
	if weights != nil && len(weights) != n {
		panic("indices: slice length mismatch")
	}
	checkRepWeights(weights)
	for _, c := range columns {
		if len(c) != n {
			panic("indices: slice length mismatch")
		}
		checkRepWeights(c)
	}
	if method == MethodFay {
		if !(rho >= 0 && rho < 1) {
			panic("indices: Fay rho out of [0, 1)")
		}
	} else if rho != 0 {
		panic("indices: rho given for a method other than Fay")
	}
	rp := Replicates{Method: method, Rho: rho, n: n, weights: weights, kind: repColumns, r: R, columns: columns}
	switch method {
	case MethodBootstrap:
		rp.Scale = 1 / float64(R-1)
	case MethodJK1:
		rp.Scale = float64(R-1) / float64(R)
	case MethodJKn:
		rp.Scale = 1
		rp.RScales = make([]float64, R)
		for r, c := range columns {
			m := 0.0
			for i, v := range c {
				if w := weightAt(weights, i); w > 0 {
					m = math.Max(m, v/w)
				}
			}
			if !(m > 1) {
				panic("indices: cannot infer the JKn scale of a replicate; set RScales")
			}
			rp.RScales[r] = 1 / m
		}
	case MethodBRR, MethodFay:
		rp.Scale = 1 / (float64(R) * (1 - rho) * (1 - rho))
	default:
		panic("indices: unknown replicate method " + string(method))
	}
	return rp
}

// JK1 returns the delete-one-PSU jackknife replicates of an unstratified
// design: G replicates for G PSUs; replicate r gives PSU r multiplier 0 and
// every other PSU G/(G-1) (R survey's jk1weights). Scale = (G-1)/G, RScales
// all 1. psu holds each unit's PSU code (nil: every unit is its own PSU) and
// weights the full-sample weights (nil: 1). The number of units is the
// length of the first of psu and weights that is not nil.
//
// It panics if the lengths differ, both are nil, a weight is negative or
// there are fewer than two PSUs.
//
// Reference: Wolter (2007), Introduction to Variance Estimation, 2nd ed.,
// ch. 4; R survey's jk1weights.
func JK1(psu []int32, weights []float64) Replicates {
	return jackknife(MethodJK1, nil, psu, weights)
}

// JKn returns the stratified delete-one-PSU jackknife replicates: one
// replicate per PSU of every stratum with at least two PSUs; the replicate
// that deletes a PSU of stratum h (n_h PSUs) gives it multiplier 0, the other
// PSUs of h n_h/(n_h-1) and the PSUs of other strata 1. Scale = 1 and the
// replicate's RScales entry is (n_h-1)/n_h (R survey's jknweights). Replicates
// are ordered by stratum and by PSU within stratum, in order of first
// appearance. A stratum with one PSU gets no replicate (LonelyStrata).
//
// strata and psu hold each unit's stratum and PSU codes (nil strata: one
// stratum; nil psu: every unit is its own PSU); PSU codes are nested in
// strata, so the same code in two strata names two PSUs. It panics if the
// lengths differ, all of strata, psu and weights are nil, a weight is negative
// or no stratum has two PSUs.
//
// Reference: Wolter (2007), ch. 4; R survey's jknweights.
func JKn(strata, psu []int32, weights []float64) Replicates {
	return jackknife(MethodJKn, strata, psu, weights)
}

func jackknife(method ReplicateMethod, strata, psu []int32, weights []float64) Replicates {
	l := newPSULayout(strata, psu, weights)
	rp := Replicates{Method: method, n: len(l.unit), weights: weights, layout: l, kind: repJackknife}
	for h := range l.numStrata() {
		a, b := l.start[h], l.start[h+1]
		nh := b - a
		if nh == 1 {
			rp.LonelyStrata++
			continue
		}
		for g := a; g < b; g++ {
			rp.deleted = append(rp.deleted, int32(g))
			if method == MethodJKn {
				rp.RScales = append(rp.RScales, float64(nh-1)/float64(nh))
			}
		}
	}
	rp.r = len(rp.deleted)
	if rp.r < 2 {
		panic("indices: jackknife needs a stratum with at least two PSUs")
	}
	if method == MethodJK1 {
		g := float64(l.numPSU())
		rp.Scale = (g - 1) / g
	} else {
		rp.Scale = 1
	}
	return rp
}

// BRR returns balanced repeated replication (rho = 0) or Fay's method
// (0 < rho < 1) for a design with exactly two PSUs in every stratum. The
// half-sample pattern is the Sylvester–Hadamard matrix of the smallest order
// R = 2^k > H (H strata) without its row of ones: in replicate r the PSUs of
// stratum h (first and second in order of appearance) get multipliers 2-rho
// and rho when bit-parity(h+1 AND r) is even and rho and 2-rho otherwise.
// Scale = 1/(R (1-rho)^2), RScales all 1. R survey's brrweights uses the
// smallest Hadamard matrix it knows (often smaller than 2^k); any fully
// balanced set gives the same variance for linear statistics.
//
// The arguments are as for JKn. It panics if a stratum does not have exactly
// two PSUs, if rho is outside [0, 1), or as JKn does.
//
// Reference: McCarthy (1969), Pseudo-replication: half samples, Rev. Int.
// Stat. Inst. 37, 239–264; Judkins (1990), Fay's method for variance
// estimation, J. Off. Stat. 6, 223–239; R survey's brrweights.
func BRR(strata, psu []int32, weights []float64, rho float64) Replicates {
	if !(rho >= 0 && rho < 1) {
		panic("indices: Fay rho out of [0, 1)")
	}
	l := newPSULayout(strata, psu, weights)
	for h := range l.numStrata() {
		if l.start[h+1]-l.start[h] != 2 {
			panic("indices: BRR needs exactly two PSUs per stratum")
		}
	}
	R := 1
	for R <= l.numStrata() {
		R *= 2
	}
	method := MethodBRR
	if rho > 0 {
		method = MethodFay
	}
	return Replicates{
		Method: method, Rho: rho, Scale: 1 / (float64(R) * (1 - rho) * (1 - rho)), rho: rho,
		n: len(l.unit), weights: weights, layout: l, kind: repBRR, r: R,
	}
}

// psuLayout numbers the PSUs of a design stratum by stratum.
type psuLayout struct {
	unit  []int32 // PSU of each unit
	start []int   // the PSUs of stratum h are start[h] to start[h+1]-1
}

func (l *psuLayout) numStrata() int { return len(l.start) - 1 }
func (l *psuLayout) numPSU() int    { return l.start[len(l.start)-1] }

// newPSULayout numbers strata in order of first appearance and, within each,
// PSUs in order of first appearance. nil strata is one stratum, nil psu makes
// every unit its own PSU.
func newPSULayout(strata, psu []int32, weights []float64) *psuLayout {
	n := -1
	for _, k := range []int{repLen(strata), repLen(psu), repLen(weights)} {
		if k < 0 {
			continue
		}
		if n >= 0 && k != n {
			panic("indices: slice length mismatch")
		}
		n = k
	}
	if n < 0 {
		panic("indices: no units: strata, psu and weights are all nil")
	}
	checkRepWeights(weights)
	stratumIndex := map[int32]int32{}
	var local []int32 // PSUs so far in each stratum
	psuIndex := map[[2]int32]int32{}
	l := &psuLayout{unit: make([]int32, n)}
	unitStratum := make([]int32, n)
	for i := range n {
		var s int32
		if strata != nil {
			k, ok := stratumIndex[strata[i]]
			if !ok {
				k = int32(len(local))
				stratumIndex[strata[i]] = k
				local = append(local, 0)
			}
			s = k
		} else if len(local) == 0 {
			local = append(local, 0)
		}
		unitStratum[i] = s
		if psu == nil {
			l.unit[i] = local[s]
			local[s]++
			continue
		}
		key := [2]int32{s, psu[i]}
		k, ok := psuIndex[key]
		if !ok {
			k = local[s]
			psuIndex[key] = k
			local[s]++
		}
		l.unit[i] = k
	}
	l.start = make([]int, len(local)+1)
	for h, c := range local {
		l.start[h+1] = l.start[h] + int(c)
	}
	if len(local) == 0 { // no units
		l.start = []int{0, 0}
	}
	for i, s := range unitStratum {
		l.unit[i] += int32(l.start[s])
	}
	return l
}

func repLen[T any](s []T) int {
	if s == nil {
		return -1
	}
	return len(s)
}

func checkRepWeights(weights []float64) {
	for _, w := range weights {
		if w < 0 {
			panic("indices: negative weight")
		}
	}
}

func replicateDst(dst []float64, n int) []float64 {
	if dst == nil {
		return make([]float64, n)
	}
	if len(dst) != n {
		panic("indices: destination length mismatch")
	}
	return dst
}

func (rp Replicates) checkReplicate(r int) {
	if r < 0 || r >= rp.r {
		panic("indices: replicate index out of range")
	}
}

// expand writes the unit weights w_i * mult[psu(i)] to dst.
func (rp Replicates) expand(dst, mult, weights []float64) {
	unit := rp.layout.unit
	if weights == nil {
		for i, g := range unit {
			dst[i] = mult[g]
		}
		return
	}
	for i, g := range unit {
		dst[i] = weights[i] * mult[g]
	}
}

// repGen makes the PSU multipliers of one replicate at a time; one per
// goroutine.
type repGen struct {
	rp   *Replicates
	mult []float64
	src  rand.PCG
}

func newRepGen(rp Replicates) *repGen {
	g := &repGen{rp: &rp}
	if rp.layout != nil {
		g.mult = make([]float64, rp.layout.numPSU())
	}
	return g
}

// multipliers returns the PSU multipliers of replicate r in a buffer that
// the next call overwrites.
func (g *repGen) multipliers(r int) []float64 {
	rp, m := g.rp, g.mult
	l := rp.layout
	switch rp.kind {
	case repBootstrap:
		g.bootstrap(r)
	case repJackknife:
		for i := range m {
			m[i] = 1
		}
		d := int(rp.deleted[r])
		h := l.stratumOfPSU(d)
		a, b := l.start[h], l.start[h+1]
		f := float64(b-a) / float64(b-a-1)
		for j := a; j < b; j++ {
			m[j] = f
		}
		m[d] = 0
	case repBRR:
		hi, lo := 2-rp.rho, rp.rho
		for h := range l.numStrata() {
			a := l.start[h]
			if bits.OnesCount64(uint64(h+1)&uint64(r))%2 == 0 {
				m[a], m[a+1] = hi, lo
			} else {
				m[a], m[a+1] = lo, hi
			}
		}
	}
	return m
}

// stratumOfPSU returns the stratum of PSU g by binary search of start.
func (l *psuLayout) stratumOfPSU(g int) int {
	lo, hi := 0, l.numStrata()-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if l.start[mid] <= g {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// parallel calls do(g, w, r) for every replicate r from up to GOMAXPROCS
// goroutines, each with its own generator and, if buf, its own buffer of n
// weights. A panic in do is re-raised in the caller after the workers stop.
func (rp Replicates) parallel(do func(g *repGen, w []float64, r int), buf bool) {
	workers := min(runtime.GOMAXPROCS(0), rp.r)
	var (
		next    atomic.Int64
		stop    atomic.Bool
		wg      sync.WaitGroup
		once    sync.Once
		problem any
	)
	for range workers {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					once.Do(func() { problem = p })
					stop.Store(true)
				}
			}()
			g := newRepGen(rp)
			var w []float64
			if buf {
				w = make([]float64, rp.n)
			}
			for !stop.Load() {
				r := int(next.Add(1) - 1)
				if r >= rp.r {
					return
				}
				do(g, w, r)
			}
		})
	}
	wg.Wait()
	if problem != nil {
		panic(problem)
	}
}
