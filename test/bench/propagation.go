package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/clusterset-dns/clusterset/test/testbed"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// propagationTimeout bounds the wait for one update to show.
const propagationTimeout = 30 * time.Second

// runPropagation makes cfg.updates EndpointSlice updates, one at a time:
// each replaces the address of the first endpoint of one cluster's slice of
// a headless service with a new one. Ours and in-tree are polled together,
// each every millisecond with an A query for that service, from before the
// write starts; the figure is the time from the start of the API write to
// the first answer that holds the new address.
func runPropagation(ctx context.Context, cfg *config, bed *testbed.Bed, set *clusterSet, servers []*server, res *results, logf func(string, ...any)) error {
	rc := rest.CopyConfig(bed.Config)
	rc.QPS, rc.Burst = -1, 0
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	var targets []*server
	for _, s := range servers {
		if s.kind != kindFloor {
			targets = append(targets, s)
		}
	}
	res.prop = map[string][]time.Duration{}
	res.propTimeouts = map[string]int{}
	nHeadless, clusters := set.services/2, set.clustersOf()
	progress := time.Now()
	for k := 0; k < cfg.updates; k++ {
		i := 2*(k%nHeadless) + 1
		cluster := clusters[k%len(clusters)]
		name := set.slice(i, cluster).Name
		set.mu.Lock()
		es := set.slices[name].DeepCopy()
		set.mu.Unlock()
		newAddr := addr(10, 250, k+1)
		es.Endpoints[0].Addresses = []string{newAddr}

		seen := make([]time.Time, len(targets))
		pollCtx, cancel := context.WithTimeout(ctx, propagationTimeout)
		var wg sync.WaitGroup
		for j, s := range targets {
			wg.Add(1)
			go func() {
				defer wg.Done()
				seen[j] = pollFor(pollCtx, s.dnsAddr, fqdn(i), newAddr)
			}()
		}
		start := time.Now()
		updated, err := kube.DiscoveryV1().EndpointSlices(namespace).Update(ctx, es, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			cur, gerr := kube.DiscoveryV1().EndpointSlices(namespace).Get(ctx, name, metav1.GetOptions{})
			if gerr == nil {
				cur.Endpoints[0].Addresses = []string{newAddr}
				start = time.Now()
				updated, err = kube.DiscoveryV1().EndpointSlices(namespace).Update(ctx, cur, metav1.UpdateOptions{})
			}
		}
		written := time.Since(start)
		if err != nil {
			cancel()
			wg.Wait()
			return fmt.Errorf("update %d of EndpointSlice %s: %w", k, name, err)
		}
		set.mu.Lock()
		set.slices[name] = updated
		set.mu.Unlock()
		wg.Wait()
		cancel()
		res.apiWrite = append(res.apiWrite, written)
		for j, s := range targets {
			if seen[j].IsZero() {
				res.propTimeouts[s.kind]++
				continue
			}
			res.prop[s.kind] = append(res.prop[s.kind], seen[j].Sub(start))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if time.Since(progress) > 5*time.Second || k == cfg.updates-1 {
			progress = time.Now()
			for _, s := range targets {
				d := res.prop[s.kind]
				logf("propagation %-7s %d/%d updates: p50 %s p99 %s, not seen within %v: %d",
					s.kind, k+1, cfg.updates, fmtDur(percentile(d, 0.5)), fmtDur(percentile(d, 0.99)), propagationTimeout, res.propTimeouts[s.kind])
			}
		}
	}
	return nil
}

// pollFor asks addr for name's A records every millisecond until one of
// them is want, and returns when it saw it (zero on timeout).
func pollFor(ctx context.Context, addr, name, want string) time.Time {
	for {
		got, err := queryA(addr, name)
		if err == nil && slices.Contains(got, want) {
			return time.Now()
		}
		select {
		case <-ctx.Done():
			return time.Time{}
		case <-time.After(time.Millisecond):
		}
	}
}

// percentile is the nearest-rank percentile of d (which it sorts).
func percentile(d []time.Duration, p float64) time.Duration {
	return percentileWithLost(d, 0, p)
}
