package synth

import (
	"math"
	"sort"
)

// Household is one row of the panel: one household in one year. The
// parquet tags give the column names, which are a contract with the rest of
// povstat. Money is in yuan per year, rounded to the fen.
type Household struct {
	HHID         int64   `parquet:"hh_id,delta"`
	Province     int32   `parquet:"province,dict"`    // 1–31, see Provinces
	Prefecture   int32   `parquet:"prefecture,dict"`  // province*100 + k, unique
	County       int32   `parquet:"county,dict"`      // prefecture*100 + k, unique
	Village      int64   `parquet:"village,delta"`    // county*1e6 + k, unique
	Urban        bool    `parquet:"urban"`            // urban residents' committee rather than rural village
	Stratum      int32   `parquet:"stratum,dict"`     // province*10 + 1 if urban, province*10 if rural
	PSU          int64   `parquet:"psu,delta"`        // primary sampling unit: the village
	Weight       float64 `parquet:"weight,dict"`      // households in the population this household stands for
	HHSize       int32   `parquet:"hh_size,dict"`     // members
	NAdults      int32   `parquet:"n_adults,dict"`    // members aged 14–64 in the first year
	NChildren    int32   `parquet:"n_children,dict"`  // members under 14 in the first year
	NElderly     int32   `parquet:"n_elderly,dict"`   // members 65 and over in the first year
	HeadAge      int32   `parquet:"head_age,dict"`    // age of the household head this year
	HeadFemale   bool    `parquet:"head_female"`      // the head is a woman
	Labour       int32   `parquet:"labour,dict"`      // able-bodied workers
	Illness      bool    `parquet:"illness"`          // a member has a chronic illness this year
	Disability   bool    `parquet:"disability"`       // a member has a disability
	ElderlyAlone bool    `parquet:"elderly_alone"`    // every member is 65 or over
	Disaster     bool    `parquet:"disaster"`         // hit by a natural disaster this year
	Transfers    float64 `parquet:"transfers,snappy"` // public transfers received, per capita
	HealthExp    float64 `parquet:"health_exp"`       // health spending of the household
	Income       float64 `parquet:"income"`           // disposable income per capita, transfers included
	HHIncome     float64 `parquet:"hh_income"`        // Income × HHSize (exactly, as float64)
}

// Income model parameters (see the package documentation).
const (
	calibrationUrban    = 0.06                      // intercept shift that makes urban means match their targets
	calibrationRural    = 0.16                      // same for rural
	growthUrban         = 0.05                      // yearly growth of urban log income
	growthRural         = 0.07                      // yearly growth of rural log income
	skillSD             = 0.35                      // permanent household effect (education, skills)
	topShare            = 0.05                      // share of households with an extra top-tail effect
	topScale            = 0.50                      // mean of that exponential extra effect
	persistentSD        = 0.25                      // stationary sd of the AR(1) component
	persistence         = 0.75                      // AR(1) coefficient
	persistentInnovSD   = 0.25 * 0.6614378277661477 // persistentSD * sqrt(1 - persistence²)
	transitoryUrbanSD   = 0.20                      // yearly transitory shock, urban
	transitoryRuralSD   = 0.30                      // yearly transitory shock, rural (farm income is volatile)
	labourEffect        = 0.9                       // log income per unit of workers per member
	labourRef           = 0.55                      // workers per member at which the labour effect is zero
	illnessPenalty      = 0.35                      // log-income loss in a year of chronic illness
	disabilityPenalty   = 0.25                      // log-income loss of a household with a disabled member
	elderlyPenaltyUrban = 0.10                      // extra loss of urban elderly-only households
	elderlyPenaltyRural = 0.40                      // extra loss of rural elderly-only households
	illnessStay         = 0.70                      // probability that illness continues into next year
	hitRuralInCounty    = 0.40                      // probability a rural household is hit when its county is
	hitUrbanInCounty    = 0.10                      // same for urban households
	hitElsewhere        = 0.008                     // probability of a household-level disaster elsewhere
	damageMin           = 0.30                      // log-income damage of a disaster, at least
	damageRange         = 0.90                      // plus uniform on [0, damageRange)
	damageDecay         = 0.50                      // share of the damage left the next year
	lossRate            = 0.0006                    // yearly probability of a business loss (working households)
	lossZeroShare       = 0.30                      // share of losses that leave exactly zero income
	dibaoShareUrban     = 0.19                      // urban Dibao line / urban mean income of the province
	dibaoShareRural     = 0.35                      // rural Dibao line / rural mean income of the province
	dibaoTakeUp         = 0.65                      // probability an eligible household receives Dibao
	dibaoTakeUpPriority = 0.85                      // same for elderly-only, disabled or ill households
	dibaoLeakage        = 0.04                      // probability an ineligible household below 1.5 lines receives it
	dibaoMinShare       = 0.25                      // smallest Dibao payment, share of the line
	basicPension        = 2040                      // resident basic pension per elderly person at the national mean income
	urbanBasicShare     = 0.35                      // urban elderly on the resident (not employee) pension
	disabilityAllowance = 1200                      // per household with a disabled member
	reliefRate          = 0.60                      // probability a disaster-hit household gets relief
	reliefShare         = 0.30                      // relief per capita, share of the Dibao line
	healthPerCapita     = 700                       // baseline health spending per person at the national mean income
	healthElderly       = 900                       // extra health spending per elderly member
	healthDisability    = 1500                      // extra health spending with a disabled member
	illnessCost         = 5000                      // median extra health spending in a year of illness
)

// traits are the permanent characteristics of a household.
type traits struct {
	adults, children, elderly int32
	headAge                   int32
	headFemale                bool
	disability                bool
	elderlyOnly               bool
	residentPension           bool // its elderly get the resident basic pension
	labour                    int32
	skill                     float64
	illRate                   float64 // stationary probability of illness
}

func (t *traits) size() int32 { return t.adults + t.children + t.elderly }

// Household composition: probabilities of the household types and member
// counts.
const (
	elderlyOnlyUrban   = 0.10 // share of urban households with only members 65+
	elderlyOnlyRural   = 0.15
	singleAdultUrban   = 0.17 // share of one-person households aged 14–64
	singleAdultRural   = 0.08
	singleElderlyShare = 0.45 // elderly-only households of one person
)

func typeDist(urban bool) [3]float64 {
	if urban {
		return [3]float64{elderlyOnlyUrban, singleAdultUrban, 1 - elderlyOnlyUrban - singleAdultUrban}
	}
	return [3]float64{elderlyOnlyRural, singleAdultRural, 1 - elderlyOnlyRural - singleAdultRural}
}

// adultsDist gives P(1..4 adults) in family households.
func adultsDist() [4]float64 { return [4]float64{0.15, 0.60, 0.15, 0.10} }

// childrenDist gives P(0..3 children) in family households.
func childrenDist(urban bool) [4]float64 {
	if urban {
		return [4]float64{0.45, 0.40, 0.13, 0.02}
	}
	return [4]float64{0.35, 0.35, 0.23, 0.07}
}

// elderlyDist gives P(0..2 elderly) in family households.
func elderlyDist(urban bool) [3]float64 {
	if urban {
		return [3]float64{0.78, 0.12, 0.10}
	}
	return [3]float64{0.62, 0.20, 0.18}
}

// meanSize is the expected household size implied by the composition
// probabilities.
func meanSize(urban bool) float64 {
	ty := typeDist(urban)
	family := 0.0
	for k, p := range adultsDist() {
		family += p * float64(k+1)
	}
	for k, p := range childrenDist(urban) {
		family += p * float64(k)
	}
	for k, p := range elderlyDist(urban) {
		family += p * float64(k)
	}
	return ty[0]*(2-singleElderlyShare) + ty[1] + ty[2]*family
}

// drawTraits draws the permanent traits of a household from s.
func drawTraits(s *stream, urban bool) traits {
	var t traits
	ty := typeDist(urban)
	switch s.pick(ty[:]) {
	case 0:
		t.elderlyOnly = true
		t.elderly = 2
		if s.bernoulli(singleElderlyShare) {
			t.elderly = 1
		}
		u := s.Float64()
		t.headAge = 65 + int32(25*u*math.Sqrt(u))
		t.headFemale = s.bernoulli(0.1 + 0.5*float64(2-t.elderly))
	case 1:
		t.adults = 1
		t.headAge = 18 + int32(47*s.Float64())
		t.headFemale = s.bernoulli(0.35)
	default:
		ad, ch, el := adultsDist(), childrenDist(urban), elderlyDist(urban)
		t.adults = int32(s.pick(ad[:]) + 1)
		t.children = int32(s.pick(ch[:]))
		t.elderly = int32(s.pick(el[:]))
		t.headAge = 25 + int32(40*math.Sqrt(s.Float64()))
		t.headFemale = s.bernoulli(0.15)
	}
	hasElderly := 0.0
	if t.elderly > 0 {
		hasElderly = 1
	}
	t.disability = s.bernoulli(0.03 + 0.05*hasElderly)
	t.residentPension = !urban || s.bernoulli(urbanBasicShare)
	t.skill = skillSD * s.NormFloat64()
	if s.bernoulli(topShare) {
		t.skill += topScale * s.ExpFloat64()
	}
	t.labour = drawLabour(s, &t, urban)
	t.illRate = 0.07 + 0.12*hasElderly
	if t.disability {
		t.illRate += 0.05
	}
	return t
}

// drawLabour counts the able-bodied workers: adults who work (a disabled
// member does not) and, mostly in rural areas, elderly members who still
// farm.
func drawLabour(s *stream, t *traits, urban bool) int32 {
	var n int32
	for range t.adults {
		if s.bernoulli(0.88) {
			n++
		}
	}
	pElderly := 0.05
	if !urban {
		pElderly = 0.40
	}
	for range t.elderly {
		if s.bernoulli(pElderly) {
			n++
		}
	}
	if t.disability && n > 0 {
		n--
	}
	return n
}

// yearState is the time-varying state of a household in one year.
type yearState struct {
	ar     float64 // persistent AR(1) component of log income
	damage float64 // remaining log-income damage of disasters
	ill    bool
	hit    bool // hit by a disaster this year
}

// history runs a household from yearIndex 0 to year, drawing the state
// updates at the start of each year's stream, and leaves s positioned after
// them in year.
func (p *Panel) history(s *stream, h int, t *traits, ci int32, urban bool, year int) yearState {
	var st yearState
	stay := illnessStay
	enter := t.illRate * (1 - illnessStay) / (1 - t.illRate)
	for y := 0; y <= year; y++ {
		s.reset(p.cfg.Seed, streamKey(uint64(h), kindYear+uint64(y)))
		nu := s.NormFloat64()
		uIll, uDis := s.pair()
		switch {
		case y == 0:
			st.ar = persistentSD * nu
			st.ill = uIll < t.illRate
		case st.ill:
			st.ar = persistence*st.ar + persistentInnovSD*nu
			st.ill = uIll < stay
		default:
			st.ar = persistence*st.ar + persistentInnovSD*nu
			st.ill = uIll < enter
		}
		st.hit = uDis < p.hitRate(ci, urban, y)
		st.damage *= damageDecay
		if st.hit {
			st.damage += damageMin + damageRange*s.Float64()
		}
	}
	return st
}

// hitRate is the probability that a household of county ci is hit by a
// disaster in year y.
func (p *Panel) hitRate(ci int32, urban bool, y int) float64 {
	if !p.disaster[y*len(p.counties)+int(ci)] {
		return hitElsewhere
	}
	if urban {
		return hitUrbanInCounty
	}
	return hitRuralInCounty
}

// fill writes into dst the rows of households first, first+1, … in year.
func (p *Panel) fill(s *stream, dst []Household, year, first int) {
	vi := sort.Search(len(p.villages), func(i int) bool { return p.villages[i].first > first }) - 1
	for i := range dst {
		h := first + i
		for vi+1 < len(p.villages) && p.villages[vi+1].first <= h {
			vi++
		}
		p.household(s, &dst[i], h, vi, year)
	}
}

// yearDraws are the draws of a household's year that do not carry over to
// later years.
type yearDraws struct {
	transitory  float64 // N(0, 1)
	loss        float64 // U(0, 1): business loss when below lossRate
	lossSize    float64 // U(0, 1)
	takeUp      float64 // U(0, 1): Dibao take-up
	healthNoise float64 // N(0, 1)
	relief      float64 // U(0, 1): disaster relief
}

func drawYear(s *stream) yearDraws {
	return yearDraws{
		transitory:  s.NormFloat64(),
		loss:        s.Float64(),
		lossSize:    s.Float64(),
		takeUp:      s.Float64(),
		healthNoise: s.NormFloat64(),
		relief:      s.Float64(),
	}
}

// household writes into r the row of household h, of village vi, in year.
func (p *Panel) household(s *stream, r *Household, h, vi, year int) {
	v := &p.villages[vi]
	c := &p.counties[v.county]
	st := &p.strata[p.stratumIndex(*v)]
	s.reset(p.cfg.Seed, streamKey(uint64(h), kindTraits))
	t := drawTraits(s, v.urban)
	ys := p.history(s, h, &t, v.county, v.urban, year)
	d := drawYear(s)
	grow := p.grow[2*year+b2i(v.urban)]
	market := marketIncome(st, c, v, &t, &ys, year, d.transitory)
	transfers := transfersPerCapita(st, &t, &ys, market, grow, d.takeUp, d.relief)
	income := market + transfers
	if t.labour > 0 && d.loss < lossRate {
		transfers, income = 0, businessLoss(d.lossSize, grow)
	}
	health := healthSpending(s, st, &t, &ys, d.healthNoise) * grow
	income = round2(income)
	*r = Household{
		HHID:         int64(h) + 1,
		Province:     c.province,
		Prefecture:   c.prefecture,
		County:       c.id,
		Village:      v.id,
		Urban:        v.urban,
		Stratum:      st.id,
		PSU:          v.id,
		Weight:       v.weight,
		HHSize:       t.size(),
		NAdults:      t.adults,
		NChildren:    t.children,
		NElderly:     t.elderly,
		HeadAge:      t.headAge + int32(year),
		HeadFemale:   t.headFemale,
		Labour:       t.labour,
		Illness:      ys.ill,
		Disability:   t.disability,
		ElderlyAlone: t.elderlyOnly,
		Disaster:     ys.hit,
		Transfers:    round2(transfers),
		HealthExp:    round2(health),
		Income:       income,
		HHIncome:     income * float64(t.size()),
	}
}

// marketIncome is the per-capita market income of a household in year,
// the exponential of the log-income equation of the package documentation.
func marketIncome(st *stratum, c *county, v *village, t *traits, ys *yearState, year int, eps float64) float64 {
	size := float64(t.size())
	return math.Exp(st.intercept + st.growth*float64(year) + c.effect + v.effect + t.skill +
		labourEffect*(float64(t.labour)/size-labourRef) - penalties(t, ys, v.urban) +
		ys.ar + st.transitory*eps - ys.damage)
}

// businessLoss is the per-capita income of a household making a loss: zero
// with probability lossZeroShare, else negative (u is uniform on [0, 1)).
func businessLoss(u, grow float64) float64 {
	if u < lossZeroShare {
		return 0
	}
	return -(500 + 20000*u*u) * grow
}

// healthSpending is the household's health spending at yearIndex-0 prices:
// lognormal per member, plus costs of elderly members, disability and,
// drawn from s, a year of illness.
func healthSpending(s *stream, st *stratum, t *traits, ys *yearState, noise float64) float64 {
	x := st.health*float64(t.size())*math.Exp(0.8*noise-0.32) + healthElderly*float64(t.elderly)
	if t.disability {
		x += healthDisability
	}
	if ys.ill {
		x += illnessCost * math.Exp(s.NormFloat64()-0.5)
	}
	return x
}

// penalties is the log-income loss from illness, disability and being an
// elderly-only household.
func penalties(t *traits, ys *yearState, urban bool) float64 {
	var x float64
	if ys.ill {
		x += illnessPenalty
	}
	if t.disability {
		x += disabilityPenalty
	}
	if t.elderlyOnly {
		if urban {
			x += elderlyPenaltyUrban
		} else {
			x += elderlyPenaltyRural
		}
	}
	return x
}

// transfersPerCapita is the public transfers per member: Dibao (gap-filling
// up to the local line, means-tested with imperfect take-up and some
// leakage), the resident basic pension, the disability allowance and
// disaster relief.
func transfersPerCapita(st *stratum, t *traits, ys *yearState, market, grow, uTake, uRelief float64) float64 {
	line := st.dibao * grow
	take := dibaoTakeUp
	if t.elderlyOnly || t.disability || ys.ill {
		take = dibaoTakeUpPriority
	}
	var x float64
	switch {
	case market < line && uTake < take:
		x = max(line-market, dibaoMinShare*line)
	case market >= line && market < 1.5*line && uTake < dibaoLeakage:
		x = dibaoMinShare * line
	}
	size := float64(t.size())
	if t.residentPension {
		x += st.pension * grow * float64(t.elderly) / size
	}
	if t.disability {
		x += disabilityAllowance * grow / size
	}
	if ys.hit && uRelief < reliefRate {
		x += reliefShare * line
	}
	return x
}

// b2i is 1 for true and 0 for false.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// round2 rounds x to two decimals (the fen).
func round2(x float64) float64 { return math.Round(x*100) / 100 }
