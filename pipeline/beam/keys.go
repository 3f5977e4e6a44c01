package povbeam

import (
	"strings"

	"github.com/povstat/povstat/pipeline"
)

// keyer builds a unit's keys from its levels of the job's categorical
// columns (Job.catColumns).
type keyer struct {
	by    []int // positions of the breakdown columns
	cells []int // positions of pipeline's finest columns (the breakdown's first)
	lines []lineCols
}

// lineCols is where a line's columns sit among the levels.
type lineCols struct {
	line   pipeline.Line
	by     []int
	where  []int    // the columns of its conditions
	values []string // and the values they require
}

func newKeyer(j *Job) *keyer {
	cats := j.catColumns()
	pos := func(cols []string) []int {
		out := make([]int, len(cols))
		for i, c := range cols {
			for k, cc := range cats {
				if c == cc {
					out[i] = k
				}
			}
		}
		return out
	}
	k := &keyer{by: pos(j.By), cells: pos(j.finestColumns())}
	for _, l := range j.mustLines() {
		lc := lineCols{line: l, by: pos(l.By)}
		if l.Basis != "abs" { // an absolute line has no reference units
			for _, c := range l.Where {
				lc.where = append(lc.where, pos([]string{c.Column})[0])
				lc.values = append(lc.values, c.Value)
			}
		}
		k.lines = append(k.lines, lc)
	}
	return k
}

func join(levels []string, at []int) string {
	var b strings.Builder
	for i, p := range at {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(levels[p])
	}
	return b.String()
}

// domains returns the domain keys of u: the whole population, then its
// domain of the breakdown if there is one.
func (k *keyer) domains(u *unit, dst []string) []string {
	dst = append(dst[:0], nationalKey)
	if len(k.by) > 0 {
		dst = append(dst, domainKey(join(u.levels, k.by)))
	}
	return dst
}

// cell returns the key of u's cell of pipeline's finest cross-
// classification (pipeline.FinestColumns: the breakdown's columns, the
// region's, the ratios'). Sums that pipeline adds by cell (the poverty and
// entropy sums, the cells' counts) are kept by cell, and every domain's
// merged from them in cell order (fromCells), as pipeline merges its
// domains from its cells.
func (k *keyer) cell(u *unit) string { return cellKey(join(u.levels, k.cells)) }

// group returns the key of u's group of line i.
func (k *keyer) group(i int, u *unit) string { return lineKey(i, join(u.levels, k.lines[i].by)) }

// reference reports whether u is a reference unit of line i: it meets all
// the line's conditions.
func (k *keyer) reference(i int, u *unit) bool {
	lc := &k.lines[i]
	for c, p := range lc.where {
		if u.levels[p] != lc.values[c] {
			return false
		}
	}
	return true
}
