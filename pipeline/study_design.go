package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Variance methods and treatments of strata with a single PSU.
var (
	studySEMethods = []string{"none", "linearized", "bootstrap", "replicates"}
	studyRepTypes  = []string{"bootstrap", "JK1", "JKn", "BRR", "Fay"}
	studyLonely    = []string{"adjust", "remove", "certainty", "average", "fail"}
)

// Defaults of the variance options.
const (
	defaultReplicates = 500
	defaultLevel      = 0.95
	defaultRSELimit   = 0.3
)

// design reads the sample design:
//
//	design:
//	  strata: db040     # stratum column (default: one stratum)
//	  psu: db030        # primary sampling unit column (default: every row its own PSU)
//	  fpc: f            # sampling fraction of the PSUs in the row's stratum (default: none)
//	  lonely: adjust    # strata with one PSU: adjust (default), remove, certainty, average or fail
func (p *studyParser) design(s *Study, e *ast.MappingValueNode) {
	if p.isNull(e) {
		return
	}
	f := p.fields(e.Value, "design", []string{"strata", "psu", "fpc", "lonely"})
	for _, k := range []struct {
		key string
		dst *string
	}{{"strata", &s.Strata}, {"psu", &s.PSU}, {"fpc", &s.FPC}} {
		if ce := f[k.key]; ce != nil {
			if col, ok := p.name(ce.Value, "design."+k.key, "column name"); ok {
				*k.dst = col
				s.keyLines["design."+k.key] = studyLine(ce.Value)
			}
		}
	}
	if le := f["lonely"]; le != nil {
		if v, ok := p.enum(le.Value, "design.lonely", studyLonely...); ok {
			s.Lonely = v
		}
	}
}

// studyDifferences are the kinds of difference rows (see differenceRows).
var studyDifferences = []string{"lines", "domains"}

// variance reads the variance options:
//
//	variance:
//	  method: linearized  # none, linearized (default when a design is given) or bootstrap
//	  replicates: 500     # bootstrap replicates (Rao-Wu rescaled bootstrap; the study seed)
//	  level: 0.95         # confidence level of ci_lower, ci_upper
//	  rse_limit: 0.3      # rows whose relative standard error exceeds it are marked unreliable (0: none)
//	  repweights: "wr*"   # replicate weights shipped with the data (method replicates): a prefix with *
//	  reptype: JK1        # their kind: bootstrap (default), JK1, JKn, BRR or Fay
//	  rho: 0.5            # Fay's coefficient
//	  differences: [lines, domains]   # rows <indicator>_diff (pairs of lines), <indicator>_vs_all (domain minus all)
func (p *studyParser) variance(s *Study, e *ast.MappingValueNode) {
	if p.isNull(e) {
		return
	}
	f := p.fields(e.Value, "variance", []string{"method", "replicates", "level", "rse_limit", "repweights", "reptype", "rho", "differences"})
	if de := f["differences"]; !p.isNull(de) {
		s.Differences = p.choices(de.Value, "variance.differences", "difference", studyDifferences)
	}
	if re := f["repweights"]; re != nil {
		if v, ok := p.name(re.Value, "variance.repweights", "column pattern"); ok {
			s.RepWeights = v
		}
	}
	if te := f["reptype"]; te != nil {
		if v, ok := p.enum(te.Value, "variance.reptype", studyRepTypes...); ok {
			s.RepType = v
		}
	}
	if he := f["rho"]; he != nil {
		if v, ok := p.number(he.Value, "variance.rho"); ok {
			if !(v >= 0 && v < 1) {
				p.fail(he.Value, "variance.rho", "want a number in [0, 1), got %v", v)
			} else {
				s.Rho = v
			}
		}
	}
	if me := f["method"]; me != nil {
		if v, ok := p.enum(me.Value, "variance.method", studySEMethods...); ok {
			s.SEMethod = v
		}
	}
	if re := f["replicates"]; re != nil {
		if v, ok := p.number(re.Value, "variance.replicates"); ok {
			if v != math.Trunc(v) || v < 2 || v > 100000 {
				p.fail(re.Value, "variance.replicates", "want a whole number from 2 to 100000, got %v", v)
			} else {
				s.Replicates = int(v)
			}
		}
	}
	if le := f["level"]; le != nil {
		if v, ok := p.number(le.Value, "variance.level"); ok {
			if !(v > 0 && v < 1) {
				p.fail(le.Value, "variance.level", "want a number between 0 and 1, e.g. 0.95, got %v", v)
			} else {
				s.Level = v
			}
		}
	}
	if re := f["rse_limit"]; re != nil {
		if v, ok := p.number(re.Value, "variance.rse_limit"); ok {
			if !(v >= 0) || math.IsInf(v, 0) {
				p.fail(re.Value, "variance.rse_limit", "want a number >= 0, got %v", v)
			} else {
				s.RSELimit = v
				s.rseLimitSet = true
			}
		}
	}
}

// number reads a finite number.
func (p *studyParser) number(n ast.Node, key string) (float64, bool) {
	text, ok := p.scalar(n)
	if ok {
		if v, err := strconv.ParseFloat(text, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v, true
		}
	}
	p.fail(n, key, "expected a number, got %s", p.show(n))
	return 0, false
}

// completeVariance applies the defaults of the variance options: the
// linearized method when the study names a design and no method, none
// otherwise.
func (s *Study) completeVariance() error {
	if s.SEMethod == "" {
		s.SEMethod = "none"
		switch {
		case s.RepWeights != "":
			s.SEMethod = "replicates"
		case s.Strata != "" || s.PSU != "":
			s.SEMethod = "linearized"
		}
	}
	if s.SEMethod == "replicates" && s.RepType == "" {
		s.RepType = "bootstrap"
	}
	if s.Lonely == "" {
		s.Lonely = "adjust"
	}
	if s.Replicates == 0 {
		s.Replicates = defaultReplicates
	}
	if s.Level == 0 {
		s.Level = defaultLevel
	}
	if !s.rseLimitSet && s.RSELimit == 0 {
		s.RSELimit = defaultRSELimit
	}
	switch {
	case !slices.Contains(studySEMethods, s.SEMethod):
		return fmt.Errorf("variance method %q: want %s", s.SEMethod, studyOr(studySEMethods))
	case !slices.Contains(studyLonely, s.Lonely):
		return fmt.Errorf("lonely %q: want %s", s.Lonely, studyOr(studyLonely))
	case !(s.Level > 0 && s.Level < 1):
		return fmt.Errorf("confidence level %v: want a number between 0 and 1", s.Level)
	case s.Replicates < 2:
		return fmt.Errorf("replicates %d: want at least 2", s.Replicates)
	case s.SEMethod == "replicates" && s.RepWeights == "":
		return fmt.Errorf("variance method replicates needs the replicate weight columns (variance.repweights: PREFIX*, --repweights)")
	case s.SEMethod == "replicates" && !slices.Contains(studyRepTypes, s.RepType):
		return fmt.Errorf("replicate type %q: want %s", s.RepType, studyOr(studyRepTypes))
	case s.Rho != 0 && s.RepType != "Fay":
		return fmt.Errorf("rho %v is for Fay's replicates only", s.Rho)
	}
	return nil
}

// designColumns lists the design columns the study names.
func (s *Study) designColumns() []string {
	var cols []string
	for _, c := range []string{s.Strata, s.PSU} {
		if c != "" {
			cols = append(cols, c)
		}
	}
	return cols
}

// MarkRSELimitSet says that RSELimit was set by the caller, so that a limit
// of 0 (never mark) is not taken for "unset" by Complete.
func (s *Study) MarkRSELimitSet() { s.rseLimitSet = true }

// fpcColumn is the FPC column when standard errors are computed.
func (s *Study) fpcColumn() string {
	if s.SEMethod == "" || s.SEMethod == "none" {
		return ""
	}
	return s.FPC
}

// repColumns expands the replicate-weight pattern (a column name, or a
// prefix followed by *) against the input's columns, in natural order
// (wr2 before wr10).
func (s *Study) repColumns(available []string) ([]string, error) {
	prefix, wild := strings.CutSuffix(s.RepWeights, "*")
	var cols []string
	for _, c := range available {
		if wild && strings.HasPrefix(c, prefix) || !wild && c == s.RepWeights {
			cols = append(cols, c)
		}
	}
	if len(cols) < 2 {
		return nil, fmt.Errorf("variance.repweights %q: %d matching columns, want at least 2 (input has: %s)", s.RepWeights, len(cols), studyColumnList(available))
	}
	slices.SortStableFunc(cols, func(a, b string) int {
		return compareLevels(strings.TrimPrefix(a, prefix), strings.TrimPrefix(b, prefix))
	})
	return cols, nil
}
