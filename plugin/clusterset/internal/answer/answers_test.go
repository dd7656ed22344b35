package answer

import (
	"testing"
)

// TestNodeEqualSeesTiers: the same records in the same order, split into
// tiers elsewhere, rotate differently, so they are another answer.
func TestNodeEqualSeesTiers(t *testing.T) {
	v4 := []byte{10, 0, 0, 1, 10, 0, 0, 2, 10, 0, 0, 3}
	x := &node{v4: v4, aTiers: TierEnds{1}}
	y := &node{v4: v4, aTiers: TierEnds{2}}
	if x.equal(y) {
		t.Fatalf("nodes with other tiers compare equal")
	}
	if !x.equal(&node{v4: v4, aTiers: TierEnds{1}}) {
		t.Fatalf("equal nodes compare unequal")
	}
}
