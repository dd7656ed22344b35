package answer

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
)

// TestWalkReportsAddressesAsWritten: a skipped endpoint address is
// reported in its reason and exactly as written, whether the trimmed slice
// holds it parsed (a canonical address) or as text, and the valid ones,
// canonical or not, are not skipped.
func TestWalkReportsAddressesAsWritten(t *testing.T) {
	slice := func(name, addressType string, addrs ...string) *object.EndpointSlice {
		es := &object.EndpointSlice{
			ObjectMeta: object.ObjectMeta{Namespace: "demo", Name: name, ResourceVersion: "7"},
			Service:    "web", Cluster: "east", HasCluster: true, AddressType: addressType,
		}
		for _, a := range addrs {
			es.Endpoints = append(es.Endpoints, object.Endpoint{Addresses: object.NewAddresses(a), Ready: true})
		}
		return es
	}
	src := &oneService{
		si: &object.ServiceImport{ObjectMeta: object.ObjectMeta{Namespace: "demo", Name: "web", ResourceVersion: "1"}, Type: object.Headless},
		slices: []*object.EndpointSlice{
			slice("web-v4", object.AddressTypeIPv4, "10.1.0.1", "fd00::1", "010.1.0.2", "::ffff:10.1.0.3", "10.9.0.1", "0.0.0.0"),
			slice("web-v6", object.AddressTypeIPv6, "fd00::2", "FD00:0::3", "FD09::1", "fe80::1%eth0", "10.1.0.4"),
		},
	}
	deny := []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16"), netip.MustParsePrefix("fd09::/16")}
	b := Builder{Zones: []string{"clusterset.local."}, Opts: Options{TTL: 5, Addresses: AddressPolicy{Deny: deny}}}
	ans, skips := b.Build(src.si.Key(), src)
	if !ans.Serves() {
		t.Fatal("the service serves nothing")
	}
	skip := func(slice, reason, detail string) Skip {
		return Skip{Object: "EndpointSlice demo/" + slice, Version: "7", Reason: reason, Detail: detail}
	}
	want := []Skip{
		skip("web-v4", SkipInvalidIP, "fd00::1"),
		skip("web-v4", SkipInvalidIP, "010.1.0.2"),
		skip("web-v4", SkipInvalidIP, "::ffff:10.1.0.3"),
		skip("web-v4", SkipDisallowedIP, "10.9.0.1"),
		skip("web-v4", SkipDisallowedIP, "0.0.0.0"),
		skip("web-v6", SkipDisallowedIP, "FD09::1"),
		skip("web-v6", SkipInvalidIP, "fe80::1%eth0"),
		skip("web-v6", SkipInvalidIP, "10.1.0.4"),
	}
	if !slices.Equal(skips, want) {
		t.Errorf("skips:\n got %v\nwant %v", skips, want)
	}
}
