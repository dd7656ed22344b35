package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
	"github.com/coredns/coredns/plugin"
	"github.com/miekg/dns"

	// The plugins a replay server block may hold besides replay itself.
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/pprof"
)

// The replay server is the ceiling for any plugin that serves our answers:
// a CoreDNS whose only plugin looks the question up in a map of the answers
// ours gave after the sync and writes the same message again, through the
// same server, ScrubWriter and (when the block has it) prometheus recorder.
// Whatever CPU ours spends per query above it is ours to remove. It runs
// from this program's own binary: with asCoreDNSEnv set, main (or the smoke
// test's TestMain) becomes CoreDNS with the replay plugin compiled in.
const asCoreDNSEnv = "CLUSTERSET_BENCH_AS_COREDNS"

// serveIfAsked runs CoreDNS with the replay plugin, and never returns, when
// this process was started as a replay server.
func serveIfAsked() {
	if os.Getenv(asCoreDNSEnv) != "1" {
		return
	}
	plugin.Register("replay", setupReplay)
	dnsserver.Directives = []string{"bind", "pprof", "prometheus", "replay"}
	coremain.Run()
	os.Exit(0)
}

// replayKey is what an answer is looked up by: the question as the query
// file writes it (dnsperf sends the names as written) and whether the query
// carried an OPT record, which changes the answer (its size limit, the OPT
// the ScrubWriter adds).
type replayKey struct {
	name  string
	qtype uint16
	edns  bool
}

// replay answers from captured messages.
type replay struct {
	Next    plugin.Handler
	answers map[replayKey]*dns.Msg
}

func (p *replay) Name() string { return "replay" }

// ServeDNS copies the captured message, gives it the query's ID and writes
// it: a map lookup and the same WriteMsg ours ends with. A question that was
// not captured gets SERVFAIL, which dnsperf's response codes show.
func (p *replay) ServeDNS(ctx context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	if len(r.Question) != 1 {
		return dns.RcodeServerFailure, nil
	}
	q := &r.Question[0]
	m, ok := p.answers[replayKey{name: q.Name, qtype: q.Qtype, edns: r.IsEdns0() != nil}]
	if !ok {
		return dns.RcodeServerFailure, nil
	}
	reply := *m
	reply.Id = r.Id
	if err := w.WriteMsg(&reply); err != nil {
		return dns.RcodeServerFailure, plugin.Error("replay", err)
	}
	return dns.RcodeSuccess, nil
}

// setupReplay reads `replay FILE`, the capture to serve.
func setupReplay(c *caddy.Controller) error {
	c.Next()
	if !c.NextArg() {
		return plugin.Error("replay", c.ArgErr())
	}
	path := c.Val()
	if c.NextArg() {
		return plugin.Error("replay", c.ArgErr())
	}
	answers, err := loadCapture(path)
	if err != nil {
		return plugin.Error("replay", err)
	}
	dnsserver.GetConfig(c).AddPlugin(func(next plugin.Handler) plugin.Handler {
		return &replay{Next: next, answers: answers}
	})
	return nil
}

// The capture file is a sequence of packed responses, each after its
// length as two bytes, big-endian.

// writeCapture writes msgs (packed responses) to path.
func writeCapture(path string, msgs [][]byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, m := range msgs {
		var n [2]byte
		binary.BigEndian.PutUint16(n[:], uint16(len(m)))
		w.Write(n[:])
		w.Write(m)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// loadCapture reads a capture into replayable messages.
func loadCapture(path string) (map[replayKey]*dns.Msg, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	answers := map[replayKey]*dns.Msg{}
	for {
		var n [2]byte
		if _, err := io.ReadFull(r, n[:]); errors.Is(err, io.EOF) {
			return answers, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		buf := make([]byte, binary.BigEndian.Uint16(n[:]))
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		key, m, err := replayable(buf)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		answers[key] = m
	}
}

// replayable turns one captured response into the message the replay
// plugin writes: as ours handed it to the ScrubWriter, that is without the
// OPT record the ScrubWriter added (it adds the query's again), compressed
// exactly when the captured bytes were.
func replayable(packed []byte) (replayKey, *dns.Msg, error) {
	m := new(dns.Msg)
	if err := m.Unpack(packed); err != nil {
		return replayKey{}, nil, err
	}
	if len(m.Question) != 1 {
		return replayKey{}, nil, fmt.Errorf("a response with %d questions", len(m.Question))
	}
	key := replayKey{name: m.Question[0].Name, qtype: m.Question[0].Qtype}
	extra := m.Extra[:0:0]
	for _, rr := range m.Extra {
		if rr.Header().Rrtype == dns.TypeOPT {
			key.edns = true
			continue
		}
		extra = append(extra, rr)
	}
	m.Extra = extra
	if key.edns {
		// What the OPT took, so that the length compares with the bytes.
		packed = packed[:len(packed)-11]
	}
	m.Compress = m.Len() > len(packed)
	// Slices at capacity: the ScrubWriter's appends then copy, never write
	// into the captured message shared by every query.
	m.Answer, m.Ns, m.Extra = clip(m.Answer), clip(m.Ns), clip(m.Extra)
	return key, m, nil
}

func clip(rrs []dns.RR) []dns.RR { return rrs[:len(rrs):len(rrs)] }

// capture asks s every distinct question of the query file, with an OPT
// record as dnsperf -e sends it (UDP size 4096, no DO) and without, and
// writes the responses to path. It returns how many it captured.
func capture(ctx context.Context, s *server, queryFile, path string) (int, error) {
	questions, err := distinctQuestions(queryFile)
	if err != nil {
		return 0, err
	}
	type job struct {
		q    dns.Question
		edns bool
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var msgs [][]byte
	var firstErr error
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			c := &dns.Client{Timeout: 2 * time.Second, UDPSize: dns.DefaultMsgSize}
			for j := range jobs {
				packed, err := askPacked(c, s.dnsAddr, j.q, j.edns)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("%s %s: %w", j.q.Name, dns.TypeToString[j.q.Qtype], err)
				}
				if err == nil {
					msgs = append(msgs, packed)
				}
				mu.Unlock()
			}
		})
	}
	for _, q := range questions {
		for _, edns := range []bool{true, false} {
			select {
			case jobs <- job{q, edns}:
			case <-ctx.Done():
			}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return len(msgs), writeCapture(path, msgs)
}

// askPacked sends one question over UDP and returns the response's bytes
// as they came.
func askPacked(c *dns.Client, addr string, q dns.Question, edns bool) ([]byte, error) {
	m := new(dns.Msg)
	m.SetQuestion(q.Name, q.Qtype)
	if edns {
		m.SetEdns0(4096, false)
	}
	conn, err := c.Dial(addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(c.Timeout))
	if err := conn.WriteMsg(m); err != nil {
		return nil, err
	}
	buf := make([]byte, dns.MaxMsgSize)
	n, err := conn.Read(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n:n], nil
}

// distinctQuestions reads the "NAME TYPE" lines of a dnsperf query file,
// after the probe question.
func distinctQuestions(path string) ([]dns.Question, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	seen := map[dns.Question]bool{probe(): true}
	qs := []dns.Question{probe()}
	for _, line := range strings.Split(string(b), "\n") {
		name, typ, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		qtype, ok := dns.StringToType[typ]
		if !ok {
			return nil, fmt.Errorf("%s: unknown type %q", path, typ)
		}
		q := dns.Question{Name: dns.Fqdn(name), Qtype: qtype, Qclass: dns.ClassINET}
		if !seen[q] {
			seen[q] = true
			qs = append(qs, q)
		}
	}
	return qs, nil
}
