package answer

import (
	"maps"
	"slices"

	"github.com/miekg/dns"
)

// serviceShards is how many maps the services of a snapshot are spread
// over. A change copies only the shards it touches, so publishing one
// service's change costs 1/64 of a copy of every service, not a whole one
// (and makes as little garbage).
const serviceShards = 64

// Snapshot is an immutable view of every answer the plugin serves. The
// handler reads it through an atomic pointer without a lock; a change makes a
// new snapshot that shares every unchanged shard, and every unchanged
// service's answers, with the old one.
type Snapshot struct {
	// serial is the SOA serial: the time of the last change that altered an
	// answer, moved forward by at least one each time.
	serial uint32
	// soa is the zone's SOA, per zone, with this snapshot's serial.
	soa []dns.SOA
	// shards map "s.n" (service and namespace labels, lower-cased) to the
	// service's answers, spread by shardOf.
	shards [serviceShards]map[string]*Service
	// size counts the services served.
	size int
	// namespaces counts the services served per lower-cased namespace, so
	// that `N.svc.Z` is an empty non-terminal exactly while it has some.
	namespaces map[string]int
	// counts for the gauges.
	byType map[string]int
	ready4 int
	ready6 int
	// failedOpen counts the services answered from unreachable clusters.
	failedOpen int
}

// shardOf spreads keys over the shards (FNV-1a, which allocates nothing
// and costs a few nanoseconds for a service key).
func shardOf(key string) int {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return int(h % serviceShards)
}

// Service returns the answers of the service with the lookup key, or nil.
func (s *Snapshot) Service(key string) *Service {
	return s.shards[shardOf(key)][key]
}

// ServiceKeys returns the lookup key of every service served, sorted.
func (s *Snapshot) ServiceKeys() []string {
	keys := make([]string, 0, s.size)
	for _, shard := range s.shards {
		for k, ans := range shard {
			if ans.Serves() {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// With returns a new snapshot in which the services in changed (nil: no
// longer served) replace the old ones, with the given serial and SOAs.
func (s *Snapshot) With(changed map[string]*Service, serial uint32, soa []dns.SOA) *Snapshot {
	next := &Snapshot{
		serial:     serial,
		soa:        soa,
		shards:     s.shards,
		size:       s.size,
		namespaces: maps.Clone(s.namespaces),
		byType:     maps.Clone(s.byType),
		ready4:     s.ready4,
		ready6:     s.ready6,
		failedOpen: s.failedOpen,
	}
	if next.namespaces == nil {
		next.namespaces = map[string]int{}
	}
	if next.byType == nil {
		next.byType = map[string]int{}
	}
	var copied [serviceShards]bool
	for key, ans := range changed {
		i := shardOf(key)
		if !copied[i] {
			next.shards[i] = maps.Clone(s.shards[i])
			if next.shards[i] == nil {
				next.shards[i] = map[string]*Service{}
			}
			copied[i] = true
		}
		shard := next.shards[i]
		namespace := namespaceOfKey(key)
		if old, ok := shard[key]; ok {
			next.account(namespace, old, -1)
			delete(shard, key)
		}
		if ans != nil {
			shard[key] = ans
			next.account(namespace, ans, +1)
		}
	}
	return next
}

func (s *Snapshot) account(namespace string, ans *Service, sign int) {
	if !ans.Serves() {
		return // kept to explain why it serves nothing
	}
	s.size += sign
	s.namespaces[namespace] += sign
	if s.namespaces[namespace] == 0 {
		delete(s.namespaces, namespace)
	}
	s.byType[ans.typ] += sign
	s.ready4 += sign * ans.ready4
	s.ready6 += sign * ans.ready6
	if ans.failedOpen {
		s.failedOpen += sign
	}
}

// NewSnapshot returns a snapshot that serves nothing yet, at serial: where
// the first build starts from.
func NewSnapshot(serial uint32) *Snapshot { return &Snapshot{serial: serial} }

// Serial is the snapshot's SOA serial.
func (s *Snapshot) Serial() uint32 { return s.serial }

// SOA returns the SOA of zone zi; the caller copies it.
func (s *Snapshot) SOA(zi int) *dns.SOA { return &s.soa[zi] }

// Size is how many services the snapshot serves.
func (s *Snapshot) Size() int { return s.size }

// Counts are what a snapshot serves, for the gauges.
type Counts struct {
	// ByType counts the services served by ServiceImport type.
	ByType map[string]int
	// Ready4 and Ready6 count the ready endpoint addresses of headless
	// services.
	Ready4, Ready6 int
	// FailedOpen counts the services answered from unreachable clusters.
	FailedOpen int
}

// Counts returns what the snapshot serves; ByType must not be modified.
func (s *Snapshot) Counts() Counts {
	return Counts{ByType: s.byType, Ready4: s.ready4, Ready6: s.ready6, FailedOpen: s.failedOpen}
}

// Transfer calls yield with the records of every name of the zone origin
// that a zone transfer carries (Node.Records, with ttl), service by
// service and name by name in order, until yield returns false. The
// scoped names answer any zone or cluster asked, listed or not: they
// cannot be transferred and are left out.
func (s *Snapshot) Transfer(origin string, ttl uint32, yield func([]dns.RR) bool) {
	for _, key := range s.ServiceKeys() {
		service := serviceName(key, origin)
		for prefix, n := range s.Service(key).Names() {
			if isScoped(prefix) || !n.HasRecords() {
				continue
			}
			if !yield(n.Records(ownerName(prefix, service), service, ttl)) {
				return
			}
		}
	}
}
