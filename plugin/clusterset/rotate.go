package clusterset

import (
	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"

	"github.com/miekg/dns"
)

// turn is one query's rotation: where each tier's records start. Turns
// are the multiples of the golden ratio (Weyl's sequence), so that any
// run of queries, and every second one of them (a stub resolver asks A and
// AAAA together), starts each tier at evenly spread places.
type turn uint32

// noTurn keeps the records in their stored order.
const noTurn turn = 0

// turnFor returns the rotation of the next query, whose answer has n
// records: none when `rotate` is off or there is nothing to turn, so that
// single-record answers leave the counter, shared by every query, alone.
func (c *ClusterSet) turnFor(n int) turn {
	if !c.answers.Rotate || n < 2 {
		return noTurn
	}
	return turn(c.turns.Add(1) * 0x9e3779b9) // 2^32 / golden ratio
}

// offset is where the turn starts a tier of n records.
func (t turn) offset(n int) int {
	return int(uint64(t) * uint64(n) >> 32)
}

// copyRotated copies src into dst (as long), each tier of src turned by t:
// the tiers keep their order, and within a tier the records go round.
func copyRotated[T any](dst, src []T, ends answer.TierEnds, t turn) {
	if t == noTurn {
		copy(dst, src)
		return
	}
	lo := 0
	for i := 0; i <= len(ends); i++ {
		hi := len(src)
		if i < len(ends) {
			hi = int(ends[i])
		}
		off := t.offset(hi - lo)
		n := copy(dst[lo:], src[lo+off:hi])
		copy(dst[lo+n:], src[lo:lo+off])
		lo = hi
	}
}

// srvTier is one priority (locality tier) of a node's SRV records: the
// records [lo, hi), whose targets are the glue nodes [glueLo, glueLo+targets).
type srvTier struct {
	lo, hi          int
	glueLo, targets int
}

// nextSRVTier returns the tier after prev (the zero srvTier: the first),
// or false past the last. A target's records are neighbours (one endpoint,
// one tier) and the builder keeps one glue node per target, in order.
func nextSRVTier(srv []dns.SRV, prev srvTier) (srvTier, bool) {
	tr := srvTier{lo: prev.hi, hi: prev.hi, glueLo: prev.glueLo + prev.targets}
	if tr.lo >= len(srv) {
		return tr, false
	}
	for tr.hi < len(srv) && srv[tr.hi].Priority == srv[tr.lo].Priority {
		if tr.hi == tr.lo || srv[tr.hi].Target != srv[tr.hi-1].Target {
			tr.targets++
		}
		tr.hi++
	}
	return tr, true
}

// targetStart is the index of the first record of the k-th target of the
// tier.
func (tr srvTier) targetStart(srv []dns.SRV, k int) int {
	i := tr.lo
	for ; k > 0; k-- {
		for i++; i < tr.hi && srv[i].Target == srv[i-1].Target; i++ {
		}
	}
	return i
}

// copySRVRotated copies src into dst (as long), each priority turned by t
// target by target, so that a target's records (one per port) stay
// together, and returns how many targets src has.
func copySRVRotated(dst, src []dns.SRV, t turn) (targets int) {
	for tr, ok := nextSRVTier(src, srvTier{}); ok; tr, ok = nextSRVTier(src, tr) {
		s := tr.targetStart(src, t.offset(tr.targets))
		n := copy(dst[tr.lo:], src[s:tr.hi])
		copy(dst[tr.lo+n:], src[tr.lo:s])
		targets = tr.glueLo + tr.targets
	}
	return targets
}

// rotatedGlue calls add with the glue nodes of srv in the order
// copySRVRotated puts their targets in, so that the additional section
// follows the answer: when truncation keeps some glue, it is the glue of
// the first targets.
func rotatedGlue(srv []dns.SRV, glue []*answer.Node, t turn, add func(*answer.Node)) {
	for tr, ok := nextSRVTier(srv, srvTier{}); ok; tr, ok = nextSRVTier(srv, tr) {
		tier := glue[tr.glueLo : tr.glueLo+tr.targets]
		off := t.offset(tr.targets)
		for _, g := range tier[off:] {
			add(g)
		}
		for _, g := range tier[:off] {
			add(g)
		}
	}
}
