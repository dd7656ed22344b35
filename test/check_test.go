package test

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// digNXDOMAIN is dig 9.18's output for a negative answer.
const digNXDOMAIN = `
; <<>> DiG 9.18.49-1~deb12u3-Debian <<>> @127.0.0.1 -p 1053 nosuch.demo.svc.clusterset.local A
; (1 server found)
;; global options: +cmd
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 60551
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;nosuch.demo.svc.clusterset.local. IN	A

;; AUTHORITY SECTION:
clusterset.local.	5	IN	SOA	ns.dns.clusterset.local. hostmaster.clusterset.local. 1795571304 7200 1800 86400 5

;; Query time: 0 msec
`

// digSRV is dig 9.18's output for an SRV answer with glue.
const digSRV = `
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 34353
;; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 3

;; ANSWER SECTION:
DB.demo.svc.clusterset.local. 5	IN	SRV	0 50 5432 db-0.east.db.demo.svc.clusterset.local.
DB.demo.svc.clusterset.local. 5	IN	SRV	0 50 5432 db-0.west.db.demo.svc.clusterset.local.

;; ADDITIONAL SECTION:
db-0.east.db.demo.svc.clusterset.local.	5 IN A	10.10.1.10
db-0.west.db.demo.svc.clusterset.local.	5 IN A	10.10.2.10
`

// TestCheckCatchesWrongAnswers proves the comparison the integration tests
// rely on fails when it should: a harness that passes everything proves
// nothing.
func TestCheckCatchesWrongAnswers(t *testing.T) {
	nx, err := parseDig(digNXDOMAIN)
	must(t, err)
	srv, err := parseDig(digSRV)
	must(t, err)
	const e, w = "db-0.east.db.demo.svc.clusterset.local.", "db-0.west.db.demo.svc.clusterset.local."
	owner := "DB.demo.svc.clusterset.local."
	for _, tc := range []struct {
		name    string
		r       *reply
		w       want
		wantErr string // "" means the check passes
	}{
		{"NXDOMAIN with the zone SOA passes", nx, nxdomain, ""},
		{"NXDOMAIN is not NODATA", nx, nodata, "rcode NXDOMAIN, want NOERROR"},
		{"the SOA minimum must be the record TTL", nx, want{rcode: dns.RcodeNameError, ttl: 30}, "SOA minimum 5, want the record TTL 30"},
		{"the SRV set passes", srv, answer(owner+" SRV 5432 "+e, owner+" SRV 5432 "+w), ""},
		{"a missing SRV record fails", srv, answer(owner + " SRV 5432 " + e), "answer"},
		{"a wrong port fails", srv, answer(owner+" SRV 5433 "+e, owner+" SRV 5432 "+w), "answer"},
		{"the owner's case is compared", srv, answer(strings.ToLower(owner)+" SRV 5432 "+e, strings.ToLower(owner)+" SRV 5432 "+w), "answer"},
		{"glue is checked", srv, want{rcode: dns.RcodeSuccess, answer: []string{owner + " SRV 5432 " + e, owner + " SRV 5432 " + w}, extraHas: []string{e + " AAAA fd00::1"}}, "lacks"},
		{"a negative answer without SOA fails", srv, want{rcode: dns.RcodeSuccess}, "SOA"},
		{"an ordered answer in its order passes", srv, inOrder(owner+" SRV 5432 "+e, owner+" SRV 5432 "+w), ""},
		{"an ordered answer in another order fails", srv, inOrder(owner+" SRV 5432 "+w, owner+" SRV 5432 "+e), "answer in the order"},
		{"SRV priorities are compared when asked", srv, srvInOrder(owner+" SRV 0 5432 "+e, owner+" SRV 0 5432 "+w), ""},
		{"a wrong SRV priority fails", srv, srvInOrder(owner+" SRV 0 5432 "+e, owner+" SRV 1 5432 "+w), "answer"},
		{"an ordered answer with a record missing fails", srv, inOrder(owner + " SRV 5432 " + e), "answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := check(tc.r, tc.w)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("check failed: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("check passed, want an error with %q", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("check error %q, want one with %q", err, tc.wantErr)
			}
		})
	}
	t.Run("a reply without AA fails", func(t *testing.T) {
		r := *srv
		r.aa = false
		if err := check(&r, answer(owner+" SRV 5432 "+e, owner+" SRV 5432 "+w)); err == nil || !strings.Contains(err.Error(), "AA") {
			t.Errorf("check error %v, want the AA bit", err)
		}
	})
}
