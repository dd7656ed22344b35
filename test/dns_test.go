package test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// zone is the clusterset zone of every example.
const zone = "clusterset.local."

// defaultTTL is the record TTL (and SOA minimum) the plugin uses without
// the ttl option.
const defaultTTL = 5

// Deadlines: settle is how long an answer may take to match once the data
// it depends on is known to be served (informers see writes in ~20 ms);
// converge is how long a change may take to show up.
const (
	settle   = 3 * time.Second
	converge = 20 * time.Second
)

// reply is a DNS response as dig (or miekg/dns) reported it.
type reply struct {
	rcode             int
	aa, tc            bool
	answer, ns, extra []dns.RR
	text              string // dig's output, for failure messages
	size              int    // wire size, when known (miekg/dns only)
	question          string
	viaTCP, viaMiekg  bool
}

// transport selects how a question is asked.
type transport int

const (
	udp transport = iota
	tcp
)

func (tr transport) String() string {
	if tr == tcp {
		return "tcp"
	}
	return "udp"
}

// dig asks addr one question with dig and parses its output. Over UDP it
// passes +ignore so that a truncated answer is reported as such rather than
// retried over TCP.
func dig(addr, name, qtype string, tr transport, opts ...string) (*reply, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	args := []string{"@" + host, "-p", port, name, qtype, "+tries=1", "+time=2"}
	if tr == tcp {
		args = append(args, "+tcp")
	} else {
		args = append(args, "+ignore")
	}
	args = append(args, opts...)
	cmd := exec.Command("dig", args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	runErr := cmd.Run()
	text := "$ dig " + strings.Join(args, " ") + "\n" + out.String() + stderr.String()
	if runErr != nil {
		return nil, fmt.Errorf("%w\n%s", runErr, text)
	}
	r, err := parseDig(out.String())
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, text)
	}
	r.text = text
	r.question = name + " " + qtype
	r.viaTCP = tr == tcp
	return r, nil
}

// parseDig reads dig's default output: the header and flags lines, then
// the records of the ANSWER, AUTHORITY and ADDITIONAL sections, which are
// in zone-file syntax.
func parseDig(out string) (*reply, error) {
	r := &reply{rcode: -1}
	var sec *[]dns.RR
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, ";; ->>HEADER<<-"):
			_, st, ok := strings.Cut(line, "status: ")
			if !ok {
				return nil, fmt.Errorf("no status in %q", line)
			}
			st, _, _ = strings.Cut(st, ",")
			rc, ok := dns.StringToRcode[st]
			if !ok {
				return nil, fmt.Errorf("unknown status %q", st)
			}
			r.rcode = rc
		case strings.HasPrefix(line, ";; flags:"):
			fl, _, _ := strings.Cut(strings.TrimPrefix(line, ";; flags:"), ";")
			for _, f := range strings.Fields(fl) {
				switch f {
				case "aa":
					r.aa = true
				case "tc":
					r.tc = true
				}
			}
		case line == ";; ANSWER SECTION:":
			sec = &r.answer
		case line == ";; AUTHORITY SECTION:":
			sec = &r.ns
		case line == ";; ADDITIONAL SECTION:":
			sec = &r.extra
		case strings.HasPrefix(line, ";; Got bad packet"), strings.HasPrefix(line, ";; Warning: Message parser reports malformed message"):
			return nil, errors.New("dig: malformed message: " + line)
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, ";"):
			if strings.TrimSpace(line) == "" {
				sec = nil
			}
		default:
			if sec == nil {
				continue
			}
			rr, err := dns.NewRR(line)
			if err != nil {
				return nil, fmt.Errorf("record %q: %w", line, err)
			}
			if rr != nil {
				*sec = append(*sec, rr)
			}
		}
	}
	if r.rcode < 0 {
		return nil, errors.New("no header in dig output")
	}
	return r, nil
}

// ask sends one question with miekg/dns; bufsize 0 means no EDNS0. Over
// UDP it reads the datagram itself, so that size is the octets on the wire.
func ask(addr, name string, qtype uint16, tr transport, bufsize uint16) (*reply, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if bufsize > 0 {
		m.SetEdns0(bufsize, false)
	}
	var resp *dns.Msg
	size := 0
	if tr == tcp {
		cl := &dns.Client{Net: "tcp", Timeout: 3 * time.Second}
		var err error
		if resp, _, err = cl.Exchange(m, addr); err != nil {
			return nil, err
		}
		packed, _ := resp.Pack()
		size = len(packed)
	} else {
		q, err := m.Pack()
		if err != nil {
			return nil, err
		}
		conn, err := net.Dial("udp", addr)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := conn.Write(q); err != nil {
			return nil, err
		}
		buf := make([]byte, 65536)
		if size, err = conn.Read(buf); err != nil {
			return nil, err
		}
		resp = new(dns.Msg)
		if err := resp.Unpack(buf[:size]); err != nil {
			return nil, fmt.Errorf("malformed %d-octet answer: %w", size, err)
		}
	}
	r := &reply{rcode: resp.Rcode, aa: resp.Authoritative, tc: resp.Truncated, answer: resp.Answer, ns: resp.Ns,
		size: size, question: name + " " + dns.TypeToString[qtype], viaTCP: tr == tcp, viaMiekg: true, text: resp.String()}
	for _, rr := range resp.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			r.extra = append(r.extra, rr)
		}
	}
	return r, nil
}

// want is an expected answer. Records are written "owner TYPE RDATA"
// without TTL and class; SRV as "owner SRV PORT TARGET" (priority and
// weight are not part of the contract).
type want struct {
	rcode int
	// answer is the exact set of the answer section.
	answer []string
	// extra, when not nil, is the exact set of the additional section
	// (OPT excluded); extraHas lists records it must contain.
	extra, extraHas []string
	// ttl is the TTL of the answer records and the SOA minimum of a
	// negative answer; 0 means defaultTTL. anyTTL skips the check (cache).
	ttl    uint32
	anyTTL bool
	// noAA skips the AA check (answers that are not the plugin's).
	noAA bool
	// ordered compares the answer section in order, not as a set: the
	// order is part of the answer (locality).
	ordered bool
	// priority writes SRV records "owner SRV PRIORITY PORT TARGET", for
	// the answers whose priorities are specified (locality tiers).
	priority bool
}

// inOrder is an answer compared in order.
func inOrder(rrs ...string) want { return want{rcode: dns.RcodeSuccess, answer: rrs, ordered: true} }

// srvInOrder is an SRV answer compared in order, priorities included.
func srvInOrder(rrs ...string) want {
	return want{rcode: dns.RcodeSuccess, answer: rrs, ordered: true, priority: true}
}

// Shorthands for the expectations.
func answer(rrs ...string) want { return want{rcode: dns.RcodeSuccess, answer: rrs} }

// aRecords writes the A records of owner, one per address.
func aRecords(owner string, ips ...string) []string {
	rrs := make([]string, 0, len(ips))
	for _, ip := range ips {
		rrs = append(rrs, owner+" A "+ip)
	}
	return rrs
}

// srvRecords writes the SRV records of owner, one per target, on port
// (priorities left out, as want writes SRV records by default).
func srvRecords(owner string, port int, targets ...string) []string {
	rrs := make([]string, 0, len(targets))
	for _, tg := range targets {
		rrs = append(rrs, fmt.Sprintf("%s SRV %d %s", owner, port, tg))
	}
	return rrs
}

var (
	nodata   = want{rcode: dns.RcodeSuccess}
	nxdomain = want{rcode: dns.RcodeNameError}
)

// norm writes rr as "owner TYPE RDATA".
func norm(rr dns.RR) string {
	h := rr.Header()
	typ := dns.TypeToString[h.Rrtype]
	switch v := rr.(type) {
	case *dns.SRV:
		return fmt.Sprintf("%s SRV %d %s", h.Name, v.Port, v.Target)
	case *dns.SOA:
		return h.Name + " SOA"
	}
	rdata := strings.TrimPrefix(rr.String(), h.String())
	return h.Name + " " + typ + " " + strings.TrimSpace(rdata)
}

func normAll(rrs []dns.RR) []string {
	s := normList(rrs, false)
	sort.Strings(s)
	return s
}

// normList writes rrs in their order; with priority, SRV records as
// "owner SRV PRIORITY PORT TARGET".
func normList(rrs []dns.RR, priority bool) []string {
	var s []string
	for _, rr := range rrs {
		if v, ok := rr.(*dns.SRV); ok && priority {
			s = append(s, fmt.Sprintf("%s SRV %d %d %s", v.Hdr.Name, v.Priority, v.Port, v.Target))
			continue
		}
		s = append(s, norm(rr))
	}
	return s
}

// check compares r with w per the contract: rcode, AA on every answer in
// the zone, the exact answer set without duplicates (RFC 2181 §5), TTLs,
// and the zone SOA in the authority section of every negative answer with
// minimum = TTL (RFC 2308).
func check(r *reply, w want) error {
	var errs []string
	if r.rcode != w.rcode {
		errs = append(errs, fmt.Sprintf("rcode %s, want %s", dns.RcodeToString[r.rcode], dns.RcodeToString[w.rcode]))
	}
	if !w.noAA && (w.rcode == dns.RcodeSuccess || w.rcode == dns.RcodeNameError) && !r.aa {
		errs = append(errs, "AA bit not set")
	}
	if r.tc {
		errs = append(errs, "TC bit set")
	}
	ttl := w.ttl
	if ttl == 0 {
		ttl = defaultTTL
	}
	got := normList(r.answer, w.priority)
	exp := slices.Clone(w.answer)
	if !w.ordered {
		sort.Strings(got)
		sort.Strings(exp)
	}
	if sorted := slices.Sorted(slices.Values(got)); !slices.Equal(slices.Compact(slices.Clone(sorted)), sorted) {
		errs = append(errs, fmt.Sprintf("duplicate records in the answer: %q", got))
	}
	switch {
	case slices.Equal(got, exp):
	case w.ordered && slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(exp))):
		errs = append(errs, fmt.Sprintf("answer in the order %q, want the order %q", got, exp))
	default:
		errs = append(errs, fmt.Sprintf("answer %q, want %q", got, exp))
	}
	if !w.anyTTL {
		for _, rr := range r.answer {
			if rr.Header().Ttl != ttl {
				errs = append(errs, fmt.Sprintf("TTL %d, want %d: %s", rr.Header().Ttl, ttl, rr))
			}
		}
	}
	negative := w.rcode == dns.RcodeNameError || (w.rcode == dns.RcodeSuccess && len(w.answer) == 0)
	if negative && !w.noAA {
		var soas []*dns.SOA
		for _, rr := range r.ns {
			if soa, ok := rr.(*dns.SOA); ok {
				soas = append(soas, soa)
			}
		}
		switch {
		case len(soas) != 1:
			errs = append(errs, fmt.Sprintf("negative answer with %d SOA records in authority, want 1 (RFC 2308): %v", len(soas), r.ns))
		case !strings.EqualFold(soas[0].Hdr.Name, zone):
			errs = append(errs, fmt.Sprintf("SOA owner %s, want the zone apex %s", soas[0].Hdr.Name, zone))
		case !w.anyTTL && soas[0].Minttl != ttl:
			errs = append(errs, fmt.Sprintf("SOA minimum %d, want the record TTL %d", soas[0].Minttl, ttl))
		}
	}
	gotExtra := normAll(r.extra)
	if w.extra != nil {
		exp := slices.Clone(w.extra)
		sort.Strings(exp)
		if !slices.Equal(gotExtra, exp) {
			errs = append(errs, fmt.Sprintf("additional %q, want %q", gotExtra, exp))
		}
	}
	for _, x := range w.extraHas {
		if !slices.Contains(gotExtra, x) {
			errs = append(errs, fmt.Sprintf("additional %q lacks %q", gotExtra, x))
		}
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// expect asks name/qtype with dig over UDP and over TCP until the answer
// matches w or within passes; it reports the last mismatch with the
// exact query and dig output.
func expect(t *testing.T, c *coreDNS, within time.Duration, name, qtype string, w want) {
	t.Helper()
	for _, tr := range []transport{udp, tcp} {
		if err := poll(within, func() (string, error) {
			r, err := dig(c.addr, name, qtype, tr)
			if err != nil {
				return "", err
			}
			return r.text, check(r, w)
		}); err != nil {
			t.Errorf("%s %s over %s: %v", name, qtype, tr, err)
		}
	}
}

// poll calls f until it returns no error or within passes, then returns
// the last error with the last detail f gave.
func poll(within time.Duration, f func() (string, error)) error {
	deadline := time.Now().Add(within)
	for {
		detail, err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			if detail != "" {
				return fmt.Errorf("%w\n%s", err, detail)
			}
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fqdn appends the zone to a relative name.
func fqdn(rel string) string { return rel + "." + zone }
