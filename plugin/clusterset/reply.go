package clusterset

import "github.com/miekg/dns"

// inlineRecords is how many address records a reply carries without a
// further allocation: enough for every ClusterSetIP answer (spec.ips holds at
// most two addresses, one per family).
const inlineRecords = 2

// reply is one response, allocated once per query with room for the common
// answers, so a ClusterSetIP A query or an NXDOMAIN costs one allocation.
// Everything in it is the query's own: later plugins may change it freely.
type reply struct {
	msg      dns.Msg
	question [1]dns.Question
	rrs      [inlineRecords]dns.RR
	a        [inlineRecords]dns.A
	aaaa     [inlineRecords]dns.AAAA
	ns       [1]dns.RR
	soa      dns.SOA
}

// newReply starts an authoritative response to r with the given rcode.
func newReply(r *dns.Msg, q dns.Question, rcode int) *reply {
	rp := &reply{}
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
	return rp
}

// rrSlice returns room for n records, inline when it fits.
func (rp *reply) rrSlice(n int) []dns.RR {
	if n <= len(rp.rrs) {
		return rp.rrs[:n:n]
	}
	return make([]dns.RR, n)
}

// answerA copies records into the answer section with the given owner.
func (rp *reply) answerA(src []dns.A, owner string) {
	rp.msg.Answer = copyOwned(rp, rp.a[:], src, owner)
}

// answerAAAA is answerA for AAAA records.
func (rp *reply) answerAAAA(src []dns.AAAA, owner string) {
	rp.msg.Answer = copyOwned(rp, rp.aaaa[:], src, owner)
}

// copyOwned copies src into inline (or a new block when it does not fit),
// names every copy owner, and returns them as records. Larger answers are
// compressed: their owners all repeat one name.
func copyOwned[T any, P interface {
	*T
	dns.RR
}](rp *reply, inline, src []T, owner string) []dns.RR {
	block := inline[:0]
	if len(src) > len(inline) {
		block = make([]T, 0, len(src))
	}
	block = append(block, src...)
	rrs := rp.rrSlice(len(block))
	for i := range block {
		rr := P(&block[i])
		rr.Header().Name = owner
		rrs[i] = rr
	}
	rp.msg.Compress = len(src) > inlineRecords
	return rrs
}

// answerSRV copies SRV records into the answer section with the given owner,
// and their targets' addresses into the additional section. The glue is last
// in the message, so truncation drops it first.
func (rp *reply) answerSRV(n *node, owner string) {
	block := make([]dns.SRV, len(n.srv))
	copy(block, n.srv)
	rrs := make([]dns.RR, len(block))
	for i := range block {
		block[i].Hdr.Name = owner
		rrs[i] = &block[i]
	}
	rp.msg.Answer = rrs
	var as, aaaas int
	for _, t := range n.glue {
		as, aaaas = as+len(t.a), aaaas+len(t.aaaa)
	}
	if as+aaaas == 0 {
		return
	}
	glueA := make([]dns.A, 0, as)
	glueAAAA := make([]dns.AAAA, 0, aaaas)
	for _, t := range n.glue {
		glueA = append(glueA, t.a...)
		glueAAAA = append(glueAAAA, t.aaaa...)
	}
	extra := make([]dns.RR, 0, as+aaaas)
	for i := range glueA {
		extra = append(extra, &glueA[i])
	}
	for i := range glueAAAA {
		extra = append(extra, &glueAAAA[i])
	}
	rp.msg.Extra = extra
	// Many owners repeat the same suffix: compression keeps more records
	// under the client's buffer.
	rp.msg.Compress = true
}

// authoritySOA puts the zone's SOA in the authority section of a negative
// answer (RFC 2308 §3), owned by the zone in the query's case.
func (rp *reply) authoritySOA(soa *dns.SOA, owner string) {
	rp.soa = *soa
	rp.soa.Hdr.Name = owner
	rp.ns[0] = &rp.soa
	rp.msg.Ns = rp.ns[:]
}
