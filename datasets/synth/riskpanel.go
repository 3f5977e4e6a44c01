package synth

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

// DefaultRiskLine is the absolute poverty line (yuan per person a year) of
// a RiskConfig whose Line is 0.
const DefaultRiskLine = 4000

// RiskConfig sets the size and seed of a risk panel (see the package
// documentation, "Return-to-poverty panel"). The zero values of Years,
// FirstYear, Line and RowGroupSize take defaults (1, DefaultFirstYear,
// DefaultRiskLine and DefaultRowGroupSize).
type RiskConfig struct {
	Households   int     // households per year, the same every year; at least 1
	Years        int     // consecutive years, 1 when 0
	FirstYear    int     // calendar year of yearIndex 0, DefaultFirstYear when 0
	Seed         uint64  // seed of every random draw
	Line         float64 // absolute poverty line z, DefaultRiskLine when 0
	RowGroupSize int     // rows per Parquet row group, DefaultRowGroupSize when 0
}

func (cfg RiskConfig) withDefaults() (RiskConfig, error) {
	if cfg.Years == 0 {
		cfg.Years = 1
	}
	if cfg.FirstYear == 0 {
		cfg.FirstYear = DefaultFirstYear
	}
	if cfg.Line == 0 {
		cfg.Line = DefaultRiskLine
	}
	if cfg.RowGroupSize == 0 {
		cfg.RowGroupSize = DefaultRowGroupSize
	}
	switch {
	case cfg.Households < 1:
		return cfg, fmt.Errorf("%w: %d households, need at least 1", ErrConfig, cfg.Households)
	case cfg.Years < 0 || cfg.Years > MaxYears:
		return cfg, fmt.Errorf("%w: %d years, need 1 to %d", ErrConfig, cfg.Years, MaxYears)
	case !(cfg.Line > 0) || math.IsInf(cfg.Line, 0):
		return cfg, fmt.Errorf("%w: line %v, need a finite number > 0", ErrConfig, cfg.Line)
	case cfg.RowGroupSize < 0:
		return cfg, fmt.Errorf("%w: negative row group size %d", ErrConfig, cfg.RowGroupSize)
	}
	return cfg, nil
}

// RiskHousehold is one row of the risk panel: one household in one year.
// The column names are those of Household where they apply. Income is
// exp(ln y), not rounded, so that "poor" (income < line) is the event
// ln y < ln z of the model.
type RiskHousehold struct {
	HHID         int64   `parquet:"hh_id,delta"`
	Province     int32   `parquet:"province,dict"` // 1–31, uniform
	Urban        bool    `parquet:"urban"`
	HHSize       int32   `parquet:"hh_size,dict"`
	Labour       int32   `parquet:"labour,dict"` // able-bodied workers
	Illness      bool    `parquet:"illness"`     // a member is ill this year (a shock of this year)
	Disability   bool    `parquet:"disability"`  // a member has a disability (permanent)
	ElderlyAlone bool    `parquet:"elderly_alone"`
	Disaster     bool    `parquet:"disaster"` // hit by a disaster this year (a shock of this year)
	Weight       float64 `parquet:"weight"`
	Income       float64 `parquet:"income"` // per capita, exp(ln y)
	// PPoorNext is the true probability that the household is poor (income
	// below the line) next year given everything known this year: see
	// RiskHousehold.PoorNext. Written for the last year too (a year that is
	// not in the panel).
	PPoorNext float64 `parquet:"p_poor_next"`

	// Latent parameters, not written: the permanent log income a_i and the
	// standard deviation sigma_i of the household's transitory shock.
	Permanent float64 `parquet:"-"`
	Sigma     float64 `parquet:"-"`
}

// Parameters of the return-to-poverty process (see the package
// documentation).
const (
	riskRho          = 0.6  // persistence of log income around a_i
	riskBase         = 0.55 // a_i - ln z of a rural working household of reference
	riskUrban        = 0.35 // a_i shift of urban households
	riskElderly      = 0.35 // a_i loss of elderly-only households
	riskDisabled     = 0.20 // a_i loss of households with a disabled member
	riskLabour       = 0.50 // a_i per unit of workers per member (around 0.5)
	riskPermanentSD  = 0.10 // sd of the unobserved part u_i of a_i
	riskSigmaUrban   = 0.22 // sd of the transitory shock, urban
	riskSigmaRural   = 0.32 // same, rural
	riskIllEffect    = 0.40 // log income lost in a year of illness
	riskDisEffect    = 0.50 // log income lost in a year of disaster
	riskIllStay      = 0.70 // P(ill at t | ill at t−1)
	riskIllBase      = 0.04 // P(ill at t | not ill at t−1), plus the two below
	riskIllElderly   = 0.08 // extra for elderly-only households
	riskIllDisabled  = 0.05 // extra for households with a disabled member
	riskDisRural     = 0.08 // P(disaster) for a rural household
	riskDisUrban     = 0.02 // same, urban
	riskBurnIn       = 10   // years simulated before year 0, so that the panel starts near its stationary state
	riskKindTraits   = 1 << 19
	riskKindYear     = 1<<19 + 1 // + yearIndex
	riskWeightUrban  = 150       // base weight of an urban household
	riskWeightRural  = 250       // base weight of a rural household
	riskWeightSD     = 0.30      // log-sd of the weight around its base
	riskUrbanShare   = 0.55
	riskElderlyUrban = 0.08 // share of elderly-only households, urban
	riskElderlyRural = 0.12 // same, rural
)

// riskTraits are the permanent characteristics of a risk-panel household.
type riskTraits struct {
	province     int32
	urban        bool
	size, labour int32
	disabled     bool
	elderlyAlone bool
	weight       float64
	a, sigma     float64
}

func drawRiskTraits(s *stream, line float64) riskTraits {
	var t riskTraits
	t.province = int32(1 + s.IntN(31))
	t.urban = s.bernoulli(riskUrbanShare)
	pe := riskElderlyRural
	if t.urban {
		pe = riskElderlyUrban
	}
	t.elderlyAlone = s.bernoulli(pe)
	if t.elderlyAlone {
		t.size = int32(1 + s.IntN(2))
		if s.bernoulli(0.3) {
			t.labour = 1
		}
	} else {
		t.size = int32(1 + s.pick([]float64{0.10, 0.25, 0.30, 0.22, 0.13}))
		t.labour = int32(1 + s.IntN(int(min(t.size, 3))))
	}
	pd := 0.05
	if t.elderlyAlone {
		pd = 0.10
	}
	t.disabled = s.bernoulli(pd)
	base := float64(riskWeightRural)
	if t.urban {
		base = riskWeightUrban
	}
	t.weight = base * math.Exp(riskWeightSD*s.NormFloat64())
	t.a = math.Log(line) + riskBase + riskLabour*(float64(t.labour)/float64(t.size)-0.5) +
		riskPermanentSD*s.NormFloat64()
	if t.urban {
		t.a += riskUrban
	}
	if t.elderlyAlone {
		t.a -= riskElderly
	}
	if t.disabled {
		t.a -= riskDisabled
	}
	t.sigma = riskSigmaRural
	if t.urban {
		t.sigma = riskSigmaUrban
	}
	return t
}

// illProb is P(ill at t | ill at t−1 = ill) for a household.
func (t *riskTraits) illProb(ill bool) float64 {
	if ill {
		return riskIllStay
	}
	p := riskIllBase
	if t.elderlyAlone {
		p += riskIllElderly
	}
	if t.disabled {
		p += riskIllDisabled
	}
	return p
}

// disProb is P(disaster at t) for a household.
func (t *riskTraits) disProb() float64 {
	if t.urban {
		return riskDisUrban
	}
	return riskDisRural
}

// PoorProbability returns the probability that ln y_{t+1} < lnLine when
//
//	ln y_{t+1} = mean - riskIll*I - riskDis*D + sigma*eps,  eps ~ N(0, 1)
//
// with I ~ Bernoulli(pIll) and D ~ Bernoulli(pDisaster) independent of
// each other and of eps:
//
//	P = sum_{a,b in {0,1}} P(I=a) P(D=b) Phi((lnLine - mean + illEffect*a + disEffect*b) / sigma)
//
// illEffect and disEffect are the log-income losses of a year of illness and
// of disaster (0.40 and 0.50 in the risk panel).
func PoorProbability(lnLine, mean, sigma, pIll, pDisaster, illEffect, disEffect float64) float64 {
	var p float64
	for a := range 2 {
		pa := 1 - pIll
		if a == 1 {
			pa = pIll
		}
		for b := range 2 {
			pb := 1 - pDisaster
			if b == 1 {
				pb = pDisaster
			}
			zs := (lnLine - mean + illEffect*float64(a) + disEffect*float64(b)) / sigma
			p += pa * pb * 0.5 * math.Erfc(-zs/math.Sqrt2)
		}
	}
	return p
}

// RiskPanel generates the rows of a risk panel.
type RiskPanel struct {
	cfg RiskConfig
}

// NewRiskPanel returns the generator of the risk panel for cfg, or an
// error wrapping ErrConfig.
func NewRiskPanel(cfg RiskConfig) (*RiskPanel, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &RiskPanel{cfg: cfg}, nil
}

// Config returns the configuration with its defaults filled in.
func (p *RiskPanel) Config() RiskConfig { return p.cfg }

// Row returns household h (0-based) in year yearIndex. It replays the
// household's draws of years 0..yearIndex, so it depends only on the
// seed, h and yearIndex. It panics when h or yearIndex is out of range.
func (p *RiskPanel) Row(h, yearIndex int) RiskHousehold {
	if h < 0 || h >= p.cfg.Households || yearIndex < 0 || yearIndex >= p.cfg.Years {
		panic("synth: risk panel row out of range")
	}
	return p.row(newStream(), h, yearIndex)
}

func (p *RiskPanel) row(s *stream, h, yearIndex int) RiskHousehold {
	s.reset(p.cfg.Seed, streamKey(uint64(h)+1, riskKindTraits))
	t := drawRiskTraits(s, p.cfg.Line)
	var lny float64
	var ill, dis bool
	for k := 0; k <= riskBurnIn+yearIndex; k++ {
		s.reset(p.cfg.Seed, streamKey(uint64(h)+1, riskKindYear+uint64(k)))
		uIll, uDis := s.pair()
		eps := s.NormFloat64()
		if k == 0 {
			// The start of the burn-in: illness at its rate for a household
			// not ill before, log income around a_i with the AR(1)'s
			// stationary spread.
			ill = uIll < t.illProb(false)
			dis = uDis < t.disProb()
			lny = t.a + t.sigma/math.Sqrt(1-riskRho*riskRho)*eps
		} else {
			ill = uIll < t.illProb(ill)
			dis = uDis < t.disProb()
			lny = t.a + riskRho*(lny-t.a) + t.sigma*eps
		}
		if ill {
			lny -= riskIllEffect
		}
		if dis {
			lny -= riskDisEffect
		}
	}
	r := RiskHousehold{
		HHID: int64(h) + 1, Province: t.province, Urban: t.urban, HHSize: t.size, Labour: t.labour,
		Illness: ill, Disability: t.disabled, ElderlyAlone: t.elderlyAlone, Disaster: dis,
		Weight: t.weight, Income: math.Exp(lny), Permanent: t.a, Sigma: t.sigma,
	}
	r.PPoorNext = PoorProbability(math.Log(p.cfg.Line), t.a+riskRho*(lny-t.a), t.sigma, t.illProb(ill), t.disProb(), riskIllEffect, riskDisEffect)
	return r
}

// PoorNext returns the true probability that the household is poor next
// year (income below line), given its row of this year and its latent
// Permanent and Sigma: PoorProbability with mean a_i + rho (ln y_t − a_i),
// the illness probability of its illness, elderly_alone and disability
// this year and the disaster probability of its urban status. It equals
// the row's PPoorNext (up to the rounding of ln(exp(ln y))).
func (r RiskHousehold) PoorNext(line float64) float64 {
	t := riskTraits{urban: r.Urban, disabled: r.Disability, elderlyAlone: r.ElderlyAlone}
	mean := r.Permanent + riskRho*(math.Log(r.Income)-r.Permanent)
	return PoorProbability(math.Log(line), mean, r.Sigma, t.illProb(r.Illness), t.disProb(), riskIllEffect, riskDisEffect)
}

// Generate returns the rows of year yearIndex, in household order.
func (p *RiskPanel) Generate(yearIndex int) ([]RiskHousehold, error) {
	if yearIndex < 0 || yearIndex >= p.cfg.Years {
		return nil, fmt.Errorf("%w: year index %d outside 0..%d", ErrConfig, yearIndex, p.cfg.Years-1)
	}
	rows := make([]RiskHousehold, p.cfg.Households)
	s := newStream()
	for h := range rows {
		rows[h] = p.row(s, h, yearIndex)
	}
	return rows, nil
}

// WriteYear writes year yearIndex to w as a Parquet file, one row group per
// RowGroupSize rows, all columns required, no year column. It checks ctx
// between row groups. The bytes depend only on the RiskConfig and
// yearIndex.
func (p *RiskPanel) WriteYear(ctx context.Context, w io.Writer, yearIndex int) error {
	if yearIndex < 0 || yearIndex >= p.cfg.Years {
		return fmt.Errorf("%w: year index %d outside 0..%d", ErrConfig, yearIndex, p.cfg.Years-1)
	}
	opts := writerOptions(Config{Seed: p.cfg.Seed, RowGroupSize: p.cfg.RowGroupSize})
	opts = append(opts, parquet.KeyValueMetadata("povstat.synth.risk_line", strconv.FormatFloat(p.cfg.Line, 'g', -1, 64)))
	pw := parquet.NewGenericWriter[RiskHousehold](w, opts...)
	s := newStream()
	size := min(p.cfg.RowGroupSize, p.cfg.Households)
	rows := make([]RiskHousehold, size)
	return writeGroups(ctx, pw, func(yield func([]RiskHousehold) bool) {
		for first := 0; first < p.cfg.Households; first += size {
			rows = rows[:min(size, p.cfg.Households-first)]
			for k := range rows {
				rows[k] = p.row(s, first+k, yearIndex)
			}
			if !yield(rows) {
				return
			}
		}
	}, "risk panel")
}

// WriteRisk writes every year of the risk panel for cfg under dir, in the
// hive layout dir/year=YYYY/households.parquet, and returns the paths in
// year order. Each file is written to a temporary name and renamed when
// complete.
func WriteRisk(ctx context.Context, dir string, cfg RiskConfig) ([]string, error) {
	p, err := NewRiskPanel(cfg)
	if err != nil {
		return nil, err
	}
	var paths []string
	for y := range p.cfg.Years {
		path := filepath.Join(dir, "year="+strconv.Itoa(p.cfg.FirstYear+y), FileName)
		if err := writeAtomic(path, func(w io.Writer) error { return p.WriteYear(ctx, w, y) }); err != nil {
			return paths, fmt.Errorf("writing %s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// writeAtomic writes path through a temporary file in its directory.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+FileName+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
