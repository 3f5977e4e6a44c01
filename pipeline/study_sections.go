package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// DynamicsSection is the dynamics: section of a study: the panel
// dynamics of RunDynamics under some of the study's lines.
type DynamicsSection struct {
	Dynamics
	// Lines are the lines whose dynamics are reported; nil for every line
	// of the study.
	Lines []Line
	// FlagsOut asks for flags.csv, the household-years flagged by the
	// rules (see EncodeFlags).
	FlagsOut bool
}

// RiskSection is the risk: section of a study: the return-to-poverty
// score of RunRisk.
type RiskSection struct {
	Risk
	// Line is the line of the event (poor: x < z); nil for the study's
	// first line.
	Line *Line
	// ScoresOut asks for scores.csv, the scores of the test year (see
	// EncodeScores).
	ScoresOut bool
}

// Keys of the sections, in the order messages list them.
var (
	studyCompareKeys = []string{"sweeps", "lines", "target_headcount", "budget", "transfer_budget", "transfer_target",
		"dominance", "dominance_range", "rank_correlation", "traits"}
	studyDynamicsKeys = []string{"id", "year", "lines", "near_poor", "quintiles", "rules", "flags_out"}
	studyRiskKeys     = []string{"id", "year", "line", "features", "population", "test_year", "top_k", "penalty", "region", "tiers", "tier_shares", "rules", "scores_out"}
	studyPopulations  = []string{"exited", "nonpoor", "all"}
)

// sections reads the compare:, dynamics: and risk: sections, after the
// lines and domains (they name the study's lines and need its domains).
func (p *studyParser) sections(s *Study, f map[string]*ast.MappingValueNode) {
	p.compareSection(s, f["compare"])
	p.dynamicsSection(s, f["dynamics"])
	p.riskSection(s, f["risk"])
	s.Vulnerability = p.vulnerabilitySection(s, f["vulnerability"])
}

// compareSection reads the comparison of poverty lines (see Compare):
//
//	compare:
//	  sweeps:                   # grids of lines NAME=BASIS:FROM:TO:STEP[@COLS][?CONDITIONS]
//	    - rel=median:0.30:0.70:0.01
//	    - prov=median:0.4:0.7:0.05@province
//	  lines: [median60, eu=median:0.6]   # names of the study's lines, or NAME=SPEC
//	  target_headcount: 0.1     # the line whose headcount is 10%
//	  budget: 1e9               # the line whose gap_total is this amount
//	  transfer_budget: 1e9      # headcount of each line after spending it
//	  transfer_target: urban=false   # ... on this group only
//	  dominance: year           # compare the poverty curves of the years
//	  dominance_range: 2000:9000     # FROM:TO or [FROM, TO]; default the sweeps' lines
//	  rank_correlation: true    # Spearman correlation of the domains' headcounts between lines
//	  traits: [hh_size, urban]  # COL[:mean|:share]: who differs between two lines
func (p *studyParser) compareSection(s *Study, e *ast.MappingValueNode) {
	if p.isNull(e) {
		return
	}
	const key = "compare"
	f := p.fields(e.Value, key, studyCompareKeys)
	if f == nil {
		return
	}
	c := &Comparison{}
	names := map[string]bool{}
	if se := f["sweeps"]; !p.isNull(se) {
		items, _ := p.items(se.Value, key+".sweeps", "a list of NAME=BASIS:FROM:TO:STEP")
		for i, it := range items {
			ikey := p.itemKey(se.Value, key+".sweeps", i)
			text, ok := p.text(it, ikey)
			if !ok {
				continue
			}
			sw, err := ParseSweep(text)
			if err != nil {
				if p.isFlow(se.Value) && !strings.Contains(text, "=") {
					err = fmt.Errorf("%w (inside [ ] a ',' separates items: quote a sweep with several @ columns)", err)
				}
				p.failAt(studyLine(it), ikey, err)
				continue
			}
			if names[sw.Name] {
				p.fail(it, ikey, "the name %q is already used", sw.Name)
				continue
			}
			names[sw.Name] = true
			sw.Pos = fmt.Sprintf("%s:%d", p.file, studyLine(it))
			p.lineColumns(s, sw.Pos, fmt.Sprintf("%s %q", ikey, sw.Name), sw.Columns())
			c.Sweeps = append(c.Sweeps, sw)
		}
	}
	if le := f["lines"]; !p.isNull(le) {
		c.Lines = p.studyLines(s, le, key+".lines", names)
	}
	if he := f["target_headcount"]; !p.isNull(he) {
		if v, ok := p.number(he.Value, key+".target_headcount"); ok {
			if !(v > 0 && v <= 1) {
				p.fail(he.Value, key+".target_headcount", "want a share in (0, 1], got %v", v)
			} else {
				c.TargetHeadcount = &v
			}
		}
	}
	for _, k := range []struct {
		name string
		dst  **float64
	}{{"budget", &c.Budget}, {"transfer_budget", &c.TransferBudget}} {
		if be := f[k.name]; !p.isNull(be) {
			if v, ok := p.number(be.Value, key+"."+k.name); ok {
				if !(v >= 0) {
					p.fail(be.Value, key+"."+k.name, "want an amount >= 0, got %v", v)
				} else {
					*k.dst = &v
				}
			}
		}
	}
	if c.TransferBudget != nil && len(c.Lines) == 0 {
		p.fail(f["transfer_budget"].Key, key+".transfer_budget", "needs compare.lines: the lines whose poor the transfers lift")
	}
	if te := f["transfer_target"]; !p.isNull(te) {
		if text, ok := p.text(te.Value, key+".transfer_target"); ok {
			t, err := ParseTransferTarget(text)
			switch {
			case err != nil:
				p.failAt(studyLine(te.Value), key+".transfer_target", err)
			case c.TransferBudget == nil:
				p.fail(te.Key, key+".transfer_target", "needs compare.transfer_budget")
			default:
				c.TransferTarget = &t
				p.columnAt(s, studyLine(te.Value), key+".transfer_target", t.Column)
			}
		}
	}
	if de := f["dominance"]; !p.isNull(de) {
		if col, ok := p.name(de.Value, key+".dominance", "column name"); ok {
			c.Dominance = col
			p.columnAt(s, studyLine(de.Value), key+".dominance", col)
		}
	}
	if re := f["dominance_range"]; !p.isNull(re) {
		if c.Dominance == "" {
			p.fail(re.Key, key+".dominance_range", "needs compare.dominance")
		}
		if r, ok := p.dominanceRange(re.Value, key+".dominance_range"); ok {
			c.DominanceRange = &r
		}
	}
	if c.Dominance != "" && c.DominanceRange == nil && len(c.Sweeps) == 0 {
		p.fail(f["dominance"].Key, key+".dominance", "needs compare.dominance_range or a sweep: the range of lines")
	}
	if re := f["rank_correlation"]; !p.isNull(re) {
		if v, ok := p.boolean(re.Value, key+".rank_correlation"); ok && v {
			if len(s.Domains) == 0 || len(c.Lines) < 2 && len(c.Sweeps) == 0 {
				p.fail(re.Key, key+".rank_correlation", "needs domains and two compare.lines or a sweep")
			}
			c.RankCorrelation = true
		}
	}
	if te := f["traits"]; !p.isNull(te) {
		c.Traits = p.traits(s, te, key+".traits")
		if len(c.Traits) > 0 && len(c.Lines) < 2 {
			p.fail(te.Key, key+".traits", "needs two compare.lines at least")
		}
	}
	if len(c.Sweeps) == 0 && len(c.Lines) == 0 && c.TargetHeadcount == nil && c.Budget == nil && c.Dominance == "" {
		p.fail(e.Key, key, "nothing to compare: give sweeps, lines, target_headcount, budget or dominance")
	}
	s.Compare = c
}

// dynamicsSection reads the panel dynamics (see RunDynamics):
//
//	dynamics:
//	  id: hh_id                 # household id column (required)
//	  year: year                # year column (required)
//	  lines: [median60]         # names of the study's lines, or NAME=SPEC; default every line
//	  near_poor: 1.5            # upper edge of the near-poor band, a multiple of the line
//	  quintiles: true           # income quintile transition matrices
//	  rules:                    # monitoring rules NAME: EXPR (see Rule), or a list of NAME=EXPR
//	    low_income: income<1.5*line
//	    income_fall: fall>0.3
//	  flags_out: true           # write flags.csv: the household-years each rule flags
func (p *studyParser) dynamicsSection(s *Study, e *ast.MappingValueNode) {
	if p.isNull(e) {
		return
	}
	const key = "dynamics"
	f := p.fields(e.Value, key, studyDynamicsKeys)
	if f == nil {
		return
	}
	d := &DynamicsSection{}
	d.ID, d.Year = p.panelKeys(s, f, key, studyLine(e.Key))
	if le := f["lines"]; !p.isNull(le) {
		d.Lines = p.studyLines(s, le, key+".lines", nil)
	}
	if ne := f["near_poor"]; !p.isNull(ne) {
		if v, ok := p.number(ne.Value, key+".near_poor"); ok {
			if !(v >= 1) {
				p.fail(ne.Value, key+".near_poor", "want a multiple of the line >= 1, got %v", v)
			} else {
				d.NearPoor = v
			}
		}
	}
	if qe := f["quintiles"]; !p.isNull(qe) {
		d.Quintiles, _ = p.boolean(qe.Value, key+".quintiles")
	}
	if re := f["rules"]; !p.isNull(re) {
		d.Rules = p.rules(s, re, key+".rules")
	}
	if fe := f["flags_out"]; !p.isNull(fe) {
		d.FlagsOut, _ = p.boolean(fe.Value, key+".flags_out")
		if d.FlagsOut && len(d.Rules) == 0 {
			p.fail(fe.Key, key+".flags_out", "needs dynamics.rules: the flags are those of the rules")
		}
	}
	s.Dynamics = d
}

// riskSection reads the return-to-poverty score (see RunRisk):
//
//	risk:
//	  id: hh_id                 # household id column (required)
//	  year: year                # year column (required)
//	  line: median60            # a study line's name or NAME=SPEC; default the first line
//	  features: [illness, disability]   # columns taken in the year before
//	  population: exited        # exited (default) | nonpoor | all
//	  test_year: 2022           # default the last year
//	  top_k: [0.05, 0.1, 0.2]   # shares of households that can be visited
//	  penalty: 0.001            # L2 penalty of the logistic model; default: by cross-validation
//	  region: province          # region column: region rates as features, scored counts by region
//	  tiers: [0.3, 0.1]         # score thresholds of the high and medium tiers (default)
//	  tier_shares: false        # true: tiers are the top shares of households instead
//	  rules:                    # monitoring rules judged beside the score, as in dynamics
//	    low_income: income<1.5*line
//	  scores_out: true          # write scores.csv: the score of every household of the test year
func (p *studyParser) riskSection(s *Study, e *ast.MappingValueNode) {
	if p.isNull(e) {
		return
	}
	const key = "risk"
	f := p.fields(e.Value, key, studyRiskKeys)
	if f == nil {
		return
	}
	r := &RiskSection{}
	r.ID, r.Year = p.panelKeys(s, f, key, studyLine(e.Key))
	if le := f["line"]; !p.isNull(le) {
		if _, seq := p.resolve(le.Value).(*ast.SequenceNode); seq {
			p.fail(le.Value, key+".line", "expected one line (a name or NAME=SPEC), got a list")
		} else if ls := p.studyLines(s, le, key+".line", nil); len(ls) == 1 {
			r.Line = &ls[0]
		}
	}
	if fe := f["features"]; !p.isNull(fe) {
		items, _ := p.items(fe.Value, key+".features", "a list of columns")
		r.Features = []string{}
		for i, it := range items {
			ikey := p.itemKey(fe.Value, key+".features", i)
			col, ok := p.name(it, ikey, "column name")
			switch {
			case !ok:
			case slices.Contains(r.Features, col):
				p.fail(it, ikey, "%q is listed twice", col)
			default:
				r.Features = append(r.Features, col)
				p.columnAt(s, studyLine(it), ikey, featureColumn(col))
			}
		}
	}
	if pe := f["population"]; !p.isNull(pe) {
		r.Population, _ = p.enum(pe.Value, key+".population", studyPopulations...)
	}
	if te := f["test_year"]; !p.isNull(te) {
		r.TestYear, _ = p.name(te.Value, key+".test_year", "year")
	}
	if ke := f["top_k"]; !p.isNull(ke) {
		r.TopK = p.shares(ke, key+".top_k")
	}
	if pe := f["penalty"]; !p.isNull(pe) {
		if v, ok := p.number(pe.Value, key+".penalty"); ok {
			if !(v >= 0) {
				p.fail(pe.Value, key+".penalty", "want a number >= 0, got %v", v)
			} else {
				r.Penalty = v
			}
		}
	}
	if re := f["region"]; !p.isNull(re) {
		if col, ok := p.name(re.Value, key+".region", "column name"); ok {
			r.Region = col
			p.columnAt(s, studyLine(re.Value), key+".region", col)
		}
	}
	if te := f["tiers"]; !p.isNull(te) {
		items, _ := p.items(te.Value, key+".tiers", "a list of two numbers, high then medium")
		var tiers []float64
		for i, it := range items {
			if v, ok := p.number(it, p.itemKey(te.Value, key+".tiers", i)); ok {
				tiers = append(tiers, v)
			}
		}
		switch {
		case len(items) != 2:
			p.fail(te.Value, key+".tiers", "want two numbers, high then medium, got %d", len(items))
		case len(tiers) == 2 && !(tiers[0] >= tiers[1] && tiers[1] > 0 && tiers[0] <= 1):
			p.fail(te.Value, key+".tiers", "want 1 >= high >= medium > 0, got %v", tiers)
		case len(tiers) == 2:
			r.Tiers = tiers
		}
	}
	if te := f["tier_shares"]; !p.isNull(te) {
		r.TierShares, _ = p.boolean(te.Value, key+".tier_shares")
	}
	if re := f["rules"]; !p.isNull(re) {
		r.Rules = p.rules(s, re, key+".rules")
	}
	if se := f["scores_out"]; !p.isNull(se) {
		r.ScoresOut, _ = p.boolean(se.Value, key+".scores_out")
	}
	s.Risk = r
}

// featureColumn is the column of a risk feature written COL, COL:num or
// COL:cat.
func featureColumn(f string) string {
	if c, kind, ok := strings.Cut(f, ":"); ok && (kind == "num" || kind == "cat") {
		return c
	}
	return f
}

// panelKeys reads the required id and year columns of a panel section.
func (p *studyParser) panelKeys(s *Study, f map[string]*ast.MappingValueNode, key string, at int) (id, year string) {
	for _, k := range []struct {
		name string
		dst  *string
		want string
	}{{"id", &id, "the household id column"}, {"year", &year, "the year column"}} {
		full := key + "." + k.name
		if !p.require(f, k.name, full, at, k.want) {
			continue
		}
		if col, ok := p.name(f[k.name].Value, full, "column name"); ok {
			*k.dst = col
			p.columnAt(s, studyLine(f[k.name].Value), full, col)
		}
	}
	return id, year
}

// studyLines reads a list of lines, each the name of one of the study's
// lines or a new line (NAME=SPEC or {name, spec}); taken are names
// already used (by sweeps) that a new line may not reuse.
func (p *studyParser) studyLines(s *Study, e *ast.MappingValueNode, key string, taken map[string]bool) []Line {
	var out []Line
	flow := p.isFlow(e.Value)
	items, _ := p.items(e.Value, key, "a list of line names or NAME=SPEC strings")
	for i, it := range items {
		ikey := p.itemKey(e.Value, key, i)
		var l Line
		text, scalar := p.scalar(it)
		if scalar && !strings.Contains(text, "=") {
			j := slices.IndexFunc(s.Lines, func(l Line) bool { return l.Name == strings.TrimSpace(text) })
			if j < 0 {
				var known []string
				for _, l := range s.Lines {
					known = append(known, l.Name)
				}
				p.fail(it, ikey, "no line %q in lines%s; want one of %s, or NAME=SPEC", text, specHint(text, known), strings.Join(known, ", "))
				continue
			}
			l = s.Lines[j]
		} else {
			var ok bool
			if l, ok = p.line(it, ikey, flow); !ok {
				continue
			}
			if slices.ContainsFunc(s.Lines, func(o Line) bool { return o.Name == l.Name }) {
				p.fail(it, ikey, "line %q is already a line of the study: give its name alone, or another name", l.Name)
				continue
			}
			p.lineColumns(s, l.Pos, fmt.Sprintf("%s %q", ikey, l.Name), l.Columns())
		}
		if taken[l.Name] || slices.ContainsFunc(out, func(o Line) bool { return o.Name == l.Name }) {
			p.fail(it, ikey, "the name %q is already used", l.Name)
			continue
		}
		out = append(out, l)
	}
	return out
}

// traits reads the trait columns, each COL[:mean|:share].
func (p *studyParser) traits(s *Study, e *ast.MappingValueNode, key string) []Trait {
	var out []Trait
	items, _ := p.items(e.Value, key, "a list of COL[:mean|:share]")
	for i, it := range items {
		ikey := p.itemKey(e.Value, key, i)
		text, ok := p.text(it, ikey)
		if !ok {
			continue
		}
		ts, err := ParseTraits(text)
		if err != nil {
			p.failAt(studyLine(it), ikey, err)
			continue
		}
		for _, t := range ts {
			if slices.ContainsFunc(out, func(o Trait) bool { return o.Column == t.Column }) {
				p.fail(it, ikey, "column %q is given twice", t.Column)
				continue
			}
			out = append(out, t)
			p.columnAt(s, studyLine(it), ikey, t.Column)
		}
	}
	return out
}

// rules reads monitoring rules: a mapping NAME: EXPR, or a list of
// NAME=EXPR strings (see Rule and ParseRule).
func (p *studyParser) rules(s *Study, e *ast.MappingValueNode, key string) []Rule {
	type entry struct {
		node      ast.Node
		key, text string
	}
	var entries []entry
	if v := p.resolve(e.Value); studyIsMapping(v) {
		for _, me := range studyEntries(v) {
			name, ok := p.scalar(me.Key)
			if _, merge := me.Key.(*ast.MergeKeyNode); merge || !ok {
				p.fail(me.Key, key, "expected a rule name, got %s", studyKind(me.Key))
				continue
			}
			expr, ok := p.text(me.Value, key+"."+name)
			if ok {
				entries = append(entries, entry{me.Value, key + "." + name, name + "=" + expr})
			}
		}
	} else {
		items, _ := p.items(e.Value, key, "a mapping NAME: EXPR or a list of NAME=EXPR")
		for i, it := range items {
			ikey := p.itemKey(e.Value, key, i)
			if text, ok := p.text(it, ikey); ok {
				entries = append(entries, entry{it, ikey, text})
			}
		}
	}
	var out []Rule
	for _, en := range entries {
		r, err := ParseRule(en.text)
		if err != nil {
			p.failAt(studyLine(en.node), en.key, err)
			continue
		}
		if slices.ContainsFunc(out, func(o Rule) bool { return o.Name == r.Name }) {
			p.fail(en.node, en.key, "rule %q is defined twice", r.Name)
			continue
		}
		num, trait := r.columns()
		for _, c := range append(num, trait) {
			if c != "" {
				p.columnAt(s, studyLine(en.node), en.key, c)
			}
		}
		out = append(out, r)
	}
	return out
}

// dominanceRange reads FROM:TO or a list [FROM, TO].
func (p *studyParser) dominanceRange(n ast.Node, key string) ([2]float64, bool) {
	if seq, ok := p.resolve(n).(*ast.SequenceNode); ok {
		if len(seq.Values) != 2 {
			p.fail(n, key, "expected [FROM, TO], got %d values", len(seq.Values))
			return [2]float64{}, false
		}
		from, ok1 := p.number(seq.Values[0], key+"[0]")
		to, ok2 := p.number(seq.Values[1], key+"[1]")
		if !ok1 || !ok2 {
			return [2]float64{}, false
		}
		if from > to {
			p.fail(n, key, "FROM %v is above TO %v", from, to)
			return [2]float64{}, false
		}
		return [2]float64{from, to}, true
	}
	text, ok := p.text(n, key)
	if !ok {
		return [2]float64{}, false
	}
	from, to, err := ParseRange(text)
	if err != nil {
		p.failAt(studyLine(n), key, err)
		return [2]float64{}, false
	}
	return [2]float64{from, to}, true
}

// boolean reads true or false.
func (p *studyParser) boolean(n ast.Node, key string) (bool, bool) {
	b, ok := p.resolve(n).(*ast.BoolNode)
	if !ok {
		p.fail(n, key, "expected true or false, got %s", p.show(n))
		return false, false
	}
	return b.Value, true
}

// columnAt records a column a section names, for CheckColumns.
func (p *studyParser) columnAt(s *Study, line int, key, col string) {
	s.sectionColumns = append(s.sectionColumns, studyColumnRef{p.file, line, key, col})
}

// lineColumns records the columns of a line or sweep a section defines
// (pos is its FILE:LINE).
func (p *studyParser) lineColumns(s *Study, pos, key string, cols []string) {
	for _, c := range cols {
		s.sectionColumns = append(s.sectionColumns, studyColumnRef{pos, 0, key, c})
	}
}

// completeSections checks the sections of a study built in code, as the
// parser checks those of a file.
func (s *Study) completeSections() []error {
	var errs []error
	if c := s.Compare; c != nil {
		for _, sw := range c.Sweeps {
			if err := sw.check(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if d := s.Dynamics; d != nil && (d.ID == "" || d.Year == "") {
		errs = append(errs, fmt.Errorf("dynamics: the id and year columns are required"))
	}
	if r := s.Risk; r != nil && (r.ID == "" || r.Year == "") {
		errs = append(errs, fmt.Errorf("risk: the id and year columns are required"))
	}
	return errs
}

// runSections runs the compare:, dynamics:, risk: and vulnerability:
// sections of s, in this order, and appends their results, warnings (each
// prefixed by the section's name), flags, scores and files to out. rows
// are the row counts of the study's own read: a section that reads other
// rows (the inputs changed in between) says so in a warning. A risk score without enough
// events to fit (ErrTooFewEvents) is a warning, not an error.
func runSections(ctx context.Context, s *Study, out *Output, rows RowCounts) error {
	add := sectionAdder(s, out, rows)
	if s.Compare != nil {
		res, err := Compare(ctx, s, *s.Compare)
		if err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		add("compare", newRows(out.Results, res.Results), res.Warnings, res.Rows)
	}
	if d := s.Dynamics; d != nil {
		sc := *s
		if d.Lines != nil {
			sc.Lines = d.Lines
		}
		res, err := RunDynamics(ctx, &sc, d.Dynamics)
		if err != nil {
			return fmt.Errorf("dynamics: %w", err)
		}
		add("dynamics", res.Results, res.Warnings, res.Rows)
		out.Flags = res.Flags
		if d.FlagsOut {
			out.Files = append(out.Files, File{Name: "flags.csv", Data: EncodeFlags(res.Flags, d.ID, d.Year)})
		}
	}
	if r := s.Risk; r != nil {
		sc := *s
		if r.Line != nil {
			sc.Lines = []Line{*r.Line}
		}
		res, err := RunRisk(ctx, &sc, r.Risk)
		switch {
		case errors.Is(err, ErrTooFewEvents):
			// A panel too short or too calm to fit a score leaves the
			// study's other results standing.
			out.Warnings = append(out.Warnings, fmt.Sprintf("risk: no score: %v", err))
		case err != nil:
			return fmt.Errorf("risk: %w", err)
		default:
			add("risk", res.Results, res.Warnings, res.Rows)
			out.Scores = res.Scores
			if r.ScoresOut {
				out.Files = append(out.Files, File{Name: "scores.csv", Data: EncodeScores(res.Scores, r.ID, r.Year, s.Weight)})
			}
		}
	}
	if v := s.Vulnerability; v != nil {
		if err := runVulnerabilitySection(ctx, s, v, out, add); err != nil {
			return err
		}
	}
	return nil
}

// sectionAdder returns the function that appends a section's results and
// warnings to out (see runSections): the rows without a standard error of
// their own are marked (markNoSE), each warning is prefixed by the
// section's name, and a section that read or used other rows than the
// study says so in a warning.
func sectionAdder(s *Study, out *Output, rows RowCounts) func(section string, results []Result, warnings []string, got RowCounts) {
	return func(section string, results []Result, warnings []string, got RowCounts) {
		for i := range results {
			markNoSE(s, &results[i])
		}
		out.Results = append(out.Results, results...)
		for _, w := range warnings {
			out.Warnings = append(out.Warnings, section+": "+w)
		}
		if got.Read != rows.Read || got.Used != rows.Used {
			out.Warnings = append(out.Warnings, fmt.Sprintf("%s: read %d rows and used %d, the study %d and %d", section, got.Read, got.Used, rows.Read, rows.Used))
		}
	}
}

// markNoSE gives a section's row that has no standard error of its own
// the missing one of the study's rows: NaN figures, and SEMethod
// "unavailable" when the study computes standard errors.
func markNoSE(s *Study, r *Result) {
	if r.SEMethod != "" {
		return
	}
	nan := math.NaN()
	r.SE, r.CILower, r.CIUpper, r.RSE, r.Deff = nan, nan, nan, nan, nan
	if s.SEMethod != "" && s.SEMethod != "none" {
		r.SEMethod = "unavailable"
	}
}

// newRows returns the rows of more that have no row of the same indicator,
// model, line, domain, point, cell and ratio in have: a comparison of the
// study's own lines repeats their population, line, headcount and
// poor_population rows, which the study already has (with its standard
// errors).
func newRows(have, more []Result) []Result {
	key := func(r Result) string {
		at := ""
		if r.At != nil {
			at = strconv.FormatFloat(*r.At, 'g', -1, 64)
		}
		return strings.Join([]string{r.Indicator, r.Model, r.Line, domainKey(r.Domain), at, r.Cell, r.Ratio}, "\x01")
	}
	seen := make(map[string]bool, len(have))
	for _, r := range have {
		seen[key(r)] = true
	}
	var out []Result
	for _, r := range more {
		if !seen[key(r)] {
			out = append(out, r)
		}
	}
	return out
}
