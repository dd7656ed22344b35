package slicedecode

import (
	"testing"
)

// FuzzDecodeMatchesStandard holds the fast path to the standard decoder on
// any input: both fail, or both give what the transform turns into the
// same object; and the fast path takes every discovery/v1 EndpointSlice
// the standard decoder reads. The seeds are the table's cases.
func FuzzDecodeMatchesStandard(f *testing.F) {
	for _, tc := range decodeCases(f) {
		f.Add(tc.input)
	}
	standard, fast := embeddedDecoders(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		assertEquivalent(t, standard, fast, raw)
		assertFastTaken(t, standard, raw)
	})
}

// FuzzSpliceMatchesStandard replaces cut bytes at offset of the full
// slice's EndpointSlice message with replacement, inside a valid envelope,
// so that the fuzzer works on near-valid slices, where the fast path
// reads deep into the message, rather than mostly on inputs refused at
// the prefix or the envelope.
func FuzzSpliceMatchesStandard(f *testing.F) {
	full := sliceRaw(f, fullSlice())
	f.Add(uint16(0), uint8(0), []byte{0x22, 0x04, 'I', 'P', 'v', '6'})
	f.Add(uint16(len(full)), uint8(0), pbMsg(sliceFieldPorts, pbVarint(portFieldPort, 1<<32+53)))
	f.Add(uint16(1), uint8(1), []byte{0xff})
	f.Add(uint16(2), uint8(0), pbMsg(metaFieldLabels, pbString(1, "multicluster.kubernetes.io/source-cluster")))
	f.Add(uint16(3), uint8(2), []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02})
	f.Add(uint16(len(full)/2), uint8(4), []byte{0x0b, 0x0c})
	f.Add(uint16(len(full)-20), uint8(20), []byte{})
	standard, fast := embeddedDecoders(f)
	f.Fuzz(func(t *testing.T, offset uint16, cut uint8, replacement []byte) {
		at := int(offset) % (len(full) + 1)
		end := min(at+int(cut), len(full))
		raw := wrapSlice(cat(full[:at], replacement, full[end:]))
		assertEquivalent(t, standard, fast, raw)
		assertFastTaken(t, standard, raw)
	})
}
