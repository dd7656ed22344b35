package answers

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// reply builds an authoritative reply with rcode from zone-file records,
// the sections separated by "--" lines: answer, authority, additional.
func reply(t *testing.T, rcode int, sections string) *dns.Msg {
	t.Helper()
	m := &dns.Msg{MsgHdr: dns.MsgHdr{Response: true, Authoritative: true, Rcode: rcode}}
	into := []*[]dns.RR{&m.Answer, &m.Ns, &m.Extra}
	for i, sec := range strings.Split(sections, "--\n") {
		for _, line := range strings.Split(strings.TrimSpace(sec), "\n") {
			if line == "" {
				continue
			}
			rr, err := dns.NewRR(line)
			if err != nil {
				t.Fatalf("record %q: %v", line, err)
			}
			*into[i] = append(*into[i], rr)
		}
	}
	return m
}

const (
	east  = "db-0.east.db.demo.svc.clusterset.local."
	west  = "db-0.west.db.demo.svc.clusterset.local."
	owner = "DB.demo.svc.clusterset.local."
)

// nxReply is a negative answer as the plugin writes it.
func nxReply(t *testing.T) *dns.Msg {
	return reply(t, dns.RcodeNameError, `--
clusterset.local. 5 IN SOA ns.dns.clusterset.local. hostmaster.clusterset.local. 1795571304 7200 1800 86400 5
`)
}

// srvReply is an SRV answer with glue.
func srvReply(t *testing.T) *dns.Msg {
	return reply(t, dns.RcodeSuccess, `
DB.demo.svc.clusterset.local. 5 IN SRV 0 50 5432 db-0.east.db.demo.svc.clusterset.local.
DB.demo.svc.clusterset.local. 5 IN SRV 0 50 5432 db-0.west.db.demo.svc.clusterset.local.
--
--
db-0.east.db.demo.svc.clusterset.local. 5 IN A 10.10.1.10
db-0.west.db.demo.svc.clusterset.local. 5 IN A 10.10.2.10
`)
}

// contract writes SRV records as the whole-binary tests do.
func contract(ordered bool, srv SRVFields, rrs ...string) Want {
	return Want{Rcode: dns.RcodeSuccess, Answer: rrs, Ordered: ordered, SRV: srv}
}

func srv(prefix, target string) string { return owner + " SRV " + prefix + " " + target }

type checkCase struct {
	name    string
	m       *dns.Msg
	w       Want
	wantErr string // "" means the check passes
}

// TestCheckCatchesWrongAnswers proves the comparison the tests rely on
// fails when it should: a harness that passes everything proves nothing.
func TestCheckCatchesWrongAnswers(t *testing.T) {
	nx, ok := nxReply(t), srvReply(t)
	glue := []string{east + " A 10.10.1.10", west + " A 10.10.2.10"}
	for _, tc := range []checkCase{
		{"NXDOMAIN with the zone SOA passes", nx, Want{Rcode: dns.RcodeNameError}, ""},
		{"NXDOMAIN is not NODATA", nx, Want{Rcode: dns.RcodeSuccess}, "rcode NXDOMAIN, want NOERROR"},
		{"the SOA minimum must be the record TTL", nx, Want{Rcode: dns.RcodeNameError, TTL: 30}, "SOA minimum 5, want the record TTL 30"},
		{"the SOA's TTL must be the record TTL", nx, Want{Rcode: dns.RcodeNameError, TTL: 30}, "SOA TTL 5, want the record TTL 30"},
		{"the SOA must be the zone's", nx, Want{Rcode: dns.RcodeNameError, Zone: "example.org."}, "SOA owner"},
		{"the SRV set passes", ok, contract(false, SRVPortTarget, srv("5432", east), srv("5432", west)), ""},
		{"a missing SRV record fails", ok, contract(false, SRVPortTarget, srv("5432", east)), "answer"},
		{"a wrong port fails", ok, contract(false, SRVPortTarget, srv("5433", east), srv("5432", west)), "answer"},
		{"the owner's case is compared", ok, contract(false, SRVPortTarget, strings.ToLower(srv("5432", east)), strings.ToLower(srv("5432", west))), "answer"},
		{"glue is checked", ok, Want{Rcode: dns.RcodeSuccess, Answer: []string{srv("5432", east), srv("5432", west)}, ExtraHas: []string{east + " AAAA fd00::1"}, SRV: SRVPortTarget}, "lacks"},
		{"a negative answer without SOA fails", ok, Want{Rcode: dns.RcodeSuccess}, "SOA"},
		{"an ordered answer in its order passes", ok, contract(true, SRVPortTarget, srv("5432", east), srv("5432", west)), ""},
		{"an ordered answer in another order fails", ok, contract(true, SRVPortTarget, srv("5432", west), srv("5432", east)), "answer in the order"},
		{"SRV priorities are compared when asked", ok, contract(true, SRVPriorityPortTarget, srv("0 5432", east), srv("0 5432", west)), ""},
		{"a wrong SRV priority fails", ok, contract(true, SRVPriorityPortTarget, srv("0 5432", east), srv("1 5432", west)), "answer"},
		{"an ordered answer with a record missing fails", ok, contract(true, SRVPortTarget, srv("5432", east)), "answer"},
		{"SRV in full passes", ok, contract(false, SRVFull, srv("0 50 5432", east), srv("0 50 5432", west)), ""},
		{"SRV in full compares the weight", ok, contract(false, SRVFull, srv("0 50 5432", east), srv("0 100 5432", west)), "answer"},
		{"SRV in full is not the short form", ok, contract(false, SRVFull, srv("5432", east), srv("5432", west)), "answer"},
		{"the additional section passes", ok, Want{Rcode: dns.RcodeSuccess, Answer: []string{srv("0 50 5432", east), srv("0 50 5432", west)}, Extra: glue}, ""},
		{"an additional section of nothing fails", ok, Want{Rcode: dns.RcodeSuccess, Answer: []string{srv("0 50 5432", east), srv("0 50 5432", west)}, Extra: []string{}}, "additional"},
		{"a TTL other than the record TTL fails", ok, Want{Rcode: dns.RcodeSuccess, Answer: []string{srv("0 50 5432", east), srv("0 50 5432", west)}, TTL: 30}, "TTL 5, want 30"},
		{"any TTL passes when asked", ok, Want{Rcode: dns.RcodeSuccess, Answer: []string{srv("0 50 5432", east), srv("0 50 5432", west)}, TTL: 30, AnyTTL: true}, ""},
	} {
		t.Run(tc.name, tc.run)
	}
}

func (tc *checkCase) run(t *testing.T) {
	err := Check(tc.m, tc.w)
	switch {
	case tc.wantErr == "" && err != nil:
		t.Errorf("check failed: %v", err)
	case tc.wantErr != "" && err == nil:
		t.Errorf("check passed, want an error with %q", tc.wantErr)
	case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
		t.Errorf("check error %q, want one with %q", err, tc.wantErr)
	}
}

// TestCheckCatchesWrongHeadersAndSections alters one part of a good reply
// at a time.
func TestCheckCatchesWrongHeadersAndSections(t *testing.T) {
	full := contract(false, SRVFull, srv("0 50 5432", east), srv("0 50 5432", west))
	for _, tc := range []struct {
		name, wantErr string
		alter         func(m *dns.Msg)
	}{
		{"a reply without AA fails", "AA bit not set", func(m *dns.Msg) { m.Authoritative = false }},
		{"a truncated reply fails", "TC bit set", func(m *dns.Msg) { m.Truncated = true }},
		{"a duplicate record fails", "duplicate", func(m *dns.Msg) { m.Answer = append(m.Answer, m.Answer[0]) }},
		{"authority in a positive answer fails", "in a positive answer", func(m *dns.Msg) { m.Ns = nxReply(t).Ns }},
		{"an OPT in the additional section is compared", "additional", func(m *dns.Msg) { m.SetEdns0(1232, false) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := srvReply(t)
			tc.alter(m)
			w := full
			w.Extra = []string{east + " A 10.10.1.10", west + " A 10.10.2.10"}
			(&checkCase{m: m, w: w, wantErr: tc.wantErr}).run(t)
		})
	}
	t.Run("a negative answer with more than the SOA fails", func(t *testing.T) {
		m := nxReply(t)
		m.Ns = append(m.Ns, srvReply(t).Answer[0])
		(&checkCase{m: m, w: Want{Rcode: dns.RcodeNameError}, wantErr: "the zone SOA alone"}).run(t)
	})
	t.Run("NoAA skips the AA bit and the authority section", func(t *testing.T) {
		m := nxReply(t)
		m.Authoritative, m.Ns = false, nil
		(&checkCase{m: m, w: Want{Rcode: dns.RcodeNameError, NoAA: true}}).run(t)
	})
	t.Run("no reply fails", func(t *testing.T) {
		(&checkCase{w: full, wantErr: "no reply"}).run(t)
	})
}

func TestRecordNotation(t *testing.T) {
	for _, tc := range []struct{ zone, want string }{
		{`a.example. 5 IN A 10.0.0.1`, "a.example. A 10.0.0.1"},
		{`a.example. 5 IN AAAA fd00::1`, "a.example. AAAA fd00::1"},
		{`a.example. 28800 IN TXT "1.0.0"`, `a.example. TXT "1.0.0"`},
		{`_http._tcp.a.example. 5 IN SRV 0 100 80 a.example.`, "_http._tcp.a.example. SRV 0 100 80 a.example."},
		{`a.example. 5 IN SOA ns.a.example. hostmaster.a.example. 1 7200 1800 86400 5`, "a.example. SOA"},
	} {
		rr, err := dns.NewRR(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		if got := Record(rr); got != tc.want {
			t.Errorf("Record(%s) = %q, want %q", tc.zone, got, tc.want)
		}
	}
}
