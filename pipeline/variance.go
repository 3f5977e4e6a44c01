package pipeline

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/gonum/stat/distuv"
)

// ErrLonelyPSU reports a stratum with a single PSU when the study asks
// for an error (design.lonely: fail).
var ErrLonelyPSU = errors.New("stratum with a single PSU")

// varEngine computes design-based variances of domain estimators by Taylor
// linearization: with t_hp the weighted total of an estimator's linearized
// variable over the units of PSU p of stratum h,
//
//	V = sum_h (1 - f_h) n_h/(n_h - 1) sum_p (t_hp - tbar_h)^2
//
// (R survey's svyrecvar for a one-stage with-replacement approximation; the
// linearized variables follow R convey). A domain's variable is zero
// outside it, over the full design: domains are never cut out of the
// sample.
type varEngine struct {
	psu       []int32   // compact PSU of each unit
	stratumOf []int32   // stratum of each PSU
	nh        []int     // PSUs per stratum
	fh        []float64 // sampling fraction per stratum
	lonely    string
	df        int // PSUs minus strata: degrees of freedom of t intervals
	level     float64
	t         float64 // the t quantile for level with df degrees of freedom
}

// newVarEngine builds the design index of the units: PSUs nested in strata
// (a PSU code that recurs in two strata is two PSUs), every unit its own
// PSU without a PSU column.
func newVarEngine(s *Study, u *units) (*varEngine, error) {
	n := len(u.x)
	e := &varEngine{psu: make([]int32, n), lonely: s.Lonely, level: s.Level}
	strata := make([]int32, n)
	if s.Strata != "" {
		copy(strata, u.factors[s.Strata].codes)
	}
	nStrata := 0
	for _, c := range strata {
		nStrata = max(nStrata, int(c)+1)
	}
	if s.PSU == "" {
		e.stratumOf = strata
		for i := range e.psu {
			e.psu[i] = int32(i)
		}
	} else {
		type key struct{ h, p int32 }
		index := map[key]int32{}
		codes := u.factors[s.PSU].codes
		for i := range e.psu {
			k := key{strata[i], codes[i]}
			p, ok := index[k]
			if !ok {
				p = int32(len(e.stratumOf))
				index[k] = p
				e.stratumOf = append(e.stratumOf, k.h)
			}
			e.psu[i] = p
		}
	}
	e.nh = make([]int, nStrata)
	for _, h := range e.stratumOf {
		e.nh[h]++
	}
	e.fh = make([]float64, nStrata)
	if s.FPC != "" {
		seen := make([]bool, nStrata)
		for i, f := range u.fpc {
			h := strata[i]
			if !(f >= 0 && f < 1) {
				return nil, fmt.Errorf("design.fpc: sampling fraction %v of unit %d is not in [0, 1)", f, i)
			}
			if seen[h] && e.fh[h] != f {
				return nil, fmt.Errorf("design.fpc: the sampling fraction differs within a stratum (%v and %v)", e.fh[h], f)
			}
			seen[h], e.fh[h] = true, f
		}
	}
	for h, n := range e.nh {
		if n == 1 && s.Lonely == "fail" {
			return nil, fmt.Errorf("stratum %d: %w (set design.lonely to adjust, remove, certainty or average)", h, ErrLonelyPSU)
		}
	}
	e.df = len(e.stratumOf) - nStrata
	if e.df < 1 {
		e.df = 1
	}
	e.t = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(e.df)}.Quantile(0.5 + s.Level/2)
	return e, nil
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

// domainVariances returns the variance of the estimator in each domain of
// the breakdown whose domain codes are codes (k domains), with weights w,
// under the design and, for the design effect, under simple random
// sampling with replacement of the same number of units.
func (e *varEngine) domainVariances(codes []int32, k int, w []float64, v linVar) ([]float64, []float64) {
	nPSU := len(e.stratumOf)
	H := len(e.nh)
	var T, ST, STT []float64
	if v.L != nil {
		T = make([]float64, nPSU)
		for i, l := range v.L {
			T[e.psu[i]] += w[i] * l
		}
		ST, STT = make([]float64, H), make([]float64, H)
		for p, t := range T {
			h := e.stratumOf[p]
			ST[h] += t
			STT[h] += t * t
		}
	}
	// Local totals per (domain, PSU), sparse: a unit adds to one pair only;
	// and the sums of the SRS variance.
	// The pairs are kept in first-seen order so that the sums below do not
	// depend on map iteration: the same bytes on every run.
	type key struct{ d, p int32 }
	pairIndex := map[key]int{}
	var pairs []key
	var local []float64
	srsA, srsAA, srsAL := make([]float64, k), make([]float64, k), make([]float64, k)
	var srsL, srsLL float64
	for i, d := range codes {
		wa := w[i] * v.a[i]
		if wa != 0 {
			kp := key{d, e.psu[i]}
			at, ok := pairIndex[kp]
			if !ok {
				at = len(pairs)
				pairIndex[kp] = at
				pairs = append(pairs, kp)
				local = append(local, 0)
			}
			local[at] += wa
		}
		srsA[d] += wa
		srsAA[d] += wa * wa
		if v.L != nil {
			wl := w[i] * v.L[i]
			srsAL[d] += wa * wl
			srsL += wl
			srsLL += wl * wl
		}
	}
	nUnits := float64(len(codes))
	SA, SAA, SAT := make([]float64, k*H), make([]float64, k*H), make([]float64, k*H)
	for pi, kp := range pairs {
		a := local[pi]
		h := int(e.stratumOf[kp.p])
		at := int(kp.d)*H + h
		SA[at] += a
		SAA[at] += a * a
		if T != nil {
			SAT[at] += a * T[kp.p]
		}
	}
	out := make([]float64, k)
	srs := make([]float64, k)
	for d := range out {
		c := 0.0
		if v.c != nil {
			c = v.c[d]
		}
		sumT := srsA[d] + c*srsL
		sumTT := srsAA[d] + 2*c*srsAL[d] + c*c*srsLL
		srs[d] = nUnits / (nUnits - 1) * math.Max(sumTT-sumT*sumT/nUnits, 0)
		var total, lonelySum, lonelySq float64
		var contrib []float64
		for h, n := range e.nh {
			at := d*H + h
			sum, sq := SA[at], SAA[at]
			if T != nil && c != 0 {
				sum += c * ST[h]
				sq += 2*c*SAT[at] + c*c*STT[h]
			}
			if n == 1 {
				lonelySum += sum
				lonelySq += sum * sum
				continue
			}
			ss := sq - sum*sum/float64(n)
			if ss < 0 {
				ss = 0 // rounding
			}
			vh := (1 - e.fh[h]) * float64(n) / float64(n-1) * ss
			contrib = append(contrib, vh)
			total += vh
		}
		out[d] = total + e.lonelyVariance(d, H, contrib, lonelySum, lonelySq, SA, c, ST)
	}
	return out, srs
}

// lonelyVariance is what strata with a single PSU add: nothing (remove,
// certainty), the squared deviation of their PSU totals from the mean PSU
// total of the design (adjust, as R survey), or the mean contribution of the
// other strata for each of them (average).
func (e *varEngine) lonelyVariance(d, H int, contrib []float64, sum, sq float64, SA []float64, c float64, ST []float64) float64 {
	singles := 0
	for _, n := range e.nh {
		if n == 1 {
			singles++
		}
	}
	if singles == 0 {
		return 0
	}
	switch e.lonely {
	case "adjust":
		grand := 0.0
		for h := 0; h < H; h++ {
			grand += SA[d*H+h]
			if ST != nil {
				grand += c * ST[h]
			}
		}
		mean := grand / float64(len(e.stratumOf))
		// sum over singleton PSUs of (t - mean)^2
		return sq - 2*mean*sum + float64(singles)*mean*mean
	case "average":
		if len(contrib) == 0 {
			return math.NaN()
		}
		avg := 0.0
		for _, v := range contrib {
			avg += v
		}
		return avg / float64(len(contrib)) * float64(singles)
	}
	return 0
}

// interval returns the confidence interval estimate ± t se.
func (e *varEngine) interval(est, se float64) (lo, hi float64) {
	return est - e.t*se, est + e.t*se
}

// methodName is the se_method of linearized rows.
func (e *varEngine) methodName() string {
	return "linearized, t(" + strconv.Itoa(e.df) + ")"
}
