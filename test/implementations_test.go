package test

// Each implementation's example of corefile-examples/ serves the objects
// that implementation really writes (test/shapes), as the plugin README's
// "MCS implementations" section says: Lighthouse's bookkeeping imports and
// a custom implementation's state are not served, and the same objects
// under the plain example are, which shows that the options are what
// leaves them out.

import (
	"testing"

	"github.com/clusterset-dns/clusterset/test/shapes"

	corev1 "k8s.io/api/core/v1"
)

// applyShapes writes objs, and the namespaces they are in, through the API.
func applyShapes(t *testing.T, objs shapes.Objects) {
	t.Helper()
	ctx := t.Context()
	for _, ns := range objs.Namespaces() {
		must(t, bed.EnsureNamespace(ctx, ns))
	}
	for _, si := range objs.Imports {
		must(t, bed.ApplyServiceImport(ctx, si))
	}
	for _, es := range objs.Slices {
		must(t, bed.ApplyEndpointSliceObject(ctx, es))
	}
}

var implHTTP = []shapes.Port{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}}

// implService is web in ns, exported by c1 (Service 10.1.0.10, pod
// 10.1.1.1) and c2 (Service 10.2.0.10, pods 10.2.1.1 and fd00:2::1).
func implService(ns string) shapes.Service {
	return shapes.Service{Namespace: ns, Name: "web", Ports: implHTTP, Members: []shapes.Member{
		{Cluster: "c1", ServiceIP: "10.1.0.10", Pods: []shapes.Pod{{Hostname: "web-0", Address: "10.1.1.1"}}},
		{Cluster: "c2", ServiceIP: "10.2.0.10", Pods: []shapes.Pod{{Hostname: "web-0", Address: "10.2.1.1"}, {Hostname: "web-0", Address: "fd00:2::1"}}},
	}}
}

func TestLighthouseExample(t *testing.T) {
	const ns, local = "lh-demo", "c2"
	web := implService(ns)
	db := implService(ns)
	db.Name = "db"
	webObjs, dbObjs := shapes.LighthouseClusterSetIP(web), shapes.LighthouseHeadless(db)
	applyShapes(t, webObjs.Plus(dbObjs,
		shapes.LighthouseBookkeeping(webObjs.Imports[0], local, "10.2.0.10", true),
		shapes.LighthouseBookkeeping(dbObjs.Imports[0], local, "", true),
	))
	n := func(rel string) string { return fqdn(rel + "." + ns + ".svc") }
	bookkeeping := []string{
		fqdn("web-" + ns + "-" + local + "." + shapes.LighthouseAgentNamespace + ".svc"),
		fqdn("db-" + ns + "-" + local + "." + shapes.LighthouseAgentNamespace + ".svc"),
		fqdn("web-" + ns + "." + shapes.LighthouseBrokerNamespace + ".svc"),
		fqdn("db-" + ns + "." + shapes.LighthouseBrokerNamespace + ".svc"),
	}

	t.Run("lighthouse.Corefile", func(t *testing.T) {
		c := startCoreDNS(t, "lighthouse.Corefile", serverEnv{"CLUSTER_ID": local}, nil)
		t.Run("ClusterSetIP without spec.ips: each cluster's Service IP, this cluster's first", func(t *testing.T) {
			expect(t, c, converge, n("web"), "A", inOrder(n("web")+" A 10.2.0.10", n("web")+" A 10.1.0.10"))
			expect(t, c, settle, n("web"), "AAAA", nodata)
			expect(t, c, settle, n("_http._tcp.web"), "SRV", answer(n("_http._tcp.web")+" SRV 80 "+n("web")))
		})
		t.Run("headless with ports: [] and no ipFamilies", func(t *testing.T) {
			expect(t, c, converge, n("db"), "A", answer(aRecords(n("db"), "10.1.1.1", "10.2.1.1")...))
			expect(t, c, settle, n("db"), "AAAA", answer(n("db")+" AAAA fd00:2::1"))
			expect(t, c, settle, n("web-0.c1.db"), "A", answer(n("web-0.c1.db")+" A 10.1.1.1"))
			expect(t, c, settle, n("_http._tcp.db"), "SRV", answer(srvRecords(n("_http._tcp.db"), 80, n("web-0.c1.db"), n("web-0.c2.db"))...))
		})
		t.Run("the bookkeeping imports are not served", func(t *testing.T) {
			for _, name := range bookkeeping {
				expect(t, c, settle, name, "SRV", nxdomain)
			}
		})
	})
	t.Run("clusterset-alone.Corefile serves the bookkeeping imports", func(t *testing.T) {
		// The headless ones have no endpoints in their namespaces, so
		// only web's answer: the per-cluster one with the local Service
		// IP, the broker's as a name without an address.
		c := startCoreDNS(t, "clusterset-alone.Corefile", nil, nil)
		expect(t, c, converge, bookkeeping[0], "A", answer(bookkeeping[0]+" A 10.2.0.10"))
		expect(t, c, converge, bookkeeping[2], "SRV", answer(bookkeeping[2]+" SRV 80 "+bookkeeping[2]))
		expect(t, c, settle, n("web"), "A", nodata)
	})
}

func TestVIPImplementationExamples(t *testing.T) {
	cases := []struct {
		example string
		objs    shapes.Objects
		a, aaaa []string
	}{
		{"cilium-clustermesh.Corefile", shapes.CiliumClusterSetIP(implService("cilium-demo"), "10.96.0.60", "fd00:96::60"),
			[]string{"10.96.0.60"}, []string{"fd00:96::60"}},
		{"mcs-api-controller.Corefile", shapes.MCSAPIClusterSetIP(implService("mcsapi-demo"), "10.96.0.50"),
			[]string{"10.96.0.50"}, nil},
		{"aws-cloud-map.Corefile", shapes.CloudMapClusterSetIP(implService("cloudmap-demo"), "10.96.0.70"),
			[]string{"10.96.0.70"}, nil},
		{"custom-implementation.Corefile", shapes.CustomClusterSetIP(implService("custom-demo"), "10.96.0.80", "fd00:96::80"),
			[]string{"10.96.0.80"}, []string{"fd00:96::80"}},
	}
	for _, tc := range cases {
		t.Run(tc.example, func(t *testing.T) {
			applyShapes(t, tc.objs)
			c := startCoreDNS(t, tc.example, nil, nil)
			name := fqdn("web." + tc.objs.Imports[0].Namespace + ".svc")
			expect(t, c, converge, name, "A", answer(aRecords(name, tc.a...)...))
			w := nodata
			if tc.aaaa != nil {
				w = answer(name + " AAAA " + tc.aaaa[0])
			}
			expect(t, c, settle, name, "AAAA", w)
		})
	}

	t.Run("aws-cloud-map.Corefile, headless: every cluster's pods", func(t *testing.T) {
		s := implService("cloudmap-demo")
		s.Name = "db"
		applyShapes(t, shapes.CloudMapHeadless(s))
		c := startCoreDNS(t, "aws-cloud-map.Corefile", nil, nil)
		name := fqdn("db.cloudmap-demo.svc")
		expect(t, c, converge, name, "A", answer(aRecords(name, "10.1.1.1", "10.2.1.1")...))
		expect(t, c, settle, name, "AAAA", answer(name+" AAAA fd00:2::1"))
		expect(t, c, settle, fqdn("web-0.c2.db.cloudmap-demo.svc"), "AAAA", answer(fqdn("web-0.c2.db.cloudmap-demo.svc")+" AAAA fd00:2::1"))
	})

	t.Run("custom-implementation.Corefile leaves out its state, which the plain example serves", func(t *testing.T) {
		s := implService("custom-demo")
		applyShapes(t, shapes.CustomClusterSetIP(s, "10.96.0.80").Plus(shapes.CustomBookkeeping(s, "10.0.0.9")))
		state := fqdn("web-state.custom-demo.svc")
		plain := startCoreDNS(t, "clusterset-alone.Corefile", nil, nil)
		expect(t, plain, converge, state, "A", answer(state+" A 10.0.0.9"))
		c := startCoreDNS(t, "custom-implementation.Corefile", nil, nil)
		expect(t, c, converge, fqdn("web.custom-demo.svc"), "A", answer(fqdn("web.custom-demo.svc")+" A 10.96.0.80"))
		expect(t, c, settle, state, "A", nxdomain)
	})
}
