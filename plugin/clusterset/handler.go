package clusterset

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/fall"

	"github.com/miekg/dns"
)

// ClusterSet is the clusterset plugin: it answers the MCS DNS names of its
// zones from the latest published snapshot.
type ClusterSet struct {
	Next plugin.Handler
	// Fall lists the zones where NXDOMAIN passes the query to Next.
	Fall fall.F

	// zones holds per zone (lower-cased, fully qualified, longest first)
	// the records that do not depend on imported data.
	zones []zoneRecords
	// preSyncSOA is served at the apex until the first snapshot.
	preSyncSOA []dns.SOA

	watch   watchOptions
	answers answerOptions
	// startupTimeout bounds how long OnStartup holds the listener for the
	// first sync; zero holds nothing.
	startupTimeout time.Duration

	// sourceKey identifies the data source, for the reload hand-off
	// (handoff.go).
	sourceKey string

	// turns counts the queries answered with rotated records (`rotate`).
	turns atomic.Uint32

	// running is set by OnStartup and cleared by OnShutdown; the handler
	// and Ready read it concurrently.
	running atomic.Pointer[lifecycle]

	// gauges publishes this instance's gauges (gauges.go).
	gauges *instanceGauges
}

// outcome is the kind of answer a name gets.
type outcome int

const (
	found    outcome = iota // the name exists: records of the type, or NODATA
	nxdomain                // the name does not exist
	notReady                // the answer depends on data not synced yet
)

// Name implements the plugin.Handler interface.
func (c *ClusterSet) Name() string { return pluginName }

// ServeDNS implements the plugin.Handler interface. It takes no lock and
// builds no record: it looks the name up in the current snapshot and copies
// the prepared records into the reply.
func (c *ClusterSet) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if len(r.Question) != 1 {
		return plugin.NextOrFailure(pluginName, c.Next, ctx, w, r)
	}
	q := r.Question[0]
	if q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY {
		return plugin.NextOrFailure(pluginName, c.Next, ctx, w, r)
	}
	qname := lowerASCII(q.Name)
	zi := c.zoneOf(qname)
	if zi < 0 {
		return plugin.NextOrFailure(pluginName, c.Next, ctx, w, r)
	}
	if r.Response {
		// A response sent to a server is no query: drop it, as miekg/dns
		// would had the server not widened its accepted opcodes.
		return dns.RcodeSuccess, nil
	}
	if r.Opcode != dns.OpcodeQuery {
		// The server lets NOTIFY through for the secondary plugin; this
		// zone has no primary to be notified of.
		return dns.RcodeNotImplemented, nil
	}
	if hasSeveralOPT(r) {
		// RFC 6891 §6.1.1: a query with more than one OPT record MUST get
		// FORMERR. Neither miekg/dns nor the CoreDNS server checks it, and
		// an answer would honour whichever OPT the server read last. The
		// ScrubWriter adds one OPT to the reply, as §7 asks of a FORMERR
		// caused by OPT.
		rp := newReply(r, q, dns.RcodeFormatError)
		rp.msg.Authoritative = false
		return c.write(w, rp)
	}
	z := &c.zones[zi]
	// The owner of the SOA is the zone as the query spelled it (docs/dns-contract.md row 18).
	zoneOwner := q.Name[len(q.Name)-len(z.origin):]
	rel := qname[:len(qname)-len(z.origin)]

	snap := c.snapshot()
	soa := c.soa(snap, zi)

	// Names that do not depend on imported data.
	switch rel {
	case "": // the apex (docs/dns-contract.md row 2)
		switch q.Qtype {
		case dns.TypeANY:
			return c.write(w, c.anyReply(r, q))
		case dns.TypeSOA:
			rp := newReply(r, q, dns.RcodeSuccess)
			rr := *soa
			rr.Hdr.Name = q.Name
			rp.msg.Answer = []dns.RR{&rr}
			return c.write(w, rp)
		case dns.TypeNS:
			rp := newReply(r, q, dns.RcodeSuccess)
			rr := z.ns
			rr.Hdr.Name = q.Name
			rp.msg.Answer = []dns.RR{&rr}
			if glue := localAddrRecord(w, z.nsName, dns.TypeA, c.answers.ttl); glue != nil {
				rp.msg.Extra = []dns.RR{glue}
			} else if glue := localAddrRecord(w, z.nsName, dns.TypeAAAA, c.answers.ttl); glue != nil {
				rp.msg.Extra = []dns.RR{glue}
			}
			return c.write(w, rp)
		}
		return c.write(w, newNegativeReply(r, q, dns.RcodeSuccess, soa, zoneOwner))
	case "dns-version.": // docs/dns-contract.md row 1
		if q.Qtype == dns.TypeANY {
			return c.write(w, c.anyReply(r, q))
		}
		if q.Qtype != dns.TypeTXT {
			return c.write(w, newNegativeReply(r, q, dns.RcodeSuccess, soa, zoneOwner))
		}
		rp := newReply(r, q, dns.RcodeSuccess)
		rr := z.version
		rr.Hdr.Name = q.Name
		rp.msg.Answer = []dns.RR{&rr}
		return c.write(w, rp)
	case "ns.dns.": // the name server, with the address this query reached
		if q.Qtype == dns.TypeANY {
			return c.write(w, c.anyReply(r, q))
		}
		rr := localAddrRecord(w, q.Name, q.Qtype, c.answers.ttl)
		if rr == nil {
			return c.write(w, newNegativeReply(r, q, dns.RcodeSuccess, soa, zoneOwner))
		}
		rp := newReply(r, q, dns.RcodeSuccess)
		rp.msg.Answer = []dns.RR{rr}
		return c.write(w, rp)
	case "dns.": // empty non-terminal above ns.dns
		return c.write(w, newNegativeReply(r, q, dns.RcodeSuccess, soa, zoneOwner))
	}

	n, out, why := lookup(snap, zi, rel)
	switch out {
	case notReady:
		// Before the first sync nothing is known: SERVFAIL, never a false
		// NXDOMAIN (docs/dns-contract.md row 16).
		if c.answers.extendedErrors {
			rp := newReply(r, q, dns.RcodeServerFailure)
			rp.msg.Authoritative = false
			c.explain(rp, r, reasonNotSynced)
			return c.write(w, rp)
		}
		return dns.RcodeServerFailure, nil
	case nxdomain:
		if c.Fall.Through(q.Name) {
			return plugin.NextOrFailure(pluginName, c.Next, ctx, w, r)
		}
		rp := newNegativeReply(r, q, dns.RcodeNameError, soa, zoneOwner)
		c.explain(rp, r, why)
		return c.write(w, rp)
	}

	switch {
	case q.Qtype == dns.TypeA && len(n.a) > 0:
		return c.write(w, newAReply(r, q, n.a, n.aTiers, c.turnFor(len(n.a))))
	case q.Qtype == dns.TypeAAAA && len(n.aaaa) > 0:
		return c.write(w, newAAAAReply(r, q, n.aaaa, n.aaaaTiers, c.turnFor(len(n.aaaa))))
	case q.Qtype == dns.TypeSRV && len(n.srv) > 0:
		return c.write(w, newSRVReply(r, q, n, c.turnFor(len(n.srv))))
	case q.Qtype == dns.TypeANY && n.hasRecords():
		return c.write(w, c.anyReply(r, q))
	}
	// The name exists without records of this type (docs/dns-contract.md rows 10-12).
	rp := newNegativeReply(r, q, dns.RcodeSuccess, soa, zoneOwner)
	c.explain(rp, r, n.whyNoData(q.Qtype))
	return c.write(w, rp)
}

// whyNoData is the reason a query of qtype at n has no answer, if known:
// the node's own, or the family the import did not export.
func (n *node) whyNoData(qtype uint16) reason {
	switch {
	case n.why != reasonNone:
		return n.why
	case qtype == dns.TypeA && len(n.aaaa) > 0:
		return reasonNoIPv4
	case qtype == dns.TypeAAAA && len(n.a) > 0:
		return reasonNoIPv6
	}
	return reasonNone
}

// anyReply answers ANY at a name with records: one synthesized HINFO, not
// every record (RFC 8482 §4.2), so a name with a thousand endpoints cannot
// amplify traffic.
func (c *ClusterSet) anyReply(r *dns.Msg, q dns.Question) *reply {
	rp := newReply(r, q, dns.RcodeSuccess)
	rp.msg.Answer = []dns.RR{&dns.HINFO{
		Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeHINFO, Class: dns.ClassINET, Ttl: c.answers.ttl},
		Cpu: "RFC8482",
	}}
	return rp
}

// lookup finds the node for rel, the lower-cased query name less its zone
// (ending in a dot). The names under a zone Z are:
//
//	svc.Z                     empty non-terminal while any service is served
//	N.svc.Z                   empty non-terminal while N has a served service
//	S.N.svc.Z                 the service (A, AAAA, SRV)
//	_port._proto.S.N.svc.Z    named-port SRV
//	_proto.S.N.svc.Z          empty non-terminal
//	H.C.S.N.svc.Z             headless endpoint; C may hold dots (KEP-2149)
//	C.S.N.svc.Z               empty non-terminal (and its dotted suffixes)
//	V.pin._zone.S.N.svc.Z     with scoped_names: zone V (or cluster V, under
//	V.prefer._zone.S.N.svc.Z  _cluster) of a headless service; V may hold dots
//
// Anything else is NXDOMAIN. why explains an NXDOMAIN when it is known.
func lookup(snap *snapshot, zi int, rel string) (n *node, out outcome, why reason) {
	if snap == nil {
		return nil, notReady, reasonNotSynced
	}
	name := strings.TrimSuffix(rel, ".")
	i := strings.LastIndexByte(name, '.')
	if name[i+1:] != "svc" {
		return nil, nxdomain, reasonNone
	}
	if i < 0 { // svc.Z
		if snap.size > 0 {
			return emptyNonTerminal, found, reasonNone
		}
		return nil, nxdomain, reasonNone
	}
	// name[:i] is "[PREFIX.]S.N".
	j := strings.LastIndexByte(name[:i], '.')
	if j < 0 { // N.svc.Z
		if snap.namespaces[name[:i]] > 0 {
			return emptyNonTerminal, found, reasonNone
		}
		return nil, nxdomain, reasonNone
	}
	k := strings.LastIndexByte(name[:j], '.')
	svc := snap.service(name[k+1 : i])
	if svc == nil {
		return nil, nxdomain, reasonNone
	}
	if !svc.serves() {
		return nil, nxdomain, svc.why
	}
	prefix := ""
	if k >= 0 {
		prefix = name[:k]
	}
	names := svc.zones[zi]
	if n = names[prefix]; n == nil {
		if n = scopedFallback(names, prefix); n == nil {
			return nil, nxdomain, reasonNone
		}
	}
	return n, found, reasonNone
}

// noScopedEndpoints answers a pin name whose zone or cluster has no ready
// endpoint: the name exists (any value may be asked), with nothing in it.
var noScopedEndpoints = &node{why: reasonNoReadyEndpoints}

// scopedFallback answers the scoped names of a zone or cluster without
// endpoints of the service, which the builder cannot list: pin is NODATA,
// prefer widens to the service name's answer. A service has the scoped
// names exactly when its `pin.SCOPE` empty non-terminal exists.
func scopedFallback(names map[string]*node, prefix string) *node {
	for _, scope := range [...]string{scopeZone, scopeCluster} {
		if strings.HasSuffix(prefix, "."+scopePin+"."+scope) && names[scopePin+"."+scope] != nil {
			return noScopedEndpoints
		}
		if strings.HasSuffix(prefix, "."+scopePrefer+"."+scope) && names[scopePrefer+"."+scope] != nil {
			return names[""]
		}
	}
	return nil
}

// snapshot returns the published snapshot (or, after a reload, the
// previous instance's until the first one), or nil before the first one.
func (c *ClusterSet) snapshot() *snapshot {
	if lc := c.running.Load(); lc != nil {
		return lc.snapshot()
	}
	return nil
}

// soa returns the SOA of zone zi for snap.
func (c *ClusterSet) soa(snap *snapshot, zi int) *dns.SOA {
	if snap == nil {
		return &c.preSyncSOA[zi]
	}
	return &snap.soa[zi]
}

// write sends the reply; the server's ScrubWriter makes it fit the
// client's buffer and sets TC when answers had to go (docs/dns-contract.md row 19).
func (c *ClusterSet) write(w dns.ResponseWriter, rp *reply) (int, error) {
	if err := w.WriteMsg(&rp.msg); err != nil {
		return dns.RcodeServerFailure, plugin.Error(pluginName, err)
	}
	return dns.RcodeSuccess, nil
}

// zoneOf returns the index of the most specific zone holding qname, or -1.
func (c *ClusterSet) zoneOf(qname string) int {
	for i := range c.zones { // longest first
		origin := c.zones[i].origin
		if strings.HasSuffix(qname, origin) &&
			(len(qname) == len(origin) || origin == "." || qname[len(qname)-len(origin)-1] == '.') {
			return i
		}
	}
	return -1
}

// hasSeveralOPT reports whether r carries more than one OPT record. The
// additional section of a query is short: the loop costs nothing.
func hasSeveralOPT(r *dns.Msg) bool {
	n := 0
	for _, rr := range r.Extra {
		if rr.Header().Rrtype == dns.TypeOPT {
			n++
		}
	}
	return n > 1
}

// lowerASCII lower-cases s, allocating only when s has an upper-case letter
// (rare: stub resolvers send what the user typed).
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// localAddrRecord returns an A or AAAA record named owner for the address
// the query arrived at, or nil when that address is of the other family or
// unknown.
func localAddrRecord(w dns.ResponseWriter, owner string, qtype uint16, ttl uint32) dns.RR {
	var ip net.IP
	switch a := w.LocalAddr().(type) {
	case *net.UDPAddr:
		ip = a.IP
	case *net.TCPAddr:
		ip = a.IP
	}
	if ip == nil || ip.IsUnspecified() {
		return nil
	}
	hdr := dns.RR_Header{Name: owner, Rrtype: qtype, Class: dns.ClassINET, Ttl: ttl}
	if v4 := ip.To4(); v4 != nil {
		if qtype != dns.TypeA {
			return nil
		}
		return &dns.A{Hdr: hdr, A: v4}
	}
	if qtype != dns.TypeAAAA {
		return nil
	}
	return &dns.AAAA{Hdr: hdr, AAAA: ip}
}
