package synth

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// fillChunk is the number of rows a goroutine generates at a time. Every
// household has its own random streams, so the rows do not depend on it.
const fillChunk = 4096

// Fill writes into dst the rows of households first, first+1, …,
// first+len(dst)-1 in year yearIndex, using up to GOMAXPROCS goroutines.
// The rows depend only on the Config, yearIndex and the household numbers.
// It panics if yearIndex or the household range is outside the panel.
func (p *Panel) Fill(dst []Household, yearIndex, first int) {
	if yearIndex < 0 || yearIndex >= p.cfg.Years {
		panic("synth: year index out of range")
	}
	if first < 0 || first+len(dst) > p.cfg.Households {
		panic("synth: household range out of range")
	}
	workers := min(runtime.GOMAXPROCS(0), (len(dst)+fillChunk-1)/fillChunk)
	if workers <= 1 {
		p.fill(newStream(), dst, yearIndex, first)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			s := newStream()
			for {
				lo := int(next.Add(fillChunk)) - fillChunk
				if lo >= len(dst) {
					return
				}
				hi := min(lo+fillChunk, len(dst))
				p.fill(s, dst[lo:hi], yearIndex, first+lo)
			}
		})
	}
	wg.Wait()
}

// Generate returns all the rows of year yearIndex of the panel for cfg. It
// holds them in memory (about 150 bytes a row); WriteYear streams them.
func Generate(cfg Config, yearIndex int) ([]Household, error) {
	p, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := p.checkYear(yearIndex); err != nil {
		return nil, err
	}
	rows := make([]Household, p.cfg.Households)
	p.Fill(rows, yearIndex, 0)
	return rows, nil
}
