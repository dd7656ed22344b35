package clusterset

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
)

// The consistency check. A watch can miss an event (a bug, a proxy that
// drops a frame, an API server restored from backup) and nothing in
// client-go notices: the cache then serves stale answers until a restart.
// So every consistencyInterval the watcher lists each kind page by page,
// compares names and resource versions with its cache, and relists the
// kind that differs.
const (
	consistencyInterval = 5 * time.Minute
	// consistencyGrace is how long a difference may last before it is
	// drift: events in flight during the list make short ones.
	consistencyGrace = 5 * time.Second
	// consistencyPage bounds the objects one list page holds, so the check
	// costs little memory however large the cluster.
	consistencyPage = 500
)

// checkConsistency runs the check every interval until ctx ends.
func (w *watcher) checkConsistency(ctx context.Context) {
	tick := time.NewTicker(w.consistencyInterval())
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			w.checkOnce(ctx, consistencyGrace)
		}
	}
}

func (w *watcher) consistencyInterval() time.Duration {
	if w.checkInterval > 0 {
		return w.checkInterval
	}
	return consistencyInterval
}

// checkOnce compares every synced kind with the API and relists the ones
// that still differ after grace. It returns the drift it found.
func (w *watcher) checkOnce(ctx context.Context, grace time.Duration) int {
	total := 0
	// ClusterProperties are checked too: a missed event would keep a stale
	// cluster ID or health list, which changes every answer, until a restart.
	for _, ptr := range []*atomic.Pointer[watchedKind]{&w.imports, &w.slices, &w.namespaces, &w.properties.kind} {
		k := ptr.Load()
		if k == nil || !k.synced() {
			continue
		}
		n, err := k.differences(ctx)
		if err == nil && n > 0 {
			// Let events in flight land, then look again.
			select {
			case <-ctx.Done():
				return total
			case <-time.After(grace):
			}
			n, err = k.differences(ctx)
		}
		if err != nil {
			// The watches may still work: since client-go streams the
			// initial list over a watch, a role without `list` shows only
			// here.
			w.health.logError(k.resource, err)
			continue
		}
		if n == 0 {
			continue
		}
		total += n
		driftTotal.WithLabelValues(k.resource).Add(float64(n))
		log.Warningf("The cache of %s differs from the API in %d objects; relisting", k.resource, n)
		w.relist(ctx, ptr)
	}
	return total
}

// differences counts the objects whose presence or resource version differ
// between the API and k's cache.
func (k *watchedKind) differences(ctx context.Context) (int, error) {
	api := map[string]string{}
	opts := metav1.ListOptions{Limit: consistencyPage}
	for {
		list, err := k.list(ctx, opts)
		if err != nil {
			return 0, err
		}
		err = apimeta.EachListItem(list, func(obj runtime.Object) error {
			m, err := apimeta.Accessor(obj)
			if err != nil {
				return err
			}
			key, err := cache.MetaNamespaceKeyFunc(m)
			if err != nil {
				return err
			}
			api[key] = m.GetResourceVersion()
			return nil
		})
		if err != nil {
			return 0, err
		}
		lm, err := apimeta.ListAccessor(list)
		if err != nil {
			return 0, err
		}
		if opts.Continue = lm.GetContinue(); opts.Continue == "" {
			break
		}
	}
	store := k.informer.GetStore()
	n := 0
	for key, rv := range api {
		obj, exists, err := store.GetByKey(key)
		if err != nil || !exists {
			n++
			continue
		}
		if m, err := apimeta.Accessor(obj); err != nil || m.GetResourceVersion() != rv {
			n++
		}
	}
	for _, key := range store.ListKeys() {
		if _, ok := api[key]; !ok {
			n++
		}
	}
	return n, nil
}

// relist replaces the informer in ptr with a fresh one, once that has
// synced, and has every service either cache knows rebuilt: the fresh
// informer tells of what it has, not of what the old one held wrongly.
// The old informer serves until then. The fresh one runs as long as the
// watcher; ctx bounds only the wait for its sync, and the fresh informer is
// dropped when ctx ends first. It reports whether it swapped.
func (w *watcher) relist(ctx context.Context, ptr *atomic.Pointer[watchedKind]) bool {
	old := ptr.Load()
	fresh, err := old.remake()
	if err != nil {
		log.Errorf("Relisting %s: %v", old.resource, err)
		return false
	}
	fresh.held.setReplaced(old.informer.GetStore())
	defer fresh.held.setReplaced(nil)
	w.startKind(w.ctx, fresh)
	var caughtUpBy time.Time // set once fresh has synced
	for {
		if fresh.synced() {
			if caughtUpBy.IsZero() {
				caughtUpBy = time.Now().Add(relistCatchUp)
			}
			if !fresh.behind(old) || time.Now().After(caughtUpBy) {
				break
			}
		}
		select {
		case <-ctx.Done():
			fresh.stopRun()
			<-fresh.done
			return false
		case <-time.After(syncPollInterval):
		}
	}
	// Another relist of the same kind may have swapped meanwhile: stop
	// whichever informer this one replaces.
	replaced := ptr.Swap(fresh)
	replaced.stopRun()
	<-replaced.done
	for _, k := range []*watchedKind{replaced, fresh} {
		for _, obj := range k.informer.GetStore().List() {
			k.handlers.OnAdd(obj, false)
		}
	}
	return true
}

// relistCatchUp bounds the wait for a synced fresh informer to reach what
// the one it replaces has seen (behind); a watch bookmark or any change
// brings it there, and the old informer serves meanwhile.
const relistCatchUp = 5 * time.Second

// behind reports whether k has seen less of the API's history than other.
// A fresh informer's first list may come from the API server's watch cache
// and lag what the informer it replaces has already delivered (after a
// restart, the old reflector may reconnect first): swapping before the
// fresh one caught up would take answers back to older data. Resource
// versions are compared as the etcd revisions they are; where either is
// not a number, nothing is held back.
func (k *watchedKind) behind(other *watchedKind) bool {
	mine, err1 := strconv.ParseUint(k.informer.LastSyncResourceVersion(), 10, 64)
	theirs, err2 := strconv.ParseUint(other.informer.LastSyncResourceVersion(), 10, 64)
	return err1 == nil && err2 == nil && mine < theirs
}
