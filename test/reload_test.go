package test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// reloadCorefiles are the fault test's servers with the reload plugin
// checking every 2 s, and a ttl for each reload to change.
var reloadCorefiles = map[string]string{
	kindClusterSet: strings.Replace(faultCorefiles[kindClusterSet], "        extended_errors\n", "        extended_errors\n        ttl 5\n", 1),
	kindInTree:     strings.Replace(faultCorefiles[kindInTree], "        multicluster clusterset.local\n", "        multicluster clusterset.local\n        ttl 5\n", 1),
}

func init() {
	for kind, text := range reloadCorefiles {
		reloadCorefiles[kind] = strings.Replace(text, "    ready {$READY_ADDR}\n", "    ready {$READY_ADDR}\n    reload 2s 1s\n", 1)
	}
}

// TestReloadUnderLoad rewrites the Corefile of both servers (a new ttl)
// several times under the query load: the new instance answers from the
// old one's data until it has synced, so no query gets SERVFAIL, NXDOMAIN,
// a wrong answer or no answer. The in-tree plugin is measured the same way.
func TestReloadUnderLoad(t *testing.T) {
	fb := writeFaultData(t, bed, "reload-load")
	targets := faultServers(t, fb, bed.Kubeconfig(coreDNSUser), reloadCorefiles)
	ttlLine := regexp.MustCompile(`(?m)^(\s*)ttl \d+$`)
	for _, lt := range targets {
		lt.expectMove(fb.address(0), fb.address(0))
	}
	load := startLoad(fb.names, faultRate(), targets...)
	stopped := false
	stop := func() {
		if !stopped {
			load.stop()
			stopped = true
		}
	}
	defer stop()
	time.Sleep(time.Second)
	var probe string
	for name := range fb.names.stable {
		probe = name
		break
	}
	const reloads = 3
	for i := 0; i < reloads; i++ {
		ttl := uint32(6 + i)
		written := time.Now()
		for _, lt := range targets {
			body, err := os.ReadFile(lt.server.corefile)
			must(t, err)
			must(t, os.WriteFile(lt.server.corefile, ttlLine.ReplaceAll(body, []byte(fmt.Sprintf("${1}ttl %d", ttl))), 0o600))
		}
		for _, lt := range targets {
			must(t, poll(30*time.Second, func() (string, error) {
				m := new(dns.Msg)
				m.SetQuestion(probe, dns.TypeA)
				r, _, err := (&dns.Client{Timeout: loadTimeout}).Exchange(m, lt.addr)
				if err != nil {
					return "", err
				}
				if len(r.Answer) == 0 || r.Answer[0].Header().Ttl != ttl {
					return r.String(), fmt.Errorf("%s: the ttl %d is not served yet", lt.kind, ttl)
				}
				return "", nil
			}))
			t.Logf("reload %d: %s serves ttl %d %v after the Corefile was written", i+1, lt.kind, ttl, time.Since(written).Round(time.Millisecond))
		}
	}
	time.Sleep(time.Second)
	stop()
	for _, lt := range targets {
		t.Logf("RELOAD %d reloads | %-10s | %s", reloads, lt.kind, &lt.counts)
	}
	for _, lt := range targets {
		if lt.kind == kindClusterSet {
			if n := lt.counts.failures(); n > 0 {
				t.Errorf("%s answered %d queries wrong or not at all across %d reloads (%s); first: %s", lt.kind, n, reloads, &lt.counts, lt.firstWrong)
			}
			if !strings.Contains(lt.server.proc.Log(), "answering from the previous instance's data") {
				t.Errorf("%s: the log does not show the hand-off to the new instance", lt.kind)
			}
		}
	}
}
