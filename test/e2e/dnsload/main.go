// Command dnsload resolves names at a fixed rate for a fixed time, the way
// an application in a pod does (Go's own resolver, reading the pod's
// /etc/resolv.conf with its search list and ndots), and prints one JSON
// summary: lookups made, failed and unexpected, and latency percentiles.
// The end-to-end tests run it inside a client pod while they roll or
// reload the cluster DNS.
//
//	dnsload -rate 20 -duration 60s -expect web.demo.svc.clusterset.local=10.91.200.1
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// expectation is one name and the exact set of addresses it must resolve to.
type expectation struct {
	name  string
	addrs []string // sorted
}

type expectFlag []expectation

func (e *expectFlag) String() string { return fmt.Sprint(*e) }

func (e *expectFlag) Set(v string) error {
	name, list, ok := strings.Cut(v, "=")
	if !ok || name == "" || list == "" {
		return fmt.Errorf("want NAME=ADDR[,ADDR...], got %q", v)
	}
	addrs := strings.Split(list, ",")
	slices.Sort(addrs)
	*e = append(*e, expectation{name: name, addrs: addrs})
	return nil
}

// Summary is what dnsload prints.
type Summary struct {
	Lookups    int            `json:"lookups"`
	Failed     int            `json:"failed"`
	Unexpected int            `json:"unexpected"`
	Slow       int            `json:"slow"` // over one second: a retried query
	P50Ms      float64        `json:"p50_ms"`
	P99Ms      float64        `json:"p99_ms"`
	MaxMs      float64        `json:"max_ms"`
	Problems   []string       `json:"problems,omitempty"` // the first few, with their time
	Errors     map[string]int `json:"errors,omitempty"`
}

const maxProblems = 20

func main() {
	var expect expectFlag
	rate := flag.Int("rate", 20, "lookups a second")
	duration := flag.Duration("duration", 60*time.Second, "how long to keep resolving")
	timeout := flag.Duration("timeout", 10*time.Second, "give up on one lookup after this long")
	flag.Var(&expect, "expect", "NAME=ADDR[,ADDR...]: a name to resolve and its exact addresses (repeatable)")
	flag.Parse()
	if len(expect) == 0 || *rate <= 0 || *duration <= 0 {
		fmt.Fprintln(os.Stderr, "dnsload: need -expect, a positive -rate and -duration")
		os.Exit(2)
	}
	json.NewEncoder(os.Stdout).Encode(run(expect, *rate, *duration, *timeout))
}

// run starts one lookup every 1/rate seconds, each in its own goroutine so
// that a slow answer does not delay the next, and waits for all of them.
func run(expect []expectation, rate int, duration, timeout time.Duration) Summary {
	r := &net.Resolver{PreferGo: true}
	var (
		mu        sync.Mutex
		s         = Summary{Errors: map[string]int{}}
		latencies []time.Duration
		wg        sync.WaitGroup
	)
	start := time.Now()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := 0; time.Since(start) < duration; i++ {
		<-tick.C
		e := expect[i%len(expect)]
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			began := time.Now()
			addrs, err := r.LookupHost(ctx, e.name)
			took := time.Since(began)
			slices.Sort(addrs)
			mu.Lock()
			defer mu.Unlock()
			s.Lookups++
			latencies = append(latencies, took)
			at := began.Sub(start).Round(time.Millisecond)
			problem := ""
			switch {
			case err != nil:
				s.Failed++
				s.Errors[err.Error()]++
				problem = fmt.Sprintf("%v %s: %v", at, e.name, err)
			case !slices.Equal(addrs, e.addrs):
				s.Unexpected++
				problem = fmt.Sprintf("%v %s: got %v, want %v", at, e.name, addrs, e.addrs)
			}
			if took > time.Second {
				s.Slow++
				if problem == "" {
					problem = fmt.Sprintf("%v %s: took %v", at, e.name, took.Round(time.Millisecond))
				}
			}
			if problem != "" && len(s.Problems) < maxProblems {
				s.Problems = append(s.Problems, problem)
			}
		})
	}
	wg.Wait()
	slices.Sort(latencies)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	if n := len(latencies); n > 0 {
		s.P50Ms = ms(latencies[n/2])
		s.P99Ms = ms(latencies[min(n-1, n*99/100)])
		s.MaxMs = ms(latencies[n-1])
	}
	return s
}
