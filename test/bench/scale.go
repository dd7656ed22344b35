package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The large-scale mode (--large): the sizes at which memory and sync time
// are judged, without the phases whose figures do not change with size.
const (
	largeServices = 50000 // 500k endpoints at the default 10 per service
	largeSkip     = phaseQPS + "," + phaseCeiling + "," + phaseLatency + "," + phasePropagation
)

// memoryWatch samples the machine's available memory while the benchmark
// runs, and stops the run (through cancel) before the machine runs out: at
// 500k endpoints the API server alone holds several GiB.
type memoryWatch struct {
	floor int64 // stop below this MemAvailable, in bytes

	mu     sync.Mutex
	lowest int64 // the lowest MemAvailable seen
	stop   chan struct{}
	done   chan struct{}
}

// watchMemory samples every second until stopped, and cancels the run with
// the reason when MemAvailable falls below floor.
func watchMemory(cancel context.CancelCauseFunc, floor int64, logf func(string, ...any)) *memoryWatch {
	w := &memoryWatch{floor: floor, lowest: -1, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			avail, err := memAvailable()
			if err == nil {
				w.mu.Lock()
				if w.lowest < 0 || avail < w.lowest {
					w.lowest = avail
				}
				w.mu.Unlock()
				if avail < floor {
					err := fmt.Errorf("stopped: the machine's MemAvailable fell to %s, below --min-available %s", mib(avail), mib(floor))
					logf("%v", err)
					cancel(err)
					return
				}
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// Lowest returns the lowest MemAvailable seen so far (-1 when unknown).
func (w *memoryWatch) Lowest() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lowest
}

// Stop ends the sampling.
func (w *memoryWatch) Stop() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// memAvailable reads MemAvailable from /proc/meminfo, in bytes.
func memAvailable() (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no MemAvailable in /proc/meminfo")
}

// bedPeaks returns the peak RSS (VmHWM) of the kube-apiserver and etcd this
// process started, by command name.
func bedPeaks() map[string]int64 {
	peaks := map[string]int64{}
	self := os.Getpid()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		ppid, comm := procParent(pid)
		if ppid != self || (comm != "etcd" && comm != "kube-apiserver") {
			continue
		}
		if st, err := procStatus(pid); err == nil {
			peaks[comm] = max(peaks[comm], st.hwm)
		}
	}
	return peaks
}
