package exporter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/workqueue"
	mcsclient "sigs.k8s.io/mcs-api/pkg/client/clientset/versioned"
)

// Cluster is one member of the ClusterSet: its ID (KEP-2149, a DNS
// subdomain) and admin clients of its API server.
type Cluster struct {
	ID   string
	Kube kubernetes.Interface
	MCS  mcsclient.Interface
}

// Errors Start returns.
var (
	ErrUnknownShape            = errors.New("exporter: unknown shape")
	ErrInvalidCluster          = errors.New("exporter: invalid cluster")
	ErrServiceExportsNotServed = errors.New("exporter: the API serves no ServiceExports (multicluster.x-k8s.io v1alpha1): is the mcs-api ServiceExport CRD installed?")
)

// maxRetries bounds the retries of a failed write: after them, the service
// waits for its next event.
const maxRetries = 8

// Exporter runs until Stop (or the end of the context given to Start).
type Exporter struct {
	shape    Shape
	logf     func(string, ...any)
	members  []*member
	queue    workqueue.TypedRateLimitingInterface[serviceKey]
	cancel   context.CancelFunc
	workers  sync.WaitGroup
	stopOnce sync.Once

	mu sync.Mutex
	// busy counts keys being written; retrying holds those waiting for a
	// retry. With an empty queue, both empty mean idle.
	busy     int
	retrying map[serviceKey]bool
	// changed is closed and replaced whenever a write ends, for WaitSynced.
	changed chan struct{}
	// notes are the conditions logged for each service, so that each is
	// logged once while it lasts.
	notes map[serviceKey]map[string]bool
}

// Start watches ServiceExports, Services, EndpointSlices and Namespaces in
// every cluster, waits until the caches hold them, and starts writing. It
// returns when the first writes are queued; WaitSynced waits for them.
// logf receives one line per condition worth knowing (a Service missing for
// an export, a write that failed); nil discards them.
func Start(ctx context.Context, shape Shape, clusters []Cluster, logf func(string, ...any)) (*Exporter, error) {
	return StartIn(ctx, shape, metav1.NamespaceAll, clusters, logf)
}

// StartIn is Start for the exports of one namespace only, so that two
// exporters of different shapes can share the clusters, each in its own
// namespaces (as two MCS implementations never would).
func StartIn(ctx context.Context, shape Shape, namespace string, clusters []Cluster, logf func(string, ...any)) (*Exporter, error) {
	if shape != LighthouseShape && shape != MCSAPIShape {
		return nil, fmt.Errorf("%w: %v", ErrUnknownShape, shape)
	}
	if err := validateClusters(clusters); err != nil {
		return nil, err
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	for _, c := range clusters {
		if _, err := c.MCS.Discovery().ServerResourcesForGroupVersion("multicluster.x-k8s.io/v1alpha1"); err != nil {
			return nil, fmt.Errorf("%w (cluster %s: %v)", ErrServiceExportsNotServed, c.ID, err)
		}
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &Exporter{
		shape: shape,
		logf:  logf,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[serviceKey](5*time.Millisecond, 2*time.Second),
			workqueue.TypedRateLimitingQueueConfig[serviceKey]{Name: "exporter"}),
		cancel:   cancel,
		retrying: map[serviceKey]bool{},
		changed:  make(chan struct{}),
		notes:    map[serviceKey]map[string]bool{},
	}
	for _, c := range clusters {
		e.members = append(e.members, newMember(c, e, namespace))
	}
	for _, m := range e.members {
		m.start(runCtx.Done())
	}
	for _, m := range e.members {
		if err := m.waitForSync(ctx); err != nil {
			e.Stop()
			return nil, err
		}
	}
	// The exporter ends with the caller's context too (a later Stop is
	// then a no-op).
	context.AfterFunc(ctx, e.Stop)
	e.workers.Add(1)
	go func() {
		defer e.workers.Done()
		for e.processNext(runCtx) {
		}
	}()
	return e, nil
}

func validateClusters(clusters []Cluster) error {
	if len(clusters) == 0 {
		return fmt.Errorf("%w: no clusters", ErrInvalidCluster)
	}
	seen := map[string]bool{}
	for i, c := range clusters {
		if errs := validation.IsDNS1123Subdomain(c.ID); len(errs) > 0 {
			return fmt.Errorf("%w: cluster %d: ID %q: %s", ErrInvalidCluster, i, c.ID, strings.Join(errs, "; "))
		}
		if seen[c.ID] {
			return fmt.Errorf("%w: cluster ID %q given twice", ErrInvalidCluster, c.ID)
		}
		seen[c.ID] = true
		if c.Kube == nil || c.MCS == nil {
			return fmt.Errorf("%w: cluster %q lacks a client", ErrInvalidCluster, c.ID)
		}
	}
	return nil
}

// Stop stops the watches and the writer and waits for them. A write under
// way is cut short; an exporter started later rewrites every service still
// exported (but does not clean up after services no longer exported). Stop
// can be called more than once.
func (e *Exporter) Stop() {
	e.stopOnce.Do(func() {
		e.cancel()
		e.queue.ShutDown()
		e.workers.Wait()
		for _, m := range e.members {
			m.shutdown()
		}
	})
}

// WaitSynced waits until the exporter is idle: everything its watches have
// seen so far is written, or waits for data that is missing (see the log).
func (e *Exporter) WaitSynced(ctx context.Context) error {
	for {
		e.mu.Lock()
		idle := e.queue.Len() == 0 && e.busy == 0 && len(e.retrying) == 0
		changed := e.changed
		e.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("exporter: not idle: %w", ctx.Err())
		}
	}
}

func (e *Exporter) enqueue(key serviceKey) { e.queue.Add(key) }

// enqueueNamespace queues every service exported in namespace ns: it has
// just appeared in some cluster, which can now import them.
func (e *Exporter) enqueueNamespace(ns string) {
	for _, m := range e.members {
		for _, key := range m.exportsIn(ns) {
			e.queue.Add(key)
		}
	}
}

// exported reports whether some cluster exports key: only then do its
// Service and slice events matter.
func (e *Exporter) exported(key serviceKey) bool {
	for _, m := range e.members {
		if m.exports(key) {
			return true
		}
	}
	return false
}

func (e *Exporter) processNext(ctx context.Context) bool {
	key, shutdown := e.queue.Get()
	if shutdown {
		return false
	}
	e.mu.Lock()
	e.busy++
	delete(e.retrying, key)
	e.mu.Unlock()

	err := e.sync(ctx, key)

	e.mu.Lock()
	switch {
	case err == nil:
		e.queue.Forget(key)
	case ctx.Err() != nil:
		// Stopping: nothing to retry.
	case e.queue.NumRequeues(key) < maxRetries:
		e.logf("exporter: %s: %v (retrying)", key, err)
		e.retrying[key] = true
		e.queue.AddRateLimited(key)
	default:
		e.logf("exporter: %s: %v (giving up until the next change)", key, err)
		e.queue.Forget(key)
	}
	e.queue.Done(key)
	e.busy--
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
	return true
}

// report logs the conditions of key not logged yet, and forgets those that
// ended, so that each is logged once while it lasts.
func (e *Exporter) report(key serviceKey, notes []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := map[string]bool{}
	for _, n := range notes {
		if !e.notes[key][n] {
			e.logf("exporter: %s: %s", key, n)
		}
		now[n] = true
	}
	if len(now) == 0 {
		delete(e.notes, key)
	} else {
		e.notes[key] = now
	}
}
