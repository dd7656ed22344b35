// Package slicedecode decodes watched EndpointSlices (discovery/v1, as
// protobuf) in one pass, into only the fields the informer's transform
// reads (package convert).
//
// The generated protobuf code fills the whole object: metadata with its
// managed fields, timestamps and owner references, and per endpoint its
// target reference, node name, conditions and hints. At hundreds of
// thousands of endpoints that decoding, and the garbage it leaves, is the
// largest part of the sync's CPU, though an answer reads a few strings of
// it.
//
// The fast path is exact or absent: it returns a result only for input the
// standard decoder reads without error, and then with the same kept
// fields. It reads every field, kept or not, as the generated Unmarshal of
// its type does (wire types, lengths, varint overflow, groups, map entries
// with their quirks), with the message schemas derived from the Go types'
// protobuf tags (schema.go); any other kind, such as an ERROR event's
// Status, is left to the standard decoder. The tests hold the two paths
// equal on tables and under fuzzing.
//
// It may import client-go and package convert: it is watch side.
package slicedecode
