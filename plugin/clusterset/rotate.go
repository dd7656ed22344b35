package clusterset

import (
	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
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

// rotatedRuns calls f with the runs of records that make n records in
// tiers ending at ends, each tier turned by t: count records from src on
// go to dst on. The tiers keep their order, and within a tier the records
// go round.
func rotatedRuns(n int, ends answer.TierEnds, t turn, f func(dst, src, count int)) {
	if t == noTurn {
		f(0, 0, n)
		return
	}
	lo := 0
	for i := 0; i <= len(ends); i++ {
		hi := n
		if i < len(ends) {
			hi = int(ends[i])
		}
		off := t.offset(hi - lo)
		f(lo, lo+off, hi-lo-off)
		f(hi-off, lo, off)
		lo = hi
	}
}

// srvTier is one priority (locality tier) of a node's SRV records: the
// records [lo, hi), of targets targets.
type srvTier struct {
	lo, hi, targets int
}

// nextSRVTier returns the tier after prev (the zero srvTier: the first),
// or false past the last. A target's records are neighbours (one endpoint,
// one tier).
func nextSRVTier(srv []answer.SRV, prev srvTier) (srvTier, bool) {
	tr := srvTier{lo: prev.hi, hi: prev.hi}
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
func (tr srvTier) targetStart(srv []answer.SRV, k int) int {
	i := tr.lo
	for ; k > 0; k-- {
		for i++; i < tr.hi && srv[i].Target == srv[i-1].Target; i++ {
		}
	}
	return i
}

// rotatedSRVRuns is rotatedRuns for SRV records, each priority turned by
// t (not noTurn) target by target, so that a target's records (one per
// port) stay together.
func rotatedSRVRuns(srv []answer.SRV, t turn, f func(dst, src, count int)) {
	for tr, ok := nextSRVTier(srv, srvTier{}); ok; tr, ok = nextSRVTier(srv, tr) {
		s := tr.targetStart(srv, t.offset(tr.targets))
		f(tr.lo, s, tr.hi-s)
		f(tr.lo+tr.hi-s, tr.lo, s-tr.lo)
	}
}
