package clusterset

import (
	"net"
	"strings"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"

	"github.com/miekg/dns"
)

// inlineRecords is how many address records a reply carries without a
// further allocation: enough for every ClusterSetIP answer (spec.ips holds at
// most two addresses, one per family).
const inlineRecords = 2

// reply is one response. Each kind of answer has its own struct around it
// (negativeReply, aReply, aaaaReply), allocated once per query with room for
// just that answer, so a ClusterSetIP A query or an NXDOMAIN costs one small
// allocation. Everything in a reply is the query's own: later plugins
// (rewrite, loadbalance) may change it freely.
type reply struct {
	msg      dns.Msg
	question [1]dns.Question
}

// init starts an authoritative response to r with the given rcode.
func (rp *reply) init(r *dns.Msg, q dns.Question, rcode int) {
	m := &rp.msg
	m.Id = r.Id
	m.Response = true
	m.Opcode = r.Opcode
	m.RecursionDesired = r.RecursionDesired
	m.CheckingDisabled = r.CheckingDisabled
	// Every answer inside the zone is authoritative (contract, notation);
	// nslookup, which the MCS conformance suite parses, needs it.
	m.Authoritative = true
	m.Rcode = rcode
	rp.question[0] = q
	m.Question = rp.question[:]
}

// newReply starts a reply whose records the caller adds.
func newReply(r *dns.Msg, q dns.Question, rcode int) *reply {
	rp := &reply{}
	rp.init(r, q, rcode)
	return rp
}

// negativeReply is NXDOMAIN or NODATA with the zone's SOA in authority
// (RFC 2308 §3).
type negativeReply struct {
	reply
	ns  [1]dns.RR
	soa dns.SOA
}

// newNegativeReply answers rcode with a copy of soa owned by the zone as
// the query spelled it.
func newNegativeReply(r *dns.Msg, q dns.Question, rcode int, soa *dns.SOA, owner string) *reply {
	rp := &negativeReply{}
	rp.init(r, q, rcode)
	rp.soa = *soa
	rp.soa.Hdr.Name = owner
	rp.ns[0] = &rp.soa
	rp.msg.Ns = rp.ns[:]
	return &rp.reply
}

type aReply struct {
	reply
	rrs [inlineRecords]dns.RR
	a   [inlineRecords]dns.A
}

// newAReply answers with an A record per address of src, owned by the
// query name, each tier turned by t.
func newAReply(r *dns.Msg, q dns.Question, src *answer.Addrs, t turn, ttl uint32) *reply {
	rp := &aReply{}
	rp.init(r, q, dns.RcodeSuccess)
	hdr := dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}
	rp.msg.Answer = addrRecords(&rp.reply, rp.rrs[:], rp.a[:], src, t, &hdr)
	return &rp.reply
}

type aaaaReply struct {
	reply
	rrs  [inlineRecords]dns.RR
	aaaa [inlineRecords]dns.AAAA
}

// newAAAAReply is newAReply for AAAA records.
func newAAAAReply(r *dns.Msg, q dns.Question, src *answer.Addrs, t turn, ttl uint32) *reply {
	rp := &aaaaReply{}
	rp.init(r, q, dns.RcodeSuccess)
	hdr := dns.RR_Header{Name: q.Name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl}
	rp.msg.Answer = addrRecords(&rp.reply, rp.rrs[:], rp.aaaa[:], src, t, &hdr)
	return &rp.reply
}

// addrRecords makes a record per address of src with the header hdr, in
// inline (or a new block when they do not fit), each tier turned by t,
// and returns them as records in rrs (or a new slice). The records'
// addresses share the snapshot's bytes, never written, as the copies of
// stored records did. Larger answers are compressed: their owners all
// repeat one name.
func addrRecords[T dns.A | dns.AAAA, P interface {
	*T
	dns.RR
}](rp *reply, rrs []dns.RR, inline []T, src *answer.Addrs, t turn, hdr *dns.RR_Header) []dns.RR {
	n := src.Len()
	var block []T
	if n > len(inline) {
		block = make([]T, n)
	} else {
		block = inline[:n]
	}
	if t == noTurn { // most answers: no call per record
		for i := range block {
			setAddr(P(&block[i]), hdr, src.IP(i))
		}
	} else {
		rotatedRuns(n, src.Tiers(), t, func(dst, from, count int) {
			for i := range count {
				setAddr(P(&block[dst+i]), hdr, src.IP(from+i))
			}
		})
	}
	if n <= len(rrs) {
		rrs = rrs[:n:n]
	} else {
		rrs = make([]dns.RR, n)
	}
	for i := range block {
		rrs[i] = P(&block[i])
	}
	rp.msg.Compress = n > inlineRecords
	return rrs
}

// setAddr makes rr an address record.
func setAddr(rr dns.RR, hdr *dns.RR_Header, ip net.IP) {
	switch rr := rr.(type) {
	case *dns.A:
		rr.Hdr, rr.A = *hdr, ip
	case *dns.AAAA:
		rr.Hdr, rr.AAAA = *hdr, ip
	}
}

// srvAnswer is an SRV reply being made: the records of the answer and of
// the additional section, and the names of the targets, made once each.
type srvAnswer struct {
	// n is a copy: escape analysis does not tell the fields apart, and
	// the records made below reach the heap.
	n       answer.Node
	service string // the service's name, which the targets are under
	hdr     dns.RR_Header
	names   strings.Builder
	srv     []dns.SRV
	glueA   []dns.A
	glueAAA []dns.AAAA
	// target and name are the last target met and its name.
	target int32
	name   string
}

// noTarget is no SRV target: neither the service (-1) nor an endpoint.
const noTarget = -2

// newSRVReply answers with the node's SRV records owned by the query
// name, each priority turned by t, and their targets' addresses in the
// additional section, in the targets' order: when truncation keeps some
// glue, it is the first targets'. The glue is last in the message, so
// truncation drops it first. service is the service's name in the zone
// asked.
func newSRVReply(r *dns.Msg, q dns.Question, n *answer.Node, service string, t turn, ttl uint32) *reply {
	rp := newReply(r, q, dns.RcodeSuccess)
	sa := srvAnswer{
		n: *n, service: service, target: noTarget,
		hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: ttl},
	}
	as, aaaas := n.GlueSize()
	sa.srv = make([]dns.SRV, len(n.SRV()))
	sa.names.Grow(n.TargetNamesSize(service))
	// Most answers are not turned: no call through a function value.
	if t == noTurn {
		sa.answer(0, 0, len(sa.srv))
	} else {
		rotatedSRVRuns(n.SRV(), t, sa.answer)
	}
	if as+aaaas > 0 {
		sa.glueA, sa.glueAAA = make([]dns.A, 0, as), make([]dns.AAAA, 0, aaaas)
		sa.target = noTarget
		if t == noTurn {
			sa.glue(0, 0, len(sa.srv))
		} else {
			rotatedSRVRuns(n.SRV(), t, sa.glue)
		}
	}
	// One slice holds both sections.
	rrs := make([]dns.RR, 0, len(sa.srv)+as+aaaas)
	for i := range sa.srv {
		rrs = append(rrs, &sa.srv[i])
	}
	for i := range sa.glueA {
		rrs = append(rrs, &sa.glueA[i])
	}
	for i := range sa.glueAAA {
		rrs = append(rrs, &sa.glueAAA[i])
	}
	rp.msg.Answer = rrs[:len(sa.srv):len(sa.srv)]
	if as+aaaas > 0 {
		rp.msg.Extra = rrs[len(sa.srv):]
	}
	// Many owners repeat the same suffix: compression keeps more records
	// under the client's buffer.
	rp.msg.Compress = true
	return rp
}

// answer makes the answer's records [dst, dst+count) from the node's
// records from on, naming each target at its first record.
func (sa *srvAnswer) answer(dst, from, count int) {
	srv := sa.n.SRV()
	weight := sa.n.SRVWeight()
	for i := range count {
		rec := &srv[from+i]
		if rec.Target != sa.target {
			sa.target = rec.Target
			sa.name = sa.n.TargetName(&sa.names, rec.Target, sa.service)
		}
		sa.srv[dst+i] = dns.SRV{Hdr: sa.hdr, Priority: rec.Priority, Weight: weight, Port: rec.Port, Target: sa.name}
	}
}

// glue adds the addresses of the targets of the answer's records [dst,
// dst+count), each target's at its first record, owned by its name.
func (sa *srvAnswer) glue(dst, from, count int) {
	srv := sa.n.SRV()
	for i := range count {
		if srv[from+i].Target == sa.target {
			continue
		}
		sa.target = srv[from+i].Target
		v4, v6 := sa.n.Glue(sa.target)
		hdr := dns.RR_Header{Name: sa.srv[dst+i].Target, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: sa.hdr.Ttl}
		for j := 0; j+4 <= len(v4); j += 4 {
			sa.glueA = append(sa.glueA, dns.A{Hdr: hdr, A: net.IP(v4[j : j+4 : j+4])})
		}
		hdr.Rrtype = dns.TypeAAAA
		for j := 0; j+16 <= len(v6); j += 16 {
			sa.glueAAA = append(sa.glueAAA, dns.AAAA{Hdr: hdr, AAAA: net.IP(v6[j : j+16 : j+16])})
		}
	}
}
