// Command coredns is CoreDNS with the clusterset plugin compiled in beside the
// standard plugins a cluster DNS server needs.
//
// It is built the way k8s_gateway and k8gb build theirs: import CoreDNS's
// core, the chosen plugins as blank imports (each registers itself in its
// init), and our plugin; then replace the execution order with our own list
// (see directives.go) before coremain.Run reads it.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	// The event hook plugin ("on") lives in caddy, not in CoreDNS.
	_ "github.com/coredns/caddy/onevent"

	// Standard CoreDNS plugins. Cloud backends (route53, azure, clouddns),
	// etcd, grpc, nomad, geoip, trace (Datadog), dnssec and sign (both pull
	// in the AWS SDK) are left out to keep the binary small and free of
	// provider SDKs. Keep this list and directives() in step: the tests fail
	// if they differ.
	_ "github.com/coredns/coredns/plugin/acl"
	_ "github.com/coredns/coredns/plugin/any"
	_ "github.com/coredns/coredns/plugin/auto"
	_ "github.com/coredns/coredns/plugin/autopath"
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/bufsize"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/cancel"
	_ "github.com/coredns/coredns/plugin/chaos"
	_ "github.com/coredns/coredns/plugin/debug"
	_ "github.com/coredns/coredns/plugin/dnstap" // forward imports it, so it is compiled in either way
	_ "github.com/coredns/coredns/plugin/erratic"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/file"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/header"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/k8s_external"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/local"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metadata"
	_ "github.com/coredns/coredns/plugin/metrics" // directive "prometheus"
	_ "github.com/coredns/coredns/plugin/minimal"
	_ "github.com/coredns/coredns/plugin/nsid"
	_ "github.com/coredns/coredns/plugin/pprof"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
	_ "github.com/coredns/coredns/plugin/rewrite"
	_ "github.com/coredns/coredns/plugin/root"
	_ "github.com/coredns/coredns/plugin/secondary"
	_ "github.com/coredns/coredns/plugin/template"
	_ "github.com/coredns/coredns/plugin/timeouts"
	_ "github.com/coredns/coredns/plugin/transfer"
	_ "github.com/coredns/coredns/plugin/tsig"
	_ "github.com/coredns/coredns/plugin/view"
	_ "github.com/coredns/coredns/plugin/whoami"

	// Our plugin; it registers the "clusterset" directive in its init.
	_ "github.com/clusterset-dns/clusterset/plugin/clusterset"
)

// init installs our execution order. It runs after every imported package's
// init (so after coremain registered the "dns" server type) and before main;
// that is early enough because the server type reads dnsserver.Directives
// only when a Corefile is loaded.
func init() {
	// SetDirectives rejects empty and duplicate names. A bad list is a
	// programming error that the tests catch, so fail loudly rather than
	// serve with an order nobody chose.
	if err := dnsserver.SetDirectives(directives()); err != nil {
		panic(err)
	}
}

func main() {
	coremain.Run()
}
