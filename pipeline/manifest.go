package pipeline

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/povstat/povstat/datasets"
)

// Manifest records how a run's results were made: the software, the study,
// every input file with its hash, the rows read, used and excluded by each
// rule, the lines, the seed and the timings. Unlike the results it holds
// timings, so its bytes differ from run to run.
type Manifest struct {
	Povstat     string         `json:"povstat"`
	GoVersion   string         `json:"go"`
	Study       StudyInfo      `json:"study"`
	Seed        uint64         `json:"seed"`
	Unit        string         `json:"unit"`
	Equivalence string         `json:"equivalence"`
	Inputs      []InputRecord  `json:"inputs"`
	Rows        RowCounts      `json:"rows"`
	Lines       []LineInfo     `json:"lines"`
	Warnings    []string       `json:"warnings"`
	Outputs     []OutputRecord `json:"outputs"`
	Timings     Timings        `json:"timings"`
	// Memory records the memory budget, the estimates and the path chosen
	// (see memory.go).
	Memory *MemoryRecord `json:"memory,omitempty"`
}

// StudyInfo identifies the study file (empty path for a study made from
// command-line flags).
type StudyInfo struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// InputRecord is one input file.
type InputRecord struct {
	Path      string `json:"path"`
	SHA256    string `json:"sha256"`
	Rows      int    `json:"rows"`
	RowGroups int    `json:"row_groups"`
}

// RowCounts says how many rows were read and used, and what each screening
// rule did.
type RowCounts struct {
	Read  int              `json:"read"`
	Used  int              `json:"used"`
	Rules []datasets.Count `json:"rules"`
}

// Warnings words what the screening rules did, one line per rule, for a
// command that writes no manifest (povstat indices prints them): e.g. "1
// of 5 rows excluded: missing income (column income), e.g. a.csv row 3".
func (r RowCounts) Warnings() []string {
	var out []string
	for _, c := range r.Rules {
		w := fmt.Sprintf("%d of %d rows %s: %s (column %s)", c.Rows, r.Read, c.Action, c.Rule, c.Column)
		if len(c.Examples) > 0 {
			w += ", e.g. " + strings.Join(c.Examples, "; ")
		}
		out = append(out, w)
	}
	return out
}

// LineInfo is a poverty line as the study defined it.
type LineInfo struct {
	Name string `json:"name"`
	Spec string `json:"spec"`
}

// OutputRecord is one file written, with its hash.
type OutputRecord struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Timings are wall-clock seconds of the steps of a run.
type Timings struct {
	InspectSeconds float64 `json:"inspect_seconds"`
	ReadSeconds    float64 `json:"read_seconds"`
	ComputeSeconds float64 `json:"compute_seconds"`
	WriteSeconds   float64 `json:"write_seconds"`
}

// JSON returns the manifest as indented JSON.
func (m *Manifest) JSON() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic(err) // every field is plain data
	}
	return append(b, '\n')
}
