package clusterset

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
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
	answers answer.Options
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

// Name implements the plugin.Handler interface.
func (c *ClusterSet) Name() string { return pluginName }

// ServeDNS implements the plugin.Handler interface. It takes no lock and
// decides nothing the builder did not: it looks the name up in the current
// snapshot and makes the prepared answer's records into the reply. One trip: admit the query, answer
// it (the fixed names, else the snapshot), write the reply. The answer is
// made in functions that have returned by the time the reply is packed and
// written, so that the frame this one keeps meanwhile stays small: miekg/dns
// runs each query on a fresh goroutine, whose stack would otherwise have to
// grow, a copy on every query.
func (c *ClusterSet) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	qname, zi := c.admit(r)
	if zi < 0 {
		return plugin.NextOrFailure(pluginName, c.Next, ctx, w, r)
	}
	rp, act := c.answer(w, r, qname, zi)
	switch act {
	case writeReply:
		return c.write(w, rp)
	case passToNext:
		return plugin.NextOrFailure(pluginName, c.Next, ctx, w, r)
	case dropQuery:
		return dns.RcodeSuccess, nil
	case refuseOpcode:
		return dns.RcodeNotImplemented, nil
	}
	return dns.RcodeServerFailure, nil
}

// action is what ServeDNS does with a query once answer has seen it.
type action int

const (
	writeReply   action = iota // write the reply answer made
	passToNext                 // the query is the next plugin's
	dropQuery                  // not a query: no answer at all
	refuseOpcode               // NOTIMP, written by the server
	failServer                 // SERVFAIL, written by the server
)

// admit returns the lower-cased query name and the index of the zone it is
// in, or -1 when the query is not this plugin's: not one question, not of
// class IN or ANY, or outside every zone.
func (c *ClusterSet) admit(r *dns.Msg) (string, int) {
	if len(r.Question) != 1 {
		return "", -1
	}
	q := &r.Question[0]
	if q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY {
		return "", -1
	}
	qname := lowerASCII(q.Name)
	return qname, c.zoneOf(qname)
}

// asked is an admitted question with what every answer to it needs.
type asked struct {
	r    *dns.Msg
	q    dns.Question
	zone *zoneRecords
	zi   int
	// name is the lower-cased query name, and rel the same less the zone
	// (ending in a dot).
	name, rel string
	// owner is the zone as the query spelled it: the owner of the SOA
	// (docs/dns-contract.md, the line "case").
	owner string
	snap  *answer.Snapshot
	soa   *dns.SOA
}

// answer makes the reply to r, whose lower-cased name qname is in zone zi,
// or says what else to do with it.
func (c *ClusterSet) answer(w dns.ResponseWriter, r *dns.Msg, qname string, zi int) (*reply, action) {
	switch {
	case r.Response:
		// A response sent to a server is no query: drop it, as miekg/dns
		// would had the server not widened its accepted opcodes.
		return nil, dropQuery
	case r.Opcode != dns.OpcodeQuery:
		// The server lets NOTIFY through for the secondary plugin; this
		// zone has no primary to be notified of.
		return nil, refuseOpcode
	case hasSeveralOPT(r):
		// RFC 6891 §6.1.1: a query with more than one OPT record MUST get
		// FORMERR. Neither miekg/dns nor the CoreDNS server checks it, and
		// an answer would honour whichever OPT the server read last. The
		// ScrubWriter adds one OPT to the reply, as §7 asks of a FORMERR
		// caused by OPT.
		rp := newReply(r, r.Question[0], dns.RcodeFormatError)
		rp.msg.Authoritative = false
		return rp, writeReply
	}
	a := c.ask(r, qname, zi)
	if rp := c.fixedAnswer(w, &a); rp != nil {
		return rp, writeReply
	}
	res := a.snap.Lookup(a.rel, a.q.Qtype)
	switch res.Kind {
	case answer.NotReady:
		// Before the first sync nothing is known: SERVFAIL, never a false
		// NXDOMAIN (docs/dns-contract.md, the line "before the caches' first sync").
		if !c.answers.ExtendedErrors {
			return nil, failServer
		}
		rp := newReply(r, a.q, dns.RcodeServerFailure)
		rp.msg.Authoritative = false
		c.explain(rp, r, answer.ReasonNotSynced)
		return rp, writeReply
	case answer.NameError:
		if c.Fall.Through(a.q.Name) {
			return nil, passToNext
		}
		return c.negative(&a, dns.RcodeNameError, res.Why), writeReply
	case answer.NoData:
		return c.negative(&a, dns.RcodeSuccess, res.Why), writeReply
	}
	return c.recordsAnswer(&a, res.Node, res.ServiceAt), writeReply
}

// ask gathers what answering r in zone zi takes.
func (c *ClusterSet) ask(r *dns.Msg, qname string, zi int) asked {
	z := &c.zones[zi]
	q := r.Question[0]
	snap := c.snapshot()
	return asked{
		r: r, q: q, zone: z, zi: zi,
		name:  qname,
		rel:   qname[:len(qname)-len(z.origin)],
		owner: q.Name[len(q.Name)-len(z.origin):],
		snap:  snap,
		soa:   c.soa(snap, zi),
	}
}

// fixedAnswer answers the names that do not depend on imported data (the
// apex, dns-version, ns.dns and dns), or returns nil for any other name.
func (c *ClusterSet) fixedAnswer(w dns.ResponseWriter, a *asked) *reply {
	switch a.rel {
	case "", "dns-version.", "ns.dns.":
	case "dns.": // the empty non-terminal above ns.dns
		return c.negative(a, dns.RcodeSuccess, answer.ReasonNone)
	default:
		return nil
	}
	if a.q.Qtype == dns.TypeANY {
		return c.anyReply(a)
	}
	rr, glue := c.fixedRecords(w, a)
	if rr == nil {
		return c.negative(a, dns.RcodeSuccess, answer.ReasonNone)
	}
	rp := newReply(a.r, a.q, dns.RcodeSuccess)
	rp.msg.Answer = []dns.RR{rr}
	if glue != nil {
		rp.msg.Extra = []dns.RR{glue}
	}
	return rp
}

// fixedRecords returns the record of the type asked at a fixed name, owned
// by the name as the query spelled it, and its glue; nil when the name has
// none of that type.
func (c *ClusterSet) fixedRecords(w dns.ResponseWriter, a *asked) (rr, glue dns.RR) {
	z, qt, ttl := a.zone, a.q.Qtype, c.answers.TTL
	switch {
	case a.rel == "" && qt == dns.TypeSOA: // docs/dns-contract.md, the line "`Z` SOA, `Z` NS"
		soa := *a.soa
		soa.Hdr.Name = a.q.Name
		return &soa, nil
	case a.rel == "" && qt == dns.TypeNS:
		ns := z.ns
		ns.Hdr.Name = a.q.Name
		if glue = localAddrRecord(w, z.nsName, dns.TypeA, ttl); glue == nil {
			glue = localAddrRecord(w, z.nsName, dns.TypeAAAA, ttl)
		}
		return &ns, glue
	case a.rel == "dns-version." && qt == dns.TypeTXT: // docs/dns-contract.md, the line "`dns-version.Z` TXT"
		version := z.version
		version.Hdr.Name = a.q.Name
		return &version, nil
	case a.rel == "ns.dns.": // the name server, with the address this query reached
		return localAddrRecord(w, a.q.Name, qt, ttl), nil
	}
	return nil, nil
}

// recordsAnswer answers with the records of the type asked at the node
// Lookup found to have some, in a service whose name starts at serviceAt
// in the query name.
func (c *ClusterSet) recordsAnswer(a *asked, node answer.Node, serviceAt int32) *reply {
	n := &node
	switch a.q.Qtype {
	case dns.TypeA:
		return c.aAnswer(a, n)
	case dns.TypeAAAA:
		return c.aaaaAnswer(a, n)
	case dns.TypeSRV:
		// The targets are named as the builder spells the names: the
		// lower-cased query name from the service on.
		return newSRVReply(a.r, a.q, n, a.name[serviceAt:], c.turnFor(len(n.SRV())), c.answers.TTL)
	}
	return c.anyReply(a)
}

// aAnswer answers with the A records of n. Each type has its function, so
// that the frame of the one asked is all a query adds to the stack.
func (c *ClusterSet) aAnswer(a *asked, n *answer.Node) *reply {
	src := n.A()
	return newAReply(a.r, a.q, &src, c.turnFor(src.Len()), c.answers.TTL)
}

// aaaaAnswer answers with the AAAA records of n.
func (c *ClusterSet) aaaaAnswer(a *asked, n *answer.Node) *reply {
	src := n.AAAA()
	return newAAAAReply(a.r, a.q, &src, c.turnFor(src.Len()), c.answers.TTL)
}

// negative is NXDOMAIN or NODATA with the zone's SOA, and why in an EDE
// when it is known and extended_errors is on.
func (c *ClusterSet) negative(a *asked, rcode int, why answer.Reason) *reply {
	rp := newNegativeReply(a.r, a.q, rcode, a.soa, a.owner)
	c.explain(rp, a.r, why)
	return rp
}

// anyReply answers ANY at a name with records: one synthesized HINFO, not
// every record (RFC 8482 §4.2), so a name with a thousand endpoints cannot
// amplify traffic.
func (c *ClusterSet) anyReply(a *asked) *reply {
	rp := newReply(a.r, a.q, dns.RcodeSuccess)
	rp.msg.Answer = []dns.RR{&dns.HINFO{
		Hdr: dns.RR_Header{Name: a.q.Name, Rrtype: dns.TypeHINFO, Class: dns.ClassINET, Ttl: c.answers.TTL},
		Cpu: "RFC8482",
	}}
	return rp
}

// snapshot returns the published snapshot (or, after a reload, the
// previous instance's until the first one), or nil before the first one.
func (c *ClusterSet) snapshot() *answer.Snapshot {
	if lc := c.running.Load(); lc != nil {
		return lc.snapshot()
	}
	return nil
}

// soa returns the SOA of zone zi for snap.
func (c *ClusterSet) soa(snap *answer.Snapshot, zi int) *dns.SOA {
	if snap == nil {
		return &c.preSyncSOA[zi]
	}
	return snap.SOA(zi)
}

// write sends the reply; the server's ScrubWriter makes it fit the
// client's buffer and sets TC when answers had to go (docs/dns-contract.md, the line "an answer larger than the UDP buffer (512…").
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
