package synth

import (
	"cmp"
	"math"
	"slices"
)

// Design parameters of the geography and the sample.
const (
	allocationPower    = 0.5   // province sample sizes ∝ population^allocationPower
	ruralOversampling  = 1.5   // rural households are sampled at 1.5× the urban rate
	minCountyHH        = 100   // a province keeps its full county count once it has this many households per county
	minProvinceCounty  = 3     // counties per province however small the sample (if it has that many households)
	maxVillageHH       = 20    // sampled households per village at large N
	minVillageHH       = 5     // sampled households per village at small N
	villageHHDivisor   = 20000 // households per village = Households/villageHHDivisor, clamped to [5, 20]
	countySizeSD       = 0.5   // log-sd of county sample sizes within a province
	countyEffectSD     = 0.20  // log-sd of county income effects
	villageEffectSD    = 0.12  // log-sd of village income effects
	villageScoreSD     = 0.7   // noise of village urbanity around its county's
	weightAdjustSD     = 0.25  // log-sd of village weight adjustments within a stratum
	countyDisasterRate = 0.08  // yearly probability that a county of hazard 1 is hit by a disaster
)

// Panel is the fixed frame of a synthetic panel for one Config: the
// geography (provinces, prefectures, counties, villages), the sample design
// and weights, the stratum income parameters and the county-year disasters.
// Households are numbered 0..Households-1 in village order; the rows of a
// year are these households in that order. A Panel is immutable and safe for
// concurrent use.
type Panel struct {
	cfg      Config
	strata   []stratum // index 2*(province code-1) + urban
	counties []county
	villages []village
	disaster []bool    // yearIndex*len(counties) + county index: county hit by a disaster
	grow     []float64 // 2*yearIndex + urban: income growth factor since yearIndex 0
}

// stratum holds the income parameters of a province × urban/rural cell.
type stratum struct {
	id         int32   // province code*10 + 1 urban, + 0 rural
	intercept  float64 // log per-capita market income before household effects
	growth     float64 // yearly growth of log income
	transitory float64 // sd of the yearly transitory shock
	dibao      float64 // Dibao (minimum living guarantee) line, yuan per person per year
	pension    float64 // resident basic pension, yuan per elderly person per year
	health     float64 // baseline health spending, yuan per person per year
}

// county is one county-level division.
type county struct {
	id         int32
	prefecture int32
	province   int32 // code, 1–31
	hazard     float64
	effect     float64 // log-income effect
}

// village is one village (rural) or residents' committee (urban): the PSU.
type village struct {
	id     int64
	first  int   // index of its first household
	county int32 // index into Panel.counties
	urban  bool
	weight float64 // survey weight of each of its households
	effect float64 // log-income effect
}

// New plans the panel for cfg: it lays out the geography and the sample and
// draws the county-year disasters. It returns an error wrapping ErrConfig if
// cfg is invalid. Its cost is small next to generating the rows (well under
// a second for 10 million households).
func New(cfg Config) (*Panel, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ps := Provinces()
	p := &Panel{cfg: cfg, strata: makeStrata(ps, nationalIncome(ps))}
	g := newStream()
	g.reset(cfg.Seed, streamKey(0, kindGeo))
	perVillage := min(max(cfg.Households/villageHHDivisor, minVillageHH), maxVillageHH)
	alloc := provinceAllocation(ps, cfg.Households)
	next := 0
	for i, pr := range ps {
		start := len(p.villages)
		p.layProvince(g, pr, alloc[i], perVillage, next)
		next += alloc[i]
		markUrban(g, p.villages[start:], pr)
	}
	p.setWeights(g, ps)
	p.disaster = drawDisasters(cfg, p.counties)
	p.grow = growthFactors(cfg.Years)
	return p, nil
}

// Config returns the configuration of p with its defaults filled in.
func (p *Panel) Config() Config { return p.cfg }

// provinceAllocation splits n households over the provinces in proportion to
// population^allocationPower, at least one each.
func provinceAllocation(ps []Province, n int) []int {
	w := make([]float64, len(ps))
	for i, pr := range ps {
		w[i] = math.Pow(pr.Population, allocationPower)
	}
	return apportion(n, w, 1)
}

// layProvince appends the counties and villages of province pr, with n
// sampled households numbered from first.
func (p *Panel) layProvince(g *stream, pr Province, n, perVillage, first int) {
	nc := min(pr.Counties, max(minProvinceCounty, n/minCountyHH), n)
	npref := min(pr.Prefectures, nc, max(1, int(math.Round(float64(nc*pr.Prefectures)/float64(pr.Counties)))))
	perPref := apportion(nc, make([]float64, npref), 0)
	sizes := make([]float64, nc)
	for i := range sizes {
		sizes[i] = math.Exp(countySizeSD * g.NormFloat64())
	}
	hh := apportion(n, sizes, 1)
	c0 := len(p.counties)
	c := 0
	for j, k := range perPref {
		pref := int32(pr.Code*100 + j + 1)
		for m := range k {
			p.counties = append(p.counties, county{
				id:         pref*100 + int32(m+1),
				prefecture: pref,
				province:   int32(pr.Code),
				hazard:     pr.Hazard,
				effect:     countyEffectSD * g.NormFloat64(),
			})
			p.layCounty(g, len(p.counties)-1, hh[c], perVillage, first)
			first += hh[c]
			c++
		}
	}
	centreEffects(p.counties[c0:], hh)
}

// centreEffects shifts the county effects of a province so that their mean
// over its sampled households is zero: a province's mean income then
// follows its target rather than the luck of its few county draws.
func centreEffects(cs []county, hh []int) {
	var sum, n float64
	for i, c := range cs {
		sum += c.effect * float64(hh[i])
		n += float64(hh[i])
	}
	for i := range cs {
		cs[i].effect -= sum / n
	}
}

// layCounty appends the villages of county index ci, with n sampled
// households numbered from first.
func (p *Panel) layCounty(g *stream, ci, n, perVillage, first int) {
	nv := min(max(1, int(math.Round(float64(n)/float64(perVillage)))), n)
	id := int64(p.counties[ci].id) * 1_000_000
	v0 := len(p.villages)
	var sum float64
	for j, k := range apportion(n, make([]float64, nv), 0) {
		e := villageEffectSD * g.NormFloat64()
		sum += e
		p.villages = append(p.villages, village{
			id:     id + int64(j+1),
			first:  first,
			county: int32(ci),
			effect: e,
		})
		first += k
	}
	for i := v0; i < len(p.villages); i++ {
		p.villages[i].effect -= sum / float64(nv)
	}
}

// markUrban makes urban the villages of a province with the highest
// urbanity scores (county urbanity plus noise), as many as its urban share
// of the sample asks for, keeping at least two PSUs in each stratum when the
// province has four villages or more.
func markUrban(g *stream, vs []village, pr Province) {
	countyScore := make(map[int32]float64)
	score := make([]float64, len(vs))
	for i, v := range vs {
		cz, ok := countyScore[v.county]
		if !ok {
			cz = g.NormFloat64()
			countyScore[v.county] = cz
		}
		score[i] = cz + villageScoreSD*g.NormFloat64()
	}
	k := urbanVillages(len(vs), sampleUrbanShare(pr.Urban))
	order := make([]int, len(vs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return byDescending(score, a, b) })
	for _, i := range order[:k] {
		vs[i].urban = true
	}
}

// urbanVillages is the number of urban villages out of n for an urban
// sample share s.
func urbanVillages(n int, s float64) int {
	k := int(math.Round(s * float64(n)))
	switch {
	case n >= 4:
		return min(max(k, 2), n-2)
	case n >= 2:
		return min(max(k, 1), n-1)
	}
	return k
}

// sampleUrbanShare is the expected urban share of sampled households in a
// province whose population is urban in proportion u.
func sampleUrbanShare(u float64) float64 {
	hu := u / meanSize(true)
	hr := (1 - u) / meanSize(false)
	return hu / (hu + ruralOversampling*hr)
}

// setWeights gives each village the weight that makes the weighted count of
// households in each stratum equal its population count of households,
// with a lognormal village adjustment within the stratum. A stratum with no
// sampled village (tiny samples) passes its population to the other stratum
// of its province.
func (p *Panel) setWeights(g *stream, ps []Province) {
	sum := make([]float64, len(p.strata))
	adj := make([]float64, len(p.villages))
	for i, v := range p.villages {
		adj[i] = math.Exp(weightAdjustSD * g.NormFloat64())
		sum[p.stratumIndex(v)] += adj[i] * float64(p.villageSize(i))
	}
	pop := make([]float64, len(p.strata))
	for i, pr := range ps {
		pop[2*i+1] = pr.Population * 1e6 * pr.Urban / meanSize(true)
		pop[2*i] = pr.Population * 1e6 * (1 - pr.Urban) / meanSize(false)
		for u := range 2 {
			if sum[2*i+u] == 0 {
				pop[2*i+1-u] += pop[2*i+u]
			}
		}
	}
	for i, v := range p.villages {
		s := p.stratumIndex(v)
		p.villages[i].weight = pop[s] * adj[i] / sum[s]
	}
}

// stratumIndex is the index in p.strata of the stratum of v.
func (p *Panel) stratumIndex(v village) int {
	i := 2 * int(p.counties[v.county].province-1)
	if v.urban {
		i++
	}
	return i
}

// villageSize is the number of sampled households in village i.
func (p *Panel) villageSize(i int) int {
	if i+1 < len(p.villages) {
		return p.villages[i+1].first - p.villages[i].first
	}
	return p.cfg.Households - p.villages[i].first
}

// drawDisasters draws, for every year and county, whether the county is hit
// by a natural disaster, with probability countyDisasterRate × hazard.
func drawDisasters(cfg Config, cs []county) []bool {
	hit := make([]bool, cfg.Years*len(cs))
	g := newStream()
	for y := range cfg.Years {
		g.reset(cfg.Seed, streamKey(uint64(y), kindDisaster))
		for c, ct := range cs {
			hit[y*len(cs)+c] = g.bernoulli(countyDisasterRate * ct.hazard)
		}
	}
	return hit
}

// growthFactors returns exp(growth × yearIndex) for rural and urban
// households in each year, indexed 2*yearIndex + urban.
func growthFactors(years int) []float64 {
	g := make([]float64, 2*years)
	for y := range years {
		g[2*y] = math.Exp(growthRural * float64(y))
		g[2*y+1] = math.Exp(growthUrban * float64(y))
	}
	return g
}

// makeStrata sets the income parameters of every province × urban stratum.
func makeStrata(ps []Province, nat float64) []stratum {
	st := make([]stratum, 2*len(ps))
	for i, pr := range ps {
		yu, yr := stratumIncomes(pr, nat)
		rel := pr.Income / nat
		st[2*i+1] = stratum{
			id:         int32(pr.Code*10 + 1),
			intercept:  math.Log(yu) + calibrationUrban,
			growth:     growthUrban,
			transitory: transitoryUrbanSD,
			dibao:      dibaoShareUrban * yu,
			pension:    basicPension * rel,
			health:     healthPerCapita * math.Sqrt(yu/nat),
		}
		st[2*i] = stratum{
			id:         int32(pr.Code * 10),
			intercept:  math.Log(yr) + calibrationRural,
			growth:     growthRural,
			transitory: transitoryRuralSD,
			dibao:      dibaoShareRural * yr,
			pension:    basicPension * rel,
			health:     healthPerCapita * math.Sqrt(yr/nat),
		}
	}
	return st
}

// apportion splits total into len(w) integers, each at least lo, the rest
// in proportion to w by largest remainders (ties to the lower index). All
// zero weights split evenly. It panics if total < lo*len(w).
func apportion(total int, w []float64, lo int) []int {
	n := len(w)
	rest := total - lo*n
	if rest < 0 {
		panic("synth: apportion below minimum")
	}
	var sum float64
	for _, x := range w {
		sum += x
	}
	share := func(i int) float64 {
		if sum == 0 {
			return float64(rest) / float64(n)
		}
		return float64(rest) * w[i] / sum
	}
	out := make([]int, n)
	frac := make([]float64, n)
	given := 0
	for i := range w {
		s := share(i)
		out[i] = lo + int(s)
		frac[i] = s - math.Floor(s)
		given += int(s)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return byDescending(frac, a, b) })
	for _, i := range order[:rest-given] {
		out[i]++
	}
	return out
}

// byDescending orders indices a and b by decreasing x, ties by increasing
// index, so that sorting is deterministic without being stable.
func byDescending(x []float64, a, b int) int {
	switch {
	case x[a] > x[b]:
		return -1
	case x[a] < x[b]:
		return 1
	}
	return cmp.Compare(a, b)
}
