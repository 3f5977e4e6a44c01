package synth

import "math"

// Province describes one of the 31 provinces of the synthetic country, with
// figures modelled on mainland China in 2020.
type Province struct {
	Code        int     // 1–31, the value of the province column
	Name        string  // English name of the Chinese province it imitates
	Population  float64 // resident population, millions (2020 census)
	Urban       float64 // share of the population living in urban areas (2020 census)
	Income      float64 // mean per-capita disposable income in 2020, yuan (NBS)
	Prefectures int     // prefecture-level divisions at full scale
	Counties    int     // county-level divisions at full scale
	Hazard      float64 // relative risk of natural disaster, 1 = average
}

// Provinces returns the 31 provinces, in the order of their codes. The
// slice is a fresh copy: changing it does not change the generator.
func Provinces() []Province {
	return []Province{
		{1, "Beijing", 21.89, 0.875, 69434, 1, 16, 0.6},
		{2, "Tianjin", 13.87, 0.847, 43854, 1, 16, 0.6},
		{3, "Hebei", 74.61, 0.601, 27136, 11, 167, 1},
		{4, "Shanxi", 34.92, 0.625, 25214, 11, 117, 1},
		{5, "Inner Mongolia", 24.05, 0.675, 31497, 12, 103, 1.2},
		{6, "Liaoning", 42.59, 0.721, 32738, 14, 100, 0.9},
		{7, "Jilin", 24.07, 0.626, 25751, 9, 60, 1},
		{8, "Heilongjiang", 31.85, 0.656, 24902, 13, 121, 1.1},
		{9, "Shanghai", 24.87, 0.893, 72232, 1, 16, 0.6},
		{10, "Jiangsu", 84.75, 0.734, 43390, 13, 95, 0.8},
		{11, "Zhejiang", 64.57, 0.722, 52397, 11, 90, 0.8},
		{12, "Anhui", 61.03, 0.583, 28103, 16, 104, 1.2},
		{13, "Fujian", 41.54, 0.687, 37202, 9, 84, 1},
		{14, "Jiangxi", 45.19, 0.604, 28017, 11, 100, 1.3},
		{15, "Shandong", 101.53, 0.631, 32886, 16, 136, 0.9},
		{16, "Henan", 99.37, 0.554, 24810, 17, 157, 1.1},
		{17, "Hubei", 57.75, 0.629, 27881, 13, 103, 1.2},
		{18, "Hunan", 66.45, 0.588, 29380, 14, 122, 1.3},
		{19, "Guangdong", 126.01, 0.742, 41029, 21, 122, 0.9},
		{20, "Guangxi", 50.13, 0.542, 24562, 14, 111, 1.4},
		{21, "Hainan", 10.08, 0.603, 27904, 4, 25, 1.3},
		{22, "Chongqing", 32.05, 0.695, 30824, 1, 38, 1.2},
		{23, "Sichuan", 83.67, 0.567, 26522, 21, 183, 1.5},
		{24, "Guizhou", 38.56, 0.532, 21795, 9, 88, 1.5},
		{25, "Yunnan", 47.21, 0.501, 23295, 16, 129, 1.6},
		{26, "Tibet", 3.65, 0.357, 21744, 7, 74, 1.6},
		{27, "Shaanxi", 39.53, 0.627, 26226, 10, 107, 1.2},
		{28, "Gansu", 25.02, 0.522, 20335, 14, 86, 1.6},
		{29, "Qinghai", 5.92, 0.601, 24037, 8, 44, 1.5},
		{30, "Ningxia", 7.20, 0.650, 25735, 5, 22, 1.3},
		{31, "Xinjiang", 25.85, 0.565, 23845, 14, 107, 1.3},
	}
}

// nationalIncome is the population-weighted mean of the provincial incomes.
func nationalIncome(ps []Province) float64 {
	var pop, inc float64
	for _, p := range ps {
		pop += p.Population
		inc += p.Population * p.Income
	}
	return inc / pop
}

// urbanRuralRatio is the ratio of urban to rural mean income in a province
// with mean income y when the national mean is nat: 2.56 (China's 2020
// ratio) at the national mean, wider in poorer provinces.
func urbanRuralRatio(y, nat float64) float64 {
	return 2.56 * math.Pow(nat/y, 0.35)
}

// stratumIncomes splits a province's mean income into urban and rural means
// that reproduce it given its urbanisation rate.
func stratumIncomes(p Province, nat float64) (urban, rural float64) {
	r := urbanRuralRatio(p.Income, nat)
	urban = p.Income / (p.Urban + (1-p.Urban)/r)
	return urban, urban / r
}
