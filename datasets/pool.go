package datasets

import (
	"context"
	"sync"
	"sync/atomic"
)

// forEach calls do(i) for every i in [0, n), on up to par goroutines, taking
// the i in increasing order. After a call fails or ctx is done it starts no
// new call. It returns the error of the smallest i that failed (the same
// whatever par is, since every smaller i was started), else ctx.Err() if ctx
// ended the work early, else nil.
func forEach(ctx context.Context, n, par int, do func(i int) error) error {
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Bool
	work := func() {
		for !failed.Load() && ctx.Err() == nil {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			if err := do(i); err != nil {
				errs[i] = err
				failed.Store(true)
			}
		}
	}
	par = min(par, n)
	if par <= 1 {
		work()
	} else {
		var wg sync.WaitGroup
		for range par {
			wg.Go(work)
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if int(next.Load()) < n {
		return ctx.Err()
	}
	return nil
}
