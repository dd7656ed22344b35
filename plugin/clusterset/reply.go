package clusterset

import (
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

// newAReply answers with copies of src owned by the query name, each tier
// turned by t.
func newAReply(r *dns.Msg, q dns.Question, src []dns.A, ends answer.TierEnds, t turn) *reply {
	rp := &aReply{}
	rp.init(r, q, dns.RcodeSuccess)
	rp.msg.Answer = copyOwned(&rp.reply, rp.rrs[:], rp.a[:], src, ends, t, q.Name)
	return &rp.reply
}

type aaaaReply struct {
	reply
	rrs  [inlineRecords]dns.RR
	aaaa [inlineRecords]dns.AAAA
}

// newAAAAReply is newAReply for AAAA records.
func newAAAAReply(r *dns.Msg, q dns.Question, src []dns.AAAA, ends answer.TierEnds, t turn) *reply {
	rp := &aaaaReply{}
	rp.init(r, q, dns.RcodeSuccess)
	rp.msg.Answer = copyOwned(&rp.reply, rp.rrs[:], rp.aaaa[:], src, ends, t, q.Name)
	return &rp.reply
}

// copyOwned copies src into inline (or a new block when it does not fit),
// each tier turned by t, names every copy owner, and returns them as
// records in rrs (or a new slice). Larger answers are compressed: their
// owners all repeat one name.
func copyOwned[T any, P interface {
	*T
	dns.RR
}](rp *reply, rrs []dns.RR, inline, src []T, ends answer.TierEnds, t turn, owner string) []dns.RR {
	var block []T
	if len(src) > len(inline) {
		block = make([]T, len(src))
	} else {
		block = inline[:len(src)]
	}
	copyRotated(block, src, ends, t)
	if len(block) <= len(rrs) {
		rrs = rrs[:len(block):len(block)]
	} else {
		rrs = make([]dns.RR, len(block))
	}
	for i := range block {
		rr := P(&block[i])
		rr.Header().Name = owner
		rrs[i] = rr
	}
	rp.msg.Compress = len(src) > inlineRecords
	return rrs
}

// newSRVReply answers with copies of the node's SRV records owned by the
// query name, each priority turned by t, and their targets' addresses in
// the additional section, in the targets' order. The glue is last in the
// message, so truncation drops it first.
func newSRVReply(r *dns.Msg, q dns.Question, n *answer.Node, t turn) *reply {
	rp := newReply(r, q, dns.RcodeSuccess)
	block := make([]dns.SRV, len(n.SRV()))
	if t == noTurn || copySRVRotated(block, n.SRV(), t) != len(n.Glue()) {
		// No turn asked, or not one glue node per target (the glue could
		// not follow the targets): the stored order.
		copy(block, n.SRV())
		t = noTurn
	}
	rrs := make([]dns.RR, len(block))
	for i := range block {
		block[i].Hdr.Name = q.Name
		rrs[i] = &block[i]
	}
	rp.msg.Answer = rrs
	// Many owners repeat the same suffix: compression keeps more records
	// under the client's buffer.
	rp.msg.Compress = true
	var as, aaaas int
	for _, t := range n.Glue() {
		as, aaaas = as+len(t.A()), aaaas+len(t.AAAA())
	}
	if as+aaaas == 0 {
		return rp
	}
	glueA := make([]dns.A, 0, as)
	glueAAAA := make([]dns.AAAA, 0, aaaas)
	add := func(target *answer.Node) {
		glueA = append(glueA, target.A()...)
		glueAAAA = append(glueAAAA, target.AAAA()...)
	}
	if t == noTurn {
		for _, target := range n.Glue() {
			add(target)
		}
	} else {
		rotatedGlue(n.SRV(), n.Glue(), t, add)
	}
	extra := make([]dns.RR, 0, as+aaaas)
	for i := range glueA {
		extra = append(extra, &glueA[i])
	}
	for i := range glueAAAA {
		extra = append(extra, &glueAAAA[i])
	}
	rp.msg.Extra = extra
	return rp
}
