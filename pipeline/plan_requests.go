package pipeline

import "slices"

// statsRequests lists the group statistics a study needs, in order: every
// breakdown (the whole population first), with its median when the study
// asks for medians and the quantiles that cut its quantile shares and its
// Lorenz curves; the reference groups of every line, with their median
// for a median line; the region's groups. finest is the finest
// cross-classification of the breakdowns, the region and the ratio
// columns, which every breakdown coarsens.
func statsRequests(s *Study, want wants) (reqs []statsRequest, finest []string) {
	breakdowns := append([][]string{nil}, s.Domains...)
	shares := inequalityNeeds(s).quantiles() // the quantile shares' cuts: from the same histograms
	if want.any(lorenzIndicators...) {       // and the Lorenz curves' quantiles
		shares = append(shares, LorenzCutShares()...)
		slices.Sort(shares)
		shares = slices.Compact(shares)
	}
	for _, cols := range breakdowns {
		reqs = append(reqs, statsRequest{cols: cols, median: want["median"], quantiles: shares})
	}
	for i := range s.Lines {
		l := &s.Lines[i]
		r := lineRequest(l)
		r.median = l.Basis == "median"
		reqs = append(reqs, r)
	}
	extra := [][]string{}
	if s.Region != "" {
		extra = append(extra, []string{s.Region})
		reqs = append(reqs, statsRequest{cols: []string{s.Region}})
	}
	for _, r := range s.Ratios {
		extra = append(extra, []string{r.Column})
	}
	return reqs, finestColumns(append(slices.Clone(breakdowns), extra...))
}
