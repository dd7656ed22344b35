package test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/clusterset-dns/clusterset/test/answers"
)

// zone is the clusterset zone of every example.
const zone = "clusterset.local."

// Deadlines: settle is how long an answer may take to match once the data
// it depends on is known to be served (informers see writes in ~20 ms);
// converge is how long a change may take to show up.
const (
	settle   = 3 * time.Second
	converge = 20 * time.Second
)

// reply is a DNS response as dig (or miekg/dns) reported it: the header
// bits and the sections (OPT left out) in the message.
type reply struct {
	*dns.Msg
	text             string // dig's output, for failure messages
	size             int    // wire size, when known (miekg/dns only)
	question         string
	viaTCP, viaMiekg bool
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
	r := &reply{Msg: &dns.Msg{MsgHdr: dns.MsgHdr{Rcode: -1}}}
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
			r.Rcode = rc
		case strings.HasPrefix(line, ";; flags:"):
			fl, _, _ := strings.Cut(strings.TrimPrefix(line, ";; flags:"), ";")
			for _, f := range strings.Fields(fl) {
				switch f {
				case "aa":
					r.Authoritative = true
				case "tc":
					r.Truncated = true
				}
			}
		case line == ";; ANSWER SECTION:":
			sec = &r.Answer
		case line == ";; AUTHORITY SECTION:":
			sec = &r.Ns
		case line == ";; ADDITIONAL SECTION:":
			sec = &r.Extra
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
	if r.Rcode < 0 {
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
	r := &reply{Msg: resp, size: size, question: name + " " + dns.TypeToString[qtype], viaTCP: tr == tcp, viaMiekg: true, text: resp.String()}
	r.Extra = slices.DeleteFunc(slices.Clone(resp.Extra), func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeOPT })
	return r, nil
}

// The expectations of this package write SRV records "owner SRV PORT
// TARGET": priority and weight are not part of the contract, but where
// locality specifies priorities (srvInOrder).

// inOrder is an answer compared in order.
func inOrder(rrs ...string) answers.Want {
	w := answer(rrs...)
	w.Ordered = true
	return w
}

// srvInOrder is an SRV answer compared in order, priorities included:
// "owner SRV PRIORITY PORT TARGET".
func srvInOrder(rrs ...string) answers.Want {
	w := inOrder(rrs...)
	w.SRV = answers.SRVPriorityPortTarget
	return w
}

// answer is NOERROR with exactly rrs, as a set.
func answer(rrs ...string) answers.Want {
	return answers.Want{Rcode: dns.RcodeSuccess, Answer: rrs, SRV: answers.SRVPortTarget}
}

// aRecords writes the A records of owner, one per address.
func aRecords(owner string, ips ...string) []string {
	rrs := make([]string, 0, len(ips))
	for _, ip := range ips {
		rrs = append(rrs, owner+" A "+ip)
	}
	return rrs
}

// srvRecords writes the SRV records of owner, one per target, on port
// (priorities left out, as answer writes SRV records).
func srvRecords(owner string, port int, targets ...string) []string {
	rrs := make([]string, 0, len(targets))
	for _, tg := range targets {
		rrs = append(rrs, fmt.Sprintf("%s SRV %d %s", owner, port, tg))
	}
	return rrs
}

var (
	nodata   = answers.Want{Rcode: dns.RcodeSuccess}
	nxdomain = answers.Want{Rcode: dns.RcodeNameError}
)

// expect asks name/qtype with dig over UDP and over TCP until the answer
// matches w or within passes; it reports the last mismatch with the
// exact query and dig output.
func expect(t *testing.T, c *coreDNS, within time.Duration, name, qtype string, w answers.Want) {
	t.Helper()
	for _, tr := range []transport{udp, tcp} {
		if err := poll(within, func() (string, error) {
			r, err := dig(c.addr, name, qtype, tr)
			if err != nil {
				return "", err
			}
			return r.text, answers.Check(r.Msg, w)
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
