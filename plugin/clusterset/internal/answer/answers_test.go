package answer

import (
	"testing"

	"github.com/miekg/dns"
)

// TestNodeEqualSeesTiers: the same records in the same order, split into
// tiers elsewhere, rotate differently, so they are another answer.
func TestNodeEqualSeesTiers(t *testing.T) {
	a := []dns.A{{A: []byte{10, 0, 0, 1}}, {A: []byte{10, 0, 0, 2}}, {A: []byte{10, 0, 0, 3}}}
	x := &Node{a: a, aTiers: TierEnds{1}}
	y := &Node{a: a, aTiers: TierEnds{2}}
	if x.equal(y) {
		t.Fatalf("nodes with other tiers compare equal")
	}
	if !x.equal(&Node{a: a, aTiers: TierEnds{1}}) {
		t.Fatalf("equal nodes compare unequal")
	}
}
