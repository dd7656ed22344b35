package clusterset

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"
	"github.com/miekg/dns"
)

// fakeSource is an in-memory serviceSource for builder and handler tests.
type fakeSource struct {
	imports    map[object.ServiceKey]*object.ServiceImport
	slices     map[object.ServiceKey][]*object.EndpointSlice
	namespaces map[string]bool
	properties map[string]string
}

func newFakeSource(namespaces ...string) *fakeSource {
	f := &fakeSource{
		imports:    map[object.ServiceKey]*object.ServiceImport{},
		slices:     map[object.ServiceKey][]*object.EndpointSlice{},
		namespaces: map[string]bool{},
	}
	for _, ns := range namespaces {
		f.namespaces[ns] = true
	}
	return f
}

func (f *fakeSource) ServiceImport(key object.ServiceKey) *object.ServiceImport {
	return f.imports[key]
}

func (f *fakeSource) EndpointSlices(key object.ServiceKey) []*object.EndpointSlice {
	return f.slices[key]
}

func (f *fakeSource) NamespaceServed(ns string) bool { return f.namespaces[ns] }

func (f *fakeSource) ClusterProperties() map[string]string { return f.properties }

func (f *fakeSource) ServiceKeys() []object.ServiceKey {
	keys := make([]object.ServiceKey, 0, len(f.imports))
	for k := range f.imports {
		keys = append(keys, k)
	}
	return keys
}

func (f *fakeSource) addImport(ns, name, typ string, ips []string, ports ...object.Port) *object.ServiceImport {
	si := &object.ServiceImport{
		ObjectMeta: object.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: "1"},
		Type:       typ, IPs: ips, Ports: ports,
	}
	f.imports[si.Key()] = si
	return si
}

func (f *fakeSource) addSlice(ns, service, sliceName, cluster, addressType string, ports []object.Port, endpoints ...object.Endpoint) *object.EndpointSlice {
	es := &object.EndpointSlice{
		ObjectMeta: object.ObjectMeta{Namespace: ns, Name: sliceName, ResourceVersion: "1"},
		Service:    service, Cluster: cluster, HasCluster: cluster != "",
		AddressType: addressType, Endpoints: endpoints, Ports: ports,
	}
	f.slices[es.Key()] = append(f.slices[es.Key()], es)
	return es
}

func ready(hostname string, addrs ...string) object.Endpoint {
	return object.Endpoint{Addresses: object.NewAddresses(addrs...), Hostname: hostname, Ready: true}
}

func unready(hostname string, addrs ...string) object.Endpoint {
	return object.Endpoint{Addresses: object.NewAddresses(addrs...), Hostname: hostname}
}

func tcp(name string, port int32) object.Port {
	return object.Port{Name: name, Protocol: "TCP", Port: port}
}
func udp(name string, port int32) object.Port {
	return object.Port{Name: name, Protocol: "UDP", Port: port}
}

// newTestPlugin parses corefile, builds the first snapshot from src and
// returns the plugin ready to serve, without any API server.
func newTestPlugin(t testing.TB, corefile string, src answer.Source) *ClusterSet {
	t.Helper()
	c := caddy.NewTestController("dns", corefile)
	c.ServerBlockKeys = []string{"clusterset.local.:53"}
	cs, err := parse(c)
	if err != nil {
		t.Fatalf("parse %q: %v", corefile, err)
	}
	cs.Next = test.NextHandler(dns.RcodeRefused, nil)
	s := cs.newSyncerFor(src, newChangeQueue(), func() bool { return src != nil })
	if src != nil {
		s.apply(allKeys(src))
	}
	cs.running.Store(&lifecycle{syncer: s})
	return cs
}

func allKeys(src answer.Source) map[object.ServiceKey]time.Time {
	m := map[object.ServiceKey]time.Time{}
	for _, k := range src.ServiceKeys() {
		m[k] = time.Time{}
	}
	return m
}

// query sends one question through ServeDNS, behind the ScrubWriter the
// CoreDNS server puts in front of every plugin, and returns the reply.
func query(t testing.TB, cs *ClusterSet, name string, qtype uint16, tcp bool) (*dns.Msg, int) {
	t.Helper()
	r := new(dns.Msg)
	r.SetQuestion(name, qtype)
	rec := dnstest.NewRecorder(&test.ResponseWriter{TCP: tcp})
	w := request.NewScrubWriter(r, rec)
	rcode, err := cs.ServeDNS(context.Background(), w, r)
	if err != nil {
		t.Fatalf("ServeDNS(%s %s): %v", name, dns.TypeToString[qtype], err)
	}
	return rec.Msg, rcode
}

// rrStrings returns the records of a section in presentation form with the
// TTL and class left out, sorted, for comparison.
func rrStrings(rrs []dns.RR) []string {
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		h := rr.Header()
		data := strings.TrimPrefix(rr.String(), h.String())
		out = append(out, fmt.Sprintf("%s %s %s", h.Name, dns.TypeToString[h.Rrtype], data))
	}
	slices.Sort(out)
	return out
}
