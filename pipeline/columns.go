package pipeline

// sizeColumn is the household-size column when the job uses it: to count
// persons from household rows, or for a per-capita or square-root scale.
func (s *Study) sizeColumn() string {
	if s.Size == "" {
		return ""
	}
	if s.Unit == "persons" && s.Rows == "households" || s.Equivalence == "per-capita" || s.Equivalence == "sqrt" {
		return s.Size
	}
	return ""
}

// adultsColumn and childrenColumn are read for the OECD-modified scale only.
func (s *Study) adultsColumn() string {
	if s.Equivalence == "oecd" {
		return s.Adults
	}
	return ""
}

func (s *Study) childrenColumn() string {
	if s.Equivalence == "oecd" {
		return s.Children
	}
	return ""
}
