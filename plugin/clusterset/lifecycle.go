package clusterset

import (
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
	"github.com/coredns/coredns/plugin"
)

// lifecycle is one run of the plugin, from OnStartup to OnShutdown: a reload
// makes a new ClusterSet with a new lifecycle and shuts the old one down.
type lifecycle struct {
	watcher *watcher
	syncer  *syncer
	stop    chan struct{}
	done    chan struct{}
	// inherited is the lifecycle of the instance this one replaces on a
	// reload (handoff.go), answered from until this one's first snapshot,
	// then dropped so that its caches can be freed.
	inherited atomic.Pointer[lifecycle]
	// stopped is set by OnShutdown: the watch is gone, the last snapshot
	// still answers.
	stopped atomic.Bool
}

// snapshot returns the snapshot to answer from: this lifecycle's, else
// the one it inherited, else nil (not synced).
func (lc *lifecycle) snapshot() *answer.Snapshot {
	if s := lc.syncer.current.Load(); s != nil {
		return s
	}
	if prev := lc.inherited.Load(); prev != nil {
		return prev.snapshot()
	}
	return nil
}

// OnStartup starts the watch and the sync loop and returns at once: until
// the first sync the plugin answers SERVFAIL and Ready is false, so no
// query waits on the API. With startup_timeout it holds the server's
// listener until the first snapshot, at most that long.
func (c *ClusterSet) OnStartup() error {
	queue := newChangeQueue()
	w := newWatcher(c.watch, queue.add)
	w.health.gauges = c.gauges
	prev := c.takeHandoff()
	if prev != nil {
		w.inheritFrom(prev.watcher)
	}
	if err := w.start(); err != nil {
		return plugin.Error(pluginName, err)
	}
	s := c.newSyncerFor(w, queue, w.hasSynced)
	lc := &lifecycle{watcher: w, syncer: s, stop: make(chan struct{}), done: make(chan struct{})}
	if prev != nil {
		lc.inherited.Store(prev)
		s.predecessor = prev.snapshot
		log.Infof("Reloaded with the same data source: answering from the previous instance's data until this one has synced")
	}
	s.firstPublished = func() {
		if prev != nil {
			lc.inherited.Store(nil)
			w.inheritFrom(nil)
		}
		go releaseSyncMemory()
	}
	c.gauges.claim(prev != nil)
	go func() {
		defer close(lc.done)
		s.run(lc.stop)
	}()
	c.running.Store(lc)
	if c.startupTimeout > 0 {
		c.holdUntilSynced(s)
	}
	return nil
}

// releaseSyncMemory hands the heap the first sync left behind back to the
// operating system at once. The initial lists decode every object in full
// before it is trimmed, so the sync's transient heap is several times what
// the caches and the snapshot keep; the runtime's background scavenger
// would take minutes to return those pages, and the server's RSS would
// count them until then. One forced collection, once per start or reload.
func releaseSyncMemory() { debug.FreeOSMemory() }

// holdUntilSynced waits for the first snapshot at most startup_timeout.
func (c *ClusterSet) holdUntilSynced(s *syncer) {
	deadline := time.Now().Add(c.startupTimeout)
	for s.current.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(syncPollInterval)
	}
	if s.current.Load() == nil {
		log.Warningf("Not synced with the API after %s; answering SERVFAIL for imported names until then", c.startupTimeout)
	}
}

// newSyncerFor makes the update path of this configuration over source.
func (c *ClusterSet) newSyncerFor(source answer.Source, queue *changeQueue, synced func() bool) *syncer {
	origins := make([]string, len(c.zones))
	for i := range c.zones {
		origins[i] = c.zones[i].origin
	}
	s := newSyncer(answer.Builder{Zones: origins, Opts: c.answers}, c.zones, source, queue, synced)
	s.gauges = c.gauges
	s.initialSerial = c.preSyncSOA[0].Serial
	return s
}

// OnShutdown stops the watch and the sync loop and waits for them, so a
// reload leaks no goroutine. The last snapshot keeps answering: on SIGTERM
// CoreDNS runs every OnShutdown first and only then the health plugin's
// lameduck wait, during which the server still answers every query that
// reaches it (kube-proxy has not yet taken the pod out of the Service).
// Those queries get the answers of the moment the watch stopped, not
// SERVFAIL; Ready turns false, so the readiness probe drains the pod.
func (c *ClusterSet) OnShutdown() error {
	_ = c.withdrawHandoff()
	lc := c.running.Load()
	if lc == nil || !lc.stopped.CompareAndSwap(false, true) {
		return nil
	}
	close(lc.stop)
	lc.watcher.stop()
	<-lc.done
	c.gauges.release()
	return nil
}
