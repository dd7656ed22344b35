// Package answers is the one notation in which the tests write DNS records
// and the one comparison of a reply with the answer the contract
// (docs/dns-contract.md) expects: the plugin's unit tests, which read the
// *dns.Msg ServeDNS wrote, and the whole-binary tests of test/, which parse
// dig's output (or read miekg/dns's) into one.
//
// A record is written "owner TYPE RDATA": the RFC 1035 §5.1 presentation
// form without TTL and class, the owner as the reply spells it. Two types
// are written shorter:
//
//   - SRV in full is "owner SRV PRIORITY WEIGHT PORT TARGET"; a Want may say
//     (Want.SRV) that only the port and target, or the priority, port and
//     target, are part of what it expects, and then writes the reply's SRV
//     records, and expects its own, with those fields only.
//   - SOA is "owner SOA": Check compares the SOA of a negative answer field
//     by field (RFC 2308), and a test that means an SOA's other fields reads
//     them itself.
//
// Check compares the rcode, the AA and TC bits, the answer section (as a
// set without duplicates, RFC 2181 §5, or in order), the TTLs, the
// authority section (the zone's SOA alone in a negative answer, with
// minimum and TTL the record TTL, RFC 2308 §3 and §5; nothing in a positive
// one) and the additional section, and reports every difference in one
// error.
//
// CoreDNS's plugin/test package (test.Case, test.SortAndCheck) was the
// other candidate; it does not fit: it writes every expected record with
// its TTL, sorts every section (an order that is the answer, locality, is
// lost), compares SRV records always in full (the whole-binary tests
// compare across MCS implementations whose weights the contract leaves
// open), checks neither AA nor TC nor the SOA's minimum, and stops at the
// first difference.
//
// The package imports the standard library and miekg/dns only, so that
// both the plugin's tests and test/ import it without a cycle.
package answers
