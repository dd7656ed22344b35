package object

import (
	"iter"
	"net/netip"
	"slices"
)

// Addresses is an endpoint's addresses, held so that the usual endpoint
// costs no allocation: one IPv4 or IPv6 address written in its canonical
// form, which is what the EndpointSlice controllers write, is held in
// place in 16 bytes. Any other list (none, several, or text that is not a
// canonical address) is held as written, for the builder to validate and
// to report as written when it skips it.
//
// The zero value holds no address. An Addresses is immutable.
type Addresses struct {
	// ip is the single address when written is nil; IPv4 is held in its
	// IPv4-mapped form, so IPv4-mapped IPv6 text is always held as written.
	// All zero (which "::" would be) means no address.
	ip [16]byte
	// written is the list as written, when it is not a single canonical
	// address.
	written *[]string
}

// NewAddresses holds the addresses written.
func NewAddresses(written ...string) Addresses {
	if len(written) == 0 {
		return Addresses{}
	}
	if len(written) == 1 {
		if ip, ok := compact(written[0]); ok {
			return Addresses{ip: ip}
		}
	}
	copied := slices.Clone(written)
	return Addresses{written: &copied}
}

// compact returns the in-place form of text when text is an address
// written as netip.Addr.String writes it, without a zone, and its form is
// not ambiguous: "::" would read as no address, and IPv4-mapped IPv6 as
// IPv4.
func compact(text string) ([16]byte, bool) {
	a, err := netip.ParseAddr(text)
	if err != nil || a.Zone() != "" || a.Is4In6() || a == netip.IPv6Unspecified() || a.String() != text {
		return [16]byte{}, false
	}
	return a.As16(), true
}

// Len returns the number of addresses.
func (a *Addresses) Len() int {
	if a.written != nil {
		return len(*a.written)
	}
	if a.ip == ([16]byte{}) {
		return 0
	}
	return 1
}

// All yields the addresses in the order written.
func (a *Addresses) All() iter.Seq[Address] {
	return func(yield func(Address) bool) {
		if a.written != nil {
			for _, text := range *a.written {
				if !yield(Address{text: text}) {
					return
				}
			}
			return
		}
		if a.ip != ([16]byte{}) {
			yield(Address{ip: netip.AddrFrom16(a.ip).Unmap()})
		}
	}
}

// Strings returns the addresses as written.
func (a *Addresses) Strings() []string {
	var out []string
	for addr := range a.All() {
		out = append(out, addr.String())
	}
	return out
}

// Address is one address of an endpoint: parsed already, or text as
// written that may be no address at all.
type Address struct {
	ip   netip.Addr // valid when parsed
	text string     // as written, when not parsed
}

// IP returns the address when it was held parsed: then it is written in its
// canonical form, has no zone and is not IPv4-mapped. Otherwise ok is false
// and String is the text to parse.
func (a Address) IP() (ip netip.Addr, ok bool) { return a.ip, a.ip.IsValid() }

// String returns the address as written.
func (a Address) String() string {
	if a.ip.IsValid() {
		return a.ip.String()
	}
	return a.text
}
