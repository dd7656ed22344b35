package answer

// TierEnds holds where each locality tier of a node's address records
// ends, but the last, which ends with the records: nil for one tier. It is
// what lets `rotate` turn the records within their tiers and never across.
type TierEnds []int32

// tierEndsOf returns the tier boundaries of addresses ordered by tier.
func tierEndsOf(addrs []rankedAddr) TierEnds {
	var ends TierEnds
	for i := 1; i < len(addrs); i++ {
		if addrs[i].tier != addrs[i-1].tier {
			ends = append(ends, int32(i))
		}
	}
	return ends
}
