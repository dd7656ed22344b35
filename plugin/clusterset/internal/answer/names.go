package answer

import (
	"net/netip"
	"strings"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
)

// DNS limits (RFC 1035 §2.3.4): a label holds at most 63 octets, and a name
// in presentation form (with its final dot) at most 254 characters, i.e. 253
// without it.
const (
	maxLabelLen = 63
	maxNameLen  = 253
)

// DNSLabel returns s lower-cased when it is an RFC 1123 label (letters,
// digits and inner hyphens, 1 to 63 octets), the form Kubernetes names and
// hostnames take; ok is false otherwise.
func DNSLabel(s string) (label string, ok bool) {
	if len(s) == 0 || len(s) > maxLabelLen || s[0] == '-' || s[len(s)-1] == '-' {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return "", false
		}
	}
	return strings.ToLower(s), true
}

// DNSSubdomain returns s lower-cased when it is a sequence of RFC 1123 labels
// joined by dots, as a cluster ID may be (KEP-2149); ok is false otherwise.
func DNSSubdomain(s string) (name string, ok bool) {
	if len(s) == 0 || len(s) > maxNameLen {
		return "", false
	}
	for label := range strings.SplitSeq(s, ".") {
		if _, ok := DNSLabel(label); !ok {
			return "", false
		}
	}
	return strings.ToLower(s), true
}

// srvProtoLabel returns the `_proto` label for a Kubernetes port protocol
// (empty means TCP, as the API defaults it).
func srvProtoLabel(protocol string) (label string, ok bool) {
	switch strings.ToUpper(protocol) {
	case "", "TCP":
		return "_tcp", true
	case "UDP":
		return "_udp", true
	case "SCTP":
		return "_sctp", true
	}
	return "", false
}

// srvPortLabel returns the `_port` label for a named port. Port names are
// IANA service names, matched case-insensitively (MCS DNS spec, "SRV
// Records"); a name that cannot be a DNS label makes no SRV name.
func srvPortLabel(name string) (label string, ok bool) {
	l, ok := DNSLabel(name)
	if !ok {
		return "", false
	}
	return "_" + l, true
}

// parseAddr parses an address of the family a record needs. IPv4-mapped IPv6
// addresses and addresses with a zone are refused: neither is something a
// client can reach as written, and accepting them would let one value
// answer in both families.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !validAddr(a) {
		return netip.Addr{}, false
	}
	return a, true
}

// validAddr reports whether a parsed address is one parseAddr accepts.
func validAddr(a netip.Addr) bool { return a.Zone() == "" && !a.Is4In6() }

// parseEndpointAddr is parseAddr for an endpoint address, which the slice
// may hold parsed already.
func parseEndpointAddr(addr object.Address) (netip.Addr, bool) {
	if a, ok := addr.IP(); ok {
		return a, validAddr(a)
	}
	return parseAddr(addr.String())
}

// endpointHostname is the label that names an endpoint without a hostname:
// its address with '.' and ':' replaced by '-', and an IPv6 form that ends in
// '-' completed with a '0' (docs/dns-contract.md, the line "the hostname `H`", as the Kubernetes DNS
// specification derives it).
func endpointHostname(a netip.Addr) string {
	var buf [maxDerivedLabel]byte
	return string(appendEndpointHostname(buf[:0], a))
}

// appendEndpointHostname appends endpointHostname(a) to dst without
// allocating when dst has room: the query path derives labels.
func appendEndpointHostname(dst []byte, a netip.Addr) []byte {
	start := len(dst)
	dst = a.AppendTo(dst)
	for i := start; i < len(dst); i++ {
		if dst[i] == '.' || dst[i] == ':' {
			dst[i] = '-'
		}
	}
	if dst[len(dst)-1] == '-' {
		dst = append(dst, '0')
	}
	return dst
}
