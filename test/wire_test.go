package test

// Hostile and unusual packets on the wire, against the real bin/coredns
// with corefile-examples/clusterset-alone.Corefile. A DNS server must never
// crash, hang or answer wrongly because of what it receives (issue: wire
// robustness). The expected answers are the RFCs' as CoreDNS v1.15.0 and
// miekg/dns v1.1.73 implement them:
//
//   - a datagram shorter than a header cannot be answered (there is no ID to
//     echo) and is dropped (miekg/dns serveDNS: unpackMsgHdr fails);
//   - a response (QR set) is ignored, so that two servers cannot be made to
//     answer each other forever (DefaultMsgAcceptFunc: MsgIgnore);
//   - an opcode other than QUERY and NOTIFY is NOTIMP with the opcode
//     echoed (RFC 1035 §4.1.1, DefaultMsgAcceptFunc: MsgRejectNotImplemented);
//   - a question count other than one, and a header followed by bytes that
//     do not parse, are FORMERR (RFC 1035 §4.1.1; RFC 9619 says QDCOUNT must
//     be 1 for QUERY);
//   - EDNS version 1 is BADVERS with an OPT of version 0 (RFC 6891 §6.1.3,
//     CoreDNS plugin/pkg/edns.Version);
//   - more than one OPT record is FORMERR (RFC 6891 §6.1.1);
//   - ANY is one synthesized HINFO "RFC8482" (RFC 8482 §4.2, the plugin's
//     handler);
//   - a UDP answer fits the client's EDNS buffer with TC set when it did not
//     fit, and TCP has it all (RFC 1035 §4.2.1, RFC 6891 §7, docs/dns-contract.md, the line "an answer larger than the UDP buffer (512…").
//
// After every hostile packet the server must still answer a normal query.

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/answers"
	"github.com/clusterset-dns/clusterset/test/fixtures"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	mcsv1beta1 "sigs.k8s.io/mcs-api/pkg/apis/v1beta1"
)

// wireHeader is the fixed 12-octet DNS header (RFC 1035 §4.1.1), parsed by
// hand so that answers miekg/dns would refuse to unpack can be read too.
type wireHeader struct {
	id                                 uint16
	qr                                 bool
	opcode, rcode                      int
	qdcount, ancount, nscount, arcount uint16
}

func parseWireHeader(b []byte) (wireHeader, error) {
	if len(b) < 12 {
		return wireHeader{}, fmt.Errorf("%d-octet answer, shorter than a header", len(b))
	}
	flags := binary.BigEndian.Uint16(b[2:])
	return wireHeader{
		id:      binary.BigEndian.Uint16(b[0:]),
		qr:      flags&0x8000 != 0,
		opcode:  int(flags>>11) & 0xF,
		rcode:   int(flags & 0xF),
		qdcount: binary.BigEndian.Uint16(b[4:]),
		ancount: binary.BigEndian.Uint16(b[6:]),
		nscount: binary.BigEndian.Uint16(b[8:]),
		arcount: binary.BigEndian.Uint16(b[10:]),
	}, nil
}

// rawHeader builds a query header with the given ID, opcode and counts.
func rawHeader(id uint16, opcode int, qd, an, ns, ar uint16) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b[0:], id)
	binary.BigEndian.PutUint16(b[2:], uint16(opcode&0xF)<<11|0x0100) // RD set, as stubs send it
	binary.BigEndian.PutUint16(b[4:], qd)
	binary.BigEndian.PutUint16(b[6:], an)
	binary.BigEndian.PutUint16(b[8:], ns)
	binary.BigEndian.PutUint16(b[10:], ar)
	return b
}

// rawQuestion is name, type and class in wire format (uncompressed).
func rawQuestion(name string, qtype uint16) []byte {
	buf := make([]byte, 300)
	off, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		panic(err)
	}
	buf = buf[:off]
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint16(buf, qtype), dns.ClassINET)
}

// probeID is the ID of the well-formed query sendRaw sends after the packets
// under test; the packets under test use other IDs.
const probeID = 0xC0DE

// sendRaw writes each packet as one UDP datagram from one socket, then a
// well-formed query for probe (ID probeID), and collects every datagram that
// comes back until the probe's answer and at least want other answers are
// in, and then for a short grace period, in which answers beyond want may
// still come (CoreDNS serves each datagram in its own goroutine, so they
// arrive in any order). It returns the answers to the packets under test
// and the probe's answer. No answer to the probe is an error: the server is
// down or wedged.
func sendRaw(addr string, packets [][]byte, probe string, want int) (others [][]byte, probeAnswer *dns.Msg, err error) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	for _, p := range packets {
		if _, err := conn.Write(p); err != nil {
			return nil, nil, err
		}
	}
	q := new(dns.Msg)
	q.SetQuestion(probe, dns.TypeA)
	q.Id = probeID
	qb, err := q.Pack()
	if err != nil {
		return nil, nil, err
	}
	if _, err := conn.Write(qb); err != nil {
		return nil, nil, err
	}
	// The deadline bounds a wait for a server that does not answer; it
	// asserts nothing about speed.
	deadline := time.Now().Add(10 * time.Second)
	graceSet := false
	buf := make([]byte, 65536)
	for {
		if probeAnswer != nil && len(others) >= want && !graceSet {
			// Unexpected answers may still be on their way: wait a little
			// for them, not for ever.
			deadline, graceSet = time.Now().Add(300*time.Millisecond), true
		}
		_ = conn.SetReadDeadline(deadline)
		n, err := conn.Read(buf)
		if err != nil {
			switch {
			case graceSet:
				return others, probeAnswer, nil // the grace period is over
			case probeAnswer == nil:
				return others, nil, fmt.Errorf("no answer to a normal query sent after the packets: %w", err)
			default:
				return others, probeAnswer, nil // fewer answers than wanted: the caller says so
			}
		}
		b := slices.Clone(buf[:n])
		if n >= 2 && binary.BigEndian.Uint16(b) == probeID && probeAnswer == nil {
			probeAnswer = new(dns.Msg)
			if err := probeAnswer.Unpack(b); err != nil {
				return others, nil, fmt.Errorf("malformed answer to the probe: %w", err)
			}
			continue
		}
		others = append(others, b)
	}
}

// TestWire sends malformed and unusual packets to bin/coredns and checks
// each gets its RFC answer or is dropped, and that the server keeps
// answering.
func TestWire(t *testing.T) {
	ctx := t.Context()
	c := startCoreDNS(t, "clusterset-alone.Corefile", nil, nil)
	const ns = "wire"
	must(t, bed.EnsureNamespace(ctx, ns))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "vip", mcsv1beta1.ClusterSetIP, []string{"10.100.20.1"}, nil, "east")))
	must(t, bed.ApplyServiceImport(ctx, fixtures.ServiceImport(ns, "many", mcsv1beta1.Headless, nil,
		[]mcsv1beta1.ServicePort{fixtures.Port("http", corev1.ProtocolTCP, 80)}, "east")))
	// 120 endpoints: an A answer of about 2 KB, over a 1232-octet buffer.
	many := fqdn("many." + ns + ".svc")
	var eps []fixtures.Endpoint
	var all []string
	for i := 1; i <= 120; i++ {
		addr := fmt.Sprintf("10.20.0.%d", i)
		eps = append(eps, fixtures.Endpoint{Addresses: []string{addr}})
		all = append(all, many+" A "+addr)
	}
	_, err := bed.ApplyEndpointSlice(ctx, fixtures.Slice{Namespace: ns, Service: "many", Cluster: "east",
		Ports: []fixtures.SlicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80}}, Endpoints: eps})
	must(t, err)

	vip := fqdn("vip." + ns + ".svc")
	expect(t, c, converge, vip, "A", answer(vip+" A 10.100.20.1"))
	must(t, poll(converge, func() (string, error) {
		r, err := dig(c.addr, many, "A", tcp)
		if err != nil {
			return "", err
		}
		return r.text, answers.Check(r.Msg, answer(all...))
	}))

	// stillServing checks the normal query sent after the packets under
	// test, and that the process is alive.
	stillServing := func(t *testing.T, probe *dns.Msg) {
		t.Helper()
		if exited, err := c.proc.Exited(); exited {
			t.Fatalf("coredns exited (%v)", err)
		}
		if probe.Rcode != dns.RcodeSuccess || len(probe.Answer) != 1 || answers.Record(probe.Answer[0]) != vip+" A 10.100.20.1" {
			t.Errorf("the normal query after the packets got:\n%s", probe)
		}
	}
	// oneAnswer sends pkt and returns its single answer's header and bytes.
	oneAnswer := func(t *testing.T, pkt []byte) (wireHeader, []byte) {
		t.Helper()
		others, probe, err := sendRaw(c.addr, [][]byte{pkt}, vip, 1)
		must(t, err)
		stillServing(t, probe)
		if len(others) != 1 {
			t.Fatalf("%d answers to the packet, want 1", len(others))
		}
		h, err := parseWireHeader(others[0])
		must(t, err)
		if !h.qr {
			t.Errorf("answer without QR: %+v", h)
		}
		return h, others[0]
	}
	dropped := func(t *testing.T, pkts ...[]byte) {
		t.Helper()
		others, probe, err := sendRaw(c.addr, pkts, vip, 0)
		must(t, err)
		stillServing(t, probe)
		for _, o := range others {
			h, _ := parseWireHeader(o)
			t.Errorf("answered %d octets (%+v), want the packet dropped", len(o), h)
		}
	}

	t.Run("an empty datagram and a header cut short are dropped", func(t *testing.T) {
		dropped(t, []byte{}, []byte{0x12, 0x34, 0x01}, rawHeader(0x1234, dns.OpcodeQuery, 1, 0, 0, 0)[:11])
	})
	t.Run("a response is not answered", func(t *testing.T) {
		p := append(rawHeader(0x2001, dns.OpcodeQuery, 1, 0, 0, 0), rawQuestion(vip, dns.TypeA)...)
		p[2] |= 0x80 // QR
		dropped(t, p)
	})
	t.Run("a header followed by garbage is FORMERR", func(t *testing.T) {
		// 0xff 0xff reads as a compression pointer past the end.
		p := append(rawHeader(0x2002, dns.OpcodeQuery, 1, 0, 0, 0), 0xff, 0xff, 0xde, 0xad, 0xbe, 0xef)
		h, _ := oneAnswer(t, p)
		if h.id != 0x2002 || h.rcode != dns.RcodeFormatError {
			t.Errorf("got %+v, want FORMERR for ID 0x2002", h)
		}
	})
	t.Run("a question cut short is FORMERR", func(t *testing.T) {
		q := rawQuestion(vip, dns.TypeA)
		p := append(rawHeader(0x2003, dns.OpcodeQuery, 1, 0, 0, 0), q[:len(q)-3]...)
		h, _ := oneAnswer(t, p)
		if h.id != 0x2003 || h.rcode != dns.RcodeFormatError {
			t.Errorf("got %+v, want FORMERR for ID 0x2003", h)
		}
	})
	for _, qd := range []uint16{0, 2} {
		t.Run(fmt.Sprintf("a question count of %d is FORMERR", qd), func(t *testing.T) {
			p := rawHeader(0x2100+qd, dns.OpcodeQuery, qd, 0, 0, 0)
			for range qd {
				p = append(p, rawQuestion(vip, dns.TypeA)...)
			}
			h, _ := oneAnswer(t, p)
			if h.id != 0x2100+qd || h.rcode != dns.RcodeFormatError {
				t.Errorf("got %+v, want FORMERR for ID %#x", h, 0x2100+qd)
			}
		})
	}
	for _, op := range []int{dns.OpcodeIQuery, dns.OpcodeStatus, dns.OpcodeUpdate, 15} {
		t.Run(fmt.Sprintf("opcode %d is NOTIMP", op), func(t *testing.T) {
			id := uint16(0x2200 + op)
			p := append(rawHeader(id, op, 1, 0, 0, 0), rawQuestion(vip, dns.TypeA)...)
			h, _ := oneAnswer(t, p)
			if h.id != id || h.rcode != dns.RcodeNotImplemented || h.opcode != op {
				t.Errorf("got %+v, want NOTIMP with opcode %d for ID %#x", h, op, id)
			}
			if h.ancount != 0 {
				t.Errorf("NOTIMP with %d answers", h.ancount)
			}
		})
	}
	t.Run("random datagrams get a well-formed answer or none", func(t *testing.T) {
		// A fixed seed: the same packets every run, so a failure repeats.
		rng := rand.New(rand.NewPCG(6, 6))
		var pkts [][]byte
		ids := map[uint16]bool{}
		for range 200 {
			p := make([]byte, 1+rng.IntN(120))
			for i := range p {
				p[i] = byte(rng.Uint32())
			}
			if len(p) >= 2 {
				if binary.BigEndian.Uint16(p) == probeID {
					p[0] ^= 0xff
				}
				ids[binary.BigEndian.Uint16(p)] = true
			}
			pkts = append(pkts, p)
		}
		others, probe, err := sendRaw(c.addr, pkts, vip, 0)
		must(t, err)
		stillServing(t, probe)
		for _, o := range others {
			h, err := parseWireHeader(o)
			if err != nil {
				t.Error(err)
				continue
			}
			if !h.qr || !ids[h.id] {
				t.Errorf("answer %+v: not a response to one of the datagrams sent", h)
			}
			if h.rcode == dns.RcodeSuccess && h.ancount > 0 {
				t.Errorf("records in an answer to a random datagram: %+v", h)
			}
		}
		t.Logf("%d random datagrams, %d answers", len(pkts), len(others))
	})
	t.Run("EDNS version 1 is BADVERS with an OPT of version 0", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetQuestion(vip, dns.TypeA)
		m.SetEdns0(1232, false)
		m.IsEdns0().SetVersion(1)
		for _, tr := range []transport{udp, tcp} {
			cl := &dns.Client{Net: tr.String(), Timeout: 3 * time.Second}
			r, _, err := cl.Exchange(m, c.addr)
			must(t, err)
			opt := r.IsEdns0()
			if r.Rcode != dns.RcodeBadVers || opt == nil || opt.Version() != 0 || len(r.Answer) != 0 {
				t.Errorf("over %s got:\n%s\nwant BADVERS, no answer, an OPT of version 0", tr, r)
			}
		}
		expect(t, c, settle, vip, "A", answer(vip+" A 10.100.20.1"))
	})
	t.Run("two OPT records are FORMERR", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetQuestion(vip, dns.TypeA)
		m.SetEdns0(1232, false)
		m.SetEdns0(4096, false) // SetEdns0 adds a second OPT when one is there
		m.Id = 0x2300
		if n := len(m.Extra); n != 2 {
			t.Fatalf("built a query with %d OPT records, want 2", n)
		}
		p, err := m.Pack()
		must(t, err)
		h, b := oneAnswer(t, p)
		if h.id != 0x2300 || h.rcode != dns.RcodeFormatError || h.ancount != 0 {
			r := new(dns.Msg)
			_ = r.Unpack(b)
			t.Errorf("got %+v:\n%s\nwant FORMERR without answers (RFC 6891 §6.1.1)", h, r)
		}
		if h.arcount > 1 {
			t.Errorf("FORMERR with %d additional records: at most the one OPT of RFC 6891 §7", h.arcount)
		}
		cl := &dns.Client{Net: "tcp", Timeout: 3 * time.Second}
		r, _, err := cl.Exchange(m, c.addr)
		must(t, err)
		if r.Rcode != dns.RcodeFormatError || len(r.Answer) != 0 {
			t.Errorf("over tcp got:\n%s\nwant FORMERR without answers", r)
		}
	})
	t.Run("ANY is one HINFO RFC8482", func(t *testing.T) {
		for _, name := range []string{vip, many} {
			for _, tr := range []transport{udp, tcp} {
				r, err := ask(c.addr, name, dns.TypeANY, tr, 1232)
				must(t, err)
				if r.Rcode != dns.RcodeSuccess || !r.Authoritative || r.Truncated || len(r.Answer) != 1 {
					t.Errorf("%s ANY over %s got:\n%s\nwant NOERROR, AA, one HINFO", name, tr, r.text)
					continue
				}
				h, ok := r.Answer[0].(*dns.HINFO)
				if !ok || h.Cpu != "RFC8482" || h.Hdr.Name != name {
					t.Errorf("%s ANY over %s answered %v, want HINFO \"RFC8482\"", name, tr, r.Answer[0])
				}
			}
		}
	})
	t.Run("over UDP a large answer fits a 1232-octet buffer with TC, over TCP it is whole", func(t *testing.T) {
		r, err := ask(c.addr, many, dns.TypeA, udp, 1232)
		must(t, err)
		if !r.Truncated || r.size > 1232 {
			t.Errorf("tc %v, %d octets; want TC within 1232 octets", r.Truncated, r.size)
		}
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative {
			t.Errorf("rcode %s aa %v, want NOERROR with AA", dns.RcodeToString[r.Rcode], r.Authoritative)
		}
		for _, rr := range answers.Set(r.Answer) {
			if !slices.Contains(all, rr) {
				t.Errorf("truncated answer has %q, not one of the endpoints", rr)
			}
		}
		r, err = ask(c.addr, many, dns.TypeA, tcp, 1232)
		must(t, err)
		if err := answers.Check(r.Msg, answer(all...)); err != nil {
			t.Error(err)
		}
	})
	t.Run("after all of it the server answers", func(t *testing.T) {
		expect(t, c, settle, vip, "A", answer(vip+" A 10.100.20.1"))
		if exited, err := c.proc.Exited(); exited {
			t.Fatalf("coredns exited (%v)", err)
		}
	})
}
