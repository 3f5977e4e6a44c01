package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Study is a poverty study read from a YAML file: where the data are, which
// columns play which role, the unit of analysis and equivalence scale, the
// poverty lines, the domains and indicators to report, the outputs and the
// seed. A commented example:
//
//	name: demo
//	inputs: [data]            # Parquet or CSV files or directories, relative to the study file
//	columns:
//	  income: income          # required
//	  weight: weight          # required
//	  size: hh_size           # persons in the household
//	  adults: n_adults        # for the oecd scale
//	  children: n_children    # for the oecd scale
//	unit: persons             # persons (default) | households
//	rows: households          # households (default with size or unit households) | persons
//	equivalence: none         # none (default) | per-capita | oecd | sqrt
//	lines:                    # default [median60=median:0.6]
//	  - median60=median:0.6
//	  - name: rural33
//	    spec: mean:0.33@province?urban=false
//	domains:                  # the whole population is always included
//	  - [province]
//	  - [province, urban]     # a cross-classification
//	indicators: [headcount, gap, severity]   # default DefaultIndicators()
//	outputs:
//	  formats: [csv, json]    # csv | json | xlsx | parquet; default csv and json
//	  report: true            # default true
//	  lang: en                # en (default) | zh: language of the report and its charts
//	  font: /usr/share/fonts/truetype/wqy/wqy-microhei.ttc   # CJK font for zh charts; default: searched
//	  trends: [gap, {indicator: headcount, line: median60, by: province, groups: ["28"]}]  # with time
//	seed: 20201231            # default 1
//	options:
//	  nonpositive: exclude    # incomes where watts, Theil, GE, Atkinson are undefined: exclude (default, counted) | error
//	  memory: 4GiB            # memory budget: in memory when the estimate fits, else streaming (see memory.go)
//	region: province          # regional disparity across provinces in every domain
//	ratios: [urban=true/false]  # ratio of the mean incomes of two groups
//	time: year                # changes since the previous year of every result by year
//	compare:                  # compare poverty lines (see Compare and compareSection)
//	  sweeps: [rel=median:0.30:0.70:0.01]
//	  lines: [median60, rural33]  # the study's lines by name, or NAME=SPEC
//	  dominance: year
//	dynamics:                 # panel dynamics (see RunDynamics and dynamicsSection)
//	  id: hh_id
//	  year: year
//	  rules: {low_income: income<1.5*line}
//	  flags_out: true         # flags.csv
//	risk:                     # return-to-poverty score (see RunRisk and riskSection)
//	  id: hh_id
//	  year: year
//	  features: [illness]
//	  scores_out: true        # scores.csv
//	vulnerability:            # vulnerability as expected poverty (see RunVulnerability and vulnerabilitySection)
//	  features: [hh_size, illness]
//	  scores: vulnerability.csv
//
// ParseStudy fills every field, applying the defaults shown.
type Study struct {
	Name   string   // the name key; default the file name without its extension
	Path   string   // the study file as given
	Dir    string   // its directory (relative inputs resolve against it)
	SHA256 string   // hex SHA-256 of the file bytes
	Inputs []string // resolved paths

	// Column names; Size, Adults and Children are "" when not given.
	Income, Weight, Size, Adults, Children string

	Unit        string     // "persons" | "households"
	Rows        string     // "households" | "persons": what one row is
	Equivalence string     // "none" | "per-capita" | "oecd" | "sqrt"
	Lines       []Line     // the default line has Pos "default"
	Domains     [][]string // each a list of columns, crossed
	Indicators  []string
	Formats     []string // "csv", "json", "xlsx", "parquet"
	Report      bool
	Lang        string  // "en" (default) | "zh": the language of the report and charts
	Font        string  // a TrueType/OpenType font or collection for CJK chart text; "" to search the system
	Trends      []Trend // extra trend charts of the report (outputs.trends)
	Seed        uint64
	Nonpositive string // "exclude" | "error"
	Memory      int64  // options.memory: the memory budget in bytes, 0 for none (see memory.go)

	// Region is the column whose groups the regional disparity indicators
	// compare ("" for none); Ratios are the group ratios asked for.
	Region string
	Ratios []Ratio

	// Strata, PSU and FPC name the design columns ("" for none); Lonely
	// is the treatment of strata with one PSU. SEMethod is "none",
	// "linearized" or "bootstrap"; Replicates, Level and RSELimit set the
	// bootstrap, the confidence level and the relative standard error above
	// which a row is marked unreliable (see study_design.go).
	Strata, PSU, FPC, Lonely string
	SEMethod                 string
	Replicates               int
	Level, RSELimit          float64
	rseLimitSet              bool
	// Differences asks for rows of differences between results of the
	// same sample, with the standard error of each difference (covariance
	// included): "lines" (<indicator>_diff, each pair of lines) and
	// "domains" (<indicator>_vs_all, each domain minus the whole
	// population); see differenceRows. Study key variance.differences.
	Differences []string

	// RepWeights names replicate weight columns shipped with the data (a
	// prefix followed by *), RepType their kind (bootstrap, JK1, JKn, BRR,
	// Fay) and Rho Fay's coefficient; SEMethod "replicates" uses them.
	RepWeights, RepType string
	Rho                 float64

	// Time is the period column (e.g. year): every result in a domain with
	// it also gets a "<indicator>_change" row, the change since the
	// previous period. "" for none.
	Time string

	// Compare, Dynamics and Risk are the compare:, dynamics: and risk:
	// sections, nil when absent (see study_sections.go); Run runs them
	// after the study's own results.
	Compare  *Comparison
	Dynamics *DynamicsSection
	Risk     *RiskSection
	// Vulnerability is the vulnerability: section, nil when absent (see
	// study_vulnerability.go).
	Vulnerability *VulnerabilitySection
	// sectionColumns are the columns the sections name, for CheckColumns.
	sectionColumns []studyColumnRef

	// keyLines holds the file line of the keys that name columns
	// ("columns.income", "domains[1]"), for CheckColumns.
	keyLines map[string]int
}

// studyIndicatorNames are the foundation indicators, in default order.
var studyIndicatorNames = []string{
	"population", "n", "mean", "median", "line", "headcount", "gap",
	"severity", "watts", "sen", "rmpg", "poor_population", "gap_total",
}

// KnownIndicator reports whether name is an indicator a study may ask for:
// the foundation indicators population, n, mean, median, line, headcount,
// gap, severity, watts, sen, rmpg, poor_population and gap_total; the
// inequality indicators gini, theil_t, theil_l, ge_<alpha>,
// atkinson_<epsilon>, qsr, palma, share_q1..share_q5 and
// share_d1..share_d10; the regional ones region_mean, cv, williamson,
// max_min_ratio, theil_t_between, theil_t_within, theil_t_between_share,
// theil_l_between, theil_l_within and theil_l_between_share; and ratio.
func KnownIndicator(name string) bool {
	_, ok := parseIndicator(name)
	return ok
}

// DefaultIndicators returns the indicators a study computes when it names
// none and sets no region or ratio: the foundation indicators, then gini,
// theil_t, theil_l, qsr and palma. The slice is new on each call.
func DefaultIndicators() []string {
	return append(slices.Clone(studyIndicatorNames), inequalityIndicators...)
}

// defaultIndicators adds to DefaultIndicators the regional indicators when
// the study sets a region column, and ratio when it sets ratios.
func (s *Study) defaultIndicators() []string {
	out := DefaultIndicators()
	if s.Region != "" {
		out = append(out, regionIndicators...)
	}
	if len(s.Ratios) > 0 {
		out = append(out, "ratio")
	}
	return out
}

// indicatorProblem says why a known indicator cannot be computed by this
// study, or "".
func (s *Study) indicatorProblem(name string) string {
	ind, _ := parseIndicator(name)
	switch {
	case ind.family == familyRegion && s.Region == "":
		return fmt.Sprintf("indicator %q needs a region column (region: COL, or --region)", name)
	case ind.family == familyRatio && len(s.Ratios) == 0:
		return fmt.Sprintf("indicator %q needs ratios (ratios: [COL=A/B], or --ratio)", name)
	}
	return ""
}

// LoadStudy reads the study file at path and parses it with ParseStudy.
func LoadStudy(path string) (*Study, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load study: %w", err)
	}
	return ParseStudy(path, data)
}

// ParseStudy parses and validates the study file at path, whose bytes are
// data (see Study). Relative inputs resolve against the directory of path;
// the files are not opened. A list key also takes a single value; a null
// list or mapping (a key with nothing after it) means the key is absent;
// YAML anchors, aliases and merge keys work as usual.
//
// On error the study is nil and every problem found is reported, one a
// line in file order, each as "FILE:LINE: KEY: what is wrong": unknown
// keys (with the closest known key), values of the wrong type or out of
// range, bad line specs, duplicate line names and settings that need a
// column the study does not map. Several problems are joined with
// errors.Join. Whether the columns exist is checked later, by CheckColumns.
func ParseStudy(path string, data []byte) (*Study, error) {
	sum := sha256.Sum256(data)
	s := &Study{
		Path:     path,
		Dir:      filepath.Dir(path),
		SHA256:   hex.EncodeToString(sum[:]),
		Name:     strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)),
		keyLines: map[string]int{},
	}
	p := &studyParser{file: path, typos: map[string]bool{}}
	if body := p.document(data); body != nil {
		p.study(s, body)
	}
	slices.SortStableFunc(p.errs, func(a, b *studyError) int { return a.line - b.line })
	if err := studyJoin(p.errs); err != nil {
		return nil, err
	}
	if err := s.completeVariance(); err != nil {
		return nil, err // the parser checked every value; this cannot fail
	}
	return s, nil
}

// studyError is one problem in a study, at a line of its file.
type studyError struct {
	file string // file name, or another place such as "--line"
	line int    // 1-based; 0 when unknown
	key  string // e.g. "columns.income", "lines[1]"
	err  error
}

func (e *studyError) Error() string {
	var b strings.Builder
	if e.file != "" {
		b.WriteString(e.file)
		if e.line > 0 {
			fmt.Fprintf(&b, ":%d", e.line)
		}
		b.WriteString(": ")
	}
	if e.key != "" {
		b.WriteString(e.key + ": ")
	}
	b.WriteString(e.err.Error())
	return b.String()
}

func (e *studyError) Unwrap() error { return e.err }

// studyJoin returns nil, the one error, or all of them joined (one a line).
func studyJoin(errs []*studyError) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}

// studyParser walks the YAML tree of a study, collecting errors.
type studyParser struct {
	file    string
	errs    []*studyError
	anchors map[string]ast.Node
	typos   map[string]bool // keys an unknown key was probably meant to be
}

// fail records an error at the line of node n (0 when n is nil).
func (p *studyParser) fail(n ast.Node, key, format string, args ...any) {
	p.failAt(studyLine(n), key, fmt.Errorf(format, args...))
}

func (p *studyParser) failAt(line int, key string, err error) {
	p.errs = append(p.errs, &studyError{file: p.file, line: line, key: key, err: err})
}

// studyLine is the 1-based line of a node, 0 when unknown.
func studyLine(n ast.Node) int {
	if n == nil {
		return 0
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}

// studyYAMLError is the part of go-yaml's error interface we use.
type studyYAMLError interface {
	GetToken() *token.Token
	GetMessage() string
}

// document parses data and returns the body of its only document, or nil
// after recording why there is none.
func (p *studyParser) document(data []byte) ast.Node {
	f, err := parser.ParseBytes(bytes.TrimPrefix(data, []byte("\ufeff")), 0)
	if err != nil {
		var ye studyYAMLError
		if errors.As(err, &ye) && ye.GetToken() != nil && ye.GetToken().Position != nil {
			p.failAt(ye.GetToken().Position.Line, "", fmt.Errorf("invalid YAML: %s", ye.GetMessage()))
		} else {
			p.failAt(0, "", fmt.Errorf("invalid YAML: %w", err))
		}
		return nil
	}
	var bodies []ast.Node
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			bodies = append(bodies, d.Body)
		}
	}
	switch len(bodies) {
	case 0:
		p.failAt(1, "", errors.New("empty study; expected a mapping with at least inputs and columns"))
		return nil
	case 1:
	default:
		p.fail(bodies[1], "", "more than one YAML document; a study file holds one")
		return nil
	}
	p.anchors = map[string]ast.Node{}
	ast.Walk(studyAnchorVisitor(p.anchors), bodies[0])
	return bodies[0]
}

// studyAnchorVisitor collects the anchored nodes of a tree by name.
type studyAnchorVisitor map[string]ast.Node

func (v studyAnchorVisitor) Visit(n ast.Node) ast.Visitor {
	if a, ok := n.(*ast.AnchorNode); ok && a.Name != nil {
		v[a.Name.GetToken().Value] = a.Value
	}
	return v
}

// resolve looks through anchors, tags and aliases to the node holding the value.
func (p *studyParser) resolve(n ast.Node) ast.Node {
	for depth := 0; depth < 100; depth++ {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			target, ok := p.anchors[v.Value.GetToken().Value]
			if !ok {
				return v
			}
			n = target
		default:
			return n
		}
	}
	return n
}

// studyKind describes the type of a node for error messages.
func studyKind(n ast.Node) string {
	switch n.(type) {
	case nil:
		return "nothing"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "true/false"
	case *ast.NullNode:
		return "nothing"
	case *ast.AliasNode:
		return "an alias with no anchor"
	}
	return "a " + n.Type().YAMLName()
}

// isNull reports whether a value is absent or YAML null.
func (p *studyParser) isNull(mv *ast.MappingValueNode) bool {
	if mv == nil {
		return true
	}
	_, null := p.resolve(mv.Value).(*ast.NullNode)
	return null
}

// scalar returns the text of a scalar node; ok is false for collections
// and null.
func (p *studyParser) scalar(n ast.Node) (text string, ok bool) {
	switch v := p.resolve(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return strings.TrimSpace(v.Value.Value), true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	}
	return "", false
}

// text returns a scalar value as text, recording an error otherwise.
func (p *studyParser) text(n ast.Node, key string) (string, bool) {
	s, ok := p.scalar(n)
	if !ok {
		p.fail(n, key, "expected a string, got %s", studyKind(p.resolve(n)))
	}
	return s, ok
}

// name returns a non-empty scalar value: a column or other name.
func (p *studyParser) name(n ast.Node, key, what string) (string, bool) {
	s, ok := p.text(n, key)
	if ok && strings.TrimSpace(s) == "" {
		p.fail(n, key, "empty %s", what)
		return "", false
	}
	return s, ok
}

// enum returns a value that must be one of options.
func (p *studyParser) enum(n ast.Node, key string, options ...string) (string, bool) {
	s, ok := p.text(n, key)
	if !ok {
		return "", false
	}
	if !slices.Contains(options, s) {
		p.fail(n, key, "unknown value %q; want %s%s", s, studyOr(options), specHint(s, options))
		return "", false
	}
	return s, true
}

// studyOr lists options as `a, b or c`.
func studyOr(options []string) string {
	if len(options) == 1 {
		return options[0]
	}
	return strings.Join(options[:len(options)-1], ", ") + " or " + options[len(options)-1]
}

// fields returns the entries of a mapping by key, recording an error for
// each unknown or non-scalar key (with the closest allowed key, which is
// then not reported missing). Merge keys (<<: *anchor) add the entries
// the mapping does not set itself. A null value gives an empty mapping;
// any other non-mapping gives nil.
func (p *studyParser) fields(n ast.Node, key string, allowed []string) map[string]*ast.MappingValueNode {
	v := p.resolve(n)
	if _, null := v.(*ast.NullNode); null {
		return map[string]*ast.MappingValueNode{}
	}
	if !studyIsMapping(v) {
		p.fail(n, key, "expected a mapping with keys %s, got %s", strings.Join(allowed, ", "), studyKind(v))
		return nil
	}
	out := map[string]*ast.MappingValueNode{}
	p.addFields(out, v, key, allowed, 0)
	return out
}

// addFields adds the entries of mapping n that out lacks, then those of
// the mappings it merges.
func (p *studyParser) addFields(out map[string]*ast.MappingValueNode, n ast.Node, key string, allowed []string, depth int) {
	var merges []ast.Node
	for _, e := range studyEntries(n) {
		if _, merge := e.Key.(*ast.MergeKeyNode); merge {
			merges = append(merges, e.Value)
			continue
		}
		k, ok := p.scalar(e.Key)
		switch {
		case !ok:
			p.fail(e.Key, key, "expected a plain key, got %s", studyKind(e.Key))
		case !slices.Contains(allowed, k):
			p.unknownKey(e.Key, studyKey(key, k), k, allowed)
		case out[k] == nil:
			out[k] = e
		}
	}
	for _, m := range merges {
		srcs := []ast.Node{m}
		if seq, ok := p.resolve(m).(*ast.SequenceNode); ok {
			srcs = seq.Values
		}
		for _, src := range srcs {
			if r := p.resolve(src); studyIsMapping(r) && depth < 10 {
				p.addFields(out, r, key, allowed, depth+1)
			} else {
				p.fail(src, studyKey(key, "<<"), "expected an alias of a mapping, got %s", studyKind(r))
			}
		}
	}
}

// studyEntries returns the entries of a mapping node.
func studyEntries(n ast.Node) []*ast.MappingValueNode {
	switch v := n.(type) {
	case *ast.MappingNode:
		return v.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{v}
	}
	return nil
}

// unknownKey records an unknown key k, suggesting the closest allowed key.
func (p *studyParser) unknownKey(n ast.Node, full, k string, allowed []string) {
	if c := specClosest(k, allowed); c != "" {
		p.typos[strings.TrimSuffix(full, k)+c] = true
		p.fail(n, full, "unknown key (did you mean %q?)", c)
		return
	}
	p.fail(n, full, "unknown key; want one of %s", strings.Join(allowed, ", "))
}

// studyKey joins a parent key and a child key with a dot.
func studyKey(parent, k string) string {
	if parent == "" {
		return k
	}
	return parent + "." + k
}

// require records a missing required key, unless an unknown key looked
// like a misspelling of it (that error is enough).
func (p *studyParser) require(f map[string]*ast.MappingValueNode, k, full string, at int, want string) bool {
	if f[k] != nil {
		return true
	}
	if !p.typos[full] {
		p.failAt(at, full, fmt.Errorf("missing; want %s", want))
	}
	return false
}

// items returns the entries of a list; a scalar counts as a list of one
// and null as an empty list. A mapping is an error (want says what was
// expected) and gives ok false.
func (p *studyParser) items(n ast.Node, key, want string) (list []ast.Node, ok bool) {
	switch v := p.resolve(n).(type) {
	case *ast.SequenceNode:
		return v.Values, true
	case *ast.NullNode:
		return nil, true
	case *ast.MappingNode, *ast.MappingValueNode:
		p.fail(n, key, "expected %s, got a mapping", want)
		return nil, false
	}
	return []ast.Node{n}, true
}

// shares reads a list of shares in (0, 1] (a scalar is a list of one),
// failing on each entry out of range; an empty list gives an empty slice.
func (p *studyParser) shares(mv *ast.MappingValueNode, key string) []float64 {
	items, _ := p.items(mv.Value, key, "a list of shares in (0, 1]")
	out := []float64{}
	for i, it := range items {
		ikey := p.itemKey(mv.Value, key, i)
		if v, ok := p.number(it, ikey); ok {
			if !(v > 0 && v <= 1) {
				p.fail(it, ikey, "want a share in (0, 1], got %v", v)
				continue
			}
			out = append(out, v)
		}
	}
	return out
}

// itemKey names item i of list: key[i], or key when list is a single
// value standing for a list of one.
func (p *studyParser) itemKey(list ast.Node, key string, i int) string {
	if _, seq := p.resolve(list).(*ast.SequenceNode); seq {
		return fmt.Sprintf("%s[%d]", key, i)
	}
	return key
}

// studyIsMapping reports whether n is a mapping (go-yaml may give a
// one-entry mapping as its entry).
func studyIsMapping(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return true
	}
	return false
}

// isFlow reports whether n is a [flow, style] list.
func (p *studyParser) isFlow(n ast.Node) bool {
	seq, ok := p.resolve(n).(*ast.SequenceNode)
	return ok && seq.IsFlowStyle
}

var studyTopKeys = []string{
	"name", "inputs", "columns", "unit", "rows", "equivalence", "lines",
	"domains", "indicators", "outputs", "seed", "options", "region", "ratios", "time",
	"design", "variance", "compare", "dynamics", "risk", "vulnerability",
}

// study fills s from the top-level mapping.
func (p *studyParser) study(s *Study, body ast.Node) {
	f := p.fields(body, "", studyTopKeys)
	if f == nil {
		return
	}
	top := studyLine(body)
	if e := f["name"]; e != nil {
		if name, ok := p.name(e.Value, "name", "name"); ok {
			s.Name = name
		}
	}
	p.inputs(s, f, top)
	p.columns(s, f, top)
	p.unit(s, f)
	p.lines(s, f["lines"])
	p.domains(s, f["domains"])
	p.region(s, f["region"])
	p.ratios(s, f["ratios"])
	p.time(s, f["time"])
	p.design(s, f["design"])
	p.variance(s, f["variance"])
	p.indicators(s, f["indicators"])
	p.outputs(s, f["outputs"])
	p.seed(s, f["seed"])
	p.options(s, f["options"])
	p.sections(s, f)
}

// inputs resolves the input paths against the study's directory.
func (p *studyParser) inputs(s *Study, f map[string]*ast.MappingValueNode, top int) {
	const want = "a list of Parquet or CSV files or directories"
	if !p.require(f, "inputs", "inputs", top, want) {
		return
	}
	e := f["inputs"]
	items, ok := p.items(e.Value, "inputs", want)
	if !ok {
		return
	}
	if len(items) == 0 {
		p.fail(e.Key, "inputs", "empty; want %s", want)
		return
	}
	seen := map[string]int{}
	for i, it := range items {
		key := p.itemKey(e.Value, "inputs", i)
		in, ok := p.name(it, key, "path")
		if !ok {
			continue
		}
		if !filepath.IsAbs(in) {
			in = filepath.Join(s.Dir, in)
		}
		if j, dup := seen[in]; dup {
			p.fail(it, key, "%s is already %s", in, p.itemKey(e.Value, "inputs", j))
			continue
		}
		seen[in] = i
		s.Inputs = append(s.Inputs, in)
	}
}

var studyColumnKeys = []string{"income", "weight", "size", "adults", "children"}

// columns reads the column mapping; income and weight are required.
func (p *studyParser) columns(s *Study, f map[string]*ast.MappingValueNode, top int) {
	if !p.require(f, "columns", "columns", top, "a mapping with at least income and weight") {
		return
	}
	e := f["columns"]
	cf := p.fields(e.Value, "columns", studyColumnKeys)
	if cf == nil {
		return
	}
	dst := map[string]*string{
		"income": &s.Income, "weight": &s.Weight, "size": &s.Size,
		"adults": &s.Adults, "children": &s.Children,
	}
	for _, k := range studyColumnKeys {
		full := "columns." + k
		if k == "income" || k == "weight" {
			p.require(cf, k, full, studyLine(e.Key), "the name of the "+k+" column")
		}
		if ce := cf[k]; ce != nil {
			if col, ok := p.name(ce.Value, full, "column name"); ok {
				*dst[k] = col
				s.keyLines[full] = studyLine(ce.Value)
			}
		}
	}
}

// Allowed values of the enumerated keys, in the order messages list them.
var (
	studyUnits        = []string{"persons", "households"}
	studyRowKinds     = []string{"households", "persons"}
	studyEquivalences = []string{"none", "per-capita", "oecd", "sqrt"}
	studyFormats      = []string{"csv", "json", "xlsx", "parquet"}
	studyNonpositives = []string{"exclude", "error"}
)

// unit reads unit, rows and equivalence and checks that the columns they
// need are mapped.
func (p *studyParser) unit(s *Study, f map[string]*ast.MappingValueNode) {
	okUnit, okRows, okEq := true, true, true
	s.Unit = "persons"
	if e := f["unit"]; e != nil {
		s.Unit, okUnit = p.enum(e.Value, "unit", studyUnits...)
	}
	s.Rows = studyDefaultRows(s)
	if e := f["rows"]; e != nil {
		s.Rows, okRows = p.enum(e.Value, "rows", studyRowKinds...)
	}
	s.Equivalence = "none"
	if e := f["equivalence"]; e != nil {
		s.Equivalence, okEq = p.enum(e.Value, "equivalence", studyEquivalences...)
	}
	if msg := studyRowsProblem(s); okUnit && okRows && msg != "" {
		at := f["rows"]
		if at == nil {
			at = f["unit"]
		}
		p.fail(studyValue(at), "rows", "%s", msg)
	}
	if msg := studyEquivalenceProblem(s); okEq && msg != "" {
		p.fail(studyValue(f["equivalence"]), "equivalence", "%s", msg)
	}
}

// studyValue is the value node of an entry, nil for a missing entry.
func studyValue(e *ast.MappingValueNode) ast.Node {
	if e == nil {
		return nil
	}
	return e.Value
}

// studyDefaultRows is what one row is when the study does not say:
// households when there is a size column or the unit is households,
// else persons.
func studyDefaultRows(s *Study) string {
	if s.Size != "" || s.Unit == "households" {
		return "households"
	}
	return "persons"
}

// studyRowsProblem says why the unit of analysis cannot be built from the
// rows, or "".
func studyRowsProblem(s *Study) string {
	switch {
	case s.Unit == "persons" && s.Rows == "households" && s.Size == "":
		return "unit persons with household rows needs columns.size, the number of persons in each household"
	case s.Unit == "households" && s.Rows == "persons":
		return "unit households needs household rows (rows: households); person rows carry no household id"
	}
	return ""
}

// studyEquivalenceProblem says which columns the equivalence scale lacks,
// or "".
func studyEquivalenceProblem(s *Study) string {
	switch s.Equivalence {
	case "per-capita", "sqrt":
		if s.Size == "" {
			return s.Equivalence + " needs columns.size, the number of persons in the household"
		}
	case "oecd":
		var missing []string
		for _, m := range []struct{ key, col string }{{"columns.adults", s.Adults}, {"columns.children", s.Children}} {
			if m.col == "" {
				missing = append(missing, m.key)
			}
		}
		if len(missing) > 0 {
			return "oecd needs " + strings.Join(missing, " and ") + ", the numbers of adults and children in the household"
		}
	}
	return ""
}

// studyDefaultLines returns the lines of a study that names none.
func studyDefaultLines() []Line {
	return []Line{{Name: "median60", Basis: "median", Value: 0.6, Pos: "default"}}
}

// lines reads the poverty lines; absent or null gives the default line.
func (p *studyParser) lines(s *Study, e *ast.MappingValueNode) {
	if p.isNull(e) {
		s.Lines = studyDefaultLines()
		return
	}
	s.Lines = []Line{}
	first := map[string]int{}
	flow := p.isFlow(e.Value)
	items, _ := p.items(e.Value, "lines", "a list of NAME=SPEC strings or {name, spec} mappings")
	for i, it := range items {
		key := p.itemKey(e.Value, "lines", i)
		l, ok := p.line(it, key, flow)
		if !ok {
			continue
		}
		if at, dup := first[l.Name]; dup {
			p.fail(it, key, "line %q is already defined at line %d", l.Name, at)
			continue
		}
		first[l.Name] = studyLine(it)
		s.Lines = append(s.Lines, l)
	}
}

// line reads one line: a NAME=SPEC string or a mapping with name and spec.
// flow tells whether the list is written [like, this].
func (p *studyParser) line(n ast.Node, key string, flow bool) (Line, bool) {
	if studyIsMapping(p.resolve(n)) {
		return p.lineMapping(n, key)
	}
	text, ok := p.scalar(n)
	if !ok {
		p.fail(n, key, "expected NAME=SPEC or a mapping with name and spec, got %s", studyKind(p.resolve(n)))
		return Line{}, false
	}
	l, err := ParseLine(text)
	if err != nil && flow && !strings.Contains(text, "=") {
		err = fmt.Errorf("%w (inside [ ] a ',' separates items: quote a spec with several @ columns)", err)
	}
	return p.lineAt(l, err, n, key)
}

// lineMapping reads a line written as a mapping with name and spec.
func (p *studyParser) lineMapping(n ast.Node, key string) (Line, bool) {
	f := p.fields(n, key, []string{"name", "spec"})
	if f == nil || !p.require(f, "name", key+".name", studyLine(n), "the line's name") ||
		!p.require(f, "spec", key+".spec", studyLine(n), "its SPEC, e.g. median:0.6") {
		return Line{}, false
	}
	name, ok1 := p.text(f["name"].Value, key+".name")
	spec, ok2 := p.text(f["spec"].Value, key+".spec")
	if !ok1 || !ok2 {
		return Line{}, false
	}
	l, err := ParseLineSpec(name, spec)
	return p.lineAt(l, err, f["spec"].Value, key)
}

// lineAt records a line's parse error, or sets its Pos to the line of n.
func (p *studyParser) lineAt(l Line, err error, n ast.Node, key string) (Line, bool) {
	if err != nil {
		p.failAt(studyLine(n), key, err)
		return Line{}, false
	}
	l.Pos = fmt.Sprintf("%s:%d", p.file, studyLine(n))
	return l, true
}

// domains reads the breakdowns: each a list of columns (or one column).
func (p *studyParser) domains(s *Study, e *ast.MappingValueNode) {
	if p.isNull(e) {
		return
	}
	items, _ := p.items(e.Value, "domains", "a list of domains, each a list of columns")
	for i, it := range items {
		key := p.itemKey(e.Value, "domains", i)
		cols, ok := p.domain(it, key)
		if !ok {
			continue
		}
		if j := slices.IndexFunc(s.Domains, func(d []string) bool { return slices.Equal(d, cols) }); j >= 0 {
			p.fail(it, key, "same columns as an earlier domain (%s)", strings.Join(cols, ", "))
			continue
		}
		s.keyLines[fmt.Sprintf("domains[%d]", len(s.Domains))] = studyLine(it)
		s.Domains = append(s.Domains, cols)
	}
}

// domain reads the columns of one domain.
func (p *studyParser) domain(n ast.Node, key string) ([]string, bool) {
	items, ok := p.items(n, key, "a list of columns")
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		p.fail(n, key, "empty domain; the whole population is always included")
		return nil, false
	}
	var cols []string
	for j, it := range items {
		ckey := p.itemKey(n, key, j)
		col, good := p.name(it, ckey, "column name")
		switch {
		case !good:
			ok = false
		case slices.Contains(cols, col):
			p.fail(it, ckey, "column %q is already in this domain", col)
			ok = false
		default:
			cols = append(cols, col)
		}
	}
	return cols, ok
}

// indicators reads the indicator names; absent or null gives the default
// set (see DefaultIndicators), with the regional indicators when a region
// column is set and ratio when ratios are.
func (p *studyParser) indicators(s *Study, e *ast.MappingValueNode) {
	if p.isNull(e) {
		s.Indicators = s.defaultIndicators()
		return
	}
	if seq, ok := p.resolve(e.Value).(*ast.SequenceNode); ok && len(seq.Values) == 0 {
		p.fail(e.Key, "indicators", "empty; want some of %s, or no indicators key for the defaults", strings.Join(knownIndicatorList(), ", "))
	}
	s.Indicators = p.choicesFunc(e.Value, "indicators", "indicator", knownIndicatorList(), KnownIndicator)
	for _, name := range s.Indicators {
		if msg := s.indicatorProblem(name); msg != "" {
			p.fail(e.Key, "indicators", "%s", msg)
		}
	}
}

// region reads the column whose groups the regional disparity measures
// compare.
func (p *studyParser) region(s *Study, e *ast.MappingValueNode) {
	if p.isNull(e) {
		return
	}
	if col, ok := p.name(e.Value, "region", "column name"); ok {
		s.Region = col
		s.keyLines["region"] = studyLine(e.Value)
	}
}

// time reads the period column whose changes are reported; it must be a
// column of some domain.
func (p *studyParser) time(s *Study, e *ast.MappingValueNode) {
	if p.isNull(e) {
		return
	}
	col, ok := p.name(e.Value, "time", "column name")
	if !ok {
		return
	}
	s.Time = col
	if msg := s.timeProblem(); msg != "" {
		p.fail(e.Value, "time", "%s", msg)
	}
}

// timeProblem says why the time column cannot give changes, or "".
func (s *Study) timeProblem() string {
	if s.Time == "" {
		return ""
	}
	for _, d := range s.Domains {
		if slices.Contains(d, s.Time) {
			return ""
		}
	}
	return fmt.Sprintf("time column %q is in no domain: add a domain with it, e.g. [%s]", s.Time, s.Time)
}

// ratios reads the group ratios, each COL=A/B.
func (p *studyParser) ratios(s *Study, e *ast.MappingValueNode) {
	if p.isNull(e) {
		return
	}
	items, _ := p.items(e.Value, "ratios", "a list of COL=A/B")
	for i, it := range items {
		key := p.itemKey(e.Value, "ratios", i)
		text, ok := p.text(it, key)
		if !ok {
			continue
		}
		r, err := ParseRatio(text)
		if err != nil {
			p.fail(it, key, "%v", err)
			continue
		}
		r.Pos = fmt.Sprintf("%s:%d", s.Path, studyLine(it))
		s.keyLines[key] = studyLine(it)
		s.Ratios = append(s.Ratios, r)
	}
}

// choices reads a list of names (what they are: noun), each one of known,
// without repeats.
func (p *studyParser) choices(list ast.Node, key, noun string, known []string) []string {
	return p.choicesFunc(list, key, noun, known, func(name string) bool { return slices.Contains(known, name) })
}

// choicesFunc is choices where accept decides which names are known; known
// lists them for messages.
func (p *studyParser) choicesFunc(list ast.Node, key, noun string, known []string, accept func(string) bool) []string {
	out := []string{}
	items, _ := p.items(list, key, "a list of "+noun+"s")
	for i, it := range items {
		ikey := p.itemKey(list, key, i)
		name, ok := p.text(it, ikey)
		switch {
		case !ok:
		case !accept(name):
			p.fail(it, ikey, "unknown %s %q%s; want one of %s", noun, name, specHint(name, known), strings.Join(known, ", "))
		case slices.Contains(out, name):
			p.fail(it, ikey, "%q is listed twice", name)
		default:
			out = append(out, name)
		}
	}
	return out
}

// outputs reads the output formats and whether to write the report.
func (p *studyParser) outputs(s *Study, e *ast.MappingValueNode) {
	s.Formats = []string{"csv", "json"}
	s.Report = true
	s.Lang = "en"
	if e == nil {
		return
	}
	f := p.fields(e.Value, "outputs", []string{"formats", "report", "lang", "font", "trends"})
	p.trends(s, f["trends"])
	if le := f["lang"]; !p.isNull(le) {
		if v, ok := p.enum(le.Value, "outputs.lang", "en", "zh"); ok {
			s.Lang = v
		}
	}
	if fe := f["font"]; !p.isNull(fe) {
		if v, ok := p.name(fe.Value, "outputs.font", "font path"); ok {
			s.Font = v
			if !filepath.IsAbs(v) {
				s.Font = filepath.Join(s.Dir, v)
			}
		}
	}
	if fe := f["formats"]; !p.isNull(fe) {
		s.Formats = p.choices(fe.Value, "outputs.formats", "format", studyFormats)
	}
	if re := f["report"]; re != nil {
		b, ok := p.resolve(re.Value).(*ast.BoolNode)
		if !ok {
			p.fail(re.Value, "outputs.report", "expected true or false, got %s", p.show(re.Value))
			return
		}
		s.Report = b.Value
	}
}

// seed reads the random seed, an integer from 0 to 2^64-1; default 1.
func (p *studyParser) seed(s *Study, e *ast.MappingValueNode) {
	s.Seed = 1
	if e == nil {
		return
	}
	if n, ok := p.resolve(e.Value).(*ast.IntegerNode); ok {
		switch v := n.Value.(type) {
		case uint64:
			s.Seed = v
			return
		case int64:
			if v >= 0 {
				s.Seed = uint64(v)
				return
			}
		}
	}
	p.fail(e.Value, "seed", "expected a whole number from 0 to %d, got %s", uint64(math.MaxUint64), p.show(e.Value))
}

// show describes a value for an error: its kind, and its text if it
// is a scalar.
func (p *studyParser) show(n ast.Node) string {
	kind := studyKind(p.resolve(n))
	if s, ok := p.scalar(n); ok {
		return fmt.Sprintf("%s %q", kind, s)
	}
	return kind
}

// options reads the options mapping.
func (p *studyParser) options(s *Study, e *ast.MappingValueNode) {
	s.Nonpositive = "exclude"
	if e == nil {
		return
	}
	f := p.fields(e.Value, "options", []string{"nonpositive", "memory"})
	if me := f["memory"]; me != nil {
		if v, ok := p.text(me.Value, "options.memory"); ok {
			b, err := ParseBytes(v)
			if err != nil {
				p.fail(me.Value, "options.memory", "%v", err)
			}
			s.Memory = b
		}
	}
	if ne := f["nonpositive"]; ne != nil {
		if v, ok := p.enum(ne.Value, "options.nonpositive", studyNonpositives...); ok {
			s.Nonpositive = v
		}
	}
}

// studyColumnRef is one place where a study names a column.
type studyColumnRef struct {
	file string
	line int
	key  string
	col  string
}

// studyColumnRefs lists every column the study names, in order: the column
// mapping, the lines' By and Where columns, the domains.
func (s *Study) studyColumnRefs() []studyColumnRef {
	var refs []studyColumnRef
	roles := []string{s.Income, s.Weight, s.Size, s.Adults, s.Children}
	for i, k := range studyColumnKeys {
		if roles[i] != "" {
			full := "columns." + k
			refs = append(refs, studyColumnRef{s.Path, s.keyLines[full], full, roles[i]})
		}
	}
	for i, l := range s.Lines {
		key := fmt.Sprintf("lines[%d] %q", i, l.Name)
		if !strings.HasPrefix(l.Pos, s.Path+":") || s.Path == "" {
			key = fmt.Sprintf("line %q", l.Name)
		}
		for _, c := range l.Columns() {
			refs = append(refs, studyColumnRef{l.Pos, 0, key, c})
		}
	}
	for i, d := range s.Domains {
		key := fmt.Sprintf("domains[%d]", i)
		for _, c := range d {
			refs = append(refs, studyColumnRef{s.Path, s.keyLines[key], key, c})
		}
	}
	if s.Region != "" {
		refs = append(refs, studyColumnRef{s.Path, s.keyLines["region"], "region", s.Region})
	}
	for _, k := range []struct{ key, col string }{{"design.strata", s.Strata}, {"design.psu", s.PSU}, {"design.fpc", s.FPC}} {
		if k.col != "" {
			refs = append(refs, studyColumnRef{s.Path, s.keyLines[k.key], k.key, k.col})
		}
	}
	for i, r := range s.Ratios {
		key := fmt.Sprintf("ratios[%d]", i)
		refs = append(refs, studyColumnRef{s.Path, s.keyLines[key], key, r.Column})
	}
	refs = append(refs, s.sectionColumns...)
	return refs
}

// CheckColumns reports, before any data is read, every column the study
// names that the input lacks: the column mapping, the lines' By and Where
// columns and the domain columns. has tells whether the input has a column
// (nil means: is it in available); available lists the input's columns for
// the message. Each error gives the place and key, e.g.
//
//	study.yaml:14: lines[1] "rural33": unknown column "urbn" (did you mean "urban"? input has: ...)
//
// It returns nil when every column exists.
func (s *Study) CheckColumns(has func(col string) bool, available []string) error {
	if has == nil {
		has = func(col string) bool { return slices.Contains(available, col) }
	}
	var errs []*studyError
	for _, r := range s.studyColumnRefs() {
		if has(r.col) {
			continue
		}
		err := fmt.Errorf("unknown column %q (%sinput has: %s)", r.col, studyDidYouMean(r.col, available), studyColumnList(available))
		errs = append(errs, &studyError{file: r.file, line: r.line, key: r.key, err: err})
	}
	return studyJoin(errs)
}

// studyDidYouMean returns `did you mean "x"? ` for the closest column, or "".
func studyDidYouMean(col string, available []string) string {
	if c := specClosest(col, available); c != "" {
		return fmt.Sprintf("did you mean %q? ", c)
	}
	return ""
}

// studyColumnList lists columns for a message, at most 20 of them.
func studyColumnList(cols []string) string {
	const most = 20
	if len(cols) == 0 {
		return "no columns"
	}
	if len(cols) <= most {
		return strings.Join(cols, ", ")
	}
	return fmt.Sprintf("%s, … (%d in all)", strings.Join(cols[:most], ", "), len(cols))
}
