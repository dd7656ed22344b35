package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clusterset-dns/clusterset/test/fixtures"
	"github.com/clusterset-dns/clusterset/test/testbed"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
	mcsclient "sigs.k8s.io/mcs-api/pkg/client/clientset/versioned"
)

// Names of the benchmark's data.
const (
	namespace = "bench"
	zone      = "clusterset.local"
	portName  = "http"
)

// clusterSet is the generated data: service i is svc-%05d, ClusterSetIP
// when i is even (VIP 10.100.0.0/16 upwards), headless when odd; its
// endpoints e = 0..endpoints-1 are in cluster e%clusters with address
// 10.1.0.0/16 upwards, unique over the whole set. Addresses are plain 10/8:
// the API rejects loopback and link-local ones in EndpointSlices.
type clusterSet struct {
	services, endpoints int
	clusters            []string

	mu     sync.Mutex
	slices map[string]*discoveryv1.EndpointSlice // by name, as last written
}

func newClusterSet(cfg *config) *clusterSet {
	s := &clusterSet{services: cfg.services, endpoints: cfg.endpoints, slices: map[string]*discoveryv1.EndpointSlice{}}
	for c := 0; c < cfg.clusters; c++ {
		s.clusters = append(s.clusters, "cluster-"+string(rune('a'+c)))
	}
	return s
}

func (s *clusterSet) describe() string {
	return fmt.Sprintf("%d ServiceImports (%d ClusterSetIP, %d headless), %d endpoints in %d EndpointSlices over %d clusters, namespace %s",
		s.services, (s.services+1)/2, s.services/2, s.services*s.endpoints, s.sliceCount(), len(s.clusters), namespace)
}

func serviceName(i int) string { return fmt.Sprintf("svc-%05d", i) }

func headless(i int) bool { return i%2 == 1 }

// fqdn is the service's name in the zone, with the final dot.
func fqdn(i int) string { return serviceName(i) + "." + namespace + ".svc." + zone + "." }

// vip is the ClusterSetIP of service i.
func vip(i int) string { return addr(10, 100, i+1) }

// endpointAddr is the address of endpoint e of service i.
func (s *clusterSet) endpointAddr(i, e int) string { return addr(10, 1, i*s.endpoints+e+1) }

// addr returns a.b.0.0 + n.
func addr(a, b byte, n int) string {
	v := (uint32(a)<<24 | uint32(b)<<16) + uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

// clustersOf returns the clusters that hold endpoints of a service.
func (s *clusterSet) clustersOf() []string {
	if s.endpoints < len(s.clusters) {
		return s.clusters[:s.endpoints]
	}
	return s.clusters
}

func (s *clusterSet) sliceCount() int { return s.services * len(s.clustersOf()) }

func (s *clusterSet) objects() int { return 1 + s.services + s.sliceCount() }

// writes counts API calls: namespace, import and its status, slices.
func (s *clusterSet) writes() int { return 1 + 2*s.services + s.sliceCount() }

func (s *clusterSet) serviceImport(i int) *mcsv1beta1.ServiceImport {
	typ, ips := mcsv1beta1.ClusterSetIP, []string{vip(i)}
	if headless(i) {
		typ, ips = mcsv1beta1.Headless, nil
	}
	return fixtures.ServiceImport(namespace, serviceName(i), typ, ips,
		[]mcsv1beta1.ServicePort{fixtures.Port(portName, corev1.ProtocolTCP, 80)}, s.clustersOf()...)
}

func (s *clusterSet) slice(i int, cluster string) *discoveryv1.EndpointSlice {
	sl := fixtures.Slice{
		Namespace: namespace, Service: serviceName(i), Cluster: cluster,
		Ports: []fixtures.SlicePort{{Name: portName, Protocol: corev1.ProtocolTCP, Port: 8080}},
	}
	for e := 0; e < s.endpoints; e++ {
		if s.clusters[e%len(s.clusters)] == cluster {
			sl.Endpoints = append(sl.Endpoints, fixtures.Endpoint{Addresses: []string{s.endpointAddr(i, e)}, Ready: true})
		}
	}
	return sl.Object()
}

// wantA returns the A records service i must answer: its VIP, or the
// addresses of its slices as last written (the propagation phase changes
// them).
func (s *clusterSet) wantA(i int) []string {
	if !headless(i) {
		return []string{vip(i)}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var want []string
	for _, cluster := range s.clustersOf() {
		es := s.slices[s.slice(i, cluster).Name]
		if es == nil {
			continue
		}
		for _, ep := range es.Endpoints {
			want = append(want, ep.Addresses...)
		}
	}
	return want
}

// load writes the namespace, every ServiceImport (with status.clusters)
// and every EndpointSlice with a pool of workers, and returns how long it
// took.
func (s *clusterSet) load(ctx context.Context, bed *testbed.Bed, workers int, logf func(string, ...any)) (time.Duration, error) {
	start := time.Now()
	cfg := rest.CopyConfig(bed.Config)
	cfg.QPS, cfg.Burst = -1, 0 // no client-side rate limit: the pool bounds concurrency
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	mcs, err := mcsclient.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	if err := bed.EnsureNamespace(ctx, namespace); err != nil {
		return 0, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan func(context.Context) error)
	var (
		done     atomic.Int64
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				if err := job(ctx); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
				}
				done.Add(1)
			}
		}()
	}
	progress := time.NewTicker(5 * time.Second)
	defer progress.Stop()
	total := s.services + s.sliceCount()
	send := func(job func(context.Context) error) bool {
		for {
			select {
			case jobs <- job:
				return true
			case <-ctx.Done():
				return false
			case <-progress.C:
				logf("loading: %d/%d objects", done.Load(), total)
			}
		}
	}
feed:
	for i := 0; i < s.services; i++ {
		ok := send(func(ctx context.Context) error {
			si := s.serviceImport(i)
			c := mcs.MulticlusterV1beta1().ServiceImports(namespace)
			cur, err := c.Create(ctx, si, metav1.CreateOptions{})
			if err != nil {
				return fmt.Errorf("ServiceImport %s: %w", si.Name, err)
			}
			cur.Status = si.Status
			if _, err := c.UpdateStatus(ctx, cur, metav1.UpdateOptions{}); err != nil {
				return fmt.Errorf("ServiceImport %s status: %w", si.Name, err)
			}
			return nil
		})
		if !ok {
			break
		}
		for _, cluster := range s.clustersOf() {
			ok := send(func(ctx context.Context) error {
				es, err := kube.DiscoveryV1().EndpointSlices(namespace).Create(ctx, s.slice(i, cluster), metav1.CreateOptions{})
				if err != nil {
					return fmt.Errorf("EndpointSlice of %s in %s: %w", serviceName(i), cluster, err)
				}
				s.mu.Lock()
				s.slices[es.Name] = es
				s.mu.Unlock()
				return nil
			})
			if !ok {
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// queryMix is the share of each kind of query in the query file.
type queryMix struct{ clusterSetIP, headless, srv, nxdomain int }

func (m queryMix) String() string {
	t := float64(m.clusterSetIP + m.headless + m.srv + m.nxdomain)
	return fmt.Sprintf("%.0f%% ClusterSetIP A, %.0f%% headless A, %.0f%% SRV _%s._tcp (half each type), %.0f%% NXDOMAIN",
		100*float64(m.clusterSetIP)/t, 100*float64(m.headless)/t, 100*float64(m.srv)/t, portName, 100*float64(m.nxdomain)/t)
}

// writeQueryFile writes n dnsperf query lines in a fixed random order:
// 50% A of ClusterSetIP services, 30% A of headless services, 10% SRV
// _http._tcp (alternately of a ClusterSetIP and a headless service), 10% A
// of names that do not exist (NXDOMAIN). Services are picked uniformly.
func (s *clusterSet) writeQueryFile(path string, n int) (queryMix, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := make([]byte, n)
	var mix queryMix
	for i := range kinds {
		switch i % 10 {
		case 0, 1, 2, 3, 4:
			kinds[i] = 'c'
			mix.clusterSetIP++
		case 5, 6, 7:
			kinds[i] = 'h'
			mix.headless++
		case 8:
			kinds[i] = 's'
			mix.srv++
		default:
			kinds[i] = 'x'
			mix.nxdomain++
		}
	}
	rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	nCSIP, nHeadless := (s.services+1)/2, s.services/2
	f, err := os.Create(path)
	if err != nil {
		return mix, err
	}
	w := bufio.NewWriter(f)
	srv := 0
	for _, k := range kinds {
		switch k {
		case 'c':
			fmt.Fprintf(w, "%s A\n", fqdn(2*rng.IntN(nCSIP)))
		case 'h':
			fmt.Fprintf(w, "%s A\n", fqdn(2*rng.IntN(nHeadless)+1))
		case 's':
			i := 2 * rng.IntN(nCSIP)
			if srv++; srv%2 == 0 {
				i = 2*rng.IntN(nHeadless) + 1
			}
			fmt.Fprintf(w, "_%s._tcp.%s SRV\n", portName, fqdn(i))
		default:
			fmt.Fprintf(w, "nx-%06d.%s.svc.%s. A\n", rng.IntN(1000000), namespace, zone)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return mix, err
	}
	return mix, f.Close()
}
