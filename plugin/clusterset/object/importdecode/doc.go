// Package importdecode decodes watched ServiceImports (mcs-api v1beta1 and
// v1alpha1) in one pass, into only the fields the informer's transform
// reads (package convert), and the watch event envelope around them.
//
// Custom resources are served as JSON only, and client-go's standard path
// reads each watched object several times (the envelope twice, then the
// object's kind, then the whole typed object, managed fields and all) to
// keep a few fields: at the scale of tens of thousands of ServiceImports
// that decoding is most of the sync's CPU.
//
// The fast path is exact or absent: it returns a result only for input it
// can prove the standard decoder reads without error and to the same kept
// fields. It checks every field of the Go types against its JSON shape
// (schema.go), and leaves everything else to the standard decoder:
// malformed JSON, wrong types, repeated or escaped keys, nulls and escapes
// in kept values, other kinds (an ERROR event's Status, lists), and the
// bookmark that ends the initial events, whose annotation the reflector
// reads. The tests hold the two paths equal on tables and under fuzzing.
//
// It may import client-go, mcs-api and package convert: it is watch side.
package importdecode
