package clusterset

import (
	"testing"
	"time"
)

func TestRestartReplacesEveryInformerAndKeepsServing(t *testing.T) {
	api := newFakeAPI(t, true, namespace("ns", "1", nil), importBeta("ns", "web", "1", "10.0.0.1"), endpointSlice("ns", "web-a", "web", "1"))
	n := newNotifications()
	w := startWatcher(t, api, watchOptions{}, n, true)
	n.drain()
	before := []*watchedKind{w.imports.Load(), w.slices.Load(), w.namespaces.Load()}

	w.restartWatches(w.ctx)
	deadline := time.Now().Add(eventTimeout)
	for {
		after := []*watchedKind{w.imports.Load(), w.slices.Load(), w.namespaces.Load()}
		replaced := true
		for i := range after {
			replaced = replaced && after[i] != before[i]
		}
		if replaced {
			break
		}
		if si := w.ServiceImport(key("ns", "web")); si == nil {
			t.Fatalf("the ServiceImport went missing during the restart")
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every informer replaced within %v", eventTimeout)
		}
		time.Sleep(time.Millisecond)
	}
	for _, k := range before {
		select {
		case <-k.done:
		case <-time.After(eventTimeout):
			t.Fatalf("the replaced %s informer still runs", k.resource)
		}
	}
	if !w.hasSynced() || w.ServiceImport(key("ns", "web")) == nil || len(w.EndpointSlices(key("ns", "web"))) != 1 {
		t.Errorf("after the restart: synced %v, import %v, slices %v", w.hasSynced(), w.ServiceImport(key("ns", "web")), w.EndpointSlices(key("ns", "web")))
	}
	// The fresh informers tell of every service, so each is rebuilt.
	n.expect(t, key("ns", "web"))
}
