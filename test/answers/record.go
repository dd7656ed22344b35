package answers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// SRVFields says which RDATA fields of an SRV record are written, and so
// compared.
type SRVFields int

const (
	// SRVFull writes "owner SRV PRIORITY WEIGHT PORT TARGET" (RFC 2782).
	SRVFull SRVFields = iota
	// SRVPortTarget writes "owner SRV PORT TARGET", for answers whose
	// priorities and weights are left open.
	SRVPortTarget
	// SRVPriorityPortTarget writes "owner SRV PRIORITY PORT TARGET", for
	// answers whose priorities are specified (locality tiers) and whose
	// weights are left open.
	SRVPriorityPortTarget
)

// Record writes rr in the package's notation, SRV in full.
func Record(rr dns.RR) string { return SRVFull.record(rr) }

// Records writes rrs in the package's notation, in their order.
func Records(rrs []dns.RR) []string { return SRVFull.records(rrs) }

// Set writes rrs in the package's notation, sorted: the form in which two
// sections compare as sets.
func Set(rrs []dns.RR) []string { return slices.Sorted(slices.Values(Records(rrs))) }

func (f SRVFields) record(rr dns.RR) string {
	h := rr.Header()
	switch v := rr.(type) {
	case *dns.SRV:
		switch f {
		case SRVPortTarget:
			return fmt.Sprintf("%s SRV %d %s", h.Name, v.Port, v.Target)
		case SRVPriorityPortTarget:
			return fmt.Sprintf("%s SRV %d %d %s", h.Name, v.Priority, v.Port, v.Target)
		}
	case *dns.SOA:
		return h.Name + " SOA"
	}
	rdata := strings.TrimPrefix(rr.String(), h.String())
	return h.Name + " " + dns.TypeToString[h.Rrtype] + " " + strings.TrimSpace(rdata)
}

func (f SRVFields) records(rrs []dns.RR) []string {
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, f.record(rr))
	}
	return out
}
