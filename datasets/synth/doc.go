// Package synth generates a seeded, deterministic synthetic household panel
// for a China-like country: the same households observed in consecutive
// years, with the geography, survey design and income dynamics that poverty
// and inequality statistics need. It feeds `povstat gen` and `povstat demo`,
// the tests and the benchmarks (10 million households a year).
//
// # Output
//
// Write lays the panel out in the hive layout
//
//	DIR/year=2020/households.parquet
//	DIR/year=2021/households.parquet
//	…
//
// one file per year, with the columns of Household (no year column: readers
// take the year from the path). Every column is required (no nulls) and of a
// standard physical type: INT32, INT64, DOUBLE or BOOLEAN. Low-cardinality
// integers are dictionary encoded, ids delta encoded, transfers (mostly
// zero) snappy compressed. The same Config gives the same bytes, whatever
// GOMAXPROCS is, on a given platform.
//
// # Randomness
//
// Every draw comes from a PCG generator (math/rand/v2) seeded from
// (Config.Seed, key), never from the global source. Each household has its
// own streams: one for its permanent traits and one per year for that
// year's shocks; the geography and the county-year disasters have theirs.
// Keys pass through the SplitMix64 finaliser so that neighbouring
// households get unrelated streams. Year t of household h therefore depends
// only on (seed, h, t), and is computed without materialising earlier years:
// the generator replays the few state-updating draws of years 0..t-1 of
// that household (its AR(1) innovation, illness transition and disaster
// draw), so year t costs O(t) draws per household but no memory. Rows are
// generated in parallel by chunks; chunking does not change them.
//
// # Geography and sample design
//
// The 31 provinces (Provinces) carry their 2020 population, urbanisation
// rate, mean per-capita disposable income (NBS; the richest, Shanghai, has
// 3.6 times the poorest, Gansu), numbers of prefectures and counties, and a
// disaster hazard. Households are allocated to provinces in proportion to
// population^0.5 (small provinces oversampled), at least one each. A
// province gets its real number of counties (2,843 in all, as in China)
// once it has 100 sampled households per county; below that one county per
// 100 households, but at least 3. So 1,000 households give 93 counties,
// 100,000 give 963, and a million or more all 2,843. Prefectures follow the
// province's real counties-per-prefecture ratio (337 at full scale).
// County sample sizes are lognormal (log-sd 0.5). Villages, the PSUs, hold
// Households/20,000 sampled households each, clamped to 5–20 (20 from
// 400,000 households on).
// Ids are hierarchical like China's administrative codes: prefecture =
// province*100+k, county = prefecture*100+k, village = county*1,000,000+k.
//
// Strata are province × urban (stratum = province*10 + 1 if urban, +0 if
// rural). Within a province the villages with the highest urbanity score
// (a county score plus village noise) are urban, as many as the
// province's urban share asks for with rural households oversampled 1.5×,
// keeping at least two PSUs per stratum when the province has four villages
// or more. Weights make the weighted number of households of each stratum
// equal its population count (population × urban share / mean household
// size), times a lognormal village adjustment (log-sd 0.25) renormalised
// within the stratum: they sum to China's 493 million households and,
// multiplied by hh_size, to its 1.41 billion people. Their spread comes
// from the allocation: at 1 million households they run from about 50 to
// 2,000 (at 10 million, 4 to 260).
//
// # Households
//
// Composition is drawn once and kept (ages advance, membership does not):
// elderly-only households (all members 65+, elderly_alone; 10% urban, 15%
// rural; 45% of them one person), one adult aged 14–64 (17% urban, 8%
// rural), and families of 1–4 adults, 0–3 children and 0–2 elderly (rural
// families larger). Mean size is about 2.7 urban, 3.2 rural. A member is
// disabled with probability 3%, 8% with elderly members. Workers (labour)
// are adults who work (88% each, a disabled member does not) and elderly
// who still work (40% rural, 5% urban).
//
// # Income
//
// Per-capita market income of household i in stratum s (province ×
// urban), county c, village v, year t is lognormal given its traits:
//
//	log m_it = a_s + g_u*t + e_c + e_v + skill_i + 0.9*(labour_i/size_i - 0.55)
//	           - 0.35*ill_it - 0.25*disabled_i - d_u*elderlyOnly_i
//	           + p_it + sd_u*eps_it - D_it
//
//	a_s      log of the stratum's target mean + calibration (0.06 urban, 0.16 rural);
//	         the urban and rural targets split the province mean with an
//	         urban/rural ratio of 2.56*(national/province)^0.35
//	g_u      growth, 0.05 urban, 0.07 rural a year
//	e_c, e_v county and village effects, N(0, 0.20²) and N(0, 0.12²),
//	         centred within province and county
//	skill_i  permanent effect N(0, 0.35²), plus Exp(mean 0.5) for 5% (top tail)
//	d_u      elderly-only penalty, 0.10 urban, 0.40 rural
//	p_it     persistent AR(1): p_it = 0.75*p_i,t-1 + innovation, stationary sd 0.25
//	eps_it   transitory N(0,1), sd_u = 0.20 urban, 0.30 rural
//	ill_it   chronic illness, a Markov chain with stationary rate 7%
//	         (+12% with elderly, +5% with a disabled member), persistence 0.7
//	D_it     disaster damage: D_it = 0.5*D_i,t-1 + hit_it*U(0.3, 1.2)
//
// A county is hit by a natural disaster in a year with probability 8% ×
// its province's hazard; in a hit county a rural household is hit with
// probability 40%, an urban one 10%; elsewhere 0.8%. Damage halves each
// year, so hit households fall, often into poverty, and recover: with
// illness spells and the transitory shocks the panel shows poverty exits
// (about a quarter of the poor each year at 50% of the median) and
// re-entries.
//
// A working household makes a business loss with probability 0.06% a year:
// its income is then exactly zero (30%) or negative, and it gets no
// transfers, so a few per 10,000 incomes are zero or negative.
//
// Public transfers (per capita, non-contributory; employee pensions count as
// market income) are:
//
//   - Dibao, the minimum living guarantee: the line is 19% (urban) or 35%
//     (rural) of the stratum's mean income, growing with it; a household
//     whose market income is below it receives the gap, at least a quarter
//     of the line, with take-up 65% (85% if elderly-only, disabled or ill);
//     4% of those between one and 1.5 lines receive a quarter of the line
//   - the resident basic pension, 2,040 yuan a year per elderly member at
//     the national mean income, scaled by the province's relative income,
//     for rural elderly and 35% of urban elderly
//   - a disability allowance of 1,200 yuan per household
//   - disaster relief, 30% of the Dibao line per member, for 60% of hit
//     households
//
// income = market + transfers, rounded to the fen; hh_income = income ×
// hh_size. health_exp is lognormal around 700 yuan per member (scaled by
// the square root of the stratum's relative income) plus 900 per elderly
// member, 1,500 with a disabled member and about 5,000 (lognormal) in a
// year of illness.
//
// # Resulting distribution (2020, weighted by persons)
//
// National median about 31,000 yuan, urban 43,000, rural 16,000; mean
// about 43,000 (urban/rural ratio of means 2.6, provincial means about 1.2
// times the NBS means they are built from, in the same order); Gini about
// 0.44. Headcounts: about 15% below 40% of the median, 21% below 50%, 28%
// below 60%, with rural rates of 60–70% in the poorest provinces (Gansu, Guizhou).
// Urbanisation (persons) 64%. Mean household size 2.9 in the sample.
//
// # Return-to-poverty panel
//
// WriteRisk (RiskConfig, RiskPanel) writes a second, simpler panel in the
// same layout whose true probability of being poor next year is known in
// closed form, so that a fitted risk score can be compared with the best
// achievable one. Columns (RiskHousehold): hh_id, province (uniform 1–31),
// urban (55%), hh_size, labour, illness, disability, elderly_alone,
// disaster, weight, income and p_poor_next. A household is poor when
// income < z, the absolute line RiskConfig.Line (default 4,000).
//
// Traits are permanent: elderly_alone (8% urban, 12% rural; size 1–2, a
// worker with probability 30%), otherwise size 1–5 with 1..min(size, 3)
// workers; disability 5% (10% elderly alone); weight 150 (urban) or 250
// (rural) × exp(0.3 N(0,1)). Log income per capita follows
//
//	ln y_it = a_i + 0.6 (ln y_i,t-1 - a_i) - 0.40 ill_it - 0.50 dis_it + sigma_i eps_it
//	a_i     = ln z + 0.55 + 0.35 urban - 0.35 elderly_alone - 0.20 disability
//	          + 0.50 (labour/size - 0.5) + u_i,   u_i ~ N(0, 0.10²) (not observed)
//	sigma_i = 0.22 urban, 0.32 rural;  eps_it ~ N(0, 1)
//
// The shocks of year t are drawn from probabilities known in t−1:
// P(ill_it) = 0.70 when ill_i,t-1, else 0.04 + 0.08 elderly_alone + 0.05
// disability; P(dis_it) = 0.08 rural, 0.02 urban; the two and eps are
// independent. The process starts 10 years before year 0 (ill = false, ln y
// at a_i plus the AR(1)'s stationary spread), so the panel is near its
// stationary state: about 19.5% of the weighted households (16.5% of the
// sample) are poor every year, and about 16% of the households that left
// poverty return to it each year. Given everything known in year t, with
// m_it = a_i + 0.6 (ln y_it - a_i),
//
//	p_poor_next_it = P(y_i,t+1 < z | t)
//	               = sum_{a,b in {0,1}} P(ill=a) P(dis=b) Phi((ln z - m_it + 0.40 a + 0.50 b) / sigma_i)
//
// (PoorProbability; RiskHousehold.PoorNext recomputes it from a row and its
// latent a_i and sigma_i). Income is exp(ln y), not rounded. Draws come from
// per-household streams as above (one for the traits, one per year), so a
// row depends only on (seed, household, year) and the same RiskConfig gives
// the same bytes.
package synth
