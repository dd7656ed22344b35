package object

import (
	"net/netip"
	"slices"
	"testing"
)

func TestAddresses(t *testing.T) {
	tests := []struct {
		name    string
		written []string
		// parsed is what IP returns for each address, invalid where the
		// address is held as written.
		parsed []netip.Addr
	}{
		{name: "none", written: nil},
		{name: "one canonical IPv4 is held parsed", written: []string{"10.1.0.1"}, parsed: []netip.Addr{netip.MustParseAddr("10.1.0.1")}},
		{name: "one canonical IPv6 is held parsed", written: []string{"fd00::1:1"}, parsed: []netip.Addr{netip.MustParseAddr("fd00::1:1")}},
		{name: "0.0.0.0 is an address", written: []string{"0.0.0.0"}, parsed: []netip.Addr{netip.MustParseAddr("0.0.0.0")}},
		{name: "non-canonical IPv6 is held as written", written: []string{"FD00:0::1:1"}, parsed: []netip.Addr{{}}},
		{name: "IPv4 with leading zeros is held as written", written: []string{"010.1.0.1"}, parsed: []netip.Addr{{}}},
		{name: "IPv4-mapped IPv6 is held as written", written: []string{"::ffff:10.1.0.1"}, parsed: []netip.Addr{{}}},
		{name: "the unspecified IPv6 address is held as written", written: []string{"::"}, parsed: []netip.Addr{{}}},
		{name: "an address with a zone is held as written", written: []string{"fe80::1%eth0"}, parsed: []netip.Addr{{}}},
		{name: "text is held as written", written: []string{"not-an-address"}, parsed: []netip.Addr{{}}},
		{name: "the empty string is held as written", written: []string{""}, parsed: []netip.Addr{{}}},
		{name: "several are held as written", written: []string{"10.1.0.9", "10.1.0.3"}, parsed: []netip.Addr{{}, {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			written := slices.Clone(tt.written)
			a := NewAddresses(written...)
			if a.Len() != len(tt.written) {
				t.Errorf("Len() = %d, want %d", a.Len(), len(tt.written))
			}
			if got := a.Strings(); !slices.Equal(got, tt.written) {
				t.Errorf("Strings() = %q, want %q", got, tt.written)
			}
			var parsed []netip.Addr
			for addr := range a.All() {
				ip, ok := addr.IP()
				if ok != ip.IsValid() {
					t.Errorf("IP() = %v, %v", ip, ok)
				}
				parsed = append(parsed, ip)
			}
			if !slices.Equal(parsed, tt.parsed) {
				t.Errorf("IP() of each = %v, want %v", parsed, tt.parsed)
			}
			if len(written) > 0 {
				written[0] = "changed"
				if a.Strings()[0] == "changed" {
					t.Error("the addresses share the caller's array")
				}
			}
		})
	}
}
