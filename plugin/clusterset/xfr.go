package clusterset

import (
	"errors"
	"slices"
	"strings"

	"github.com/coredns/coredns/plugin/transfer"

	"github.com/miekg/dns"
)

// errNotSynced is returned for a transfer asked before the first sync:
// there is no zone content to give yet.
var errNotSynced = errors.New("not synced with the API yet")

// xfrBatch is how many records one message of a transfer carries.
const xfrBatch = 500

// Transfer implements the transfer.Transferer interface. It streams one
// snapshot, so the records and the SOA serial are exactly what queries were
// answered from at that moment. The names answered with the address a query
// arrived at (ns.dns.Z) have no fixed record and are left out, as are the
// scoped names (`scoped_names`).
func (c *ClusterSet) Transfer(zone string, serial uint32) (<-chan []dns.RR, error) {
	origin := strings.ToLower(dns.Fqdn(zone))
	zi := slices.IndexFunc(c.zones, func(z zoneRecords) bool { return z.origin == origin })
	if zi < 0 {
		return nil, transfer.ErrNotAuthoritative
	}
	snap := c.snapshot()
	if snap == nil {
		return nil, errNotSynced
	}
	soa := *snap.SOA(zi)
	ch := make(chan []dns.RR)
	go func() {
		defer close(ch)
		ch <- []dns.RR{&soa}
		// An IXFR from the current serial or a newer one: nothing changed
		// (RFC 1995 §2, serials compared as RFC 1982 says).
		if serial != 0 && int32(serial-soa.Serial) >= 0 {
			return
		}
		z := c.zones[zi]
		// The snapshot makes fresh records; the zone's own are copied out:
		// the transfer plugin and the writer may change what they are
		// given.
		batch := []dns.RR{dns.Copy(&z.ns), dns.Copy(&z.version)}
		snap.Transfer(origin, c.answers.TTL, func(rrs []dns.RR) bool {
			batch = append(batch, rrs...)
			if len(batch) >= xfrBatch {
				ch <- batch
				batch = make([]dns.RR, 0, xfrBatch)
			}
			return true
		})
		ch <- append(batch, dns.Copy(&soa))
	}()
	return ch, nil
}
