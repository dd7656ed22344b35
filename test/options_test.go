package test

// Corefile options on the wire, as plugin/clusterset/README.md documents
// them.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// writeCorefile writes text to a temporary Corefile and returns its path.
func writeCorefile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "Corefile")
	must(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// TestEndpointAndTLS reaches the API server with `endpoint` and a client
// certificate (`tls CERT KEY CACERT`) instead of a kubeconfig.
func TestEndpointAndTLS(t *testing.T) {
	ctx := t.Context()
	loadContractData(t, ctx)
	cert, key, err := bed.ClientCert(coreDNSUser)
	must(t, err)
	c := startCoreDNS(t, "clusterset-alone.Corefile", serverEnv{
		"API_URL": bed.URL, "TLS_CERT": cert, "TLS_KEY": key, "TLS_CA": bed.CAFile,
	}, func(s string) string {
		return strings.Replace(s, "kubeconfig {$KUBECONFIG}", "endpoint {$API_URL}\n        tls {$TLS_CERT} {$TLS_KEY} {$TLS_CA}", 1)
	})
	waitContractData(t, c)
	n := func(rel string) string { return fqdn(rel + "." + ns + ".svc") }
	expect(t, c, settle, n("vip"), "AAAA", answer(n("vip")+" AAAA fd00:100::10"))
	expect(t, c, settle, n("db-0.west.dc.example.db"), "A", answer(n("db-0.west.dc.example.db")+" A 10.3.0.10"))
}

// TestOptions runs a server with namespaces, ttl, ignore empty_service and
// fallthrough (to a forward in the same block), and one with noendpoints.
func TestOptions(t *testing.T) {
	ctx := t.Context()
	loadContractData(t, ctx)
	must(t, bed.EnsureNamespace(ctx, "opt-out"))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport("opt-out", "svc", mcsv1beta1.ClusterSetIP, []string{"10.100.14.1"}, nil, "east")))
	n := func(rel string) string { return fqdn(rel + "." + ns + ".svc") }

	c := startCoreDNS(t, writeCorefile(t, `clusterset.local:{$DNS_PORT} {
    clusterset {
        kubeconfig {$KUBECONFIG}
        namespaces `+ns+`
        ttl 30
        ignore empty_service
        fallthrough
    }
    forward . {$UPSTREAM}
}
`), nil, nil)
	waitContractData(t, c)
	t.Run("ttl sets the record TTL and the SOA minimum", func(t *testing.T) {
		expect(t, c, settle, n("web"), "A", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{n("web") + " A 10.100.0.13"}, TTL: 30})
		expect(t, c, settle, n("east.db"), "A", answers.Want{Rcode: dns.RcodeSuccess, TTL: 30})
	})
	t.Run("ignore empty_service hides a VIP without ready endpoints", func(t *testing.T) {
		// NXDOMAIN falls through to the upstream, which has no A either.
		expect(t, c, settle, n("vip"), "A", answers.Want{Rcode: dns.RcodeNameError, NoAA: true})
	})
	t.Run("namespaces leaves other namespaces out", func(t *testing.T) {
		name := fqdn("svc.opt-out.svc")
		expect(t, c, settle, name, "A", answers.Want{Rcode: dns.RcodeNameError, NoAA: true})
		expect(t, c, settle, name, "TXT", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{name + ` TXT "stub"`}, NoAA: true, AnyTTL: true})
	})
	t.Run("fallthrough passes NXDOMAIN names to the next plugin", func(t *testing.T) {
		name := n("nosuch")
		expect(t, c, settle, name, "TXT", answers.Want{Rcode: dns.RcodeSuccess, Answer: []string{name + ` TXT "stub"`}, NoAA: true, AnyTTL: true})
	})
	t.Run("fallthrough keeps NODATA", func(t *testing.T) {
		expect(t, c, settle, n("db"), "TXT", answers.Want{Rcode: dns.RcodeSuccess, TTL: 30})
	})

	t.Run("noendpoints serves VIPs but no headless endpoints", func(t *testing.T) {
		c := startCoreDNS(t, writeCorefile(t, `clusterset.local:{$DNS_PORT} {
    clusterset {
        kubeconfig {$KUBECONFIG}
        noendpoints
    }
}
`), nil, nil)
		expect(t, c, converge, n("vip"), "A", answer(n("vip")+" A 10.100.0.10"))
		for _, tr := range []transport{udp, tcp} {
			r, err := dig(c.addr, n("db"), "A", tr)
			must(t, err)
			if len(r.Answer) != 0 {
				t.Errorf("%s A over %s with noendpoints: %v", n("db"), tr, r.Answer)
			}
		}
	})
}
