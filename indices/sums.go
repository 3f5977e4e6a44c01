package indices

import "math"

// PovertySums holds the weighted sums behind the additive poverty measures
// for one poverty line, accumulated in one pass over the units of a domain.
// Sums of disjoint parts merge exactly (up to floating-point addition), so a
// job can split its rows into partitions and combine the partial sums.
//
// The zero value is an empty accumulator.
type PovertySums struct {
	N        int     // units added
	Pop      float64 // sum w
	Income   float64 // sum w x
	Poor     float64 // sum w [x < z]
	SumGap   float64 // sum w [x < z] (z - x)/z
	SumGap2  float64 // sum w [x < z] ((z - x)/z)^2
	GapMoney float64 // sum w [x < z] (z - x)

	WattsSum float64 // sum w [0 < x < z] ln(z/x)
	WattsPop float64 // sum w [x > 0]

	NonPositiveN      int     // units with x <= 0
	NonPositiveWeight float64 // their weight

	badLine bool // some unit faced a line z <= 0, where relative gaps do not exist
}

// Add adds one unit with income x and weight w facing the line z. Units of
// one accumulator may face different lines (a line set by group): each unit's
// poverty test and gap use its own z.
func (s *PovertySums) Add(x, w, z float64) {
	s.N++
	s.Pop += w
	s.Income += w * x
	if !(z > 0) {
		s.badLine = true
	}
	if x > 0 {
		s.WattsPop += w
	} else {
		s.NonPositiveN++
		s.NonPositiveWeight += w
	}
	if !(x < z) {
		return
	}
	g := (z - x) / z
	s.Poor += w
	s.SumGap += w * g
	s.SumGap2 += w * g * g
	s.GapMoney += w * (z - x)
	if x > 0 {
		s.WattsSum += w * math.Log(z/x)
	}
}

// AddAll adds every unit of x with its weight (nil weights: 1) for the line z.
// It panics if the lengths differ or a weight is negative.
func (s *PovertySums) AddAll(x, weights []float64, z float64) {
	eachUnit(x, weights, func(v, w float64) { s.Add(v, w, z) })
}

// Merge adds the sums of o, accumulated over other units, to s.
func (s *PovertySums) Merge(o PovertySums) {
	s.N += o.N
	s.Pop += o.Pop
	s.Income += o.Income
	s.Poor += o.Poor
	s.SumGap += o.SumGap
	s.SumGap2 += o.SumGap2
	s.GapMoney += o.GapMoney
	s.WattsSum += o.WattsSum
	s.WattsPop += o.WattsPop
	s.NonPositiveN += o.NonPositiveN
	s.NonPositiveWeight += o.NonPositiveWeight
	s.badLine = s.badLine || o.badLine
}

func (s PovertySums) ratio(num float64) float64 {
	if s.Pop == 0 || s.badLine {
		return math.NaN()
	}
	return num / s.Pop
}

// Mean returns the weighted mean income, NaN when the total weight is zero.
func (s PovertySums) Mean() float64 {
	if s.Pop == 0 {
		return math.NaN()
	}
	return s.Income / s.Pop
}

// Headcount returns FGT(0), the weighted share of units with x < z.
func (s PovertySums) Headcount() float64 {
	if s.Pop == 0 {
		return math.NaN()
	}
	return s.Poor / s.Pop
}

// Gap returns FGT(1), the poverty gap index.
func (s PovertySums) Gap() float64 { return s.ratio(s.SumGap) }

// Severity returns FGT(2), the squared poverty gap index.
func (s PovertySums) Severity() float64 { return s.ratio(s.SumGap2) }

// Watts returns the Watts index over the units with x > 0 (see Watts).
func (s PovertySums) Watts() float64 {
	if s.WattsPop == 0 || s.badLine {
		return math.NaN()
	}
	return s.WattsSum / s.WattsPop
}

// eachUnit calls add for every unit of x with its weight (nil weights: 1),
// the one loop behind the accumulators' AddAll. It panics if the lengths
// differ or a weight is negative.
func eachUnit(x, weights []float64, add func(x, w float64)) {
	if weights != nil && len(weights) != len(x) {
		panic("indices: slice length mismatch")
	}
	for i, v := range x {
		w := weightAt(weights, i)
		if w < 0 {
			panic("indices: negative weight")
		}
		add(v, w)
	}
}
