package pipeline

import (
	"context"
	"fmt"
	"slices"

	"github.com/povstat/povstat/datasets"
	"github.com/povstat/povstat/indices"
)

// SplitUnits are the units of analysis of one split of a study's input (a
// Parquet row group or a CSV file, see datasets.Splits), read, screened
// and built as Run reads, screens and builds the units of the whole input:
// the same columns (datasets.ReadSplit with the study's requests), the same
// rules (datasets.Screen) and the same incomes and weights (equivalence,
// persons of household rows). A runner that splits a job across machines
// (pipeline/beam) reads through it, so both paths share one reader and one
// set of screening rules.
type SplitUnits struct {
	X, W []float64 // income and weight of each unit, in row order
	// Factors are the study's categorical columns (lines, domains, region,
	// ratios, design), a code per unit indexing the split's own levels.
	Factors   map[string]SplitFactor
	Screening *datasets.Screening // the split's screening; its Keep marks the rows behind the units
}

// SplitFactor is a categorical column over the units of a split: Levels[Codes[i]]
// is unit i's value, as text ("" for null).
type SplitFactor struct {
	Codes  []int32
	Levels []string
}

// ReadSplitUnits reads, screens and builds the units of one split of the
// study's inputs. Errors name the file, column and row as Run's do.
func ReadSplitUnits(ctx context.Context, s *Study, sp datasets.Split) (*SplitUnits, error) {
	var r SplitUnitsReader
	defer r.Close()
	return r.Read(ctx, s, sp)
}

// SplitUnitsReader reads the units of splits one after another as
// ReadSplitUnits does, with a datasets.SplitReader: the row groups of a
// file open it and parse its footer once, not once per split, and each
// split's columns are decoded into the buffers of the previous one
// (datasets.ReadSplitInto), the units written over them. So the
// SplitUnits of a Read are valid only until the next Read. The zero value
// is ready to use; a SplitUnitsReader is not safe for concurrent use, and
// Close closes the file it keeps open. A runner keeps one per worker.
type SplitUnitsReader struct {
	rd  datasets.SplitReader
	buf *datasets.Table
}

// Read reads, screens and builds the units of one split of the study's
// inputs, as ReadSplitUnits.
func (r *SplitUnitsReader) Read(ctx context.Context, s *Study, sp datasets.Split) (*SplitUnits, error) {
	tbl, err := r.rd.Read(ctx, sp, requests(s), r.buf)
	if err != nil {
		return nil, fmt.Errorf("read inputs: %w", err)
	}
	r.buf = tbl
	roles := s.roles()
	scr, err := datasets.Screen(tbl, roles)
	if err != nil {
		return nil, fmt.Errorf("screen rows: %w", err)
	}
	u, err := makeUnits(s, tbl, scr.Keep, true)
	if err != nil {
		return nil, err
	}
	out := &SplitUnits{X: u.x, W: u.w, Factors: make(map[string]SplitFactor, len(u.factors)), Screening: scr}
	for name, f := range u.factors {
		out.Factors[name] = SplitFactor{Codes: f.codes, Levels: f.levels}
	}
	return out, nil
}

// Close closes the file the reader keeps open, if any. The reader may read
// again (it opens the file anew) and keeps its buffers: drop it to free
// them.
func (r *SplitUnitsReader) Close() error { return r.rd.Close() }

// CompareLevels orders two levels of a column as Run orders domains: both
// numbers, as numbers; a number before any other string; else as strings.
func CompareLevels(a, b string) int { return compareLevels(a, b) }

// EntropyMeasure evaluates the GE, Theil or Atkinson indicator name
// (theil_t, theil_l, ge_<alpha>, atkinson_<epsilon>) from a domain's
// entropy sums as Run does, with the units it leaves out (see
// entropyMeasure). It panics on another name.
func EntropyMeasure(name string, e indices.EntropySums) (v float64, exN int, exW float64) {
	ind, ok := parseIndicator(name)
	if !ok || ind.family != familyInequality || name == "gini" || name == "qsr" || name == "palma" || ind.groups > 0 {
		panic("pipeline: not an entropy measure: " + name)
	}
	return entropyMeasure(e, ind)
}

// QuantileCuts returns the shares of the population p, increasing, at
// whose weighted quantiles the quantile-share indicator name (qsr: 0.2,
// 0.8; palma: 0.4, 0.9; share_q<j>: 0.2, ..., 0.8; share_d<j>: 0.1, ...,
// 0.9) cuts a domain's distribution, as Run cuts it; false for another
// name.
func QuantileCuts(name string) ([]float64, bool) {
	ind, ok := parseIndicator(name)
	if !ok || ind.family != familyInequality || !(name == "qsr" || name == "palma" || ind.groups > 0) {
		return nil, false
	}
	return ineqNeeds{inds: []indicator{ind}}.quantiles(), true
}

// ShareMeasure evaluates the quantile-share indicator name from a domain's
// sums by the groups that the quantiles of QuantileCuts(name) make, as Run
// does: qsr and palma are the top group's income over the bottom group's
// (indices.QSRAt, PalmaAt), share_q<j> and share_d<j> group j's share of the
// total income (indices.SharesAt). It panics on another name or on sums
// with another number of cuts.
func ShareMeasure(name string, s indices.ShareSums) float64 {
	ps, ok := QuantileCuts(name)
	if !ok || len(s.Cuts) != len(ps) {
		panic("pipeline: not a quantile-share measure of these sums: " + name)
	}
	ind, _ := parseIndicator(name)
	if ind.groups > 0 {
		return s.Shares(nil)[ind.group-1]
	}
	return s.TailRatio(1, 1)
}

// InequalityReason is Run's note for an inequality measure without an
// estimate in a domain of population pop.
func InequalityReason(pop float64) string { return inequalityReason(pop) }

// RegionIndicators lists the regional disparity indicators (RegionRows), in
// the order a study with a region column computes them by default.
func RegionIndicators() []string { return slices.Clone(regionIndicators) }

// FinestColumns returns the columns of the finest cross-classification of
// the study (every breakdown's columns, then the region's and the ratios'),
// in Run's order: the sums Run adds by cell (poverty, entropy, and the
// cells' counts, populations and incomes behind the regional measures and
// ratios) are merged into every domain from these cells, in the cells'
// order (groups sorted by their levels, column by column, as
// CompareLevels).
func FinestColumns(s *Study) []string {
	_, finest := statsRequests(s, wants{})
	return finest
}

// SplitRows returns the row counts of a study's splits read one by one, as
// Run reports them for their concatenation (Manifest.Rows): the screenings
// of the splits, in split order, merged (datasets.MergeScreening with the
// study's rules and categorical columns). A runner that screens its splits
// apart (pipeline/beam) reports its rows with it.
func SplitRows(s *Study, parts ...*datasets.Screening) RowCounts {
	var cats []string
	for _, q := range requests(s) {
		if q.Kind == datasets.Categorical {
			cats = append(cats, q.Name)
		}
	}
	read := 0
	for _, p := range parts {
		if p != nil {
			read += p.Rows()
		}
	}
	m := datasets.MergeScreening(s.roles(), cats, parts...)
	return RowCounts{Read: read, Used: m.Kept, Rules: m.Rules}
}

// ResultWarnings returns Run's warnings on a study's results: the units
// that measures undefined for some incomes (Watts, Theil, GE, Atkinson)
// left out of the whole population, one per measure; it fails as Run does
// when the study asks for an error (options.nonpositive: error).
func ResultWarnings(s *Study, results []Result) ([]string, error) {
	return exclusionWarnings(s, results)
}
