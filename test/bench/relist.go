package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// relistTimeout bounds the wait for a forced relist to complete.
const relistTimeout = 5 * time.Minute

// relistResult is one server's forced relist.
type relistResult struct {
	steady    memory        // just before, after a forced GC
	peakRSS   int64         // VmHWM since just before (or the sampled peak)
	peakHeap  int64         // highest heap in use sampled every 100ms
	took      time.Duration // force to the last relist response delivered
	resources []string
	answering bool // answers the data after the relist
	note      string
}

// runRelist forces each server (ours, then in-tree, never both at once) to
// relist every resource it watches, through its proxy, and records the
// memory peak: VmHWM reset just before (/proc/PID/clear_refs), RSS sampled
// every 10ms and the heap every 100ms while the relist runs and for a
// settling time after it (the longer of 2s and the relist itself).
func runRelist(ctx context.Context, servers []*server, res *results, logf func(string, ...any)) error {
	res.relist = map[string]*relistResult{}
	for _, s := range servers {
		if s.proxy == nil {
			continue
		}
		r := &relistResult{}
		res.relist[s.kind] = r
		steady, err := s.settledMemory(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", s.kind, err)
		}
		r.steady = steady
		hwmOK := resetPeak(s.pid()) == nil
		if !hwmOK {
			r.note = "VmHWM could not be reset (not root?): the RSS peak is sampled every 10ms"
		}

		sampleCtx, stopSampling := context.WithCancel(ctx)
		var wg sync.WaitGroup
		var sampledRSS, sampledHeap int64
		wg.Add(2)
		go func() {
			defer wg.Done()
			for sampleCtx.Err() == nil {
				if st, err := procStatus(s.pid()); err == nil {
					sampledRSS = max(sampledRSS, st.rss)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		go func() {
			defer wg.Done()
			for sampleCtx.Err() == nil {
				if h, err := heapInuse(s.metricsAddr); err == nil {
					sampledHeap = max(sampledHeap, h)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()

		start := time.Now()
		r.resources = s.proxy.forceRelist()
		slices.Sort(r.resources)
		logf("%s: relist forced for %v", s.kind, r.resources)
		var waiting []string
		for {
			var done bool
			if done, waiting = s.proxy.relisted(); done {
				break
			}
			if time.Since(start) > relistTimeout {
				break
			}
			select {
			case <-ctx.Done():
				stopSampling()
				wg.Wait()
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
		r.took = time.Since(start)
		if len(waiting) > 0 {
			r.note = fmt.Sprintf("still waiting after %v for %v", relistTimeout, waiting)
			logf("%s: NOTE: %s", s.kind, r.note)
		}
		select {
		case <-ctx.Done():
		case <-time.After(max(2*time.Second, r.took)):
		}
		stopSampling()
		wg.Wait()
		r.peakRSS, r.peakHeap = sampledRSS, sampledHeap
		if st, err := procStatus(s.pid()); err == nil && hwmOK {
			r.peakRSS = max(r.peakRSS, st.hwm)
		}
		r.answering = s.answers(res.set, lastOf(res.set, true)) && s.answers(res.set, lastOf(res.set, false))
		logf("%s: relist took %v; RSS %s -> peak %s (x%.2f), heap %s -> peak %s (x%.2f); answering after: %v",
			s.kind, r.took.Round(time.Millisecond), mib(r.steady.rss), mib(r.peakRSS), ratio(r.peakRSS, r.steady.rss),
			mib(r.steady.heap), mib(r.peakHeap), ratio(r.peakHeap, r.steady.heap), r.answering)
	}
	return nil
}

func ratio[T int64 | float64](a, b T) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
