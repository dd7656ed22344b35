package clusterset

import "github.com/miekg/dns"

// dnsVersion is the MCS DNS schema version served at dns-version.Z (the MCS
// specification's 1.0.0, not the single-cluster 1.1.0; docs/dns-contract.md, the line "`dns-version.Z` TXT").
const dnsVersion = "1.0.0"

// dnsVersionTTL is the TTL the specification gives the dns-version record.
const dnsVersionTTL = 28800

// SOA timers, as the kubernetes plugin serves them.
const (
	soaRefresh = 7200
	soaRetry   = 1800
	soaExpire  = 86400
)

// zoneRecords are the records of one zone that do not depend on imported
// data: they are served before the first sync too.
type zoneRecords struct {
	origin  string // the zone, lower-cased and fully qualified
	nsName  string // ns.dns.Z
	ns      dns.NS
	version dns.TXT
}

func newZoneRecords(origin string, ttl uint32) zoneRecords {
	nsName := "ns.dns." + origin
	return zoneRecords{
		origin: origin,
		nsName: nsName,
		ns:     dns.NS{Hdr: dns.RR_Header{Name: origin, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: ttl}, Ns: nsName},
		version: dns.TXT{
			Hdr: dns.RR_Header{Name: "dns-version." + origin, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: dnsVersionTTL},
			Txt: []string{dnsVersion},
		},
	}
}

// soa returns the zone's SOA with the given serial. Its TTL and minimum are
// the record TTL, so negative answers are cached as long as positive ones
// (RFC 2308 §5).
func (z *zoneRecords) soa(serial, ttl uint32) dns.SOA {
	return dns.SOA{
		Hdr:     dns.RR_Header{Name: z.origin, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:      z.nsName,
		Mbox:    "hostmaster." + z.origin,
		Serial:  serial,
		Refresh: soaRefresh,
		Retry:   soaRetry,
		Expire:  soaExpire,
		Minttl:  ttl,
	}
}
