package clusterset

import (
	"math"
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
	_ = keep[len(keep)-1]
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
		if got := debug.SetMemoryLimit(-1); got != bounded {
			t.Fatalf("limit changed to %d while objects were still reused", got)
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
