package answers

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// DefaultTTL is the record TTL (and SOA minimum) the plugin uses without
// the ttl option.
const DefaultTTL = 5

// Zone is the zone a Want expects the SOA of, unless it names another.
const Zone = "clusterset.local."

// Want is an expected answer, its records in the package's notation.
type Want struct {
	Rcode int
	// Answer is the exact set of the answer section; Ordered compares it in
	// order instead, the order being part of the answer (locality).
	Answer  []string
	Ordered bool
	// Extra, when not nil, is the exact set of the additional section;
	// ExtraHas lists records it must contain.
	Extra, ExtraHas []string
	// TTL is the TTL of the answer records and the TTL and minimum of a
	// negative answer's SOA; 0 means DefaultTTL. AnyTTL skips those checks
	// (a cache in front counts TTLs down).
	TTL    uint32
	AnyTTL bool
	// NoAA skips the AA bit and the authority section: the answer is not
	// the plugin's (another plugin's, a forwarder's, SERVFAIL).
	NoAA bool
	// SRV is how SRV records are written and compared.
	SRV SRVFields
	// Zone is the zone whose SOA a negative answer carries; "" means Zone.
	Zone string
}

// Check compares m with w: the rcode, AA on every answer of the zone's,
// TC clear, the answer section exactly (RFC 2181 §5: no duplicates), the
// TTLs, the authority section (RFC 2308) and the additional section. It
// reports every difference, joined by "; ".
func Check(m *dns.Msg, w Want) error {
	if m == nil {
		return errors.New("no reply")
	}
	var errs []string
	if m.Rcode != w.Rcode {
		errs = append(errs, fmt.Sprintf("rcode %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[w.Rcode]))
	}
	if !w.NoAA && (w.Rcode == dns.RcodeSuccess || w.Rcode == dns.RcodeNameError) && !m.Authoritative {
		errs = append(errs, "AA bit not set")
	}
	if m.Truncated {
		errs = append(errs, "TC bit set")
	}
	errs = append(errs, w.checkAnswer(m.Answer)...)
	if !w.NoAA {
		errs = append(errs, w.checkAuthority(m.Ns)...)
	}
	errs = append(errs, w.checkAdditional(m.Extra)...)
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func (w *Want) ttl() uint32 {
	if w.TTL == 0 {
		return DefaultTTL
	}
	return w.TTL
}

// negative reports whether w is NXDOMAIN or NODATA.
func (w *Want) negative() bool {
	return w.Rcode == dns.RcodeNameError || (w.Rcode == dns.RcodeSuccess && len(w.Answer) == 0)
}

func (w *Want) checkAnswer(answer []dns.RR) []string {
	var errs []string
	got := w.SRV.records(answer)
	exp := slices.Clone(w.Answer)
	if !w.Ordered {
		slices.Sort(got)
		slices.Sort(exp)
	}
	if sorted := slices.Sorted(slices.Values(got)); len(slices.Compact(slices.Clone(sorted))) != len(sorted) {
		errs = append(errs, fmt.Sprintf("duplicate records in the answer: %q", got))
	}
	switch {
	case slices.Equal(got, exp):
	case w.Ordered && slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(exp))):
		errs = append(errs, fmt.Sprintf("answer in the order %q, want the order %q", got, exp))
	default:
		errs = append(errs, fmt.Sprintf("answer %q, want %q", got, exp))
	}
	if !w.AnyTTL {
		for _, rr := range answer {
			if rr.Header().Ttl != w.ttl() {
				errs = append(errs, fmt.Sprintf("TTL %d, want %d: %s", rr.Header().Ttl, w.ttl(), rr))
			}
		}
	}
	return errs
}

// checkAuthority wants the zone's SOA alone in a negative answer, its TTL
// and minimum the record TTL (RFC 2308 §3, §5), and nothing in a positive
// one.
func (w *Want) checkAuthority(ns []dns.RR) []string {
	if !w.negative() {
		if w.Rcode == dns.RcodeSuccess && len(ns) != 0 {
			return []string{fmt.Sprintf("authority %v in a positive answer, want none", ns)}
		}
		return nil
	}
	var soas []*dns.SOA
	for _, rr := range ns {
		if soa, ok := rr.(*dns.SOA); ok {
			soas = append(soas, soa)
		}
	}
	zone := w.Zone
	if zone == "" {
		zone = Zone
	}
	var errs []string
	switch {
	case len(soas) != 1:
		return []string{fmt.Sprintf("negative answer with %d SOA records in authority, want 1 (RFC 2308): %v", len(soas), ns)}
	case len(ns) != 1:
		errs = append(errs, fmt.Sprintf("authority %v, want the zone SOA alone", ns))
	}
	soa := soas[0]
	if !strings.EqualFold(soa.Hdr.Name, zone) {
		errs = append(errs, fmt.Sprintf("SOA owner %s, want the zone apex %s", soa.Hdr.Name, zone))
	}
	if !w.AnyTTL && soa.Minttl != w.ttl() {
		errs = append(errs, fmt.Sprintf("SOA minimum %d, want the record TTL %d", soa.Minttl, w.ttl()))
	}
	if !w.AnyTTL && soa.Hdr.Ttl != w.ttl() {
		errs = append(errs, fmt.Sprintf("SOA TTL %d, want the record TTL %d", soa.Hdr.Ttl, w.ttl()))
	}
	return errs
}

func (w *Want) checkAdditional(extra []dns.RR) []string {
	var errs []string
	got := w.SRV.records(extra)
	slices.Sort(got)
	if w.Extra != nil {
		exp := slices.Sorted(slices.Values(w.Extra))
		if !slices.Equal(got, exp) {
			errs = append(errs, fmt.Sprintf("additional %q, want %q", got, exp))
		}
	}
	for _, x := range w.ExtraHas {
		if !slices.Contains(got, x) {
			errs = append(errs, fmt.Sprintf("additional %q lacks %q", got, x))
		}
	}
	return errs
}
