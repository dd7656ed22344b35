package clusterset

import (
	"errors"
	"slices"
	"testing"

	"github.com/clusterset-dns/clusterset/test/answers"

	"github.com/coredns/coredns/plugin/transfer"

	"github.com/miekg/dns"
)

func transferAll(t *testing.T, cs *ClusterSet, zone string, serial uint32) []dns.RR {
	t.Helper()
	ch, err := cs.Transfer(zone, serial)
	if err != nil {
		t.Fatalf("Transfer(%s): %v", zone, err)
	}
	var rrs []dns.RR
	for batch := range ch {
		rrs = append(rrs, batch...)
	}
	return rrs
}

func TestTransferListsWhatQueriesServe(t *testing.T) {
	cs := newTestPlugin(t, "clusterset", contractSource())
	rrs := transferAll(t, cs, "clusterset.local.", 0)
	if len(rrs) < 3 {
		t.Fatalf("transfer of %d records", len(rrs))
	}
	first, okFirst := rrs[0].(*dns.SOA)
	last, okLast := rrs[len(rrs)-1].(*dns.SOA)
	if !okFirst || !okLast || first.Serial != last.Serial {
		t.Fatalf("transfer not framed by one SOA: %v ... %v", rrs[0], rrs[len(rrs)-1])
	}
	m, _ := query(t, cs, "clusterset.local.", dns.TypeSOA, true)
	if m.Answer[0].(*dns.SOA).Serial != first.Serial {
		t.Errorf("transfer serial %d, query serial %d", first.Serial, m.Answer[0].(*dns.SOA).Serial)
	}

	// Every (name, type) transferred, queried over TCP, answers exactly
	// the transferred records.
	type nameType struct {
		name  string
		qtype uint16
	}
	sets := map[nameType][]string{}
	for _, rr := range rrs[1 : len(rrs)-1] {
		k := nameType{rr.Header().Name, rr.Header().Rrtype}
		sets[k] = append(sets[k], answers.Record(rr))
	}
	for k, want := range sets {
		slices.Sort(want)
		m, _ := query(t, cs, k.name, k.qtype, true)
		if got := answers.Set(m.Answer); !slices.Equal(got, want) {
			t.Errorf("%s %s: query answers %q, transfer holds %q", k.name, dns.TypeToString[k.qtype], got, want)
		}
	}
	// And the names the contract test resolves are all in it.
	for _, name := range []string{"web.demo.svc.clusterset.local.", "db-0.east.db.demo.svc.clusterset.local.", "10-2-0-1.west.prod.db.demo.svc.clusterset.local.", "_mysql._tcp.db.demo.svc.clusterset.local."} {
		found := false
		for k := range sets {
			found = found || k.name == name
		}
		if !found {
			t.Errorf("%s missing from the transfer", name)
		}
	}
}

func TestTransferIXFR(t *testing.T) {
	cs := newTestPlugin(t, "clusterset", contractSource())
	serial := cs.snapshot().Serial()
	if rrs := transferAll(t, cs, "clusterset.local.", serial); len(rrs) != 1 {
		t.Errorf("IXFR from the current serial sent %d records, want the SOA alone", len(rrs))
	}
	if rrs := transferAll(t, cs, "clusterset.local.", serial-1); len(rrs) < 3 {
		t.Errorf("IXFR from an older serial sent %d records, want the whole zone", len(rrs))
	}
}

func TestTransferOfAnotherZone(t *testing.T) {
	cs := newTestPlugin(t, "clusterset", contractSource())
	if _, err := cs.Transfer("cluster.local.", 0); !errors.Is(err, transfer.ErrNotAuthoritative) {
		t.Errorf("err = %v, want ErrNotAuthoritative", err)
	}
	before := newTestPlugin(t, "clusterset", nil)
	if _, err := before.Transfer("clusterset.local.", 0); err == nil {
		t.Errorf("a transfer before the first sync succeeded")
	}
}
