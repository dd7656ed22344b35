// Package answer is the answer side of the clusterset plugin: the builder
// that turns the trimmed objects of one service into its prepared records,
// the immutable snapshot that holds every service's records, and the one
// grammar of the names (grammar.go), which the builder writes the names
// with and Lookup takes query names apart with.
//
// It is pure: data in, records out. It imports the standard library,
// github.com/miekg/dns and the types-only package object, and never
// client-go, k8s.io/api or mcs-api; TestAnswerSideIsPure fails if it ever
// does. The watch side (the plugin package) feeds it through Source; the
// handler asks Snapshot.Lookup, whose Result is shaped as the file plugin's
// (kind, answer and additional records, reason), and writes the reply.
//
// The files follow the data:
//
//	source.go    what the builder reads (Source)
//	options.go   what shapes the answers (Options), from the Corefile
//	locality.go  where the server stands, and how that orders endpoints
//	builder.go   one service's names and records (Builder)
//	grammar.go   the names: made by the builder, parsed by Lookup
//	answers.go   the prepared records of one service and of one name
//	snapshot.go  every service's answers, copied on write per shard
//	lookup.go    a question's answer from a snapshot (Result)
//	reason.go    why a name has no answer (Extended DNS Errors)
//	skip.go      the imported data a build leaves out, and why
//	tiers.go     where the locality tiers of a name's records end
package answer
