package clusterset

import (
	"reflect"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// Keeping one copy through a relist. A relist (client-go's after a watch
// ended with 410 Gone, or a fresh informer's, relist.go) fetches every
// object again, and most come back unchanged. client-go streams them into
// a temporary store and only then replaces the informer's store with it, so
// without this every cached object is held twice at the end of a relist,
// and the fresh informer of a restart holds a second copy of the whole
// cache until it takes over. An object whose key and resource version are
// those of an object the caches already hold is that object: the resource
// version is the etcd revision of the write that made it, so the held copy
// is kept and the new one dropped as soon as it is trimmed.

// A reload is the same: the new instance lists everything while the one it
// replaces (handoff.go) still holds it all, so until the new instance's
// first snapshot its informers reuse the old instance's objects.

// heldObjects is what a transform may reuse: the informer's own store and,
// while a fresh informer is being synced to replace another (a relist's,
// or the old instance's on a reload), the store of the one it replaces.
type heldObjects struct {
	own      atomic.Pointer[cache.Store]
	replaced atomic.Pointer[cache.Store]
}

// setOwn sets the informer's own store, once the informer exists.
func (h *heldObjects) setOwn(s cache.Store) { h.own.Store(&s) }

// setReplaced sets the store of the informer this one replaces; nil once it
// has, so that the old store can be freed.
func (h *heldObjects) setReplaced(s cache.Store) {
	if s == nil {
		h.replaced.Store(nil)
		return
	}
	h.replaced.Store(&s)
}

// reusing wraps transform: its result is swapped for the held object of
// the same key, type and resource version, when there is one.
func (h *heldObjects) reusing(transform cache.TransformFunc) cache.TransformFunc {
	return func(obj any) (any, error) {
		out, err := transform(obj)
		if err != nil {
			return out, err
		}
		if held := h.find(out); held != nil {
			relistMemory.objectReused()
			return held, nil
		}
		return out, nil
	}
}

// find returns the held object that obj is a copy of, or nil.
func (h *heldObjects) find(obj any) any {
	meta, ok := obj.(metav1.Object)
	if !ok || meta.GetResourceVersion() == "" {
		// A tombstone, or an object without a version to compare.
		return nil
	}
	key, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
		return nil
	}
	for _, store := range [...]*cache.Store{h.own.Load(), h.replaced.Load()} {
		if store == nil {
			continue
		}
		held, exists, err := (*store).GetByKey(key)
		if err != nil || !exists || reflect.TypeOf(held) != reflect.TypeOf(obj) {
			continue
		}
		if heldMeta, ok := held.(metav1.Object); ok && heldMeta.GetResourceVersion() == meta.GetResourceVersion() {
			return held
		}
	}
	return nil
}
