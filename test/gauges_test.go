package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// gaugesCorefile has two server blocks with the directive on one server,
// each serving a namespace of its own, so that each block's gauges differ.
const gaugesCorefile = `clusterset.local:{$DNS_PORT} {
    reload 2s 1s
    ready {$READY_ADDR}
    prometheus {$METRICS_ADDR}
    clusterset {
        kubeconfig {$KUBECONFIG}
        namespaces gauges-a
        ttl 5
    }
}
example.test:{$DNS_PORT} {
    clusterset {
        kubeconfig {$KUBECONFIG}
        namespaces gauges-b
    }
}
`

// TestGaugesPerServerBlock checks that each server block reports its own
// gauges, labelled with its zone, and that a reload does not show the
// new instance as unsynced while it answers the old one's data.
func TestGaugesPerServerBlock(t *testing.T) {
	ctx := t.Context()
	counts := map[string]int{"gauges-a": 2, "gauges-b": 3}
	for ns, n := range counts {
		must(t, bed.EnsureNamespace(ctx, ns))
		for i := range n {
			vip := fmt.Sprintf("10.100.%d.%d", len(ns), i+1)
			must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, fmt.Sprintf("s%d", i), mcsv1beta1.ClusterSetIP, []string{vip}, nil, "east")))
		}
	}
	path := filepath.Join(t.TempDir(), "Corefile")
	must(t, os.WriteFile(path, []byte(gaugesCorefile), 0o600))
	c := startCoreDNS(t, path, nil, nil)

	zones := map[string]string{"gauges-a": "clusterset.local.", "gauges-b": "example.test."}
	for ns, zone := range zones {
		series := fmt.Sprintf(`coredns_clusterset_services{type="ClusterSetIP",zone=%q}`, zone)
		waitMetricValue(t, c.metricsAddr, series, float64(counts[ns]), converge)
		waitMetricValue(t, c.metricsAddr, fmt.Sprintf(`coredns_clusterset_synced{zone=%q}`, zone), 1, converge)
	}
	labelled := fmt.Sprintf(`coredns_clusterset_synced{server="dns://%s",zone="clusterset.local."}`, c.addr)
	if _, err := metric(c.metricsAddr, labelled); err != nil {
		t.Errorf("the server label is not CoreDNS's: %v", err)
	}

	// A reload to another TTL: the same data source, so the new instance
	// answers the old one's data at once, and must not say it is not
	// synced meanwhile.
	synced := `coredns_clusterset_synced{zone="clusterset.local."}`
	var (
		mu                    sync.Mutex
		samples, scrapeErrors int
		notSynced             []string
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			v, err := metric(c.metricsAddr, synced)
			mu.Lock()
			switch {
			case err != nil && strings.Contains(err.Error(), "no sample"):
				notSynced = append(notSynced, err.Error())
			case err != nil:
				scrapeErrors++ // the metrics listener itself, not the gauge
			case v != 1:
				notSynced = append(notSynced, fmt.Sprintf("%s = %v", synced, v))
			default:
				samples++
			}
			mu.Unlock()
		}
	}()
	body, err := os.ReadFile(c.corefile)
	must(t, err)
	must(t, os.WriteFile(c.corefile, []byte(strings.Replace(string(body), "ttl 5", "ttl 7", 1)), 0o600))
	name := fqdn("s0.gauges-a.svc")
	expect(t, c, 30*time.Second, name, "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{name + " A 10.100.8.1"}, TTL: 7})
	time.Sleep(2 * time.Second) // the old instance winds down
	close(stop)
	wg.Wait()
	t.Logf("%d scrapes of %s during the reload, %d failed to connect", samples, synced, scrapeErrors)
	if len(notSynced) > 0 {
		t.Errorf("%d scrapes during the reload did not say synced, first: %s", len(notSynced), notSynced[0])
	}
	if samples == 0 {
		t.Errorf("no scrape of %s succeeded during the reload", synced)
	}
	// Both blocks still report their own after it.
	for ns, zone := range zones {
		waitMetricValue(t, c.metricsAddr, fmt.Sprintf(`coredns_clusterset_services{type="ClusterSetIP",zone=%q}`, zone), float64(counts[ns]), converge)
	}
}
