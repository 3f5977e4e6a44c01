package synth

import (
	"errors"
	"fmt"
)

// Default values used for the zero fields of a Config.
const (
	DefaultFirstYear    = 2020
	DefaultRowGroupSize = 1 << 20
)

// MaxYears is the largest number of panel years a Config may ask for.
const MaxYears = 1000

// ErrConfig is wrapped by the errors returned for an invalid Config.
var ErrConfig = errors.New("synth: invalid config")

// Config sets the size and seed of a synthetic panel. The zero values of
// Years, FirstYear and RowGroupSize take defaults (1, DefaultFirstYear and
// DefaultRowGroupSize).
type Config struct {
	Households   int    // households per year; the same households every year; at least len(Provinces())
	Years        int    // number of consecutive years, 1 when 0
	FirstYear    int    // calendar year of yearIndex 0, DefaultFirstYear when 0
	Seed         uint64 // seed of every random draw
	RowGroupSize int    // rows per Parquet row group, DefaultRowGroupSize when 0
}

// withDefaults returns cfg with its zero fields set to their defaults, or an
// error wrapping ErrConfig if cfg cannot be used.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Years == 0 {
		cfg.Years = 1
	}
	if cfg.FirstYear == 0 {
		cfg.FirstYear = DefaultFirstYear
	}
	if cfg.RowGroupSize == 0 {
		cfg.RowGroupSize = DefaultRowGroupSize
	}
	switch {
	case cfg.Households < len(Provinces()):
		return cfg, fmt.Errorf("%w: %d households, need at least %d (one per province)", ErrConfig, cfg.Households, len(Provinces()))
	case cfg.Years < 0 || cfg.Years > MaxYears:
		return cfg, fmt.Errorf("%w: %d years, need 1 to %d", ErrConfig, cfg.Years, MaxYears)
	case cfg.RowGroupSize < 0:
		return cfg, fmt.Errorf("%w: negative row group size %d", ErrConfig, cfg.RowGroupSize)
	}
	return cfg, nil
}

// Year returns the calendar year of yearIndex.
func (cfg Config) Year(yearIndex int) int {
	if cfg.FirstYear == 0 {
		return DefaultFirstYear + yearIndex
	}
	return cfg.FirstYear + yearIndex
}
