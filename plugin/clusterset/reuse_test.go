package clusterset

import (
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object/convert"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"k8s.io/client-go/tools/cache"
)

// TestReusingKeepsTheHeldCopy: an object that comes back at the version the
// store holds is the held object, whichever store holds it; any other
// version, key or kind is the newly trimmed one.
func TestReusingKeepsTheHeldCopy(t *testing.T) {
	own := cache.NewStore(cache.MetaNamespaceKeyFunc)
	replaced := cache.NewStore(cache.MetaNamespaceKeyFunc)
	inOwn := fixtures.AtVersion(fixtures.TrimmedImport("ns", "a", "ClusterSetIP", []string{"10.0.0.1"}), "5")
	inReplaced := fixtures.AtVersion(fixtures.TrimmedImport("ns", "b", "Headless", nil), "7")
	sliceNamedS := fixtures.AtVersion(fixtures.TrimmedSlice("ns", "a", "s", "c1", "IPv4", nil), "5")
	for _, err := range []error{own.Add(inOwn), replaced.Add(inReplaced), replaced.Add(sliceNamedS)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	held := &heldObjects{}
	held.setOwn(own)
	held.setReplaced(replaced)
	transform := held.reusing(convert.TransformServiceImport)

	fromAPI := func(name, rv string) any {
		si := fixtures.ServiceImport("ns", name, "ClusterSetIP", []string{"10.0.0.1"}, nil)
		si.ResourceVersion = rv
		return si
	}
	cases := []struct {
		name string
		in   any
		want any // nil: a new object, not one held
	}{
		{"same version as the own store's", fromAPI("a", "5"), inOwn},
		{"same version as the replaced store's", fromAPI("b", "7"), inReplaced},
		{"newer version", fromAPI("a", "6"), nil},
		{"not held", fromAPI("c", "5"), nil},
		{"another kind at that key and version", fromAPI("s", "5"), nil},
		{"no version", fromAPI("a", ""), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := transform(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil {
				if got != tc.want {
					t.Fatalf("got a new %T, want the held one", got)
				}
				return
			}
			if got == inOwn || got == inReplaced || got == any(sliceNamedS) {
				t.Fatalf("got a held object for %s", tc.name)
			}
		})
	}

	t.Run("the replaced store is let go", func(t *testing.T) {
		held.setReplaced(nil)
		got, err := transform(fromAPI("b", "7"))
		if err != nil {
			t.Fatal(err)
		}
		if got == inReplaced {
			t.Fatal("reused an object of a store that was let go")
		}
	})
	t.Run("a tombstone passes", func(t *testing.T) {
		tombstone := cache.DeletedFinalStateUnknown{Key: "ns/a", Obj: fromAPI("a", "5")}
		got, err := transform(tombstone)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got.(cache.DeletedFinalStateUnknown); !ok {
			t.Fatalf("got %T, want the tombstone", got)
		}
	})
	t.Run("an error passes", func(t *testing.T) {
		if _, err := transform("not an object"); err == nil {
			t.Fatal("no error for an object of the wrong type")
		}
	})
}

// TestAReloadedWatcherHoldsThePredecessorsObjects: the informers of a
// reload's new instance, listing the same API, keep the old instance's
// objects rather than copies, until they are told to let go.
func TestAReloadedWatcherHoldsThePredecessorsObjects(t *testing.T) {
	api := newFakeAPI(t, true, namespace("ns", "1", nil), importBeta("ns", "web", "2", "10.0.0.1"), endpointSlice("ns", "web-c1", "web", "3"))
	old := startWatcher(t, api, watchOptions{}, newNotifications(), true)

	next := newWatcher(watchOptions{}, newNotifications().notify)
	next.inheritFrom(old)
	if err := next.startWithClients(api.kube, mcsWithoutWatchList{api.mcs}, api.dyn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(next.stop)
	if !next.waitForSync(eventTimeout) {
		t.Fatal("not synced")
	}
	web := key("ns", "web")
	if got, want := next.ServiceImport(web), old.ServiceImport(web); got == nil || got != want {
		t.Errorf("ServiceImport %p, want the predecessor's %p", got, want)
	}
	gotSlices, wantSlices := next.EndpointSlices(web), old.EndpointSlices(web)
	if len(gotSlices) != 1 || len(wantSlices) != 1 || gotSlices[0] != wantSlices[0] {
		t.Errorf("EndpointSlices %v, want the predecessor's %v", gotSlices, wantSlices)
	}

	next.inheritFrom(nil)
	for _, k := range next.kinds() {
		if k.held.replaced.Load() != nil {
			t.Errorf("%s still holds the predecessor's store", k.resource)
		}
	}
}
