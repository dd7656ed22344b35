package clusterset

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestBoundedLimit(t *testing.T) {
	cases := []struct {
		name     string
		needed   uint64
		previous int64
		want     int64
	}{
		{"no limit set: the headroom above what was needed", 100 << 20, math.MaxInt64, 125 << 20},
		{"a higher user limit: the headroom", 100 << 20, 1 << 30, 125 << 20},
		{"a lower user limit stays", 100 << 20, 110 << 20, 110 << 20},
	}
	for _, tc := range cases {
		if got := boundedLimit(tc.needed, tc.previous); got != tc.want {
			t.Errorf("%s: boundedLimit(%d, %d) = %d, want %d", tc.name, tc.needed, tc.previous, got, tc.want)
		}
	}
}

// TestNeededMemoryIsBetweenLiveAndTotal: what the process needed counts
// the live heap and what the runtime holds besides the heap, never more
// than the runtime holds from the operating system.
func TestNeededMemoryIsBetweenLiveAndTotal(t *testing.T) {
	keep := make([]byte, 8<<20)
	debug.FreeOSMemory()
	needed := neededMemory()
	if needed < uint64(len(keep)) {
		t.Errorf("needed %d bytes with %d live", needed, len(keep))
	}
	if limit := uint64(1) << 40; needed > limit {
		t.Errorf("needed %d bytes, more than a TiB", needed)
	}
	runtime.KeepAlive(keep)
}

// TestRelistBoundSetsAndRestores: the first reused object sets a limit
// below none; it stays while objects keep being reused and goes back to
// the previous limit once they stop.
func TestRelistBoundSetsAndRestores(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	b := &relistBound{quiet: 200 * time.Millisecond}

	b.objectReused()
	bounded := debug.SetMemoryLimit(-1)
	if bounded >= before || bounded <= 0 {
		t.Fatalf("limit during the relist %d, want below the previous %d", bounded, before)
	}
	for range 5 {
		time.Sleep(100 * time.Millisecond)
		b.objectReused()
		// The limit may have been raised, if this process's collector
		// worked hard meanwhile, but it is still held.
		if got := debug.SetMemoryLimit(-1); got < bounded || got >= before {
			t.Fatalf("limit %d while objects were still reused, want from %d to below %d", got, bounded, before)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) != before {
		if time.Now().After(deadline) {
			t.Fatalf("limit still %d after the relist, want %d back", debug.SetMemoryLimit(-1), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b.active.Load() {
		t.Fatal("bound still active once restored")
	}
}

func TestRaisedLimit(t *testing.T) {
	if got := raisedLimit(100<<20, math.MaxInt64); got != 110<<20 {
		t.Errorf("raisedLimit(100 MiB, none) = %d, want 110 MiB", got)
	}
	if got := raisedLimit(100<<20, 105<<20); got != 105<<20 {
		t.Errorf("raisedLimit(100 MiB, 105 MiB) = %d, want the user's 105 MiB", got)
	}
}

func TestLimiterCycleIsRead(t *testing.T) {
	// A limit below a live heap of many pointers makes the collector mark
	// it all back to back until the runtime caps its CPU: the cycle it did
	// so in is then set.
	type node struct{ next *node }
	var live *node
	for range 1 << 20 {
		live = &node{next: live}
	}
	before := debug.SetMemoryLimit(1 << 20)
	defer debug.SetMemoryLimit(before)
	// On one P the collector's share is its own and this goroutine's
	// assists, as on a server given one CPU; on more, idle Ps dilute it.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	deadline := time.Now().Add(10 * time.Second)
	var garbage *node
	for limiterCycle() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the limiter never engaged under a limit far below the live heap")
		}
		for range 1 << 10 {
			garbage = &node{next: garbage}
		}
		garbage = nil
	}
	runtime.KeepAlive(live)
}
