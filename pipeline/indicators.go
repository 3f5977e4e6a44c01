package pipeline

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// family says what an indicator needs to be computed.
type family int

const (
	familyBase       family = iota // population, n, mean, median
	familyLine                     // needs a poverty line
	familyInequality               // person-level inequality within each domain
	familyRegion                   // disparity across the groups of the region column
	familyRatio                    // ratio of the means of two groups
	familyLorenz                   // points of the (generalized) Lorenz curve of each domain
)

// indicator is a parsed indicator name.
type indicator struct {
	name   string
	family family
	param  float64 // alpha of ge_<alpha>, epsilon of atkinson_<epsilon>
	group  int     // share_q<group> / share_d<group>: 1-based
	groups int     // 5 for share_q, 10 for share_d
}

var (
	baseIndicators       = []string{"population", "n", "mean", "median"}
	lineIndicatorNames   = []string{"line", "headcount", "gap", "severity", "watts", "sen", "rmpg", "poor_population", "gap_total"}
	inequalityIndicators = []string{"gini", "theil_t", "theil_l", "qsr", "palma"}
	regionIndicators     = []string{"region_mean", "cv", "williamson", "max_min_ratio",
		"theil_t_between", "theil_t_within", "theil_t_between_share",
		"theil_l_between", "theil_l_within", "theil_l_between_share"}
)

// parseIndicator recognises an indicator name, including the parametric
// families ge_<alpha> (any real alpha), atkinson_<epsilon> (epsilon >= 0),
// share_q1..share_q5 and share_d1..share_d10.
func parseIndicator(name string) (indicator, bool) {
	switch {
	case slices.Contains(baseIndicators, name):
		return indicator{name: name, family: familyBase}, true
	case slices.Contains(lineIndicatorNames, name):
		return indicator{name: name, family: familyLine}, true
	case slices.Contains(inequalityIndicators, name):
		return indicator{name: name, family: familyInequality}, true
	case slices.Contains(regionIndicators, name):
		return indicator{name: name, family: familyRegion}, true
	case name == "ratio":
		return indicator{name: name, family: familyRatio}, true
	case slices.Contains(lorenzIndicators, name):
		return indicator{name: name, family: familyLorenz}, true
	}
	if v, ok := strings.CutPrefix(name, "ge_"); ok {
		a, err := strconv.ParseFloat(v, 64)
		if err == nil && !math.IsInf(a, 0) && !math.IsNaN(a) {
			return indicator{name: name, family: familyInequality, param: a}, true
		}
	}
	if v, ok := strings.CutPrefix(name, "atkinson_"); ok {
		e, err := strconv.ParseFloat(v, 64)
		if err == nil && e >= 0 && !math.IsInf(e, 0) {
			return indicator{name: name, family: familyInequality, param: e}, true
		}
	}
	for _, q := range []struct {
		prefix string
		groups int
	}{{"share_q", 5}, {"share_d", 10}} {
		if v, ok := strings.CutPrefix(name, q.prefix); ok {
			k, err := strconv.Atoi(v)
			if err == nil && k >= 1 && k <= q.groups && strconv.Itoa(k) == v {
				return indicator{name: name, family: familyInequality, group: k, groups: q.groups}, true
			}
		}
	}
	return indicator{}, false
}

// knownIndicatorList lists the indicator names for messages, with the
// parametric families as patterns.
func knownIndicatorList() []string {
	var out []string
	out = append(out, baseIndicators...)
	out = append(out, lineIndicatorNames...)
	out = append(out, inequalityIndicators...)
	out = append(out, "ge_<alpha>", "atkinson_<epsilon>", "share_q1..share_q5", "share_d1..share_d10")
	out = append(out, regionIndicators...)
	out = append(out, "ratio")
	return append(out, lorenzIndicators...)
}
