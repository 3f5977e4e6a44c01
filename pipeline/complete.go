package pipeline

import (
	"errors"
	"fmt"
	"slices"
)

// Complete applies the defaults of a study file to a study built in code
// (for example from command-line flags) and checks it the way ParseStudy
// checks a file: empty fields get their defaults, and an unknown value,
// a missing column mapping or a duplicate line name is an error. Whether
// the columns exist is checked by Run.
func (s *Study) Complete() error {
	if s.Name == "" {
		s.Name = "study"
	}
	if s.Unit == "" {
		s.Unit = "persons"
	}
	if s.Rows == "" {
		s.Rows = studyDefaultRows(s)
	}
	if s.Equivalence == "" {
		s.Equivalence = "none"
	}
	if s.Nonpositive == "" {
		s.Nonpositive = "exclude"
	}
	if len(s.Lines) == 0 {
		s.Lines = studyDefaultLines()
	}
	if len(s.Indicators) == 0 {
		s.Indicators = s.defaultIndicators()
	}
	if len(s.Formats) == 0 {
		s.Formats = []string{"csv", "json"} // as a study file without outputs.formats
	}
	if s.Lang == "" {
		s.Lang = "en"
	}
	var errs []error
	check := func(what, v string, allowed []string) {
		if !slices.Contains(allowed, v) {
			errs = append(errs, fmt.Errorf("%s %q: want %s", what, v, studyOr(allowed)))
		}
	}
	check("unit", s.Unit, studyUnits)
	check("rows", s.Rows, studyRowKinds)
	check("equivalence", s.Equivalence, studyEquivalences)
	check("nonpositive", s.Nonpositive, studyNonpositives)
	check("language", s.Lang, []string{"en", "zh"})
	for _, d := range s.Differences {
		check("difference", d, studyDifferences)
	}
	for _, f := range s.Formats {
		check("format", f, studyFormats)
	}
	if len(s.Inputs) == 0 {
		errs = append(errs, errors.New("no input"))
	}
	if s.Income == "" || s.Weight == "" {
		errs = append(errs, errors.New("the income and weight columns are required"))
	}
	if msg := studyRowsProblem(s); msg != "" {
		errs = append(errs, errors.New(msg))
	}
	if msg := studyEquivalenceProblem(s); msg != "" {
		errs = append(errs, errors.New(msg))
	}
	if err := s.completeVariance(); err != nil {
		errs = append(errs, err)
	}
	if msg := s.timeProblem(); msg != "" {
		errs = append(errs, errors.New(msg))
	}
	errs = append(errs, s.completeSections()...)
	for _, t := range s.Trends {
		if msg := s.trendProblem(t); msg != "" {
			errs = append(errs, fmt.Errorf("trend of %s: %s", t.Indicator, msg))
		}
	}
	seen := map[string]bool{}
	for _, l := range s.Lines {
		if seen[l.Name] {
			errs = append(errs, fmt.Errorf("line %q is defined twice", l.Name))
		}
		seen[l.Name] = true
	}
	for _, ind := range s.Indicators {
		if !KnownIndicator(ind) {
			errs = append(errs, fmt.Errorf("unknown indicator %q (known: %s)", ind, studyOr(knownIndicatorList())))
		} else if msg := s.indicatorProblem(ind); msg != "" {
			errs = append(errs, errors.New(msg))
		}
	}
	return errors.Join(errs...)
}
