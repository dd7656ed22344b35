package main

// directives returns the plugin execution order of this binary: CoreDNS
// v1.15.0's default order (core/dnsserver/zdirectives.go) restricted to the
// plugins compiled in, with "clusterset" right after "kubernetes".
//
// The order is the order a query walks the plugin chain, not the order of
// lines in a Corefile. "clusterset" sits after the plugins that shape or
// short-circuit a request (rewrite, autopath, acl, cache, template, hosts)
// so that, say, a cached clusterset.local answer is served by cache, and
// before the catch-alls (file, auto, secondary, forward) so that a forward
// for "." in the same server block only sees the names clusterset does not
// answer. Next to kubernetes it mirrors how k8s_gateway and k8gb place their
// backends, and lets kubernetes fall through to it.
//
// It returns a new slice on each call so no caller can alter the order held
// by another. When CoreDNS is upgraded, re-derive this list from the new
// zdirectives.go; TestDirectivesFollowUpstreamOrder fails if it drifts.
func directives() []string {
	return []string{
		"root",
		"metadata",
		"cancel",
		"timeouts",
		"reload",
		"nsid",
		"bufsize",
		"bind",
		"debug",
		"ready",
		"health",
		"pprof",
		"prometheus",
		"errors",
		"log",
		"dnstap",
		"local",
		"any",
		"chaos",
		"loadbalance",
		"tsig",
		"rewrite",
		"autopath",
		"acl",
		"cache",
		"header",
		"minimal",
		"template",
		"transfer",
		"hosts",
		"k8s_external",
		"kubernetes",
		"clusterset",
		"file",
		"auto",
		"secondary",
		"loop",
		"forward",
		"erratic",
		"whoami",
		"on",
		"view",
	}
}
