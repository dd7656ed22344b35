// Package answer is the answer side of the clusterset plugin: the builder
// that turns the trimmed objects of one service into its prepared answers,
// the immutable snapshot that holds every service's records, and the one
// grammar of the names (grammar.go), which the builder writes the names
// with and Lookup takes query names apart with.
//
// It is pure: data in, records out. It imports the standard library,
// github.com/miekg/dns and the types-only package object, and never
// client-go, k8s.io/api or mcs-api; TestAnswerSideIsPure fails if it ever
// does. The watch side (the plugin package) feeds it through Source; the
// handler asks Snapshot.Lookup, whose Result is shaped as the file plugin's
// (kind, the records of the answer and their glue, reason), and makes the
// reply's records from it. The records hold no owner name: the same ones
// serve every zone.
//
// The files follow the data:
//
//	source.go      what the builder reads (Source)
//	options.go     what shapes the answers (Options), from the Corefile
//	locality.go    where the server stands, and how that orders endpoints
//	builder.go     one service's names and records (Builder)
//	grammar.go     the names: made by the builder, parsed by Lookup
//	materialize.go a service's compact records, made from its shaped names
//	answers.go     the prepared answers of one service and of one name
//	hosts.go       the names of a headless service's endpoints, as a table
//	records.go     whole records of a name, for zone transfers
//	snapshot.go    every service's answers, copied on write per shard
//	lookup.go      a question's answer from a snapshot (Result)
//	reason.go      why a name has no answer (Extended DNS Errors)
//	skip.go        the imported data a build leaves out, and why
//	tiers.go       where the locality tiers of a name's records end
package answer
