package test

import (
	"testing"

	"github.com/clusterset-dns/clusterset/test/answers"
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

// TestParseDig reads dig's output into the reply answers.Check compares
// (whose own tests prove it fails on wrong answers): the header bits, each
// section, and nothing of the OPT pseudo-section.
func TestParseDig(t *testing.T) {
	nx, err := parseDig(digNXDOMAIN)
	must(t, err)
	if err := answers.Check(nx.Msg, nxdomain); err != nil {
		t.Errorf("NXDOMAIN: %v", err)
	}
	if len(nx.Extra) != 0 {
		t.Errorf("NXDOMAIN additional %v, want the OPT pseudo-section left out", nx.Extra)
	}
	srv, err := parseDig(digSRV)
	must(t, err)
	const e, w = "db-0.east.db.demo.svc.clusterset.local.", "db-0.west.db.demo.svc.clusterset.local."
	owner := "DB.demo.svc.clusterset.local."
	want := answer(owner+" SRV 5432 "+e, owner+" SRV 5432 "+w)
	want.Extra = []string{e + " A 10.10.1.10", w + " A 10.10.2.10"}
	if err := answers.Check(srv.Msg, want); err != nil {
		t.Errorf("SRV: %v", err)
	}
	want = srvInOrder(owner+" SRV 0 5432 "+e, owner+" SRV 0 5432 "+w)
	if err := answers.Check(srv.Msg, want); err != nil {
		t.Errorf("SRV in order with priorities: %v", err)
	}
	if got := answers.Records(srv.Answer); got[0] != owner+" SRV 0 50 5432 "+e {
		t.Errorf("first SRV record %q, want priority 0 and weight 50 as dig wrote them", got[0])
	}
	t.Run("a malformed message is an error", func(t *testing.T) {
		if _, err := parseDig(";; Got bad packet: FORMERR\n"); err == nil {
			t.Errorf("parseDig accepted a bad packet")
		}
	})
}
