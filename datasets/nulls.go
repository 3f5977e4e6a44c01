package datasets

import "sync"

// nullBuf holds the null marks of a whole column. It is allocated at the
// first null, so that a column without nulls costs nothing. Goroutines that
// mark disjoint rows may share it.
type nullBuf struct {
	once sync.Once
	n    int
	b    []bool
}

// newNullBuf returns the null marks of a column of n rows.
func newNullBuf(n int) *nullBuf { return &nullBuf{n: n} }

// rows returns the marks of rows [lo, hi), allocating all marks on first use.
func (nb *nullBuf) rows(lo, hi int) []bool {
	nb.once.Do(func() { nb.b = make([]bool, nb.n) })
	return nb.b[lo:hi]
}

// marks returns the marks of every row, nil if rows was never called. It must
// not run concurrently with rows.
func (nb *nullBuf) marks() []bool { return nb.b }
