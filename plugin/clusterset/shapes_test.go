package clusterset

import (
	"slices"
	"strings"
	"testing"

	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/shapes"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
)

// The objects real MCS implementations write (test/shapes), read through
// the watch side from a fake API server, answer as the README's "MCS
// implementations" section says, with the options it gives for each.

// shapePlugin parses corefile, watches objs (and their namespaces) in a
// fake API with the parsed watch options, and returns the plugin serving
// the first snapshot.
func shapePlugin(t *testing.T, corefile string, objs shapes.Objects) *ClusterSet {
	t.Helper()
	c := caddy.NewTestController("dns", corefile)
	c.ServerBlockKeys = []string{"clusterset.local.:53"}
	cs, err := parse(c)
	if err != nil {
		t.Fatalf("parse %q: %v", corefile, err)
	}
	var api []k8sruntime.Object
	for _, ns := range objs.Namespaces() {
		api = append(api, namespace(ns, "1", nil))
	}
	for i, si := range objs.Imports {
		si = si.DeepCopy()
		si.ResourceVersion = "1"
		api = append(api, si)
		objs.Imports[i] = si
	}
	for _, es := range objs.Slices {
		es = es.DeepCopy()
		es.ResourceVersion = "1"
		api = append(api, es)
	}
	w := startWatcher(t, newFakeAPI(t, true, api...), cs.watch, newNotifications(), true)
	cs.Next = test.NextHandler(dns.RcodeRefused, nil)
	s := cs.newSyncerFor(w, newChangeQueue(), w.hasSynced)
	s.apply(allKeys(w))
	cs.running.Store(&lifecycle{syncer: s})
	return cs
}

// expectAnswer queries name over TCP and compares the reply with the
// contract's: rcode, the answer section (in order when ordered, SRV in
// full), AA, TTLs and the authority section.
func expectAnswer(t *testing.T, cs *ClusterSet, name string, qtype uint16, rcode int, ordered bool, want ...string) {
	t.Helper()
	m, _ := query(t, cs, name, qtype, true)
	if err := answers.Check(m, answers.Want{Rcode: rcode, Answer: want, Ordered: ordered}); err != nil {
		t.Errorf("%s %s: %v", name, dns.TypeToString[qtype], err)
	}
}

// servedServices returns the S.N.svc names of every service the zone
// transfer holds records for.
func servedServices(t *testing.T, cs *ClusterSet) []string {
	t.Helper()
	var out []string
	for _, rr := range transferAll(t, cs, "clusterset.local.", 0) {
		labels := dns.SplitDomainName(rr.Header().Name)
		i := slices.Index(labels, "svc")
		if i < 2 {
			continue
		}
		name := strings.Join(labels[i-2:], ".") + "."
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

const (
	lighthouseLocal = "c2"
	// lighthouseCorefile is corefile-examples/lighthouse.Corefile's block.
	lighthouseCorefile = "clusterset {\n cluster_id c2\n answer endpoints\n exclude_namespaces submariner-operator submariner-k8s-broker\n}"
)

// lighthouseWorld is two services as Lighthouse imports them in cluster c2,
// which also holds the broker: ClusterSetIP web (c1 10.1.0.10, c2
// 10.2.0.10) and headless db (db-0 in c1 10.1.1.5; db-0 in c2 10.2.1.5 and
// fd00:2::5), each with its bookkeeping imports.
func lighthouseWorld() shapes.Objects {
	http := []shapes.Port{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}}
	web := shapes.Service{Namespace: "demo", Name: "web", Ports: http, Members: []shapes.Member{
		{Cluster: "c1", ServiceIP: "10.1.0.10"}, {Cluster: "c2", ServiceIP: "10.2.0.10"},
	}}
	db := shapes.Service{Namespace: "demo", Name: "db", Ports: []shapes.Port{{Name: "mysql", Protocol: corev1.ProtocolTCP, Port: 3306}}, Members: []shapes.Member{
		{Cluster: "c1", Pods: []shapes.Pod{{Hostname: "db-0", Address: "10.1.1.5"}}},
		{Cluster: "c2", Pods: []shapes.Pod{{Hostname: "db-0", Address: "10.2.1.5"}, {Hostname: "db-0", Address: "fd00:2::5"}}},
	}}
	webObjs, dbObjs := shapes.LighthouseClusterSetIP(web), shapes.LighthouseHeadless(db)
	return webObjs.Plus(dbObjs,
		shapes.LighthouseBookkeeping(webObjs.Imports[0], lighthouseLocal, "10.2.0.10", true),
		shapes.LighthouseBookkeeping(dbObjs.Imports[0], lighthouseLocal, "", true),
	)
}

func TestShapesLighthouse(t *testing.T) {
	const z = ".svc.clusterset.local."
	t.Run("with its example's options only the real services are served", func(t *testing.T) {
		cs := shapePlugin(t, lighthouseCorefile, lighthouseWorld())
		if got, want := servedServices(t, cs), []string{"db.demo" + z, "web.demo" + z}; !slices.Equal(got, want) {
			t.Errorf("services in the zone: %q, want %q", got, want)
		}
		for _, name := range []string{"web-demo-c2.submariner-operator", "db-demo-c2.submariner-operator", "web-demo.submariner-k8s-broker", "db-demo.submariner-k8s-broker"} {
			expectAnswer(t, cs, name+z, dns.TypeA, dns.RcodeNameError, false)
		}
		t.Run("ClusterSetIP without spec.ips: each cluster's Service IP, the local cluster's first", func(t *testing.T) {
			expectAnswer(t, cs, "web.demo"+z, dns.TypeA, dns.RcodeSuccess, true,
				"web.demo"+z+" A 10.2.0.10", "web.demo"+z+" A 10.1.0.10")
			expectAnswer(t, cs, "_http._tcp.web.demo"+z, dns.TypeSRV, dns.RcodeSuccess, false,
				"_http._tcp.web.demo"+z+" SRV 0 100 80 web.demo"+z)
		})
		t.Run("headless with ports: [] and no ipFamilies: families from the addresses, ports from the slices", func(t *testing.T) {
			expectAnswer(t, cs, "db.demo"+z, dns.TypeA, dns.RcodeSuccess, false,
				"db.demo"+z+" A 10.1.1.5", "db.demo"+z+" A 10.2.1.5")
			expectAnswer(t, cs, "db.demo"+z, dns.TypeAAAA, dns.RcodeSuccess, false, "db.demo"+z+" AAAA fd00:2::5")
			expectAnswer(t, cs, "db-0.c1.db.demo"+z, dns.TypeA, dns.RcodeSuccess, false, "db-0.c1.db.demo"+z+" A 10.1.1.5")
			m, _ := query(t, cs, "_mysql._tcp.db.demo"+z, dns.TypeSRV, true)
			if len(m.Answer) != 2 {
				t.Errorf("_mysql._tcp.db SRV: %d records, want one per cluster's db-0\n%v", len(m.Answer), m)
			}
		})
	})
	t.Run("without them the bookkeeping imports answer, and web does not", func(t *testing.T) {
		cs := shapePlugin(t, "clusterset", lighthouseWorld())
		expectAnswer(t, cs, "web-demo-c2.submariner-operator"+z, dns.TypeA, dns.RcodeSuccess, false,
			"web-demo-c2.submariner-operator"+z+" A 10.2.0.10")
		expectAnswer(t, cs, "web-demo.submariner-k8s-broker"+z, dns.TypeSRV, dns.RcodeSuccess, false,
			"web-demo.submariner-k8s-broker"+z+" SRV 0 100 80 web-demo.submariner-k8s-broker"+z)
		expectAnswer(t, cs, "web.demo"+z, dns.TypeA, dns.RcodeSuccess, false)
	})
}

func TestShapesVIPImplementations(t *testing.T) {
	const z = ".svc.clusterset.local."
	http := []shapes.Port{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}}
	svc := func(ns string) shapes.Service {
		return shapes.Service{Namespace: ns, Name: "web", Ports: http, Members: []shapes.Member{
			{Cluster: "c1", ServiceIP: "10.1.0.10", Pods: []shapes.Pod{{Address: "10.1.1.1"}}},
			{Cluster: "c2", ServiceIP: "10.2.0.10", Pods: []shapes.Pod{{Address: "10.2.1.1"}, {Address: "fd00:2::1"}}},
		}}
	}
	cases := []struct {
		name     string
		corefile string
		objs     shapes.Objects
		a, aaaa  []string
	}{
		{"mcs-api controller: the derived Service's ClusterIP, no ipFamilies, no slices", "clusterset",
			shapes.MCSAPIClusterSetIP(svc("mcsapi"), "10.96.0.50"), []string{"10.96.0.50"}, nil},
		{"Cilium: dual-stack VIPs, no slices", "clusterset",
			shapes.CiliumClusterSetIP(svc("cilium"), "10.96.0.60", "fd00:96::60"), []string{"10.96.0.60"}, []string{"fd00:96::60"}},
		{"Cloud Map: the VIP, not the pods of its slices", "clusterset",
			shapes.CloudMapClusterSetIP(svc("cloudmap"), "10.96.0.70"), []string{"10.96.0.70"}, nil},
		{"custom: dual-stack VIPs without ipFamilies, its state left out by import_labels",
			"clusterset {\n import_labels " + shapes.LabelCustomRole + "=" + shapes.CustomRoleService + "\n}",
			shapes.CustomClusterSetIP(svc("custom"), "10.96.0.80", "fd00:96::80").Plus(shapes.CustomBookkeeping(svc("custom"), "10.0.0.9")),
			[]string{"10.96.0.80"}, []string{"fd00:96::80"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := shapePlugin(t, tc.corefile, tc.objs)
			ns := tc.objs.Imports[0].Namespace
			name := "web." + ns + z
			if got, want := servedServices(t, cs), []string{name}; !slices.Equal(got, want) {
				t.Errorf("services in the zone: %q, want %q", got, want)
			}
			var a, aaaa []string
			for _, ip := range tc.a {
				a = append(a, name+" A "+ip)
			}
			for _, ip := range tc.aaaa {
				aaaa = append(aaaa, name+" AAAA "+ip)
			}
			expectAnswer(t, cs, name, dns.TypeA, dns.RcodeSuccess, false, a...)
			expectAnswer(t, cs, name, dns.TypeAAAA, dns.RcodeSuccess, false, aaaa...)
		})
	}
	t.Run("custom without import_labels: its state is served too", func(t *testing.T) {
		cs := shapePlugin(t, "clusterset", shapes.CustomBookkeeping(svc("custom"), "10.0.0.9"))
		expectAnswer(t, cs, "web-state.custom"+z, dns.TypeA, dns.RcodeSuccess, false, "web-state.custom"+z+" A 10.0.0.9")
	})
	t.Run("Cloud Map headless: every cluster's pods", func(t *testing.T) {
		cs := shapePlugin(t, "clusterset", shapes.CloudMapHeadless(svc("cloudmaph")))
		name := "web.cloudmaph" + z
		expectAnswer(t, cs, name, dns.TypeA, dns.RcodeSuccess, false, name+" A 10.1.1.1", name+" A 10.2.1.1")
		expectAnswer(t, cs, name, dns.TypeAAAA, dns.RcodeSuccess, false, name+" AAAA fd00:2::1")
	})
}
