package pipeline

import (
	"errors"
	"fmt"
	"strconv"

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
	df        int                 // PSUs minus strata: degrees of freedom of t intervals
	t         float64             // the t quantile of the study's level with df degrees of freedom
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
	if single := e.design.SinglePSUStrata(); lonely == indices.LonelyFail && len(single) > 0 {
		return nil, fmt.Errorf("%d strata (codes %v): %w (set design.lonely to adjust, remove, certainty or average)", len(single), single, ErrLonelyPSU)
	}
	e.df = max(e.design.DF(), 1)
	e.t = indices.TQuantile(0.5+s.Level/2, e.df)
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

// domainVariances returns the variance of the estimator in each domain
// of a breakdown, whose units are members.idx[members.off[d]:members.off[d+1]],
// under the design and, for the design effect, under simple random
// sampling with replacement of the same number of units.
//
// Each domain's weighted PSU totals of the linearized variable (its own
// units' local part plus its share of the global part) go to
// indices.Linearized as one pseudo-unit per PSU, with weight 1, its stratum
// and its FPC: the same variance as the unit-level call, at a cost of
// O(units of the domain + PSUs) per domain.
func (e *varEngine) domainVariances(members *domainMembers, w []float64, v linVar) ([]float64, []float64) {
	nPSU := len(e.stratumOf)
	k := len(members.off) - 1
	var T []float64 // the global part's PSU totals
	var sumL, sumLL float64
	if v.L != nil {
		T = make([]float64, nPSU)
		for i, l := range v.L {
			wl := w[i] * l
			T[e.psu[i]] += wl
			sumL += wl
			sumLL += wl * wl
		}
	}
	lin := e.psuLinearizer()
	tot := make([]float64, nPSU)
	n := float64(len(w))
	design, srs := make([]float64, k), make([]float64, k)
	for d := range design {
		c := 0.0
		if v.L != nil {
			c = v.c[d]
			for p, t := range T {
				tot[p] = c * t
			}
		} else {
			clear(tot)
		}
		var sumA, sumAA, sumAL float64
		for _, i := range members.idx[members.off[d]:members.off[d+1]] {
			wa := w[i] * v.a[i]
			tot[e.psu[i]] += wa
			sumA += wa
			sumAA += wa * wa
			if v.L != nil {
				sumAL += wa * w[i] * v.L[i]
			}
		}
		se := lin.Linearized(tot).SE
		design[d] = se * se
		// Each unit its own PSU, one stratum: n/(n-1) (sum t^2 - (sum t)^2/n).
		sumT := sumA + c*sumL
		sumTT := sumAA + 2*c*sumAL + c*c*sumLL
		srs[d] = n / (n - 1) * max(sumTT-sumT*sumT/n, 0)
	}
	return design, srs
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

// psuLinearizer is the design of one pseudo-unit per PSU, weight 1,
// prepared once.
func (e *varEngine) psuLinearizer() *indices.Linearizer {
	if e.pseudo != nil {
		return e.pseudo
	}
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
	d := indices.Design{Strata: e.stratumOf, PSU: ids, Weights: ones, FPC: fpc, Lonely: e.design.Lonely}
	e.pseudo = indices.NewLinearizer(d, nPSU)
	return e.pseudo
}

// units returns the prepared unit-level design with weights w, and the
// simple random sampling design of the same units for design effects.
func (e *varEngine) units(w []float64) (full, srs *indices.Linearizer) {
	d := e.design
	d.Weights = w
	return indices.NewLinearizer(d, len(w)), indices.NewLinearizer(indices.Design{Weights: w}, len(w))
}

// interval returns the confidence interval estimate ± t se.
func (e *varEngine) interval(est, se float64) (lo, hi float64) {
	return est - e.t*se, est + e.t*se
}

// methodName is the se_method of linearized rows.
func (e *varEngine) methodName() string {
	return "linearized, t(" + strconv.Itoa(e.df) + ")"
}
