package test

// A bounded query load for the fault tests: a fixed rate of A queries per
// server, over UDP, every answer checked against the data before and after
// the change under way.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// loadTimeout is how long a query of the load waits for its answer before
// it counts as timed out: far above a loopback answer, far below the
// seconds a stub resolver waits.
const loadTimeout = time.Second

// loadWorkers is the number of queries each server has in flight at most.
const loadWorkers = 4

// loadNames is what the load asks: names whose answer must not change,
// and one name whose answer moves from one address to another.
type loadNames struct {
	// stable maps each name to the addresses it answers, sorted.
	stable map[string][]string
	moving string
}

// loadCounts are one server's outcomes.
type loadCounts struct {
	sent, answered, servfail, nxdomain, timeouts, wrong, regressions, other atomic.Int64
}

func (c *loadCounts) String() string {
	return fmt.Sprintf("%d queries, %d answered, %d wrong (%d back to the old data), %d NXDOMAIN, %d SERVFAIL, %d timed out, %d other errors",
		c.sent.Load(), c.answered.Load(), c.wrong.Load(), c.regressions.Load(), c.nxdomain.Load(), c.servfail.Load(), c.timeouts.Load(), c.other.Load())
}

// failures is everything that is not a right answer.
func (c *loadCounts) failures() int64 {
	return c.wrong.Load() + c.nxdomain.Load() + c.servfail.Load() + c.timeouts.Load() + c.other.Load()
}

// loadTarget is one server under load.
type loadTarget struct {
	kind   string
	addr   string
	server *coreDNS // nil when the test did not start it
	counts loadCounts

	mu sync.Mutex
	// before and after are the moving name's address before and after
	// the change; sawAfter is when after was first answered.
	before, after string
	sawAfter      time.Time
	// firstWrong is the first wrong answer (or SERVFAIL, NXDOMAIN), for
	// the failure message.
	firstWrong string
}

// expectMove sets the change the moving name goes through next.
func (lt *loadTarget) expectMove(before, after string) {
	lt.mu.Lock()
	lt.before, lt.after, lt.sawAfter = before, after, time.Time{}
	lt.mu.Unlock()
}

// caughtUp returns when the new address was first answered (zero: not yet).
func (lt *loadTarget) caughtUp() time.Time {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return lt.sawAfter
}

func (lt *loadTarget) noteWrong(s string) {
	lt.counts.wrong.Add(1)
	lt.noteFirst(s)
}

// noteFirst keeps the first failure, for the failure message.
func (lt *loadTarget) noteFirst(s string) {
	lt.mu.Lock()
	if lt.firstWrong == "" {
		lt.firstWrong = s
	}
	lt.mu.Unlock()
}

// classify counts one outcome: the answer to a query sent at sent and
// received at at.
func (lt *loadTarget) classify(names *loadNames, name string, r *dns.Msg, err error, sent, at time.Time) {
	switch {
	case err != nil && isTimeout(err):
		lt.counts.timeouts.Add(1)
		return
	case err != nil:
		lt.counts.other.Add(1)
		return
	}
	lt.counts.answered.Add(1)
	switch r.Rcode {
	case dns.RcodeServerFailure:
		lt.counts.servfail.Add(1)
		lt.noteFirst(name + ": SERVFAIL")
		return
	case dns.RcodeNameError:
		lt.counts.nxdomain.Add(1)
		lt.noteFirst(name + ": NXDOMAIN")
		return
	case dns.RcodeSuccess:
	default:
		lt.noteWrong(fmt.Sprintf("%s: rcode %s", name, dns.RcodeToString[r.Rcode]))
		return
	}
	var got []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			got = append(got, a.A.String())
		}
	}
	sort.Strings(got)
	if name != names.moving {
		if !slices.Equal(got, names.stable[name]) {
			lt.noteWrong(fmt.Sprintf("%s: %v, want %v", name, got, names.stable[name]))
		}
		return
	}
	lt.mu.Lock()
	defer lt.mu.Unlock()
	switch {
	case len(got) == 1 && got[0] == lt.after:
		if lt.sawAfter.IsZero() {
			lt.sawAfter = at
		}
	case len(got) == 1 && got[0] == lt.before:
		// Back to the old data is an old answer to a query sent after the
		// new one was received. A query already in flight then may have
		// been answered from the old snapshot by a server goroutine, or
		// read late by a client goroutine, that the scheduler held back:
		// either answer is right for it (the two queries were concurrent).
		if !lt.sawAfter.IsZero() && sent.After(lt.sawAfter) {
			lt.counts.regressions.Add(1)
			lt.counts.wrong.Add(1)
			if lt.firstWrong == "" {
				lt.firstWrong = fmt.Sprintf("%s: %v again after %s (asked %v after %s was first answered)", name, got, lt.after, sent.Sub(lt.sawAfter), lt.after)
			}
		}
	default:
		lt.counts.wrong.Add(1)
		if lt.firstWrong == "" {
			lt.firstWrong = fmt.Sprintf("%s: %v, want %s or %s", name, got, lt.before, lt.after)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// queryLoad runs the load until stop.
type queryLoad struct {
	names   *loadNames
	targets []*loadTarget
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// startLoad asks each target rate queries per second, spread over
// loadWorkers workers with a socket each, cycling through every name (the
// moving one as often as all the others together, so that its catch-up is
// seen within a few milliseconds).
func startLoad(names *loadNames, rate int, targets ...*loadTarget) *queryLoad {
	ctx, cancel := context.WithCancel(context.Background())
	l := &queryLoad{names: names, targets: targets, cancel: cancel}
	var cycle []string
	for name := range names.stable {
		cycle = append(cycle, name, names.moving)
	}
	sort.Strings(cycle)
	interval := time.Duration(loadWorkers) * time.Second / time.Duration(rate)
	for _, lt := range targets {
		for w := 0; w < loadWorkers; w++ {
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				l.work(ctx, lt, cycle, w, interval)
			}()
		}
	}
	return l
}

func (l *queryLoad) work(ctx context.Context, lt *loadTarget, cycle []string, w int, interval time.Duration) {
	cl := &dns.Client{Net: "udp", Timeout: loadTimeout}
	var conn *dns.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	next := time.Now().Add(time.Duration(w) * interval / loadWorkers)
	for i := w; ctx.Err() == nil; i += loadWorkers {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		next = next.Add(interval)
		if conn == nil {
			c, err := cl.Dial(lt.addr)
			if err != nil {
				lt.counts.other.Add(1)
				continue
			}
			conn = c
		}
		name := cycle[i%len(cycle)]
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		lt.counts.sent.Add(1)
		sent := time.Now()
		r, _, err := cl.ExchangeWithConn(m, conn)
		lt.classify(l.names, name, r, err, sent, time.Now())
		if err != nil {
			// A fresh socket: a late answer must not be read as the next.
			conn.Close()
			conn = nil
		}
	}
}

// stop ends the load and waits for the workers.
func (l *queryLoad) stop() {
	l.cancel()
	l.wg.Wait()
}
