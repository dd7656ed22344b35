package clusterset

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Bounding the heap during a relist. Even when every object comes back
// unchanged and is kept once (reuse.go), a relist decodes the whole cache
// again in full before each object is trimmed, and that garbage piles up
// to the collector's goal: with the default GOGC the heap doubles before a
// collection, so the process's resident memory would peak near twice its
// steady size at every relist, the size a container's memory limit has to
// be set for. While objects are being reused (which only a relist does:
// a watch event always carries a new resource version) the Go runtime's
// soft memory limit is set to relistHeadroom above what the process
// needed before the relist, so that the collector runs as often as it
// takes to stay there; the previous limit is restored once no object has
// been reused for relistQuiet. The cost is collector CPU during the relist
// only, bounded by raising the limit whenever the runtime had to cap the
// collector's CPU; the first sync and the query path keep the default
// pacing.

const (
	// relistHeadroom is the fraction of the memory the process needed
	// before the relist that the relist may add.
	relistHeadroom = 0.25
	// relistQuiet is how long after the last reused object the relist is
	// taken to be over. A relist streams its objects without pauses of
	// this length; one that resumes later is bounded again.
	relistQuiet = 2 * time.Second
	// relistCheck is how often the collector's CPU limiter is looked at.
	relistCheck = 250 * time.Millisecond
	// relistRaiseSteps says by how much the limit is raised when the
	// limiter engaged: a tenth.
	relistRaiseSteps = 10
)

// relistMemory is the process's: the memory limit is the runtime's, shared
// by every server block and every informer.
var relistMemory relistBound

// relistBound sets and restores the memory limit around relists.
type relistBound struct {
	// lastReuse is the time of the latest reused object, in UnixNano.
	lastReuse atomic.Int64
	// active is read on every reused object, without the lock.
	active atomic.Bool

	mu sync.Mutex
	// quiet overrides relistQuiet in tests.
	quiet time.Duration
}

// quietPeriod is how long without a reused object ends the bound.
func (b *relistBound) quietPeriod() time.Duration {
	if b.quiet > 0 {
		return b.quiet
	}
	return relistQuiet
}

// objectReused is told of every object a transform reused. It is on the
// path of every relisted object, so it is one clock read and an atomic
// load unless the bound is to be set.
func (b *relistBound) objectReused() {
	b.lastReuse.Store(time.Now().UnixNano())
	if b.active.Load() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.active.Load() {
		return
	}
	previous := debug.SetMemoryLimit(-1)
	limit := boundedLimit(neededMemory(), previous)
	debug.SetMemoryLimit(limit)
	b.active.Store(true)
	log.Infof("Relisting: Go memory held to %d MiB until done", limit>>20)
	go b.hold(limit, previous)
}

// hold keeps the limit until no object has been reused for the quiet
// period, then restores previous. A relist whose objects and the
// structures client-go rebuilds for them do not fit under the limit would
// have the collector run back to back, until the runtime's limiter caps it
// at half the CPU: each time the limiter has engaged, the limit is raised a
// step.
func (b *relistBound) hold(limit, previous int64) {
	tick := time.NewTicker(relistCheck)
	defer tick.Stop()
	last := limiterCycle()
	raised := 0
	for range tick.C {
		if time.Since(time.Unix(0, b.lastReuse.Load())) >= b.quietPeriod() {
			break
		}
		if now := limiterCycle(); now != last && limit < previous {
			limit = raisedLimit(limit, previous)
			debug.SetMemoryLimit(limit)
			raised++
			last = now
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	debug.SetMemoryLimit(previous)
	b.active.Store(false)
	log.Infof("Relisted: Go memory limit back to %s (held at %d MiB, raised %d times)", limitString(previous), limit>>20, raised)
}

// raisedLimit is the next step up from limit, never past previous.
func raisedLimit(limit, previous int64) int64 {
	return min(limit+limit/relistRaiseSteps, previous)
}

// limiterCycle is the collection cycle in which the runtime last capped
// the collector's CPU, 0 if never: the sign that the memory limit was too
// tight to hold without collecting back to back.
func limiterCycle() uint64 {
	sample := []metrics.Sample{{Name: "/gc/limiter/last-enabled:gc-cycle"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return sample[0].Value.Uint64()
}

// boundedLimit is the limit for a process that needed needed bytes: the
// headroom above it, never above a limit the user set.
func boundedLimit(needed uint64, previous int64) int64 {
	limit := int64(float64(needed) * (1 + relistHeadroom))
	if previous > 0 && previous < limit {
		return previous
	}
	return limit
}

// limitString writes a memory limit for the log; math.MaxInt64 is the
// runtime's "no limit".
func limitString(limit int64) string {
	if limit == math.MaxInt64 {
		return "none"
	}
	return strconv.FormatInt(limit>>20, 10) + " MiB"
}

// neededMemory is what the runtime needed at the last collection: the live
// heap, and everything it holds besides the heap (goroutine stacks, its own
// metadata). Heap memory that is free, unused or returned to the operating
// system is not needed, and garbage not yet collected is not live.
func neededMemory() uint64 {
	samples := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	metrics.Read(samples)
	v := make([]uint64, len(samples))
	for i, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	live, total, objects, unused, free, released := v[0], v[1], v[2], v[3], v[4], v[5]
	heap := objects + unused + free + released
	if total < heap {
		return live
	}
	return live + (total - heap)
}
