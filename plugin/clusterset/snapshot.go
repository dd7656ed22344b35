package clusterset

import (
	"maps"
	"slices"
	"strings"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/miekg/dns"
)

// serviceShards is how many maps the services of a snapshot are spread
// over. A change copies only the shards it touches, so publishing one
// service's change costs 1/64 of a copy of every service, not a whole one
// (and makes as little garbage).
const serviceShards = 64

// snapshot is an immutable view of every answer the plugin serves. The
// handler reads it through an atomic pointer without a lock; a change makes a
// new snapshot that shares every unchanged shard, and every unchanged
// service's answers, with the old one.
type snapshot struct {
	// serial is the SOA serial: the time of the last change that altered an
	// answer, moved forward by at least one each time.
	serial uint32
	// soa is the zone's SOA, per zone, with this snapshot's serial.
	soa []dns.SOA
	// shards map "s.n" (service and namespace labels, lower-cased) to the
	// service's answers, spread by shardOf.
	shards [serviceShards]map[string]*serviceAnswers
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

// serviceLookupKey is the key of the services map for a service key.
func serviceLookupKey(key object.ServiceKey) string {
	return strings.ToLower(key.Name) + "." + strings.ToLower(key.Namespace)
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

// service returns the answers of the service with the lookup key, or nil.
func (s *snapshot) service(key string) *serviceAnswers {
	return s.shards[shardOf(key)][key]
}

// serviceKeys returns the lookup key of every service served, sorted.
func (s *snapshot) serviceKeys() []string {
	keys := make([]string, 0, s.size)
	for _, shard := range s.shards {
		for k, ans := range shard {
			if ans.serves() {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// with returns a new snapshot in which the services in changed (nil: no
// longer served) replace the old ones, with the given serial and SOAs.
func (s *snapshot) with(changed map[string]*serviceAnswers, serial uint32, soa []dns.SOA) *snapshot {
	next := &snapshot{
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
				next.shards[i] = map[string]*serviceAnswers{}
			}
			copied[i] = true
		}
		shard := next.shards[i]
		namespace := key[strings.IndexByte(key, '.')+1:]
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

func (s *snapshot) account(namespace string, ans *serviceAnswers, sign int) {
	if !ans.serves() {
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
